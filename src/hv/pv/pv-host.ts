/**
 * The hypervisor for one PV domain on the machine's CPU: the Ring0Host the
 * CPU calls for every delivery that targets ring 0 (ARCHITECTURE.md §2,
 * src/machine/exits.ts). First slice:
 *
 *   int $0x82 from ring 1 ──► HypercallTable by EAX (EBX ECX EDX ESI EDI)
 *                             ──► EAX = result, resume after the INT
 *   exception 0–20, INT3/INTO, a refused INT n (#GP) ──► PvTraps: bounce
 *                             to the guest's virtual IDT (traps.ts, §6.3–§6.4)
 *   external interrupt, SYSENTER ──► crash the domain
 *
 * Hypercalls here: console_io (CONSOLEIO_write, §4.16: bytes to the log,
 * buffered per line as Xen buffers a domU's output), sched_op (yield,
 * shutdown, §4.7), event_channel_op(send) on the console port, which stands
 * for domain 0's console daemon and drains the console ring (§9.2) to the
 * ring sink, xen_version (§4.15, xen-version.ts). start-domain.ts adds the
 * MMU hypercalls (mmu-ops.ts). Everything else is −ENOSYS. No guest action may throw out of
 * trap(): an unexpected error crashes the domain with its message.
 */
import { CONSOLEIO, EVTCHNOP, HYPERCALL, SCHEDOP, SHUTDOWN } from "../../abi/hypercalls.js";
import { ERRNO } from "../../abi/errno.js";
import { XENCONS, xenconsInterface } from "../../abi/rings.js";
import { offsetOf } from "../../abi/layout.js";
import { PAGE } from "../../abi/memory-layout.js";
import type { Ring0Host, TrapFrame } from "../../machine/exits.js";
import type { Cpu } from "../../machine/cpu/cpu.js";
import { EAX, EBX, ECX, EDI, EDX, ESI } from "../../machine/cpu/registers.js";
import { vaddr } from "../../lib/brand.js";
import type { MachineMemory } from "../core/machine-memory.js";
import type { BuiltDomain } from "./domain-builder.js";
import { PvGuestMemory } from "./guest-memory.js";
import { HYPERCALL_VECTOR } from "./hypervisor-area.js";
import { HypercallTable } from "./hypercall.js";
import { xenVersion } from "./xen-version.js";
import { PvTraps } from "./traps.js";

export interface PvSinks {
  /** Bytes the console daemon read from the guest's console ring (stdout). */
  ring(bytes: Uint8Array): void;
  /** One line of the hypervisor log, e.g. "(d1) Hello" (stderr). */
  log(line: string): void;
}

export type DomainEnd =
  | { kind: "shutdown"; reason: number }
  | { kind: "crash"; message: string };

export interface PvHostOptions {
  cpu: Cpu;
  mem: MachineMemory;
  domain: BuiltDomain;
  domid: number;
  consoleEvtchn: number;
  sinks: PvSinks;
}

/** Xen keeps at most this many bytes of an unterminated domU console_io line. */
const LINE_MAX = 256;

export class PvHost implements Ring0Host {
  readonly hypercalls = new HypercallTable();
  readonly guest: PvGuestMemory;
  readonly traps: PvTraps;
  /** Set once the domain has shut down or crashed; the CPU is stopped. */
  end: DomainEnd | undefined;
  private line = "";

  constructor(private readonly o: PvHostOptions) {
    const l3 = o.domain.l3Mfn * PAGE.SIZE;
    this.guest = new PvGuestMemory(o.mem, () => ({ l3, nx: false }));
    this.hypercalls
      .register(HYPERCALL.console_io, ([cmd, count, buf]) => this.consoleIo(cmd, count, buf))
      .register(HYPERCALL.xen_version, ([cmd, arg]) => xenVersion(this.guest, cmd, arg))
      .register(HYPERCALL.sched_op, ([cmd, arg]) => this.schedOp(cmd, arg))
      .register(HYPERCALL.event_channel_op, ([cmd, arg]) => this.eventChannelOp(cmd, arg));
    this.traps = new PvTraps({
      cpu: o.cpu, mem: o.mem, guest: this.guest, sharedInfoMfn: o.domain.sharedInfoMfn,
      kernelSs: o.domain.vcpu.kernelSs, kernelSp: o.domain.vcpu.kernelSp, crash: (m) => this.crash(m),
    });
    this.traps.register(this.hypercalls);
  }

