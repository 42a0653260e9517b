/**
 * The memory-safety invariants of PV paging, recomputed from scratch
 * (ARCHITECTURE.md §3, issue 3 "Safety"; docs/xen-pv32-abi.md §5.2–§5.7).
 *
 * `checkInvariants` trusts nothing the validator did: it walks every frame
 * the frame table says is a validated page table, decodes its entries from
 * machine memory, counts the references each entry must hold (the table in
 * pte-validate.ts), adds pins, hypervisor-shared frames and references the
 * caller declares (CR3s, GDT frames, ...), and compares:
 *
 *   1. one owner per frame: every owner is a domain, DOMID_XEN, DOMID_IO or
 *      free; entries of a domain's tables name frames of that domain (or I/O
 *      frames, or frames `allowForeign` accepts);
 *   2. a frame typed page table or descriptor has no writable mapping, and
 *      every writable mapping is of a frame typed "writable";
 *   3. general and type reference counts (and linear counts, §5.7) equal the
 *      references found; a page-table type is held only while referenced
 *      and validated (de-validation untypes the frame); a
 *      slot-3 L2 has exactly one type reference; L3 entries 4–511 are zero;
 *   4. free plus allocated frames equal the total, the free list holds
 *      exactly the frames without owner, and free frames hold nothing.
 *
 * It returns the violations as sentences (empty = sound), for tests and for
 * a test build's after-every-hypercall check. It changes nothing.
 */
import { DOMID } from "../../abi/hypercalls.js";
import { PAGE, PTE, SLOTS } from "../../abi/memory-layout.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import { hex } from "../../lib/bits.js";
import { DOMID_XEN, FrameTable, OWNER_FREE, PGT, PGT_PAE_XEN_L2, baseType, isPageTableType } from "../core/frame-table.js";
import type { MachineMemory } from "../core/machine-memory.js";
import { isGuestL2Slot } from "./page-types.js";
import { entryMfn, isIomem, isPresent, readHi, readLo } from "./pte-validate.js";

/** References held outside page tables and pins (CR3, GDT/LDT frames, temporary hypercall references). */
export interface ExternalRef {
  mfn: Mfn;
  general: number;
  type: number;
}

export interface InvariantOptions {
  external?: Iterable<ExternalRef>;
  /** May an L1 of `tableOwner` map a frame of `frameOwner` (privileged foreign mapping)? Default: never. */
  allowForeign?: (tableOwner: DomId, frameOwner: number) => boolean;
}

const TYPE_NAMES = ["none", "L1", "L2", "L3", "seg_desc", "writable", "?", "?"];
const typeName = (t: number): string => TYPE_NAMES[baseType(t)]! + ((t & PGT_PAE_XEN_L2) !== 0 ? "+xen" : "");

export function checkInvariants(mem: MachineMemory, frames: FrameTable, options: InvariantOptions = {}): string[] {
  const n = frames.total;
  const out: string[] = [];
  const general = new Float64Array(n);
  const typed = new Float64Array(n);
  const writable = new Float64Array(n);
  const linear = new Int32Array(n);
  for (const ref of options.external ?? []) {
    if (!frames.isValid(ref.mfn)) {
      out.push(`caller: external reference to frame ${ref.mfn} outside the machine`);
      continue;
    }
    general[ref.mfn]! += ref.general;
    typed[ref.mfn]! += ref.type;
  }

  for (let i = 0; i < n; i++) {
    const mfn = i as Mfn;
    const owner = frames.owner[mfn]!;
    if (frames.pinned(mfn) || frames.xenShared(mfn)) {
      general[mfn]!++;
      typed[mfn]!++;
    }
    if (owner === OWNER_FREE) continue;
    if (owner >= DOMID.FIRST_RESERVED && owner !== DOMID_XEN && owner !== DOMID.IO) {
      out.push(`frame ${hex(mfn, 5)}: owner ${hex(owner, 4)} is not a domain`);
    }
    if (!isPageTableType(frames.typeInfo[mfn]!) || !frames.isTable(mfn, baseType(frames.typeInfo[mfn]!))) continue;
    walkTable(mem, frames, mfn, owner as DomId, { general, typed, writable, linear, out, options });
  }

  let free = 0;
  let allocated = 0;
  for (let i = 0; i < n; i++) {
    const mfn = i as Mfn;
    const t = frames.typeInfo[mfn]!;
    const where = `frame ${hex(mfn, 5)} (${typeName(t)}, owner ${hex(frames.owner[mfn]!, 4)})`;
    if (frames.owner[mfn] === OWNER_FREE) {
      free++;
      if (!frames.inFreeList(mfn)) out.push(`${where}: free but not in the free list`);
      if (frames.count[mfn] !== 0 || frames.typeCount[mfn] !== 0 || frames.flags[mfn] !== 0 || general[mfn] !== 0) {
        out.push(`${where}: free but referenced (count ${frames.count[mfn]}, type count ${frames.typeCount[mfn]}, found ${general[mfn]})`);
      }
      continue;
    }
    allocated++;
    if (frames.inFreeList(mfn)) out.push(`${where}: allocated but in the free list`);
    if (frames.count[mfn] !== general[mfn]) out.push(`${where}: general count ${frames.count[mfn]}, references found ${general[mfn]}`);
    if (frames.typeCount[mfn] !== typed[mfn]) out.push(`${where}: type count ${frames.typeCount[mfn]}, references found ${typed[mfn]}`);
    if (frames.linear[mfn] !== linear[mfn]) out.push(`${where}: linear count ${frames.linear[mfn]}, found ${linear[mfn]}`);
    if (writable[mfn]! > 0 && (baseType(t) !== PGT.WRITABLE || frames.typeCount[mfn] === 0)) {
      out.push(`${where}: ${writable[mfn]} writable mapping(s) of a frame not typed writable`);
    }
    if (isPageTableType(t) && (frames.typeCount[mfn] === 0 || !frames.validated(mfn))) {
      out.push(`${where}: page-table type without type references or not validated`);
    }
    if ((t & PGT_PAE_XEN_L2) !== 0 && frames.typeCount[mfn] !== 1) {
      out.push(`${where}: slot-3 L2 with ${frames.typeCount[mfn]} type references`);
    }
  }
  if (free !== frames.freeCount) out.push(`allocator: ${frames.freeCount} free, ${free} frames without owner`);
  if (free + allocated !== n) out.push(`allocator: ${free} free + ${allocated} allocated != ${n} frames`);
  return out;
}

