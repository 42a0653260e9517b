/**
 * Targeted attacks of one PV domain on another and on the hypervisor
 * (issue 3 "Safety"; docs/xen-pv32-abi.md §4, §5). Each test makes the
 * attack through `int $0x82` (or, for the TLB ones, guest stores through the
 * CPU) and asserts Xen's answer and that nothing else changed:
 *
 *  - every step runs under the SafetyMonitor (harness.ts): no hypervisor
 *    exception or "hypervisor error" crash, the frame-table invariants, every
 *    write of machine memory judged (a domain writes only its own frames and
 *    the channels it was given), every other domain's frame records, vCPU and
 *    domain state and ports unchanged, the hypervisor's own structures intact;
 *  - a refused request leaves the whole frame table as it was (frameRefs) and
 *    the victim's memory as it was (a copy of every frame it owns, its
 *    shared_info included).
 *
 * Expected values are Xen's (xen/arch/x86/mm.c, pv/*.c, common/*.c) as the
 * ABI document states them; where tsxen documents a deviation that is still
 * safe (a refused grant-PTE overwrite is −EINVAL where Xen crashes the
 * domain) either answer is accepted. The last tests are attacks that
 * currently succeed: they assert the safe behaviour and fail until fixed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRNO } from "../../src/abi/errno.js";
import { DOMID, EVTCHNOP, GNTTABOP, HYPERCALL, MMU, MMUEXT, UVMF, VCPUOP, XENMEM } from "../../src/abi/hypercalls.js";
import { GNTMAP, GNTST, GTF } from "../../src/abi/grant-tables.js";
import { PAGE, PTE, SLOTS } from "../../src/abi/memory-layout.js";
import { VIRQ } from "../../src/abi/event-channels.js";
import { offsetOf } from "../../src/abi/layout.js";
import { vcpuGuestContext } from "../../src/abi/structs.js";
import { FLAT } from "../../src/abi/segments.js";
import { vaddr } from "../../src/lib/brand.js";
import { PGT, baseType } from "../../src/hv/core/frame-table.js";
import type { PvDomain } from "../../src/hv/pv/domain.js";
import { KERNEL, SCRATCH, changedFrames, fakeMachine, addDomain, frameRefs, hypercall, invariantViolations, mfnAt, onCpu, poke32 } from "../support/pv-fake-guest.js";
import { World, hex } from "./harness.js";

const { PRESENT: P, RW, ACCESSED: A, DIRTY: D } = PTE;
const ARG = SCRATCH;                 // argument structures
const VA = SCRATCH + 0x100000;       // 0x300000: a page the attacker remaps
const VA2 = SCRATCH + 0x101000;
const PT_VA = 0x107000;              // the builder's page tables, mapped read-only
const pte = (mfn: number, flags: number): number => ((mfn << 12) | flags) >>> 0;

interface Setup { w: World; a: PvDomain; v: PvDomain }

function world(attackerVcpus = 1, victimVcpus = 2): Setup {
  const w = new World({ domains: [{ name: "attacker", vcpus: attackerVcpus }, { name: "victim", vcpus: victimVcpus }] });
  return { w, a: w.domain(1), v: w.domain(2) };
}

/** A hypercall by `d` with `words` placed at ARG first (through d's own page tables); asserts the monitor found nothing. */
function call(s: Setup, d: PvDomain, nr: number, args: number[], words: number[] = [], at = ARG): number {
  const out = s.w.step(d, () => {
    if (words.length > 0) assert.ok(s.w.guestWrite32(d, at, ...words), "argument write");
    return { nr, args, what: `d${d.domid}: hypercall ${nr}(${args.map((x) => hex(x)).join(", ")}) words ${words.map((x) => hex(x)).join(" ")}` };
  });
  assert.deepEqual(out.problems, [], `monitor after hypercall ${nr}`);
  assert.notEqual(out.rc, undefined, `d${d.domid} could not run`);
  return out.rc!;
}

/** A guest load or store by `d` through the CPU (TLB included); asserts the monitor found nothing. */
function access(s: Setup, d: PvDomain, va: number, write: boolean, value = 0): "ok" | "fault" {
  let res: "ok" | "fault" = "fault";
  const out = s.w.step(d, () => { res = s.w.cpuAccess(va, write, value); return { what: `d${d.domid}: ${write ? "store" : "load"} ${hex(va)}` }; });
  assert.deepEqual(out.problems, [], `monitor after guest ${write ? "store" : "load"} at ${hex(va)}`);
  return res;
}

const read32 = (s: Setup, d: PvDomain, va: number): number => {
  const b = d.guest.copyFromGuest(vaddr(va), 4);
  assert.ok(b !== undefined, `read ${hex(va)}`);
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
};

/** The (L1 frame, slot) of `va` in `d`'s bootstrap tables, as a machine address of the entry. */
function l1EntryMa(s: Setup, d: PvDomain, va: number): number {
  const mem = s.w.m.hv.mem;
  const l2 = mem.read32(d.built.l3Mfn * PAGE.SIZE + (va >>> 30) * 8) >>> 12;
  const l1 = mem.read32(l2 * PAGE.SIZE + ((va >>> 21) & 511) * 8) >>> 12;
  return (l1 * PAGE.SIZE + ((va >>> 12) & 511) * 8) >>> 0;
}

/** The domain's page-table frames by level (its bootstrap tree). */
function tables(s: Setup, d: PvDomain): { l3: number; l2: number[]; slot3: number; l1: number[] } {
  const mem = s.w.m.hv.mem, l3 = d.built.l3Mfn;
  const l2 = [0, 1, 2, 3].map((i) => mem.read32(l3 * PAGE.SIZE + i * 8) >>> 12);
  const l1: number[] = [];
  for (const t of l2.slice(0, 3)) for (let i = 0; i < 512; i++) { const e = mem.read32(t * PAGE.SIZE + i * 8) >>> 0; if ((e & 1) !== 0) l1.push(e >>> 12); }
  return { l3, l2: l2.slice(0, 3), slot3: l2[3]!, l1 };
}

interface Snap { refs: string[]; victim: Uint8Array; m2p: Uint8Array }

/** Everything a refused attack must leave as it was. */
function snap(s: Setup): Snap {
  const ram = s.w.m.pc.ram, f = s.w.m.hv.frames;
  const victim: number[] = [];
  for (let i = 0; i < f.total; i++) if (f.owner[i] === s.v.domid) victim.push(i);
  const out = new Uint8Array(victim.length * PAGE.SIZE);
  victim.forEach((m, k) => out.set(ram.u8.subarray(m * PAGE.SIZE, (m + 1) * PAGE.SIZE), k * PAGE.SIZE));
  const m2p = new Uint8Array(s.w.m.hv.area.m2pFrames.length * PAGE.SIZE);
  s.w.m.hv.area.m2pFrames.forEach((m, k) => m2p.set(ram.u8.subarray(m * PAGE.SIZE, (m + 1) * PAGE.SIZE), k * PAGE.SIZE));
  return { refs: frameRefs(s.w.m), victim: out, m2p };
}

