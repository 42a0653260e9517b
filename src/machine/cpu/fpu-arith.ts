/**
 * x87 basic arithmetic on binary64 register values: add, subtract, multiply,
 * divide, square root, round-to-integral (Intel SDM Vol. 2 FADD, FSUB, FMUL,
 * FDIV, FSQRT, FRNDINT; Vol. 1 §4.9 and §8.5 for the exceptions).
 *
 * Each operation writes its value and exception flags into an `OpResult`.
 * Flags use status-word positions (fpu-round.ts), plus FE_TINY (the caller
 * turns it into UE according to the UM mask, SDM Vol. 1 §4.9.1.5) and
 * FE_ROUNDED_UP (becomes C1).
 *
 * Fast path. JavaScript gives the nearest-even binary64 result r. When the
 * operands and r are comfortably inside the normal range, an error-free
 * transformation finds the sign of the rounding error (exact − r):
 *   add   Knuth's TwoSum                 err = (a − (r − b')) + (b − b')
 *   mul   Dekker's TwoProduct            a·b = r + err exactly
 *   div   residual a − r·b via TwoProduct   sign(err) = sign(res)·sign(b)
 *   sqrt  residual a − r·r via TwoProduct
 * which decides PE, C1, and the directed roundings (step r by one ulp).
 * Slow path. Everything else (tiny or huge values, overflow, underflow) is
 * computed exactly with bigints and rounded by `roundFloat`. Tests check that
 * both paths agree.
 *
 * NaN operands follow SDM Vol. 1 Table 4-7 (x87 column): an SNaN raises IE
 * and is quieted; of two NaNs the QNaN wins over the SNaN, otherwise the one
 * with the larger significand. An invalid operation gives real indefinite.
 */
import {
  DOUBLE, Exact, FE_INVALID, FE_PRECISION, FE_ROUNDED_UP, FE_ZERODIV, REAL_INDEFINITE,
  RC_CHOP, RC_DOWN, RC_NEAREST, RC_UP, Rounded, bitLength, decompose, doubleHi, doubleLo,
  isSignaling, isqrt, nextDown, nextUp, quieted, roundFloat, roundedValue, signOf,
} from "./fpu-round.js";

/** An operation's value and flags (reused; one per Fpu). */
export class OpResult {
  value = 0;
  flags = 0;
}

const LOW = 2 ** -900;
const HIGH = 2 ** 900;
const SPLIT = 134217729; // 2^27 + 1, Dekker's splitter

const ea = new Exact();
const eb = new Exact();
const rounded = new Rounded();

function comfortable(x: number): boolean {
  const m = Math.abs(x);
  return m >= LOW && m <= HIGH;
}

