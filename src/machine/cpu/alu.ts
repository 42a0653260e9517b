/**
 * Arithmetic and logic with their flags (SDM Vol. 2: ADD ADC SUB SBB CMP AND
 * OR XOR NEG INC DEC). `aluOp` takes the 3-bit ALU code of opcodes 00-3F and
 * 80-83 (/0 ADD /1 OR /2 ADC /3 SBB /4 AND /5 SUB /6 XOR /7 CMP).
 */
import type { Cpu } from "./cpu.js";
import { LAZY_ADC, LAZY_ADD, LAZY_LOGIC, LAZY_SBB, LAZY_SUB } from "./lazy-flags.js";

export function aluOp(cpu: Cpu, k: number, a: number, b: number, size: number): number {
  const lf = cpu.lf;
  let r: number;
  switch (k) {
    case 0: r = (a + b) | 0; lf.set(LAZY_ADD, a, b, r, size); return r;
    case 1: r = a | b; lf.set(LAZY_LOGIC, a, b, r, size); return r;
    case 2: { const c = lf.cf(); r = (a + b + c) | 0; lf.set(LAZY_ADC, a, b, r, size); lf.cin = c; return r; }
    case 3: { const c = lf.cf(); r = (a - b - c) | 0; lf.set(LAZY_SBB, a, b, r, size); lf.cin = c; return r; }
    case 4: r = a & b; lf.set(LAZY_LOGIC, a, b, r, size); return r;
    case 5: r = (a - b) | 0; lf.set(LAZY_SUB, a, b, r, size); return r;
    case 6: r = a ^ b; lf.set(LAZY_LOGIC, a, b, r, size); return r;
    default: r = (a - b) | 0; lf.set(LAZY_SUB, a, b, r, size); return a;
  }
}

export function inc(cpu: Cpu, a: number, size: number): number {
  const r = (a + 1) | 0;
  cpu.lf.setKeepCarry(LAZY_ADD, a, r, size);
  return r;
}

export function dec(cpu: Cpu, a: number, size: number): number {
  const r = (a - 1) | 0;
  cpu.lf.setKeepCarry(LAZY_SUB, a, r, size);
  return r;
}

export function neg(cpu: Cpu, a: number, size: number): number {
  const r = (0 - a) | 0;
  cpu.lf.set(LAZY_SUB, 0, a, r, size);
  return r;
}
