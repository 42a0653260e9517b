/**
 * x87 memory formats <-> the binary64 register values (Intel SDM Vol. 1
 * §4.2.2, Table 4-3 "Floating-Point Number and NaN Encodings", §4.7 packed
 * BCD, §8.2 x87 data types; Vol. 2 FLD, FST, FILD, FIST, FBLD, FBSTP).
 *
 * Double extended precision (m80), as stored little-endian in memory:
 *
 *   byte 9      8    7 ........................................ 0
 *   ┌─┬───────────────┬─┬─────────────────────────────────────────┐
 *   │S│ exponent (15) │J│ fraction (63)                           │
 *   └─┴───────────────┴─┴─────────────────────────────────────────┘
 *    `se` (16 bits)      `hi` (bits 63..32)     `lo` (bits 31..0)
 *
 *   exponent 0      J=0 zero / denormal   J=1 pseudo-denormal (valid)
 *   exponent 7FFF   J=1 ∞ (fraction 0) or NaN (bit 62 = quiet)
 *                   J=0 pseudo-∞ / pseudo-NaN: unsupported
 *   otherwise       J=1 normal            J=0 unnormal: unsupported
 *
 * A register holds a binary64; a value the binary64 cannot hold exactly
 * keeps its m80 image in the register's shadow (fpu-state.ts), so m80
 * stores, FRSTOR/FNSAVE and FILD/FISTP m64 round-trip bit for bit.
 */
import {
  DOUBLE, Exact, FE_DENORMAL, FE_INVALID, Format, REAL_INDEFINITE, Rounded,
  bitLength, decompose, doubleFromBits, doubleHi, doubleLo, isSignaling, quieted,
  roundFloat, roundInteger, roundedValue, signOf,
} from "./fpu-round.js";
import { OpResult, fpuRoundIntegral } from "./fpu-arith.js";

/** An m80 image: sign+exponent word and the 64-bit significand's halves. */
export class F80 {
  se = 0;
  hi = 0;
  lo = 0;
}

/* FXAM classes as C3 C2 C0 (SDM Vol. 2 FXAM Table 3-47), also used for tags. */
export const CLASS_UNSUPPORTED = 0b000;
export const CLASS_NAN = 0b001;
export const CLASS_NORMAL = 0b010;
export const CLASS_INFINITY = 0b011;
export const CLASS_ZERO = 0b100;
export const CLASS_EMPTY = 0b101;
export const CLASS_DENORMAL = 0b110;

const ex = new Exact();
const rounded = new Rounded();
const scratch = new DataView(new ArrayBuffer(4));

export function classifyF80(f: F80): number {
  const exp = f.se & 0x7fff;
  const j = f.hi >>> 31;
  if (exp === 0x7fff) {
    if (j === 0) return CLASS_UNSUPPORTED;
    return (f.hi & 0x7fffffff) === 0 && f.lo === 0 ? CLASS_INFINITY : CLASS_NAN;
  }
  if (exp === 0) return f.hi === 0 && f.lo === 0 ? CLASS_ZERO : CLASS_DENORMAL;
  return j === 1 ? CLASS_NORMAL : CLASS_UNSUPPORTED;
}

export function classifyDouble(x: number): number {
  if (x !== x) return CLASS_NAN;
  if (x === 0) return CLASS_ZERO;
  return Number.isFinite(x) ? CLASS_NORMAL : CLASS_INFINITY; // binary64 denormals are m80-normal
}

/** m32 → binary64 (exact; SNaNs stay signaling). flags: DE for a denormal. */
export function singleToDouble(bits: number, out: OpResult): void {
  const exp = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  out.flags = exp === 0 && frac !== 0 ? FE_DENORMAL : 0;
  if (exp === 0xff && frac !== 0) {
    out.value = doubleFromBits((bits & 0x80000000) | 0x7ff00000 | (frac >>> 3), (frac << 29) >>> 0);
    return;
  }
  scratch.setUint32(0, bits >>> 0, true);
  out.value = scratch.getFloat32(0, true);
}

/** m64 → binary64. flags: DE for a denormal. */
export function doubleFromMemory(lo: number, hi: number, out: OpResult): void {
  out.value = doubleFromBits(hi, lo);
  out.flags = (hi & 0x7ff00000) === 0 && ((hi & 0xfffff) | lo) !== 0 ? FE_DENORMAL : 0;
}

