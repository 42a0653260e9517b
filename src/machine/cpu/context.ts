/**
 * The state one software thread of execution owns on the CPU, saved and
 * restored when system software switches between them (SDM Vol. 3 §8.1: the
 * general-purpose, segment, EFLAGS and EIP registers; §13 x87 state as
 * FXSAVE keeps it; §18.2 debug registers; CR0.TS and CR2). The segment
 * descriptor caches travel with their selectors, as if reloaded from the
 * same tables. GDTR, IDTR, TR, CR3 and CR4 are the switching software's own
 * and are not part of a context.
 */
import type { Cpu } from "./cpu.js";
import type { FpuState } from "./fpu-state.js";

const CR0_TS = 1 << 3;

export class CpuContext {
  readonly regs = new Int32Array(8);
  eip = 0;
  eflags = 0x202;
  cpl = 0;
  readonly segSel = new Int32Array(8);
  readonly segBase = new Int32Array(8);
  readonly segLimit = new Float64Array(8);
  readonly segAttr = new Int32Array(8);
  readonly segRd = new Uint8Array(8);
  readonly segWr = new Uint8Array(8);
  csDescLo = 0;
  csDescHi = 0;
  ldtSel = 0; ldtBase = 0; ldtLimit = 0; ldtAttr = 0;
  /** CR0.TS only: the rest of CR0 is the switching software's. */
  ts = false;
  cr2 = 0;
  inhibit = 0;
  halted = false;
  readonly dr = new Int32Array(4);
  dr6 = 0;
  dr7 = 0x400;
  readonly fpuRegs = new Float64Array(8);
  readonly fpuShadowed = new Uint8Array(8);
  readonly fpuShadow = new Float64Array(8 * 3);
  fpuEmpty = 0xff; fpuTop = 0; fpuCw = 0x37f; fpuSw = 0;
  fip = 0; fcs = 0; fop = 0; fdp = 0; fds = 0;

  /** Save the CPU's state; with `fpu` false the x87 state stays out (for lazy FPU switching). */
  save(cpu: Cpu, fpu = true): void {
    this.regs.set(cpu.regs);
    this.eip = cpu.eip >>> 0;
    this.eflags = cpu.eflags >>> 0;
    this.cpl = cpu.cpl;
    this.segSel.set(cpu.segSel); this.segBase.set(cpu.segBase); this.segLimit.set(cpu.segLimit);
    this.segAttr.set(cpu.segAttr); this.segRd.set(cpu.segRd); this.segWr.set(cpu.segWr);
    this.csDescLo = cpu.csDescLo; this.csDescHi = cpu.csDescHi;
    this.ldtSel = cpu.ldtSel; this.ldtBase = cpu.ldtBase; this.ldtLimit = cpu.ldtLimit; this.ldtAttr = cpu.ldtAttr;
    this.ts = (cpu.cr0 & CR0_TS) !== 0;
    this.cr2 = cpu.cr2;
    this.inhibit = cpu.inhibit;
    this.halted = cpu.halted;
    this.dr.set(cpu.debug.dr); this.dr6 = cpu.debug.dr6; this.dr7 = cpu.debug.dr7;
    if (fpu) saveFpu(this, cpu.fpu);
  }

  restore(cpu: Cpu, fpu = true): void {
    cpu.regs.set(this.regs);
    cpu.eip = this.eip;
    cpu.eflags = this.eflags;
    cpu.cpl = this.cpl;
    cpu.segSel.set(this.segSel); cpu.segBase.set(this.segBase); cpu.segLimit.set(this.segLimit);
    cpu.segAttr.set(this.segAttr); cpu.segRd.set(this.segRd); cpu.segWr.set(this.segWr);
    cpu.csDescLo = this.csDescLo; cpu.csDescHi = this.csDescHi;
    cpu.ldtSel = this.ldtSel; cpu.ldtBase = this.ldtBase; cpu.ldtLimit = this.ldtLimit; cpu.ldtAttr = this.ldtAttr;
    cpu.cr0 = (this.ts ? cpu.cr0 | CR0_TS : cpu.cr0 & ~CR0_TS) | 0;
    cpu.cr2 = this.cr2;
    cpu.inhibit = this.inhibit;
    cpu.halted = this.halted;
    cpu.debug.dr.set(this.dr); cpu.debug.dr6 = this.dr6; cpu.debug.dr7 = this.dr7;
    cpu.debug.update();
    if (fpu) restoreFpu(this, cpu.fpu);
    cpu.updateAccessMasks();
    cpu.attention = 1;
  }

  /** The x87 state alone (FXSAVE / FXRSTOR of a lazy switch). */
  saveFpu(cpu: Cpu): void {
    saveFpu(this, cpu.fpu);
  }

  restoreFpu(cpu: Cpu): void {
    restoreFpu(this, cpu.fpu);
  }
}

function saveFpu(c: CpuContext, f: FpuState): void {
  c.fpuRegs.set(f.regs); c.fpuShadowed.set(f.shadowed);
  f.shadow.forEach((x, i) => { c.fpuShadow[i * 3] = x.se; c.fpuShadow[i * 3 + 1] = x.hi; c.fpuShadow[i * 3 + 2] = x.lo; });
  c.fpuEmpty = f.empty; c.fpuTop = f.top; c.fpuCw = f.cw; c.fpuSw = f.sw;
  c.fip = f.fip; c.fcs = f.fcs; c.fop = f.fop; c.fdp = f.fdp; c.fds = f.fds;
}

function restoreFpu(c: CpuContext, f: FpuState): void {
  f.regs.set(c.fpuRegs); f.shadowed.set(c.fpuShadowed);
  f.shadow.forEach((x, i) => { x.se = c.fpuShadow[i * 3]!; x.hi = c.fpuShadow[i * 3 + 1]!; x.lo = c.fpuShadow[i * 3 + 2]!; });
  f.empty = c.fpuEmpty; f.top = c.fpuTop; f.cw = c.fpuCw; f.sw = c.fpuSw;
  f.fip = c.fip; f.fcs = c.fcs; f.fop = c.fop; f.fdp = c.fdp; f.fds = c.fds;
}
