/**
 * The decoder (SDM Vol. 2 ch. 2 "Instruction Format", Appendix A opcode map):
 * every decoded field of a spread of encodings, asserted as a whole slot —
 * prefixes, ModRM/SIB/displacements in 32- and 16-bit addressing with their
 * default segments, moffs, ENTER, far pointers, group 3's TEST immediate,
 * the 15-byte limit (#GP(0)), LOCK legality and undefined opcodes (OP_UD),
 * and MOV to/from CR/DR, which ignores ModRM.mod.
 *
 * The other side is a real test machine with paging off: `decodeInto` fetches
 * the bytes through the CPU's instruction-fetch path.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { F_A32, F_LOCK, F_MEM, F_O32, F_REP, F_REPNE, OP_UD, SCRATCH_SLOT, decodeInto } from "./decoder.js";
import { FAULT } from "./fault.js";
import { CS, DS, ES, FS, GS, SS } from "./registers.js";
import { CODE, PAGE_DIR, identityPaging, poke, testMachine } from "./test-machine.js";

interface Decoded {
  op: number; len: number; flags: number; reg: number; rm: number; seg: number;
  base: number; index: number; scale: number; disp: number; imm: number; imm2: number;
}

const tm = testMachine();

function decode(bytes: number[], code32 = true, at = CODE): Decoded {
  poke(tm.pc, at, [...bytes, 0xcc, 0xcc, 0xcc, 0xcc]);
  const dc = tm.cpu.dc;
  const s = SCRATCH_SLOT;
  decodeInto(tm.cpu, dc, s, at, code32);
  assert.equal(dc.mode[s], code32 ? 1 : 0, "mode records CS.D");
  return {
    op: dc.op[s]!, len: dc.len[s]!, flags: dc.flags[s]!, reg: dc.reg[s]!, rm: dc.rm[s]!, seg: dc.seg[s]!,
    base: dc.base[s]!, index: dc.index[s]!, scale: dc.scale[s]!, disp: dc.disp[s]!, imm: dc.imm[s]!, imm2: dc.imm2[s]!,
  };
}

const D32 = F_O32 | F_A32;
/** The whole slot: defaults for a 32-bit instruction without ModRM, overridden by `f`. */
function slot(f: Partial<Decoded>): Decoded {
  return { op: 0, len: 1, flags: D32, reg: 0, rm: 0, seg: DS, base: -1, index: -1, scale: 0, disp: 0, imm: 0, imm2: 0, ...f };
}

function check(bytes: number[], f: Partial<Decoded>, code32 = true): void {
  assert.deepEqual(decode(bytes, code32), slot(f), bytes.map((b) => b.toString(16).padStart(2, "0")).join(" "));
}

function faults(bytes: number[], vector: number, errorCode: number, code32 = true, at = CODE): void {
  assert.throws(() => decode(bytes, code32, at), (e: unknown) => {
    assert.equal(e, FAULT);
    assert.equal(FAULT.vector, vector);
    assert.equal(FAULT.errorCode, errorCode);
    return true;
  });
}

test("operand and address size prefixes toggle against CS.D", () => {
  check([0x90], { op: 0x90, len: 1 });
  check([0x66, 0x90], { op: 0x90, len: 2, flags: F_A32 });
  check([0x67, 0x90], { op: 0x90, len: 2, flags: F_O32 });
  check([0x66, 0x66, 0x90], { op: 0x90, len: 3, flags: F_A32 }, true); // a repeated 66 does not toggle back
  check([0x90], { op: 0x90, len: 1, flags: 0 }, false);
  check([0x66, 0x67, 0x90], { op: 0x90, len: 3, flags: D32 }, false);
});

test("immediates follow the operand size; Jcc rel16 under 66", () => {
  check([0xb8, 0x78, 0x56, 0x34, 0x12], { op: 0xb8, len: 5, imm: 0x12345678 });
  check([0xb8, 0xff, 0xff, 0xff, 0xff], { op: 0xb8, len: 5, imm: -1 });
  check([0x66, 0xb8, 0x34, 0x12], { op: 0xb8, len: 4, flags: F_A32, imm: 0x1234 });
  check([0xb4, 0x80], { op: 0xb4, len: 2, imm: 0x80 }); // mov ah, 0x80: ib is zero-extended in the slot
  check([0x0f, 0x84, 0x10, 0x00, 0x00, 0x00], { op: 0x184, len: 6, imm: 0x10 });
  check([0x66, 0x0f, 0x84, 0x34, 0x12], { op: 0x184, len: 5, flags: F_A32, imm: 0x1234 });
  check([0x74, 0xfe], { op: 0x74, len: 2, imm: 0xfe });
  check([0xc2, 0x08, 0x00], { op: 0xc2, len: 3, imm: 8 }); // ret iw is 16 bits regardless of 66
  check([0x66, 0x6a, 0xff], { op: 0x6a, len: 3, flags: F_A32, imm: 0xff });
  check([0xcd, 0x80], { op: 0xcd, len: 2, imm: 0x80 });
});

