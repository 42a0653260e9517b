import { test } from "node:test";
import assert from "node:assert/strict";
import { OpResult, fpuAdd, fpuCompare, fpuDiv, fpuMul, fpuRoundIntegral, fpuSqrt, fpuSub, CMP_UNORDERED } from "./fpu-arith.js";
import {
  DOUBLE, Exact, FE_INVALID, FE_OVERFLOW, FE_PRECISION, FE_ROUNDED_UP, FE_TINY, FE_ZERODIV, RC_CHOP, RC_DOWN,
  RC_NEAREST, RC_UP, Rounded, bitLength, decompose, doubleFromBits, doubleHi, doubleLo, isqrt, nextDown, nextUp,
  pow2, roundFloat, roundedValue,
} from "./fpu-round.js";

const r = new OpResult();
const ALL_RC = [RC_NEAREST, RC_DOWN, RC_UP, RC_CHOP];
const bitsOf = (x: number): string => `${doubleHi(x).toString(16)}:${doubleLo(x).toString(16)}`;

/** Reference: the exact result rounded by roundFloat (the slow path, taken directly). */
function reference(op: string, a: number, b: number, rc: number): { value: number; flags: number } {
  const ea = decompose(a, new Exact());
  const eb = decompose(b, new Exact());
  const out = new Rounded();
  if (op === "mul") roundFloat(ea.neg !== eb.neg, ea.mant * eb.mant, ea.exp + eb.exp, false, rc, DOUBLE, out);
  else if (op === "div") {
    const shift = 200;
    const num = ea.mant << BigInt(shift);
    const q = num / eb.mant;
    roundFloat(ea.neg !== eb.neg, q, ea.exp - eb.exp - shift, q * eb.mant !== num, rc, DOUBLE, out);
  } else if (op === "sqrt") {
    let shift = 300;
    if ((ea.exp - shift) % 2 !== 0) shift += 1;
    const n = ea.mant << BigInt(shift);
    const root = isqrt(n);
    roundFloat(false, root, (ea.exp - shift) / 2, root * root !== n, rc, DOUBLE, out);
  } else {
    const e = Math.min(ea.exp, eb.exp);
    const sum = ((ea.neg ? -ea.mant : ea.mant) << BigInt(ea.exp - e)) + ((eb.neg ? -eb.mant : eb.mant) << BigInt(eb.exp - e));
    roundFloat(sum < 0n, sum < 0n ? -sum : sum, e, false, rc, DOUBLE, out);
  }
  return { value: roundedValue(out), flags: out.flags };
}

/** Deterministic pseudo-random doubles with varied exponents. */
function* randomDoubles(seed: number, count: number, spread: number): Generator<number> {
  let s = seed;
  const next = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s; };
  for (let k = 0; k < count; k++) {
    const mant = 1 + (next() / 2 ** 32) + next() / 2 ** 64;
    const exp = (next() % (2 * spread + 1)) - spread;
    yield (next() & 1 ? -1 : 1) * mant * 2 ** exp;
  }
}

test("fast paths agree with exact rounding in every mode (add, mul, div, sqrt)", () => {
  const values = [...randomDoubles(7, 60, 40), 1, 3, 0.1, 1 / 3, 2 ** 52 + 1];
  for (const rc of ALL_RC) {
    for (const a of values) {
      for (const b of values.slice(0, 20)) {
        for (const [op, fn] of [["add", fpuAdd], ["mul", fpuMul], ["div", fpuDiv]] as const) {
          fn(a, b, rc, r);
          const want = reference(op, a, b, rc);
          assert.equal(bitsOf(r.value), bitsOf(want.value), `${op} ${a} ${b} rc=${rc}`);
          assert.equal(r.flags, want.flags, `${op} flags ${a} ${b} rc=${rc}`);
        }
      }
      fpuSqrt(Math.abs(a), rc, r);
      const want = reference("sqrt", Math.abs(a), 0, rc);
      assert.equal(bitsOf(r.value), bitsOf(want.value), `sqrt ${a} rc=${rc}`);
      assert.equal(r.flags, want.flags, `sqrt flags ${a}`);
    }
  }
});

