/**
 * The hypervisor's scheduling and per-domain hypercalls on fake guests
 * (docs/xen-pv32-abi.md §4.7, §4.9, §4.17, §4.19, §4.23, §4.24, §6.5):
 * round robin between two domains with exact context switches, SCHEDOP_block
 * idling the CPU until an event (guest code really running), one domain's
 * crash leaving the other running, the frame-table invariants after a mixed
 * workload, and the errnos of sched_op, vm_assist, physdev_op, nmi_op,
 * sysctl/domctl and the debug-register hypercalls.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRNO } from "../../abi/errno.js";
import {
  DOMID, EVTCHNOP, HYPERCALL, MMUEXT, PHYSDEVOP, SCHEDOP, SHUTDOWN, VCPUOP, VMASST_CMD, VMASST_TYPE, XENNMI, XEN_INTERFACE,
} from "../../abi/hypercalls.js";
import { PAGE } from "../../abi/memory-layout.js";
import { FLAT } from "../../abi/segments.js";
import { CF, CS, EAX, ESI, ESP, IF, SS, ZF } from "../../machine/cpu/registers.js";
import { RR_SLICE_NS } from "../sched/round-robin.js";
import type { PvDomain } from "./domain.js";
import {
  KERNEL, SCRATCH, UNMAPPED, addDomain, advanceTo, advanceUntil, fakeGuest, fakeMachine, hypercall, invariantViolations,
  mapReadOnly, mfnAt, onCpu, peekWords, poke32, trapFrame, type FakeMachine,
} from "../../../tests/support/pv-fake-guest.js";

const ARG = SCRATCH + 0x20000, LIST = SCRATCH + 0x21000;
const KCS = FLAT.RING1_CS;

/** Everything of the CPU a vCPU owns that a test can tell apart. */
function cpuState(m: FakeMachine) {
  const c = m.hv.cpu;
  return {
    regs: Array.from(c.regs), eip: c.eip >>> 0, eflags: c.eflags >>> 0, cpl: c.cpl,
    segSel: Array.from(c.segSel.subarray(0, 6)), segBase: Array.from(c.segBase.subarray(0, 6)), segLimit: Array.from(c.segLimit.subarray(0, 6)),
  };
}

/** The machine addresses of a domain's four L2s, from its L3. */
const l2Addrs = (m: FakeMachine, d: PvDomain): number[] =>
  [0, 1, 2, 3].map((i) => m.hv.mem.read32(d.built.l3Mfn * PAGE.SIZE + i * 8) & ~0xfff);
/** A domain's end, read afresh (assertions narrow `d.end` for the rest of a test). */
const endOf = (d: PvDomain): PvDomain["end"] => d.end;
const pdpteAddrs = (m: FakeMachine): number[] => [0, 1, 2, 3].map((i) => m.hv.cpu.pdpte[2 * i]! & ~0xfff);
const tssEsp1 = (m: FakeMachine): [number, number] =>
  [m.hv.mem.read32(m.hv.area.tssFrame * PAGE.SIZE + 12) >>> 0, m.hv.mem.read32(m.hv.area.tssFrame * PAGE.SIZE + 16) & 0xffff];

// ── scheduling ──────────────────────────────────────────────────────────

