/**
 * The x87 floating-point unit of a P6-class CPU (Intel SDM Vol. 1 ch. 8;
 * Vol. 2 instruction pages): the D8..DF escape opcodes including FCMOVcc and
 * FCOMI/FCOMIP/FUCOMI/FUCOMIP; no FXSAVE, SSE or FISTTP (#UD).
 *
 * The CPU decodes prefixes, ModR/M and the effective address, checks CR0.EM/
 * TS (#NM) and, unless `isNonWaiting`, raises #MF first when
 * `isWaitingException()`. Then it calls `noteInstruction` and `execute`.
 * `execute` reports #UD encodings by returning FPU_INVALID_OPCODE with no
 * state changed, and FCOMI-family EFLAGS results as a number (ZF PF CF).
 * Memory faults thrown by the FpuMemory leave the unit untouched: every read
 * and write is done before the first state change. FNSTSW AX (DF E0) is the
 * CPU's own; here it does nothing.
 *
 * KNOWN DEVIATIONS FROM HARDWARE
 * - Registers hold IEEE binary64, not 80-bit extended precision: arithmetic
 *   rounds to 53 bits and the exponent range is binary64's, so results that
 *   would be finite/normal in 80 bits overflow/underflow (OE/UE) here, and
 *   80-bit denormal operands (DE) cannot arise from registers. Precision
 *   control (CW.PC) is ignored. Rounding control (CW.RC) is honoured exactly
 *   for + − × ÷ √, FRNDINT, FSCALE, FIST, FBSTP and m32/m64 stores.
 * - m80 values binary64 cannot hold exactly (more than 53 significant bits,
 *   out of range, unsupported encodings, NaN payload bits) keep their exact
 *   image beside the register, so FLD/FSTP m80, FRSTOR/FNSAVE, FILD/FISTP
 *   m64 and FBLD/FBSTP round-trip bit for bit as long as no arithmetic
 *   touches the value; arithmetic uses the nearest binary64.
 * - Unsupported m80 encodings (unnormals, pseudo-NaN/∞) compute as real
 *   indefinite without raising IE until stored; m80 denormals compute as 0.
 * - Unmasked OE/UE with a register destination store the masked result
 *   instead of the exponent-biased one.
 * - FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X FYL2XP1 use Math functions
 *   (last-bit differences, C1 = 0); FPREM/FPREM1 finish in one step (C2 = 0).
 * - Only the protected-mode FLDENV/FNSTENV/FRSTOR/FNSAVE layouts exist.
 */
import { FPU_NO_EFLAGS, type FpuMemory } from "./fpu-memory.js";
import { FpuState, SW_B, SW_C0, SW_C2, SW_C3, SW_ES, SW_SF } from "./fpu-state.js";
import {
  Op, M16I, M32I, M32R, M64I, M64R, M80BCD, M80R, ST0_STI, STI_ST0_POP,
  decodeFpu, isControlOp, isNonWaitingOp,
} from "./fpu-opcodes.js";
import { fpuAdd, fpuCompare, fpuDiv, fpuMul, fpuSub } from "./fpu-arith.js";
import {
  F80, IntResult, bcdToInteger, doubleFromMemory, doubleToF80, f80ToDouble, integerToRegister, roundForBcd,
  roundForInteger, roundForStore, sameF80, singleBits, singleToDouble,
} from "./fpu-convert.js";
import { DOUBLE, FE_INVALID, REAL_INDEFINITE, SINGLE, doubleHi, doubleLo, isSignaling, quieted } from "./fpu-round.js";
import { loadEnvironment, readF80, restoreState, saveState, storeEnvironment, writeF80 } from "./fpu-env.js";
import {
  binaryTranscendental, examine, extract, loadConstant, partialRemainder, scale, squareRootOrRound, unaryTranscendental,
} from "./fpu-special.js";
import { changeSign, conditionalMove, exchange, loadRegister, storeRegister } from "./fpu-moves.js";

export { FPU_NO_EFLAGS } from "./fpu-memory.js";
export type { FpuMemory } from "./fpu-memory.js";

/** `execute`'s answer for an encoding that is #UD on a P6. */
export const FPU_INVALID_OPCODE = -2;

/** EFLAGS bits an FCOMI-family instruction produces. */
const ZF = 0x40, PF = 0x04, CF = 0x01;
const CC_OF_COMPARE = [0, SW_C0, SW_C3, SW_C3 | SW_C2 | SW_C0] as const;
const EFLAGS_OF_COMPARE = [0, CF, ZF, ZF | PF | CF] as const;

