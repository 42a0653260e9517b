/**
 * The frame table: one record per machine frame (docs/xen-pv32-abi.md §5.2;
 * Xen xen/arch/x86/mm.c, the essay "A description of the x86 page table API",
 * get_page / put_page, _get_page_type / _put_page_type).
 *
 * Stored as parallel typed arrays indexed by MFN (STYLE §11), no per-frame
 * objects:
 *
 *   owner[mfn]     u16  domid; DOMID_XEN for the hypervisor's frames;
 *                       OWNER_FREE while the frame is in the allocator
 *   count[mfn]     u32  general references (mappings, pins, CR3s, ...)
 *   typeInfo[mfn]  u8   ┌───┬──────────┬──────────┐
 *                       │ 7…5 unused │ 3 PAE_XEN_L2 │ 2…0 PGT.* │
 *                       └───┴──────────┴──────────┘
 *   typeCount[mfn] u32  references to the type
 *   flags[mfn]     u8   VALIDATED | PINNED | XEN_SHARED
 *   linear[mfn]    i32  linear page tables (§5.7): > 0 = linear entries this
 *                       L2 holds, < 0 = linear entries pointing at it
 *
 * Invariants (checked by pv/invariants.ts):
 * - A frame's type changes only when its type count is 0 (§5.2 rule 1).
 * - The first type reference of a page-table or descriptor type validates the
 *   frame through `TypeOps.validate`; failure leaves the frame untyped, count 0.
 * - A page-table type (L1/L2/L3) whose count drops to 0 is de-validated
 *   through `TypeOps.devalidate`, which drops the references its entries
 *   hold, and the frame becomes untyped (Xen leaves the stale type in place,
 *   unvalidated; the two are indistinguishable to a guest). Writable and
 *   descriptor types stay, validated, at count 0, as in Xen; a later change
 *   of type re-validates.
 * - A type reference is only taken by a holder of a general reference.
 * - A pinned frame holds one general and one type reference for the pin.
 * - A frame is free iff it is in the free list; a free frame has no
 *   references, no type and no flags.
 *
 * Guest-caused failures are negative Xen errnos (STYLE §7); releasing a
 * reference nobody holds is a host bug (InvariantError).
 */
import { DOMID } from "../../abi/hypercalls.js";
import { ERRNO } from "../../abi/errno.js";
import { assert } from "../../lib/assert.js";
import type { DomId, Mfn } from "../../lib/brand.js";

/** Page types (Xen's PGT_*_page_table, PGT_seg_desc_page, PGT_writable_page). */
export const PGT = {
  NONE: 0,
  L1: 1,
  L2: 2,
  L3: 3,
  SEG_DESC: 4,
  WRITABLE: 5,
} as const;

/** Flag on an L2 type: the L2 referenced from L3 slot 3 (Xen's PGT_pae_xen_l2, §5.2, §5.5). */
export const PGT_PAE_XEN_L2 = 0x8;
const PGT_BASE_MASK = 0x7;

/** Type byte without the PAE_XEN_L2 flag. */
export const baseType = (typeInfo: number): number => typeInfo & PGT_BASE_MASK;
export const isPageTableType = (typeInfo: number): boolean => {
  const t = baseType(typeInfo);
  return t === PGT.L1 || t === PGT.L2 || t === PGT.L3;
};

/**
 * DOMID_XEN (Xen's xen.h: 0x7FF2): owner of the hypervisor's own frames.
 * Not (yet) in src/abi's DOMID group; it belongs there.
 */
export const DOMID_XEN = DOMID.XEN as DomId;
/** Owner value of a free frame (no domid_t takes it). */
export const OWNER_FREE = 0xffff;

export const FRAME_FLAG = {
  VALIDATED: 1 << 0,
  PINNED: 1 << 1,
  /** Frame the hypervisor shares with its owner (shared_info, grant frames, §5.2 rule 5). */
  XEN_SHARED: 1 << 2,
} as const;

const COUNT_MAX = 0xffffffff;

/** What the PV layer supplies: validation and de-validation of typed contents. */
export interface TypeOps {
  /** Check every entry of `mfn` for type `typeInfo`, taking their references; 0 or −errno (nothing held on failure). */
  validate(mfn: Mfn, typeInfo: number): number;
  /** Drop every reference the entries of the page-table frame `mfn` hold. */
  devalidate(mfn: Mfn, typeInfo: number): void;
}

const refuseTyping: TypeOps = {
  validate: () => -ERRNO.EINVAL,
  devalidate: () => {},
};

