import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeFault, OPERAND, m, pushValues, run, setup, snapshot } from "./fpu-harness.test.js";

const PE = 0x20;


test("FNSAVE/FRSTOR: 108-byte protected-mode layout, round trip, FNSAVE reinitialises", () => {
  const { fpu, mem } = setup();
  pushValues(fpu, mem, 0, -2.5, Infinity);
  run(fpu, mem, [0xd9, 0xe8]); // FLD1
  fpu.noteInstruction(0x1b, 0x12345678, 0x0f2, 0x23, 0x9abc);
  fpu.execute(0, 0xf2, 0, mem, 0, true); // FDIV ST0, ST2 → 1 / −2.5
  mem.setF64(OPERAND, 0.5);
  fpu.noteInstruction(0x1b, 0x12345680, 0x405, 0x23, OPERAND);
  fpu.execute(4, m(0), OPERAND, mem, 0, true); // FADD m64 → 0.1 (inexact)
  const before = snapshot(fpu);
  const base = 0x300;
  run(fpu, mem, [0xdd, m(6)], 0, true, base); // FNSAVE
  const v = mem.view;
  assert.equal(v.getUint32(base, true), 0xffff037f);
  const sw = v.getUint32(base + 4, true);
  assert.equal(sw >>> 16, 0xffff);
  assert.equal(sw & 0x3800, 4 << 11);
  assert.equal(sw & 0x3f, PE);
  // R4 valid, R5 ∞ special, R6 valid, R7 zero, R0–R3 empty.
  assert.equal(v.getUint32(base + 8, true), 0xffff48ff);
  assert.equal(v.getUint32(base + 12, true), 0x12345680);
  assert.equal(v.getUint32(base + 16, true), (0x405 << 16) | 0x1b);
  assert.equal(v.getUint32(base + 20, true), OPERAND);
  assert.equal(v.getUint32(base + 24, true), 0xffff0023);
  assert.deepEqual(mem.getBytes(base + 38, 10), [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x7f]); // ST1 = ∞
  assert.deepEqual(mem.getBytes(base + 48, 10), [0, 0, 0, 0, 0, 0, 0, 0xa0, 0x00, 0xc0]); // ST2 = −2.5
  assert.deepEqual(mem.getBytes(base + 58, 10), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // ST3 = +0
  // Reinitialised.
  assert.equal(fpu.cw, 0x037f);
  assert.equal(fpu.statusWord(), 0);
  assert.equal(fpu.tagWord(), 0xffff);
  assert.equal(fpu.fip, 0);
  run(fpu, mem, [0xdd, m(4)], 0, true, base); // FRSTOR
  assert.equal(snapshot(fpu), before);
  run(fpu, mem, [0xdd, m(6)], 0, true, base + 0x100);
  assert.deepEqual(mem.getBytes(base + 0x100, 108), mem.getBytes(base, 108));
});

test("FNSAVE/FRSTOR and FNSTENV/FLDENV: 16-bit layouts (94 and 14 bytes)", () => {
  const { fpu, mem } = setup();
  pushValues(fpu, mem, 3, -1);
  fpu.noteInstruction(0x1b, 0x12345678, 0x1c1, 0x23, 0);
  fpu.execute(1, 0xc1, 0, mem, 0, false); // FLD ST(1)
  const before = snapshot(fpu);
  const base = 0x300;
  run(fpu, mem, [0xdd, m(6)], 0, false, base);
  const v = mem.view;
  assert.equal(v.getUint16(base, true), 0x037f);
  assert.equal(v.getUint16(base + 2, true), 5 << 11);
  assert.equal(v.getUint16(base + 4, true), 0x03ff); // R5–R7 valid
  assert.equal(v.getUint16(base + 6, true), 0x5678);
  assert.equal(v.getUint16(base + 8, true), 0x1b);
  assert.deepEqual(mem.getBytes(base + 14, 10), [0, 0, 0, 0, 0, 0, 0, 0xc0, 0x00, 0x40]); // ST0 = 3
  assert.deepEqual(mem.getBytes(base + 24, 10), [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xbf]); // ST1 = −1
  run(fpu, mem, [0xdd, m(4)], 0, false, base);
  // The 16-bit image keeps only the low 16 bits of the offsets and no opcode.
  assert.equal(snapshot(fpu), before.replace('"fip":305419896', '"fip":22136').replace('"fop":449', '"fop":0'));
  // FNSTENV masks all exceptions afterwards; FLDENV brings the old control word back.
  mem.view.setUint16(0x200, 0x0360, true);
  run(fpu, mem, [0xd9, m(5)], 0, false, 0x200);
  run(fpu, mem, [0xd9, m(6)], 0, false, 0x400);
  assert.equal(fpu.cw, 0x037f);
  assert.equal(mem.view.getUint16(0x400, true), 0x0360);
  run(fpu, mem, [0xd9, m(4)], 0, false, 0x400);
  assert.equal(fpu.cw, 0x0360);
  assert.equal(fpu.tagWord(), 0x03ff);
});

test("a faulting memory access leaves the unit unchanged", () => {
  const { fpu, mem } = setup();
  pushValues(fpu, mem, 1.25, 2.5);
  const before = snapshot(fpu);
  mem.faultFrom = OPERAND + 4;
  mem.faultTo = OPERAND + 8;
  for (const bytes of [[0xdd, m(3)], [0xdd, m(0)], [0xdb, m(5)], [0xdb, m(7)], [0xdf, m(7)], [0xdc, m(0)], [0xdd, m(4)], [0xdd, m(6)]]) {
    assert.throws(() => run(fpu, mem, bytes), FakeFault);
    assert.equal(snapshot(fpu), before, bytes.map((b) => b.toString(16)).join(" "));
  }
});

test("control instructions leave the last-instruction pointers alone", () => {
  const { fpu, mem } = setup();
  fpu.noteInstruction(0x08, 0x1111, 0x0e8, 0x10, 0);
  fpu.execute(1, 0xe8, 0, mem, 0, true); // FLD1
  assert.equal(fpu.fip, 0x1111);
  assert.equal(fpu.fop, 0x0e8);
  fpu.noteInstruction(0x08, 0x2222, 0x17d, 0x10, 0x200);
  fpu.execute(1, m(7), 0x200, mem, 0, true); // FNSTCW
  assert.equal(fpu.fip, 0x1111);
  fpu.noteInstruction(0x08, 0x3333, 0x405, 0x2b, 0x208);
  fpu.execute(4, m(0), 0x208, mem, 0, true); // FADD m64
  assert.equal(fpu.fip, 0x3333);
  assert.equal(fpu.fdp, 0x208);
  assert.equal(fpu.fds, 0x2b);
  fpu.noteInstruction(0x08, 0x4444, 0x1e0, 0x33, 0);
  fpu.execute(1, 0xe0, 0, mem, 0, true); // FCHS: register form, data pointer kept
  assert.equal(fpu.fip, 0x4444);
  assert.equal(fpu.fdp, 0x208);
});
