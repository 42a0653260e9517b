/**
 * A software walk of a guest's PAE page tables through machine memory
 * (docs/xen-pv32-abi.md §5.3): what a linear address maps to, and with which
 * rights. For checks and diagnostics (the builder's tests, debug output);
 * the CPU's own walker lives in the machine model.
 */
import { PAGE, PTE, xenCr3ToPfn } from "../../abi/memory-layout.js";
import type { MachineMemory } from "../core/machine-memory.js";

export interface PaeTranslation {
  /** Machine address of the byte. */
  readonly maddr: number;
  /** Machine frame of the L1 table that maps the page. */
  readonly l1Mfn: number;
  /** Low half of the L1 entry. */
  readonly l1e: number;
  /** RW in both the L2 and the L1 entry. */
  readonly writable: boolean;
  /** US in both the L2 and the L1 entry. */
  readonly user: boolean;
}

const entry = (mem: MachineMemory, table: number, slot: number): { lo: number; hi: number } => ({
  lo: mem.read32(table * PAGE.SIZE + slot * 8) >>> 0,
  hi: mem.read32(table * PAGE.SIZE + slot * 8 + 4) >>> 0,
});
const target = (e: { lo: number; hi: number }): number => (e.lo >>> PAGE.SHIFT) + (e.hi & 0xfffff) * 0x100000;

/** Translate `va` under extended-format `cr3`; undefined if not present (4 KiB pages only). */
export function paeTranslate(mem: MachineMemory, cr3: number, va: number): PaeTranslation | undefined {
  const l3e = entry(mem, xenCr3ToPfn(cr3), (va >>> PAGE.L3_SHIFT) & 3);
  if ((l3e.lo & PTE.PRESENT) === 0) return undefined;
  const l2e = entry(mem, target(l3e), (va >>> PAGE.L2_SHIFT) & (PAGE.ENTRIES - 1));
  if ((l2e.lo & PTE.PRESENT) === 0 || (l2e.lo & PTE.PSE) !== 0) return undefined;
  const l1Mfn = target(l2e);
  const l1e = entry(mem, l1Mfn, (va >>> PAGE.L1_SHIFT) & (PAGE.ENTRIES - 1));
  if ((l1e.lo & PTE.PRESENT) === 0) return undefined;
  return {
    maddr: target(l1e) * PAGE.SIZE + (va & (PAGE.SIZE - 1)),
    l1Mfn,
    l1e: l1e.lo,
    writable: (l2e.lo & l1e.lo & PTE.RW) !== 0,
    user: (l2e.lo & l1e.lo & PTE.USER) !== 0,
  };
}
