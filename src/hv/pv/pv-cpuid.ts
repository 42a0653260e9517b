/**
 * The CPUID a 32-bit PV guest sees (docs/xen-pv32-abi.md §6.11; Xen
 * xen/arch/x86/cpuid.c guest_cpuid + cpuid_hypervisor_leaves,
 * xen/arch/x86/cpu-policy.c recalculate_misc / calculate_pv_{max,def}_policy,
 * xen/include/public/arch-x86/cpufeatureset.h, public/arch-x86/cpuid.h).
 *
 * Xen builds a domain's policy from the host's CPUID in two passes; this
 * module does the same on every query, from the machine's raw CPUID:
 *
 *   leaf ──► range check ──► static policy leaf ──► dynamic adjustment
 *            (max leaf;       (raw & PV default       (leaf 1: APIC ID 0,
 *             out of range     feature mask, hidden     OSXSAVE from the
 *             → all zeros)     leaves emptied)          guest's CR4)
 *
 *   0x40000000–0x400001ff: the Xen leaves (never masked, never raw):
 *     0  EAX 0x40000005  EBX:ECX:EDX "XenVMMXenVMM"
 *     1  EAX (major << 16) | minor
 *     2  EAX 1 hypercall page, EBX MSR 0x40000000, ECX MMU_PT_UPDATE_PRESERVE_AD
 *     3  time: sub 0 flags/mode/tsc_khz/incarnation, sub 1 offset/mul/shift,
 *        sub 2 cpu_khz
 *     4  HVM only (zeros)     5  EBX = machine address bits (fls(max MFN) + 12)
 *
 * Feature masks are the PV *default* policy: the bits cpufeatureset.h marks
 * with an upper-case 'A' ("all guests, on by default"), plus HYPERVISOR,
 * which Xen always sets. 'S'/'H' bits (VME, PSE, MTRR, PGE, PSE36, PCID,
 * SMEP, …) and unmarked ones (MONITOR, VMX, SMX, EIST, DS, …) are hidden.
 *
 * Simplifications (documented, none visible on this machine's CPU): the
 * vendor-specific tweaks are Intel's (leaf 2 AL = 1, leaves 3/5/9 and the
 * extended vendor string hidden, 0x80000001 EAX/EBX and 0x80000008 ECX
 * cleared); other vendors get the masks only. Xen's feature-dependency
 * sanitising (no AVX without XSAVE, …) is not repeated. XSAVE's leaf 0xD is
 * passed through (size fields raw) when XSAVE is visible. The FEP OSXSAVE
 * "leak" and the dom0-only MONITOR/EIST/MTRR leaks do not apply to a domU
 * whose hypervisor never sets host CR4.OSXSAVE.
 */
import { timeScale } from "../core/pv-time.js";
import { XEN_VERSION } from "./xen-version.js";

/** EAX, EBX, ECX, EDX, each an unsigned 32-bit number. */
export type CpuidLeaf = readonly [number, number, number, number];

const EMPTY: CpuidLeaf = [0, 0, 0, 0];

/** Build a 32-bit mask from bit numbers. */
const bits = (...n: number[]): number => n.reduce((m, b) => (m | (1 << b)) >>> 0, 0);

/**
 * PV default feature masks: the 'A' bits of cpufeatureset.h, one per
 * featureset word (the word number is Xen's FEATURESET_* index).
 */
