/**
 * The hypervisor (ARCHITECTURE.md §3, paper §3): owner of ring 0 of the
 * machine through the CPU's Ring0Host interface, of the frame table, the
 * hypervisor area and domain 0, and of the one physical CPU, which it
 * time-shares among the vCPUs of every domain under a Scheduler.
 *
 *   createDomain ──► domain builder (§1) ──► PvDomain with vCPU 0 runnable
 *                    (the toolstack binds its console and xenstore channels
 *                    to domain 0's daemons)
 *   trap(frame)  ──► int $0x82 from ring 1: the running domain's hypercall
 *                    table; exceptions: the vCPU's virtual IDT (traps.ts)
 *   schedule()   ──► at a scheduling point (block, yield, a domain's end,
 *                    the slice timer, a wake-up while idle): save the
 *                    running vCPU's CpuContext, restore the next one's and
 *                    load its address space (PDPT shadow of its L3, GDT
 *                    frames mapped into the hypervisor area, TSS ring-1
 *                    stack), deliver its pending upcall.
 *
 * Scheduling points inside a hypercall are deferred to its end, so that
 * the result is written into the calling vCPU's EAX first. Clock callbacks
 * (timers, slices) run at instruction boundaries and switch at once.
 * Nothing a guest does throws out of trap(): a hypervisor error crashes
 * that domain only.
 */
import { hostFlushTlb, hostInvlpg } from "../core/tlb-ops.js";
import type { Cpu } from "../../machine/cpu/cpu.js";
import type { Ram } from "../../machine/memory/ram.js";
import { HostMemory } from "../../machine/memory/host-memory.js";
import type { Ring0Host, TrapFrame } from "../../machine/exits.js";
import type { TimerHandle } from "../../machine/clock.js";
import { loadPdptes } from "../../machine/mmu/page-walk.js";
import { CR0_TS, DS, EAX, EBX, ECX, EDI, EDX, ES, ESI, FS, GS, IF } from "../../machine/cpu/registers.js";
import { loadDataSegment } from "../../machine/cpu/segmentation.js";
import { CpuFault } from "../../machine/cpu/fault.js";
import { returnToGuest } from "./guest-return.js";
import { LoaderError } from "../../machine/boot/elf32.js";
import { PAGE } from "../../abi/memory-layout.js";
import { FIRST_RESERVED_GDT } from "../../abi/segments.js";
import type { DomId, Mfn } from "../../lib/brand.js";
import { FrameTable } from "../core/frame-table.js";
import { PvTime } from "../core/pv-time.js";
import type { EvtchnHooks } from "../core/event-channel.js";
import type { Scheduler } from "../sched/scheduler.js";
import { RoundRobin } from "../sched/round-robin.js";
import { buildPvDomain } from "./domain-builder.js";
import { PvPageTables } from "./page-types.js";
import { HYPERCALL_VECTOR, HV_VA, HypervisorArea, HypervisorAreaError, LDT_PAGES } from "./hypervisor-area.js";
import { setupHostCpu } from "./cpu-setup.js";
import { validateSegDescPage } from "./descriptor-tables.js";
import { Domain0 } from "./domain0.js";
import { PvDomain, type HypervisorServices } from "./domain.js";
import { checkInvariants, type ExternalRef } from "./invariants.js";
import { tryEmulate } from "./priv-op-host.js";
import { GrantPteSet } from "./grant-pte.js";
import type { GrantTable } from "../core/grant-table.js";
import { destroyDomain } from "./domain-teardown.js";
import { readCmosTime } from "../core/cmos-time.js";
import { descriptorTableFault, releaseLdt } from "./ldt.js";
import { ATTR_UNUSABLE } from "../../machine/cpu/cpu.js";
import { DEFAULT_PERIOD_NS, type PvVcpu, type VcpuState } from "./vcpu.js";

export interface HypervisorSinks {
  /** One line of the hypervisor log ("(d1) …", "(XEN) …"). */
  log(line: string): void;
}

export interface HypervisorOptions {
  cpu: Cpu;
  ram: Ram;
  sinks: HypervisorSinks;
  /** Check the frame table after every MMU hypercall; a violation crashes the domain. */
  checkInvariants?: boolean;
  scheduler?: Scheduler<PvVcpu>;
}

