/**
 * The page walk (SDM Vol. 3 §4.3 32-bit paging, §4.4 PAE, §4.6 access rights,
 * §4.7 #PF error code, §4.8 accessed and dirty flags) driven directly: a
 * fake PagingState (CR0/CR2/CR3/CR4/EFER/PDPTEs) over real RAM and a TLB.
 * Each case checks the returned TLB entry, what the walk wrote to the paging
 * structures (and that it wrote nothing else), CR2 and the error code.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Ram } from "../memory/ram.js";
import {
  ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, PAGE_FAULT, PFEC_I, PFEC_P, PFEC_RSVD, PFEC_U, PFEC_W, loadPdptes, walk,
  type PagingState,
} from "./page-walk.js";
import {
  TLB_EXEC_SUP, TLB_EXEC_USER, TLB_GLOBAL, TLB_LARGE, TLB_LARGE_2M, TLB_READ_SUP, TLB_READ_USER, TLB_SLOW, TLB_WRITE_SUP,
  TLB_WRITE_USER, Tlb,
} from "./tlb.js";

const P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
const CR0_PG = 1 << 31, CR0_WP = 1 << 16, CR4_PSE = 1 << 4, CR4_PAE = 1 << 5, CR4_PGE = 1 << 7, NXE = 1 << 11;
const PD = 0x10000, PT = 0x11000, PDPT = 0x20000;
const RS = TLB_READ_SUP, WS = TLB_WRITE_SUP, RU = TLB_READ_USER, WU = TLB_WRITE_USER, XS = TLB_EXEC_SUP, XU = TLB_EXEC_USER;
const ALL_READ = RS | RU | XS | XU;

interface Walker { ram: Ram; tlb: Tlb; st: PagingState }

function walker(cr4 = 0, cr0 = CR0_PG | 0x11): Walker {
  const ram = new Ram(16 * 1024 * 1024);
  const tlb = new Tlb();
  const st: PagingState = { cr0, cr2: 0x5a5a5a5a, cr3: (cr4 & CR4_PAE) !== 0 ? PDPT : PD, cr4, efer: 0, pdpte: new Int32Array(8) };
  return { ram, tlb, st };
}

/** A copy of RAM's paging area, to prove what the walk did and did not write. */
const tables = (w: Walker): Int32Array => w.ram.i32.slice(PD >>> 2, (PDPT + 0x4000) >>> 2);

function ok(w: Walker, lin: number, kind: number, user: boolean, want: number): void {
  const before = w.st.cr2;
  const v = walk(w.st, w.ram, w.tlb, lin, kind, user);
  assert.equal(hex(v), hex(want), `TLB value for ${hex(lin)}`);
  assert.equal(w.tlb.entry[lin >>> 12], v, "cached in the TLB");
  assert.equal(w.st.cr2, before, "CR2 untouched on success");
}

function fault(w: Walker, lin: number, kind: number, user: boolean, code: number, what = ""): void {
  const cached = w.tlb.entry[lin >>> 12];
  assert.throws(() => walk(w.st, w.ram, w.tlb, lin, kind, user), (e: unknown) => {
    assert.equal(e, PAGE_FAULT, `${what}: expected a page fault`);
    assert.equal(hex(PAGE_FAULT.errorCode), hex(code), `${what}: error code`);
    return true;
  });
  assert.equal(w.st.cr2 >>> 0, lin >>> 0, `${what}: CR2`);
  assert.equal(w.tlb.entry[lin >>> 12], cached, `${what}: nothing cached`);
}

/** Assert the walk wrote exactly `changes` (address -> new dword) to the paging area since `before`. */
function wrote(w: Walker, before: Int32Array, changes: Record<number, number>, what: string): void {
  const expected = before.slice();
  for (const [addr, v] of Object.entries(changes)) expected[(Number(addr) - PD) >>> 2] = v;
  const after = tables(w);
  for (let i = 0; i < after.length; i++) {
    if (after[i] !== expected[i]) assert.fail(`${what}: dword at ${hex(PD + i * 4)} is ${hex(after[i]!)}, expected ${hex(expected[i]!)}`);
  }
}

