/**
 * The hypervisor's way back into the guest, as Xen's: build an IRET frame on
 * the hypervisor's own stack and execute IRET at privilege 0, so that the
 * CPU applies every check a real IRET to ring 1 or 3 applies (code and stack
 * selectors through the guest's GDT/LDT, DPL = RPL, present, limit, the
 * outer-level nulling of data segments). Used by the iret hypercall (§6.7)
 * and by every bounce to a guest handler (§6.4, §6.5). A selector the CPU
 * refuses leaves the vCPU's state as it was and returns the fault: Xen then
 * uses the failsafe callback or crashes the domain.
 */
import type { Cpu } from "../../machine/cpu/cpu.js";
import { CpuFault } from "../../machine/cpu/fault.js";
import { iret } from "../../machine/cpu/interrupts.js";
import { ESP, SS, IF, VM, NT, RF, TF } from "../../machine/cpu/registers.js";
import { ATTR_DATA32, setSegment } from "../../machine/cpu/segmentation.js";
import { CpuContext } from "../../machine/cpu/context.js";
import { PAGE } from "../../abi/memory-layout.js";
import type { MachineMemory } from "../core/machine-memory.js";
import { HV_SEL, HV_VA, type HypervisorArea } from "./hypervisor-area.js";

export interface GuestFrame { eip: number; cs: number; eflags: number; esp: number; ss: number }

const IOPL_MASK = 3 << 12;
/** EFLAGS the guest may hold: IF always set (the upcall mask is the virtual IF), IOPL 0 (virtual IOPL, §6.1). */
export const guestEflags = (eflags: number): number =>
  ((eflags & ~(IOPL_MASK | VM | NT | RF)) | IF | 2) >>> 0;

const FRAME_AT = HV_VA.STACK + PAGE.SIZE - 32;
const saved = new CpuContext();

/** IRET to `f` from privilege 0; the CPU's fault (vector, error code) if a check fails. */
export function returnToGuest(cpu: Cpu, mem: MachineMemory, area: HypervisorArea, f: GuestFrame): { vector: number; errorCode: number } | undefined {
  const base = area.stackFrame * PAGE.SIZE + (FRAME_AT - HV_VA.STACK);
  const words = [f.eip, f.cs & 0xffff, guestEflags(f.eflags), f.esp, f.ss & 0xffff];
  words.forEach((w, i) => mem.write32(base + i * 4, w >>> 0));
  saved.save(cpu, false); // IRET changes no x87 state
  // the hypervisor runs as an interrupt-gate handler: TF, NT, RF, VM and IF clear (SDM Vol. 3 §6.12.1.3)
  cpu.eflags = cpu.eflags & ~(TF | NT | RF | VM | IF);
  cpu.cpl = 0;
  setSegment(cpu, SS, HV_SEL.DS, 0, 0xffffffff, ATTR_DATA32);
  cpu.regs[ESP] = FRAME_AT;
  let fault: { vector: number; errorCode: number } | undefined;
  try {
    iret(cpu, true);
  } catch (e) {
    if (!(e instanceof CpuFault)) throw e;
    fault = { vector: e.vector, errorCode: e.errorCode };
    saved.restore(cpu, false);
  }
  for (let i = 0; i < words.length; i++) mem.write32(base + i * 4, 0); // nothing of this vCPU stays behind
  cpu.attention = 1;
  return fault;
}
