/**
 * The memory_op hypercall for a 32-bit PV domain (docs/xen-pv32-abi.md
 * §4.11, §3.3; Xen xen/common/compat/memory.c compat_memory_op,
 * xen/common/memory.c do_memory_op, xen/arch/x86/x86_64/compat/mm.c
 * compat_arch_memory_op). A 32-bit guest reaches Xen's compat layer, whose
 * dispatch this follows:
 *
 *   cmd  = start_extent << 6 | sub-op
 *
 *   sub-op                  arg                      result
 *   0  increase_reservation xen_memory_reservation   extents done (never −errno)
 *   1  decrease_reservation  "                        "
 *   6  populate_physmap      "                        "
 *   2  maximum_ram_page     —                        max_page
 *   3  current_reservation  domid_t                  tot_pages  / −EFAULT −ESRCH −EPERM
 *   4  maximum_reservation  domid_t                  max_pages
 *   14 maximum_gpfn         domid_t                  (max_pfn ?: 1) − 1
 *   7  add_to_physmap       xen_add_to_physmap       −EACCES for PV (after −EFAULT −EDOM −ENOSYS −ESRCH)
 *   15 remove_from_physmap  xen_remove_from_physmap  −EACCES for PV
 *   9  memory_map           xen_memory_map           −ENOSYS (no e820 is ever set)
 *   10 machine_memory_map   xen_memory_map           −EPERM unless privileged
 *   12 machphys_mapping     xen_machphys_mapping     0: {0xF5800000, 0xFFE00000, 0x0297FFFF}
 *   5, 25 machphys_(compat_)mfn_list  xen_machphys_mfn_list  0: MFN of each 2 MiB piece of the M2P
 *   11 exchange             xen_memory_exchange      −ENOSYS (not implemented; §12.10)
 *   else                                             −ENOSYS
 *
 * The start extent: reservation ops resume at it (a start ≥ nr_extents does
 * nothing and returns it); sub-ops that take none refuse one (−EINVAL), and
 * those Xen sends to compat_arch_memory_op compare the whole `cmd`, so a
 * start extent there is −ENOSYS. tsxen finishes every call, so it never
 * produces a continuation itself.
 *
 * Permissions (xsm dummy policy, XSM_TARGET): a domain may act on itself —
 * as DOMID_SELF or by its own id — and a privileged (control) domain on any.
 */
import { ERRNO } from "../../abi/errno.js";
import { DOMID, MEMOP, XENMAPSPACE, XENMEM, XENMEMF } from "../../abi/hypercalls.js";
import {
  xenAddToPhysmap,
  xenMachphysMapping,
  xenMachphysMfnList,
  xenMemoryExchange,
  xenMemoryMap,
  xenMemoryReservation,
  xenRemoveFromPhysmap,
} from "../../abi/hypercall-structs.js";
import { sizeOf } from "../../abi/layout.js";
import { HYPERVISOR, PAGE } from "../../abi/memory-layout.js";
import { domid_t, xen_pfn_t } from "../../abi/structs.js";
import type { Mfn, Vaddr } from "../../lib/brand.js";
import { u32Bytes } from "./guest-copy.js";
import { GuestStruct, compatArrayOk } from "./guest-struct.js";
import {
  decreaseReservation,
  increaseReservation,
  populatePhysmap,
  type MemoryReservation,
  type ReservationArgs,
  type ReservationMachine,
} from "./memory-reservation.js";

export type { MemoryReservation };

/** The caller of memory_op, and the machine it runs on. */
export interface MemoryOpDomain extends MemoryReservation, ReservationMachine {
  /** Control domain: may name other domains, larger extents (xsm dummy, max_order). */
  readonly privileged: boolean;
  /** Highest machine frame number + 1 (Xen's max_page). */
  readonly maxRamPage: number;
  /** The read-only M2P's 4 KiB frames in address order (hypervisor-area.ts). */
  readonly m2pFrames: readonly Mfn[];
  /** Another domain by its id (never DOMID_SELF), or undefined if none. */
  lookup(domid: number): MemoryReservation | undefined;
}

/** max_order(): CONFIG_DOMU_MAX_ORDER (PAGETABLE_ORDER) and, for the control domain, CONFIG_PAGEALLOC_MAX_ORDER (x86 asm/config.h). */
const DOMU_MAX_ORDER = MEMOP.MAX_ORDER;
const CTLDOM_MAX_ORDER = 2 * MEMOP.MAX_ORDER;
/** do_memory_op: "Is size too large for us to encode a continuation?" (UINT_MAX >> MEMOP_EXTENT_SHIFT). */
const MAX_NR_EXTENTS = 0xffffffff >>> MEMOP.EXTENT_SHIFT;
/** XENMEMF_get_node of 0: NUMA_NO_NODE. x86 MAX_NUMNODES (CONFIG_NR_NUMA_NODES). tsxen has node 0 only. */
const NUMA_NO_NODE = 0xff;
const MAX_NUMNODES = 64;
/** add_to_physmap: the start extent must fit xen_add_to_physmap.size (u16) — else −EDOM. */
const XATP_SIZE_MAX = 0xffff;
/** XENMEM_machphys_mfn_list reports one MFN per 2 MiB of the M2P (an L2 superpage in Xen). */
const CHUNK_FRAMES = PAGE.ENTRIES;

