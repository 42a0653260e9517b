/**
 * FrameTable (docs/xen-pv32-abi.md §5.2): the allocator, general and type
 * reference counts with Xen's type-change rule, validation and
 * de-validation through a fake TypeOps, pinning, hypervisor-shared frames.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRNO } from "../../abi/errno.js";
import { InvariantError } from "../../lib/assert.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import { DOMID_XEN, FrameTable, OWNER_FREE, PGT, PGT_PAE_XEN_L2, type TypeOps } from "./frame-table.js";

const D1 = 1 as DomId;
const D2 = 2 as DomId;

/** A TypeOps recording its calls; `result` decides validation. */
function fakeOps(result = 0): TypeOps & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    validate: (mfn, t) => (calls.push(`validate ${mfn} ${t}`), result),
    devalidate: (mfn, t) => void calls.push(`devalidate ${mfn} ${t}`),
  };
}

test("allocate hands out ascending frames, free returns them, counts add up", () => {
  const ft = new FrameTable(8);
  assert.equal(ft.freeCount, 8);
  const a = ft.allocate(D1);
  const b = ft.allocate(D2);
  assert.deepEqual([a, b], [0, 1]);
  assert.equal(ft.ownerOf(a as Mfn), D1);
  assert.equal(ft.ownerOf(b as Mfn), D2);
  assert.equal(ft.freeCount, 6);
  assert.equal(ft.assign(5 as Mfn, DOMID_XEN), 0);
  assert.equal(ft.assign(5 as Mfn, D1), -ERRNO.EBUSY, "already allocated");
  assert.equal(ft.assign(8 as Mfn, D1), -ERRNO.EINVAL, "beyond the machine");
  const rest = [ft.allocate(D1), ft.allocate(D1), ft.allocate(D1), ft.allocate(D1)];
  assert.deepEqual(rest.sort(), [2, 3, 4, 6]);
  assert.equal(ft.allocate(D1), 7);
  assert.equal(ft.allocate(D1), -ERRNO.ENOMEM);
  assert.equal(ft.free(3 as Mfn), 0);
  assert.equal(ft.ownerOf(3 as Mfn), OWNER_FREE);
  assert.equal(ft.free(3 as Mfn), -ERRNO.EINVAL, "double free");
  assert.equal(ft.allocate(D2), 3);
});

test("free refuses a referenced, typed or pinned frame", () => {
  const ft = new FrameTable(4);
  ft.setTypeOps(fakeOps());
  const m = ft.allocate(D1) as Mfn;
  assert.equal(ft.getPage(m, D1), 0);
  assert.equal(ft.free(m), -ERRNO.EBUSY);
  assert.equal(ft.getPageType(m, PGT.WRITABLE), 0);
  ft.putPage(m);
  assert.equal(ft.free(m), -ERRNO.EBUSY, "type reference still held");
  assert.equal(ft.getPage(m, D1), 0);
  ft.putPageAndType(m);
  assert.equal(ft.pin(m, D1, PGT.L1), 0);
  assert.equal(ft.free(m), -ERRNO.EBUSY);
  assert.equal(ft.unpin(m, D1), 0);
  assert.equal(ft.free(m), 0);
});

test("getPage needs the owner; putPage of an unheld reference is a host bug", () => {
  const ft = new FrameTable(4);
  const m = ft.allocate(D1) as Mfn;
  assert.equal(ft.getPage(m, D2), -ERRNO.EINVAL);
  assert.equal(ft.getPage(3 as Mfn, D1), -ERRNO.EINVAL, "free frame");
  assert.equal(ft.getPage(99 as Mfn, D1), -ERRNO.EINVAL, "not RAM");
  assert.equal(ft.count[m], 0);
  assert.equal(ft.getPage(m, D1), 0);
  assert.equal(ft.getPage(m, D1), 0);
  assert.equal(ft.count[m], 2);
  ft.putPage(m);
  ft.putPage(m);
  assert.throws(() => ft.putPage(m), InvariantError);
  assert.throws(() => ft.getPageType(m, PGT.WRITABLE), InvariantError, "type reference without a general one");
});

