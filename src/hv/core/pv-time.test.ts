/**
 * PV time (docs/xen-pv32-abi.md §8, §2.4, §4.8): Xen's time scale, the
 * versioned vcpu_time_info and wallclock records at their §2.2/§2.4 offsets
 * (written out here), a guest computing the time from them as §8.1 says,
 * set_timer_op's one-shot timer on the simulated clock delivering
 * VIRQ_TIMER, and per-domain virtual time.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VIRQ } from "../../abi/event-channels.js";
import { InvariantError } from "../../lib/assert.js";
import type { DomId, Paddr } from "../../lib/brand.js";
import { SimClock } from "../../machine/clock.js";
import { Ram } from "../../machine/memory/ram.js";
import { EvtchnDomain } from "./event-channel.js";
import type { MachineMemory } from "./machine-memory.js";
import { PvTime, scaleDelta, SingleshotTimer, timeoutFromArgs, timeScale, VirtualTime } from "./pv-time.js";

const HZ = 2_400_000_000;
const SHARED = 0x1000;
const VCPU1_TIME = SHARED + 64 + 32; // vcpu_info[1].time (§2.2, §2.3)
const EPOCH = 1_700_000_000_123_456_789n;

const rd64 = (mem: MachineMemory, at: number): bigint =>
  (BigInt(mem.read32(at + 4) >>> 0) << 32n) | BigInt(mem.read32(at) >>> 0);

/** What a guest does (§8.1): read the record, scale the TSC delta, add. */
function guestNow(mem: MachineMemory, at: number, tscNow: bigint): bigint {
  const tscTimestamp = rd64(mem, at + 8);
  const systemTime = rd64(mem, at + 16);
  const mul = BigInt(mem.read32(at + 24) >>> 0);
  const shift = (mem.read8(at + 28) << 24) >> 24;
  let delta = tscNow - tscTimestamp;
  delta = shift >= 0 ? delta << BigInt(shift) : delta >> BigInt(-shift);
  return systemTime + ((delta * mul) >> 32n);
}

const exactNs = (cycles: number | bigint): bigint => (BigInt(cycles) * 1_000_000_000n) / BigInt(HZ);

function setup(): { clock: SimClock; ram: Ram; time: PvTime } {
  const clock = new SimClock(HZ);
  return { clock, ram: new Ram(0x4000), time: new PvTime({ clock, bootEpochNs: EPOCH }) };
}

test("time scale: Xen's set_time_scale (1 GHz is the §8.1 example; 2.4 GHz; slow clocks shift left)", () => {
  assert.deepEqual(timeScale(1_000_000_000), { mul: 0x80000000, shift: 1 });
  const s = timeScale(HZ);
  assert.deepEqual(s, { mul: Number((10n ** 9n << 32n) / 1_200_000_000n), shift: -1 });
  assert.equal(s.mul, 0xd5555555);
  // CPU frequency = ((10^9 << 32) / mul) >> shift (§8.1).
  assert.ok(Math.abs(Number((10n ** 9n << 32n) / BigInt(s.mul)) * 2 - HZ) < 2);
  assert.deepEqual(timeScale(33_000_000), { mul: Number((10n ** 9n << 32n) / (33_000_000n << 5n)), shift: 5 });
  assert.equal(scaleDelta(2_400_000_000n, s), 999_999_999n, "one second, less the truncation of mul");
  assert.throws(() => timeScale(0), InvariantError);
});

test("system time is ns since boot at the simulated clock's rate: cycles / 2.4 at 2.4 GHz", () => {
  const { clock, time } = setup();
  assert.equal(time.systemTime(), 0n);
  clock.now = 2_400_000_000 * 5 + 7;
  assert.equal(time.systemTime(), 5_000_000_002n);
  assert.equal(time.systemTime(24), 10n);
  for (const ns of [0n, 1n, 2n, 3n, 5_000_000_001n, 123_456_789_012n]) {
    const c = time.cycleAt(ns);
    assert.ok(time.systemTime(c) >= ns && (c === 0 || time.systemTime(c - 1) < ns), `cycleAt(${ns}) = ${c}`);
  }
});