/** Does the instruction skip the pending-exception check (SDM Vol. 1 §8.3.11)? */
export function isNonWaiting(escape: number, modrm: number): boolean {
  return isNonWaitingOp(decodeFpu(escape, modrm) & 0xff);
}

const bcd = new Uint8Array(10);
const integer = new IntResult();

export class Fpu extends FpuState {
  private nextCs = 0;
  private nextEip = 0;
  private nextOpcode = 0;
  private nextDs = 0;
  private nextOffset = 0;
  /** The memory operand's exact m80 image, when the load needs one (`operandExact`). */
  private readonly operandImage = new F80();
  private operandExact = false;

  /** Unmasked exception pending (ES): #MF before the next waiting instruction. */
  isWaitingException(): boolean {
    return (this.sw & SW_ES) !== 0;
  }

  /** The CPU's note of the instruction about to execute (SDM Vol. 1 §8.1.8–8.1.9). */
  noteInstruction(cs: number, eip: number, opcode: number, ds: number, dataOffset: number): void {
    this.nextCs = cs & 0xffff;
    this.nextEip = eip >>> 0;
    this.nextOpcode = opcode & 0x7ff;
    this.nextDs = ds & 0xffff;
    this.nextOffset = dataOffset >>> 0;
  }

  execute(escape: number, modrm: number, offset: number, mem: FpuMemory, eflags: number, o32: boolean): number {
    const entry = decodeFpu(escape, modrm);
    const op = entry & 0xff;
    const kind = entry >> 8;
    if (op === Op.UD) return FPU_INVALID_OPCODE;
    const memory = modrm < 0xc0;
    const i = modrm & 7;
    let eflagsOut = FPU_NO_EFLAGS;
    switch (op) {
      case Op.ADD: case Op.MUL: case Op.SUB: case Op.SUBR: case Op.DIV: case Op.DIVR:
        this.arithmetic(op, kind, i, memory, offset, mem); break;
      case Op.COM: case Op.COMP: case Op.UCOM: case Op.UCOMP:
        if (memory) {
          const b = this.readOperand(kind, offset, mem);
          this.compareConditions(b, this.result.flags, -1, true, op === Op.COMP ? 1 : 0);
        } else this.compareConditions(0, 0, i, op === Op.COM || op === Op.COMP, op === Op.COMP || op === Op.UCOMP ? 1 : 0);
        break;
      case Op.COMPP: this.compareConditions(0, 0, 1, true, 2); break;
      case Op.UCOMPP: this.compareConditions(0, 0, 1, false, 2); break;
      case Op.TST: this.compareConditions(0, 0, -1, true, 0); break;
      case Op.COMI: case Op.COMIP: case Op.UCOMI: case Op.UCOMIP:
        eflagsOut = this.compareEflags(i, op === Op.COMI || op === Op.COMIP, op === Op.COMIP || op === Op.UCOMIP); break;
      case Op.LD: if (memory) this.load(kind, offset, mem); else loadRegister(this, i); break;
      case Op.ST: case Op.STP:
        if (memory) this.store(kind, offset, mem, op === Op.STP); else storeRegister(this, i, op === Op.STP);
        break;
      case Op.XCH: exchange(this, i); break;
      case Op.FREE: this.empty |= 1 << this.phys(i); break;
      case Op.FREEP: this.empty |= 1 << this.phys(i); this.pop(); break;
      case Op.CHS: case Op.ABS: changeSign(this, op === Op.ABS); break;
      case Op.XAM: examine(this); break;
      case Op.LD1: case Op.LDL2T: case Op.LDL2E: case Op.LDPI: case Op.LDLG2: case Op.LDLN2: case Op.LDZ:
        loadConstant(this, op); break;
      case Op.SQRT: case Op.RNDINT: squareRootOrRound(this, op); break;
      case Op.SCALE: scale(this); break;
      case Op.XTRACT: extract(this); break;
      case Op.PREM: case Op.PREM1: partialRemainder(this, op === Op.PREM1); break;
      case Op.SIN: case Op.COS: case Op.SINCOS: case Op.PTAN: case Op.F2XM1: unaryTranscendental(this, op); break;
      case Op.YL2X: case Op.YL2XP1: case Op.PATAN: binaryTranscendental(this, op); break;
      case Op.DECSTP: this.top = (this.top - 1) & 7; this.setC1(false); break;
      case Op.INCSTP: this.top = (this.top + 1) & 7; this.setC1(false); break;
      case Op.CMOVB: case Op.CMOVE: case Op.CMOVBE: case Op.CMOVU:
      case Op.CMOVNB: case Op.CMOVNE: case Op.CMOVNBE: case Op.CMOVNU:
        conditionalMove(this, op, i, eflags); break;
      case Op.CLEX: this.sw &= ~(0x3f | SW_SF | SW_ES | SW_B); break;
      case Op.INIT: this.reset(); break;
      case Op.LDCW: this.setControlWord(mem.read16(offset)); this.updateSummary(); break;
      case Op.STCW: mem.write16(offset, this.cw); break;
      case Op.STSW: mem.write16(offset, this.statusWord()); break;
      case Op.LDENV: loadEnvironment(this, mem, offset, o32); break;
      case Op.STENV: storeEnvironment(this, mem, offset, o32); this.cw |= 0x3f; break;
      case Op.RSTOR: restoreState(this, mem, offset, o32); break;
      case Op.SAVE: saveState(this, mem, offset, o32); break;
      default: break; // FNOP, FENI/FDISI/FSETPM, FNSTSW AX (the CPU's)
    }
    if (!isControlOp(op)) this.commitPointers(memory);
    return eflagsOut;
  }

