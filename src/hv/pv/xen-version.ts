/**
 * The xen_version hypercall (docs/xen-pv32-abi.md §4.15; Xen common/kernel.c):
 * the version word, NUL-padded strings (XTF xsa-122 checks the padding),
 * platform_parameters and the page size. Unknown sub-ops are −ENOSYS.
 */
import { XENVER, XENVER_LEN } from "../../abi/hypercalls.js";
import { ERRNO } from "../../abi/errno.js";
import { HYPERVISOR, PAGE } from "../../abi/memory-layout.js";
import type { Vaddr } from "../../lib/brand.js";
import { u32Bytes, type GuestCopy } from "../core/guest-copy.js";

/** Xen 4.23, as the reference system reports it. */
export const XEN_VERSION = { MAJOR: 4, MINOR: 23, EXTRA: "-unstable" } as const;
/** The guest types this hypervisor runs (only 32-bit PAE PV). */
export const XEN_CAPABILITIES = "xen-3.0-x86_32p";

/** `text` as `size` bytes, NUL-padded (truncated to leave a terminating NUL). */
function padded(text: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < Math.min(text.length, size - 1); i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

export function xenVersion(guest: GuestCopy, cmd: number, arg: number): number {
  const put = (bytes: Uint8Array): number => (guest.copyToGuest(arg as Vaddr, bytes) ? 0 : -ERRNO.EFAULT);
  switch (cmd) {
    case XENVER.version:
      return (XEN_VERSION.MAJOR << 16) | XEN_VERSION.MINOR;
    case XENVER.extraversion:
      return put(padded(XEN_VERSION.EXTRA, XENVER_LEN.EXTRAVERSION));
    case XENVER.compile_info: {
      const info = new Uint8Array(XENVER_LEN.COMPILE_INFO);
      info.set(padded("tsxen", 64), 0);
      info.set(padded("tsxen", 16), 64);
      info.set(padded("localdomain", 32), 80);
      info.set(padded("unknown", 32), 112);
      return put(info);
    }
    case XENVER.capabilities:
      return put(padded(XEN_CAPABILITIES, XENVER_LEN.CAPABILITIES_INFO));
    case XENVER.changeset:
      return put(padded("unavailable", XENVER_LEN.CHANGESET_INFO));
    case XENVER.platform_parameters:
      return put(u32Bytes(HYPERVISOR.VIRT_START));
    case XENVER.pagesize:
      return arg === 0 ? PAGE.SIZE : -ERRNO.EINVAL;
    case XENVER.guest_handle:
      return put(new Uint8Array(XENVER_LEN.GUEST_HANDLE));
    case XENVER.commandline:
      return put(padded("<denied>", XENVER_LEN.COMMANDLINE));
    default:
      return -ERRNO.ENOSYS;
  }
}
