import { test } from "node:test";
import assert from "node:assert/strict";
import { FPU_INVALID_OPCODE, FPU_NO_EFLAGS, isNonWaiting } from "./fpu.js";
import { OPERAND, m, pushValues, run, setup, snapshot, st } from "./fpu-harness.test.js";
import { doubleHi } from "./fpu-round.js";

const IE = 0x01, ZE = 0x04, SF = 0x40, ES = 0x80, C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, B = 0x8000;
const CC = C0 | C1 | C2 | C3;


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

test("unmasked exceptions suppress stores, loads and pushes", () => {
  const { fpu, mem } = setup();
  const setCw = (cw: number): void => {
    mem.view.setUint16(0x200, cw, true);
    run(fpu, mem, [0xd9, m(5)], 0, true, 0x200);
  };
  setCw(0x0377); // unmask OE
  pushValues(fpu, mem, 1e39);
  mem.view.setUint32(OPERAND, 0x12345678, true);
  let before = snapshot(fpu);
  run(fpu, mem, [0xd9, m(3)]); // FSTP m32 overflows: no store, no pop
  assert.equal(mem.view.getUint32(OPERAND, true), 0x12345678);
  assert.equal(fpu.top, JSON.parse(before).sw >> 11 & 7);
  assert.equal(fpu.statusWord() & (0x08 | ES), 0x08 | ES);
  run(fpu, mem, [0xdb, 0xe3]);
  setCw(0x037d); // unmask DE
  pushValues(fpu, mem, 2);
  mem.view.setUint32(OPERAND, 1, true); // m32 denormal
  run(fpu, mem, [0xd8, m(0)]); // FADD m32
  assert.equal(fpu.get(0), 2);
  assert.equal(fpu.statusWord() & (0x02 | ES), 0x02 | ES);
  run(fpu, mem, [0xdb, 0xe3]);
  setCw(0x037e); // unmask IE
  mem.view.setUint32(OPERAND, 0x7f800001, true);
  before = snapshot(fpu);
  run(fpu, mem, [0xd9, m(0)]); // FLD m32 SNaN: nothing pushed
  assert.equal(fpu.tagWord(), 0xffff);
  assert.equal(fpu.statusWord() & (IE | ES | B), IE | ES | B);
  run(fpu, mem, [0xdb, 0xe2]);
  for (let k = 0; k < 8; k++) run(fpu, mem, [0xd9, 0xe8]);
  const full = fpu.top;
  run(fpu, mem, [0xd9, 0xee]); // ninth push, IE unmasked: stack unchanged
  assert.equal(fpu.top, full);
  assert.equal(fpu.get(0), 1);
  assert.equal(fpu.statusWord() & (IE | SF | C1 | ES), IE | SF | C1 | ES);
});

test("FXCH with an empty register; FNSTSW m16 and FNSTCW", () => {
  const { fpu, mem } = setup();
  pushValues(fpu, mem, 4);
  run(fpu, mem, [0xd9, 0xc9]); // FXCH ST1, ST1 empty
  assert.equal(fpu.get(1), 4);
  assert.equal(doubleHi(fpu.get(0)), 0xfff80000);
  assert.equal(fpu.statusWord() & (IE | SF), IE | SF);
  run(fpu, mem, [0xdd, m(7)]); // FNSTSW m16
  assert.equal(mem.view.getUint16(OPERAND, true), fpu.statusWord());
  assert.equal((mem.view.getUint16(OPERAND, true) >> 11) & 7, 7);
  run(fpu, mem, [0xd9, m(7)]); // FNSTCW
  assert.equal(mem.view.getUint16(OPERAND, true), 0x037f);
});
