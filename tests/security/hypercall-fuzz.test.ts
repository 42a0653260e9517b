/**
 * Hostile-guest hypercall fuzzing (issue 3 "Safety": a guest can harm only
 * itself; a guest error is a Xen errno, a bounced fault or the crash of that
 * domain, never an exception in the hypervisor).
 *
 * For each of several fixed seeds (mulberry32, no Math.random), a machine
 * with an attacker and a victim domain (two vCPUs each). The attacker makes
 * thousands of hypercalls, the victim some (mostly offering legitimate
 * cross-domain channels: an unbound event channel and grants to the
 * attacker, so those paths are attacked too). Numbers 0–63, weighted toward
 * the implemented ones; sub-commands random or valid; arguments a mix of
 * random words, boundary values, and pointers into the caller's own memory
 * holding random bytes or plausibly structured requests aimed at the nastiest
 * targets: the caller's own page-table frames (made writable, linear, self
 * maps, hypervisor slots), the other domain's frames, page tables and
 * shared_info, the hypervisor's frames (M2P, area), free frames, frames
 * beyond RAM; pointers into the hypervisor area, unmapped, wrapping,
 * straddling; counts near limits. Multi-step scenarios build page-table and
 * descriptor pages, remap them read-only (sometimes without a TLB flush),
 * pin or hook them, and touch memory through the CPU (TLB included) as guest
 * code would.
 *
 * After every step the SafetyMonitor (harness.ts) checks: no exception and
 * no "hypervisor error" crash, the frame-table invariants, the allocator
 * totals, the isolation of every other domain (memory writes watched, frame
 * records, vCPU and domain state, ports) and the hypervisor's own
 * structures. A domain that ends legitimately (shutdown, crash on a bad iret
 * frame, ...) is replaced by a fresh attacker while memory allows (the dead
 * one is destroyed by the hypervisor, or stays as one more domain that must
 * stay untouched), else the run goes on on a fresh machine with the same
 * random stream. A seed stops at its first finding, reported with the step,
 * the call, its arguments and the memory it was given.
 *
 * Each seed: STEPS_PER_SEED steps, about 85% of them fuzzed hypercalls (the
 * rest guest CPU accesses and scenario writes), plus the harness's own
 * hypercalls (set-up, yields to bring a domain on the CPU).
 *
 * Environment (debugging only): FUZZ_VERBOSE=1 prints a summary per seed and
 * the (hypercall:result) counts; FUZZ_TRACE=<seed hex> prints every step of
 * that seed; FUZZ_IGNORE=<regex> drops matching findings, to explore past a
 * known bug.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CALLBACKOP, CONSOLEIO, DOMID, EVTCHNOP, GNTTABOP, HYPERCALL, MMU, MMUEXT, NR_HYPERCALLS, PHYSDEVOP, SCHEDOP, UVMF, VCPUOP,
  VMASST_CMD, XENMEM, XENVER, XEN_INTERFACE, XENNMI,
} from "../../src/abi/hypercalls.js";
import { HYPERVISOR, PAGE, PTE, PTE_HI, SLOTS } from "../../src/abi/memory-layout.js";
import { FLAT } from "../../src/abi/segments.js";
import { GNTMAP, GTF } from "../../src/abi/grant-tables.js";
import { offsetOf } from "../../src/abi/layout.js";
import { vcpuGuestContext } from "../../src/abi/structs.js";
import { VIRQ } from "../../src/abi/event-channels.js";
import { DOMID_XEN, OWNER_FREE, PGT, baseType } from "../../src/hv/core/frame-table.js";
import { HV_VA } from "../../src/hv/pv/hypervisor-area.js";
import type { PvDomain } from "../../src/hv/pv/domain.js";
import { vaddr } from "../../src/lib/brand.js";
import { KERNEL, SCRATCH, UNMAPPED } from "../support/pv-fake-guest.js";
import { Rng, World, hex, type Action, type Finding } from "./harness.js";

const SEEDS = [0x5eed0001, 0x00c0ffee, 0x0badf00d, 0x13572468];
/** Fuzzed steps per seed (each a hypercall, a CPU access, or one step of a scenario). */
const STEPS_PER_SEED = 1500;

const ARG = SCRATCH;                  // 0x200000: argument structures (32 pages)
const ARG_END = SCRATCH + 0x20000;
const PLAY = SCRATCH + 0x20000;       // 0x220000 … 0x3fffff: pages to remap, build tables in, grant
const PLAY_PAGES = (0x400000 - PLAY) / PAGE.SIZE;
const PT_VA = 0x107000;               // the builder's page tables (read-only mappings)
const STACK_VA = 0x10e000;
const HANDLER = KERNEL + 0x200;

const BOUNDARY = [0, 1, 2, 3, 7, 8, 0xff, 0xfff, 0x1000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
  0x7ff0, 0x7ff1, 0x7ff2, 0x7fff, 0x8000, 0x3ffffff, 0x4000000, HYPERVISOR.VIRT_START, HYPERVISOR.VIRT_START - 1, 0xfffff, 0x100000];

interface Scan {
  own: number[];
  ownTables: number[][];   // by PGT level 1..3
  ownDesc: number[];
  other: number[];
  otherTables: number[];
  otherShared: number[];
  otherGrant: number[];
  xen: number[];
  free: number[];
}

interface GrantHandle { handle: number; hostAddr: number; flags: number; bus: number }

class Fuzzer {
  w!: World;
  readonly rng: Rng;
  attacker!: PvDomain;
  victim!: PvDomain;
  /** Steps queued by scenarios (each one monitored step). */
  private readonly queue: Array<(d: PvDomain) => Action | undefined> = [];
  private argAt = ARG;
  private desc: string[] = [];
  private scan!: Scan;
  private d!: PvDomain;
  private readonly ports = new Map<number, number[]>();
  private readonly handles: GrantHandle[] = [];
  /** The victim's port offered to the attacker, and the victim's grant refs. */
  private victimPort = 0;
  readonly stats = { calls: 0, cpu: 0, worlds: 0, steps: 0, hypercalls: 0, ended: [] as string[], rcs: new Map<string, number>() };
  readonly findings: Finding[] = [];
  private trace: ((line: string) => void) | undefined;
  private ignore: RegExp | undefined;

  constructor(seed: number, o: { trace?: (line: string) => void; ignore?: RegExp } = {}) {
    this.rng = new Rng(seed);
    this.trace = o.trace;
    this.ignore = o.ignore;
    this.newWorld();
  }

  /** A fresh machine (when the attackers have used up its memory), the same random stream. */
  private newWorld(): void {
    if (this.stats.worlds > 0) this.closeWorld();
    this.stats.worlds++;
    this.w = new World();
    this.w.trace = this.trace;
    this.w.ignore = this.ignore;
    this.attacker = this.w.domain(1);
    this.victim = this.w.domain(2);
    this.queue.length = 0;
    this.handles.length = 0;
    this.ports.clear();
    for (const d of [this.attacker, this.victim]) this.prepare(d);
    this.offerChannel();
  }

  private closeWorld(): void {
    this.stats.steps += this.w.steps;
    this.stats.hypercalls += this.w.hypercalls;
    this.findings.push(...this.w.findings);
    for (const dd of this.w.domains) {
      if (dd.end !== undefined) this.stats.ended.push(`w${this.stats.worlds}d${dd.domid}: ${dd.end.kind === "crash" ? `crash ${dd.end.message}` : `shutdown ${dd.end.reason}`}`);
    }
  }

  // ── set-up a real kernel would do (so upcalls and bounces have somewhere to go) ──

  private prepare(d: PvDomain): void {
    this.w.step(d, () => ({ nr: HYPERCALL.set_callbacks, args: [FLAT.RING1_CS, HANDLER, FLAT.RING1_CS, HANDLER + 0x40], what: "setup: set_callbacks" }));
    this.w.step(d, () => {
      const words: number[] = [];
      for (const v of [...Array(20).keys(), 0x80]) words.push(v | (1 << 8) | (FLAT.RING1_CS << 16), HANDLER + 0x80 + v * 4);
      words.push(0, 0);
      this.w.guestWrite32(d, ARG, ...words);
      return { nr: HYPERCALL.set_trap_table, args: [ARG], what: "setup: set_trap_table" };
    });
    this.w.step(d, () => {
      this.w.guestWrite32(d, ARG, VIRQ.TIMER, 0, 0);
      return { nr: HYPERCALL.event_channel_op, args: [EVTCHNOP.bind_virq, ARG], what: "setup: bind VIRQ_TIMER" };
    });
  }

  /** The victim offers an unbound port to the attacker, which binds it (a legitimate channel). */
  private offerChannel(): void {
    const a = this.attacker, v = this.victim;
    this.w.step(v, () => {
      this.w.guestWrite32(v, ARG, (DOMID.SELF | (a.domid << 16)) >>> 0, 0);
      return { nr: HYPERCALL.event_channel_op, args: [EVTCHNOP.alloc_unbound, ARG], what: "setup: victim alloc_unbound(remote attacker)",
        post: () => { this.victimPort = this.read32(v, ARG + 4); } };
    });
    this.w.step(a, () => {
      this.w.guestWrite32(a, ARG, v.domid, this.victimPort, 0);
      return { nr: HYPERCALL.event_channel_op, args: [EVTCHNOP.bind_interdomain, ARG], what: "setup: attacker bind_interdomain" };
    });
  }