interface Tally {
  general: Float64Array;
  typed: Float64Array;
  writable: Float64Array;
  linear: Int32Array;
  out: string[];
  options: InvariantOptions;
}

/** Count the references the entries of validated table `table` hold. */
function walkTable(mem: MachineMemory, frames: FrameTable, table: Mfn, d: DomId, tally: Tally): void {
  const t = frames.typeInfo[table]!;
  const level = baseType(t);
  const where = `${typeName(t)} ${hex(table, 5)}`;
  const used = level === PGT.L3 ? PAGE.L3_ENTRIES_USED : PAGE.ENTRIES;
  if (level === PGT.L3) {
    for (let s = used; s < PAGE.ENTRIES; s++) {
      if (readLo(mem, table, s) !== 0 || readHi(mem, table, s) !== 0) tally.out.push(`${where}[${s}]: nonzero entry beyond slot 3`);
    }
    if (!isPresent(readLo(mem, table, SLOTS.L3_HYPERVISOR_SLOT))) tally.out.push(`${where}[3]: slot 3 not present`);
  }
  for (let s = 0; s < used; s++) {
    if (level === PGT.L2 && !isGuestL2Slot(t, s)) continue;
    const lo = readLo(mem, table, s);
    if (!isPresent(lo)) continue;
    const target = entryMfn(lo, readHi(mem, table, s));
    const at = `${where}[${s}] → ${hex(target, 5)}`;
    if (isIomem(frames, target)) {
      if (level !== PGT.L1) tally.out.push(`${at}: page-table entry names an I/O frame`);
      continue;
    }
    const owner = frames.owner[target]!;
    if (owner !== d && !(level === PGT.L1 && tally.options.allowForeign?.(d, owner))) {
      tally.out.push(`${at}: frame owned by ${hex(owner, 4)}, table by ${hex(d, 4)}`);
    }
    const tt = frames.typeInfo[target]!;
    if (level === PGT.L1) {
      tally.general[target]!++;
      if ((lo & PTE.RW) !== 0) {
        tally.typed[target]!++;
        tally.writable[target]!++;
      }
      continue;
    }
    if (level === PGT.L2 && target === table) continue; // linear self map: no references
    tally.general[target]!++;
    tally.typed[target]!++;
    const want = level === PGT.L3 ? (s === SLOTS.L3_HYPERVISOR_SLOT ? PGT.L2 | PGT_PAE_XEN_L2 : PGT.L2) : PGT.L1;
    if (level === PGT.L2 && baseType(tt) === PGT.L2) {
      tally.linear[table]!++;
      tally.linear[target]!--;
      if ((lo & PTE.RW) !== 0) tally.out.push(`${at}: writable linear mapping`);
      if (frames.linear[target]! > 0) tally.out.push(`${at}: linear target itself holds linear entries`);
    } else if (tt !== want) {
      tally.out.push(`${at}: target typed ${typeName(tt)}, entry needs ${typeName(want)}`);
    }
  }
}
