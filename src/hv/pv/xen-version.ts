/**
 * The xen_version hypercall (docs/xen-pv32-abi.md §4.15; Xen common/kernel.c):
 * the version word, NUL-padded strings (XTF xsa-122 checks the padding),
 * platform_parameters and the page size. Unknown sub-ops are −ENOSYS.
 */
import { XENVER, XENVER_LEN } from "../../abi/hypercalls.js";
import { XENFEAT } from "../../abi/elfnotes.js";
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

/**
 * XENVER_get_features submap 0 for a PV domain (Xen's kernel.c), limited to
 * what tsxen implements: PRESERVE_AD updates, CLEAR/COPY_PAGE ("highmem
 * assist"), direct-mapped (no translation), and L3s above 4 GiB when the
 * builder set VMASST pae_extended_cr3.
 */
export function pvFeatures(extendedCr3: boolean): number {
  return ((1 << XENFEAT.mmu_pt_update_preserve_ad) | (1 << XENFEAT.highmem_assist) | (1 << XENFEAT.direct_mapped) |
    (extendedCr3 ? 1 << XENFEAT.pae_pgdir_above_4gb : 0)) >>> 0;
}

export function xenVersion(guest: GuestCopy, cmd: number, arg: number, features = pvFeatures(true)): number {
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
    case XENVER.get_features: {
      // xen_feature_info {submap_idx u32, submap u32}: submap 0 only (XENFEAT_NR_SUBMAPS 1)
      const fi = guest.copyFromGuest(arg as Vaddr, 8);
      if (fi === undefined) return -ERRNO.EFAULT;
      const idx = fi[0]! | (fi[1]! << 8) | (fi[2]! << 16) | (fi[3]! << 24);
      if (idx !== 0) return -ERRNO.EINVAL;
      return guest.copyToGuest(((arg + 4) >>> 0) as Vaddr, u32Bytes(features)) ? 0 : -ERRNO.EFAULT;
    }
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
