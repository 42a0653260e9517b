/**
 * multicall (docs/xen-pv32-abi.md §4.12; xen/common/multicall.c): a batch of
 * hypercalls, each run exactly as if issued alone, its result written into
 * its entry. The batch stops early when an entry leaves the guest kernel
 * (an iret to user mode, a shutdown) — Xen would continue the rest later —
 * and after an `iret` entry, whose restored EAX the multicall returns
 * (XSA-213). A nested multicall fails with −EINVAL in its own entry.
 */
import { ERRNO } from "../../abi/errno.js";
import { HYPERCALL } from "../../abi/hypercalls.js";
import { vaddr } from "../../lib/brand.js";
import { u32At, u32Bytes, type GuestCopy } from "../core/guest-copy.js";
import type { HypercallTable } from "./hypercall.js";

export function multicall(
  table: HypercallTable, guest: GuestCopy, list: number, count: number, entrySize: number,
  stillInKernel: () => boolean,
): number {
  for (let i = 0; i < count >>> 0; i++) {
    const at = (list + i * entrySize) >>> 0;
    const e = guest.copyFromGuest(vaddr(at), entrySize);
    if (e === undefined) return -ERRNO.EFAULT;
    const op = u32At(e, 0);
    const args = [u32At(e, 8), u32At(e, 12), u32At(e, 16), u32At(e, 20), u32At(e, 24)] as const;
    const result = op === HYPERCALL.multicall ? -ERRNO.EINVAL : table.dispatch(op, args);
    if (!guest.copyToGuest(vaddr((at + 4) >>> 0), u32Bytes(result))) return -ERRNO.EFAULT;
    if (op === HYPERCALL.iret) return result;
    if (!stillInKernel()) return 0;
  }
  return 0;
}