export const PV_FEATURE_MASK = {
  /** word 0, leaf 1 EDX: FPU DE TSC MSR PAE MCE CX8 APIC SEP MCA CMOV PAT CLFLUSH ACPI MMX FXSR SSE SSE2 SS HTT. */
  leaf1Edx: bits(0, 2, 4, 5, 6, 7, 8, 9, 11, 14, 15, 16, 19, 22, 23, 24, 25, 26, 27, 28),
  /** word 1, leaf 1 ECX: SSE3 PCLMULQDQ SSSE3 FMA CX16 SSE4.1 SSE4.2 MOVBE POPCNT AESNI XSAVE AVX F16C RDRAND HYPERVISOR. */
  leaf1Ecx: bits(0, 1, 9, 12, 13, 19, 20, 22, 23, 25, 26, 28, 29, 30, 31),
  /** word 2, 0x80000001 EDX: SYSCALL NX MMXEXT FFXSR RDTSCP LM 3DNOWEXT 3DNOW. */
  ext1Edx: bits(11, 20, 22, 25, 27, 29, 30, 31),
  /** word 3, 0x80000001 ECX: LAHF_LM CMP_LEGACY ABM SSE4A MISALIGNSSE 3DNOWPREFETCH XOP FMA4 TBM DBEXT ADDR_MSK_EXT. */
  ext1Ecx: bits(0, 1, 5, 6, 7, 8, 11, 16, 21, 26, 30),
  /** word 4, 0xD.1 EAX: XSAVEOPT XSAVEC XGETBV1. */
  xsave1Eax: bits(0, 1, 2),
  /** word 5, 7.0 EBX: FSGSBASE BMI1 AVX2 BMI2 ERMS RTM AVX512F/DQ RDSEED ADX AVX512_IFMA CLFLUSHOPT CLWB AVX512CD SHA AVX512BW/VL. */
  leaf7Ebx: bits(0, 3, 5, 8, 9, 11, 16, 17, 18, 19, 21, 23, 24, 28, 29, 30, 31),
  /** word 6, 7.0 ECX: PREFETCHWT1 AVX512_VBMI AVX512_VBMI2 GFNI VAES VPCLMULQDQ AVX512_VNNI AVX512_BITALG AVX512_VPOPCNTDQ RDPID CLDEMOTE. */
  leaf7Ecx: bits(0, 1, 6, 8, 9, 10, 11, 12, 14, 22, 25),
  /** word 9, 7.0 EDX: FSRM MD_CLEAR SERIALIZE AVX512_FP16 IBRSB STIBP ARCH_CAPS SSBD. */
  leaf7Edx: bits(4, 10, 14, 23, 26, 27, 29, 31),
  /** word 10, 7.1 EAX: SHA512 SM3 SM4 AVX_VNNI AVX512_BF16 FZRM FSRS FSRCS AVX_IFMA. */
  leaf7s1Eax: bits(0, 1, 2, 4, 5, 10, 11, 12, 23),
  /** word 15, 7.1 EDX: AVX_VNNI_INT8 AVX_NE_CONVERT AVX_VNNI_INT16 PREFETCHI. */
  leaf7s1Edx: bits(4, 5, 10, 14),
  /** word 13, 7.2 EDX: INTEL_PSFD MCDT_NO. */
  leaf7s2Edx: bits(0, 5),
  /** word 8, 0x80000008 EBX: CLZERO RSTR_FP_ERR_PTRS IBPB SSB_NO BTC_NO IBPB_RET. */
  ext8Ebx: bits(0, 2, 12, 26, 29, 30),
} as const;

/** Feature bits other modules test (leaf, register, bit). */
export const CPUID_FEATURE = {
  /** Leaf 1 EDX. */
  DE: 1 << 2, TSC: 1 << 4, MCE: 1 << 7, APIC: 1 << 9,
  /** Leaf 1 ECX. */
  XSAVE: 1 << 26, OSXSAVE: 1 << 27, HYPERVISOR: 1 << 31,
  /** Leaf 7.0 EBX. */
  FSGSBASE: 1 << 0,
  /** 0x80000001 EDX. */
  RDTSCP: 1 << 27,
  /** Leaf 7.0 ECX. */
  RDPID: 1 << 22,
} as const;

/** XEN_CPUID_* (public/arch-x86/cpuid.h). */
export const XEN_CPUID = {
  FIRST_LEAF: 0x40000000,
  MAX_NUM_LEAVES: 5,
  SIGNATURE: [0x566e6558, 0x65584d4d, 0x4d4d566e] as const, // "XenV" "MMXe" "nVMM"
  FEAT1_MMU_PT_UPDATE_PRESERVE_AD: 1 << 0,
  TSC_MODE_DEFAULT: 0,
} as const;

/** Highest basic / extended leaf a policy can hold (CPUID_GUEST_NR_BASIC − 1, …_EXTD − 1). */
const NR_BASIC_MAX = 0xd, NR_EXTD_MAX = 0x80000021, NR_CACHE = 6, NR_FEAT_MAX = 2, NR_XSTATE = 63;
const GENUINE_INTEL = [0x756e6547, 0x49656e69, 0x6c65746e] as const; // EBX EDX ECX
const CR4_OSXSAVE = 1 << 18;

