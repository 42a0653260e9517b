/**
 * The grant_table_op hypercall for a 32-bit PV domain (docs/xen-pv32-abi.md
 * §4.18; Xen xen/common/compat/grant_table.c compat_grant_table_op,
 * xen/common/grant_table.c do_grant_table_op, gnttab_setup_table,
 * gnttab_query_size, gnttab_set_version, gnttab_get_version,
 * gnttab_get_status_frames, gnttab_map_grant_ref, gnttab_unmap_grant_ref).
 *
 *   grant_table_op(cmd, uop, count): `count` structures at `uop`
 *
 *   cmd                  count   per-op result            return
 *   0 map_grant_ref      any     status/handle/dev_bus_addr  0; −EFAULT on a bad struct
 *   1 unmap_grant_ref    any     status                    0; −EFAULT
 *   2 setup_table        0 or 1  status, frame_list[]      0; −EINVAL count > 1; −EFAULT
 *   6 query_size         1       nr_frames, max, status    0; −EINVAL count ≠ 1; −EFAULT
 *   8 set_version        —       version (the one in force)  0 / −EINVAL / −ENOSYS (v2) / −EBUSY
 *   9 get_status_frames  0 or 1  status (v1: none exist)   0; −EINVAL; −EFAULT
 *   10 get_version       —       version                   0 / −ESRCH / −EPERM / −EFAULT
 *   3 dump_table, 12 cache_flush (x86 has neither), unknown: −ENOSYS
 *   4 transfer, 5 copy, 7 unmap_and_replace, 11 swap_grant_ref: −ENOSYS in
 *     tsxen (not implemented; §12.10 lists them as interface-only)
 *
 * Common rules: (int)count < 0 is −EINVAL; bits 12 and up of `cmd` (Xen's
 * continuation argument) are −EINVAL; a struct that cannot be read stops
 * the batch with −EFAULT, the operations before it done. Unmaps are
 * completed (references dropped) only after the caller's TLB flush.
 * Permissions (xsm dummy, XSM_TARGET): setup_table, query_size,
 * get_version and get_status_frames on another domain need privilege.
 */
import { ERRNO } from "../../abi/errno.js";
import {
  GNTST,
  gnttabGetStatusFrames,
  gnttabGetVersion,
  gnttabMapGrantRef,
  gnttabQuerySize,
  gnttabSetupTable,
  gnttabSetVersion,
  gnttabUnmapGrantRef,
} from "../../abi/grant-tables.js";
import { DOMID, GNTTABOP } from "../../abi/hypercalls.js";
import { sizeOf, type Compound } from "../../abi/layout.js";
import { xen_pfn_t } from "../../abi/structs.js";
import type { Vaddr } from "../../lib/brand.js";
import { completeUnmap, mapGrantRef, unmapGrantRef, type GrantMapper, type UnmapDone } from "./grant-map.js";
import type { GrantTable } from "./grant-table.js";
import { u32Bytes, type GuestCopy } from "./guest-copy.js";
import { GuestStruct, compatArrayOk } from "./guest-struct.js";

export interface GrantOpDomain extends GrantMapper {
  /** Control domain (XSM_TARGET on other domains). */
  readonly privileged: boolean;
  /** The caller's guest memory. */
  readonly guest: GuestCopy;
  /** gnttab_flush_tlb: flush the caller's TLBs (after unmaps, before their references go). */
  flushTlb(): void;
}

/** GNTTABOP_CONTINUATION_ARG_SHIFT: cmd bits 11:0 are the command. */
const CMD_MASK = 0xfff;
/** gnttab_unmap_grant_ref: TLB flush and completion every 32 unmaps. */
const UNMAP_BATCH = 32;
/** compat setup_table: frames fit in the translation area, (2 pages − 24) / 8. */
const COMPAT_SETUP_LIMIT = Math.floor((2 * 4096 - 24) / 8);

