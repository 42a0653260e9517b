import assert from "node:assert/strict";
import { test } from "node:test";
import { RoundRobin, RR_SLICE_NS } from "./round-robin.js";

test("round robin: runnable vCPUs take turns, each for the fixed slice", () => {
  const rr = new RoundRobin<string>();
  for (const v of ["a", "b", "c"]) { rr.insert(v); rr.wake(v); }
  const order: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < 6; i++) {
    const p = rr.pick(0n, cur);
    assert.ok(p !== undefined);
    assert.equal(p.sliceNs, RR_SLICE_NS);
    cur = p.next;
    order.push(cur);
  }
  assert.deepEqual(order, ["a", "b", "c", "a", "b", "c"]);
});

test("round robin: a sleeping vCPU is skipped, a woken one joins the tail, none runnable means idle", () => {
  const rr = new RoundRobin<string>(5n);
  for (const v of ["a", "b"]) { rr.insert(v); rr.wake(v); }
  assert.equal(rr.pick(0n, undefined)?.next, "a");
  rr.sleep("a");                                   // a blocks
  assert.equal(rr.pick(0n, undefined)?.next, "b");
  rr.wake("a");
  assert.deepEqual(rr.runQueue(), ["b", "a"]);
  assert.equal(rr.pick(0n, "b")?.next, "a");      // b's slice ends
  rr.sleep("a"); rr.sleep("b");
  assert.equal(rr.pick(0n, undefined), undefined);
  rr.wake("x");                                    // never inserted: ignored
  assert.equal(rr.pick(0n, undefined), undefined);
});

test("round robin: yield moves the vCPU behind the others; the only runnable vCPU keeps the CPU", () => {
  const rr = new RoundRobin<string>();
  for (const v of ["a", "b"]) { rr.insert(v); rr.wake(v); }
  rr.yield("a");
  assert.equal(rr.pick(0n, undefined)?.next, "b");
  rr.remove("b");
  assert.equal(rr.pick(0n, "a")?.next, "a");
});
