/**
 * memory_op for a 32-bit PV domain (docs/xen-pv32-abi.md §4.11): the
 * reservation sub-ops on a real FrameTable through a fake guest address
 * space — extents done as the result, frame ownership, counts, tot_pages,
 * M2P and the free count after every call; partial progress; hostile
 * arguments that change nothing; the informational sub-ops and their errnos.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRNO } from "../../abi/errno.js";
import { DOMID, XENMAPSPACE, XENMEM, XENMEMF } from "../../abi/hypercalls.js";
import { M2P } from "../../abi/memory-layout.js";
import type { DomId, Mfn, Vaddr } from "../../lib/brand.js";
import { Ram } from "../../machine/memory/ram.js";
import { checkInvariants } from "../pv/invariants.js";
import { FrameTable, OWNER_FREE } from "./frame-table.js";
import { memoryOp, type MemoryOpDomain, type MemoryReservation } from "./memory-op.js";
import { WindowGuest } from "../../../tests/support/window-guest.js";

const D1 = 1 as DomId, D2 = 2 as DomId;
const BASE = 0x10000;
const ARG = BASE as Vaddr;
const LIST = BASE + 0x100;
const FRAMES = 256;

/** Guest memory [BASE, BASE + 2 pages) (tests/support/window-guest.ts). */
class FakeGuest extends WindowGuest {
  constructor() {
    super(BASE);
  }
  list(n: number): number[] {
    return Array.from({ length: n }, (_, i) => this.u32(LIST + 4 * i));
  }
}

function setup(privileged = false) {
  const ram = new Ram(FRAMES * 4096);
  const frames = new FrameTable(FRAMES);
  const m2p = new Map<number, number>();
  const guest = new FakeGuest();
  const owned: Mfn[] = [];
  for (let i = 0; i < 8; i++) owned.push(frames.allocate(D1) as Mfn);
  const theirs = frames.allocate(D2) as Mfn;
  const other: MemoryReservation = { domid: D2, totPages: 1, maxPages: 4, maxPfn: () => 0 };
  // Leftovers of an earlier owner in every free frame: allocation must scrub.
  for (let a = 0; a < ram.size; a += 4) ram.write32(a, 0xdeadbeef);
  const d: MemoryOpDomain = {
    domid: D1, privileged, totPages: 8, maxPages: 16, maxPfn: () => 0x2000,
    frames, mem: ram, guest, maxRamPage: FRAMES,
    m2pFrames: Array.from({ length: 1200 }, (_, i) => (0x5000 + i) as Mfn),
    setM2p: (mfn, pfn) => void m2p.set(mfn, pfn),
    lookup: (id) => (id === D2 ? other : undefined),
  };
  const reservation = (nr: number, opts: { list?: number; order?: number; flags?: number; domid?: number } = {}): void => {
    guest.u32(BASE, opts.list ?? LIST);
    guest.u32(BASE + 4, nr);
    guest.u32(BASE + 8, opts.order ?? 0);
    guest.u32(BASE + 12, opts.flags ?? 0);
    guest.u16(BASE + 16, opts.domid ?? DOMID.SELF);
  };
  const op = (cmd: number): number => memoryOp(d, cmd, ARG);
  const sound = (): void => assert.deepEqual(checkInvariants(ram, frames), []);
  return { ram, frames, m2p, guest, d, other, owned, theirs, reservation, op, sound };
}

type Setup = ReturnType<typeof setup>;
/** The whole observable state a refused call must leave alone. */
const snapshot = (s: Setup) => ({
  free: s.frames.freeCount,
  tot: s.d.totPages,
  otherTot: s.other.totPages,
  owner: Array.from(s.frames.owner),
  count: Array.from(s.frames.count),
  m2p: [...s.m2p],
});

