/**
 * Time for paravirtualized guests (docs/xen-pv32-abi.md §8, §2.2, §2.4, §4.8;
 * Xen xen/arch/x86/time.c set_time_scale / scale_delta /
 * __update_vcpu_system_time, xen/common/time.c update_domain_wallclock_time,
 * xen/common/sched/core.c do_set_timer_op).
 *
 * Three clocks, as the paper names them:
 *   real time     system time: ns since the hypervisor started, derived from
 *                 the simulated clock exactly, NOW = ⌊cycles·10^9 / hz⌋;
 *   wall time     the Unix time at system time 0 (`bootEpochNs`) plus the
 *                 domain's offset, published in shared_info (§8.2);
 *   virtual time  ns a domain has actually run (`VirtualTime`), advanced only
 *                 between domainStarted and domainStopped (BVT's clock).
 *
 * The guest reads real time from its vCPU's vcpu_time_info (§2.4, 32 bytes):
 *
 *   +0 version  +8 tsc_timestamp  +16 system_time  +24 tsc_to_system_mul
 *   +28 tsc_shift (i8)  +29 flags
 *   now = system_time + (((TSC − tsc_timestamp) <<> tsc_shift) · mul) >> 32
 *
 * and every record is written under the seqlock: version := (v+1)|1 (odd),
 * fields, version := v+1 (even) (§8.1). The TSC the guest sees runs at the
 * simulated clock rate (Cpu: TSC = clock.now + tscOffset), so mul/shift come
 * from `clock.hz` by Xen's set_time_scale.
 *
 * Each record is stamped at the latest cycle ≤ now whose system time is a
 * whole number of ns (every 12 cycles at 2.4 GHz: hz / gcd(hz, 10^9)), so
 * system_time carries no rounding; a guest's result then differs from NOW by
 * the guest's own truncation (< 1 ns) plus the drift of the truncated `mul`
 * (under 10^-10 of the time since the stamp). The scheduler therefore
 * refreshes a vCPU's record whenever it is scheduled, as Xen does, and at
 * least once a second (Xen's calibration period), keeping guests within 1 ns.
 *
 * All 64-bit quantities are bigint; this module is not on a hot path.
 */
import { offsetOf } from "../../abi/layout.js";
import { sharedInfo, vcpuInfo, vcpuTimeInfo, XEN_PVCLOCK } from "../../abi/structs.js";
import { assert } from "../../lib/assert.js";
import type { Paddr } from "../../lib/brand.js";
import type { SimClock, TimerHandle } from "../../machine/clock.js";
import type { MachineMemory } from "./machine-memory.js";

const NS_PER_SEC = 1_000_000_000n;
const U64 = (1n << 64n) - 1n;
/** do_set_timer_op: a timeout this far ahead (2^50 ns, ~13 days) or negative is taken as now + 100 ms. */
const HUGE_TIMEOUT = 1n << 50n;
const HUGE_TIMEOUT_REPLACEMENT = 100_000_000n;

const T = {
  version: offsetOf(vcpuTimeInfo, "version"),
  tscTimestamp: offsetOf(vcpuTimeInfo, "tsc_timestamp"),
  systemTime: offsetOf(vcpuTimeInfo, "system_time"),
  mul: offsetOf(vcpuTimeInfo, "tsc_to_system_mul"),
  shift: offsetOf(vcpuTimeInfo, "tsc_shift"),
  flags: offsetOf(vcpuTimeInfo, "flags"),
} as const;
const VCPU_INFO_TIME = offsetOf(vcpuInfo, "time");
const WC = {
  version: offsetOf(sharedInfo, "wc_version"),
  sec: offsetOf(sharedInfo, "wc_sec"),
  nsec: offsetOf(sharedInfo, "wc_nsec"),
  secHi: offsetOf(sharedInfo, "arch.wc_sec_hi"),
} as const;

/** TSC → ns conversion: ns = ((ticks <<> shift) · mul) >> 32 (Xen's struct time_scale). */
export interface TimeScale {
  /** tsc_to_system_mul: 32.32 fixed-point fraction. */
  readonly mul: number;
  /** tsc_shift: signed. */
  readonly shift: number;
}

