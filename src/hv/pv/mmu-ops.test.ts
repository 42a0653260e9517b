/**
 * mmuext_op (docs/xen-pv32-abi.md §4.22, §5.9, §5.10) against a fake guest,
 * through `int $0x82`: NEW_BASEPTR moves the CR3 references and reloads the
 * CPU's PDPT shadow, SET_LDT's limits, pin/unpin refusals, the TLB flush
 * operations (observed in the CPU's TLB), CLEAR_PAGE/COPY_PAGE refusing page
 * tables, and the foreigndom rules. The hypervisor runs with its
 * after-every-MMU-hypercall invariant check on, so a broken frame table
 * would crash the domain.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRNO } from "../../abi/errno.js";
import { DOMID, HYPERCALL, MMUEXT } from "../../abi/hypercalls.js";
import { BOOT_PTE, PAGE } from "../../abi/memory-layout.js";
import { DS } from "../../machine/cpu/registers.js";
import { PGT, PGT_PAE_XEN_L2, baseType } from "../core/frame-table.js";
import { HV_VA } from "./hypervisor-area.js";
import {
  KERNEL, SCRATCH, UNMAPPED, addDomain, changedFrames, fakeGuest, frameRefs, frameState, hypercall, invariantViolations,
  mapReadOnly, mfnAt, peekWords, poke32, type FakeGuest,
} from "../../../tests/support/pv-fake-guest.js";

const OPS = SCRATCH + 0x70000, DONE = SCRATCH + 0x71000, MASK = SCRATCH + 0x72000;
const L3_VA = SCRATCH + 0x10000, L2_VA = SCRATCH + 0x11000, PAGE_VA = SCRATCH + 0x12000;

function guest(): FakeGuest {
  return fakeGuest({ checkInvariants: true });
}

/** mmuext_op(ops, count, done, foreigndom) with the ops written at OPS. */
function mmuext(g: FakeGuest, ops: Array<[number, number, number?]>, o: { done?: number; fd?: number } = {}): number {
  poke32(g, g.d, OPS, ...ops.flatMap(([cmd, a1, a2]) => [cmd, a1, a2 ?? 0]));
  return hypercall(g, HYPERCALL.mmuext_op, OPS, ops.length, o.done ?? 0, o.fd ?? DOMID.SELF);
}

/** The L3 entries 0–3 of `l3` as [lo, hi] pairs. */
const l3Entries = (g: FakeGuest, l3: number): number[] => Array.from({ length: 8 }, (_, i) => g.hv.mem.read32(l3 * PAGE.SIZE + i * 4) >>> 0);

/**
 * A second L3 as a guest builds one: slots 0–2 as the builder's, slot 3 a
 * fresh (empty) L2, both pages written while mapped writable, then remapped
 * read-only. Returns their MFNs.
 */
function secondL3(g: FakeGuest): { l3: number; l2: number } {
  const l2 = mfnAt(g.d, L2_VA), l3 = mfnAt(g.d, L3_VA);
  const old = l3Entries(g, g.d.built.l3Mfn);
  poke32(g, g.d, L3_VA, ...old.slice(0, 6), ((l2 << PAGE.SHIFT) | BOOT_PTE.L3) >>> 0, l2 >>> 20);
  mapReadOnly(g, g.d, L2_VA);
  mapReadOnly(g, g.d, L3_VA);
  return { l3, l2 };
}

const cpuPdptes = (g: FakeGuest): number[] => Array.from(g.hv.cpu.pdpte, (x) => x >>> 0);

/** Fill the TLB with the scratch pages' translations; returns their VAs. */
function touch(g: FakeGuest, n = 4): number[] {
  const vas = Array.from({ length: n }, (_, i) => SCRATCH + 0x40000 + i * PAGE.SIZE);
  for (const va of vas) g.hv.cpu.linRead32(va);
  for (const va of vas) assert.notEqual(g.hv.cpu.tlb.entry[va >>> 12], 0, "TLB filled");
  return vas;
}
const cached = (g: FakeGuest, vas: number[]): boolean[] => vas.map((va) => g.hv.cpu.tlb.entry[va >>> 12] !== 0);

