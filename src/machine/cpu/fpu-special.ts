/**
 * The x87's non-basic operations on the register stack: FXAM, constants,
 * FSCALE, FXTRACT, FPREM/FPREM1 and the transcendental instructions (Intel
 * SDM Vol. 2 pages of each; Vol. 1 §8.3.7–8.3.10).
 *
 * FPREM and FPREM1 are exact (bigint division) and always complete the
 * reduction in one step (C2 = 0), with quotient bits Q2 Q1 Q0 in C0 C3 C1;
 * real hardware stops after reducing the exponent difference by up to 63 and
 * sets C2, so software loops — one pass suffices here.
 * F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN, FCOS and FSINCOS use the host's
 * Math functions: results can differ from Intel's in the last bits, C1 is
 * always 0, and PE is set for every result that is not trivially exact.
 * FSIN/FCOS/FSINCOS/FPTAN leave |x| ≥ 2^63 alone and set C2, as Intel does.
 */
import {
  DOUBLE, Exact, FE_INVALID, FE_OVERFLOW, FE_PRECISION, FE_ZERODIV, REAL_INDEFINITE, RC_CHOP, RC_DOWN,
  RC_NEAREST, Rounded, bitLength, decompose, roundInteger, isSignaling, pow2, quieted, roundFloat, roundedValue, signOf,
} from "./fpu-round.js";
import { F80, CLASS_EMPTY, decomposeF80, doubleToF80, integerToF80, sameF80 } from "./fpu-convert.js";
import { fpuRoundIntegral, fpuSqrt, propagateNaN } from "./fpu-arith.js";
import { FpuState, SW_C0, SW_C1, SW_C2, SW_C3 } from "./fpu-state.js";
import { Op } from "./fpu-opcodes.js";

const ex = new Exact();
const ey = new Exact();
const rounded = new Rounded();
const image = new F80();

/** FXAM (SDM Vol. 2 FXAM Table 3-47): class in C3 C2 C0, sign in C1. */
export function examine(s: FpuState): void {
  const cls = s.isEmpty(0) ? CLASS_EMPTY : s.classOf(0);
  const exact = s.exactOf(0);
  const negative = exact !== null ? (exact.se & 0x8000) !== 0 : signOf(s.get(0));
  s.setConditions((cls & 4 ? SW_C3 : 0) | (cls & 2 ? SW_C2 : 0) | (cls & 1 ? SW_C0 : 0) | (negative ? SW_C1 : 0));
}

/**
 * The irrational constants' 64-bit significands rounded down and up (SDM
 * Vol. 2 FLD1/FLDL2T/...: the result follows RC), exponent word first.
 */
const IRRATIONAL: Readonly<Record<number, readonly number[]>> = {
  [Op.LDL2T]: [0x4000, 0xd49a784b, 0xcd1b8afe, 0xd49a784b, 0xcd1b8aff],
  [Op.LDL2E]: [0x3fff, 0xb8aa3b29, 0x5c17f0bb, 0xb8aa3b29, 0x5c17f0bc],
  [Op.LDPI]: [0x4000, 0xc90fdaa2, 0x2168c234, 0xc90fdaa2, 0x2168c235],
  [Op.LDLG2]: [0x3ffd, 0x9a209a84, 0xfbcff798, 0x9a209a84, 0xfbcff799],
  [Op.LDLN2]: [0x3ffe, 0xb17217f7, 0xd1cf79ab, 0xb17217f7, 0xd1cf79ac],
};
/** Which of down/up is nearest (the true value's 65th bit onward). */
const NEAREST_IS_UP: Readonly<Record<number, boolean>> = {
  [Op.LDL2T]: false, [Op.LDL2E]: true, [Op.LDPI]: true, [Op.LDLG2]: true, [Op.LDLN2]: true,
};

/** The constant for `op` under `rc`: value, with its m80 image in `out`. */
export function constantValue(op: number, rc: number, out: F80): number {
  if (op === Op.LD1 || op === Op.LDZ) {
    const v = op === Op.LD1 ? 1 : 0;
    doubleToF80(v, out);
    return v;
  }
  const c = IRRATIONAL[op]!;
  const up = rc === RC_NEAREST ? NEAREST_IS_UP[op]! : !(rc === RC_DOWN || rc === RC_CHOP);
  out.se = c[0]!;
  out.hi = up ? c[3]! : c[1]!;
  out.lo = up ? c[4]! : c[2]!;
  decomposeF80(out, ex);
  return roundedValue(roundFloat(false, ex.mant, ex.exp, false, rc, DOUBLE, rounded));
}

/** FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ. */
export function loadConstant(s: FpuState, op: number): void {
  if (!s.reservePush()) return;
  const v = constantValue(op, s.rc(), image);
  s.push(v);
  if (!sameF80(doubleToF80(v, s.image), image)) s.setExact(0, v, image);
}