test("two domains round-robin on slice expiry; each vCPU's registers come back exactly", () => {
  const m = fakeMachine();
  const d1 = addDomain(m), d2 = addDomain(m);
  const v1 = d1.vcpus[0]!, v2 = d2.vcpus[0]!;
  const clock = m.hv.cpu.clock;
  m.hv.start();
  assert.equal(onCpu(m), v1);
  // vCPU 0 of d1 as the builder left it (§1.11)
  const c = m.hv.cpu;
  assert.deepEqual([c.eip, c.regs[ESP]! >>> 0, c.regs[ESI]! >>> 0, c.segSel[CS], c.segSel[SS], c.cpl], [d1.built.entry, d1.built.stackTopVa, d1.built.startInfoVa, KCS, FLAT.RING1_SS, 1]);
  // d1 "computes": distinctive registers and flags
  c.regs.set([0x11111111, 0x22222222, 0x33333333, 0x44444444, d1.built.stackTopVa - 64, 0x66666666, 0x77777777, 0x88888888]);
  c.eip = KERNEL + 0x10;
  c.eflags = IF | CF | ZF | 2;
  const a = cpuState(m);
  const t0 = clock.now, switches = m.hv.switches;

  advanceUntil(m, () => onCpu(m) === v2);
  const slice = m.hv.time.cycleAt(m.hv.time.systemTime(t0) + RR_SLICE_NS) - t0;
  // (the switch itself costs the hypervisor a few hundred cycles)
  assert.ok(Math.abs(clock.now - t0 - slice) < slice / 1000, `switched after one slice (${clock.now - t0} cycles, slice ${slice})`);
  assert.deepEqual([v1.state, v2.state], ["runnable", "running"]);
  assert.deepEqual([c.eip, c.regs[ESP]! >>> 0, c.regs[ESI]! >>> 0, c.regs[EAX]], [d2.built.entry, d2.built.stackTopVa, d2.built.startInfoVa, 0]);
  assert.deepEqual(pdpteAddrs(m), l2Addrs(m, d2), "d2's address space");
  assert.deepEqual(tssEsp1(m), [d2.built.stackTopVa, FLAT.RING1_SS]);
  c.regs.set([0x0a0a0a0a, 0x0b0b0b0b, 0x0c0c0c0c, 0x0d0d0d0d, d2.built.stackTopVa - 128, 0x0f0f0f0f, 0x01010101, 0x02020202]);
  c.eip = KERNEL + 0x20;
  c.eflags = IF | 2;
  const b = cpuState(m);

  advanceUntil(m, () => onCpu(m) === v1);
  assert.deepEqual(cpuState(m), a, "d1 resumes exactly where it was");
  assert.deepEqual(pdpteAddrs(m), l2Addrs(m, d1));
  assert.deepEqual(tssEsp1(m), [d1.built.stackTopVa, FLAT.RING1_SS]);
  advanceUntil(m, () => onCpu(m) === v2);
  assert.deepEqual(cpuState(m), b, "d2 too");
  assert.equal(m.hv.switches, switches + 3);
  assert.deepEqual([d1.end, d2.end], [undefined, undefined]);
  assert.deepEqual(invariantViolations(m), []);
});

test("SCHEDOP_yield with another domain runnable switches at once; alone it keeps the CPU", () => {
  const g = fakeGuest();
  assert.equal(hypercall(g, HYPERCALL.sched_op, SCHEDOP.yield, 0), 0);
  assert.equal(onCpu(g), g.v);
  const d2 = addDomain(g);
  assert.equal(hypercall(g, HYPERCALL.sched_op, SCHEDOP.yield, 0), 0);
  assert.equal(onCpu(g), d2.vcpus[0]);
  assert.equal(g.v.context.regs[EAX], 0, "the yield's result was saved with d1's registers");
});

test("SCHEDOP_block idles the CPU when nothing else is runnable; an event wakes the guest into its event callback", () => {
  // KERNEL+0: mov eax, 29; mov ebx, 1; xor ecx, ecx; int $0x82; jmp $        KERNEL+0x200: jmp $ (event callback)
  const code = [0xb8, 29, 0, 0, 0, 0xbb, 1, 0, 0, 0, 0x31, 0xc9, 0xcd, 0x82, 0xeb, 0xfe];
  const g = fakeGuest({ code: [[0, code], [0x200, [0xeb, 0xfe]]] });
  const ms = g.hv.cpu.clock.hz / 1000, t0 = g.hv.cpu.clock.now;
  assert.equal(hypercall(g, HYPERCALL.set_callbacks, KCS, KERNEL + 0x200, KCS, KERNEL + 0x210), 0);
  assert.equal(hypercall(g, HYPERCALL.vcpu_op, VCPUOP.stop_periodic_timer, 0, 0), 0);
  poke32(g, g.d, ARG, 0, 0, 0); // bind VIRQ_TIMER to vCPU 0
  assert.equal(hypercall(g, HYPERCALL.event_channel_op, EVTCHNOP.bind_virq, ARG), 0);
  const deadline = g.hv.time.systemTime() + 5_000_000n;
  assert.equal(hypercall(g, HYPERCALL.set_timer_op, Number(deadline & 0xffffffffn), Number(deadline >> 32n)), 0);
  assert.equal(g.hv.mem.read8(g.v.vcpuInfo + 1), 1, "events masked at start of day");
  const sp = g.hv.cpu.regs[ESP]! >>> 0;

  assert.equal(g.pc.runFor(ms), "running");
  assert.equal(g.v.state, "blocked");
  assert.equal(onCpu(g), undefined);
  assert.equal(g.hv.cpu.halted, true);
  assert.equal(g.hv.mem.read8(g.v.vcpuInfo + 1), 0, "SCHEDOP_block unmasked events");
  g.pc.runFor(t0 + 4.9 * ms - g.hv.cpu.clock.now);
  assert.equal(g.v.state, "blocked", "nothing wakes it before the timer");

  g.pc.runFor(ms);
  assert.equal(onCpu(g), g.v);
  assert.equal(g.hv.cpu.eip, KERNEL + 0x200, "in the event callback");
  assert.equal(g.hv.cpu.regs[EAX], 0, "SCHEDOP_block returned 0");
  assert.deepEqual(peekWords(g, g.d, sp - 12, 3), [KERNEL + 14, KCS, g.hv.cpu.eflags >>> 0], "upcall frame: after the INT, mask 0, IF set");
  assert.equal(g.hv.mem.read8(g.v.vcpuInfo + 1), 1, "the upcall masked events");
  assert.equal(g.hv.mem.read8(g.v.vcpuInfo), 1, "upcall_pending is the guest's to clear");
  assert.equal(g.d.end, undefined, g.log.join("\n"));
});

