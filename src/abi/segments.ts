/**
 * Hypervisor-provided segments and descriptor-table limits
 * (docs/xen-pv32-abi.md §6.2, §4.3, §4.22, §1.11; Xen
 * xen/include/public/arch-x86/xen-x86_32.h, xen/arch/x86/desc.c).
 *
 *   GDT entries 0 … 7167      the guest's (set_gdt frames; ≤ 14 pages)
 *   GDT entries 7168 … 7679   the hypervisor's page (selectors 0xE000–0xEFFF)
 *      0xE019  FLAT_RING1_CS   4 GiB code, DPL 1   (the guest kernel)
 *      0xE021  FLAT_RING1_DS   4 GiB data, DPL 1   (also its SS)
 *      0xE02B  FLAT_RING3_CS   4 GiB code, DPL 3   (guest user mode)
 *      0xE033  FLAT_RING3_DS   4 GiB data, DPL 3
 *
 * Raw descriptors are given as their low and high dwords.
 */
import { group, type ConstGroup } from "./constants.js";

export const FLAT = {
  RING1_CS: 0xe019,
  RING1_DS: 0xe021,
  RING1_SS: 0xe021,
  RING3_CS: 0xe02b,
  RING3_DS: 0xe033,
  RING3_SS: 0xe033,
  KERNEL_CS: 0xe019,
  KERNEL_DS: 0xe021,
  KERNEL_SS: 0xe021,
  USER_CS: 0xe02b,
  USER_DS: 0xe033,
  USER_SS: 0xe033,
} as const;

/** The hypervisor's descriptors behind the FLAT selectors (§6.2). */
export const FLAT_DESCRIPTOR = {
  RING1_CS_LO: 0x0000ffff,
  RING1_CS_HI: 0x00cfbb00,
  RING1_DS_LO: 0x0000ffff,
  RING1_DS_HI: 0x00cfb300,
  RING3_CS_LO: 0x0000ffff,
  RING3_CS_HI: 0x00cffb00,
  RING3_DS_LO: 0x0000ffff,
  RING3_DS_HI: 0x00cff300,
} as const;

/** The first GDT page, byte and entry that belong to the hypervisor (§6.2). */
export const FIRST_RESERVED_GDT = {
  PAGE: 14,
  BYTE: 0xe000,
  /** 14 × 512: set_gdt refuses more entries (−EINVAL). */
  ENTRY: 7168,
} as const;

export const GDT = {
  ENTRIES_PER_PAGE: 512,
  /** The GDT limit the guest's GDTR always has (covers the reserved page). */
  LIMIT: 0xefff,
} as const;

export const LDT = {
  /** MMUEXT_SET_LDT and vcpu_guest_context.ldt_ents refuse more. */
  MAX_ENTRIES: 8192,
} as const;

export const segmentConstants: readonly ConstGroup[] = [
  group("FLAT_", FLAT, "flat segment selectors", "§6.2", "arch-x86/xen-x86_32.h", { hex: true }),
  group("XEN_FLAT_", FLAT_DESCRIPTOR, "raw flat descriptors (tsxen names)", "§6.2", "xen/arch/x86/desc.c", { hex: true }),
  group("FIRST_RESERVED_GDT_", FIRST_RESERVED_GDT, "hypervisor-reserved GDT area", "§4.3, §6.2", "arch-x86/xen.h", { hex: true }),
  group("XEN_GDT_", GDT, "GDT geometry (tsxen names)", "§6.2", "xen/arch/x86/desc.c", { hex: true }),
  group("XEN_LDT_", LDT, "LDT limit (tsxen names)", "§4.22", "xen/arch/x86/mm.c"),
];
