/**
 * The PV32 PAE address-space contract (docs/xen-pv32-abi.md §5, §1.5–§1.7;
 * Xen xen/include/public/arch-x86/xen-x86_32.h, xen/arch/x86/mm.c,
 * xen/arch/x86/include/asm/x86_64/page.h).
 *
 *   linear address:  31..30 L3 index | 29..21 L2 index | 20..12 L1 index | 11..0
 *
 *   0x00000000 ┌──────────────────────────────┐
 *              │ guest (L3 slots 0, 1, 2 and  │
 *              │ L2 slots 0–427 of slot 3)    │
 *   0xF5800000 ├──────────────────────────────┤ HYPERVISOR_VIRT_START
 *              │ read-only M2P: u32 PFN per   │ = MACH2PHYS_VIRT_START
 *              │ MFN, supervisor-only         │   L2 slot 428 of the slot-3 L2
 *   0xFFE00000 ├──────────────────────────────┤ MACH2PHYS_COMPAT_VIRT_END
 *              │ hypervisor-private           │
 *   0xFFFFFFFF └──────────────────────────────┘   L2 slot 511
 *
 * The L2 referenced from L3 slot 3 is the only one with reserved slots
 * (428–511); every L3 must have slot 3 present (the "slot-3 rule", §5.5),
 * and mmu_update may only change L3 slots 0–2.
 *
 * Page-table entries are 64-bit; TypeScript handles them as two u32 halves,
 * so each flag mask below says which half it applies to.
 */
import { group, type ConstGroup } from "./constants.js";

export const PAGE = {
  SHIFT: 12,
  SIZE: 4096,
  /** Entries per L1/L2 page (64-bit entries). */
  ENTRIES: 512,
  /** L3 entries the PAE hardware uses; the rest of the L3 frame is zeroed on validation. */
  L3_ENTRIES_USED: 4,
  L3_SHIFT: 30,
  L2_SHIFT: 21,
  L1_SHIFT: 12,
} as const;

/**
 * §5.6: the hypervisor's area and the machine-to-phys table. Two ends exist
 * for the M2P: the public header's MACH2PHYS_VIRT_END (0xF6800000, what old
 * 32-bit Xen mapped: 16 MiB, 4 Mi MFNs) and 64-bit Xen's compat end
 * (0xFFE00000), which is what XENMEM_machphys_mapping reports (§4.11).
 */
export const HYPERVISOR = {
  /** HYPERVISOR_VIRT_START (= HYPERVISOR_COMPAT_VIRT_START): guest pointers lie below it (§3.3). */
  VIRT_START: 0xf5800000,
  /** Also XENMEM_machphys_mapping.v_start and XENVER_platform_parameters.virt_start. */
  MACH2PHYS_VIRT_START: 0xf5800000,
  /** xen-x86_32.h's MACH2PHYS_VIRT_END (= __MACH2PHYS_VIRT_END_PAE). */
  MACH2PHYS_VIRT_END: 0xf6800000,
  /** XENMEM_machphys_mapping.v_end: MACH2PHYS_COMPAT_VIRT_END of 64-bit Xen. */
  MACH2PHYS_COMPAT_VIRT_END: 0xffe00000,
  /** XENMEM_machphys_mapping.max_mfn = (COMPAT_END − START) / 4 − 1. */
  MACH2PHYS_COMPAT_MAX_MFN: 0x0297ffff,
} as const;

/** §5.4, §5.5: which page-table slots are the hypervisor's. */
export const SLOTS = {
  /** The L3 slot whose L2 carries the hypervisor mappings; mandatory. */
  L3_HYPERVISOR_SLOT: 3,
  /** mmu_update may change L3 slots below this only. */
  L3_GUEST_UPDATABLE: 3,
  /** First reserved L2 slot in the slot-3 L2: (0xF5800000 >> 21) & 511. */
  L2_FIRST_HYPERVISOR_SLOT: 428,
  L2_LAST_HYPERVISOR_SLOT: 511,
} as const;

/** Markers in the P2M and M2P (§1.5, §1.6). */
export const M2P = {
  /** M2P entry of a frame that is not guest RAM (shared_info, grant frames). */
  INVALID_ENTRY: 0xffffffff,
  /** P2M entry of an unpopulated PFN. */
  INVALID_P2M_ENTRY: 0xffffffff,
  ENTRY_SIZE: 4,
} as const;

/** PTE flag bits in the low half (§5.3). */
export const PTE = {
  PRESENT: 1 << 0,
  RW: 1 << 1,
  USER: 1 << 2,
  PWT: 1 << 3,
  PCD: 1 << 4,
  ACCESSED: 1 << 5,
  DIRTY: 1 << 6,
  /** PAT in an L1 entry, PS (superpage) in an L2 entry. */
  PAT: 1 << 7,
  PSE: 1 << 7,
  GLOBAL: 1 << 8,
  AVAIL: 0x7 << 9,
  /** Bits 12–31 of the low half: address bits 31:12. */
  ADDR_LO_MASK: 0xfffff000,
} as const;

/** PTE bits in the high half (bit n of the entry = bit n − 32 here). */
export const PTE_HI = {
  /** Address bits 51:32. */
  ADDR_MASK: 0x000fffff,
  /** Bits 52–61: software bits on 64-bit Xen, reserved on real PAE (IA-32 note). */
  SOFTWARE: 0x3ff00000,
  /** Bit 62: Xen's grant marker; never allowed from a guest. */
  GRANT: 1 << 30,
  /** Bit 63: NX. */
  NX: 0x80000000,
} as const;

