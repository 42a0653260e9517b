/**
 * One virtual CPU of a PV domain (docs/xen-pv32-abi.md §1.11, §2.3, §4.21,
 * §6): what Xen keeps in `struct vcpu` for a 32-bit PV guest.
 *
 *   context     the guest's registers while it is not on the CPU (CpuContext)
 *   traps       its virtual IDT, kernel stack, callbacks (traps.ts)
 *   baseptr     the L3 it runs on (one general + one L3 type reference, §5.9)
 *   gdt         the frames set_gdt installed (segment-descriptor typed)
 *   iopl        the virtual IOPL (physdev_op set_iopl, §4.17)
 *   timers      one-shot (set_timer_op) and periodic (10 ms by default, §8.3)
 *   state       down → runnable ⇄ running ⇄ blocked
 *
 * Runstate time (§4.21 get_runstate_info) and the domain's virtual time are
 * charged by the hypervisor when it switches vCPUs.
 */
import type { TimerHandle } from "../../machine/clock.js";
import { CpuContext } from "../../machine/cpu/context.js";
import type { Mfn, Paddr } from "../../lib/brand.js";
import { SingleshotTimer, type PvTime } from "../core/pv-time.js";
import type { PvTraps } from "./traps.js";
import type { PvVcpuEmulation } from "./priv-op-host.js";

export type VcpuState = "down" | "runnable" | "running" | "blocked";

/** The registers a vCPU initialised by VCPUOP_initialise enters with (loaded through the CPU's checks on its first run). */
export interface StartFrame {
  /** EAX ECX EDX EBX ESP(unused) EBP ESI EDI. */
  gprs: number[];
  eip: number; cs: number; eflags: number; esp: number; ss: number;
  ds: number; es: number; fs: number; gs: number;
}

/** Every PV vCPU starts with a 10 ms periodic timer (§8.3); the minimum period is 1 ms. */
export const DEFAULT_PERIOD_NS = 10_000_000n;
export const MIN_PERIOD_NS = 1_000_000n;

/** Size of one vcpu_info in shared_info (§2.3). */
export const VCPU_INFO_SIZE = 64;

export class PvVcpu {
  readonly context = new CpuContext();
  state: VcpuState = "down";
  /** VCPUOP_initialise done (vCPU 0: by the domain builder). */
  initialised = false;
  /** Set by VCPUOP_initialise: how the vCPU enters the guest on its first run. */
  startFrame: StartFrame | undefined;
  traps!: PvTraps;
  /** The guest L3 this vCPU runs on (§5.9); 0 before it is first initialised. */
  baseptr = 0 as Mfn;
  /** set_gdt's frames (each holding one general and one SEG_DESC type reference) and entry count. */
  gdtFrames: Mfn[] = [];
  gdtEntries = 0;
  /** MMUEXT_SET_LDT: linear base and entry count (0: none). */
  ldtBase = 0;
  ldtEntries = 0;
  /** LDT pages mapped so far (index = page of the LDT), each with a general and a SEG_DESC reference. */
  ldtFrames: Array<Mfn | undefined> = [];
  /** Virtual IOPL (0–3) from PHYSDEVOP_set_iopl. */
  iopl = 0;
  /** Virtual CR0.TS (fpu_taskswitch, §6.9). */
  ts = false;
  /** DR0–DR7 as VCPUOP_initialise gave them (loaded through set_debugreg at the first run); afterwards DR0–3 mirror set_debugreg. */
  readonly debugRegs = new Uint32Array(8);
  /** DR7 enable and R/W-LEN bits of I/O breakpoints: emulated, never loaded into the CPU (§6.10). */
  ioBreakpointBits = 0;
  /** Privileged-instruction emulation state (virtual CR2/CR4, MSRs): set by the domain. */
  emulation!: PvVcpuEmulation;
  /** Cycles spent in each runstate (§4.21: running, runnable, blocked, offline) and when the current one began. */
  readonly runstateCycles = [0, 0, 0, 0];
  runstateSince = 0;
  /** PHYSDEVOP_set_iobitmap: the guest's I/O bitmap (linear address, ports covered). */
  ioBitmap: { va: number; nrPorts: number } | undefined;
  /** SCHEDOP_poll: the ports this blocked vCPU waits on (undefined: not polling). */
  pollPorts: number[] | undefined;
  private pollTimer: TimerHandle | undefined;
  readonly singleshot: SingleshotTimer;
  periodic: { period: bigint; handle: TimerHandle } | undefined;

  constructor(
    readonly id: number,
    readonly domid: number,
    /** Machine address of this vCPU's vcpu_info in shared_info. */
    readonly vcpuInfo: Paddr,
    private readonly time: PvTime,
    private readonly raiseTimerVirq: () => void,
  ) {
    this.singleshot = new SingleshotTimer(time, raiseTimerVirq);
  }

  get name(): string {
    return `d${this.domid}v${this.id}`;
  }

  /** VCPUOP_set_periodic_timer / stop (period 0n). */
  setPeriodic(period: bigint): void {
    const clock = this.time.clock;
    if (this.periodic !== undefined) clock.cancel(this.periodic.handle);
    this.periodic = undefined;
    if (period === 0n) return;
    const arm = (at: bigint): void => {
      const handle = clock.schedule(this.time.cycleAt(at), () => {
        arm(at + period);
        this.raiseTimerVirq();
      });
      this.periodic = { period, handle };
    };
    arm(this.time.systemTime() + period);
  }

  /** SCHEDOP_poll's timeout (absolute system time): wake through `wake` then. */
  singleshotPoll(deadline: bigint, wake: () => void): void {
    this.cancelPoll();
    this.pollTimer = this.time.clock.schedule(this.time.cycleAt(deadline), () => { this.pollTimer = undefined; wake(); });
  }

  cancelPoll(): void {
    if (this.pollTimer !== undefined) this.time.clock.cancel(this.pollTimer);
    this.pollTimer = undefined;
    this.pollPorts = undefined;
  }

  stopTimers(): void {
    this.cancelPoll();
    this.singleshot.stop();
    this.setPeriodic(0n);
  }
}
