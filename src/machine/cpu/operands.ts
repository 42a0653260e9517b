/**
 * Operand access for decoded instructions: effective addresses, ModRM r/m
 * operands in 8/16/32 bits, general registers by width, and the stack.
 * Everything reads the decoded slot `s` of `cpu.dc`; nothing allocates.
 */
import type { Cpu } from "./cpu.js";
import { F_A32, F_MEM, F_O32 } from "./decoder.js";
import { ESP, SS, reg8Offset } from "./registers.js";

/** Effective address (offset within the segment) of slot `s`'s memory operand. */
export function ea(cpu: Cpu, s: number): number {
  const dc = cpu.dc;
  let a = dc.disp[s]!;
  const base = dc.base[s]!;
  if (base >= 0) a += cpu.regs[base]!;
  const index = dc.index[s]!;
  if (index >= 0) a += cpu.regs[index]! << dc.scale[s]!;
  return (dc.flags[s]! & F_A32) !== 0 ? a | 0 : a & 0xffff;
}

export const isMem = (cpu: Cpu, s: number): boolean => (cpu.dc.flags[s]! & F_MEM) !== 0;
export const isO32 = (cpu: Cpu, s: number): boolean => (cpu.dc.flags[s]! & F_O32) !== 0;
/** Operand width in bits for a full-size (non-byte) operand. */
export const opSize = (cpu: Cpu, s: number): number => ((cpu.dc.flags[s]! & F_O32) !== 0 ? 32 : 16);

// ---- general registers by width ----

export const getReg8 = (cpu: Cpu, r: number): number => cpu.regs8[reg8Offset(r)]!;
export function setReg8(cpu: Cpu, r: number, v: number): void {
  cpu.regs8[reg8Offset(r)] = v;
}
export const getReg16 = (cpu: Cpu, r: number): number => cpu.regs16[r << 1]!;
export function setReg16(cpu: Cpu, r: number, v: number): void {
  cpu.regs16[r << 1] = v;
}

/** Register of width `size` (8, 16, 32); 8-bit uses AL..BH numbering. */
export function getReg(cpu: Cpu, r: number, size: number): number {
  return size === 32 ? cpu.regs[r]! : size === 16 ? cpu.regs16[r << 1]! : cpu.regs8[reg8Offset(r)]!;
}
export function setReg(cpu: Cpu, r: number, size: number, v: number): void {
  if (size === 32) cpu.regs[r] = v;
  else if (size === 16) cpu.regs16[r << 1] = v;
  else cpu.regs8[reg8Offset(r)] = v;
}

// ---- ModRM r/m operand ----

export function readRm(cpu: Cpu, s: number, size: number): number {
  const dc = cpu.dc;
  if ((dc.flags[s]! & F_MEM) === 0) return getReg(cpu, dc.rm[s]!, size);
  const off = ea(cpu, s), seg = dc.seg[s]!;
  return size === 32 ? cpu.read32(seg, off) : size === 16 ? cpu.read16(seg, off) : cpu.read8(seg, off);
}

export function writeRm(cpu: Cpu, s: number, size: number, v: number): void {
  const dc = cpu.dc;
  if ((dc.flags[s]! & F_MEM) === 0) { setReg(cpu, dc.rm[s]!, size, v); return; }
  const off = ea(cpu, s), seg = dc.seg[s]!;
  if (size === 32) cpu.write32(seg, off, v);
  else if (size === 16) cpu.write16(seg, off, v);
  else cpu.write8(seg, off, v);
}

export function readMem(cpu: Cpu, seg: number, off: number, size: number): number {
  return size === 32 ? cpu.read32(seg, off) : size === 16 ? cpu.read16(seg, off) : cpu.read8(seg, off);
}

export function writeMem(cpu: Cpu, seg: number, off: number, size: number, v: number): void {
  if (size === 32) cpu.write32(seg, off, v);
  else if (size === 16) cpu.write16(seg, off, v);
  else cpu.write8(seg, off, v);
}

/**
 * Read-modify-write of the r/m operand without closures: `rmwRead` computes
 * the address once and keeps it in `cpu.rmwOff` for the matching `rmwWrite`.
 */
export function rmwRead(cpu: Cpu, s: number, size: number): number {
  const dc = cpu.dc;
  if ((dc.flags[s]! & F_MEM) === 0) return getReg(cpu, dc.rm[s]!, size);
  const off = ea(cpu, s);
  cpu.rmwOff = off;
  return readMem(cpu, dc.seg[s]!, off, size);
}

export function rmwWrite(cpu: Cpu, s: number, size: number, v: number): void {
  const dc = cpu.dc;
  if ((dc.flags[s]! & F_MEM) === 0) setReg(cpu, dc.rm[s]!, size, v);
  else writeMem(cpu, dc.seg[s]!, cpu.rmwOff, size, v);
}

// ---- the stack (SS:ESP or SS:SP by SS.B) ----

export const stack32 = (cpu: Cpu): boolean => (cpu.segAttr[SS]! & (1 << 14)) !== 0;
export const getSp = (cpu: Cpu): number => (stack32(cpu) ? cpu.regs[ESP]! : cpu.regs16[ESP << 1]!);
export function setSp(cpu: Cpu, v: number): void {
  if (stack32(cpu)) cpu.regs[ESP] = v;
  else cpu.regs16[ESP << 1] = v;
}
const spMask = (cpu: Cpu): number => (stack32(cpu) ? -1 : 0xffff);

export function push32(cpu: Cpu, v: number): void {
  const sp = (cpu.regs[ESP]! - 4) & spMask(cpu);
  cpu.write32(SS, sp, v);
  setSp(cpu, sp);
}

export function push16(cpu: Cpu, v: number): void {
  const sp = (cpu.regs[ESP]! - 2) & spMask(cpu);
  cpu.write16(SS, sp, v);
  setSp(cpu, sp);
}

export function push(cpu: Cpu, v: number, size: number): void {
  if (size === 32) push32(cpu, v);
  else push16(cpu, v);
}

export function pop32(cpu: Cpu): number {
  const sp = cpu.regs[ESP]! & spMask(cpu);
  const v = cpu.read32(SS, sp);
  setSp(cpu, sp + 4);
  return v;
}

export function pop16(cpu: Cpu): number {
  const sp = cpu.regs[ESP]! & spMask(cpu);
  const v = cpu.read16(SS, sp);
  setSp(cpu, sp + 2);
  return v;
}

export function pop(cpu: Cpu, size: number): number {
  return size === 32 ? pop32(cpu) : pop16(cpu);
}

/** Read the value `n` bytes above the stack top without popping (for multi-pop instructions). */
export function peek(cpu: Cpu, n: number, size: number): number {
  const off = (cpu.regs[ESP]! + n) & spMask(cpu);
  return size === 32 ? cpu.read32(SS, off) : cpu.read16(SS, off);
}

/** Add to ESP/SP by the stack width. */
export function adjustSp(cpu: Cpu, n: number): void {
  setSp(cpu, (cpu.regs[ESP]! + n) & spMask(cpu));
}
