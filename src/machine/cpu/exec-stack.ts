/**
 * Stack and segment-register instructions (SDM Vol. 2 PUSH, POP, PUSHA,
 * POPA, PUSHF, POPF, ENTER, LEAVE, MOV Sreg, LDS/LES/LFS/LGS/LSS).
 * POPF keeps IF and IOPL silently when CPL does not allow changing them:
 * one of the x86 virtualization holes the paper is about.
 */
import type { Cpu } from "./cpu.js";
import { F_MEM, F_O32 } from "./decoder.js";
import { raise } from "./fault.js";
import type { Handler } from "./handlers.js";
import { setFlagsFromIret } from "./interrupts.js";
import { CS, EBP, ESP, RF, SS, UD, VM } from "./registers.js";
import { ea, getReg, isO32, opSize, peek, pop, push, readRm, setReg, setSp, stack32 } from "./operands.js";
import { loadDataSegment, loadStackSegment } from "./segmentation.js";

/** Load segment register `seg` by a MOV/POP/Lxs; SS inhibits interrupts for one instruction. */
export function loadSegment(cpu: Cpu, seg: number, sel: number): void {
  cpu.clock.now += cpu.costs.segmentLoad;
  if (seg === SS) {
    loadStackSegment(cpu, sel);
    cpu.inhibit = 2;
    cpu.attention = 1;
  } else if (seg === CS || seg > 5) {
    raise(UD);
  } else {
    loadDataSegment(cpu, seg, sel);
  }
}

function popSeg(cpu: Cpu, s: number, seg: number): void {
  const size = opSize(cpu, s);
  const sel = peek(cpu, 0, size) & 0xffff;
  loadSegment(cpu, seg, sel);
  setSp(cpu, (cpu.regs[ESP]! + size / 8) & (stack32(cpu) ? -1 : 0xffff));
}

function popf(cpu: Cpu, s: number): void {
  const o32 = isO32(cpu, s);
  const value = peek(cpu, 0, o32 ? 32 : 16);
  const cpl = cpu.cpl;
  setSp(cpu, (cpu.regs[ESP]! + (o32 ? 4 : 2)) & (stack32(cpu) ? -1 : 0xffff));
  // POPF: like IRET's rules (IOPL at CPL 0 only, IF when CPL <= IOPL), RF cleared, VM kept.
  const vm = cpu.eflagsRest & VM;
  setFlagsFromIret(cpu, value, o32, cpl);
  cpu.eflagsRest = (cpu.eflagsRest & ~(RF | VM)) | vm;
  cpu.attention = 1;
}

function pusha(cpu: Cpu, s: number): void {
  const size = opSize(cpu, s), bytes = size / 8;
  const sp = cpu.regs[ESP]!;
  const spMask = stack32(cpu) ? -1 : 0xffff;
  for (let r = 0; r < 8; r++) {
    const v = r === ESP ? sp : getReg(cpu, r, size);
    const at = (sp - (r + 1) * bytes) & spMask;
    if (size === 32) cpu.write32(SS, at, v); else cpu.write16(SS, at, v);
  }
  setSp(cpu, (sp - 8 * bytes) & spMask);
}

const popaValues = new Int32Array(8);
function popa(cpu: Cpu, s: number): void {
  const size = opSize(cpu, s), bytes = size / 8;
  for (let i = 0; i < 8; i++) popaValues[i] = peek(cpu, i * bytes, size);
  // stack image from the top: EDI ESI EBP (ESP, skipped) EBX EDX ECX EAX
  for (let i = 0; i < 8; i++) if (7 - i !== ESP) setReg(cpu, 7 - i, size, popaValues[i]!);
  setSp(cpu, (cpu.regs[ESP]! + 8 * bytes) & (stack32(cpu) ? -1 : 0xffff));
}

function enter(cpu: Cpu, s: number): void {
  const size = opSize(cpu, s), bytes = size / 8;
  const alloc = cpu.dc.imm[s]! & 0xffff;
  const level = cpu.dc.imm2[s]! & 31;
  const espSave = cpu.regs[ESP]!, ebpSave = cpu.regs[EBP]!;
  const spMask = stack32(cpu) ? -1 : 0xffff;
  try {
    push(cpu, getReg(cpu, EBP, size), size);
    const frameTemp = cpu.regs[ESP]! & spMask;
    let bp = ebpSave;
    for (let i = 1; i < level; i++) {
      bp = (bp - bytes) & spMask;
      push(cpu, size === 32 ? cpu.read32(SS, bp) : cpu.read16(SS, bp), size);
    }
    if (level > 0) push(cpu, frameTemp, size);
    const newSp = (cpu.regs[ESP]! - alloc) & spMask;
    // the final stack pointer must be writable (SDM: #SS if it is outside the limit)
    if (alloc > 0) cpu.read8(SS, newSp);
    setReg(cpu, EBP, size, frameTemp);
    setSp(cpu, newSp);
  } catch (e) {
    cpu.regs[ESP] = espSave; cpu.regs[EBP] = ebpSave;
    throw e;
  }
}