/** Xen's set_time_scale: bring the rate into (10^9, 2·10^9], then mul = ⌊(10^9 << 32) / rate⌋. */
export function timeScale(ticksPerSec: number): TimeScale {
  assert(Number.isInteger(ticksPerSec) && ticksPerSec > 0, `time scale for ${ticksPerSec} Hz`);
  let rate = BigInt(ticksPerSec);
  let shift = 0;
  while (rate > 2n * NS_PER_SEC) {
    rate >>= 1n;
    shift--;
  }
  while (rate <= NS_PER_SEC) {
    rate <<= 1n;
    shift++;
  }
  return { mul: Number((NS_PER_SEC << 32n) / rate), shift };
}

/** Xen's scale_delta (and the guest's §8.1 formula): 64-bit ticks → ns, 96-bit product. */
export function scaleDelta(ticks: bigint, scale: TimeScale): bigint {
  const shifted = scale.shift < 0 ? ticks >> BigInt(-scale.shift) : (ticks << BigInt(scale.shift)) & U64;
  return ((shifted * BigInt(scale.mul)) >> 32n) & U64;
}

/** Longest stamp alignment worth waiting for (cycles); beyond it records are stamped at `now`. */
const MAX_STAMP_PERIOD = 4096;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** version_update_begin / version_update_end (xen/include/xen/time.h), on a u32. */
const versionBegin = (v: number): number => ((v + 1) | 1) >>> 0;
const versionEnd = (v: number): number => (v + 1) >>> 0;

function write64(mem: MachineMemory, at: number, value: bigint): void {
  mem.write32(at, Number(value & 0xffffffffn));
  mem.write32(at + 4, Number((value >> 32n) & 0xffffffffn));
}

export interface PvTimeConfig {
  readonly clock: SimClock;
  /** Wall-clock time at system time 0: ns since 1970-01-01 UTC. */
  readonly bootEpochNs: bigint;
  /** The TSC guests read with RDTSC (default `clock.now`, i.e. a zero TSC offset). */
  readonly readTsc?: () => number;
  /** Publish XEN_PVCLOCK_TSC_STABLE_BIT (default true: one constant-rate TSC for every vCPU). */
  readonly tscStable?: boolean;
}

/** System time, its publication to guests, and the wall clock. */
export class PvTime {
  readonly clock: SimClock;
  readonly scale: TimeScale;
  readonly bootEpochNs: bigint;
  private readonly hz: bigint;
  /** Cycles between instants whose system time is a whole ns (1 if that period is unreasonably long). */
  private readonly stampPeriod: number;
  private readonly readTsc: () => number;
  private readonly flags: number;

  constructor(config: PvTimeConfig) {
    this.clock = config.clock;
    this.scale = timeScale(config.clock.hz);
    this.hz = BigInt(config.clock.hz);
    const period = config.clock.hz / gcd(config.clock.hz, 1_000_000_000);
    this.stampPeriod = period <= MAX_STAMP_PERIOD ? period : 1;
    this.bootEpochNs = config.bootEpochNs;
    this.readTsc = config.readTsc ?? (() => config.clock.now);
    this.flags = config.tscStable === false ? 0 : XEN_PVCLOCK.TSC_STABLE_BIT;
  }

  /** NOW(): system time in ns at `cycles` (default the current cycle). */
  systemTime(cycles: number = this.clock.now): bigint {
    return (BigInt(cycles) * NS_PER_SEC) / this.hz;
  }

  /** The first cycle at which systemTime() ≥ `ns` (ns ≥ 0). */
  cycleAt(ns: bigint): number {
    return Number((ns * this.hz + NS_PER_SEC - 1n) / NS_PER_SEC);
  }

  /** Publish the current time record at `timeInfoAt` (a vcpu_time_info) under the version protocol. */
  publishTimeInfo(mem: MachineMemory, timeInfoAt: Paddr): void {
    const version = versionBegin(mem.read32(timeInfoAt + T.version));
    mem.write32(timeInfoAt + T.version, version);
    const now = this.clock.now;
    const stamp = now - (now % this.stampPeriod);
    write64(mem, timeInfoAt + T.tscTimestamp, BigInt(this.readTsc() - (now - stamp)));
    write64(mem, timeInfoAt + T.systemTime, this.systemTime(stamp));
    mem.write32(timeInfoAt + T.mul, this.scale.mul);
    mem.write8(timeInfoAt + T.shift, this.scale.shift & 0xff);
    mem.write8(timeInfoAt + T.flags, this.flags);
    mem.write32(timeInfoAt + T.version, versionEnd(version));
  }

