/**
 * Lazy arithmetic flags (the technique of Bochs, QEMU and v86).
 *
 * Most instructions set CF PF AF ZF SF OF but few read them. An ALU
 * instruction records its operands, result, width and kind; a flag is
 * computed only when read. `lazy` says which of the six status flags are
 * still to be computed; the others are in `flags` (the materialized EFLAGS).
 *
 *   kind  meaning of (a, b, res, carry-in)
 *   ADD   res = a + b            CF: unsigned carry out   OF: signed overflow
 *   ADC   res = a + b + cin
 *   SUB   res = a - b            CF: borrow
 *   SBB   res = a - b - cin
 *   LOGIC res = a op b           CF = OF = AF = 0
 *   SHL   a = value shifted by count-1, res   CF = MSB(a), OF = MSB(a ^ res), AF = 0
 *   SHR   a = value shifted by count-1, res   CF = LSB(a), OF = MSB(a ^ res), AF = 0
 *   SAR   a = value shifted by count-1, res   CF = LSB(a), OF = 0, AF = 0
 *   MUL   res = low half, b = 1 when the high half is significant: CF = OF = b, AF = 0
 * INC/DEC are ADD/SUB by 1 with CF kept (materialized first). The shift and
 * multiply rules for flags the SDM leaves undefined (OF for counts > 1, AF)
 * are QEMU's, so differential runs agree.
 */
import { AF, CF, OF, PF, SF, STATUS_FLAGS, ZF } from "./registers.js";

export const LAZY_ADD = 0, LAZY_ADC = 1, LAZY_SUB = 2, LAZY_SBB = 3, LAZY_LOGIC = 4;
export const LAZY_SHL = 5, LAZY_SHR = 6, LAZY_SAR = 7, LAZY_MUL = 8;

/** Parity of each byte value: PF=1 when the low byte has an even number of ones. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let bits = 0;
  for (let b = i; b !== 0; b >>= 1) bits += b & 1;
  PARITY[i] = (bits & 1) === 0 ? PF : 0;
}

export class LazyFlags {
  /** Materialized status flags (and, in the CPU, the rest of EFLAGS). */
  flags = 0;
  /** Status flags still to be computed from the fields below. */
  lazy = 0;
  kind = LAZY_LOGIC;
  a = 0;
  b = 0;
  res = 0;
  cin = 0;
  /** Operand width in bits: 8, 16 or 32. */
  size = 32;

  cf(): number {
    if ((this.lazy & CF) === 0) return this.flags & CF;
    const m = mask(this.size);
    const a = (this.a & m) >>> 0, b = (this.b & m) >>> 0, r = (this.res & m) >>> 0;
    switch (this.kind) {
      case LAZY_ADD: return r < a ? 1 : 0;
      case LAZY_ADC: return (this.cin !== 0 ? r <= a : r < a) ? 1 : 0;
      case LAZY_SUB: return a < b ? 1 : 0;
      case LAZY_SBB: return (this.cin !== 0 ? a <= b : a < b) ? 1 : 0;
      case LAZY_SHL: return (this.a >>> (this.size - 1)) & 1;
      case LAZY_SHR: case LAZY_SAR: return this.a & 1;
      case LAZY_MUL: return this.b;
      default: return 0;
    }
  }

  zf(): number {
    if ((this.lazy & ZF) === 0) return this.flags & ZF;
    return (this.res & mask(this.size)) === 0 ? ZF : 0;
  }

  sf(): number {
    if ((this.lazy & SF) === 0) return this.flags & SF;
    return ((this.res >>> (this.size - 1)) & 1) !== 0 ? SF : 0;
  }

  pf(): number {
    if ((this.lazy & PF) === 0) return this.flags & PF;
    return PARITY[this.res & 0xff]!;
  }

  af(): number {
    if ((this.lazy & AF) === 0) return this.flags & AF;
    if (this.kind >= LAZY_LOGIC) return 0;
    return (this.a ^ this.b ^ this.res) & AF;
  }

  of(): number {
    if ((this.lazy & OF) === 0) return this.flags & OF;
    const sign = this.size - 1;
    switch (this.kind) {
      case LAZY_ADD:
      case LAZY_ADC: return (((this.a ^ this.res) & (this.b ^ this.res)) >>> sign) & 1 ? OF : 0;
      case LAZY_SUB:
      case LAZY_SBB: return (((this.a ^ this.b) & (this.a ^ this.res)) >>> sign) & 1 ? OF : 0;
      case LAZY_SHL: case LAZY_SHR: return ((this.a ^ this.res) >>> sign) & 1 ? OF : 0;
      case LAZY_MUL: return this.b !== 0 ? OF : 0;
      default: return 0;
    }
  }

  /** All status flags, computed; leaves nothing lazy. */
  materialize(): number {
    if (this.lazy !== 0) {
      const f = this.cf() | this.pf() | this.af() | this.zf() | this.sf() | this.of();
      this.flags = (this.flags & ~this.lazy) | (f & this.lazy);
      this.lazy = 0;
    }
    return this.flags;
  }

  /** Record an arithmetic result; all six status flags become lazy. */
  set(kind: number, a: number, b: number, res: number, size: number): void {
    this.kind = kind; this.a = a; this.b = b; this.res = res; this.size = size;
    this.lazy = STATUS_FLAGS;
  }

  /** INC/DEC: like ADD/SUB by one, CF unchanged. */
  setKeepCarry(kind: number, a: number, res: number, size: number): void {
    if ((this.lazy & CF) !== 0) this.flags = (this.flags & ~CF) | this.cf();
    this.kind = kind; this.a = a; this.b = 1; this.res = res; this.size = size;
    this.lazy = STATUS_FLAGS & ~CF;
  }

  /**
   * Set flags explicitly: `known` bits take their value from `value`; ZF SF PF
   * in `fromResult` are computed lazily from `res` (shifts, multiplies).
   */
  setExplicit(known: number, value: number, res: number, size: number, fromResult: number): void {
    this.materialize();
    this.flags = (this.flags & ~known) | (value & known);
    this.kind = LAZY_LOGIC; this.res = res; this.size = size;
    this.lazy = fromResult;
  }
}

export function mask(size: number): number {
  return size === 32 ? -1 : (1 << size) - 1;
}
