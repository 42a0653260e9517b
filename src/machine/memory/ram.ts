/**
 * Physical RAM: one ArrayBuffer with byte, word and dword views.
 *
 *   0 ──────────────────────────────── size
 *   | u8[]  (every byte)               |
 *   | i32[] (aligned dwords, LE host)  |
 *
 * Addresses at or above `size` reach nothing: reads give 0 and writes are
 * dropped, as QEMU's unassigned memory does (a real PC's open bus may read
 * all ones; software must not rely on either). RAM also tracks which 4 KiB frames hold decoded code
 * (`codePages`); any write to such a frame calls `onCodeWrite(frame)` so the
 * CPU can drop its decoded instructions (self-modifying code, DMA, and the
 * hypervisor's own writes all pass through here).
 */
import type { DmaMemory } from "../devices/device.js";

export class Ram implements DmaMemory {
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  /** One byte per 4 KiB frame: nonzero when the CPU holds decoded code from it. */
  readonly codePages: Uint8Array;
  onCodeWrite: (frame: number) => void = () => {};

  constructor(readonly size: number) {
    if (size % 4096 !== 0 || size <= 0) throw new Error(`RAM size ${size} is not a positive multiple of 4 KiB`);
    this.buffer = new ArrayBuffer(size);
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.codePages = new Uint8Array(size >>> 12);
  }

  read8(paddr: number): number {
    return paddr < this.size ? this.u8[paddr]! : 0;
  }

  read16(paddr: number): number {
    if ((paddr & 1) === 0 && paddr < this.size) return this.u16[paddr >>> 1]!;
    return this.read8(paddr) | (this.read8(paddr + 1) << 8);
  }

  read32(paddr: number): number {
    if ((paddr & 3) === 0 && paddr < this.size) return this.i32[paddr >>> 2]!;
    return this.read8(paddr) | (this.read8(paddr + 1) << 8) | (this.read8(paddr + 2) << 16) | (this.read8(paddr + 3) << 24);
  }

  write8(paddr: number, value: number): void {
    if (paddr >= this.size) return;
    if (this.codePages[paddr >>> 12] !== 0) this.onCodeWrite(paddr >>> 12);
    this.u8[paddr] = value;
  }

  write16(paddr: number, value: number): void {
    this.write8(paddr, value & 0xff);
    this.write8(paddr + 1, (value >>> 8) & 0xff);
  }

  write32(paddr: number, value: number): void {
    if ((paddr & 3) === 0 && paddr < this.size) {
      if (this.codePages[paddr >>> 12] !== 0) this.onCodeWrite(paddr >>> 12);
      this.i32[paddr >>> 2] = value;
      return;
    }
    this.write8(paddr, value & 0xff);
    this.write8(paddr + 1, (value >>> 8) & 0xff);
    this.write8(paddr + 2, (value >>> 16) & 0xff);
    this.write8(paddr + 3, (value >>> 24) & 0xff);
  }

  readPhys(paddr: number, dst: Uint8Array): void {
    for (let i = 0; i < dst.length; i++) dst[i] = this.read8(paddr + i);
  }

  writePhys(paddr: number, src: Uint8Array): void {
    const end = Math.min(paddr + src.length, this.size);
    for (let frame = paddr >>> 12; frame <= (end - 1) >>> 12 && frame < this.codePages.length; frame++) {
      if (this.codePages[frame] !== 0) this.onCodeWrite(frame);
    }
    if (paddr < this.size) this.u8.set(src.subarray(0, end - paddr), paddr);
  }
}
