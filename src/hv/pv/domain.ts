/**
 * One PV domain (Xen's `struct domain` for a 32-bit PV guest): its frames
 * (built by domain-builder.ts), vCPUs, event channels, hypercall table and
 * the per-domain hypercalls. The machine-wide parts (frame table,
 * hypervisor area, scheduler, the CPU) are the Hypervisor's, reached
 * through HypervisorServices; hypercalls always run on behalf of the vCPU
 * the hypervisor has on the CPU (`hv.current()`).
 *
 * Hypercalls served here (docs/xen-pv32-abi.md §4): console_io, sched_op,
 * set_timer_op, vcpu_op (timers, is_up, runstate), event_channel_op,
 * xen_version, set_gdt, update_descriptor, fpu_taskswitch, set/get_debugreg,
 * vm_assist, physdev_op (set_iopl), nmi_op, multicall, sysctl/domctl
 * (privilege checks), and through their own modules the trap hypercalls
 * (traps.ts) and the MMU ones (mmu-ops.ts). Anything else: −ENOSYS.
 */
import { hostFlushTlb } from "../core/tlb-ops.js";
import { CONSOLEIO, DEBUGREG, DEBUGREG_VALUE, HYPERCALL, PHYSDEVOP, SCHEDOP, SCHEDOP_POLL_MAX_PORTS, SHUTDOWN, VCPUOP, VMASST_CMD, VMASST_TYPE, XENNMI, XEN_INTERFACE } from "../../abi/hypercalls.js";
import { ERRNO } from "../../abi/errno.js";
import { HYPERVISOR, PAGE } from "../../abi/memory-layout.js";
import { CR4_DE } from "../../machine/cpu/registers.js";
import { PvPlatform, PvVcpuEmulation } from "./priv-op-host.js";
import { FLAT } from "../../abi/segments.js";
import { TRAP_INFO } from "../../abi/structs.js";
import type { Cpu } from "../../machine/cpu/cpu.js";
import type { TimerHandle } from "../../machine/clock.js";
import type { DomId, Mfn, Paddr } from "../../lib/brand.js";
import { vaddr } from "../../lib/brand.js";
import { VIRQ } from "../../abi/event-channels.js";
import { EvtchnDomain, type EvtchnHooks } from "../core/event-channel.js";
import { eventChannelOp } from "../core/event-channel-op.js";
import { VirtualTime, timeoutFromArgs, type PvTime } from "../core/pv-time.js";
import type { FrameTable } from "../core/frame-table.js";
import type { MachineMemory } from "../core/machine-memory.js";
import { u32At } from "../core/guest-copy.js";
import type { BuiltDomain } from "./domain-builder.js";
import { PvGuestMemory } from "./guest-memory.js";
import { HypercallTable } from "./hypercall.js";
import type { HypervisorArea } from "./hypervisor-area.js";
import { PvMmu } from "./mmu-ops.js";
import type { ExternalRef } from "./invariants.js";
import type { PvPageTables } from "./page-types.js";
import { PvTraps, registerTrapHypercalls } from "./traps.js";
import { PvVcpu, MIN_PERIOD_NS, VCPU_INFO_SIZE } from "./vcpu.js";
import { pvFeatures, xenVersion } from "./xen-version.js";
import { setGdt, updateDescriptor, type DescriptorTablesContext } from "./descriptor-tables.js";
import { multicall } from "./multicall.js";
import { initialContext } from "./cpu-setup.js";
import { vcpuInitialise } from "./vcpu-initialise.js";
import { memoryOp, type MemoryOpDomain } from "../core/memory-op.js";
import { GrantTable } from "../core/grant-table.js";
import { grantTableOp, type GrantOpDomain } from "../core/grant-table-op.js";
import { PvGrantPtes, type GrantPteSet } from "./grant-pte.js";
import { GNTTAB_RESERVED, GTF } from "../../abi/grant-tables.js";
import { offsetOf } from "../../abi/layout.js";
import { sharedInfo as sharedInfoStruct } from "../../abi/structs.js";

