/**
 * Exact binary numbers and IEEE rounding for the x87 emulation's slow paths
 * (Intel SDM Vol. 1 §4.8 "Real Numbers and Floating-Point Formats", §4.8.4
 * "Rounding", §4.9.1 exception conditions).
 *
 * The x87 computes with a 64-bit significand and rounds under the RC field
 * of the control word; JavaScript arithmetic only ever rounds binary64 to
 * nearest-even. Every result whose rounding cannot be decided by a cheap
 * error-free transformation (see fpu-arith.ts) comes here as an exact value
 *
 *     (-1)^neg × mant × 2^exp        mant: bigint ≥ 0, exp: integer
 *
 * plus a sticky bit ("the true value is a little above mant × 2^exp"), and is
 * rounded to a target format (binary32, binary64, or an integer) under RC.
 *
 *   RC  00 nearest-even   01 down (−∞)   10 up (+∞)   11 chop (toward 0)
 *
 * Results are written into caller-owned scratch objects; nothing here keeps
 * state between calls except the module's 8-byte scratch buffer.
 */

export const RC_NEAREST = 0;
export const RC_DOWN = 1;
export const RC_UP = 2;
export const RC_CHOP = 3;

/* Exception flags, at their status-word positions (SDM Vol. 1 Fig. 8-4). */
export const FE_INVALID = 0x01;
export const FE_DENORMAL = 0x02;
export const FE_ZERODIV = 0x04;
export const FE_OVERFLOW = 0x08;
export const FE_UNDERFLOW = 0x10;
export const FE_PRECISION = 0x20;
/** Pseudo-flag: the result is tiny (below the format's normal range). */
export const FE_TINY = 0x10000;
/** Pseudo-flag at C1's position (bit 9): the rounded magnitude went up. */
export const FE_ROUNDED_UP = 0x200;

const bits = new DataView(new ArrayBuffer(8));

/** High dword (sign, exponent, fraction 51..32) of a binary64. */
export function doubleHi(x: number): number {
  bits.setFloat64(0, x, true);
  return bits.getUint32(4, true);
}

/** Low dword (fraction 31..0) of a binary64. */
export function doubleLo(x: number): number {
  bits.setFloat64(0, x, true);
  return bits.getUint32(0, true);
}

export function doubleFromBits(hi: number, lo: number): number {
  bits.setUint32(0, lo >>> 0, true);
  bits.setUint32(4, hi >>> 0, true);
  return bits.getFloat64(0, true);
}

/** The sign bit, including that of −0 and of NaNs. */
export function signOf(x: number): boolean {
  return doubleHi(x) >>> 31 === 1;
}

/** A NaN whose quiet bit (fraction bit 51) is clear. */
export function isSignaling(x: number): boolean {
  return x !== x && (doubleHi(x) & 0x00080000) === 0;
}

/** The NaN with its quiet bit set and payload and sign kept. */
export function quieted(x: number): number {
  bits.setFloat64(0, x, true);
  bits.setUint32(4, bits.getUint32(4, true) | 0x00080000, true);
  return bits.getFloat64(0, true);
}

/** x with its sign bit replaced (works on NaNs, unlike arithmetic). */
export function withSign(x: number, negative: boolean): number {
  bits.setFloat64(0, x, true);
  const hi = bits.getUint32(4, true);
  bits.setUint32(4, negative ? hi | 0x80000000 : hi & 0x7fffffff, true);
  return bits.getFloat64(0, true);
}

/** The x87 "real indefinite" QNaN (SDM Vol. 1 Table 4-3) as a binary64. */
export const REAL_INDEFINITE = doubleFromBits(0xfff80000, 0);

/** 2^n exactly, for −1074 ≤ n ≤ 1023. */
export function pow2(n: number): number {
  if (n >= -1022) return doubleFromBits((n + 1023) << 20, 0);
  const k = n + 1074; // fraction bit index, 0..51
  return k >= 32 ? doubleFromBits(1 << (k - 32), 0) : doubleFromBits(0, 2 ** k);
}

/** The next binary64 toward +∞ (x finite or −∞). */
export function nextUp(x: number): number {
  if (x === 0) return pow2(-1074);
  bits.setFloat64(0, x, true);
  let lo = bits.getUint32(0, true);
  let hi = bits.getUint32(4, true);
  if (x > 0) { lo = (lo + 1) >>> 0; if (lo === 0) hi += 1; } // magnitude up
  else { if (lo === 0) hi -= 1; lo = (lo - 1) >>> 0; } // magnitude down
  return doubleFromBits(hi, lo);
}

export function nextDown(x: number): number {
  return -nextUp(-x);
}

/** Number of significant bits in n ≥ 0 (0 for 0). */
export function bitLength(n: bigint): number {
  if (n === 0n) return 0;
  const s = n.toString(16);
  return (s.length - 1) * 4 + (32 - Math.clz32(parseInt(s[0]!, 16)));
}

/** floor(sqrt(n)) for n ≥ 0. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** A finite value as (-1)^neg × mant × 2^exp. */
export class Exact {
  neg = false;
  mant = 0n;
  exp = 0;
}

/** Decomposes a finite binary64 exactly. */
export function decompose(x: number, out: Exact): Exact {
  bits.setFloat64(0, x, true);
  const hi = bits.getUint32(4, true);
  const lo = bits.getUint32(0, true);
  const field = (hi >>> 20) & 0x7ff;
  const frac = (hi & 0xfffff) * 0x100000000 + lo;
  out.neg = hi >>> 31 === 1;
  out.mant = BigInt(field === 0 ? frac : frac + 2 ** 52);
  out.exp = field === 0 ? -1074 : field - 1075;
  return out;
}

