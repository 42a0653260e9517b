/**
 * grant_table_op (docs/xen-pv32-abi.md §4.18) on real frame and page tables:
 * setup_table / query_size / set_version / get_version / get_status_frames,
 * and map/unmap of another domain's grant (and of one's own, as XTF's XSA
 * tests do) into a PV page table. After every operation: the statuses and
 * errnos Xen gives, the grant entry's GTF_reading/GTF_writing, the granted
 * frame's counts, the PTE, and the invariant checker (foreign frames allowed
 * only where a grant is mapped, device-mapping references declared).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRNO } from "../../abi/errno.js";
import { GNTMAP, GNTST, GTF } from "../../abi/grant-tables.js";
import { DOMID, GNTTABOP } from "../../abi/hypercalls.js";
import { M2P, PTE } from "../../abi/memory-layout.js";
import type { DomId, Mfn, Vaddr } from "../../lib/brand.js";
import { Ram } from "../../machine/memory/ram.js";
import { GrantPteSet, PvGrantPtes } from "../pv/grant-pte.js";
import { checkInvariants } from "../pv/invariants.js";
import { PvPageTables } from "../pv/page-types.js";
import { FrameTable, PGT } from "./frame-table.js";
import { grantTableOp, type GrantOpDomain } from "./grant-table-op.js";
import { GrantTable } from "./grant-table.js";
import { WindowGuest } from "../../../tests/support/window-guest.js";

const D1 = 1 as DomId, D2 = 2 as DomId, D3 = 3 as DomId;
const BASE = 0x10000;
const LIST = BASE + 0x800;
/** The mapper's L1 covers VA 0xC0000000–0xC01FFFFF (L3 slot 3, L2 slot 0). */
const VA = (slot: number): number => 0xc0000000 + slot * 4096;
const { PRESENT: P, RW } = PTE;
const pte = (mfn: number, flags: number): number => ((mfn << 12) | flags) >>> 0;

/** Guest memory [BASE, BASE + 2 pages) (tests/support/window-guest.ts). */
class FakeGuest extends WindowGuest {
  constructor() {
    super(BASE);
  }
}

