/**
 * System instructions: descriptor-table registers, LLDT/LTR, LAR/LSL/VERR/
 * VERW, control and debug registers, INVLPG, CLTS, caches (SDM Vol. 2 and
 * Vol. 3 §2.5–2.8). SGDT, SIDT, SLDT, STR and SMSW work at any CPL: x86
 * virtualization holes the paper is about.
 */
import type { Cpu } from "./cpu.js";
import { ATTR_UNUSABLE } from "./cpu.js";
import { F_MEM, F_O32 } from "./decoder.js";
import { raise } from "./fault.js";
import type { Handler } from "./handlers.js";
import { loadPdptes } from "../mmu/page-walk.js";
import {
  CR0_CD, CR0_ET, CR0_NW, CR0_PE, CR0_PG, CR0_TS, CR0_WP, CR4_DE, CR4_PAE, CR4_PGE, CR4_PSE, CR4_SUPPORTED, DB, GP, NP,
  UD, ZF,
} from "./registers.js";
import { ea, opSize, readRm, setReg, writeRm } from "./operands.js";
import {
  attrDpl, attrIsCode, attrPresent, desc, descAttr, descBase, descLimit, descriptorAddress, readDescriptor,
} from "./segmentation.js";

export function requireCpl0(cpu: Cpu): void {
  if (cpu.cpl !== 0) raise(GP, 0);
}

function memOnly(cpu: Cpu, s: number): number {
  if ((cpu.dc.flags[s]! & F_MEM) === 0) raise(UD);
  return ea(cpu, s);
}

function group6(cpu: Cpu, s: number): void {
  switch (cpu.dc.reg[s]!) {
    case 0: writeStoreSel(cpu, s, cpu.ldtSel); return;
    case 1: writeStoreSel(cpu, s, cpu.trSel); return;
    case 2: requireCpl0(cpu); lldt(cpu, readRm(cpu, s, 16)); return;
    case 3: requireCpl0(cpu); ltr(cpu, readRm(cpu, s, 16)); return;
    case 4: verify(cpu, readRm(cpu, s, 16), false); return;
    case 5: verify(cpu, readRm(cpu, s, 16), true); return;
    default: raise(UD);
  }
}

/** SLDT/STR: 16 bits to memory; zero-extended to a 32-bit register. */
function writeStoreSel(cpu: Cpu, s: number, sel: number): void {
  if ((cpu.dc.flags[s]! & F_MEM) !== 0) writeRm(cpu, s, 16, sel);
  else setReg(cpu, cpu.dc.rm[s]!, opSize(cpu, s), sel);
}

export function lldt(cpu: Cpu, sel: number): void {
  if ((sel & 0xfffc) === 0) { cpu.ldtSel = sel; cpu.ldtBase = 0; cpu.ldtLimit = 0; cpu.ldtAttr = ATTR_UNUSABLE; return; }
  if ((sel & 4) !== 0) raise(GP, sel & 0xfffc);
  readDescriptor(cpu, sel);
  const attr = descAttr(desc[1]!);
  if ((attr & 0x1f) !== 0x02) raise(GP, sel & 0xfffc);
  if (!attrPresent(attr)) raise(NP, sel & 0xfffc);
  cpu.ldtSel = sel; cpu.ldtBase = descBase(desc[0]!, desc[1]!); cpu.ldtLimit = descLimit(desc[0]!, desc[1]!); cpu.ldtAttr = attr;
}

export function ltr(cpu: Cpu, sel: number): void {
  if ((sel & 0xfffc) === 0 || (sel & 4) !== 0) raise(GP, sel & 0xfffc);
  readDescriptor(cpu, sel);
  const attr = descAttr(desc[1]!);
  const type = attr & 0x1f;
  if (type !== 0x01 && type !== 0x09) raise(GP, sel & 0xfffc); // available 16/32-bit TSS
  if (!attrPresent(attr)) raise(NP, sel & 0xfffc);
  // mark busy
  const addr = descriptorAddress(cpu, sel);
  cpu.supWrite8(addr + 5, ((desc[1]! >>> 8) & 0xff) | 2);
  cpu.trSel = sel; cpu.trBase = descBase(desc[0]!, desc[1]!); cpu.trLimit = descLimit(desc[0]!, desc[1]!);
  cpu.trAttr = attr | 2;
}

