import { test } from "node:test";
import assert from "node:assert/strict";
import { FPU_INVALID_OPCODE, FPU_NO_EFLAGS, Fpu, isNonWaiting } from "./fpu.js";
import { FakeFault, FakeMemory, OPERAND, m, popValue, pushValues, run, snapshot } from "./fpu-harness.test.js";
import { doubleHi, nextUp } from "./fpu-round.js";

const IE = 0x01, ZE = 0x04, PE = 0x20, SF = 0x40, ES = 0x80, C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, B = 0x8000;
const CC = C0 | C1 | C2 | C3;

function setup(): { fpu: Fpu; mem: FakeMemory } {
  const fpu = new Fpu();
  fpu.reset();
  return { fpu, mem: new FakeMemory() };
}
const st = (fpu: Fpu, i: number): number => fpu.get(i);

test("FNINIT state: CW 037F, SW 0, all empty (tag word FFFF)", () => {
  const { fpu } = setup();
  assert.equal(fpu.cw, 0x037f);
  assert.equal(fpu.statusWord(), 0);
  assert.equal(fpu.tagWord(), 0xffff);
  assert.equal(fpu.isWaitingException(), false);
});

test("FLD1 FLD1 FADDP; FSUBR/FDIVR forms; FIADD m16; TOP in the status word", () => {
  const { fpu, mem } = setup();
  run(fpu, mem, [0xd9, 0xe8]);
  run(fpu, mem, [0xd9, 0xe8]);
  assert.equal((fpu.statusWord() >> 11) & 7, 6);
  run(fpu, mem, [0xde, 0xc1]); // FADDP ST(1), ST(0)
  assert.equal(st(fpu, 0), 2);
  assert.equal((fpu.statusWord() >> 11) & 7, 7);
  pushValues(fpu, mem, 10); // ST0 = 10, ST1 = 2
  run(fpu, mem, [0xd8, 0xe1]); // FSUB ST0, ST1 → 8
  assert.equal(st(fpu, 0), 8);
  run(fpu, mem, [0xd8, 0xe9]); // FSUBR ST0, ST1 → 2 − 8
  assert.equal(st(fpu, 0), -6);
  run(fpu, mem, [0xdc, 0xf9]); // FDIV ST1, ST0 → 2 / −6
  assert.equal(st(fpu, 1), 2 / -6);
  run(fpu, mem, [0xdc, 0xe9]); // FSUB ST1, ST0 → ST1 − ST0
  assert.equal(st(fpu, 1), 2 / -6 + 6);
  run(fpu, mem, [0xde, 0xf9]); // FDIVP ST1, ST0 → ST1 / ST0, pop
  assert.equal(st(fpu, 0), (2 / -6 + 6) / -6);
  pushValues(fpu, mem, 1.5);
  mem.view.setInt16(OPERAND, -3, true);
  run(fpu, mem, [0xde, m(0)]); // FIADD m16
  assert.equal(st(fpu, 0), -1.5);
  mem.view.setInt32(OPERAND, 7, true);
  run(fpu, mem, [0xda, m(7)]); // FIDIVR m32: 7 / ST0
  assert.equal(st(fpu, 0), 7 / -1.5);
  mem.setF64(OPERAND, 0.25);
  run(fpu, mem, [0xdc, m(1)]); // FMUL m64
  assert.equal(st(fpu, 0), 7 / -1.5 / 4);
});

