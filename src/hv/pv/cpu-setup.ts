/**
 * Put the machine's CPU in the state of a PV vCPU at entry
 * (docs/xen-pv32-abi.md §1.11, §5.1, §6.1–§6.2): the hypervisor's GDT and
 * IDT (HypervisorArea), its TSS in TR, PAE paging on the guest's L3 through
 * the hypervisor's PDPT shadow (CR4.PAE, CR0.PG|WP), CS/SS/DS… on the FLAT
 * ring-1 selectors at CPL 1, EFLAGS and registers as the builder says.
 */
import type { Cpu } from "../../machine/cpu/cpu.js";
import { setSegment, setNull } from "../../machine/cpu/segmentation.js";
import { loadPdptes } from "../../machine/mmu/page-walk.js";
import { CS, DS, ES, FS, GS, SS, ESI, ESP } from "../../machine/cpu/registers.js";
import { FLAT, FLAT_DESCRIPTOR } from "../../abi/segments.js";
import { PAGE } from "../../abi/memory-layout.js";
import type { BuiltDomain } from "./domain-builder.js";
import { HV_LIMITS, HV_SEL, HV_VA, type HypervisorArea } from "./hypervisor-area.js";

const CR0_PE = 1 << 0, CR0_ET = 1 << 4, CR0_NE = 1 << 5, CR0_WP = 1 << 16, CR0_PG = 1 << 31;
const CR4_PAE = 1 << 5;

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

export function setupVcpu(cpu: Cpu, area: HypervisorArea, d: BuiltDomain): void {
  cpu.gdtBase = HV_VA.GDT; cpu.gdtLimit = HV_LIMITS.GDT;
  cpu.idtBase = HV_VA.IDT; cpu.idtLimit = HV_LIMITS.IDT;
  cpu.ldtSel = 0;
  cpu.trSel = HV_SEL.TSS; cpu.trBase = HV_VA.TSS; cpu.trLimit = 0x67; cpu.trAttr = 0x8b;
  area.setKernelStack(d.vcpu.kernelSs, d.vcpu.kernelSp);
  area.shadowL3(d.l3Mfn);
  cpu.cr4 = (cpu.cr4 | CR4_PAE) >>> 0;
  cpu.cr3 = area.pdptFrame * PAGE.SIZE;
  cpu.cr0 = (CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG) >>> 0;
  if (!loadPdptes(cpu.cr3, cpu.ram, cpu.pdpte)) throw new Error("PDPT shadow refused by the CPU");
  const v = d.vcpu;
  const segs: Array<[number, number]> = [[CS, v.cs], [SS, v.ss], [DS, v.ds], [ES, v.es], [FS, v.fs], [GS, v.gs]];
  for (const [seg, sel] of segs) {
    if (!loadFlatSegment(cpu, seg, sel)) throw new Error(`initial selector ${sel.toString(16)} is not a FLAT selector`);
  }
  cpu.cpl = 1;
  cpu.updateAccessMasks();
  cpu.flushTlb(false);
  cpu.regs.fill(0);
  cpu.regs[ESP] = v.esp;
  cpu.regs[ESI] = v.esi;
  cpu.eflags = v.eflags;
  cpu.eip = v.eip;
  cpu.halted = false;
  cpu.attention = 1;
}
