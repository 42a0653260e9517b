/**
 * PV page-table validation (docs/xen-pv32-abi.md §5.2–§5.7) on a fake
 * domain: a 4 MiB Ram, a FrameTable and domids 1 and 2. Tables are built by
 * writing entries with Ram.write32, then typed (pin / entry updates). Every
 * legal step is followed by the invariant checker; every refused step must
 * leave memory and the frame table exactly as they were.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRNO } from "../../abi/errno.js";
import { PTE, PTE_HI, SLOTS } from "../../abi/memory-layout.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import { Ram } from "../../machine/memory/ram.js";
import { FRAME_FLAG, FrameTable, PGT, PGT_PAE_XEN_L2 } from "../core/frame-table.js";
import { checkInvariants, type ExternalRef } from "./invariants.js";
import { PvPageTables, type PageTypesOptions } from "./page-types.js";
import { DOMU_POLICY } from "./pte-validate.js";

const D1 = 1 as DomId;
const D2 = 2 as DomId;
const { PRESENT: P, RW, USER: US, ACCESSED: A } = PTE;

/** Low half of an entry naming `mfn` (< 2^20) with `flags`. */
const pte = (mfn: number, flags: number): number => ((mfn << 12) | flags) >>> 0;

function fakeDomain(options: PageTypesOptions = {}) {
  const ram = new Ram(4 << 20);
  const frames = new FrameTable(ram.size >>> 12);
  const pt = new PvPageTables(ram, frames, options);
  const alloc = (d: DomId = D1): Mfn => {
    const m = frames.allocate(d);
    assert.ok(m >= 0);
    return m as Mfn;
  };
  const set = (table: Mfn, slot: number, lo: number, hi = 0): void => {
    ram.write32(table * 4096 + slot * 8, lo);
    ram.write32(table * 4096 + slot * 8 + 4, hi);
  };
  const lo = (table: Mfn, slot: number): number => ram.read32(table * 4096 + slot * 8) >>> 0;
  const sound = (external: ExternalRef[] = []): void => assert.deepEqual(checkInvariants(ram, frames, { external }), []);
  // Type and "validated" of a frame at type count 0 are not compared: a
  // rolled-back validation may leave a data frame typed "writable" at count 0
  // (as Xen does), which no guest can tell from untyped.
  const snapshot = (): Uint8Array[] => {
    const idle = (m: number): boolean => frames.typeCount[m] === 0;
    const typeInfo = frames.typeInfo.map((v, m) => (idle(m) ? PGT.NONE : v));
    const flags = frames.flags.map((v, m) => (idle(m) ? v & ~FRAME_FLAG.VALIDATED : v));
    return [ram.u8, frames.count, frames.typeCount, typeInfo, flags, frames.linear].map((a) => new Uint8Array(a.slice().buffer));
  };
  const NAMES = ["memory", "count", "typeCount", "typeInfo", "flags", "linear"];
  /** Run a refused operation: its errno, and nothing changed. */
  const refused = (errno: number, op: () => number, why: string): void => {
    const before = snapshot();
    assert.equal(op(), -errno, why);
    snapshot().forEach((after, k) => {
      const at = after.findIndex((byte, i) => byte !== before[k]![i]);
      assert.equal(at, -1, `${why}: ${NAMES[k]} changed at byte ${at}`);
    });
  };
  const refs = (m: Mfn): [number, number] => [frames.count[m]!, frames.typeCount[m]!];
  return { ram, frames, pt, alloc, set, lo, sound, refused, refs };
}

/** An L3 whose slot 3 names a fresh L2 (the minimum §5.5 accepts). */
function minimalL3(dom: ReturnType<typeof fakeDomain>) {
  const l3 = dom.alloc();
  const l2h = dom.alloc();
  dom.set(l3, 3, pte(l2h, P | RW | US | A));
  return { l3, l2h };
}