export interface CreateDomainOptions {
  image: Uint8Array;
  memoryBytes: number;
  cmdline: string;
  name?: string;
  vcpus?: number;
}

/** The ports xl gives a domU's xenstore and console channels (§1.8). */
export const STORE_EVTCHN = 1;
export const CONSOLE_EVTCHN = 2;
const NM = 7, PF = 14;
const LDT_SEL = 0xe050;
/** The LDTR for `ents` entries of the LDT area (ATTR 0x82: present LDT), or the null LDT. */
function setLdtr(t: { ldtSel: number; ldtBase: number; ldtLimit: number; ldtAttr: number }, ents: number): void {
  t.ldtSel = ents === 0 ? 0 : LDT_SEL;
  t.ldtBase = ents === 0 ? 0 : HV_VA.LDT;
  t.ldtLimit = ents === 0 ? 0 : ents * 8 - 1;
  t.ldtAttr = ents === 0 ? ATTR_UNUSABLE : 0x82;
}
const RUNSTATE_INDEX: Record<VcpuState, number> = { running: 0, runnable: 1, blocked: 2, down: 3 };

export class Hypervisor implements Ring0Host, HypervisorServices {
  readonly cpu: Cpu;
  /** Machine memory as the hypervisor reaches it: every access charged (HostMemory). */
  readonly mem: HostMemory;
  readonly frames: FrameTable;
  readonly area: HypervisorArea;
  readonly tables: PvPageTables;
  readonly time: PvTime;
  readonly dom0: Domain0;
  readonly evtchnHooks: EvtchnHooks;
  readonly checkInvariants: boolean;
  readonly scheduler: Scheduler<PvVcpu>;
  readonly domains = new Map<number, PvDomain>();
  readonly grantPtes = new GrantPteSet();
  /** Context switches done (for --stats). */
  switches = 0;
  /** Debug traps that fell into hypervisor context and were dropped (XSA-260). */
  hitDbInXen = 0;
  private running: PvVcpu | undefined;
  /** Domains that ended and wait to be destroyed (reapDying). */
  private readonly dying: PvDomain[] = [];
  /** The vCPU whose x87 state the CPU holds (lazy FPU switching, §6.9); undefined: none yet. */
  private fpuOwner: PvVcpu | undefined;
  /** Lazy FPU loads done (for --stats). */
  fpuSwitches = 0;
  private inHypercall = false;
  private resched = false;
  private switching = false;
  private slice: TimerHandle | undefined;
  private nextDomid = 1;

  /** @throws HypervisorAreaError when the machine is too large for the M2P area. */
  constructor(private readonly o: HypervisorOptions) {
    this.cpu = o.cpu;
    this.mem = new HostMemory(o.ram, o.cpu.clock, o.cpu.costs);
    this.checkInvariants = o.checkInvariants ?? false;
    this.scheduler = o.scheduler ?? new RoundRobin<PvVcpu>();
    this.frames = new FrameTable(Math.floor(o.ram.size / PAGE.SIZE));
    this.frames.staleTlb = () => hostFlushTlb(this.cpu, this.frames);
    const area = new HypervisorArea(this.mem, this.frames);
    this.area = area;
    this.tables = new PvPageTables(this.mem, this.frames, {
      initXenL2Slots: (mem, l2) => area.initXenL2Slots(mem, l2),
      validateSegDesc: (mfn) => validateSegDescPage(this.mem, mfn),
      isGrantPte: (l1, slot) => this.grantPtes.has(l1, slot),
      grantPteLost: (l1, slot) => {
        this.grantPtes.delete(l1, slot);
        this.domains.get(this.frames.owner[l1]!)?.crash("implicit unmap of a granted PTE");
      },
    });
    const clock = o.cpu.clock;
    // the wall clock at boot, from the board's RTC as Xen reads it (§8.2)
    const bootEpochNs = BigInt(readCmosTime(o.cpu.ports)) * 1_000_000_000n;
    this.time = new PvTime({ clock, bootEpochNs, readTsc: () => clock.now + o.cpu.tscOffset });
    this.evtchnHooks = {
      lookup: (d) => (d === 0 ? this.dom0.evtchn : this.domains.get(d)?.evtchn),
      kick: (d, v) => this.kick(d, v),
      checkPollers: (d, port) => this.checkPollers(d, port),
    };
    this.dom0 = new Domain0(this.mem, this.frames, this.evtchnHooks, (mfn, pfn) => area.setM2p(mfn, pfn));
    setupHostCpu(o.cpu, area);
    o.cpu.host = this;
  }

