/**
 * The hypervisor's own frames and where the CPU sees them (docs/xen-pv32-abi.md
 * §5.6, §6.1–§6.2, §1.11). Every frame here is owned by DOMID_XEN, so no guest
 * page-table entry can map it (§5.3: a domain maps only frames it owns); the
 * guest sees them only through the slots 428–511 of its slot-3 L2, which the
 * hypervisor fills (PvPageTables' `initXenL2Slots`) and the guest can't update:
 *
 *   0xF5800000  L2 slots 428…  read-only M2P (u32 PFN per MFN), supervisor
 *   0xFFE00000  L2 slot 511    hypervisor-private L1:
 *     +0x00000   GDT pages 0–13: the running vCPU's set_gdt frames, the
 *                shared zero frame beyond them (mapGdt at each switch)
 *     +0x0E000   GDT page 14: ring-0 CS/DS (0xE008/0xE010), FLAT ring-1/3
 *                selectors (0xE019 … 0xE033), the TSS descriptor (0xE040)
 *     +0x10000   IDT: 0–19 → ring 0 (the host), 3/4 DPL 3, 0x82 DPL 1
 *     +0x11000   TSS (esp1/ss1 = the guest kernel stack)
 *     +0x12000   the hypervisor's stack page: the return to the guest
 *                writes its IRET frame there through machine memory and
 *                the CPU's IRET reads it through this mapping
 *     +0x20000   LDT area, 16 pages: the running vCPU's LDT pages, mapped
 *                on first use (ldt.ts); the CPU's LDTR points here
 *
 * All leaf mappings are present, accessed and read-only; with CR0.WP the
 * ring-1 kernel can read but not change them (no page here can carry data
 * from one domain to another). The CPU runs PAE paging from
 * a hypervisor-owned PDPT that shadows the guest L3's four entries with only
 * P and the address kept (PAE PDPTEs refuse the RW/US/A/D bits Xen's L3
 * entries carry, §12.1) — the "L3 cache" of 32-bit PAE Xen.
 */
import { DOMID_XEN, type FrameTable } from "../core/frame-table.js";
import type { MachineMemory } from "../core/machine-memory.js";
import { FLAT_DESCRIPTOR, FIRST_RESERVED_GDT, GDT } from "../../abi/segments.js";
import { HYPERVISOR, M2P, PAGE, SLOTS, l2Slot } from "../../abi/memory-layout.js";
import type { Mfn } from "../../lib/brand.js";

/** Ring-0 selectors of the hypervisor's GDT page (Xen's __HYPERVISOR_CS/DS). */
export const HV_SEL = { CS: 0xe008, DS: 0xe010, TSS: 0xe040 } as const;
/** Hypercall vector (§3.1). */
export const HYPERCALL_VECTOR = 0x82;
/** The system-call vector that gets the fast gate (§6.3). */
export const FAST_TRAP_VECTOR = 0x80;
/** Exception vectors the IDT routes to the host. */
export const NR_EXCEPTIONS = 20;

export const HV_VA = {
  PRIVATE: 0xffe00000,
  GDT: 0xffe00000,
  IDT: 0xffe10000,
  TSS: 0xffe11000,
  STACK: 0xffe12000,
  LDT: 0xffe20000,
} as const;

/** Pages of the LDT area: 8192 descriptors (§4.22 SET_LDT's limit). */
export const LDT_PAGES = 16;

const PRIVATE_SLOT = SLOTS.L2_LAST_HYPERVISOR_SLOT;
const L2_HV_FLAGS = 0x23; // P | RW | A, supervisor
const L1_RO_FLAGS = 0x21; // P | A, supervisor, read-only
const TSS_LIMIT = 0x67;

export class HypervisorAreaError extends Error {}

export class HypervisorArea {
  /** MFNs of the M2P table's pages, and of the L1s mapping them. */
  /** The M2P table's 4 KiB frames in address order (XENMEM_machphys_mfn_list). */
  readonly m2pFrames: Mfn[] = [];
  private readonly m2pL1s: Mfn[] = [];
  private readonly privateL1: Mfn;
  private readonly zeroFrame: Mfn;
  private readonly gdtFrame: Mfn;
  private readonly idtFrame: Mfn;
  readonly tssFrame: Mfn;
  readonly stackFrame: Mfn;
  /** The PDPT the CPU's CR3 points at. */
  readonly pdptFrame: Mfn;

