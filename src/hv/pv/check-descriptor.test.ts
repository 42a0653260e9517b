/**
 * check_descriptor (docs/xen-pv32-abi.md §6.2 rules 1–6; Xen
 * xen/arch/x86/pv/descriptor-tables.c) on raw descriptors: what passes, what
 * is stored for it, and what is refused. Descriptors are written as their
 * low and high dwords (`a`, `b` in Xen's code).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkDescriptor } from "./check-descriptor.js";

/** A code/data descriptor from its fields (S = 1, P = 1 unless `present` is false). */
function seg(o: { base: number; limit: number; type: number; dpl: number; g?: boolean; db?: boolean; l?: boolean; present?: boolean }): [number, number] {
  const lo = (((o.base & 0xffff) << 16) | (o.limit & 0xffff)) >>> 0;
  const hi = ((o.base & 0xff000000) | ((o.g ?? false) ? 1 << 23 : 0) | ((o.db ?? true) ? 1 << 22 : 0) | ((o.l ?? false) ? 1 << 21 : 0)
    | (o.limit & 0xf0000) | ((o.present ?? true) ? 1 << 15 : 0) | (o.dpl << 13) | (1 << 12) | (o.type << 8) | ((o.base >>> 16) & 0xff)) >>> 0;
  return [lo, hi];
}

/** A system descriptor (S = 0) of `type`, present, with `dpl`, selector/base word `sel` and the low byte `low` of b. */
function sys(type: number, dpl: number, sel = 0, offset = 0x1234, low = 0): [number, number] {
  return [((sel << 16) | (offset & 0xffff)) >>> 0, ((offset & 0xffff0000) | (1 << 15) | (dpl << 13) | (type << 8) | low) >>> 0];
}

const CODE = 0xb, DATA = 0x3;
const CALL_GATE = 0xc;

test("rule 1: a not-present descriptor passes unchanged, whatever it holds", () => {
  for (const [lo, hi] of [[0, 0], [0x12345678, 0x00af1a00], [0xdeadbeef, 0xffff7fff & ~0x8000], sys(0x9, 0, 0xe008)]) {
    const notPresent = hi! & ~(1 << 15);
    assert.deepEqual(checkDescriptor(lo!, notPresent), { lo: lo! >>> 0, hi: notPresent >>> 0 });
  }
});

test("rule 2: DPL 0 is stored as DPL 1; DPL 1–3 are kept", () => {
  const [lo, hi] = seg({ base: 0x00801000, limit: 0x0fff, type: DATA, dpl: 0 });
  assert.deepEqual(checkDescriptor(lo, hi), { lo, hi: (hi | (1 << 13)) >>> 0 });
  for (const dpl of [1, 2, 3]) {
    const [l, h] = seg({ base: 0x00801000, limit: 0x0fff, type: CODE, dpl });
    assert.deepEqual(checkDescriptor(l, h), { lo: l, hi: h }, `DPL ${dpl}`);
  }
});

test("rule 3: a code or data descriptor with the L bit is refused", () => {
  for (const dpl of [0, 1, 3]) {
    const [lo, hi] = seg({ base: 0, limit: 0xfffff, type: CODE, dpl, g: true, db: false, l: true });
    assert.equal(checkDescriptor(lo, hi), undefined, `DPL ${dpl}`);
  }
});

test("rule 3: a base-0 segment reaching above 0xF5800000 is widened to 4 GiB; others are stored as written", () => {
  // limit 0xF5800 pages: the last byte is 0xF5800FFF > 0xF5800000 → a |= 0xFFFF, b |= 0xF0000
  const [lo, hi] = seg({ base: 0, limit: 0xf5800, type: DATA, dpl: 1, g: true });
  assert.deepEqual(checkDescriptor(lo, hi), { lo: (lo | 0xffff) >>> 0, hi: (hi | 0xf0000) >>> 0 });
  // with DPL 0 both adjustments apply
  const [lo0, hi0] = seg({ base: 0, limit: 0xf6800, type: CODE, dpl: 0, g: true });
  assert.deepEqual(checkDescriptor(lo0, hi0), { lo: (lo0 | 0xffff) >>> 0, hi: (hi0 | 0xf0000 | (1 << 13)) >>> 0 });
  // the last page below the hypervisor hole (byte limit 0xF57FFFFF): not widened
  const [lo1, hi1] = seg({ base: 0, limit: 0xf57ff, type: DATA, dpl: 1, g: true });
  assert.deepEqual(checkDescriptor(lo1, hi1), { lo: lo1, hi: hi1 });
  // a non-zero base is never widened, and no base/limit check refuses it (XTF memop-seg: 2 GiB DPL-3 segments)
  const [lo2, hi2] = seg({ base: 0x1000, limit: 0xfffff, type: DATA, dpl: 3, g: true });
  assert.deepEqual(checkDescriptor(lo2, hi2), { lo: lo2, hi: hi2 });
  const [lo3, hi3] = seg({ base: 0, limit: 0x7ffff, type: CODE, dpl: 3, g: true });
  assert.deepEqual(checkDescriptor(lo3, hi3), { lo: lo3, hi: hi3 });
});

