/**
 * Integer data movement and arithmetic: ALU rows 00-3F, groups 1/3/4/5
 * (80-83, F6/F7, FE/FF), TEST, XCHG, MOV, LEA, INC/DEC, IMUL, MOVZX/MOVSX,
 * CBW/CWD and MUL/DIV (SDM Vol. 2 instruction pages of those names).
 */
import { aluOp, dec, inc, neg } from "./alu.js";
import type { Cpu } from "./cpu.js";
import { F_MEM, F_O32 } from "./decoder.js";
import { raise } from "./fault.js";
import type { Handler } from "./handlers.js";
import { LAZY_MUL } from "./lazy-flags.js";
import { DE, EAX, EDX, UD } from "./registers.js";
import { ea, getReg, isO32, opSize, readRm, rmwRead, rmwWrite, setReg, writeRm } from "./operands.js";
import { farIndirect } from "./far-transfer.js";
import { pushNear, jumpNear } from "./exec-control.js";
import { push } from "./operands.js";

function aluRow(k: number, form: number): Handler {
  switch (form) {
    case 0: // Eb, Gb
    case 1: // Ev, Gv
      return (cpu, s) => {
        const size = form === 0 ? 8 : opSize(cpu, s);
        const dc = cpu.dc;
        const b = getReg(cpu, dc.reg[s]!, size);
        if ((dc.flags[s]! & F_MEM) === 0) {
          const r = dc.rm[s]!;
          const v = aluOp(cpu, k, getReg(cpu, r, size), b, size);
          if (k !== 7) setReg(cpu, r, size, v);
          return;
        }
        const off = ea(cpu, s), seg = dc.seg[s]!;
        if (size === 32) { const v = aluOp(cpu, k, cpu.read32(seg, off), b, 32); if (k !== 7) cpu.write32(seg, off, v); }
        else if (size === 16) { const v = aluOp(cpu, k, cpu.read16(seg, off), b, 16); if (k !== 7) cpu.write16(seg, off, v); }
        else { const v = aluOp(cpu, k, cpu.read8(seg, off), b, 8); if (k !== 7) cpu.write8(seg, off, v); }
      };
    case 2: // Gb, Eb
    case 3: // Gv, Ev
      return (cpu, s) => {
        const size = form === 2 ? 8 : opSize(cpu, s);
        const r = cpu.dc.reg[s]!;
        const v = aluOp(cpu, k, getReg(cpu, r, size), readRm(cpu, s, size), size);
        if (k !== 7) setReg(cpu, r, size, v);
      };
    case 4: // AL, ib
      return (cpu, s) => {
        const v = aluOp(cpu, k, getReg(cpu, EAX, 8), cpu.dc.imm[s]!, 8);
        if (k !== 7) setReg(cpu, EAX, 8, v);
      };
    default: // eAX, iv
      return (cpu, s) => {
        const size = opSize(cpu, s);
        const v = aluOp(cpu, k, getReg(cpu, EAX, size), cpu.dc.imm[s]!, size);
        if (k !== 7) setReg(cpu, EAX, size, v);
      };
  }
}

function group1(cpu: Cpu, s: number, size: number, imm: number): void {
  const k = cpu.dc.reg[s]!;
  if (k === 7) { aluOp(cpu, 7, readRm(cpu, s, size), imm, size); return; }
  rmwWrite(cpu, s, size, aluOp(cpu, k, rmwRead(cpu, s, size), imm, size));
}

