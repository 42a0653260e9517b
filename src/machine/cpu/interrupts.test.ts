/**
 * The fast paths of event delivery and IRET (interrupts.ts, SDM Vol. 3
 * §6.12.1, Vol. 2 IRET) against the general paths. Each random case sets up
 * a machine (GDT with flat and mutated descriptors, TSS, IDT gate, stacks,
 * paging with altered PTEs, a partly warm TLB, lazy flags, decoded code on
 * a stack page, sometimes a data breakpoint or a ring-0 host) and delivers
 * one event or runs one IRET from that same state on two machines, one
 * with cpu.fastEvents on and one with it off. Registers, segment caches,
 * the RAM the case can write, the TLB, the cycles charged and the outcome
 * (delivered, the fault raised, or a triple fault) must agree, and enough
 * cases must take the fast path for the comparison to mean something.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FAULT, TripleFault } from "./fault.js";
import { KIND_EXCEPTION, KIND_EXTERNAL, KIND_SOFTWARE, deliverFast, iret, iretFast, raiseEvent } from "./interrupts.js";
import { CS, DS, ES, ESP, FS, GS, SS } from "./registers.js";
import { ATTR_CODE32, ATTR_DATA32, setNull, setSegment } from "./segmentation.js";
import { GDT, IDT, PAGE_DIR, TSS, identityPaging, snapshot, testMachine, type TestMachine } from "./test-machine.js";
import { ACCESS_READ, ACCESS_WRITE } from "../mmu/page-walk.js";
import type { TrapFrame } from "../exits.js";

/** mulberry32: a small seeded generator, so a failing case can be rebuilt from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random choices; in a tame case (half of them) the unusual ones are eight times rarer. */
class Gen {
  private readonly next: () => number;
  private readonly scale: number;
  constructor(seed: number) {
    this.next = rng(seed);
    this.scale = this.next() < 0.5 ? 1 : 1 / 8;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  chance(p: number): boolean { return this.next() < p; }
  /** Something unusual, with probability `p` (scaled down in a tame case). */
  odd(p: number): boolean { return this.next() < p * this.scale; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  u32(): number { return ((this.int(0x10000) << 16) | this.int(0x10000)) | 0; }
}

/** Raw descriptor words (test-machine.ts `descriptor` layout). */
function descWords(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | ((access & 0xff) << 8) | ((base >>> 16) & 0xff);
  return [lo, hi];
}

/**
 * Flat ring-r code (index 1 + 2r) and data (index 2 + 2r), accessed; slots
 * 9 + j and 17 + j are mutants of slot 1 + j (one bit flipped, sometimes a
 * small limit or another base), or random words.
 */
const codeSel = (r: number): number => ((1 + 2 * r) << 3) | r;
const dataSel = (r: number): number => ((2 + 2 * r) << 3) | r;
const ENTRIES = 25;

function writeGdt(tm: TestMachine, g: Gen, base: number): number[][] {
  const words: number[][] = [[0, 0]];
  for (let r = 0; r < 4; r++) {
    words.push(descWords(0, 0xfffff, 0x9b | (r << 5), 0xc));
    words.push(descWords(0, 0xfffff, 0x93 | (r << 5), 0xc));
  }
  for (let i = 9; i < ENTRIES; i++) {
    const [lo, hi] = words[1 + ((i - 9) & 7)]!;
    if (g.odd(0.15)) { words.push([g.u32(), g.u32()]); continue; }
    // one bit of the access byte or flags flipped, a small limit, or another base
    const how = g.int(10);
    if (how < 6) words.push([lo, hi ^ (1 << g.pick([8, 9, 10, 10, 11, 12, 13, 14, 15, 20, 22, 22, 23]))]);
    else if (how < 9) words.push([(lo & ~0xffff) | g.pick([0x0fff, 0x8fff, 0x1234, 0x2000]), hi & ~0x8f0000]);
    else words.push([(lo & 0xffff) | (0x1000 << 16), hi]);
  }
  for (let i = 0; i < ENTRIES; i++) {
    tm.pc.ram.write32(base + i * 8, words[i]![0]!);
    tm.pc.ram.write32(base + i * 8 + 4, words[i]![1]!);
  }
  return words;
}

/** A selector for the checks: mostly the natural one, else a mutant of it, another RPL, or anything in or around the table. */
function someSel(g: Gen, natural: number): number {
  if (!g.odd(0.5)) return natural;
  const mutant = (((natural >> 3) + 8 + 8 * g.int(2)) << 3) | (natural & 3);
  return g.pick([
    mutant, mutant, mutant, mutant, natural ^ (1 + g.int(3)), natural ^ (1 + g.int(3)), 0, 3,
    (g.int(ENTRIES) << 3) | g.int(4), (g.int(ENTRIES) << 3) | 4 | g.int(4), (0x40 << 3) | g.int(4),
  ]);
}

function someEsp(g: Gen): number {
  if (!g.odd(0.5)) return g.pick([0x9000, 0x8800, 0x8ffc]);
  return g.pick([0x9010, 0x900a, 0x8002, 0x10, 0, 0x7008, 0xa000, 0x3ff000, g.u32()]);
}

interface Rig {
  tm: TestMachine;
  traps: TrapFrame[];
  /** Counters at the start of the case (the two machines serve case after case). */
  now: number;
  deliveries: number;
  fills: number;
}

/** The RAM a case can write: tables, stacks, page tables, and the top page. */
const REGIONS: readonly (readonly [number, number])[] = [[0, 0x20000], [0x3f0000, 0x400000]];

function newRig(fast: boolean): Rig {
  const tm = testMachine(4);
  tm.cpu.fastEvents = fast;
  return { tm, traps: [], now: 0, deliveries: 0, fills: 0 };
}

/** The machine with the fast paths, and the one without. */
const rigs = [newRig(true), newRig(false)] as const;

/** Back to the state testMachine() makes (test-machine.ts), TLB and decoded pages emptied. */
function reset(rig: Rig): void {
  const { pc, cpu } = rig.tm;
  for (const [from, to] of REGIONS) pc.ram.u8.fill(0, from, to);
  for (const frame of [8, 9]) if (cpu.dc.pages[frame] !== undefined) cpu.dc.invalidateFrame(frame);
  cpu.host = null;
  cpu.debug.write(0, 0);
  cpu.debug.write(7, 0);
  cpu.debug.pending = 0;
  cpu.cr0 = 0x11;
  cpu.cr3 = 0;
  cpu.flushTlb(false);
  cpu.regs.fill(0);
  setSegment(cpu, CS, 0x08, 0, 0xffffffff, ATTR_CODE32);
  for (const seg of [DS, ES, FS, GS, SS]) setSegment(cpu, seg, 0x10, 0, 0xffffffff, ATTR_DATA32);
  cpu.cpl = 0;
  cpu.updateAccessMasks();
  cpu.eflags = 2;
  cpu.attention = 0;
  cpu.rfLoaded = false;
  rig.traps.length = 0;
  rig.now = cpu.clock.now;
  rig.deliveries = cpu.deliveries;
  rig.fills = cpu.tlb.fills;
}

/** Set up case `seed` on `rig`: the same state, and generator state, for the same seed. */
function build(rig: Rig, seed: number, cpls: readonly number[]): Gen {
  reset(rig);
  const g = new Gen(seed);
  const { tm, traps } = rig;
  const { pc, cpu } = tm;

  const gdtBase = g.odd(0.1) ? GDT + 4 : GDT;
  const words = writeGdt(tm, g, gdtBase);
  cpu.gdtBase = gdtBase;
  cpu.gdtLimit = g.odd(0.15) ? g.pick([9 * 8 - 1, 17 * 8 - 1, 0x27, 0x13, 0x14]) : ENTRIES * 8 - 1;

  // current privilege level and segments
  const cpl = g.pick(cpls);
  const load = (seg: number, index: number, sel: number): void => {
    const [lo, hi] = words[index]!;
    const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) | 0;
    const raw = (lo & 0xffff) | (hi & 0xf0000);
    setSegment(cpu, seg, sel, base, (hi & 0x800000) !== 0 ? raw * 4096 + 0xfff : raw, (hi >>> 8) & 0xf0ff);
  };
  load(CS, 1 + 2 * cpl, codeSel(cpl));
  cpu.csDescLo = words[1 + 2 * cpl]![0]!;
  cpu.csDescHi = words[1 + 2 * cpl]![1]!;
  load(SS, 2 + 2 * cpl, dataSel(cpl));
  for (const seg of [ES, DS, FS, GS]) {
    if (g.odd(0.15)) setNull(cpu, seg, 0);
    else {
      const index = g.odd(0.2) ? 1 + g.int(ENTRIES - 1) : 2 + 2 * g.int(4);
      load(seg, index, (index << 3) | g.int(4));
    }
  }
  cpu.cpl = cpl;
  cpu.updateAccessMasks();
  cpu.regs[ESP] = someEsp(g);

  // TSS: ring 0-2 stacks
  cpu.trSel = 0x80;
  cpu.trBase = g.odd(0.15) ? g.pick([TSS + 2, 0xfe8, 0xff0]) : TSS;
  cpu.trLimit = g.odd(0.15) ? g.pick([0x08, 0x0b, 0x10, 0x13, 0x1b]) : 0x67;
  cpu.trAttr = g.odd(0.1) ? 0x83 : 0x8b;
  for (let r = 0; r < 3; r++) {
    pc.ram.write32(cpu.trBase + 4 + r * 8, someEsp(g));
    pc.ram.write32(cpu.trBase + 8 + r * 8, (g.odd(0.2) ? g.u32() & 0xffff0000 : 0) | someSel(g, dataSel(r)));
  }

  // paging, some PTEs altered, and a partly warm TLB
  if (g.chance(0.5)) {
    const pte = identityPaging(pc, 4, 7);
    for (const vpn of [0, 7, 8, 9, 0x3ff]) {
      if (!g.odd(0.25)) continue;
      const at = pte(vpn);
      pc.ram.write32(at, pc.ram.read32(at) & ~g.pick([1, 2, 4, 0x40, 0x20, 6]));
    }
    for (const vpn of [0, 7, 8, 9]) if (g.chance(0.5)) pc.ram.write32(pte(vpn), pc.ram.read32(pte(vpn)) | 0x60);
    cpu.cr3 = PAGE_DIR;
    cpu.cr0 = (cpu.cr0 | (1 << 31) | (g.chance(0.7) ? 1 << 16 : 0)) | 0;
  }
  for (const lin of [0, 0x7000, 0x8000, 0x9000, 0x3ff000]) {
    for (const [kind, user] of [[ACCESS_READ, false], [ACCESS_WRITE, false], [ACCESS_READ, true], [ACCESS_WRITE, true]] as const) {
      if (g.odd(0.4)) continue;
      try { cpu.translate(lin, kind, user); } catch (e) { if (e !== FAULT) throw e; }
    }
  }

  // EFLAGS, partly lazy
  let fl = 2 | (g.u32() & 0x8d5) | (g.chance(0.6) ? 0x200 : 0) | (g.chance(0.3) ? 0x400 : 0) | (g.int(4) << 12);
  if (g.odd(0.1)) fl |= 0x100;
  if (g.odd(0.1)) fl |= 0x4000;
  if (g.chance(0.2)) fl |= 0x10000;
  if (g.chance(0.2)) fl |= 0x40000;
  cpu.eflags = fl;
  if (g.chance(0.5)) cpu.lf.set(g.int(9), g.u32(), g.pick([0, 1, g.u32()]), g.u32(), g.pick([8, 16, 32]));

  // decoded code on a stack page: frame writes must invalidate it
  if (g.odd(0.2)) cpu.dc.pageMap(g.pick([8, 9]));
  if (g.odd(0.08)) {
    cpu.debug.write(0, 0x8ff0);
    cpu.debug.write(7, 1 | (1 << 16) | (3 << 18));
  }
  if (g.odd(0.1)) cpu.host = { trap: (f: TrapFrame): void => { traps.push({ ...f }); } };
  return g;
}

function state(rig: Rig, outcome: string): object {
  const { cpu, pc } = rig.tm;
  return {
    outcome, snap: snapshot(cpu), cycles: cpu.clock.now - rig.now, deliveries: cpu.deliveries - rig.deliveries,
    attention: cpu.attention, rfLoaded: cpu.rfLoaded, pending: cpu.debug.pending, lazy: cpu.lf.lazy,
    csDesc: [cpu.csDescLo, cpu.csDescHi], rd: Array.from(cpu.segRd.subarray(0, 6)), wr: Array.from(cpu.segWr.subarray(0, 6)),
    codeMode: cpu.codeMode, tlb: Array.from(cpu.tlb.entry.subarray(0, 16)), tlbTop: cpu.tlb.entry[0x3ff],
    fills: cpu.tlb.fills - rig.fills, traps: rig.traps, codePages: Array.from(pc.ram.codePages.subarray(0, 16)),
  };
}

/** Both machines' RAM in REGIONS is the same, else the first address where it differs. */
function sameRam(what: string): void {
  const [a, b] = [rigs[0].tm.pc.ram.u8, rigs[1].tm.pc.ram.u8];
  for (const [from, to] of REGIONS) {
    if (Buffer.compare(a.subarray(from, to), b.subarray(from, to)) === 0) continue;
    let at = from;
    while (a[at] === b[at]) at++;
    assert.fail(`${what}: RAM differs at ${at.toString(16)}: ${a[at]} (fast path) vs ${b[at]}`);
  }
}

function outcomeOf(fn: () => void): string {
  try {
    fn();
    return "done";
  } catch (e) {
    if (e === FAULT) return `fault ${FAULT.vector} ${FAULT.errorCode}`;
    if (e instanceof TripleFault) return e.message;
    throw e;
  }
}

/** The IDT gate for `vector`; the exceptions a failed delivery raises go through plain ring-0 gates. */
function writeGate(tm: TestMachine, g: Gen, vector: number): void {
  const { cpu, pc } = tm;
  cpu.idtBase = g.odd(0.1) ? IDT + 4 : IDT;
  cpu.idtLimit = g.odd(0.1) ? g.pick([0x3ff, vector * 8 + 6, vector * 8 + 7]) : 0x7ff;
  for (const v of [8, 10, 11, 12, 13, 14]) {
    pc.ram.write32(cpu.idtBase + v * 8, (codeSel(0) << 16) | 0x3000);
    pc.ram.write32(cpu.idtBase + v * 8 + 4, 0x8e00);
  }
  const target = g.pick([0, 0, 0, cpu.cpl, g.int(4)]);
  const sel = someSel(g, (codeSel(target) & ~3) | g.int(4));
  const type = g.odd(0.15) ? g.int(16) : g.pick([0xe, 0xf]);
  const dpl = g.odd(0.3) ? g.int(4) : 3;
  const offset = g.odd(0.3) ? g.pick([0xfff0, 0x00012345, 0xfffffffe]) : 0x2000;
  pc.ram.write32(cpu.idtBase + vector * 8, ((sel & 0xffff) << 16) | (offset & 0xffff));
  pc.ram.write32(cpu.idtBase + vector * 8 + 4,
    (offset & 0xffff0000) | (g.odd(0.07) ? 0 : 0x8000) | (dpl << 13) | (type << 8) | (g.odd(0.1) ? 0x1000 : 0));
}

test("delivery: the fast path and the general path agree on random cases", () => {
  const cases = 3000;
  let fastTaken = 0, delivered = 0;
  for (let seed = 1; seed <= cases; seed++) {
    const results: object[] = [];
    for (const rig of rigs) {
      const fast = rig.tm.cpu.fastEvents;
      const g = build(rig, seed, [3, 3, 3, 0, 0, 1, 2]);
      const { cpu } = rig.tm;
      const kind = g.pick([KIND_SOFTWARE, KIND_SOFTWARE, KIND_SOFTWARE, KIND_EXCEPTION, KIND_EXTERNAL]);
      const vector = kind === KIND_SOFTWARE ? g.pick([0x80, 0x80, 0x81, 3, 0xff])
        : kind === KIND_EXCEPTION ? g.pick([13, 14, 6, 0, 1, 17]) : g.pick([0x20, 0x2f]);
      const errorCode = kind === KIND_EXCEPTION && [13, 14, 17].includes(vector) ? g.int(0x10000) : -1;
      writeGate(rig.tm, g, vector);
      cpu.eip = 0x1234;
      const outcome = outcomeOf(() => {
        // as INT n does (exec-io.ts); RF is 0 in the image of all but fault-class exceptions
        if (fast && kind !== KIND_EXCEPTION && deliverFast(cpu, vector, errorCode, kind === KIND_SOFTWARE, 0)) {
          fastTaken++;
          return;
        }
        raiseEvent(cpu, vector, errorCode, kind);
      });
      if (!fast && cpu.deliveries - rig.deliveries === 1 && rig.traps.length === 0) delivered++;
      results.push(state(rig, outcome));
    }
    assert.deepEqual(results[0], results[1], `case ${seed}`);
    sameRam(`case ${seed}`);
  }
  assert.ok(fastTaken > cases / 6, `fast path taken in ${fastTaken} of ${cases} cases`);
  assert.ok(delivered > fastTaken + cases / 10, `general path alone delivered ${delivered - fastTaken} cases`);
});

test("IRET: the fast path and the general path agree on random cases", () => {
  const cases = 3000;
  let fastTaken = 0, returned = 0;
  for (let seed = 1; seed <= cases; seed++) {
    const results: object[] = [];
    for (const rig of rigs) {
      const fast = rig.tm.cpu.fastEvents;
      const g = build(rig, seed + 1_000_000, [0, 0, 0, 3, 1, 2]);
      const { cpu, pc } = rig.tm;
      // the frame at SS:ESP: EIP CS EFLAGS, then ESP SS for an outer level
      const outer = g.odd(0.3) ? g.int(4) : 3;
      const sp = g.odd(0.4) ? g.pick([0x8ff8, 0x8ffe, 0x8fee, 0xffec, 0x7ff8, 0xfffffff8]) : g.pick([0x8fec, 0x8ff0]);
      cpu.regs[ESP] = sp;
      const frame = [
        g.odd(0.3) ? g.pick([0x00fffff0, 0x1ff0, 0x2001, 0xfffffff0, g.u32()]) : 0x2000,
        (g.chance(0.3) ? g.u32() & 0xffff0000 : 0) | someSel(g, codeSel(outer)),
        (g.u32() & 0x3f7fd5) | 2 | (g.odd(0.1) ? 0x20000 : 0),
        someEsp(g),
        (g.chance(0.3) ? g.u32() & 0xffff0000 : 0) | someSel(g, dataSel(outer)),
      ];
      for (let i = 0; i < frame.length; i++) {
        const at = (sp + 4 * i) >>> 0;
        if (at + 3 < pc.ram.size) pc.ram.write32(at, frame[i]!);
      }
      const o32 = !g.odd(0.1);
      const outcome = outcomeOf(() => {
        if (fast && o32) {
          // what iret() does first: charge the instruction, then try the fast path
          cpu.clock.now += cpu.costs.iret;
          if (iretFast(cpu)) { fastTaken++; return; }
          cpu.clock.now -= cpu.costs.iret;
        }
        iret(cpu, o32);
      });
      if (!fast && outcome === "done") returned++;
      results.push(state(rig, outcome));
    }
    assert.deepEqual(results[0], results[1], `case ${seed}`);
    sameRam(`case ${seed}`);
  }
  assert.ok(fastTaken > cases / 6, `fast path taken in ${fastTaken} of ${cases} cases`);
  assert.ok(returned > fastTaken + cases / 20, `general path alone returned in ${returned - fastTaken} cases`);
});