export class FrameTable {
  readonly total: number;
  readonly owner: Uint16Array;
  readonly count: Uint32Array;
  readonly typeInfo: Uint8Array;
  readonly typeCount: Uint32Array;
  readonly flags: Uint8Array;
  readonly linear: Int32Array;
  /** Free list: a stack of MFNs, and each free frame's index in it (−1 when allocated). */
  private readonly freeStack: Int32Array;
  private readonly freePos: Int32Array;
  private freeTop: number;
  private ops: TypeOps = refuseTyping;
  /**
   * TLB coherence (Xen's tlbflush_timestamp): the flush epoch at which each
   * frame last lost a page-table mapping. A frame unmapped since the last
   * full TLB flush may still be reachable, writable, through a stale TLB
   * entry, so before it takes a new type or a new owner `staleTlb` runs
   * (the hypervisor flushes the TLB).
   */
  private readonly unmappedAt: Uint32Array;
  private tlbEpoch = 1;
  staleTlb: () => void = () => {};

  constructor(frames: number) {
    assert(Number.isInteger(frames) && frames > 0 && frames < 0x80000000, `frame count ${frames}`);
    this.total = frames;
    this.owner = new Uint16Array(frames).fill(OWNER_FREE);
    this.count = new Uint32Array(frames);
    this.typeInfo = new Uint8Array(frames);
    this.typeCount = new Uint32Array(frames);
    this.flags = new Uint8Array(frames);
    this.linear = new Int32Array(frames);
    this.freeStack = new Int32Array(frames);
    this.freePos = new Int32Array(frames);
    this.unmappedAt = new Uint32Array(frames);
    // Lowest MFN on top, so allocation hands out ascending frames.
    for (let i = 0; i < frames; i++) {
      const mfn = frames - 1 - i;
      this.freeStack[i] = mfn;
      this.freePos[mfn] = i;
    }
    this.freeTop = frames;
  }

  /** A page-table entry mapping `mfn` went away (the TLB may still hold it until the next flush). */
  noteUnmapped(mfn: Mfn): void {
    this.unmappedAt[mfn] = this.tlbEpoch;
  }

  /** The whole TLB was flushed: no frame unmapped before now is reachable any more. */
  noteTlbFlush(): void {
    this.tlbEpoch = (this.tlbEpoch + 1) >>> 0 || 1;
  }

  private flushIfStale(mfn: Mfn): void {
    if (this.unmappedAt[mfn] === this.tlbEpoch) this.staleTlb();
  }

  /** Install the validator (the PV paging layer, or a shadow-paging one). */
  setTypeOps(ops: TypeOps): void {
    this.ops = ops;
  }

  // ── allocation ──────────────────────────────────────────────────────────

  get freeCount(): number {
    return this.freeTop;
  }

  isValid(mfn: number): boolean {
    return Number.isInteger(mfn) && mfn >= 0 && mfn < this.total;
  }

  inFreeList(mfn: Mfn): boolean {
    return this.freePos[mfn]! >= 0;
  }

  /** Take a free frame for `domid`: its MFN, or −ENOMEM. */
  allocate(domid: DomId): number {
    if (this.freeTop === 0) return -ERRNO.ENOMEM;
    const mfn = this.freeStack[this.freeTop - 1]!;
    this.takeFree(mfn as Mfn, domid);
    return mfn;
  }

  /** Take the particular free frame `mfn` for `domid` (boot-time placement): 0, −EINVAL, −EBUSY. */
  assign(mfn: Mfn, domid: DomId): number {
    if (!this.isValid(mfn)) return -ERRNO.EINVAL;
    if (!this.inFreeList(mfn)) return -ERRNO.EBUSY;
    this.takeFree(mfn, domid);
    return 0;
  }

  /** Return an unreferenced frame to the allocator: 0, −EINVAL (not allocated), −EBUSY (still referenced). */
  free(mfn: Mfn): number {
    if (!this.isValid(mfn) || this.inFreeList(mfn)) return -ERRNO.EINVAL;
    if (this.count[mfn] !== 0 || this.typeCount[mfn] !== 0 || (this.flags[mfn]! & FRAME_FLAG.PINNED) !== 0) {
      return -ERRNO.EBUSY;
    }
    assert(this.linear[mfn] === 0, `frame ${mfn}: linear count without references`);
    this.owner[mfn] = OWNER_FREE;
    this.typeInfo[mfn] = PGT.NONE;
    this.flags[mfn] = 0;
    this.freeStack[this.freeTop] = mfn;
    this.freePos[mfn] = this.freeTop++;
    return 0;
  }