test("rule 3: the FLAT descriptors of §6.2 pass unchanged", () => {
  for (const [lo, hi] of [[0x0000ffff, 0x00cfbb00], [0x0000ffff, 0x00cfb300], [0x0000ffff, 0x00cffb00], [0x0000ffff, 0x00cff300]]) {
    assert.deepEqual(checkDescriptor(lo!, hi!), { lo: lo!, hi: hi! });
  }
});

test("rule 4: a present system descriptor of type 0 is accepted", () => {
  for (const dpl of [1, 3]) {
    const [lo, hi] = sys(0, dpl, 0x1234, 0x5678);
    assert.deepEqual(checkDescriptor(lo, hi), { lo, hi }, `DPL ${dpl}`);
  }
  assert.notEqual(checkDescriptor(...sys(0, 0)), undefined);
});

test("rule 5: a 32-bit call gate to a guest GDT, LDT or FLAT_RING1_CS selector is accepted", () => {
  for (const target of [0x0008, 0x0019, 0x0100 | 1, (7167 << 3) | 1, 0x0007, 0x000c, 0xfffc | 3, 0xe01c, 0xe019]) {
    for (const dpl of [1, 3]) {
      const [lo, hi] = sys(CALL_GATE, dpl, target, 0x00123456, 2);
      const got = checkDescriptor(lo, hi);
      assert.ok(got !== undefined, `target ${target.toString(16)} DPL ${dpl}`);
      // the target selector, offset and parameter count survive
      assert.equal(got.lo >>> 16 & 0xfffc, target & 0xfffc);
      assert.equal(got.lo & 0xffff, 0x3456);
      assert.equal(got.hi >>> 16, 0x0012);
      assert.equal(got.hi & 0x1f, 2);
      assert.equal((got.hi >>> 8) & 0xf, CALL_GATE);
    }
  }
});

test("rule 5: call gates to hypervisor selectors or with bits 5–7 set are refused", () => {
  // 0xE008/0xE010: ring-0 code/data; 0xE02B: the ring-3 flat code segment; 0xE040: the TSS
  for (const target of [0xe008, 0xe010, 0xe02b, 0xe033, 0xe040, 0xe000 | 1, 0xeff8]) {
    assert.equal(checkDescriptor(...sys(CALL_GATE, 3, target)), undefined, `target ${target.toString(16)}`);
  }
  for (const low of [0x20, 0x40, 0x80, 0xe0, 0x21]) {
    assert.equal(checkDescriptor(...sys(CALL_GATE, 3, 0xe019, 0x1000, low)), undefined, `b low byte ${low.toString(16)}`);
  }
});

test("rule 6: TSS, LDT, task, interrupt and trap gates and 16-bit gates are refused", () => {
  const types = { tss16: 0x1, ldt: 0x2, tss16Busy: 0x3, callGate16: 0x4, taskGate: 0x5, intGate16: 0x6, trapGate16: 0x7, tss32: 0x9, tss32Busy: 0xb, intGate32: 0xe, trapGate32: 0xf, reserved8: 0x8, reservedA: 0xa, reservedD: 0xd };
  for (const [name, type] of Object.entries(types)) {
    for (const dpl of [0, 1, 3]) {
      assert.equal(checkDescriptor(...sys(type, dpl, 0xe019)), undefined, `${name} DPL ${dpl}`);
    }
  }
});