/**
 * Flags refused (−EINVAL) in present entries, per level (§5.3–§5.5). In L1
 * PWT/PCD/PAT are refused unless the domain has I/O-memory privilege; NX
 * (PTE_HI.NX) is refused unless the CPU has NX enabled. The high-half masks
 * apply the IA-32 rule of §12.2 (reject bits 52–62).
 */
export const PTE_DISALLOW = {
  L1_LO: PTE.PWT | PTE.PCD | PTE.PAT,
  L1_HI: PTE_HI.SOFTWARE | PTE_HI.GRANT,
  L2_LO: PTE.PWT | PTE.PCD | PTE.PSE | PTE.GLOBAL,
  L2_HI: PTE_HI.SOFTWARE | PTE_HI.GRANT,
  L3_LO: PTE.PWT | PTE.PCD | PTE.PSE | PTE.GLOBAL,
  /** Bits 52–63, NX included. */
  L3_HI: 0xfff00000,
  /** OR-ed into every stored present L3 entry. */
  L3_FORCED_LO: PTE.RW | PTE.USER,
} as const;

/** Flags of the builder's initial page tables (§1.5). */
export const BOOT_PTE = {
  L3: PTE.PRESENT | PTE.RW | PTE.USER | PTE.ACCESSED | PTE.DIRTY,
  L2: PTE.PRESENT | PTE.RW | PTE.USER | PTE.ACCESSED | PTE.DIRTY,
  L1: PTE.PRESENT | PTE.RW | PTE.ACCESSED,
  /** L1 entries that map the page-table frames themselves: read-only. */
  L1_PAGETABLE: PTE.PRESENT | PTE.ACCESSED,
} as const;

/** Start-of-day mapping (§1.5): virt_pgtab_end is a multiple of 4 MiB ≥ end + 512 KiB. */
export const BOOT_MAPPING = {
  ALIGN: 4 << 20,
  SLACK: 512 << 10,
  /** libxl's max_pages = nr_pages + this (§1.6). */
  MAXMEM_EXTRA_PAGES: 256,
} as const;

/** §1.7, §5.9: "extended CR3": the MFN rotated so that MFNs ≥ 2^20 fit in 32 bits. */
export const xenPfnToCr3 = (mfn: number): number => ((mfn << 12) | (mfn >>> 20)) >>> 0;
export const xenCr3ToPfn = (cr3: number): number => ((cr3 >>> 12) | (cr3 << 20)) >>> 0;

/** Without pae_extended_cr3 an L3 must lie below 4 GiB: MFN < this (§5.5). */
export const PAE_L3_MFN_LIMIT = 0x100000;

export const l3Slot = (va: number): number => (va >>> PAGE.L3_SHIFT) & 3;
export const l2Slot = (va: number): number => (va >>> PAGE.L2_SHIFT) & (PAGE.ENTRIES - 1);
export const l1Slot = (va: number): number => (va >>> PAGE.L1_SHIFT) & (PAGE.ENTRIES - 1);

/** Is `va` in the area guests may not use (§5.6)? */
export const isHypervisorVaddr = (va: number): boolean => va >>> 0 >= HYPERVISOR.VIRT_START;

/** Linear address of M2P[mfn] (§5.6). */
export const m2pVaddr = (mfn: number): number => (HYPERVISOR.MACH2PHYS_VIRT_START + 4 * mfn) >>> 0;

export const memoryLayoutConstants: readonly ConstGroup[] = [
  group("XEN_PAGE_", PAGE, "PAE paging geometry (tsxen names)", "§5.1", "arch-x86/xen-x86_32.h"),
  group("", {
    HYPERVISOR_VIRT_START: HYPERVISOR.VIRT_START,
    MACH2PHYS_VIRT_START: HYPERVISOR.MACH2PHYS_VIRT_START,
    MACH2PHYS_VIRT_END: HYPERVISOR.MACH2PHYS_VIRT_END,
    MACH2PHYS_COMPAT_VIRT_END: HYPERVISOR.MACH2PHYS_COMPAT_VIRT_END,
    MACH2PHYS_COMPAT_MAX_MFN: HYPERVISOR.MACH2PHYS_COMPAT_MAX_MFN,
  }, "hypervisor area and read-only M2P", "§5.6", "arch-x86/xen-x86_32.h", { hex: true }),
  group("XEN_SLOT_", SLOTS, "reserved page-table slots (tsxen names)", "§5.4, §5.5", "xen/arch/x86/mm.c"),
  group("XEN_M2P_", M2P, "P2M/M2P markers (tsxen names)", "§1.5, §1.6", "xen.h", { hex: true }),
  group("XEN_PTE_", PTE, "PTE flags, low half (tsxen names)", "§5.3", "asm/page.h", { hex: true }),
  group("XEN_PTE_HI_", PTE_HI, "PTE bits, high half (tsxen names)", "§5.3", "asm/page.h", { hex: true }),
  group("XEN_PTE_DISALLOW_", PTE_DISALLOW, "flags refused per level (tsxen names)", "§5.3–§5.5", "xen/arch/x86/mm.c", { hex: true }),
  group("XEN_BOOT_PTE_", BOOT_PTE, "builder page-table flags (tsxen names)", "§1.5", "xg_dom_x86.c", { hex: true }),
  group("XEN_BOOT_MAPPING_", BOOT_MAPPING, "builder mapping sizes (tsxen names)", "§1.5, §1.6", "xg_dom_x86.c", { hex: true }),
  group("XEN_", { PAE_L3_MFN_LIMIT }, "L3 frame limit without extended CR3", "§5.5", "xen/arch/x86/mm.c", { hex: true }),
];