/** What the policy is built from: the machine, and the domain's time and memory. */
export interface PvCpuidHost {
  /** The machine's own CPUID (what the hypervisor sees at ring 0). */
  rawCpuid(leaf: number, subleaf: number): CpuidLeaf;
  /** TSC frequency in kHz (Xen's tsc_khz = cpu_khz: the guest runs on the host TSC). */
  readonly tscKhz: number;
  /** host_tsc_is_safe(): the TSC is constant-rate and synchronised (true for a simulated clock). */
  readonly tscSafe: boolean;
  /** vtsc_offset: system time (ns) when the domain was created (0x40000003.1 EAX/EBX). */
  readonly tscOffsetNs: bigint;
  /** Highest machine frame number that may ever exist (get_upper_mfn_bound). */
  readonly maxMfn: number;
}

/** Index of the highest set bit, 1-based; 0 for 0 (Xen's flsl). */
const fls = (v: number): number => (v === 0 ? 0 : 32 - Math.clz32(v));

/** One domain's CPUID policy (Xen's d->arch.cpu_policy plus guest_cpuid). */
export class PvCpuidPolicy {
  private readonly intel: boolean;
  private readonly maxBasic: number;
  private readonly maxExtd: number;

  constructor(private readonly host: PvCpuidHost) {
    const [max, b, c, d] = host.rawCpuid(0, 0);
    this.intel = b === GENUINE_INTEL[0] && d === GENUINE_INTEL[1] && c === GENUINE_INTEL[2];
    // guest_common_default_leaves: the host's max leaves, clamped to what a policy holds
    this.maxBasic = Math.min(max >>> 0, NR_BASIC_MAX);
    const extd = host.rawCpuid(0x80000000, 0)[0] >>> 0;
    this.maxExtd = extd >>> 16 === 0x8000 ? Math.min(extd, NR_EXTD_MAX) : 0;
  }

  /** A feature bit of the *static* policy (before per-vCPU adjustments). */
  has(leaf: number, subleaf: number, reg: 0 | 1 | 2 | 3, mask: number): boolean {
    return (this.lookup(leaf >>> 0, subleaf >>> 0)[reg] & mask) !== 0;
  }

  /**
   * guest_cpuid: EAX, EBX, ECX, EDX for `leaf`/`subleaf` as the vCPU sees it;
   * `cr4` is the vCPU's virtual CR4 (OSXSAVE is fast-forwarded from it).
   */
  cpuid(leaf: number, subleaf: number, cr4: number): CpuidLeaf {
    leaf >>>= 0; subleaf >>>= 0;
    const r = this.lookup(leaf, subleaf);
    if (leaf !== 1) return r;
    // second pass, leaf 1 (cpuid.c): APIC ID is dynamic (0 for PV); OSXSAVE mirrors the guest's CR4
    const ecx = (cr4 & CR4_OSXSAVE) !== 0 ? r[2] | CPUID_FEATURE.OSXSAVE : r[2];
    return [r[0], r[1] & 0x00ffffff, ecx >>> 0, r[3]];
  }

  private lookup(leaf: number, subleaf: number): CpuidLeaf {
    if (leaf < 0x40000000) return leaf <= this.maxBasic ? this.basic(leaf, subleaf) : EMPTY;
    if (leaf < 0x40000200) return this.xenLeaf(leaf - XEN_CPUID.FIRST_LEAF, subleaf);
    if (leaf >= 0x80000000 && leaf <= this.maxExtd) return this.extended(leaf, subleaf);
    return EMPTY;
  }

  private raw(leaf: number, subleaf = 0): CpuidLeaf {
    const [a, b, c, d] = this.host.rawCpuid(leaf, subleaf);
    return [a >>> 0, b >>> 0, c >>> 0, d >>> 0];
  }

