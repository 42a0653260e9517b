/**
 * PV page tables as typed frames: validation of whole L1/L2/L3 tables when a
 * frame first takes a page-table type, de-validation when it loses it, and
 * the checked update of one entry (docs/xen-pv32-abi.md §5.2–§5.7, §4.2;
 * Xen xen/arch/x86/mm.c promote_l1/l2/l3_table, pae_xen_mappings_check,
 * demote_l1/l2/l3_table, mod_l1/l2/l3_entry).
 *
 * This is the FrameTable's `TypeOps` for PV domains (STYLE §3: shadow
 * paging would be another implementation). The domain a table belongs to is
 * its frame's owner.
 *
 *   L3 (PDPT), one 4 KiB frame                 L2 referenced from L3 slot 3
 *   ┌──────────┐                               ┌─────────────────────┐ 0
 *   │ slot 0–2 │ → L2 (type L2)                │ guest slots 0–427   │
 *   │ slot 3   │ → L2 (type L2|PAE_XEN_L2) ──► ├─────────────────────┤ 428
 *   │ 4…511    │ zeroed on validation          │ hypervisor 428–511  │
 *   └──────────┘                               └─────────────────────┘ 511
 *
 * Rules kept here:
 * - validation takes every entry's references or, on the first bad entry,
 *   drops those already taken and fails with that entry's errno;
 * - the slot-3 L2 is referenced exactly once (pae_xen_mappings_check);
 *   its slots 428–511 are never validated and are (re)filled by the
 *   hypervisor (`initXenL2Slots`);
 * - modL*Entry takes the new entry's references before dropping the old
 *   one's, and on failure changes neither memory nor counts. They do not
 *   re-check the caller's right to update the table (mmu_update does, §4.2
 *   steps 1–2), only that the frame is a validated table of that level.
 * Not done here (the hypercall layer's): TLB flushes (§5.10), reloading the
 * PDPTEs of a live L3 (§5.5 IA-32 note), FD/PFD checks, descriptor pages'
 * contents (check_descriptor, §6.2) — supplied as `validateSegDesc`.
 */
import { ERRNO } from "../../abi/errno.js";
import { PAE_L3_MFN_LIMIT, PAGE, PTE, PTE_DISALLOW, SLOTS } from "../../abi/memory-layout.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import { FrameTable, PGT, PGT_PAE_XEN_L2, baseType, type TypeOps } from "../core/frame-table.js";
import type { MachineMemory } from "../core/machine-memory.js";
import {
  DOMU_POLICY,
  getPageFromL1e,
  getPageFromL2e,
  getPageFromL3e,
  isPresent,
  l3FlagsAllowed,
  putPageFromL1e,
  putPageFromL2e,
  putPageFromL3e,
  readHi,
  readLo,
  writeEntry,
  entryMfn,
  type MmPolicy,
  type PteContext,
} from "./pte-validate.js";

export interface PageTypesOptions {
  policy?: MmPolicy;
  /** Check a frame about to become a GDT/LDT frame (§6.2); default: refuse (−EINVAL). */
  validateSegDesc?: (mfn: Mfn) => number;
  /** Write the hypervisor's entries into slots 428–511 of a slot-3 L2 (§5.6); default: zero them. */
  initXenL2Slots?: (mem: MachineMemory, l2: Mfn) => void;
  /**
   * Is entry `slot` of `l1` a grant mapping (grant-pte.ts)? Such an entry is
   * changed only by grant_table_op: modL1Entry refuses it (−EINVAL; Xen
   * crashes the domain), and de-validating its L1 reports it through
   * `grantPteLost` (Xen: "implicit unmap of a granted PTE", domain_crash).
   */
  isGrantPte?: (l1: Mfn, slot: number) => boolean;
  grantPteLost?: (l1: Mfn, slot: number) => void;
}

/** Is `slot` of an L2 with type `typeInfo` the guest's (§5.4; Xen is_guest_l2_slot)? */
export const isGuestL2Slot = (typeInfo: number, slot: number): boolean =>
  (typeInfo & PGT_PAE_XEN_L2) === 0 || slot < SLOTS.L2_FIRST_HYPERVISOR_SLOT;

const zeroXenL2Slots = (mem: MachineMemory, l2: Mfn): void => {
  for (let i = SLOTS.L2_FIRST_HYPERVISOR_SLOT; i <= SLOTS.L2_LAST_HYPERVISOR_SLOT; i++) writeEntry(mem, l2, i, 0, 0);
};

export class PvPageTables implements TypeOps, PteContext {
  readonly policy: MmPolicy;
  private readonly validateSegDesc: (mfn: Mfn) => number;
  private readonly initXenL2Slots: (mem: MachineMemory, l2: Mfn) => void;
  private readonly isGrantPte: ((l1: Mfn, slot: number) => boolean) | undefined;
  private readonly grantPteLost: ((l1: Mfn, slot: number) => void) | undefined;
  /** Entries validated (for --stats). */
  entriesValidated = 0;