test("directed rounding of 1/3 and of 1 + 2^-60", () => {
  const third = 1 / 3; // nearest is below 1/3
  fpuDiv(1, 3, RC_NEAREST, r); assert.equal(r.value, third); assert.equal(r.flags, FE_PRECISION);
  fpuDiv(1, 3, RC_DOWN, r); assert.equal(r.value, third); assert.equal(r.flags, FE_PRECISION);
  fpuDiv(1, 3, RC_UP, r); assert.equal(r.value, nextUp(third)); assert.equal(r.flags, FE_PRECISION | FE_ROUNDED_UP);
  fpuDiv(-1, 3, RC_UP, r); assert.equal(r.value, -third); assert.equal(r.flags, FE_PRECISION);
  fpuDiv(-1, 3, RC_DOWN, r); assert.equal(r.value, -nextUp(third)); assert.equal(r.flags, FE_PRECISION | FE_ROUNDED_UP);
  fpuAdd(1, 2 ** -60, RC_UP, r); assert.equal(r.value, nextUp(1));
  fpuAdd(1, 2 ** -60, RC_CHOP, r); assert.equal(r.value, 1);
  fpuSub(1, 2 ** -60, RC_CHOP, r); assert.equal(r.value, nextDown(1));
  fpuSub(1, 2 ** -60, RC_NEAREST, r); assert.equal(r.value, 1); assert.equal(r.flags, FE_PRECISION | FE_ROUNDED_UP);
  fpuAdd(1, 2, RC_UP, r); assert.equal(r.value, 3); assert.equal(r.flags, 0);
});

test("exact zero sums are +0, or -0 when rounding down", () => {
  fpuSub(5, 5, RC_NEAREST, r); assert.ok(Object.is(r.value, 0));
  fpuSub(5, 5, RC_DOWN, r); assert.ok(Object.is(r.value, -0));
  fpuAdd(-0, -0, RC_NEAREST, r); assert.ok(Object.is(r.value, -0));
  fpuAdd(0, -0, RC_NEAREST, r); assert.ok(Object.is(r.value, 0));
  fpuAdd(0, -0, RC_DOWN, r); assert.ok(Object.is(r.value, -0));
});

test("invalid operations give real indefinite; x/0 raises ZE", () => {
  const indefinite = "fff80000:0";
  fpuSub(Infinity, Infinity, RC_NEAREST, r); assert.equal(bitsOf(r.value), indefinite); assert.equal(r.flags, FE_INVALID);
  fpuMul(0, -Infinity, RC_NEAREST, r); assert.equal(bitsOf(r.value), indefinite);
  fpuDiv(0, 0, RC_NEAREST, r); assert.equal(bitsOf(r.value), indefinite); assert.equal(r.flags, FE_INVALID);
  fpuDiv(Infinity, -Infinity, RC_NEAREST, r); assert.equal(r.flags, FE_INVALID);
  fpuSqrt(-1, RC_NEAREST, r); assert.equal(bitsOf(r.value), indefinite); assert.equal(r.flags, FE_INVALID);
  fpuSqrt(-0, RC_NEAREST, r); assert.ok(Object.is(r.value, -0)); assert.equal(r.flags, 0);
  fpuDiv(-3, 0, RC_NEAREST, r); assert.equal(r.value, -Infinity); assert.equal(r.flags, FE_ZERODIV);
  fpuDiv(Infinity, 0, RC_NEAREST, r); assert.equal(r.value, Infinity); assert.equal(r.flags, 0);
  fpuDiv(1, -Infinity, RC_NEAREST, r); assert.ok(Object.is(r.value, -0));
});

