/**
 * The x87 opcode map of a P6 (Intel SDM Vol. 2 Appendix A.4 "Escape Opcode
 * Instructions", Tables ), written once as data. The decoder
 * (fpu.ts), `isNonWaiting` and the pointer bookkeeping all read it.
 *
 * An entry is `op | operand << 8`. Memory forms (mod ≠ 3) are indexed by
 * escape·8 + reg; register forms by escape·64 + (modrm & 3Fh). The operand
 * kind says what the memory operand is, or which registers are source and
 * destination (arithmetic is always "dest := dest op src").
 *
 * Undocumented but real P6 aliases are decoded as the hardware does:
 * D9 D8+i FSTP, DC D0+i FCOM, DC D8+i FCOMP, DD C8+i FXCH, DE D0+i FCOMP,
 * DF C0+i FFREEP, DF C8+i FXCH, DF D0+i / D8+i FSTP; FENI, FDISI and FSETPM
 * (DB E0, E1, E4) do nothing (Vol. 1 §8.3.13). FISTTP (SSE3) is #UD here.
 */

export const Op = {
  UD: 0,
  ADD: 1, MUL: 2, SUB: 3, SUBR: 4, DIV: 5, DIVR: 6,
  COM: 7, COMP: 8, COMPP: 9, UCOM: 10, UCOMP: 11, UCOMPP: 12,
  COMI: 13, COMIP: 14, UCOMI: 15, UCOMIP: 16,
  LD: 17, ST: 18, STP: 19, XCH: 20, FREE: 21, FREEP: 22, NOP: 23,
  CHS: 24, ABS: 25, TST: 26, XAM: 27,
  LD1: 28, LDL2T: 29, LDL2E: 30, LDPI: 31, LDLG2: 32, LDLN2: 33, LDZ: 34,
  F2XM1: 35, YL2X: 36, PTAN: 37, PATAN: 38, XTRACT: 39, PREM1: 40, DECSTP: 41, INCSTP: 42,
  PREM: 43, YL2XP1: 44, SQRT: 45, SINCOS: 46, RNDINT: 47, SCALE: 48, SIN: 49, COS: 50,
  CMOVB: 51, CMOVE: 52, CMOVBE: 53, CMOVU: 54, CMOVNB: 55, CMOVNE: 56, CMOVNBE: 57, CMOVNU: 58,
  CLEX: 59, INIT: 60, LEGACY_NOP: 61, STSW_AX: 62,
  LDENV: 63, LDCW: 64, STENV: 65, STCW: 66, RSTOR: 67, SAVE: 68, STSW: 69,
} as const;

/* Operand kinds. */
export const NONE = 0;
export const M32R = 1;
export const M64R = 2;
export const M80R = 3;
export const M16I = 4;
export const M32I = 5;
export const M64I = 6;
export const M80BCD = 7;
/** dest ST(0), source ST(i) */
export const ST0_STI = 8;
/** dest ST(i), source ST(0) */
export const STI_ST0 = 9;
/** dest ST(i), source ST(0), then pop */
export const STI_ST0_POP = 10;
/** the one operand is ST(i) */
export const STI = 11;

/** Instructions that do not check for pending unmasked exceptions (SDM Vol. 1 §8.3.11, §8.6). */
const NON_WAITING: ReadonlySet<number> = new Set([
  Op.CLEX, Op.INIT, Op.LEGACY_NOP, Op.STSW_AX, Op.STENV, Op.STCW, Op.SAVE, Op.STSW,
]);

/** Control instructions leave the last-instruction pointers alone (SDM Vol. 1 §8.1.8). */
const CONTROL: ReadonlySet<number> = new Set([
  Op.INIT, Op.CLEX, Op.LDCW, Op.STCW, Op.STSW, Op.STSW_AX, Op.STENV, Op.LDENV, Op.SAVE,
  Op.RSTOR, Op.LEGACY_NOP,
]);

type Row = number | readonly number[];
const U = Op.UD;
const arith = (kind: number): readonly number[] =>
  [Op.ADD, Op.MUL, Op.COM, Op.COMP, Op.SUB, Op.SUBR, Op.DIV, Op.DIVR].map((op) => op | (kind << 8));
const e = (op: number, kind: number): number => op | (kind << 8);