  constructor(private readonly mem: MachineMemory, frames: FrameTable) {
    const take = (): Mfn => {
      const m = frames.allocate(DOMID_XEN);
      if (m < 0) throw new HypervisorAreaError("no machine frame left for the hypervisor");
      for (let o = 0; o < PAGE.SIZE; o += 4) mem.write32(m * PAGE.SIZE + o, 0);
      return m as Mfn;
    };
    const m2pPages = Math.ceil((frames.total * M2P.ENTRY_SIZE) / PAGE.SIZE);
    const m2pL1Count = Math.ceil(m2pPages / PAGE.ENTRIES);
    if (SLOTS.L2_FIRST_HYPERVISOR_SLOT + m2pL1Count > PRIVATE_SLOT) {
      throw new HypervisorAreaError("machine too large for the M2P area");
    }
    for (let i = 0; i < m2pPages; i++) this.m2pFrames.push(take());
    for (let i = 0; i < m2pL1Count; i++) this.m2pL1s.push(take());
    this.privateL1 = take();
    this.zeroFrame = take();
    this.gdtFrame = take();
    this.idtFrame = take();
    this.tssFrame = take();
    this.stackFrame = take();
    this.pdptFrame = take();
    for (let m = 0; m < frames.total; m++) this.setM2p(m as Mfn, M2P.INVALID_ENTRY);
    this.m2pFrames.forEach((f, i) => this.pte(this.m2pL1s[i >>> 9]!, i & 511, f, L1_RO_FLAGS));
    const priv = (va: number): number => (va - HV_VA.PRIVATE) / PAGE.SIZE;
    for (let p = 0; p < FIRST_RESERVED_GDT.PAGE; p++) this.pte(this.privateL1, priv(HV_VA.GDT) + p, this.zeroFrame, L1_RO_FLAGS);
    this.pte(this.privateL1, priv(HV_VA.GDT) + FIRST_RESERVED_GDT.PAGE, this.gdtFrame, L1_RO_FLAGS);
    this.pte(this.privateL1, priv(HV_VA.IDT), this.idtFrame, L1_RO_FLAGS);
    this.pte(this.privateL1, priv(HV_VA.TSS), this.tssFrame, L1_RO_FLAGS);
    this.pte(this.privateL1, priv(HV_VA.STACK), this.stackFrame, L1_RO_FLAGS);
    this.writeGdt();
    this.writeIdt();
  }

  /** M2P[mfn] = pfn (the builder's `m2p` callback). */
  setM2p(mfn: Mfn, pfn: number): void {
    const at = mfn * M2P.ENTRY_SIZE;
    const frame = this.m2pFrames[Math.floor(at / PAGE.SIZE)];
    if (frame !== undefined) this.mem.write32(frame * PAGE.SIZE + (at % PAGE.SIZE), pfn >>> 0);
  }

  /** PvPageTables' initXenL2Slots: the hypervisor's entries in slots 428–511 of a slot-3 L2. */
  initXenL2Slots(mem: MachineMemory, l2: Mfn): void {
    for (let s: number = SLOTS.L2_FIRST_HYPERVISOR_SLOT; s <= SLOTS.L2_LAST_HYPERVISOR_SLOT; s++) {
      const k = s - l2Slot(HYPERVISOR.MACH2PHYS_VIRT_START);
      const l1 = s === PRIVATE_SLOT ? this.privateL1 : this.m2pL1s[k];
      const at = l2 * PAGE.SIZE + s * 8;
      mem.write32(at, l1 === undefined ? 0 : (l1 * PAGE.SIZE) | L2_HV_FLAGS);
      mem.write32(at + 4, 0);
    }
  }

  /** GDT pages 0–13 (§4.3): `frames` first, the zero frame for the rest. The caller flushes the TLB. */
  mapGdt(frames: readonly Mfn[]): void {
    const first = (HV_VA.GDT - HV_VA.PRIVATE) / PAGE.SIZE;
    for (let p = 0; p < FIRST_RESERVED_GDT.PAGE; p++) {
      this.pte(this.privateL1, first + p, frames[p] ?? this.zeroFrame, L1_RO_FLAGS);
    }
  }

  /**
   * The fast system-call gate (§6.3, the paper's §3.3 "fast exception
   * handler", as 32-bit Xen's init_int80_direct_trap): IDT vector 0x80 as a
   * trap gate with the trap-table entry's DPL straight to the guest's
   * handler, so `int $0x80` reaches ring 1 through the TSS ring-1 stack
   * without entering the hypervisor. Its frame is the CPU's: no saved
   * upcall mask in the CS slot and the real EFLAGS (IF 1), which differs
   * from a bounce frame only while events are masked. undefined removes it
   * (INT 0x80 then raises #GP(0x402), handled by the hypervisor).
   */
  setFastTrap(handler: { cs: number; address: number; flags: number } | undefined): void {
    const at = this.idtFrame * PAGE.SIZE + FAST_TRAP_VECTOR * 8;
    if (handler === undefined) { this.mem.write32(at, 0); this.mem.write32(at + 4, 0); return; }
    this.mem.write32(at, (((handler.cs & 0xffff) << 16) | (handler.address & 0xffff)) >>> 0);
    this.mem.write32(at + 4, ((handler.address & 0xffff0000) | 0x8f00 | ((handler.flags & 3) << 13)) >>> 0);
  }