/** A binary floating-point format's parameters (SDM Vol. 1 Table 4-3). */
export interface Format {
  readonly precision: number;
  readonly emin: number;
  readonly emax: number;
}
export const SINGLE: Format = { precision: 24, emin: -126, emax: 127 };
export const DOUBLE: Format = { precision: 53, emin: -1022, emax: 1023 };

/** A rounded value q × 2^exp (q < 2^precision unless infinite), and how it got there. */
export class Rounded {
  neg = false;
  q = 0n;
  exp = 0;
  infinite = false;
  /** FE_PRECISION | FE_OVERFLOW | FE_TINY | FE_ROUNDED_UP, as they apply. */
  flags = 0;
}

/** Should a truncated magnitude be incremented? (SDM Vol. 1 Table 4-8). */
function roundsAway(rc: number, neg: boolean, odd: boolean, half: boolean, rest: boolean): boolean {
  switch (rc) {
    case RC_NEAREST: return half && (rest || odd);
    case RC_DOWN: return neg && (half || rest);
    case RC_UP: return !neg && (half || rest);
    default: return false;
  }
}

/** After-rounding tininess: does the value, rounded to full precision with an unbounded exponent, reach emin? */
function roundsUpToNormal(neg: boolean, mant: bigint, len: number, sticky: boolean, rc: number, fmt: Format, top: number): boolean {
  if (top !== fmt.emin - 1) return false;
  const shift = len - fmt.precision;
  if (shift <= 0) return false;
  const s = BigInt(shift);
  const q = mant >> s;
  const rem = mant - (q << s);
  const halfBit = 1n << (s - 1n);
  const half = rem >= halfBit;
  const rest = sticky || (rem & (halfBit - 1n)) !== 0n;
  if (!(half || rest) || !roundsAway(rc, neg, (q & 1n) === 1n, half, rest)) return false;
  return bitLength(q + 1n) > fmt.precision;
}

/**
 * Rounds (-1)^neg × (mant + sticky·ε) × 2^exp into `fmt` under `rc`.
 * Tininess is detected after rounding, as x86 processors do (and QEMU): a
 * result that rounds up to the smallest normal is not tiny. Overflow gives
 * ±∞ or the largest finite number as RC directs (SDM Vol. 1 §4.9.1.4,
 * Table 4-10).
 */
export function roundFloat(neg: boolean, mant: bigint, exp: number, sticky: boolean,
  rc: number, fmt: Format, out: Rounded): Rounded {
  out.neg = neg;
  out.infinite = false;
  out.flags = 0;
  const len = bitLength(mant);
  if (len === 0) { out.q = 0n; out.exp = 0; return out; }
  const top = exp + len - 1; // exponent of the leading bit
  const keep = top >= fmt.emin ? fmt.precision : fmt.precision - (fmt.emin - top);
  if (top < fmt.emin && !roundsUpToNormal(neg, mant, len, sticky, rc, fmt, top)) out.flags |= FE_TINY;
  const shift = len - keep;
  let q: bigint;
  let half = false;
  let rest = sticky;
  if (shift <= 0) {
    q = mant << BigInt(-shift);
  } else {
    const s = BigInt(shift);
    q = mant >> s;
    const rem = mant - (q << s);
    const halfBit = 1n << (s - 1n);
    half = rem >= halfBit;
    rest = sticky || (rem & (halfBit - 1n)) !== 0n;
  }
  if (half || rest) {
    out.flags |= FE_PRECISION;
    if (roundsAway(rc, neg, (q & 1n) === 1n, half, rest)) { q += 1n; out.flags |= FE_ROUNDED_UP; }
  }
  out.exp = exp + shift;
  // Normalise a carry out of the top (q = 2^precision).
  if (bitLength(q) > fmt.precision) { q >>= 1n; out.exp += 1; }
  out.q = q;
  if (q !== 0n && out.exp + bitLength(q) - 1 > fmt.emax) {
    out.flags |= FE_OVERFLOW | FE_PRECISION;
    const toInfinity = rc === RC_NEAREST || (rc === RC_UP && !neg) || (rc === RC_DOWN && neg);
    out.infinite = toInfinity;
    out.flags = toInfinity ? out.flags | FE_ROUNDED_UP : out.flags & ~FE_ROUNDED_UP;
    out.q = (1n << BigInt(fmt.precision)) - 1n;
    out.exp = fmt.emax - fmt.precision + 1;
  }
  return out;
}

/** The binary64 value of a rounded result (binary32 results are binary64-exact too). */
export function roundedValue(r: Rounded): number {
  if (r.infinite) return r.neg ? -Infinity : Infinity;
  const v = r.q === 0n ? 0 : Number(r.q) * pow2(r.exp);
  return r.neg ? -v : v;
}

/**
 * Rounds (-1)^neg × mant × 2^exp to an integer under `rc` (FRNDINT, FIST,
 * FBSTP). The result is q with exp = 0; flags PE and ROUNDED_UP as they apply.
 */
export function roundInteger(neg: boolean, mant: bigint, exp: number, rc: number, out: Rounded): Rounded {
  out.neg = neg;
  out.infinite = false;
  out.flags = 0;
  out.exp = 0;
  if (exp >= 0) { out.q = mant << BigInt(exp); return out; }
  const s = BigInt(-exp);
  let q = mant >> s;
  const rem = mant - (q << s);
  if (rem !== 0n) {
    const halfBit = 1n << (s - 1n);
    out.flags |= FE_PRECISION;
    if (roundsAway(rc, neg, (q & 1n) === 1n, rem >= halfBit, (rem & (halfBit - 1n)) !== 0n)) {
      q += 1n;
      out.flags |= FE_ROUNDED_UP;
    }
  }
  out.q = q;
  return out;
}
