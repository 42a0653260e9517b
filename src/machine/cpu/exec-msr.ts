/**
 * Model-specific registers, time stamp counter, CPUID and SYSENTER/SYSEXIT
 * (SDM Vol. 2 RDMSR/WRMSR/RDTSC/CPUID/SYSENTER/SYSEXIT; Vol. 4 MSR list).
 *
 *   0x10        IA32_TIME_STAMP_COUNTER  simulated cycles + offset
 *   0xCE        MSR_PLATFORM_INFO        bit 31: CPUID faulting supported
 *   0x140       MISC_FEATURES_ENABLES    bit 0: CPUID faulting on (CPUID at CPL>0 is #GP(0))
 *   0x174-0x176 IA32_SYSENTER_CS/ESP/EIP
 *   0x1D9       IA32_DEBUGCTL            stored (bits 0-1 writable)
 *   0xC0000080  IA32_EFER                NXE only
 * Any other MSR is #GP(0).
 */
import type { Cpu } from "./cpu.js";
import { cpuid } from "./cpuid.js";
import { raise } from "./fault.js";
import type { Handler } from "./handlers.js";
import { CR4_TSD, CS, EAX, EBX, ECX, EDX, EFER_NXE, ESP, GP, IF, RF, SS, VM } from "./registers.js";
import { ATTR_CODE32, ATTR_DATA32, setSegment } from "./segmentation.js";
import { requireCpl0 } from "./exec-system.js";
import { TRAP_SYSENTER } from "../exits.js";

const MSR_TSC = 0x10, MSR_PLATFORM_INFO = 0xce, MSR_MISC_FEATURES = 0x140;
const MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176;
const MSR_DEBUGCTL = 0x1d9, MSR_EFER = 0xc0000080 | 0;

export function tsc(cpu: Cpu): number {
  return cpu.clock.now + cpu.tscOffset;
}

/** Read an MSR as [lo, hi]; false when it does not exist. */
export function readMsr(cpu: Cpu, msr: number, out: Int32Array): boolean {
  switch (msr | 0) {
    case MSR_TSC: { const t = tsc(cpu); out[0] = t % 0x100000000 | 0; out[1] = Math.floor(t / 0x100000000) | 0; return true; }
    case MSR_PLATFORM_INFO: out[0] = 1 << 31; out[1] = 0; return true;
    case MSR_MISC_FEATURES: out[0] = cpu.miscFeaturesEnables; out[1] = 0; return true;
    case MSR_SYSENTER_CS: out[0] = cpu.msrSysenterCs[0]!; out[1] = 0; return true;
    case MSR_SYSENTER_ESP: out[0] = cpu.sysenterEsp; out[1] = 0; return true;
    case MSR_SYSENTER_EIP: out[0] = cpu.sysenterEip; out[1] = 0; return true;
    case MSR_DEBUGCTL: out[0] = cpu.debugCtl; out[1] = 0; return true;
    case MSR_EFER: out[0] = cpu.efer; out[1] = 0; return true;
    default: return false;
  }
}

/** Write an MSR; false when it does not exist or the value is reserved. */
export function writeMsr(cpu: Cpu, msr: number, lo: number, hi: number): boolean {
  switch (msr | 0) {
    case MSR_TSC: cpu.tscOffset = (hi >>> 0) * 0x100000000 + (lo >>> 0) - cpu.clock.now; return true;
    case MSR_MISC_FEATURES: if ((lo & ~1) !== 0 || hi !== 0) return false; cpu.miscFeaturesEnables = lo; return true;
    case MSR_SYSENTER_CS: cpu.msrSysenterCs[0] = lo & 0xffff; return true;
    case MSR_SYSENTER_ESP: cpu.sysenterEsp = lo; return true;
    case MSR_SYSENTER_EIP: cpu.sysenterEip = lo; return true;
    case MSR_DEBUGCTL: if ((lo & ~3) !== 0 || hi !== 0) return false; cpu.debugCtl = lo; return true;
    case MSR_EFER: {
      if ((lo & ~EFER_NXE) !== 0 || hi !== 0) return false;
      if ((cpu.efer ^ lo) !== 0) cpu.flushTlb(false);
      cpu.efer = lo;
      return true;
    }
    default: return false;
  }
}