function assertUnchanged(s: Setup, before: Snap, what: string): void {
  assert.deepEqual(changedFrames(s.w.m, before.refs), [], `${what}: frame table changed`);
  const now = snap(s);
  assert.ok(Buffer.compare(Buffer.from(now.victim), Buffer.from(before.victim)) === 0, `${what}: the victim's memory changed`);
  assert.ok(Buffer.compare(Buffer.from(now.m2p), Buffer.from(before.m2p)) === 0, `${what}: the M2P changed`);
  assert.equal(s.a.end, undefined, `${what}: the attacker ended (${JSON.stringify(s.a.end)})`);
  assert.equal(s.v.end, undefined, `${what}: the victim ended`);
}

const EBUSY = -ERRNO.EBUSY, EINVAL = -ERRNO.EINVAL, EPERM = -ERRNO.EPERM, ESRCH = -ERRNO.ESRCH, ENOENT = -ERRNO.ENOENT;

/** mmu_update with one request; [rc, done]. */
function mmuUpdate1(s: Setup, d: PvDomain, ptr: number, lo: number, hi = 0, fd: number = DOMID.SELF): [number, number] {
  const rc = call(s, d, HYPERCALL.mmu_update, [ARG, 1, ARG + 0x100, fd], [ptr >>> 0, 0, lo >>> 0, hi >>> 0, 0xdead]);
  return [rc, read32(s, d, ARG + 0x100)];
}

function mmuext1(s: Setup, d: PvDomain, cmd: number, a1: number, a2 = 0, fd: number = DOMID.SELF): number {
  return call(s, d, HYPERCALL.mmuext_op, [ARG, 1, 0, fd], [cmd, a1 >>> 0, a2 >>> 0]);
}

function uvm(s: Setup, d: PvDomain, va: number, lo: number, hi = 0, flags: number = UVMF.INVLPG): number {
  return call(s, d, HYPERCALL.update_va_mapping, [va, lo >>> 0, hi, flags]);
}

/** The victim's frames worth stealing: a data page, its page tables, shared_info, grant frame, start_info, console. */
function victimTargets(s: Setup): Array<[string, number]> {
  const t = tables(s, s.v);
  return [
    ["data page", mfnAt(s.v, VA)], ["L1", t.l1[0]!], ["L2", t.l2[0]!], ["slot-3 L2", t.slot3], ["L3", t.l3],
    ["shared_info", s.v.built.sharedInfoMfn], ["grant frame", s.v.grants.frameMfn(0)], ["start_info", s.v.built.startInfoMfn],
    ["console ring", s.v.built.consoleMfn],
  ];
}

// ── mapping another domain's memory ───────────────────────────────────────

test("mmu_update cannot put another domain's frame in the caller's L1 (−EBUSY, *done 0), nor name it as FD/PFD (−EPERM)", () => {
  const s = world();
  const entry = l1EntryMa(s, s.a, VA);
  for (const [name, m] of victimTargets(s)) {
    for (const flags of [P | A, P | RW | A | D]) {
      const before = snap(s);
      assert.deepEqual(mmuUpdate1(s, s.a, entry, pte(m, flags)), [EBUSY, 0], `victim ${name} ${hex(m, 5)} flags ${hex(flags, 2)}`);
      assertUnchanged(s, before, `map victim ${name}`);
    }
  }
  const m = mfnAt(s.v, VA);
  const before = snap(s);
  assert.deepEqual(mmuUpdate1(s, s.a, entry, pte(m, P | RW | A), 0, s.v.domid), [EPERM, 0], "FD = victim");
  assert.deepEqual(mmuUpdate1(s, s.a, entry, pte(m, P | RW | A), 0, (DOMID.SELF | ((s.v.domid + 1) << 16)) >>> 0), [EPERM, 0], "PFD = victim");
  assert.deepEqual(mmuUpdate1(s, s.a, l1EntryMa(s, s.v, VA), pte(mfnAt(s.a, VA), P | RW | A)), [EINVAL, 0], "writing the victim's own L1 entry");
  assert.deepEqual(mmuUpdate1(s, s.a, mfnAt(s.v, VA) * PAGE.SIZE, 0x41414141), [EINVAL, 0], "a plain write into the victim's data page");
  assert.deepEqual(mmuUpdate1(s, s.a, entry, pte(m, P | RW | A), 0, 77), [ESRCH, 0], "FD = a domain that does not exist");
  assertUnchanged(s, before, "foreign FD/PFD");
});

test("update_va_mapping cannot map another domain's frame, at any address (−EBUSY)", () => {
  const s = world();
  for (const [name, m] of victimTargets(s)) {
    for (const flags of [P | A, P | RW | A | D, P | PTE.USER | A]) {
      const before = snap(s);
      assert.equal(uvm(s, s.a, VA, pte(m, flags)), EBUSY, `victim ${name} flags ${hex(flags, 2)}`);
      assertUnchanged(s, before, `update_va_mapping victim ${name}`);
    }
  }
  assert.equal(access(s, s.a, VA, false), "ok", "VA still maps the attacker's own page");
});

test("shared_info of another domain cannot be mapped, freed or granted to oneself", () => {
  const s = world();
  const si = s.v.built.sharedInfoMfn;
  const before = snap(s);
  assert.equal(uvm(s, s.a, VA, pte(si, P | RW | A | D)), EBUSY);
  assert.equal(uvm(s, s.a, VA, pte(si, P | A)), EBUSY);
  assert.deepEqual(mmuUpdate1(s, s.a, l1EntryMa(s, s.a, VA), pte(si, P | A)), [EBUSY, 0]);
  // decrease_reservation of it: no extent done
  assert.equal(call(s, s.a, HYPERCALL.memory_op, [XENMEM.decrease_reservation, ARG], [ARG + 0x40, 1, 0, 0, DOMID.SELF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, si]), 0);
  assertUnchanged(s, before, "victim shared_info");
  // a grant entry of the attacker's own naming it, mapped by the attacker: the frame is not the granter's (GNTST_bad_page)
  selfGrant(s, 8, si, GTF.permit_access);
  const refs = frameRefs(s.w.m);
  assert.equal(mapGrant(s, s.a, s.a.domid, 8, VA, GNTMAP.host_map | GNTMAP.readonly).status, GNTST.bad_page);
  assert.deepEqual(changedFrames(s.w.m, refs), [], "no reference taken");
});