const efault = -ERRNO.EFAULT;
const einval = -ERRNO.EINVAL;

const at = (uop: Vaddr, type: Compound, i: number): Vaddr => ((uop + i * type.size) >>> 0) as Vaddr;

/** rcu_lock_domain_by_any_id for grant tables. */
const anyTable = (d: GrantOpDomain, domid: number): GrantTable | undefined =>
  domid === DOMID.SELF ? d.grants : domid >= DOMID.FIRST_RESERVED ? undefined : d.grantTableOf(domid);
const mayTarget = (d: GrantOpDomain, gt: GrantTable): boolean => gt === d.grants || d.privileged;

/** HYPERVISOR_grant_table_op(cmd, uop, count) for the calling domain `d`. */
export function grantTableOp(d: GrantOpDomain, cmd: number, uop: Vaddr, count: number): number {
  cmd >>>= 0;
  count >>>= 0;
  if ((count | 0) < 0) return einval;
  if ((cmd & ~CMD_MASK) !== 0) return einval;
  switch (cmd) {
    case GNTTABOP.map_grant_ref:
      return mapBatch(d, uop, count);
    case GNTTABOP.unmap_grant_ref:
      return unmapBatch(d, uop, count);
    case GNTTABOP.setup_table:
      return count === 0 ? 0 : count > 1 ? einval : setupTable(d, uop);
    case GNTTABOP.query_size:
      return count !== 1 ? einval : querySize(d, uop);
    case GNTTABOP.set_version:
      return setVersion(d, uop);
    case GNTTABOP.get_status_frames:
      return count === 0 ? 0 : count > 1 ? einval : getStatusFrames(d, uop);
    case GNTTABOP.get_version:
      return getVersion(d, uop);
    default:
      return -ERRNO.ENOSYS;
  }
}

function mapBatch(d: GrantOpDomain, uop: Vaddr, count: number): number {
  for (let i = 0; i < count; i++) {
    const s = GuestStruct.load(d.guest, at(uop, gnttabMapGrantRef, i), gnttabMapGrantRef);
    if (s === undefined) return efault;
    const op = {
      hostAddr: s.u64("host_addr"),
      flags: s.u32("flags"),
      ref: s.u32("ref"),
      dom: s.u16("dom"),
      status: 0,
      handle: s.u32("handle"),
      devBusAddr: s.u64("dev_bus_addr"),
    };
    mapGrantRef(d, op);
    s.setI16("status", op.status);
    s.setU32("handle", op.handle);
    s.setU64("dev_bus_addr", op.devBusAddr);
    // The mapping stays even if it cannot be reported (as Xen).
    if (!s.store(d.guest, at(uop, gnttabMapGrantRef, i))) return efault;
  }
  return 0;
}

function unmapBatch(d: GrantOpDomain, uop: Vaddr, count: number): number {
  let pending: UnmapDone[] = [];
  const complete = (): void => {
    d.flushTlb();
    for (const u of pending) completeUnmap(d, u);
    pending = [];
  };
  for (let i = 0; i < count; i++) {
    const va = at(uop, gnttabUnmapGrantRef, i);
    const s = GuestStruct.load(d.guest, va, gnttabUnmapGrantRef);
    if (s === undefined) {
      complete();
      return efault;
    }
    const op = { hostAddr: s.u64("host_addr"), devBusAddr: s.u64("dev_bus_addr"), handle: s.u32("handle"), status: 0 };
    const done = unmapGrantRef(d, op);
    if (done !== undefined) pending.push(done);
    s.setI16("status", op.status);
    if (!s.storeField(d.guest, va, "status")) {
      complete();
      return efault;
    }
    if ((i + 1) % UNMAP_BATCH === 0 || i + 1 === count) complete();
  }
  return 0;
}