test("FCOM/FUCOM/FICOM/FTST condition codes (greater, less, equal, unordered)", () => {
  const { fpu, mem } = setup();
  const compare = (a: number, b: number, bytes: number[]): number => {
    run(fpu, mem, [0xdb, 0xe3]);
    pushValues(fpu, mem, b, a); // ST0 = a, ST1 = b
    run(fpu, mem, bytes);
    return fpu.statusWord() & (CC | IE);
  };
  assert.equal(compare(2, 1, [0xd8, 0xd1]), 0);
  assert.equal(compare(1, 2, [0xd8, 0xd1]), C0);
  assert.equal(compare(-0, 0, [0xd8, 0xd1]), C3);
  assert.equal(compare(NaN, 0, [0xd8, 0xd1]), C3 | C2 | C0 | IE); // FCOM: any NaN is invalid
  assert.equal(compare(NaN, 0, [0xdd, 0xe1]), C3 | C2 | C0); // FUCOM: QNaN is fine
  assert.equal(compare(1, Infinity, [0xdd, 0xe9]), C0); // FUCOMP pops
  assert.equal((fpu.statusWord() >> 11) & 7, 7);
  assert.equal(compare(5, 5, [0xde, 0xd9]), C3); // FCOMPP pops twice
  assert.equal(fpu.tagWord(), 0xffff);
  assert.equal(compare(3, 1, [0xda, 0xe9]), 0); // FUCOMPP
  run(fpu, mem, [0xdb, 0xe3]);
  pushValues(fpu, mem, -4);
  mem.view.setInt32(OPERAND, -4, true);
  run(fpu, mem, [0xda, m(2)]); // FICOM m32
  assert.equal(fpu.statusWord() & CC, C3);
  run(fpu, mem, [0xd9, 0xe4]); // FTST
  assert.equal(fpu.statusWord() & CC, C0);
  mem.view.setFloat32(OPERAND, -5, true);
  run(fpu, mem, [0xd8, m(3)]); // FCOMP m32
  assert.equal(fpu.statusWord() & CC, 0);
  assert.equal(fpu.tagWord(), 0xffff);
});

test("FCOMI/FCOMIP/FUCOMI/FUCOMIP return ZF PF CF", () => {
  const { fpu, mem } = setup();
  const comi = (a: number, b: number, bytes: number[]): number => {
    run(fpu, mem, [0xdb, 0xe3]);
    pushValues(fpu, mem, b, a);
    return run(fpu, mem, bytes);
  };
  assert.equal(comi(2, 1, [0xdb, 0xf1]), 0);
  assert.equal(comi(1, 2, [0xdb, 0xf1]), 0x01);
  assert.equal(comi(2, 2, [0xdb, 0xf1]), 0x40);
  assert.equal(comi(NaN, 2, [0xdb, 0xe9]), 0x45); // FUCOMI: no IE for a QNaN
  assert.equal(fpu.statusWord() & IE, 0);
  assert.equal(comi(NaN, 2, [0xdb, 0xf1]), 0x45); // FCOMI: IE
  assert.equal(fpu.statusWord() & IE, IE);
  assert.equal(comi(1, 3, [0xdf, 0xf1]), 0x01); // FCOMIP pops
  assert.equal(fpu.get(0), 3);
  assert.equal(comi(3, 3, [0xdf, 0xe9]), 0x40); // FUCOMIP
  // Unmasked invalid: EFLAGS are not written.
  run(fpu, mem, [0xdb, 0xe3]);
  mem.view.setUint16(0x200, 0x037e, true);
  run(fpu, mem, [0xd9, m(5)], 0, true, 0x200);
  pushValues(fpu, mem, 1, NaN);
  assert.equal(run(fpu, mem, [0xdb, 0xf1]), FPU_NO_EFLAGS);
  assert.equal(fpu.isWaitingException(), true);
});

test("FCMOVcc reads CF, ZF, PF from the eflags argument", () => {
  const { fpu, mem } = setup();
  const cases: [number, number, number, boolean][] = [
    [0xda, 0xc1, 0x01, true], [0xda, 0xc1, 0x40, false], // FCMOVB
    [0xda, 0xc9, 0x40, true], [0xda, 0xc9, 0x01, false], // FCMOVE
    [0xda, 0xd1, 0x40, true], [0xda, 0xd1, 0x01, true], [0xda, 0xd1, 0x04, false], // FCMOVBE
    [0xda, 0xd9, 0x04, true], [0xda, 0xd9, 0x41, false], // FCMOVU
    [0xdb, 0xc1, 0x00, true], [0xdb, 0xc1, 0x01, false], // FCMOVNB
    [0xdb, 0xc9, 0x01, true], [0xdb, 0xc9, 0x40, false], // FCMOVNE
    [0xdb, 0xd1, 0x04, true], [0xdb, 0xd1, 0x40, false], // FCMOVNBE
    [0xdb, 0xd9, 0x41, true], [0xdb, 0xd9, 0x04, false], // FCMOVNU
  ];
  for (const [esc, modrm, flags, moves] of cases) {
    run(fpu, mem, [0xdb, 0xe3]);
    pushValues(fpu, mem, 7, 1);
    assert.equal(run(fpu, mem, [esc, modrm], flags), FPU_NO_EFLAGS);
    assert.equal(st(fpu, 0), moves ? 7 : 1, `${esc.toString(16)} ${modrm.toString(16)} flags ${flags}`);
    assert.equal(st(fpu, 1), 7);
  }
});

