/**
 * vcpu_op (docs/xen-pv32-abi.md §4.21, §2.6, §8.3) on a two-vCPU fake guest
 * through `int $0x82`: is_up, VCPUOP_initialise (once, and refusals that
 * hold nothing), up, the periodic and single-shot timers (observed as
 * VIRQ_TIMER events on a bound port) and get_runstate_info.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRNO } from "../../abi/errno.js";
import { CALLBACKTYPE, EVTCHNOP, HYPERCALL, VCPUOP } from "../../abi/hypercalls.js";
import { offsetOf } from "../../abi/layout.js";
import { xenPfnToCr3 } from "../../abi/memory-layout.js";
import { FLAT } from "../../abi/segments.js";
import { sharedInfo, vcpuGuestContext } from "../../abi/structs.js";
import { CS, EAX, ECX, ESI, ESP } from "../../machine/cpu/registers.js";
import {
  KERNEL, SCRATCH, UNMAPPED, advanceTo, advanceUntil, changedFrames, fakeGuest, frameRefs, hypercall, mapReadOnly, mfnAt,
  onCpu, peekWords, poke32, type FakeGuest,
} from "../../../tests/support/pv-fake-guest.js";

const CTX = SCRATCH + 0x10000, ARG = SCRATCH + 0x20000, OUT = SCRATCH + 0x21000;
const at = (path: string): number => offsetOf(vcpuGuestContext, path);
const V1_ENTRY = KERNEL + 0x100;

function guest(): FakeGuest {
  return fakeGuest({ vcpus: 2, code: [[0, [0xeb, 0xfe]], [0x100, [0xeb, 0xfe]]] });
}

const vcpuOp = (g: FakeGuest, cmd: number, vcpu: number, arg = 0): number => hypercall(g, HYPERCALL.vcpu_op, cmd, vcpu, arg);

/** A vcpu_guest_context for a secondary vCPU: the builder's L3, FLAT ring-1 selectors, entry V1_ENTRY. */
function writeContext(g: FakeGuest, o: { l3?: number; eflags?: number; gdtEnts?: number; gdtFrame?: number } = {}): void {
  for (let off = 0; off < vcpuGuestContext.size; off += 4) poke32(g, g.d, CTX + off, 0);
  const put = (path: string, v: number): void => poke32(g, g.d, CTX + at(path), v);
  put("user_regs.eip", V1_ENTRY);
  put("user_regs.cs", FLAT.RING1_CS);
  put("user_regs.eflags", o.eflags ?? 0x202);
  put("user_regs.esp", SCRATCH + 0x50000);
  put("user_regs.ss", FLAT.RING1_SS);
  for (const s of ["ds", "es", "fs", "gs"]) put(`user_regs.${s}`, FLAT.RING1_DS);
  put("user_regs.eax", 0x1111aaaa);
  put("user_regs.ecx", 0x2222bbbb);
  put("user_regs.esi", 0x3333cccc);
  put("kernel_ss", FLAT.RING1_SS);
  put("kernel_sp", SCRATCH + 0x50000);
  put("ctrlreg[3]", xenPfnToCr3(o.l3 ?? g.d.built.l3Mfn));
  put("gdt_ents", o.gdtEnts ?? 0);
  if (o.gdtFrame !== undefined) put("gdt_frames[0]", o.gdtFrame);
  put("event_callback_cs", FLAT.RING1_CS);
  put("event_callback_eip", KERNEL + 0x200);
}

/** Bind VIRQ_TIMER of `vcpu` to a new port (event_channel_op, §7.5). */
function bindTimer(g: FakeGuest, vcpu: number): number {
  poke32(g, g.d, ARG, 0, vcpu, 0);
  assert.equal(hypercall(g, HYPERCALL.event_channel_op, EVTCHNOP.bind_virq, ARG), 0);
  return peekWords(g, g.d, ARG + 8, 1)[0]!;
}

const cyclesPerMs = (g: FakeGuest): number => g.hv.cpu.clock.hz / 1000;

test("is_up: 1 for the running vCPU 0, 0 for the vCPU never brought up", () => {
  const g = guest();
  assert.equal(vcpuOp(g, VCPUOP.is_up, 0), 1);
  assert.equal(vcpuOp(g, VCPUOP.is_up, 1), 0);
});