test("a type changes only at type count 0; page-table types validate once and de-validate at 0", () => {
  const ft = new FrameTable(4);
  const ops = fakeOps();
  ft.setTypeOps(ops);
  const m = ft.allocate(D1) as Mfn;
  ft.getPage(m, D1);
  ft.getPage(m, D1);
  assert.equal(ft.getPageType(m, PGT.WRITABLE), 0);
  assert.deepEqual(ops.calls, [], "writable needs no validation");
  assert.equal(ft.getPageType(m, PGT.L1), -ERRNO.EINVAL, "writable in use");
  assert.equal(ft.typeInfo[m], PGT.WRITABLE);
  ft.putPageType(m);
  assert.equal(ft.validated(m), true, "writable stays validated at count 0");
  assert.equal(ft.getPageType(m, PGT.L1), 0);
  assert.deepEqual(ops.calls, [`validate ${m} ${PGT.L1}`]);
  assert.equal(ft.getPageType(m, PGT.L1), 0, "second reference: no re-validation");
  assert.equal(ft.getPageType(m, PGT.WRITABLE), -ERRNO.EINVAL);
  assert.equal(ft.getPageType(m, PGT.L2), -ERRNO.EINVAL);
  assert.deepEqual([ft.typeCount[m], ops.calls.length], [2, 1]);
  ft.putPageType(m);
  assert.deepEqual(ops.calls.length, 1, "not the last reference");
  ft.putPageType(m);
  assert.deepEqual(ops.calls, [`validate ${m} ${PGT.L1}`, `devalidate ${m} ${PGT.L1}`]);
  assert.deepEqual([ft.validated(m), ft.typeCount[m], ft.typeInfo[m]], [false, 0, PGT.NONE]);
  assert.equal(ft.getPageType(m, PGT.L1), 0, "L1 again: validated again");
  assert.equal(ops.calls.length, 3);
  ft.putPageType(m);
  assert.throws(() => ft.putPageType(m), InvariantError);
});

test("failed validation leaves the frame untyped and unreferenced", () => {
  const ft = new FrameTable(4);
  ft.setTypeOps(fakeOps(-ERRNO.EBUSY));
  const m = ft.allocate(D1) as Mfn;
  assert.equal(ft.getPageAndType(m, D1, PGT.L2), -ERRNO.EBUSY);
  assert.deepEqual([ft.count[m], ft.typeCount[m], ft.typeInfo[m], ft.validated(m)], [0, 0, PGT.NONE, false]);
  assert.equal(ft.getPageAndType(m, D2, PGT.L2), -ERRNO.EINVAL, "not owned");
});

test("the PAE_XEN_L2 flag is part of the type while in use, dropped at de-validation", () => {
  const ft = new FrameTable(4);
  ft.setTypeOps(fakeOps());
  const m = ft.allocate(D1) as Mfn;
  assert.equal(ft.getPageAndType(m, D1, PGT.L2 | PGT_PAE_XEN_L2), 0);
  assert.equal(ft.getPageAndType(m, D1, PGT.L2), -ERRNO.EINVAL);
  assert.equal(ft.count[m], 1);
  ft.putPageAndType(m);
  assert.equal(ft.typeInfo[m], PGT.NONE, "de-validated: untyped, flag gone");
});

test("pin holds one general and one type reference; a second pin and an unpin of nothing fail", () => {
  const ft = new FrameTable(4);
  const ops = fakeOps();
  ft.setTypeOps(ops);
  const m = ft.allocate(D1) as Mfn;
  assert.equal(ft.pin(m, D2, PGT.L1), -ERRNO.EINVAL, "not owned");
  assert.equal(ft.pin(m, D1, PGT.WRITABLE), -ERRNO.EINVAL, "not a page-table type");
  assert.equal(ft.pin(m, D1, PGT.L3), 0);
  assert.deepEqual([ft.count[m], ft.typeCount[m], ft.pinned(m)], [1, 1, true]);
  assert.equal(ft.pin(m, D1, PGT.L3), -ERRNO.EINVAL, "already pinned");
  assert.equal(ft.pin(m, D1, PGT.L1), -ERRNO.EINVAL, "other type in use");
  assert.deepEqual([ft.count[m], ft.typeCount[m]], [1, 1], "failed pins hold nothing");
  assert.equal(ft.unpin(m, D2), -ERRNO.EINVAL);
  assert.equal(ft.unpin(m, D1), 0);
  assert.deepEqual([ft.count[m], ft.typeCount[m], ft.pinned(m), ft.validated(m)], [0, 0, false, false]);
  assert.equal(ops.calls.at(-1), `devalidate ${m} ${PGT.L3}`);
  assert.equal(ft.unpin(m, D1), -ERRNO.EINVAL, "not pinned");
});

test("a hypervisor-shared frame is permanently writable and can never become a page table", () => {
  const ft = new FrameTable(4);
  ft.setTypeOps(fakeOps());
  const m = 2 as Mfn;
  assert.equal(ft.shareWithGuest(m, D1), 0);
  assert.deepEqual([ft.ownerOf(m), ft.count[m], ft.typeCount[m], ft.typeInfo[m], ft.xenShared(m)], [D1, 1, 1, PGT.WRITABLE, true]);
  assert.equal(ft.pin(m, D1, PGT.L1), -ERRNO.EINVAL);
  assert.equal(ft.free(m), -ERRNO.EBUSY);
  ft.unshare(m);
  assert.equal(ft.free(m), 0);
});