test("ModRM register form: reg and rm, no memory operand", () => {
  check([0x01, 0xd8], { op: 0x01, len: 2, reg: 3, rm: 0 }); // add eax, ebx
  check([0x83, 0xc0, 0xff], { op: 0x83, len: 3, reg: 0, rm: 0, imm: 0xff }); // add eax, -1
  check([0x69, 0xc3, 0x10, 0x27, 0x00, 0x00], { op: 0x69, len: 6, reg: 0, rm: 3, imm: 10000 });
  check([0x6b, 0xc3, 0xff], { op: 0x6b, len: 3, reg: 0, rm: 3, imm: 0xff });
  check([0xc0, 0xe0, 0x04], { op: 0xc0, len: 3, reg: 4, rm: 0, imm: 4 }); // shl al, 4
  check([0x0f, 0xb6, 0xc1], { op: 0x1b6, len: 3, reg: 0, rm: 1 }); // movzx eax, cl
});

test("32-bit addressing: disp8/disp32, SIB, and SS as default for ESP/EBP bases", () => {
  const M = D32 | F_MEM;
  check([0x8b, 0x03], { op: 0x8b, len: 2, flags: M, rm: 3, base: 3 }); // [ebx]
  check([0x8b, 0x43, 0x80], { op: 0x8b, len: 3, flags: M, rm: 3, base: 3, disp: -128 });
  check([0x8b, 0x45, 0xfc], { op: 0x8b, len: 3, flags: M, rm: 5, base: 5, disp: -4, seg: SS }); // [ebp-4]
  check([0x8b, 0x05, 0x44, 0x33, 0x22, 0x11], { op: 0x8b, len: 6, flags: M, rm: 5, disp: 0x11223344 }); // [disp32], DS
  check([0x8b, 0x44, 0x24, 0x08], { op: 0x8b, len: 4, flags: M, rm: 4, base: 4, disp: 8, seg: SS }); // [esp+8]
  check([0x8b, 0x84, 0x8b, 0x78, 0x56, 0x34, 0x12], // [ebx+ecx*4+0x12345678]
    { op: 0x8b, len: 7, flags: M, rm: 4, base: 3, index: 1, scale: 2, disp: 0x12345678 });
  check([0x8b, 0x04, 0x8d, 0x00, 0x10, 0x00, 0x00], // [ecx*4+0x1000]: SIB base 5 with mod 0 is disp32, DS
    { op: 0x8b, len: 7, flags: M, rm: 4, index: 1, scale: 2, disp: 0x1000 });
  check([0x8b, 0x44, 0x2d, 0x10], // [ebp+ebp+0x10]: EBP as base picks SS
    { op: 0x8b, len: 4, flags: M, rm: 4, base: 5, index: 5, disp: 0x10, seg: SS });
  check([0x8b, 0x04, 0x6b], // [ebx+ebp*2]: EBP as index leaves DS
    { op: 0x8b, len: 3, flags: M, rm: 4, base: 3, index: 5, scale: 1 });
  check([0x8b, 0x04, 0xe3], // index 100b = none; scale still recorded
    { op: 0x8b, len: 3, flags: M, rm: 4, base: 3, scale: 3 });
  check([0x89, 0x9c, 0x24, 0x00, 0x01, 0x00, 0x00], // mov [esp+0x100], ebx
    { op: 0x89, len: 7, flags: M, reg: 3, rm: 4, base: 4, disp: 0x100, seg: SS });
  check([0xc7, 0x45, 0xf8, 0x01, 0x00, 0x00, 0x00], // mov dword [ebp-8], 1
    { op: 0xc7, len: 7, flags: M, rm: 5, base: 5, disp: -8, seg: SS, imm: 1 });
});