test("vcpu_time_info: fields at §2.4 offsets, version even after each update", () => {
  const { clock, ram, time } = setup();
  clock.now = 2_400_000_000 * 3 + 12_345;
  time.updateVcpuSystemTime(ram, (SHARED + 64) as Paddr);
  assert.equal(ram.read32(VCPU1_TIME), 2, "0 → 1 (odd, updating) → 2");
  // Stamped at the latest cycle whose system time is whole ns: every 12 cycles at 2.4 GHz.
  const stamp = clock.now - (clock.now % 12);
  assert.equal(rd64(ram, VCPU1_TIME + 8), BigInt(stamp), "tsc_timestamp");
  assert.equal(rd64(ram, VCPU1_TIME + 16), exactNs(stamp), "system_time");
  assert.equal((BigInt(stamp) * 1_000_000_000n) % BigInt(HZ), 0n, "no rounding in system_time");
  assert.equal(exactNs(stamp), 3_000_005_140n, "12345 cycles past 3 s is 5143.75 ns; the stamp, 12336 cycles, 5140 ns");
  assert.equal(ram.read32(VCPU1_TIME + 24) >>> 0, 0xd5555555, "tsc_to_system_mul");
  assert.equal(ram.read8(VCPU1_TIME + 28), 0xff, "tsc_shift = -1");
  assert.equal(ram.read8(VCPU1_TIME + 29), 1, "flags: XEN_PVCLOCK_TSC_STABLE_BIT");
  assert.equal(ram.read32(SHARED + 32), 0, "vCPU 0's record untouched");
  time.updateVcpuSystemTime(ram, (SHARED + 64) as Paddr);
  assert.equal(ram.read32(VCPU1_TIME), 4);
  ram.write32(VCPU1_TIME, 7); // left odd by someone: (7+1)|1 = 9, then 10
  time.updateVcpuSystemTime(ram, (SHARED + 64) as Paddr);
  assert.equal(ram.read32(VCPU1_TIME), 10);
  ram.write32(VCPU1_TIME, 0xffffffff);
  time.updateVcpuSystemTime(ram, (SHARED + 64) as Paddr);
  assert.equal(ram.read32(VCPU1_TIME), 2, "u32 wrap: (2^32)|1 → 1 → 2");
});

test("vcpu_time_info is written under the seqlock: version odd first, fields, version even last", () => {
  const { clock, ram, time } = setup();
  clock.now = 99_999;
  const log: [number, number][] = [];
  const spy: MachineMemory = {
    size: ram.size,
    read8: (a) => ram.read8(a),
    read16: (a) => ram.read16(a),
    read32: (a) => ram.read32(a),
    write8: (a, v) => (log.push([a, ram.read32(VCPU1_TIME)]), ram.write8(a, v)),
    write16: (a, v) => (log.push([a, ram.read32(VCPU1_TIME)]), ram.write16(a, v)),
    write32: (a, v) => (log.push([a, ram.read32(VCPU1_TIME)]), ram.write32(a, v)),
  };
  time.publishTimeInfo(spy, VCPU1_TIME as Paddr);
  assert.equal(log[0]![0], VCPU1_TIME, "first write: version");
  assert.equal(log.at(-1)![0], VCPU1_TIME, "last write: version");
  for (const [addr, versionSeen] of log.slice(1)) {
    assert.ok(addr >= VCPU1_TIME && addr < VCPU1_TIME + 32, "only the record is written");
    assert.equal(versionSeen % 2, 1, `field @${addr - VCPU1_TIME} written while version is odd`);
  }
  assert.equal(ram.read32(VCPU1_TIME) % 2, 0);
});