// ── NEW_BASEPTR (§5.9) ──────────────────────────────────────────────────

test("NEW_BASEPTR to a second validated L3 moves the CR3 references, reloads the PDPT shadow and flushes the TLB", () => {
  const g = guest();
  const old = g.d.built.l3Mfn;
  const { l3, l2 } = secondL3(g);
  const guestL2s = [0, 1, 2].map((i) => g.hv.mem.read32(old * PAGE.SIZE + i * 8) >>> 12);
  const before = frameRefs(g);
  const oldRefs = frameState(g, old), newRefs = frameState(g, l3), l2Refs = guestL2s.map((m) => frameState(g, m));
  assert.deepEqual([oldRefs.typeCount, g.hv.frames.pinned(old)], [2, true], "pin + CR3");
  const vas = touch(g);

  assert.equal(mmuext(g, [[MMUEXT.NEW_BASEPTR, l3]]), 0);
  assert.equal(g.v.baseptr, l3);
  assert.deepEqual(frameState(g, old), { ...oldRefs, count: oldRefs.count - 1, typeCount: 1 }, "old L3 keeps only its pin");
  assert.equal(baseType(g.hv.frames.typeInfo[l3]!), PGT.L3);
  assert.deepEqual([g.hv.frames.count[l3], g.hv.frames.typeCount[l3]], [newRefs.count + 1, 1], "new L3: the CR3 reference");
  assert.deepEqual([g.hv.frames.typeInfo[l2], g.hv.frames.typeCount[l2]], [PGT.L2 | PGT_PAE_XEN_L2, 1], "its slot-3 L2 validated");
  guestL2s.forEach((m, i) => assert.equal(g.hv.frames.typeCount[m], l2Refs[i]!.typeCount + 1, `L2 ${i} referenced by both L3s`));
  // the CPU's PDPTEs are the new L3's entries (P and the address only)
  const pd = cpuPdptes(g);
  assert.deepEqual([0, 1, 2].map((i) => pd[2 * i]! & ~0xfff), guestL2s.map((m) => m * PAGE.SIZE));
  assert.equal(pd[6]! & ~0xfff, l2 * PAGE.SIZE);
  assert.deepEqual([0, 1, 2, 3].map((i) => pd[2 * i]! & 0xfff), [1, 1, 1, 1]);
  assert.deepEqual(cached(g, vas), [false, false, false, false], "TLB flushed");
  // the new slot-3 L2 carries the hypervisor's mappings: the CPU still reaches its GDT page
  assert.equal(g.hv.cpu.supRead32(HV_VA.GDT + 0xe018) >>> 0, 0x0000ffff);
  assert.equal(g.d.end, undefined);
  assert.deepEqual(invariantViolations(g), []);

  // and back: the second L3 and its slot-3 L2 lose their types, everything is as before
  assert.equal(mmuext(g, [[MMUEXT.NEW_BASEPTR, old]]), 0);
  assert.equal(g.v.baseptr, old);
  assert.deepEqual(changedFrames(g, before), []);
  assert.equal(g.hv.cpu.pdpte[6]! & ~0xfff, g.hv.mem.read32(old * PAGE.SIZE + 24) & ~0xfff);
});

test("NEW_BASEPTR refusals (−EINVAL) leave CR3, the PDPTEs and every reference alone", () => {
  const g = guest();
  const other = addDomain(g);
  const empty = mfnAt(g.d, PAGE_VA);
  mapReadOnly(g, g.d, PAGE_VA); // an L3 with no slot 3 (§5.5: refused)
  const before = frameRefs(g), pd = cpuPdptes(g), base = g.v.baseptr;
  for (const [what, mfn] of [
    ["beyond the machine", g.hv.frames.total], ["another domain's L3", other.built.l3Mfn],
    ["a frame mapped writable", mfnAt(g.d, SCRATCH)], ["an L3 without slot 3", empty], ["an L1", mfnAt(g.d, g.d.built.ptBaseVa + 5 * PAGE.SIZE)],
  ] as const) {
    assert.equal(mmuext(g, [[MMUEXT.NEW_BASEPTR, mfn]]), -ERRNO.EINVAL, what);
    assert.equal(g.v.baseptr, base, what);
    assert.deepEqual(cpuPdptes(g), pd, what);
    assert.deepEqual(changedFrames(g, before), [], what);
  }
  assert.equal(g.d.end, undefined);
});