/** m80 → binary64, rounded to nearest; unsupported encodings give real indefinite. */
export function f80ToDouble(f: F80): number {
  const exp = f.se & 0x7fff;
  const neg = (f.se & 0x8000) !== 0;
  const j = f.hi >>> 31;
  const sign = neg ? 0x80000000 : 0;
  if (exp === 0x7fff) {
    if (j === 0) return REAL_INDEFINITE;
    let hi = (f.hi >>> 11) & 0xfffff;
    let lo = ((f.hi << 21) | (f.lo >>> 11)) >>> 0;
    if (hi === 0 && lo === 0 && ((f.hi & 0x7fffffff) | f.lo) !== 0) lo = 1; // keep a NaN a NaN
    return doubleFromBits(sign | 0x7ff00000 | hi, lo);
  }
  if (exp !== 0 && j === 0) return REAL_INDEFINITE;
  if (f.hi === 0 && f.lo === 0) return neg ? -0 : 0;
  const e = exp - 16383;
  if (j === 1 && e >= -1022 && e <= 1023 && (f.lo & 0x7ff) === 0) {
    return doubleFromBits(sign | ((e + 1023) << 20) | ((f.hi >>> 11) & 0xfffff), ((f.hi << 21) | (f.lo >>> 11)) >>> 0);
  }
  decomposeF80(f, ex);
  return roundedValue(roundFloat(ex.neg, ex.mant, ex.exp, false, 0, DOUBLE, rounded));
}

/** A finite m80 (normal, denormal or pseudo-denormal) as an exact value. */
export function decomposeF80(f: F80, out: Exact): Exact {
  out.neg = (f.se & 0x8000) !== 0;
  out.mant = (BigInt(f.hi >>> 0) << 32n) | BigInt(f.lo >>> 0);
  out.exp = Math.max(f.se & 0x7fff, 1) - 16383 - 63;
  return out;
}

/** binary64 → m80, always exact. */
export function doubleToF80(x: number, out: F80): F80 {
  const hi = doubleHi(x);
  const lo = doubleLo(x);
  const sign = (hi >>> 16) & 0x8000;
  const field = (hi >>> 20) & 0x7ff;
  if (field === 0) {
    if (((hi & 0xfffff) | lo) === 0) { out.se = sign; out.hi = 0; out.lo = 0; return out; }
    decompose(Math.abs(x), ex);
    return integerToF80(sign !== 0, ex.mant, ex.exp, out);
  }
  out.se = sign | (field === 0x7ff ? 0x7fff : field - 1023 + 16383);
  out.hi = (0x80000000 | ((hi & 0xfffff) << 11) | (lo >>> 21)) >>> 0;
  out.lo = (lo << 11) >>> 0;
  return out;
}

/** (-1)^neg × q × 2^exp → m80, for q < 2^64 and a result in the normal range. */
export function integerToF80(neg: boolean, q: bigint, exp: number, out: F80): F80 {
  if (q === 0n) { out.se = neg ? 0x8000 : 0; out.hi = 0; out.lo = 0; return out; }
  const len = bitLength(q);
  const m = q << BigInt(64 - len);
  out.se = (neg ? 0x8000 : 0) | (exp + len - 1 + 16383);
  out.hi = Number(m >> 32n);
  out.lo = Number(m & 0xffffffffn);
  return out;
}

/** Do the m80 images match bit for bit? */
export function sameF80(a: F80, b: F80): boolean {
  return a.se === b.se && a.hi === b.hi && a.lo === b.lo;
}

/**
 * Rounds a register value for FST m32/m64 (SDM Vol. 2 FST): `x`, or the m80
 * image `f` when the register has one. Returns the rounded value as a
 * binary64 (a NaN result keeps its payload; an SNaN raises IE and is
 * quieted). out.flags: IE, OE, PE, FE_TINY, FE_ROUNDED_UP.
 */
export function roundForStore(x: number, f: F80 | null, rc: number, fmt: Format, out: OpResult): number {
  out.flags = 0;
  if (f !== null) {
    const cls = classifyF80(f);
    if (cls === CLASS_UNSUPPORTED) { out.flags = FE_INVALID; return REAL_INDEFINITE; }
    if (cls === CLASS_NORMAL || cls === CLASS_DENORMAL) {
      decomposeF80(f, ex);
      roundFloat(ex.neg, ex.mant, ex.exp, false, rc, fmt, rounded);
      out.flags = rounded.flags;
      return roundedValue(rounded);
    }
    x = f80ToDouble(f);
  }
  if (x !== x) {
    if (isSignaling(x)) { out.flags = FE_INVALID; return quieted(x); }
    return x;
  }
  if (fmt === DOUBLE || Math.fround(x) === x) return x;
  decompose(x, ex);
  roundFloat(ex.neg, ex.mant, ex.exp, false, rc, fmt, rounded);
  out.flags = rounded.flags;
  return roundedValue(rounded);
}

/** The m32 bit pattern of a binary64 that binary32 holds exactly (or a NaN). */
export function singleBits(v: number): number {
  if (v !== v) {
    const hi = doubleHi(v);
    return ((hi & 0x80000000) | 0x7f800000 | ((hi & 0xfffff) << 3) | (doubleLo(v) >>> 29)) >>> 0;
  }
  scratch.setFloat32(0, v, true);
  return scratch.getUint32(0, true);
}

