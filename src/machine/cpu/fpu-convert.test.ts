import { test } from "node:test";
import assert from "node:assert/strict";
import { Fpu } from "./fpu.js";
import { FakeMemory, OPERAND, m, popValue, pushValues, run, setup } from "./fpu-harness.test.js";
import { F80, doubleToF80, f80ToDouble } from "./fpu-convert.js";
import { doubleFromBits, doubleHi, doubleLo, nextUp } from "./fpu-round.js";

const IE = 0x01, DE = 0x02, OE = 0x08, UE = 0x10, PE = 0x20, SF = 0x40, C1 = 0x200;
const RC = [0x000, 0x400, 0x800, 0xc00]; // nearest, down, up, chop


function setCw(fpu: Fpu, mem: FakeMemory, cw: number): void {
  mem.view.setUint16(0x200, cw, true);
  run(fpu, mem, [0xd9, m(5)], 0, true, 0x200);
}

/** FLD m80 from bytes, FSTP m80 back: the bytes that come out. */
function m80RoundTrip(fpu: Fpu, mem: FakeMemory, bytes: number[]): number[] {
  mem.setBytes(OPERAND, bytes);
  run(fpu, mem, [0xdb, m(5)]);
  mem.setBytes(OPERAND, new Array<number>(10).fill(0xee));
  run(fpu, mem, [0xdb, m(7)]);
  return mem.getBytes(OPERAND, 10);
}

test("m80 images: 1.0, -0, infinities, indefinite, pi from a binary64", () => {
  const { fpu, mem } = setup();
  const one = [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f];
  pushValues(fpu, mem, 1);
  run(fpu, mem, [0xdb, m(7)]);
  assert.deepEqual(mem.getBytes(OPERAND, 10), one);
  const cases: [number, number[]][] = [
    [-0, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80]],
    [Infinity, [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x7f]],
    [-Infinity, [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xff]],
    [Math.PI, [0x00, 0xc0, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40]],
    [-2.5, [0, 0, 0, 0, 0, 0, 0, 0xa0, 0x00, 0xc0]],
    [2 ** -1074, [0, 0, 0, 0, 0, 0, 0, 0x80, 0xcd, 0x3b]], // exponent 16383 − 1074
  ];
  for (const [v, bytes] of cases) {
    pushValues(fpu, mem, v);
    run(fpu, mem, [0xdb, m(7)]);
    assert.deepEqual(mem.getBytes(OPERAND, 10), bytes, `m80 of ${v}`);
    mem.setBytes(OPERAND, bytes);
    run(fpu, mem, [0xdb, m(5)]);
    assert.ok(Object.is(popValue(fpu, mem), v), `m80 load of ${v}`);
  }
  // Masked underflow on FSTP m80 stores real indefinite FFFF C000000000000000.
  run(fpu, mem, [0xdb, m(7)]);
  assert.deepEqual(mem.getBytes(OPERAND, 10), [0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff]);
  assert.equal(fpu.statusWord() & (IE | SF | C1), IE | SF);
});

test("m80 values binary64 cannot hold round-trip bit for bit", () => {
  const { fpu, mem } = setup();
  const images = [
    [0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40], // pi, 64-bit significand
    [0x01, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x7f], // SNaN with payload only in the low bits
    [0, 0, 0, 0, 0x01, 0, 0, 0xc0, 0xff, 0xff], // QNaN with payload
    [0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0], // m80 denormal
    [0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0], // pseudo-denormal
    [0, 0, 0, 0, 0, 0, 0, 0x40, 0xff, 0x3f], // unnormal (unsupported)
    [0, 0, 0, 0, 0, 0, 0, 0x80, 0xfe, 0x7f], // huge: 2^16383
  ];
  for (const bytes of images) assert.deepEqual(m80RoundTrip(fpu, mem, bytes), bytes);
  assert.equal(fpu.statusWord() & 0x3f, 0, "FLD/FSTP m80 raise nothing");
  // Arithmetic sees the nearest binary64.
  mem.setBytes(OPERAND, images[0]!);
  run(fpu, mem, [0xdb, m(5)]);
  assert.equal(fpu.regs[fpu.top], Math.PI);
  assert.equal(f80ToDouble(Object.assign(new F80(), { se: 0x7ffe, hi: 0x80000000, lo: 0 })), Infinity);
});

test("FLD m32/m64: denormals raise DE, SNaNs raise IE and load quieted", () => {
  const { fpu, mem } = setup();
  mem.view.setUint32(OPERAND, 0x00000001, true); // smallest m32 denormal
  run(fpu, mem, [0xd9, m(0)]);
  assert.equal(fpu.regs[fpu.top], 2 ** -149);
  assert.equal(fpu.statusWord() & 0x3f, DE);
  mem.view.setUint32(OPERAND, 0x7f800001, true); // m32 SNaN
  run(fpu, mem, [0xd9, m(0)]);
  assert.equal(doubleHi(fpu.regs[fpu.top]!), 0x7ff80000);
  assert.equal(doubleLo(fpu.regs[fpu.top]!), 0x20000000);
  assert.equal(fpu.statusWord() & 0x3f, DE | IE);
});

