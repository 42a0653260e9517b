/**
 * multicall (docs/xen-pv32-abi.md §4.12, §6.7; xen/common/multicall.c) on a
 * fake guest through `int $0x82`: every entry runs as its own hypercall and
 * gets its result written back; a nested multicall fails in its own entry;
 * an unreadable list is −EFAULT; an `iret` entry ends the batch (XSA-213)
 * and its restored EAX is what the multicall returns; nothing runs after
 * an entry that left the guest kernel.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRNO } from "../../abi/errno.js";
import { HYPERCALL, SCHEDOP, SHUTDOWN, VMASST_CMD, XENVER } from "../../abi/hypercalls.js";
import { FLAT } from "../../abi/segments.js";
import { CS, ESP, IF } from "../../machine/cpu/registers.js";
import {
  KERNEL, SCRATCH, UNMAPPED, fakeGuest, hypercall, mapReadOnly, peekWords, poke32, type FakeGuest,
} from "../../../tests/support/pv-fake-guest.js";

const LIST = SCRATCH + 0x10000, ARG = SCRATCH + 0x20000, STACK = SCRATCH + 0x30000;
const ENTRY = 32;
const UNTOUCHED = 0xaaaaaaaa;

type Call = [op: number, ...args: number[]];

/** multicall_entry × n at `at`: op, result (pre-filled with UNTOUCHED), args[6]. */
function writeList(g: FakeGuest, at: number, calls: Call[]): void {
  calls.forEach(([op, ...args], i) => poke32(g, g.d, at + i * ENTRY, op, UNTOUCHED, ...[0, 1, 2, 3, 4, 5].map((k) => args[k] ?? 0)));
}
const results = (g: FakeGuest, at: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => peekWords(g, g.d, at + i * ENTRY + 4, 1)[0]! | 0);
const multicall = (g: FakeGuest, calls: Call[], at = LIST): number => {
  writeList(g, at, calls);
  return hypercall(g, HYPERCALL.multicall, at, calls.length);
};

test("each entry runs as its own hypercall, its result written into the entry; the multicall returns 0", () => {
  const g = fakeGuest();
  const version = hypercall(g, HYPERCALL.xen_version, XENVER.version, 0);
  assert.ok(version > 0);
  const rc = multicall(g, [
    [HYPERCALL.xen_version, XENVER.version, 0],
    [60, 1, 2, 3],
    [HYPERCALL.vm_assist, VMASST_CMD.enable, 99],
    [HYPERCALL.stack_switch, FLAT.RING1_SS, 0x00123000],
    [99],
    [HYPERCALL.fpu_taskswitch, 1],
  ]);
  assert.equal(rc, 0);
  assert.deepEqual(results(g, LIST, 6), [version, -ERRNO.ENOSYS, -ERRNO.EINVAL, 0, -ERRNO.ENOSYS, 0]);
  assert.deepEqual([g.v.traps.kernelSs, g.v.traps.kernelSp], [FLAT.RING1_SS, 0x00123000], "stack_switch took effect");
  assert.equal(g.v.ts, true, "fpu_taskswitch took effect");
  assert.equal(multicall(g, []), 0, "an empty batch");
});

test("a nested multicall fails with −EINVAL in its own entry; the batch goes on", () => {
  const g = fakeGuest();
  writeList(g, LIST + 0x1000, [[HYPERCALL.stack_switch, FLAT.RING1_SS, 0x00222000]]);
  const rc = multicall(g, [
    [HYPERCALL.multicall, LIST + 0x1000, 1],
    [HYPERCALL.stack_switch, FLAT.RING1_SS, 0x00333000],
  ]);
  assert.equal(rc, 0);
  assert.deepEqual(results(g, LIST, 2), [-ERRNO.EINVAL, 0]);
  assert.deepEqual(results(g, LIST + 0x1000, 1), [UNTOUCHED | 0], "the inner list was not run");
  assert.equal(g.v.traps.kernelSp, 0x00333000);
});