test("an L1 validates: RW mappings take a general and a writable reference, RO a general one", () => {
  const dom = fakeDomain();
  const { frames, pt, alloc, set } = dom;
  const [l1, a, b] = [alloc(), alloc(), alloc()];
  set(l1, 0, pte(a, P | RW | A));
  set(l1, 1, pte(b, P | US));
  set(l1, 2, pte(a, P));
  set(l1, 3, pte(l1, P)); // the table itself, read-only: allowed
  set(l1, 4, 0xdead0000, 0x12345); // not present: stored as is
  assert.equal(frames.pin(l1, D1, PGT.L1), 0);
  assert.deepEqual(dom.refs(a), [2, 1]);
  assert.equal(frames.typeInfo[a], PGT.WRITABLE);
  assert.deepEqual(dom.refs(b), [1, 0]);
  assert.deepEqual(dom.refs(l1), [2, 1]); // pin + its own RO mapping
  assert.ok(frames.validated(l1) && frames.pinned(l1));
  assert.equal(pt.entriesValidated, 4);
  dom.sound();
  assert.equal(frames.unpin(l1, D1), 0);
  for (const m of [l1, a, b]) assert.deepEqual(dom.refs(m), [0, 0], `frame ${m}`);
  assert.equal(frames.validated(l1), false);
  dom.sound();
});

test("a writable mapping of a page-table or descriptor frame fails with -EBUSY and changes nothing (§5.2 rule 2)", () => {
  const segDesc = new Set<number>();
  const dom = fakeDomain({ validateSegDesc: (m) => (segDesc.add(m), 0) });
  const { frames, pt, alloc, set, refused } = dom;
  const [l1, other, gdt] = [alloc(), alloc(), alloc()];
  assert.equal(frames.pin(l1, D1, PGT.L1), 0);
  assert.equal(frames.pin(other, D1, PGT.L1), 0);
  assert.equal(frames.getPageAndType(gdt, D1, PGT.SEG_DESC), 0); // as set_gdt would
  assert.ok(segDesc.has(gdt));
  refused(ERRNO.EBUSY, () => pt.modL1Entry(l1, 5, pte(other, P | RW)), "RW map of an L1");
  refused(ERRNO.EBUSY, () => pt.modL1Entry(l1, 5, pte(l1, P | RW)), "RW map of the table itself");
  refused(ERRNO.EBUSY, () => pt.modL1Entry(l1, 5, pte(gdt, P | RW)), "RW map of a GDT frame");
  assert.equal(pt.modL1Entry(l1, 5, pte(other, P)), 0, "read-only is fine");
  assert.equal(pt.modL1Entry(l1, 6, pte(gdt, P)), 0);
  assert.deepEqual(dom.refs(other), [2, 1]);
  const gdtRef = [{ mfn: gdt, general: 1, type: 1 }];
  dom.sound(gdtRef);
  // Validation finds the same: an L1 mapping itself RW cannot become an L1.
  const self = alloc();
  set(self, 7, pte(self, P | RW));
  refused(ERRNO.EBUSY, () => frames.pin(self, D1, PGT.L1), "L1 mapping itself RW");
  assert.equal(frames.typeInfo[self], PGT.NONE);
  // ... and a frame mapped RW cannot become a page table (−EINVAL).
  const data = alloc();
  assert.equal(pt.modL1Entry(l1, 8, pte(data, P | RW)), 0);
  refused(ERRNO.EINVAL, () => frames.pin(data, D1, PGT.L1), "writable frame pinned as L1");
  assert.equal(pt.modL1Entry(l1, 8, 0, 0), 0, "unmap");
  assert.deepEqual(dom.refs(data), [0, 0]);
  assert.equal(frames.pin(data, D1, PGT.L1), 0, "now it can");
  dom.sound(gdtRef);
});