test("FXAM classes (C3 C2 C0) and sign (C1)", () => {
  const { fpu, mem } = setup();
  const xam = (): number => { run(fpu, mem, [0xd9, 0xe5]); return fpu.statusWord() & CC; };
  assert.equal(xam() & (C3 | C2 | C0), C3 | C0); // empty
  pushValues(fpu, mem, -0);
  assert.equal(xam(), C3 | C1);
  pushValues(fpu, mem, 1.5);
  assert.equal(xam(), C2);
  pushValues(fpu, mem, -Infinity);
  assert.equal(xam(), C2 | C0 | C1);
  pushValues(fpu, mem, NaN);
  assert.equal(xam(), C0);
  mem.setBytes(OPERAND, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0x80]); // −m80 denormal
  run(fpu, mem, [0xdb, m(5)]);
  assert.equal(xam(), C3 | C2 | C1);
  mem.setBytes(OPERAND, [0, 0, 0, 0, 0, 0, 0, 0x40, 0xff, 0x3f]); // unnormal
  run(fpu, mem, [0xdb, m(5)]);
  assert.equal(xam(), 0);
  assert.equal(fpu.tagWord() >> (2 * fpu.top) & 3, 2);
});

test("stack overflow and underflow: IE + SF, C1 = 1 / 0, indefinite result", () => {
  const { fpu, mem } = setup();
  for (let k = 0; k < 8; k++) run(fpu, mem, [0xd9, 0xee]);
  assert.equal(fpu.statusWord() & (IE | SF), 0);
  run(fpu, mem, [0xd9, 0xe8]); // ninth push
  assert.equal(fpu.statusWord() & (IE | SF | C1), IE | SF | C1);
  assert.equal(doubleHi(st(fpu, 0)), 0xfff80000);
  const { fpu: f2, mem: m2 } = setup();
  run(f2, m2, [0xd8, 0xc1]); // FADD ST0, ST1 on an empty stack
  assert.equal(f2.statusWord() & (IE | SF | C1), IE | SF);
  assert.equal(doubleHi(f2.get(0)), 0xfff80000);
  assert.equal(f2.isWaitingException(), false);
});

test("an unmasked exception sets ES and B and leaves the destination alone", () => {
  const { fpu, mem } = setup();
  mem.view.setUint16(0x200, 0x037b, true); // unmask ZE
  run(fpu, mem, [0xd9, m(5)], 0, true, 0x200);
  pushValues(fpu, mem, 0, 5);
  run(fpu, mem, [0xd8, 0xf1]); // FDIV ST0, ST1: 5 / 0
  assert.equal(fpu.statusWord() & (ZE | ES | B), ZE | ES | B);
  assert.equal(st(fpu, 0), 5);
  assert.equal(fpu.isWaitingException(), true);
  run(fpu, mem, [0xdb, 0xe2]); // FNCLEX
  assert.equal(fpu.isWaitingException(), false);
  // FLDCW that unmasks an already-flagged exception makes it pending.
  run(fpu, mem, [0xd9, m(5)], 0, true, 0x200);
  mem.view.setUint16(0x200, 0x037f, true);
  run(fpu, mem, [0xd9, m(5)], 0, true, 0x200);
  run(fpu, mem, [0xd8, 0xf1]);
  assert.equal(fpu.isWaitingException(), false);
  mem.view.setUint16(0x200, 0x037b, true);
  run(fpu, mem, [0xd9, m(5)], 0, true, 0x200);
  assert.equal(fpu.isWaitingException(), true);
});