test("SCHEDOP_block with an upcall already deliverable returns at once", () => {
  const g = fakeGuest();
  assert.equal(hypercall(g, HYPERCALL.set_callbacks, KCS, KERNEL + 0x200, KCS, KERNEL + 0x210), 0);
  g.hv.mem.write8(g.v.vcpuInfo, 1); // upcall_pending
  assert.equal(hypercall(g, HYPERCALL.sched_op, SCHEDOP.block, 0), 0);
  assert.equal(onCpu(g), g.v);
  assert.equal(g.v.state, "running");
  assert.equal(g.hv.cpu.eip, KERNEL + 0x200, "the upcall is delivered on the way back");
});

test("a crash of one domain leaves the other running, untouched", () => {
  const m = fakeMachine({ checkInvariants: true });
  const d1 = addDomain(m), d2 = addDomain(m);
  m.hv.start();
  const before2 = { regs: Array.from(d2.vcpus[0]!.context.regs), eip: d2.vcpus[0]!.context.eip };
  // d1 takes a page fault with no trap table: "Unhandled: vec 14" (§6.3)
  m.hv.trap(trapFrame(m, { vector: 14, errorCode: 0, cr2: 0x00500000 }));
  assert.equal(d1.end?.kind, "crash");
  assert.match(m.log.join("\n"), /\(XEN\) domain 1 crashed: .*vec 14/);
  assert.equal(d1.vcpus[0]!.state, "down");
  assert.equal(onCpu(m), d2.vcpus[0]);
  assert.deepEqual({ regs: Array.from(m.hv.cpu.regs), eip: m.hv.cpu.eip }, before2);
  assert.deepEqual(pdpteAddrs(m), l2Addrs(m, d2));
  assert.equal(m.hv.cpu.stopRequested, true, "the machine's caller gets to see the end");
  assert.equal(m.hv.allEnded, false);
  // d2 keeps the CPU slice after slice, and its hypercalls work
  const t = m.hv.cpu.clock.now;
  advanceTo(m, t + 5 * m.hv.time.cycleAt(RR_SLICE_NS));
  assert.equal(onCpu(m), d2.vcpus[0]);
  assert.equal(hypercall(m, HYPERCALL.stack_switch, FLAT.RING1_SS, 0x00300000), 0);
  assert.equal(d2.end, undefined);
  assert.equal(d2.vcpus[0]!.traps.kernelSp, 0x00300000);
  assert.deepEqual(invariantViolations(m), []);
});

