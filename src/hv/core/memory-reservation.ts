/**
 * The reservation sub-ops of memory_op for a PV (non-translated) domain
 * (docs/xen-pv32-abi.md §4.11, §1.6; Xen xen/common/memory.c
 * increase_reservation, populate_physmap, decrease_reservation,
 * guest_remove_page; xen/common/page_alloc.c assign_pages, free_heap_pages;
 * xen/arch/x86/mm/physmap.c guest_physmap_add_page).
 *
 * An extent is 2^order contiguous, naturally aligned machine frames. For a
 * PV guest a GMFN is an MFN, so:
 *
 *   op               extent list in          extent list out   M2P
 *   increase         —                       MFN (if non-NULL)  INVALID (as freed)
 *   populate_physmap GPFN                    MFN                M2P[mfn+j] = gpfn+j
 *   decrease         GMFN (= MFN)            —                  INVALID on free
 *
 * Each walks extents `start` … nr−1 and stops at the first that fails, and
 * the hypercall returns the number of extents completed (never −errno): the
 * guest sees partial progress as a short count. A frame joins the domain with
 * no references and is zeroed (Xen scrubs freed memory before reuse);
 * tot_pages counts it, and an allocation that would pass max_pages fails
 * (assign_pages).
 *
 * Deviations from Xen, both leaving the frame table exact:
 * - An extent whose MFN cannot be written back to the guest's list is freed
 *   again before stopping (Xen leaves it with the domain, unreported).
 * - decrease_reservation frees only frames nothing references (no mapping,
 *   type, pin or hypervisor share) and otherwise stops there. Xen drops the
 *   allocation reference and frees the frame when the last reference goes;
 *   tsxen's frame table has no allocation reference to defer on.
 */
import { ERRNO } from "../../abi/errno.js";
import { M2P } from "../../abi/memory-layout.js";
import { assert } from "../../lib/assert.js";
import type { DomId, Mfn, Vaddr } from "../../lib/brand.js";
import type { FrameTable } from "./frame-table.js";
import { u32At, u32Bytes, type GuestCopy } from "./guest-copy.js";
import { PAGE_SIZE, type MachineMemory } from "./machine-memory.js";

/** One domain's memory accounting (Xen struct domain: tot_pages, max_pages). */
export interface MemoryReservation {
  readonly domid: DomId;
  /** Frames the domain holds as RAM; hypervisor-shared frames are not counted. */
  totPages: number;
  /** Limit on totPages (libxl: nr_pages + 256, §1.6). */
  maxPages: number;
  /** shared_info.arch.max_pfn as the guest last wrote it (XENMEM_maximum_gpfn). */
  maxPfn(): number;
}

/** The machine the reservation ops work on. */
export interface ReservationMachine {
  readonly frames: FrameTable;
  /** To scrub frames given to a domain. */
  readonly mem: MachineMemory;
  /** The caller's guest memory (the extent list). */
  readonly guest: GuestCopy;
  /** M2P[mfn] = pfn (M2P.INVALID_ENTRY to clear). */
  setM2p(mfn: Mfn, pfn: number): void;
}

/** memop_args after the checks of do_memory_op / construct_memop_from_reservation. */
export interface ReservationArgs {
  readonly target: MemoryReservation;
  /** extent_start: a guest array of u32 (compat xen_pfn_t); 0 is NULL. */
  readonly list: number;
  readonly nrExtents: number;
  readonly order: number;
  /** First extent to process (the continuation bits of `cmd`). */
  readonly start: number;
  /** Highest order the caller may use (max_order(current->domain)). */
  readonly maxOrder: number;
  /** Frames must lie below this MFN (XENMEMF_address_bits); Infinity for none. */
  readonly mfnLimit: number;
  /** An exact-node request for a node this machine lacks: nothing can be allocated. */
  readonly impossibleNode: boolean;
  /** XENMEMF_populate_on_demand (populate_physmap only). */
  readonly populateOnDemand: boolean;
  /** The caller is the target (for the populate-on-demand rule). */
  readonly self: boolean;
}

/** Largest order populate_physmap allows with populate_on_demand (x86 MAX_ORDER = 2·PAGETABLE_ORDER). */
export const POD_MAX_ORDER = 18;
const ENTRY = 4;

const listEntry = (list: number, i: number): Vaddr => ((list + i * ENTRY) >>> 0) as Vaddr;

/** Frames of an extent at `base`: free, inside the machine and below the limit? */
function extentFree(frames: FrameTable, base: number, n: number, limit: number): boolean {
  if (base + n > frames.total || base + n > limit) return false;
  for (let j = 0; j < n; j++) if (!frames.inFreeList((base + j) as Mfn)) return false;
  return true;
}

/**
 * alloc_domheap_pages for `target`: the first MFN of a fresh, zeroed extent
 * counted in tot_pages, or undefined (max_pages reached, no such extent).
 */