test("segment overrides replace the default segment; the last one wins", () => {
  const M = D32 | F_MEM;
  check([0x26, 0x8b, 0x45, 0xfc], { op: 0x8b, len: 4, flags: M, rm: 5, base: 5, disp: -4, seg: ES });
  check([0x2e, 0x8b, 0x03], { op: 0x8b, len: 3, flags: M, rm: 3, base: 3, seg: CS });
  check([0x36, 0x8b, 0x03], { op: 0x8b, len: 3, flags: M, rm: 3, base: 3, seg: SS });
  check([0x3e, 0x8b, 0x04, 0x24], { op: 0x8b, len: 4, flags: M, rm: 4, base: 4, seg: DS });
  check([0x65, 0x8b, 0x03], { op: 0x8b, len: 3, flags: M, rm: 3, base: 3, seg: GS });
  check([0x26, 0x64, 0x8b, 0x03], { op: 0x8b, len: 4, flags: M, rm: 3, base: 3, seg: FS });
  check([0x64, 0xa4], { op: 0xa4, len: 2, seg: FS }); // movsb: the source segment
});

test("moffs: address-size offset, DS default, memory operand", () => {
  check([0xa1, 0x44, 0x33, 0x22, 0x11], { op: 0xa1, len: 5, flags: D32 | F_MEM, disp: 0x11223344 });
  check([0x64, 0xa3, 0x10, 0x00, 0x00, 0x00], { op: 0xa3, len: 6, flags: D32 | F_MEM, disp: 0x10, seg: FS });
  check([0x67, 0xa0, 0x34, 0x12], { op: 0xa0, len: 4, flags: F_O32 | F_MEM, disp: 0x1234 });
  check([0xa1, 0x34, 0x12], { op: 0xa1, len: 3, flags: F_MEM, disp: 0x1234 }, false);
});

test("16-bit addressing forms (SDM Vol. 2 Table 2-1), BP-based forms default to SS", () => {
  const M = F_O32 | F_MEM; // 67 prefix in 32-bit code: 16-bit addressing, 32-bit operands
  check([0x67, 0x8b, 0x00], { op: 0x8b, len: 3, flags: M, rm: 0, base: 3, index: 6 }); // [bx+si]
  check([0x67, 0x8b, 0x01], { op: 0x8b, len: 3, flags: M, rm: 1, base: 3, index: 7 }); // [bx+di]
  check([0x67, 0x8b, 0x02], { op: 0x8b, len: 3, flags: M, rm: 2, base: 5, index: 6, seg: SS }); // [bp+si]
  check([0x67, 0x8b, 0x03], { op: 0x8b, len: 3, flags: M, rm: 3, base: 5, index: 7, seg: SS }); // [bp+di]
  check([0x67, 0x8b, 0x04], { op: 0x8b, len: 3, flags: M, rm: 4, base: 6 }); // [si]
  check([0x67, 0x8b, 0x05], { op: 0x8b, len: 3, flags: M, rm: 5, base: 7 }); // [di]
  check([0x67, 0x8b, 0x06, 0x34, 0x12], { op: 0x8b, len: 5, flags: M, rm: 6, disp: 0x1234 }); // [disp16], DS
  check([0x67, 0x8b, 0x07], { op: 0x8b, len: 3, flags: M, rm: 7, base: 3 }); // [bx]
  check([0x67, 0x8b, 0x46, 0x10], { op: 0x8b, len: 4, flags: M, rm: 6, base: 5, disp: 0x10, seg: SS }); // [bp+0x10]
  check([0x67, 0x8b, 0x80, 0xfe, 0xff], { op: 0x8b, len: 5, flags: M, rm: 0, base: 3, index: 6, disp: -2 }); // [bx+si-2]
  check([0x67, 0x8b, 0x86, 0x00, 0x80], { op: 0x8b, len: 5, flags: M, rm: 6, base: 5, disp: -0x8000, seg: SS });
  check([0x67, 0x3e, 0x8b, 0x46, 0x00], { op: 0x8b, len: 5, flags: M, rm: 6, base: 5, seg: DS }); // ds:[bp+0]
  // the same forms in 16-bit code, without prefixes
  check([0x8b, 0x46, 0xfe], { op: 0x8b, len: 3, flags: F_MEM, rm: 6, base: 5, disp: -2, seg: SS }, false);
  check([0x8b, 0x06, 0x00, 0x20], { op: 0x8b, len: 4, flags: F_MEM, rm: 6, disp: 0x2000 }, false);
  check([0xc7, 0x06, 0x00, 0x20, 0x34, 0x12], { op: 0xc7, len: 6, flags: F_MEM, rm: 6, disp: 0x2000, imm: 0x1234 }, false);
});