/** ST(0) := ST(0) × 2^trunc(ST(1)) (SDM Vol. 2 FSCALE Table 3-45). */
export function scale(s: FpuState): void {
  if (s.isEmpty(0) || s.isEmpty(1)) { s.underflowTo(0); return; }
  const a = s.get(0);
  const b = s.get(1);
  const r = s.result;
  r.flags = 0;
  if (a !== a || b !== b) propagateNaN(a, b, r);
  else if (b === Infinity || b === -Infinity) {
    const grow = b > 0;
    if ((grow && a === 0) || (!grow && !Number.isFinite(a))) { r.value = REAL_INDEFINITE; r.flags = FE_INVALID; }
    else if (a === 0 || !Number.isFinite(a)) r.value = a;
    else r.value = grow ? (a > 0 ? Infinity : -Infinity) : (a > 0 ? 0 : -0);
  } else if (a === 0 || !Number.isFinite(a)) r.value = a;
  else {
    const n = Math.max(-4200, Math.min(4200, Math.trunc(b)));
    const quick = n >= -1022 && n <= 1023 ? a * pow2(n) : 0;
    if (Math.abs(quick) >= 2 ** -1022 && Number.isFinite(quick)) r.value = quick;
    else {
      decompose(a, ex);
      roundFloat(ex.neg, ex.mant, ex.exp + n, false, s.rc(), DOUBLE, rounded);
      r.value = roundedValue(rounded);
      r.flags = rounded.flags;
    }
  }
  if (s.signal(r.flags)) s.set(0, r.value);
}

/** FXTRACT (SDM Vol. 2): ST(0) := exponent, then push the significand. */
export function extract(s: FpuState): void {
  if (s.isEmpty(0)) {
    if (s.underflowTo(0) && s.reservePush()) s.push(REAL_INDEFINITE);
    return;
  }
  if (!s.isEmpty(7)) {
    if (s.stackFault(true)) { s.set(0, REAL_INDEFINITE); s.push(REAL_INDEFINITE); }
    return;
  }
  const a = s.get(0);
  let exponent: number;
  let significand: number;
  let flags = 0;
  if (a !== a) {
    flags = isSignaling(a) ? FE_INVALID : 0;
    exponent = significand = isSignaling(a) ? quieted(a) : a;
  } else if (a === 0) {
    flags = FE_ZERODIV;
    exponent = -Infinity;
    significand = a;
  } else if (!Number.isFinite(a)) {
    exponent = Infinity;
    significand = a;
  } else {
    decompose(a, ex);
    const top = ex.exp + bitLength(ex.mant) - 1;
    exponent = top;
    significand = a * pow2(-Math.max(top, -1000)) * pow2(-Math.min(top + 1000, 0));
  }
  if (!s.signal(flags)) return;
  s.set(0, exponent);
  s.push(significand);
}

/** FPREM (truncating quotient) and FPREM1 (IEEE remainder, nearest-even quotient). */
export function partialRemainder(s: FpuState, ieee: boolean): void {
  if (s.isEmpty(0) || s.isEmpty(1)) { s.underflowTo(0); return; }
  const a = s.get(0);
  const b = s.get(1);
  const r = s.result;
  let q = 0n;
  r.flags = 0;
  if (a !== a || b !== b) propagateNaN(a, b, r);
  else if (!Number.isFinite(a) || b === 0) { r.value = REAL_INDEFINITE; r.flags = FE_INVALID; }
  else if (a === 0 || !Number.isFinite(b)) r.value = a;
  else {
    decompose(a, ex);
    decompose(b, ey);
    const e = Math.min(ex.exp, ey.exp);
    const na = ex.mant << BigInt(ex.exp - e);
    const nb = ey.mant << BigInt(ey.exp - e);
    q = na / nb;
    let rem = na - q * nb;
    let neg = ex.neg;
    if (ieee && (2n * rem > nb || (2n * rem === nb && (q & 1n) === 1n))) {
      q += 1n;
      rem = nb - rem;
      neg = !neg;
    }
    const v = rem === 0n ? 0 : roundedValue(roundFloat(false, rem, e, false, RC_NEAREST, DOUBLE, rounded));
    r.value = rem === 0n ? (ex.neg ? -0 : 0) : neg ? -v : v;
  }
  if (!s.signal(r.flags)) return;
  s.set(0, r.value);
  s.setConditions((q & 4n ? SW_C0 : 0) | (q & 2n ? SW_C3 : 0) | (q & 1n ? SW_C1 : 0));
}