  constructor(readonly mem: MachineMemory, readonly frames: FrameTable, options: PageTypesOptions = {}) {
    this.policy = options.policy ?? DOMU_POLICY;
    this.validateSegDesc = options.validateSegDesc ?? (() => -ERRNO.EINVAL);
    this.initXenL2Slots = options.initXenL2Slots ?? zeroXenL2Slots;
    this.isGrantPte = options.isGrantPte;
    this.grantPteLost = options.grantPteLost;
    frames.setTypeOps(this);
  }

  private owner(mfn: Mfn): DomId {
    return this.frames.owner[mfn]! as DomId;
  }

  // ── TypeOps ────────────────────────────────────────────────────────────

  validate(mfn: Mfn, typeInfo: number): number {
    switch (baseType(typeInfo)) {
      case PGT.L1:
        return this.allocL1Table(mfn);
      case PGT.L2:
        return this.allocL2Table(mfn, typeInfo);
      case PGT.L3:
        return this.allocL3Table(mfn);
      case PGT.SEG_DESC:
        return this.validateSegDesc(mfn);
      default:
        return -ERRNO.EINVAL;
    }
  }

  devalidate(mfn: Mfn, typeInfo: number): void {
    switch (baseType(typeInfo)) {
      case PGT.L1:
        return this.freeL1Table(mfn, PAGE.ENTRIES);
      case PGT.L2:
        return this.freeL2Table(mfn, typeInfo, PAGE.ENTRIES);
      case PGT.L3:
        return this.freeL3Table(mfn, PAGE.L3_ENTRIES_USED, true);
    }
  }

  // ── whole tables ───────────────────────────────────────────────────────

  /** Validate every present entry of the L1 `mfn` (§5.3): 0 or the first failing entry's errno. */
  allocL1Table(mfn: Mfn): number {
    const d = this.owner(mfn);
    for (let i = 0; i < PAGE.ENTRIES; i++) {
      const lo = readLo(this.mem, mfn, i);
      if (!isPresent(lo)) continue;
      this.entriesValidated++;
      const rc = getPageFromL1e(this, lo, readHi(this.mem, mfn, i), d, d);
      if (rc !== 0) {
        this.freeL1Table(mfn, i);
        return rc;
      }
    }
    return 0;
  }

  private freeL1Table(mfn: Mfn, end: number): void {
    for (let i = 0; i < end; i++) {
      if (this.isGrantPte?.(mfn, i) === true) this.grantPteLost?.(mfn, i);
      putPageFromL1e(this, readLo(this.mem, mfn, i), readHi(this.mem, mfn, i));
    }
  }

  /** Validate the guest slots of the L2 `mfn` (§5.4); a slot-3 L2 then gets the hypervisor's slots. */
  allocL2Table(mfn: Mfn, typeInfo: number): number {
    const d = this.owner(mfn);
    for (let i = 0; i < PAGE.ENTRIES; i++) {
      if (!isGuestL2Slot(typeInfo, i)) continue;
      const lo = readLo(this.mem, mfn, i);
      if (!isPresent(lo)) continue;
      this.entriesValidated++;
      const rc = getPageFromL2e(this, lo, readHi(this.mem, mfn, i), mfn, d);
      if (rc !== 0) {
        this.freeL2Table(mfn, typeInfo, i);
        return rc;
      }
    }
    if ((typeInfo & PGT_PAE_XEN_L2) !== 0) this.initXenL2Slots(this.mem, mfn);
    return 0;
  }

  private freeL2Table(mfn: Mfn, typeInfo: number, end: number): void {
    for (let i = 0; i < end; i++) {
      if (isGuestL2Slot(typeInfo, i)) putPageFromL2e(this, readLo(this.mem, mfn, i), readHi(this.mem, mfn, i), mfn);
    }
  }

  /**
   * Validate the L3 `mfn` (§5.5): slots 0–2 absent or
   * L2s; slot 3 present, allowed flags, an L2 taking type L2|PAE_XEN_L2 and
   * referenced only from here. On success entries 4–511 are zeroed and
   * present entries are stored with RW|US.
   */
  allocL3Table(mfn: Mfn): number {
    const d = this.owner(mfn);
    if (mfn >= PAE_L3_MFN_LIMIT && this.policy.l3Below4GRequired(d)) return -ERRNO.ERANGE;
    for (let i = 0; i < PAGE.L3_ENTRIES_USED; i++) {
      const lo = readLo(this.mem, mfn, i);
      const hi = readHi(this.mem, mfn, i);
      let rc: number;
      if (i === SLOTS.L3_HYPERVISOR_SLOT) {
        this.entriesValidated++;
        rc = this.getSlot3L2(lo, hi, d);
      } else if (!isPresent(lo)) {
        continue;
      } else {
        this.entriesValidated++;
        rc = getPageFromL3e(this, lo, hi, d);
      }
      if (rc !== 0) {
        this.freeL3Table(mfn, i, false);
        return rc;
      }
    }
    // Xen zeroes before validating; after success is the same for a guest
    // and keeps a refused L3 unchanged.
    for (let i = PAGE.L3_ENTRIES_USED; i < PAGE.ENTRIES; i++) writeEntry(this.mem, mfn, i, 0, 0);
    for (let i = 0; i < PAGE.L3_ENTRIES_USED; i++) {
      const lo = readLo(this.mem, mfn, i);
      if (isPresent(lo)) writeEntry(this.mem, mfn, i, lo | PTE_DISALLOW.L3_FORCED_LO, readHi(this.mem, mfn, i));
    }
    return 0;
  }

