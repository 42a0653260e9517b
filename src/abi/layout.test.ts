/**
 * The layout DSL applies the i386 System V rules (layout.ts) and rejects a
 * table whose documented offsets contradict them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { InvariantError } from "../lib/assert.js";
import {
  alignOf,
  alias,
  array,
  computeLayout,
  i16,
  locate,
  offsetOf,
  ptr,
  sizeOf,
  struct,
  u16,
  u32,
  u64,
  u8,
  union,
} from "./layout.js";

const from = { section: "test", header: "test.h" };

test("u64 is 8 bytes but only 4-byte aligned (i386 SysV)", () => {
  assert.equal(sizeOf(u64), 8);
  assert.equal(alignOf(u64), 4);
  const s = struct("t", 12, [["a", u32, 0], ["b", u64, 4]], from);
  assert.equal(s.size, 12);
  assert.equal(s.align, 4);
});

test("fields go to the next multiple of their alignment; size rounds up to the struct alignment", () => {
  const l = computeLayout("struct", [["a", u8, 0], ["b", u16, 2], ["c", u8, 4], ["d", u32, 8], ["e", u8, 12]], 16);
  assert.deepEqual(l.mismatches, []);
  assert.deepEqual(l.fields.map((f) => f.offset), [0, 2, 4, 8, 12]);
  assert.equal(l.size, 16);
});

test("a struct of bytes only has alignment 1 and no tail padding", () => {
  const s = struct("bytes", 3, [["a", u8, 0], ["b", array(u8, 2), 1]], from);
  assert.equal(s.align, 1);
  assert.equal(s.size, 3);
});

test("a nested struct aligns like its most aligned member", () => {
  const inner = struct("inner", 4, [["x", u16, 0], ["y", i16, 2]], from);
  const outer = struct("outer", 6, [["a", u8, 0], ["in", inner, 2]], from);
  assert.equal(offsetOf(outer, "in.y"), 4);
});

test("pointers and aliases take the size of what they stand for", () => {
  const domid = alias("domid_t", u16);
  assert.equal(domid.base, u16);
  assert.equal(domid.cType, "domid_t");
  assert.equal(alias("d2_t", domid).base, u16);
  assert.equal(sizeOf(ptr(u64)), 4);
  assert.equal(alignOf(ptr()), 4);
});

test("a union puts every member at 0 and is as large as its largest member", () => {
  const u = union("u", 8, [["a", u16, 0], ["b", u64, 0]], from);
  assert.equal(u.size, 8);
  assert.equal(u.align, 4);
  const l = computeLayout("union", [["a", u8, 0], ["b", u16, 2]], 2);
  assert.deepEqual(l.mismatches, ["b: documented @2, i386 rules give @0"]);
});

test("a wrong documented offset or size is reported, and struct() refuses it", () => {
  const l = computeLayout("struct", [["a", u8, 0], ["b", u32, 1]], 5);
  assert.deepEqual(l.mismatches, ["b: documented @1, i386 rules give @4", "size: documented 5, i386 rules give 8"]);
  assert.throws(() => struct("bad", 5, [["a", u8, 0], ["b", u32, 1]], from), InvariantError);
  assert.throws(() => struct("dup", 8, [["a", u32, 0], ["a", u32, 4]], from), /duplicate/);
});

test("locate resolves nested fields and array elements", () => {
  const inner = struct("in2", 8, [["x", u32, 0], ["y", u32, 4]], from);
  const outer = struct("out2", 36, [["n", u32, 0], ["v", array(inner, 4), 4]], from);
  assert.deepEqual(locate(outer, "v[2].y"), { offset: 4 + 2 * 8 + 4, type: u32, size: 4 });
  assert.equal(locate(outer, "v").size, 32);
  assert.throws(() => offsetOf(outer, "v[4]"), InvariantError);
  assert.throws(() => offsetOf(outer, "w"), InvariantError);
  assert.throws(() => offsetOf(outer, "n.x"), InvariantError);
});
