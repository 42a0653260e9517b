/**
 * Hypercall argument structures in guest memory (docs/xen-pv32-abi.md §3.3):
 * copy one in, read and change its fields by name, copy it (or one field)
 * back. Field offsets come from the ABI tables in src/abi; nothing here
 * restates them.
 *
 * Also the range checks Xen makes before touching a guest array
 * (compat_handle_okay, xen/include/xen/compat.h and
 * asm/x86_64/uaccess.h): they only look at addresses, never at mappings, so
 * a call that passes them can still fault on the access itself.
 */
import { HYPERVISOR } from "../../abi/memory-layout.js";
import { locate, offsetOf, type Compound } from "../../abi/layout.js";
import type { Vaddr } from "../../lib/brand.js";
import type { GuestCopy } from "./guest-copy.js";

export class GuestStruct {
  private readonly view: DataView;

  constructor(readonly type: Compound, readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** copy_from_guest of one `type` at `va`; undefined on a fault. */
  static load(guest: GuestCopy, va: Vaddr, type: Compound): GuestStruct | undefined {
    const bytes = guest.copyFromGuest(va, type.size);
    return bytes === undefined || bytes.length !== type.size ? undefined : new GuestStruct(type, bytes.slice());
  }

  u16(field: string): number {
    return this.view.getUint16(offsetOf(this.type, field), true);
  }
  i16(field: string): number {
    return this.view.getInt16(offsetOf(this.type, field), true);
  }
  u32(field: string): number {
    return this.view.getUint32(offsetOf(this.type, field), true);
  }
  u64(field: string): bigint {
    return this.view.getBigUint64(offsetOf(this.type, field), true);
  }
  setU16(field: string, value: number): void {
    this.view.setUint16(offsetOf(this.type, field), value & 0xffff, true);
  }
  setI16(field: string, value: number): void {
    this.view.setInt16(offsetOf(this.type, field), value, true);
  }
  setU32(field: string, value: number): void {
    this.view.setUint32(offsetOf(this.type, field), value >>> 0, true);
  }
  setU64(field: string, value: bigint): void {
    this.view.setBigUint64(offsetOf(this.type, field), BigInt.asUintN(64, value), true);
  }

  /** copy_to_guest of the whole structure; false on a fault. */
  store(guest: GuestCopy, va: Vaddr): boolean {
    return guest.copyToGuest(va, this.bytes);
  }

  /** __copy_field_to_guest: only `field`'s bytes; false on a fault. */
  storeField(guest: GuestCopy, va: Vaddr, field: string): boolean {
    const { offset, size } = locate(this.type, field);
    return guest.copyToGuest(((va + offset) >>> 0) as Vaddr, this.bytes.subarray(offset, offset + size));
  }
}

/**
 * compat_handle_okay(va, count) for elements of `size` bytes: the count must
 * not overflow 32 bits and the last byte must lie below the hypervisor area
 * (HYPERVISOR_COMPAT_VIRT_START, §3.3). A NULL handle is not special.
 */
export function compatArrayOk(va: number, count: number, size: number): boolean {
  if (count >= Math.floor(0xffffffff / size)) return false;
  const last = (va >>> 0) + (count === 0 ? 0 : count * size - 1);
  return last < HYPERVISOR.VIRT_START;
}