// ── page tables ───────────────────────────────────────────────────────────

test("a page-table frame is never mapped writable (−EBUSY), whatever the level and however asked", () => {
  const s = world();
  const t = tables(s, s.a);
  const entry = l1EntryMa(s, s.a, VA);
  for (const [name, m] of [["L1", t.l1[0]!], ["L2", t.l2[0]!], ["slot-3 L2", t.slot3], ["L3", t.l3]] as const) {
    const before = snap(s);
    assert.equal(uvm(s, s.a, VA, pte(m, P | RW | A | D)), EBUSY, `update_va_mapping own ${name} RW`);
    assert.deepEqual(mmuUpdate1(s, s.a, entry, pte(m, P | RW | A | D)), [EBUSY, 0], `mmu_update own ${name} RW`);
    assertUnchanged(s, before, `own ${name} writable`);
  }
  // upgrading the builder's read-only mappings of the tables themselves
  for (let i = 0; i < s.a.built.nrPtFrames; i++) {
    const va = PT_VA + i * PAGE.SIZE, m = mfnAt(s.a, va);
    assert.equal(uvm(s, s.a, va, pte(m, P | RW | A | D)), EBUSY, `RW over the read-only mapping at ${hex(va)}`);
    assert.equal(access(s, s.a, va, true, 0x41414141), "fault", `store into page table at ${hex(va)}`);
  }
  // the page is still typed what it was
  assert.equal(baseType(s.w.m.hv.frames.typeInfo[t.l1[0]!]!), PGT.L1);
});

test("an L2 cannot map itself (or another L2) writable (−EINVAL); the read-only self map of §5.7 is allowed and undone cleanly", () => {
  const s = world();
  const t = tables(s, s.a);
  const l2 = t.l2[0]!;
  const slot = 5; // VA 0xa00000: empty
  const at = l2 * PAGE.SIZE + slot * 8;
  const before = snap(s);
  assert.deepEqual(mmuUpdate1(s, s.a, at, pte(l2, P | RW | A)), [EINVAL, 0], "self map RW");
  assert.deepEqual(mmuUpdate1(s, s.a, at, pte(t.l2[1]!, P | RW | A)), [EINVAL, 0], "other L2 RW");
  assert.deepEqual(mmuUpdate1(s, s.a, at, pte(t.l3, P | A)), [EINVAL, 0], "the L3 as an L1");
  assertUnchanged(s, before, "writable linear maps");
  assert.deepEqual(mmuUpdate1(s, s.a, at, pte(l2, P | A)), [0, 1], "read-only self map");
  assert.equal(access(s, s.a, 0xa00000 + slot * PAGE.SIZE, true, 0x41414141), "fault", "the L2 seen through itself is read-only");
  assert.deepEqual(mmuUpdate1(s, s.a, at, 0), [0, 1], "self map removed");
  assert.deepEqual(changedFrames(s.w.m, before.refs), [], "no reference left behind");
  // the hypervisor's slots of the slot-3 L2 are not the guest's (−EPERM)
  assert.deepEqual(mmuUpdate1(s, s.a, t.slot3 * PAGE.SIZE + SLOTS.L2_FIRST_HYPERVISOR_SLOT * 8, pte(t.l1[0]!, P | RW | A)), [EPERM, 0]);
  assert.deepEqual(mmuUpdate1(s, s.a, t.l3 * PAGE.SIZE + 3 * 8, pte(t.l2[0]!, P)), [EINVAL, 0], "L3 slot 3 is not updatable");
  assertUnchanged(s, before, "hypervisor slots");
});

// ── the M2P and other hypervisor frames ───────────────────────────────────

test("no path writes the M2P or another hypervisor frame", () => {
  const s = world();
  const hv = s.w.m.hv;
  const m2p = hv.area.m2pFrames[0]!;
  const xen = [m2p, hv.area.pdptFrame, hv.area.tssFrame, hv.area.stackFrame];
  const before = snap(s);
  for (const x of xen) {
    assert.deepEqual(mmuUpdate1(s, s.a, x * PAGE.SIZE + 8, 0x41414141), [EINVAL, 0], `mmu_update plain write into ${hex(x, 5)}`);
    assert.deepEqual(mmuUpdate1(s, s.a, (x * PAGE.SIZE) | MMU.MACHPHYS_UPDATE, 1234), [EINVAL, 0], `MACHPHYS_UPDATE of hypervisor frame ${hex(x, 5)}`);
    assert.equal(uvm(s, s.a, VA, pte(x, P | RW | A | D)), EBUSY, `map ${hex(x, 5)} RW`);
    assert.equal(uvm(s, s.a, VA, pte(x, P | A)), EBUSY, `map ${hex(x, 5)} RO`);
    assert.equal(mmuext1(s, s.a, MMUEXT.CLEAR_PAGE, x), EINVAL, `CLEAR_PAGE ${hex(x, 5)}`);
    assert.equal(mmuext1(s, s.a, MMUEXT.COPY_PAGE, x, mfnAt(s.a, VA)), EINVAL, `COPY_PAGE into ${hex(x, 5)}`);
    assert.equal(call(s, s.a, HYPERCALL.update_descriptor, [x * PAGE.SIZE + 8, 0, 0, 0]), EINVAL, `update_descriptor into ${hex(x, 5)}`);
    assert.equal(mmuext1(s, s.a, MMUEXT.PIN_L1_TABLE, x), EINVAL, `PIN ${hex(x, 5)}`);
    assert.equal(call(s, s.a, HYPERCALL.memory_op, [XENMEM.decrease_reservation, ARG], [ARG + 0x40, 1, 0, 0, DOMID.SELF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, x]), 0, `decrease_reservation ${hex(x, 5)}`);
  }
  assert.deepEqual(mmuUpdate1(s, s.a, (mfnAt(s.v, VA) * PAGE.SIZE) | MMU.MACHPHYS_UPDATE, 1234), [EINVAL, 0], "MACHPHYS_UPDATE of a victim frame");
  assert.equal(access(s, s.a, 0xf5800000, true, 0x41414141), "fault", "guest store into the M2P window");
  assert.equal(access(s, s.a, 0xffe10000, true, 0x41414141), "fault", "guest store into the IDT");
  assert.equal(access(s, s.a, 0xffe11000, true, 0x41414141), "fault", "guest store into the TSS");
  assertUnchanged(s, before, "hypervisor frames");
  // the caller's own frames' M2P entries are its to set
  assert.deepEqual(mmuUpdate1(s, s.a, (mfnAt(s.a, VA) * PAGE.SIZE) | MMU.MACHPHYS_UPDATE, 0x300), [0, 1]);
});