test("an L1 entry may only name frames of FD: other domains' and free frames -EBUSY, MMIO -EPERM (§5.3)", () => {
  const dom = fakeDomain();
  const { frames, pt, alloc, refused } = dom;
  const l1 = alloc();
  const theirs = alloc(D2);
  assert.equal(frames.pin(l1, D1, PGT.L1), 0);
  refused(ERRNO.EBUSY, () => pt.modL1Entry(l1, 0, pte(theirs, P)), "frame of domain 2");
  refused(ERRNO.EBUSY, () => pt.modL1Entry(l1, 0, pte(900, P)), "free frame");
  refused(ERRNO.EPERM, () => pt.modL1Entry(l1, 0, pte(0xfee00, P | RW)), "beyond RAM (MMIO)");
  refused(ERRNO.EINVAL, () => pt.modL1Entry(l1, 0, 0xfffff000 | P, 0xfffff), "address all ones");
  // A privileged caller naming domain 2 as FD maps its frames.
  assert.equal(pt.modL1Entry(l1, 0, pte(theirs, P | RW), 0, D2), 0);
  assert.deepEqual(dom.refs(theirs), [1, 1]);
  assert.deepEqual(checkInvariants(dom.ram, frames, { allowForeign: (t, f) => t === D1 && f === D2 }), []);
  assert.equal(pt.modL1Entry(l1, 0, 0, 0), 0);
  assert.deepEqual(dom.refs(theirs), [0, 0]);
  // With I/O-memory permission an MMIO frame maps and takes no references.
  const io = fakeDomain({ policy: { ...DOMU_POLICY, iomemPermitted: (_d, m) => m === 0xfee00 } });
  const l1io = io.alloc();
  assert.equal(io.frames.pin(l1io, D1, PGT.L1), 0);
  assert.equal(io.pt.modL1Entry(l1io, 0, pte(0xfee00, P | RW)), 0);
  io.sound();
});

test("disallowed L1 and L2 flags are -EINVAL (§5.3, §5.4, §12.2)", () => {
  const dom = fakeDomain();
  const { frames, pt, alloc, refused } = dom;
  const [l1, l2, data] = [alloc(), alloc(), alloc()];
  assert.equal(frames.pin(l1, D1, PGT.L1), 0);
  assert.equal(frames.pin(l2, D1, PGT.L2), 0);
  for (const [bit, name] of [[PTE.PWT, "PWT"], [PTE.PCD, "PCD"], [PTE.PAT, "PAT"]] as const) {
    refused(ERRNO.EINVAL, () => pt.modL1Entry(l1, 0, pte(data, P | bit)), `L1 ${name}`);
  }
  refused(ERRNO.EINVAL, () => pt.modL1Entry(l1, 0, pte(data, P), PTE_HI.GRANT), "L1 grant bit");
  refused(ERRNO.EINVAL, () => pt.modL1Entry(l1, 0, pte(data, P), 1 << 20), "L1 bit 52");
  assert.equal(pt.modL1Entry(l1, 0, pte(data, P | PTE.GLOBAL | PTE.AVAIL), PTE_HI.NX), 0, "G, AVL, NX allowed");
  const l1b = alloc();
  for (const [bit, name] of [[PTE.PSE, "PS"], [PTE.GLOBAL, "G"], [PTE.PWT, "PWT"], [PTE.PCD, "PCD"]] as const) {
    refused(ERRNO.EINVAL, () => pt.modL2Entry(l2, 0, pte(l1b, P | RW | bit)), `L2 ${name}`);
  }
  dom.sound();
  // Without NX (EFER.NXE clear) bit 63 is refused too; cache privilege admits PWT/PCD/PAT.
  const priv = fakeDomain({ policy: { ...DOMU_POLICY, nxEnabled: () => false, cacheAttrsPermitted: () => true } });
  const [pl1, pdata] = [priv.alloc(), priv.alloc()];
  assert.equal(priv.frames.pin(pl1, D1, PGT.L1), 0);
  priv.refused(ERRNO.EINVAL, () => priv.pt.modL1Entry(pl1, 0, pte(pdata, P), PTE_HI.NX), "NX without NXE");
  assert.equal(priv.pt.modL1Entry(pl1, 0, pte(pdata, P | PTE.PCD | PTE.PWT)), 0);
  // ... but never a non-WB mapping of a hypervisor-shared frame (−EACCES).
  const shared = 600 as Mfn;
  assert.equal(priv.frames.shareWithGuest(shared, D1), 0);
  priv.refused(ERRNO.EACCES, () => priv.pt.modL1Entry(pl1, 1, pte(shared, P | RW | PTE.PCD)), "UC shared_info");
  assert.equal(priv.pt.modL1Entry(pl1, 1, pte(shared, P | RW)), 0);
  priv.sound();
});