/** Can `sel` be named at this CPL/RPL for LAR/LSL/VERR/VERW? Leaves the descriptor in `desc`. */
function accessible(cpu: Cpu, sel: number): number {
  if ((sel & 0xfffc) === 0) return -1;
  const addr = descriptorAddress(cpu, sel);
  if (addr === -1) return -1;
  desc[0] = cpu.supRead32(addr);
  desc[1] = cpu.supRead32(addr + 4);
  const attr = descAttr(desc[1]!);
  const dpl = attrDpl(attr);
  const conformingCode = attrIsCode(attr) && (attr & 4) !== 0;
  if (!conformingCode && (cpu.cpl > dpl || (sel & 3) > dpl)) return -1;
  return attr;
}

function verify(cpu: Cpu, sel: number, write: boolean): void {
  const attr = accessible(cpu, sel);
  let ok = attr >= 0 && (attr & 0x10) !== 0;
  if (ok) ok = write ? !attrIsCode(attr) && (attr & 2) !== 0 : !attrIsCode(attr) || (attr & 2) !== 0;
  setZf(cpu, ok);
}

function setZf(cpu: Cpu, on: boolean): void {
  const lf = cpu.lf;
  lf.materialize();
  lf.flags = on ? lf.flags | ZF : lf.flags & ~ZF;
}

// System descriptor types valid for LAR and LSL (SDM Vol. 2 LAR/LSL tables).
const LAR_TYPES = new Set([1, 2, 3, 4, 5, 9, 11, 12]);
const LSL_TYPES = new Set([1, 2, 3, 9, 11]);

function lar(cpu: Cpu, s: number, limit: boolean): void {
  const sel = readRm(cpu, s, 16);
  const attr = accessible(cpu, sel);
  const ok = attr >= 0 && ((attr & 0x10) !== 0 || (limit ? LSL_TYPES : LAR_TYPES).has(attr & 0xf));
  setZf(cpu, ok);
  if (!ok) return;
  const size = opSize(cpu, s);
  if (limit) setReg(cpu, cpu.dc.reg[s]!, size, descLimit(desc[0]!, desc[1]!) | 0);
  else setReg(cpu, cpu.dc.reg[s]!, size, desc[1]! & (size === 32 ? 0x00f0ff00 : 0xff00));
}

function group7(cpu: Cpu, s: number): void {
  const k = cpu.dc.reg[s]!;
  const o32 = (cpu.dc.flags[s]! & F_O32) !== 0;
  switch (k) {
    case 0: case 1: { // SGDT, SIDT: 6 bytes; 16-bit operand size stores 24 bits of base (P6+: all 32, see SDM note)
      const off = memOnly(cpu, s), seg = cpu.dc.seg[s]!;
      const base = k === 0 ? cpu.gdtBase : cpu.idtBase, limit = k === 0 ? cpu.gdtLimit : cpu.idtLimit;
      cpu.probeWrite(seg, off, 6);
      cpu.write16(seg, off, limit);
      cpu.write32(seg, (off + 2) | 0, o32 ? base : base & 0x00ffffff);
      return;
    }
    case 2: case 3: { // LGDT, LIDT
      const off = memOnly(cpu, s);
      requireCpl0(cpu);
      const seg = cpu.dc.seg[s]!;
      const limit = cpu.read16(seg, off);
      let base = cpu.read32(seg, (off + 2) | 0);
      if (!o32) base &= 0x00ffffff;
      if (k === 2) { cpu.gdtBase = base; cpu.gdtLimit = limit; } else { cpu.idtBase = base; cpu.idtLimit = limit; }
      cpu.clock.now += cpu.costs.serializing;
      return;
    }
    case 4: // SMSW
      if ((cpu.dc.flags[s]! & F_MEM) !== 0) writeRm(cpu, s, 16, cpu.cr0);
      else setReg(cpu, cpu.dc.rm[s]!, opSize(cpu, s), cpu.cr0);
      return;
    case 6: { // LMSW: PE MP EM TS; cannot clear PE
      requireCpl0(cpu);
      const v = readRm(cpu, s, 16);
      setCr0(cpu, (cpu.cr0 & ~0xe) | (v & 0xf) | (cpu.cr0 & CR0_PE));
      return;
    }
    case 7: { // INVLPG
      const off = memOnly(cpu, s);
      requireCpl0(cpu);
      cpu.invalidatePage((cpu.segBase[cpu.dc.seg[s]!]! + off) | 0);
      cpu.clock.now += cpu.costs.invlpg;
      return;
    }
    default: raise(UD);
  }
}