/** What a domain needs from the hypervisor that runs it. */
export interface HypervisorServices {
  readonly cpu: Cpu;
  readonly mem: MachineMemory;
  readonly frames: FrameTable;
  readonly tables: PvPageTables;
  readonly area: HypervisorArea;
  readonly time: PvTime;
  readonly checkInvariants: boolean;
  readonly evtchnHooks: EvtchnHooks;
  /** The vCPU on the CPU (hypercalls run on its behalf). */
  current(): PvVcpu;
  block(v: PvVcpu): void;
  yieldVcpu(v: PvVcpu): void;
  /** Make a blocked vCPU runnable (an event, a poll timeout). */
  wake(v: PvVcpu): void;
  /** VCPUOP_up / VCPUOP_down. */
  vcpuUp(v: PvVcpu): void;
  vcpuDown(v: PvVcpu): void;
  /** The domain shut down or crashed: take its vCPUs off the CPU. */
  domainEnded(d: PvDomain): void;
  loadBaseptr(v: PvVcpu): void;
  gdtChanged(v: PvVcpu): void;
  setLdt(v: PvVcpu, base: number, ents: number): void;
  kernelStackChanged(v: PvVcpu): void;
  trapTableChanged(v: PvVcpu): void;
  /** Set the CPU's CR0.TS for `v` if it runs (virtual TS, or its FPU state not loaded). */
  setRealTs(v: PvVcpu): void;
  /** Machine-wide record of which L1 entries are grant mappings. */
  readonly grantPtes: GrantPteSet;
  /** Domain 0's grant table (domid 0 in grant operations). */
  readonly dom0Grants: GrantTable;
  /** A live domain by id (not DOMID_SELF). */
  domain(domid: number): PvDomain | undefined;
  /** References held outside page tables by every domain (for the invariant checker). */
  externalRefs(): ExternalRef[];
  /** One line of the hypervisor log. */
  log(line: string): void;
}

export type DomainEnd =
  | { kind: "shutdown"; reason: number }
  | { kind: "crash"; message: string };

export interface PvDomainOptions {
  domid: DomId;
  name: string;
  built: BuiltDomain;
  vcpus: number;
}

/** Xen keeps at most this many bytes of an unterminated domU console_io line. */
const LINE_MAX = 256;
/** Valid vm_assist types for a 32-bit PV guest (PV32_VM_ASSIST_MASK, §4.19). */
const VM_ASSIST_VALID = [0, 1, 2, 3, 4, 5].reduce((m, t) => m | (1 << t), 0);
const MULTICALL_ENTRY = 32;
/** PHYSDEVOP_set_iobitmap: a bitmap covers all 65536 ports. */
const IOBMP_BYTES = 8192;
/** libxl gives a domain this many pages above its initial allocation as max_pages (§1.6). */
const EXTRA_PAGES = 256;
const MAX_PFN_OFFSET = offsetOf(sharedInfoStruct, "arch.max_pfn");

export class PvDomain {
  readonly domid: DomId;
  readonly name: string;
  readonly built: BuiltDomain;
  readonly hypercalls = new HypercallTable();
  readonly guest: PvGuestMemory;
  readonly evtchn: EvtchnDomain;
  readonly vcpus: PvVcpu[] = [];
  readonly mmu: PvMmu;
  readonly virtualTime: VirtualTime;
  /** Set once the domain has shut down or crashed. */
  end: DomainEnd | undefined;
  /** Set once the hypervisor has destroyed the ended domain (domain-teardown.ts). */
  teardown: { freed: number; held: number } | undefined;
  vmAssist: number;
  /** Exceptions bounced, by vector; event upcalls delivered (for --stats). */
  readonly bounces = new Map<number, number>();
  upcalls = 0;
  /** Memory accounting (§4.11): frames held as RAM, and the limit (libxl: nr_pages + 256). */
  totPages: number;
  maxPages: number;
  /** The grant table (§4.18) and this domain's grant mappings' PTEs. */
  readonly grants: GrantTable;
  private readonly grantPtes: PvGrantPtes;
  /** CPUID policy and emulated platform ports (§6.8, §6.11). */
  readonly platform: PvPlatform;
  private line = "";
  private shutdownCode: number | undefined;
  /** SCHEDOP_watchdog timers (NR_DOMAIN_WATCHDOG_TIMERS = 2). */
  private readonly watchdogs: Array<{ inUse: boolean; timer: TimerHandle | undefined }> = [
    { inUse: false, timer: undefined }, { inUse: false, timer: undefined },
  ];

