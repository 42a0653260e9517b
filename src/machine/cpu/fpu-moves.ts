/**
 * x87 instructions that move or relabel register values without arithmetic
 * (Intel SDM Vol. 2 FLD, FST, FXCH, FCHS, FABS, FCMOVcc). They raise no IE
 * for SNaNs (non-arithmetic, SDM Vol. 1 Table 8-9), only the stack fault for
 * an empty operand, whose masked response is real indefinite. Moves carry a
 * register's exact m80 image along (fpu-state.ts).
 */
import { REAL_INDEFINITE, signOf, withSign } from "./fpu-round.js";
import { FpuState } from "./fpu-state.js";
import { Op } from "./fpu-opcodes.js";

/** FLD ST(i). */
export function loadRegister(s: FpuState, i: number): void {
  if (!s.reservePush()) return;
  if (s.isEmpty(i)) { if (s.stackFault(false)) s.push(REAL_INDEFINITE); return; }
  s.top = (s.top - 1) & 7;
  s.copy(0, i + 1);
}

/** FST/FSTP ST(i). */
export function storeRegister(s: FpuState, i: number, pop: boolean): void {
  if (s.isEmpty(0)) {
    if (s.underflowTo(i) && pop) s.pop();
    return;
  }
  s.copy(i, 0);
  s.setC1(false);
  if (pop) s.pop();
}

/** FXCH (SDM Vol. 2): an empty operand becomes real indefinite when IE is masked. */
export function exchange(s: FpuState, i: number): void {
  if (s.isEmpty(0) || s.isEmpty(i)) {
    if (!s.stackFault(false)) return;
    if (s.isEmpty(0)) s.set(0, REAL_INDEFINITE);
    if (s.isEmpty(i)) s.set(i, REAL_INDEFINITE);
  } else {
    s.setC1(false);
  }
  const p = s.phys(0), q = s.phys(i);
  const v = s.regs[p]!;
  s.regs[p] = s.regs[q]!;
  s.regs[q] = v;
  const sp = s.shadowed[p]!;
  s.shadowed[p] = s.shadowed[q]!;
  s.shadowed[q] = sp;
  const a = s.shadow[p]!, b = s.shadow[q]!;
  const se = a.se, hi = a.hi, lo = a.lo;
  a.se = b.se; a.hi = b.hi; a.lo = b.lo;
  b.se = se; b.hi = hi; b.lo = lo;
}

/** FCHS / FABS: sign-bit operations, no IE even for SNaNs. */
export function changeSign(s: FpuState, abs: boolean): void {
  if (s.isEmpty(0)) { s.underflowTo(0); return; }
  const x = s.get(0);
  const negative = abs ? false : !signOf(x);
  const image = s.exactOf(0);
  if (image !== null) image.se = negative ? image.se | 0x8000 : image.se & 0x7fff;
  s.regs[s.phys(0)] = withSign(x, negative);
  s.setC1(false);
}

/** FCMOVcc (SDM Vol. 2 Table 3-29): conditions on CF, ZF and PF. */
export function conditionalMove(s: FpuState, op: number, i: number, eflags: number): void {
  if (s.isEmpty(0) || s.isEmpty(i)) { s.underflowTo(0); return; }
  const cf = (eflags & 0x01) !== 0, pf = (eflags & 0x04) !== 0, zf = (eflags & 0x40) !== 0;
  let take: boolean;
  switch (op) {
    case Op.CMOVB: take = cf; break;
    case Op.CMOVE: take = zf; break;
    case Op.CMOVBE: take = cf || zf; break;
    case Op.CMOVU: take = pf; break;
    case Op.CMOVNB: take = !cf; break;
    case Op.CMOVNE: take = !zf; break;
    case Op.CMOVNBE: take = !cf && !zf; break;
    default: take = !pf;
  }
  s.setC1(false);
  if (take) s.copy(0, i);
}