test("increase_reservation allocates scrubbed frames, reports their MFNs, counts them; M2P stays invalid", () => {
  const s = setup();
  s.reservation(3);
  const free = s.frames.freeCount;
  assert.equal(s.op(XENMEM.increase_reservation), 3);
  const mfns = s.guest.list(3);
  assert.equal(new Set(mfns).size, 3);
  for (const m of mfns) {
    assert.equal(s.frames.owner[m], D1);
    assert.equal(s.frames.count[m], 0);
    assert.equal(s.frames.typeCount[m], 0);
    assert.equal(s.m2p.get(m), M2P.INVALID_ENTRY);
    for (let o = 0; o < 4096; o += 4) assert.equal(s.ram.read32(m * 4096 + o), 0, `frame ${m} scrubbed`);
  }
  assert.equal(s.frames.freeCount, free - 3);
  assert.equal(s.d.totPages, 11);
  s.sound();
});

test("increase_reservation with a NULL list allocates without writing; max_pages stops it part-way", () => {
  const s = setup();
  s.reservation(20, { list: 0 });
  assert.equal(s.op(XENMEM.increase_reservation), 8, "tot 8 of max 16");
  assert.equal(s.d.totPages, 16);
  assert.equal(s.frames.freeCount, FRAMES - 9 - 8);
  assert.deepEqual(s.guest.list(2), [0, 0]);
  assert.equal(s.op(XENMEM.increase_reservation), 0, "at max_pages nothing more");
  s.sound();
});

test("extent_order: 2^order aligned contiguous frames up to PAGETABLE_ORDER, nothing beyond", () => {
  const s = setup();
  s.d.maxPages = 100;
  s.reservation(2, { order: 2 });
  assert.equal(s.op(XENMEM.increase_reservation), 2);
  for (const base of s.guest.list(2)) {
    assert.equal(base % 4, 0);
    for (let j = 0; j < 4; j++) assert.equal(s.frames.owner[base + j], D1);
  }
  assert.equal(s.d.totPages, 16);
  const before = snapshot(s);
  s.reservation(1, { order: 10 });
  assert.equal(s.op(XENMEM.increase_reservation), 0);
  assert.deepEqual(snapshot(s), before);
  s.sound();
});

test("populate_physmap reads GPFNs, writes MFNs back and sets M2P[mfn + j] = gpfn + j", () => {
  const s = setup();
  s.d.maxPages = 100;
  s.guest.u32(LIST, 0x300);
  s.guest.u32(LIST + 4, 0x400);
  s.reservation(2, { order: 1 });
  assert.equal(s.op(XENMEM.populate_physmap), 2);
  const [a, b] = s.guest.list(2) as [number, number];
  assert.deepEqual([s.m2p.get(a), s.m2p.get(a + 1), s.m2p.get(b), s.m2p.get(b + 1)], [0x300, 0x301, 0x400, 0x401]);
  assert.equal(s.d.totPages, 12);
  s.sound();
});

test("populate_physmap: partial progress when the list stops being readable; a write-back fault undoes that extent", () => {
  const s = setup();
  s.guest.faultFrom = LIST + 8;
  s.reservation(4);
  assert.equal(s.op(XENMEM.populate_physmap), 2);
  assert.equal(s.d.totPages, 10);

  const t = setup();
  t.guest.roFrom = LIST;
  t.reservation(1);
  const before = snapshot(t);
  assert.equal(t.op(XENMEM.populate_physmap), 0);
  const after = snapshot(t);
  assert.deepEqual({ ...after, m2p: [] }, { ...before, m2p: [] });
  assert.ok(after.m2p.every(([, pfn]) => pfn === M2P.INVALID_ENTRY), "the undone frame's M2P is invalid");
  t.sound();
});

test("populate_physmap refuses populate-on-demand on oneself", () => {
  const s = setup();
  s.reservation(2, { flags: XENMEMF.populate_on_demand });
  const before = snapshot(s);
  assert.equal(s.op(XENMEM.populate_physmap), 0);
  assert.deepEqual(snapshot(s), before);
});

