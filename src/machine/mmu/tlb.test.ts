/**
 * The modelled TLB (SDM Vol. 3 §4.10: caching of translations, INVLPG, MOV to
 * CR3, global pages): the model's set-associative round-robin replacement,
 * the flat lookup array agreeing with the model after every eviction and
 * flush, large-page splinters dropped together, geometry validation; and,
 * through real instructions on a test machine, that a translation survives a
 * page-table change until INVLPG or a CR3 load, and that a CR3 load keeps
 * global translations only when CR4.PGE = 1.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TLB_GLOBAL, TLB_LARGE, TLB_LARGE_2M, TLB_READ_SUP, Tlb } from "./tlb.js";
import { EXIT, PAGE_DIR, identityPaging, le32, poke, runToExit, testMachine } from "../cpu/test-machine.js";

/** VPNs the model currently holds (from the flat array, which must mirror it). */
function cached(tlb: Tlb, vpns: number[]): number[] {
  return vpns.filter((v) => tlb.entry[v] !== 0);
}

const val = (vpn: number, extra = 0): number => (vpn << 12) | TLB_READ_SUP | extra;

test("geometry: sets must be a power of two and divide the entries", () => {
  assert.throws(() => new Tlb({ entries: 96, ways: 4 }), /sets must be a power of two/); // 24 sets
  assert.throws(() => new Tlb({ entries: 10, ways: 4 }), /sets must be a power of two/);
  assert.throws(() => new Tlb({ entries: 12, ways: 4 }), /sets must be a power of two/); // 3 sets
  for (const g of [{ entries: 128, ways: 4 }, { entries: 64, ways: 64 }, { entries: 1, ways: 1 }, { entries: 16, ways: 1 }]) {
    const tlb = new Tlb(g);
    assert.equal(tlb.ways, g.ways);
    assert.equal(tlb.size(), 0);
  }
});

test("set-associative: a full set evicts round-robin; other sets and re-fills are unaffected", () => {
  const tlb = new Tlb({ entries: 8, ways: 2 }); // 4 sets: set = vpn & 3
  const set0 = [0x10, 0x14, 0x18, 0x1c, 0x20];
  tlb.fill(0x11, val(0x11)); // set 1
  tlb.fill(0x10, val(0x10));
  tlb.fill(0x14, val(0x14));
  assert.deepEqual(cached(tlb, set0), [0x10, 0x14]);
  tlb.fill(0x14, val(0x14, TLB_GLOBAL)); // refill of a cached page: same slot, new value, no eviction
  assert.deepEqual(cached(tlb, set0), [0x10, 0x14]);
  assert.equal(tlb.entry[0x14], val(0x14, TLB_GLOBAL));
  tlb.fill(0x18, val(0x18)); // set full: evicts way 0 (0x10)
  assert.deepEqual(cached(tlb, set0), [0x14, 0x18]);
  tlb.fill(0x1c, val(0x1c)); // next victim: way 1 (0x14)
  assert.deepEqual(cached(tlb, set0), [0x18, 0x1c]);
  tlb.fill(0x20, val(0x20)); // back to way 0 (0x18)
  assert.deepEqual(cached(tlb, set0), [0x1c, 0x20]);
  assert.equal(tlb.entry[0x11], val(0x11), "set 1 untouched");
  assert.equal(tlb.size(), 3);
  // a slot freed by INVLPG is used before anything is evicted
  tlb.flushPage(0x1c);
  tlb.fill(0x24, val(0x24));
  assert.deepEqual(cached(tlb, [...set0, 0x24]), [0x20, 0x24]);
  assert.equal(tlb.size(), 3);
});

test("a fully associative TLB evicts its oldest entries first (round-robin over all ways)", () => {
  const ways = 512;
  const tlb = new Tlb({ entries: ways, ways });
  for (let i = 0; i < ways; i++) tlb.fill(0x1000 + i, val(0x1000 + i));
  assert.equal(tlb.size(), ways);
  for (let i = 0; i < 300; i++) tlb.fill(0x2000 + i, val(0x2000 + i));
  const first = Array.from({ length: ways }, (_, i) => 0x1000 + i);
  const fresh = Array.from({ length: 300 }, (_, i) => 0x2000 + i);
  assert.equal(cached(tlb, fresh).length, 300, "every newly filled page is cached");
  assert.deepEqual(cached(tlb, first), first.slice(300), "the 300 oldest were evicted");
  assert.equal(tlb.size(), ways);
});

test("INVLPG drops one 4K page, global or not; a full flush keeps globals only when asked", () => {
  const tlb = new Tlb();
  const pages = [0x100, 0x101, 0x102, 0x200];
  tlb.fill(0x100, val(0x100));
  tlb.fill(0x101, val(0x101, TLB_GLOBAL));
  tlb.fill(0x102, val(0x102));
  tlb.fill(0x200, val(0x200, TLB_GLOBAL));
  tlb.flushPage(0x101);
  assert.deepEqual(cached(tlb, pages), [0x100, 0x102, 0x200]);
  tlb.flushPage(0x555); // nothing cached there: no effect
  assert.deepEqual(cached(tlb, pages), [0x100, 0x102, 0x200]);
  tlb.flush(true);
  assert.deepEqual(cached(tlb, pages), [0x200]);
  assert.equal(tlb.size(), 1);
  tlb.flush(false);
  assert.deepEqual(cached(tlb, pages), []);
  assert.equal(tlb.size(), 0);
});