const pair = new Int32Array(4);

export function registerMsr(h: Handler[]): void {
  h[0x132] = (cpu) => {
    requireCpl0(cpu);
    if (!readMsr(cpu, cpu.regs[ECX]!, pair)) raise(GP, 0);
    cpu.regs[EAX] = pair[0]!; cpu.regs[EDX] = pair[1]!;
  };
  h[0x130] = (cpu) => {
    requireCpl0(cpu);
    if (!writeMsr(cpu, cpu.regs[ECX]!, cpu.regs[EAX]!, cpu.regs[EDX]!)) raise(GP, 0);
    cpu.clock.now += cpu.costs.serializing;
  };
  h[0x131] = (cpu) => {
    if ((cpu.cr4 & CR4_TSD) !== 0 && cpu.cpl !== 0) raise(GP, 0);
    const t = tsc(cpu);
    cpu.regs[EAX] = t % 0x100000000 | 0; cpu.regs[EDX] = Math.floor(t / 0x100000000) | 0;
  };
  h[0x133] = (cpu) => raise(GP, 0); // RDPMC: no performance counters
  h[0x1a2] = (cpu) => {
    if ((cpu.miscFeaturesEnables & 1) !== 0 && cpu.cpl > 0) raise(GP, 0);
    cpuid(cpu.regs[EAX]!, pair);
    cpu.regs[EAX] = pair[0]!; cpu.regs[EBX] = pair[1]!; cpu.regs[ECX] = pair[2]!; cpu.regs[EDX] = pair[3]!;
    cpu.clock.now += cpu.costs.cpuid;
  };
  h[0x134] = sysenter;
  h[0x135] = sysexit;
}

function sysenter(cpu: Cpu): void {
  const cs = cpu.msrSysenterCs[0]! & 0xfffc;
  if (cs === 0) raise(GP, 0);
  cpu.clock.now += cpu.costs.sysenter;
  if (cpu.host !== null) {
    const f = cpu.trapFrame;
    f.vector = TRAP_SYSENTER; f.errorCode = -1; f.cr2 = cpu.cr2; f.software = true; f.external = false;
    f.eip = cpu.eip; f.cs = cpu.segSel[CS]!; f.eflags = cpu.eflags; f.esp = cpu.regs[ESP]!; f.ss = cpu.segSel[SS]!;
    cpu.clock.now += cpu.costs.hostTransition;
    cpu.forgetCode();
    cpu.host.trap(f);
    return;
  }
  cpu.eflagsRest &= ~(VM | IF | RF);
  setSegment(cpu, CS, cs, 0, 0xffffffff, ATTR_CODE32);
  setSegment(cpu, SS, cs + 8, 0, 0xffffffff, ATTR_DATA32);
  cpu.cpl = 0;
  cpu.updateAccessMasks();
  cpu.regs[ESP] = cpu.sysenterEsp;
  cpu.eip = cpu.sysenterEip;
  cpu.forgetCode();
}

function sysexit(cpu: Cpu): void {
  const cs = cpu.msrSysenterCs[0]! & 0xfffc;
  if (cs === 0 || cpu.cpl !== 0) raise(GP, 0);
  cpu.clock.now += cpu.costs.sysenter;
  setSegment(cpu, CS, (cs + 16) | 3, 0, 0xffffffff, ATTR_CODE32 | (3 << 5));
  setSegment(cpu, SS, (cs + 24) | 3, 0, 0xffffffff, ATTR_DATA32 | (3 << 5));
  cpu.cpl = 3;
  cpu.updateAccessMasks();
  cpu.regs[ESP] = cpu.regs[ECX]!;
  cpu.eip = cpu.regs[EDX]!;
  cpu.forgetCode();
}