test("a vCPU id the domain does not have is −ENOENT for every command, and nothing changes", () => {
  const g = guest();
  writeContext(g);
  const before = frameRefs(g);
  for (const vcpu of [2, 31, 0xffffffff]) {
    for (const cmd of [VCPUOP.is_up, VCPUOP.initialise, VCPUOP.up, VCPUOP.down, VCPUOP.get_runstate_info, VCPUOP.set_periodic_timer]) {
      assert.equal(vcpuOp(g, cmd, vcpu, cmd === VCPUOP.initialise ? CTX : OUT), -ERRNO.ENOENT, `cmd ${cmd} vcpu ${vcpu}`);
    }
  }
  assert.deepEqual(changedFrames(g, before), []);
  assert.deepEqual(g.d.vcpus.map((v) => v.state), ["running", "down"]);
});

test("up of a vCPU never initialised is −EINVAL; it stays down", () => {
  const g = guest();
  assert.equal(vcpuOp(g, VCPUOP.up, 1), -ERRNO.EINVAL);
  assert.equal(g.d.vcpus[1]!.state, "down");
  assert.equal(vcpuOp(g, VCPUOP.is_up, 1), 0);
});

test("initialise takes the L3's CR3 references, leaves the vCPU down, and a second initialise is −EEXIST", () => {
  const g = guest();
  const v1 = g.d.vcpus[1]!, l3 = g.d.built.l3Mfn;
  writeContext(g);
  const count = g.hv.frames.count[l3]!, types = g.hv.frames.typeCount[l3]!;
  assert.equal(vcpuOp(g, VCPUOP.initialise, 1, CTX), 0);
  assert.equal(v1.baseptr, l3);
  assert.deepEqual([g.hv.frames.count[l3], g.hv.frames.typeCount[l3]], [count + 1, types + 1]);
  assert.equal(v1.state, "down");
  assert.equal(vcpuOp(g, VCPUOP.is_up, 1), 0);
  assert.deepEqual(v1.traps.callbacks.get(CALLBACKTYPE.event), { cs: FLAT.RING1_CS, eip: KERNEL + 0x200, mask: true }, "event callback from the context");
  const before = frameRefs(g);
  assert.equal(vcpuOp(g, VCPUOP.initialise, 1, CTX), -ERRNO.EEXIST);
  assert.equal(vcpuOp(g, VCPUOP.initialise, 0, CTX), -ERRNO.EEXIST, "vCPU 0 was initialised by the builder");
  assert.deepEqual(changedFrames(g, before), []);
});

test("initialise refusals (EFLAGS.VM, > 7168 GDT entries, an L3 that does not validate, a bad GDT frame) hold nothing", () => {
  const g = guest();
  const v1 = g.d.vcpus[1]!;
  mapReadOnly(g, g.d, SCRATCH + 0x30000);
  const before = frameRefs(g);
  const cases: Array<[string, Parameters<typeof writeContext>[1]]> = [
    ["EFLAGS.VM", { eflags: 0x20202 }],
    ["7169 GDT entries", { gdtEnts: 7169 }],
    ["CR3 of a frame mapped writable", { l3: mfnAt(g.d, SCRATCH + 0x40000) }],
    ["CR3 of an empty L3 (no slot 3)", { l3: mfnAt(g.d, SCRATCH + 0x30000) }],
    ["a GDT frame mapped writable", { gdtEnts: 16, gdtFrame: mfnAt(g.d, SCRATCH + 0x40000) }],
  ];
  for (const [what, o] of cases) {
    writeContext(g, o);
    assert.equal(vcpuOp(g, VCPUOP.initialise, 1, CTX), -ERRNO.EINVAL, what);
    assert.deepEqual(changedFrames(g, before), [], what);
    assert.equal(v1.initialised, false, what);
  }
  assert.equal(vcpuOp(g, VCPUOP.initialise, 1, UNMAPPED), -ERRNO.EFAULT);
  assert.equal(vcpuOp(g, VCPUOP.up, 1), -ERRNO.EINVAL);
});

