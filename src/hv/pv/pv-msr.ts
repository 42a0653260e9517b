/**
 * The MSRs a 32-bit PV guest kernel reaches with RDMSR/WRMSR (emulated from
 * #GP, priv-op.ts) — docs/xen-pv32-abi.md §6.8 "MSRs"; Xen
 * xen/arch/x86/msr.c guest_rdmsr/guest_wrmsr (+ guest_{rd,wr}msr_xen),
 * xen/arch/x86/pv/emul-priv-op.c read_msr/write_msr, cpu/mcheck/vmce.c,
 * cpu/vpmu.c (vPMU off: counters RAZ/WI).
 *
 *   MSR          read                                  write
 *   0x0 / 0x1    P5_MC_ADDR/TYPE: bank 1 ADDR/STATUS   #GP
 *   0x10         TSC                                   #GP
 *   0x1B         APIC_BASE 0xFEE00800 (|0x100 vCPU 0)  #GP
 *   0x3A         FEATURE_CONTROL: LOCK (Intel)         #GP
 *   0x8B         UCODE_REV: host value                 0 only (Intel)
 *   0xC1–0xC8, 0x186–0x18D, 0x309–0x30B, 0x38D–0x390
 *                perf counters (Intel): 0              ignored
 *   0xCE         PLATFORM_INFO: bit 31 CPUID faulting  #GP
 *   0xE7 / 0xE8  MPERF / APERF                         ignored (Intel)
 *   0x140        MISC_FEATURES_ENABLES: bit 0          bit 0 if offered, else #GP
 *   0x179–0x17B  MCG_CAP (0x01000C02) / STATUS / CTL   ignored / stored / ignored
 *   0x198/0x199  PERF_STATUS/CTL (Intel): 0            CTL ignored
 *   0x19A, 0x1B0 THERM_CONTROL, ENERGY_PERF_BIAS       ignored (Intel)
 *   0x19C        THERM_STATUS (Intel): 0               #GP
 *   0x1A0        MISC_ENABLE: host, PERF_AVAIL/MONITOR
 *                off, BTS/PEBS_UNAVAIL/XTPR_DISABLE on any value accepted, none stored
 *   0x1D9        DEBUGCTL: 0 (tsxen, see below)        0 only
 *   0x277        PAT: 0x0000050100070406               #GP
 *   0x280–0x281  MCi_CTL2 (banks 0, 1)                 stored
 *   0x345        PERF_CAPABILITIES: 0                  #GP
 *   0x400–0x47F  MCi_CTL/STATUS/ADDR/MISC: bank 0/1
 *                CTL ~0, others stored; rest 0         CTL ignored; others 0 only
 *   0x40000000   hypercall page MSR: 0                 gfn << 12 → write the page
 *   0xC0000080   EFER: host & ~(LME LMA SVME AIBRSE, SCE on Intel)  same value only
 *   0xC001001F   NB_CFG: 0                             ignored
 *   anything else                                      #GP(0)
 *
 * Feature-gated MSRs (SPEC_CTRL, PRED_CMD, ARCH_CAPS, TSC_AUX, XSS, PKRS,
 * FS/GS_BASE, the AMD ones) follow the CPUID policy and fault when, as on
 * this machine, the feature is hidden. Xen's "faking RDMSR" rule is kept:
 * while the guest has no #GP handler (trap_ctxt[13].address == 0) a failing
 * RDMSR of an MSR the host has (outside 0x4000xxxx) reads 0.
 *
 * Deviation: Xen #GPs on DEBUGCTL for PV guests; XTF debug-regs reads it with
 * a non-safe RDMSR and expects 0 (§10.3), so here it reads 0 and accepts 0.
 *
 * One PvMsrs per vCPU: it holds MISC_FEATURES_ENABLES and the vMCE banks.
 * Values are 64-bit bigints; undefined / false mean #GP(0).
 */
import type { CpuidLeaf } from "./pv-cpuid.js";

