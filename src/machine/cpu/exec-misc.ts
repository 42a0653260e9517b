/**
 * Flag instructions, BCD adjusts and small odds (SDM Vol. 2 CLC/STC/CMC/
 * CLD/STD, LAHF/SAHF, DAA/DAS/AAA/AAS/AAM/AAD, XLAT, BOUND, ARPL, NOP).
 * Undefined BCD flags follow QEMU's helpers.
 */
import { LAZY_LOGIC } from "./lazy-flags.js";
import type { Cpu } from "./cpu.js";
import { F_A32, F_MEM } from "./decoder.js";
import { raise } from "./fault.js";
import type { Handler } from "./handlers.js";
import { AF, BR, CF, DE, DF, EBX, OF, PF, SF, UD, ZF } from "./registers.js";
import { PARITY } from "./lazy-flags.js";
import { ea, getReg, opSize, readMem, rmwRead, rmwWrite } from "./operands.js";

function setFlags(cpu: Cpu, mask: number, value: number): void {
  const lf = cpu.lf;
  lf.materialize();
  lf.flags = (lf.flags & ~mask) | (value & mask);
}

/** Flags from an 8-bit result: ZF SF PF. */
function szp(v: number): number {
  v &= 0xff;
  return (v === 0 ? ZF : 0) | (v & 0x80) | PARITY[v]!;
}

function daa(cpu: Cpu): void {
  const lf = cpu.lf;
  let al = cpu.regs8[0]!;
  const oldAl = al, oldCf = lf.cf();
  let cf = 0, af = 0;
  if ((al & 0xf) > 9 || lf.af() !== 0) { al = (al + 6) & 0xff; af = AF; }
  if (oldAl > 0x99 || oldCf !== 0) { al = (al + 0x60) & 0xff; cf = CF; }
  cpu.regs8[0] = al;
  setFlags(cpu, CF | AF | ZF | SF | PF | OF, cf | af | szp(al));
}

function das(cpu: Cpu): void {
  const lf = cpu.lf;
  let al = cpu.regs8[0]!;
  const oldAl = al, oldCf = lf.cf();
  let cf = 0, af = 0;
  if ((al & 0xf) > 9 || lf.af() !== 0) { af = AF; if (al < 6 || oldCf !== 0) cf = CF; al = (al - 6) & 0xff; }
  if (oldAl > 0x99 || oldCf !== 0) { al = (al - 0x60) & 0xff; cf = CF; }
  cpu.regs8[0] = al;
  setFlags(cpu, CF | AF | ZF | SF | PF | OF, cf | af | szp(al));
}

/** AAA/AAS as QEMU's helpers: CF=AF=adjusted; OF SF ZF PF (undefined) keep their values. */
function aaa(cpu: Cpu, sub: boolean): void {
  const lf = cpu.lf;
  let al = cpu.regs8[0]!, ah = cpu.regs8[1]!;
  const carry = sub ? (al < 6 ? 1 : 0) : (al > 0xf9 ? 1 : 0);
  let f = 0;
  if ((al & 0xf) > 9 || lf.af() !== 0) {
    al = (sub ? al - 6 : al + 6) & 0xf;
    ah = (sub ? ah - 1 - carry : ah + 1 + carry) & 0xff;
    f = AF | CF;
  } else {
    al &= 0xf;
  }
  cpu.regs8[0] = al; cpu.regs8[1] = ah;
  setFlags(cpu, CF | AF, f);
}

export function registerMisc(h: Handler[]): void {
  h[0xf8] = (cpu) => setFlags(cpu, CF, 0);
  h[0xf9] = (cpu) => setFlags(cpu, CF, CF);
  h[0xf5] = (cpu) => setFlags(cpu, CF, cpu.lf.cf() ^ CF);
  h[0xfc] = (cpu) => { cpu.eflagsRest &= ~DF; };
  h[0xfd] = (cpu) => { cpu.eflagsRest |= DF; };
  h[0x9f] = (cpu) => { cpu.regs8[1] = (cpu.eflags & 0xd5) | 2; };
  h[0x9e] = (cpu) => setFlags(cpu, SF | ZF | AF | PF | CF, cpu.regs8[1]!);
  h[0x27] = daa;
  h[0x2f] = das;
  h[0x37] = (cpu) => aaa(cpu, false);
  h[0x3f] = (cpu) => aaa(cpu, true);
  h[0xd4] = (cpu, s) => {
    const base = cpu.dc.imm[s]! & 0xff;
    if (base === 0) raise(DE);
    const al = cpu.regs8[0]!;
    cpu.regs8[1] = Math.floor(al / base);
    cpu.regs8[0] = al % base;
    cpu.lf.set(LAZY_LOGIC, 0, 0, cpu.regs8[0]!, 8);
  };
  h[0xd5] = (cpu, s) => {
    const base = cpu.dc.imm[s]! & 0xff;
    const al = (cpu.regs8[0]! + cpu.regs8[1]! * base) & 0xff;
    cpu.regs16[0] = al;
    cpu.lf.set(LAZY_LOGIC, 0, 0, al, 8);
  };
  h[0xd7] = (cpu, s) => {
    const a32 = (cpu.dc.flags[s]! & F_A32) !== 0;
    const off = ((a32 ? cpu.regs[EBX]! : cpu.regs16[EBX << 1]!) + cpu.regs8[0]!) & (a32 ? -1 : 0xffff);
    cpu.regs8[0] = cpu.read8(cpu.dc.seg[s]!, off);
  };
  h[0x62] = (cpu, s) => {
    if ((cpu.dc.flags[s]! & F_MEM) === 0) raise(UD);
    const size = opSize(cpu, s);
    const off = ea(cpu, s), seg = cpu.dc.seg[s]!;
    const lower = readMem(cpu, seg, off, size), upper = readMem(cpu, seg, (off + size / 8) | 0, size);
    const idx = getReg(cpu, cpu.dc.reg[s]!, size);
    const sx = (v: number): number => (size === 32 ? v | 0 : (v << 16) >> 16);
    if (sx(idx) < sx(lower) || sx(idx) > sx(upper)) raise(BR);
  };
  h[0x63] = (cpu, s) => {
    // ARPL is valid only in protected mode (always here)
    const dest = rmwRead(cpu, s, 16);
    const src = getReg(cpu, cpu.dc.reg[s]!, 16);
    if ((dest & 3) < (src & 3)) {
      rmwWrite(cpu, s, 16, (dest & ~3) | (src & 3));
      setFlags(cpu, ZF, ZF);
    } else {
      setFlags(cpu, ZF, 0);
    }
  };
  h[0x11f] = () => {}; // NOP Ev (0F 1F /0)
}