// ── grants ────────────────────────────────────────────────────────────────

/** The attacker writes entry `ref` of its own grant table (mapping its grant frame at VA2 first). */
function selfGrant(s: Setup, ref: number, frame: number, flags: number, grantee = s.a.domid): void {
  const g = s.a.grants.frameMfn(0);
  if (s.w.m.hv.mem.read32(l1EntryMa(s, s.a, VA2)) >>> 12 !== g) assert.equal(uvm(s, s.a, VA2, pte(g, P | RW | A | D)), 0, "map own grant frame");
  const out = s.w.step(s.a, () => {
    assert.ok(s.w.guestWrite32(s.a, VA2 + ref * 8, (flags | (grantee << 16)) >>> 0, frame), "grant entry write");
    return { what: `attacker writes its grant entry ${ref}: frame ${hex(frame, 5)}` };
  });
  assert.deepEqual(out.problems, []);
}

/** The victim grants `frame` to the attacker at `ref` (a legitimate channel, written like the toolstack's seed). */
function victimGrant(s: Setup, ref: number, frame: number, flags: number): void {
  s.v.grants.seedEntry(ref, s.a.domid, frame, flags);
}

interface MapResult { status: number; handle: number; bus: number }

function mapGrant(s: Setup, d: PvDomain, dom: number, ref: number, host: number, flags: number): MapResult {
  const rc = call(s, d, HYPERCALL.grant_table_op, [GNTTABOP.map_grant_ref, ARG, 1], [host >>> 0, 0, flags, ref, dom, 0, 0, 0]);
  assert.equal(rc, 0, "map_grant_ref returns 0, the status is in the struct");
  const st = read32(s, d, ARG + 16) >>> 16;
  return { status: (st << 16) >> 16, handle: read32(s, d, ARG + 20), bus: read32(s, d, ARG + 24) };
}

test("grant_table_op naming domain 0: it exists (its grant table answers), and it granted nothing", () => {
  const s = world();
  const before = snap(s);
  // ref 0 of domain 0's table is an empty entry: "Bad flags" (general_error), not bad_domain
  assert.equal(mapGrant(s, s.a, 0, 0, VA, GNTMAP.host_map).status, GNTST.general_error);
  assert.equal(mapGrant(s, s.a, 0, 1 << 20, VA, GNTMAP.host_map).status, GNTST.bad_gntref, "beyond its table");
  assertUnchanged(s, before, "grant map from domain 0");
});

test("grant_table_op: a frame the other domain did not grant to the caller cannot be mapped", () => {
  const s = world();
  const before = snap(s);
  const victimEntries = (): number[] => Array.from({ length: 16 }, (_, i) => s.v.grants.entryFlags(i));
  const flags0 = victimEntries();
  assert.equal(mapGrant(s, s.a, s.v.domid, 8, VA, GNTMAP.host_map).status, GNTST.general_error, "empty entry");
  assert.equal(mapGrant(s, s.a, s.v.domid, 0, VA, GNTMAP.host_map | GNTMAP.readonly).status, GNTST.general_error, "the console page, granted to dom0");
  assert.equal(mapGrant(s, s.a, s.v.domid, 1, VA, GNTMAP.device_map).status, GNTST.general_error, "the store page, granted to dom0");
  assert.equal(mapGrant(s, s.a, s.v.domid, 512, VA, GNTMAP.host_map).status, GNTST.bad_gntref, "beyond the table");
  assert.equal(mapGrant(s, s.a, 9, 8, VA, GNTMAP.host_map).status, GNTST.bad_domain, "no such domain");
  assert.equal(mapGrant(s, s.a, DOMID.SELF, 8, VA, GNTMAP.host_map).status, GNTST.bad_domain, "DOMID_SELF is not a granter");
  assert.deepEqual(victimEntries(), flags0, "the victim's entries untouched (no GTF_reading/writing left)");
  assertUnchanged(s, before, "ungranted maps");
  // the attacker's own grant entry naming the victim's frame (or a hypervisor frame): not the granter's frame
  for (const m of [mfnAt(s.v, VA), tables(s, s.v).l3, s.w.m.hv.area.m2pFrames[0]!]) {
    selfGrant(s, 9, m, GTF.permit_access);
    const refs = frameRefs(s.w.m);
    assert.equal(mapGrant(s, s.a, s.a.domid, 9, VA, GNTMAP.host_map).status, GNTST.bad_page, `self-grant of ${hex(m, 5)}`);
    assert.equal(mapGrant(s, s.a, s.a.domid, 9, VA, GNTMAP.device_map | GNTMAP.readonly).status, GNTST.bad_page, `self-grant (device) of ${hex(m, 5)}`);
    assert.deepEqual(changedFrames(s.w.m, refs), []);
  }
  // other domains' tables: setup_table / query_size / get_version
  assert.equal(call(s, s.a, HYPERCALL.grant_table_op, [GNTTABOP.setup_table, ARG, 1], [s.v.domid, 4, 0, ARG + 0x40]), 0);
  assert.equal((read32(s, s.a, ARG + 8) << 16) >> 16, GNTST.permission_denied, "setup_table of the victim");
  assert.equal(s.v.grants.nrFrames, 1, "the victim's table did not grow");
  assert.equal(call(s, s.a, HYPERCALL.grant_table_op, [GNTTABOP.query_size, ARG, 1], [s.v.domid, 0, 0, 0]), 0);
  assert.equal((read32(s, s.a, ARG + 12) << 16) >> 16, GNTST.permission_denied, "query_size of the victim");
  assert.equal(call(s, s.a, HYPERCALL.grant_table_op, [GNTTABOP.get_version, ARG, 1], [s.v.domid, 0]), EPERM, "get_version of the victim");
  assert.equal(call(s, s.a, HYPERCALL.grant_table_op, [GNTTABOP.unmap_grant_ref, ARG, 1], [VA, 0, 0, 0, 0, 0]), 0);
  assert.equal((read32(s, s.a, ARG + 20) << 16) >> 16, GNTST.bad_handle, "unmap of a handle never given");
});

