/**
 * A domain's grant table, version 1 (docs/xen-pv32-abi.md §4.18, §1.8,
 * §11.4; Xen xen/common/grant_table.c struct grant_table, gnttab_grow_table,
 * active_grant_entry, get/put_maptrack_handle, gnttab_seed_entry).
 *
 * Three pieces of state, as in Xen:
 *
 *   shared frames   hypervisor frames shared read-write with the domain
 *                   (FrameTable.shareWithGuest, M2P INVALID, zeroed); the
 *                   guest writes its grant entries there directly:
 *                     entry ref at frame[ref / 512], byte (ref % 512) · 8
 *                     flags u16 @0 | domid u16 @2 (grantee) | frame u32 @4
 *   active entries  per granted ref in use: the mapper, the frame, and
 *                   `pin`, four 8-bit counts of mappings:
 *                     31…24 device RO | 23…16 device RW | 15…8 host RO | 7…0 host RW
 *   maptrack        the mappings this domain made of other domains' grants
 *                   (and of its own), indexed by the handle the guest gets.
 *
 * Invariants: 1 ≤ nrFrames ≤ maxFrames (INITIAL_NR_GRANT_FRAMES = 1 from
 * creation); an active entry exists iff its pin is non-zero; each live
 * maptrack entry holds, on the granted frame, one general reference per
 * mapping kind (host, device) and one writable type reference per kind
 * unless read-only (map_grant_ref / unmap_common_complete).
 *
 * Only version 1: set_version(2) is −ENOSYS, Xen's answer when the domain's
 * max_version is 1 ("behave as before set_version was introduced").
 */
import { ERRNO } from "../../abi/errno.js";
import { GNTMAP, GNTTAB, grantEntryV1 } from "../../abi/grant-tables.js";
import { offsetOf } from "../../abi/layout.js";
import { M2P } from "../../abi/memory-layout.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import type { FrameTable } from "./frame-table.js";
import { PAGE_SIZE, type MachineMemory } from "./machine-memory.js";

/** Xen's GNTPIN_*: byte-wide mapping counts packed in `pin`. */
export const GNTPIN = {
  HSTW_INC: 1 << 0,
  HSTR_INC: 1 << 8,
  DEVW_INC: 1 << 16,
  DEVR_INC: 1 << 24,
  HSTW_MASK: 0xff << 0,
  HSTR_MASK: 0xff << 8,
  DEVW_MASK: 0xff << 16,
  DEVR_MASK: 0xff000000,
  /** A counter at 128 or more: one more increment risks overflow (GNTPIN_incr2oflow_mask). */
  oflowMask: (incr: number): number => (incr << 7) >>> 0,
} as const;

/** Xen's defaults: INITIAL_NR_GRANT_FRAMES, opt_max_grant_frames, opt_max_maptrack_frames × MAPTRACK_PER_PAGE. */
export const GRANT_LIMITS = {
  INITIAL_FRAMES: 1,
  MAX_FRAMES: GNTTAB.DEFAULT_MAX_FRAMES,
  MAX_MAPTRACK: 1024 * (PAGE_SIZE / 16),
} as const;

const ENTRIES_PER_FRAME = PAGE_SIZE / GNTTAB.ENTRY_V1_SIZE;
/** MAPTRACK_PER_PAGE: 16-byte struct grant_mapping per 4 KiB; MAPTRACK_TAIL ends the free list. */
const MAPTRACK_PER_PAGE = PAGE_SIZE / 16;
const TAIL = -1;
const OFF_FLAGS = offsetOf(grantEntryV1, "flags");
const OFF_DOMID = offsetOf(grantEntryV1, "domid");
const OFF_FRAME = offsetOf(grantEntryV1, "frame");

/** active_grant_entry: a granted ref with mappings. */
export interface ActiveGrant {
  pin: number;
  /** The mapping domain. */
  readonly domid: DomId;
  readonly mfn: Mfn;
}

/** grant_mapping: one mapping this domain holds. `flags` 0 = free handle. */
export interface GrantMapping {
  flags: number;
  readonly ref: number;
  /** The granting domain. */
  readonly domid: DomId;
  readonly mfn: Mfn;
}

const FREE_MAPPING: GrantMapping = Object.freeze({ flags: 0, ref: 0, domid: 0 as DomId, mfn: 0 as Mfn });