const hex = (v: number): string => "0x" + (v >>> 0).toString(16);

// ---- 32-bit paging ----------------------------------------------------------

const LIN = 0x00401123; // dir 1, table 1
const PDE1 = PD + 4, PTE1 = PT + 4;

function twoLevel(pde: number, pte: number, cr4 = 0, cr0?: number): Walker {
  const w = walker(cr4, cr0);
  w.ram.write32(PDE1, pde);
  w.ram.write32(PTE1, pte);
  return w;
}

test("32-bit 4K: read sets A on PDE and PTE, no D, and caches a read-only translation", () => {
  const w = twoLevel(PT | P | RW | US, 0x5000 | P | RW | US);
  const t0 = tables(w);
  ok(w, LIN, ACCESS_READ, false, 0x5000 | ALL_READ);
  wrote(w, t0, { [PDE1]: PT | P | RW | US | A, [PTE1]: 0x5000 | P | RW | US | A }, "read");
  // the first write re-walks and sets D; then the translation is writable
  const t1 = tables(w);
  ok(w, LIN, ACCESS_WRITE, false, 0x5000 | ALL_READ | WS | WU);
  wrote(w, t1, { [PTE1]: 0x5000 | P | RW | US | A | D }, "write");
  // a walk over already-set A/D bits writes nothing
  const t2 = tables(w);
  ok(w, LIN, ACCESS_WRITE, true, 0x5000 | ALL_READ | WS | WU);
  wrote(w, t2, {}, "second write");
});

test("32-bit 4K: supervisor page gives no user rights; read-only page gives no write rights", () => {
  const w = twoLevel(PT | P | RW | US, 0x5000 | P | RW | A | D);
  ok(w, LIN, ACCESS_READ, false, 0x5000 | RS | WS | XS);
  // read-only via the PDE: users never write; supervisors only while CR0.WP = 0
  ok(twoLevel(PT | P | US, 0x5000 | P | RW | US | A | D, 0, CR0_PG | CR0_WP | 0x11), LIN, ACCESS_READ, true, 0x5000 | ALL_READ);
  ok(twoLevel(PT | P | US, 0x5000 | P | RW | US | A | D), LIN, ACCESS_READ, true, 0x5000 | ALL_READ | WS);
});

test("32-bit: not-present PDE is #PF with P=0; W and U report the access; nothing is written", () => {
  for (const [kind, user, code] of [
    [ACCESS_READ, false, 0], [ACCESS_WRITE, false, PFEC_W], [ACCESS_READ, true, PFEC_U], [ACCESS_WRITE, true, PFEC_W | PFEC_U],
    [ACCESS_EXEC, false, 0], // no I bit without PAE+NXE
  ] as const) {
    const w = twoLevel(PT | RW | US, 0x5000 | P | RW | US);
    const t0 = tables(w);
    fault(w, LIN, kind, user, code, `kind ${kind} user ${user}`);
    wrote(w, t0, {}, "not-present PDE");
  }
});

test("32-bit: not-present PTE sets A on the PDE it passed, not on the PTE", () => {
  const w = twoLevel(PT | P | RW | US, 0x5000 | RW | US);
  const t0 = tables(w);
  fault(w, LIN, ACCESS_WRITE, true, PFEC_W | PFEC_U, "not-present PTE");
  wrote(w, t0, { [PDE1]: PT | P | RW | US | A }, "not-present PTE");
});