function setup() {
  const ram = new Ram(1 << 20);
  const frames = new FrameTable(256);
  const tables = new PvPageTables(ram, frames);
  const grantPtes = new GrantPteSet();
  const m2p = new Map<number, number>();
  const setM2p = (m: Mfn, p: number): void => void m2p.set(m, p);
  const mk = (domid: DomId): GrantTable => GrantTable.create({ domid, frames, mem: ram, setM2p }) as GrantTable;
  const gts = new Map<number, GrantTable>([[D1, mk(D1)], [D2, mk(D2)], [D3, mk(D3)]]);
  const alloc = (d: DomId): Mfn => frames.allocate(d) as Mfn;
  // D2's address space: L3 → (slot 3) L2 → (slot 0) L1.
  const [l3, l2, l1, own] = [alloc(D2), alloc(D2), alloc(D2), alloc(D2)];
  const set = (t: Mfn, s: number, lo: number): void => ram.write32(t * 4096 + s * 8, lo);
  set(l3, 3, pte(l2, P));
  set(l2, 0, pte(l1, P | RW));
  assert.equal(frames.pin(l3, D2, PGT.L3), 0);
  const granted = alloc(D1);
  const guest = new FakeGuest();
  const crashes: string[] = [];
  let flushes = 0;
  const domain = (domid: DomId, privileged = false): GrantOpDomain => ({
    domid, privileged, frames, guest,
    grants: gts.get(domid)!,
    ptes: new PvGrantPtes({ tables, domid, grantPtes, currentL3: () => l3 }),
    grantTableOf: (id) => gts.get(id),
    crash: (r) => void crashes.push(r),
    flushTlb: () => void flushes++,
  });
  const d2 = domain(D2);
  const gt1 = gts.get(D1)!, gt2 = gts.get(D2)!;
  /** D1 grants `frame` to `to` as entry `ref`. */
  const grant = (ref: number, frame: number, to: number = D2, flags: number = GTF.permit_access): void =>
    gt1.seedEntry(ref, to, frame, flags);
  const mapOp = (at: number, o: { host: number | bigint; flags: number; ref: number; dom?: number }): void => {
    guest.u64(at, BigInt(o.host));
    guest.u32(at + 8, o.flags);
    guest.u32(at + 12, o.ref);
    guest.u16(at + 16, o.dom ?? D1);
    guest.u16(at + 18, 0x7777);
    guest.u32(at + 20, 0xeeeeeeee);
    guest.u64(at + 24, 0n);
  };
  const mapResult = (at = BASE) => ({ status: guest.i16(at + 18), handle: guest.u32(at + 20), bus: guest.u64(at + 24) });
  const unmapOp = (at: number, o: { host: number | bigint; handle: number; bus?: bigint }): void => {
    guest.u64(at, BigInt(o.host));
    guest.u64(at + 8, o.bus ?? 0n);
    guest.u32(at + 16, o.handle);
    guest.u16(at + 20, 0x7777);
  };
  const op = (d: GrantOpDomain, cmd: number, count = 1, uop: number = BASE): number => grantTableOp(d, cmd, uop as Vaddr, count);
  const l1e = (slot: number): number => ram.read32(l1 * 4096 + slot * 8) >>> 0;
  const l1eHi = (slot: number): number => ram.read32(l1 * 4096 + slot * 8 + 4) >>> 0;
  const counts = (m: Mfn): [number, number] => [frames.count[m]!, frames.typeCount[m]!];
  const sound = (): void => {
    const external = [...gts.values()].flatMap((g) => g.deviceRefs());
    const mapped = new Set([...gts.values()].flatMap((g) => g.mappings().map((m) => `${g.domid}:${m.domid}`)));
    const problems = checkInvariants(ram, frames, { external, allowForeign: (t, f) => mapped.has(`${t}:${f}`) });
    assert.deepEqual(problems, []);
  };
  return {
    ram, frames, tables, grantPtes, m2p, gts, gt1, gt2, l3, l1, own, granted, guest, crashes, d2, domain, grant,
    mapOp, mapResult, unmapOp, op, l1e, l1eHi, counts, sound, flushes: () => flushes,
  };
}

test("setup_table grows the table and returns the shared frames' MFNs; query_size reports it", () => {
  const s = setup();
  s.guest.u16(BASE, DOMID.SELF);
  s.guest.u32(BASE + 4, 4);
  s.guest.u32(BASE + 12, LIST);
  const free = s.frames.freeCount;
  assert.equal(s.op(s.d2, GNTTABOP.setup_table), 0);
  assert.equal(s.guest.i16(BASE + 8), GNTST.okay);
  const mfns = [0, 1, 2, 3].map((i) => s.guest.u32(LIST + 4 * i));
  assert.deepEqual(mfns, [0, 1, 2, 3].map((i) => s.gt2.frameMfn(i)));
  for (const m of mfns) {
    assert.equal(s.frames.owner[m], D2);
    assert.ok(s.frames.xenShared(m));
    assert.equal(s.m2p.get(m), M2P.INVALID_ENTRY);
  }
  assert.equal(s.frames.freeCount, free - 3);
  s.guest.u16(BASE, DOMID.SELF);
  assert.equal(s.op(s.d2, GNTTABOP.query_size), 0);
  assert.deepEqual([s.guest.u32(BASE + 4), s.guest.u32(BASE + 8), s.guest.i16(BASE + 12)], [4, 64, GNTST.okay]);
  s.sound();
});