/** References held outside page tables, shaped as the invariant checker's ExternalRef. */
export interface HeldRef {
  mfn: Mfn;
  general: number;
  type: number;
}

export interface GrantTableOptions {
  domid: DomId;
  frames: FrameTable;
  mem: MachineMemory;
  /** M2P[mfn] = pfn: grant frames get M2P.INVALID_ENTRY (share_xen_page_with_guest). */
  setM2p(mfn: Mfn, pfn: number): void;
  /** max_grant_frames (default 64). */
  maxFrames?: number;
}

export class GrantTable {
  readonly domid: DomId;
  readonly maxFrames: number;
  /** Highest version the domain may select (max_version). */
  readonly maxVersion = 1;
  version = 1;
  private readonly frameList: Mfn[] = [];
  private readonly active = new Map<number, ActiveGrant>();
  private readonly maptrack: GrantMapping[] = [];
  /** Free-list links (Xen keeps them in the free entries' `ref`). */
  private readonly next: number[] = [];
  private head = TAIL;
  private tail = TAIL;
  private readonly frames: FrameTable;
  private readonly mem: MachineMemory;
  private readonly setM2p: (mfn: Mfn, pfn: number) => void;

  private constructor(opts: GrantTableOptions) {
    this.domid = opts.domid;
    this.frames = opts.frames;
    this.mem = opts.mem;
    this.setM2p = opts.setM2p;
    this.maxFrames = opts.maxFrames ?? GRANT_LIMITS.MAX_FRAMES;
  }

  /** grant_table_init: a table with its initial frame, or −EINVAL (max < 1) / −ENOMEM. */
  static create(opts: GrantTableOptions): GrantTable | number {
    const gt = new GrantTable(opts);
    if (gt.maxFrames < GRANT_LIMITS.INITIAL_FRAMES) return -ERRNO.EINVAL;
    const rc = gt.grow(GRANT_LIMITS.INITIAL_FRAMES);
    return rc === 0 ? gt : rc;
  }

  get nrFrames(): number {
    return this.frameList.length;
  }
  /** nr_grant_entries (v1). */
  get nrEntries(): number {
    return this.frameList.length * ENTRIES_PER_FRAME;
  }
  frameMfn(i: number): Mfn {
    return this.frameList[i]!;
  }

  /** gnttab_grow_table: share zeroed frames up to `n` (≤ maxFrames); 0 or −ENOMEM with nothing added. */
  grow(n: number): number {
    const added: Mfn[] = [];
    while (this.frameList.length + added.length < n) {
      const m = this.frames.allocate(this.domid);
      if (m < 0 || this.frames.free(m as Mfn) !== 0 || this.frames.shareWithGuest(m as Mfn, this.domid) !== 0) {
        for (const f of added) this.release(f);
        return -ERRNO.ENOMEM;
      }
      added.push(m as Mfn);
    }
    for (const f of added) {
      for (let o = 0; o < PAGE_SIZE; o += 4) this.mem.write32(f * PAGE_SIZE + o, 0);
      this.setM2p(f, M2P.INVALID_ENTRY);
      this.frameList.push(f);
    }
    return 0;
  }

  private release(f: Mfn): void {
    this.frames.unshare(f);
    this.frames.free(f);
  }

  /**
   * Grant table teardown (after the domain's page tables): free the frames;
   * −EBUSY, nothing freed, while a grant is mapped, the domain maps one, or
   * a frame holds references besides the share's own.
   */
  destroy(): number {
    if (this.active.size > 0 || this.maptrack.some((m) => m.flags !== 0)) return -ERRNO.EBUSY;
    if (this.frameList.some((f) => this.frames.count[f] !== 1 || this.frames.typeCount[f] !== 1)) return -ERRNO.EBUSY;
    for (const f of this.frameList.splice(0)) this.release(f);
    return 0;
  }

  // ── the shared entries (written by the guest, read here) ──────────────

  private entryAddr(ref: number): number {
    return this.frameList[Math.floor(ref / ENTRIES_PER_FRAME)]! * PAGE_SIZE + (ref % ENTRIES_PER_FRAME) * GNTTAB.ENTRY_V1_SIZE;
  }
  entryFlags(ref: number): number {
    return this.mem.read16(this.entryAddr(ref) + OFF_FLAGS) & 0xffff;
  }
  entryDomid(ref: number): number {
    return this.mem.read16(this.entryAddr(ref) + OFF_DOMID) & 0xffff;
  }
  entryFrame(ref: number): number {
    return this.mem.read32(this.entryAddr(ref) + OFF_FRAME) >>> 0;
  }
  setEntryFlags(ref: number, flags: number): void {
    this.mem.write16(this.entryAddr(ref) + OFF_FLAGS, flags & 0xffff);
  }

