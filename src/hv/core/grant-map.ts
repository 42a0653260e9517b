/**
 * GNTTABOP_map_grant_ref and unmap_grant_ref for a PV mapper (docs/xen-pv32-abi.md
 * §4.18; Xen xen/common/grant_table.c map_grant_ref, _set_status_v1,
 * reduce_status_for_pin, unmap_common, unmap_common_complete).
 *
 * Mapping grant `ref` of domain RD into domain LD:
 *
 *   1. flags need host_map and/or device_map            else GNTST_bad_gntref
 *   2. RD exists (a real id: DOMID_SELF is not one)     else bad_domain
 *   3. LD has a free maptrack handle                    else no_space
 *   4. ref < RD's entries                               else bad_gntref
 *   5. an active entry is LD's and its counter < 128    else general_error
 *   6. first pin, or first writable pin: the shared entry must say
 *      permit_access (no sub_page) for LD — checked on the first pin only —
 *      and not readonly for a writable pin; GTF_reading (+ GTF_writing) is
 *      set in it                                       else general_error
 *   7. first pin: the frame must be RD's                else bad_page
 *   8. references on the frame, per mapping kind: one general, and a
 *      writable type unless read-only (a frame typed page table or
 *      descriptor refuses)                              else general_error
 *   9. host_map: the PTE at host_addr (GrantHostPtes)   else its status
 *  Success: handle, dev_bus_addr = frame << 12, okay. Any failure undoes
 *  steps 5–9 and clears the entry's GTF_reading/GTF_writing that no pin
 *  still needs.
 *
 * Unmapping is two-phase like Xen: `unmapGrantRef` removes the PTE and
 * releases the handle; `completeUnmap` drops the frame's references and the
 * pin, and must run after the caller flushed the mapper's TLBs.
 */
import { DOMID } from "../../abi/hypercalls.js";
import { GNTMAP, GNTST, GTF } from "../../abi/grant-tables.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import { PGT, type FrameTable } from "./frame-table.js";
import { GNTPIN, type GrantTable } from "./grant-table.js";
import { PAGE_SIZE } from "./machine-memory.js";

/**
 * The caller's page tables (create_grant_host_mapping /
 * replace_grant_host_mapping, PV flavour; pv/grant-pte.ts implements it).
 * `hostAddr` is a linear address, or with GNTMAP_contains_pte the machine
 * address of the L1 entry. Returns a GNTST code.
 */
export interface GrantHostPtes {
  /** Install a PTE for `mfn` as `flags` ask, dropping the old entry; takes no frame references (the grant holds them). */
  create(hostAddr: bigint, flags: number, mfn: Mfn): number;
  /** Clear the grant PTE at hostAddr if it maps `mfn` with the present/RW bits `flags` imply. */
  destroy(hostAddr: bigint, flags: number, mfn: Mfn): number;
}

/** The mapping domain LD, as map/unmap see it. */
export interface GrantMapper {
  readonly domid: DomId;
  readonly frames: FrameTable;
  readonly grants: GrantTable;
  readonly ptes: GrantHostPtes;
  /** rcu_lock_domain_by_id: the grant table of domain `domid` (LD's own for its own id), or undefined. */
  grantTableOf(domid: number): GrantTable | undefined;
  /** domain_crash(LD) (an unmap of a grant whose granter is gone). */
  crash(reason: string): void;
}

export interface MapGrantOp {
  readonly hostAddr: bigint;
  readonly flags: number;
  readonly ref: number;
  readonly dom: number;
  status: number;
  handle: number;
  devBusAddr: bigint;
}

export interface UnmapGrantOp {
  readonly hostAddr: bigint;
  readonly devBusAddr: bigint;
  readonly handle: number;
  status: number;
}

/** What unmap_common did, for unmap_common_complete. */
export interface UnmapDone {
  readonly rgt: GrantTable;
  readonly ref: number;
  readonly mfn: Mfn;
  /** GNTMAP_host_map / device_map undone, | GNTMAP_readonly if the mapping was. */
  readonly done: number;
}