/** Flags of a Math-based result: IE for a NaN, OE for ∞ from finite inputs, else PE unless exact. */
function hostFlags(v: number, finiteInputs: boolean, exact: boolean): number {
  if (v !== v) return FE_INVALID;
  if (!Number.isFinite(v)) return finiteInputs ? FE_OVERFLOW | FE_PRECISION : 0;
  return exact || v === 0 ? 0 : FE_PRECISION;
}

/** FSIN, FCOS, FSINCOS (ST(0) := sin, push cos), FPTAN (ST(0) := tan, push 1), F2XM1. */
export function unaryTranscendental(s: FpuState, op: number): void {
  const pushes = op === Op.SINCOS || op === Op.PTAN;
  const trig = op !== Op.F2XM1;
  if (s.isEmpty(0)) {
    if (s.underflowTo(0) && pushes && s.reservePush()) s.push(REAL_INDEFINITE);
    return;
  }
  const a = s.get(0);
  if (trig && Number.isFinite(a) && Math.abs(a) >= 2 ** 63) { s.sw |= SW_C2; return; }
  if (pushes && !s.isEmpty(7)) {
    if (s.stackFault(true)) { s.set(0, REAL_INDEFINITE); s.push(REAL_INDEFINITE); }
    return;
  }
  const r = s.result;
  let second = 1;
  if (a !== a) {
    propagateNaN(a, a, r);
    if (op === Op.SINCOS) second = r.value;
  } else if (trig && !Number.isFinite(a)) {
    r.value = REAL_INDEFINITE;
    r.flags = FE_INVALID;
    if (op === Op.SINCOS) second = REAL_INDEFINITE;
  } else {
    let v: number;
    switch (op) {
      case Op.SIN: v = Math.sin(a); break;
      case Op.COS: v = Math.cos(a); break;
      case Op.SINCOS: v = Math.sin(a); second = Math.cos(a); break;
      case Op.PTAN: v = Math.tan(a); break;
      default: v = a === 1 ? 1 : a === -1 ? -0.5 : a === -Infinity ? -1 : a === 0 ? a : Math.expm1(a * Math.LN2);
    }
    const exact = a === 0 || (op === Op.F2XM1 && (a === 1 || a === -1 || !Number.isFinite(a)));
    r.value = v;
    r.flags = hostFlags(v, true, exact);
  }
  if (!s.signal(r.flags)) return;
  if (trig) s.sw &= ~SW_C2;
  s.set(0, r.value);
  if (pushes) s.push(second);
}

/** FYL2X (y·log2 x), FYL2XP1 (y·log2(x + 1)) and FPATAN (atan(y/x)): ST(1) := result, pop. */
export function binaryTranscendental(s: FpuState, op: number): void {
  if (s.isEmpty(0) || s.isEmpty(1)) {
    if (s.underflowTo(1)) s.pop();
    return;
  }
  const x = s.get(0);
  const y = s.get(1);
  const r = s.result;
  if (x !== x || y !== y) propagateNaN(x, y, r);
  else {
    let v: number;
    let flags = -1;
    if (op === Op.PATAN) v = Math.atan2(y, x);
    else if (op === Op.YL2XP1) v = y * (Math.log1p(x) / Math.LN2);
    else if (x === 0 && y !== 0 && Number.isFinite(y)) {
      v = signOf(y) ? Infinity : -Infinity; // SDM Vol. 2 FYL2X Table 3-50: divide by zero
      flags = FE_ZERODIV;
    } else v = x < 0 ? NaN : y * Math.log2(x);
    r.value = v !== v ? REAL_INDEFINITE : v;
    r.flags = flags >= 0 ? flags : hostFlags(v, Number.isFinite(x) && Number.isFinite(y), false);
  }
  if (!s.signal(r.flags)) return;
  s.set(1, r.value);
  s.pop();
}

/** FSQRT and FRNDINT on ST(0). */
export function squareRootOrRound(s: FpuState, op: number): void {
  if (s.isEmpty(0)) { s.underflowTo(0); return; }
  const x = s.get(0);
  const image = s.exactOf(0);
  const r = s.result;
  if (op === Op.SQRT) fpuSqrt(x, s.rc(), r);
  else if (image !== null && Number.isFinite(x) && x !== 0) return roundExact(s, image);
  else fpuRoundIntegral(x, s.rc(), r);
  if (s.signal(r.flags)) s.set(0, r.value);
}

/** FRNDINT of a value known only by its m80 image. */
function roundExact(s: FpuState, image: F80): void {
  decomposeF80(image, ex);
  roundInteger(ex.neg, ex.mant, ex.exp, s.rc(), rounded);
  if (!s.signal(rounded.flags)) return;
  const v = Number(rounded.q) * (ex.neg ? -1 : 1);
  if (rounded.q <= 2n ** 53n) s.set(0, v === 0 && ex.neg ? -0 : v);
  else s.setExact(0, v, integerToF80(ex.neg, rounded.q, 0, s.image));
}
