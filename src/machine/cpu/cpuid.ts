/**
 * CPUID: the processor this machine claims to be (SDM Vol. 2 CPUID).
 * An i686 ("GenuineIntel", family 6) with FPU, DE, PSE, TSC, MSR, PAE, CX8,
 * SEP, PGE, CMOV and, in the extended leaves, NX; 36 physical address bits.
 * No MMX/SSE, no APIC, no MTRR/PAT, no VME. Leaves above the maximum return
 * the highest basic leaf, as Intel processors do.
 */
export const CPUID_1_EDX =
  (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 11) | (1 << 13) | (1 << 15);
export const CPUID_80000001_EDX = 1 << 20; // NX
/** Leaf 2 holds legacy cache descriptors (QEMU's values); leaves 3 and 4 are empty (no serial number, no cache leaves). */
const MAX_BASIC = 4;
const MAX_EXTENDED = 0x80000008;
/** "GenuineIntel" as EBX, EDX, ECX. */
const VENDOR = [0x756e6547, 0x49656e69, 0x6c65746e];

/** Fill `out` with EAX, EBX, ECX, EDX for leaf `leaf`. */
export function cpuid(leaf: number, out: Int32Array): void {
  let l = leaf >>> 0;
  if (l >= 0x80000000 ? l > MAX_EXTENDED : l > MAX_BASIC) l = MAX_BASIC;
  out.fill(0);
  switch (l) {
    case 0: out[0] = MAX_BASIC; out[1] = VENDOR[0]!; out[3] = VENDOR[1]!; out[2] = VENDOR[2]!; break;
    case 1: out[0] = 0x00000663; out[3] = CPUID_1_EDX; break; // family 6, model 6, stepping 3
    case 2: out[0] = 0x00000001; out[3] = 0x002c307d; break;
    case 0x80000000: out[0] = MAX_EXTENDED; break;
    case 0x80000001: out[3] = CPUID_80000001_EDX; break;
    case 0x80000008: out[0] = 0x00002024; break; // 36 physical, 32 linear address bits
    default: break;
  }
}
