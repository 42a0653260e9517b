/**
 * `tsxen run`: boot a kernel on the bare PC and stream its serial console.
 * The machine runs in slices of simulated time; between slices the event
 * loop gets a turn (stdin, output flushing), and host time is measured only
 * for --stats, never shown to the guest.
 *
 * stdin feeds COM1 whatever it is: a terminal (in raw mode), a pipe or a
 * file. Bytes reach the UART between slices, so where in simulated time
 * they arrive depends on the host; what a guest reads does not. A guest
 * halted with IF=1 and no event pending may be waiting for input: while
 * stdin is open the run waits for it (or for --timeout) instead of ending
 * as idle. When the guest exits, stdin is let go (a pipe or file is
 * destroyed, a terminal leaves raw mode and is paused), so an open pipe
 * does not keep the process alive.
 */
import { readFileSync } from "node:fs";
import { Pc } from "../machine/pc.js";
import { LoaderError } from "../machine/boot/elf32.js";
import { MemoryDisk } from "../machine/devices/block-device.js";
import { TripleFault } from "../machine/cpu/fault.js";
import {
  EXIT_DATAERR, EXIT_IDLE, EXIT_NOINPUT, EXIT_TIMEOUT, EXIT_TRIPLE_FAULT, EXIT_USAGE,
} from "./exit-status.js";
import { parseArgs, type ParsedArgs } from "./args.js";
import { PV_HEADROOM_MIB, isXenKernel, runPv } from "./run-pv.js";
import { MAX_MEMORY_MIB } from "../machine/pc.js";

/** Simulated cycles per slice: 10 ms of the 2.4 GHz machine. */
const SLICE_CYCLES = 24_000_000;

function readInput(path: string, what: string): Uint8Array | string {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    return `tsxen: cannot read ${what} '${path}': ${code}`;
  }
}