test("NaN operands: SNaN raises IE and is quieted; QNaN beats SNaN; larger significand wins", () => {
  const snan = doubleFromBits(0x7ff00000, 0x1234);
  const qnan = doubleFromBits(0x7ff80000, 5);
  const bigq = doubleFromBits(0xfff80001, 0);
  fpuAdd(snan, 1, RC_NEAREST, r); assert.equal(bitsOf(r.value), "7ff80000:1234"); assert.equal(r.flags, FE_INVALID);
  fpuMul(snan, qnan, RC_NEAREST, r); assert.equal(bitsOf(r.value), "7ff80000:5"); assert.equal(r.flags, FE_INVALID);
  fpuSub(qnan, bigq, RC_NEAREST, r); assert.equal(bitsOf(r.value), "fff80001:0"); assert.equal(r.flags, 0);
  fpuSub(1, qnan, RC_NEAREST, r); assert.equal(bitsOf(r.value), "7ff80000:5");
});

test("overflow and underflow at the binary64 limits follow RC", () => {
  const max = Number.MAX_VALUE;
  fpuMul(max, 2, RC_NEAREST, r); assert.equal(r.value, Infinity); assert.equal(r.flags, FE_OVERFLOW | FE_PRECISION | FE_ROUNDED_UP);
  fpuMul(max, 2, RC_CHOP, r); assert.equal(r.value, max); assert.equal(r.flags, FE_OVERFLOW | FE_PRECISION);
  fpuMul(-max, 2, RC_UP, r); assert.equal(r.value, -max);
  fpuMul(2 ** -1000, 2 ** -50, RC_NEAREST, r); assert.equal(r.value, 2 ** -1050); assert.equal(r.flags, FE_TINY);
  fpuMul(2 ** -1000 * 3, 2 ** -74, RC_NEAREST, r); // 3·2^-1074 exact? yes: 3 × min denormal
  assert.equal(r.value, 3 * pow2(-1074)); assert.equal(r.flags, FE_TINY);
  fpuDiv(pow2(-1074), 2, RC_NEAREST, r); assert.ok(Object.is(r.value, 0)); assert.equal(r.flags, FE_TINY | FE_PRECISION);
  fpuDiv(pow2(-1074), 2, RC_UP, r); assert.equal(r.value, pow2(-1074));
  fpuAdd(2 ** -1022, -(2 ** -1023) * 1.5, RC_NEAREST, r); assert.equal(r.value, 2 ** -1024); assert.equal(r.flags, FE_TINY);
});

test("round to integral: ties, negative values and all four modes", () => {
  const cases: [number, number, number, number, number][] = [
    // value, nearest, down, up, chop
    [2.5, 2, 2, 3, 2], [3.5, 4, 3, 4, 3], [-2.5, -2, -3, -2, -2], [-3.5, -4, -4, -3, -3],
    [2.4, 2, 2, 3, 2], [-2.6, -3, -3, -2, -2], [0.5, 0, 0, 1, 0], [-0.5, -0, -1, -0, -0], [7, 7, 7, 7, 7],
  ];
  for (const [x, ...want] of cases) {
    ALL_RC.forEach((rc, k) => {
      fpuRoundIntegral(x, rc, r);
      assert.ok(Object.is(r.value, want[k]), `frndint ${x} rc=${rc} gave ${r.value}`);
      assert.equal(r.flags & FE_PRECISION, x === want[k] ? 0 : FE_PRECISION);
    });
  }
});

test("comparisons: unordered raises IE only for FCOM-style or SNaN", () => {
  const snan = doubleFromBits(0x7ff00000, 1);
  assert.equal(fpuCompare(NaN, 1, false, r), CMP_UNORDERED); assert.equal(r.flags, 0);
  assert.equal(fpuCompare(NaN, 1, true, r), CMP_UNORDERED); assert.equal(r.flags, FE_INVALID);
  assert.equal(fpuCompare(1, snan, false, r), CMP_UNORDERED); assert.equal(r.flags, FE_INVALID);
});

test("round helpers: bitLength, isqrt, pow2", () => {
  assert.equal(bitLength(0n), 0);
  assert.equal(bitLength(1n), 1);
  assert.equal(bitLength((1n << 100n) - 1n), 100);
  assert.equal(isqrt(10n ** 40n), 10n ** 20n);
  assert.equal(isqrt(10n ** 40n - 1n), 10n ** 20n - 1n);
  assert.equal(pow2(-1074), 5e-324);
  assert.equal(pow2(1023), 2 ** 1023);
  assert.equal(pow2(-1030), 2 ** -1030);
});