test("decrease_reservation frees unreferenced frames; a foreign, bad, free or referenced MFN stops it", () => {
  const s = setup();
  const [a, b, c] = s.owned as [Mfn, Mfn, Mfn];
  s.m2p.set(a, 5);
  [a, b].forEach((m, i) => s.guest.u32(LIST + 4 * i, m));
  s.reservation(2);
  assert.equal(s.op(XENMEM.decrease_reservation), 2);
  assert.equal(s.frames.owner[a], OWNER_FREE);
  assert.equal(s.frames.owner[b], OWNER_FREE);
  assert.equal(s.m2p.get(a), M2P.INVALID_ENTRY);
  assert.equal(s.d.totPages, 6);
  assert.equal(s.frames.freeCount, FRAMES - 7);
  s.sound();

  // [c, theirs]: c is freed, then the foreign frame stops the batch.
  s.guest.u32(LIST, c);
  s.guest.u32(LIST + 4, s.theirs);
  s.reservation(2);
  assert.equal(s.op(XENMEM.decrease_reservation), 1);
  assert.equal(s.frames.owner[c], OWNER_FREE);
  assert.equal(s.frames.owner[s.theirs], D2);
  assert.equal(s.d.totPages, 5);
  const held = s.owned[3]!;
  assert.equal(s.frames.getPage(held, D1), 0);
  for (const [mfn, why] of [
    [s.theirs, "another domain's"],
    [FRAMES + 5, "beyond the machine"],
    [a, "already free"],
    [held, "still referenced (tsxen does not defer the free)"],
  ] as const) {
    s.guest.u32(LIST, mfn);
    s.reservation(1);
    const before = snapshot(s);
    assert.equal(s.op(XENMEM.decrease_reservation), 0, why);
    assert.deepEqual(snapshot(s), before, why);
  }
  s.frames.putPage(held);
  s.sound();
});

test("decrease_reservation of order 1: frames of the extent before a failure stay freed", () => {
  const s = setup();
  const base = s.owned[4]!; // frames 0–7 were allocated in order: 4 and 5 form an aligned pair
  assert.equal(base % 2, 0);
  assert.equal(s.frames.getPage((base + 1) as Mfn, D1), 0);
  s.guest.u32(LIST, base);
  s.reservation(1, { order: 1 });
  assert.equal(s.op(XENMEM.decrease_reservation), 0);
  assert.equal(s.frames.owner[base], OWNER_FREE);
  assert.equal(s.frames.owner[base + 1], D1);
  assert.equal(s.d.totPages, 7);
  s.frames.putPage((base + 1) as Mfn);
  s.sound();
});

test("domid: own id or DOMID_SELF; another domain needs privilege; an unknown one does nothing", () => {
  const s = setup();
  s.reservation(1, { domid: D1 });
  assert.equal(s.op(XENMEM.increase_reservation), 1);
  const before = snapshot(s);
  s.reservation(1, { domid: D2 });
  assert.equal(s.op(XENMEM.increase_reservation), 0);
  s.reservation(1, { domid: 77 });
  assert.equal(s.op(XENMEM.increase_reservation), 0);
  assert.deepEqual(snapshot(s), before);

  const p = setup(true);
  p.reservation(2, { domid: D2 });
  assert.equal(p.op(XENMEM.increase_reservation), 2);
  assert.deepEqual(p.guest.list(2).map((m) => p.frames.owner[m]), [D2, D2]);
  assert.equal(p.other.totPages, 3);
  assert.equal(p.d.totPages, 8);
  p.sound();
});

test("start extent: extents before it are skipped; start ≥ nr_extents does nothing and returns it", () => {
  const s = setup();
  s.reservation(4);
  assert.equal(s.op(XENMEM.increase_reservation | (2 << 6)), 4);
  assert.deepEqual(s.guest.list(4).map((m) => m !== 0), [false, false, true, true]);
  assert.equal(s.d.totPages, 10);
  const before = snapshot(s);
  assert.equal(s.op(XENMEM.increase_reservation | (4 << 6)), 4);
  assert.equal(s.op(XENMEM.decrease_reservation | (9 << 6)), 9);
  assert.deepEqual(snapshot(s), before);
});