test("a guest computes the current time from the record and a later TSC within 1 ns", () => {
  const { clock, ram, time } = setup();
  clock.now = 7 * 2_400_000_000 + 1_234_567;
  time.updateVcpuSystemTime(ram, (SHARED + 64) as Paddr);
  const stamp = BigInt(clock.now);
  const laters = [0n, 1n, 2n, 3n, 5n, 7n, 11n, 13n, 1000n, 2_399_999n, 2_400_000_000n, 2n * 2_400_000_000n + 17n];
  let seed = 12345;
  for (let i = 0; i < 2000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    laters.push(BigInt(seed % 2_400_000_000)); // anywhere in the next second (the refresh period)
  }
  for (const later of laters) {
    const tsc = stamp + later;
    const diff = guestNow(ram, VCPU1_TIME, tsc) - exactNs(tsc);
    assert.ok(diff >= -1n && diff <= 0n, `${later} cycles later: off by ${diff} ns`);
  }
});

test("with a TSC offset the guest's TSC still maps to system time", () => {
  const clock = new SimClock(HZ);
  const ram = new Ram(0x4000);
  const offset = 5_000_000_000_000;
  const time = new PvTime({ clock, bootEpochNs: EPOCH, readTsc: () => clock.now + offset, tscStable: false });
  clock.now = 1_000_000;
  time.publishTimeInfo(ram, VCPU1_TIME as Paddr);
  assert.equal(ram.read8(VCPU1_TIME + 29), 0, "no TSC_STABLE flag");
  const later = 3_000_000;
  const diff = guestNow(ram, VCPU1_TIME, BigInt(later + offset)) - exactNs(later);
  assert.ok(diff >= -1n && diff <= 1n, `off by ${diff} ns`);
});

test("wallclock: wc_sec/wc_nsec (+ wc_sec_hi) of system time 0, under wc_version", () => {
  const { clock, ram, time } = setup();
  clock.now = 10 * HZ; // the wallclock names system time 0, whatever the time now
  time.updateWallclock(ram, SHARED as Paddr);
  assert.deepEqual(
    [ram.read32(SHARED + 2304), ram.read32(SHARED + 2308), ram.read32(SHARED + 2312), ram.read32(SHARED + 2340)],
    [2, 1_700_000_000, 123_456_789, 0],
  );
  time.updateWallclock(ram, SHARED as Paddr, 3600n);
  assert.deepEqual([ram.read32(SHARED + 2304), ram.read32(SHARED + 2308)], [4, 1_700_003_600]);
  const far = new PvTime({ clock, bootEpochNs: 7_258_118_400n * 1_000_000_000n + 5n }); // 2200-01-01
  far.updateWallclock(ram, SHARED as Paddr);
  assert.deepEqual(
    [ram.read32(SHARED + 2308) >>> 0, ram.read32(SHARED + 2312), ram.read32(SHARED + 2340)],
    [7_258_118_400 - 2 ** 32, 5, 1],
  );
});

/** A domain whose vCPU 0 has VIRQ_TIMER bound, the timer raising it. */
function timerWorld(): { clock: SimClock; ram: Ram; timer: SingleshotTimer; fired: number[]; pending: () => boolean } {
  const { clock, ram, time } = setup();
  const d = new EvtchnDomain(
    { domid: 1 as DomId, vcpus: 1, mem: ram, sharedInfo: SHARED as Paddr },
    { lookup: () => undefined, kick: () => {} },
  );
  const port = d.bindVirq(VIRQ.TIMER, 0);
  const fired: number[] = [];
  const timer = new SingleshotTimer(time, () => {
    fired.push(clock.now);
    d.raiseVirq(VIRQ.TIMER, 0);
  });
  return { clock, ram, timer, fired, pending: () => d.isPending(port) };
}

function runUntil(clock: SimClock, cycle: number): void {
  while (clock.nextEventAt <= cycle) {
    clock.now = clock.nextEventAt;
    clock.runDue();
  }
  clock.now = cycle;
}

