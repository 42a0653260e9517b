/**
 * x87 register file, stack and control/status/tag words (Intel SDM Vol. 1
 * §8.1 "x87 FPU Execution Environment").
 *
 *   Status word (§8.1.3)                   Control word (§8.1.5)
 *   15 14 13-11 10  9  8  7  6  5..0        12   11-10  9-8   5..0
 *    B C3  TOP  C2 C1 C0 ES SF  PE UE OE    X    RC     PC    PM UM OM
 *                                ZE DE IE                     ZM DM IM
 *
 * Physical registers R0..R7 are `regs` (binary64, see fpu.ts for why); ST(i)
 * is R((TOP + i) mod 8). Emptiness is one bit per physical register in
 * `empty`; the full 2-bit tags (§8.1.7: 00 valid, 01 zero, 10 special,
 * 11 empty) are computed from the values when FNSTENV/FNSAVE store them.
 * A register whose m80 value binary64 cannot hold also keeps that exact
 * image in `shadow[p]` (flag `shadowed[p]`); every write clears it unless
 * the writer passes an image along (loads of m80/m64int/BCD, moves).
 *
 * Exceptions (§8.4, §8.5): `signal` records flags; an unmasked one sets ES
 * and B, which the CPU reports as #MF before the next waiting instruction.
 * Pre-computation exceptions (IE, DE, ZE) that are unmasked suppress the
 * result; so do unmasked OE/UE when the destination is memory.
 */
import { F80, CLASS_NORMAL, CLASS_ZERO, classifyDouble, classifyF80, doubleToF80 } from "./fpu-convert.js";
import { OpResult } from "./fpu-arith.js";
import {
  FE_DENORMAL, FE_INVALID, FE_OVERFLOW, FE_PRECISION, FE_ROUNDED_UP, FE_TINY, FE_UNDERFLOW, FE_ZERODIV,
  REAL_INDEFINITE,
} from "./fpu-round.js";

export const SW_SF = 0x0040;
export const SW_ES = 0x0080;
export const SW_C0 = 0x0100;
export const SW_C1 = 0x0200;
export const SW_C2 = 0x0400;
export const SW_C3 = 0x4000;
export const SW_B = 0x8000;
export const SW_CC = SW_C0 | SW_C1 | SW_C2 | SW_C3;
export const CW_DEFAULT = 0x037f;

const PRE_COMPUTATION = FE_INVALID | FE_DENORMAL | FE_ZERODIV;

export class FpuState {
  readonly regs = new Float64Array(8);
  readonly shadowed = new Uint8Array(8);
  readonly shadow: readonly F80[] = Array.from({ length: 8 }, () => new F80());
  /** Bit p set: physical register p is empty. */
  empty = 0xff;
  top = 0;
  cw = CW_DEFAULT;
  /** Status word without TOP (bits 11–13 kept zero). */
  sw = 0;
  /* Last non-control instruction (§8.1.8, §8.1.9). */
  fip = 0;
  fcs = 0;
  fop = 0;
  fdp = 0;
  fds = 0;
  /** Scratch for operations (one per unit; nothing is allocated per instruction). */
  readonly result = new OpResult();
  readonly image = new F80();

  /** FNINIT (SDM Vol. 2 FINIT): register contents survive, all tagged empty. */
  reset(): void {
    this.cw = CW_DEFAULT;
    this.sw = 0;
    this.top = 0;
    this.empty = 0xff;
    this.fip = this.fcs = this.fop = this.fdp = this.fds = 0;
  }

  statusWord(): number {
    return this.sw | (this.top << 11);
  }

  setStatusWord(value: number): void {
    this.sw = value & 0xc7ff;
    this.top = (value >> 11) & 7;
  }

  /** FLDCW: bits 6 reads as one; 7 and 13–15 are reserved zero. */
  setControlWord(value: number): void {
    this.cw = (value & ~0xe0c0 & 0xffff) | 0x40;
  }

  /** ES and B follow the exception flags against the masks (after FLDCW/FLDENV/FRSTOR). */
  updateSummary(): void {
    if ((this.sw & ~this.cw & 0x3f) !== 0) this.sw |= SW_ES | SW_B;
    else this.sw &= ~(SW_ES | SW_B);
  }

  rc(): number {
    return (this.cw >> 10) & 3;
  }

  phys(i: number): number {
    return (this.top + i) & 7;
  }

  isEmpty(i: number): boolean {
    return ((this.empty >> this.phys(i)) & 1) !== 0;
  }

  get(i: number): number {
    return this.regs[this.phys(i)]!;
  }

  set(i: number, value: number): void {
    const p = this.phys(i);
    this.regs[p] = value;
    this.shadowed[p] = 0;
    this.empty &= ~(1 << p);
  }

  /** Writes a value together with its exact m80 image. */
  setExact(i: number, value: number, image: F80): void {
    this.set(i, value);
    const p = this.phys(i);
    const s = this.shadow[p]!;
    s.se = image.se; s.hi = image.hi; s.lo = image.lo;
    this.shadowed[p] = 1;
  }

