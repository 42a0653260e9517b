/**
 * Hostile-guest harness for the safety suite (issue 3 "Safety": a guest can
 * harm only itself). Test support only, never imported by production code.
 *
 * A World is a FakeMachine (tests/support/pv-fake-guest.ts: the real
 * Hypervisor on a Pc) with two or more domains. Each action of a guest runs
 * as a monitored step:
 *
 *   before(caller) ──► snapshot every *other* domain (frame records, vCPU
 *                      and domain state, event-channel ports)
 *   the action     ──► guest memory writes through the caller's own page
 *                      tables, then `int $0x82` as a TrapFrame (or a load /
 *                      store done by the CPU at ring 1, TLB included)
 *   after(caller)  ──► the checks below; any finding is a sentence
 *
 * Checks after every step:
 *  (a) nothing escaped hv.trap() and the hypervisor logged no "hypervisor
 *      error" (a handler's exception turned into a crash) nor an invariant
 *      crash;
 *  (b) checkInvariants over the whole frame table (with every domain's
 *      external references); an L1 entry naming another domain's frame is
 *      accepted only if it is a live grant host mapping of exactly that frame
 *      (read-only unless the grant is writable);
 *  (c) isolation: every machine write is watched (Ram.write8/16/32, and the
 *      harness's own CPU stores) and judged by the domain on the CPU: a
 *      domain writes its own frames, another domain's shared_info (event
 *      channels), the grant entries granted to it, frames granted to it
 *      writable, the M2P entries of its own (or freed) frames, and hypervisor
 *      frames only through the hypervisor; no one writes a free frame; guest
 *      CPU loads read only own, granted or hypervisor frames. Every other
 *      domain's frame records, memory accounting, vCPU and domain state and
 *      event-channel ports are unchanged, except the transitions a legitimate
 *      channel allows (an unbound port offered to the caller becoming
 *      interdomain and back). A vCPU switched in resumes where it was, at its
 *      start frame or in its own event callback. A digest of each domain's
 *      memory (shared_info, grant frames and granted frames excepted) changes
 *      only in steps where that domain wrote itself, and a periodic compare of
 *      all of RAM against a mirror of the watched writes finds any write that
 *      bypassed the watch. Ended domains are destroyed by the hypervisor
 *      (domain-teardown.ts, at its next scheduling point): that work may free
 *      and rewrite the dead domain's frames and close its ports;
 *  (d) free + allocated == total (and the checker's allocator rules);
 *  (e) the hypervisor's own structures: the slot-3 L2s' hypervisor slots,
 *      the M2P's L1s, the private L1 (GDT/LDT pages map only the running
 *      vCPU's frames), the reserved GDT page, the IDT (the int 0x80 gate may
 *      name only a guest selector), the zero frame, the TSS ring-1 stack and
 *      the PDPT shadow of the running vCPU's L3; descriptor frames in use
 *      hold only descriptors check_descriptor accepts as stored.
 *
 * Debugging aids (environment): SAFETY_STACKS=1 adds the call stack of the
 * first bad write of a step; SAFETY_WATCH_FRAME=<hex mfn> logs every write to
 * that frame.
 */
import { DOMID, HYPERCALL, SCHEDOP } from "../../src/abi/hypercalls.js";
import { PAGE, SLOTS } from "../../src/abi/memory-layout.js";
import { EVTCHNSTAT } from "../../src/abi/event-channels.js";
import { GNTMAP } from "../../src/abi/grant-tables.js";
import { FIRST_RESERVED_GDT, FLAT } from "../../src/abi/segments.js";
import { vaddr, type Mfn } from "../../src/lib/brand.js";
import { DOMID_XEN, OWNER_FREE, PGT, PGT_PAE_XEN_L2, baseType } from "../../src/hv/core/frame-table.js";
import { checkDescriptor } from "../../src/hv/pv/check-descriptor.js";
import { HV_VA, LDT_PAGES } from "../../src/hv/pv/hypervisor-area.js";
import { checkInvariants } from "../../src/hv/pv/invariants.js";
import type { PvDomain } from "../../src/hv/pv/domain.js";
import type { PvVcpu } from "../../src/hv/pv/vcpu.js";
import { CpuContext } from "../../src/machine/cpu/context.js";
import { CpuFault } from "../../src/machine/cpu/fault.js";
import { CS, DS, ES, ESP, FS, GS, SS } from "../../src/machine/cpu/registers.js";
import { addDomain, fakeMachine, hypercall, onCpu, type DomainOptions, type FakeMachine } from "../support/pv-fake-guest.js";

// ── deterministic randomness ───────────────────────────────────────────────