test("grant_table_op: a read-only grant stays read-only, and a grant PTE cannot be aimed into the granter's page tables", () => {
  const s = world();
  const g = mfnAt(s.v, VA);
  victimGrant(s, 8, g, GTF.permit_access | GTF.readonly);
  assert.equal(mapGrant(s, s.a, s.v.domid, 8, VA, GNTMAP.host_map).status, GNTST.general_error, "writable map of a read-only grant");
  const ro = mapGrant(s, s.a, s.v.domid, 8, VA, GNTMAP.host_map | GNTMAP.readonly);
  assert.equal(ro.status, GNTST.okay, "read-only map");
  assert.equal(access(s, s.a, VA, true, 0x41414141), "fault", "store through the read-only grant mapping");
  // upgrading the grant PTE to RW by hand: refused (tsxen −EINVAL; Xen crashes the domain for touching a grant PTE)
  const rc = mmuUpdate1(s, s.a, l1EntryMa(s, s.a, VA), pte(g, P | RW | A | D))[0];
  assert.ok(rc === EINVAL || s.a.end?.kind === "crash", `grant PTE overwrite: ${rc}`);
  if (s.a.end === undefined) {
    assert.equal(uvm(s, s.a, VA, pte(g, P | RW | A | D)), EINVAL, "update_va_mapping over the grant PTE");
    assert.equal(access(s, s.a, VA, true, 0x41414141), "fault", "still read-only");
  }
  // a writable grant, the PTE aimed (GNTMAP_contains_pte) at an entry of the granter's own L1
  const s2 = world();
  victimGrant(s2, 8, mfnAt(s2.v, VA), GTF.permit_access);
  const before = snap(s2);
  const target = l1EntryMa(s2, s2.v, VA2);
  assert.equal(mapGrant(s2, s2.a, s2.v.domid, 8, target, GNTMAP.host_map | GNTMAP.contains_pte).status, GNTST.general_error, "PTE in the victim's L1");
  assert.equal(mapGrant(s2, s2.a, s2.v.domid, 8, s2.w.m.hv.area.m2pFrames[0]! * PAGE.SIZE, GNTMAP.host_map | GNTMAP.contains_pte).status, GNTST.general_error, "PTE in the M2P");
  assert.equal(mapGrant(s2, s2.a, s2.v.domid, 8, l1EntryMa(s2, s2.a, VA) + 4, GNTMAP.host_map | GNTMAP.contains_pte).status, GNTST.general_error, "misaligned PTE address (XSA-227)");
  assert.deepEqual(changedFrames(s2.w.m, before.refs), [], "nothing held");
  assert.equal(s2.v.grants.entryFlags(8), GTF.permit_access, "no GTF_reading/writing left behind");
});

// ── event channels ────────────────────────────────────────────────────────

test("event channels: the other domain's ports cannot be sent on, bound, closed, queried or reset", () => {
  const s = world();
  // the victim: VIRQ_TIMER, an IPI, and a port offered to dom0 only
  call(s, s.v, HYPERCALL.event_channel_op, [EVTCHNOP.bind_virq, ARG], [VIRQ.TIMER, 0, 0]);
  const virq = read32(s, s.v, ARG + 8);
  call(s, s.v, HYPERCALL.event_channel_op, [EVTCHNOP.bind_ipi, ARG], [1, 0]);
  const ipi = read32(s, s.v, ARG + 4);
  assert.equal(call(s, s.v, HYPERCALL.event_channel_op, [EVTCHNOP.alloc_unbound, ARG], [(DOMID.SELF | (0 << 16)) >>> 0, 0]), 0);
  const toDom0 = read32(s, s.v, ARG + 4);
  const si = s.v.built.sharedInfoMfn * PAGE.SIZE;
  const pending = (): number[] => Array.from({ length: 64 }, (_, i) => s.w.m.hv.mem.read32(si + 2048 + i * 4) >>> 0);
  const vcpuInfo = (): number[] => Array.from({ length: 4 }, (_, i) => s.w.m.hv.mem.read8(si + i * 64));
  const p0 = pending(), vi0 = vcpuInfo();
  const before = snap(s);
  for (const port of [virq, ipi, toDom0, 1, 2, 3, 4, 5, 4095, 4096]) {
    assert.equal(call(s, s.a, HYPERCALL.event_channel_op, [EVTCHNOP.send, ARG], [port]), EINVAL, `send ${port} (a port the attacker does not have)`);
    assert.equal(call(s, s.a, HYPERCALL.event_channel_op, [EVTCHNOP.close, ARG], [port]), EINVAL, `close ${port}`);
    assert.equal(call(s, s.a, HYPERCALL.event_channel_op, [EVTCHNOP.bind_interdomain, ARG], [s.v.domid, port, 0]), EINVAL, `bind_interdomain victim:${port}`);
    // Xen's evtchn_status checks the port's validity before the permission (−EINVAL, then −EPERM)
    assert.equal(call(s, s.a, HYPERCALL.event_channel_op, [EVTCHNOP.status, ARG], [s.v.domid, port, 0, 0, 0, 0]), s.v.evtchn.isValidPort(port) ? EPERM : EINVAL, `status victim:${port}`);
  }
  assert.equal(call(s, s.a, HYPERCALL.event_channel_op, [EVTCHNOP.alloc_unbound, ARG], [(s.v.domid | (s.a.domid << 16)) >>> 0, 0]), EPERM, "alloc_unbound in the victim");
  assert.equal(call(s, s.a, HYPERCALL.event_channel_op, [EVTCHNOP.reset, ARG], [s.v.domid]), EPERM, "reset the victim");
  assert.equal(call(s, s.a, HYPERCALL.event_channel_op, [EVTCHNOP.bind_interdomain, ARG], [77, 1, 0]), ESRCH, "no such domain");
  assert.deepEqual(pending(), p0, "the victim's pending and mask bits");
  assert.deepEqual(vcpuInfo(), vi0, "the victim's upcall_pending");
  assertUnchanged(s, before, "event channels");
});

// ── descriptor tables ─────────────────────────────────────────────────────

