/**
 * Near control transfers and conditions (SDM Vol. 2 Jcc, JMP, CALL, RET,
 * LOOP/LOOPcc, JCXZ/JECXZ; condition codes in Appendix B.1).
 * A near target beyond the CS limit is #GP(0) before anything is pushed.
 */
import type { Cpu } from "./cpu.js";
import { F_A32, F_O32 } from "./decoder.js";
import { raise } from "./fault.js";
import type { Handler } from "./handlers.js";
import { CS, ECX, GP } from "./registers.js";
import { adjustSp, isO32, pop, push } from "./operands.js";

/** Evaluate condition code `c` (0 O, 1 NO, 2 B, 3 AE, 4 E, 5 NE, 6 BE, 7 A, 8 S, 9 NS, A P, B NP, C L, D GE, E LE, F G). */
export function cond(cpu: Cpu, c: number): boolean {
  const lf = cpu.lf;
  let r: boolean;
  switch (c >> 1) {
    case 0: r = lf.of() !== 0; break;
    case 1: r = lf.cf() !== 0; break;
    case 2: r = lf.zf() !== 0; break;
    case 3: r = lf.cf() !== 0 || lf.zf() !== 0; break;
    case 4: r = lf.sf() !== 0; break;
    case 5: r = lf.pf() !== 0; break;
    case 6: r = (lf.sf() !== 0) !== (lf.of() !== 0); break;
    default: r = lf.zf() !== 0 || (lf.sf() !== 0) !== (lf.of() !== 0); break;
  }
  return (c & 1) !== 0 ? !r : r;
}

/** Set EIP to a near target after the CS limit check (16-bit operand size truncates). */
export function jumpNear(cpu: Cpu, s: number, target: number): void {
  if ((cpu.dc.flags[s]! & F_O32) === 0) target &= 0xffff;
  if (target >>> 0 > cpu.segLimit[CS]!) raise(GP, 0);
  cpu.eip = target | 0;
}

/** Push the return address (the next instruction's EIP). */
export function pushNear(cpu: Cpu, s: number): void {
  push(cpu, cpu.eip, isO32(cpu, s) ? 32 : 16);
}

function callRel(cpu: Cpu, s: number): void {
  let target = (cpu.eip + cpu.dc.imm[s]!) | 0;
  if (!isO32(cpu, s)) target &= 0xffff;
  if (target >>> 0 > cpu.segLimit[CS]!) raise(GP, 0);
  pushNear(cpu, s);
  cpu.eip = target;
}

function retNear(cpu: Cpu, s: number, release: number): void {
  const size = isO32(cpu, s) ? 32 : 16;
  const sp = cpu.regs[4]!;
  const target = pop(cpu, size);
  if (target >>> 0 > cpu.segLimit[CS]!) { cpu.regs[4] = sp; raise(GP, 0); }
  cpu.eip = target;
  if (release !== 0) adjustSp(cpu, release);
}

/** The count register by address size: ECX or CX. */
function decCount(cpu: Cpu, s: number): number {
  if ((cpu.dc.flags[s]! & F_A32) !== 0) return (cpu.regs[ECX] = cpu.regs[ECX]! - 1);
  return (cpu.regs16[ECX << 1] = cpu.regs16[ECX << 1]! - 1);
}

export function registerControl(h: Handler[]): void {
  for (let c = 0; c < 16; c++) {
    h[0x70 + c] = (cpu, s) => { if (cond(cpu, c)) jumpNear(cpu, s, cpu.eip + ((cpu.dc.imm[s]! << 24) >> 24)); };
    h[0x180 + c] = (cpu, s) => { if (cond(cpu, c)) jumpNear(cpu, s, cpu.eip + cpu.dc.imm[s]!); };
  }
  h[0xeb] = (cpu, s) => jumpNear(cpu, s, cpu.eip + ((cpu.dc.imm[s]! << 24) >> 24));
  h[0xe9] = (cpu, s) => jumpNear(cpu, s, cpu.eip + cpu.dc.imm[s]!);
  h[0xe8] = callRel;
  h[0xc3] = (cpu, s) => retNear(cpu, s, 0);
  h[0xc2] = (cpu, s) => retNear(cpu, s, cpu.dc.imm[s]!);
  h[0xe2] = (cpu, s) => { if (decCount(cpu, s) !== 0) jumpNear(cpu, s, cpu.eip + ((cpu.dc.imm[s]! << 24) >> 24)); };
  h[0xe1] = (cpu, s) => {
    if (decCount(cpu, s) !== 0 && cpu.lf.zf() !== 0) jumpNear(cpu, s, cpu.eip + ((cpu.dc.imm[s]! << 24) >> 24));
  };
  h[0xe0] = (cpu, s) => {
    if (decCount(cpu, s) !== 0 && cpu.lf.zf() === 0) jumpNear(cpu, s, cpu.eip + ((cpu.dc.imm[s]! << 24) >> 24));
  };
  h[0xe3] = (cpu, s) => {
    const count = (cpu.dc.flags[s]! & F_A32) !== 0 ? cpu.regs[ECX]! : cpu.regs16[ECX << 1]!;
    if (count === 0) jumpNear(cpu, s, cpu.eip + ((cpu.dc.imm[s]! << 24) >> 24));
  };
}