test("ENTER iw ib and far pointers (ap: offset by operand size, then selector)", () => {
  check([0xc8, 0x10, 0x00, 0x03], { op: 0xc8, len: 4, imm: 0x10, imm2: 3 });
  check([0xc8, 0xff, 0xff, 0xff], { op: 0xc8, len: 4, imm: 0xffff, imm2: 0xff });
  check([0xea, 0x78, 0x56, 0x34, 0x12, 0x08, 0x00], { op: 0xea, len: 7, imm: 0x12345678, imm2: 8 });
  check([0x66, 0x9a, 0x34, 0x12, 0x10, 0x00], { op: 0x9a, len: 6, flags: F_A32, imm: 0x1234, imm2: 0x10 });
  check([0x9a, 0x34, 0x12, 0x1b, 0x00], { op: 0x9a, len: 5, flags: 0, imm: 0x1234, imm2: 0x1b }, false);
});

test("group 3: TEST (/0 and /1) has an immediate, NOT/NEG/MUL/DIV do not", () => {
  check([0xf6, 0xc3, 0x7f], { op: 0xf6, len: 3, reg: 0, rm: 3, imm: 0x7f }); // test bl, 0x7f
  check([0xf6, 0xc8, 0x55], { op: 0xf6, len: 3, reg: 1, rm: 0, imm: 0x55 }); // /1 alias of TEST
  check([0xf7, 0x05, 0x00, 0x20, 0x00, 0x00, 0x01, 0x00, 0x00, 0x80], // test dword [0x2000], 0x80000001
    { op: 0xf7, len: 10, flags: D32 | F_MEM, rm: 5, disp: 0x2000, imm: 0x80000001 | 0 });
  check([0x66, 0xf7, 0xc1, 0x34, 0x12], { op: 0xf7, len: 5, flags: F_A32, reg: 0, rm: 1, imm: 0x1234 });
  check([0xf7, 0xd8], { op: 0xf7, len: 2, reg: 3, rm: 0 }); // neg eax
  check([0xf6, 0x33], { op: 0xf6, len: 2, flags: D32 | F_MEM, reg: 6, rm: 3, base: 3 }); // div byte [ebx]
});

test("REP/REPNE prefixes; with both, the last one wins", () => {
  check([0xf3, 0xa4], { op: 0xa4, len: 2, flags: D32 | F_REP });
  check([0xf2, 0xae], { op: 0xae, len: 2, flags: D32 | F_REPNE });
  check([0xf3, 0xf2, 0xa6], { op: 0xa6, len: 3, flags: D32 | F_REPNE });
  check([0xf2, 0xf3, 0xa6], { op: 0xa6, len: 3, flags: D32 | F_REP });
  check([0xf3, 0x66, 0x67, 0xab], { op: 0xab, len: 4, flags: F_REP }, true); // rep stosw with 16-bit addressing
});

test("LOCK: kept on lockable read-modify-write forms with a memory destination", () => {
  const L = D32 | F_MEM | F_LOCK;
  check([0xf0, 0x01, 0x03], { op: 0x01, len: 3, flags: L, rm: 3, base: 3 }); // lock add [ebx], eax
  check([0xf0, 0x87, 0x03], { op: 0x87, len: 3, flags: L, rm: 3, base: 3 }); // lock xchg
  check([0xf0, 0x0f, 0xab, 0x03], { op: 0x1ab, len: 4, flags: L, rm: 3, base: 3 }); // lock bts
  check([0xf0, 0x0f, 0xba, 0x2b, 0x05], { op: 0x1ba, len: 5, flags: L, reg: 5, rm: 3, base: 3, imm: 5 }); // lock bts [ebx], 5
  check([0xf0, 0x0f, 0xc7, 0x0b], { op: 0x1c7, len: 4, flags: L, reg: 1, rm: 3, base: 3 }); // lock cmpxchg8b
  check([0xf0, 0x0f, 0xc1, 0x03], { op: 0x1c1, len: 4, flags: L, rm: 3, base: 3 }); // lock xadd
  check([0xf0, 0xfe, 0x03], { op: 0xfe, len: 3, flags: L, rm: 3, base: 3 }); // lock inc byte [ebx]
  check([0xf0, 0xf6, 0x13], { op: 0xf6, len: 3, flags: L, reg: 2, rm: 3, base: 3 }); // lock not byte [ebx]
  check([0xf0, 0x83, 0x33, 0x01], { op: 0x83, len: 4, flags: L, reg: 6, rm: 3, base: 3, imm: 1 }); // lock xor
});

