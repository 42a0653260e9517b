/**
 * PvGuestMemory on an 8 MiB Ram with hand-built PAE tables
 * (docs/xen-pv32-abi.md §3.3, §5.1): page-crossing copies over
 * non-contiguous frames, read-only and not-present pages refusing the whole
 * copy, the hypervisor area, 2 MiB entries, reserved bits, and the A/D bits.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PTE, PTE_HI } from "../../abi/memory-layout.js";
import { vaddr } from "../../lib/brand.js";
import { Ram } from "../../machine/memory/ram.js";
import { PvGuestMemory } from "./guest-memory.js";

const { PRESENT: P, RW, USER: US, ACCESSED: A, DIRTY: D, PSE: PS } = PTE;
const PG = 4096;

// Frames: L3 0x10, L2s 0x11–0x14 (slots 0–3), L1s 0x20 (va 0x00400000) and 0x21 (va 0xF5600000).
const L3 = 0x10, L2_0 = 0x11, L2_3 = 0x14, L1_A = 0x20, L1_B = 0x21;
// Data frames, deliberately out of order.
const F0 = 0x100, F1 = 0x0a0, F_RO = 0x150, F4 = 0x160, F_TOP = 0x170, F_RSVD = 0x180, F_NX = 0x190;

function setup(nx = false) {
  const ram = new Ram(8 << 20);
  const set = (table: number, slot: number, lo: number, hi = 0): void => {
    ram.write32(table * PG + slot * 8, lo);
    ram.write32(table * PG + slot * 8 + 4, hi);
  };
  const lo = (table: number, slot: number): number => ram.read32(table * PG + slot * 8) >>> 0;
  const e = (frame: number, flags: number): number => ((frame << 12) | flags) >>> 0;
  for (let s = 0; s < 4; s++) set(L3, s, e(L2_0 + s, P | RW | US | A | D)); // Xen's L3 flags (0x67)
  // va 0x00400000: L2_0 slot 2 → L1_A (A clear, to watch the walk set it).
  set(L2_0, 2, e(L1_A, P | RW | US));
  set(L1_A, 0, e(F0, P | RW));
  set(L1_A, 1, e(F1, P | RW));
  set(L1_A, 2, e(F_RO, P));
  // slot 3 (va 0x403000) not present
  set(L1_A, 4, e(F4, P | RW));
  set(L1_A, 5, e(F_RSVD, P | RW), 0x10); // bit 36: reserved
  set(L1_A, 6, e(F_NX, P | RW), PTE_HI.NX);
  // va 0x00800000: a 2 MiB entry → machine 0x00600000.
  set(L2_0, 4, ((0x00600000 | P | RW | PS) >>> 0));
  // va 0xF57FF000 (last guest page): L2_3 slot 427 → L1_B slot 511. Slot 428 (0xF5800000) is mapped too.
  set(L2_3, 427, e(L1_B, P | RW | US | A));
  set(L1_B, 511, e(F_TOP, P | RW | A));
  set(L2_3, 428, e(L1_B, P | RW | A));
  set(L1_B, 0, e(F_TOP, P | RW | A));
  const gm = new PvGuestMemory(ram, () => ({ l3: L3 * PG, nx }));
  return { ram, gm, lo, set };
}

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (seed + i * 7) & 0xff);
const frameBytes = (ram: Ram, frame: number): Uint8Array => ram.u8.slice(frame * PG, (frame + 1) * PG);

test("a read across a page boundary gathers both frames", () => {
  const { ram, gm } = setup();
  ram.u8.set([1, 2, 3, 4], F0 * PG + PG - 4);
  ram.u8.set([5, 6, 7, 8], F1 * PG);
  assert.deepEqual(gm.copyFromGuest(vaddr(0x400ffc), 8), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
});

test("a write across a page boundary lands in both frames", () => {
  const { ram, gm } = setup();
  const data = bytes(100, 3);
  assert.equal(gm.copyToGuest(vaddr(0x400fd0), data), true);
  assert.deepEqual(ram.u8.slice(F0 * PG + 0xfd0, F0 * PG + PG), data.subarray(0, 48));
  assert.deepEqual(ram.u8.slice(F1 * PG, F1 * PG + 52), data.subarray(48));
  // Neighbours of the range are untouched.
  assert.equal(ram.u8[F0 * PG + 0xfcf], 0);
  assert.equal(ram.u8[F1 * PG + 52], 0);
  assert.deepEqual(gm.copyFromGuest(vaddr(0x400fd0), 100), data);
});

test("a read-only page refuses the write and nothing is written", () => {
  const { ram, gm } = setup();
  // Range: last bytes of F1 (writable) then the read-only F_RO.
  assert.equal(gm.copyToGuest(vaddr(0x401ff0), bytes(32, 9)), false);
  assert.deepEqual(frameBytes(ram, F1), new Uint8Array(PG));
  assert.deepEqual(frameBytes(ram, F_RO), new Uint8Array(PG));
  // Reading it is fine (supervisor, no US needed).
  ram.u8[F_RO * PG + 5] = 0x5a;
  assert.deepEqual(gm.copyFromGuest(vaddr(0x402004), 2), Uint8Array.of(0, 0x5a));
});

test("a not-present page in the middle fails the whole copy with nothing written", () => {
  const { ram, gm } = setup();
  // 0x402800..0x404800 covers F_RO (read), the hole at 0x403000, then F4.
  assert.equal(gm.copyFromGuest(vaddr(0x402800), 0x2000), undefined);
  // Writable pages around a hole: remap slot 2 writable to test the write path.
  const { ram: ram2, gm: gm2, set } = setup();
  set(L1_A, 2, ((F_RO << 12) | P | RW) >>> 0);
  assert.equal(gm2.copyToGuest(vaddr(0x402800), bytes(0x2000, 1)), false);
  assert.deepEqual(frameBytes(ram2, F_RO), new Uint8Array(PG));
  assert.deepEqual(frameBytes(ram2, F4), new Uint8Array(PG));
  assert.deepEqual(frameBytes(ram, F4), new Uint8Array(PG));
});

test("the hypervisor area and wrapping ranges fail, even when mapped", () => {
  const { ram, gm } = setup();
  ram.u8[F_TOP * PG + 0xfff] = 0x77;
  assert.deepEqual(gm.copyFromGuest(vaddr(0xf57fffff), 1), Uint8Array.of(0x77));
  assert.equal(gm.copyFromGuest(vaddr(0xf57fffff), 2), undefined);
  assert.equal(gm.copyFromGuest(vaddr(0xf5800000), 4), undefined);
  assert.equal(gm.copyToGuest(vaddr(0xf57ffffe), bytes(4, 0)), false);
  assert.equal(ram.u8[F_TOP * PG + 0xffe], 0);
  assert.equal(ram.u8[F_TOP * PG + 0xfff], 0x77);
  assert.equal(gm.copyToGuest(vaddr(0xf5800000), bytes(4, 0)), false);
  assert.deepEqual(frameBytes(ram, F_TOP).subarray(0, 16), new Uint8Array(16));
  assert.equal(gm.copyFromGuest(vaddr(0xfffffff0), 32), undefined);
  assert.equal(gm.copyFromGuest(vaddr(0x400000), -1), undefined);
});

test("len 0 succeeds and touches nothing", () => {
  const { ram, gm } = setup();
  const before = ram.u8.slice();
  assert.deepEqual(gm.copyFromGuest(vaddr(0x403000), 0), new Uint8Array(0));
  assert.equal(gm.copyToGuest(vaddr(0x402000), new Uint8Array(0)), true);
  assert.deepEqual(ram.u8, before);
});

test("a 2 MiB entry maps the whole superpage", () => {
  const { ram, gm, lo } = setup();
  assert.equal(gm.copyToGuest(vaddr(0x800000 + 0x12ffe), Uint8Array.of(9, 8, 7, 6)), true);
  assert.deepEqual(ram.u8.slice(0x612ffe, 0x613002), Uint8Array.of(9, 8, 7, 6));
  assert.equal(lo(L2_0, 4) & (A | D), A | D);
});

test("reserved bits fail; NX is reserved only without EFER.NXE", () => {
  const { gm } = setup();
  assert.equal(gm.copyFromGuest(vaddr(0x405000), 1), undefined);
  assert.equal(gm.copyFromGuest(vaddr(0x406000), 1), undefined);
  const { gm: gmNx } = setup(true);
  assert.equal(gmNx.copyFromGuest(vaddr(0x405000), 1), undefined);
  assert.deepEqual(gmNx.copyFromGuest(vaddr(0x406000), 1), Uint8Array.of(0));
  assert.equal(gmNx.copyToGuest(vaddr(0x406000), Uint8Array.of(1)), true);
});

test("a not-present or read-only L2/L3 entry faults like the leaf", () => {
  const { gm, set } = setup();
  set(L2_0, 2, ((L1_A << 12) | P | US) >>> 0);
  assert.deepEqual(gm.copyFromGuest(vaddr(0x400000), 1), Uint8Array.of(0));
  assert.equal(gm.copyToGuest(vaddr(0x400000), Uint8Array.of(1)), false);
  set(L3, 0, 0);
  assert.equal(gm.copyFromGuest(vaddr(0x400000), 1), undefined);
});

test("A/D bits: reads set A on the L2 and the leaf, writes A|D; failures set nothing", () => {
  const { gm, lo } = setup();
  assert.notEqual(gm.copyFromGuest(vaddr(0x400ff0), 0x20), undefined);
  assert.equal(lo(L2_0, 2) & (A | D), A);
  assert.equal(lo(L1_A, 0) & (A | D), A);
  assert.equal(lo(L1_A, 1) & (A | D), A);
  assert.equal(lo(L3, 0) & (A | D), A | D); // L3 untouched (was 0x67)
  assert.equal(gm.copyToGuest(vaddr(0x400ff0), bytes(8, 0)), true);
  assert.equal(lo(L1_A, 0) & (A | D), A | D);
  assert.equal(lo(L1_A, 1) & (A | D), A); // not written to
  // Failed copies mark nothing: F4 is fine but the range also covers the hole.
  assert.equal(gm.copyToGuest(vaddr(0x403ff0), bytes(32, 0)), false);
  assert.equal(lo(L1_A, 4) & (A | D), 0);
  assert.equal(gm.copyFromGuest(vaddr(0x402ff0), 32), undefined);
  assert.equal(lo(L1_A, 2) & (A | D), 0);
});