  constructor(private readonly hv: HypervisorServices, o: PvDomainOptions) {
    this.domid = o.domid;
    this.name = o.name;
    this.built = o.built;
    this.vmAssist = o.built.vcpu.vmAssist;
    this.virtualTime = new VirtualTime(hv.cpu.clock.hz);
    this.platform = new PvPlatform(hv, hv.time.systemTime());
    this.totPages = o.built.nrPages;
    this.maxPages = o.built.nrPages + EXTRA_PAGES;
    const gt = GrantTable.create({ domid: o.domid, frames: hv.frames, mem: hv.mem, setM2p: (mfn, pfn) => hv.area.setM2p(mfn, pfn) });
    if (typeof gt === "number") throw new Error(`grant table for d${o.domid}: ${gt}`);
    this.grants = gt;
    // §1.8: the toolstack's grants of the console and xenstore pages to domain 0
    gt.seedEntry(GNTTAB_RESERVED.CONSOLE, 0, o.built.consoleMfn, GTF.permit_access);
    gt.seedEntry(GNTTAB_RESERVED.XENSTORE, 0, o.built.storeMfn, GTF.permit_access);
    this.grantPtes = new PvGrantPtes({ tables: hv.tables, domid: o.domid, grantPtes: hv.grantPtes, currentL3: () => hv.current().baseptr });
    this.guest = new PvGuestMemory(hv.mem, () => ({ l3: this.hv.current().baseptr * PAGE.SIZE, nx: true }));
    const sharedInfo = (o.built.sharedInfoMfn * PAGE.SIZE) as Paddr;
    this.evtchn = new EvtchnDomain({ domid: o.domid, vcpus: o.vcpus, mem: hv.mem, sharedInfo }, hv.evtchnHooks);
    for (let id = 0; id < o.vcpus; id++) this.vcpus.push(this.newVcpu(id, sharedInfo));
    const v0 = this.vcpus[0]!;
    v0.baseptr = o.built.l3Mfn; // the builder's CR3 reference
    v0.initialised = true;
    initialContext(hv.cpu, o.built.vcpu, v0.context);
    hv.time.updateWallclock(hv.mem, sharedInfo);
    this.mmu = new PvMmu({
      cpu: hv.cpu, mem: hv.mem, frames: hv.frames, tables: hv.tables, area: hv.area, guest: this.guest, self: o.domid,
      current: () => hv.current(), loadBaseptr: (v) => hv.loadBaseptr(v), externalRefs: () => hv.externalRefs(),
      setLdt: (v, base, ents) => hv.setLdt(v, base, ents),
      domainExists: (id) => id === 0 || hv.domain(id) !== undefined,
      crash: (m) => this.crash(m),
    });
    this.registerHypercalls();
  }

  private newVcpu(id: number, sharedInfo: Paddr): PvVcpu {
    const hv = this.hv;
    const vcpuInfo = (sharedInfo + id * VCPU_INFO_SIZE) as Paddr;
    const v = new PvVcpu(id, this.domid, vcpuInfo, hv.time, () => this.evtchn.raiseVirq(VIRQ.TIMER, id));
    v.traps = new PvTraps({
      cpu: hv.cpu, mem: hv.mem, area: hv.area, guest: this.guest, vcpuInfo,
      kernelSs: this.built.vcpu.kernelSs, kernelSp: this.built.vcpu.kernelSp,
      kernelStackChanged: () => hv.kernelStackChanged(v),
      trapTableChanged: () => hv.trapTableChanged(v),
      iopl: () => v.iopl,
      setIopl: (n) => { v.iopl = n; },
      architecturalIopl: () => this.hasVmAssist(VMASST_TYPE.architectural_iopl),
      crash: (m) => this.crash(m),
      bounced: (vector) => this.bounces.set(vector, (this.bounces.get(vector) ?? 0) + 1),
      upcalled: () => { this.upcalls++; },
      pageFault: (cr2) => { v.emulation.cr2 = cr2 >>> 0; },
    });
    v.emulation = new PvVcpuEmulation(hv, this, v, this.platform);
    return v;
  }

  /** References held outside page tables: each vCPU's baseptr and GDT frames (for the invariant checker). */
  externalRefs(): ExternalRef[] {
    const refs: ExternalRef[] = [];
    for (const v of this.vcpus) {
      if (v.baseptr !== 0) refs.push({ mfn: v.baseptr, general: 1, type: 1 });
      for (const m of v.gdtFrames) refs.push({ mfn: m, general: 1, type: 1 });
      for (const m of v.ldtFrames) if (m !== undefined) refs.push({ mfn: m, general: 1, type: 1 });
    }
    return refs;
  }