test("hostile reservations change nothing: huge nr_extents, a list reaching the hypervisor, bad address bits, exact node, unreadable struct", () => {
  const s = setup();
  const before = snapshot(s);
  s.reservation(0x4000000);
  assert.equal(s.op(XENMEM.increase_reservation), 0);
  s.reservation(2, { list: 0xf57ffffc });
  assert.equal(s.op(XENMEM.increase_reservation), 0);
  s.reservation(1, { flags: 12 });
  assert.equal(s.op(XENMEM.increase_reservation), 0, "address_bits ≤ PAGE_SHIFT");
  s.reservation(1, { flags: (3 + 1) << XENMEMF.node_shift | XENMEMF.exact_node_request });
  assert.equal(s.op(XENMEM.increase_reservation), 0, "exact node from a domU");
  s.guest.faultFrom = BASE + 10;
  assert.equal(s.op(XENMEM.increase_reservation | (3 << 6)), 3, "unreadable struct: the start extent");
  assert.deepEqual(snapshot(s), before);
});

test("address bits below the machine's limit restrict the frames; a node hint from a domU is ignored", () => {
  const s = setup();
  s.reservation(1, { flags: 14 }); // 16 KiB: MFN < 4
  const free = s.frames.freeCount;
  // Frames 0–3 are allocated already (owned), so nothing fits.
  assert.equal(s.op(XENMEM.increase_reservation), 0);
  s.frames.free(s.owned[2]!);
  s.d.totPages--;
  assert.equal(s.op(XENMEM.increase_reservation), 1);
  assert.equal(s.guest.list(1)[0], s.owned[2]);
  assert.equal(s.frames.freeCount, free);
  s.reservation(1, { flags: (5 + 1) << XENMEMF.node_shift });
  assert.equal(s.op(XENMEM.increase_reservation), 1);
  s.sound();
});

test("maximum_ram_page, current/maximum_reservation, maximum_gpfn and their errors", () => {
  const s = setup();
  assert.equal(s.op(XENMEM.maximum_ram_page), FRAMES);
  assert.equal(s.op(XENMEM.maximum_ram_page | (1 << 6)), -ERRNO.EINVAL);
  s.guest.u16(BASE, DOMID.SELF);
  assert.equal(s.op(XENMEM.current_reservation), 8);
  assert.equal(s.op(XENMEM.maximum_reservation), 16);
  assert.equal(s.op(XENMEM.maximum_gpfn), 0x1fff);
  assert.equal(s.op(XENMEM.maximum_reservation | (1 << 6)), -ERRNO.EINVAL);
  s.guest.u16(BASE, D1);
  assert.equal(s.op(XENMEM.current_reservation), 8);
  s.guest.u16(BASE, D2);
  assert.equal(s.op(XENMEM.current_reservation), -ERRNO.EPERM);
  s.guest.u16(BASE, 99);
  assert.equal(s.op(XENMEM.maximum_reservation), -ERRNO.ESRCH);
  s.guest.faultFrom = BASE + 1;
  assert.equal(s.op(XENMEM.maximum_reservation), -ERRNO.EFAULT);
  const p = setup(true);
  p.guest.u16(BASE, D2);
  assert.equal(p.op(XENMEM.maximum_reservation), 4);
  assert.equal(p.op(XENMEM.maximum_gpfn), 0, "(max_pfn ?: 1) − 1");
});