/** mulberry32: a small, fast, seedable PRNG (never Math.random). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** 0 … n − 1. */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 0x100000000) * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  weighted<T>(items: ReadonlyArray<readonly [number, T]>): T {
    let total = 0;
    for (const [w] of items) total += w;
    let r = (this.u32() / 0x100000000) * total;
    for (const [w, v] of items) {
      if (r < w) return v;
      r -= w;
    }
    return items[items.length - 1]![1];
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

export const hex = (n: number, w = 8): string => (n >>> 0).toString(16).padStart(w, "0");

// ── the world ─────────────────────────────────────────────────────────────

export interface StepOutcome {
  /** EAX after the hypercall (undefined: no hypercall was made, or none could be). */
  rc: number | undefined;
  problems: string[];
}

export interface Action {
  /** Hypercall number and arguments; undefined: the action did its work itself (a CPU access). */
  nr?: number;
  args?: number[];
  /** What was done, for the report (arguments and memory contents). */
  what: string;
  /** Runs after the hypercall, before the checks (read results back from the guest's memory). */
  post?(rc: number | undefined): void;
}

export interface Finding {
  step: number;
  caller: string;
  what: string;
  problems: string[];
}

export class World {
  readonly m: FakeMachine;
  readonly mon: SafetyMonitor;
  /** The ring-1 flat state of a freshly started vCPU (CS/SS/DS… = FLAT ring 1, ESP = boot stack). */
  readonly base = new CpuContext();
  readonly findings: Finding[] = [];
  steps = 0;
  /** Hypercalls issued (fuzzed and harness ones). */
  hypercalls = 0;
  /** Findings matching this are dropped (exploring past a known bug; never set by default). */
  ignore: RegExp | undefined;
  /** Called with a line per step (debugging a seed). */
  trace: ((line: string) => void) | undefined;

  constructor(o: { memoryMiB?: number; domains?: DomainOptions[] } = {}) {
    this.m = fakeMachine({ memoryMiB: o.memoryMiB ?? 16, checkInvariants: false });
    const specs = o.domains ?? [{ name: "attacker", vcpus: 2 }, { name: "victim", vcpus: 2 }];
    for (const spec of specs) addDomain(this.m, spec);
    this.m.hv.start();
    const first = onCpu(this.m);
    if (first === undefined || this.m.hv.cpu.cpl !== 1) throw new Error("world: no vCPU at ring 1 after start");
    this.base.save(this.m.hv.cpu, false);
    this.base.regs[ESP] = (this.base.regs[ESP]! - 0x100) | 0; // inside the boot stack, room above for an iret frame
    this.mon = new SafetyMonitor(this.m, this.domain(first.domid));
  }

  domain(domid: number): PvDomain {
    const d = this.m.hv.domain(domid);
    if (d === undefined) throw new Error(`world: no domain ${domid}`);
    return d;
  }

  get domains(): PvDomain[] {
    return [...this.m.hv.domains.values()];
  }

  /** A new domain built by the toolstack (outside any guest step; the watch is paused). */
  addDomain(spec: DomainOptions): PvDomain {
    return this.mon.unwatched(() => addDomain(this.m, spec));
  }

  /** The CPU back in the ring-1 flat state (what the guest kernel's `int $0x82` site runs with). */
  resetRing1(): void {
    const cpu = this.m.hv.cpu, b = this.base;
    for (const seg of [ES, CS, SS, DS, FS, GS]) {
      cpu.segSel[seg] = b.segSel[seg]!;
      cpu.segBase[seg] = b.segBase[seg]!;
      cpu.segLimit[seg] = b.segLimit[seg]!;
      cpu.segAttr[seg] = b.segAttr[seg]!;
      cpu.segRd[seg] = b.segRd[seg]!;
      cpu.segWr[seg] = b.segWr[seg]!;
    }
    cpu.csDescLo = b.csDescLo;
    cpu.csDescHi = b.csDescHi;
    cpu.eip = b.eip;
    cpu.eflags = b.eflags;
    cpu.regs[ESP] = b.regs[ESP]!;
    cpu.cpl = b.cpl;
    cpu.halted = false;
    cpu.updateAccessMasks();
    cpu.forgetCode();
    cpu.attention = 1;
  }

  /**
   * Put a vCPU of `d` on the CPU the way guests and events do: wake its
   * blocked vCPUs (an event), let whoever runs yield, let time pass while
   * the CPU idles. undefined if `d` has ended or has nothing runnable.
   */
  bringOn(d: PvDomain): PvVcpu | undefined {
    for (let attempt = 0; attempt < 8; attempt++) {
      if (d.end !== undefined) return undefined;
      const cur = onCpu(this.m);
      if (cur !== undefined && cur.domid === d.domid) return cur;
      for (const v of d.vcpus) if (v.state === "blocked") this.m.hv.wake(v);
      const now = onCpu(this.m);
      if (now !== undefined && now.domid === d.domid) return now;
      if (now === undefined) {
        const clock = this.m.hv.cpu.clock;
        const problems = this.keep(this.mon.tick(() => { clock.now = Math.max(clock.now, Math.min(clock.nextEventAt, clock.now + clock.hz)); clock.runDue(); }));
        if (problems.length > 0) this.findings.push({ step: this.steps, caller: "(clock)", what: "idle: time passes", problems });
        continue;
      }
      const other = this.domain(now.domid);
      this.step(other, () => ({ nr: HYPERCALL.sched_op, args: [SCHEDOP.yield, 0], what: "harness: sched_op(yield) to let another domain run" }));
      if (d.vcpus.every((v) => v.state === "down")) return undefined;
    }
    const cur = onCpu(this.m);
    return cur !== undefined && cur.domid === d.domid ? cur : undefined;
  }

  /**
   * One monitored step of `d`: bring it on the CPU, reset the CPU to ring 1,
   * let `act` write the guest's memory and choose the hypercall, make it,
   * check everything. Findings are recorded in `findings`.
   */
  step(d: PvDomain, act: (v: PvVcpu) => Action | undefined): StepOutcome {
    const v = this.bringOn(d);
    if (v === undefined) return { rc: undefined, problems: [] };
    this.resetRing1();
    this.steps++;
    this.mon.before(d);
    let rc: number | undefined;
    let threw: string | undefined;
    let what = "(nothing)";
    const a = act(v); // the harness's own errors are not the hypervisor's: they propagate
    if (a !== undefined) {
      what = a.what;
      if (a.nr !== undefined) {
        this.hypercalls++;
        try {
          rc = hypercall(this.m, a.nr, ...(a.args ?? []));
        } catch (e) {
          threw = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ""}` : `non-Error thrown: ${JSON.stringify(e)}`;
        }
      }
      if (threw === undefined && onCpu(this.m)?.domid === d.domid) a.post?.(rc);
    }
    const problems = this.keep(this.mon.after(d, threw));
    this.trace?.(`#${this.steps} d${d.domid}v${v.id}: ${what} → rc ${rc}`);
    if (problems.length > 0) this.findings.push({ step: this.steps, caller: `d${d.domid}`, what: `${what} → rc ${rc}`, problems });
    return { rc, problems };
  }

  /** Let simulated time pass (timers, slices, watchdogs), monitored with no caller. */
  tick(cycles: number): void {
    const clock = this.m.hv.cpu.clock;
    const problems = this.keep(this.mon.tick(() => {
      clock.now += cycles;
      clock.runDue();
    }));
    if (problems.length > 0) this.findings.push({ step: this.steps, caller: "(clock)", what: `tick ${cycles}`, problems });
  }

  private keep(problems: string[]): string[] {
    return this.ignore === undefined ? problems : problems.filter((x) => !this.ignore!.test(x));
  }

  /** Guest store through the caller's current page tables (kernel rights); false if it would fault. */
  guestWrite(d: PvDomain, va: number, bytes: Uint8Array): boolean {
    return d.guest.copyToGuest(vaddr(va), bytes);
  }

  guestWrite32(d: PvDomain, va: number, ...words: number[]): boolean {
    const b = new Uint8Array(words.length * 4), dv = new DataView(b.buffer);
    words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
    return this.guestWrite(d, va, b);
  }

  /**
   * A load or store by guest code at ring 1 through the CPU (its TLB
   * included): what `mov` would do. A fault is the guest's own (it would be
   * bounced to its #PF handler) and changes nothing here.
   */
  cpuAccess(va: number, write: boolean, value = 0): "ok" | "fault" {
    const cpu = this.m.hv.cpu;
    try {
      if (write) cpu.linWrite32(va | 0, value | 0);
      else cpu.linRead32(va | 0);
    } catch (e) {
      if (e instanceof CpuFault) return "fault";
      throw e;
    }
    const e = cpu.tlb.entry[(va >>> 12) & 0xfffff]!;
    if (e !== 0) {
      const pa = ((e & ~0xfff) >>> 0) + (va & 0xfff);
      this.mon.cpuTouched(pa, 4, write);
    }
    return "ok";
  }
}

// ── the monitor ───────────────────────────────────────────────────────────

interface OtherSnapshot {
  domid: number;
  state: string;
  ports: Array<PortState | undefined>;
}

interface PortState {
  status: number;
  dom: number;
  port: number;
  vcpu: number;
}

interface FrameSnapshot {
  owner: Uint16Array;
  count: Uint32Array;
  typeInfo: Uint8Array;
  typeCount: Uint32Array;
  flags: Uint8Array;
  linear: Int32Array;
}

const HV_SLOT_COUNT = SLOTS.L2_LAST_HYPERVISOR_SLOT - SLOTS.L2_FIRST_HYPERVISOR_SLOT + 1;
const PRIVATE_GDT_SLOT = (HV_VA.GDT - HV_VA.PRIVATE) / PAGE.SIZE;
const PRIVATE_LDT_SLOT = (HV_VA.LDT - HV_VA.PRIVATE) / PAGE.SIZE;
const PRIVATE_IDT_SLOT = (HV_VA.IDT - HV_VA.PRIVATE) / PAGE.SIZE;
const L1_RO_FLAGS = 0x21;
/** The accessed bit of a code/data descriptor (high word): the CPU sets it. */
const ACCESSED_BIT = 0x100;
const L1_FOREIGN = /^L1 ([0-9a-f]+)\[(\d+)\] → ([0-9a-f]+): frame owned by ([0-9a-f]+), table by ([0-9a-f]+)$/;

export class SafetyMonitor {
  /** Findings of the watch (writes/reads), collected until the step ends. */
  private watched: string[] = [];
  private logSeen = 0;
  private readonly mirror: Uint8Array;
  private watching = true;
  private readonly m2pIndex = new Map<number, number>();
  private readonly canonXenL2: number[] = [];
  private readonly privateL1: number;
  private readonly zeroFrame: number;
  private readonly idtFrame: number;
  private readonly gdtReserved: number;
  private readonly m2pL1s: number[] = [];
  private readonly statics = new Map<number, Uint8Array>();
  private snapFrames: FrameSnapshot | undefined;
  private snapOthers: OtherSnapshot[] = [];
  private snapGrantExcl = new Set<number>();
  private snapSwitches = 0;
  private caller: number | undefined;
  private stepsSinceMirror = 0;
  /** Inside the hypervisor's destruction of ended domains (Hypervisor.reapDying). */
  private inTeardown = 0;
  private snapEnded = new Set<number>();
  private snapTornDown = new Set<number>();
  private snapDyingGrants = new Set<number>();
  /** Where each vCPU not on the CPU would resume: its saved CS:EIP, its start frame, its event callback. */
  private snapResume = new Map<PvVcpu, string[]>();
  /** Compare all of RAM against the mirror every this many steps. */
  mirrorEvery = 200;
  /** Compare every domain's memory digest every this many steps. */
  digestEvery = 10;
  private stepsSinceDigest = 0;
  private stepNo = 0;
  /** Domains that wrote their own memory (directly, or the hypervisor for them) during the current step. */
  private selfWriters = new Set<number>();
  /** Per domain: digest of its memory, the step it was taken, whether it wrote itself since (then it is not compared). */
  private digests = new Map<number, { h: Map<number, number>; at: number; dirty: boolean }>();

  constructor(readonly m: FakeMachine, reference: PvDomain) {
    const ram = m.pc.ram;
    this.mirror = new Uint8Array(ram.u8);
    m.hv.area.m2pFrames.forEach((f, i) => this.m2pIndex.set(f, i));
    // the hypervisor's slots of a slot-3 L2, as the hypervisor wrote them
    const l3 = reference.built.l3Mfn;
    const slot3L2 = ram.read32(l3 * PAGE.SIZE + SLOTS.L3_HYPERVISOR_SLOT * 8) >>> 12;
    for (let s = 0; s < HV_SLOT_COUNT; s++) {
      const at = slot3L2 * PAGE.SIZE + (SLOTS.L2_FIRST_HYPERVISOR_SLOT + s) * 8;
      this.canonXenL2.push(ram.read32(at) >>> 0, ram.read32(at + 4) >>> 0);
    }
    const l1Of = (s: number): number => this.canonXenL2[s * 2]! >>> 12;
    this.privateL1 = l1Of(HV_SLOT_COUNT - 1);
    for (let s = 0; s < HV_SLOT_COUNT - 1; s++) if ((this.canonXenL2[s * 2]! & 1) !== 0) this.m2pL1s.push(l1Of(s));
    const pte = (slot: number): number => ram.read32(this.privateL1 * PAGE.SIZE + slot * 8) >>> 12;
    this.zeroFrame = pte(PRIVATE_GDT_SLOT + FIRST_RESERVED_GDT.PAGE - 1);
    this.gdtReserved = pte(PRIVATE_GDT_SLOT + FIRST_RESERVED_GDT.PAGE);
    this.idtFrame = pte(PRIVATE_IDT_SLOT);
    for (const f of [this.privateL1, this.zeroFrame, this.gdtReserved, this.idtFrame, ...this.m2pL1s]) {
      this.statics.set(f, ram.u8.slice(f * PAGE.SIZE, (f + 1) * PAGE.SIZE));
    }
    this.logSeen = m.log.length;
    this.installWatch();
    // Ended domains are destroyed by the hypervisor at its next scheduling point (their frames
    // freed, their tables de-validated): that work writes the dead domain's frames legitimately.
    const hv = m.hv as unknown as Record<string, unknown>;
    const reap = hv["reapDying"];
    if (typeof reap === "function") {
      hv["reapDying"] = (...a: unknown[]): unknown => {
        this.inTeardown++;
        try { return reap.apply(m.hv, a); } finally { this.inTeardown--; }
      };
    }
  }

  /** Run toolstack work (domain building) without judging its writes; the mirror follows. */
  unwatched<T>(fn: () => T): T {
    this.watching = false;
    try {
      return fn();
    } finally {
      this.watching = true;
      this.mirror.set(this.m.pc.ram.u8);
      this.logSeen = this.m.log.length;
    }
  }

  /** Clock work (timers, slices) with no guest as the caller; returns the findings. */
  tick(fn: () => void): string[] {
    this.before(undefined);
    let threw: string | undefined;
    try {
      fn();
    } catch (e) {
      threw = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    return this.after(undefined, threw);
  }

  // ── the watch ────────────────────────────────────────────────────────

  private installWatch(): void {
    const ram = this.m.pc.ram;
    const w8 = ram.write8.bind(ram), w16 = ram.write16.bind(ram), w32 = ram.write32.bind(ram);
    ram.write8 = (p: number, v: number): void => { w8(p, v); this.wrote(p, 1); };
    ram.write16 = (p: number, v: number): void => { w16(p, v); this.wrote(p, 2); };
    ram.write32 = (p: number, v: number): void => { w32(p, v); this.wrote(p, 4); };
  }

  private wrote(p: number, n: number): void {
    const u8 = this.m.pc.ram.u8;
    for (let i = 0; i < n && p + i < u8.length; i++) this.mirror[p + i] = u8[p + i]!;
    if (!this.watching) return;
    const first = Math.floor(p / PAGE.SIZE), last = Math.floor((p + n - 1) / PAGE.SIZE);
    for (let f = first; f <= last; f++) this.judge(f, p, n, true);
  }

  /** A load or store the CPU made for the guest (the harness's cpuAccess). */
  cpuTouched(pa: number, n: number, write: boolean): void {
    if (WATCH_FRAME === Math.floor(pa / PAGE.SIZE)) console.log(`watch: CPU ${write ? "store" : "load"} at ${hex(pa)} by ${onCpu(this.m)?.name ?? "-"}`);
    if (write) {
      const u8 = this.m.pc.ram.u8;
      for (let i = 0; i < n && pa + i < u8.length; i++) this.mirror[pa + i] = u8[pa + i]!;
    }
    this.judge(Math.floor(pa / PAGE.SIZE), pa, n, write);
  }

  private running(): PvVcpu | undefined {
    return onCpu(this.m);
  }

  private judge(frame: number, p: number, n: number, write: boolean): void {
    const frames = this.m.hv.frames;
    if (WATCH_FRAME === frame && write) console.log(`watch: frame ${hex(frame, 5)} written at ${hex(p)} (${n}) by ${onCpu(this.m)?.name ?? "-"} owner ${frames.owner[frame]}${where()}`);
    if (!frames.isValid(frame)) return;
    const owner = frames.owner[frame]!;
    const r = this.running();
    const w = r?.domid;
    if (owner === w) { if (write) this.selfWriters.add(owner); return; }
    if (write && this.inTeardown > 0) this.selfWriters.add(owner); // the hypervisor tearing a domain down
    const verb = write ? "wrote" : "read";
    const who = w === undefined ? "the hypervisor (no vCPU on the CPU)" : `d${w}`;
    if (owner === DOMID_XEN) {
      if (!write) return; // the read-only hypervisor area (M2P, GDT/IDT/TSS) is readable by design
      const idx = this.m2pIndex.get(frame);
      if (idx !== undefined) {
        const lo = Math.max(p, frame * PAGE.SIZE), hi = Math.min(p + n, (frame + 1) * PAGE.SIZE);
        for (let e = Math.floor((idx * PAGE.SIZE + (lo - frame * PAGE.SIZE)) / 4); e * 4 < idx * PAGE.SIZE + (hi - frame * PAGE.SIZE); e++) {
          if (!frames.isValid(e)) continue;
          const o = frames.owner[e]!;
          if (o !== w && o !== OWNER_FREE && !(this.inTeardown > 0 && this.m.hv.domain(o)?.end !== undefined)) {
            this.watched.push(`${who} wrote M2P entry of frame ${hex(e, 5)} owned by ${ownerName(o)}`);
          }
        }
        return;
      }
      if (frame === this.zeroFrame) this.watched.push(`${who} wrote the hypervisor's zero frame at ${hex(p)}`);
      return;
    }
    if (owner === OWNER_FREE) {
      if (this.inTeardown > 0) return;
      this.watched.push(`${who} ${verb} ${n} byte(s) at ${hex(p)} in free frame ${hex(frame, 5)}${this.watched.length === 0 ? where() : ""}`);
      return;
    }
    const o = this.m.hv.domain(owner);
    if (this.inTeardown > 0 && o !== undefined && o.end !== undefined) return; // destroying a dead domain
    if (o !== undefined && frame === o.built.sharedInfoMfn) return; // event channels: pending/mask bits, vcpu_info
    if (w !== undefined && o !== undefined) {
      const me = this.m.hv.domain(w);
      if (me !== undefined && grantedTo(me, o.domid, frame, write)) return;
      if (write && grantEntryOfMapper(o, frame, p, w)) return;
    }
    this.watched.push(`${who} ${verb} ${n} byte(s) at ${hex(p)} in frame ${hex(frame, 5)} owned by ${ownerName(owner)}${this.watched.length === 0 ? where() : ""}`);
  }

  // ── before / after ───────────────────────────────────────────────────

  before(caller: PvDomain | undefined): void {
    this.caller = caller?.domid;
    this.watched = [];
    const f = this.m.hv.frames;
    this.snapFrames = {
      owner: f.owner.slice(), count: f.count.slice(), typeInfo: f.typeInfo.slice(),
      typeCount: f.typeCount.slice(), flags: f.flags.slice(), linear: f.linear.slice(),
    };
    this.snapOthers = [];
    for (const d of this.m.hv.domains.values()) {
      if (d.domid === this.caller) continue;
      this.snapOthers.push({ domid: d.domid, state: domainState(d), ports: ports(d) });
    }
    this.snapGrantExcl = caller === undefined ? new Set() : grantedFrames(caller);
    this.snapSwitches = this.m.hv.switches;
    this.snapResume = new Map();
    const running = onCpu(this.m);
    for (const d of this.m.hv.domains.values()) {
      for (const v of d.vcpus) {
        if (v === running) continue;
        const ok = [`${hex(v.context.segSel[CS]!, 4)}:${hex(v.context.eip)}`];
        if (v.startFrame !== undefined) ok.push(`${hex(v.startFrame.cs, 4)}:${hex(v.startFrame.eip)}`);
        const cb = v.traps.callbacks.get(0);
        if (cb !== undefined) ok.push(`${hex(cb.cs, 4)}:${hex(cb.eip)}`);
        this.snapResume.set(v, ok);
      }
    }
    this.snapEnded = new Set();
    this.snapTornDown = new Set();
    this.snapDyingGrants = new Set();
    for (const d of this.m.hv.domains.values()) {
      if (d.end !== undefined) {
        this.snapEnded.add(d.domid);
        for (const m of grantedFrames(d)) this.snapDyingGrants.add(m);
      }
      if (d.teardown !== undefined) this.snapTornDown.add(d.domid);
    }
  }

  after(caller: PvDomain | undefined, threw: string | undefined): string[] {
    const out: string[] = [];
    if (threw !== undefined) out.push(`exception escaped the hypervisor: ${threw}`);
    const log = this.m.log;
    for (let i = this.logSeen; i < log.length; i++) {
      if (/hypervisor error|invariant violated/.test(log[i]!)) out.push(`hypervisor log: ${log[i]}`);
    }
    this.logSeen = log.length;
    out.push(...this.watched);
    this.watched = [];
    out.push(...this.frameTableChecks());
    out.push(...this.hypervisorStructureChecks());
    out.push(...this.othersUnchanged(caller));
    // a vCPU switched in during the step resumes where it was, at its start frame, or in its own event callback
    const r = onCpu(this.m);
    const ok = r === undefined ? undefined : this.snapResume.get(r);
    if (r !== undefined && ok !== undefined && r.domid !== caller?.domid) {
      const at = `${hex(this.m.hv.cpu.segSel[CS]!, 4)}:${hex(this.m.hv.cpu.eip)}`;
      if (!ok.includes(at)) out.push(`${r.name} was switched in at ${at}, not where it can resume (${ok.join(", ")})`);
    }
    if (++this.stepsSinceMirror >= this.mirrorEvery) out.push(...this.mirrorCheck());
    out.push(...this.digestCheck());
    return out;
  }

  /** (b), (d): the invariant checker, foreign L1 entries only as grant mappings, the allocator's totals. */
  frameTableChecks(): string[] {
    const { hv } = this.m;
    const out: string[] = [];
    for (const v of checkInvariants(this.m.pc.ram, hv.frames, { external: hv.externalRefs() })) {
      const g = L1_FOREIGN.exec(v);
      if (g !== null && this.legitGrantPte(parseInt(g[1]!, 16), Number(g[2]), parseInt(g[3]!, 16), parseInt(g[5]!, 16))) continue;
      out.push(`invariant: ${v}`);
    }
    const f = hv.frames;
    let free = 0, allocated = 0;
    for (let i = 0; i < f.total; i++) if (f.owner[i] === OWNER_FREE) free++; else allocated++;
    if (free !== f.freeCount || free + allocated !== f.total) out.push(`allocator: ${free} frames without owner (freeCount ${f.freeCount}) + ${allocated} allocated, total ${f.total}`);
    return out;
  }

  private legitGrantPte(l1: number, slot: number, target: number, tableOwner: number): boolean {
    const { hv } = this.m;
    if (!hv.grantPtes.has(l1 as Mfn, slot)) return false;
    const d = hv.domain(tableOwner);
    if (d === undefined) return false;
    const lo = hv.mem.read32(l1 * PAGE.SIZE + slot * 8) >>> 0;
    const rw = (lo & 2) !== 0;
    const frameOwner = hv.frames.owner[target]!;
    return d.grants.mappings().some((mp) =>
      mp.mfn === target && mp.domid === frameOwner && (mp.flags & GNTMAP.host_map) !== 0 && (!rw || (mp.flags & GNTMAP.readonly) === 0));
  }

  /** (e) The hypervisor's own tables and pages. */
  hypervisorStructureChecks(): string[] {
    const out: string[] = [];
    const { hv } = this.m;
    const ram = this.m.pc.ram, f = hv.frames;
    for (let i = 0; i < f.total; i++) {
      if ((f.typeInfo[i]! & PGT_PAE_XEN_L2) === 0 || f.typeCount[i] === 0) continue;
      for (let s = 0; s < HV_SLOT_COUNT; s++) {
        const at = i * PAGE.SIZE + (SLOTS.L2_FIRST_HYPERVISOR_SLOT + s) * 8;
        if ((ram.read32(at) >>> 0) !== this.canonXenL2[s * 2] || (ram.read32(at + 4) >>> 0) !== this.canonXenL2[s * 2 + 1]) {
          out.push(`slot-3 L2 ${hex(i, 5)}: hypervisor slot ${SLOTS.L2_FIRST_HYPERVISOR_SLOT + s} is ${hex(ram.read32(at + 4))}${hex(ram.read32(at))}, not the hypervisor's`);
        }
      }
    }
    const r = onCpu(this.m);
    for (const [frame, want] of this.statics) {
      const base = frame * PAGE.SIZE;
      const now32 = new Int32Array(ram.u8.buffer, ram.u8.byteOffset + base, PAGE.SIZE / 4), want32 = new Int32Array(want.buffer, want.byteOffset, PAGE.SIZE / 4);
      let same = true;
      for (let i = 0; i < PAGE.SIZE / 4; i++) if (now32[i] !== want32[i]) { same = false; break; }
      if (same) continue;
      for (let o = 0; o < PAGE.SIZE; o++) {
        if (ram.u8[base + o] === want[o]) continue;
        if (frame === this.privateL1) {
          const slot = o >>> 3;
          if ((slot >= PRIVATE_GDT_SLOT && slot < PRIVATE_GDT_SLOT + FIRST_RESERVED_GDT.PAGE) || (slot >= PRIVATE_LDT_SLOT && slot < PRIVATE_LDT_SLOT + LDT_PAGES)) continue;
        }
        if (frame === this.idtFrame && o >= 0x80 * 8 && o < 0x81 * 8) continue;
        out.push(`hypervisor frame ${hex(frame, 5)} changed at offset ${hex(o, 3)}: ${hex(want[o]!, 2)} → ${hex(ram.u8[base + o]!, 2)}`);
        break;
      }
    }
    // int 0x80 gate: a guest selector (or FLAT_RING1_CS), never a hypervisor one
    const gLo = ram.read32(this.idtFrame * PAGE.SIZE + 0x80 * 8) >>> 0, gHi = ram.read32(this.idtFrame * PAGE.SIZE + 0x80 * 8 + 4) >>> 0;
    if (gLo !== 0 || gHi !== 0) {
      const sel = gLo >>> 16;
      if ((sel & 0xfffc) === 0 || ((sel & 4) === 0 && sel >>> 3 >= FIRST_RESERVED_GDT.ENTRY && sel !== FLAT.RING1_CS)) {
        out.push(`IDT vector 0x80 gate names selector ${hex(sel, 4)}`);
      }
    }
    if (r !== undefined) {
      const pl1 = this.privateL1 * PAGE.SIZE;
      for (let p = 0; p < FIRST_RESERVED_GDT.PAGE; p++) {
        const want = r.gdtFrames[p] ?? this.zeroFrame;
        const lo = ram.read32(pl1 + (PRIVATE_GDT_SLOT + p) * 8) >>> 0, hi = ram.read32(pl1 + (PRIVATE_GDT_SLOT + p) * 8 + 4) >>> 0;
        if (lo !== ((want * PAGE.SIZE) | L1_RO_FLAGS) >>> 0 || hi !== 0) out.push(`GDT page ${p} maps ${hex(hi)}${hex(lo)}, not ${r.name}'s frame ${hex(want, 5)}`);
      }
      for (let p = 0; p < LDT_PAGES; p++) {
        const want = r.ldtFrames[p];
        const lo = ram.read32(pl1 + (PRIVATE_LDT_SLOT + p) * 8) >>> 0, hi = ram.read32(pl1 + (PRIVATE_LDT_SLOT + p) * 8 + 4) >>> 0;
        const exp = want === undefined ? 0 : ((want * PAGE.SIZE) | L1_RO_FLAGS) >>> 0;
        if (lo !== exp || hi !== 0) out.push(`LDT page ${p} maps ${hex(hi)}${hex(lo)}, not ${r.name}'s ${want === undefined ? "nothing" : hex(want, 5)}`);
        if (want !== undefined && f.owner[want] !== r.domid) out.push(`LDT page ${p} of ${r.name} is frame ${hex(want, 5)} of ${ownerName(f.owner[want]!)}`);
      }
      for (const g of r.gdtFrames) if (f.owner[g] !== r.domid) out.push(`GDT frame ${hex(g, 5)} of ${r.name} is owned by ${ownerName(f.owner[g]!)}`);
      const pdpt = hv.area.pdptFrame * PAGE.SIZE, l3 = r.baseptr * PAGE.SIZE;
      for (let i = 0; i < 4; i++) {
        const lo = ram.read32(l3 + i * 8) >>> 0, hi = ram.read32(l3 + i * 8 + 4) >>> 0;
        const present = (lo & 1) !== 0;
        const wantLo = present ? (lo & 0xfffff001) >>> 0 : 0, wantHi = present ? hi & 0xf : 0;
        if ((ram.read32(pdpt + i * 8) >>> 0) !== wantLo || (ram.read32(pdpt + i * 8 + 4) >>> 0) !== wantHi) {
          out.push(`PDPT shadow entry ${i} is ${hex(ram.read32(pdpt + i * 8 + 4))}${hex(ram.read32(pdpt + i * 8))}, ${r.name}'s L3 ${hex(r.baseptr, 5)} says ${hex(hi)}${hex(lo)}`);
        }
      }
      if (((hv.cpu.cr3 >>> 0) & 0xfffff000) !== (pdpt >>> 0)) out.push(`CR3 ${hex(hv.cpu.cr3)} is not the PDPT shadow`);
      const tss = hv.area.tssFrame * PAGE.SIZE;
      if ((ram.read32(tss + 12) >>> 0) !== (r.traps.kernelSp >>> 0) || (ram.read32(tss + 16) & 0xffff) !== (r.traps.kernelSs & 0xffff)) {
        out.push(`TSS ring-1 stack ${hex(ram.read32(tss + 16), 4)}:${hex(ram.read32(tss + 12))} is not ${r.name}'s kernel stack`);
      }
      if (f.owner[r.baseptr] !== r.domid) out.push(`${r.name} runs on L3 ${hex(r.baseptr, 5)} owned by ${ownerName(f.owner[r.baseptr]!)}`);
    }
    for (let o = 0; o < PAGE.SIZE; o += 4) {
      if (ram.read32(this.zeroFrame * PAGE.SIZE + o) !== 0) { out.push(`zero frame not zero at ${hex(o, 3)}`); break; }
    }
    // descriptor frames in use hold only descriptors check_descriptor accepts, in their stored form
    for (let i = 0; i < f.total; i++) {
      if (f.typeCount[i] === 0 || baseType(f.typeInfo[i]!) !== PGT.SEG_DESC) continue;
      for (let e = 0; e < PAGE.SIZE / 8; e++) {
        const lo = ram.read32(i * PAGE.SIZE + e * 8) >>> 0, hi = ram.read32(i * PAGE.SIZE + e * 8 + 4) >>> 0;
        const d = checkDescriptor(lo, hi);
        if (d === undefined || d.lo !== lo || ((d.hi ^ hi) & ~ACCESSED_BIT) !== 0) {
          out.push(`descriptor frame ${hex(i, 5)} of ${ownerName(f.owner[i]!)} (in use) holds ${hex(hi)}${hex(lo)} at entry ${e}, which check_descriptor ${d === undefined ? "refuses" : `stores as ${hex(d.hi)}${hex(d.lo)}`}`);
          break;
        }
      }
    }
    return out;
  }

  /** (c) Every domain but the caller: frame records, domain and vCPU state, ports. */
  private othersUnchanged(caller: PvDomain | undefined): string[] {
    const out: string[] = [];
    const snap = this.snapFrames;
    if (snap === undefined) return out;
    const f = this.m.hv.frames;
    const c = caller?.domid;
    const excl = caller === undefined ? new Set<number>() : new Set([...this.snapGrantExcl, ...grantedFrames(caller)]);
    // domains destroyed during this step: their frames may be freed, the frames they mapped released
    const tornNow = new Set<number>();
    for (const d of this.m.hv.domains.values()) if (d.teardown !== undefined && !this.snapTornDown.has(d.domid)) tornNow.add(d.domid);
    for (const d of this.m.hv.domains.values()) if (d.end !== undefined && !this.snapEnded.has(d.domid)) for (const m of grantedFrames(d)) excl.add(m);
    if (tornNow.size > 0) for (const m of this.snapDyingGrants) excl.add(m);
    if (c !== undefined) {
      for (let i = 0; i < f.total; i++) {
        const before = snap.owner[i]!, now = f.owner[i]!;
        if (tornNow.has(before)) continue;
        const otherBefore = before !== c && before !== OWNER_FREE && before !== DOMID_XEN;
        const otherNow = now !== c && now !== OWNER_FREE && now !== DOMID_XEN;
        if (!otherBefore && !otherNow) continue;
        if (excl.has(i)) continue;
        if (before !== now || snap.count[i] !== f.count[i] || snap.typeInfo[i] !== f.typeInfo[i] || snap.typeCount[i] !== f.typeCount[i] ||
            snap.flags[i] !== f.flags[i] || snap.linear[i] !== f.linear[i]) {
          out.push(`frame ${hex(i, 5)} of ${ownerName(before)} changed by d${c}: owner ${ownerName(before)}→${ownerName(now)} count ${snap.count[i]}→${f.count[i]} type ${snap.typeInfo[i]}×${snap.typeCount[i]}→${f.typeInfo[i]}×${f.typeCount[i]} flags ${snap.flags[i]}→${f.flags[i]} linear ${snap.linear[i]}→${f.linear[i]}`);
        }
      }
    }
    for (const s of this.snapOthers) {
      const d = this.m.hv.domain(s.domid);
      if (d === undefined) { out.push(`domain ${s.domid} disappeared`); continue; }
      // a domain switched in during the step may crash on its own state (its upcall, its start frame)
      const ownCrash = d.end?.kind === "crash" && s.state.includes(" / alive / ") && this.m.hv.switches !== this.snapSwitches &&
        /^(event upcall|vCPU \d+ start|iret|vec |Unhandled)/.test(d.end.message);
      if (c !== undefined && !ownCrash && !this.snapEnded.has(d.domid)) {
        const now = domainState(d);
        if (now !== s.state) out.push(`d${d.domid}'s state changed by d${c}:\n    before ${s.state}\n    after  ${now}`);
      }
      if (tornNow.has(d.domid) || this.snapEnded.has(d.domid)) continue; // a dead domain's ports close when it is destroyed
      const pnow = ports(d);
      const n = Math.max(pnow.length, s.ports.length);
      for (let p = 0; p < n; p++) {
        const a = s.ports[p], b = pnow[p];
        if (samePort(a, b)) continue;
        // the peer was destroyed: its end closed, this one back to unbound (Xen's evtchn_close on domain_kill)
        if (a !== undefined && b !== undefined && a.status === EVTCHNSTAT.interdomain && b.status === EVTCHNSTAT.unbound && a.dom === b.dom && tornNow.has(a.dom)) continue;
        if (a === undefined && b !== undefined && b.status === EVTCHNSTAT.closed) continue; // a bucket allocated (Xen's get_free_port too)
        if (c !== undefined && a !== undefined && b !== undefined && a.dom === c && b.dom === c && a.vcpu === b.vcpu &&
            ((a.status === EVTCHNSTAT.unbound && b.status === EVTCHNSTAT.interdomain) || (a.status === EVTCHNSTAT.interdomain && b.status === EVTCHNSTAT.unbound))) continue;
        if (c === undefined) continue; // clock work: only the domains' own timers
        out.push(`d${d.domid} port ${p} changed by d${c}: ${portName(a)} → ${portName(b)}`);
      }
    }
    return out;
  }

  /**
   * (c) literally: a digest of each domain's memory (its shared_info and the
   * frames it has granted excepted) must not change unless the domain itself
   * wrote its memory (its own hypercalls, its upcalls and start frames). After
   * a step in which a domain wrote itself, its digest is retaken at once (at
   * most every 25 steps; a domain writing itself more often is not compared
   * until the next digest point); every `digestEvery` steps the others are
   * compared.
   */
  private digestCheck(): string[] {
    this.stepNo++;
    const out: string[] = [];
    for (const id of this.selfWriters) {
      const d = this.m.hv.domain(id), g = this.digests.get(id);
      if (d === undefined || d.teardown !== undefined) continue;
      if (g === undefined || this.stepNo - g.at >= 25) this.digests.set(id, { h: this.digestOf(d), at: this.stepNo, dirty: false });
      else g.dirty = true;
    }
    this.selfWriters = new Set();
    if (++this.stepsSinceDigest < this.digestEvery) return out;
    this.stepsSinceDigest = 0;
    for (const d of this.m.hv.domains.values()) {
      if (d.teardown !== undefined) { this.digests.delete(d.domid); continue; }
      const g = this.digests.get(d.domid);
      if (g !== undefined && !g.dirty) {
        const h = this.digestOf(d);
        // frames it held both times (giving frames up or receiving them is the frame records' check)
        const changed = [...h.keys()].filter((m) => g.h.has(m) && h.get(m) !== g.h.get(m));
        if (changed.length === 0) continue;
        out.push(`d${d.domid}'s memory changed since step ${g.at} without d${d.domid} writing it: frame(s) ${changed.slice(0, 8).map((m) => hex(m, 5)).join(" ")}`);
      }
      this.digests.set(d.domid, { h: this.digestOf(d), at: this.stepNo, dirty: false });
    }
    return out;
  }

  /**
   * Per frame of `d`: a hash of its contents. Not hashed: its shared_info
   * (event channels), its grant-table frames (mappers set GTF_reading and
   * GTF_writing in them: the watch restricts those writes to the flags of
   * entries granted to the writer), frames it has granted and others map.
   */
  private digestOf(d: PvDomain): Map<number, number> {
    const f = this.m.hv.frames, i32 = this.m.pc.ram.i32;
    const skip = new Set<number>([d.built.sharedInfoMfn]);
    for (let i = 0; i < d.grants.nrFrames; i++) skip.add(d.grants.frameMfn(i));
    for (const o of this.m.hv.domains.values()) for (const mp of o.grants.mappings()) if (mp.domid === d.domid) skip.add(mp.mfn);
    const out = new Map<number, number>();
    for (let m = 0; m < f.total; m++) {
      if (f.owner[m] !== d.domid || skip.has(m)) continue;
      let h = 0x811c9dc5;
      for (let k = m * 1024, e = k + 1024; k < e; k++) h = Math.imul(h ^ i32[k]!, 0x01000193);
      out.set(m, h);
    }
    return out;
  }

  /** Writes that bypassed the watch: all of RAM against the mirror. */
  mirrorCheck(): string[] {
    this.stepsSinceMirror = 0;
    const u8 = this.m.pc.ram.u8, out: string[] = [];
    const a32 = new Int32Array(u8.buffer, u8.byteOffset, u8.length >>> 2);
    const b32 = new Int32Array(this.mirror.buffer, this.mirror.byteOffset, this.mirror.length >>> 2);
    for (let i = 0; i < a32.length; i++) {
      if (a32[i] === b32[i]) continue;
      const pa = i * 4, frame = pa >>> 12;
      out.push(`unwatched write at ${hex(pa)} (frame ${hex(frame, 5)} of ${ownerName(this.m.hv.frames.owner[frame]!)}): ${hex(b32[i]!)} → ${hex(a32[i]!)}`);
      if (out.length >= 4) break;
    }
    this.mirror.set(u8);
    return out;
  }
}

/** Debugging: log every write to this frame (SAFETY_WATCH_FRAME=hex). */
const WATCH_FRAME = process.env.SAFETY_WATCH_FRAME === undefined ? -1 : parseInt(process.env.SAFETY_WATCH_FRAME, 16);

/** Where a bad write came from (the first of a step), when SAFETY_STACKS is set. */
function where(): string {
  if (process.env.SAFETY_STACKS === undefined) return "";
  const st = (new Error().stack ?? "").split("\n").slice(3, 14).map((l) => l.trim().replace(/\(file:.*\/build\//, "(")).join(" < ");
  return `\n      at ${st}`;
}

function ownerName(o: number): string {
  return o === OWNER_FREE ? "nobody (free)" : o === DOMID_XEN ? "DOMID_XEN" : `d${o}`;
}

/** Frames of other domains `d` maps through grants (host or device), for the exclusions. */
function grantedFrames(d: PvDomain): Set<number> {
  const s = new Set<number>();
  for (const mp of d.grants.mappings()) if (mp.domid !== d.domid) s.add(mp.mfn);
  return s;
}

/** Does `me` hold a grant mapping of `frame` of domain `granter` (writable if `write`)? */
function grantedTo(me: PvDomain, granter: number, frame: number, write: boolean): boolean {
  return me.grants.mappings().some((mp) => mp.domid === granter && mp.mfn === frame && (!write || (mp.flags & GNTMAP.readonly) === 0));
}

/** Is `p` inside the flags of a grant entry of `o`'s table that `w` is the grantee or mapper of? */
function grantEntryOfMapper(o: PvDomain, frame: number, p: number, w: number): boolean {
  const gt = o.grants;
  for (let i = 0; i < gt.nrFrames; i++) {
    if (gt.frameMfn(i) !== frame) continue;
    const off = p & (PAGE.SIZE - 1);
    if ((off & 7) >= 2) return false;
    const ref = i * (PAGE.SIZE / 8) + (off >>> 3);
    return gt.entryDomid(ref) === w || gt.activeEntry(ref)?.domid === w;
  }
  return false;
}

function ports(d: PvDomain): Array<PortState | undefined> {
  const out: Array<PortState | undefined> = [];
  for (let p = 0; d.evtchn.isValidPort(p); p++) {
    const s = d.evtchn.status(DOMID.SELF, p);
    if (typeof s === "number") { out.push(undefined); continue; }
    out.push({ status: s.status, vcpu: s.vcpu, dom: "dom" in s ? s.dom : -1, port: "port" in s ? s.port : -1 });
  }
  return out;
}

const samePort = (a: PortState | undefined, b: PortState | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.status === b.status && a.dom === b.dom && a.port === b.port && a.vcpu === b.vcpu);

const portName = (s: PortState | undefined): string => (s === undefined ? "invalid" : `status ${s.status} dom ${s.dom} port ${s.port} vcpu ${s.vcpu}`);

/** What another domain must not see change: accounting, end, grant table size, every vCPU's state. */
function domainState(d: PvDomain): string {
  const vcpus = d.vcpus.map((v) => {
    const traps: string[] = [];
    for (let i = 0; i < 256; i++) {
      const t = v.traps.entry(i);
      if (t !== undefined) traps.push(`${i}:${t.flags}:${t.cs}:${t.address}`);
    }
    const cbs = [...v.traps.callbacks].map(([k, cb]) => `${k}:${cb.cs}:${cb.eip}:${cb.mask}`).join(",");
    return [
      v.state === "down" ? "down" : "up", v.initialised, v.baseptr, v.gdtFrames.join("."), v.gdtEntries, v.ldtBase, v.ldtEntries,
      v.ldtFrames.join("."), v.iopl, v.ts, v.traps.kernelSs, v.traps.kernelSp, cbs, traps.join(","), Array.from(v.debugRegs).join("."),
      v.ioBreakpointBits, v.periodic?.period ?? "-", v.startFrame !== undefined, v.ioBitmap?.va ?? "-",
    ].join("|");
  });
  return [d.totPages, d.maxPages, d.end?.kind ?? "alive", d.vmAssist, d.grants.nrFrames, d.grants.version, ...vcpus].join(" / ");
}