test("NEW_BASEPTR to the current L3 succeeds without changing any reference", () => {
  const g = guest();
  const before = frameRefs(g);
  assert.equal(mmuext(g, [[MMUEXT.NEW_BASEPTR, g.d.built.l3Mfn]]), 0);
  assert.deepEqual(changedFrames(g, before), []);
});

// ── SET_LDT (§4.22) ─────────────────────────────────────────────────────

test("SET_LDT: more than 8192 entries, an unaligned or hypervisor-range base is −EINVAL; 0 entries removes it", () => {
  const g = guest();
  for (const [base, ents] of [[SCRATCH, 8193], [SCRATCH, 0xffffffff], [SCRATCH + 8, 1], [SCRATCH + 0xffc, 16], [0xf5800000, 1], [0xfffff000, 1]] as const) {
    assert.equal(mmuext(g, [[MMUEXT.SET_LDT, base, ents]]), -ERRNO.EINVAL, `base ${base.toString(16)} × ${ents}`);
    assert.deepEqual([g.v.ldtBase, g.v.ldtEntries], [0, 0]);
  }
  assert.equal(mmuext(g, [[MMUEXT.SET_LDT, SCRATCH, 8192]]), 0);
  assert.deepEqual([g.v.ldtBase, g.v.ldtEntries], [SCRATCH, 8192]);
  assert.equal(mmuext(g, [[MMUEXT.SET_LDT, SCRATCH + 8, 8193]]), -ERRNO.EINVAL);
  assert.deepEqual([g.v.ldtBase, g.v.ldtEntries], [SCRATCH, 8192], "a refusal keeps the LDT");
  assert.equal(mmuext(g, [[MMUEXT.SET_LDT, 0x1234, 0]]), 0, "no entries: the base is not looked at");
  assert.deepEqual([g.v.ldtBase, g.v.ldtEntries], [0, 0]);
});

test("SET_LDT installs the LDT: `mov ds` of an LDT selector in the guest loads the descriptor put there", () => {
  // KERNEL+0x100: mov ax, 0x0d (index 1, TI = 1, RPL 1); mov ds, ax; jmp $
  const g = fakeGuest({ checkInvariants: true, code: [[0, [0xeb, 0xfe]], [0x100, [0x66, 0xb8, 0x0d, 0x00, 0x8e, 0xd8, 0xeb, 0xfe]]] });
  // LDT entry 1: data, base 0x00345000, limit 0xfff, DPL 1, accessed
  poke32(g, g.d, PAGE_VA + 8, 0x50000fff, 0x0040b334);
  mapReadOnly(g, g.d, PAGE_VA);
  assert.equal(mmuext(g, [[MMUEXT.SET_LDT, PAGE_VA, 2]]), 0);
  g.hv.cpu.eip = KERNEL + 0x100;
  g.pc.runFor(20_000);
  assert.equal(g.d.end, undefined, g.log.join("\n"));
  assert.equal(g.hv.cpu.eip, KERNEL + 0x106, "stopped at the jmp $ after the load");
  assert.equal(g.hv.cpu.segSel[DS], 0x0d);
  assert.equal(g.hv.cpu.segBase[DS]! >>> 0, 0x00345000);
  assert.equal(g.hv.cpu.segLimit[DS], 0xfff);
  assert.deepEqual(invariantViolations(g), []);
});

// ── pin / unpin ─────────────────────────────────────────────────────────