/** An integer store's result: two dwords (hi sign-extends 16/32-bit results). */
export class IntResult {
  lo = 0;
  hi = 0;
  flags = 0;
}

const intResult = new OpResult();

/**
 * Rounds for FIST/FISTP m16/m32/m64 (SDM Vol. 2 FIST): NaN, ∞ or a value out
 * of range raises IE and gives the integer indefinite 100…0b (Vol. 1 §8.2.1).
 */
export function roundForInteger(x: number, f: F80 | null, rc: number, width: number, out: IntResult): void {
  out.flags = 0;
  const cls = f !== null ? classifyF80(f) : classifyDouble(x);
  if (cls === CLASS_NAN || cls === CLASS_INFINITY || cls === CLASS_UNSUPPORTED) { indefinite(width, out); return; }
  if (f === null && Math.abs(x) < 2 ** 52) {
    fpuRoundIntegral(x, rc, intResult);
    const v = intResult.value;
    if (v < -(2 ** (width - 1)) || v > 2 ** (width - 1) - 1) { indefinite(width, out); return; }
    const hi = Math.floor(v / 2 ** 32);
    out.flags = intResult.flags;
    out.hi = hi | 0;
    out.lo = (v - hi * 2 ** 32) | 0;
    return;
  }
  if (f !== null) decomposeF80(f, ex); else decompose(x, ex);
  roundInteger(ex.neg, ex.mant, ex.exp, rc, rounded);
  const neg = ex.neg;
  const q = rounded.q;
  const limit = 1n << BigInt(width - 1);
  if (neg ? q > limit : q >= limit) { indefinite(width, out); return; }
  out.flags = rounded.flags;
  const v = BigInt.asUintN(64, neg ? -q : q);
  out.lo = Number(v & 0xffffffffn) | 0;
  out.hi = Number(v >> 32n) | 0;
}

function indefinite(width: number, out: IntResult): void {
  out.flags = FE_INVALID;
  out.lo = width === 16 ? -0x8000 : width === 32 ? -0x80000000 : 0;
  out.hi = width === 64 ? -0x80000000 : -1;
}

/**
 * FILD m64 / FBLD: a signed integer → the nearest binary64 in out.value; when
 * that is not exact, the exact m80 image goes to `f` and true is returned.
 */
export function integerToRegister(neg: boolean, q: bigint, f: F80, out: OpResult): boolean {
  out.flags = 0;
  const n = Number(q);
  out.value = neg ? -n : n;
  if (q <= 2n ** 53n) return false;
  integerToF80(neg, q, 0, f);
  return true;
}

/** Reads 18 packed BCD digits (SDM Vol. 1 §4.7): magnitude and sign. */
export function bcdToInteger(bytes: Uint8Array): bigint {
  let q = 0n;
  for (let i = 8; i >= 0; i--) {
    const b = bytes[i]!;
    q = q * 100n + BigInt((b >> 4) * 10 + (b & 15));
  }
  return q;
}

/**
 * FBSTP (SDM Vol. 2 FBSTP Table 3-19): rounds under rc and writes 10 bytes;
 * NaN, ∞, unsupported or |value| ≥ 10^18 raise IE and give the packed BCD
 * indefinite FFFF C000 0000 0000 0000h. Returns the flags.
 */
export function roundForBcd(x: number, f: F80 | null, rc: number, bytes: Uint8Array): number {
  const cls = f !== null ? classifyF80(f) : classifyDouble(x);
  let q = 0n;
  let flags = 0;
  let neg = f !== null ? (f.se & 0x8000) !== 0 : signOf(x);
  if (cls === CLASS_NORMAL || cls === CLASS_DENORMAL) {
    if (f !== null) decomposeF80(f, ex); else decompose(x, ex);
    roundInteger(ex.neg, ex.mant, ex.exp, rc, rounded);
    q = rounded.q;
    flags = rounded.flags;
    neg = ex.neg;
  }
  if (cls === CLASS_NAN || cls === CLASS_INFINITY || cls === CLASS_UNSUPPORTED || q >= 10n ** 18n) {
    bytes.fill(0);
    bytes[9] = 0xff; bytes[8] = 0xff; bytes[7] = 0xc0;
    return FE_INVALID;
  }
  for (let i = 0; i < 9; i++) {
    const lowDigit = Number(q % 10n); q /= 10n;
    const highDigit = Number(q % 10n); q /= 10n;
    bytes[i] = (highDigit << 4) | lowDigit;
  }
  bytes[9] = neg ? 0x80 : 0;
  return flags;
}