test("set_timer_op fires VIRQ_TIMER at the first cycle whose system time reaches the timeout", () => {
  const { clock, timer, fired, pending } = timerWorld();
  assert.equal(timer.set(1_000_000n), 0); // 1 ms
  assert.equal(timer.deadline, 1_000_000n);
  runUntil(clock, 2_399_999);
  assert.deepEqual(fired, []);
  assert.ok(!pending());
  runUntil(clock, 2_400_000);
  assert.deepEqual(fired, [2_400_000]);
  assert.ok(pending(), "VIRQ_TIMER's port is pending");
  assert.equal(timer.deadline, undefined);
  timer.set(1_000_001n); // 1 ns after: cycle ⌈1000001 · 2.4⌉ = 2400003
  runUntil(clock, 10_000_000);
  assert.deepEqual(fired, [2_400_000, 2_400_003]);
});

test("set_timer_op(0) cancels; a new timeout replaces the old one", () => {
  const { clock, timer, fired } = timerWorld();
  timer.set(1_000_000n);
  assert.equal(timer.set(0n), 0);
  assert.equal(timer.deadline, undefined);
  runUntil(clock, 100_000_000);
  assert.deepEqual(fired, []);
  timer.set(50_000_000n);
  timer.set(45_000_000n);
  runUntil(clock, 1_000_000_000);
  assert.deepEqual(fired, [108_000_000]);
});

test("a timeout at or before now fires at once, before set_timer_op returns", () => {
  const { clock, timer, fired, pending } = timerWorld();
  clock.now = 24_000; // 10 µs
  timer.set(9_000n);
  assert.deepEqual(fired, [24_000]);
  assert.ok(pending());
  timer.set(10_000n);
  assert.deepEqual(fired, [24_000, 24_000], "exactly now");
  assert.equal(clock.nextEventAt, Infinity, "nothing left scheduled");
});

test("negative or ≥ 2^50 ns ahead: Xen's Linux workaround programs now + 100 ms", () => {
  const { clock, timer, fired } = timerWorld();
  clock.now = 2_400;
  assert.equal(timeoutFromArgs(0, 0x80000000), -(2n ** 63n));
  assert.equal(timeoutFromArgs(0x89abcdef, 0x01234567), 0x0123456789abcdefn);
  timer.set(timeoutFromArgs(0, 0x80000000));
  assert.equal(timer.deadline, 100_001_000n);
  timer.set(1_000n + 2n ** 50n);
  assert.equal(timer.deadline, 100_001_000n);
  timer.set(1_000n + 2n ** 50n - 1n);
  assert.equal(timer.deadline, 1_000n + 2n ** 50n - 1n, "just under the limit: taken as given");
  timer.set(timeoutFromArgs(0xffffffff, 0xffffffff));
  runUntil(clock, 240_002_399);
  assert.deepEqual(fired, []);
  runUntil(clock, 240_002_400);
  assert.deepEqual(fired, [240_002_400]);
});

test("virtual time advances only while the domain runs", () => {
  const vt = new VirtualTime(HZ);
  assert.equal(vt.ns(1_000), 0n);
  vt.domainStarted(2_400);
  assert.ok(vt.running);
  assert.equal(vt.ns(2_400 + 2_400_000), 1_000_000n, "counts the current run");
  vt.domainStopped(2_400 + 2_400_000);
  assert.equal(vt.ns(9_999_999_999), 1_000_000n, "frozen while not running");
  vt.domainStarted(10_000_000_000);
  vt.domainStopped(10_000_000_000 + 4_800);
  assert.equal(vt.cycles(20_000_000_000), 2_404_800);
  assert.equal(vt.ns(20_000_000_000), 1_002_000n);
  assert.throws(() => vt.domainStopped(1), InvariantError);
  vt.domainStarted(1);
  assert.throws(() => vt.domainStarted(2), InvariantError);
  assert.throws(() => vt.domainStopped(0), InvariantError, "stopping before starting");
});
