/**
 * `tsxen run` for a Xen PV kernel (issue 3): detect the Xen ELF notes, build
 * the domain under the hypervisor (src/hv/pv/start-domain.ts) and run it.
 * The guest's PV console ring goes to stdout (what `xl console` shows) and
 * only that; the hypervisor log — its console_io lines as "(d1) …" and
 * tsxen's own messages — goes to stderr (what `xl dmesg` shows).
 *
 * The board gets the domain's memory (--memory, MiB) plus HV_HEADROOM_MIB
 * for the hypervisor's own frames (M2P, descriptor tables). Status: 0 on
 * SHUTDOWN_poweroff, EXIT_DOMAIN_REBOOT on reboot, EXIT_DOMAIN_CRASH on a
 * crash or any other shutdown reason, EXIT_IDLE / EXIT_TIMEOUT as for bare
 * kernels. TSXEN_CHECK_INVARIANTS=1 checks the frame table after every MMU
 * hypercall (a violation crashes the domain).
 */
import { Pc } from "../machine/pc.js";
import { LoaderError, elfNotes } from "../machine/boot/elf32.js";
import { SHUTDOWN } from "../abi/hypercalls.js";
import { startPvDomain } from "../hv/pv/start-domain.js";
import type { PvHost } from "../hv/pv/pv-host.js";
import { EXIT_DATAERR, EXIT_DOMAIN_CRASH, EXIT_DOMAIN_REBOOT, EXIT_IDLE, EXIT_TIMEOUT } from "./exit-status.js";

const SLICE_CYCLES = 24_000_000;
const HV_HEADROOM_MIB = 16;

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
  kernel: Uint8Array;
  kernelPath: string;
  memoryMiB: number;
  cmdline: string;
  timeout: number;
  noJit: boolean;
}

export async function runPv(o: RunPvOptions): Promise<number> {
  const pc = new Pc({ memoryMiB: o.memoryMiB + HV_HEADROOM_MIB, serial: () => {} });
  if (o.noJit) pc.cpu.compileBlocks = false;
  const log = (line: string): void => { process.stderr.write(line + "\n"); };
  const started = startPvDomain({
    cpu: pc.cpu, ram: pc.ram, image: o.kernel, memoryBytes: o.memoryMiB * 1024 * 1024, cmdline: o.cmdline,
    sinks: { ring: (bytes) => { process.stdout.write(bytes); }, log },
    checkInvariants: process.env.TSXEN_CHECK_INVARIANTS === "1",
  });
  if (started instanceof LoaderError) {
    process.stderr.write(`tsxen run: ${o.kernelPath}: ${started.message}\n`);
    return EXIT_DATAERR;
  }
  return drivePv(pc, started.host, o.timeout, log);
}

async function drivePv(pc: Pc, host: PvHost, timeout: number, log: (l: string) => void): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (;;) {
    const reason = pc.runFor(SLICE_CYCLES);
    const end = host.end;
    if (end !== undefined) {
      if (end.kind === "crash") return EXIT_DOMAIN_CRASH;
      if (end.reason === SHUTDOWN.poweroff) return 0;
      if (end.reason === SHUTDOWN.reboot) return EXIT_DOMAIN_REBOOT;
      log(`tsxen: domain shut down with reason ${end.reason}`);
      return EXIT_DOMAIN_CRASH;
    }
    if (reason === "idle") {
      log(`tsxen: domain halted with nothing that could wake it (eip ${(pc.cpu.eip >>> 0).toString(16)})`);
      return EXIT_IDLE;
    }
    if (Number(process.hrtime.bigint() - t0) / 1e9 > timeout) {
      log(`tsxen: timeout after ${timeout} s (host time)`);
      return EXIT_TIMEOUT;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
