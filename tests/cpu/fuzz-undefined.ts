/**
 * What each generated instruction does to the six status flags, per the
 * "Flags Affected" paragraph of its entry in the Intel SDM Vol. 2 (Order
 * 325383; 2A for A-L, 2B for M-U, 2C for V-Z). Three masks:
 *
 *   reads    flags whose value the result depends on (ADC's CF, Jcc's cc)
 *   defines  flags set to an architecturally defined value
 *   undef    flags the SDM leaves undefined
 *
 * Flags in none of them are unaffected. The generator tracks the set U of
 * flags undefined at each point (U' = (U & ~defines) | undef, and at a Jcc
 * target the union over both paths), never emits an instruction whose
 * `reads` meet U, and the comparison masks U at the point the case ended.
 * So an undefined flag can never leak into a register, memory or a later
 * defined flag, and U is exact rather than the union over the whole case.
 *
 * Undefined results other than flags (BSF/BSR's destination for a zero
 * source, 16-bit SHLD/SHRD counts above 16) are handled by the generator:
 * such an instruction only appears last, with a register destination, and
 * that register is masked (fuzz-gen.ts).
 */
import { AF, CF, OF, PF, SF, STATUS, ZF } from "./fuzz-layout.js";

/** An instruction as the flag rules see it. */
export interface Sem {
  mnem: string;
  /** Operand size in bits. */
  size: 8 | 16 | 32;
  /** Shift/rotate/double-shift count before masking (imm8, 1 or CL). */
  count?: number;
  /** Condition code 0..15 of Jcc/SETcc/CMOVcc. */
  cc?: number;
  /** CMPS/SCAS iterations: 1 without REP, else the count in (E)CX. */
  iterations?: number;
}

export interface FlagEffect {
  reads: number;
  defines: number;
  undef: number;
}

const NONE: FlagEffect = { reads: 0, defines: 0, undef: 0 };
const fx = (reads: number, defines: number, undef = 0): FlagEffect => ({ reads, defines, undef });

/** Flags tested by each condition code (SDM Vol. 1 Appendix B, Table B-1). */
export const CC_READS: readonly number[] = [
  OF, OF, CF, CF, ZF, ZF, CF | ZF, CF | ZF, SF, SF, PF, PF, SF | OF, SF | OF, ZF | SF | OF, ZF | SF | OF,
];
export const CC_NAMES = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];

export function flagEffect(s: Sem): FlagEffect {
  switch (s.mnem) {
    // ADD, SUB, CMP, NEG, XADD, CMPXCHG: "OF, SF, ZF, AF, CF, PF set according to the result".
    case "add": case "sub": case "cmp": case "neg": case "xadd": case "cmpxchg":
      return fx(0, STATUS);
    // ADC, SBB: as ADD/SUB, and the result depends on CF.
    case "adc": case "sbb":
      return fx(CF, STATUS);
    // AND, OR, XOR, TEST: "OF and CF cleared; SF, ZF, PF set; the state of AF is undefined".
    case "and": case "or": case "xor": case "test":
      return fx(0, STATUS & ~AF, AF);
    // INC, DEC: "CF not affected; OF, SF, ZF, AF, PF set according to the result".
    case "inc": case "dec":
      return fx(0, STATUS & ~CF);
    // MUL, IMUL: "OF and CF ...; the SF, ZF, AF, and PF flags are undefined".
    case "mul": case "imul":
      return fx(0, CF | OF, SF | ZF | AF | PF);
    // DIV, IDIV: "The CF, OF, SF, ZF, AF, and PF flags are undefined".
    case "div": case "idiv":
      return fx(0, 0, STATUS);
    // DAA, DAS: reads CF and AF; "CF and AF set ...; SF, ZF, PF set; OF is undefined".
    case "daa": case "das":
      return fx(CF | AF, CF | AF | SF | ZF | PF, OF);
    // AAA, AAS: reads AF; "AF and CF set ...; OF, SF, ZF, and PF flags are undefined".
    case "aaa": case "aas":
      return fx(AF, AF | CF, OF | SF | ZF | PF);
    // AAM, AAD: "SF, ZF, PF set according to AL; OF, AF, and CF flags are undefined".
    case "aam": case "aad":
      return fx(0, SF | ZF | PF, OF | AF | CF);
    case "jcc": case "setcc": case "cmovcc":
      return fx(CC_READS[s.cc ?? 0]!, 0);
    // LAHF copies SF ZF AF PF CF into AH; PUSHF copies all of EFLAGS to memory.
    case "lahf":
      return fx(SF | ZF | AF | PF | CF, 0);
    case "pushf":
      return fx(STATUS, 0);
    // POPF (value from a generated PUSH imm) and SAHF (from AH) define what they load.
    case "popf":
      return fx(0, STATUS);
    case "sahf":
      return fx(0, SF | ZF | AF | PF | CF);
    case "clc": case "stc":
      return fx(0, CF);
    // CMC complements CF: defined stays defined, undefined stays undefined.
    case "cmc":
      return NONE;
    // CMPS, SCAS: as CMP; with REP and a zero count no iteration runs and no flag changes.
    case "cmps": case "scas":
      return (s.iterations ?? 1) === 0 ? NONE : fx(0, STATUS);
    // BT, BTS, BTR, BTC: "CF contains the selected bit. ZF unaffected. OF, SF, AF, PF undefined".
    case "bt": case "bts": case "btr": case "btc":
      return fx(0, CF, OF | SF | AF | PF);
    // BSF, BSR: "ZF set if the source is 0 ...; CF, OF, SF, AF, and PF flags are undefined".
    case "bsf": case "bsr":
      return fx(0, ZF, CF | OF | SF | AF | PF);
    // VERR, VERW, LSL, ARPL, CMPXCHG8B: "ZF is set ...; otherwise cleared"; no other flag.
    case "verr": case "verw": case "lsl": case "arpl": case "cmpxchg8b":
      return fx(0, ZF);
    case "rol": case "ror": case "rcl": case "rcr":
      return rotateEffect(s);
    case "shl": case "shr": case "sar":
      return shiftEffect(s);
    case "shld": case "shrd":
      return doubleShiftEffect(s);
    default:
      return NONE;
  }
}