const einval = -ERRNO.EINVAL;
const efault = -ERRNO.EFAULT;
const enosys = -ERRNO.ENOSYS;

/** rcu_lock_domain_by_any_id: DOMID_SELF or the caller's own id is the caller. */
function anyDomain(d: MemoryOpDomain, domid: number): MemoryReservation | undefined {
  return domid === DOMID.SELF || domid === d.domid ? d : d.lookup(domid);
}

/** XSM_TARGET under the dummy policy. */
const mayTarget = (d: MemoryOpDomain, t: MemoryReservation): boolean => t === d || d.privileged;

/** HYPERVISOR_memory_op(cmd, arg) for the calling domain `d`. */
export function memoryOp(d: MemoryOpDomain, cmd: number, arg: Vaddr): number {
  cmd >>>= 0;
  const op = cmd & MEMOP.CMD_MASK;
  const start = cmd >>> MEMOP.EXTENT_SHIFT;
  switch (op) {
    case XENMEM.increase_reservation:
    case XENMEM.decrease_reservation:
    case XENMEM.populate_physmap:
      return reservation(d, op, start, arg);
    case XENMEM.exchange:
      return GuestStruct.load(d.guest, arg, xenMemoryExchange) === undefined ? efault : enosys;
    case XENMEM.maximum_ram_page:
      return start !== 0 ? einval : d.maxRamPage;
    case XENMEM.current_reservation:
    case XENMEM.maximum_reservation:
    case XENMEM.maximum_gpfn:
      return start !== 0 ? einval : domainStat(d, op, arg);
    case XENMEM.add_to_physmap:
      return addToPhysmap(d, start, arg);
    case XENMEM.remove_from_physmap: {
      const s = GuestStruct.load(d.guest, arg, xenRemoveFromPhysmap);
      if (s === undefined) return efault;
      if (start !== 0) return einval;
      // PV domains are not translated (xatp_permission_check's rule, here inline in do_memory_op).
      return anyDomain(d, s.u16("domid")) === undefined ? -ERRNO.ESRCH : -ERRNO.EACCES;
    }
  }
  return archMemoryOp(d, cmd, arg);
}

/** compat_memory_op + do_memory_op for increase/decrease/populate: extents done, never −errno. */
function reservation(d: MemoryOpDomain, op: number, start: number, arg: Vaddr): number {
  const r = GuestStruct.load(d.guest, arg, xenMemoryReservation);
  if (r === undefined) return start;
  const list = r.u32("extent_start");
  const nrExtents = r.u32("nr_extents");
  const order = r.u32("extent_order");
  const flags = r.u32("mem_flags");
  if (nrExtents > MAX_NR_EXTENTS) return start;
  if (list !== 0 && !compatArrayOk(list, nrExtents, sizeOf(xen_pfn_t))) return start;
  if (start >= nrExtents) return start;
  const target = anyDomain(d, r.u16("domid"));
  if (target === undefined) return start;
  // construct_memop_from_reservation: address bits, then the node.
  const bits = flags & XENMEMF.address_bits_mask;
  let mfnLimit = Infinity;
  if (bits !== 0 && bits < orderOfPages(d.maxRamPage) + PAGE.SHIFT) {
    if (bits <= PAGE.SHIFT) return start;
    mfnLimit = 2 ** (bits - PAGE.SHIFT);
  }
  let impossibleNode = false;
  if ((flags & XENMEMF.vnode) === 0) {
    // propagate_node: tsxen has no vNUMA, so a vnode request names no node at all.
    const node = ((flags >>> XENMEMF.node_shift) - 1) & 0xff;
    const exact = (flags & XENMEMF.exact_node_request) !== 0;
    if (node !== NUMA_NO_NODE) {
      if (d.privileged) {
        if (node >= MAX_NUMNODES) return start;
        impossibleNode = exact && node !== 0;
      } else if (exact) {
        return start;
      }
    }
  }
  if (!mayTarget(d, target)) return start;
  const args: ReservationArgs = {
    target,
    list,
    nrExtents,
    order,
    start,
    maxOrder: d.privileged ? CTLDOM_MAX_ORDER : DOMU_MAX_ORDER,
    mfnLimit,
    impossibleNode,
    populateOnDemand: op === XENMEM.populate_physmap && (flags & XENMEMF.populate_on_demand) !== 0,
    self: target === d,
  };
  switch (op) {
    case XENMEM.increase_reservation:
      return increaseReservation(d, args);
    case XENMEM.decrease_reservation:
      return decreaseReservation(d, args);
    default:
      return populatePhysmap(d, args);
  }
}