test("setup_table failures go in the status and change nothing; count and struct faults are errnos", () => {
  const s = setup();
  const setupArgs = (dom: number, nr: number, list = LIST): void => {
    s.guest.u16(BASE, dom);
    s.guest.u32(BASE + 4, nr);
    s.guest.u32(BASE + 12, list);
  };
  const free = s.frames.freeCount;
  for (const [dom, nr, status] of [
    [DOMID.SELF, 65, GNTST.general_error],
    [D1, 1, GNTST.permission_denied],
    [99, 1, GNTST.bad_domain],
    [DOMID.IO, 1, GNTST.bad_domain],
  ] as const) {
    setupArgs(dom, nr);
    assert.equal(s.op(s.d2, GNTTABOP.setup_table), 0);
    assert.equal(s.guest.i16(BASE + 8), status);
  }
  setupArgs(DOMID.SELF, 2);
  assert.equal(s.op(s.d2, GNTTABOP.setup_table, 2), -ERRNO.EINVAL);
  assert.equal(s.op(s.d2, GNTTABOP.setup_table, 0), 0);
  assert.equal(s.op(s.d2, GNTTABOP.setup_table | 0x1000), -ERRNO.EINVAL, "continuation bits");
  setupArgs(DOMID.SELF, 2, 0xf57ffffc);
  assert.equal(s.op(s.d2, GNTTABOP.setup_table), -ERRNO.EFAULT, "frame_list reaches the hypervisor area");
  assert.equal(s.frames.freeCount, free);
  setupArgs(DOMID.SELF, 2);
  s.guest.roFrom = LIST + 4;
  assert.equal(s.op(s.d2, GNTTABOP.setup_table), 0);
  assert.equal(s.guest.i16(BASE + 8), GNTST.bad_virt_addr, "the table grew, the second MFN could not be written");
  s.guest.faultFrom = BASE + 8;
  assert.equal(s.op(s.d2, GNTTABOP.setup_table), -ERRNO.EFAULT);
  assert.equal(s.op(s.d2, GNTTABOP.query_size), -ERRNO.EFAULT);
  assert.equal(s.op(s.d2, GNTTABOP.query_size, 2), -ERRNO.EINVAL);
  const p = s.domain(D2, true);
  s.guest.faultFrom = BASE + 0x2000;
  s.guest.roFrom = BASE + 0x2000;
  setupArgs(D1, 1);
  assert.equal(s.op(p, GNTTABOP.query_size), 0);
  assert.equal(s.guest.i16(BASE + 12), GNTST.okay, "a privileged caller may query another domain");
  s.sound();
});

test("set_version: 1 is accepted, 2 is −ENOSYS (v1 only), others −EINVAL; the version in force is written back", () => {
  const s = setup();
  for (const [want, rc] of [[1, 0], [2, -ERRNO.ENOSYS], [0, -ERRNO.EINVAL], [3, -ERRNO.EINVAL]] as const) {
    s.guest.u32(BASE, want);
    assert.equal(s.op(s.d2, GNTTABOP.set_version), rc, `version ${want}`);
    assert.equal(s.guest.u32(BASE), 1);
  }
  s.guest.roFrom = BASE;
  s.guest.u32(BASE, 1);
  assert.equal(s.op(s.d2, GNTTABOP.set_version), -ERRNO.EFAULT);
  s.guest.roFrom = BASE + 0x2000;
  s.guest.u16(BASE, DOMID.SELF);
  s.guest.u32(BASE + 4, 0);
  assert.equal(s.op(s.d2, GNTTABOP.get_version), 0);
  assert.equal(s.guest.u32(BASE + 4), 1);
  s.guest.u16(BASE, D1);
  assert.equal(s.op(s.d2, GNTTABOP.get_version), -ERRNO.EPERM);
  s.guest.u16(BASE, 42);
  assert.equal(s.op(s.d2, GNTTABOP.get_version), -ERRNO.ESRCH);
});

test("get_status_frames: v1 has none (general_error for any), count must be 1", () => {
  const s = setup();
  s.guest.u32(BASE, 0);
  s.guest.u16(BASE + 4, DOMID.SELF);
  s.guest.u32(BASE + 8, LIST);
  assert.equal(s.op(s.d2, GNTTABOP.get_status_frames), 0);
  assert.equal(s.guest.i16(BASE + 6), GNTST.okay);
  s.guest.u32(BASE, 1);
  assert.equal(s.op(s.d2, GNTTABOP.get_status_frames), 0);
  assert.equal(s.guest.i16(BASE + 6), GNTST.general_error);
  assert.equal(s.op(s.d2, GNTTABOP.get_status_frames, 2), -ERRNO.EINVAL);
});

