/**
 * The opcode table (Intel SDM Vol. 2 Appendix A): every one- and two-byte
 * opcode of the i686 written once, as data. The decoder reads it to find
 * ModRM and immediates; the executor registry checks that each defined
 * opcode has a handler; the randomized tester generates instructions from it.
 *
 * Index: opcode for one-byte opcodes, 0x100 | byte for 0F xx.
 * imm kinds:
 *   -       none          ib   8-bit           iw   16-bit
 *   iv      16/32 by operand size               iwib ENTER's iw, ib
 *   ap      far pointer (iv then iw)            mo   address-size offset (moffs)
 *   g3      F6/F7: ib/iv only when ModRM.reg is 0 or 1 (TEST)
 * flags: m = has ModRM; u = undefined on an i686 (#UD); x = prefix byte.
 * `fuzz` marks opcodes the randomized tester may generate.
 */
export type ImmKind = "-" | "ib" | "iw" | "iv" | "iwib" | "ap" | "mo" | "g3";

export interface OpcodeInfo {
  readonly opcode: number;
  readonly name: string;
  readonly modrm: boolean;
  readonly imm: ImmKind;
  readonly valid: boolean;
  readonly prefix: boolean;
  readonly fuzz: boolean;
}

// name, flags, imm — per row of 16 opcodes where possible.
const ONE_BYTE: [string, string, ImmKind][] = [];
const TWO_BYTE: [string, string, ImmKind][] = [];

function row(target: [string, string, ImmKind][], entries: [string, string, ImmKind][]): void {
  target.push(...entries);
}

