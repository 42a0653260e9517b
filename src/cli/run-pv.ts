/**
 * `tsxen run` for Xen PV kernels (issue 3): detect the Xen ELF notes, start
 * the hypervisor on the board with domain 0's toolstack, create one domU per
 * kernel (console and xenstore connected) and run them side by side. Each guest's PV console ring goes to stdout (what `xl console`
 * shows) and only that, its lines prefixed with the domain's name when
 * several run; the hypervisor log — console_io lines as "(d1) …" and
 * tsxen's own messages — goes to stderr (what `xl dmesg` shows).
 *
 * The board gets every domain's memory (--memory MiB each) plus
 * PV_HEADROOM_MIB for the hypervisor's own frames (M2P, descriptor tables).
 * The run ends when every domain has ended. Status: 0 when all powered off,
 * else the first non-zero of EXIT_DOMAIN_CRASH (a crash or an unknown
 * reason) and EXIT_DOMAIN_REBOOT in domain order; EXIT_IDLE / EXIT_TIMEOUT
 * as for bare kernels. TSXEN_CHECK_INVARIANTS=1 checks the frame table
 * after every MMU hypercall (a violation crashes the domain).
 */
import { basename } from "node:path";
import { Pc } from "../machine/pc.js";
import { LoaderError, elfNotes } from "../machine/boot/elf32.js";
import { SHUTDOWN } from "../abi/hypercalls.js";
import { Hypervisor, HypervisorAreaError } from "../hv/pv/hypervisor.js";
import type { PvDomain } from "../hv/pv/domain.js";
import { Toolstack } from "../toolstack/toolstack.js";
import { EXIT_DATAERR, EXIT_DOMAIN_CRASH, EXIT_DOMAIN_REBOOT, EXIT_IDLE, EXIT_TIMEOUT } from "./exit-status.js";
import { formatPvStats } from "./pv-stats.js";

const SLICE_CYCLES = 24_000_000;
/** Machine memory for the hypervisor's own frames (M2P, descriptor tables) beyond the domains'. */
export const PV_HEADROOM_MIB = 16;

/** Does the image carry Xen ELF notes (note name "Xen")? An unparsable image is not a Xen kernel. */
export function isXenKernel(image: Uint8Array): boolean {
  try {
    return elfNotes(image).some((n) => n.name === "Xen");
  } catch (e) {
    if (e instanceof LoaderError) return false;
    throw e;
  }
}

export interface RunPvOptions {
  kernels: Array<{ path: string; image: Uint8Array }>;
  memoryMiB: number;
  vcpus: number;
  cmdline: string;
  timeout: number;
  noJit: boolean;
  stats: boolean;
}

export async function runPv(o: RunPvOptions): Promise<number> {
  const pc = new Pc({ memoryMiB: o.memoryMiB * o.kernels.length + PV_HEADROOM_MIB, serial: () => {} });
  if (o.noJit) pc.cpu.compileBlocks = false;
  const log = (line: string): void => { process.stderr.write(line + "\n"); };
  const several = o.kernels.length > 1;
  const pending = new Map<number, string>();
  const consoleOut = (d: PvDomain, bytes: Uint8Array): void => {
    if (!several) { process.stdout.write(bytes); return; }
    // whole lines, each prefixed with the domain's name
    let text = (pending.get(d.domid) ?? "") + Buffer.from(bytes).toString("latin1");
    let nl: number;
    while ((nl = text.indexOf("\n")) >= 0) {
      process.stdout.write(Buffer.from(`${d.name}: ${text.slice(0, nl + 1)}`, "latin1"));
      text = text.slice(nl + 1);
    }
    pending.set(d.domid, text);
  };
  let hv: Hypervisor;
  try {
    hv = new Hypervisor({
      cpu: pc.cpu, ram: pc.ram, sinks: { log },
      checkInvariants: process.env.TSXEN_CHECK_INVARIANTS === "1",
    });
  } catch (e) {
    if (e instanceof HypervisorAreaError) { log(`tsxen run: ${e.message}`); return EXIT_DATAERR; }
    throw e;
  }
  const toolstack = new Toolstack(hv, { console: consoleOut });
  const names = new Set<string>();
  for (const k of o.kernels) {
    let name = basename(k.path).replace(/\.elf$/, "");
    while (names.has(name)) name += "'";
    names.add(name);
    const d = toolstack.createDomain({ image: k.image, memoryBytes: o.memoryMiB * 1024 * 1024, cmdline: o.cmdline, name, vcpus: o.vcpus });
    if (d instanceof LoaderError) {
      process.stderr.write(`tsxen run: ${k.path}: ${d.message}\n`);
      return EXIT_DATAERR;
    }
  }
  hv.start();
  const t0 = process.hrtime.bigint();
  const finish = (status: number): number => {
    for (const [domid, rest] of pending) {
      const d = hv.domains.get(domid);
      if (rest.length > 0 && d !== undefined) process.stdout.write(Buffer.from(`${d.name}: ${rest}\n`, "latin1"));
    }
    for (const d of hv.domains.values()) d.flushLine();
    if (o.stats) process.stderr.write(formatPvStats(hv, pc.cpu, Number(process.hrtime.bigint() - t0) / 1e9));
    return status;
  };
  for (;;) {
    const reason = pc.runFor(SLICE_CYCLES);
    if (hv.allEnded) return finish(exitStatus([...hv.domains.values()], log));
    if (reason === "idle") {
      log(`tsxen: every vCPU is blocked with nothing that could wake it`);
      return finish(EXIT_IDLE);
    }
    if (Number(process.hrtime.bigint() - t0) / 1e9 > o.timeout) {
      log(`tsxen: timeout after ${o.timeout} s (host time)`);
      return finish(EXIT_TIMEOUT);
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function exitStatus(domains: PvDomain[], log: (l: string) => void): number {
  for (const d of domains) {
    const end = d.end;
    if (end === undefined || (end.kind === "shutdown" && end.reason === SHUTDOWN.poweroff)) continue;
    if (end.kind === "crash") return EXIT_DOMAIN_CRASH;
    if (end.reason === SHUTDOWN.reboot) return EXIT_DOMAIN_REBOOT;
    log(`tsxen: ${d.name} shut down with reason ${end.reason}`);
    return EXIT_DOMAIN_CRASH;
  }
  return 0;
}