  /** ST(dst) := ST(src), image included. */
  copy(dst: number, src: number): void {
    const image = this.exactOf(src);
    if (image === null) this.set(dst, this.get(src));
    else this.setExact(dst, this.get(src), image);
  }

  /** The exact m80 image of ST(i) when binary64 does not hold it, else null. */
  exactOf(i: number): F80 | null {
    const p = this.phys(i);
    return this.shadowed[p] === 1 ? this.shadow[p]! : null;
  }

  /** The m80 image of physical register p (for FNSAVE). */
  imageOf(p: number, out: F80): F80 {
    if (this.shadowed[p] === 1) {
      const s = this.shadow[p]!;
      out.se = s.se; out.hi = s.hi; out.lo = s.lo;
      return out;
    }
    return doubleToF80(this.regs[p]!, out);
  }

  push(value: number): void {
    this.top = (this.top - 1) & 7;
    this.set(0, value);
  }

  pop(): void {
    this.empty |= 1 << this.top;
    this.top = (this.top + 1) & 7;
  }

  /** FXAM class of ST(i) (C3 C2 C0), computed from the exact image when there is one. */
  classOf(i: number): number {
    const image = this.exactOf(i);
    return image !== null ? classifyF80(image) : classifyDouble(this.get(i));
  }

  /** Tag word (§8.1.7), physical register p in bits 2p+1..2p. */
  tagWord(): number {
    let tw = 0;
    for (let p = 0; p < 8; p++) {
      let tag = 3;
      if (((this.empty >> p) & 1) === 0) {
        const cls = this.shadowed[p] === 1 ? classifyF80(this.shadow[p]!) : classifyDouble(this.regs[p]!);
        tag = cls === CLASS_NORMAL ? 0 : cls === CLASS_ZERO ? 1 : 2;
      }
      tw |= tag << (2 * p);
    }
    return tw;
  }

  /** FLDENV/FRSTOR: only "empty or not" is taken from an image of the tag word. */
  setTagWord(tw: number): void {
    let empty = 0;
    for (let p = 0; p < 8; p++) if (((tw >> (2 * p)) & 3) === 3) empty |= 1 << p;
    this.empty = empty;
  }

  setConditions(mask: number): void {
    this.sw = (this.sw & ~SW_CC) | mask;
  }

  setC1(on: boolean): void {
    this.sw = on ? this.sw | SW_C1 : this.sw & ~SW_C1;
  }

  /** The exceptions flags raise: FE_TINY becomes UE if inexact or UE is unmasked (§4.9.1.5). */
  private raised(flags: number): number {
    let f = flags & 0x3f;
    if ((flags & FE_TINY) !== 0 && ((flags & FE_PRECISION) !== 0 || (this.cw & FE_UNDERFLOW) === 0)) f |= FE_UNDERFLOW;
    return f;
  }

  /**
   * Is the result delivered? Not after an unmasked IE/DE/ZE (pre-computation,
   * §8.5), nor after an unmasked OE/UE when the destination is memory.
   */
  delivers(flags: number, memoryDestination: boolean): boolean {
    const unmasked = this.raised(flags) & ~this.cw;
    if ((unmasked & PRE_COMPUTATION) !== 0) return false;
    return !memoryDestination || (unmasked & (FE_OVERFLOW | FE_UNDERFLOW)) === 0;
  }

  /**
   * Records an operation's exception flags (SDM Vol. 1 §8.5) and sets C1 to
   * "rounded up"; returns `delivers(flags, memoryDestination)`. An unmasked
   * pre-computation exception records only IE/DE/ZE and clears C1.
   */
  signal(flags: number, memoryDestination = false): boolean {
    const f = this.raised(flags);
    const unmasked = f & ~this.cw & 0x3f;
    if ((unmasked & PRE_COMPUTATION) !== 0) {
      this.sw |= (f & PRE_COMPUTATION) | SW_ES | SW_B;
      this.setC1(false);
      return false;
    }
    this.sw |= f;
    this.setC1((flags & FE_ROUNDED_UP) !== 0);
    if (unmasked !== 0) this.sw |= SW_ES | SW_B;
    return this.delivers(flags, memoryDestination);
  }

  /** Stack fault (§8.5.1.1): IE and SF, C1 = 1 for overflow. True when masked. */
  stackFault(overflow: boolean): boolean {
    this.sw |= FE_INVALID | SW_SF;
    this.setC1(overflow);
    if ((this.cw & FE_INVALID) !== 0) return true;
    this.sw |= SW_ES | SW_B;
    return false;
  }

  /**
   * The overflow check of every pushing instruction: true when ST(7) is free
   * (the caller pushes, C1 = 0); otherwise handles the fault, pushing real
   * indefinite when IE is masked, and returns false.
   */
  reservePush(): boolean {
    if (this.isEmpty(7)) { this.setC1(false); return true; }
    if (this.stackFault(true)) this.push(REAL_INDEFINITE);
    return false;
  }

  /** Masked-underflow response: ST(i) := real indefinite. */
  underflowTo(i: number): boolean {
    if (!this.stackFault(false)) return false;
    this.set(i, REAL_INDEFINITE);
    return true;
  }
}
