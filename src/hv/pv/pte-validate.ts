/**
 * One PAE page-table entry at a time: what a present entry may contain and
 * which references it holds (docs/xen-pv32-abi.md §5.3–§5.5, §5.7; Xen
 * xen/arch/x86/mm.c get_page_from_l1e/l2e/l3e, put_page_from_l1e/l2e/l3e,
 * define_get_linear_pagetable).
 *
 *   entry (64 bits, as two u32 halves)
 *   hi: 63 NX | 62 grant | 61…52 software | 51…32 address
 *   lo: 31…12 address | 11…9 AVL | 8 G | 7 PAT/PS | 6 D | 5 A | 4 PCD | 3 PWT | 2 US | 1 RW | 0 P
 *
 * References a present entry holds on its target frame (the domain `d` owns
 * the table):
 *   L1, RW = 0      general                          (frame owned by FD)
 *   L1, RW = 1      general + type "writable"        (−EBUSY if it can't)
 *   L1, I/O frame   none                             (needs I/O permission)
 *   L2 → L1         general + type L1                (validates the L1)
 *   L2 → L2         general + type L2, linear counts (§5.7: RO, validated, one level)
 *   L2 → itself     none                             (§5.7 self map)
 *   L3 slot 0–2     general + type L2
 *   L3 slot 3       general + type L2|PAE_XEN_L2     (page-types.ts, slot-3 rule)
 * Every get* either takes all of its references and returns 0, or takes none
 * and returns −errno. The matching put* drops exactly what get* took.
 */
import { ERRNO } from "../../abi/errno.js";
import { DOMID } from "../../abi/hypercalls.js";
import { PTE, PTE_DISALLOW, PTE_HI } from "../../abi/memory-layout.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import { mfnToPaddr, type MachineMemory } from "../core/machine-memory.js";
import { FrameTable, PGT, baseType } from "../core/frame-table.js";

/** A domain's privileges that change what its entries may hold. */
export interface MmPolicy {
  /** PWT/PCD/PAT allowed in L1 entries (cache-flush / I/O-memory privilege, §5.3). */
  cacheAttrsPermitted(domid: DomId): boolean;
  /** May `domid` map machine frame `mfn`, which is not RAM or is owned by DOMID_IO (§5.3)? */
  iomemPermitted(domid: DomId, mfn: number): boolean;
  /** EFER.NXE as the domain sees it: NX allowed in L1/L2 entries (§5.3, §5.4). */
  nxEnabled(domid: DomId): boolean;
  /** pae_extended_cr3 off and vCPU 0 initialised: an L3 must lie below 4 GiB (§5.5). */
  l3Below4GRequired(domid: DomId): boolean;
}

/** An unprivileged domU on a CPU with NX. */
export const DOMU_POLICY: MmPolicy = {
  cacheAttrsPermitted: () => false,
  iomemPermitted: () => false,
  nxEnabled: () => true,
  l3Below4GRequired: () => false,
};

export interface PteContext {
  readonly mem: MachineMemory;
  readonly frames: FrameTable;
  readonly policy: MmPolicy;
}

const CACHE_ATTRS = PTE.PWT | PTE.PCD | PTE.PAT;
/** Address bits 51:12 all ones: Xen's "INVALID_MFN" in an entry. */
const MFN_ALL_ONES = 2 ** 40 - 1;

// ── entries in memory ─────────────────────────────────────────────────────

export const entryPaddr = (table: Mfn, slot: number): number => mfnToPaddr(table) + slot * 8;
export const readLo = (mem: MachineMemory, table: Mfn, slot: number): number => mem.read32(entryPaddr(table, slot)) >>> 0;
export const readHi = (mem: MachineMemory, table: Mfn, slot: number): number => mem.read32(entryPaddr(table, slot) + 4) >>> 0;