  private registerHypercalls(): void {
    const hv = this.hv, cur = (): PvVcpu => hv.current();
    const dt: DescriptorTablesContext = {
      frames: hv.frames, mem: hv.mem, guest: this.guest, self: this.domid, gdtChanged: (v) => hv.gdtChanged(v),
    };
    this.hypercalls
      .register(HYPERCALL.console_io, ([cmd, count, buf]) => this.consoleIo(cmd, count, buf))
      .register(HYPERCALL.xen_version, ([cmd, arg]) => xenVersion(this.guest, cmd, arg, pvFeatures(this.hasVmAssist(VMASST_TYPE.pae_extended_cr3))))
      .register(HYPERCALL.sched_op, ([cmd, arg]) => this.schedOp(cmd, arg))
      .register(HYPERCALL.sched_op_compat, ([cmd, arg]) => this.schedOpCompat(cmd, arg))
      .register(HYPERCALL.event_channel_op, ([cmd, arg]) => eventChannelOp(this.evtchn, cmd, vaddr(arg), this.guest))
      .register(HYPERCALL.set_timer_op, ([lo, hi]) => cur().singleshot.set(timeoutFromArgs(lo, hi)))
      .register(HYPERCALL.vcpu_op, ([cmd, vcpu, arg]) => this.vcpuOp(cmd, vcpu, arg))
      .register(HYPERCALL.set_gdt, ([list, entries]) => setGdt(dt, cur(), list, entries))
      .register(HYPERCALL.update_descriptor, ([maLo, maHi, lo, hi]) => updateDescriptor(dt, maLo, maHi, lo, hi))
      .register(HYPERCALL.fpu_taskswitch, ([set]) => this.fpuTaskswitch(cur(), set !== 0))
      .register(HYPERCALL.set_debugreg, ([reg, value]) => this.setDebugreg(reg, value))
      .register(HYPERCALL.get_debugreg, ([reg]) => this.getDebugreg(reg))
      .register(HYPERCALL.vm_assist, ([cmd, type]) => this.vmAssistOp(cmd, type))
      .register(HYPERCALL.physdev_op, ([cmd, arg]) => this.physdevOp(cmd, arg))
      .register(HYPERCALL.nmi_op, ([cmd, arg]) => this.nmiOp(cmd, arg))
      .register(HYPERCALL.sysctl, ([op]) => this.privilegedOp(op, XEN_INTERFACE.SYSCTL_INTERFACE_VERSION))
      .register(HYPERCALL.domctl, ([op]) => this.privilegedOp(op, XEN_INTERFACE.DOMCTL_INTERFACE_VERSION))
      .register(HYPERCALL.memory_op, ([cmd, arg]) => memoryOp(this.memoryOpDomain(), cmd, vaddr(arg)))
      .register(HYPERCALL.grant_table_op, ([cmd, uop, count]) => grantTableOp(this.grantOpDomain(), cmd, vaddr(uop), count))
      .register(HYPERCALL.multicall, ([list, count]) =>
        multicall(this.hypercalls, this.guest, list, count, MULTICALL_ENTRY, () => (hv.cpu.cpl === 1 && this.end === undefined)));
    registerTrapHypercalls(this.hypercalls, () => cur().traps);
    this.mmu.register(this.hypercalls);
  }

  /** What memory_op works on (memory-op.ts) for this domain as the caller. */
  private memoryOpDomain(): MemoryOpDomain {
    const hv = this.hv, self = this as PvDomain;
    return {
      domid: this.domid, privileged: false, frames: hv.frames, mem: hv.mem, guest: this.guest,
      get totPages() { return self.totPages; }, set totPages(n: number) { self.totPages = n; },
      get maxPages() { return self.maxPages; }, set maxPages(n: number) { self.maxPages = n; },
      maxPfn: () => this.maxPfn(),
      setM2p: (mfn, pfn) => hv.area.setM2p(mfn, pfn),
      maxRamPage: hv.frames.total,
      m2pFrames: hv.area.m2pFrames,
      lookup: (domid) => hv.domain(domid),
    };
  }

