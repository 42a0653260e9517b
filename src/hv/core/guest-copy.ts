/**
 * copy_from_guest / copy_to_guest: how hypercalls read and write their
 * arguments in guest virtual memory, with the guest kernel's rights. The
 * implementation walks the guest's page tables and refuses the hypervisor
 * area (docs/xen-pv32-abi.md §3.3): a fault becomes -EFAULT, never an
 * exception. Tests use a fake.
 */
import type { Vaddr } from "../../lib/brand.js";

export interface GuestCopy {
  /** `len` bytes at `va`, or undefined on a fault. */
  copyFromGuest(va: Vaddr, len: number): Uint8Array | undefined;
  /** Write `bytes` at `va`; false on a fault. */
  copyToGuest(va: Vaddr, bytes: Uint8Array): boolean;
}

/** Little-endian u32 at `offset` of a copied buffer. */
export const u32At = (bytes: Uint8Array, offset: number): number =>
  (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;

export function u32Bytes(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
}