export function setCr0(cpu: Cpu, v: number): void {
  v |= CR0_ET;
  if ((v & CR0_PG) !== 0 && (v & CR0_PE) === 0) raise(GP, 0);
  if ((v & CR0_NW) !== 0 && (v & CR0_CD) === 0) raise(GP, 0);
  if ((v & CR0_PE) === 0) raise(GP, 0); // real mode is not part of this machine
  const changed = cpu.cr0 ^ v;
  if ((v & CR0_PG) !== 0 && (changed & CR0_PG) !== 0 && (cpu.cr4 & CR4_PAE) !== 0) {
    if (!loadPdptes(cpu.cr3, cpu.ram, cpu.pdpte)) raise(GP, 0);
  }
  cpu.cr0 = v | 0;
  if ((changed & (CR0_PG | CR0_WP)) !== 0) cpu.flushTlb(false);
  cpu.clock.now += cpu.costs.serializing;
}

export function setCr3(cpu: Cpu, v: number): void {
  if ((cpu.cr0 & CR0_PG) !== 0 && (cpu.cr4 & CR4_PAE) !== 0) {
    if (!loadPdptes(v, cpu.ram, cpu.pdpte)) raise(GP, 0);
  }
  cpu.cr3 = v | 0;
  cpu.flushTlb(true);
  cpu.clock.now += cpu.costs.serializing;
}

export function setCr4(cpu: Cpu, v: number): void {
  if ((v & ~CR4_SUPPORTED) !== 0) raise(GP, 0);
  const changed = cpu.cr4 ^ v;
  if ((v & CR4_PAE) !== 0 && (changed & CR4_PAE) !== 0 && (cpu.cr0 & CR0_PG) !== 0) {
    if (!loadPdptes(cpu.cr3, cpu.ram, cpu.pdpte)) raise(GP, 0);
  }
  cpu.cr4 = v | 0;
  if ((changed & (CR4_PGE | CR4_PAE | CR4_PSE)) !== 0) cpu.flushTlb(false);
  cpu.debug.update();
  cpu.clock.now += cpu.costs.serializing;
}

function movCr(cpu: Cpu, s: number, toCr: boolean): void {
  requireCpl0(cpu);
  const cr = cpu.dc.reg[s]!, r = cpu.dc.rm[s]!;
  if (!toCr) {
    let v: number;
    switch (cr) {
      case 0: v = cpu.cr0; break;
      case 2: v = cpu.cr2; break;
      case 3: v = cpu.cr3; break;
      case 4: v = cpu.cr4; break;
      default: raise(UD);
    }
    cpu.regs[r] = v;
    return;
  }
  const v = cpu.regs[r]!;
  switch (cr) {
    case 0: setCr0(cpu, v); break;
    case 2: cpu.cr2 = v; break;
    case 3: setCr3(cpu, v); break;
    case 4: setCr4(cpu, v); break;
    default: raise(UD);
  }
}

function movDr(cpu: Cpu, s: number, toDr: boolean): void {
  requireCpl0(cpu);
  let dr = cpu.dc.reg[s]!;
  const r = cpu.dc.rm[s]!;
  if (dr === 4 || dr === 5) {
    if ((cpu.cr4 & CR4_DE) !== 0) raise(UD);
    dr += 2;
  }
  if (cpu.debug.generalDetect()) {
    cpu.debug.dr6 |= 1 << 13; // BD
    cpu.debug.dr7 &= ~(1 << 13);
    raise(DB);
  }
  if (toDr) cpu.debug.write(dr, cpu.regs[r]!);
  else cpu.regs[r] = cpu.debug.read(dr);
}

export function registerSystem(h: Handler[]): void {
  h[0x100] = group6;
  h[0x101] = group7;
  h[0x102] = (cpu, s) => lar(cpu, s, false);
  h[0x103] = (cpu, s) => lar(cpu, s, true);
  h[0x106] = (cpu) => { requireCpl0(cpu); cpu.cr0 &= ~CR0_TS; };
  h[0x108] = h[0x109] = (cpu) => requireCpl0(cpu);
  h[0x120] = (cpu, s) => movCr(cpu, s, false);
  h[0x122] = (cpu, s) => movCr(cpu, s, true);
  h[0x121] = (cpu, s) => movDr(cpu, s, false);
  h[0x123] = (cpu, s) => movDr(cpu, s, true);
}
