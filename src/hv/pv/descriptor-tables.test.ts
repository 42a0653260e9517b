/**
 * set_gdt and update_descriptor (docs/xen-pv32-abi.md §4.3, §4.10, §6.2)
 * against a fake guest: the hypercalls go through hv.trap() as `int $0x82`
 * from ring 1. Refusals must leave the whole frame table and the frames'
 * contents as they were; successes take and release exactly the
 * segment-descriptor type references Xen's do take, and what the guest
 * stored is what the CPU then loads.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRNO } from "../../abi/errno.js";
import { HYPERCALL } from "../../abi/hypercalls.js";
import { PAGE } from "../../abi/memory-layout.js";
import { CpuFault } from "../../machine/cpu/fault.js";
import { DS } from "../../machine/cpu/registers.js";
import { loadDataSegment } from "../../machine/cpu/segmentation.js";
import { PGT } from "../core/frame-table.js";
import { HV_VA } from "./hypervisor-area.js";
import {
  SCRATCH, UNMAPPED, addDomain, fakeGuest, changedFrames, frameRefs, frameState, hypercall, invariantViolations, mapReadOnly,
  maddr, mfnAt, peekWords, poke32, type FakeGuest,
} from "../../../tests/support/pv-fake-guest.js";

const GDT_A = SCRATCH + 0x10000, GDT_B = SCRATCH + 0x11000, LIST = SCRATCH + 0x20000, FREE = SCRATCH + 0x30000;
/** Data, read/write, accessed (so loading it never writes the descriptor back), 32-bit, byte granular. */
const data = (base: number, limit: number, dpl: number): [number, number] =>
  [(((base & 0xffff) << 16) | (limit & 0xffff)) >>> 0, ((base & 0xff000000) | (1 << 22) | (limit & 0xf0000) | (1 << 15) | (dpl << 13) | (1 << 12) | (0x3 << 8) | ((base >>> 16) & 0xff)) >>> 0];
const raiseDpl = (hi: number): number => (hi | (1 << 13)) >>> 0;
/** A 64-bit code segment: refused by rule 3. */
const LONG_CODE: [number, number] = [0x0000ffff, 0x00af9a00];
/** A 32-bit TSS descriptor: refused by rule 6. */
const TSS: [number, number] = [0x10000067, 0x00008900];

const setGdt = (g: FakeGuest, frames: number[], entries: number): number => {
  poke32(g, g.d, LIST, ...frames);
  return hypercall(g, HYPERCALL.set_gdt, LIST, entries);
};
const updateDescriptor = (g: FakeGuest, ma: number, [lo, hi]: [number, number]): number =>
  hypercall(g, HYPERCALL.update_descriptor, ma % 2 ** 32, Math.floor(ma / 2 ** 32), lo, hi);

/** A guest with GDT_A (holding one DPL-0 data descriptor at entry 1) and GDT_B remapped read-only. */
function guest(): FakeGuest & { a: number; b: number } {
  const g = fakeGuest();
  poke32(g, g.d, GDT_A + 8, ...data(0x1000, 0xfff, 0));
  poke32(g, g.d, GDT_B + 16, ...data(0x2000, 0x1fff, 1));
  mapReadOnly(g, g.d, GDT_A);
  mapReadOnly(g, g.d, GDT_B);
  return { ...g, a: mfnAt(g.d, GDT_A), b: mfnAt(g.d, GDT_B) };
}

/** Run `f` and check it changed neither the frame table nor the vCPU's GDT. */
function unchanged(g: FakeGuest, f: () => void): void {
  const before = frameRefs(g), gdt = [...g.v.gdtFrames], ents = g.v.gdtEntries;
  f();
  assert.deepEqual(changedFrames(g, before), []);
  assert.deepEqual(g.v.gdtFrames, gdt);
  assert.equal(g.v.gdtEntries, ents);
}

// ── set_gdt (§4.3) ──────────────────────────────────────────────────────

test("set_gdt: more than 7168 entries is −EINVAL and changes nothing", () => {
  const g = guest();
  unchanged(g, () => {
    assert.equal(setGdt(g, [g.a, g.a, g.a, g.a, g.a, g.a, g.a, g.a, g.a, g.a, g.a, g.a, g.a, g.a, g.a], 7169), -ERRNO.EINVAL);
    assert.equal(setGdt(g, [g.a], 0xffffffff), -ERRNO.EINVAL);
  });
});

test("set_gdt: a frame mapped writable is −EINVAL and keeps its writable type", () => {
  const g = guest();
  const free = mfnAt(g.d, FREE);
  const before = frameState(g, free);
  assert.equal(before.type, PGT.WRITABLE);
  assert.equal(before.typeCount, 1);
  unchanged(g, () => assert.equal(setGdt(g, [free], 512), -ERRNO.EINVAL));
  assert.deepEqual(frameState(g, free), before);
});

