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
 *
 * Events and time (§4.7, §4.8, §4.14, §4.21, §6.5, §7, §8): the domain's
 * EvtchnDomain over its shared_info (vcpu_info[0] inside it) serves
 * event_channel_op; ports 1 (xenstore) and 2 (console) are interdomain with
 * domain 0's daemons, Xen-consumer ports in a dom0 table (the console one
 * drains the console ring). VIRQ_TIMER comes from the one-shot timer
 * (set_timer_op, VCPUOP_set_singleshot_timer) and the periodic timer
 * (default 10 ms, VCPUOP_{set,stop}_periodic_timer), scheduled on the
 * machine's SimClock. The upcall is delivered on every return from a
 * hypercall and, when an event arrives while the guest runs (a clock
 * callback, at an instruction boundary), at once. SCHEDOP_block clears the
 * mask and, with nothing deliverable, halts the CPU; the simulated clock
 * then jumps to the next event, whose kick resumes the vCPU with the upcall.
 */
import { CONSOLEIO, DOMID, HYPERCALL, SCHEDOP, SHUTDOWN, VCPUOP } from "../../abi/hypercalls.js";
import { VIRQ } from "../../abi/event-channels.js";
import { EvtchnDomain } from "../core/event-channel.js";
import { eventChannelOp } from "../core/event-channel-op.js";
import { PvTime, SingleshotTimer, timeoutFromArgs } from "../core/pv-time.js";
import type { TimerHandle } from "../../machine/clock.js";
import type { DomId, Paddr } from "../../lib/brand.js";
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
  storeEvtchn: number;
  sinks: PvSinks;
}

/** Every PV vCPU starts with a 10 ms periodic timer (§8.3); the minimum period is 1 ms. */
const DEFAULT_PERIOD_NS = 10_000_000n;
const MIN_PERIOD_NS = 1_000_000n;

/** Xen keeps at most this many bytes of an unterminated domU console_io line. */
const LINE_MAX = 256;

export class PvHost implements Ring0Host {
  readonly hypercalls = new HypercallTable();
  readonly guest: PvGuestMemory;
  readonly traps: PvTraps;
  /** Set once the domain has shut down or crashed; the CPU is stopped. */
  end: DomainEnd | undefined;
  readonly evtchn: EvtchnDomain;
  readonly time: PvTime;
  private readonly dom0: EvtchnDomain;
  private readonly singleshot: SingleshotTimer;
  private periodic: { period: bigint; handle: TimerHandle } | undefined;
  private line = "";
  /** In SCHEDOP_block with the CPU halted until an event arrives. */
  private blocked = false;
  /** Inside a hypercall: an upcall waits for the return to the guest. */
  private inHypercall = false;