/** Unsigned and signed multiply/divide of group 3 (F6/F7 /4../7). */
function mulDiv(cpu: Cpu, s: number, size: number, kind: number): void {
  const src = readRm(cpu, s, size);
  const regs = cpu.regs;
  if (size === 8) {
    const al = regs[EAX]! & 0xff;
    if (kind === 4 || kind === 5) {
      const r = kind === 4 ? al * (src & 0xff) : ((al << 24) >> 24) * ((src << 24) >> 24);
      cpu.regs16[0] = r;
      const over = kind === 4 ? (r & 0xff00) !== 0 : r !== ((r << 24) >> 24);
      setMulFlags(cpu, over, r, 8);
      return;
    }
    const ax = cpu.regs16[0]!;
    let q: number, rem: number;
    if (kind === 6) {
      const d = src & 0xff;
      if (d === 0) raise(DE);
      q = Math.floor(ax / d); rem = ax % d;
      if (q > 0xff) raise(DE);
    } else {
      const d = (src << 24) >> 24, n = (ax << 16) >> 16;
      if (d === 0) raise(DE);
      q = Math.trunc(n / d); rem = n % d;
      if (q > 127 || q < -128) raise(DE);
    }
    cpu.regs8[0] = q; cpu.regs8[1] = rem;
    return;
  }
  if (size === 16) {
    const ax = cpu.regs16[0]!;
    if (kind === 4 || kind === 5) {
      const r = kind === 4 ? ax * (src & 0xffff) : ((ax << 16) >> 16) * ((src << 16) >> 16);
      cpu.regs16[0] = r; cpu.regs16[EDX << 1] = r >> 16;
      const over = kind === 4 ? (r >>> 16) !== 0 : r !== ((r << 16) >> 16);
      setMulFlags(cpu, over, r, 16);
      return;
    }
    const n32 = (cpu.regs16[EDX << 1]! << 16) | ax;
    let q: number, rem: number;
    if (kind === 6) {
      const d = src & 0xffff, n = n32 >>> 0;
      if (d === 0) raise(DE);
      q = Math.floor(n / d); rem = n % d;
      if (q > 0xffff) raise(DE);
    } else {
      const d = (src << 16) >> 16;
      if (d === 0) raise(DE);
      q = Math.trunc(n32 / d); rem = n32 % d;
      if (q > 32767 || q < -32768) raise(DE);
    }
    cpu.regs16[0] = q; cpu.regs16[EDX << 1] = rem;
    return;
  }
  const eax = regs[EAX]!;
  if (kind === 4) {
    const a = eax >>> 0, b = src >>> 0;
    const lo = Math.imul(a, b);
    const hi = umulHigh(a, b);
    regs[EAX] = lo; regs[EDX] = hi;
    setMulFlags(cpu, hi !== 0, lo, 32);
    return;
  }
  if (kind === 5) {
    const lo = Math.imul(eax, src);
    const hi = smulHigh(eax, src);
    regs[EAX] = lo; regs[EDX] = hi;
    setMulFlags(cpu, hi !== (lo >> 31), lo, 32);
    return;
  }
  if (kind === 6) {
    const d = src >>> 0;
    if (d === 0) raise(DE);
    const n = BigInt(regs[EDX]! >>> 0) << 32n | BigInt(eax >>> 0);
    const q = n / BigInt(d);
    if (q > 0xffffffffn) raise(DE);
    regs[EAX] = Number(q & 0xffffffffn) | 0;
    regs[EDX] = Number(n % BigInt(d)) | 0;
    return;
  }
  if (src === 0) raise(DE);
  const n = BigInt(regs[EDX]!) << 32n | BigInt(eax >>> 0);
  const d = BigInt(src);
  const q = n / d;
  if (q > 0x7fffffffn || q < -0x80000000n) raise(DE);
  regs[EAX] = Number(q) | 0;
  regs[EDX] = Number(n % d) | 0;
}

/** High 32 bits of the unsigned 64-bit product. */
export function umulHigh(a: number, b: number): number {
  const aLo = a & 0xffff, aHi = a >>> 16, bLo = b & 0xffff, bHi = b >>> 16;
  const lolo = aLo * bLo, lohi = aLo * bHi, hilo = aHi * bLo, hihi = aHi * bHi;
  const mid = (lolo >>> 16) + (lohi & 0xffff) + (hilo & 0xffff);
  return (hihi + (lohi >>> 16) + (hilo >>> 16) + (mid >>> 16)) | 0;
}

/** High 32 bits of the signed 64-bit product. */
export function smulHigh(a: number, b: number): number {
  let hi = umulHigh(a >>> 0, b >>> 0);
  if (a < 0) hi = (hi - b) | 0;
  if (b < 0) hi = (hi - a) | 0;
  return hi;
}

/** MUL/IMUL: CF=OF=overflow; SF ZF AF PF are undefined (we derive SF ZF PF from the low result, AF=0). */
export function setMulFlags(cpu: Cpu, over: boolean, low: number, size: number): void {
  cpu.lf.set(LAZY_MUL, 0, over ? 1 : 0, low, size);
}

function group3(cpu: Cpu, s: number, size: number): void {
  const k = cpu.dc.reg[s]!;
  switch (k) {
    case 0: case 1: aluOp(cpu, 4, readRm(cpu, s, size), cpu.dc.imm[s]!, size); return;
    case 2: rmwWrite(cpu, s, size, ~rmwRead(cpu, s, size)); return;
    case 3: rmwWrite(cpu, s, size, neg(cpu, rmwRead(cpu, s, size), size)); return;
    default: mulDiv(cpu, s, size, k);
  }
}