  /** shared_info.arch.max_pfn as the guest last wrote it (XENMEM_maximum_gpfn). */
  maxPfn(): number {
    return this.hv.mem.read32(this.built.sharedInfoMfn * PAGE.SIZE + MAX_PFN_OFFSET) >>> 0;
  }

  private grantOpDomain(): GrantOpDomain {
    const hv = this.hv;
    return {
      domid: this.domid, privileged: false, frames: hv.frames, guest: this.guest, grants: this.grants, ptes: this.grantPtes,
      grantTableOf: (domid) => (domid === 0 ? hv.dom0Grants : hv.domain(domid)?.grants),
      crash: (reason) => this.crash(reason),
      flushTlb: () => hostFlushTlb(hv.cpu, hv.frames),
    };
  }

  // ── lifecycle ──────────────────────────────────────────────────────────

  /** End the domain with a crash (§4.7 SHUTDOWN_crash as Xen's domain_crash). */
  crash(message: string): void {
    if (this.end !== undefined) return;
    this.flushLine();
    this.hv.log(`(XEN) domain ${this.domid} crashed: ${message}`);
    this.end = { kind: "crash", message };
    this.hv.domainEnded(this);
  }

  private shutdown(reason: number): void {
    if (this.end !== undefined) return;
    this.flushLine();
    const r = this.shutdownCode ?? reason;
    if (r === SHUTDOWN.crash) return this.crash("SCHEDOP_shutdown(SHUTDOWN_crash)");
    this.end = { kind: "shutdown", reason: r };
    this.hv.domainEnded(this);
  }

  // ── console_io (§4.16) ─────────────────────────────────────────────────

  private consoleIo(cmd: number, count: number, buf: number): number {
    if (cmd === CONSOLEIO.read) return (count >>> 0) > 0x7fffffff ? -ERRNO.E2BIG : 0;
    if (cmd !== CONSOLEIO.write) return -ERRNO.ENOSYS;
    if (count === 0) return 0;
    const bytes = this.guest.copyFromGuest(vaddr(buf), count);
    if (bytes === undefined) return -ERRNO.EFAULT;
    for (const b of bytes) {
      if (b === 10) this.flushLine();
      else if ((b >= 32 && b < 127) || b === 9) {
        this.line += String.fromCharCode(b);
        if (this.line.length >= LINE_MAX) this.flushLine();
      }
    }
    return 0;
  }

  flushLine(): void {
    if (this.line.length === 0) return;
    this.hv.log(`(d${this.domid}) ${this.line}`);
    this.line = "";
  }

  // ── sched_op (§4.7) ────────────────────────────────────────────────────

  private schedOp(cmd: number, arg: number): number {
    const v = this.hv.current();
    switch (cmd) {
      case SCHEDOP.yield:
        this.hv.yieldVcpu(v);
        return 0;
      case SCHEDOP.block:
        return this.block(v);
      case SCHEDOP.shutdown: case SCHEDOP.shutdown_code: {
        const raw = this.guest.copyFromGuest(vaddr(arg), 4);
        if (raw === undefined) return -ERRNO.EFAULT;
        const reason = u32At(raw, 0) & 0xff;
        if (cmd === SCHEDOP.shutdown_code) { this.shutdownCode ??= reason; return 0; }
        this.shutdown(reason);
        return 0;
      }
      case SCHEDOP.poll:
        return this.poll(v, arg);
      case SCHEDOP.remote_shutdown: {
        // sched_remote_shutdown {domain_id u16, reason u32}: a domU may shut down no one
        const raw = this.guest.copyFromGuest(vaddr(arg), 8);
        if (raw === undefined) return -ERRNO.EFAULT;
        const id = raw[0]! | (raw[1]! << 8);
        return id === 0 || this.hv.domain(id) !== undefined ? -ERRNO.EPERM : -ERRNO.ESRCH;
      }
      case SCHEDOP.watchdog:
        return this.watchdog(arg);
      case SCHEDOP.pin_override:
        return -ERRNO.EPERM;
      default:
        return -ERRNO.ENOSYS;
    }
  }