test("set_gdt: another domain's frame, or one beyond the machine, is −EINVAL; an unreadable list −EFAULT", () => {
  const g = guest();
  const other = addDomain(g);
  const theirs = mfnAt(other, GDT_A);
  const before = frameState(g, theirs);
  unchanged(g, () => {
    assert.equal(setGdt(g, [theirs], 512), -ERRNO.EINVAL);
    assert.equal(setGdt(g, [g.hv.frames.total], 1), -ERRNO.EINVAL);
    assert.equal(hypercall(g, HYPERCALL.set_gdt, UNMAPPED, 512), -ERRNO.EFAULT);
  });
  assert.deepEqual(frameState(g, theirs), before);
});

test("set_gdt: a second frame that fails leaves the first without the type it was given", () => {
  const g = guest();
  const free = mfnAt(g.d, FREE);
  unchanged(g, () => assert.equal(setGdt(g, [g.a, free], 513), -ERRNO.EINVAL));
  assert.equal(g.hv.frames.typeCount[g.a], 0);
});

test("set_gdt: a frame holding a descriptor check_descriptor refuses is −EINVAL, and the bad descriptor stays as written", () => {
  const g = guest();
  poke32(g, g.d, GDT_A + 5 * 8, ...TSS);
  unchanged(g, () => assert.equal(setGdt(g, [g.a], 512), -ERRNO.EINVAL));
  assert.deepEqual(peekWords(g, g.d, GDT_A + 5 * 8, 2), TSS);
  assert.equal(g.hv.frames.typeCount[g.a], 0);
});

test("set_gdt: success takes one SEG_DESC type reference, stores the DPL fix-up and maps the frame as the GDT", () => {
  const g = guest();
  const before = frameState(g, g.a);
  assert.equal(setGdt(g, [g.a], 512), 0);
  assert.deepEqual(frameState(g, g.a), { ...before, count: before.count + 1, type: PGT.SEG_DESC, typeCount: 1 });
  assert.deepEqual(g.v.gdtFrames, [g.a]);
  assert.equal(g.v.gdtEntries, 512);
  const [lo, hi] = data(0x1000, 0xfff, 0);
  assert.deepEqual(peekWords(g, g.d, GDT_A + 8, 2), [lo, raiseDpl(hi)], "stored with DPL 1 (§6.2 rule 2)");
  // the CPU's GDT page 0 is the frame, and selector 0x09 loads from it
  assert.equal(g.hv.cpu.supRead32(HV_VA.GDT + 12) >>> 0, raiseDpl(hi));
  loadDataSegment(g.hv.cpu, DS, 0x09);
  assert.equal(g.hv.cpu.segBase[DS], 0x1000);
  assert.equal(g.hv.cpu.segLimit[DS], 0xfff);
  assert.deepEqual(invariantViolations(g), []);
});

test("set_gdt: a new GDT releases the old one's references and replaces its mapping", () => {
  const g = guest();
  const a0 = frameState(g, g.a), b0 = frameState(g, g.b);
  assert.equal(setGdt(g, [g.a], 512), 0);
  assert.equal(setGdt(g, [g.b], 16), 0);
  assert.equal(g.hv.frames.typeCount[g.a], 0, "A: its SEG_DESC reference dropped");
  assert.equal(g.hv.frames.count[g.a], a0.count, "A: its general reference dropped");
  assert.deepEqual(frameState(g, g.b), { ...b0, count: b0.count + 1, type: PGT.SEG_DESC, typeCount: 1 });
  assert.deepEqual(g.v.gdtFrames, [g.b]);
  assert.equal(g.v.gdtEntries, 16);
  assert.equal(g.hv.cpu.supRead32(HV_VA.GDT + 20) >>> 0, data(0x2000, 0x1fff, 1)[1]);
  loadDataSegment(g.hv.cpu, DS, 0x11);
  assert.equal(g.hv.cpu.segBase[DS], 0x2000);
  // the old GDT's frame can become writable again: a writable mapping is accepted
  assert.equal(hypercall(g, HYPERCALL.update_va_mapping, GDT_A, (g.a << PAGE.SHIFT) | 0x23, 0, 2), 0);
  assert.deepEqual(invariantViolations(g), []);
});

// ── update_descriptor (§4.10) ───────────────────────────────────────────

