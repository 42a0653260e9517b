/**
 * Grant PTEs in a PV page table (docs/xen-pv32-abi.md §4.18, §5.3): the
 * entry grant_to_pte_flags builds, the host-side grant mark, the L1 checks
 * of create/replace_grant_pv_mapping, and that no frame reference is taken
 * or dropped for the grant's own entry.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GNTMAP, GNTST } from "../../abi/grant-tables.js";
import { PTE } from "../../abi/memory-layout.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import { Ram } from "../../machine/memory/ram.js";
import { FrameTable, PGT } from "../core/frame-table.js";
import { GrantPteSet, PvGrantPtes, grantPteLo } from "./grant-pte.js";
import { PvPageTables } from "./page-types.js";
import { DOMU_POLICY } from "./pte-validate.js";

const D1 = 1 as DomId, D2 = 2 as DomId;
const { PRESENT: P, RW, USER: US, ACCESSED: A, DIRTY: D } = PTE;

function setup(nx = true) {
  const ram = new Ram(1 << 20);
  const frames = new FrameTable(256);
  const tables = new PvPageTables(ram, frames, { policy: { ...DOMU_POLICY, nxEnabled: () => nx } });
  const alloc = (d: DomId): Mfn => frames.allocate(d) as Mfn;
  const [l3, l2, l1] = [alloc(D1), alloc(D1), alloc(D1)];
  ram.write32(l3 * 4096 + 3 * 8, (l2 << 12) | P);
  ram.write32(l2 * 4096, (l1 << 12) | P | RW);
  assert.equal(frames.pin(l3, D1, PGT.L3), 0);
  const foreignL1 = alloc(D2);
  assert.equal(frames.pin(foreignL1, D2, PGT.L1), 0);
  const target = alloc(D2);
  const set = new GrantPteSet();
  const ptes = new PvGrantPtes({ tables, domid: D1, grantPtes: set, currentL3: () => l3 });
  const lo = (slot: number): number => ram.read32(l1 * 4096 + slot * 8) >>> 0;
  const hi = (slot: number): number => ram.read32(l1 * 4096 + slot * 8 + 4) >>> 0;
  return { ram, frames, l1, foreignL1, target, set, ptes, lo, hi };
}

test("grant_to_pte_flags: P|A|D, RW unless read-only, US for application_map, AVAIL from flag bits 16–18", () => {
  assert.equal(grantPteLo(GNTMAP.host_map), P | RW | A | D);
  assert.equal(grantPteLo(GNTMAP.host_map | GNTMAP.readonly), P | A | D);
  assert.equal(grantPteLo(GNTMAP.host_map | GNTMAP.application_map), P | RW | US | A | D);
  assert.equal(grantPteLo(GNTMAP.host_map | (5 << 16) | (1 << 19)), P | RW | A | D | (5 << 9));
});

test("create writes the entry and marks it without touching the frame's counts; destroy needs the mark and a match", () => {
  const s = setup();
  const va = BigInt(0xc0000000 + 9 * 4096);
  assert.equal(s.ptes.create(va, GNTMAP.host_map, s.target), GNTST.okay);
  assert.equal(s.lo(9), ((s.target << 12) | P | RW | A | D) >>> 0);
  assert.equal(s.hi(9), 0x80000000);
  assert.ok(s.set.has(s.l1, 9));
  assert.deepEqual([s.frames.count[s.target], s.frames.typeCount[s.target]], [0, 0]);
  assert.equal(s.ptes.destroy(va, GNTMAP.host_map | GNTMAP.readonly, s.target), GNTST.general_error, "RW differs");
  assert.equal(s.ptes.destroy(va, GNTMAP.host_map, (s.target + 1) as Mfn), GNTST.general_error, "another frame");
  assert.equal(s.ptes.create(va, GNTMAP.host_map, s.target), GNTST.general_error, "already a grant PTE");
  assert.equal(s.ptes.destroy(va, GNTMAP.host_map, s.target), GNTST.okay);
  assert.deepEqual([s.lo(9), s.hi(9), s.set.size], [0, 0, 0]);
  assert.equal(s.ptes.destroy(va, GNTMAP.host_map, s.target), GNTST.general_error, "no mark any more");
});

test("without NX the entry carries none; the L1 must be the mapper's L1", () => {
  const s = setup(false);
  assert.equal(s.ptes.create(BigInt(0xc0000000), GNTMAP.host_map | GNTMAP.readonly, s.target), GNTST.okay);
  assert.equal(s.hi(0), 0);
  const foreign = BigInt(s.foreignL1 * 4096 + 8);
  assert.equal(s.ptes.create(foreign, GNTMAP.host_map | GNTMAP.contains_pte, s.target), GNTST.general_error);
  assert.equal(s.ptes.create(BigInt(s.target * 4096), GNTMAP.host_map | GNTMAP.contains_pte, s.target), GNTST.general_error);
  assert.equal(s.ptes.create(BigInt(300 * 4096), GNTMAP.host_map | GNTMAP.contains_pte, s.target), GNTST.general_error, "beyond the machine");
  assert.equal(s.ptes.create(BigInt(0xf5800000), GNTMAP.host_map, s.target), GNTST.general_error, "no guest L1 there");
  assert.equal(s.set.size, 1);
});