  /**
   * SCHEDOP_watchdog (domain_watchdog): {id, timeout s}. id 0 creates one of
   * two watchdogs and returns its id; a known id re-arms it, or with
   * timeout 0 destroys it; expiry shuts the domain down (SHUTDOWN_watchdog).
   */
  private watchdog(arg: number): number {
    const raw = this.guest.copyFromGuest(vaddr(arg), 8);
    if (raw === undefined) return -ERRNO.EFAULT;
    const id = u32At(raw, 0), timeout = u32At(raw, 4);
    const clock = this.hv.cpu.clock, n = this.watchdogs.length;
    if (id > n) return -ERRNO.EINVAL;
    const arm = (slot: number): void => {
      const w = this.watchdogs[slot]!;
      if (w.timer !== undefined) clock.cancel(w.timer);
      w.timer = clock.schedule(this.hv.time.cycleAt(this.hv.time.systemTime() + BigInt(timeout) * 1_000_000_000n), () => {
        w.timer = undefined;
        this.hv.log(`(XEN) d${this.domid}: watchdog timer ${slot} fired`);
        this.shutdown(SHUTDOWN.watchdog);
      });
    };
    if (id === 0) {
      const slot = this.watchdogs.findIndex((w) => !w.inUse);
      if (slot < 0) return -ERRNO.ENOSPC;
      this.watchdogs[slot]!.inUse = true;
      arm(slot);
      return slot + 1;
    }
    const w = this.watchdogs[id - 1]!;
    if (!w.inUse) return -ERRNO.EINVAL;
    if (timeout !== 0) { arm(id - 1); return 0; }
    if (w.timer !== undefined) clock.cancel(w.timer);
    w.timer = undefined;
    w.inUse = false;
    return 0;
  }

  /** sched_op_compat (6): yield and block as sched_op, shutdown with the reason in ECX. */
  private schedOpCompat(cmd: number, arg: number): number {
    if (cmd === SCHEDOP.shutdown) { this.shutdown(arg & 0xff); return 0; }
    if (cmd === SCHEDOP.yield || cmd === SCHEDOP.block) return this.schedOp(cmd, 0);
    return -ERRNO.ENOSYS;
  }

  /** SCHEDOP_block: unmask; block unless an upcall is already deliverable. */
  private block(v: PvVcpu): number {
    this.hv.mem.write8(v.vcpuInfo + 1, 0);
    if (!this.evtchn.eventsNeedDelivery(v.id)) this.hv.block(v);
    return 0;
  }

  /** SCHEDOP_poll (do_poll): return at once if an upcall or a listed port is pending, else block until one is or the timeout. */
  private poll(v: PvVcpu, arg: number): number {
    const raw = this.guest.copyFromGuest(vaddr(arg), 16);
    if (raw === undefined) return -ERRNO.EFAULT;
    const ports = u32At(raw, 0), n = u32At(raw, 4);
    const timeout = new DataView(raw.buffer, raw.byteOffset, 16).getBigUint64(8, true);
    if (n > SCHEDOP_POLL_MAX_PORTS) return -ERRNO.EINVAL;
    const list = this.guest.copyFromGuest(vaddr(ports), n * 4);
    if (list === undefined) return -ERRNO.EFAULT;
    const want: number[] = [];
    for (let i = 0; i < n; i++) {
      const p = u32At(list, i * 4);
      if (!this.evtchn.isValidPort(p)) return -ERRNO.EINVAL;
      want.push(p);
    }
    if (this.evtchn.eventsNeedDelivery(v.id) || want.some((p) => this.evtchn.isPending(p))) return 0;
    v.pollPorts = want;
    if (timeout !== 0n) v.singleshotPoll(timeout, () => this.hv.wake(v));
    this.hv.block(v);
    return 0;
  }

  // ── vcpu_op (§4.21) ────────────────────────────────────────────────────