function leave(cpu: Cpu, s: number): void {
  const size = opSize(cpu, s);
  const spMask = stack32(cpu) ? -1 : 0xffff;
  const bp = cpu.regs[EBP]! & spMask;
  const v = size === 32 ? cpu.read32(SS, bp) : cpu.read16(SS, bp);
  setSp(cpu, (bp + size / 8) & spMask);
  setReg(cpu, EBP, size, v);
}

function loadFarPointer(cpu: Cpu, s: number, seg: number): void {
  const dc = cpu.dc;
  if ((dc.flags[s]! & F_MEM) === 0) raise(UD);
  const o32 = (dc.flags[s]! & F_O32) !== 0;
  const off = ea(cpu, s), mseg = dc.seg[s]!;
  const value = o32 ? cpu.read32(mseg, off) : cpu.read16(mseg, off);
  const sel = cpu.read16(mseg, (off + (o32 ? 4 : 2)) | 0);
  loadSegment(cpu, seg, sel);
  setReg(cpu, dc.reg[s]!, o32 ? 32 : 16, value);
}

export function registerStack(h: Handler[]): void {
  for (let r = 0; r < 8; r++) {
    h[0x50 + r] = r === ESP
      ? (cpu, s) => { const z = opSize(cpu, s); push(cpu, getReg(cpu, ESP, z), z); }
      : (cpu, s) => { const z = opSize(cpu, s); push(cpu, getReg(cpu, r, z), z); };
    h[0x58 + r] = (cpu, s) => { const z = opSize(cpu, s); const v = pop(cpu, z); setReg(cpu, r, z, v); };
  }
  h[0x68] = (cpu, s) => push(cpu, cpu.dc.imm[s]!, opSize(cpu, s));
  h[0x6a] = (cpu, s) => push(cpu, (cpu.dc.imm[s]! << 24) >> 24, opSize(cpu, s));
  const segPush = (seg: number): Handler => (cpu, s) => push(cpu, cpu.segSel[seg]!, opSize(cpu, s));
  h[0x06] = segPush(0); h[0x0e] = segPush(1); h[0x16] = segPush(2); h[0x1e] = segPush(3);
  h[0x1a0] = segPush(4); h[0x1a8] = segPush(5);
  h[0x07] = (cpu, s) => popSeg(cpu, s, 0);
  h[0x17] = (cpu, s) => popSeg(cpu, s, 2);
  h[0x1f] = (cpu, s) => popSeg(cpu, s, 3);
  h[0x1a1] = (cpu, s) => popSeg(cpu, s, 4);
  h[0x1a9] = (cpu, s) => popSeg(cpu, s, 5);
  h[0x60] = pusha;
  h[0x61] = popa;
  h[0x9c] = (cpu, s) => {
    const o32 = isO32(cpu, s);
    push(cpu, o32 ? cpu.eflags & 0x00fcffff : cpu.eflags & 0xffff, o32 ? 32 : 16);
  };
  h[0x9d] = popf;
  h[0xc8] = enter;
  h[0xc9] = leave;
  h[0x8f] = (cpu, s) => {
    if (cpu.dc.reg[s] !== 0) raise(UD);
    const size = opSize(cpu, s);
    const espSave = cpu.regs[ESP]!;
    const v = pop(cpu, size);
    try {
      if ((cpu.dc.flags[s]! & F_MEM) === 0) setReg(cpu, cpu.dc.rm[s]!, size, v);
      else if (size === 32) cpu.write32(cpu.dc.seg[s]!, ea(cpu, s), v);
      else cpu.write16(cpu.dc.seg[s]!, ea(cpu, s), v);
    } catch (e) {
      cpu.regs[ESP] = espSave;
      throw e;
    }
  };
  h[0x8c] = (cpu, s) => {
    const seg = cpu.dc.reg[s]!;
    if (seg > 5) raise(UD);
    const v = cpu.segSel[seg]!;
    if ((cpu.dc.flags[s]! & F_MEM) !== 0) cpu.write16(cpu.dc.seg[s]!, ea(cpu, s), v);
    else setReg(cpu, cpu.dc.rm[s]!, opSize(cpu, s), v);
  };
  h[0x8e] = (cpu, s) => loadSegment(cpu, cpu.dc.reg[s]!, readRm(cpu, s, 16));
  h[0xc4] = (cpu, s) => loadFarPointer(cpu, s, 0);
  h[0xc5] = (cpu, s) => loadFarPointer(cpu, s, 3);
  h[0x1b2] = (cpu, s) => loadFarPointer(cpu, s, SS);
  h[0x1b4] = (cpu, s) => loadFarPointer(cpu, s, 4);
  h[0x1b5] = (cpu, s) => loadFarPointer(cpu, s, 5);
}