test("the frame-table invariants hold after a mixed workload on two domains", () => {
  const m = fakeMachine({ checkInvariants: true });
  const d1 = addDomain(m, { vcpus: 2 }), d2 = addDomain(m);
  m.hv.start();
  // set_gdt on a read-only frame, pin and unpin an L1, a second L3 and back, vCPU 1 initialised, then d1 crashes
  const gdt = SCRATCH + 0x10000, l1 = SCRATCH + 0x11000, l2 = SCRATCH + 0x12000, l3 = SCRATCH + 0x13000;
  for (const va of [gdt, l1]) mapReadOnly(m, d1, va);
  poke32(m, d1, LIST, mfnAt(d1, gdt));
  assert.equal(hypercall(m, HYPERCALL.set_gdt, LIST, 512), 0);
  const old = m.hv.mem.read32(d1.built.l3Mfn * PAGE.SIZE) >>> 0;
  poke32(m, d1, l3, old, 0, m.hv.mem.read32(d1.built.l3Mfn * PAGE.SIZE + 8), 0, m.hv.mem.read32(d1.built.l3Mfn * PAGE.SIZE + 16), 0, ((mfnAt(d1, l2) << 12) | 0x67) >>> 0, 0);
  mapReadOnly(m, d1, l2);
  mapReadOnly(m, d1, l3);
  poke32(m, d1, ARG, MMUEXT.PIN_L1_TABLE, mfnAt(d1, l1), 0, MMUEXT.NEW_BASEPTR, mfnAt(d1, l3), 0, MMUEXT.UNPIN_TABLE, mfnAt(d1, l1), 0);
  assert.equal(hypercall(m, HYPERCALL.mmuext_op, ARG, 3, 0, DOMID.SELF), 0);
  assert.deepEqual(invariantViolations(m), []);
  assert.ok(d1.end === undefined, m.log.join("\n"));
  m.hv.trap(trapFrame(m, { vector: 6 }));
  assert.equal(endOf(d1)?.kind, "crash");
  assert.equal(onCpu(m), d2.vcpus[0]);
  assert.deepEqual(invariantViolations(m), []);
});

// ── sched_op (§4.7) ─────────────────────────────────────────────────────

test("sched_op errnos: remote_shutdown −EPERM/−ESRCH, pin_override −EPERM, unknown −ENOSYS, bad pointers −EFAULT", () => {
  const g = fakeGuest();
  const other = addDomain(g);
  poke32(g, g.d, ARG, other.domid, SHUTDOWN.poweroff);
  assert.equal(hypercall(g, HYPERCALL.sched_op, SCHEDOP.remote_shutdown, ARG), -ERRNO.EPERM);
  poke32(g, g.d, ARG, 0x1234, SHUTDOWN.poweroff);
  assert.equal(hypercall(g, HYPERCALL.sched_op, SCHEDOP.remote_shutdown, ARG), -ERRNO.ESRCH);
  assert.equal(hypercall(g, HYPERCALL.sched_op, SCHEDOP.pin_override, ARG), -ERRNO.EPERM);
  for (const cmd of [8, 99, 0xffffffff]) assert.equal(hypercall(g, HYPERCALL.sched_op, cmd, ARG), -ERRNO.ENOSYS, `cmd ${cmd}`);
  assert.equal(hypercall(g, HYPERCALL.sched_op, SCHEDOP.shutdown, UNMAPPED), -ERRNO.EFAULT);
  assert.equal(hypercall(g, HYPERCALL.sched_op, SCHEDOP.shutdown_code, UNMAPPED), -ERRNO.EFAULT);
  assert.equal(hypercall(g, HYPERCALL.sched_op_compat, 99, 0), -ERRNO.ENOSYS);
  assert.deepEqual([g.d.end, other.end], [undefined, undefined]);
});

test("SCHEDOP_poll errnos: more than 128 ports −EINVAL, an invalid port −EINVAL, unreadable −EFAULT", () => {
  const g = fakeGuest();
  const ports = ARG + 0x100;
  const poll = (portsVa: number, n: number): number => {
    poke32(g, g.d, ARG, portsVa, n, 0, 0);
    return hypercall(g, HYPERCALL.sched_op, SCHEDOP.poll, ARG);
  };
  assert.equal(poll(ports, 129), -ERRNO.EINVAL);
  poke32(g, g.d, ports, 77);
  assert.equal(poll(ports, 1), -ERRNO.EINVAL, "port 77 is not allocated");
  assert.equal(poll(UNMAPPED, 1), -ERRNO.EFAULT);
  assert.equal(hypercall(g, HYPERCALL.sched_op, SCHEDOP.poll, UNMAPPED), -ERRNO.EFAULT);
  assert.equal(g.v.state, "running");
});

test("SCHEDOP_shutdown_code latches the first reason; SCHEDOP_shutdown then reports it", () => {
  const g = fakeGuest();
  poke32(g, g.d, ARG, SHUTDOWN.reboot);
  assert.equal(hypercall(g, HYPERCALL.sched_op, SCHEDOP.shutdown_code, ARG), 0);
  poke32(g, g.d, ARG, SHUTDOWN.suspend);
  assert.equal(hypercall(g, HYPERCALL.sched_op, SCHEDOP.shutdown_code, ARG), 0);
  assert.equal(g.d.end, undefined);
  poke32(g, g.d, ARG, 0x100 | SHUTDOWN.poweroff);
  hypercall(g, HYPERCALL.sched_op, SCHEDOP.shutdown, ARG);
  assert.deepEqual(g.d.end, { kind: "shutdown", reason: SHUTDOWN.reboot });
  assert.equal(onCpu(g), undefined);
});

