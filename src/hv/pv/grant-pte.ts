/**
 * Grant mappings in a PV mapper's page tables (docs/xen-pv32-abi.md §4.18,
 * §5.3; Xen xen/arch/x86/pv/grant_table.c create_grant_pv_mapping,
 * replace_grant_pv_mapping, grant_to_pte_flags; xen/arch/x86/pv/mm.c
 * map_guest_l1e).
 *
 * The PTE a grant installs (grant_to_pte_flags, 32-bit PV: no
 * adjust_guest_l1e):
 *
 *   lo: frame << 12 | AVAIL (GNTMAP bits 18:16 → PTE 11:9) | D | A | US if
 *       application_map | RW unless readonly | P
 *   hi: frame >> 20 | NX (when the domain runs with NX)
 *
 * It is written without taking references: the grant holds them (one
 * general, plus a writable type unless read-only; grant-map.ts), exactly
 * what an ordinary L1 entry of the same flags would hold, so frame counts
 * stay what the invariant checker expects. Xen marks such entries with
 * _PAGE_GNTTAB (bit 62); on IA-32 PAE that bit is reserved (§12.2), so the
 * mark lives here instead, in a GrantPteSet keyed by the entry's machine
 * address. Whoever else rewrites or drops L1 entries must consult it: an
 * entry in the set is not theirs to put (Xen's put_page_from_l1e crashes the
 * domain for an "implicit unmap of a granted PTE").
 *
 * `host_addr` is a linear address in the mapper's current address space, or
 * with GNTMAP_contains_pte the machine address of the L1 entry (8-byte
 * aligned: XSA-227). Either way the L1 must be the mapper's and typed L1.
 */
import { GNTMAP, GNTST } from "../../abi/grant-tables.js";
import { PAGE, PTE, PTE_HI, l1Slot, l2Slot, l3Slot } from "../../abi/memory-layout.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import { PGT } from "../core/frame-table.js";
import type { GrantHostPtes } from "../core/grant-map.js";
import { entryMfn, entryPaddr, isPresent, putPageFromL1e, readHi, readLo, writeEntry, type PteContext } from "./pte-validate.js";

/** Which L1 entries are grant mappings (the host-side _PAGE_GNTTAB), machine-wide. */
export class GrantPteSet {
  private readonly entries = new Set<number>();
  has(l1: Mfn, slot: number): boolean {
    return this.entries.has(entryPaddr(l1, slot));
  }
  add(l1: Mfn, slot: number): void {
    this.entries.add(entryPaddr(l1, slot));
  }
  delete(l1: Mfn, slot: number): void {
    this.entries.delete(entryPaddr(l1, slot));
  }
  get size(): number {
    return this.entries.size;
  }
}

export interface PvGrantPtesOptions {
  /** The PV page-table context (PvPageTables): memory, frame table, policy. */
  tables: PteContext;
  /** The mapping domain. */
  domid: DomId;
  grantPtes: GrantPteSet;
  /** The L3 frame of the mapper's current address space (its vCPU's CR3). */
  currentL3(): Mfn;
}

const AVAIL_SHIFT = 16 - 9;
const TWO_32 = 2n ** 32n;

/** grant_to_pte_flags for a RAM frame, low half (NX, in the high half, is the caller's). */
export function grantPteLo(flags: number): number {
  let lo = PTE.PRESENT | PTE.ACCESSED | PTE.DIRTY;
  if ((flags & GNTMAP.application_map) !== 0) lo |= PTE.USER;
  if ((flags & GNTMAP.readonly) === 0) lo |= PTE.RW;
  return (lo | ((flags >>> AVAIL_SHIFT) & PTE.AVAIL)) >>> 0;
}

export class PvGrantPtes implements GrantHostPtes {
  constructor(private readonly o: PvGrantPtesOptions) {}

  create(hostAddr: bigint, flags: number, mfn: Mfn): number {
    const at = this.locate(hostAddr, flags);
    if (at === undefined) return GNTST.general_error;
    const { mem } = this.o.tables;
    // tsxen refuses to overwrite another grant's PTE (Xen: domain_crash in put_page_from_l1e).
    if (this.o.grantPtes.has(at.l1, at.slot)) return GNTST.general_error;
    const oldLo = readLo(mem, at.l1, at.slot);
    const oldHi = readHi(mem, at.l1, at.slot);
    const nx = this.o.tables.policy.nxEnabled(this.o.domid) ? PTE_HI.NX : 0;
    writeEntry(mem, at.l1, at.slot, (((mfn & 0xfffff) << PAGE.SHIFT) | grantPteLo(flags)) >>> 0, (Math.floor(mfn / 2 ** 20) | nx) >>> 0);
    this.o.grantPtes.add(at.l1, at.slot);
    putPageFromL1e(this.o.tables, oldLo, oldHi);
    return GNTST.okay;
  }

  destroy(hostAddr: bigint, flags: number, mfn: Mfn): number {
    const at = this.locate(hostAddr, flags);
    if (at === undefined || !this.o.grantPtes.has(at.l1, at.slot)) return GNTST.general_error;
    const { mem } = this.o.tables;
    const lo = readLo(mem, at.l1, at.slot);
    if (!isPresent(lo) || entryMfn(lo, readHi(mem, at.l1, at.slot)) !== mfn) return GNTST.general_error;
    if (((lo ^ grantPteLo(flags)) & (PTE.PRESENT | PTE.RW)) !== 0) return GNTST.general_error;
    writeEntry(mem, at.l1, at.slot, 0, 0);
    this.o.grantPtes.delete(at.l1, at.slot);
    return GNTST.okay;
  }

  /** The mapper's L1 entry named by host_addr, or undefined (GNTST_general_error). */
  private locate(hostAddr: bigint, flags: number): { l1: Mfn; slot: number } | undefined {
    const { frames } = this.o.tables;
    let l1: Mfn;
    let slot: number;
    if ((flags & GNTMAP.contains_pte) !== 0) {
      if (hostAddr % 8n !== 0n || hostAddr >= BigInt(frames.total) * BigInt(PAGE.SIZE)) return undefined;
      l1 = Number(hostAddr >> 12n) as Mfn;
      slot = Number(hostAddr & 0xfffn) >>> 3;
    } else {
      if (hostAddr >= TWO_32) return undefined; // "out-of-range linear address" for a 32-bit guest
      const found = this.walkToL1(Number(hostAddr));
      if (found === undefined) return undefined;
      l1 = found;
      slot = l1Slot(Number(hostAddr));
    }
    // get_page_from_mfn(gl1mfn, currd) and the PGT_l1_page_table check.
    if (frames.owner[l1] !== this.o.domid || !frames.isTable(l1, PGT.L1)) return undefined;
    return { l1, slot };
  }

  /** map_guest_l1e: the L1 frame under a present, non-superpage L2 entry for `va`. */
  private walkToL1(va: number): Mfn | undefined {
    const { mem, frames } = this.o.tables;
    const l3 = this.o.currentL3();
    const l3Lo = readLo(mem, l3, l3Slot(va));
    if (!isPresent(l3Lo)) return undefined;
    const l2 = entryMfn(l3Lo, readHi(mem, l3, l3Slot(va)));
    if (!frames.isValid(l2)) return undefined;
    const l2Lo = readLo(mem, l2, l2Slot(va));
    if (!isPresent(l2Lo) || (l2Lo & PTE.PSE) !== 0) return undefined;
    const l1 = entryMfn(l2Lo, readHi(mem, l2, l2Slot(va)));
    return frames.isValid(l1) ? l1 : undefined;
  }
}
