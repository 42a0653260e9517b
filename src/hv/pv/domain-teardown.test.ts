/**
 * Destroying ended domains (domain-teardown.ts) on fake guests: every frame a
 * domain held — its RAM, page tables (pinned or not), GDT, shared_info, grant
 * table — returns to the free pool, the invariants hold, and a domain that
 * keeps running is untouched.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { HYPERCALL, MMUEXT, SCHEDOP, SHUTDOWN } from "../../abi/hypercalls.js";
import {
  SCRATCH, addDomain, fakeMachine, hypercall, invariantViolations, mapReadOnly, mfnAt, onCpu, poke32,
} from "../../../tests/support/pv-fake-guest.js";

const shutdown = (m: ReturnType<typeof fakeMachine>, reason: number): number => {
  const v = onCpu(m)!;
  const d = m.hv.domain(v.domid)!;
  poke32(m, d, SCRATCH + 0xff0, reason);
  return hypercall(m, HYPERCALL.sched_op, SCHEDOP.shutdown, SCRATCH + 0xff0);
};

test("a domain that shuts down is destroyed: every frame it held is free again and the invariants hold", () => {
  const m = fakeMachine();
  const freeBefore = m.hv.frames.freeCount;
  const d = addDomain(m);
  m.hv.start();
  assert.ok(m.hv.frames.freeCount < freeBefore - 1000);
  // extra state to release: a GDT frame and a pinned L1 (a zeroed scratch page)
  const gdtVa = SCRATCH + 0x1000, l1Va = SCRATCH + 0x2000;
  mapReadOnly(m, d, gdtVa);
  poke32(m, d, SCRATCH, mfnAt(d, gdtVa));
  assert.equal(hypercall(m, HYPERCALL.set_gdt, SCRATCH, 16), 0);
  mapReadOnly(m, d, l1Va);
  poke32(m, d, SCRATCH + 0x10, MMUEXT.PIN_L1_TABLE, mfnAt(d, l1Va), 0);
  assert.equal(hypercall(m, HYPERCALL.mmuext_op, SCRATCH + 0x10, 1, 0, 0x7ff0), 0);
  assert.equal(shutdown(m, SHUTDOWN.poweroff), 0);
  assert.deepEqual(d.end, { kind: "shutdown", reason: SHUTDOWN.poweroff });
  assert.equal(onCpu(m), undefined, "the CPU idles");
  assert.ok(d.teardown !== undefined, "destroyed");
  assert.equal(d.teardown.held, 0);
  assert.equal(m.hv.frames.freeCount, freeBefore, "every frame back");
  assert.deepEqual(invariantViolations(m), []);
  assert.ok(m.log.some((l) => l.includes(`domain ${d.domid} destroyed`)));
});

test("one domain ends, the other keeps its frames and runs on", () => {
  const m = fakeMachine({ memoryMiB: 24 });
  const freeBefore = m.hv.frames.freeCount;
  const a = addDomain(m, { name: "a" });
  const freeAfterA = m.hv.frames.freeCount;
  const b = addDomain(m, { name: "b" });
  const freeAfterB = m.hv.frames.freeCount;
  m.hv.start();
  const bFrames = [...Array(m.hv.frames.total).keys()].filter((f) => m.hv.frames.owner[f] === b.domid).length;
  assert.equal(onCpu(m)?.domid, a.domid);
  assert.equal(shutdown(m, SHUTDOWN.crash), 0);
  assert.equal(a.end?.kind, "crash");
  assert.equal(onCpu(m)?.domid, b.domid, "b runs");
  assert.equal(m.hv.frames.freeCount, freeBefore - (freeAfterA - freeAfterB), "only b's frames are in use");
  assert.equal([...Array(m.hv.frames.total).keys()].filter((f) => m.hv.frames.owner[f] === b.domid).length, bFrames);
  assert.equal([...Array(m.hv.frames.total).keys()].filter((f) => m.hv.frames.owner[f] === a.domid).length, 0);
  assert.deepEqual(invariantViolations(m), []);
});
