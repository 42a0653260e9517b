/**
 * copy_from_guest / copy_to_guest for a PV32 PAE guest: walk the guest's
 * current page tables in machine memory with the guest kernel's rights.
 *
 *   va ──► L3[va 31:30] ──► L2[va 29:21] ──► L1[va 20:12] ──► frame | va 11:0
 *                            └─ PS set: 2 MiB page, frame | va 20:0
 *
 * Rules (docs/xen-pv32-abi.md §3.3 guest memory arguments, §5.1 paging mode,
 * §5.3–§5.5 entries, §5.6 hypervisor area, §12.1–§12.2 IA-32 notes):
 *
 * - Supervisor access (§3.3): US is not consulted. CR0.WP = 1 (§5.1, §12.4):
 *   a write needs RW in the L3, L2 and L1 entries (and in the L2 entry of a
 *   2 MiB page). Xen forces RW|US into every present L3 entry
 *   (PTE_DISALLOW.L3_FORCED_LO), so the L3 check never refuses a validated
 *   table; it is kept so unvalidated tables cannot grant more than they say.
 * - Not present at any level → fault. Reserved bits → fault, as the CPU
 *   would (36 physical address bits, as src/machine/mmu/page-walk.ts):
 *   L3: PS/G (bits 7–8) and bits 36–63; RW/US/A/D are tolerated in the
 *   guest's L3 because Xen's L3 entries carry them (§12.1) and only the
 *   hypervisor's PDPTE shadow drops them. L2/L1: bits 36–62, bit 63 (NX)
 *   unless `nx`. 2 MiB L2 entries: also bits 13–20. PV guests may not have
 *   PS entries (§5.1), but one is walked the way the hardware would.
 * - Range (§3.3, §5.6): every byte must lie below HYPERVISOR.VIRT_START; a
 *   range that wraps past 4 GiB fails too. A frame beyond machine memory
 *   faults (the CPU would reach open bus; a hypercall gets −EFAULT).
 * - All or nothing: every page of the range is walked and checked before
 *   any byte (or any accessed/dirty bit) is written, so a failed copy has no
 *   effect at all. Xen may fault part-way through a copy; no guest can rely
 *   on the partial result, and refusing it whole is the safer contract.
 * - Accessed/dirty: Xen's copy_to_user goes through the real MMU, which sets
 *   them, so a successful copy does what the hardware would: A on every
 *   non-leaf L2 entry passed, A at the leaf on reads, A|D at the leaf on
 *   writes. The L3 entry is not touched (PAE PDPTEs have no A bit). Only the
 *   low halves of entries are rewritten, and only when a bit changes.
 * - len 0 succeeds without touching memory, whatever the address (no byte
 *   is accessed).
 */
import { HYPERVISOR, PAGE, PTE, l1Slot, l2Slot, l3Slot } from "../../abi/memory-layout.js";
import type { Vaddr } from "../../lib/brand.js";
import type { GuestCopy } from "../core/guest-copy.js";
import type { MachineMemory } from "../core/machine-memory.js";

/** What the walk needs from the current vCPU: its L3 and whether NX is on. */
export interface PagingRoot {
  /** Machine address of the guest's current PAE L3 (CR3 & ~0x1f). */
  readonly l3: number;
  /** EFER.NXE: bit 63 of L2/L1 entries is NX rather than reserved. */
  readonly nx: boolean;
}

const TWO_32 = 0x1_0000_0000;
/** High-half bits 36–62 (reserved with 36 physical address bits). */
const HI_RSVD = 0x7ffffff0;
/** High-half bits 36–63 of an L3 entry. */
const L3_HI_RSVD = 0xfffffff0;
/** Low-half bits of an L3 entry reserved even in Xen's L3s: PS, G. */
const L3_LO_RSVD = PTE.PSE | PTE.GLOBAL;
/** Low-half bits 13–20 of a 2 MiB L2 entry. */
const L2_PS_LO_RSVD = 0x001fe000;
const NX_BIT = 0x80000000;

/** One checked page of a copy: where its bytes are and which entries to mark. */
interface PageRun {
  /** Machine address of the first byte of this run. */
  readonly maddr: number;
  readonly len: number;
  /** Machine address of the leaf entry (L1, or L2 for a 2 MiB page). */
  readonly leaf: number;
  /** Machine address of the non-leaf L2 entry to mark accessed, or -1. */
  readonly dir: number;
}

export class PvGuestMemory implements GuestCopy {
  constructor(
    private readonly mem: MachineMemory,
    private readonly pagingRoot: () => PagingRoot,
  ) {}