test("FST m32 rounds under RC, with OE/UE/PE", () => {
  const { fpu, mem } = setup();
  const x = 1 + 2 ** -30; // between two floats, nearer the lower
  const want = [0x3f800000, 0x3f800000, 0x3f800001, 0x3f800000];
  RC.forEach((rc, k) => {
    setCw(fpu, mem, 0x037f | rc);
    pushValues(fpu, mem, x);
    run(fpu, mem, [0xd9, m(3)]);
    assert.equal(mem.view.getUint32(OPERAND, true), want[k], `rc ${k}`);
    pushValues(fpu, mem, -x);
    run(fpu, mem, [0xd9, m(3)]);
    assert.equal(mem.view.getUint32(OPERAND, true), (want[[0, 2, 1, 3][k]!]! | 0x80000000) >>> 0, `-x rc ${k}`);
  });
  setCw(fpu, mem, 0x037f);
  run(fpu, mem, [0xdb, 0xe2]); // FNCLEX
  pushValues(fpu, mem, 0.1);
  run(fpu, mem, [0xd9, m(3)]);
  assert.equal(mem.view.getUint32(OPERAND, true), 0x3dcccccd);
  assert.equal(fpu.statusWord() & (0x3f | C1), PE | C1);
  pushValues(fpu, mem, 1e39);
  run(fpu, mem, [0xd9, m(3)]);
  assert.equal(mem.view.getUint32(OPERAND, true), 0x7f800000);
  assert.equal(fpu.statusWord() & OE, OE);
  setCw(fpu, mem, 0x037f | 0xc00);
  pushValues(fpu, mem, 1e39);
  run(fpu, mem, [0xd9, m(3)]);
  assert.equal(mem.view.getUint32(OPERAND, true), 0x7f7fffff);
  run(fpu, mem, [0xdb, 0xe2]);
  pushValues(fpu, mem, 1e-40);
  run(fpu, mem, [0xd9, m(3)]);
  assert.equal(mem.view.getUint32(OPERAND, true), 0x000116c2); // 1e-40 chopped to a float denormal
  assert.equal(fpu.statusWord() & 0x3f, UE | PE);
  pushValues(fpu, mem, 2 ** -140); // exact float denormal: tiny but exact, UE masked → no flag
  run(fpu, mem, [0xdb, 0xe2]);
  run(fpu, mem, [0xd9, m(3)]);
  assert.equal(mem.view.getUint32(OPERAND, true), 1 << 9);
  assert.equal(fpu.statusWord() & 0x3f, 0);
});

test("FISTP m32 rounds under RC: ties to even, negatives, PE and C1", () => {
  const { fpu, mem } = setup();
  const cases: [number, number[]][] = [
    [2.5, [2, 2, 3, 2]], [3.5, [4, 3, 4, 3]], [-2.5, [-2, -3, -2, -2]], [-3.5, [-4, -4, -3, -3]],
    [1.25, [1, 1, 2, 1]], [-1.75, [-2, -2, -1, -1]], [-0.5, [0, -1, 0, 0]], [123456789, [123456789, 123456789, 123456789, 123456789]],
  ];
  RC.forEach((rc, k) => {
    setCw(fpu, mem, 0x037f | rc);
    for (const [x, want] of cases) {
      run(fpu, mem, [0xdb, 0xe2]);
      pushValues(fpu, mem, x);
      run(fpu, mem, [0xdb, m(3)]);
      assert.equal(mem.view.getInt32(OPERAND, true), want[k], `fistp ${x} rc ${k}`);
      const sw = fpu.statusWord();
      assert.equal(sw & PE, Number.isInteger(x) ? 0 : PE);
      assert.equal(sw & C1, Math.abs(want[k]!) > Math.abs(x) ? C1 : 0, `C1 for ${x} rc ${k}`);
    }
  });
});