test("LOCK on anything else is #UD (OP_UD), the length still decoded", () => {
  const L = D32 | F_LOCK;
  check([0xf0, 0x90], { op: OP_UD, len: 2, flags: L }); // nop
  check([0xf0, 0x01, 0xc0], { op: OP_UD, len: 3, flags: L, rm: 0 }); // register destination
  check([0xf0, 0x39, 0x03], { op: OP_UD, len: 3, flags: L | F_MEM, rm: 3, base: 3 }); // cmp
  check([0xf0, 0x0f, 0xa3, 0x03], { op: OP_UD, len: 4, flags: L | F_MEM, rm: 3, base: 3 }); // bt
  check([0xf0, 0x83, 0x3b, 0x01], { op: OP_UD, len: 4, flags: L | F_MEM, reg: 7, rm: 3, base: 3, imm: 1 }); // cmp imm
  check([0xf0, 0xff, 0x33], { op: OP_UD, len: 3, flags: L | F_MEM, reg: 6, rm: 3, base: 3 }); // push [ebx]
  check([0xf0, 0xf6, 0x03, 0x01], { op: OP_UD, len: 4, flags: L | F_MEM, rm: 3, base: 3, imm: 1 }); // test
  check([0xf0, 0x8b, 0x03], { op: OP_UD, len: 3, flags: L | F_MEM, rm: 3, base: 3 }); // mov
  check([0xf0, 0x0f, 0xba, 0x23, 0x05], { op: OP_UD, len: 5, flags: L | F_MEM, reg: 4, rm: 3, base: 3, imm: 5 }); // bt imm
});

test("undefined opcodes decode to OP_UD", () => {
  check([0x0f, 0x0b], { op: OP_UD, len: 2 }); // ud2
  check([0xd6], { op: OP_UD, len: 1 }); // salc
  check([0x0f, 0xff], { op: OP_UD, len: 2 });
  check([0x0f, 0x05], { op: OP_UD, len: 2 }); // syscall: not on an i686
  check([0x0f, 0xaa], { op: OP_UD, len: 2 }); // rsm outside SMM
  check([0x0f, 0x0b], { op: OP_UD, len: 2, flags: 0 }, false);
});

test("MOV to/from CR and DR ignore ModRM.mod: always the register form, no SIB or displacement", () => {
  check([0x0f, 0x20, 0xc0], { op: 0x120, len: 3, reg: 0, rm: 0 }); // mov eax, cr0
  check([0x0f, 0x20, 0x00], { op: 0x120, len: 3, reg: 0, rm: 0 }); // same with mod 00
  check([0x0f, 0x22, 0x1d, 0x00, 0x00, 0x00, 0x00], { op: 0x122, len: 3, reg: 3, rm: 5 }); // mov cr3, ebp (mod 00 rm 101)
  check([0x0f, 0x22, 0x64, 0x24], { op: 0x122, len: 3, reg: 4, rm: 4 }); // mod 01 rm 100: no SIB, no disp8
  check([0x0f, 0x21, 0x87], { op: 0x121, len: 3, reg: 0, rm: 7 }); // mov edi, dr0 with mod 10
  check([0x0f, 0x23, 0x7f], { op: 0x123, len: 3, reg: 7, rm: 7 }); // mov dr7, edi with mod 01
});

test("15-byte limit: a longer instruction is #GP(0)", () => {
  const p14 = new Array<number>(14).fill(0x66);
  check([...p14, 0x90], { op: 0x90, len: 15, flags: F_A32 });
  faults([...p14, 0x66, 0x90], 13, 0);
  // 81 84 8b disp32 imm32 is 11 bytes: 4 prefixes make 15, 5 make 16
  const body = [0x81, 0x84, 0x8b, 0x00, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00];
  check([0x26, 0x26, 0x26, 0x26, ...body],
    { op: 0x81, len: 15, flags: D32 | F_MEM, rm: 4, base: 3, index: 1, scale: 2, disp: 0x1000, imm: 1, seg: ES });
  faults([0x26, 0x26, 0x26, 0x26, 0x26, ...body], 13, 0);
  faults([0xf0, 0x26, 0x26, 0x26, 0x26, ...body], 13, 0); // #GP, not #UD, for a too-long LOCKed instruction
});

test("an instruction running into a not-present page is #PF at the next page (error code 0, CR2)", () => {
  const t = testMachine();
  const pte = identityPaging(t.pc, 4);
  t.pc.ram.write32(pte(0x2), 0); // linear 0x2000 not present
  t.cpu.cr3 = PAGE_DIR;
  t.cpu.cr0 = 0x80000011;
  poke(t.pc, 0x1ffe, [0xb8, 0x01]);
  assert.throws(() => decodeInto(t.cpu, t.cpu.dc, SCRATCH_SLOT, 0x1ffe, true), (e: unknown) => {
    assert.equal(e, FAULT);
    assert.equal(FAULT.vector, 14);
    assert.equal(FAULT.errorCode, 0);
    return true;
  });
  assert.equal(t.cpu.cr2 >>> 0, 0x2000);
});