test("#UD encodings return FPU_INVALID_OPCODE and change nothing", () => {
  const { fpu, mem } = setup();
  pushValues(fpu, mem, 1, 2);
  const before = snapshot(fpu);
  const bad = [
    [0xd9, 0xd1], [0xd9, 0xe2], [0xd9, 0xe7], [0xd9, 0xef], [0xda, 0xe8], [0xda, 0xf0], [0xdb, 0xe5],
    [0xdb, 0xf8], [0xdd, 0xf0], [0xdd, 0xf8], [0xde, 0xd8], [0xdf, 0xe1], [0xdf, 0xf8],
    [0xd9, m(1)], [0xdb, m(1)], [0xdd, m(1)], [0xdf, m(1)], [0xdb, m(4)], [0xdb, m(6)], [0xdd, m(5)],
  ];
  for (const bytes of bad) assert.equal(run(fpu, mem, bytes), FPU_INVALID_OPCODE, bytes.map((b) => b.toString(16)).join(" "));
  assert.equal(snapshot(fpu), before);
  assert.notEqual(run(fpu, mem, [0xdf, 0xc1]), FPU_INVALID_OPCODE); // FFREEP alias is real
});

test("isNonWaiting: FNINIT FNCLEX FNSTSW FNSTCW FNSTENV FNSAVE, not FLDCW or arithmetic", () => {
  for (const [esc, modrm] of [[3, 0xe3], [3, 0xe2], [7, 0xe0], [5, m(7)], [1, m(7)], [1, m(6)], [5, m(6)]]) {
    assert.equal(isNonWaiting(esc!, modrm!), true, `${esc} ${modrm!.toString(16)}`);
  }
  for (const [esc, modrm] of [[1, m(5)], [1, m(4)], [5, m(4)], [0, 0xc1], [1, 0xd0], [3, m(0)]]) {
    assert.equal(isNonWaiting(esc!, modrm!), false);
  }
});

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

test("FXCH, FST ST(i), FFREE, FINCSTP/FDECSTP, FCHS/FABS on a NaN", () => {
  const { fpu, mem } = setup();
  pushValues(fpu, mem, 1, 2, 3);
  run(fpu, mem, [0xd9, 0xca]); // FXCH ST2
  assert.deepEqual([st(fpu, 0), st(fpu, 1), st(fpu, 2)], [1, 2, 3]);
  run(fpu, mem, [0xdd, 0xd9]); // FSTP ST1
  assert.deepEqual([st(fpu, 0), st(fpu, 1)], [1, 3]);
  run(fpu, mem, [0xdd, 0xc1]); // FFREE ST1
  assert.equal(fpu.isEmpty(1), true);
  run(fpu, mem, [0xd9, 0xf7]); // FINCSTP
  assert.equal(fpu.isEmpty(0), true);
  run(fpu, mem, [0xd9, 0xf6]); // FDECSTP
  assert.equal(st(fpu, 0), 1);
  mem.setBytes(OPERAND, [5, 0, 0, 0, 0, 0, 0, 0x80 | 0x20, 0xff, 0x7f]); // SNaN
  run(fpu, mem, [0xdb, m(5)]);
  run(fpu, mem, [0xd9, 0xe0]); // FCHS
  assert.equal(fpu.statusWord() & IE, 0);
  run(fpu, mem, [0xdb, m(7)]);
  assert.deepEqual(mem.getBytes(OPERAND, 10), [5, 0, 0, 0, 0, 0, 0, 0xa0, 0xff, 0xff]);
  pushValues(fpu, mem, -3);
  run(fpu, mem, [0xd9, 0xe1]); // FABS
  assert.equal(st(fpu, 0), 3);
  run(fpu, mem, [0xd9, 0xe0]);
  assert.equal(st(fpu, 0), -3);
});

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