test("SCHEDOP_watchdog: id 0 creates watchdogs 1 and 2, a third is −ENOSPC, unknown ids −EINVAL; expiry shuts down", () => {
  const g = fakeGuest();
  const wd = (id: number, timeout: number): number => {
    poke32(g, g.d, ARG, id, timeout);
    return hypercall(g, HYPERCALL.sched_op, SCHEDOP.watchdog, ARG);
  };
  assert.equal(wd(0, 10), 1);
  assert.equal(wd(0, 10), 2);
  assert.equal(wd(0, 10), -ERRNO.ENOSPC);
  assert.equal(wd(3, 10), -ERRNO.EINVAL);
  assert.equal(wd(2, 0), 0, "destroyed");
  assert.equal(wd(2, 5), -ERRNO.EINVAL, "no longer exists");
  assert.equal(wd(1, 1), 0, "re-armed for 1 s");
  assert.equal(hypercall(g, HYPERCALL.sched_op, SCHEDOP.watchdog, UNMAPPED), -ERRNO.EFAULT);
  advanceUntil(g, () => g.d.end !== undefined, 2 * g.hv.cpu.clock.hz);
  assert.deepEqual(g.d.end, { kind: "shutdown", reason: SHUTDOWN.watchdog });
});

// ── vm_assist, physdev_op, nmi_op, sysctl/domctl (§4.17, §4.19, §4.23, §4.24) ─

test("vm_assist: unknown commands −ENOSYS, types outside the 32-bit PV mask −EINVAL; valid ones toggle", () => {
  const g = fakeGuest();
  const start = g.d.vmAssist;
  assert.equal(hypercall(g, HYPERCALL.vm_assist, 2, VMASST_TYPE.writable_pagetables), -ERRNO.ENOSYS);
  for (const type of [6, 31, VMASST_TYPE.m2p_strict, 0xffffffff]) {
    assert.equal(hypercall(g, HYPERCALL.vm_assist, VMASST_CMD.enable, type), -ERRNO.EINVAL, `type ${type}`);
  }
  assert.equal(g.d.vmAssist, start);
  assert.equal(hypercall(g, HYPERCALL.vm_assist, VMASST_CMD.enable, VMASST_TYPE.architectural_iopl), 0);
  assert.equal(g.d.hasVmAssist(VMASST_TYPE.architectural_iopl), true);
  assert.equal(hypercall(g, HYPERCALL.vm_assist, VMASST_CMD.disable, VMASST_TYPE.architectural_iopl), 0);
  assert.equal(g.d.vmAssist, start);
});

test("physdev_op: set_iopl > 3 −EINVAL, set_iobitmap > 65536 ports −EINVAL, unreadable −EFAULT, unknown −ENOSYS", () => {
  const g = fakeGuest();
  poke32(g, g.d, ARG, 4);
  assert.equal(hypercall(g, HYPERCALL.physdev_op, PHYSDEVOP.set_iopl, ARG), -ERRNO.EINVAL);
  assert.equal(g.v.iopl, 0);
  poke32(g, g.d, ARG, 3);
  assert.equal(hypercall(g, HYPERCALL.physdev_op, PHYSDEVOP.set_iopl, ARG), 0);
  assert.equal(g.v.iopl, 3);
  assert.equal(hypercall(g, HYPERCALL.physdev_op, PHYSDEVOP.set_iopl, UNMAPPED), -ERRNO.EFAULT);
  poke32(g, g.d, ARG, SCRATCH, 65537);
  assert.equal(hypercall(g, HYPERCALL.physdev_op, PHYSDEVOP.set_iobitmap, ARG), -ERRNO.EINVAL);
  assert.equal(g.v.ioBitmap, undefined);
  poke32(g, g.d, ARG, SCRATCH, 65536);
  assert.equal(hypercall(g, HYPERCALL.physdev_op, PHYSDEVOP.set_iobitmap, ARG), 0);
  assert.deepEqual(g.v.ioBitmap, { va: SCRATCH, nrPorts: 65536 });
  assert.equal(hypercall(g, HYPERCALL.physdev_op, PHYSDEVOP.set_iobitmap, UNMAPPED), -ERRNO.EFAULT);
  assert.equal(hypercall(g, HYPERCALL.physdev_op, 99, ARG), -ERRNO.ENOSYS);
});

