/** PV32 PAE address-space numbers (docs/xen-pv32-abi.md §5, §1.5, §1.7, §4.11, §6.2). */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BOOT_PTE,
  HYPERVISOR,
  PTE,
  PTE_DISALLOW,
  PTE_HI,
  SLOTS,
  isHypervisorVaddr,
  l1Slot,
  l2Slot,
  l3Slot,
  m2pVaddr,
  xenCr3ToPfn,
  xenPfnToCr3,
} from "./memory-layout.js";
import { FIRST_RESERVED_GDT, FLAT } from "./segments.js";

test("§5.6: the hypervisor area starts at 0xF5800000, in L3 slot 3, L2 slot 428", () => {
  assert.equal(HYPERVISOR.VIRT_START, 0xf5800000);
  assert.equal(HYPERVISOR.MACH2PHYS_VIRT_START, HYPERVISOR.VIRT_START);
  assert.equal(l3Slot(HYPERVISOR.VIRT_START), SLOTS.L3_HYPERVISOR_SLOT);
  assert.equal(l2Slot(HYPERVISOR.VIRT_START), SLOTS.L2_FIRST_HYPERVISOR_SLOT);
  assert.equal(SLOTS.L2_FIRST_HYPERVISOR_SLOT, 428);
  assert.equal(l2Slot(0xffffffff), SLOTS.L2_LAST_HYPERVISOR_SLOT);
  assert.equal(HYPERVISOR.VIRT_START % (2 << 20), 0, "2 MiB aligned: whole L2 slots");
  assert.ok(isHypervisorVaddr(0xfbadc0de));
  assert.ok(!isHypervisorVaddr(0xf57fffff));
});

test("§4.11, §5.6: XENMEM_machphys_mapping numbers agree with each other", () => {
  assert.equal(HYPERVISOR.MACH2PHYS_COMPAT_VIRT_END, 0xffe00000);
  assert.equal((HYPERVISOR.MACH2PHYS_COMPAT_VIRT_END - HYPERVISOR.MACH2PHYS_VIRT_START) / 4 - 1, HYPERVISOR.MACH2PHYS_COMPAT_MAX_MFN);
  assert.equal(HYPERVISOR.MACH2PHYS_COMPAT_MAX_MFN, 0x0297ffff);
  assert.equal((HYPERVISOR.MACH2PHYS_VIRT_END - HYPERVISOR.MACH2PHYS_VIRT_START) / 4, 4 << 20, "the old end covers 4 Mi MFNs");
  assert.equal(m2pVaddr(0x1234), 0xf5800000 + 4 * 0x1234);
});

test("§1.7, §5.9: extended CR3 rotates the MFN", () => {
  assert.equal(xenPfnToCr3(0x133), 0x133000);
  assert.equal(xenPfnToCr3(0x123456), 0x23456001);
  for (const mfn of [0, 1, 0xfffff, 0x100000, 0xabcdef]) assert.equal(xenCr3ToPfn(xenPfnToCr3(mfn)), mfn);
});

test("§5.1: linear address split", () => {
  assert.deepEqual([l3Slot(0x40201000), l2Slot(0x40201000), l1Slot(0x40201000)], [1, 1, 1]);
});

test("§5.3–§5.5, §1.5: page-table flag masks", () => {
  assert.equal(BOOT_PTE.L3, 0x67);
  assert.equal(BOOT_PTE.L2, 0x67);
  assert.equal(BOOT_PTE.L1, 0x23);
  assert.equal(BOOT_PTE.L1_PAGETABLE, 0x21);
  assert.equal(PTE_DISALLOW.L2_LO, 0x198, "PWT, PCD, PS, G");
  // §5.5's 0xFFFFF198 "over Xen's 24-bit flag space": flag bits 12–23 are PTE bits 52–63.
  assert.equal(PTE_DISALLOW.L3_LO, 0xfffff198 & 0xfff);
  assert.equal(PTE_DISALLOW.L3_HI, 0xfff00000);
  assert.equal(PTE_DISALLOW.L1_LO, PTE.PWT | PTE.PCD | PTE.PAT);
  assert.equal(PTE_HI.NX, 2 ** 31);
  assert.equal(PTE_HI.GRANT, 1 << (62 - 32));
});

test("§6.2: flat selectors and the reserved GDT area", () => {
  assert.deepEqual([FLAT.RING1_CS, FLAT.RING1_DS, FLAT.RING3_CS, FLAT.RING3_DS], [0xe019, 0xe021, 0xe02b, 0xe033]);
  assert.equal(FIRST_RESERVED_GDT.ENTRY, FIRST_RESERVED_GDT.PAGE * 512);
  assert.equal(FIRST_RESERVED_GDT.BYTE, FIRST_RESERVED_GDT.ENTRY * 8);
  assert.equal(FLAT.RING1_CS >> 3 >= FIRST_RESERVED_GDT.ENTRY, true);
  assert.equal(FLAT.RING1_CS & 3, 1);
  assert.equal(FLAT.RING3_DS & 3, 3);
});