test("L2 entries take L1 type and validate it; replacing one releases the old L1", () => {
  const dom = fakeDomain();
  const { frames, pt, alloc, set, refused } = dom;
  const [l2, l1a, l1b, data, bad] = [alloc(), alloc(), alloc(), alloc(), alloc()];
  set(l1a, 0, pte(data, P | RW));
  set(l2, 0, pte(l1a, P | RW | US));
  assert.equal(frames.pin(l2, D1, PGT.L2), 0);
  assert.deepEqual(dom.refs(l1a), [1, 1]);
  assert.equal(frames.typeInfo[l1a], PGT.L1);
  assert.deepEqual(dom.refs(data), [1, 1]);
  dom.sound();
  // An L1 whose validation fails cannot be installed; its errno comes back.
  set(bad, 3, pte(data, P | RW));
  set(bad, 9, pte(data, P | PTE.PCD));
  refused(ERRNO.EINVAL, () => pt.modL2Entry(l2, 1, pte(bad, P | RW)), "L1 with a bad entry");
  set(bad, 9, pte(l2, P | RW));
  refused(ERRNO.EBUSY, () => pt.modL2Entry(l2, 1, pte(bad, P | RW)), "L1 mapping an L2 RW");
  const theirs = alloc(D2);
  refused(ERRNO.EINVAL, () => pt.modL2Entry(l2, 1, pte(theirs, P | RW)), "L1 of another domain");
  // Same L1, other flags: the new reference is taken before the old one is
  // dropped, so l1a is not de-validated and re-validated in between.
  const before = pt.entriesValidated;
  assert.equal(pt.modL2Entry(l2, 0, pte(l1a, P | US)), 0);
  assert.equal(pt.entriesValidated, before + 1, "only the L2 entry itself was checked");
  assert.deepEqual(dom.refs(l1a), [1, 1]);
  // Replace l1a by l1b: l1a is de-validated and its mapping of `data` dropped.
  assert.equal(pt.modL2Entry(l2, 0, pte(l1b, P | RW | US)), 0);
  assert.deepEqual(dom.refs(l1a), [0, 0]);
  assert.equal(frames.validated(l1a), false);
  assert.deepEqual(dom.refs(data), [0, 0]);
  assert.deepEqual(dom.refs(l1b), [1, 1]);
  dom.sound();
});

test("the slot-3 rule: slot 3 mandatory, its L2 referenced once, L3 slots >= 3 not updatable (§5.5)", () => {
  const dom = fakeDomain();
  const { frames, pt, alloc, set, lo, refused } = dom;
  const l3 = alloc();
  refused(ERRNO.EINVAL, () => frames.pin(l3, D1, PGT.L3), "no slot 3");
  const { l3: good, l2h } = minimalL3(dom);
  set(good, 7, 0x1234567, 0x89); // junk beyond slot 3
  set(l2h, 430, pte(alloc(), P | RW)); // guest junk in a hypervisor slot
  set(good, 3, pte(l2h, P | A)); // RW|US are forced in
  assert.equal(frames.pin(good, D1, PGT.L3), 0);
  assert.equal(lo(good, 7), 0, "entries 4-511 zeroed");
  assert.equal(lo(good, 3), pte(l2h, P | A | RW | US));
  assert.equal(frames.typeInfo[l2h], PGT.L2 | PGT_PAE_XEN_L2);
  assert.deepEqual(dom.refs(l2h), [1, 1]);
  assert.equal(lo(l2h, 430), 0, "hypervisor slots rewritten, not validated");
  dom.sound();
  // The same L2 in a second L3's slot 3, or in slot 0 of the same L3: refused.
  const l3b = alloc();
  set(l3b, 3, pte(l2h, P));
  refused(ERRNO.EINVAL, () => frames.pin(l3b, D1, PGT.L3), "shared slot-3 L2");
  refused(ERRNO.EINVAL, () => pt.modL3Entry(good, 0, pte(l2h, P)), "slot-3 L2 in slot 0");
  refused(ERRNO.EINVAL, () => frames.pin(l2h, D1, PGT.L2), "slot-3 L2 pinned as plain L2");
  // Updates: slots 0-2 only; L3 flags per §5.5; an L3 entry naming an L3 (xsa-185) refused.
  const l2 = alloc();
  refused(ERRNO.EINVAL, () => pt.modL3Entry(good, 3, pte(l2, P)), "slot 3 update");
  refused(ERRNO.EINVAL, () => pt.modL3Entry(good, 4, pte(l2, P)), "slot 4 update");
  refused(ERRNO.EINVAL, () => pt.modL3Entry(good, 0, pte(l2, P | PTE.PWT)), "PWT in L3");
  refused(ERRNO.EINVAL, () => pt.modL3Entry(good, 0, pte(l2, P), PTE_HI.NX), "NX in L3");
  refused(ERRNO.EINVAL, () => pt.modL3Entry(good, 0, pte(good, P)), "linear L3");
  assert.equal(pt.modL3Entry(good, 2, pte(l2, P)), 0);
  assert.equal(lo(good, 2), pte(l2, P | RW | US));
  assert.equal(frames.typeInfo[l2], PGT.L2);
  dom.sound();
  assert.equal(pt.modL3Entry(good, 2, 0, 0), 0);
  assert.deepEqual(dom.refs(l2), [0, 0]);
  // An L3 naming another domain's L2 in slot 3.
  const l3c = alloc();
  set(l3c, 3, pte(alloc(D2), P));
  refused(ERRNO.EINVAL, () => frames.pin(l3c, D1, PGT.L3), "foreign slot-3 L2");
  dom.sound();
});