test("set_gdt with another domain's frames, or the hypervisor's, is −EINVAL and takes nothing", () => {
  const s = world();
  // the victim runs with a GDT of its own (a zeroed page mapped read-only)
  const vg = mfnAt(s.v, VA);
  assert.equal(uvm(s, s.v, VA, pte(vg, P | A)), 0);
  assert.equal(call(s, s.v, HYPERCALL.set_gdt, [ARG, 512], [vg]), 0, "the victim's own set_gdt");
  const own = mfnAt(s.a, VA2);
  assert.equal(uvm(s, s.a, VA2, pte(own, P | A)), 0, "the attacker's own zeroed page, read-only: a valid GDT frame");
  const before = snap(s);
  const hv = s.w.m.hv;
  for (const m of [vg, mfnAt(s.v, VA2), tables(s, s.v).l1[0]!, s.v.built.sharedInfoMfn, hv.area.m2pFrames[0]!, hv.area.tssFrame, hv.frames.total, 0xffffffff]) {
    assert.equal(call(s, s.a, HYPERCALL.set_gdt, [ARG, 512], [m]), EINVAL, `set_gdt([${hex(m, 5)}])`);
    assert.equal(call(s, s.a, HYPERCALL.set_gdt, [ARG, 1024], [own, m]), EINVAL, `set_gdt([own, ${hex(m, 5)}])`);
  }
  assert.equal(call(s, s.a, HYPERCALL.update_descriptor, [vg * PAGE.SIZE + 8, 0, 0x0000ffff, 0x00cf9a00]), EINVAL, "update_descriptor into the victim's GDT");
  for (const x of [hv.area.m2pFrames[0]!, hv.area.tssFrame, hv.area.stackFrame, hv.area.pdptFrame]) {
    assert.equal(call(s, s.a, HYPERCALL.update_descriptor, [x * PAGE.SIZE, 0, 0x0000ffff, 0x00cfba00]), EINVAL, `update_descriptor into hypervisor frame ${hex(x, 5)}`);
  }
  assertUnchanged(s, before, "descriptor tables");
  assert.deepEqual(s.a.vcpus[0]!.gdtFrames, [], "the attacker's GDT unchanged");
});

// ── vCPUs, memory, foreign domains, pins ──────────────────────────────────

test("vcpu_op acts on the caller's own vCPUs only: the victim's are out of reach (−ENOENT)", () => {
  const s = world(1, 4);
  const before = snap(s);
  for (const id of [1, 2, 3]) {
    for (const cmd of [VCPUOP.up, VCPUOP.down, VCPUOP.is_up, VCPUOP.initialise, VCPUOP.get_runstate_info, VCPUOP.set_periodic_timer, VCPUOP.stop_periodic_timer, VCPUOP.set_singleshot_timer]) {
      assert.equal(call(s, s.a, HYPERCALL.vcpu_op, [cmd, id, ARG], [10_000_000, 0, 0]), ENOENT, `vcpu_op(${cmd}, ${id})`);
    }
  }
  assert.ok(s.v.vcpus.slice(1).every((v) => v.state === "down" && !v.initialised), "the victim's vCPUs 1–3 still down and uninitialised");
  assertUnchanged(s, before, "vcpu_op");
});

test("memory_op: the other domain's MFNs cannot be released, and its reservation not named (start extent / −EPERM)", () => {
  const s = world();
  const t = tables(s, s.v);
  const list = [mfnAt(s.v, VA), mfnAt(s.v, VA2), t.l1[0]!, t.l3, s.v.built.sharedInfoMfn, s.v.grants.frameMfn(0)];
  const res = (op: number, dom: number, n: number, order = 0, listVa = ARG + 0x40): number =>
    call(s, s.a, HYPERCALL.memory_op, [op, ARG], [listVa, n, order, 0, dom, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...list]);
  const before = snap(s);
  const tot = [s.a.totPages, s.v.totPages];
  for (let i = 0; i < list.length; i++) {
    assert.equal(call(s, s.a, HYPERCALL.memory_op, [XENMEM.decrease_reservation, ARG], [ARG + 0x40, 1, 0, 0, DOMID.SELF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, list[i]!]), 0, `decrease_reservation of the victim's ${hex(list[i]!, 5)}`);
  }
  assert.equal(res(XENMEM.decrease_reservation, s.v.domid, list.length), 0, "decrease_reservation naming the victim");
  assert.equal(res(XENMEM.increase_reservation, s.v.domid, 4), 0, "increase_reservation for the victim");
  assert.equal(res(XENMEM.populate_physmap, s.v.domid, 4), 0, "populate_physmap for the victim");
  assert.equal(res(XENMEM.increase_reservation | (2 << 6), s.v.domid, 4), 2, "a start extent comes back as it was");
  assert.equal(res(XENMEM.decrease_reservation, s.v.domid, 1, 9), 0, "order 9 naming the victim");
  for (const op of [XENMEM.current_reservation, XENMEM.maximum_reservation, XENMEM.maximum_gpfn]) {
    assert.equal(call(s, s.a, HYPERCALL.memory_op, [op, ARG], [s.v.domid]), EPERM, `memory_op ${op} of the victim`);
    assert.equal(call(s, s.a, HYPERCALL.memory_op, [op, ARG], [77]), ESRCH, `memory_op ${op} of no domain`);
  }
  assert.deepEqual([s.a.totPages, s.v.totPages], tot, "tot_pages");
  assertUnchanged(s, before, "memory_op");
});

test("mmuext_op: foreigndom = another domain is −EPERM; pins, unpins, CR3 and page copies of its frames are −EINVAL", () => {
  const s = world();
  const t = tables(s, s.v);
  const before = snap(s);
  assert.equal(mmuext1(s, s.a, MMUEXT.TLB_FLUSH_LOCAL, 0, 0, s.v.domid), EPERM, "FD = victim");
  assert.equal(mmuext1(s, s.a, MMUEXT.PIN_L1_TABLE, t.l1[0]!, 0, s.v.domid), EPERM, "pin with FD = victim");
  assert.equal(mmuext1(s, s.a, MMUEXT.TLB_FLUSH_LOCAL, 0, 0, 77), ESRCH, "FD = no domain");
  assert.equal(mmuext1(s, s.a, MMUEXT.TLB_FLUSH_LOCAL, 0, 0, s.a.domid), ESRCH, "FD = own id (DOMID_SELF expected)");
  for (const [cmd, m, name] of [
    [MMUEXT.PIN_L1_TABLE, t.l1[0]!, "L1"], [MMUEXT.PIN_L2_TABLE, t.l2[0]!, "L2"], [MMUEXT.PIN_L3_TABLE, t.l3, "L3"],
    [MMUEXT.PIN_L1_TABLE, mfnAt(s.v, VA), "data page as L1"], [MMUEXT.PIN_L2_TABLE, mfnAt(s.v, VA), "data page as L2"],
    [MMUEXT.UNPIN_TABLE, t.l3, "the victim's pinned L3"], [MMUEXT.NEW_BASEPTR, t.l3, "the victim's L3 as CR3"],
    [MMUEXT.CLEAR_PAGE, mfnAt(s.v, VA), "CLEAR_PAGE"], [MMUEXT.CLEAR_PAGE, s.v.built.sharedInfoMfn, "CLEAR_PAGE shared_info"],
  ] as const) {
    assert.equal(mmuext1(s, s.a, cmd, m), EINVAL, `${name} ${hex(m, 5)}`);
  }
  assert.equal(mmuext1(s, s.a, MMUEXT.COPY_PAGE, mfnAt(s.a, VA), mfnAt(s.v, VA)), EINVAL, "COPY_PAGE from the victim (a read of its memory)");
  assert.equal(mmuext1(s, s.a, MMUEXT.COPY_PAGE, mfnAt(s.v, VA), mfnAt(s.a, VA)), EINVAL, "COPY_PAGE into the victim");
  assert.equal(s.a.vcpus[0]!.baseptr, s.a.built.l3Mfn, "the attacker's CR3 unchanged");
  assertUnchanged(s, before, "mmuext_op");
});