  private vcpuOp(cmd: number, vcpu: number, arg: number): number {
    const target = this.vcpus[vcpu >>> 0];
    if (target === undefined) return -ERRNO.ENOENT;
    const self = target === this.hv.current();
    switch (cmd) {
      case VCPUOP.is_up:
        return target.state === "down" ? 0 : 1;
      case VCPUOP.initialise:
        return vcpuInitialise({ frames: this.hv.frames, guest: this.guest, self: this.domid }, target, arg);
      case VCPUOP.up:
        if (!target.initialised) return -ERRNO.EINVAL;
        this.hv.vcpuUp(target);
        return 0;
      case VCPUOP.down:
        this.hv.vcpuDown(target);
        if (this.vcpus.every((x) => x.state === "down")) this.shutdown(SHUTDOWN.poweroff);
        return 0;
      case VCPUOP.set_periodic_timer: {
        const raw = this.guest.copyFromGuest(vaddr(arg), 8);
        if (raw === undefined) return -ERRNO.EFAULT;
        const period = new DataView(raw.buffer, raw.byteOffset, 8).getBigUint64(0, true);
        if (period < MIN_PERIOD_NS) return -ERRNO.EINVAL;
        target.setPeriodic(period);
        return 0;
      }
      case VCPUOP.stop_periodic_timer:
        target.setPeriodic(0n);
        return 0;
      case VCPUOP.set_singleshot_timer: {
        if (!self) return -ERRNO.EINVAL;
        const raw = this.guest.copyFromGuest(vaddr(arg), 12);
        if (raw === undefined) return -ERRNO.EFAULT;
        return target.singleshot.set(BigInt.asIntN(64, new DataView(raw.buffer, raw.byteOffset, 8).getBigUint64(0, true)));
      }
      case VCPUOP.stop_singleshot_timer:
        if (!self) return -ERRNO.EINVAL;
        target.singleshot.stop();
        return 0;
      case VCPUOP.get_runstate_info:
        return this.runstateInfo(target, arg);
      case VCPUOP.send_nmi:
        return arg !== 0 ? -ERRNO.EINVAL : -ERRNO.ENOSYS;
      case VCPUOP.get_physid:
        return -ERRNO.EINVAL;
      default:
        return -ERRNO.ENOSYS;
    }
  }

  private runstateInfo(v: PvVcpu, arg: number): number {
    const hz = BigInt(this.hv.cpu.clock.hz), now = this.hv.cpu.clock.now;
    const ns = (cycles: number): bigint => (BigInt(Math.floor(cycles)) * 1_000_000_000n) / hz;
    const out = new Uint8Array(44), dv = new DataView(out.buffer);
    const state = { running: 0, runnable: 1, blocked: 2, down: 3 }[v.state];
    dv.setInt32(0, state, true);
    dv.setBigUint64(4, ns(v.runstateSince), true);
    for (let i = 0; i < 4; i++) {
      const extra = i === state ? now - v.runstateSince : 0;
      dv.setBigUint64(12 + i * 8, ns(v.runstateCycles[i]! + extra), true);
    }
    return this.guest.copyToGuest(vaddr(arg), out) ? 0 : -ERRNO.EFAULT;
  }

  // ── small CPU-state hypercalls ─────────────────────────────────────────

  /** fpu_taskswitch (§4.6, §6.9): virtual CR0.TS, which is the real TS while this vCPU runs. */
  fpuTaskswitch(v: PvVcpu, set: boolean): number {
    v.ts = set;
    this.hv.setRealTs(v);
    return 0;
  }

  /**
   * set_debugreg (§4.9, §6.10) for the running vCPU: DR0–3 below the
   * hypervisor area; DR4/DR5 alias DR6/DR7 unless virtual CR4.DE; DR7 without
   * GD, I/O breakpoints only with CR4.DE and kept out of the CPU's DR7.
   */
  setDebugreg(reg: number, value: number): number {
    const v = this.hv.current(), dbg = this.hv.cpu.debug;
    const de = (v.emulation.cr4 & CR4_DE) !== 0;
    value >>>= 0;
    switch (reg >>> 0) {
      case DEBUGREG.DR0: case DEBUGREG.DR1: case DEBUGREG.DR2: case DEBUGREG.DR3:
        if (value >= HYPERVISOR.VIRT_START) return -ERRNO.EPERM;
        dbg.write(reg, value | 0);
        v.debugRegs[reg] = value;
        return 0;
      case DEBUGREG.DR4: case DEBUGREG.DR6:
        if (reg === DEBUGREG.DR4 && de) return -ERRNO.ENODEV;
        dbg.write(6, value | 0);
        return 0;
      case DEBUGREG.DR5: case DEBUGREG.DR7: {
        if (reg === DEBUGREG.DR5 && de) return -ERRNO.ENODEV;
        if ((value & DEBUGREG_VALUE.DR7_GD) !== 0) return -ERRNO.EPERM;
        let io = 0;
        for (let i = 0; i < 4; i++) {
          const rw = (value >>> (16 + i * 4)) & 3;
          if (rw !== 2) continue;
          if (!de) return -ERRNO.EPERM;
          io |= (3 << (i * 2)) | (0xf << (16 + i * 4));
        }
        const dr7 = ((value & ~0xd800) | 0x400) >>> 0;
        v.ioBreakpointBits = (dr7 & io) >>> 0;
        dbg.write(7, (dr7 & ~io) | 0);
        return 0;
      }
      default:
        return -ERRNO.ENODEV;
    }
  }