/** Store an entry (high half first: a reader never sees a new P with an old address). */
export function writeEntry(mem: MachineMemory, table: Mfn, slot: number, lo: number, hi: number): void {
  const pa = entryPaddr(table, slot);
  mem.write32(pa, 0);
  mem.write32(pa + 4, hi >>> 0);
  mem.write32(pa, lo >>> 0);
}

export const isPresent = (lo: number): boolean => (lo & PTE.PRESENT) !== 0;
/** Machine frame named by an entry: address bits 51:12. */
export const entryMfn = (lo: number, hi: number): Mfn => ((hi & PTE_HI.ADDR_MASK) * 0x100000 + (lo >>> 12)) as Mfn;

/** Is `mfn` an I/O frame (not RAM, or owned by DOMID_IO)? No references are counted on those. */
export const isIomem = (frames: FrameTable, mfn: Mfn): boolean => !frames.isValid(mfn) || frames.owner[mfn] === DOMID.IO;

// ── L1 (§5.3) ─────────────────────────────────────────────────────────────

/** The flag bits refused in present L1 entries of `d`'s tables: [lo, hi]. */
export function l1Disallow(policy: MmPolicy, d: DomId): [number, number] {
  const lo = policy.cacheAttrsPermitted(d) ? PTE_DISALLOW.L1_LO & ~CACHE_ATTRS : PTE_DISALLOW.L1_LO;
  const hi = policy.nxEnabled(d) ? PTE_DISALLOW.L1_HI : PTE_DISALLOW.L1_HI | PTE_HI.NX;
  return [lo, hi >>> 0];
}

/**
 * References for a present L1 entry in a table of `d` (l1e_owner), mapping
 * frames of `pgOwner` (FD, §4.2): 0 or −EINVAL (flags), −EPERM (I/O frame
 * without permission), −EBUSY (frame not FD's, or it can't be writable),
 * −EACCES (non-WB mapping of a hypervisor-shared frame).
 */
export function getPageFromL1e(ctx: PteContext, lo: number, hi: number, d: DomId, pgOwner: DomId): number {
  const { frames, policy } = ctx;
  const [dlo, dhi] = l1Disallow(policy, d);
  if ((lo & dlo) !== 0 || (hi & dhi) !== 0) return -ERRNO.EINVAL;
  const mfn = entryMfn(lo, hi);
  if (isIomem(frames, mfn)) {
    // DOMID_IO as FD means "with the caller's own privilege".
    const who = pgOwner === DOMID.IO ? d : pgOwner;
    if (!policy.iomemPermitted(who, mfn) || (who !== d && !policy.iomemPermitted(d, mfn))) {
      return mfn === MFN_ALL_ONES ? -ERRNO.EINVAL : -ERRNO.EPERM;
    }
    return 0;
  }
  // The frame must belong to FD (a grant mapping is made by the grant table, not here).
  if (frames.getPage(mfn, pgOwner) !== 0) return -ERRNO.EBUSY;
  const write = (lo & PTE.RW) !== 0;
  if (write && frames.getPageType(mfn, PGT.WRITABLE) !== 0) {
    frames.putPage(mfn);
    return -ERRNO.EBUSY;
  }
  if ((lo & CACHE_ATTRS) !== 0 && frames.xenShared(mfn)) {
    if (write) frames.putPageType(mfn);
    frames.putPage(mfn);
    return -ERRNO.EACCES;
  }
  return 0;
}

/** Drop what getPageFromL1e took for the entry (nothing for non-present or I/O entries). */
export function putPageFromL1e(ctx: PteContext, lo: number, hi: number): void {
  if (!isPresent(lo)) return;
  const mfn = entryMfn(lo, hi);
  if (isIomem(ctx.frames, mfn)) return;
  ctx.frames.noteUnmapped(mfn);
  if ((lo & PTE.RW) !== 0) ctx.frames.putPageType(mfn);
  ctx.frames.putPage(mfn);
}

// ── L2 (§5.4, §5.7) ───────────────────────────────────────────────────────