const alu = (n: string): [string, string, ImmKind][] => [
  [n, "mf", "-"], [n, "mf", "-"], [n, "mf", "-"], [n, "mf", "-"], [n, "f", "ib"], [n, "f", "iv"],
];
// 00-3F: ALU rows with segment push/pop, prefixes and BCD adjusts
row(ONE_BYTE, [...alu("add"), ["push es", "", "-"], ["pop es", "", "-"], ...alu("or"), ["push cs", "", "-"], ["0f", "x", "-"]]);
row(ONE_BYTE, [...alu("adc"), ["push ss", "", "-"], ["pop ss", "", "-"], ...alu("sbb"), ["push ds", "", "-"], ["pop ds", "", "-"]]);
row(ONE_BYTE, [...alu("and"), ["es:", "x", "-"], ["daa", "f", "-"], ...alu("sub"), ["cs:", "x", "-"], ["das", "f", "-"]]);
row(ONE_BYTE, [...alu("xor"), ["ss:", "x", "-"], ["aaa", "f", "-"], ...alu("cmp"), ["ds:", "x", "-"], ["aas", "f", "-"]]);
for (const n of ["inc", "dec", "push", "pop"]) for (let r = 0; r < 8; r++) ONE_BYTE.push([`${n} r`, n === "pop" && r === 4 ? "" : "f", "-"]);
row(ONE_BYTE, [
  ["pusha", "f", "-"], ["popa", "f", "-"], ["bound", "m", "-"], ["arpl", "m", "-"],
  ["fs:", "x", "-"], ["gs:", "x", "-"], ["opsize", "x", "-"], ["addrsize", "x", "-"],
  ["push iv", "f", "iv"], ["imul iv", "mf", "iv"], ["push ib", "f", "ib"], ["imul ib", "mf", "ib"],
  ["insb", "", "-"], ["insw", "", "-"], ["outsb", "", "-"], ["outsw", "", "-"],
]);
for (let c = 0; c < 16; c++) ONE_BYTE.push(["jcc rel8", "f", "ib"]);
row(ONE_BYTE, [
  ["grp1 eb,ib", "mf", "ib"], ["grp1 ev,iv", "mf", "iv"], ["grp1 eb,ib (82)", "mf", "ib"], ["grp1 ev,ib", "mf", "ib"],
  ["test eb", "mf", "-"], ["test ev", "mf", "-"], ["xchg eb", "mf", "-"], ["xchg ev", "mf", "-"],
  ["mov eb,gb", "mf", "-"], ["mov ev,gv", "mf", "-"], ["mov gb,eb", "mf", "-"], ["mov gv,ev", "mf", "-"],
  ["mov ew,sreg", "m", "-"], ["lea", "mf", "-"], ["mov sreg,ew", "m", "-"], ["pop ev", "m", "-"],
]);
ONE_BYTE.push(["nop", "f", "-"]);
for (let r = 1; r < 8; r++) ONE_BYTE.push(["xchg eax,r", "f", "-"]);
row(ONE_BYTE, [
  ["cbw/cwde", "f", "-"], ["cwd/cdq", "f", "-"], ["call far ap", "", "ap"], ["fwait", "", "-"],
  ["pushf", "f", "-"], ["popf", "f", "-"], ["sahf", "f", "-"], ["lahf", "f", "-"],
  ["mov al,moffs", "f", "mo"], ["mov eax,moffs", "f", "mo"], ["mov moffs,al", "f", "mo"], ["mov moffs,eax", "f", "mo"],
  ["movsb", "f", "-"], ["movsw", "f", "-"], ["cmpsb", "f", "-"], ["cmpsw", "f", "-"],
  ["test al,ib", "f", "ib"], ["test eax,iv", "f", "iv"], ["stosb", "f", "-"], ["stosw", "f", "-"],
  ["lodsb", "f", "-"], ["lodsw", "f", "-"], ["scasb", "f", "-"], ["scasw", "f", "-"],
]);
for (let r = 0; r < 8; r++) ONE_BYTE.push(["mov r8,ib", "f", "ib"]);
for (let r = 0; r < 8; r++) ONE_BYTE.push(["mov r,iv", "f", "iv"]);
row(ONE_BYTE, [
  ["grp2 eb,ib", "mf", "ib"], ["grp2 ev,ib", "mf", "ib"], ["ret iw", "", "iw"], ["ret", "", "-"],
  ["les", "m", "-"], ["lds", "m", "-"], ["mov eb,ib", "mf", "ib"], ["mov ev,iv", "mf", "iv"],
  ["enter", "", "iwib"], ["leave", "f", "-"], ["retf iw", "", "iw"], ["retf", "", "-"],
  ["int3", "", "-"], ["int ib", "", "ib"], ["into", "", "-"], ["iret", "", "-"],
  ["grp2 eb,1", "mf", "-"], ["grp2 ev,1", "mf", "-"], ["grp2 eb,cl", "mf", "-"], ["grp2 ev,cl", "mf", "-"],
  ["aam", "f", "ib"], ["aad", "f", "ib"], ["salc", "u", "-"], ["xlat", "f", "-"],
]);
for (let e = 0; e < 8; e++) ONE_BYTE.push(["x87 esc", "m", "-"]);
row(ONE_BYTE, [
  ["loopne", "", "ib"], ["loope", "", "ib"], ["loop", "", "ib"], ["jcxz", "", "ib"],
  ["in al,ib", "", "ib"], ["in eax,ib", "", "ib"], ["out ib,al", "", "ib"], ["out ib,eax", "", "ib"],
  ["call rel", "", "iv"], ["jmp rel", "", "iv"], ["jmp far ap", "", "ap"], ["jmp rel8", "", "ib"],
  ["in al,dx", "", "-"], ["in eax,dx", "", "-"], ["out dx,al", "", "-"], ["out dx,eax", "", "-"],
  ["lock", "x", "-"], ["int1", "", "-"], ["repne", "x", "-"], ["rep", "x", "-"],
  ["hlt", "", "-"], ["cmc", "f", "-"], ["grp3 eb", "mf", "g3"], ["grp3 ev", "mf", "g3"],
  ["clc", "f", "-"], ["stc", "f", "-"], ["cli", "", "-"], ["sti", "", "-"],
  ["cld", "f", "-"], ["std", "f", "-"], ["grp4 eb", "mf", "-"], ["grp5 ev", "m", "-"],
]);