export const MSR = {
  P5_MC_ADDR: 0x0, P5_MC_TYPE: 0x1, TSC: 0x10, PLATFORM_ID: 0x17, APIC_BASE: 0x1b,
  FEATURE_CONTROL: 0x3a, UCODE_REV: 0x8b, PLATFORM_INFO: 0xce, MPERF: 0xe7, APERF: 0xe8,
  MISC_FEATURES_ENABLES: 0x140, MCG_CAP: 0x179, MCG_STATUS: 0x17a, MCG_CTL: 0x17b,
  PERF_STATUS: 0x198, PERF_CTL: 0x199, THERM_CONTROL: 0x19a, THERM_STATUS: 0x19c,
  MISC_ENABLE: 0x1a0, ENERGY_PERF_BIAS: 0x1b0, DEBUGCTL: 0x1d9, PAT: 0x277, MC0_CTL2: 0x280,
  PERF_CAPABILITIES: 0x345, MC0_CTL: 0x400, MCG_EXT_CTL: 0x4d0,
  XEN_HYPERCALL_PAGE: 0x40000000, EFER: 0xc0000080, NB_CFG: 0xc001001f,
} as const;

export const PLATFORM_INFO_CPUID_FAULTING = 1n << 31n;
export const MISC_FEATURES_CPUID_FAULTING = 1n << 0n;
/** Xen's PAT: WB, WT, UC-, UC, WC, WP, UC, UC (asm/processor.h XEN_MSR_PAT). */
export const XEN_MSR_PAT = 0x0000050100070406n;
const APIC_DEFAULT = 0xfee00800n, APIC_BSP = 0x100n;
/** vmce.c INTEL_GUEST_MCG_CAP: SER_P | TES_P | CMCI_P | 2 banks; AMD: 2 banks. */
const GUEST_MC_BANKS = 2;
const INTEL_MCG_CAP = (1n << 24n) | (1n << 11n) | (1n << 10n) | BigInt(GUEST_MC_BANKS);
const MISC_ENABLE_CLEAR = (1n << 7n) | (1n << 18n); // PERF_AVAIL, MONITOR_ENABLE
const MISC_ENABLE_SET = (1n << 11n) | (1n << 12n) | (1n << 23n); // BTS/PEBS_UNAVAIL, XTPR_DISABLE
/** EFER: SCE LME LMA NXE SVME FFXSE AIBRSE are known; LME/LMA (and SCE on Intel), SVME, AIBRSE hidden. */
const EFER_KNOWN = 0x205d01n, EFER_SCE = 1n, EFER_LONG = (1n << 8n) | (1n << 10n), EFER_HIDE = (1n << 12n) | (1n << 21n);
const ONES64 = (1n << 64n) - 1n;

/** What the MSR policy needs from the domain and the machine. */
export interface PvMsrHost {
  /** The domain's CPUID policy (pv-cpuid.ts). */
  cpuid(leaf: number, subleaf: number): CpuidLeaf;
  /** The hypervisor's own RDMSR: the value, or undefined if the machine has no such MSR. */
  hostRdmsr(msr: number): bigint | undefined;
  /** The machine offers CPUID faulting (Xen's cpu_has_cpuid_faulting), so the guest is offered it too. */
  readonly cpuidFaulting: boolean;
  readonly vcpuId: number;
  /** The guest's TSC (what RDTSC returns at ring 1). */
  tsc(): bigint;
  /** trap_ctxt[13].address != 0: the guest has a #GP handler. */
  gpHandlerRegistered(): boolean;
  /** Write the hypercall page into `gfn` (PV: an MFN); false if it is not a writable page of the domain. */
  writeHypercallPage(gfn: number): boolean;
}

interface McBank { status: bigint; addr: bigint; misc: bigint; ctl2: bigint }