test("the hypervisor's L2 slots 428-511 are -EPERM to update; every slot of other L2s is the guest's (§5.4)", () => {
  const dom = fakeDomain();
  const { frames, pt, alloc, refused } = dom;
  const { l3, l2h } = minimalL3(dom);
  assert.equal(frames.pin(l3, D1, PGT.L3), 0);
  const l1 = alloc();
  refused(ERRNO.EPERM, () => pt.modL2Entry(l2h, SLOTS.L2_FIRST_HYPERVISOR_SLOT, pte(l1, P)), "slot 428");
  refused(ERRNO.EPERM, () => pt.modL2Entry(l2h, 511, 0, 0), "slot 511, even not present");
  assert.equal(pt.modL2Entry(l2h, 427, pte(l1, P | RW)), 0);
  const plain = alloc();
  assert.equal(frames.pin(plain, D1, PGT.L2), 0);
  assert.equal(pt.modL2Entry(plain, 500, pte(l1, P | RW)), 0);
  assert.deepEqual(dom.refs(l1), [2, 2]);
  refused(ERRNO.EINVAL, () => pt.modL2Entry(l1, 0, pte(l1, P)), "not an L2");
  dom.sound();
});

test("a whole tree: pinning the L3 validates it all, unpinning releases every reference", () => {
  const dom = fakeDomain();
  const { frames, alloc, set, sound } = dom;
  const { l3, l2h } = minimalL3(dom);
  const [l2a, l1a, l1h] = [alloc(), alloc(), alloc()];
  const data = [alloc(), alloc(), alloc()];
  set(l3, 0, pte(l2a, P));
  set(l3, 1, pte(l2a, P)); // the same L2 twice in slots 0-2 is fine
  set(l2a, 0, pte(l1a, P | RW | US));
  set(l2a, 1, pte(l1a, P | RW | US));
  set(l2h, 0, pte(l1h, P | RW));
  set(l1a, 0, pte(data[0]!, P | RW | US));
  set(l1a, 1, pte(data[1]!, P | RW));
  set(l1a, 2, pte(l3, P)); // page tables mapped read-only, as the builder does
  set(l1a, 3, pte(l2a, P));
  set(l1a, 4, pte(l1a, P));
  set(l1h, 0, pte(data[2]!, P));
  set(l1h, 1, pte(data[0]!, P | RW));
  assert.equal(frames.pin(l3, D1, PGT.L3), 0);
  assert.deepEqual(dom.refs(l3), [2, 1]);
  assert.deepEqual(dom.refs(l2a), [3, 2]);
  assert.deepEqual(dom.refs(l1a), [3, 2]);
  assert.deepEqual(dom.refs(data[0]!), [2, 2]);
  assert.deepEqual(dom.refs(data[2]!), [1, 0]);
  sound();
  // CR3's reference, as NEW_BASEPTR takes it, keeps the tree while unpinned.
  assert.equal(frames.getPageAndType(l3, D1, PGT.L3), 0);
  assert.deepEqual(checkInvariants(dom.ram, frames, { external: [{ mfn: l3, general: 1, type: 1 }] }), []);
  assert.equal(frames.unpin(l3, D1), 0);
  assert.ok(frames.validated(l1a));
  frames.putPageAndType(l3);
  for (let m = 0; m < frames.total; m++) assert.deepEqual(dom.refs(m as Mfn), [0, 0], `frame ${m}`);
  for (const m of [l3, l2a, l2h, l1a, l1h]) assert.equal(frames.validated(m), false);
  assert.equal(frames.typeInfo[l2h], PGT.NONE, "untyped again, slot-3 flag dropped");
  assert.equal(dom.lo(l3, 0), pte(l2a, P), "RW|US|A stripped again on de-validation");
  sound();
});