test("update_descriptor: a misaligned or out-of-range machine address is −EINVAL", () => {
  const g = guest();
  const ma = maddr(g.d, FREE);
  const contents = peekWords(g, g.d, FREE, 8);
  unchanged(g, () => {
    for (const off of [1, 2, 4, 7]) assert.equal(updateDescriptor(g, ma + off, data(0, 0xfff, 1)), -ERRNO.EINVAL, `+${off}`);
    assert.equal(updateDescriptor(g, 2 ** 32 + 8, data(0, 0xfff, 1)), -ERRNO.EINVAL);
    assert.equal(updateDescriptor(g, g.hv.frames.total * PAGE.SIZE, data(0, 0xfff, 1)), -ERRNO.EINVAL);
  });
  assert.deepEqual(peekWords(g, g.d, FREE, 8), contents);
});

test("update_descriptor: a descriptor check_descriptor refuses is −EINVAL and not written", () => {
  const g = guest();
  const contents = peekWords(g, g.d, FREE, 4);
  unchanged(g, () => {
    assert.equal(updateDescriptor(g, maddr(g.d, FREE), LONG_CODE), -ERRNO.EINVAL);
    assert.equal(updateDescriptor(g, maddr(g.d, FREE + 8), TSS), -ERRNO.EINVAL);
  });
  assert.deepEqual(peekWords(g, g.d, FREE, 4), contents);
});

test("update_descriptor: page-table frames and other domains' frames are refused with −EINVAL", () => {
  const g = guest();
  const other = addDomain(g);
  const l3 = g.d.built.l3Mfn, l1 = mfnAt(g.d, g.d.built.ptBaseVa + 5 * PAGE.SIZE);
  assert.equal(g.hv.frames.typeInfo[l1], PGT.L1);
  const tables = [l3, l1].map((m) => [g.hv.mem.read32(m * PAGE.SIZE + 8), g.hv.mem.read32(m * PAGE.SIZE + 12)]);
  unchanged(g, () => {
    assert.equal(updateDescriptor(g, l3 * PAGE.SIZE + 8, data(0, 0xfff, 1)), -ERRNO.EINVAL);
    assert.equal(updateDescriptor(g, l1 * PAGE.SIZE + 8, data(0, 0xfff, 1)), -ERRNO.EINVAL);
    assert.equal(updateDescriptor(g, maddr(other, FREE), data(0, 0xfff, 1)), -ERRNO.EINVAL);
  });
  assert.deepEqual([l3, l1].map((m) => [g.hv.mem.read32(m * PAGE.SIZE + 8), g.hv.mem.read32(m * PAGE.SIZE + 12)]), tables);
});

test("update_descriptor: into a free page it is written with DPL raised, leaving the references as they were", () => {
  const g = guest();
  const [lo, hi] = data(0x00345000, 0x0ffff, 0);
  unchanged(g, () => assert.equal(updateDescriptor(g, maddr(g.d, FREE + 0x18), [lo, hi]), 0));
  assert.deepEqual(peekWords(g, g.d, FREE + 0x18, 2), [lo, raiseDpl(hi)]);
  assert.deepEqual(peekWords(g, g.d, FREE + 0x10, 2), [0, 0], "the neighbour is untouched");
});

test("update_descriptor: in a live GDT frame it is written in place and the next selector load sees it", () => {
  const g = guest();
  assert.equal(setGdt(g, [g.a], 512), 0);
  const held = frameState(g, g.a);
  const [lo, hi] = data(0x00abc000, 0x7ff, 0);
  assert.equal(updateDescriptor(g, g.a * PAGE.SIZE + 3 * 8, [lo, hi]), 0);
  assert.deepEqual(frameState(g, g.a), held, "still SEG_DESC with the GDT's reference only");
  assert.deepEqual(peekWords(g, g.d, GDT_A + 24, 2), [lo, raiseDpl(hi)]);
  loadDataSegment(g.hv.cpu, DS, 0x19);
  assert.equal(g.hv.cpu.segBase[DS], 0x00abc000);
  assert.equal(g.hv.cpu.segLimit[DS], 0x7ff);
  // a refused descriptor leaves the live entry alone
  assert.equal(updateDescriptor(g, g.a * PAGE.SIZE + 3 * 8, LONG_CODE), -ERRNO.EINVAL);
  assert.deepEqual(peekWords(g, g.d, GDT_A + 24, 2), [lo, raiseDpl(hi)]);
  // marking it not present takes effect at once too
  assert.equal(updateDescriptor(g, g.a * PAGE.SIZE + 3 * 8, [lo, raiseDpl(hi) & ~(1 << 15)]), 0);
  assert.throws(() => loadDataSegment(g.hv.cpu, DS, 0x19), CpuFault);
  assert.deepEqual(invariantViolations(g), []);
});
