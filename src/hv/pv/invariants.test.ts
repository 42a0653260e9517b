/**
 * The invariant checker (issue 3 "Safety"): silent on a sound state built
 * by legal steps, and it finds each kind of violation planted by writing
 * machine memory or the frame table behind the validator's back.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PTE } from "../../abi/memory-layout.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import { Ram } from "../../machine/memory/ram.js";
import { FrameTable, OWNER_FREE, PGT } from "../core/frame-table.js";
import { checkInvariants } from "./invariants.js";
import { PvPageTables } from "./page-types.js";

const D1 = 1 as DomId;
const D2 = 2 as DomId;
const { PRESENT: P, RW } = PTE;
const pte = (mfn: number, flags: number): number => ((mfn << 12) | flags) >>> 0;

/** A pinned L3 → slot-3 L2 → L1 → {data RW, l1 RO}, and a second domain's frame. */
function soundDomain() {
  const ram = new Ram(2 << 20);
  const frames = new FrameTable(ram.size >>> 12);
  const pt = new PvPageTables(ram, frames);
  const alloc = (d: DomId = D1): Mfn => frames.allocate(d) as Mfn;
  const set = (t: Mfn, s: number, lo: number, hi = 0): void => {
    ram.write32(t * 4096 + s * 8, lo);
    ram.write32(t * 4096 + s * 8 + 4, hi);
  };
  const [l3, l2, l1, data, spare] = [alloc(), alloc(), alloc(), alloc(), alloc()];
  const theirs = alloc(D2);
  set(l3, 3, pte(l2, P));
  set(l2, 0, pte(l1, P | RW));
  set(l1, 0, pte(data, P | RW));
  set(l1, 1, pte(l1, P));
  assert.equal(frames.pin(l3, D1, PGT.L3), 0);
  assert.deepEqual(checkInvariants(ram, frames), []);
  return { ram, frames, pt, set, l3, l2, l1, data, spare, theirs };
}

test("no violations on a sound state, including after updates and teardown", () => {
  const { ram, frames, pt, l3, l1, spare } = soundDomain();
  assert.equal(pt.modL1Entry(l1, 2, pte(spare, P | RW)), 0);
  assert.deepEqual(checkInvariants(ram, frames), []);
  assert.equal(frames.unpin(l3, D1), 0);
  assert.deepEqual(checkInvariants(ram, frames), []);
  for (let m = 0; m < 6; m++) assert.equal(frames.free(m as Mfn), 0);
  assert.deepEqual(checkInvariants(ram, frames), []);
});

test("a writable mapping of a page-table frame written behind the frame table's back is found", () => {
  const { ram, frames, set, l1, l2 } = soundDomain();
  set(l1, 5, pte(l2, P | RW));
  const v = checkInvariants(ram, frames);
  assert.ok(v.some((s) => /writable mapping\(s\) of a frame not typed writable/.test(s)), v.join("\n"));
  assert.ok(v.some((s) => /general count 1, references found 2/.test(s)), v.join("\n"));
});

test("a mapping of another domain's frame is found", () => {
  const { ram, frames, set, l1, theirs } = soundDomain();
  set(l1, 6, pte(theirs, P));
  const v = checkInvariants(ram, frames);
  assert.ok(v.some((s) => /frame owned by 0002, table by 0001/.test(s)), v.join("\n"));
});

test("a count that disagrees with the references is found", () => {
  const { ram, frames, data, l1 } = soundDomain();
  frames.count[data]!++;
  assert.match(checkInvariants(ram, frames).join("\n"), /general count 2, references found 1/);
  frames.count[data]!--;
  frames.typeCount[l1]!++;
  assert.match(checkInvariants(ram, frames).join("\n"), /type count 2, references found 1/);
});

test("a page-table entry removed behind the validator's back leaves a count with no reference", () => {
  const { ram, frames, set, l1 } = soundDomain();
  set(l1, 0, 0);
  assert.match(checkInvariants(ram, frames).join("\n"), /general count 1, references found 0/);
});

test("allocator bookkeeping: an owned frame that is free, and L3 junk beyond slot 3", () => {
  const { ram, frames, set, l3 } = soundDomain();
  frames.owner[100] = D1;
  assert.match(checkInvariants(ram, frames).join("\n"), /allocated but in the free list/);
  frames.owner[100] = OWNER_FREE;
  set(l3, 9, 0x1000);
  assert.match(checkInvariants(ram, frames).join("\n"), /nonzero entry beyond slot 3/);
});

test("references held outside page tables are declared by the caller", () => {
  const { ram, frames, l3 } = soundDomain();
  assert.equal(frames.getPageAndType(l3, D1, PGT.L3), 0); // a CR3
  assert.match(checkInvariants(ram, frames).join("\n"), /type count 2, references found 1/);
  assert.deepEqual(checkInvariants(ram, frames, { external: [{ mfn: l3, general: 1, type: 1 }] }), []);
});