test("32-bit: protection faults have P=1 and leave the leaf's A/D clear", () => {
  const cases: [string, number, number, number, boolean, number, number][] = [
    // name, pde, pte, kind, user, cr0 extra, code
    ["user read of supervisor PTE", PT | P | RW | US, 0x5000 | P | RW, ACCESS_READ, true, 0, PFEC_P | PFEC_U],
    ["user read of supervisor PDE", PT | P | RW, 0x5000 | P | RW | US, ACCESS_READ, true, 0, PFEC_P | PFEC_U],
    ["user write of read-only PTE", PT | P | RW | US, 0x5000 | P | US, ACCESS_WRITE, true, 0, PFEC_P | PFEC_W | PFEC_U],
    ["user write of read-only PDE", PT | P | US, 0x5000 | P | RW | US, ACCESS_WRITE, true, 0, PFEC_P | PFEC_W | PFEC_U],
    ["user write, WP off", PT | P | US, 0x5000 | P | US, ACCESS_WRITE, true, 0, PFEC_P | PFEC_W | PFEC_U],
    ["supervisor write of read-only, WP on", PT | P | RW | US, 0x5000 | P | US, ACCESS_WRITE, false, CR0_WP, PFEC_P | PFEC_W],
    ["user fetch of supervisor page", PT | P | RW | US, 0x5000 | P | RW, ACCESS_EXEC, true, 0, PFEC_P | PFEC_U],
  ];
  for (const [name, pde, pte, kind, user, cr0, code] of cases) {
    const w = twoLevel(pde, pte, 0, CR0_PG | 0x11 | cr0);
    const t0 = tables(w);
    fault(w, LIN, kind, user, code, name);
    wrote(w, t0, { [PDE1]: pde | A }, name);
  }
});

test("WP=0: supervisor writes to read-only pages succeed, set D, and stay read-only for users", () => {
  const w = twoLevel(PT | P | US, 0x5000 | P | US);
  const t0 = tables(w);
  ok(w, LIN, ACCESS_WRITE, false, 0x5000 | ALL_READ | WS);
  wrote(w, t0, { [PDE1]: PT | P | US | A, [PTE1]: 0x5000 | P | US | A | D }, "WP=0 write");
  // with WP=1 the same entry gives no supervisor write right
  const p = twoLevel(PT | P | US | A, 0x5000 | P | US | A | D, 0, CR0_PG | CR0_WP | 0x11);
  ok(p, LIN, ACCESS_READ, false, 0x5000 | ALL_READ);
});

test("global pages: G marks the TLB entry only with CR4.PGE", () => {
  ok(twoLevel(PT | P | RW, 0x5000 | P | RW | A | D | G, CR4_PGE), LIN, ACCESS_READ, false, 0x5000 | RS | WS | XS | TLB_GLOBAL);
  ok(twoLevel(PT | P | RW, 0x5000 | P | RW | A | D | G), LIN, ACCESS_READ, false, 0x5000 | RS | WS | XS);
  ok(twoLevel(PT | P | RW | G, 0x5000 | P | RW | A | D, CR4_PGE), LIN, ACCESS_READ, false, 0x5000 | RS | WS | XS); // G in a PDE that points to a table is ignored
});

test("32-bit 4M pages with CR4.PSE: A/D on the PDE, frame from the PDE plus linear bits 21:12", () => {
  const lin = 0x00812345; // dir 2
  const pdeAddr = PD + 8;
  const w = walker(CR4_PSE);
  w.ram.write32(pdeAddr, 0x00400000 | PS | P | RW | US);
  const t0 = tables(w);
  ok(w, lin, ACCESS_READ, true, 0x00412000 | ALL_READ | TLB_LARGE);
  wrote(w, t0, { [pdeAddr]: 0x00400000 | PS | P | RW | US | A }, "4M read");
  const t1 = tables(w);
  ok(w, lin, ACCESS_WRITE, true, 0x00412000 | ALL_READ | WS | WU | TLB_LARGE);
  wrote(w, t1, { [pdeAddr]: 0x00400000 | PS | P | RW | US | A | D }, "4M write");
  // user write to a read-only 4M page: #PF, no D
  const r = walker(CR4_PSE);
  r.ram.write32(pdeAddr, 0x00400000 | PS | P | US);
  const t2 = tables(r);
  fault(r, lin, ACCESS_WRITE, true, PFEC_P | PFEC_W | PFEC_U, "4M read-only");
  wrote(r, t2, {}, "4M read-only");
});