test("unknown, unimplemented and malformed calls", () => {
  const s = setup();
  for (const cmd of [GNTTABOP.dump_table, GNTTABOP.transfer, GNTTABOP.copy, GNTTABOP.unmap_and_replace,
    GNTTABOP.swap_grant_ref, GNTTABOP.cache_flush, 13, 0xfff]) {
    assert.equal(s.op(s.d2, cmd), -ERRNO.ENOSYS, `cmd ${cmd}`);
  }
  assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref, 0x80000000), -ERRNO.EINVAL, "(int)count < 0");
  assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref | (1 << 12)), -ERRNO.EINVAL);
  assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref, 0), 0);
});

test("map a foreign grant writable, then unmap: PTE, GTF bits, counts and handle all come and go", () => {
  const s = setup();
  s.grant(8, s.granted);
  const before = s.counts(s.granted);
  s.mapOp(BASE, { host: VA(5), flags: GNTMAP.host_map, ref: 8 });
  assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref), 0);
  const r = s.mapResult();
  assert.equal(r.status, GNTST.okay);
  assert.equal(r.bus, BigInt(s.granted) * 4096n);
  assert.equal(s.l1e(5), pte(s.granted, P | RW | PTE.ACCESSED | PTE.DIRTY));
  assert.equal(s.l1eHi(5), 0x80000000, "NX: the domain runs with NX");
  assert.ok(s.grantPtes.has(s.l1, 5));
  assert.equal(s.gt1.entryFlags(8), GTF.permit_access | GTF.reading | GTF.writing);
  assert.deepEqual(s.counts(s.granted), [before[0] + 1, before[1] + 1]);
  assert.equal(s.frames.typeInfo[s.granted], PGT.WRITABLE);
  s.sound();

  s.unmapOp(BASE, { host: VA(5), handle: r.handle });
  const flushes = s.flushes();
  assert.equal(s.op(s.d2, GNTTABOP.unmap_grant_ref), 0);
  assert.equal(s.guest.i16(BASE + 20), GNTST.okay);
  assert.equal(s.flushes(), flushes + 1);
  assert.equal(s.l1e(5), 0);
  assert.equal(s.grantPtes.size, 0);
  assert.equal(s.gt1.entryFlags(8), GTF.permit_access);
  assert.deepEqual(s.counts(s.granted), before);
  assert.equal(s.gt1.activeEntry(8), undefined);
  assert.equal(s.gt2.mappings().length, 0);
  s.sound();
  s.unmapOp(BASE, { host: VA(5), handle: r.handle });
  assert.equal(s.op(s.d2, GNTTABOP.unmap_grant_ref), 0);
  assert.equal(s.guest.i16(BASE + 20), GNTST.bad_handle, "the handle is gone");
});

test("read-only pins, then a writable one: GTF_writing follows the writable pins", () => {
  const s = setup();
  s.grant(9, s.granted);
  s.mapOp(BASE, { host: VA(1), flags: GNTMAP.host_map | GNTMAP.readonly, ref: 9 });
  s.mapOp(BASE + 32, { host: VA(2), flags: GNTMAP.host_map, ref: 9 });
  assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref, 2), 0);
  const ro = s.mapResult(BASE), rw = s.mapResult(BASE + 32);
  assert.deepEqual([ro.status, rw.status], [GNTST.okay, GNTST.okay]);
  assert.equal(s.l1e(1) & RW, 0);
  assert.equal(s.gt1.entryFlags(9), GTF.permit_access | GTF.reading | GTF.writing);
  assert.deepEqual(s.counts(s.granted), [2, 1]);
  s.sound();
  s.unmapOp(BASE, { host: VA(2), handle: rw.handle });
  assert.equal(s.op(s.d2, GNTTABOP.unmap_grant_ref), 0);
  assert.equal(s.gt1.entryFlags(9), GTF.permit_access | GTF.reading, "reading stays while the RO pin does");
  assert.deepEqual(s.counts(s.granted), [1, 0]);
  s.sound();
});