export class PvMsrs {
  /** MSR_INTEL_MISC_FEATURES_ENABLES (bit 0: guest CPUID faulting). */
  miscFeaturesEnables = 0n;
  private mcgStatus = 0n;
  private readonly banks: McBank[] = Array.from({ length: GUEST_MC_BANKS }, () => ({ status: 0n, addr: 0n, misc: 0n, ctl2: 0n }));
  private readonly intel: boolean;

  constructor(private readonly host: PvMsrHost) {
    const [, b] = host.cpuid(0, 0);
    this.intel = b === 0x756e6547; // "Genu"
  }

  /** The guest enabled CPUID faulting: CPUID in guest user mode must #GP (§6.8). */
  get cpuidFaulting(): boolean {
    return (this.miscFeaturesEnables & MISC_FEATURES_CPUID_FAULTING) !== 0n;
  }

  /** RDMSR: the value, or undefined for #GP(0). */
  read(msr: number): bigint | undefined {
    msr >>>= 0;
    const v = this.guestRdmsr(msr);
    if (v !== undefined) return v;
    // read_msr `done:` — no #GP handler yet and the host has the MSR: fake 0
    if (!this.host.gpHandlerRegistered() && msr >>> 16 !== 0x4000 && this.host.hostRdmsr(msr) !== undefined) return 0n;
    return undefined;
  }

  /** WRMSR: true if accepted (stored, ignored or acted on), false for #GP(0). */
  write(msr: number, value: bigint): boolean {
    msr >>>= 0;
    value = BigInt.asUintN(64, value);
    const h = this.host, intel = this.intel;
    if (msr === MSR.MISC_FEATURES_ENABLES) {
      const rsvd = h.cpuidFaulting ? ONES64 & ~MISC_FEATURES_CPUID_FAULTING : ONES64;
      if ((value & rsvd) !== 0n) return false;
      this.miscFeaturesEnables = value;
      return true;
    }
    const mce = this.mceWrite(msr, value);
    if (mce !== undefined) return mce;
    if (isPerfCounter(msr)) return intel; // vPMU off: writes discarded
    switch (msr) {
      case MSR.UCODE_REV: return intel && value === 0n;
      case MSR.PERF_CTL: case MSR.MPERF: case MSR.APERF: case MSR.THERM_CONTROL: case MSR.ENERGY_PERF_BIAS:
        return intel;
      case MSR.XEN_HYPERCALL_PAGE: // guest_wrmsr_xen: page index must be 0
        return (value & 0xfffn) === 0n && value >> 12n <= 0xffffffffn && h.writeHypercallPage(Number(value >> 12n));
      case MSR.EFER: return value === this.guestEfer();
      case MSR.NB_CFG: return true;
      case MSR.MISC_ENABLE: return h.hostRdmsr(MSR.MISC_ENABLE) !== undefined; // a changed value is ignored
      case MSR.DEBUGCTL: return value === 0n;
      default: return false;
    }
  }

  /** guest_rdmsr, then pv read_msr's own cases; undefined = #GP. */
  private guestRdmsr(msr: number): bigint | undefined {
    const h = this.host, intel = this.intel;
    switch (msr) {
      case MSR.PLATFORM_INFO: return h.cpuidFaulting ? PLATFORM_INFO_CPUID_FAULTING : 0n;
      case MSR.MISC_FEATURES_ENABLES: return this.miscFeaturesEnables;
      case MSR.FEATURE_CONTROL: return intel ? 1n : undefined; // LOCK; VMX is hidden from PV
      case MSR.PLATFORM_ID: return intel ? h.hostRdmsr(msr) : undefined;
      case MSR.UCODE_REV: return h.hostRdmsr(msr);
      case MSR.PERF_STATUS: case MSR.PERF_CTL: case MSR.THERM_STATUS: return intel ? 0n : undefined;
      case MSR.XEN_HYPERCALL_PAGE: return 0n;
      case MSR.APIC_BASE: return APIC_DEFAULT | (h.vcpuId === 0 ? APIC_BSP : 0n);
      case MSR.TSC: return BigInt.asUintN(64, h.tsc());
      case MSR.EFER: return this.guestEfer();
      case MSR.PAT: return XEN_MSR_PAT;
      case MSR.NB_CFG: case MSR.PERF_CAPABILITIES: case MSR.DEBUGCTL: return 0n;
      case MSR.MISC_ENABLE: {
        const v = h.hostRdmsr(msr);
        return v === undefined ? undefined : (v & ~MISC_ENABLE_CLEAR) | MISC_ENABLE_SET;
      }
      default:
        if (isPerfCounter(msr)) return intel ? 0n : undefined;
        return this.mceRead(msr);
    }
  }

