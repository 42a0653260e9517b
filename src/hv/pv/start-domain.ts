/**
 * Start one PV domain on a bare machine (docs/xen-pv32-abi.md §1): the frame
 * table over all of machine RAM, the hypervisor's frames (HypervisorArea),
 * the PV page-table types, the domain builder, then the vCPU state and the
 * ring-0 host on the CPU, with the MMU hypercalls (mmu-ops.ts). The caller runs the CPU and reads `host.end`.
 */
import type { Cpu } from "../../machine/cpu/cpu.js";
import type { Ram } from "../../machine/memory/ram.js";
import { LoaderError } from "../../machine/boot/elf32.js";
import type { DomId } from "../../lib/brand.js";
import { PAGE } from "../../abi/memory-layout.js";
import { FrameTable } from "../core/frame-table.js";
import { buildPvDomain, type BuiltDomain } from "./domain-builder.js";
import { PvPageTables } from "./page-types.js";
import { HypervisorArea, HypervisorAreaError } from "./hypervisor-area.js";
import { setupVcpu } from "./cpu-setup.js";
import { PvHost, type PvSinks } from "./pv-host.js";
import { PvMmu } from "./mmu-ops.js";

export interface StartPvDomainOptions {
  cpu: Cpu;
  ram: Ram;
  image: Uint8Array;
  memoryBytes: number;
  cmdline: string;
  sinks: PvSinks;
  /** Check the frame table's invariants after every MMU hypercall; a violation crashes the domain. */
  checkInvariants?: boolean;
}

export interface StartedPvDomain {
  readonly host: PvHost;
  readonly domain: BuiltDomain;
  readonly frames: FrameTable;
  readonly tables: PvPageTables;
}

/** The first domU's id and the ports xl gives its store and console (§1.8). */
export const FIRST_DOMU = 1 as DomId;
const STORE_EVTCHN = 1;
const CONSOLE_EVTCHN = 2;

export function startPvDomain(o: StartPvDomainOptions): StartedPvDomain | LoaderError {
  const frames = new FrameTable(Math.floor(o.ram.size / PAGE.SIZE));
  let area: HypervisorArea;
  try {
    area = new HypervisorArea(o.ram, frames);
  } catch (e) {
    if (e instanceof HypervisorAreaError) return new LoaderError("too-big", e.message);
    throw e;
  }
  const tables = new PvPageTables(o.ram, frames, { initXenL2Slots: (mem, l2) => area.initXenL2Slots(mem, l2) });
  const domain = buildPvDomain({
    mem: o.ram, frames, tables, domid: FIRST_DOMU, image: o.image, memoryBytes: o.memoryBytes,
    cmdline: o.cmdline, consoleEvtchn: CONSOLE_EVTCHN, storeEvtchn: STORE_EVTCHN,
    m2p: (mfn, pfn) => area.setM2p(mfn, pfn),
  });
  if (domain instanceof LoaderError) return domain;
  setupVcpu(o.cpu, area, domain);
  const host = new PvHost({ cpu: o.cpu, mem: o.ram, domain, domid: FIRST_DOMU, consoleEvtchn: CONSOLE_EVTCHN, storeEvtchn: STORE_EVTCHN, sinks: o.sinks });
  new PvMmu({
    cpu: o.cpu, mem: o.ram, frames, tables, area, guest: host.guest, self: FIRST_DOMU, l3Mfn: domain.l3Mfn,
    checkInvariants: o.checkInvariants ?? false, crash: (m) => host.crash(m),
  }).register(host.hypercalls);
  o.cpu.host = host;
  return { host, domain, frames, tables };
}