// ── attacks the fuzzer found (each once succeeded; the hypervisor now stops them) ──

/**
 * Xen's _get_page_type flushes the TLBs that may still hold a writable
 * mapping of a frame whose type changes ("It is vital that no other CPUs are
 * left with writeable mappings to a frame which is intending to become
 * pgtable/segdesc"), using the frame's TLB-flush timestamp; tsxen does the
 * same (FrameTable.noteUnmapped / staleTlb). Without it a guest that remaps
 * its page read-only without a flush (UVMF_NONE, or mmu_update, which never
 * flushes an L1 change) keeps writing it through the stale TLB entry after
 * it has become a validated L1.
 */
test("stale TLB: a page that becomes a validated L1 is no longer writable through an old TLB entry", () => {
  const s = world();
  const x = mfnAt(s.a, VA);
  const victimPage = mfnAt(s.v, VA);
  assert.equal(access(s, s.a, VA, true, 0), "ok", "the attacker writes its page (TLB: writable)");
  assert.equal(uvm(s, s.a, VA, pte(x, P | A), 0, UVMF.NONE), 0, "remap read-only, no flush (the guest's choice)");
  assert.equal(mmuext1(s, s.a, MMUEXT.PIN_L1_TABLE, x), 0, "pin it as an L1 (validated: all zero)");
  // Xen: the store faults (the page is read-only, the TLB was flushed on the type change)
  const stale = s.w.cpuAccess(VA, true, pte(victimPage, P | RW | A | D));
  const violations = invariantViolations(s.w.m);
  // hook the L1 under L2 slot 2 (VA 0x400000, unused): no re-validation, it is an L1 already
  // (unmonitored from here: the monitor would stop at the broken invariants)
  const l2 = tables(s, s.a).l2[0]!;
  assert.ok(s.w.guestWrite32(s.a, ARG, l2 * PAGE.SIZE + 2 * 8, 0, pte(x, P | RW | A | D), 0));
  assert.equal(hypercall(s.w.m, HYPERCALL.mmu_update, ARG, 1, 0, DOMID.SELF), 0);
  const hijack = s.w.cpuAccess(0x400000, true, 0x41414141);
  assert.deepEqual({ stale, violations, hijack, victimWord: s.w.m.hv.mem.read32(victimPage * PAGE.SIZE) >>> 0 },
    { stale: "fault", violations: [], hijack: "fault", victimWord: 0 },
    "the stale writable TLB entry let the attacker write a validated L1 and map the victim's page read-write");
});

test("stale TLB: a page that becomes a GDT frame is no longer writable through an old TLB entry", () => {
  const s = world();
  const x = mfnAt(s.a, VA);
  assert.equal(access(s, s.a, VA, true, 0), "ok");
  assert.equal(uvm(s, s.a, VA, pte(x, P | A), 0, UVMF.NONE), 0);
  assert.equal(call(s, s.a, HYPERCALL.set_gdt, [ARG, 512], [x]), 0, "the page is now the GDT (checked: all zero)");
  // a DPL-0 flat code descriptor: check_descriptor would refuse to store it as is
  const stale = s.w.cpuAccess(VA + 8, true, 0x0000ffff);
  if (stale === "ok") s.w.cpuAccess(VA + 12, true, 0x00cf9a00);
  const desc = [s.w.m.hv.mem.read32(x * PAGE.SIZE + 8) >>> 0, s.w.m.hv.mem.read32(x * PAGE.SIZE + 12) >>> 0];
  assert.deepEqual({ stale, desc }, { stale: "fault", desc: [0, 0] }, "the stale TLB entry let the attacker write an unchecked (ring-0) descriptor into its live GDT");
});

test("stale TLB: a freed page given to a new domain is not writable through the old owner's TLB entry", () => {
  const s = world();
  const x = mfnAt(s.a, VA);
  assert.equal(access(s, s.a, VA, true, 0), "ok", "the attacker writes its page (TLB: writable)");
  assert.equal(uvm(s, s.a, VA, 0, 0, UVMF.NONE), 0, "unmap, no flush");
  assert.equal(call(s, s.a, HYPERCALL.memory_op, [XENMEM.decrease_reservation, ARG], [ARG + 0x40, 1, 0, 0, DOMID.SELF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, x]), 1, "the page goes back to Xen");
  // the toolstack builds a new domain while the attacker is on the CPU
  const d3 = s.w.addDomain({ name: "newcomer" });
  assert.equal(s.w.m.hv.frames.owner[x], d3.domid, "the freed page went to the new domain (LIFO allocator)");
  const before = s.w.m.hv.mem.read32(x * PAGE.SIZE) >>> 0;
  const res = s.w.cpuAccess(VA, true, 0x41414141);
  assert.deepEqual({ res, word: s.w.m.hv.mem.read32(x * PAGE.SIZE) >>> 0 }, { res: "fault", word: before },
    "the attacker wrote into the new domain's page through its stale TLB entry (Xen flushes on reallocation: tlbflush timestamps)");
});

/**
 * A read-only linear mapping of the slot-3 L2 (PGT_PAE_XEN_L2) must be
 * refused: Xen's get_l2_linear_pagetable asks for plain PGT_l2_page_table,
 * which the slot-3 L2's type does not match. (tsxen once accepted it, leaving
 * the slot-3 L2 with two type references.)
 */
test("a read-only linear map of the slot-3 L2 is refused and the invariants hold", () => {
  const s = world();
  const t = tables(s, s.a);
  const rc = s.w.step(s.a, () => {
    s.w.guestWrite32(s.a, ARG, (t.l2[0]! * PAGE.SIZE + 5 * 8) >>> 0, 0, pte(t.slot3, P | A), 0);
    return { nr: HYPERCALL.mmu_update, args: [ARG, 1, 0, DOMID.SELF], what: "L2 slot 5 → slot-3 L2, read-only" };
  });
  assert.deepEqual({ rc: rc.rc, problems: rc.problems }, { rc: EINVAL, problems: [] }, "refused, invariants intact");
});

/**
 * The hypervisor's own check after every hypercall (TSXEN_CHECK_INVARIANTS,
 * "test builds") must accept a legitimate grant mapping of another domain's
 * frame (allowForeign), or it would crash the mapping domain.
 */