  /** guest_efer: the host's EFER without the long-mode bits (and SCE on Intel). */
  private guestEfer(): bigint {
    const hide = EFER_LONG | EFER_HIDE | (this.intel ? EFER_SCE : 0n);
    return (this.host.hostRdmsr(MSR.EFER) ?? 0n) & EFER_KNOWN & ~hide;
  }

  /** vmce_rdmsr: undefined if `msr` is not an MCA MSR (or is refused). */
  private mceRead(msr: number): bigint | undefined {
    switch (msr) {
      case MSR.MCG_CAP: return this.intel ? INTEL_MCG_CAP : BigInt(GUEST_MC_BANKS);
      case MSR.MCG_STATUS: return this.mcgStatus;
      case MSR.MCG_CTL: return 0n; // MCG_CTL_P not offered
      case MSR.P5_MC_ADDR: return this.intel ? this.banks[1]!.addr : 0n;
      case MSR.P5_MC_TYPE: return this.intel ? this.banks[1]!.status : 0n;
      case MSR.MCG_EXT_CTL: return undefined; // no LMCE
    }
    if (msr >= MSR.MC0_CTL2 && msr < MSR.MC0_CTL2 + 32) {
      const bank = this.banks[msr - MSR.MC0_CTL2];
      return this.intel && bank !== undefined ? bank.ctl2 : 0n;
    }
    if (msr >= MSR.MC0_CTL && msr < MSR.MC0_CTL + 0x80) {
      const bank = this.banks[(msr - MSR.MC0_CTL) >> 2];
      if (bank === undefined) return 0n;
      return [ONES64, bank.status, bank.addr, bank.misc][msr & 3];
    }
    return undefined;
  }

  /** vmce_wrmsr: undefined if `msr` is not a writable MCA MSR. */
  private mceWrite(msr: number, value: bigint): boolean | undefined {
    switch (msr) {
      case MSR.MCG_CAP: case MSR.MCG_CTL: return true; // read-only / all-ones: ignored
      case MSR.MCG_STATUS: this.mcgStatus = value; return true;
      case MSR.MCG_EXT_CTL: return false;
    }
    if (msr >= MSR.MC0_CTL2 && msr < MSR.MC0_CTL2 + 32) {
      const bank = this.banks[msr - MSR.MC0_CTL2];
      if (bank !== undefined && this.intel) bank.ctl2 = value;
      return true;
    }
    if (msr >= MSR.MC0_CTL && msr < MSR.MC0_CTL + 0x80) {
      const bank = this.banks[(msr - MSR.MC0_CTL) >> 2];
      if (bank === undefined || (msr & 3) === 0) return true; // other banks, and MCi_CTL: ignored
      if (value !== 0n) return false; // STATUS/ADDR/MISC: only clearing is allowed
      if ((msr & 3) === 1) bank.status = 0n; else if ((msr & 3) === 2) bank.addr = 0n; else bank.misc = 0n;
      return true;
    }
    return undefined;
  }
}

/** P6 PERFCTR0–7, EVNTSEL0–7, fixed counters 0–2, fixed-ctr ctrl … global ovf ctrl. */
function isPerfCounter(msr: number): boolean {
  return (msr >= 0xc1 && msr <= 0xc8) || (msr >= 0x186 && msr <= 0x18d) ||
    (msr >= 0x309 && msr <= 0x30b) || (msr >= 0x38d && msr <= 0x390);
}