const WRITE_PINS = GNTPIN.HSTW_MASK | GNTPIN.DEVW_MASK;

/** _set_status_v1: validate the shared entry for LD and mark it in use. */
function setStatus(rgt: GrantTable, ref: number, pinned: boolean, readonly: boolean, ld: DomId): number {
  const flags = rgt.entryFlags(ref);
  if (!pinned && ((flags & (GTF.type_mask | GTF.sub_page)) !== GTF.permit_access || rgt.entryDomid(ref) !== ld)) {
    return GNTST.general_error;
  }
  let next = flags | GTF.reading;
  if (!readonly) {
    if ((flags & GTF.readonly) !== 0) return GNTST.general_error;
    next |= GTF.writing;
  }
  rgt.setEntryFlags(ref, next);
  return GNTST.okay;
}

/** reduce_status_for_pin: clear GTF_reading / GTF_writing no pin needs any more. */
function reduceStatus(rgt: GrantTable, ref: number, readonly: boolean): void {
  const pin = rgt.activeEntry(ref)?.pin ?? 0;
  let clear = pin === 0 ? GTF.reading : 0;
  if (!readonly && (pin & WRITE_PINS) === 0) clear |= GTF.writing;
  if (clear !== 0) rgt.setEntryFlags(ref, rgt.entryFlags(ref) & ~clear);
}

/** map_grant_ref: fills op.status (and on success op.handle, op.devBusAddr). */
export function mapGrantRef(ld: GrantMapper, op: MapGrantOp): void {
  const ro = (op.flags & GNTMAP.readonly) !== 0;
  const device = (op.flags & GNTMAP.device_map) !== 0;
  const host = (op.flags & GNTMAP.host_map) !== 0;
  let pinIncr = 0;
  if (device) pinIncr += ro ? GNTPIN.DEVR_INC : GNTPIN.DEVW_INC;
  if (host) pinIncr += ro ? GNTPIN.HSTR_INC : GNTPIN.HSTW_INC;
  if (pinIncr === 0) {
    op.status = GNTST.bad_gntref;
    return;
  }
  const rgt = op.dom >= DOMID.FIRST_RESERVED ? undefined : ld.grantTableOf(op.dom);
  if (rgt === undefined) {
    op.status = GNTST.bad_domain;
    return;
  }
  const lgt = ld.grants;
  const handle = lgt.getHandle();
  if (handle === undefined) {
    op.status = GNTST.no_space;
    return;
  }
  const fail = (status: number): void => {
    op.status = status;
    lgt.putHandle(handle);
  };
  const ref = op.ref >>> 0;
  if (ref >= rgt.nrEntries) return fail(GNTST.bad_gntref);
  const act = rgt.activeEntry(ref);
  if (act !== undefined && (act.domid !== ld.domid || (act.pin & GNTPIN.oflowMask(pinIncr)) !== 0)) {
    return fail(GNTST.general_error);
  }

  const frames = ld.frames;
  let refs = 0;
  if (act === undefined || (!ro && (act.pin & WRITE_PINS) === 0)) {
    const rc = setStatus(rgt, ref, act !== undefined, ro, ld.domid);
    if (rc !== GNTST.okay) return fail(rc);
    if (act === undefined) {
      // get_paged_frame: for a PV granter the entry's frame is an MFN it must own.
      const frame = rgt.entryFrame(ref);
      if (frames.getPage(frame as Mfn, rgt.domid) !== 0) {
        reduceStatus(rgt, ref, ro);
        return fail(GNTST.bad_page);
      }
      refs = 1;
      rgt.activate(ref, ld.domid, frame as Mfn, 0);
    }
  }
  const active = rgt.activeEntry(ref)!;
  active.pin = (active.pin + pinIncr) >>> 0;
  const mfn = active.mfn;

  let types = 0;
  const undo = (status: number): void => {
    for (; types > 0; types--) frames.putPageType(mfn);
    for (; refs > 0; refs--) frames.putPage(mfn);
    rgt.unpin(ref, pinIncr);
    reduceStatus(rgt, ref, ro);
    fail(status);
  };
  // page_get_owner_and_reference, then the owner must still be RD.
  if (refs === 0) {
    if (frames.getPage(mfn, rgt.domid) !== 0) return undo(GNTST.general_error);
    refs = 1;
  }
  if (device && !ro) {
    if (frames.getPageType(mfn, PGT.WRITABLE) !== 0) return undo(GNTST.general_error);
    types++;
  }
  if (host) {
    if (device) {
      if (frames.getPage(mfn, rgt.domid) !== 0) return undo(GNTST.general_error);
      refs++;
    }
    if (!ro) {
      if (frames.getPageType(mfn, PGT.WRITABLE) !== 0) return undo(GNTST.general_error);
      types++;
    }
    const rc = ld.ptes.create(op.hostAddr, op.flags, mfn);
    if (rc !== GNTST.okay) return undo(rc);
  }
  lgt.setMapping(handle, { flags: op.flags, ref, domid: rgt.domid, mfn });
  op.devBusAddr = BigInt(mfn) * BigInt(PAGE_SIZE);
  op.handle = handle;
  op.status = GNTST.okay;
}