/** get_order_from_pages: the smallest order with 2^order ≥ n. */
function orderOfPages(n: number): number {
  let order = 0;
  while (2 ** order < n) order++;
  return order;
}

/** current_reservation / maximum_reservation / maximum_gpfn (arg: a domid_t). */
function domainStat(d: MemoryOpDomain, op: number, arg: Vaddr): number {
  const raw = d.guest.copyFromGuest(arg, sizeOf(domid_t));
  if (raw === undefined) return efault;
  const target = anyDomain(d, raw[0]! | (raw[1]! << 8));
  if (target === undefined) return -ERRNO.ESRCH;
  if (!mayTarget(d, target)) return -ERRNO.EPERM;
  switch (op) {
    case XENMEM.current_reservation:
      return target.totPages;
    case XENMEM.maximum_reservation:
      return target.maxPages;
    default:
      return (target.maxPfn() || 1) - 1; // domain_get_maximum_gpfn for PV
  }
}

/** add_to_physmap: the checks of compat_memory_op and do_memory_op, then xatp_permission_check (PV: −EACCES). */
function addToPhysmap(d: MemoryOpDomain, start: number, arg: Vaddr): number {
  const s = GuestStruct.load(d.guest, arg, xenAddToPhysmap);
  if (s === undefined) return efault;
  if (start > XATP_SIZE_MAX) return -ERRNO.EDOM;
  if (s.u32("space") === XENMAPSPACE.gmfn_foreign) return enosys; // only via add_to_physmap_batch
  return anyDomain(d, s.u16("domid")) === undefined ? -ERRNO.ESRCH : -ERRNO.EACCES;
}

/** compat_arch_memory_op: matches the whole `cmd`, start extent included. */
function archMemoryOp(d: MemoryOpDomain, cmd: number, arg: Vaddr): number {
  switch (cmd) {
    case XENMEM.memory_map:
      // arch_memory_op: "Backwards compatibility" — no e820 was set for this domain.
      return GuestStruct.load(d.guest, arg, xenMemoryMap) === undefined ? efault : enosys;
    case XENMEM.machine_memory_map:
      if (GuestStruct.load(d.guest, arg, xenMemoryMap) === undefined) return efault;
      return d.privileged ? enosys : -ERRNO.EPERM; // xsm_machine_memory_map (XSM_PRIV)
    case XENMEM.machphys_mapping:
      return machphysMapping(d, arg);
    case XENMEM.machphys_mfn_list:
    case XENMEM.machphys_compat_mfn_list:
      return machphysMfnList(d, arg);
    default:
      return enosys;
  }
}

/** The compat M2P window (§5.6): MACH2PHYS_COMPAT_VIRT_START/END, NR_ENTRIES − 1. */
function machphysMapping(d: MemoryOpDomain, arg: Vaddr): number {
  const s = new GuestStruct(xenMachphysMapping, new Uint8Array(xenMachphysMapping.size));
  s.setU32("v_start", HYPERVISOR.MACH2PHYS_VIRT_START);
  s.setU32("v_end", HYPERVISOR.MACH2PHYS_COMPAT_VIRT_END);
  s.setU32("max_mfn", HYPERVISOR.MACH2PHYS_COMPAT_MAX_MFN);
  return s.store(d.guest, arg) ? 0 : efault;
}

/**
 * One MFN per 2 MiB of the M2P covering max_page entries, at most
 * max_extents, each written to extent_start[i] (a fault: −EFAULT at once);
 * then nr_extents. Xen backs each 2 MiB with a superpage and reports its
 * first MFN; tsxen's M2P is 4 KiB frames, and the first of each 512 is
 * reported (only a privileged guest could map them anyway).
 */
function machphysMfnList(d: MemoryOpDomain, arg: Vaddr): number {
  const s = GuestStruct.load(d.guest, arg, xenMachphysMfnList);
  if (s === undefined) return efault;
  const max = s.u32("max_extents");
  const list = s.u32("extent_start");
  const window = Math.ceil((HYPERVISOR.MACH2PHYS_COMPAT_VIRT_END - HYPERVISOR.MACH2PHYS_VIRT_START) / (CHUNK_FRAMES * PAGE.SIZE));
  const chunks = Math.min(window, Math.ceil((d.maxRamPage * 4) / (CHUNK_FRAMES * PAGE.SIZE)));
  let i = 0;
  let last = 0;
  for (; i !== max && i < chunks; i++) {
    const mfn = d.m2pFrames[i * CHUNK_FRAMES] ?? last;
    if (!compatArrayOk(list + 4 * i, 1, 4) || !d.guest.copyToGuest(((list + 4 * i) >>> 0) as Vaddr, u32Bytes(mfn))) {
      return efault;
    }
    last = mfn;
  }
  s.setU32("nr_extents", i);
  return s.store(d.guest, arg) ? 0 : efault;
}