  /** The last m32/m64 operand read was a signaling NaN (seen in its bits). */
  private operandSignaling = false;

  private commitPointers(memory: boolean): void {
    this.fcs = this.nextCs;
    this.fip = this.nextEip;
    this.fop = this.nextOpcode;
    if (memory) { this.fds = this.nextDs; this.fdp = this.nextOffset; }
  }

  /**
   * Reads a memory operand as a binary64 into `result.value` (flags: DE for
   * m32/m64 denormals) and returns it; an m80, m64int or BCD operand that
   * binary64 cannot hold leaves its exact image in `operandImage` and sets
   * `operandExact`.
   */
  private readOperand(kind: number, offset: number, mem: FpuMemory): number {
    const r = this.result;
    this.operandExact = false;
    this.operandSignaling = false;
    r.flags = 0;
    switch (kind) {
      case M32R: {
        const b = mem.read32(offset);
        // a signaling NaN is recognised from its bits: the JS engine may quiet NaNs it carries
        this.operandSignaling = (b & 0x7f800000) === 0x7f800000 && (b & 0x007fffff) !== 0 && (b & 0x00400000) === 0;
        singleToDouble(b, r);
        break;
      }
      case M64R: {
        const lo = mem.read32(offset), hi = mem.read32(offset + 4);
        this.operandSignaling = (hi & 0x7ff00000) === 0x7ff00000 && ((hi & 0x000fffff) !== 0 || lo !== 0) && (hi & 0x00080000) === 0;
        doubleFromMemory(lo, hi, r);
        break;
      }
      case M16I: r.value = (mem.read16(offset) << 16) >> 16; break;
      case M32I: r.value = mem.read32(offset) | 0; break;
      case M64I: {
        const v = BigInt.asIntN(64, (BigInt(mem.read32(offset + 4) >>> 0) << 32n) | BigInt(mem.read32(offset) >>> 0));
        this.operandExact = integerToRegister(v < 0n, v < 0n ? -v : v, this.operandImage, r);
        break;
      }
      case M80BCD: {
        for (let k = 0; k < 10; k++) bcd[k] = mem.read8(offset + k);
        const negative = (bcd[9]! & 0x80) !== 0;
        this.operandExact = integerToRegister(negative, bcdToInteger(bcd), this.operandImage, r);
        if (negative && r.value === 0) r.value = -0;
        break;
      }
      default: {
        const image = readF80(mem, offset, this.operandImage);
        r.value = f80ToDouble(image);
        this.operandExact = !sameF80(doubleToF80(r.value, this.image), image);
      }
    }
    return r.value;
  }

  /** FADD FMUL FSUB FSUBR FDIV FDIVR, their P forms and FIxxx: dest := dest op src. */
  private arithmetic(op: number, kind: number, i: number, memory: boolean, offset: number, mem: FpuMemory): void {
    let dst = 0;
    let src = i;
    let b = 0;
    let loadFlags = 0;
    if (memory) {
      b = this.readOperand(kind, offset, mem);
      loadFlags = this.result.flags;
    } else if (kind !== ST0_STI) {
      dst = i;
      src = 0;
    }
    const pop = kind === STI_ST0_POP;
    if (this.isEmpty(dst) || (!memory && this.isEmpty(src))) {
      if (this.underflowTo(dst) && pop) this.pop();
      return;
    }
    const a = this.get(dst);
    if (!memory) b = this.get(src);
    const rc = this.rc();
    const r = this.result;
    switch (op) {
      case Op.ADD: fpuAdd(a, b, rc, r); break;
      case Op.MUL: fpuMul(a, b, rc, r); break;
      case Op.SUB: fpuSub(a, b, rc, r); break;
      case Op.SUBR: fpuSub(b, a, rc, r); break;
      case Op.DIV: fpuDiv(a, b, rc, r); break;
      default: fpuDiv(b, a, rc, r);
    }
    if (!this.signal(r.flags | loadFlags)) return;
    this.set(dst, r.value);
    if (pop) this.pop();
  }

