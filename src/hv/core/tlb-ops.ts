/**
 * TLB maintenance the hypervisor does on the machine's CPU, charged as the
 * instructions it would execute (src/machine/costs.ts): a full flush is a
 * CR3 reload (`serializing`), one page an INVLPG (`invlpg`). On this
 * machine's untagged TLB a full flush drops every translation, global ones
 * included, as Xen's flush_area_local(FLUSH_TLB_GLOBAL) does.
 */
import type { Cpu } from "../../machine/cpu/cpu.js";
import type { FrameTable } from "./frame-table.js";

/** A full flush; the frame table learns that no stale translation survives it. */
export function hostFlushTlb(cpu: Cpu, frames: FrameTable): void {
  cpu.clock.now += cpu.costs.serializing;
  cpu.flushTlb(false);
  frames.noteTlbFlush();
}

export function hostInvlpg(cpu: Cpu, va: number): void {
  cpu.clock.now += cpu.costs.invlpg;
  cpu.invalidatePage(va >>> 0);
}