  copyFromGuest(va: Vaddr, len: number): Uint8Array | undefined {
    if (!Number.isInteger(len) || len < 0) return undefined;
    const out = new Uint8Array(len);
    if (len === 0) return out;
    const runs = this.plan(va, len, false);
    if (runs === undefined) return undefined;
    let at = 0;
    for (const run of runs) {
      this.mark(run, false);
      for (let i = 0; i < run.len; i++) out[at++] = this.mem.read8(run.maddr + i);
    }
    return out;
  }

  copyToGuest(va: Vaddr, bytes: Uint8Array): boolean {
    if (bytes.length === 0) return true;
    const runs = this.plan(va, bytes.length, true);
    if (runs === undefined) return false;
    let at = 0;
    for (const run of runs) {
      this.mark(run, true);
      for (let i = 0; i < run.len; i++) this.mem.write8(run.maddr + i, bytes[at++]!);
    }
    return true;
  }

  /** Walk every page of [va, va + len); undefined if any byte faults. No side effects. */
  private plan(va: number, len: number, write: boolean): PageRun[] | undefined {
    const start = va >>> 0;
    // One test covers both the hypervisor area and wrapping past 4 GiB.
    if (start !== va || start + len > HYPERVISOR.VIRT_START) return undefined;
    const root = this.pagingRoot();
    const runs: PageRun[] = [];
    let cur = start;
    const end = start + len;
    while (cur < end) {
      const pageEnd = Math.min(end, (Math.floor(cur / PAGE.SIZE) + 1) * PAGE.SIZE);
      const run = this.translate(root, cur, pageEnd - cur, write);
      if (run === undefined) return undefined;
      runs.push(run);
      cur = pageEnd;
    }
    return runs;
  }

  /** Translate one run that stays within a 4 KiB page; undefined on a fault. */
  private translate(root: PagingRoot, va: number, len: number, write: boolean): PageRun | undefined {
    const mem = this.mem;
    const l3e = (root.l3 >>> 0) + l3Slot(va) * 8;
    const l3Lo = mem.read32(l3e) >>> 0, l3Hi = mem.read32(l3e + 4) >>> 0;
    if ((l3Lo & PTE.PRESENT) === 0) return undefined;
    if ((l3Lo & L3_LO_RSVD) !== 0 || (l3Hi & L3_HI_RSVD) !== 0) return undefined;
    if (write && (l3Lo & PTE.RW) === 0) return undefined;

    const l2e = entryAddress(l3Lo, l3Hi) + l2Slot(va) * 8;
    const l2Lo = mem.read32(l2e) >>> 0, l2Hi = mem.read32(l2e + 4) >>> 0;
    if ((l2Lo & PTE.PRESENT) === 0) return undefined;
    if (reservedHigh(l2Hi, root.nx)) return undefined;
    if (write && (l2Lo & PTE.RW) === 0) return undefined;

    let maddr: number, leaf: number, dir: number;
    if ((l2Lo & PTE.PSE) !== 0) {
      if ((l2Lo & L2_PS_LO_RSVD) !== 0) return undefined;
      maddr = (l2Hi & 0xf) * TWO_32 + ((l2Lo & 0xffe00000) >>> 0) + (va & 0x001fffff);
      leaf = l2e;
      dir = -1;
    } else {
      const l1e = entryAddress(l2Lo, l2Hi) + l1Slot(va) * 8;
      const l1Lo = mem.read32(l1e) >>> 0, l1Hi = mem.read32(l1e + 4) >>> 0;
      if ((l1Lo & PTE.PRESENT) === 0) return undefined;
      if (reservedHigh(l1Hi, root.nx)) return undefined;
      if (write && (l1Lo & PTE.RW) === 0) return undefined;
      maddr = entryAddress(l1Lo, l1Hi) + (va & (PAGE.SIZE - 1));
      leaf = l1e;
      dir = l2e;
    }
    if (maddr + len > mem.size) return undefined;
    return { maddr, len, leaf, dir };
  }

  /** Set the accessed bit on the directory entry and A (|D on writes) on the leaf. */
  private mark(run: PageRun, write: boolean): void {
    if (run.dir >= 0) this.setBits(run.dir, PTE.ACCESSED);
    this.setBits(run.leaf, write ? PTE.ACCESSED | PTE.DIRTY : PTE.ACCESSED);
  }

  private setBits(entry: number, bits: number): void {
    const lo = this.mem.read32(entry) >>> 0;
    if ((lo & bits) !== bits) this.mem.write32(entry, (lo | bits) >>> 0);
  }
}

/** Machine address named by an entry (address bits 35:12). */
const entryAddress = (lo: number, hi: number): number => (hi & 0xf) * TWO_32 + ((lo & PTE.ADDR_LO_MASK) >>> 0);

const reservedHigh = (hi: number, nx: boolean): boolean => (hi & HI_RSVD) !== 0 || (!nx && (hi & NX_BIT) !== 0);
