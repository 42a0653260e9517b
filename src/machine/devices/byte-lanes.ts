/**
 * 8-bit ISA peripherals seen through 16- and 32-bit port accesses.
 *
 * The 8254, 8259A, 16550 and MC146818 have an 8-bit data bus. When the CPU
 * issues `in ax, dx` or `out dx, eax` to such a chip, the PC's bus controller
 * splits the access into byte cycles at port, port+1, ... (lowest byte first,
 * little endian). These helpers do that split for a device that implements
 * only byte access; lanes past the end of the device's window read as open
 * bus (0xFF) and drop writes, as on the ISA bus.
 */
import type { IoWidth } from "./device.js";

export type ByteRead = (offset: number) => number;
export type ByteWrite = (offset: number, value: number) => void;

/** Read `width` bytes starting at `offset` of a `count`-port window. */
export function readLanes(read: ByteRead, offset: number, width: IoWidth, count: number): number {
  if (width === 1) return read(offset) & 0xff;
  let value = 0;
  for (let i = 0; i < width; i++) {
    const byte = offset + i < count ? read(offset + i) & 0xff : 0xff;
    value |= byte << (8 * i);
  }
  return value >>> 0;
}

/** Write `width` bytes of `value` starting at `offset` of a `count`-port window. */
export function writeLanes(write: ByteWrite, offset: number, width: IoWidth, value: number, count: number): void {
  if (width === 1) {
    write(offset, value & 0xff);
    return;
  }
  for (let i = 0; i < width && offset + i < count; i++) write(offset + i, (value >>> (8 * i)) & 0xff);
}