  /**
   * Give `mfn` (free) to `domid` as a hypervisor-shared frame (§5.2 rule 5):
   * a permanent general and "writable" type reference, so the guest may map
   * it read-write and it can never become a page table.
   */
  shareWithGuest(mfn: Mfn, domid: DomId): number {
    const rc = this.assign(mfn, domid);
    if (rc !== 0) return rc;
    this.count[mfn] = 1;
    this.typeInfo[mfn] = PGT.WRITABLE;
    this.typeCount[mfn] = 1;
    this.flags[mfn] = FRAME_FLAG.VALIDATED | FRAME_FLAG.XEN_SHARED;
    return 0;
  }

  /** Drop a shared frame's permanent references (domain teardown), leaving it allocated. */
  unshare(mfn: Mfn): void {
    assert((this.flags[mfn]! & FRAME_FLAG.XEN_SHARED) !== 0, `frame ${mfn} is not hypervisor-shared`);
    this.flags[mfn]! &= ~FRAME_FLAG.XEN_SHARED;
    this.putPageType(mfn);
    this.putPage(mfn);
  }

  private takeFree(mfn: Mfn, domid: DomId): void {
    this.flushIfStale(mfn); // a new owner must not inherit the old one's TLB entries
    const pos = this.freePos[mfn]!;
    const last = this.freeStack[--this.freeTop]!;
    this.freeStack[pos] = last;
    this.freePos[last] = pos;
    this.freePos[mfn] = -1;
    this.owner[mfn] = domid;
    this.count[mfn] = 0;
    this.typeInfo[mfn] = PGT.NONE;
    this.typeCount[mfn] = 0;
    this.flags[mfn] = 0;
    this.linear[mfn] = 0;
  }

  // ── general references ─────────────────────────────────────────────────

  /** A general reference on a frame `domid` owns: 0, or −EINVAL (not RAM, not owned, overflow). */
  getPage(mfn: Mfn, domid: DomId): number {
    if (!this.isValid(mfn) || this.owner[mfn] !== domid || domid === OWNER_FREE) return -ERRNO.EINVAL;
    if (this.count[mfn] === COUNT_MAX) return -ERRNO.EINVAL;
    this.count[mfn]!++;
    return 0;
  }

  putPage(mfn: Mfn): void {
    assert(this.isValid(mfn) && this.count[mfn]! > 0, `putPage(${mfn}): no reference held`);
    this.count[mfn]!--;
  }

  // ── type references ────────────────────────────────────────────────────

  /**
   * A reference to type `typeInfo` (PGT.* | PGT_PAE_XEN_L2) for a caller
   * holding a general reference: 0, −EINVAL (another type in use, overflow),
   * or the validator's error (the frame is then left untyped).
   */
  getPageType(mfn: Mfn, typeInfo: number): number {
    assert(this.isValid(mfn) && this.count[mfn]! > 0, `getPageType(${mfn}) without a general reference`);
    const n = this.typeCount[mfn]!;
    if (n === COUNT_MAX) return -ERRNO.EINVAL;
    if (n > 0) {
      // The type is in use: only the same type (flag included) may be shared,
      // and only once validated (an unvalidated frame in use is being
      // validated further up this call chain: a recursive reference).
      if (this.typeInfo[mfn] !== typeInfo) return -ERRNO.EINVAL;
      if ((this.flags[mfn]! & FRAME_FLAG.VALIDATED) === 0) return -ERRNO.EINVAL;
      this.typeCount[mfn] = n + 1;
      return 0;
    }
    // Type count 0 → 1: the type may change; a change needs re-validation.
    if (this.typeInfo[mfn] !== typeInfo) {
      // an old writable mapping may survive in the TLB: flush before the frame becomes a table
      if (baseType(typeInfo) !== PGT.WRITABLE) this.flushIfStale(mfn);
      this.typeInfo[mfn] = typeInfo;
      this.flags[mfn]! &= ~FRAME_FLAG.VALIDATED;
    }
    this.typeCount[mfn] = 1;
    if ((this.flags[mfn]! & FRAME_FLAG.VALIDATED) !== 0) return 0;
    if (baseType(typeInfo) !== PGT.WRITABLE) {
      const rc = this.ops.validate(mfn, typeInfo);
      if (rc !== 0) {
        assert(rc < 0, `validator returned ${rc}`);
        assert(this.typeCount[mfn] === 1, `frame ${mfn}: type references taken during a failed validation`);
        this.typeInfo[mfn] = PGT.NONE;
        this.typeCount[mfn] = 0;
        return rc;
      }
    }
    this.flags[mfn]! |= FRAME_FLAG.VALIDATED;
    return 0;
  }