test("test-build checker: a legitimate grant mapping does not crash the mapper at its next MMU hypercall", () => {
  const m = fakeMachine({ memoryMiB: 16, checkInvariants: true });
  const a = addDomain(m, { name: "mapper" }), v = addDomain(m, { name: "granter" });
  m.hv.start();
  const g = mfnAt(v, VA);
  v.grants.seedEntry(8, a.domid, g, GTF.permit_access);
  poke32(m, a, ARG, VA, 0, GNTMAP.host_map, 8, v.domid, 0, 0, 0);
  assert.equal(hypercall(m, HYPERCALL.grant_table_op, GNTTABOP.map_grant_ref, ARG, 1), 0);
  assert.equal(m.hv.mem.read32(mfnAt(a, ARG) * PAGE.SIZE + 16) >>> 16, GNTST.okay, "mapped");
  poke32(m, a, ARG + 0x100, MMUEXT.TLB_FLUSH_LOCAL, 0, 0);
  assert.equal(hypercall(m, HYPERCALL.mmuext_op, ARG + 0x100, 1, 0, DOMID.SELF), 0);
  assert.equal(a.end, undefined, `the mapper was crashed: ${JSON.stringify(a.end)}`);
});

/**
 * A grant PTE carries NX, as Xen's grant_to_pte_flags sets it; the
 * hypervisor runs the CPU with EFER.NXE (as Xen does on CPUs with NX), so
 * the guest and copy_to/from_guest can read through the mapping. (With NXE
 * clear bit 63 would be reserved and every access a reserved-bit #PF.)
 */
test("grant PTE: a legitimate grant mapping is NX and readable by the guest and by guest copies (EFER.NXE on)", () => {
  const s = world();
  s.v.grants.seedEntry(8, s.a.domid, mfnAt(s.v, VA), GTF.permit_access | GTF.readonly);
  assert.equal(mapGrant(s, s.a, s.v.domid, 8, VA, GNTMAP.host_map | GNTMAP.readonly).status, GNTST.okay);
  const hi = s.w.m.hv.mem.read32(l1EntryMa(s, s.a, VA) + 4) >>> 0;
  assert.deepEqual({ cpu: access(s, s.a, VA, false), copy: s.a.guest.copyFromGuest(vaddr(VA), 4) !== undefined, efer: s.w.m.hv.cpu.efer, hi: hex(hi) },
    { cpu: "ok", copy: true, efer: 1 << 11, hi: hex(0x80000000) });
});

/**
 * contextSwitch(prev, next) → enterStartFrame(next) → the CPU refuses the
 * start frame → d.crash(). The scheduling point this raises must wait until
 * the switch is over, and the switch must not go on with the dead vCPU (it
 * once did: a nested schedule() reaped the domain and the outer switch then
 * delivered the dead vCPU's upcall onto the next domain's CPU state).
 */
test("a vCPU whose start frame is refused does not run its upcall on the next domain's CPU state", () => {
  const s = world(2, 1);
  const HIJACK = 0xdead0000;
  // vCPU 1 of the attacker: CS ring 1 with a ring-3 SS (refused at its first run), event callback at HIJACK
  const ctx = new Uint8Array(vcpuGuestContext.size), dv = new DataView(ctx.buffer);
  const regs = offsetOf(vcpuGuestContext, "user_regs");
  const u32 = (path: string, v: number): void => dv.setUint32(offsetOf(vcpuGuestContext, path), v >>> 0, true);
  dv.setUint32(regs + 32, KERNEL, true);
  dv.setUint16(regs + 36, FLAT.RING1_CS, true);
  dv.setUint32(regs + 40, 0x202, true);
  dv.setUint32(regs + 44, 0x10e800, true);
  dv.setUint16(regs + 48, FLAT.RING3_SS, true);
  for (const o of [52, 56, 60, 64]) dv.setUint16(regs + o, FLAT.RING1_DS, true);
  const l3 = s.a.built.l3Mfn;
  u32("ctrlreg[3]", ((l3 << 12) | (l3 >>> 20)) >>> 0);
  u32("kernel_ss", FLAT.RING1_SS);
  u32("kernel_sp", 0x10e800);
  u32("event_callback_cs", FLAT.RING1_CS);
  u32("event_callback_eip", HIJACK);
  const init = s.w.step(s.a, () => {
    assert.ok(s.w.guestWrite(s.a, ARG + 0x1000, ctx));
    return { nr: HYPERCALL.vcpu_op, args: [VCPUOP.initialise, 1, ARG + 0x1000], what: "VCPUOP_initialise(1)" };
  });
  assert.deepEqual([init.rc, init.problems], [0, []]);
  // an event pending on vCPU 1, its upcall_mask cleared through the attacker's own RW mapping of its shared_info
  assert.equal(call(s, s.a, HYPERCALL.event_channel_op, [EVTCHNOP.bind_ipi, ARG], [1, 0]), 0);
  const port = read32(s, s.a, ARG + 4);
  assert.equal(call(s, s.a, HYPERCALL.event_channel_op, [EVTCHNOP.send, ARG], [port]), 0);
  assert.equal(uvm(s, s.a, VA, pte(s.a.built.sharedInfoMfn, P | RW | A | D)), 0);
  const clear = s.w.step(s.a, () => { assert.ok(s.w.guestWrite(s.a, VA + 64 + 1, Uint8Array.of(0))); return { what: "vcpu_info[1].upcall_mask = 0" }; });
  assert.deepEqual(clear.problems, []);
  assert.equal(call(s, s.a, HYPERCALL.vcpu_op, [VCPUOP.up, 1, 0]), 0);
  assert.equal(call(s, s.a, HYPERCALL.sched_op, [0 /* yield */, 0]), 0, "the attacker yields: the victim runs");
  assert.equal(onCpu(s.w.m)?.domid, s.v.domid);
  // the victim yields (or its slice ends): the attacker's vCPU 1 is switched in, refused, the attacker crashes
  const y = s.w.step(s.v, () => ({ nr: HYPERCALL.sched_op, args: [0, 0], what: "victim: yield" }));
  const cpu = s.w.m.hv.cpu;
  assert.equal(s.a.end?.kind, "crash", "the attacker crashed on its own start frame");
  assert.deepEqual({ running: onCpu(s.w.m)?.name, at: `${hex(cpu.segSel[1]!, 4)}:${hex(cpu.eip)}`, problems: y.problems },
    { running: "d2v0", at: `${hex(FLAT.RING1_CS, 4)}:${hex(KERNEL)}`, problems: [] },
    "the victim resumed at the dead attacker's event callback, its bounce frame on the victim's stack; the hypervisor wrote a freed frame");
});