test("physdev_op set_iobitmap: a bitmap (8192 bytes) reaching the hypervisor area is −EINVAL (guest_handle_okay)", () => {
  const g = fakeGuest();
  poke32(g, g.d, ARG, 0xf57ff000, 16);
  assert.equal(hypercall(g, HYPERCALL.physdev_op, PHYSDEVOP.set_iobitmap, ARG), -ERRNO.EINVAL);
  assert.equal(g.v.ioBitmap, undefined);
});

test("nmi_op: register installs vector 2 (FLAT_RING1_CS, events masked), unregister clears it, others −ENOSYS", () => {
  const g = fakeGuest();
  poke32(g, g.d, ARG, KERNEL + 0x300, 0);
  assert.equal(hypercall(g, HYPERCALL.nmi_op, XENNMI.register_callback, ARG), 0);
  assert.deepEqual(g.v.traps.entry(2), { flags: 4, cs: KCS, address: KERNEL + 0x300 });
  assert.equal(hypercall(g, HYPERCALL.nmi_op, XENNMI.register_callback, UNMAPPED), -ERRNO.EFAULT);
  assert.deepEqual(g.v.traps.entry(2), { flags: 4, cs: KCS, address: KERNEL + 0x300 });
  assert.equal(hypercall(g, HYPERCALL.nmi_op, 2, ARG), -ERRNO.ENOSYS);
  assert.equal(hypercall(g, HYPERCALL.nmi_op, XENNMI.unregister_callback, 0), 0);
  assert.equal(g.v.traps.entry(2), undefined);
});

test("sysctl/domctl: unreadable −EFAULT, a wrong interface version −EACCES, the right one −EPERM for a domU", () => {
  const g = fakeGuest();
  for (const [nr, version] of [[HYPERCALL.sysctl, XEN_INTERFACE.SYSCTL_INTERFACE_VERSION], [HYPERCALL.domctl, XEN_INTERFACE.DOMCTL_INTERFACE_VERSION]] as const) {
    assert.equal(hypercall(g, nr, UNMAPPED), -ERRNO.EFAULT);
    for (const wrong of [0, version - 1, version + 1, 0xffffffff]) {
      poke32(g, g.d, ARG, 1, wrong);
      assert.equal(hypercall(g, nr, ARG), -ERRNO.EACCES, `version ${wrong}`);
    }
    poke32(g, g.d, ARG, 1, version);
    assert.equal(hypercall(g, nr, ARG), -ERRNO.EPERM);
  }
});

// ── set_debugreg / get_debugreg (§4.9, §6.10) ───────────────────────────

test("debug registers: hypervisor addresses −EPERM, DR7.GD −EPERM, I/O breakpoints without CR4.DE −EPERM, reg ≥ 8 −ENODEV", () => {
  const g = fakeGuest();
  const set = (reg: number, v: number): number => hypercall(g, HYPERCALL.set_debugreg, reg, v);
  const get = (reg: number): number => hypercall(g, HYPERCALL.get_debugreg, reg);
  assert.equal(set(0, 0xf5800000), -ERRNO.EPERM);
  assert.equal(set(3, 0xffffffff), -ERRNO.EPERM);
  assert.equal(get(0), 0);
  assert.equal(set(0, 0x00101234), 0);
  assert.equal(get(0), 0x00101234);
  assert.equal(set(8, 0), -ERRNO.ENODEV);
  assert.equal(get(8), -ERRNO.ENODEV);
  assert.equal(get(0xffffffff), -ERRNO.ENODEV);
  assert.equal(set(7, 0x2000 | 1), -ERRNO.EPERM, "GD");
  assert.equal(set(7, 0x00020001), -ERRNO.EPERM, "R/W0 = 10b (I/O) without CR4.DE");
  assert.equal(get(7), 0x400, "DR7 unchanged by the refusals");
  // reserved bits: 11, 12, 14, 15 forced to 0, bit 10 to 1
  assert.equal(set(7, 0x000fd803), 0);
  assert.equal(get(7), 0x000f0403);
  // DR6: reserved bits read as 1 (0xFFFF0FF0 default); DR4 is DR6 without CR4.DE
  assert.equal(set(6, 0), 0);
  assert.equal(get(6) >>> 0, 0xffff0ff0);
  assert.equal(set(4, 1), 0);
  assert.equal(get(6) >>> 0, 0xffff0ff1);
  assert.equal(get(4) >>> 0, 0xffff0ff1);
  assert.equal(get(5) >>> 0, get(7) >>> 0, "DR5 is DR7");
  assert.equal(g.d.end, undefined);
});