test("PIN/UNPIN refusals are −EINVAL and change nothing; PIN_L4_TABLE is ignored", () => {
  const g = guest();
  const other = addDomain(g);
  const l2 = g.hv.mem.read32(g.d.built.l3Mfn * PAGE.SIZE) >>> 12;
  const ro = mfnAt(g.d, PAGE_VA);
  mapReadOnly(g, g.d, PAGE_VA);
  const before = frameRefs(g);
  const cases: Array<[string, number, number]> = [
    ["PIN_L3 of the pinned L3", MMUEXT.PIN_L3_TABLE, g.d.built.l3Mfn],
    ["PIN_L1 of a frame mapped writable", MMUEXT.PIN_L1_TABLE, mfnAt(g.d, SCRATCH)],
    ["PIN_L2 of a frame mapped writable", MMUEXT.PIN_L2_TABLE, mfnAt(g.d, SCRATCH)],
    ["PIN_L1 of another domain's frame", MMUEXT.PIN_L1_TABLE, mfnAt(other, PAGE_VA)],
    ["PIN_L1 beyond the machine", MMUEXT.PIN_L1_TABLE, g.hv.frames.total],
    ["PIN_L1 of an L3", MMUEXT.PIN_L1_TABLE, g.d.built.l3Mfn],
    ["UNPIN of a frame never pinned", MMUEXT.UNPIN_TABLE, ro],
    ["UNPIN of an L2 in use but not pinned", MMUEXT.UNPIN_TABLE, l2],
    ["UNPIN of another domain's pinned L3", MMUEXT.UNPIN_TABLE, other.built.l3Mfn],
    ["UNPIN beyond the machine", MMUEXT.UNPIN_TABLE, 0xffffffff],
  ];
  for (const [what, cmd, mfn] of cases) {
    assert.equal(mmuext(g, [[cmd, mfn]]), -ERRNO.EINVAL, what);
    assert.deepEqual(changedFrames(g, before), [], what);
  }
  assert.equal(mmuext(g, [[MMUEXT.PIN_L4_TABLE, ro]]), 0);
  assert.deepEqual(changedFrames(g, before), []);
  assert.equal(g.d.end, undefined);
});

test("PIN_L1 then UNPIN of a clean read-only frame: one pin reference, then none", () => {
  const g = guest();
  const p = mfnAt(g.d, PAGE_VA);
  mapReadOnly(g, g.d, PAGE_VA);
  const before = frameRefs(g), refs = frameState(g, p);
  assert.equal(mmuext(g, [[MMUEXT.PIN_L1_TABLE, p]]), 0);
  assert.deepEqual([g.hv.frames.typeInfo[p], g.hv.frames.typeCount[p], g.hv.frames.count[p], g.hv.frames.pinned(p)], [PGT.L1, 1, refs.count + 1, true]);
  assert.equal(mmuext(g, [[MMUEXT.PIN_L1_TABLE, p]]), -ERRNO.EINVAL, "already pinned");
  assert.equal(mmuext(g, [[MMUEXT.UNPIN_TABLE, p]]), 0);
  assert.deepEqual(changedFrames(g, before), []);
});

test("a batch stops at the first failure and reports the ops done", () => {
  const g = guest();
  const p = mfnAt(g.d, PAGE_VA);
  mapReadOnly(g, g.d, PAGE_VA);
  poke32(g, g.d, DONE, 0xdead);
  assert.equal(mmuext(g, [[MMUEXT.TLB_FLUSH_LOCAL, 0], [MMUEXT.UNPIN_TABLE, p], [MMUEXT.PIN_L1_TABLE, p]], { done: DONE }), -ERRNO.EINVAL);
  assert.equal(peekWords(g, g.d, DONE, 1)[0], 1);
  assert.equal(g.hv.frames.pinned(p), false, "the op after the failure did not run");
  assert.equal(mmuext(g, [[MMUEXT.TLB_FLUSH_LOCAL, 0], [MMUEXT.PIN_L1_TABLE, p], [MMUEXT.UNPIN_TABLE, p]], { done: DONE }), 0);
  assert.equal(peekWords(g, g.d, DONE, 1)[0], 3);
  // an unreadable op list: −EFAULT
  assert.equal(hypercall(g, HYPERCALL.mmuext_op, UNMAPPED, 1, DONE, DOMID.SELF), -ERRNO.EFAULT);
  assert.equal(peekWords(g, g.d, DONE, 1)[0], 0);
});