/**
 * RCL/RCR/ROL/ROR (Vol. 2B): the count is masked to 5 bits; "If the masked
 * count is 0, the flags are not affected. If the masked count is 1, then the
 * OF flag is affected, otherwise (masked count is greater than 1) the OF flag
 * is undefined. The CF flag is affected when the masked count is non-zero."
 * RCL/RCR rotate by (count & 1F) mod 9 (8-bit) or mod 17 (16-bit) through CF,
 * so CF is only rewritten when that is non-zero, and CF is an input.
 */
function rotateEffect(s: Sem): FlagEffect {
  const c = (s.count ?? 0) & 31;
  if (c === 0) return NONE;
  const through = s.mnem === "rcl" || s.mnem === "rcr";
  const turns = through ? (s.size === 8 ? c % 9 : s.size === 16 ? c % 17 : c) : c;
  const cf = turns !== 0 ? CF : 0;
  return c === 1 ? fx(through ? CF : 0, CF | OF) : fx(through && turns !== 0 ? CF : 0, cf, OF);
}

/**
 * SAL/SAR/SHL/SHR (Vol. 2B): masked count 0 affects no flag; otherwise "CF
 * contains the value of the last bit shifted out ...; it is undefined for SHL
 * and SHR instructions where the count is greater than or equal to the size
 * (in bits) of the destination operand. The OF flag is affected only for
 * 1-bit shifts; otherwise, it is undefined. The SF, ZF, and PF flags are set
 * according to the result. For a non-zero count, the AF flag is undefined."
 */
function shiftEffect(s: Sem): FlagEffect {
  const c = (s.count ?? 0) & 31;
  if (c === 0) return NONE;
  let defines = SF | ZF | PF | CF;
  let undef = AF;
  if (c === 1) defines |= OF;
  else undef |= OF;
  if (s.mnem !== "sar" && c >= s.size) {
    defines &= ~CF;
    undef |= CF;
  }
  return fx(0, defines, undef);
}

/**
 * SHLD/SHRD (Vol. 2B): count masked to 5 bits; 0 affects no flag. "CF is
 * filled with the last bit shifted out ... SF, ZF, PF set according to the
 * result. For a 1-bit shift, OF is set if a sign change occurred; for shifts
 * greater than 1 bit, OF is undefined. If a shift occurs, AF is undefined.
 * If the count is greater than the operand size, the flags are undefined"
 * (and so is the destination: only possible for 16-bit operands).
 */
function doubleShiftEffect(s: Sem): FlagEffect {
  const c = (s.count ?? 0) & 31;
  if (c === 0) return NONE;
  if (c > s.size) return fx(0, 0, STATUS);
  return c === 1 ? fx(0, SF | ZF | PF | CF | OF, AF) : fx(0, SF | ZF | PF | CF, AF | OF);
}

/** Does this instruction leave its destination register undefined? (16-bit SHLD/SHRD, count > 16). */
export function destUndefined(s: Sem): boolean {
  return (s.mnem === "shld" || s.mnem === "shrd") && s.size === 16 && ((s.count ?? 0) & 31) > 16;
}
