/**
 * `tsxen run --stats` for PV domains (issue 3): per domain, hypercalls by
 * name, exceptions bounced by vector, event upcalls delivered, virtual time;
 * machine-wide, page-table entries validated, TLB flushes, context
 * switches, simulated and host time.
 */
import { hypercallTable } from "../abi/hypercalls.js";
import type { Cpu } from "../machine/cpu/cpu.js";
import type { Hypervisor } from "../hv/pv/hypervisor.js";

const nameOf = new Map<number, string>(hypercallTable.map((h) => [h.number, h.name]));

export function formatPvStats(hv: Hypervisor, cpu: Cpu, hostSeconds: number): string {
  const clock = cpu.clock;
  const lines: string[] = [];
  for (const d of hv.domains.values()) {
    const calls = [...d.hypercalls.counts].sort((a, b) => a[0] - b[0]).map(([nr, n]) => `${nameOf.get(nr) ?? `#${nr}`} ${n}`);
    const bounces = [...d.bounces].sort((a, b) => a[0] - b[0]).map(([v, n]) => `${v}:${n}`);
    lines.push(
      `${d.name} (d${d.domid}) hypercalls   ${calls.join(", ") || "none"}`,
      `${d.name} (d${d.domid}) bounced      ${bounces.join(" ") || "none"} (vector:count)`,
      `${d.name} (d${d.domid}) upcalls      ${d.upcalls}`,
      `${d.name} (d${d.domid}) virtual time ${(d.virtualTime.cycles(clock.now) / clock.hz).toFixed(6)} s (simulated)`,
    );
  }
  lines.push(
    `PTEs validated       ${hv.tables.entriesValidated}`,
    `TLB flushes          ${cpu.tlb.fullFlushes} full + ${cpu.tlb.pageFlushes} pages`,
    `context switches     ${hv.switches} (lazy FPU loads ${hv.fpuSwitches})`,
    `guest instructions   ${cpu.instructions}`,
    `simulated cycles     ${clock.now}`,
    `simulated seconds    ${(clock.now / clock.hz).toFixed(6)}`,
    `host seconds         ${hostSeconds.toFixed(3)}`,
  );
  return lines.map((l) => `tsxen: ${l}`).join("\n") + "\n";
}