// ── TLB flushes (§5.10) ─────────────────────────────────────────────────

test("TLB_FLUSH_LOCAL/ALL empty the TLB; INVLPG_LOCAL/ALL drop one page only", () => {
  const g = guest();
  let vas = touch(g);
  assert.equal(mmuext(g, [[MMUEXT.INVLPG_LOCAL, vas[1]!]]), 0);
  assert.deepEqual(cached(g, vas), [true, false, true, true]);
  assert.equal(mmuext(g, [[MMUEXT.INVLPG_ALL, vas[3]! + 0x123]]), 0);
  assert.deepEqual(cached(g, vas), [true, false, true, false]);
  assert.equal(mmuext(g, [[MMUEXT.TLB_FLUSH_LOCAL, 0]]), 0);
  assert.deepEqual(cached(g, vas), [false, false, false, false]);
  vas = touch(g);
  assert.equal(mmuext(g, [[MMUEXT.TLB_FLUSH_ALL, 0]]), 0);
  assert.deepEqual(cached(g, vas), [false, false, false, false]);
});

test("TLB_FLUSH_MULTI/INVLPG_MULTI: an unreadable vCPU mask is −EINVAL and flushes nothing", () => {
  const g = guest();
  const vas = touch(g);
  assert.equal(mmuext(g, [[MMUEXT.TLB_FLUSH_MULTI, 0, UNMAPPED]]), -ERRNO.EINVAL);
  assert.equal(mmuext(g, [[MMUEXT.INVLPG_MULTI, vas[0]!, UNMAPPED]]), -ERRNO.EINVAL);
  assert.deepEqual(cached(g, vas), [true, true, true, true]);
  poke32(g, g.d, MASK, 1);
  assert.equal(mmuext(g, [[MMUEXT.INVLPG_MULTI, vas[2]!, MASK]]), 0);
  assert.deepEqual(cached(g, vas), [true, true, false, true]);
  assert.equal(mmuext(g, [[MMUEXT.TLB_FLUSH_MULTI, 0, MASK]]), 0);
  assert.deepEqual(cached(g, vas), [false, false, false, false]);
});

test("the ops a domU may not use: FLUSH_CACHE −EACCES, NEW_USER_BASEPTR −EINVAL, MARK_SUPER −EOPNOTSUPP, 14 −ENOSYS", () => {
  const g = guest();
  const before = frameRefs(g);
  assert.equal(mmuext(g, [[MMUEXT.FLUSH_CACHE, 0]]), -ERRNO.EACCES);
  assert.equal(mmuext(g, [[MMUEXT.FLUSH_CACHE_GLOBAL, 0]]), -ERRNO.EACCES);
  assert.equal(mmuext(g, [[MMUEXT.NEW_USER_BASEPTR, g.d.built.l3Mfn]]), -ERRNO.EINVAL);
  assert.equal(mmuext(g, [[MMUEXT.MARK_SUPER, mfnAt(g.d, SCRATCH)]]), -ERRNO.EOPNOTSUPP);
  assert.equal(mmuext(g, [[MMUEXT.UNMARK_SUPER, mfnAt(g.d, SCRATCH)]]), -ERRNO.EOPNOTSUPP);
  assert.equal(mmuext(g, [[14, 0]]), -ERRNO.ENOSYS);
  assert.equal(mmuext(g, [[21, 0]]), -ERRNO.ENOSYS);
  assert.deepEqual(changedFrames(g, before), []);
});

