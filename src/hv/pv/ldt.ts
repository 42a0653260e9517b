/**
 * The guest's LDT and the faults the CPU takes on descriptor tables mapped in
 * the hypervisor area (docs/xen-pv32-abi.md §4.22 SET_LDT, §6.2; Xen's
 * pv_map_ldt_shadow_page and handle_ldt_mapping_fault).
 *
 * MMUEXT_SET_LDT records a linear base and entry count; the CPU's LDTR then
 * names the hypervisor's LDT area (HV_VA.LDT), whose pages start unmapped.
 * The first descriptor access to a page faults into the hypervisor, which
 * looks the guest page up through the guest's tables and, if the frame can
 * take the segment-descriptor type (no writable mapping, every descriptor
 * passing check_descriptor), maps it read-only and restarts the
 * instruction; if not, the guest gets the #PF at ldt_base + offset. A new
 * SET_LDT (or the vCPU's end) releases the pages.
 *
 * Descriptor tables are mapped read-only (a ring-1 guest is a supervisor for
 * paging), so the CPU's write of a descriptor's accessed bit faults too: the
 * hypervisor sets the bit in the guest's frame and restarts the instruction,
 * which is what the hardware write would have done.
 */
import { PAGE, PTE } from "../../abi/memory-layout.js";
import type { Mfn } from "../../lib/brand.js";
import { PGT, type FrameTable } from "../core/frame-table.js";
import type { MachineMemory } from "../core/machine-memory.js";
import { FIRST_RESERVED_GDT } from "../../abi/segments.js";
import { HV_VA, LDT_PAGES, type HypervisorArea } from "./hypervisor-area.js";
import { paeTranslate } from "./pae-walk.js";
import type { PvVcpu } from "./vcpu.js";

const PF_WRITE = 2, PF_PRESENT = 1;
/** S (code/data) in a descriptor's access byte. */
const ACCESS_S = 0x10;

export type DescriptorFault =
  | { kind: "not-mine" }
  | { kind: "fixed" }
  | { kind: "guest-pf"; cr2: number; errorCode: number };

/** Drop the LDT pages `v` has mapped (invalidate_shadow_ldt). */
export function releaseLdt(frames: FrameTable, v: PvVcpu): void {
  for (const m of v.ldtFrames) if (m !== undefined) frames.putPageAndType(m);
  v.ldtFrames = [];
}

/** A #PF at `cr2` in the hypervisor's GDT or LDT area, taken in `v`'s context. */
export function descriptorTableFault(
  mem: MachineMemory, frames: FrameTable, area: HypervisorArea, v: PvVcpu, cr2: number, errorCode: number,
): DescriptorFault {
  const addr = cr2 >>> 0;
  const gdtEnd = HV_VA.GDT + FIRST_RESERVED_GDT.PAGE * PAGE.SIZE;
  if (addr >= HV_VA.GDT && addr < gdtEnd) {
    const frame = v.gdtFrames[Math.floor((addr - HV_VA.GDT) / PAGE.SIZE)];
    if (frame === undefined || (errorCode & (PF_WRITE | PF_PRESENT)) !== (PF_WRITE | PF_PRESENT)) return { kind: "not-mine" };
    return setAccessedByte(mem, frame, addr);
  }
  const ldtEnd = HV_VA.LDT + LDT_PAGES * PAGE.SIZE;
  if (addr < HV_VA.LDT || addr >= ldtEnd) return { kind: "not-mine" };
  const page = Math.floor((addr - HV_VA.LDT) / PAGE.SIZE);
  const mapped = v.ldtFrames[page];
  if (mapped !== undefined) {
    return (errorCode & PF_WRITE) !== 0 ? setAccessedByte(mem, mapped, addr) : { kind: "not-mine" };
  }
  // first touch of this LDT page: find the guest's frame
  const guestVa = (v.ldtBase + (addr - HV_VA.LDT)) >>> 0;
  const t = paeTranslate(mem, v.baseptr * PAGE.SIZE, guestVa);
  // handle_ldt_mapping_fault: the guest sees #PF with error code 0 at ldt_base + offset
  const pf = { kind: "guest-pf" as const, cr2: guestVa, errorCode: 0 };
  if (t === undefined || (t.l1e & PTE.PRESENT) === 0) return pf;
  const mfn = Math.floor(t.maddr / PAGE.SIZE) as Mfn;
  if (!frames.isValid(mfn) || frames.getPageAndType(mfn, v.domid as never, PGT.SEG_DESC) !== 0) return pf;
  v.ldtFrames[page] = mfn;
  area.mapLdtPage(page, mfn);
  return { kind: "fixed" };
}

/**
 * The CPU's accessed-bit write, done into the guest's frame: only a write to
 * the access byte (offset 5) of a code or data descriptor is one; any other
 * write to the table is the guest's own and faults as usual.
 */
function setAccessedByte(mem: MachineMemory, frame: Mfn, addr: number): DescriptorFault {
  const at = frame * PAGE.SIZE + (addr & (PAGE.SIZE - 1));
  const access = mem.read8(at);
  if ((addr & 7) !== 5 || (access & ACCESS_S) === 0) return { kind: "not-mine" };
  mem.write8(at, access | 1);
  return { kind: "fixed" };
}