test("32-bit without CR4.PSE: the PS bit is ignored and the PDE points to a page table", () => {
  const lin = 0x00812345;
  const w = walker(0);
  w.ram.write32(PD + 8, 0x00400000 | PS | P | RW | US);
  w.ram.write32(0x00400000 + 0x12 * 4, 0x7000 | P | RW | US);
  ok(w, lin, ACCESS_READ, false, 0x7000 | ALL_READ);
  assert.equal(w.ram.read32(0x00400000 + 0x12 * 4), 0x7000 | P | RW | US | A);
});

test("32-bit 4M PDE: bit 21 is reserved (#PF with P and RSVD, nothing written)", () => {
  const w = walker(CR4_PSE);
  w.ram.write32(PD + 8, 0x00400000 | (1 << 21) | PS | P | RW | US);
  const t0 = tables(w);
  fault(w, 0x00812345, ACCESS_WRITE, true, PFEC_P | PFEC_RSVD | PFEC_W | PFEC_U, "bit 21");
  wrote(w, t0, {}, "bit 21");
});

// SDM Vol. 3 Table 4-4 note 2: without PSE-36 (CPUID.01H:EDX[17] = 0, as this
// CPU reports) M is 32 and bits 21:13 of a 4 MiB PDE are all reserved; even
// with PSE-36, bits 21:(M-19) are reserved and CPUID.80000008H reports
// MAXPHYADDR = 36, so bit 17 (physical bit 36) is reserved in any case.
test("32-bit 4M PDE: bit 17 (physical address bit 36 > MAXPHYADDR 36) is reserved", () => {
  const w = walker(CR4_PSE);
  w.ram.write32(PD + 8, 0x00400000 | (1 << 17) | PS | P | RW | US);
  fault(w, 0x00812345, ACCESS_READ, false, PFEC_P | PFEC_RSVD, "bit 17");
});

test("32-bit 4M PDE: bit 13 is reserved when CPUID does not report PSE-36", () => {
  const w = walker(CR4_PSE);
  w.ram.write32(PD + 8, 0x00400000 | (1 << 13) | PS | P | RW | US);
  fault(w, 0x00812345, ACCESS_READ, false, PFEC_P | PFEC_RSVD, "bit 13");
});

test("paging off: identity with all rights; beyond RAM is cached as slow (open bus)", () => {
  const w = walker(0, 0x11);
  ok(w, 0x00345678, ACCESS_WRITE, true, 0x00345000 | ALL_READ | WS | WU);
  ok(w, 0x40000000, ACCESS_READ, false, 0x40000000 | TLB_SLOW);
});

test("a 4K page mapped beyond RAM is cached as slow, keeping no rights", () => {
  const w = twoLevel(PT | P | RW | US, 0x02000000 | P | RW | US | A | D);
  ok(w, LIN, ACCESS_READ, false, 0x02000000 | TLB_SLOW);
});

// ---- PAE paging ---------------------------------------------------------------

const PAE_LIN = 0x40201123; // PDPTE 1, dir 1, table 1
const PAE_PD = 0x12000, PAE_PT = 0x13000;
const PAE_PDE = PAE_PD + 8, PAE_PTE = PAE_PT + 8;

function pae(pde: [number, number], pte: [number, number], nxe = false, cr4 = CR4_PAE): Walker {
  const w = walker(cr4);
  w.st.efer = nxe ? NXE : 0;
  w.ram.write32(PDPT + 8, PAE_PD | P);
  w.ram.write32(PAE_PDE, pde[0]);
  w.ram.write32(PAE_PDE + 4, pde[1]);
  w.ram.write32(PAE_PTE, pte[0]);
  w.ram.write32(PAE_PTE + 4, pte[1]);
  assert.ok(loadPdptes(PDPT, w.ram, w.st.pdpte));
  return w;
}

