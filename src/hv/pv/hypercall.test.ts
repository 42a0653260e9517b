/** Hypercall dispatch: registered handlers get the five arguments, anything else is −ENOSYS. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { HypercallTable, type HypercallArgs } from "./hypercall.js";

test("dispatch calls the handler with the arguments and returns its result", () => {
  const seen: HypercallArgs[] = [];
  const t = new HypercallTable().register(18, (a) => { seen.push(a); return 7; });
  assert.equal(t.dispatch(18, [1, 2, 3, 4, 5]), 7);
  assert.deepEqual(seen, [[1, 2, 3, 4, 5]]);
  assert.equal(t.counts.get(18), 1);
});

test("an unknown hypercall number is -ENOSYS (-38)", () => {
  const t = new HypercallTable().register(18, () => 0);
  assert.equal(t.dispatch(99, [0, 0, 0, 0, 0]), -38);
  assert.equal(t.dispatch(0xffffffff, [0, 0, 0, 0, 0]), -38);
});