  /** __update_vcpu_system_time: refresh `vcpu_info.time` of the vcpu_info at `vcpuInfoAt`. */
  updateVcpuSystemTime(mem: MachineMemory, vcpuInfoAt: Paddr): void {
    this.publishTimeInfo(mem, (vcpuInfoAt + VCPU_INFO_TIME) as Paddr);
  }

  /** update_domain_wallclock_time: wc_sec/wc_nsec (+ arch.wc_sec_hi) = boot epoch + the domain's offset. */
  updateWallclock(mem: MachineMemory, sharedInfoAt: Paddr, offsetSeconds = 0n): void {
    const version = versionBegin(mem.read32(sharedInfoAt + WC.version));
    mem.write32(sharedInfoAt + WC.version, version);
    const sec = this.bootEpochNs / NS_PER_SEC + offsetSeconds;
    mem.write32(sharedInfoAt + WC.sec, Number(sec & 0xffffffffn));
    mem.write32(sharedInfoAt + WC.nsec, Number(this.bootEpochNs % NS_PER_SEC));
    mem.write32(sharedInfoAt + WC.secHi, Number((sec >> 32n) & 0xffffffffn));
    mem.write32(sharedInfoAt + WC.version, versionEnd(version));
  }
}

/** set_timer_op's argument: low and high words of a signed 64-bit system time (§3.3, §4.8). */
export const timeoutFromArgs = (lo: number, hi: number): bigint =>
  BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));

/**
 * A vCPU's one-shot timer (v->singleshot_timer): set_timer_op and
 * VCPUOP_set_singleshot_timer arm it; on expiry `fire` runs (the caller
 * raises VIRQ_TIMER on that vCPU, §8.3). A timeout at or before NOW fires
 * before set() returns, as Xen's timer softirq runs before the hypercall
 * returns to the guest.
 */
export class SingleshotTimer {
  private handle: TimerHandle | undefined;
  /** System time the timer is armed for, undefined when idle. */
  deadline: bigint | undefined;

  constructor(private readonly time: PvTime, private readonly fire: () => void) {}

  /** do_set_timer_op: 0 cancels; negative or ≥ 2^50 ns ahead → now + 100 ms; returns 0. */
  set(timeout: bigint): number {
    this.stop();
    if (timeout === 0n) return 0;
    const now = this.time.systemTime();
    const expires = timeout < 0n || timeout - now >= HUGE_TIMEOUT ? now + HUGE_TIMEOUT_REPLACEMENT : timeout;
    if (expires <= now) {
      this.fire();
      return 0;
    }
    this.deadline = expires;
    this.handle = this.time.clock.schedule(this.time.cycleAt(expires), () => {
      this.handle = undefined;
      this.deadline = undefined;
      this.fire();
    });
    return 0;
  }

  stop(): void {
    if (this.handle !== undefined) this.time.clock.cancel(this.handle);
    this.handle = undefined;
    this.deadline = undefined;
  }
}

/**
 * A domain's virtual time: the time it has run (paper.md §9 "Time": it
 * advances only while the domain runs; BVT schedules by it). The
 * scheduler calls domainStarted when one of its vCPUs gets the CPU and
 * domainStopped when it leaves; `now` is the simulated clock in cycles.
 */
export class VirtualTime {
  private runCycles = 0;
  private startedAt: number | undefined;

  constructor(private readonly hz: number) {}

  get running(): boolean {
    return this.startedAt !== undefined;
  }

  domainStarted(now: number): void {
    assert(this.startedAt === undefined, "virtual time: domain started twice");
    this.startedAt = now;
  }

  domainStopped(now: number): void {
    assert(this.startedAt !== undefined && now >= this.startedAt, "virtual time: stop without start");
    this.runCycles += now - this.startedAt;
    this.startedAt = undefined;
  }

  /** Cycles run up to `now` (including the current run). */
  cycles(now: number): number {
    return this.runCycles + (this.startedAt === undefined ? 0 : now - this.startedAt);
  }

  /** Virtual time in ns up to `now`. */
  ns(now: number): bigint {
    return (BigInt(this.cycles(now)) * NS_PER_SEC) / BigInt(this.hz);
  }
}