test("FIST out of range, NaN or infinity stores the integer indefinite (masked IE)", () => {
  const { fpu, mem } = setup();
  const store = (v: number, bytes: number[], ...expectIE: boolean[]): void => {
    run(fpu, mem, [0xdb, 0xe2]);
    pushValues(fpu, mem, v);
    run(fpu, mem, bytes);
    assert.equal(fpu.statusWord() & IE, expectIE[0] === false ? 0 : IE, `IE for ${v}`);
  };
  store(2 ** 31, [0xdb, m(3)]); assert.equal(mem.view.getUint32(OPERAND, true), 0x80000000);
  store(-(2 ** 31), [0xdb, m(3)], false); assert.equal(mem.view.getInt32(OPERAND, true), -(2 ** 31));
  store(32768, [0xdf, m(3)]); assert.equal(mem.view.getUint16(OPERAND, true), 0x8000);
  store(-32768.4, [0xdf, m(3)], false); assert.equal(mem.view.getInt16(OPERAND, true), -32768);
  store(NaN, [0xdb, m(3)]); assert.equal(mem.view.getUint32(OPERAND, true), 0x80000000);
  store(-Infinity, [0xdf, m(7)]); assert.equal(mem.view.getBigUint64(OPERAND, true), 0x8000000000000000n);
  store(2 ** 63, [0xdf, m(7)]); assert.equal(mem.view.getBigUint64(OPERAND, true), 0x8000000000000000n);
  store(-(2 ** 63), [0xdf, m(7)], false); assert.equal(mem.view.getBigInt64(OPERAND, true), -(2n ** 63n));
  store(-123456789012.75, [0xdf, m(7)], false); assert.equal(mem.view.getBigInt64(OPERAND, true), -123456789013n);
  store(2 ** 60 + 2 ** 8, [0xdf, m(7)], false); assert.equal(mem.view.getBigInt64(OPERAND, true), 2n ** 60n + 256n);
});

test("FILD/FISTP m64 and FBLD/FBSTP round-trip exactly beyond 2^53", () => {
  const { fpu, mem } = setup();
  for (const v of [0x7fffffffffffffffn, -0x7ffffffffffffff3n, 123n, -(2n ** 63n)]) {
    mem.view.setBigInt64(OPERAND, v, true);
    run(fpu, mem, [0xdf, m(5)]);
    assert.equal(fpu.regs[fpu.top], Number(v));
    mem.view.setBigInt64(OPERAND, 0n, true);
    run(fpu, mem, [0xdf, m(7)]);
    assert.equal(mem.view.getBigInt64(OPERAND, true), v);
  }
  const bcd = [0x78, 0x56, 0x34, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12, 0x80]; // -123456789012345678
  mem.setBytes(OPERAND, bcd);
  run(fpu, mem, [0xdf, m(4)]);
  assert.equal(fpu.regs[fpu.top], -123456789012345678);
  mem.setBytes(OPERAND, new Array<number>(10).fill(0));
  run(fpu, mem, [0xdf, m(6)]);
  assert.deepEqual(mem.getBytes(OPERAND, 10), bcd);
  assert.equal(fpu.statusWord() & 0x3f, 0);
});

test("FBSTP rounds under RC and stores the BCD indefinite when too large", () => {
  const { fpu, mem } = setup();
  pushValues(fpu, mem, -2.5);
  run(fpu, mem, [0xdf, m(6)]);
  assert.deepEqual(mem.getBytes(OPERAND, 10), [2, 0, 0, 0, 0, 0, 0, 0, 0, 0x80]);
  pushValues(fpu, mem, 1e18);
  run(fpu, mem, [0xdf, m(6)]);
  assert.deepEqual(mem.getBytes(OPERAND, 10), [0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff]);
  assert.equal(fpu.statusWord() & IE, IE);
  mem.setBytes(OPERAND, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80]);
  run(fpu, mem, [0xdf, m(4)]);
  assert.ok(Object.is(fpu.regs[fpu.top], -0));
});

test("FST m64 of an m80 image rounds under RC; of an SNaN raises IE", () => {
  const { fpu, mem } = setup();
  const pi80 = [0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40];
  setCw(fpu, mem, 0x037f | 0x800);
  mem.setBytes(OPERAND, pi80);
  run(fpu, mem, [0xdb, m(5)]);
  assert.equal(popValue(fpu, mem), nextUp(Math.PI));
  assert.equal(fpu.statusWord() & (PE | C1), PE | C1);
  setCw(fpu, mem, 0x037f);
  mem.setBytes(OPERAND, [0, 0, 0, 0, 0, 0, 0, 0x80 | 0x20, 0xff, 0x7f]); // SNaN
  run(fpu, mem, [0xdb, m(5)]);
  assert.equal(fpu.statusWord() & IE, 0);
  run(fpu, mem, [0xdd, m(3)]);
  assert.equal(mem.view.getUint32(OPERAND + 4, true), 0x7ffc0000);
  assert.equal(mem.view.getUint32(OPERAND, true), 0);
  assert.equal(fpu.statusWord() & IE, IE);
});

test("binary64 <-> m80 helpers agree on every class", () => {
  const f = new F80();
  for (const v of [1, -0, 0, Math.PI, -Infinity, 2 ** -1074, 2 ** -1022 * 1.5, Number.MAX_VALUE, doubleFromBits(0x7ff00000, 3)]) {
    const back = f80ToDouble(doubleToF80(v, f));
    assert.equal(`${doubleHi(back)}:${doubleLo(back)}`, `${doubleHi(v)}:${doubleLo(v)}`, `m80 round trip of ${v}`);
  }
});