test("refused maps leave the frame, the entry, the PTE and the handles as they were", () => {
  const s = setup();
  s.grant(8, s.granted);
  s.grant(10, s.granted, D3);
  s.grant(11, s.granted, D2, GTF.permit_access | GTF.readonly);
  s.grant(12, s.own); // a frame D1 does not own
  s.grant(13, s.granted, D2, GTF.accept_transfer);
  s.grant(14, s.granted, D2, GTF.permit_access | GTF.sub_page);
  const cases: [string, Parameters<typeof s.mapOp>[1], number][] = [
    ["no host or device flag", { host: VA(3), flags: 0, ref: 8 }, GNTST.bad_gntref],
    ["DOMID_SELF is not a granter id", { host: VA(3), flags: GNTMAP.host_map, ref: 8, dom: DOMID.SELF }, GNTST.bad_domain],
    ["no such domain (XSA-316 asks dom 0; tsxen has none)", { host: VA(3), flags: GNTMAP.host_map, ref: 8, dom: 0 }, GNTST.bad_domain],
    ["ref beyond the table", { host: VA(3), flags: GNTMAP.host_map, ref: 512 }, GNTST.bad_gntref],
    ["ref far beyond", { host: VA(3), flags: GNTMAP.host_map, ref: 0xffffffff }, GNTST.bad_gntref],
    ["granted to another domain", { host: VA(3), flags: GNTMAP.host_map, ref: 10 }, GNTST.general_error],
    ["read-only grant mapped writable", { host: VA(3), flags: GNTMAP.host_map, ref: 11 }, GNTST.general_error],
    ["frame not the granter's", { host: VA(3), flags: GNTMAP.host_map, ref: 12 }, GNTST.bad_page],
    ["not permit_access", { host: VA(3), flags: GNTMAP.host_map, ref: 13 }, GNTST.general_error],
    ["sub-page grant", { host: VA(3), flags: GNTMAP.host_map, ref: 14 }, GNTST.general_error],
    ["an empty entry", { host: VA(3), flags: GNTMAP.host_map, ref: 100 }, GNTST.general_error],
    ["no L1 at host_addr", { host: 0x1000, flags: GNTMAP.host_map, ref: 8 }, GNTST.general_error],
    ["host_addr above 4 GiB", { host: 0x1_c000_3000n, flags: GNTMAP.host_map, ref: 8 }, GNTST.general_error],
    ["misaligned PTE address (XSA-227)", { host: s.l1 * 4096 + 3 * 8 - 2, flags: GNTMAP.host_map | GNTMAP.contains_pte, ref: 8 }, GNTST.general_error],
    ["PTE address in a frame that is no L1", { host: s.own * 4096, flags: GNTMAP.host_map | GNTMAP.contains_pte, ref: 8 }, GNTST.general_error],
  ];
  const flagsBefore = [8, 10, 11, 12].map((r) => s.gt1.entryFlags(r));
  for (const [why, o, status] of cases) {
    const counts = [s.counts(s.granted), s.counts(s.own)];
    s.mapOp(BASE, o);
    assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref), 0, why);
    const r = s.mapResult();
    assert.equal(r.status, status, why);
    assert.equal(r.handle, 0xeeeeeeee, `${why}: handle untouched`);
    assert.deepEqual([s.counts(s.granted), s.counts(s.own)], counts, why);
    assert.deepEqual([8, 10, 11, 12].map((r) => s.gt1.entryFlags(r)), flagsBefore, why);
    assert.equal(s.l1e(3), 0, why);
    assert.equal(s.gt1.activeEntry(8), undefined, why);
    assert.equal(s.gt2.mappings().length, 0, why);
  }
  s.sound();
});

test("a granted page-table frame cannot be mapped writable; read-only it can", () => {
  const s = setup();
  const table = s.frames.allocate(D1) as Mfn;
  assert.equal(s.frames.pin(table, D1, PGT.L1), 0);
  s.grant(8, table);
  s.mapOp(BASE, { host: VA(3), flags: GNTMAP.host_map, ref: 8 });
  assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref), 0);
  assert.equal(s.mapResult().status, GNTST.general_error);
  assert.equal(s.gt1.entryFlags(8), GTF.permit_access);
  assert.deepEqual(s.counts(table), [1, 1]);
  s.mapOp(BASE, { host: VA(3), flags: GNTMAP.host_map | GNTMAP.readonly, ref: 8 });
  assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref), 0);
  assert.equal(s.mapResult().status, GNTST.okay);
  assert.deepEqual(s.counts(table), [2, 1]);
  s.sound();
});