  /** Drop a type reference; the last one of a page-table type de-validates the frame. */
  putPageType(mfn: Mfn): void {
    assert(this.isValid(mfn) && this.typeCount[mfn]! > 0, `putPageType(${mfn}): no type reference held`);
    const t = this.typeInfo[mfn]!;
    if (this.typeCount[mfn] === 1 && isPageTableType(t) && (this.flags[mfn]! & FRAME_FLAG.VALIDATED) !== 0) {
      assert((this.flags[mfn]! & FRAME_FLAG.PINNED) === 0, `frame ${mfn}: last type reference of a pinned frame`);
      // Clear first: the frame's own entries must not find it usable while
      // their references are dropped.
      this.flags[mfn]! &= ~FRAME_FLAG.VALIDATED;
      this.ops.devalidate(mfn, t);
      assert(this.typeCount[mfn] === 1, `frame ${mfn}: type count changed during de-validation`);
      this.typeInfo[mfn] = PGT.NONE;
      assert(this.linear[mfn] === 0, `frame ${mfn}: linear count ${this.linear[mfn]} after de-validation`);
    }
    this.typeCount[mfn]!--;
  }

  /** Xen's get_page_and_type: 0, −EINVAL when not owned, or getPageType's error (nothing held then). */
  getPageAndType(mfn: Mfn, domid: DomId, typeInfo: number): number {
    if (this.getPage(mfn, domid) !== 0) return -ERRNO.EINVAL;
    const rc = this.getPageType(mfn, typeInfo);
    if (rc !== 0) this.putPage(mfn);
    return rc;
  }

  putPageAndType(mfn: Mfn): void {
    this.putPageType(mfn);
    this.putPage(mfn);
  }

  // ── pinning (MMUEXT_PIN_Lx_TABLE / UNPIN_TABLE, §4.22, §5.2 rule 4) ────

  /** Pin `mfn` as page-table type `typeInfo`: 0, −EINVAL (not owned, not a page-table type, already pinned) or the validation error. */
  pin(mfn: Mfn, domid: DomId, typeInfo: number): number {
    if (!isPageTableType(typeInfo) || (typeInfo & PGT_PAE_XEN_L2) !== 0) return -ERRNO.EINVAL;
    const rc = this.getPageAndType(mfn, domid, typeInfo);
    if (rc !== 0) return rc;
    if ((this.flags[mfn]! & FRAME_FLAG.PINNED) !== 0) {
      this.putPageAndType(mfn);
      return -ERRNO.EINVAL;
    }
    this.flags[mfn]! |= FRAME_FLAG.PINNED;
    return 0;
  }

  /** Drop the pin's references (the type goes when its last reference goes): 0, or −EINVAL (not owned, not pinned). */
  unpin(mfn: Mfn, domid: DomId): number {
    if (!this.isValid(mfn) || this.owner[mfn] !== domid) return -ERRNO.EINVAL;
    if ((this.flags[mfn]! & FRAME_FLAG.PINNED) === 0) return -ERRNO.EINVAL;
    this.flags[mfn]! &= ~FRAME_FLAG.PINNED;
    this.putPageAndType(mfn);
    return 0;
  }

  // ── accessors ──────────────────────────────────────────────────────────

  ownerOf(mfn: Mfn): number {
    return this.owner[mfn]!;
  }
  validated(mfn: Mfn): boolean {
    return (this.flags[mfn]! & FRAME_FLAG.VALIDATED) !== 0;
  }
  pinned(mfn: Mfn): boolean {
    return (this.flags[mfn]! & FRAME_FLAG.PINNED) !== 0;
  }
  xenShared(mfn: Mfn): boolean {
    return (this.flags[mfn]! & FRAME_FLAG.XEN_SHARED) !== 0;
  }
  /** Is `mfn` a validated table of base type `pgt` (in use)? */
  isTable(mfn: Mfn, pgt: number): boolean {
    return this.isValid(mfn) && baseType(this.typeInfo[mfn]!) === pgt && this.typeCount[mfn]! > 0 && this.validated(mfn);
  }
}
