import { test } from "node:test";
import assert from "node:assert/strict";
import { OPERAND, m, popValue, pushValues, run, setup, st } from "./fpu-harness.test.js";
import { doubleHi, nextUp } from "./fpu-round.js";

const IE = 0x01, ZE = 0x04, PE = 0x20, C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000;
const CC = C0 | C1 | C2 | C3;


test("FSQRT, FRNDINT under RC, FSCALE, FXTRACT", () => {
  const { fpu, mem } = setup();
  pushValues(fpu, mem, 2);
  run(fpu, mem, [0xd9, 0xfa]);
  assert.equal(st(fpu, 0), Math.SQRT2);
  assert.equal(fpu.statusWord() & PE, PE);
  for (const [cw, want] of [[0x037f, 2], [0x077f, 2], [0x0b7f, 3], [0x0f7f, 2]] as const) {
    mem.view.setUint16(0x200, cw, true);
    run(fpu, mem, [0xd9, m(5)], 0, true, 0x200);
    pushValues(fpu, mem, 2.5);
    run(fpu, mem, [0xd9, 0xfc]);
    assert.equal(popValue(fpu, mem), want);
  }
  pushValues(fpu, mem, -3.7, 5); // ST0 = 5, ST1 = −3.7 → 5 × 2^−3
  run(fpu, mem, [0xd9, 0xfd]);
  assert.equal(st(fpu, 0), 0.625);
  run(fpu, mem, [0xdb, 0xe3]);
  pushValues(fpu, mem, 2000, 1.5); // 1.5 × 2^2000 overflows binary64
  run(fpu, mem, [0xd9, 0xfd]);
  assert.equal(st(fpu, 0), Infinity);
  assert.equal(fpu.statusWord() & 0x08, 0x08);
  run(fpu, mem, [0xdb, 0xe3]);
  pushValues(fpu, mem, -24);
  run(fpu, mem, [0xd9, 0xf4]); // FXTRACT
  assert.deepEqual([st(fpu, 0), st(fpu, 1)], [-1.5, 4]);
  pushValues(fpu, mem, 0);
  run(fpu, mem, [0xd9, 0xf4]);
  assert.deepEqual([st(fpu, 0), st(fpu, 1)], [0, -Infinity]);
  assert.equal(fpu.statusWord() & ZE, ZE);
});

test("FPREM and FPREM1: remainder and quotient bits in C0 C3 C1", () => {
  const { fpu, mem } = setup();
  const prem = (a: number, b: number, modrm: number): number => {
    run(fpu, mem, [0xdb, 0xe3]);
    pushValues(fpu, mem, b, a);
    run(fpu, mem, [0xd9, modrm]);
    return st(fpu, 0);
  };
  assert.equal(prem(17, 3, 0xf8), 2); // q = 5 = 101b
  assert.equal(fpu.statusWord() & CC, C0 | C1);
  assert.equal(prem(-17, 3, 0xf8), -2);
  assert.equal(prem(17, 3, 0xf5), -1); // FPREM1: q = 6 = 110b
  assert.equal(fpu.statusWord() & CC, C0 | C3);
  assert.equal(prem(5, 2, 0xf5), 1); // 2.5 → 2 (even)
  assert.equal(prem(7, 2, 0xf5), -1); // 3.5 → 4
  assert.equal(prem(1e300, 3, 0xf8), 1e300 % 3);
  assert.equal(fpu.statusWord() & C2, 0);
  assert.equal(doubleHi(prem(Infinity, 3, 0xf8)), 0xfff80000);
  assert.equal(fpu.statusWord() & IE, IE);
});

test("transcendentals: FSIN range limit, FPTAN, FSINCOS, FPATAN, FYL2X, FYL2XP1, F2XM1", () => {
  const { fpu, mem } = setup();
  pushValues(fpu, mem, 2 ** 63);
  run(fpu, mem, [0xd9, 0xfe]);
  assert.equal(fpu.statusWord() & C2, C2);
  assert.equal(st(fpu, 0), 2 ** 63);
  run(fpu, mem, [0xdb, 0xe3]);
  pushValues(fpu, mem, 0.5);
  run(fpu, mem, [0xd9, 0xfe]);
  assert.equal(st(fpu, 0), Math.sin(0.5));
  assert.equal(fpu.statusWord() & (C2 | PE), PE);
  run(fpu, mem, [0xd9, 0xf2]); // FPTAN
  assert.deepEqual([st(fpu, 0), st(fpu, 1)], [1, Math.tan(Math.sin(0.5))]);
  run(fpu, mem, [0xdb, 0xe3]);
  pushValues(fpu, mem, 1);
  run(fpu, mem, [0xd9, 0xfb]); // FSINCOS
  assert.deepEqual([st(fpu, 0), st(fpu, 1)], [Math.cos(1), Math.sin(1)]);
  run(fpu, mem, [0xd9, 0xf3]); // FPATAN: atan(sin 1 / cos 1) = 1
  assert.ok(Math.abs(st(fpu, 0) - 1) < 1e-15);
  run(fpu, mem, [0xdb, 0xe3]);
  pushValues(fpu, mem, 3, 8);
  run(fpu, mem, [0xd9, 0xf1]); // FYL2X: 3 × log2 8
  assert.equal(st(fpu, 0), 9);
  run(fpu, mem, [0xdb, 0xe3]);
  pushValues(fpu, mem, 2, 0);
  run(fpu, mem, [0xd9, 0xf1]);
  assert.equal(st(fpu, 0), -Infinity);
  assert.equal(fpu.statusWord() & ZE, ZE);
  run(fpu, mem, [0xdb, 0xe3]);
  pushValues(fpu, mem, 1, -1);
  run(fpu, mem, [0xd9, 0xf1]);
  assert.equal(fpu.statusWord() & IE, IE);
  run(fpu, mem, [0xdb, 0xe3]);
  pushValues(fpu, mem, 1, 1);
  run(fpu, mem, [0xd9, 0xf9]); // FYL2XP1: log2(2)
  assert.equal(st(fpu, 0), 1);
  pushValues(fpu, mem, 0.5);
  run(fpu, mem, [0xd9, 0xf0]); // F2XM1
  assert.ok(Math.abs(st(fpu, 0) - 0.4142135623730950488) < 1e-16);
  pushValues(fpu, mem, -1);
  run(fpu, mem, [0xd9, 0xf0]);
  assert.equal(st(fpu, 0), -0.5);
});

test("constants follow RC; FLDPI's m80 image is Intel's", () => {
  const { fpu, mem } = setup();
  run(fpu, mem, [0xd9, 0xeb]); // FLDPI
  assert.equal(st(fpu, 0), Math.PI);
  run(fpu, mem, [0xdb, m(7)]);
  assert.deepEqual(mem.getBytes(OPERAND, 10), [0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40]);
  mem.view.setUint16(0x200, 0x0b7f, true); // round up
  run(fpu, mem, [0xd9, m(5)], 0, true, 0x200);
  run(fpu, mem, [0xd9, 0xeb]);
  assert.equal(st(fpu, 0), nextUp(Math.PI));
  const expected = [1, Math.log2(10), Math.LOG2E, Math.PI, Math.log10(2), Math.LN2, 0];
  mem.view.setUint16(0x200, 0x037f, true);
  run(fpu, mem, [0xd9, m(5)], 0, true, 0x200);
  run(fpu, mem, [0xdb, 0xe3]);
  expected.forEach((want, k) => {
    run(fpu, mem, [0xd9, 0xe8 + k]);
    assert.equal(popValue(fpu, mem), want, `D9 ${(0xe8 + k).toString(16)}`);
  });
});