test("PAE 4K: A on PDE and PTE, D on the PTE on write", () => {
  const w = pae([PAE_PT | P | RW | US, 0], [0x6000 | P | RW | US, 0]);
  const t0 = tables(w);
  ok(w, PAE_LIN, ACCESS_READ, true, 0x6000 | ALL_READ);
  wrote(w, t0, { [PAE_PDE]: PAE_PT | P | RW | US | A, [PAE_PTE]: 0x6000 | P | RW | US | A }, "PAE read");
  const t1 = tables(w);
  ok(w, PAE_LIN, ACCESS_WRITE, true, 0x6000 | ALL_READ | WS | WU);
  wrote(w, t1, { [PAE_PTE]: 0x6000 | P | RW | US | A | D }, "PAE write");
});

test("PAE: not-present PDPTE, PDE, PTE; A on the PDE passed on the way", () => {
  const w = pae([PAE_PT | P | RW | US, 0], [0x6000 | RW | US, 0]);
  const t0 = tables(w);
  fault(w, PAE_LIN, ACCESS_READ, false, 0, "PTE not present");
  wrote(w, t0, { [PAE_PDE]: PAE_PT | P | RW | US | A }, "PTE not present");
  const x = pae([PAE_PT | RW | US, 0], [0x6000 | P | RW | US, 0]);
  fault(x, PAE_LIN, ACCESS_WRITE, true, PFEC_W | PFEC_U, "PDE not present");
  fault(x, 0x00001000, ACCESS_READ, false, 0, "PDPTE 0 not present");
});

test("PAE 2M pages: frame from the PDE plus linear bits 20:12, A/D on the PDE", () => {
  const lin = 0x40412345; // PDPTE 1, dir 2
  const w = pae([0, 0], [0, 0]);
  w.ram.write32(PAE_PD + 16, 0x00600000 | PS | P | RW | US);
  const t0 = tables(w);
  ok(w, lin, ACCESS_WRITE, false, 0x00612000 | ALL_READ | WS | WU | TLB_LARGE | TLB_LARGE_2M);
  wrote(w, t0, { [PAE_PD + 16]: 0x00600000 | PS | P | RW | US | A | D }, "2M write");
  w.ram.write32(PAE_PD + 16, 0x00600000 | (1 << 13) | PS | P | RW | US);
  fault(w, lin, ACCESS_READ, false, PFEC_P | PFEC_RSVD, "2M bit 13 reserved");
});

test("PAE reserved bits: physical bits 36+ in a PTE or PDE are #PF with RSVD", () => {
  fault(pae([PAE_PT | P | RW | US, 0], [0x6000 | P | RW | US, 1 << 4]), PAE_LIN, ACCESS_READ, true,
    PFEC_P | PFEC_RSVD | PFEC_U, "PTE bit 36");
  fault(pae([PAE_PT | P | RW | US, 1 << 20], [0x6000 | P | RW | US, 0]), PAE_LIN, ACCESS_WRITE, false,
    PFEC_P | PFEC_RSVD | PFEC_W, "PDE bit 52");
  const w = pae([PAE_PT | P | RW | US, 0], [0x6000 | P | RW | US, 1 << 4]);
  const t0 = tables(w);
  fault(w, PAE_LIN, ACCESS_READ, false, PFEC_P | PFEC_RSVD, "no A/D on a reserved-bit fault");
  wrote(w, t0, { [PAE_PDE]: PAE_PT | P | RW | US | A }, "reserved-bit fault");
});