function imul2(cpu: Cpu, a: number, b: number, size: number): number {
  if (size === 32) {
    const lo = Math.imul(a, b);
    setMulFlags(cpu, smulHigh(a, b) !== (lo >> 31), lo, 32);
    return lo;
  }
  const r = ((a << 16) >> 16) * ((b << 16) >> 16);
  setMulFlags(cpu, r !== ((r << 16) >> 16), r, 16);
  return r;
}

export function registerAlu(h: Handler[]): void {
  for (let k = 0; k < 8; k++) for (let form = 0; form < 6; form++) h[(k << 3) | form] = aluRow(k, form);
  for (let r = 0; r < 8; r++) {
    h[0x40 + r] = (cpu, s) => { const size = opSize(cpu, s); setReg(cpu, r, size, inc(cpu, getReg(cpu, r, size), size)); };
    h[0x48 + r] = (cpu, s) => { const size = opSize(cpu, s); setReg(cpu, r, size, dec(cpu, getReg(cpu, r, size), size)); };
    h[0xb0 + r] = (cpu, s) => setReg(cpu, r, 8, cpu.dc.imm[s]!);
    h[0xb8 + r] = (cpu, s) => setReg(cpu, r, opSize(cpu, s), cpu.dc.imm[s]!);
  }
  h[0x80] = h[0x82] = (cpu, s) => group1(cpu, s, 8, cpu.dc.imm[s]!);
  h[0x81] = (cpu, s) => group1(cpu, s, opSize(cpu, s), cpu.dc.imm[s]!);
  h[0x83] = (cpu, s) => group1(cpu, s, opSize(cpu, s), (cpu.dc.imm[s]! << 24) >> 24);
  h[0x84] = (cpu, s) => aluOp(cpu, 4, readRm(cpu, s, 8), getReg(cpu, cpu.dc.reg[s]!, 8), 8);
  h[0x85] = (cpu, s) => { const z = opSize(cpu, s); aluOp(cpu, 4, readRm(cpu, s, z), getReg(cpu, cpu.dc.reg[s]!, z), z); };
  h[0xa8] = (cpu, s) => aluOp(cpu, 4, getReg(cpu, EAX, 8), cpu.dc.imm[s]!, 8);
  h[0xa9] = (cpu, s) => { const z = opSize(cpu, s); aluOp(cpu, 4, getReg(cpu, EAX, z), cpu.dc.imm[s]!, z); };
  const xchg = (cpu: Cpu, s: number, size: number): void => {
    const r = cpu.dc.reg[s]!;
    const old = getReg(cpu, r, size);
    const v = rmwRead(cpu, s, size);
    rmwWrite(cpu, s, size, old);
    setReg(cpu, r, size, v);
  };
  h[0x86] = (cpu, s) => xchg(cpu, s, 8);
  h[0x87] = (cpu, s) => xchg(cpu, s, opSize(cpu, s));
  for (let r = 1; r < 8; r++) {
    h[0x90 + r] = (cpu, s) => {
      const size = opSize(cpu, s);
      const v = getReg(cpu, r, size);
      setReg(cpu, r, size, getReg(cpu, EAX, size));
      setReg(cpu, EAX, size, v);
    };
  }
  h[0x90] = () => {};
  h[0x88] = (cpu, s) => writeRm(cpu, s, 8, getReg(cpu, cpu.dc.reg[s]!, 8));
  h[0x89] = (cpu, s) => {
    const dc = cpu.dc;
    if ((dc.flags[s]! & (F_MEM | F_O32)) === (F_MEM | F_O32)) cpu.write32(dc.seg[s]!, ea(cpu, s), cpu.regs[dc.reg[s]!]!);
    else writeRm(cpu, s, opSize(cpu, s), getReg(cpu, dc.reg[s]!, opSize(cpu, s)));
  };
  // MOV AL/eAX <-> moffs (A0-A3): the decoder puts the offset in disp with no base
  h[0xa0] = (cpu, s) => setReg(cpu, EAX, 8, cpu.read8(cpu.dc.seg[s]!, ea(cpu, s)));
  h[0xa1] = (cpu, s) => { const z = opSize(cpu, s); setReg(cpu, EAX, z, z === 32 ? cpu.read32(cpu.dc.seg[s]!, ea(cpu, s)) : cpu.read16(cpu.dc.seg[s]!, ea(cpu, s))); };
  h[0xa2] = (cpu, s) => cpu.write8(cpu.dc.seg[s]!, ea(cpu, s), getReg(cpu, EAX, 8));
  h[0xa3] = (cpu, s) => {
    const z = opSize(cpu, s);
    if (z === 32) cpu.write32(cpu.dc.seg[s]!, ea(cpu, s), cpu.regs[EAX]!);
    else cpu.write16(cpu.dc.seg[s]!, ea(cpu, s), cpu.regs16[0]!);
  };
  h[0x8a] = (cpu, s) => setReg(cpu, cpu.dc.reg[s]!, 8, readRm(cpu, s, 8));
  h[0x8b] = (cpu, s) => {
    const dc = cpu.dc;
    if ((dc.flags[s]! & (F_MEM | F_O32)) === (F_MEM | F_O32)) cpu.regs[dc.reg[s]!] = cpu.read32(dc.seg[s]!, ea(cpu, s));
    else setReg(cpu, dc.reg[s]!, opSize(cpu, s), readRm(cpu, s, opSize(cpu, s)));
  };
  h[0x8d] = (cpu, s) => {
    if ((cpu.dc.flags[s]! & F_MEM) === 0) raise(UD);
    setReg(cpu, cpu.dc.reg[s]!, opSize(cpu, s), ea(cpu, s));
  };
  h[0xc6] = (cpu, s) => { if (cpu.dc.reg[s] !== 0) raise(UD); writeRm(cpu, s, 8, cpu.dc.imm[s]!); };
  h[0xc7] = (cpu, s) => { if (cpu.dc.reg[s] !== 0) raise(UD); writeRm(cpu, s, opSize(cpu, s), cpu.dc.imm[s]!); };
  h[0xf6] = (cpu, s) => group3(cpu, s, 8);
  h[0xf7] = (cpu, s) => group3(cpu, s, opSize(cpu, s));
  h[0xfe] = (cpu, s) => {
    const k = cpu.dc.reg[s]!;
    if (k === 0) rmwWrite(cpu, s, 8, inc(cpu, rmwRead(cpu, s, 8), 8));
    else if (k === 1) rmwWrite(cpu, s, 8, dec(cpu, rmwRead(cpu, s, 8), 8));
    else raise(UD);
  };
  h[0xff] = (cpu, s) => {
    const size = opSize(cpu, s);
    switch (cpu.dc.reg[s]!) {
      case 0: rmwWrite(cpu, s, size, inc(cpu, rmwRead(cpu, s, size), size)); return;
      case 1: rmwWrite(cpu, s, size, dec(cpu, rmwRead(cpu, s, size), size)); return;
      case 2: { const target = readRm(cpu, s, size); pushNear(cpu, s); jumpNear(cpu, s, target); return; }
      case 3: farIndirect(cpu, s, true); return;
      case 4: jumpNear(cpu, s, readRm(cpu, s, size)); return;
      case 5: farIndirect(cpu, s, false); return;
      case 6: push(cpu, readRm(cpu, s, size), size); return;
      default: raise(UD);
    }
  };
  h[0x69] = (cpu, s) => { const z = opSize(cpu, s); setReg(cpu, cpu.dc.reg[s]!, z, imul2(cpu, readRm(cpu, s, z), cpu.dc.imm[s]!, z)); };
  h[0x6b] = (cpu, s) => {
    const z = opSize(cpu, s);
    setReg(cpu, cpu.dc.reg[s]!, z, imul2(cpu, readRm(cpu, s, z), (cpu.dc.imm[s]! << 24) >> 24, z));
  };
  h[0x1af] = (cpu, s) => {
    const z = opSize(cpu, s), r = cpu.dc.reg[s]!;
    setReg(cpu, r, z, imul2(cpu, getReg(cpu, r, z), readRm(cpu, s, z), z));
  };
  h[0x1b6] = (cpu, s) => setReg(cpu, cpu.dc.reg[s]!, opSize(cpu, s), readRm(cpu, s, 8));
  h[0x1b7] = (cpu, s) => setReg(cpu, cpu.dc.reg[s]!, opSize(cpu, s), readRm(cpu, s, 16));
  h[0x1be] = (cpu, s) => setReg(cpu, cpu.dc.reg[s]!, opSize(cpu, s), (readRm(cpu, s, 8) << 24) >> 24);
  h[0x1bf] = (cpu, s) => setReg(cpu, cpu.dc.reg[s]!, opSize(cpu, s), (readRm(cpu, s, 16) << 16) >> 16);
  h[0x98] = (cpu, s) => {
    if (isO32(cpu, s)) cpu.regs[EAX] = (cpu.regs[EAX]! << 16) >> 16;
    else cpu.regs16[0] = (cpu.regs8[0]! << 24) >> 24;
  };
  h[0x99] = (cpu, s) => {
    if (isO32(cpu, s)) cpu.regs[EDX] = cpu.regs[EAX]! >> 31;
    else cpu.regs16[EDX << 1] = (cpu.regs16[0]! << 16) >> 31;
  };
}