/** The low part of a·b − p (exact when all three are comfortable). */
function productError(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/** Finishes a fast-path result r whose exact value is r + err (only err's sign matters). */
function finish(r: number, err: number, rc: number, out: OpResult): void {
  if (err === 0) { out.value = r; out.flags = 0; return; }
  let v = r;
  if (rc === RC_DOWN) { if (err < 0) v = nextDown(r); }
  else if (rc === RC_UP) { if (err > 0) v = nextUp(r); }
  else if (rc === RC_CHOP) { if (r > 0 && err < 0) v = nextDown(r); else if (r < 0 && err > 0) v = nextUp(r); }
  // v on the same side of the exact value as r iff v === r.
  const above = v === r ? err < 0 : err > 0;
  out.value = v;
  out.flags = FE_PRECISION | ((v > 0) === above ? FE_ROUNDED_UP : 0);
}

function slow(neg: boolean, mant: bigint, exp: number, sticky: boolean, rc: number, out: OpResult): void {
  roundFloat(neg, mant, exp, sticky, rc, DOUBLE, rounded);
  out.value = roundedValue(rounded);
  out.flags = rounded.flags;
}

function invalid(out: OpResult): void {
  out.value = REAL_INDEFINITE;
  out.flags = FE_INVALID;
}

/** NaN propagation for one or two operands (at least one is a NaN). */
export function propagateNaN(a: number, b: number, out: OpResult): void {
  const sa = isSignaling(a);
  const sb = isSignaling(b);
  out.flags = sa || sb ? FE_INVALID : 0;
  let pick: number;
  if (a !== a && b !== b) {
    if (sa !== sb) pick = sa ? b : a;
    else {
      const ha = doubleHi(a) & 0xfffff, hb = doubleHi(b) & 0xfffff;
      const bigger = ha !== hb ? ha > hb : doubleLo(a) >= doubleLo(b);
      pick = bigger ? a : b;
    }
  } else {
    pick = a !== a ? a : b;
  }
  out.value = isSignaling(pick) ? quieted(pick) : pick;
}

/** a + b (SDM Vol. 2 FADD). */
export function fpuAdd(a: number, b: number, rc: number, out: OpResult): void {
  if (a !== a || b !== b) { propagateNaN(a, b, out); return; }
  const r = a + b;
  if (r !== r) { invalid(out); return; } // ∞ + −∞
  if (r === 0) {
    // An exact zero sum: x + (−x) is +0, or −0 when rounding down (IEEE 754 §6.3).
    const same = a === 0 && b === 0 && signOf(a) === signOf(b);
    out.value = same ? a : rc === RC_DOWN ? -0 : 0;
    out.flags = 0;
    return;
  }
  if (a === Infinity || a === -Infinity || b === Infinity || b === -Infinity) { out.value = r; out.flags = 0; return; }
  const m = Math.abs(r);
  if (m >= 2 ** -1021 && m <= 2 ** 1022) {
    const bv = r - a;
    finish(r, (a - (r - bv)) + (b - bv), rc, out);
    return;
  }
  decompose(a, ea);
  decompose(b, eb);
  const e = Math.min(ea.exp, eb.exp);
  const ma = (ea.neg ? -ea.mant : ea.mant) << BigInt(ea.exp - e);
  const mb = (eb.neg ? -eb.mant : eb.mant) << BigInt(eb.exp - e);
  const sum = ma + mb;
  slow(sum < 0n, sum < 0n ? -sum : sum, e, false, rc, out);
}

/** a − b (SDM Vol. 2 FSUB). */
export function fpuSub(a: number, b: number, rc: number, out: OpResult): void {
  if (a !== a || b !== b) { propagateNaN(a, b, out); return; }
  fpuAdd(a, -b, rc, out);
}

/** a × b (SDM Vol. 2 FMUL). */
export function fpuMul(a: number, b: number, rc: number, out: OpResult): void {
  if (a !== a || b !== b) { propagateNaN(a, b, out); return; }
  const r = a * b;
  if (r !== r) { invalid(out); return; } // 0 × ∞
  if (a === 0 || b === 0 || !Number.isFinite(a) || !Number.isFinite(b)) { out.value = r; out.flags = 0; return; }
  if (comfortable(a) && comfortable(b) && comfortable(r)) {
    finish(r, productError(a, b, r), rc, out);
    return;
  }
  decompose(a, ea);
  decompose(b, eb);
  slow(ea.neg !== eb.neg, ea.mant * eb.mant, ea.exp + eb.exp, false, rc, out);
}

/** a ÷ b (SDM Vol. 2 FDIV): ZE for finite ÷ 0, IE for 0/0 and ∞/∞. */
export function fpuDiv(a: number, b: number, rc: number, out: OpResult): void {
  if (a !== a || b !== b) { propagateNaN(a, b, out); return; }
  const r = a / b;
  if (r !== r) { invalid(out); return; }
  if (b === 0) { out.value = r; out.flags = Number.isFinite(a) ? FE_ZERODIV : 0; return; }
  if (a === 0 || !Number.isFinite(a) || !Number.isFinite(b)) { out.value = r; out.flags = 0; return; }
  if (comfortable(a) && comfortable(b) && comfortable(r)) {
    const p = r * b;
    const residual = (a - p) - productError(r, b, p);
    finish(r, b > 0 ? residual : -residual, rc, out);
    return;
  }
  decompose(a, ea);
  decompose(b, eb);
  const shift = Math.max(0, 56 + bitLength(eb.mant) - bitLength(ea.mant));
  const num = ea.mant << BigInt(shift);
  const q = num / eb.mant;
  slow(ea.neg !== eb.neg, q, ea.exp - eb.exp - shift, q * eb.mant !== num, rc, out);
}

/** √a (SDM Vol. 2 FSQRT): IE for a < 0 (but √−0 = −0). */
export function fpuSqrt(a: number, rc: number, out: OpResult): void {
  if (a !== a) { propagateNaN(a, a, out); return; }
  if (a < 0) { invalid(out); return; }
  const r = Math.sqrt(a);
  if (a === 0 || a === Infinity) { out.value = a; out.flags = 0; return; }
  if (comfortable(a)) {
    const p = r * r;
    finish(r, (a - p) - productError(r, r, p), rc, out);
    return;
  }
  decompose(a, ea);
  let shift = Math.max(0, 112 - bitLength(ea.mant));
  if (((ea.exp - shift) & 1) !== 0) shift += 1;
  const n = ea.mant << BigInt(shift);
  const root = isqrt(n);
  slow(false, root, (ea.exp - shift) / 2, root * root !== n, rc, out);
}

/**
 * Rounds to an integral value under rc (SDM Vol. 2 FRNDINT); the sign of a
 * zero result follows the operand. PE when the value changed.
 */
export function fpuRoundIntegral(a: number, rc: number, out: OpResult): void {
  if (a !== a) { propagateNaN(a, a, out); return; }
  if (!(Math.abs(a) < 2 ** 52)) { out.value = a; out.flags = 0; return; }
  let v: number;
  switch (rc) {
    case RC_NEAREST: {
      const t = Math.trunc(a);
      const frac = Math.abs(a - t);
      v = frac > 0.5 || (frac === 0.5 && t % 2 !== 0) ? t + Math.sign(a) : t;
      break;
    }
    case RC_DOWN: v = Math.floor(a); break;
    case RC_UP: v = Math.ceil(a); break;
    default: v = Math.trunc(a);
  }
  if (v === 0) v = signOf(a) ? -0 : 0;
  out.value = v;
  out.flags = v === a ? 0 : FE_PRECISION | (Math.abs(v) > Math.abs(a) ? FE_ROUNDED_UP : 0);
}

/* Comparison results (C3 C2 C0 of SDM Vol. 2 FCOM Table 3-21, ZF PF CF of FCOMI). */
export const CMP_GREATER = 0;
export const CMP_LESS = 1;
export const CMP_EQUAL = 2;
export const CMP_UNORDERED = 3;

/**
 * Compares a with b; `out.flags` gets IE for any NaN when `ordered` (FCOM,
 * FCOMI, FICOM, FTST) or only for SNaNs otherwise (FUCOM, FUCOMI).
 */
export function fpuCompare(a: number, b: number, ordered: boolean, out: OpResult): number {
  if (a !== a || b !== b) {
    out.flags = ordered || isSignaling(a) || isSignaling(b) ? FE_INVALID : 0;
    return CMP_UNORDERED;
  }
  out.flags = 0;
  return a > b ? CMP_GREATER : a < b ? CMP_LESS : CMP_EQUAL;
}