test("foreigndom: an unknown domain is −ESRCH, the caller's own numeric id −ESRCH (DOMID_SELF must be used)", () => {
  const g = guest();
  const vas = touch(g);
  assert.equal(mmuext(g, [[MMUEXT.TLB_FLUSH_LOCAL, 0]], { fd: 0x1234 }), -ERRNO.ESRCH);
  assert.deepEqual(cached(g, vas), [true, true, true, true]);
  assert.equal(mmuext(g, [[MMUEXT.TLB_FLUSH_LOCAL, 0]], { fd: g.d.domid }), -ERRNO.ESRCH);
  assert.deepEqual(cached(g, vas), [true, true, true, true]);
});

test("foreigndom: another existing domain is −EPERM for a domU (xsm_mmuext_op)", () => {
  const g = guest();
  const other = addDomain(g);
  const vas = touch(g);
  assert.equal(mmuext(g, [[MMUEXT.TLB_FLUSH_LOCAL, 0]], { fd: other.domid }), -ERRNO.EPERM);
  assert.deepEqual(cached(g, vas), [true, true, true, true]);
});

// ── CLEAR_PAGE / COPY_PAGE ──────────────────────────────────────────────

test("CLEAR_PAGE/COPY_PAGE refuse page tables, foreign frames and bad source frames (−EINVAL) and write nothing", () => {
  const g = guest();
  const other = addDomain(g);
  const l1 = mfnAt(g.d, g.d.built.ptBaseVa + 5 * PAGE.SIZE), l3 = g.d.built.l3Mfn;
  const mem = (m: number): number[] => Array.from({ length: 1024 }, (_, i) => g.hv.mem.read32(m * PAGE.SIZE + 4 * i) >>> 0);
  const l1Before = mem(l1), l3Before = mem(l3), theirs = mfnAt(other, SCRATCH);
  g.hv.mem.write32(theirs * PAGE.SIZE, 0x5a5a5a5a);
  const before = frameRefs(g);
  assert.equal(mmuext(g, [[MMUEXT.CLEAR_PAGE, l1]]), -ERRNO.EINVAL);
  assert.equal(mmuext(g, [[MMUEXT.CLEAR_PAGE, l3]]), -ERRNO.EINVAL);
  assert.equal(mmuext(g, [[MMUEXT.CLEAR_PAGE, theirs]]), -ERRNO.EINVAL);
  assert.equal(mmuext(g, [[MMUEXT.CLEAR_PAGE, g.hv.frames.total]]), -ERRNO.EINVAL);
  assert.equal(mmuext(g, [[MMUEXT.COPY_PAGE, l1, mfnAt(g.d, SCRATCH)]]), -ERRNO.EINVAL);
  assert.equal(mmuext(g, [[MMUEXT.COPY_PAGE, mfnAt(g.d, SCRATCH), theirs]]), -ERRNO.EINVAL);
  assert.deepEqual(mem(l1), l1Before);
  assert.deepEqual(mem(l3), l3Before);
  assert.equal(g.hv.mem.read32(theirs * PAGE.SIZE) >>> 0, 0x5a5a5a5a);
  assert.deepEqual(changedFrames(g, before), []);
  assert.equal(g.d.end, undefined);
});

test("CLEAR_PAGE zeroes a writable frame and COPY_PAGE copies one, holding no reference afterwards", () => {
  const g = guest();
  const dst = mfnAt(g.d, SCRATCH), src = mfnAt(g.d, SCRATCH + PAGE.SIZE);
  poke32(g, g.d, SCRATCH, 1, 2, 3);
  poke32(g, g.d, SCRATCH + PAGE.SIZE + 4092, 0xcafef00d);
  const before = frameRefs(g);
  assert.equal(mmuext(g, [[MMUEXT.CLEAR_PAGE, dst]]), 0);
  assert.deepEqual(peekWords(g, g.d, SCRATCH, 3), [0, 0, 0]);
  assert.equal(mmuext(g, [[MMUEXT.COPY_PAGE, dst, src]]), 0);
  assert.equal(peekWords(g, g.d, SCRATCH + 4092, 1)[0], 0xcafef00d);
  assert.deepEqual(changedFrames(g, before), []);
  assert.deepEqual(invariantViolations(g), []);
});