test("GNTMAP_contains_pte names the PTE by machine address; a present old entry's references are dropped", () => {
  const s = setup();
  s.grant(8, s.granted);
  assert.equal(s.tables.modL1Entry(s.l1, 7, pte(s.own, P | RW)), 0);
  assert.deepEqual(s.counts(s.own), [1, 1]);
  s.mapOp(BASE, { host: s.l1 * 4096 + 7 * 8, flags: GNTMAP.host_map | GNTMAP.contains_pte, ref: 8 });
  assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref), 0);
  const r = s.mapResult();
  assert.equal(r.status, GNTST.okay);
  assert.equal(s.l1e(7) >>> 12, s.granted);
  assert.deepEqual(s.counts(s.own), [0, 0], "the replaced mapping's references are gone");
  s.sound();
  // A second map onto the same (grant) PTE is refused; unmap through the other addressing works.
  s.grant(9, s.granted);
  s.mapOp(BASE, { host: VA(7), flags: GNTMAP.host_map, ref: 9 });
  assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref), 0);
  assert.equal(s.mapResult().status, GNTST.general_error);
  s.unmapOp(BASE, { host: s.l1 * 4096 + 7 * 8, handle: r.handle });
  assert.equal(s.op(s.d2, GNTTABOP.unmap_grant_ref), 0);
  assert.equal(s.guest.i16(BASE + 20), GNTST.okay);
  assert.equal(s.l1e(7), 0);
  s.sound();
});

test("unmap refuses a bad handle, a host_addr without that grant's PTE, a wrong bus address", () => {
  const s = setup();
  s.grant(8, s.granted);
  s.mapOp(BASE, { host: VA(4), flags: GNTMAP.host_map | GNTMAP.device_map, ref: 8 });
  assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref), 0);
  const r = s.mapResult();
  assert.equal(r.status, GNTST.okay);
  assert.deepEqual(s.counts(s.granted), [2, 2]);
  assert.equal(s.tables.modL1Entry(s.l1, 6, pte(s.own, P)), 0);
  const cases: [string, Parameters<typeof s.unmapOp>[1], number][] = [
    ["handle beyond the maptrack", { host: VA(4), handle: 256 }, GNTST.bad_handle],
    ["handle never used", { host: VA(4), handle: 9 }, GNTST.bad_handle],
    ["an ordinary PTE is not a grant PTE", { host: VA(6), handle: r.handle }, GNTST.general_error],
    ["no PTE there", { host: VA(5), handle: r.handle }, GNTST.general_error],
    ["bus address of another frame", { host: 0, handle: r.handle, bus: BigInt(s.own) * 4096n }, GNTST.bad_dev_addr],
  ];
  for (const [why, o, status] of cases) {
    s.unmapOp(BASE, o);
    assert.equal(s.op(s.d2, GNTTABOP.unmap_grant_ref), 0, why);
    assert.equal(s.guest.i16(BASE + 20), status, why);
    assert.deepEqual(s.counts(s.granted), [2, 2], why);
    assert.ok(s.grantPtes.has(s.l1, 4), why);
  }
  s.unmapOp(BASE, { host: 0, handle: r.handle });
  assert.equal(s.op(s.d2, GNTTABOP.unmap_grant_ref), 0);
  assert.equal(s.guest.i16(BASE + 20), GNTST.okay, "nothing named: nothing done, okay");
  assert.deepEqual(s.counts(s.granted), [2, 2]);
  s.sound();
});