export function l2Disallow(policy: MmPolicy, d: DomId): [number, number] {
  const hi = policy.nxEnabled(d) ? PTE_DISALLOW.L2_HI : PTE_DISALLOW.L2_HI | PTE_HI.NX;
  return [PTE_DISALLOW.L2_LO, hi >>> 0];
}

/**
 * References for a present L2 entry of table `l2` owned by `d`: type L1 on
 * the target (validating it), or else a linear mapping (§5.7). 0, −EINVAL,
 * or the error of the target L1's validation.
 */
export function getPageFromL2e(ctx: PteContext, lo: number, hi: number, l2: Mfn, d: DomId): number {
  const [dlo, dhi] = l2Disallow(ctx.policy, d);
  if ((lo & dlo) !== 0 || (hi & dhi) !== 0) return -ERRNO.EINVAL;
  const mfn = entryMfn(lo, hi);
  const rc = ctx.frames.getPageAndType(mfn, d, PGT.L1);
  if (rc === -ERRNO.EINVAL && getL2LinearPagetable(ctx.frames, lo, mfn, l2, d)) return 0;
  return rc;
}

/**
 * §5.7 / Xen define_get_linear_pagetable(l2): an L2 entry naming an L2.
 * Read-only; a self map takes nothing; otherwise the target must be the
 * domain's and already a validated L2, the containing table must not itself
 * be a linear target, and the target must not hold linear entries.
 */
function getL2LinearPagetable(frames: FrameTable, lo: number, mfn: Mfn, l2: Mfn, d: DomId): boolean {
  if ((lo & PTE.RW) !== 0) return false;
  if (mfn === l2) return true;
  if (frames.owner[l2] !== d) return false;
  if (frames.getPage(mfn, d) !== 0) return false;
  // plain PGT_l2_page_table: a slot-3 L2 (PGT_pae_xen_l2) is never a linear target
  if (frames.linear[l2]! < 0 || frames.linear[mfn]! > 0 || !frames.isTable(mfn, PGT.L2) || frames.typeInfo[mfn] !== PGT.L2) {
    frames.putPage(mfn);
    return false;
  }
  // Already validated and in use: this cannot re-enter validation.
  if (frames.getPageType(mfn, PGT.L2) !== 0) {
    frames.putPage(mfn);
    return false;
  }
  frames.linear[l2]!++;
  frames.linear[mfn]!--;
  return true;
}

/** Drop what getPageFromL2e took for an entry of table `l2`. */
export function putPageFromL2e(ctx: PteContext, lo: number, hi: number, l2: Mfn): void {
  if (!isPresent(lo)) return;
  const mfn = entryMfn(lo, hi);
  if (mfn === l2) return;
  const { frames } = ctx;
  frames.noteUnmapped(mfn); // a linear mapping made the frame's contents reachable
  if (baseType(frames.typeInfo[mfn]!) === PGT.L2) {
    frames.linear[mfn]!++;
    frames.linear[l2]!--;
  }
  frames.putPageAndType(mfn);
}

// ── L3 (§5.5) ─────────────────────────────────────────────────────────────

export const l3FlagsAllowed = (lo: number, hi: number): boolean =>
  (lo & PTE_DISALLOW.L3_LO) === 0 && (hi & PTE_DISALLOW.L3_HI) === 0;

/** References for a present L3 entry in slots 0–2: type L2 (no linear L3 for 32-bit guests). 0 or −EINVAL. */
export function getPageFromL3e(ctx: PteContext, lo: number, hi: number, d: DomId): number {
  if (!l3FlagsAllowed(lo, hi)) return -ERRNO.EINVAL;
  return ctx.frames.getPageAndType(entryMfn(lo, hi), d, PGT.L2);
}

export function putPageFromL3e(ctx: PteContext, lo: number, hi: number): void {
  if (!isPresent(lo)) return;
  ctx.frames.putPageAndType(entryMfn(lo, hi));
}