test("large pages: INVLPG anywhere in a 4M or 2M page drops all its splinters, and only those", () => {
  const tlb = new Tlb();
  const big4m = [0x400, 0x401, 0x5ff, 0x7ff]; // splinters of the 4M page at 0x00400000
  for (const v of big4m) tlb.fill(v, val(v, TLB_LARGE));
  tlb.fill(0x405, val(0x405)); // an ordinary 4K entry inside the same 4M region
  tlb.fill(0x800, val(0x800, TLB_LARGE)); // splinter of the next 4M page
  tlb.flushPage(0x6ab);
  assert.deepEqual(cached(tlb, [...big4m, 0x405, 0x800]), [0x405, 0x800]);

  const big2m = [0xc00, 0xc01, 0xdff]; // splinters of the 2M page at 0x00c00000
  for (const v of big2m) tlb.fill(v, val(v, TLB_LARGE | TLB_LARGE_2M));
  tlb.fill(0xe00, val(0xe00, TLB_LARGE | TLB_LARGE_2M)); // next 2M page
  tlb.fill(0xbff, val(0xbff, TLB_LARGE | TLB_LARGE_2M)); // previous 2M page
  tlb.flushPage(0xdff);
  assert.deepEqual(cached(tlb, [...big2m, 0xe00, 0xbff]), [0xe00, 0xbff]);
  assert.equal(tlb.size(), 4);
});

// ---- through the CPU ------------------------------------------------------------

const LIN = 0x00400000; // linear page 0x400: PTE 0 of the second page table
const FRAME_A = 0x300000, FRAME_B = 0x301000, FRAME_C = 0x302000, FRAME_D = 0x303000;
const load = (reg: number, addr: number): number[] => [0x8b, 0x05 | (reg << 3), ...le32(addr)]; // mov r32, [addr]
const store = (addr: number, v: number): number[] => [0xc7, 0x05, ...le32(addr), ...le32(v)]; // mov dword [addr], v
const EBX = 3, ECX = 1, EDX = 2, ESI = 6, EDI = 7;

function pagedMachine(cr4: number) {
  const tm = testMachine(8);
  const pte = identityPaging(tm.pc, 8);
  for (const [f, marker] of [[FRAME_A, 0xaaaa], [FRAME_B, 0xbbbb], [FRAME_C, 0xcccc], [FRAME_D, 0xdddd]] as const) {
    tm.pc.ram.write32(f, marker);
  }
  tm.pc.ram.write32(pte(0x400), FRAME_A | 7 | 0x100); // global
  tm.pc.ram.write32(pte(0x401), FRAME_C | 7);
  tm.cpu.cr3 = PAGE_DIR;
  tm.cpu.cr4 = cr4;
  tm.cpu.cr0 = 0x80000011;
  return { ...tm, pte };
}

test("a cached translation survives a PTE change until INVLPG of that page", () => {
  const tm = pagedMachine(0);
  poke(tm.pc, 0x1000, [
    ...load(EBX, LIN),
    ...load(ESI, LIN + 0x1000),
    ...store(tm.pte(0x400), FRAME_B | 7),
    ...store(tm.pte(0x401), FRAME_D | 7),
    ...load(ECX, LIN), // stale: still frame A
    0x0f, 0x01, 0x3d, ...le32(LIN + 0x123), // invlpg [LIN + 0x123]
    ...load(EDX, LIN), // frame B
    ...load(EDI, LIN + 0x1000), // still frame C: INVLPG dropped only one page
    ...EXIT,
  ]);
  runToExit(tm.pc);
  const r = tm.cpu.regs;
  assert.deepEqual([r[EBX], r[ECX], r[EDX], r[ESI], r[EDI]], [0xaaaa, 0xaaaa, 0xbbbb, 0xcccc, 0xcccc]);
});

for (const pge of [false, true]) {
  test(`MOV to CR3 flushes every translation${pge ? " except global ones (CR4.PGE = 1)" : " (CR4.PGE = 0, G ignored)"}`, () => {
    const tm = pagedMachine(pge ? 0x80 : 0);
    poke(tm.pc, 0x1000, [
      ...load(EBX, LIN), // global page
      ...load(ESI, LIN + 0x1000), // non-global page
      ...store(tm.pte(0x400), FRAME_B | 7 | 0x100),
      ...store(tm.pte(0x401), FRAME_D | 7),
      0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8, // mov eax, cr3; mov cr3, eax
      ...load(ECX, LIN),
      ...load(EDI, LIN + 0x1000),
      ...EXIT,
    ]);
    runToExit(tm.pc);
    const r = tm.cpu.regs;
    assert.deepEqual([r[EBX], r[ESI], r[ECX], r[EDI]], [0xaaaa, 0xcccc, pge ? 0xaaaa : 0xbbbb, 0xdddd]);
  });
}

test("clearing CR4.PGE flushes global translations too", () => {
  const tm = pagedMachine(0x80);
  poke(tm.pc, 0x1000, [
    ...load(EBX, LIN),
    ...store(tm.pte(0x400), FRAME_B | 7 | 0x100),
    0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8, // CR3 reload: the global entry stays
    ...load(ECX, LIN),
    0x31, 0xc0, 0x0f, 0x22, 0xe0, // xor eax, eax; mov cr4, eax
    ...load(EDX, LIN),
    ...EXIT,
  ]);
  runToExit(tm.pc);
  const r = tm.cpu.regs;
  assert.deepEqual([r[EBX], r[ECX], r[EDX]], [0xaaaa, 0xaaaa, 0xbbbb]);
});