test("XSA-224: host and device mappings of one's own frame, unmapped separately, drop exactly their references", () => {
  const s = setup();
  s.gts.get(D2)!.seedEntry(8, D2, s.own, GTF.permit_access);
  assert.equal(s.tables.modL1Entry(s.l1, 0, pte(s.own, P | RW)), 0); // the guest's own writable mapping
  s.mapOp(BASE, { host: VA(1), flags: GNTMAP.host_map | GNTMAP.device_map, ref: 8, dom: D2 });
  assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref), 0);
  const r = s.mapResult();
  assert.equal(r.status, GNTST.okay);
  assert.deepEqual(s.counts(s.own), [3, 3]);
  assert.deepEqual(s.gt2.deviceRefs(), [{ mfn: s.own, general: 1, type: 1 }]);
  s.sound();
  s.unmapOp(BASE, { host: VA(1), handle: r.handle });
  assert.equal(s.op(s.d2, GNTTABOP.unmap_grant_ref), 0);
  assert.equal(s.guest.i16(BASE + 20), GNTST.okay);
  assert.deepEqual(s.counts(s.own), [2, 2]);
  s.sound();
  s.unmapOp(BASE, { host: 0, handle: r.handle, bus: BigInt(s.own) * 4096n });
  assert.equal(s.op(s.d2, GNTTABOP.unmap_grant_ref), 0);
  assert.equal(s.guest.i16(BASE + 20), GNTST.okay);
  assert.deepEqual(s.counts(s.own), [1, 1]);
  assert.equal(s.gts.get(D2)!.entryFlags(8), GTF.permit_access);
  assert.equal(s.frames.pin(s.own, D2, PGT.L1), -ERRNO.EINVAL, "still mapped writable: not vulnerable");
  s.sound();
});

test("batches: a struct that cannot be read ends the batch with −EFAULT after the ops before it", () => {
  const s = setup();
  s.grant(8, s.granted);
  s.grant(9, s.granted);
  s.mapOp(BASE, { host: VA(1), flags: GNTMAP.host_map, ref: 8 });
  s.mapOp(BASE + 32, { host: VA(2), flags: GNTMAP.host_map, ref: 9 });
  s.guest.faultFrom = BASE + 40;
  assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref, 2), -ERRNO.EFAULT);
  assert.equal(s.mapResult().status, GNTST.okay);
  assert.equal(s.gt2.mappings().length, 1);
  s.guest.faultFrom = BASE + 0x2000;
  // A result that cannot be written back: the mapping is made all the same (as Xen).
  s.guest.roFrom = BASE + 32;
  assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref, 1, BASE + 32), -ERRNO.EFAULT);
  assert.equal(s.gt2.mappings().length, 2);
  s.sound();
  s.guest.roFrom = BASE + 0x2000;
  s.unmapOp(BASE, { host: VA(1), handle: 0 });
  s.unmapOp(BASE + 24, { host: VA(2), handle: 1 });
  s.guest.roFrom = BASE + 24;
  assert.equal(s.op(s.d2, GNTTABOP.unmap_grant_ref, 2), -ERRNO.EFAULT, "second status cannot be written");
  assert.equal(s.gt2.mappings().length, 0, "both unmaps happened and were completed");
  assert.deepEqual(s.counts(s.granted), [0, 0]);
  assert.equal(s.gt1.entryFlags(8), GTF.permit_access);
  s.sound();
});

test("a pinned grant can't be shared with another mapper, and the counter can't overflow", () => {
  const s = setup();
  s.grant(8, s.granted);
  s.mapOp(BASE, { host: VA(1), flags: GNTMAP.host_map | GNTMAP.readonly, ref: 8 });
  assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref), 0);
  const d3 = s.domain(D3);
  s.gt1.seedEntry(8, D3, s.granted, s.gt1.entryFlags(8)); // the granter re-targets a live grant
  s.mapOp(BASE, { host: VA(2), flags: GNTMAP.host_map | GNTMAP.readonly, ref: 8 });
  assert.equal(s.op(d3, GNTTABOP.map_grant_ref), 0);
  assert.equal(s.mapResult().status, GNTST.general_error, "active for D2");
  // 127 more read-only device pins reach 128; the next one is refused.
  for (let i = 0; i < 128; i++) {
    s.mapOp(BASE, { host: 0, flags: GNTMAP.device_map | GNTMAP.readonly, ref: 8 });
    assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref), 0);
    assert.equal(s.mapResult().status, GNTST.okay, `pin ${i}`);
  }
  s.mapOp(BASE, { host: 0, flags: GNTMAP.device_map | GNTMAP.readonly, ref: 8 });
  assert.equal(s.op(s.d2, GNTTABOP.map_grant_ref), 0);
  assert.equal(s.mapResult().status, GNTST.general_error);
  assert.deepEqual(s.counts(s.granted), [129, 0]);
  s.sound();
});