export function allocExtent(m: ReservationMachine, target: MemoryReservation, order: number, limit: number): Mfn | undefined {
  const n = 2 ** order;
  if (target.totPages > target.maxPages || n > target.maxPages - target.totPages) return undefined;
  const { frames } = m;
  let base = -1;
  if (n === 1 && limit >= frames.total) {
    const mfn = frames.allocate(target.domid);
    if (mfn < 0) return undefined;
    base = mfn;
  } else {
    for (let b = 0; b + n <= Math.min(frames.total, limit); b += n) {
      if (extentFree(frames, b, n, limit)) {
        base = b;
        break;
      }
    }
    if (base < 0) return undefined;
    for (let j = 0; j < n; j++) frames.assign((base + j) as Mfn, target.domid);
  }
  for (let j = 0; j < n; j++) {
    const at = (base + j) * PAGE_SIZE;
    for (let o = 0; o < PAGE_SIZE; o += 4) m.mem.write32(at + o, 0);
    m.setM2p((base + j) as Mfn, M2P.INVALID_ENTRY);
  }
  target.totPages += n;
  return base as Mfn;
}

/** Give back an extent allocExtent handed out and nothing has referenced yet. */
function undoExtent(m: ReservationMachine, target: MemoryReservation, base: Mfn, order: number): void {
  for (let j = 0; j < 2 ** order; j++) releaseFrame(m, target, (base + j) as Mfn);
}

function releaseFrame(m: ReservationMachine, target: MemoryReservation, mfn: Mfn): void {
  const rc = m.frames.free(mfn);
  assert(rc === 0, `releaseFrame(${mfn}): ${rc}`);
  m.setM2p(mfn, M2P.INVALID_ENTRY); // free_heap_pages: "not a guest frame any more"
  target.totPages--;
}

/** increase_reservation: allocate extents, report their MFNs if the list is non-NULL. Extents done. */
export function increaseReservation(m: ReservationMachine, a: ReservationArgs): number {
  if (a.order > a.maxOrder) return a.start;
  let i = a.start;
  for (; i < a.nrExtents; i++) {
    if (a.impossibleNode) break;
    const mfn = allocExtent(m, a.target, a.order, a.mfnLimit);
    if (mfn === undefined) break;
    if (a.list !== 0 && !m.guest.copyToGuest(listEntry(a.list, i), u32Bytes(mfn))) {
      undoExtent(m, a.target, mfn, a.order);
      break;
    }
  }
  return i;
}

/** populate_physmap (PV): read each GPFN, allocate, set the M2P, write the MFN back. Extents done. */
export function populatePhysmap(m: ReservationMachine, a: ReservationArgs): number {
  if (a.order > (a.populateOnDemand ? POD_MAX_ORDER : a.maxOrder)) return a.start;
  let i = a.start;
  for (; i < a.nrExtents; i++) {
    const raw = m.guest.copyFromGuest(listEntry(a.list, i), ENTRY);
    if (raw === undefined) break;
    const gpfn = u32At(raw, 0);
    if (a.populateOnDemand) {
      // "Disallow populating PoD pages on oneself"; on another PV domain it is a no-op.
      if (a.self) break;
      continue;
    }
    if (a.impossibleNode) break;
    const mfn = allocExtent(m, a.target, a.order, a.mfnLimit);
    if (mfn === undefined) break;
    if (!m.guest.copyToGuest(listEntry(a.list, i), u32Bytes(mfn))) {
      undoExtent(m, a.target, mfn, a.order);
      break;
    }
    for (let j = 0; j < 2 ** a.order; j++) m.setM2p((mfn + j) as Mfn, (gpfn + j) >>> 0);
  }
  return i;
}

/**
 * guest_remove_page for a PV domain: 0, −EINVAL (not a machine frame), −ENXIO
 * (not the domain's), −EBUSY (still referenced: the tsxen deviation above).
 */
export function guestRemovePage(m: ReservationMachine, target: MemoryReservation, gmfn: number): number {
  const { frames } = m;
  if (!frames.isValid(gmfn)) return -ERRNO.EINVAL;
  const mfn = gmfn as Mfn;
  if (frames.inFreeList(mfn) || frames.owner[mfn] !== target.domid) return -ERRNO.ENXIO;
  if (frames.count[mfn] !== 0 || frames.typeCount[mfn] !== 0 || frames.pinned(mfn) || frames.xenShared(mfn)) return -ERRNO.EBUSY;
  releaseFrame(m, target, mfn);
  return 0;
}

/** decrease_reservation: free the frames of each extent (GMFN list). Extents done. */
export function decreaseReservation(m: ReservationMachine, a: ReservationArgs): number {
  if (a.order > a.maxOrder) return a.start;
  let i = a.start;
  for (; i < a.nrExtents; i++) {
    const raw = m.guest.copyFromGuest(listEntry(a.list, i), ENTRY);
    if (raw === undefined) break;
    const gmfn = u32At(raw, 0);
    let ok = true;
    // Frames of the extent already freed stay freed when a later one fails (as Xen).
    for (let j = 0; j < 2 ** a.order && ok; j++) ok = guestRemovePage(m, a.target, gmfn + j) === 0;
    if (!ok) break;
  }
  return i;
}