test("up of an initialised vCPU: is_up 1, and on its turn it enters with the context's registers", () => {
  const g = guest();
  const [v0, v1] = g.d.vcpus as [typeof g.v, typeof g.v];
  writeContext(g);
  assert.equal(vcpuOp(g, VCPUOP.initialise, 1, CTX), 0);
  assert.equal(vcpuOp(g, VCPUOP.up, 1), 0);
  assert.equal(vcpuOp(g, VCPUOP.is_up, 1), 1);
  assert.equal(v1.state, "runnable");
  advanceUntil(g, () => onCpu(g) === v1);
  const c = g.hv.cpu;
  assert.equal(c.eip, V1_ENTRY);
  assert.equal(c.segSel[CS], FLAT.RING1_CS);
  assert.equal(c.cpl, 1);
  assert.deepEqual([c.regs[EAX]! >>> 0, c.regs[ECX]! >>> 0, c.regs[ESI]! >>> 0, c.regs[ESP]! >>> 0], [0x1111aaaa, 0x2222bbbb, 0x3333cccc, SCRATCH + 0x50000]);
  assert.equal(v0.state, "runnable");
  assert.equal(runstate(g, 0).state, 1, "vCPU 0 as vCPU 1 sees it: runnable");
  assert.equal(runstate(g, 1).state, 0);
  assert.equal(g.d.end, undefined, g.log.join("\n"));
});

test("set_periodic_timer: under 1 ms is −EINVAL and keeps the old period; 1 ms raises VIRQ_TIMER every ms; stop ends it", () => {
  const g = guest();
  const port = bindTimer(g, 0);
  const ms = cyclesPerMs(g), t0 = g.hv.cpu.clock.now;
  poke32(g, g.d, ARG, 999_999, 0);
  assert.equal(vcpuOp(g, VCPUOP.set_periodic_timer, 0, ARG), -ERRNO.EINVAL);
  assert.equal(vcpuOp(g, VCPUOP.set_periodic_timer, 0, UNMAPPED), -ERRNO.EFAULT);
  advanceTo(g, t0 + 5 * ms);
  assert.equal(g.d.evtchn.isPending(port), false, "the default 10 ms period is still in force");
  poke32(g, g.d, ARG, 1_000_000, 0);
  assert.equal(vcpuOp(g, VCPUOP.set_periodic_timer, 0, ARG), 0);
  advanceTo(g, t0 + 5.5 * ms);
  assert.equal(g.d.evtchn.isPending(port), false);
  advanceTo(g, t0 + 6.01 * ms);
  assert.equal(g.d.evtchn.isPending(port), true, "fired 1 ms after being set");
  assert.equal(vcpuOp(g, VCPUOP.stop_periodic_timer, 0), 0);
  clearPending(g, port);
  advanceTo(g, t0 + 40 * ms);
  assert.equal(g.d.evtchn.isPending(port), false, "stopped");
});

/** The guest clears a pending bit in shared_info (evtchn_pending[], §7.1). */
function clearPending(g: FakeGuest, port: number): void {
  const at = g.d.built.sharedInfoMfn * 4096 + offsetOf(sharedInfo, "evtchn_pending") + (port >>> 5) * 4;
  g.hv.mem.write32(at, g.hv.mem.read32(at) & ~(1 << (port & 31)));
  assert.equal(g.d.evtchn.isPending(port), false);
}

test("set/stop_singleshot_timer on another vCPU is −EINVAL; on itself it fires once at the deadline", () => {
  const g = guest();
  const port = bindTimer(g, 0);
  const ms = cyclesPerMs(g);
  const now = g.hv.time.systemTime();
  const deadline = now + 2_000_000n;
  poke32(g, g.d, ARG, Number(deadline & 0xffffffffn), Number(deadline >> 32n), 0);
  assert.equal(vcpuOp(g, VCPUOP.set_singleshot_timer, 1, ARG), -ERRNO.EINVAL);
  assert.equal(vcpuOp(g, VCPUOP.stop_singleshot_timer, 1), -ERRNO.EINVAL);
  assert.equal(vcpuOp(g, VCPUOP.stop_periodic_timer, 0), 0);
  assert.equal(vcpuOp(g, VCPUOP.set_singleshot_timer, 0, ARG), 0);
  const t0 = g.hv.cpu.clock.now;
  advanceTo(g, t0 + 1.9 * ms);
  assert.equal(g.d.evtchn.isPending(port), false);
  advanceTo(g, t0 + 2.1 * ms);
  assert.equal(g.d.evtchn.isPending(port), true);
});