  /** gnttab_seed_entry: the toolstack's reserved entries (§1.8), before the domain runs. */
  seedEntry(ref: number, grantee: number, frame: number, flags: number): void {
    const at = this.entryAddr(ref);
    this.mem.write16(at + OFF_DOMID, grantee);
    this.mem.write32(at + OFF_FRAME, frame >>> 0);
    this.mem.write16(at + OFF_FLAGS, flags);
  }

  // ── active entries ────────────────────────────────────────────────────

  activeEntry(ref: number): ActiveGrant | undefined {
    return this.active.get(ref);
  }
  /** Record a first pin (pin 0 → `pin`). */
  activate(ref: number, domid: DomId, mfn: Mfn, pin: number): void {
    this.active.set(ref, { pin, domid, mfn });
  }
  /** Drop `incr` from ref's pin; the entry goes when the pin reaches 0. */
  unpin(ref: number, incr: number): void {
    const act = this.active.get(ref);
    if (act === undefined) return;
    act.pin = (act.pin - incr) >>> 0;
    if (act.pin === 0) this.active.delete(ref);
  }
  /** Any grant at or above `from` in use (set_version's check, reserved entries excepted)? */
  pinnedFrom(from: number): boolean {
    for (const ref of this.active.keys()) if (ref >= from) return true;
    return false;
  }

  // ── maptrack (handles of this domain's mappings) ─────────────────────
  //
  // Xen's free list, for one vCPU: handles come in pages of 256; a page's
  // first handle is used at once, the rest queue at the head; freed handles
  // join the tail; one entry always stays in the list.

  /** get_maptrack_handle: a free handle, or undefined at the maptrack limit (GNTST_no_space). */
  getHandle(): number | undefined {
    if (this.head !== TAIL) {
      const next = this.next[this.head]!;
      if (next !== TAIL) {
        const h = this.head;
        this.head = next;
        return h;
      }
    }
    if (this.maptrack.length >= GRANT_LIMITS.MAX_MAPTRACK) return undefined;
    const base = this.maptrack.length;
    for (let i = 0; i < MAPTRACK_PER_PAGE; i++) {
      this.maptrack.push(FREE_MAPPING);
      this.next.push(base + i + 1);
    }
    if (this.tail === TAIL) this.tail = base + MAPTRACK_PER_PAGE - 1;
    this.next[base + MAPTRACK_PER_PAGE - 1] = this.head;
    this.head = base + 1;
    return base;
  }
  /** maptrack_limit: handles at or above it are bad without a lookup. */
  get maptrackLimit(): number {
    return this.maptrack.length;
  }
  /** The mapping behind a handle below maptrackLimit (flags 0 when free). */
  mapping(handle: number): GrantMapping {
    return this.maptrack[handle]!;
  }
  /** Store a completed mapping in a handle from getHandle. */
  setMapping(handle: number, m: GrantMapping): void {
    this.maptrack[handle] = m;
  }
  /** put_maptrack_handle: back to the tail of the free list. */
  putHandle(handle: number): void {
    this.maptrack[handle] = FREE_MAPPING;
    this.next[handle] = TAIL;
    this.next[this.tail] = handle;
    this.tail = handle;
  }

  /**
   * References this domain's device mappings hold without a page-table
   * entry (GNTMAP_device_map: one general, plus a writable type unless
   * read-only), for pv/invariants.ts's `external`. Host mappings' references
   * are the ones their grant PTEs account for.
   */
  deviceRefs(): HeldRef[] {
    const out: HeldRef[] = [];
    for (const m of this.maptrack) {
      if ((m.flags & GNTMAP.device_map) === 0) continue;
      out.push({ mfn: m.mfn, general: 1, type: (m.flags & GNTMAP.readonly) !== 0 ? 0 : 1 });
    }
    return out;
  }

  /** Live mappings (for the invariant checker: which foreign frames this domain may map). */
  mappings(): readonly GrantMapping[] {
    return this.maptrack.filter((m) => m.flags !== 0);
  }
}