  constructor(private readonly o: PvHostOptions) {
    const l3 = o.domain.l3Mfn * PAGE.SIZE;
    this.guest = new PvGuestMemory(o.mem, () => ({ l3, nx: false }));
    const sharedInfo = (o.domain.sharedInfoMfn * PAGE.SIZE) as Paddr;
    const hooks = {
      lookup: (d: DomId) => (d === o.domid ? this.evtchn : d === 0 ? this.dom0 : undefined),
      kick: (d: DomId) => { if (d === o.domid) this.kick(); },
    };
    this.evtchn = new EvtchnDomain({ domid: o.domid as DomId, vcpus: 1, mem: o.mem, sharedInfo }, hooks);
    // domain 0's daemons: Xen-consumer ends that never touch shared memory
    this.dom0 = new EvtchnDomain({ domid: 0 as DomId, vcpus: 1, mem: o.mem, sharedInfo, privileged: true }, hooks);
    for (const [want, consumer] of [[o.storeEvtchn, () => {}], [o.consoleEvtchn, () => this.drainConsoleRing()]] as const) {
      const port = this.evtchn.allocUnbound(DOMID.SELF, 0);
      if (port !== want) throw new Error(`evtchn: toolstack port ${port}, wanted ${want}`);
      const rc = this.dom0.bindInterdomain(o.domid, port, consumer);
      if (rc < 0) throw new Error(`evtchn: dom0 bind to port ${port}: ${rc}`);
    }
    const clock = o.cpu.clock;
    this.time = new PvTime({ clock, bootEpochNs: 0n, readTsc: () => clock.now + o.cpu.tscOffset });
    this.time.updateVcpuSystemTime(o.mem, this.evtchn.vcpuInfo(0));
    this.singleshot = new SingleshotTimer(this.time, () => this.timerVirq());
    this.setPeriodic(DEFAULT_PERIOD_NS);
    this.hypercalls
      .register(HYPERCALL.console_io, ([cmd, count, buf]) => this.consoleIo(cmd, count, buf))
      .register(HYPERCALL.xen_version, ([cmd, arg]) => xenVersion(this.guest, cmd, arg))
      .register(HYPERCALL.sched_op, ([cmd, arg]) => this.schedOp(cmd, arg))
      .register(HYPERCALL.event_channel_op, ([cmd, arg]) => eventChannelOp(this.evtchn, cmd, vaddr(arg), this.guest))
      .register(HYPERCALL.set_timer_op, ([lo, hi]) => this.singleshot.set(timeoutFromArgs(lo, hi)))
      .register(HYPERCALL.vcpu_op, ([cmd, vcpu, arg]) => this.vcpuOp(cmd, vcpu, arg));
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
        this.inHypercall = true;
        try {
          r[EAX] = this.hypercalls.dispatch(r[EAX]! >>> 0, args);
        } finally {
          this.inHypercall = false;
        }
        if (this.end === undefined && !this.blocked) this.traps.upcall();
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

  /**
   * §7.2 step 2: vCPU 0 has a new upcall pending. Wake it from SCHEDOP_block;
   * outside a hypercall (a clock callback at an instruction boundary) deliver
   * the upcall now if the mask allows.
   */
  private kick(): void {
    try {
      if (this.end !== undefined || this.inHypercall) return;
      const cpu = this.o.cpu;
      if (this.blocked) {
        this.blocked = false;
        cpu.halted = false;
        this.time.updateVcpuSystemTime(this.o.mem, this.evtchn.vcpuInfo(0));
      }
      if (this.traps.upcall()) cpu.attention = 1;
    } catch (e) {
      this.crash(`hypervisor error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private timerVirq(): void {
    this.evtchn.raiseVirq(VIRQ.TIMER, 0);
  }

  private setPeriodic(period: bigint): void {
    if (this.periodic !== undefined) this.o.cpu.clock.cancel(this.periodic.handle);
    this.periodic = undefined;
    if (period === 0n) return;
    const arm = (at: bigint): void => {
      const handle = this.o.cpu.clock.schedule(this.time.cycleAt(at), () => {
        arm(at + period);
        this.timerVirq();
      });
      this.periodic = { period, handle };
    };
    arm(this.time.systemTime() + period);
  }

  /** §4.21, the timer commands; vCPU 0 only (−ENOENT), other commands −ENOSYS. */
  private vcpuOp(cmd: number, vcpu: number, arg: number): number {
    if (vcpu !== 0) return -ERRNO.ENOENT;
    switch (cmd) {
      case VCPUOP.is_up:
        return 1;
      case VCPUOP.set_periodic_timer: {
        const raw = this.guest.copyFromGuest(vaddr(arg), 8);
        if (raw === undefined) return -ERRNO.EFAULT;
        const period = new DataView(raw.buffer, raw.byteOffset, 8).getBigUint64(0, true);
        if (period < MIN_PERIOD_NS) return -ERRNO.EINVAL;
        this.setPeriodic(period);
        return 0;
      }
      case VCPUOP.stop_periodic_timer:
        this.setPeriodic(0n);
        return 0;
      case VCPUOP.set_singleshot_timer: {
        const raw = this.guest.copyFromGuest(vaddr(arg), 12);
        if (raw === undefined) return -ERRNO.EFAULT;
        return this.singleshot.set(BigInt.asIntN(64, new DataView(raw.buffer, raw.byteOffset, 8).getBigUint64(0, true)));
      }
      case VCPUOP.stop_singleshot_timer:
        this.singleshot.stop();
        return 0;
      default:
        return -ERRNO.ENOSYS;
    }
  }

  /** SCHEDOP_block (§4.7): unmask; halt unless an upcall is already deliverable. */
  private block(): number {
    const vi = this.evtchn.vcpuInfo(0);
    this.o.mem.write8(vi + 1, 0);
    if (this.evtchn.eventsNeedDelivery(0)) return 0;
    this.blocked = true;
    this.o.cpu.halted = true;
    this.o.cpu.attention = 1;
    return 0;
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
      case SCHEDOP.block:
        return this.block();
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
