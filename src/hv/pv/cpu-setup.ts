/**
 * The machine's CPU under the hypervisor (docs/xen-pv32-abi.md §1.11, §5.1,
 * §6.1–§6.2): the hypervisor's GDT and IDT (HypervisorArea), its TSS in TR,
 * PAE paging through the hypervisor's PDPT shadow (CR4.PAE, CR0.PG|WP); and
 * a vCPU's state at entry: CS/SS/DS… on the FLAT ring-1 selectors at CPL 1,
 * EFLAGS and registers as the builder says.
 */
import type { Cpu } from "../../machine/cpu/cpu.js";
import { setSegment, setNull } from "../../machine/cpu/segmentation.js";
import { CS, DS, ES, FS, GS, SS, ESI, ESP } from "../../machine/cpu/registers.js";
import { FLAT, FLAT_DESCRIPTOR } from "../../abi/segments.js";
import { PAGE } from "../../abi/memory-layout.js";
import type { InitialVcpuState } from "./domain-builder.js";
import { CpuContext } from "../../machine/cpu/context.js";
import { HV_LIMITS, HV_SEL, HV_VA, type HypervisorArea } from "./hypervisor-area.js";

const CR0_PE = 1 << 0, CR0_ET = 1 << 4, CR0_NE = 1 << 5, CR0_WP = 1 << 16, CR0_PG = 1 << 31;
const CR4_PAE = 1 << 5;
const CR0_TS = 1 << 3;
const EFER_NXE = 1 << 11;

/** The CPU's cached attribute word (access byte | flags nibble << 12) of a raw descriptor's high dword. */
const attrOf = (hi: number): number => ((hi >>> 8) & 0xff) | (((hi >>> 20) & 0xf) << 12);

/** Load one of the FLAT selectors (or null) into a segment register as the CPU would from the GDT. */
export function loadFlatSegment(cpu: Cpu, seg: number, sel: number): boolean {
  const hiOf: Record<number, number> = {
    [FLAT.RING1_CS & ~3]: FLAT_DESCRIPTOR.RING1_CS_HI,
    [FLAT.RING1_DS & ~3]: FLAT_DESCRIPTOR.RING1_DS_HI,
    [FLAT.RING3_CS & ~3]: FLAT_DESCRIPTOR.RING3_CS_HI,
    [FLAT.RING3_DS & ~3]: FLAT_DESCRIPTOR.RING3_DS_HI,
  };
  if ((sel & 0xfffc) === 0 && seg !== CS && seg !== SS) { setNull(cpu, seg, sel); return true; }
  const hi = hiOf[sel & 0xfffc];
  if (hi === undefined) return false;
  setSegment(cpu, seg, sel, 0, 0xffffffff, attrOf(hi));
  return true;
}

/** The physical CPU as the hypervisor runs it (once, at boot): its GDT, IDT and TSS, PAE paging with WP. */
export function setupHostCpu(cpu: Cpu, area: HypervisorArea): void {
  cpu.gdtBase = HV_VA.GDT; cpu.gdtLimit = HV_LIMITS.GDT;
  cpu.idtBase = HV_VA.IDT; cpu.idtLimit = HV_LIMITS.IDT;
  cpu.ldtSel = 0;
  cpu.trSel = HV_SEL.TSS; cpu.trBase = HV_VA.TSS; cpu.trLimit = 0x67; cpu.trAttr = 0x8b;
  cpu.cr4 = (cpu.cr4 | CR4_PAE) >>> 0;
  cpu.cr3 = area.pdptFrame * PAGE.SIZE;
  cpu.cr0 = (CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG) >>> 0;
  cpu.halted = true;
  cpu.eflags = 0x202;
  // NX usable in guest page tables (Xen sets EFER.NXE on CPUs with NX, §5.3)
  cpu.efer |= EFER_NXE;
  // CPUID at ring 1 and 3 faults, so guests see the domain's CPUID policy (§6.11, Xen's PV CPUID faulting)
  cpu.miscFeaturesEnables = 1;
}

/**
 * A vCPU's registers at entry (§1.11) as a CpuContext: applied to the CPU
 * (whose own state is kept aside and put back) so that the segment caches
 * are exactly what loading the FLAT selectors gives.
 */
export function initialContext(cpu: Cpu, v: InitialVcpuState, into: CpuContext): void {
  const keep = new CpuContext();
  keep.save(cpu);
  const segs: Array<[number, number]> = [[CS, v.cs], [SS, v.ss], [DS, v.ds], [ES, v.es], [FS, v.fs], [GS, v.gs]];
  try {
    for (const [seg, sel] of segs) {
      if (!loadFlatSegment(cpu, seg, sel)) throw new Error(`initial selector ${sel.toString(16)} is not a FLAT selector`);
    }
    cpu.cpl = 1;
    cpu.ldtSel = 0; cpu.ldtBase = 0; cpu.ldtLimit = 0;
    cpu.regs.fill(0);
    cpu.regs[ESP] = v.esp;
    cpu.regs[ESI] = v.esi;
    cpu.eflags = v.eflags;
    cpu.eip = v.eip;
    cpu.halted = false;
    cpu.cr0 &= ~CR0_TS;
    cpu.fpu.reset();
    cpu.debug.dr.fill(0); cpu.debug.dr6 = 0; cpu.debug.dr7 = 0x400;
    into.save(cpu);
  } finally {
    keep.restore(cpu);
  }
}