export async function runCommand(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, {
      flags: ["stats", "no-jit"],
      options: ["memory", "disk", "cmdline", "timeout", "jit-threshold", "vcpus"],
      repeatable: ["module"],
    });
  } catch (e) {
    process.stderr.write(`tsxen run: ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }
  const [kernelPath, ...extra] = args.positional;
  if (kernelPath === undefined) {
    process.stderr.write("tsxen run: expected KERNEL.elf (several only for Xen PV kernels)\n");
    return EXIT_USAGE;
  }
  const memoryMiB = Number(args.options.memory ?? "128");
  if (!Number.isInteger(memoryMiB) || memoryMiB < 2 || memoryMiB > MAX_MEMORY_MIB) {
    process.stderr.write(`tsxen run: --memory must be an integer number of MiB between 2 and ${MAX_MEMORY_MIB}\n`);
    return EXIT_USAGE;
  }
  const timeout = args.options.timeout === undefined ? Infinity : Number(args.options.timeout);
  if (!(timeout > 0)) {
    process.stderr.write(`tsxen run: --timeout must be a positive number of seconds\n`);
    return EXIT_USAGE;
  }
  const kernel = readInput(kernelPath, "kernel");
  if (typeof kernel === "string") { process.stderr.write(kernel + "\n"); return EXIT_NOINPUT; }
  const vcpus = Number(args.options.vcpus ?? "1");
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > 32) {
    process.stderr.write("tsxen run: --vcpus must be an integer from 1 to 32\n");
    return EXIT_USAGE;
  }
  if (isXenKernel(kernel)) {
    const kernels = [{ path: kernelPath, image: kernel }];
    for (const path of extra) {
      const image = readInput(path, "kernel");
      if (typeof image === "string") { process.stderr.write(image + "\n"); return EXIT_NOINPUT; }
      if (!isXenKernel(image)) { process.stderr.write(`tsxen run: ${path}: not a Xen PV kernel (only PV kernels run side by side)\n`); return EXIT_USAGE; }
      kernels.push({ path, image });
    }
    if (memoryMiB * kernels.length + PV_HEADROOM_MIB > MAX_MEMORY_MIB) {
      process.stderr.write(`tsxen run: ${kernels.length} domains of ${memoryMiB} MiB and the hypervisor's ${PV_HEADROOM_MIB} MiB exceed the machine's ${MAX_MEMORY_MIB} MiB\n`);
      return EXIT_USAGE;
    }
    return runPv({
      kernels, memoryMiB, vcpus, cmdline: args.options.cmdline ?? "", timeout, noJit: args.flags["no-jit"] === true,
      stats: args.flags.stats === true,
    });
  }
  if (extra.length > 0) {
    process.stderr.write("tsxen run: expected exactly one KERNEL.elf (several only for Xen PV kernels)\n");
    return EXIT_USAGE;
  }
  let disk: MemoryDisk | undefined;
  if (args.options.disk !== undefined) {
    const image = readInput(args.options.disk, "disk image");
    if (typeof image === "string") { process.stderr.write(image + "\n"); return EXIT_NOINPUT; }
    disk = new MemoryDisk(image);
  }
  const modules: { bytes: Uint8Array; cmdline: string }[] = [];
  for (const spec of args.repeated.module ?? []) {
    const comma = spec.indexOf(",");
    const path = comma < 0 ? spec : spec.slice(0, comma);
    const bytes = readInput(path, "module");
    if (typeof bytes === "string") { process.stderr.write(bytes + "\n"); return EXIT_NOINPUT; }
    modules.push({ bytes, cmdline: comma < 0 ? path : spec.slice(comma + 1) });
  }

  const out: number[] = [];
  const flush = (): void => {
    if (out.length > 0) { process.stdout.write(Uint8Array.from(out)); out.length = 0; }
  };
  // each line goes out as soon as the guest ends it (stdout to a pipe or file is synchronous on Linux),
  // so a reader timestamping lines sees them when the guest wrote them
  const serial = (b: number): void => { out.push(b); if (b === 10) flush(); };
  // a reader that goes away (`tsxen run ... | head`) ends the run quietly, as SIGPIPE ends other tools
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
  const pc = new Pc({ memoryMiB, serial, ...(disk ? { disk } : {}) });
  if (args.flags["no-jit"]) pc.cpu.compileBlocks = false;
  if (args.options["jit-threshold"] !== undefined) {
    const n = Number(args.options["jit-threshold"]);
    if (!Number.isInteger(n) || n < 1 || n > 255) {
      process.stderr.write("tsxen run: --jit-threshold must be an integer from 1 to 255\n");
      return EXIT_USAGE;
    }
    pc.cpu.hotThreshold = n;
  }
  try {
    pc.bootMultiboot(kernel, args.options.cmdline ?? kernelPath, modules);
  } catch (e) {
    if (e instanceof LoaderError) {
      process.stderr.write(`tsxen run: ${kernelPath}: ${e.message}\n`);
      return EXIT_DATAERR;
    }
    throw e;
  }

  const input = new SerialInput(process.stdin, (bytes) => pc.uart.receive(bytes));
  const started = process.hrtime.bigint();
  let status: number;
  try {
    status = await drive(pc, flush, started, timeout, input);
  } finally {
    flush();
    input.close();
  }
  if (args.flags.stats) printStats(pc, started);
  return status;
}

/** The host's stdin as COM1's receive line. */
class SerialInput {
  /** False once stdin ended, failed or was closed: no more bytes will come. */
  open = true;
  private wake: (() => void) | undefined;
  private readonly tty: boolean;

  constructor(private readonly stdin: NodeJS.ReadStream, receive: (bytes: Uint8Array) => void) {
    this.tty = stdin.isTTY === true;
    if (this.tty) stdin.setRawMode(true);
    stdin.on("data", (chunk: Buffer) => {
      receive(new Uint8Array(chunk));
      this.wake?.();
    });
    const ended = (): void => {
      this.open = false;
      this.wake?.();
    };
    stdin.once("end", ended);
    stdin.once("close", ended);
    stdin.on("error", ended); // e.g. stdin is a directory: treat as no input
  }

  /** Resolves when bytes arrive, stdin ends, or `ms` milliseconds pass. */
  waitForInput(ms: number): Promise<void> {
    if (!this.open) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => done(), Math.max(0, ms)) : undefined;
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
    });
  }

  /** Stop reading so that stdin cannot keep the process alive. */
  close(): void {
    this.open = false;
    this.wake = undefined;
    if (this.tty) {
      this.stdin.setRawMode(false);
      this.stdin.pause();
    } else {
      this.stdin.destroy();
    }
  }
}

async function drive(pc: Pc, flush: () => void, started: bigint, timeout: number, input: SerialInput): Promise<number> {
  const hostSeconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  for (;;) {
    let reason;
    try {
      reason = pc.runFor(SLICE_CYCLES);
    } catch (e) {
      if (e instanceof TripleFault) {
        flush();
        process.stderr.write(`tsxen: guest triple fault (${e.message}) at cs:eip ${hex(pc.cpu.segSel[1]!)}:${hex(pc.cpu.eip)}\n`);
        return EXIT_TRIPLE_FAULT;
      }
      throw e;
    }
    flush();
    if (reason === "exit") return ((pc.exitCode! << 1) | 1) & 0xff;
    if (reason === "idle") {
      const interruptible = (pc.cpu.eflags & 0x200) !== 0;
      if (interruptible && input.open) {
        // Halted waiting for an interrupt: only stdin (COM1, IRQ 4) can bring one.
        await input.waitForInput((timeout - hostSeconds()) * 1000);
        if (hostSeconds() > timeout) {
          process.stderr.write(`tsxen: timeout after ${timeout} s (host time)\n`);
          return EXIT_TIMEOUT;
        }
        continue;
      }
      process.stderr.write(interruptible
        ? `tsxen: guest halted waiting for an interrupt, and nothing can raise one (stdin closed) (eip ${hex(pc.cpu.eip)})\n`
        : `tsxen: guest halted with interrupts disabled and nothing pending (eip ${hex(pc.cpu.eip)})\n`);
      return EXIT_IDLE;
    }
    if (hostSeconds() > timeout) {
      process.stderr.write(`tsxen: timeout after ${timeout} s (host time)\n`);
      return EXIT_TIMEOUT;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function hex(v: number): string {
  return (v >>> 0).toString(16).padStart(8, "0");
}

function printStats(pc: Pc, started: bigint): void {
  const hostSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const insns = pc.cpu.instructions;
  const lines = [
    `guest instructions   ${insns}`,
    `simulated cycles     ${pc.clock.now}`,
    `simulated seconds    ${(pc.clock.now / pc.clock.hz).toFixed(6)}`,
    `host seconds         ${hostSeconds.toFixed(3)}`,
    `MIPS (host)          ${(insns / hostSeconds / 1e6).toFixed(1)}`,
    `TLB fills/flushes    ${pc.cpu.tlb.fills}/${pc.cpu.tlb.fullFlushes}+${pc.cpu.tlb.pageFlushes} pages`,
    `decoded instructions ${pc.cpu.dc.decodes}`,
  ];
  process.stderr.write(lines.map((l) => `tsxen: ${l}`).join("\n") + "\n");
}