test("an unreadable list is −EFAULT; entries before the unreadable one have run", () => {
  const g = fakeGuest();
  assert.equal(hypercall(g, HYPERCALL.multicall, UNMAPPED, 1), -ERRNO.EFAULT);
  const end = g.d.built.mappedEndVa;
  writeList(g, end - ENTRY, [[HYPERCALL.stack_switch, FLAT.RING1_SS, 0x00444000]]);
  assert.equal(hypercall(g, HYPERCALL.multicall, end - ENTRY, 2), -ERRNO.EFAULT);
  assert.deepEqual(results(g, end - ENTRY, 1), [0]);
  assert.equal(g.v.traps.kernelSp, 0x00444000);
});

test("a list the guest cannot write back to is −EFAULT", () => {
  const g = fakeGuest();
  writeList(g, LIST, [[HYPERCALL.stack_switch, FLAT.RING1_SS, 0x00555000], [HYPERCALL.stack_switch, FLAT.RING1_SS, 0x00666000]]);
  mapReadOnly(g, g.d, LIST);
  assert.equal(hypercall(g, HYPERCALL.multicall, LIST, 2), -ERRNO.EFAULT);
  assert.deepEqual(results(g, LIST, 2), [UNTOUCHED | 0, UNTOUCHED | 0]);
  assert.equal(g.v.traps.kernelSp, 0x00555000, "the batch stopped after the entry whose result could not be stored");
});

test("an iret entry returns through the guest stack, ends the batch and its EAX is the multicall's result", () => {
  const g = fakeGuest();
  const sp = STACK - 0x100;
  g.hv.cpu.regs[ESP] = sp;
  g.hv.mem.write8(g.v.vcpuInfo + 1, 1);
  poke32(g, g.d, sp, 0x5555aaaa, KERNEL + 0x600, FLAT.RING1_CS, IF | 2);
  const rc = multicall(g, [
    [HYPERCALL.stack_switch, FLAT.RING1_SS, 0x00777000],
    [HYPERCALL.iret],
    [HYPERCALL.stack_switch, FLAT.RING1_SS, 0x00888000],
  ]);
  assert.equal(rc, 0x5555aaaa | 0);
  assert.deepEqual(results(g, LIST, 3), [0, 0x5555aaaa | 0, UNTOUCHED | 0]);
  assert.equal(g.v.traps.kernelSp, 0x00777000, "the entry after the iret did not run (XSA-213)");
  assert.equal(g.hv.cpu.eip, KERNEL + 0x600);
  assert.equal(g.hv.cpu.regs[ESP]! >>> 0, sp + 16);
  assert.equal(g.hv.mem.read8(g.v.vcpuInfo + 1), 0, "the iret's IF unmasked events");
  assert.equal(g.d.end, undefined);
});

test("after an entry that ends the domain (SCHEDOP_shutdown) the rest of the batch is not run", () => {
  const g = fakeGuest();
  poke32(g, g.d, ARG, SHUTDOWN.reboot);
  const sp0 = g.v.traps.kernelSp;
  multicall(g, [
    [HYPERCALL.sched_op, SCHEDOP.shutdown, ARG],
    [HYPERCALL.stack_switch, FLAT.RING1_SS, 0x00999000],
  ]);
  assert.deepEqual(g.d.end, { kind: "shutdown", reason: SHUTDOWN.reboot });
  assert.equal(results(g, LIST, 2)[1], UNTOUCHED | 0);
  assert.equal(g.v.traps.kernelSp, sp0);
});

test("an iret to user mode inside a multicall leaves the CPU at ring 3 and stops there", () => {
  const g = fakeGuest();
  const sp = STACK - 0x100;
  g.hv.cpu.regs[ESP] = sp;
  poke32(g, g.d, sp, 3, 0x08048000, FLAT.RING3_CS, IF | 2, 0x0bfff000, FLAT.RING3_SS);
  const rc = multicall(g, [[HYPERCALL.iret], [HYPERCALL.fpu_taskswitch, 1]]);
  assert.equal(rc, 3);
  assert.equal(g.hv.cpu.segSel[CS], FLAT.RING3_CS);
  assert.equal(g.hv.cpu.cpl, 3);
  assert.equal(g.v.ts, false);
});