/** Memory forms, by escape (D8..DF) then reg field. */
const MEMORY_FORMS: readonly (readonly number[])[] = [
  arith(M32R),
  [e(Op.LD, M32R), U, e(Op.ST, M32R), e(Op.STP, M32R), Op.LDENV, Op.LDCW, Op.STENV, Op.STCW],
  arith(M32I),
  [e(Op.LD, M32I), U, e(Op.ST, M32I), e(Op.STP, M32I), U, e(Op.LD, M80R), U, e(Op.STP, M80R)],
  arith(M64R),
  [e(Op.LD, M64R), U, e(Op.ST, M64R), e(Op.STP, M64R), Op.RSTOR, U, Op.SAVE, Op.STSW],
  arith(M16I),
  [e(Op.LD, M16I), U, e(Op.ST, M16I), e(Op.STP, M16I), e(Op.LD, M80BCD), e(Op.LD, M64I),
    e(Op.STP, M80BCD), e(Op.STP, M64I)],
];

/** Register forms, by escape then reg field; a row is one entry for all ST(i) or eight. */
const REGISTER_FORMS: readonly (readonly Row[])[] = [
  [e(Op.ADD, ST0_STI), e(Op.MUL, ST0_STI), e(Op.COM, STI), e(Op.COMP, STI),
    e(Op.SUB, ST0_STI), e(Op.SUBR, ST0_STI), e(Op.DIV, ST0_STI), e(Op.DIVR, ST0_STI)],
  [e(Op.LD, STI), e(Op.XCH, STI), [Op.NOP, U, U, U, U, U, U, U], e(Op.STP, STI),
    [Op.CHS, Op.ABS, U, U, Op.TST, Op.XAM, U, U],
    [Op.LD1, Op.LDL2T, Op.LDL2E, Op.LDPI, Op.LDLG2, Op.LDLN2, Op.LDZ, U],
    [Op.F2XM1, Op.YL2X, Op.PTAN, Op.PATAN, Op.XTRACT, Op.PREM1, Op.DECSTP, Op.INCSTP],
    [Op.PREM, Op.YL2XP1, Op.SQRT, Op.SINCOS, Op.RNDINT, Op.SCALE, Op.SIN, Op.COS]],
  [e(Op.CMOVB, STI), e(Op.CMOVE, STI), e(Op.CMOVBE, STI), e(Op.CMOVU, STI), U,
    [U, Op.UCOMPP, U, U, U, U, U, U], U, U],
  [e(Op.CMOVNB, STI), e(Op.CMOVNE, STI), e(Op.CMOVNBE, STI), e(Op.CMOVNU, STI),
    [Op.LEGACY_NOP, Op.LEGACY_NOP, Op.CLEX, Op.INIT, Op.LEGACY_NOP, U, U, U],
    e(Op.UCOMI, STI), e(Op.COMI, STI), U],
  [e(Op.ADD, STI_ST0), e(Op.MUL, STI_ST0), e(Op.COM, STI), e(Op.COMP, STI),
    e(Op.SUBR, STI_ST0), e(Op.SUB, STI_ST0), e(Op.DIVR, STI_ST0), e(Op.DIV, STI_ST0)],
  [e(Op.FREE, STI), e(Op.XCH, STI), e(Op.ST, STI), e(Op.STP, STI), e(Op.UCOM, STI), e(Op.UCOMP, STI), U, U],
  [e(Op.ADD, STI_ST0_POP), e(Op.MUL, STI_ST0_POP), e(Op.COMP, STI), [U, Op.COMPP, U, U, U, U, U, U],
    e(Op.SUBR, STI_ST0_POP), e(Op.SUB, STI_ST0_POP), e(Op.DIVR, STI_ST0_POP), e(Op.DIV, STI_ST0_POP)],
  [e(Op.FREEP, STI), e(Op.XCH, STI), e(Op.STP, STI), e(Op.STP, STI), [Op.STSW_AX, U, U, U, U, U, U, U],
    e(Op.UCOMIP, STI), e(Op.COMIP, STI), U],
];

const memoryTable = new Uint16Array(64);
const registerTable = new Uint16Array(512);
for (let esc = 0; esc < 8; esc++) {
  for (let reg = 0; reg < 8; reg++) {
    memoryTable[esc * 8 + reg] = MEMORY_FORMS[esc]![reg]!;
    const row = REGISTER_FORMS[esc]![reg]!;
    for (let i = 0; i < 8; i++) registerTable[esc * 64 + reg * 8 + i] = typeof row === "number" ? row : row[i]!;
  }
}

/** The table entry for escape (0..7 for D8..DF) and ModR/M byte. */
export function decodeFpu(escape: number, modrm: number): number {
  return modrm < 0xc0 ? memoryTable[(escape & 7) * 8 + ((modrm >> 3) & 7)]! : registerTable[(escape & 7) * 64 + (modrm & 0x3f)]!;
}

export function isNonWaitingOp(op: number): boolean {
  return NON_WAITING.has(op);
}

export function isControlOp(op: number): boolean {
  return CONTROL.has(op);
}