  private read32(d: PvDomain, va: number): number {
    const b = d.guest.copyFromGuest(vaddr(va), 4);
    return b === undefined ? 0 : (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  // ── the run ─────────────────────────────────────────────────────────

  run(steps: number): void {
    for (let i = 0; i < steps && this.w.findings.length === 0; i++) {
      if (this.attacker.end !== undefined && !this.replaceAttacker()) this.newWorld();
      if (i % 16 === 15) this.w.tick(this.rng.range(1, 200_000));
      const victimTurn = this.victim.end === undefined && this.rng.chance(0.1);
      const d = victimTurn ? this.victim : this.attacker;
      const queued = victimTurn ? undefined : this.queue.shift();
      this.w.step(d, (v) => {
        this.d = d;
        this.begin();
        const a = queued !== undefined ? queued(d) : victimTurn ? this.victimAction() : this.attackerAction(v.id);
        if (a?.nr !== undefined) {
          this.stats.calls++;
          const inner = a.post;
          const key = a.nr;
          a.post = (rc) => {
            const k = `${key}:${rc}`;
            this.stats.rcs.set(k, (this.stats.rcs.get(k) ?? 0) + 1);
            inner?.(rc);
          };
        }
        return a === undefined ? undefined : { ...a, what: `${a.what}${this.desc.length > 0 ? `\n      memory: ${this.desc.join("; ")}` : ""}` };
      });
    }
    this.closeWorld();
  }

  private replaceAttacker(): boolean {
    if (this.w.m.hv.frames.freeCount < 1100 || this.w.domains.length >= 6) return false;
    this.attacker = this.w.addDomain({ name: "attacker", vcpus: 2 });
    this.queue.length = 0;
    this.handles.length = 0;
    this.prepare(this.attacker);
    if (this.victim.end === undefined) this.offerChannel();
    return true;
  }

  /** Per step: a fresh argument area and a scan of who owns what. */
  private begin(): void {
    this.argAt = ARG + this.rng.int(64) * 8;
    this.desc = [];
    const f = this.w.m.hv.frames, me = this.d.domid;
    const s: Scan = { own: [], ownTables: [[], [], [], []], ownDesc: [], other: [], otherTables: [], otherShared: [], otherGrant: [], xen: [], free: [] };
    for (let i = 0; i < f.total; i++) {
      const o = f.owner[i]!;
      const t = f.typeCount[i]! > 0 ? baseType(f.typeInfo[i]!) : PGT.NONE;
      if (o === me) {
        s.own.push(i);
        if (t >= PGT.L1 && t <= PGT.L3) s.ownTables[t]!.push(i);
        if (t === PGT.SEG_DESC) s.ownDesc.push(i);
      } else if (o === DOMID_XEN) s.xen.push(i);
      else if (o === OWNER_FREE) { if (s.free.length < 64 || i % 61 === 0) s.free.push(i); }
      else {
        s.other.push(i);
        if (t >= PGT.L1 && t <= PGT.L3) s.otherTables.push(i);
      }
    }
    for (const d of this.w.domains) {
      if (d.domid === me) continue;
      s.otherShared.push(d.built.sharedInfoMfn);
      for (let i = 0; i < d.grants.nrFrames; i++) s.otherGrant.push(d.grants.frameMfn(i));
    }
    this.scan = s;
  }

  // ── value pickers ──────────────────────────────────────────────────

  private note(s: string): void {
    if (this.desc.length < 24) this.desc.push(s);
  }

  private pickOr(a: number[], fallback: () => number): number {
    return a.length > 0 ? this.rng.pick(a) : fallback();
  }

  /** A machine frame number, weighted toward the nastiest. */
  mfn(): number {
    const r = this.rng, s = this.scan, d = this.d;
    return r.weighted<() => number>([
      [14, () => this.mfnOfVa(this.playVa()) ?? r.pick(s.own)],
      [12, () => this.pickOr(s.ownTables[r.range(1, 3)]!, () => r.pick(s.own))],
      [6, () => r.pick(s.own)],
      [3, () => d.built.sharedInfoMfn],
      [3, () => d.grants.frameMfn(0)],
      [2, () => this.pickOr(s.ownDesc, () => r.pick(s.own))],
      [10, () => this.pickOr(s.other, () => 0)],
      [8, () => this.pickOr(s.otherTables, () => 0)],
      [4, () => this.pickOr(s.otherShared, () => 0)],
      [3, () => this.pickOr(s.otherGrant, () => 0)],
      [5, () => r.pick(this.w.m.hv.area.m2pFrames)],
      [4, () => r.pick(s.xen)],
      [3, () => this.pickOr(s.free, () => 0)],
      [4, () => r.pick([this.w.m.hv.frames.total, this.w.m.hv.frames.total - 1, this.w.m.hv.frames.total + 1, 0xfffff, 0x100000, 0xffffffff, 0xfffffff, 2 ** 40 - 1])],
      [2, () => r.u32()],
      [1, () => 0],
    ])();
  }

  private playVa(): number {
    return PLAY + this.rng.int(PLAY_PAGES) * PAGE.SIZE;
  }

  /** A linear address, weighted toward the caller's play pages. */
  va(): number {
    const r = this.rng;
    return r.weighted<() => number>([
      [30, () => this.playVa()],
      [3, () => ARG + r.int(32) * PAGE.SIZE],
      [6, () => PT_VA + r.int(7) * PAGE.SIZE],
      [3, () => KERNEL + r.int(3) * PAGE.SIZE],
      [3, () => r.int(0x100) * PAGE.SIZE],
      [5, () => UNMAPPED + r.int(0x100) * PAGE.SIZE],
      [3, () => 0x400000 + r.int(0x1000) * PAGE.SIZE * 8],
      [5, () => HYPERVISOR.VIRT_START + r.int(0xa800) * PAGE.SIZE],
      [3, () => r.pick([HV_VA.GDT, HV_VA.IDT, HV_VA.TSS, HV_VA.STACK, HV_VA.LDT, 0xfffff000, HYPERVISOR.VIRT_START - PAGE.SIZE, 0xc0000000, 0x80000000, 0x40000000])],
      [3, () => r.u32() & ~0xfff],
    ])() >>> 0;
  }

  /** The frame the caller's current tables map at `va` (a software walk of its L3), or undefined. */
  mfnOfVa(va: number): number | undefined {
    const e = this.l1EntryOf(va);
    if (e === undefined) return undefined;
    const lo = this.w.m.pc.ram.read32(e.l1 * PAGE.SIZE + e.slot * 8) >>> 0;
    return (lo & 1) === 0 ? undefined : lo >>> 12;
  }

  /** The L1 (frame, slot) holding `va`'s entry in the caller's current tables. */
  l1EntryOf(va: number): { l1: number; slot: number; l2: number; l2slot: number } | undefined {
    const ram = this.w.m.pc.ram, f = this.w.m.hv.frames;
    const v = this.d.vcpus.find((x) => x.state === "running") ?? this.d.vcpus[0]!;
    const l3 = v.baseptr;
    const l3lo = ram.read32(l3 * PAGE.SIZE + (va >>> 30) * 8) >>> 0;
    if ((l3lo & 1) === 0) return undefined;
    const l2 = l3lo >>> 12, l2slot = (va >>> 21) & 511;
    if (!f.isValid(l2)) return undefined;
    const l2lo = ram.read32(l2 * PAGE.SIZE + l2slot * 8) >>> 0;
    if ((l2lo & 1) === 0 || (l2lo & PTE.PSE) !== 0) return undefined;
    const l1 = l2lo >>> 12;
    if (!f.isValid(l1)) return undefined;
    return { l1, slot: (va >>> 12) & 511, l2, l2slot };
  }

  /** A page-table entry value [lo, hi] for a table of `level`, pointing somewhere interesting. */
  pte(level: number): [number, number] {
    const r = this.rng;
    let target: number;
    if (level === 2 && r.chance(0.5)) target = this.pickOr(this.scan.ownTables[r.pick([1, 1, 2])]!, () => this.mfn());
    else if (level === 3 && r.chance(0.5)) target = this.pickOr(this.scan.ownTables[2]!, () => this.mfn());
    else target = this.mfn();
    const flags = r.weighted<number>([
      [10, PTE.PRESENT | PTE.RW | PTE.ACCESSED | PTE.DIRTY],
      [8, PTE.PRESENT | PTE.ACCESSED],
      [4, PTE.PRESENT | PTE.RW | PTE.USER | PTE.ACCESSED],
      [4, PTE.PRESENT],
      [2, PTE.PRESENT | PTE.RW | PTE.PCD],
      [1, PTE.PRESENT | PTE.PWT],
      [2, PTE.PRESENT | PTE.PSE | PTE.RW],
      [1, PTE.PRESENT | PTE.GLOBAL],
      [1, PTE.PRESENT | PTE.RW | PTE.AVAIL],
      [3, 0],
      [2, r.u32() & 0xfff],
    ]);
    let hi = Math.floor((target >>> 0) / 2 ** 20) & 0xfffff;
    hi |= r.weighted<number>([[16, 0], [2, PTE_HI.NX], [1, PTE_HI.GRANT], [1, PTE_HI.SOFTWARE], [1, r.u32()]]);
    return [((((target >>> 0) & 0xfffff) << 12) | flags) >>> 0, hi >>> 0];
  }

  /** A machine address of a page-table entry (bits 1:0 clear), and the level of its table. */
  entryAddr(): [number, number] {
    const r = this.rng, s = this.scan;
    const pickTable = (): [number, number] => {
      const lvl = r.range(1, 3);
      const t = s.ownTables[lvl]!;
      return t.length > 0 ? [r.pick(t), lvl] : [r.pick(s.own), 0];
    };
    const [frame, level, slot] = r.weighted<() => [number, number, number]>([
      [18, () => { const e = this.l1EntryOf(this.playVa()); return e === undefined ? [r.pick(s.own), 0, r.int(512)] : [e.l1, 1, e.slot]; }],
      [6, () => { const e = this.l1EntryOf(this.playVa()); return e === undefined ? [r.pick(s.own), 0, r.int(512)] : [e.l2, 2, r.chance(0.5) ? e.l2slot : r.int(512)]; }],
      [10, () => { const [t, l] = pickTable(); return [t, l, l === 3 ? r.int(8) : l === 2 && r.chance(0.3) ? r.range(SLOTS.L2_FIRST_HYPERVISOR_SLOT, 511) : r.int(512)]; }],
      [4, () => [this.d.vcpus[0]!.baseptr, 3, r.int(6)]],
      [6, () => [this.mfnOfVa(this.playVa()) ?? r.pick(s.own), 0, r.int(512)]],
      [6, () => [this.pickOr(s.otherTables, () => 0), 1, r.int(512)]],
      [3, () => [this.pickOr(s.other, () => 0), 0, r.int(512)]],
      [3, () => [this.pickOr(s.otherShared, () => 0), 0, r.int(512)]],
      [4, () => [r.pick(this.w.m.hv.area.m2pFrames), 0, r.int(512)]],
      [3, () => [r.pick(s.xen), 0, r.int(512)]],
      [2, () => [this.mfn(), 0, r.int(512)]],
    ])();
    return [((frame >>> 0) * PAGE.SIZE + slot * 8) >>> 0, level];
  }

  /** A 32-bit argument. */
  val(): number {
    const r = this.rng;
    return r.weighted<() => number>([
      [4, () => r.u32()],
      [3, () => r.int(17)],
      [3, () => r.pick(BOUNDARY)],
      [2, () => this.mfn()],
      [2, () => (this.mfn() * PAGE.SIZE + r.int(512) * 8) >>> 0],
      [3, () => this.va()],
      [1, () => this.pte(1)[0]],
    ])() >>> 0;
  }

  /** Place `bytes` in the argument area through the caller's tables; its VA. */
  put(bytes: Uint8Array): number {
    let at = this.argAt;
    if (at + bytes.length > ARG_END) at = ARG;
    this.argAt = (at + bytes.length + 7) & ~7;
    if (!this.w.guestWrite(this.d, at, bytes)) this.note(`(argument write at ${hex(at)} faulted)`);
    return at;
  }

  putWords(...words: number[]): number {
    const b = new Uint8Array(words.length * 4), dv = new DataView(b.buffer);
    words.forEach((x, i) => dv.setUint32(i * 4, x >>> 0, true));
    const at = this.put(b);
    this.note(`@${hex(at)}: ${words.slice(0, 12).map((x) => hex(x)).join(" ")}${words.length > 12 ? " …" : ""}`);
    return at;
  }

  /** A pointer to a structure of `words` words: mostly well placed, sometimes hostile. */
  ptrTo(words: () => number[]): number {
    const r = this.rng;
    return r.weighted<() => number>([
      [20, () => this.putWords(...words())],
      [2, () => this.put(r.bytes(r.range(1, 64)))],
      [1, () => 0],
      [1, () => UNMAPPED + 0x10],
      [1, () => HYPERVISOR.VIRT_START + r.int(0x1000) * 4],
      [1, () => HV_VA.GDT + 0xe000],
      [1, () => 0xfffffffc],
      [1, () => 0x400000 - 4],
      [1, () => PT_VA + r.int(7) * PAGE.SIZE],
      [1, () => r.u32()],
    ])() >>> 0;
  }

  /** A pointer for a result the hypervisor writes back (may be read-only, unmapped, in the hypervisor area). */
  outPtr(): number {
    const r = this.rng;
    return r.weighted<() => number>([
      [14, () => this.put(new Uint8Array(8))],
      [8, () => 0],
      [1, () => PT_VA],
      [1, () => KERNEL + 0x2000],
      [1, () => HYPERVISOR.VIRT_START],
      [1, () => UNMAPPED],
      [1, () => 0xffffffff],
    ])() >>> 0;
  }

  private domid(): number {
    const r = this.rng, others = this.w.domains.filter((x) => x.domid !== this.d.domid).map((x) => x.domid);
    return r.weighted<() => number>([
      [10, () => DOMID.SELF],
      [4, () => r.pick(others)],
      [2, () => this.d.domid],
      [1, () => 0],
      [1, () => DOMID.IO],
      [1, () => DOMID.XEN],
      [1, () => 0x7ff3 + r.int(13)],
      [1, () => r.u32() & 0xffff],
    ])();
  }

  private port(): number {
    const r = this.rng, known = this.ports.get(this.d.domid) ?? [];
    return r.weighted<() => number>([
      [6, () => (known.length > 0 ? r.pick(known) : r.int(8))],
      [4, () => r.int(16)],
      [1, () => this.victimPort],
      [1, () => r.pick([1023, 1024, 4095, 4096, 0xffffffff, 0x80000000])],
      [1, () => r.u32()],
    ])();
  }

  private remember(port: number): void {
    if (port <= 0 || port > 0xffff) return;
    const l = this.ports.get(this.d.domid) ?? [];
    if (!l.includes(port)) l.push(port);
    this.ports.set(this.d.domid, l.slice(-16));
  }

  private count(small = 4): number {
    const r = this.rng;
    return r.weighted<() => number>([[20, () => r.range(1, small)], [3, () => 0], [2, () => r.range(small + 1, 64)],
      [2, () => r.pick([0x7fffffff, 0x80000000, 0xffffffff, 0x80000001, 0x10000, 0xfffffff])]])() >>> 0;
  }

  // ── the attacker's actions ──────────────────────────────────────────

  attackerAction(vcpu: number): Action | undefined {
    const r = this.rng;
    const kind = r.weighted<string>([
      [20, "mmu_update"], [12, "update_va_mapping"], [12, "mmuext_op"], [8, "memory_op"], [9, "grant_table_op"],
      [6, "event_channel_op"], [4, "set_gdt"], [5, "update_descriptor"], [4, "multicall"], [4, "vcpu_op"],
      [3, "sched_op"], [0.25, "iret"], [6, "misc"], [4, "random"], [7, "cpu"], [5, "scenario"], [2, "grant_self"],
    ]);
    if (kind === "cpu") return this.cpuTouch();
    if (kind === "scenario") { this.scenario(); return this.queue.shift()?.(this.d); }
    if (kind === "grant_self") return this.writeOwnGrants(false);
    return this.call(kind, vcpu, 0);
  }

  /** One hypercall of `kind` (also used for multicall entries, depth > 0). */
  call(kind: string, vcpu: number, depth: number): Action {
    switch (kind) {
      case "mmu_update": return this.mmuUpdate();
      case "update_va_mapping": return this.updateVaMapping();
      case "mmuext_op": return this.mmuextOp();
      case "memory_op": return this.memoryOp();
      case "grant_table_op": return this.grantTableOp();
      case "event_channel_op": return this.eventChannelOp();
      case "set_gdt": return this.setGdt();
      case "update_descriptor": return this.updateDescriptor();
      case "multicall": return depth > 0 ? this.misc() : this.multicall();
      case "vcpu_op": return this.vcpuOp(vcpu);
      case "sched_op": return this.schedOp();
      case "iret": return this.iret();
      case "misc": return this.misc();
      default: return this.randomCall();
    }
  }

  mmuUpdate(): Action {
    const r = this.rng, n = r.weighted<() => number>([[12, () => 1], [6, () => r.range(2, 4)], [2, () => r.range(5, 16)]])();
    const words: number[] = [];
    for (let i = 0; i < n; i++) {
      const cmd = r.weighted<number>([[14, MMU.NORMAL_PT_UPDATE], [3, MMU.MACHPHYS_UPDATE], [3, MMU.PT_UPDATE_PRESERVE_AD], [1, MMU.PT_UPDATE_NO_TRANSLATE]]);
      const [ptr, level] = cmd === MMU.MACHPHYS_UPDATE ? [(this.mfn() * PAGE.SIZE) >>> 0, 0] : this.entryAddr();
      const ptrHi = r.chance(0.03) ? r.pick([1, 0xffffffff, r.u32()]) : 0;
      const [lo, hi] = cmd === MMU.MACHPHYS_UPDATE ? [r.pick([r.int(1024), 0xffffffff, r.u32()]), 0] : this.pte(level === 0 ? r.range(1, 3) : level);
      words.push((ptr | cmd) >>> 0, ptrHi, lo, hi);
    }
    const reqs = r.chance(0.9) ? this.putWords(...words) : this.ptrTo(() => words);
    const count = r.chance(0.9) ? n : this.count(8);
    const done = this.outPtr();
    const fd = r.weighted<() => number>([[16, () => DOMID.SELF], [2, () => this.domid()], [1, () => (DOMID.SELF | ((this.domid() + 1) << 16)) >>> 0],
      [1, () => (DOMID.SELF | ((this.d.domid + 1) << 16)) >>> 0], [1, () => r.u32()]])();
    return { nr: HYPERCALL.mmu_update, args: [reqs, count, done, fd], what: `mmu_update(${hex(reqs)}, ${count}, ${hex(done)}, ${hex(fd)})` };
  }

  updateVaMapping(): Action {
    const r = this.rng, va = this.va(), [lo, hi] = this.pte(1);
    const flags = r.weighted<() => number>([[6, () => UVMF.INVLPG], [4, () => UVMF.NONE], [3, () => UVMF.TLB_FLUSH], [1, () => UVMF.ALL | UVMF.INVLPG],
      [1, () => (this.putWords(r.u32()) | UVMF.TLB_FLUSH) >>> 0], [1, () => r.u32()]])();
    return { nr: HYPERCALL.update_va_mapping, args: [va, lo, hi, flags], what: `update_va_mapping(${hex(va)}, ${hex(hi)}${hex(lo)}, ${hex(flags)})` };
  }

  private extOp(): number[] {
    const r = this.rng;
    const cmd = r.weighted<number>([
      [8, MMUEXT.PIN_L1_TABLE], [5, MMUEXT.PIN_L2_TABLE], [5, MMUEXT.PIN_L3_TABLE], [1, MMUEXT.PIN_L4_TABLE], [8, MMUEXT.UNPIN_TABLE],
      [6, MMUEXT.NEW_BASEPTR], [2, MMUEXT.TLB_FLUSH_LOCAL], [1, MMUEXT.TLB_FLUSH_ALL], [2, MMUEXT.INVLPG_LOCAL], [1, MMUEXT.INVLPG_ALL],
      [1, MMUEXT.TLB_FLUSH_MULTI], [1, MMUEXT.INVLPG_MULTI], [1, MMUEXT.FLUSH_CACHE], [1, MMUEXT.FLUSH_CACHE_GLOBAL], [5, MMUEXT.SET_LDT],
      [1, MMUEXT.NEW_USER_BASEPTR], [5, MMUEXT.CLEAR_PAGE], [5, MMUEXT.COPY_PAGE], [1, MMUEXT.MARK_SUPER], [1, MMUEXT.UNMARK_SUPER],
      [1, 14], [1, r.u32()],
    ]);
    let a1 = this.mfn(), a2 = r.chance(0.5) ? this.mfn() : this.val();
    if (cmd === MMUEXT.INVLPG_LOCAL || cmd === MMUEXT.INVLPG_ALL || cmd === MMUEXT.INVLPG_MULTI) a1 = this.va();
    if (cmd === MMUEXT.TLB_FLUSH_MULTI || cmd === MMUEXT.INVLPG_MULTI) a2 = this.ptrTo(() => [r.u32()]);
    if (cmd === MMUEXT.SET_LDT) {
      a1 = r.chance(0.7) ? this.va() : this.val();
      a2 = r.weighted<() => number>([[5, () => r.range(1, 512)], [2, () => 0], [2, () => r.pick([8191, 8192, 8193, 0xffffffff])], [1, () => r.u32()]])();
    }
    return [cmd >>> 0, a1 >>> 0, a2 >>> 0];
  }

  mmuextOp(): Action {
    const r = this.rng, n = r.weighted<() => number>([[14, () => 1], [4, () => r.range(2, 4)]])();
    const words: number[] = [];
    for (let i = 0; i < n; i++) words.push(...this.extOp());
    const ops = r.chance(0.92) ? this.putWords(...words) : this.ptrTo(() => words);
    const count = r.chance(0.92) ? n : this.count(4);
    const fd = r.weighted<() => number>([[18, () => DOMID.SELF], [3, () => this.domid()], [1, () => r.u32()]])();
    const done = this.outPtr();
    return { nr: HYPERCALL.mmuext_op, args: [ops, count, done, fd], what: `mmuext_op(${hex(ops)}, ${count}, ${hex(done)}, ${hex(fd)})` };
  }

  memoryOp(): Action {
    const r = this.rng;
    const op = r.weighted<number>([
      [6, XENMEM.increase_reservation], [8, XENMEM.decrease_reservation], [5, XENMEM.populate_physmap], [1, XENMEM.maximum_ram_page],
      [2, XENMEM.current_reservation], [2, XENMEM.maximum_reservation], [2, XENMEM.maximum_gpfn], [2, XENMEM.machphys_mfn_list],
      [1, XENMEM.machphys_compat_mfn_list], [1, XENMEM.machphys_mapping], [2, XENMEM.add_to_physmap], [1, XENMEM.remove_from_physmap],
      [1, XENMEM.memory_map], [1, XENMEM.machine_memory_map], [2, XENMEM.exchange], [1, XENMEM.set_memory_map], [2, r.int(64)],
    ]);
    const start = r.weighted<() => number>([[16, () => 0], [2, () => r.range(1, 4)], [1, () => r.u32() >>> 6]])();
    const cmd = (op | (start << 6)) >>> 0;
    let arg: number;
    if (op === XENMEM.increase_reservation || op === XENMEM.decrease_reservation || op === XENMEM.populate_physmap || op === XENMEM.exchange) {
      const res = (): number[] => {
        const n = r.weighted<() => number>([[12, () => r.range(1, 4)], [2, () => 0], [2, () => r.range(5, 40)], [1, () => r.pick([0x3ffffff, 0x4000000, 0xffffffff])]])();
        const order = r.weighted<() => number>([[14, () => 0], [3, () => r.range(1, 4)], [1, () => r.pick([8, 9, 10, 18, 19, 0xffffffff])]])();
        const list = op === XENMEM.increase_reservation && r.chance(0.3) ? 0 : this.ptrTo(() => {
          const e: number[] = [];
          for (let i = 0; i < Math.min(n, 40); i++) e.push(op === XENMEM.decrease_reservation ? this.mfn() : r.chance(0.7) ? r.int(2048) : this.val());
          return e;
        });
        const flags = r.weighted<() => number>([[14, () => 0], [2, () => r.range(1, 40)], [1, () => (r.range(1, 3) << 8) | (r.chance(0.5) ? 1 << 17 : 0)], [1, () => 1 << 16], [1, () => 1 << 18], [1, () => r.u32()]])();
        const dom = r.chance(0.85) ? DOMID.SELF : this.domid();
        return [list, n, order, flags, dom];
      };
      arg = op === XENMEM.exchange ? this.ptrTo(() => [...res(), ...res(), 0]) : this.ptrTo(res);
    } else if (op === XENMEM.current_reservation || op === XENMEM.maximum_reservation || op === XENMEM.maximum_gpfn) {
      arg = this.ptrTo(() => [this.domid()]);
    } else if (op === XENMEM.machphys_mfn_list || op === XENMEM.machphys_compat_mfn_list) {
      arg = this.ptrTo(() => [r.pick([0, 1, 2, 16, 0xffffffff]), this.outPtr(), 0]);
    } else if (op === XENMEM.add_to_physmap || op === XENMEM.remove_from_physmap) {
      arg = this.ptrTo(() => [(this.domid() | (r.int(4) << 16)) >>> 0, r.int(6), this.val(), this.mfn()]);
    } else {
      arg = r.chance(0.5) ? this.ptrTo(() => [r.int(32), this.outPtr(), 0, 0]) : this.val();
    }
    return { nr: HYPERCALL.memory_op, args: [cmd, arg], what: `memory_op(${hex(cmd)}, ${hex(arg)})` };
  }

  grantTableOp(): Action {
    const r = this.rng;
    const cmd = r.weighted<number>([
      [10, GNTTABOP.map_grant_ref], [8, GNTTABOP.unmap_grant_ref], [3, GNTTABOP.setup_table], [2, GNTTABOP.query_size], [2, GNTTABOP.set_version],
      [2, GNTTABOP.get_status_frames], [2, GNTTABOP.get_version], [1, GNTTABOP.dump_table], [1, GNTTABOP.transfer], [1, GNTTABOP.copy],
      [1, GNTTABOP.unmap_and_replace], [1, GNTTABOP.swap_grant_ref], [1, GNTTABOP.cache_flush], [1, r.u32()], [1, (GNTTABOP.map_grant_ref | (r.range(1, 8) << 12)) >>> 0],
    ]);
    const n = r.weighted<() => number>([[16, () => 1], [3, () => r.range(2, 4)], [2, () => 0], [1, () => r.pick([0x7fffffff, 0x80000000, 0xffffffff, 33])]])();
    const structs: number[] = [];
    const others = this.w.domains.filter((x) => x.domid !== this.d.domid);
    const mapped: GrantHandle[] = [];
    for (let i = 0; i < Math.min(n, 4); i++) {
      switch (cmd) {
        case GNTTABOP.map_grant_ref: {
          let flags = r.weighted<() => number>([[6, () => GNTMAP.host_map], [3, () => GNTMAP.host_map | GNTMAP.readonly], [2, () => GNTMAP.device_map],
            [2, () => GNTMAP.device_map | GNTMAP.host_map], [2, () => GNTMAP.host_map | GNTMAP.contains_pte], [1, () => GNTMAP.device_map | GNTMAP.readonly],
            [1, () => 0], [1, () => r.u32() & 0xffff001f]])();
          if (r.chance(0.2)) flags |= GNTMAP.application_map;
          let host: number;
          if ((flags & GNTMAP.contains_pte) !== 0) {
            host = r.chance(0.7) ? (() => { const e = this.l1EntryOf(this.playVa()); return e === undefined ? this.val() : e.l1 * PAGE.SIZE + e.slot * 8; })() : this.entryAddr()[0];
            if (r.chance(0.1)) host += r.range(1, 7);
          } else host = this.va();
          const dom = r.weighted<() => number>([[10, () => (others.length > 0 ? r.pick(others).domid : 0)], [3, () => this.d.domid], [1, () => DOMID.SELF], [1, () => 0], [1, () => r.u32() & 0xffff]])();
          const ref = r.weighted<() => number>([[10, () => r.range(8, 15)], [3, () => r.int(8)], [2, () => r.pick([511, 512, 1023, 32767, 32768])], [1, () => r.u32()]])();
          structs.push(host >>> 0, r.chance(0.05) ? 1 : 0, flags >>> 0, ref >>> 0, dom & 0xffff, 0, 0, 0);
          mapped.push({ handle: -1, hostAddr: host >>> 0, flags, bus: 0 });
          break;
        }
        case GNTTABOP.unmap_grant_ref: {
          const h = this.handles.length > 0 && r.chance(0.8) ? r.pick(this.handles) : { handle: r.int(8), hostAddr: this.va(), flags: GNTMAP.host_map, bus: 0 };
          const host = r.chance(0.85) ? h.hostAddr : r.pick([0, this.va()]);
          const bus = r.weighted<() => number>([[6, () => h.bus], [3, () => 0], [1, () => this.mfn() * PAGE.SIZE]])();
          const handle = r.chance(0.9) ? h.handle : r.pick([0xffffffff, 1024, r.u32()]);
          structs.push(host >>> 0, 0, bus >>> 0, 0, handle >>> 0, 0);
          break;
        }
        case GNTTABOP.setup_table:
          structs.push(this.domid(), r.weighted<() => number>([[6, () => r.range(0, 3)], [2, () => r.pick([63, 64, 65, 1021, 1022, 0xffffffff])], [1, () => r.u32()]])(), 0, this.outPtr());
          break;
        case GNTTABOP.query_size: case GNTTABOP.get_version:
          structs.push(this.domid(), 0, 0);
          break;
        case GNTTABOP.get_status_frames:
          structs.push(r.int(3), this.domid(), this.outPtr(), 0);
          break;
        default:
          structs.push(r.pick([1, 2, 0, 3]), this.val(), this.val(), this.val());
      }
    }
    const uop = this.ptrTo(() => structs);
    const what = `grant_table_op(${hex(cmd)}, ${hex(uop)}, ${n})`;
    if (cmd !== GNTTABOP.map_grant_ref) return { nr: HYPERCALL.grant_table_op, args: [cmd, uop, n], what };
    return {
      nr: HYPERCALL.grant_table_op, args: [cmd, uop, n], what,
      post: () => {
        mapped.forEach((m, i) => {
          const b = this.d.guest.copyFromGuest(vaddr(uop + i * 32), 32);
          if (b === undefined) return;
          const dv = new DataView(b.buffer, b.byteOffset, 32);
          if (dv.getInt16(18, true) !== 0) return;
          this.handles.push({ ...m, handle: dv.getUint32(20, true), bus: dv.getUint32(24, true) });
          if (this.handles.length > 32) this.handles.shift();
        });
      },
    };
  }

  eventChannelOp(): Action {
    const r = this.rng;
    const cmd = r.weighted<number>([
      [4, EVTCHNOP.alloc_unbound], [4, EVTCHNOP.bind_interdomain], [3, EVTCHNOP.bind_virq], [1, EVTCHNOP.bind_pirq], [3, EVTCHNOP.close],
      [6, EVTCHNOP.send], [3, EVTCHNOP.status], [2, EVTCHNOP.bind_ipi], [2, EVTCHNOP.bind_vcpu], [3, EVTCHNOP.unmask], [1, EVTCHNOP.reset],
      [1, EVTCHNOP.init_control], [1, EVTCHNOP.expand_array], [1, EVTCHNOP.set_priority], [1, r.int(64)],
    ]);
    const vcpu = (): number => r.weighted<() => number>([[8, () => r.int(3)], [1, () => r.pick([31, 32, 0xffffffff])], [1, () => r.u32()]])();
    let words: number[];
    switch (cmd) {
      case EVTCHNOP.alloc_unbound: words = [(this.domid() | (this.domid() << 16)) >>> 0, 0]; break;
      case EVTCHNOP.bind_interdomain: words = [this.domid(), this.port(), 0]; break;
      case EVTCHNOP.bind_virq: words = [r.chance(0.8) ? r.int(26) : r.u32(), vcpu(), 0]; break;
      case EVTCHNOP.status: words = [this.domid(), this.port(), 0, 0, 0, 0]; break;
      case EVTCHNOP.bind_ipi: words = [vcpu(), 0]; break;
      case EVTCHNOP.bind_vcpu: case EVTCHNOP.set_priority: words = [this.port(), vcpu()]; break;
      case EVTCHNOP.reset: words = [this.domid()]; break;
      case EVTCHNOP.init_control: words = [this.mfn(), 0, r.pick([0, 8, 4024, 4096, r.u32()]), vcpu(), 0, 0]; break;
      case EVTCHNOP.expand_array: words = [this.mfn(), 0]; break;
      default: words = [this.port(), this.val(), this.val()];
    }
    const arg = this.ptrTo(() => words);
    const outAt = cmd === EVTCHNOP.alloc_unbound || cmd === EVTCHNOP.bind_ipi ? 4 : cmd === EVTCHNOP.bind_interdomain || cmd === EVTCHNOP.bind_virq ? 8 : -1;
    return {
      nr: HYPERCALL.event_channel_op, args: [cmd, arg], what: `event_channel_op(${cmd}, ${hex(arg)})`,
      post: (rc) => { if (rc === 0 && outAt >= 0) this.remember(this.read32(this.d, arg + outAt)); },
    };
  }

  /** A segment descriptor [lo, hi]: valid or nasty. */
  descriptor(): [number, number] {
    const r = this.rng;
    return r.weighted<() => [number, number]>([
      [4, () => [0, 0]],
      [3, () => [0x0000ffff, 0x00cfba00]],  // flat code, DPL 1
      [3, () => [0x0000ffff, 0x00cfb200]],  // flat data, DPL 1
      [2, () => [0x0000ffff, 0x00cf9a00]],  // flat code, DPL 0 (raised to 1)
      [2, () => [0x0000ffff, 0x00cffa00]],  // flat code, DPL 3
      [1, () => [0x0000ffff, 0x00af9a00]],  // 64-bit code
      [2, () => [((0xe008 << 16) | 0x1000) >>> 0, 0x0000ec00]], // call gate to the hypervisor's CS
      [1, () => [((FLAT.RING1_CS << 16) | 0x1000) >>> 0, 0x0000ec00]], // call gate to FLAT ring 1
      [1, () => [((0x0008 << 16) | 0x1000) >>> 0, 0x0000ec00]], // call gate to a guest selector
      [1, () => [0x00000067, 0x00008900]],  // TSS descriptor
      [1, () => [0x0000ffff, 0xf5cf9200]],  // data based in the hypervisor area
      [2, () => [r.u32(), r.u32()]],
    ])();
  }

  setGdt(): Action {
    const r = this.rng;
    const entries = r.weighted<() => number>([[6, () => r.range(1, 1024)], [2, () => 0], [2, () => r.range(1025, 7168)], [1, () => r.pick([7169, 0xffffffff, 0x80000000])]])() >>> 0;
    const frames: number[] = [];
    for (let i = 0; i < 16; i++) frames.push(r.chance(0.4) ? this.pickOr(this.scan.ownDesc, () => this.mfn()) : this.mfn());
    const list = this.ptrTo(() => frames);
    return { nr: HYPERCALL.set_gdt, args: [list, entries], what: `set_gdt(${hex(list)}, ${entries})` };
  }

  updateDescriptor(): Action {
    const r = this.rng;
    const frame = r.weighted<() => number>([[4, () => this.pickOr(this.scan.ownDesc, () => this.mfn())], [8, () => this.mfn()]])();
    let ma = (frame * PAGE.SIZE + r.int(512) * 8) >>> 0;
    if (r.chance(0.05)) ma += r.range(1, 7);
    const maHi = r.chance(0.05) ? r.pick([1, r.u32()]) : Math.floor((frame >>> 0) * PAGE.SIZE / 2 ** 32);
    const [lo, hi] = this.descriptor();
    return { nr: HYPERCALL.update_descriptor, args: [ma >>> 0, maHi >>> 0, lo, hi], what: `update_descriptor(${hex(maHi)}${hex(ma)}, ${hex(hi)}${hex(lo)})` };
  }

  multicall(): Action {
    const r = this.rng, n = r.range(1, 4), words: number[] = [], whats: string[] = [];
    for (let i = 0; i < n; i++) {
      const inner = r.chance(0.08) ? { nr: HYPERCALL.multicall, args: [0, 0], what: "multicall (nested)" }
        : this.call(r.pick(["mmu_update", "update_va_mapping", "mmuext_op", "memory_op", "grant_table_op", "event_channel_op", "update_descriptor", "misc", "random"]), 0, 1);
      const a = inner.args ?? [];
      words.push(inner.nr ?? 0, 0, a[0] ?? 0, a[1] ?? 0, a[2] ?? 0, a[3] ?? 0, a[4] ?? 0, 0);
      whats.push(inner.what);
    }
    const list = r.chance(0.9) ? this.putWords(...words) : this.ptrTo(() => words);
    const count = r.chance(0.9) ? n : this.count(4);
    return { nr: HYPERCALL.multicall, args: [list, count], what: `multicall(${hex(list)}, ${count}) [${whats.join(" | ")}]` };
  }

  vcpuOp(self: number): Action {
    const r = this.rng;
    const cmd = r.weighted<number>([
      [3, VCPUOP.initialise], [3, VCPUOP.up], [0.3, VCPUOP.down], [2, VCPUOP.is_up], [2, VCPUOP.get_runstate_info], [2, VCPUOP.set_periodic_timer],
      [1, VCPUOP.stop_periodic_timer], [2, VCPUOP.set_singleshot_timer], [1, VCPUOP.stop_singleshot_timer], [1, VCPUOP.register_runstate_memory_area],
      [1, VCPUOP.register_vcpu_info], [1, VCPUOP.send_nmi], [1, VCPUOP.get_physid], [1, r.int(32)],
    ]);
    const vcpu = r.weighted<() => number>([[6, () => 1 - self], [3, () => self], [1, () => r.pick([2, 3, 31, 32, 0xffffffff])]])() >>> 0;
    let arg: number;
    if (cmd === VCPUOP.initialise) arg = this.vcpuContext();
    else if (cmd === VCPUOP.set_periodic_timer || cmd === VCPUOP.set_singleshot_timer) arg = this.ptrTo(() => [r.pick([0, 1000, 1_000_000, 10_000_000, r.u32()]), r.pick([0, 0, 1, 0xffffffff]), 0]);
    else if (cmd === VCPUOP.get_runstate_info) arg = this.outPtr();
    else arg = r.chance(0.5) ? this.ptrTo(() => [this.mfn(), 0, r.int(4096), 0]) : this.val();
    if (cmd === VCPUOP.up && r.chance(0.5)) arg = 0;
    return { nr: HYPERCALL.vcpu_op, args: [cmd, vcpu, arg], what: `vcpu_op(${cmd}, ${vcpu}, ${hex(arg)})` };
  }

  /** A vcpu_guest_context (2800 bytes): mostly plausible (flat selectors, an L3), with hostile fields. */
  private vcpuContext(): number {
    const r = this.rng;
    if (r.chance(0.1)) return this.put(r.bytes(vcpuGuestContext.size));
    const b = new Uint8Array(vcpuGuestContext.size), dv = new DataView(b.buffer);
    const u32 = (path: string, v: number): void => dv.setUint32(offsetOf(vcpuGuestContext, path), v >>> 0, true);
    const regs = offsetOf(vcpuGuestContext, "user_regs");
    const cs = r.weighted<() => number>([[8, () => FLAT.RING1_CS], [2, () => FLAT.RING3_CS], [1, () => 0xe008], [1, () => 0], [1, () => r.u32() & 0xffff]])();
    const ss = r.weighted<() => number>([[8, () => FLAT.RING1_SS], [2, () => FLAT.RING3_SS], [1, () => 0xe010], [1, () => r.u32() & 0xffff]])();
    dv.setUint32(regs + 32, HANDLER, true);            // eip
    dv.setUint16(regs + 36, cs, true);
    dv.setUint32(regs + 40, r.pick([0x202, 0x3202, 0x20202, r.u32()]), true); // eflags
    dv.setUint32(regs + 44, STACK_VA + 0x800, true);    // esp
    dv.setUint16(regs + 48, ss, true);
    for (const off of [52, 56, 60, 64]) dv.setUint16(regs + off, r.chance(0.8) ? FLAT.RING1_DS : r.u32() & 0xffff, true);
    const l3 = r.weighted<() => number>([[6, () => this.d.vcpus[0]!.baseptr], [3, () => this.pickOr(this.scan.ownTables[3]!, () => this.mfn())], [4, () => this.mfn()]])();
    u32("ctrlreg[3]", ((l3 << 12) | (l3 >>> 20)) >>> 0);
    const gdtEnts = r.weighted<() => number>([[6, () => 0], [3, () => r.range(1, 1024)], [1, () => r.pick([7168, 7169, 0xffffffff])]])();
    u32("gdt_ents", gdtEnts);
    for (let i = 0; i < 16; i++) dv.setUint32(offsetOf(vcpuGuestContext, "gdt_frames") + i * 4, r.chance(0.5) ? this.pickOr(this.scan.ownDesc, () => this.mfn()) : this.mfn(), true);
    u32("ldt_ents", r.pick([0, 0, 1, 8192, 8193]));
    u32("ldt_base", r.pick([0, this.playVa(), HYPERVISOR.VIRT_START, this.val()]));
    u32("kernel_ss", r.pick([FLAT.RING1_SS, 0xe010, 0]));
    u32("kernel_sp", STACK_VA + 0x800);
    u32("event_callback_cs", FLAT.RING1_CS);
    u32("event_callback_eip", HANDLER);
    u32("failsafe_callback_cs", FLAT.RING1_CS);
    u32("failsafe_callback_eip", HANDLER + 0x40);
    for (let i = 0; i < 8; i++) dv.setUint32(offsetOf(vcpuGuestContext, "debugreg") + i * 4, r.chance(0.8) ? 0 : this.val(), true);
    const trap = offsetOf(vcpuGuestContext, "trap_ctxt");
    for (let i = 0; i < 4; i++) {
      const e = trap + r.int(256) * 8;
      dv.setUint8(e, r.int(256));
      dv.setUint8(e + 1, r.int(8));
      dv.setUint16(e + 2, r.pick([FLAT.RING1_CS, 0xe008, 0]), true);
      dv.setUint32(e + 4, HANDLER, true);
    }
    const at = this.put(b);
    this.note(`vcpu_guest_context @${hex(at)}: cs ${hex(cs, 4)} ss ${hex(ss, 4)} cr3 mfn ${hex(l3, 5)} gdt_ents ${gdtEnts}`);
    return at;
  }

  schedOp(): Action {
    const r = this.rng;
    if (r.chance(0.15)) {
      const cmd = r.weighted<number>([[6, SCHEDOP.yield], [3, SCHEDOP.block], [0.1, SCHEDOP.shutdown], [1, r.u32()]]);
      const arg = cmd === SCHEDOP.shutdown ? r.int(6) : this.val();
      return { nr: HYPERCALL.sched_op_compat, args: [cmd, arg], what: `sched_op_compat(${cmd}, ${hex(arg)})` };
    }
    const cmd = r.weighted<number>([
      [6, SCHEDOP.yield], [3, SCHEDOP.block], [0.1, SCHEDOP.shutdown], [3, SCHEDOP.poll], [3, SCHEDOP.remote_shutdown], [1, SCHEDOP.shutdown_code],
      [1, SCHEDOP.watchdog], [1, SCHEDOP.pin_override], [1, r.int(32)],
    ]);
    let arg: number;
    switch (cmd) {
      case SCHEDOP.shutdown: case SCHEDOP.shutdown_code: arg = this.ptrTo(() => [r.int(8)]); break;
      case SCHEDOP.poll: arg = this.ptrTo(() => [this.ptrTo(() => [this.port(), this.port()]), r.pick([0, 1, 2, 128, 129, 0xffffffff]), r.pick([0, 1, 0xffffffff]), 0]); break;
      case SCHEDOP.remote_shutdown: arg = this.ptrTo(() => [this.domid(), r.int(6)]); break;
      case SCHEDOP.watchdog: arg = this.ptrTo(() => [r.int(4), r.weighted<number>([[1, 0], [1, 1], [8, 3600], [8, 0xffffffff]])]); break;
      default: arg = this.val();
    }
    return { nr: HYPERCALL.sched_op, args: [cmd, arg], what: `sched_op(${cmd}, ${hex(arg)})` };
  }

  /** The iret hypercall with a frame at the stack pointer: plausible or random. */
  iret(): Action {
    const r = this.rng;
    const cs = r.weighted<() => number>([[16, () => FLAT.RING1_CS], [6, () => FLAT.RING3_CS], [1, () => 0xe008], [1, () => 0xe00b], [1, () => 0], [1, () => r.u32() & 0xffff]])();
    const ss = cs === FLAT.RING3_CS ? r.weighted<() => number>([[30, () => FLAT.RING3_SS], [1, () => 0xe010], [1, () => r.u32() & 0xffff]])() : FLAT.RING1_SS;
    const eflags = r.weighted<() => number>([[8, () => 0x202], [2, () => 0x246], [1, () => 0x3202], [1, () => 0x20202], [1, () => 0x4202], [1, () => r.u32()]])();
    const frame = [r.u32(), HANDLER, cs, eflags, STACK_VA + 0x800, ss];
    const sp = this.w.base.regs[4]! >>> 0;
    if (r.chance(0.9)) this.w.guestWrite32(this.d, sp, ...frame);
    this.note(`iret frame at ${hex(sp)}: ${frame.map((x) => hex(x)).join(" ")}`);
    return { nr: HYPERCALL.iret, args: [], what: "iret" };
  }

  misc(): Action {
    const r = this.rng;
    const nr = r.pick([HYPERCALL.set_trap_table, HYPERCALL.stack_switch, HYPERCALL.set_callbacks, HYPERCALL.fpu_taskswitch, HYPERCALL.set_debugreg,
      HYPERCALL.get_debugreg, HYPERCALL.set_timer_op, HYPERCALL.xen_version, HYPERCALL.console_io, HYPERCALL.vm_assist, HYPERCALL.callback_op,
      HYPERCALL.nmi_op, HYPERCALL.physdev_op, HYPERCALL.sysctl, HYPERCALL.domctl]);
    let args: number[];
    switch (nr) {
      case HYPERCALL.set_trap_table:
        args = [this.ptrTo(() => {
          const w: number[] = [];
          for (let i = 0; i < r.range(1, 6); i++) w.push((r.int(256) | (r.int(8) << 8) | (r.pick([FLAT.RING1_CS, 0xe008, 0xe00b, 0, r.u32() & 0xffff]) << 16)) >>> 0, r.pick([HANDLER, 0, this.val()]));
          return w;
        })];
        break;
      case HYPERCALL.stack_switch: args = [r.pick([FLAT.RING1_SS, 0xe010, 0xe011, 0, r.u32() & 0xffff]), r.pick([STACK_VA + 0x800, this.va(), this.val()])]; break;
      case HYPERCALL.set_callbacks: args = [r.chance(0.97) ? FLAT.RING1_CS : r.pick([0xe008, 0, r.u32()]), r.chance(0.8) ? HANDLER : this.val(), r.pick([FLAT.RING1_CS, 0xe008, 0]), this.val()]; break;
      case HYPERCALL.set_debugreg: args = [r.int(10), r.pick([this.va(), this.val(), 0x400, 0x2400, 0x20402, 0xffffffff])]; break;
      case HYPERCALL.xen_version: args = [r.pick([...Object.values(XENVER), r.u32()]), this.outPtr()]; break;
      case HYPERCALL.console_io: args = [r.pick([CONSOLEIO.write, CONSOLEIO.read, r.u32()]), this.count(64), r.chance(0.7) ? this.put(r.bytes(64)) : this.val()]; break;
      case HYPERCALL.vm_assist: args = [r.pick([VMASST_CMD.enable, VMASST_CMD.disable, r.u32()]), r.pick([0, 1, 2, 3, 4, 5, 6, 31, 32, r.u32()])]; break;
      case HYPERCALL.callback_op: args = [r.pick([CALLBACKOP.register, CALLBACKOP.unregister, r.u32()]), this.ptrTo(() => [(r.int(9) | (r.int(2) << 16)) >>> 0, r.chance(0.95) ? FLAT.RING1_CS : r.pick([0xe008, 0]), this.val()])]; break;
      case HYPERCALL.nmi_op: args = [r.pick([XENNMI.register_callback, XENNMI.unregister_callback, r.u32()]), this.ptrTo(() => [this.val(), 0])]; break;
      case HYPERCALL.physdev_op: args = [r.pick([PHYSDEVOP.set_iopl, PHYSDEVOP.set_iobitmap, PHYSDEVOP.eoi, PHYSDEVOP.map_pirq, PHYSDEVOP.irq_status_query, r.int(32)]), this.ptrTo(() => [r.pick([0, 1, 3, 4, this.va()]), r.pick([0, 1024, 65536, 65537])])]; break;
      case HYPERCALL.sysctl: args = [this.ptrTo(() => [r.int(32), r.pick([XEN_INTERFACE.SYSCTL_INTERFACE_VERSION, 0, r.u32()])])]; break;
      case HYPERCALL.domctl: args = [this.ptrTo(() => [r.int(32), r.pick([XEN_INTERFACE.DOMCTL_INTERFACE_VERSION, 0, r.u32()]), this.domid()])]; break;
      default: args = [this.val(), this.val(), this.val()];
    }
    return { nr, args, what: `hypercall ${nr}(${args.map((a) => hex(a)).join(", ")})` };
  }

  /** Any number 0–63 (and a few beyond) with random arguments. */
  randomCall(): Action {
    const r = this.rng;
    let nr = r.chance(0.9) ? r.int(NR_HYPERCALLS) : r.pick([64, 255, 0x80000000, 0xffffffff]);
    // the ones that end the caller or replace its callbacks with random selectors get their own, milder generators
    if (nr === HYPERCALL.iret || nr === HYPERCALL.sched_op_compat || nr === HYPERCALL.vcpu_op || nr === HYPERCALL.sched_op) nr = HYPERCALL.xen_version;
    if (nr === HYPERCALL.set_callbacks || nr === HYPERCALL.callback_op) return this.misc();
    const args = [this.val(), this.val(), this.val(), this.val(), this.val()];
    return { nr, args, what: `hypercall ${nr}(${args.map((a) => hex(a)).join(", ")})` };
  }

  /** A load or store by guest code (the CPU, its TLB included). */
  cpuTouch(): Action {
    const r = this.rng, va = (r.chance(0.8) ? this.playVa() + r.int(1024) * 4 : this.va() + r.int(1024) * 4) >>> 0;
    const write = r.chance(0.6);
    const value = write ? (r.chance(0.5) ? this.pte(1)[0] : r.u32()) : 0;
    const res = this.w.cpuAccess(va, write, value);
    this.stats.cpu++;
    return { what: `guest ${write ? `store ${hex(value)} to` : "load from"} ${hex(va)} (${res})` };
  }

  /** The caller maps its own grant frame read-write and writes grant entries (to the other domain, or itself). */
  writeOwnGrants(toOther: boolean): Action | undefined {
    const r = this.rng, d = this.d;
    const gva = PLAY + (PLAY_PAGES - 1) * PAGE.SIZE;
    const grantee = toOther ? this.attacker.domid : r.chance(0.5) ? d.domid : this.victim.domid;
    const entries: number[] = [];
    for (let ref = 8; ref < 16; ref++) {
      const flags = r.weighted<() => number>([[6, () => GTF.permit_access], [3, () => GTF.permit_access | GTF.readonly], [1, () => GTF.permit_access | GTF.sub_page], [1, () => r.u32() & 0xffff]])();
      const frame = toOther ? r.weighted<() => number>([[6, () => this.mfnOfVa(this.playVa()) ?? 0], [2, () => this.pickOr(this.scan.ownTables[r.range(1, 3)]!, () => 0)], [1, () => d.built.sharedInfoMfn], [1, () => this.mfn()]])() : this.mfn();
      entries.push((flags | (grantee << 16)) >>> 0, frame >>> 0);
    }
    const gframe = d.grants.frameMfn(0);
    if (this.mfnOfVa(gva) !== gframe) {
      return { nr: HYPERCALL.update_va_mapping, args: [gva, ((gframe << 12) | PTE.PRESENT | PTE.RW | PTE.ACCESSED | PTE.DIRTY) >>> 0, 0, UVMF.INVLPG],
        what: `map own grant frame ${hex(gframe, 5)} at ${hex(gva)}` };
    }
    const ok = this.w.guestWrite32(d, gva + 8 * 8, ...entries);
    return { what: `write own grant entries 8–15 (${ok ? "written" : "fault"}): ${entries.map((x) => hex(x)).join(" ")}` };
  }

  // ── scenarios: several steps, each monitored ────────────────────────

  private scenario(): void {
    const r = this.rng;
    const kind = r.weighted<string>([[5, "table"], [2, "desc"], [2, "l3"], [2, "stale"]]);
    const va = this.playVa();
    const level = kind === "table" ? r.pick([1, 1, 2]) : kind === "l3" ? 3 : 0;
    // 1: fill the page through the guest's own (writable) mapping
    this.queue.push(() => {
      const words: number[] = new Array<number>(1024).fill(0);
      if (kind === "desc") {
        for (let i = 0; i < r.range(1, 8); i++) { const [lo, hi] = this.descriptor(); const s = r.int(512); words[s * 2] = lo; words[s * 2 + 1] = hi; }
      } else if (level === 3) {
        const cur = this.d.vcpus[0]!.baseptr, ram = this.w.m.pc.ram;
        for (let i = 0; i < 8; i++) words[i] = ram.read32(cur * PAGE.SIZE + i * 4) >>> 0;
        const s = r.int(4); const [lo, hi] = this.pte(r.chance(0.5) ? 3 : 2); words[s * 2] = lo; words[s * 2 + 1] = hi;
        if (r.chance(0.3)) { words[2 * r.range(4, 511)] = this.pte(3)[0]; }
      } else {
        for (let i = 0; i < r.range(1, 6); i++) {
          const s = level === 2 && r.chance(0.3) ? r.range(SLOTS.L2_FIRST_HYPERVISOR_SLOT, 511) : r.int(512);
          const [lo, hi] = level === 2 && r.chance(0.2) ? [(((this.mfnOfVa(va) ?? 0) << 12) | r.pick([PTE.PRESENT, PTE.PRESENT | PTE.RW])) >>> 0, 0] : this.pte(level === 0 ? 1 : level);
          words[s * 2] = lo; words[s * 2 + 1] = hi;
        }
      }
      const ok = this.w.guestWrite32(this.d, va, ...words);
      return { what: `scenario ${kind}/L${level}: fill page ${hex(va)} (${ok ? "written" : "not writable"}): ${words.map((x, i) => [x, i]).filter(([x]) => x !== 0).slice(0, 16).map(([x, i]) => `[${i}]=${hex(x!)}`).join(" ")}` };
    });
    // 2: remap it read-only (sometimes without a TLB flush: a stale writable TLB entry stays)
    const flush = kind === "stale" || r.chance(0.3) ? UVMF.NONE : UVMF.INVLPG;
    this.queue.push(() => {
      if (kind === "stale" || r.chance(0.3)) this.w.cpuAccess(va, true, this.w.m.pc.ram.read32(((this.mfnOfVa(va) ?? 0) * PAGE.SIZE) >>> 0)); // the guest had touched it
      const m = this.mfnOfVa(va) ?? this.mfn();
      return { nr: HYPERCALL.update_va_mapping, args: [va, ((m << 12) | PTE.PRESENT | PTE.ACCESSED) >>> 0, 0, flush],
        what: `scenario ${kind}: remap ${hex(va)} → ${hex(m, 5)} read-only, flags ${flush}` };
    });
    // 3: use it as what it was built for
    this.queue.push(() => {
      const m = this.mfnOfVa(va) ?? this.mfn();
      if (kind === "desc") {
        if (r.chance(0.5)) {
          const list = this.putWords(m);
          return { nr: HYPERCALL.set_gdt, args: [list, r.range(1, 512)], what: `scenario desc: set_gdt([${hex(m, 5)}])` };
        }
        const ops = this.putWords(MMUEXT.SET_LDT, va, r.range(1, 512));
        return { nr: HYPERCALL.mmuext_op, args: [ops, 1, 0, DOMID.SELF], what: `scenario desc: SET_LDT(${hex(va)})` };
      }
      const lvl = level === 0 ? 1 : level;
      if (lvl === 3 && r.chance(0.5)) {
        const ops = this.putWords(MMUEXT.NEW_BASEPTR, m, 0);
        return { nr: HYPERCALL.mmuext_op, args: [ops, 1, 0, DOMID.SELF], what: `scenario l3: NEW_BASEPTR(${hex(m, 5)})` };
      }
      if (r.chance(0.5) || lvl === 3) {
        const ops = this.putWords(lvl - 1, m, 0);
        return { nr: HYPERCALL.mmuext_op, args: [ops, 1, 0, DOMID.SELF], what: `scenario: PIN_L${lvl}(${hex(m, 5)})` };
      }
      // hook it into the live tables: an L1 under an L2 slot, an L2 under an L3 slot
      const hookVa = r.pick([0x400000, 0x600000, 0x40000000, 0x80000000, 0xc0000000, va]);
      const e = this.l1EntryOf(0x200000);
      let ptr: number;
      if (lvl === 1 && e !== undefined) ptr = e.l2 * PAGE.SIZE + ((hookVa >>> 21) & 511) * 8;
      else ptr = this.d.vcpus[0]!.baseptr * PAGE.SIZE + r.int(3) * 8;
      const reqs = this.putWords(ptr >>> 0, 0, ((m << 12) | r.pick([0x67, 0x65, 0x27, 0x25, 0x01])) >>> 0, 0);
      return { nr: HYPERCALL.mmu_update, args: [reqs, 1, 0, DOMID.SELF], what: `scenario: hook ${hex(m, 5)} as L${lvl} at entry ${hex(ptr)}` };
    });
    // 4: write through the (possibly stale) mapping as guest code would, then touch the hooked area
    if (r.chance(0.6)) {
      this.queue.push(() => {
        const [lo] = kind === "desc" ? this.descriptor() : this.pte(level === 0 ? 1 : level);
        const at = va + r.int(512) * 8;
        const res = this.w.cpuAccess(at, true, lo);
        return { what: `scenario ${kind}: guest store ${hex(lo)} to ${hex(at)} after the remap (${res})` };
      });
    }
    if (r.chance(0.5)) {
      this.queue.push(() => {
        const at = r.pick([0x400000, 0x600000, 0x40000000, 0x80000000, 0xc0000000]) + r.int(512) * PAGE.SIZE;
        const res = this.w.cpuAccess(at, r.chance(0.5), r.u32());
        return { what: `scenario: guest access at ${hex(at)} (${res})` };
      });
    }
  }

  // ── the victim's actions: mostly legitimate channels to the attacker ──

  victimAction(): Action | undefined {
    const r = this.rng;
    const kind = r.weighted<string>([[4, "grant"], [2, "unbound"], [2, "send"], [3, "own"]]);
    switch (kind) {
      case "grant": return this.writeOwnGrants(true);
      case "unbound": {
        const arg = this.putWords((DOMID.SELF | (this.attacker.domid << 16)) >>> 0, 0);
        return { nr: HYPERCALL.event_channel_op, args: [EVTCHNOP.alloc_unbound, arg], what: "victim: alloc_unbound(remote attacker)",
          post: (rc) => { if (rc === 0) this.remember(this.read32(this.d, arg + 4)); } };
      }
      case "send": {
        const arg = this.putWords(this.victimPort);
        return { nr: HYPERCALL.event_channel_op, args: [EVTCHNOP.send, arg], what: `victim: send(${this.victimPort})` };
      }
      default: {
        const k = r.pick(["mmu_update", "update_va_mapping", "mmuext_op", "memory_op", "event_channel_op", "misc"]);
        return this.call(k, 0, 1);
      }
    }
  }
}

function report(seed: number, f: Fuzzer): string {
  const s = f.stats;
  const lines = [`seed ${hex(seed)}: ${s.steps} steps in ${s.worlds} machine(s), ${s.hypercalls} hypercalls (${s.calls} fuzzed), ${s.cpu} guest CPU accesses; domains ended: ${s.ended.length}`];
  if (process.env.FUZZ_VERBOSE !== undefined) lines.push(...s.ended.map((e) => `  ${e}`));
  for (const x of f.findings.slice(0, 3)) lines.push(describe(x));
  return lines.join("\n");
}

function describe(x: Finding): string {
  return `  step ${x.step} by ${x.caller}: ${x.what}\n    ${x.problems.slice(0, 8).join("\n    ")}`;
}

for (const seed of SEEDS) {
  test(`hostile hypercalls, seed ${hex(seed)}: no hypervisor error, invariants hold, other domains untouched`, () => {
    const f = new Fuzzer(seed, {
      trace: process.env.FUZZ_TRACE === hex(seed) ? (l) => console.log(l) : undefined,
      ignore: process.env.FUZZ_IGNORE !== undefined ? new RegExp(process.env.FUZZ_IGNORE) : undefined,
    });
    f.run(STEPS_PER_SEED);
    const summary = report(seed, f);
    if (process.env.FUZZ_VERBOSE !== undefined) {
      console.log(summary);
      console.log([...f.stats.rcs].sort((a, b) => b[1] - a[1]).slice(0, 80).map(([k, v]) => `${k}×${v}`).join(" "));
    }
    assert.deepEqual(f.findings.map(describe), [], summary);
    assert.ok(f.stats.calls >= STEPS_PER_SEED / 2, `too few fuzzed hypercalls made: ${summary}`);
  });
}