  /**
   * FCOM/FUCOM/FICOM/FTST family: C3 C2 C0 (SDM Vol. 2 FCOM Table 3-21).
   * ST(0) against ST(src), or against `operand` (memory or FTST's 0.0) when src is −1.
   */
  private compareConditions(operand: number, loadFlags: number, src: number, ordered: boolean, pops: number): void {
    if (this.isEmpty(0) || (src >= 0 && this.isEmpty(src))) {
      if (!this.stackFault(false)) return;
      this.setConditions(SW_C3 | SW_C2 | SW_C0);
    } else {
      const code = fpuCompare(this.get(0), src >= 0 ? this.get(src) : operand, ordered, this.result);
      if (!this.signal(this.result.flags | loadFlags)) return;
      this.setConditions(CC_OF_COMPARE[code]);
    }
    for (let k = 0; k < pops; k++) this.pop();
  }

  /** FCOMI FCOMIP FUCOMI FUCOMIP (SDM Vol. 2 Table 3-23): returns ZF PF CF. */
  private compareEflags(i: number, ordered: boolean, pop: boolean): number {
    let result: number;
    if (this.isEmpty(0) || this.isEmpty(i)) {
      if (!this.stackFault(false)) return FPU_NO_EFLAGS;
      result = ZF | PF | CF;
    } else {
      const code = fpuCompare(this.get(0), this.get(i), ordered, this.result);
      if (!this.signal(this.result.flags)) return FPU_NO_EFLAGS;
      result = EFLAGS_OF_COMPARE[code];
    }
    if (pop) this.pop();
    return result;
  }

  /** FLD m32/m64/m80, FILD, FBLD (SDM Vol. 2 FLD: IE for an m32/m64 SNaN, quieted). */
  private load(kind: number, offset: number, mem: FpuMemory): void {
    let v = this.readOperand(kind, offset, mem);
    let flags = this.result.flags;
    if ((kind === M32R || kind === M64R) && (this.operandSignaling || isSignaling(v))) { flags |= FE_INVALID; v = quieted(v); }
    if (!this.reservePush() || !this.signal(flags)) return;
    this.push(v);
    if (this.operandExact) this.setExact(0, v, this.operandImage);
  }

  /** FST/FSTP m32/m64/m80, FIST/FISTP, FBSTP. Writes memory before any state change. */
  private store(kind: number, offset: number, mem: FpuMemory, pop: boolean): void {
    const underflow = this.isEmpty(0);
    if (underflow && (this.cw & FE_INVALID) === 0) { this.stackFault(false); return; }
    const x = underflow ? REAL_INDEFINITE : this.get(0);
    const image = underflow ? null : this.exactOf(0);
    const rc = this.rc();
    let flags = 0;
    switch (kind) {
      case M32R: case M64R: {
        const v = roundForStore(x, image, rc, kind === M32R ? SINGLE : DOUBLE, this.result);
        flags = this.result.flags;
        if (!this.delivers(flags, true)) break;
        if (kind === M32R) mem.write32(offset, singleBits(v));
        else { mem.write32(offset, doubleLo(v)); mem.write32(offset + 4, doubleHi(v)); }
        break;
      }
      case M80R: writeF80(mem, offset, image ?? doubleToF80(x, this.image)); break;
      case M80BCD: {
        flags = underflow ? FE_INVALID : roundForBcd(x, image, rc, bcd);
        if (underflow) roundForBcd(NaN, null, rc, bcd);
        if (!this.delivers(flags, true)) break;
        for (let k = 0; k < 10; k++) mem.write8(offset + k, bcd[k]!);
        break;
      }
      default: {
        const width = kind === M16I ? 16 : kind === M32I ? 32 : 64;
        roundForInteger(x, image, rc, width, integer);
        flags = integer.flags;
        if (!this.delivers(flags, true)) break;
        if (width === 16) mem.write16(offset, integer.lo & 0xffff);
        else mem.write32(offset, integer.lo);
        if (width === 64) mem.write32(offset + 4, integer.hi);
      }
    }
    if (underflow) this.stackFault(false);
    else if (!this.signal(flags, true)) return;
    if (pop) this.pop();
  }

}