  /**
   * Build a domU (ABI §1) with vCPU 0 runnable; a bad image changes nothing.
   * Its store and console ports (STORE_EVTCHN, CONSOLE_EVTCHN) are for the
   * toolstack to connect (Domain0.connect) before the domain first runs.
   */
  createDomain(c: CreateDomainOptions): PvDomain | LoaderError {
    const domid = this.nextDomid as DomId;
    const vcpus = c.vcpus ?? 1;
    if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > 32) throw new RangeError(`${vcpus} vCPUs (1-32)`);
    const built = buildPvDomain({
      mem: this.mem, frames: this.frames, tables: this.tables, domid, image: c.image, memoryBytes: c.memoryBytes,
      cmdline: c.cmdline, consoleEvtchn: CONSOLE_EVTCHN, storeEvtchn: STORE_EVTCHN,
      m2p: (mfn, pfn) => this.area.setM2p(mfn, pfn),
    });
    if (built instanceof LoaderError) return built;
    this.nextDomid++;
    const d = new PvDomain(this, { domid, name: c.name ?? `d${domid}`, built, vcpus });
    this.domains.set(domid, d);
    for (const v of d.vcpus) { this.scheduler.insert(v); v.runstateSince = this.cpu.clock.now; }
    const v0 = d.vcpus[0]!;
    this.setState(v0, "runnable");
    this.scheduler.wake(v0);
    v0.setPeriodic(DEFAULT_PERIOD_NS);
    this.time.updateVcpuSystemTime(this.mem, v0.vcpuInfo);
    return d;
  }

  /** Put the first runnable vCPU on the CPU (after creating the boot domains). */
  start(): void {
    this.schedule();
  }

  /** Every domain has ended. */
  get allEnded(): boolean {
    for (const d of this.domains.values()) if (d.end === undefined) return false;
    return true;
  }

  get dom0Grants(): GrantTable {
    return this.dom0.grants;
  }

  domain(domid: number): PvDomain | undefined {
    return this.domains.get(domid);
  }

  current(): PvVcpu {
    if (this.running === undefined) throw new Error("no vCPU on the CPU");
    return this.running;
  }

  domainOf(v: PvVcpu): PvDomain {
    const d = this.domains.get(v.domid);
    if (d === undefined) throw new Error(`vCPU ${v.name} of a domain that does not exist`);
    return d;
  }

  // ── Ring0Host ──────────────────────────────────────────────────────────

  trap(frame: TrapFrame): void {
    const v = this.running;
    if (v === undefined) return;
    const d = this.domainOf(v);
    // A data breakpoint held back by a MOV SS shadow is recognised at the first
    // instruction of the handler this delivery entered: hypervisor context.
    // Xen notes it and carries on ("Hit #DB in Xen context", XSA-260).
    if (this.cpu.deferredDebug !== 0) {
      this.cpu.deferredDebug = 0;
      this.hitDbInXen++;
    }
    try {
      if (d.end !== undefined) return void (this.resched = true);
      if (frame.vector === HYPERCALL_VECTOR && frame.software && (frame.cs & 3) === 1) {
        const r = this.cpu.regs;
        this.cpu.eip = frame.eip;
        const args = [r[EBX]! >>> 0, r[ECX]! >>> 0, r[EDX]! >>> 0, r[ESI]! >>> 0, r[EDI]! >>> 0] as const;
        this.inHypercall = true;
        try {
          r[EAX] = d.hypercalls.dispatch(r[EAX]! >>> 0, args);
        } finally {
          this.inHypercall = false;
        }
        if (this.checkInvariants) this.checkAfterHypercall(d);
        if (d.end === undefined && v.state === "running") v.traps.upcall();
      } else if (!frame.external && frame.vector < 256) {
        if (frame.vector === NM && this.fpuOwner !== v) {
          // lazy FPU switch: the x87 state still belongs to another vCPU
          this.loadFpu(v);
          if (!v.ts) { this.cpu.eip = frame.eip; return; }
        }
        if (frame.vector === NM) d.fpuTaskswitch(v, false); // §6.9: TS is cleared before #NM reaches the guest
        if (frame.vector === PF && (frame.cr2 >>> 0) >= HV_VA.PRIVATE) {
          const r = descriptorTableFault(this.mem, this.frames, this.area, v, frame.cr2, frame.errorCode);
          if (r.kind === "fixed") { this.cpu.eip = frame.eip; return; }
          if (r.kind === "guest-pf") return v.traps.exception({ ...frame, cr2: r.cr2, errorCode: r.errorCode });
        }
        if (!tryEmulate(this, d, v, frame)) v.traps.exception(frame);
      } else {
        d.crash(`unexpected ${frame.external ? "external interrupt" : "event"} ${frame.vector} at ${hex(frame.cs, 4)}:${hex(frame.eip)}`);
      }
    } catch (e) {
      d.crash(`hypervisor error: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      if (this.resched) this.schedule();
    }
  }

  // ── scheduling points (HypervisorServices) ─────────────────────────────

  block(v: PvVcpu): void {
    if (v.state !== "running" && v.state !== "runnable") return;
    this.setState(v, "blocked");
    this.scheduler.sleep(v);
    this.requestSchedule();
  }

  yieldVcpu(v: PvVcpu): void {
    this.scheduler.yield(v);
    this.requestSchedule();
  }

  wake(v: PvVcpu): void {
    if (v.state !== "blocked") return;
    v.cancelPoll();
    this.setState(v, "runnable");
    this.scheduler.wake(v);
    this.time.updateVcpuSystemTime(this.mem, v.vcpuInfo);
    if (this.running === undefined) this.requestSchedule();
  }

  vcpuUp(v: PvVcpu): void {
    if (v.state !== "down" || this.domainOf(v).end !== undefined) return;
    this.setState(v, "runnable");
    this.scheduler.wake(v);
    v.setPeriodic(DEFAULT_PERIOD_NS);
    this.time.updateVcpuSystemTime(this.mem, v.vcpuInfo);
    if (this.running === undefined) this.requestSchedule();
  }

  vcpuDown(v: PvVcpu): void {
    if (v.state === "down") return;
    v.stopTimers();
    this.scheduler.sleep(v);
    this.setState(v, "down");
    if (v === this.running) this.requestSchedule();
  }

  domainEnded(d: PvDomain): void {
    for (const v of d.vcpus) {
      v.stopTimers();
      if (v.state !== "down") { this.scheduler.sleep(v); this.setState(v, "down"); }
    }
    // let the caller of the machine see the end; the other domains go on when it resumes
    this.cpu.stopRequested = true;
    this.cpu.attention = 1;
    this.dying.push(d);
    this.requestSchedule();
  }

  /** §7.2 step 2: a vCPU has an upcall pending: wake it, or on the CPU outside a hypercall, deliver it now. */
  private kick(domid: DomId, vcpu: number): void {
    const d = this.domains.get(domid);
    const v = d?.vcpus[vcpu];
    if (d === undefined || v === undefined || d.end !== undefined) return;
    try {
      if (v.state === "blocked") this.wake(v);
      else if (v === this.running && !this.inHypercall && v.traps.upcall()) this.cpu.attention = 1;
    } catch (e) {
      d.crash(`hypervisor error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** §7.2 step 3: wake the vCPUs of `domid` polling on `port` (SCHEDOP_poll). */
  private checkPollers(domid: DomId, port: number): void {
    const d = this.domains.get(domid);
    for (const v of d?.vcpus ?? []) if (v.pollPorts?.includes(port)) this.wake(v);
  }

  private requestSchedule(): void {
    this.resched = true;
    if (!this.inHypercall) this.schedule();
  }

  /** Pick the next vCPU and switch to it (or idle). */
  private schedule(): void {
    // a scheduling point raised while switching (the incoming domain crashed) is taken after the switch
    if (this.switching) { this.resched = true; return; }
    this.switching = true;
    let pick: { next: PvVcpu; sliceNs: bigint } | undefined;
    try {
      do {
        this.resched = false;
        const prev = this.running;
        pick = this.scheduler.pick(this.time.systemTime(), prev?.state === "running" ? prev : undefined);
        const next = pick?.next;
        if (next !== prev) this.contextSwitch(prev, next);
        this.reapDying();
      } while (this.resched);
    } finally {
      this.switching = false;
    }
    if (this.slice !== undefined) this.cpu.clock.cancel(this.slice);
    this.slice = undefined;
    if (pick !== undefined) {
      this.slice = this.cpu.clock.schedule(this.time.cycleAt(this.time.systemTime() + pick.sliceNs), () => {
        this.slice = undefined;
        if (this.inHypercall) this.resched = true;
        else this.schedule();
      });
    }
  }

  /** Destroy the domains that ended, once none of their vCPUs is on the CPU (xl's on_poweroff=destroy). */
  private reapDying(): void {
    for (let i = 0; i < this.dying.length; i++) {
      const d = this.dying[i]!;
      if (this.running?.domid === d.domid) continue;
      this.dying.splice(i--, 1);
      if (this.fpuOwner?.domid === d.domid) this.fpuOwner = undefined;
      for (const v of d.vcpus) this.scheduler.remove(v);
      const r = destroyDomain(d, this.frames, this.tables, this.area);
      d.teardown = r;
      this.log(`(XEN) domain ${d.domid} destroyed: ${r.freed} frames freed${r.held > 0 ? `, ${r.held} still referenced` : ""}`);
    }
  }

  private contextSwitch(prev: PvVcpu | undefined, next: PvVcpu | undefined): void {
    const cpu = this.cpu, now = cpu.clock.now;
    if (prev !== undefined) {
      prev.context.save(cpu, false);
      if (prev.state === "running") this.setState(prev, "runnable");
      const pd = this.domains.get(prev.domid);
      if (pd?.virtualTime.running) pd.virtualTime.domainStopped(now);
    }
    this.running = next;
    this.switches++;
    if (next === undefined) {
      cpu.halted = true;
      cpu.eflags = cpu.eflags | IF;
      cpu.attention = 1;
      return;
    }
    const d = this.domainOf(next);
    this.setState(next, "running");
    d.virtualTime.domainStarted(now);
    next.context.restore(cpu, false);
    this.setRealTs(next);
    cpu.halted = false;
    this.area.mapGdt(next.gdtFrames);
    this.mapLdt(next, false);
    this.area.setKernelStack(next.traps.kernelSs, next.traps.kernelSp);
    this.area.setFastTrap(next.traps.fastTrap());
    this.loadBaseptr(next);
    if (next.startFrame !== undefined) this.enterStartFrame(next, d);
    cpu.attention = 1;
    if (d.end !== undefined) return; // its start frame crashed it: the schedule loop picks again
    this.time.updateVcpuSystemTime(this.mem, next.vcpuInfo);
    try {
      next.traps.upcall();
    } catch (e) {
      d.crash(`hypervisor error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** A vCPU's first run after VCPUOP_initialise: its registers through the CPU's IRET and segment checks. */
  private enterStartFrame(v: PvVcpu, d: PvDomain): void {
    const f = v.startFrame!;
    v.startFrame = undefined;
    // the context's debug registers, under set_debugreg's rules (a value they refuse stays at its reset value)
    for (const reg of [0, 1, 2, 3, 6, 7]) d.setDebugreg(reg, v.debugRegs[reg]!);
    this.cpu.regs.set(f.gprs.map((x) => x | 0));
    const fault = returnToGuest(this.cpu, this.mem, this.area, f);
    if (fault !== undefined) return d.crash(`vCPU ${v.id} start: CS ${hex(f.cs, 4)} / SS ${hex(f.ss, 4)} refused (vector ${fault.vector})`);
    for (const [seg, sel] of [[DS, f.ds], [ES, f.es], [FS, f.fs], [GS, f.gs]] as const) {
      try {
        loadDataSegment(this.cpu, seg, sel);
      } catch (e) {
        if (!(e instanceof CpuFault)) throw e;
        return d.crash(`vCPU ${v.id} start: data selector ${hex(sel, 4)} refused`);
      }
    }
  }

  /**
   * Lazy FPU (§6.9, the paper's "lazy FPU context switch"): a switch leaves
   * the x87 state where it is and sets CR0.TS; the first x87 instruction of
   * the new vCPU raises #NM in the hypervisor, which saves the owner's state
   * and loads this vCPU's. The real TS is the virtual TS or "not loaded".
   */
  private loadFpu(v: PvVcpu): void {
    this.fpuOwner?.context.saveFpu(this.cpu);
    v.context.restoreFpu(this.cpu);
    this.fpuOwner = v;
    this.fpuSwitches++;
    this.setRealTs(v);
  }

  /** CR0.TS for the running vCPU: its virtual TS, or set while its x87 state is not loaded. */
  setRealTs(v: PvVcpu): void {
    if (v !== this.running) return;
    const ts = v.ts || this.fpuOwner !== v;
    this.cpu.cr0 = (ts ? this.cpu.cr0 | CR0_TS : this.cpu.cr0 & ~CR0_TS) | 0;
  }

  private setState(v: PvVcpu, s: VcpuState): void {
    const now = this.cpu.clock.now;
    v.runstateCycles[RUNSTATE_INDEX[v.state]]! += now - v.runstateSince;
    v.runstateSince = now;
    v.state = s;
  }

  // ── address space of the running vCPU ──────────────────────────────────

  /** CR3 := the PDPT shadow of v's L3 (§5.9); a no-op for a vCPU not on the CPU (done at switch-in). */
  loadBaseptr(v: PvVcpu): void {
    if (v !== this.running) return;
    this.area.shadowL3(v.baseptr as Mfn);
    if (!loadPdptes(this.cpu.cr3, this.cpu.ram, this.cpu.pdpte)) {
      this.domainOf(v).crash("PDPT shadow refused by the CPU");
      return;
    }
    hostFlushTlb(this.cpu, this.frames);
  }

  /** MMUEXT_SET_LDT: release the old LDT pages; the LDTR names the LDT area with the new limit (none for 0 entries). */
  setLdt(v: PvVcpu, base: number, ents: number): void {
    releaseLdt(this.frames, v);
    v.ldtBase = ents === 0 ? 0 : base >>> 0;
    v.ldtEntries = ents;
    if (v !== this.running) {
      setLdtr(v.context, ents);
      return;
    }
    this.mapLdt(v, true);
    setLdtr(this.cpu, ents);
  }

  /** The LDT area as `v` left it: its mapped pages, nothing else (`flush`: INVLPG each; a context switch flushes everything anyway). */
  private mapLdt(v: PvVcpu, flush: boolean): void {
    for (let p = 0; p < LDT_PAGES; p++) {
      this.area.mapLdtPage(p, v.ldtFrames[p]);
      if (flush) hostInvlpg(this.cpu, HV_VA.LDT + p * PAGE.SIZE);
    }
  }

  gdtChanged(v: PvVcpu): void {
    if (v !== this.running) return;
    this.area.mapGdt(v.gdtFrames);
    for (let p = 0; p < FIRST_RESERVED_GDT.PAGE; p++) hostInvlpg(this.cpu, HV_VA.GDT + p * PAGE.SIZE);
  }

  trapTableChanged(v: PvVcpu): void {
    if (v === this.running) this.area.setFastTrap(v.traps.fastTrap());
  }

  kernelStackChanged(v: PvVcpu): void {
    if (v === this.running) this.area.setKernelStack(v.traps.kernelSs, v.traps.kernelSp);
  }

  /**
   * Test builds (TSXEN_CHECK_INVARIANTS=1): the frame table and every page
   * table checked after each hypercall; a foreign frame in an L1 is allowed
   * only where the mapping domain holds a live grant mapping from its owner.
   * A violation crashes the calling domain.
   */
  private checkAfterHypercall(d: PvDomain): void {
    const bad = checkInvariants(this.mem, this.frames, {
      external: this.externalRefs(),
      allowForeign: (mapper, owner) => this.domains.get(mapper)?.grants.mappings().some((m) => m.domid === owner) === true,
    });
    if (bad.length > 0) d.crash(`frame-table invariant violated: ${bad.slice(0, 3).join("; ")}`);
  }

  externalRefs(): ExternalRef[] {
    return [...this.domains.values()].flatMap((d) => [...d.externalRefs(), ...d.grants.deviceRefs()]);
  }

  log(line: string): void {
    this.o.sinks.log(line);
  }
}

export { HypervisorAreaError };

function hex(v: number, width = 8): string {
  return (v >>> 0).toString(16).padStart(width, "0");
}