  /** get_debugreg: DR7 includes the emulated I/O-breakpoint bits. */
  getDebugreg(reg: number): number {
    const v = this.hv.current(), dbg = this.hv.cpu.debug;
    const de = (v.emulation.cr4 & CR4_DE) !== 0, r = reg >>> 0;
    if (r >= DEBUGREG.COUNT || ((r === 4 || r === 5) && de)) return -ERRNO.ENODEV;
    const n = r === 4 ? 6 : r === 5 ? 7 : r;
    return n === 7 ? (dbg.read(7) | v.ioBreakpointBits) | 0 : dbg.read(n) | 0;
  }

  /** vm_assist (§4.19). */
  private vmAssistOp(cmd: number, type: number): number {
    if (cmd !== VMASST_CMD.enable && cmd !== VMASST_CMD.disable) return -ERRNO.ENOSYS;
    if (type >>> 0 > 31 || (VM_ASSIST_VALID & (1 << type)) === 0) return -ERRNO.EINVAL;
    this.vmAssist = cmd === VMASST_CMD.enable ? this.vmAssist | (1 << type) : this.vmAssist & ~(1 << type);
    return 0;
  }

  hasVmAssist(type: number): boolean {
    return (this.vmAssist & (1 << type)) !== 0;
  }

  /** physdev_op (§4.17): set_iopl; the physical-IRQ operations need privileges a domU lacks. */
  private physdevOp(cmd: number, arg: number): number {
    switch (cmd) {
      case PHYSDEVOP.set_iopl: {
        const raw = this.guest.copyFromGuest(vaddr(arg), 4);
        if (raw === undefined) return -ERRNO.EFAULT;
        const iopl = u32At(raw, 0);
        if (iopl > 3) return -ERRNO.EINVAL;
        this.hv.current().iopl = iopl;
        return 0;
      }
      case PHYSDEVOP.set_iobitmap: {
        const raw = this.guest.copyFromGuest(vaddr(arg), 8);
        if (raw === undefined) return -ERRNO.EFAULT;
        const v = this.hv.current();
        const bitmap = u32At(raw, 0), nr = u32At(raw, 4);
        // guest_handle_okay(bitmap, IOBMP_BYTES): the 8 KiB bitmap must lie below the hypervisor area
        if (nr > 65536 || bitmap + IOBMP_BYTES > HYPERVISOR.VIRT_START) return -ERRNO.EINVAL;
        v.ioBitmap = { va: bitmap, nrPorts: nr };
        return 0;
      }
      case PHYSDEVOP.irq_status_query: case PHYSDEVOP.eoi: case PHYSDEVOP.map_pirq:
        return -ERRNO.EPERM;
      default:
        return -ERRNO.ENOSYS;
    }
  }

  /** nmi_op (§4.23): the NMI callback is vector 2 of the trap table. */
  private nmiOp(cmd: number, arg: number): number {
    const traps = this.hv.current().traps;
    if (cmd === XENNMI.register_callback) {
      const raw = this.guest.copyFromGuest(vaddr(arg), 8);
      if (raw === undefined) return -ERRNO.EFAULT;
      traps.setEntry(2, { flags: TRAP_INFO.MASK_EVENTS, cs: FLAT.RING1_CS, address: u32At(raw, 0) });
      return 0;
    }
    if (cmd === XENNMI.unregister_callback) { traps.setEntry(2, undefined); return 0; }
    return -ERRNO.ENOSYS;
  }

  /** sysctl / domctl (§4.24): unreadable → −EFAULT, wrong interface version → −EACCES, a domU → −EPERM. */
  private privilegedOp(op: number, version: number): number {
    const raw = this.guest.copyFromGuest(vaddr(op), 8);
    if (raw === undefined) return -ERRNO.EFAULT;
    if (u32At(raw, 4) !== version) return -ERRNO.EACCES;
    return -ERRNO.EPERM;
  }
}

export type { Mfn };