/** gnttab_setup_table through the compat layer: the status, then the frames as u32, then the struct back. */
function setupTable(d: GrantOpDomain, uop: Vaddr): number {
  const s = GuestStruct.load(d.guest, uop, gnttabSetupTable);
  if (s === undefined) return efault;
  const nr = s.u32("nr_frames");
  const list = s.u32("frame_list");
  if (!compatArrayOk(list, nr, sizeOf(xen_pfn_t))) return efault;
  const gt = anyTable(d, s.u16("dom"));
  let status: number = GNTST.okay;
  if (gt === undefined) status = GNTST.bad_domain;
  else if (!mayTarget(d, gt)) status = GNTST.permission_denied;
  else if (nr > gt.maxFrames || nr > COMPAT_SETUP_LIMIT) status = GNTST.general_error;
  else if (nr > gt.nrFrames && gt.grow(nr) !== 0) status = GNTST.general_error;
  if (gt !== undefined && status === GNTST.okay) {
    for (let i = 0; i < nr; i++) {
      if (!d.guest.copyToGuest(((list + 4 * i) >>> 0) as Vaddr, u32Bytes(gt.frameMfn(i)))) {
        status = GNTST.bad_virt_addr;
        break;
      }
    }
  }
  s.setI16("status", status);
  return s.store(d.guest, uop) ? 0 : efault;
}

function querySize(d: GrantOpDomain, uop: Vaddr): number {
  const s = GuestStruct.load(d.guest, uop, gnttabQuerySize);
  if (s === undefined) return efault;
  const gt = anyTable(d, s.u16("dom"));
  if (gt === undefined) s.setI16("status", GNTST.bad_domain);
  else if (!mayTarget(d, gt)) s.setI16("status", GNTST.permission_denied);
  else {
    s.setU32("nr_frames", gt.nrFrames);
    s.setU32("max_nr_frames", gt.maxFrames);
    s.setI16("status", GNTST.okay);
  }
  return s.store(d.guest, uop) ? 0 : efault;
}

/** gnttab_set_version: only v1 exists here; the struct always goes back with the version in force. */
function setVersion(d: GrantOpDomain, uop: Vaddr): number {
  const s = GuestStruct.load(d.guest, uop, gnttabSetVersion);
  if (s === undefined) return efault;
  const want = s.u32("version");
  const gt = d.grants;
  let rc = 0;
  if (want !== 1 && want !== 2) rc = einval;
  else if (want === 2 && gt.maxVersion === 1) rc = -ERRNO.ENOSYS; // "Behave as before set_version was introduced."
  // want === version: nothing to change (a v1 ↔ v2 switch would check pinnedFrom(8) → −EBUSY).
  s.setU32("version", gt.version);
  return s.store(d.guest, uop) ? rc : efault;
}

function getStatusFrames(d: GrantOpDomain, uop: Vaddr): number {
  const s = GuestStruct.load(d.guest, uop, gnttabGetStatusFrames);
  if (s === undefined || !compatArrayOk(s.u32("frame_list"), s.u32("nr_frames"), 8)) return efault;
  const gt = anyTable(d, s.u16("dom"));
  let status: number = GNTST.okay;
  if (gt === undefined) status = GNTST.bad_domain;
  else if (!mayTarget(d, gt)) status = GNTST.permission_denied;
  else if (s.u32("nr_frames") > 0) status = GNTST.general_error; // v1 has no status frames
  s.setI16("status", status);
  return s.storeField(d.guest, uop, "status") ? 0 : efault;
}

function getVersion(d: GrantOpDomain, uop: Vaddr): number {
  const s = GuestStruct.load(d.guest, uop, gnttabGetVersion);
  if (s === undefined) return efault;
  const gt = anyTable(d, s.u16("dom"));
  if (gt === undefined) return -ERRNO.ESRCH;
  if (!mayTarget(d, gt)) return -ERRNO.EPERM;
  s.setU32("version", gt.version);
  return s.storeField(d.guest, uop, "version") ? 0 : efault;
}
