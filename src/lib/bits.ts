/** Small bit helpers shared by every layer. All values are 32-bit unless named. */

/** Hex string of an unsigned 32-bit value, zero-padded to `width` digits. */
export function hex(value: number, width = 8): string {
  return (value >>> 0).toString(16).padStart(width, "0");
}

/** Sign-extend the low `bits` bits of `value`. */
export function signExtend(value: number, bits: number): number {
  const shift = 32 - bits;
  return (value << shift) >> shift;
}

/** Unsigned 32-bit view. */
export const u32 = (value: number): number => value >>> 0;