// Two-byte map 0F xx
const U: [string, string, ImmKind] = ["(undefined)", "u", "-"];
row(TWO_BYTE, [
  ["grp6", "m", "-"], ["grp7", "m", "-"], ["lar", "m", "-"], ["lsl", "m", "-"], U, U, ["clts", "", "-"], U,
  ["invd", "", "-"], ["wbinvd", "", "-"], U, ["ud2", "u", "-"], U, U, U, U,
]);
for (let i = 0x10; i < 0x20; i++) TWO_BYTE.push(i === 0x1f ? ["nop ev", "m", "-"] : U);
row(TWO_BYTE, [
  ["mov r,cr", "m", "-"], ["mov r,dr", "m", "-"], ["mov cr,r", "m", "-"], ["mov dr,r", "m", "-"], U, U, U, U,
  U, U, U, U, U, U, U, U,
]);
row(TWO_BYTE, [
  ["wrmsr", "", "-"], ["rdtsc", "", "-"], ["rdmsr", "", "-"], ["rdpmc", "", "-"], ["sysenter", "", "-"], ["sysexit", "", "-"], U, U,
  U, U, U, U, U, U, U, U,
]);
for (let c = 0; c < 16; c++) TWO_BYTE.push(["cmovcc", "mf", "-"]);
for (let i = 0x50; i < 0x80; i++) TWO_BYTE.push(U);
for (let c = 0; c < 16; c++) TWO_BYTE.push(["jcc rel", "f", "iv"]);
for (let c = 0; c < 16; c++) TWO_BYTE.push(["setcc", "mf", "-"]);
row(TWO_BYTE, [
  ["push fs", "", "-"], ["pop fs", "", "-"], ["cpuid", "", "-"], ["bt ev,gv", "mf", "-"],
  ["shld ib", "mf", "ib"], ["shld cl", "mf", "-"], U, U,
  ["push gs", "", "-"], ["pop gs", "", "-"], ["rsm", "u", "-"], ["bts ev,gv", "mf", "-"],
  ["shrd ib", "mf", "ib"], ["shrd cl", "mf", "-"], U, ["imul gv,ev", "mf", "-"],
  ["cmpxchg eb", "mf", "-"], ["cmpxchg ev", "mf", "-"], ["lss", "m", "-"], ["btr ev,gv", "mf", "-"],
  ["lfs", "m", "-"], ["lgs", "m", "-"], ["movzx gv,eb", "mf", "-"], ["movzx gv,ew", "mf", "-"],
  U, ["grp10 ud1", "u", "-"], ["grp8 ev,ib", "mf", "ib"], ["btc ev,gv", "mf", "-"],
  ["bsf", "mf", "-"], ["bsr", "mf", "-"], ["movsx gv,eb", "mf", "-"], ["movsx gv,ew", "mf", "-"],
  ["xadd eb", "mf", "-"], ["xadd ev", "mf", "-"], U, U, U, U, U, ["grp9 cmpxchg8b", "m", "-"],
]);
for (let r = 0; r < 8; r++) TWO_BYTE.push(["bswap r", "f", "-"]);
for (let i = 0xd0; i < 0x100; i++) TWO_BYTE.push(U);

function build(): OpcodeInfo[] {
  if (ONE_BYTE.length !== 256 || TWO_BYTE.length !== 256) {
    throw new Error(`opcode table has ${ONE_BYTE.length} one-byte and ${TWO_BYTE.length} two-byte rows`);
  }
  return [...ONE_BYTE, ...TWO_BYTE].map(([name, flags, imm], opcode) => ({
    opcode,
    name,
    modrm: flags.includes("m"),
    imm,
    valid: !flags.includes("u") && !flags.includes("x"),
    prefix: flags.includes("x"),
    fuzz: flags.includes("f"),
  }));
}

export const OPCODES: readonly OpcodeInfo[] = build();

/** Immediate kind codes for the decoder (index by opcode). */
export const IMM_NONE = 0, IMM_IB = 1, IMM_IW = 2, IMM_IV = 3, IMM_IWIB = 4, IMM_AP = 5, IMM_MO = 6, IMM_G3 = 7;
const IMM_CODE: Record<ImmKind, number> = { "-": 0, ib: 1, iw: 2, iv: 3, iwib: 4, ap: 5, mo: 6, g3: 7 };
export const OP_IMM = Uint8Array.from(OPCODES, (o) => IMM_CODE[o.imm]);
export const OP_MODRM = Uint8Array.from(OPCODES, (o) => (o.modrm ? 1 : 0));
export const OP_VALID = Uint8Array.from(OPCODES, (o) => (o.valid ? 1 : 0));
