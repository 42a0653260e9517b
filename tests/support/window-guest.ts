/**
 * Test support (never imported by production code): a GuestCopy over a
 * two-page window of guest virtual addresses [base, base + 8 KiB), for unit
 * tests of hypercalls that only copy structures in and out. Reads from
 * `faultFrom` on fault, writes from `roFrom` on fail, as copy_*_guest would.
 */
import type { Vaddr } from "../../src/lib/brand.js";
import type { GuestCopy } from "../../src/hv/core/guest-copy.js";

export class WindowGuest implements GuestCopy {
  readonly bytes = new Uint8Array(0x2000);
  private readonly view = new DataView(this.bytes.buffer);
  faultFrom: number;
  roFrom: number;

  constructor(readonly base: number) {
    this.faultFrom = this.roFrom = base + this.bytes.length;
  }

  copyFromGuest(va: Vaddr, len: number): Uint8Array | undefined {
    if (va < this.base || va + len > this.faultFrom) return undefined;
    return this.bytes.slice(va - this.base, va - this.base + len);
  }

  copyToGuest(va: Vaddr, bytes: Uint8Array): boolean {
    if (va < this.base || va + bytes.length > Math.min(this.faultFrom, this.roFrom)) return false;
    this.bytes.set(bytes, va - this.base);
    return true;
  }

  /** Read (and first write, if `v` is given) a little-endian field at `va`. */
  u16(va: number, v?: number): number {
    if (v !== undefined) this.view.setUint16(va - this.base, v, true);
    return this.view.getUint16(va - this.base, true);
  }
  i16(va: number): number {
    return this.view.getInt16(va - this.base, true);
  }
  u32(va: number, v?: number): number {
    if (v !== undefined) this.view.setUint32(va - this.base, v >>> 0, true);
    return this.view.getUint32(va - this.base, true);
  }
  u64(va: number, v?: bigint): bigint {
    if (v !== undefined) this.view.setBigUint64(va - this.base, v, true);
    return this.view.getBigUint64(va - this.base, true);
  }
}