test("machphys_mapping gives the compat M2P window; machphys_mfn_list one MFN per 2 MiB of M2P", () => {
  const s = setup();
  assert.equal(s.op(XENMEM.machphys_mapping), 0);
  assert.deepEqual([s.guest.u32(BASE), s.guest.u32(BASE + 4), s.guest.u32(BASE + 8)], [0xf5800000, 0xffe00000, 0x0297ffff]);
  assert.equal(s.op(XENMEM.machphys_mapping | (1 << 6)), -ERRNO.ENOSYS, "compat_arch_memory_op matches the whole cmd");
  s.guest.roFrom = BASE;
  assert.equal(s.op(XENMEM.machphys_mapping), -ERRNO.EFAULT);

  // 256 frames → 1 KiB of M2P → one 2 MiB piece. A bigger machine: 600 000 frames → 2 pieces.
  const t = setup();
  t.guest.u32(BASE, 8);
  t.guest.u32(BASE + 4, LIST);
  assert.equal(t.op(XENMEM.machphys_mfn_list), 0);
  assert.equal(t.guest.u32(BASE + 8), 1);
  assert.equal(t.guest.u32(LIST), 0x5000);
  const big = setup();
  (big.d as { maxRamPage: number }).maxRamPage = 600_000;
  big.guest.u32(BASE, 8);
  big.guest.u32(BASE + 4, LIST);
  assert.equal(big.op(XENMEM.machphys_compat_mfn_list), 0);
  assert.equal(big.guest.u32(BASE + 8), 2);
  assert.deepEqual(big.guest.list(2), [0x5000, 0x5000 + 512]);
  big.guest.u32(BASE, 1);
  assert.equal(big.op(XENMEM.machphys_mfn_list), 0);
  assert.equal(big.guest.u32(BASE + 8), 1, "max_extents bounds it");
  big.guest.u32(BASE, 8);
  big.guest.u32(BASE + 4, 0xf57ffffe);
  assert.equal(big.op(XENMEM.machphys_mfn_list), -ERRNO.EFAULT);
});

test("add_to_physmap and remove_from_physmap: translated guests only, in Xen's order of checks", () => {
  const s = setup();
  s.guest.u16(BASE, DOMID.SELF);
  s.guest.u32(BASE + 4, XENMAPSPACE.grant_table);
  assert.equal(s.op(XENMEM.add_to_physmap), -ERRNO.EACCES);
  assert.equal(s.op(XENMEM.add_to_physmap | (0x10000 << 6)), -ERRNO.EDOM);
  s.guest.u32(BASE + 4, XENMAPSPACE.gmfn_foreign);
  assert.equal(s.op(XENMEM.add_to_physmap), -ERRNO.ENOSYS);
  s.guest.u32(BASE + 4, XENMAPSPACE.shared_info);
  s.guest.u16(BASE, 99);
  assert.equal(s.op(XENMEM.add_to_physmap), -ERRNO.ESRCH);
  s.guest.u16(BASE, DOMID.SELF);
  assert.equal(s.op(XENMEM.remove_from_physmap), -ERRNO.EACCES);
  assert.equal(s.op(XENMEM.remove_from_physmap | (1 << 6)), -ERRNO.EINVAL);
  s.guest.u16(BASE, 99);
  assert.equal(s.op(XENMEM.remove_from_physmap), -ERRNO.ESRCH);
  s.guest.faultFrom = BASE;
  assert.equal(s.op(XENMEM.add_to_physmap), -ERRNO.EFAULT);
  assert.equal(s.op(XENMEM.remove_from_physmap), -ERRNO.EFAULT);
});

test("memory_map, machine_memory_map, exchange and unknown sub-ops", () => {
  const s = setup();
  assert.equal(s.op(XENMEM.memory_map), -ERRNO.ENOSYS);
  assert.equal(s.op(XENMEM.machine_memory_map), -ERRNO.EPERM);
  assert.equal(s.op(XENMEM.exchange), -ERRNO.ENOSYS);
  assert.equal(s.op(8), -ERRNO.ENOSYS);
  assert.equal(s.op(63), -ERRNO.ENOSYS);
  s.guest.faultFrom = BASE;
  assert.equal(s.op(XENMEM.memory_map), -ERRNO.EFAULT);
  assert.equal(s.op(XENMEM.exchange), -ERRNO.EFAULT);
});