  /** LDT area page `page` := the guest's descriptor frame (read-only), or unmapped. The caller flushes. */
  mapLdtPage(page: number, mfn: Mfn | undefined): void {
    const slot = (HV_VA.LDT - HV_VA.PRIVATE) / PAGE.SIZE + page;
    if (mfn === undefined) { this.mem.write32(this.privateL1 * PAGE.SIZE + slot * 8, 0); this.mem.write32(this.privateL1 * PAGE.SIZE + slot * 8 + 4, 0); }
    else this.pte(this.privateL1, slot, mfn, L1_RO_FLAGS);
  }

  /** Refresh the PDPT shadow from the guest's L3 at machine frame `l3`. */
  shadowL3(l3: Mfn): void {
    for (let i = 0; i < PAGE.L3_ENTRIES_USED; i++) {
      const lo = this.mem.read32(l3 * PAGE.SIZE + i * 8), hi = this.mem.read32(l3 * PAGE.SIZE + i * 8 + 4);
      const present = (lo & 1) !== 0;
      this.mem.write32(this.pdptFrame * PAGE.SIZE + i * 8, present ? (lo & 0xfffff001) >>> 0 : 0);
      this.mem.write32(this.pdptFrame * PAGE.SIZE + i * 8 + 4, present ? hi & 0xf : 0);
    }
  }

  /** The ring-1 kernel stack in the TSS (what stack_switch sets, §4.4). */
  setKernelStack(ss: number, esp: number): void {
    this.mem.write32(this.tssFrame * PAGE.SIZE + 4 + 8, esp >>> 0);
    this.mem.write32(this.tssFrame * PAGE.SIZE + 8 + 8, ss & 0xffff);
  }

  private pte(table: Mfn, slot: number, target: Mfn, flags: number): void {
    this.mem.write32(table * PAGE.SIZE + slot * 8, ((target * PAGE.SIZE) | flags) >>> 0);
    this.mem.write32(table * PAGE.SIZE + slot * 8 + 4, 0);
  }

  private writeGdt(): void {
    const d = (sel: number, lo: number, hi: number): void => {
      const at = this.gdtFrame * PAGE.SIZE + ((sel & 0xfff8) - FIRST_RESERVED_GDT.BYTE);
      this.mem.write32(at, lo >>> 0);
      this.mem.write32(at + 4, hi >>> 0);
    };
    d(HV_SEL.CS, 0x0000ffff, 0x00cf9b00);
    d(HV_SEL.DS, 0x0000ffff, 0x00cf9300);
    d(0xe018, FLAT_DESCRIPTOR.RING1_CS_LO, FLAT_DESCRIPTOR.RING1_CS_HI);
    d(0xe020, FLAT_DESCRIPTOR.RING1_DS_LO, FLAT_DESCRIPTOR.RING1_DS_HI);
    d(0xe028, FLAT_DESCRIPTOR.RING3_CS_LO, FLAT_DESCRIPTOR.RING3_CS_HI);
    d(0xe030, FLAT_DESCRIPTOR.RING3_DS_LO, FLAT_DESCRIPTOR.RING3_DS_HI);
    const b = HV_VA.TSS;
    d(HV_SEL.TSS, ((b & 0xffff) << 16) | TSS_LIMIT, (b & 0xff000000) | 0x8b00 | ((b >>> 16) & 0xff));
    // I/O map base beyond the limit: no I/O bitmap, every port access above IOPL faults
    this.mem.write16(this.tssFrame * PAGE.SIZE + 102, TSS_LIMIT + 1);
  }

  private writeIdt(): void {
    const gate = (v: number, dpl: number): void => {
      const at = this.idtFrame * PAGE.SIZE + v * 8;
      this.mem.write32(at, ((HV_SEL.CS << 16) | v) >>> 0);
      this.mem.write32(at + 4, 0x8e00 | (dpl << 13));
    };
    for (let v = 0; v < NR_EXCEPTIONS; v++) gate(v, v === 3 || v === 4 ? 3 : 0);
    gate(HYPERCALL_VECTOR, 1);
  }
}

/** GDTR/IDTR limits the vCPU runs with. */
export const HV_LIMITS = { GDT: GDT.LIMIT, IDT: 0x7ff } as const;
