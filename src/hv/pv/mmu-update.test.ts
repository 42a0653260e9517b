/**
 * mmu_update (§4.2) on a fake domain: batches stop at the first failure and
 * report how many requests were done; refused requests change nothing; the
 * FD/PFD rules; MACHPHYS_UPDATE; PRESERVE_AD; faults on the request buffer.
 * The invariant checker runs after every batch.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRNO } from "../../abi/errno.js";
import { DOMID, MMU } from "../../abi/hypercalls.js";
import { PTE } from "../../abi/memory-layout.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import { Ram } from "../../machine/memory/ram.js";
import { FrameTable, PGT } from "../core/frame-table.js";
import { checkInvariants } from "./invariants.js";
import { mmuUpdate, type GuestCopy, type MmuUpdateContext } from "./mmu-update.js";
import { PvPageTables } from "./page-types.js";
import { u32At, u32Bytes } from "../core/guest-copy.js";

const D1 = 1 as DomId, D2 = 2 as DomId;
const { PRESENT: P, RW, USER: US } = PTE;
const REQS = 0x1000, DONE = 0x2000;

function setup(privileged = false) {
  const ram = new Ram(4 << 20);
  const frames = new FrameTable(ram.size >>> 12);
  const tables = new PvPageTables(ram, frames);
  const alloc = (d: DomId): Mfn => frames.allocate(d) as Mfn;
  const l1 = alloc(D1), data1 = alloc(D1), data2 = alloc(D1), other = alloc(D2);
  assert.equal(frames.pin(l1, D1, PGT.L1), 0);
  // the guest's memory for requests and the done count: a sparse dword map
  const guestMem = new Map<number, number>();
  const guest: GuestCopy = {
    copyFromGuest: (va, len) => {
      if (va < REQS || va + len > REQS + 0x1000) return undefined;
      const out = new Uint8Array(len);
      for (let i = 0; i < len; i += 4) out.set(u32Bytes(guestMem.get(va + i) ?? 0), i);
      return out;
    },
    copyToGuest: (va, bytes) => { if (va !== DONE) return false; guestMem.set(va, u32At(bytes, 0)); return true; },
  };
  const m2p: [number, number][] = [];
  const changed: number[] = [];
  const ctx: MmuUpdateContext = {
    self: D1, privileged, frames, tables, mem: ram,
    domainExists: (d) => d === D1 || d === D2,
    setM2p: (mfn, pfn) => { m2p.push([mfn, pfn]); },
    tableChanged: (level) => { changed.push(level); },
  };
  const requests = (list: [number, number][]): number => {
    list.forEach(([ptr, val], i) => {
      guestMem.set(REQS + 16 * i, ptr >>> 0); guestMem.set(REQS + 16 * i + 4, 0);
      guestMem.set(REQS + 16 * i + 8, val >>> 0); guestMem.set(REQS + 16 * i + 12, 0);
    });
    return list.length;
  };
  const entry = (table: Mfn, slot: number): number => ram.read32(table * 4096 + slot * 8) >>> 0;
  const ptr = (table: Mfn, slot: number, cmd: number = MMU.NORMAL_PT_UPDATE): number => table * 4096 + slot * 8 + cmd;
  const pte = (mfn: Mfn, flags: number): number => ((mfn << 12) | flags) >>> 0;
  const sound = (): void => assert.deepEqual(checkInvariants(ram, frames, {}), []);
  return { ram, frames, ctx, guest, guestMem, requests, entry, ptr, pte, l1, data1, data2, other, m2p, changed, sound };
}

test("a batch whose 3rd request fails reports 2 done; the first two applied, the rest untouched", () => {
  const s = setup();
  const n = s.requests([
    [s.ptr(s.l1, 0), s.pte(s.data1, P | RW | US)],
    [s.ptr(s.l1, 1), s.pte(s.data2, P | US)],
    [s.ptr(s.l1, 2), s.pte(s.l1, P | RW | US)], // writable mapping of a page-table frame
    [s.ptr(s.l1, 3), s.pte(s.data1, P | US)],
  ]);
  const countsBefore = [s.frames.count[s.data1], s.frames.typeCount[s.data1]];
  const rc = mmuUpdate(s.ctx, s.guest, REQS, n, DONE, DOMID.SELF);
  assert.equal(rc, -ERRNO.EBUSY);
  assert.equal(s.guestMem.get(DONE), 2);
  assert.equal(s.entry(s.l1, 0), s.pte(s.data1, P | RW | US));
  assert.equal(s.entry(s.l1, 1), s.pte(s.data2, P | US));
  assert.equal(s.entry(s.l1, 2), 0);
  assert.equal(s.entry(s.l1, 3), 0);
  assert.deepEqual([s.frames.count[s.data1], s.frames.typeCount[s.data1]], [countsBefore[0]! + 1, countsBefore[1]! + 1]);
  s.sound();
});

test("FD/PFD: naming yourself numerically is -ESRCH, a foreign table owner without privilege -EPERM; done = 0", () => {
  const s = setup();
  const n = s.requests([[s.ptr(s.l1, 0), s.pte(s.data1, P | US)]]);
  assert.equal(mmuUpdate(s.ctx, s.guest, REQS, n, DONE, D1), -ERRNO.ESRCH);
  assert.equal(s.guestMem.get(DONE), 0);
  assert.equal(mmuUpdate(s.ctx, s.guest, REQS, n, DONE, DOMID.SELF | ((D2 + 1) << 16)), -ERRNO.EPERM);
  assert.equal(mmuUpdate(s.ctx, s.guest, REQS, n, DONE, DOMID.SELF | (7 << 16)), -ERRNO.ESRCH);
  assert.equal(s.entry(s.l1, 0), 0);
  s.sound();
});

test("a table frame of another domain is -EINVAL; mapping another domain's frame is refused", () => {
  const s = setup();
  let n = s.requests([[s.ptr(s.other, 0), 5]]);
  assert.equal(mmuUpdate(s.ctx, s.guest, REQS, n, DONE, DOMID.SELF), -ERRNO.EINVAL);
  n = s.requests([[s.ptr(s.l1, 0), s.pte(s.other, P | US)]]);
  assert.ok(mmuUpdate(s.ctx, s.guest, REQS, n, DONE, DOMID.SELF) < 0);
  assert.equal(s.entry(s.l1, 0), 0);
  s.sound();
});

test("MACHPHYS_UPDATE sets the M2P for an owned frame only", () => {
  const s = setup();
  let n = s.requests([[s.ptr(s.data1, 0, MMU.MACHPHYS_UPDATE), 0x42]]);
  assert.equal(mmuUpdate(s.ctx, s.guest, REQS, n, DONE, DOMID.SELF), 0);
  assert.deepEqual(s.m2p, [[s.data1, 0x42]]);
  n = s.requests([[s.ptr(s.other, 0, MMU.MACHPHYS_UPDATE), 0x43]]);
  assert.equal(mmuUpdate(s.ctx, s.guest, REQS, n, DONE, DOMID.SELF), -ERRNO.EINVAL);
  assert.equal(s.m2p.length, 1);
});

test("PRESERVE_AD keeps the accessed and dirty bits the old entry had; a plain frame takes a plain write", () => {
  const s = setup();
  let n = s.requests([[s.ptr(s.l1, 4), s.pte(s.data1, P | RW | US)]]);
  assert.equal(mmuUpdate(s.ctx, s.guest, REQS, n, DONE, DOMID.SELF), 0);
  s.ram.write32(s.l1 * 4096 + 4 * 8, s.entry(s.l1, 4) | 0x60); // the CPU set A and D
  n = s.requests([[s.ptr(s.l1, 4, MMU.PT_UPDATE_PRESERVE_AD), s.pte(s.data1, P | US)]]);
  assert.equal(mmuUpdate(s.ctx, s.guest, REQS, n, DONE, DOMID.SELF), 0);
  assert.equal(s.entry(s.l1, 4), s.pte(s.data1, P | US) | 0x60);
  n = s.requests([[s.ptr(s.data2, 10), 0x12345678]]);
  assert.equal(mmuUpdate(s.ctx, s.guest, REQS, n, DONE, DOMID.SELF), 0);
  assert.equal(s.ram.read32(s.data2 * 4096 + 80), 0x12345678);
  s.sound();
});

test("an unreadable request buffer is -EFAULT after the requests before it", () => {
  const s = setup();
  // 300 requests run past the readable page: the 256 in it succeed, the 257th cannot be read
  s.requests(Array.from({ length: 256 }, (): [number, number] => [s.ptr(s.l1, 0), s.pte(s.data1, P | US)]));
  const rc = mmuUpdate(s.ctx, s.guest, REQS, 300, DONE, DOMID.SELF);
  assert.equal(rc, -ERRNO.EFAULT);
  assert.equal(s.guestMem.get(DONE), 256);
  assert.equal(s.entry(s.l1, 0), s.pte(s.data1, P | US));
  s.sound();
});