  private basic(leaf: number, subleaf: number): CpuidLeaf {
    const m = PV_FEATURE_MASK;
    switch (leaf) {
      case 0: { const [, b, c, d] = this.raw(0); return [this.maxBasic, b, c, d]; }
      case 1: {
        const [a, b, c, d] = this.raw(1);
        // recalculate_misc: processor type clobbered; features masked; HYPERVISOR always set
        return [(a & 0x0fff0fff) >>> 0, b, ((c & m.leaf1Ecx & ~CPUID_FEATURE.OSXSAVE) | CPUID_FEATURE.HYPERVISOR) >>> 0,
          (d & m.leaf1Edx) >>> 0];
      }
      case 2: {
        if (!this.intel) return EMPTY;
        const [a, b, c, d] = this.raw(2);
        return [((a & ~0xff) | 1) >>> 0, b, c, d]; // l2_nr_queries fixed to 1
      }
      case 4: return this.intel && subleaf < NR_CACHE ? this.raw(4, subleaf) : EMPTY;
      case 7: {
        const max = Math.min(this.raw(7, 0)[0], NR_FEAT_MAX);
        if (subleaf > max) return EMPTY;
        const [a, b, c, d] = this.raw(7, subleaf);
        if (subleaf === 0) return [max, (b & m.leaf7Ebx) >>> 0, (c & m.leaf7Ecx) >>> 0, (d & m.leaf7Edx) >>> 0];
        if (subleaf === 1) return [(a & m.leaf7s1Eax) >>> 0, 0, 0, (d & m.leaf7s1Edx) >>> 0];
        return [0, 0, 0, (d & m.leaf7s2Edx) >>> 0];
      }
      case 0xd: {
        if ((this.basic(1, 0)[2] & CPUID_FEATURE.XSAVE) === 0 || subleaf >= NR_XSTATE) return EMPTY;
        const [a, b, c, d] = this.raw(0xd, subleaf);
        if (subleaf === 1) return [(a & m.xsave1Eax) >>> 0, 0, 0, 0];
        return subleaf === 0 ? [a, b, c, d] : [a, b, c, 0];
      }
      // 3 (PSN), 5 (MONITOR), 6 (power), 8, 9 (DCA), 0xA (vPMU off), 0xB (topology), 0xC: hidden
      default: return EMPTY;
    }
  }

  private extended(leaf: number, subleaf: number): CpuidLeaf {
    const m = PV_FEATURE_MASK;
    const [a, b, c, d] = this.raw(leaf, subleaf);
    switch (leaf - 0x80000000) {
      case 0: return this.intel ? [this.maxExtd, 0, 0, 0] : [this.maxExtd, b, c, d];
      case 1: return [this.intel ? 0 : a, this.intel ? 0 : b, (c & m.ext1Ecx) >>> 0, (d & m.ext1Edx) >>> 0];
      case 2: case 3: case 4: return [a, b, c, d]; // brand string
      case 5: return this.intel ? EMPTY : [a, b, c, d];
      case 6: return this.intel ? [0, 0, c, 0] : [a, b, c, d];
      case 7: return EMPTY; // Power/RAS hidden; no 'A' bits in EDX
      case 8: return [this.intel ? a & 0xffff : a, (b & m.ext8Ebx) >>> 0, this.intel ? 0 : c, 0];
      default: return EMPTY;
    }
  }

  /** cpuid_hypervisor_leaves for a PV domain (not viridian: base 0x40000000). */
  private xenLeaf(idx: number, subleaf: number): CpuidLeaf {
    if (idx > XEN_CPUID.MAX_NUM_LEAVES) return EMPTY;
    const h = this.host;
    switch (idx) {
      case 0: return [XEN_CPUID.FIRST_LEAF + XEN_CPUID.MAX_NUM_LEAVES, ...XEN_CPUID.SIGNATURE];
      case 1: return [((XEN_VERSION.MAJOR << 16) | XEN_VERSION.MINOR) >>> 0, 0, 0, 0];
      case 2: return [1, XEN_CPUID.FIRST_LEAF, XEN_CPUID.FEAT1_MMU_PT_UPDATE_PRESERVE_AD, 0];
      case 3: {
        // tsc_set_info, TSC_MODE_DEFAULT on a safe host TSC: native TSC (vtsc 0), incarnation 0 + 1
        if (subleaf === 0) {
          const rdtscp = (this.raw(0x80000001)[3] & CPUID_FEATURE.RDTSCP) !== 0;
          return [((h.tscSafe ? 2 : 0) | (rdtscp ? 4 : 0)) >>> 0, XEN_CPUID.TSC_MODE_DEFAULT, h.tscKhz >>> 0, 1];
        }
        if (subleaf === 1) {
          const scale = timeScale(h.tscKhz * 1000), off = BigInt.asUintN(64, h.tscOffsetNs);
          return [Number(off & 0xffffffffn), Number(off >> 32n), scale.mul >>> 0, scale.shift >>> 0];
        }
        return subleaf === 2 ? [h.tscKhz >>> 0, 0, 0, 0] : EMPTY;
      }
      case 5: return subleaf === 0 ? [0, fls(h.maxMfn) + 12, 0, 0] : EMPTY;
      default: return EMPTY; // 4: HVM only
    }
  }
}