  /** Slot 3 of an L3 (§5.5; Xen promote_l3_table + pae_xen_mappings_check). */
  private getSlot3L2(lo: number, hi: number, d: DomId): number {
    if (!isPresent(lo) || !l3FlagsAllowed(lo, hi)) return -ERRNO.EINVAL;
    const l2 = entryMfn(lo, hi);
    const rc = this.frames.getPageAndType(l2, d, PGT.L2 | PGT_PAE_XEN_L2);
    if (rc !== 0) return rc;
    if (this.frames.typeCount[l2] !== 1) {
      this.frames.putPageAndType(l2);
      return -ERRNO.EINVAL;
    }
    return 0;
  }

  /** Drop the references of slots 0…end−1; de-validation also strips RW|US|A (Xen unadjust_guest_l3e). */
  private freeL3Table(mfn: Mfn, end: number, unadjust: boolean): void {
    for (let i = 0; i < end; i++) {
      const lo = readLo(this.mem, mfn, i);
      const hi = readHi(this.mem, mfn, i);
      putPageFromL3e(this, lo, hi);
      if (unadjust && isPresent(lo)) writeEntry(this.mem, mfn, i, lo & ~(PTE.RW | PTE.USER | PTE.ACCESSED), hi);
    }
  }

  // ── one entry (mmu_update, update_va_mapping, §4.2, §4.13) ────────────

  /**
   * Replace entry `slot` of the validated L1 `l1` by (lo, hi); new mappings
   * are of frames owned by `pgOwner` (FD; default the table's owner).
   * 0 or −errno (§5.3), nothing changed on failure.
   */
  modL1Entry(l1: Mfn, slot: number, lo: number, hi = 0, pgOwner?: DomId): number {
    if (!this.frames.isTable(l1, PGT.L1) || !validSlot(slot)) return -ERRNO.EINVAL;
    if (this.isGrantPte?.(l1, slot) === true) return -ERRNO.EINVAL;
    const d = this.owner(l1);
    const oldLo = readLo(this.mem, l1, slot);
    const oldHi = readHi(this.mem, l1, slot);
    if (isPresent(lo)) {
      this.entriesValidated++;
      const rc = getPageFromL1e(this, lo, hi, d, pgOwner ?? d);
      if (rc !== 0) return rc;
    }
    writeEntry(this.mem, l1, slot, lo, hi);
    putPageFromL1e(this, oldLo, oldHi);
    return 0;
  }

  /** Replace entry `slot` of the validated L2 `l2` (§5.4): −EPERM in the hypervisor's slots. */
  modL2Entry(l2: Mfn, slot: number, lo: number, hi = 0): number {
    if (!this.frames.isTable(l2, PGT.L2) || !validSlot(slot)) return -ERRNO.EINVAL;
    if (!isGuestL2Slot(this.frames.typeInfo[l2]!, slot)) return -ERRNO.EPERM;
    const oldLo = readLo(this.mem, l2, slot);
    const oldHi = readHi(this.mem, l2, slot);
    if (isPresent(lo)) {
      this.entriesValidated++;
      const rc = getPageFromL2e(this, lo, hi, l2, this.owner(l2));
      if (rc !== 0) return rc;
    }
    writeEntry(this.mem, l2, slot, lo, hi);
    putPageFromL2e(this, oldLo, oldHi, l2);
    return 0;
  }

  /** Replace entry `slot` of the validated L3 `l3` (§5.5): slots 0–2 only, present entries get RW|US. */
  modL3Entry(l3: Mfn, slot: number, lo: number, hi = 0): number {
    if (!this.frames.isTable(l3, PGT.L3) || !validSlot(slot)) return -ERRNO.EINVAL;
    if (slot >= SLOTS.L3_GUEST_UPDATABLE) return -ERRNO.EINVAL;
    const oldLo = readLo(this.mem, l3, slot);
    const oldHi = readHi(this.mem, l3, slot);
    let newLo = lo >>> 0;
    if (isPresent(lo)) {
      this.entriesValidated++;
      const rc = getPageFromL3e(this, lo, hi, this.owner(l3));
      if (rc !== 0) return rc;
      newLo = (lo | PTE_DISALLOW.L3_FORCED_LO) >>> 0;
    }
    writeEntry(this.mem, l3, slot, newLo, hi);
    putPageFromL3e(this, oldLo, oldHi);
    return 0;
  }
}

const validSlot = (slot: number): boolean => Number.isInteger(slot) && slot >= 0 && slot < PAGE.ENTRIES;