/** unmap_common: fills op.status; the references go in completeUnmap. */
export function unmapGrantRef(ld: GrantMapper, op: UnmapGrantOp): UnmapDone | undefined {
  const lgt = ld.grants;
  const handle = op.handle >>> 0;
  if (handle >= lgt.maptrackLimit || lgt.mapping(handle).flags === 0) {
    op.status = GNTST.bad_handle;
    return undefined;
  }
  const map = lgt.mapping(handle);
  const rgt = ld.grantTableOf(map.domid);
  if (rgt === undefined) {
    ld.crash(`grant unmap: granting domain ${map.domid} is gone`); // "naughty..."
    op.status = GNTST.general_error;
    return undefined;
  }
  if (map.ref >= rgt.nrEntries) {
    op.status = GNTST.bad_handle;
    return undefined;
  }
  const flags = map.flags;
  if (op.devBusAddr !== 0n && (flags & GNTMAP.device_map) !== 0 && op.devBusAddr !== BigInt(map.mfn) * BigInt(PAGE_SIZE)) {
    op.status = GNTST.bad_dev_addr;
    return undefined;
  }
  let done = 0;
  if (op.hostAddr !== 0n && (flags & GNTMAP.host_map) !== 0) {
    const rc = ld.ptes.destroy(op.hostAddr, flags, map.mfn);
    if (rc !== GNTST.okay) {
      op.status = rc;
      return undefined;
    }
    map.flags &= ~GNTMAP.host_map;
    done |= GNTMAP.host_map | (flags & GNTMAP.readonly);
  }
  if (op.devBusAddr !== 0n && (flags & GNTMAP.device_map) !== 0) {
    map.flags &= ~GNTMAP.device_map;
    done |= GNTMAP.device_map | (flags & GNTMAP.readonly);
  }
  const result = done === 0 ? undefined : { rgt, ref: map.ref, mfn: map.mfn, done };
  if ((map.flags & (GNTMAP.device_map | GNTMAP.host_map)) === 0) lgt.putHandle(handle);
  op.status = GNTST.okay;
  return result;
}

/** unmap_common_complete: drop what the undone mapping kinds held, unpin, fix the entry's status bits. */
export function completeUnmap(ld: GrantMapper, u: UnmapDone): void {
  const { frames } = ld;
  const ro = (u.done & GNTMAP.readonly) !== 0;
  if ((u.done & GNTMAP.device_map) !== 0) {
    if (!ro) frames.putPageType(u.mfn);
    frames.putPage(u.mfn);
    u.rgt.unpin(u.ref, ro ? GNTPIN.DEVR_INC : GNTPIN.DEVW_INC);
  }
  if ((u.done & GNTMAP.host_map) !== 0) {
    if (!ro) frames.putPageType(u.mfn);
    frames.putPage(u.mfn);
    u.rgt.unpin(u.ref, ro ? GNTPIN.HSTR_INC : GNTPIN.HSTW_INC);
  }
  reduceStatus(u.rgt, u.ref, ro);
}