test("a failing entry rolls back the references taken by the entries before it", () => {
  const dom = fakeDomain();
  const { frames, alloc, set, refused } = dom;
  const { l3, l2h } = minimalL3(dom);
  const [l2a, l1a, data] = [alloc(), alloc(), alloc()];
  set(l1a, 0, pte(data, P | RW));
  set(l2a, 0, pte(l1a, P));
  set(l3, 0, pte(l2a, P));
  set(l3, 1, pte(alloc(D2), P));
  refused(ERRNO.EINVAL, () => frames.pin(l3, D1, PGT.L3), "slot 1 foreign");
  for (const m of [l3, l2h, l2a, l1a, data]) assert.deepEqual(dom.refs(m), [0, 0]);
  set(l3, 1, 0);
  set(l3, 3, 0);
  refused(ERRNO.EINVAL, () => frames.pin(l3, D1, PGT.L3), "slot 3 missing after valid slots");
  assert.deepEqual(dom.refs(l2a), [0, 0]);
  dom.sound();
});

test("linear page tables: read-only L2 to validated L2, one level deep (§5.7)", () => {
  const dom = fakeDomain();
  const { frames, pt, alloc, refused } = dom;
  const [x, y, z] = [alloc(), alloc(), alloc()];
  for (const m of [x, y, z]) assert.equal(frames.pin(m, D1, PGT.L2), 0);
  refused(ERRNO.EINVAL, () => pt.modL2Entry(x, 0, pte(y, P | RW)), "writable linear entry");
  assert.equal(pt.modL2Entry(x, 0, pte(y, P)), 0);
  assert.deepEqual([dom.refs(y), frames.linear[x], frames.linear[y]], [[2, 2], 1, -1]);
  assert.equal(pt.modL2Entry(x, 1, pte(x, P)), 0, "self map");
  assert.deepEqual(dom.refs(x), [1, 1], "self map takes nothing");
  dom.sound();
  refused(ERRNO.EINVAL, () => pt.modL2Entry(y, 0, pte(z, P)), "y is a linear target: no entries of its own");
  refused(ERRNO.EINVAL, () => pt.modL2Entry(z, 0, pte(x, P)), "x holds linear entries: not a target");
  const { l3 } = minimalL3(dom);
  assert.equal(frames.pin(l3, D1, PGT.L3), 0);
  refused(ERRNO.EINVAL, () => pt.modL2Entry(z, 0, pte(l3, P)), "an L3 is neither L1 nor L2");
  const theirs = alloc(D2);
  refused(ERRNO.EINVAL, () => pt.modL2Entry(z, 0, pte(theirs, P)), "another domain's frame");
  dom.sound();
  assert.equal(pt.modL2Entry(x, 0, 0, 0), 0);
  assert.deepEqual([dom.refs(y), frames.linear[x], frames.linear[y]], [[1, 1], 0, 0]);
  assert.equal(frames.unpin(x, D1), 0, "x with its self map de-validates");
  assert.deepEqual(dom.refs(x), [0, 0]);
  dom.sound();
});