  trap(frame: TrapFrame): void {
    try {
      if (this.end !== undefined) return this.stop();
      if (frame.vector === HYPERCALL_VECTOR && frame.software && (frame.cs & 3) === 1) {
        const r = this.o.cpu.regs;
        this.o.cpu.eip = frame.eip;
        const args = [r[EBX]! >>> 0, r[ECX]! >>> 0, r[EDX]! >>> 0, r[ESI]! >>> 0, r[EDI]! >>> 0] as const;
        r[EAX] = this.hypercalls.dispatch(r[EAX]! >>> 0, args);
        return;
      }
      if (!frame.external && frame.vector < 256) return this.traps.exception(frame);
      const ec = frame.errorCode >= 0 ? ` error code ${hex(frame.errorCode)}` : "";
      const cr2 = frame.vector === 14 ? ` cr2 ${hex(frame.cr2)}` : "";
      this.crash(`unhandled exception ${frame.vector}${ec}${cr2} at ${hex(frame.cs, 4)}:${hex(frame.eip)}`);
    } catch (e) {
      this.crash(`hypervisor error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** End the domain with a crash (§4.7 SHUTDOWN_crash as Xen's domain_crash). */
  crash(message: string): void {
    if (this.end === undefined) {
      this.flushLine();
      this.o.sinks.log(`(XEN) domain ${this.o.domid} crashed: ${message}`);
      this.end = { kind: "crash", message };
    }
    this.stop();
  }

  private stop(): void {
    this.o.cpu.stopRequested = true;
    this.o.cpu.attention = 1;
  }

  private consoleIo(cmd: number, count: number, buf: number): number {
    if (cmd !== CONSOLEIO.write) return -ERRNO.ENOSYS;
    if (count === 0) return 0;
    const bytes = this.guest.copyFromGuest(vaddr(buf), count);
    if (bytes === undefined) return -ERRNO.EFAULT;
    for (const b of bytes) {
      if (b === 10) this.flushLine();
      else if ((b >= 32 && b < 127) || b === 9) {
        this.line += String.fromCharCode(b);
        if (this.line.length >= LINE_MAX) this.flushLine();
      }
    }
    return 0;
  }

  private flushLine(): void {
    if (this.line.length === 0) return;
    this.o.sinks.log(`(d${this.o.domid}) ${this.line}`);
    this.line = "";
  }

  private schedOp(cmd: number, arg: number): number {
    switch (cmd) {
      case SCHEDOP.yield:
        return 0;
      case SCHEDOP.shutdown: {
        const raw = this.guest.copyFromGuest(vaddr(arg), 4);
        if (raw === undefined) return -ERRNO.EFAULT;
        const reason = (raw[0]! | (raw[1]! << 8) | (raw[2]! << 16) | (raw[3]! << 24)) >>> 0;
        this.flushLine();
        if (reason === SHUTDOWN.crash) this.crash("SCHEDOP_shutdown(SHUTDOWN_crash)");
        else {
          this.end = { kind: "shutdown", reason };
          this.stop();
        }
        return 0;
      }
      default:
        return -ERRNO.ENOSYS;
    }
  }

  private eventChannelOp(cmd: number, arg: number): number {
    if (cmd !== EVTCHNOP.send) return -ERRNO.ENOSYS;
    const raw = this.guest.copyFromGuest(vaddr(arg), 4);
    if (raw === undefined) return -ERRNO.EFAULT;
    const port = (raw[0]! | (raw[1]! << 8) | (raw[2]! << 16) | (raw[3]! << 24)) >>> 0;
    if (port !== this.o.consoleEvtchn) return -ERRNO.EINVAL;
    this.drainConsoleRing();
    return 0;
  }

  /** Domain 0's console daemon: consume out[out_cons … out_prod) (§9.2). */
  private drainConsoleRing(): void {
    const page = this.o.domain.consoleMfn * PAGE.SIZE;
    const mem = this.o.mem;
    const consAt = page + offsetOf(xenconsInterface, "out_cons");
    const prod = mem.read32(page + offsetOf(xenconsInterface, "out_prod")) >>> 0;
    let cons = mem.read32(consAt) >>> 0;
    // a guest that claims more than the ring holds gets only the ring's worth
    let n = (prod - cons) >>> 0;
    if (n > XENCONS.OUT_SIZE) { cons = (prod - XENCONS.OUT_SIZE) >>> 0; n = XENCONS.OUT_SIZE; }
    const out = new Uint8Array(n);
    const base = page + offsetOf(xenconsInterface, "out");
    for (let i = 0; i < n; i++) out[i] = mem.read8(base + ((cons + i) & (XENCONS.OUT_SIZE - 1)));
    mem.write32(consAt, prod);
    if (n > 0) this.o.sinks.ring(out);
  }
}

function hex(v: number, width = 8): string {
  return (v >>> 0).toString(16).padStart(width, "0");
}