test("NX: bit 63 forbids fetches only with EFER.NXE; fetch faults then report I", () => {
  const NX = 1 << 31;
  // NXE on, NX in the PTE: reads fine, fetches #PF with P|I, no exec rights cached
  const w = pae([PAE_PT | P | RW | US, 0], [0x6000 | P | RW | US | A | D, NX], true);
  ok(w, PAE_LIN, ACCESS_READ, false, 0x6000 | RS | RU | WS | WU);
  w.tlb.flush(false);
  fault(w, PAE_LIN, ACCESS_EXEC, false, PFEC_P | PFEC_I, "NX supervisor fetch");
  fault(w, PAE_LIN, ACCESS_EXEC, true, PFEC_P | PFEC_I | PFEC_U, "NX user fetch");
  // NX in the PDE covers the whole table
  const d = pae([PAE_PT | P | RW | US, NX], [0x6000 | P | RW | US, 0], true);
  fault(d, PAE_LIN, ACCESS_EXEC, false, PFEC_P | PFEC_I, "NX via PDE");
  // not-present fetch with NXE reports I even with P=0
  const n = pae([PAE_PT | P | RW | US, 0], [0, 0], true);
  fault(n, PAE_LIN, ACCESS_EXEC, true, PFEC_I | PFEC_U, "not-present fetch with NXE");
  // NXE off: bit 63 is reserved, for every kind of access, and I is never set
  const r = pae([PAE_PT | P | RW | US, 0], [0x6000 | P | RW | US, NX], false);
  fault(r, PAE_LIN, ACCESS_READ, false, PFEC_P | PFEC_RSVD, "bit 63 reserved without NXE");
  fault(r, PAE_LIN, ACCESS_EXEC, false, PFEC_P | PFEC_RSVD, "fetch, bit 63 reserved without NXE");
});

test("loadPdptes: present entries with reserved bits are refused and the registers kept", () => {
  const w = walker(CR4_PAE);
  const regs = w.st.pdpte;
  w.ram.write32(PDPT, PAE_PD | P);
  w.ram.write32(PDPT + 16, 0xdead0000); // not present: any bits allowed
  w.ram.write32(PDPT + 20, 0xffffffff);
  assert.ok(loadPdptes(PDPT, w.ram, regs));
  assert.deepEqual(Array.from(regs), [PAE_PD | P, 0, 0, 0, 0xdead0000 | 0, -1, 0, 0]);
  const good = Array.from(regs);
  for (const [what, lo, hi] of [
    ["bit 1 (R/W)", PAE_PD | P | RW, 0], ["bit 2 (U/S)", PAE_PD | P | US, 0], ["bit 5", PAE_PD | P | A, 0],
    ["bit 7", PAE_PD | P | PS, 0], ["bit 8", PAE_PD | P | G, 0], ["bit 36", PAE_PD | P, 1 << 4], ["bit 63", PAE_PD | P, 1 << 31],
  ] as const) {
    w.ram.write32(PDPT + 24, lo);
    w.ram.write32(PDPT + 28, hi);
    assert.equal(loadPdptes(PDPT, w.ram, regs), false, what);
    assert.deepEqual(Array.from(regs), good, `${what}: registers unchanged`);
  }
  // bits 3, 4 (PWT, PCD) and 9-11 are allowed; CR3 bits 4:0 are ignored
  w.ram.write32(PDPT + 24, PAE_PD | P | 0x18 | 0xe00);
  w.ram.write32(PDPT + 28, 0xf);
  assert.ok(loadPdptes(PDPT | 0x1f, w.ram, regs));
  assert.deepEqual(Array.from(regs.subarray(6)), [PAE_PD | P | 0x18 | 0xe00, 0xf]);
});

test("PAE: the walk uses the PDPTE registers, not the PDPT in memory", () => {
  const w = pae([PAE_PT | P | RW | US, 0], [0x6000 | P | RW | US, 0]);
  w.ram.write32(PDPT + 8, 0); // cleared in memory after the load
  ok(w, PAE_LIN, ACCESS_READ, false, 0x6000 | ALL_READ);
  assert.equal(w.ram.read32(PDPT + 8), 0, "PDPTEs are never written");
});
