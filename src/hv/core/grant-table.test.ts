/**
 * GrantTable (docs/xen-pv32-abi.md §4.18, §1.8): the initial shared frame,
 * growth up to max_grant_frames, entries read from the shared frames, the
 * toolstack's seeded entries, Xen's maptrack free-list order, teardown.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRNO } from "../../abi/errno.js";
import { GNTMAP, GTF } from "../../abi/grant-tables.js";
import { M2P } from "../../abi/memory-layout.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import { Ram } from "../../machine/memory/ram.js";
import { checkInvariants } from "../pv/invariants.js";
import { FrameTable, OWNER_FREE, PGT } from "./frame-table.js";
import { GrantTable } from "./grant-table.js";

const D1 = 1 as DomId;

function setup(frameCount = 64, maxFrames?: number) {
  const ram = new Ram(frameCount * 4096);
  for (let a = 0; a < ram.size; a += 4) ram.write32(a, 0x5a5a5a5a);
  const frames = new FrameTable(frameCount);
  const m2p = new Map<number, number>();
  const gt = GrantTable.create({ domid: D1, frames, mem: ram, setM2p: (m, p) => void m2p.set(m, p), maxFrames });
  return { ram, frames, m2p, gt };
}

const table = (gt: GrantTable | number): GrantTable => {
  assert.ok(gt instanceof GrantTable);
  return gt;
};

test("a new table has one zeroed frame shared with its domain, M2P invalid", () => {
  const { ram, frames, m2p, gt } = setup();
  const t = table(gt);
  assert.equal(t.nrFrames, 1);
  assert.equal(t.nrEntries, 512);
  assert.equal(t.version, 1);
  const f = t.frameMfn(0);
  assert.equal(frames.owner[f], D1);
  assert.ok(frames.xenShared(f));
  assert.deepEqual([frames.count[f], frames.typeCount[f], frames.typeInfo[f]], [1, 1, PGT.WRITABLE]);
  assert.equal(m2p.get(f), M2P.INVALID_ENTRY);
  for (let o = 0; o < 4096; o += 4) assert.equal(ram.read32(f * 4096 + o), 0);
  assert.deepEqual(checkInvariants(ram, frames), []);
});

test("grow adds frames up to the request; out of memory adds none", () => {
  const { ram, frames, gt } = setup(4);
  const t = table(gt);
  assert.equal(t.grow(3), 0);
  assert.equal(t.nrFrames, 3);
  assert.equal(frames.freeCount, 1);
  assert.equal(t.grow(6), -ERRNO.ENOMEM);
  assert.equal(t.nrFrames, 3);
  assert.equal(frames.freeCount, 1, "the partial growth was given back");
  assert.deepEqual(checkInvariants(ram, frames), []);
  assert.equal(GrantTable.create({ domid: D1, frames: new FrameTable(1), mem: ram, setM2p: () => {}, maxFrames: 0 }), -ERRNO.EINVAL);
  const full = new FrameTable(1);
  full.allocate(D1);
  assert.equal(GrantTable.create({ domid: D1, frames: full, mem: ram, setM2p: () => {} }), -ERRNO.ENOMEM);
});

test("entries live in the shared frames: the guest's writes are what the table reads", () => {
  const { ram, gt } = setup();
  const t = table(gt);
  t.grow(2);
  const at = (ref: number): number => t.frameMfn(Math.floor(ref / 512)) * 4096 + (ref % 512) * 8;
  ram.write16(at(513), GTF.permit_access | GTF.readonly);
  ram.write16(at(513) + 2, 7);
  ram.write32(at(513) + 4, 0x1234);
  assert.deepEqual([t.entryFlags(513), t.entryDomid(513), t.entryFrame(513)], [GTF.permit_access | GTF.readonly, 7, 0x1234]);
  t.setEntryFlags(513, GTF.permit_access | GTF.reading);
  assert.equal(ram.read16(at(513)), GTF.permit_access | GTF.reading);
  t.seedEntry(1, 0, 0x4321, GTF.permit_access);
  assert.deepEqual([ram.read16(at(1)), ram.read16(at(1) + 2), ram.read32(at(1) + 4)], [GTF.permit_access, 0, 0x4321]);
});

test("maptrack hands out handles in Xen's order: a page at a time, freed handles at the tail", () => {
  const t = table(setup().gt);
  assert.deepEqual([t.getHandle(), t.getHandle(), t.getHandle()], [0, 1, 2]);
  assert.equal(t.maptrackLimit, 256);
  t.putHandle(1);
  assert.deepEqual([t.getHandle(), t.getHandle()], [3, 4], "a freed handle waits behind the page's fresh ones");
  for (let h = 5; h <= 255; h++) assert.equal(t.getHandle(), h);
  assert.equal(t.getHandle(), 256, "the freed 1 is now the one entry that always stays in the list: a new page");
  t.putHandle(7);
  for (let h = 257; h <= 511; h++) assert.equal(t.getHandle(), h);
  assert.equal(t.getHandle(), 1, "then the freed ones, oldest first");
  assert.equal(t.maptrackLimit, 512);
  assert.equal(t.mapping(300).flags, 0);
});

test("destroy frees the frames, refuses while a mapping exists or a frame is still referenced", () => {
  const { ram, frames, gt } = setup();
  const t = table(gt);
  t.grow(2);
  const h = t.getHandle()!;
  t.setMapping(h, { flags: GNTMAP.host_map, ref: 8, domid: 2 as DomId, mfn: 9 as Mfn });
  assert.equal(t.destroy(), -ERRNO.EBUSY);
  assert.equal(t.mappings().length, 1);
  t.putHandle(h);
  const f = t.frameMfn(1);
  assert.equal(frames.getPage(f, D1), 0); // the guest still maps it
  assert.equal(t.destroy(), -ERRNO.EBUSY);
  assert.equal(t.nrFrames, 2);
  frames.putPage(f);
  assert.equal(t.destroy(), 0);
  assert.equal(frames.owner[f], OWNER_FREE);
  assert.equal(frames.freeCount, 64);
  assert.deepEqual(checkInvariants(ram, frames), []);
});

test("active entries: pin counts per ref, removed at zero; pinnedFrom skips the reserved ones", () => {
  const t = table(setup().gt);
  t.activate(3, 2 as DomId, 9 as Mfn, 1);
  assert.equal(t.pinnedFrom(8), false);
  t.activate(8, 2 as DomId, 10 as Mfn, 1 << 8);
  assert.equal(t.pinnedFrom(8), true);
  t.unpin(8, 1 << 8);
  assert.equal(t.activeEntry(8), undefined);
  assert.equal(t.pinnedFrom(8), false);
  assert.equal(t.activeEntry(3)?.pin, 1);
});