/** VCPUOP_get_runstate_info into OUT: state, state_entry_time, time[4] (§4.21, 44 bytes). */
function runstate(g: FakeGuest, vcpu: number): { state: number; entry: bigint; time: bigint[] } {
  for (let i = 0; i < 11; i++) poke32(g, g.d, OUT + 4 * i, 0xeeeeeeee);
  assert.equal(vcpuOp(g, VCPUOP.get_runstate_info, vcpu, OUT), 0);
  const w = peekWords(g, g.d, OUT, 11).map(BigInt);
  const u64 = (i: number): bigint => w[i]! | (w[i + 1]! << 32n);
  return { state: Number(w[0]), entry: u64(1), time: [u64(3), u64(5), u64(7), u64(9)] };
}

test("get_runstate_info: state, entry time and time per state for the running vCPU and an offline one", () => {
  const g = guest();
  const clock = g.hv.cpu.clock, hz = BigInt(clock.hz);
  const ns = (cycles: number): bigint => (BigInt(Math.floor(cycles)) * 1_000_000_000n) / hz;
  const [v0, v1] = g.d.vcpus as [typeof g.v, typeof g.v];
  clock.now += 3 * cyclesPerMs(g); // 3 ms pass with vCPU 0 running (no events run)
  const r0 = runstate(g, 0);
  assert.equal(r0.state, 0, "running");
  assert.equal(r0.entry, ns(v0.runstateSince));
  assert.ok(r0.time[0]! >= 3_000_000n && r0.time[0]! < 3_100_000n, `running ${r0.time[0]} ns`);
  assert.ok(r0.time[1]! < 100_000n, "runnable only between creation and start");
  assert.deepEqual(r0.time.slice(2), [0n, 0n], "never blocked, never offline");
  const r1 = runstate(g, 1);
  assert.equal(r1.state, 3, "offline");
  assert.equal(r1.entry, ns(v1.runstateSince));
  assert.deepEqual(r1.time.slice(0, 3), [0n, 0n, 0n]);
  assert.ok(r1.time[3]! >= 3_000_000n && r1.time[3]! < 3_100_000n, `offline ${r1.time[3]} ns`);
  assert.equal(vcpuOp(g, VCPUOP.get_runstate_info, 0, UNMAPPED), -ERRNO.EFAULT);
  assert.equal(vcpuOp(g, VCPUOP.get_runstate_info, 0, g.d.built.ptBaseVa), -ERRNO.EFAULT, "a read-only page-table page");
});

test("initialise's debug registers are loaded under set_debugreg's rules at the vCPU's first run", () => {
  const g = guest();
  const v1 = g.d.vcpus[1]!;
  writeContext(g);
  poke32(g, g.d, CTX + at("debugreg[0]"), 0x00345678);
  poke32(g, g.d, CTX + at("debugreg[1]"), 0xf6000000); // in the hypervisor area: refused, stays 0
  poke32(g, g.d, CTX + at("debugreg[7]"), 0x000d0001 | (1 << 13)); // DR0 enabled, write, 4 bytes; GD: refused whole
  assert.equal(vcpuOp(g, VCPUOP.initialise, 1, CTX), 0);
  assert.equal(vcpuOp(g, VCPUOP.up, 1), 0);
  advanceUntil(g, () => onCpu(g) === v1);
  const dbg = g.hv.cpu.debug;
  assert.deepEqual([dbg.read(0) >>> 0, dbg.read(1) >>> 0, dbg.read(7) >>> 0], [0x00345678, 0, 0x400]);
  // vCPU 0's own debug registers were not touched
  advanceUntil(g, () => onCpu(g) === g.d.vcpus[0]);
  assert.equal(g.hv.cpu.debug.read(0) >>> 0, 0);
});
