/**
 * Event channels: one domain's port table and the operations of
 * event_channel_op (docs/xen-pv32-abi.md §7.4–§7.5, §4.14; Xen
 * xen/common/event_channel.c, whose checks and their order we follow).
 *
 * Mechanism here, representation behind `EvtchnPortOps` (event-channel-2l.ts,
 * STYLE §3). Each port is a channel in one state (§7.4):
 *
 *   free ──alloc_unbound──▶ unbound(remote dom R) ──R binds──▶ interdomain ⇄ peer
 *     ▲  ──bind_virq──▶ virq(v)   ──bind_ipi──▶ ipi(v)               │
 *     └──────────────────────── close ◀──────────────────────────────┘
 *   port 0: reserved forever.  Closing one end of an interdomain pair returns
 *   the other end to unbound (accepting the closer's domid), as Xen does.
 *
 * Every channel has a notify vCPU (0 by default; bind_virq / bind_ipi /
 * bind_vcpu set it; freeing resets it). A per-vCPU VIRQ table maps VIRQs to
 * ports; per-domain and global VIRQs live in vCPU 0's row (§7.5).
 *
 * Port validity is Xen's `port_is_valid`: ports come in buckets of 64 (Xen's
 * struct evtchn is __aligned(64), so one 4 KiB bucket holds 64), and a port
 * is valid once its bucket has been allocated, which happens when allocation
 * first reaches it; buckets are never released. Allocation takes the lowest
 * free port ≥ 1 up to min(max_evtchn_port, NR_CHANNELS − 1), else −ENOSPC.
 *
 * Methods run on the *calling* domain's table (Xen's current->domain); `dom`
 * arguments (DOMID_SELF = caller) go through the injected lookup. Each returns
 * a port (≥ 1) or 0, or −errno having changed nothing. A "Xen consumer" port
 * (a hypervisor-side end, e.g. domain 0's TypeScript console and xenstore
 * daemons) is notified by callback instead of pending bits; guests cannot
 * close, send on or rebind it.
 */
import { EVTCHN_2L, EVTCHNSTAT, NR_VIRQS, VIRQ, VIRQ_SCOPE, type VirqScope } from "../../abi/event-channels.js";
import { xenError } from "../../abi/errno.js";
import { DOMID } from "../../abi/hypercalls.js";
import { offsetOf } from "../../abi/layout.js";
import { vcpuInfo, LEGACY_MAX_VCPUS } from "../../abi/structs.js";
import { assert } from "../../lib/assert.js";
import type { DomId, Paddr, Port } from "../../lib/brand.js";
import { evtchnPortOps2l, type EvtchnPortOps, type EvtchnTarget } from "./event-channel-2l.js";
import type { MachineMemory } from "./machine-memory.js";

export type ChannelState = "free" | "reserved" | "unbound" | "interdomain" | "virq" | "ipi";

/** A hypervisor-side receiver of a port's notifications (Xen's xen_consumer). */
export type XenConsumer = (port: Port) => void;

/** What the table needs from the rest of the hypervisor. */
export interface EvtchnHooks {
  /** The table of domain `domid` (never DOMID_SELF), if it exists. */
  lookup(domid: DomId): EvtchnDomain | undefined;
  /** §7.2 step 2: vCPU `vcpu` of `domid` has a new upcall pending. */
  kick(domid: DomId, vcpu: number): void;
  /** §7.2 step 3: wake vCPUs of `domid` in SCHEDOP_poll on `port`. */
  checkPollers?(domid: DomId, port: Port): void;
  /** The domain allowed to bind global VIRQ `virq` (default: the hardware domain, 0). */
  globalVirqHandler?(virq: number): DomId;
}

export interface EvtchnDomainConfig {
  readonly domid: DomId;
  /** Number of vCPUs (ids 0 .. vcpus−1). */
  readonly vcpus: number;
  readonly mem: MachineMemory;
  /** Machine address of the shared_info page (vcpu_info[v] at +64·v until moved). */
  readonly sharedInfo: Paddr;
  /** Control domain (XSM dummy policy: may act on other domains' channels). */
  readonly privileged?: boolean;
  /** Highest port (libxl max_event_channels; default EVTCHN_2L.DEFAULT_MAX_CHANNELS). */
  readonly maxEvtchnPort?: number;
  readonly portOps?: EvtchnPortOps;
}

/** EVTCHNOP_status results (§4.14), by status. */
export type EvtchnStatusInfo =
  | { readonly status: typeof EVTCHNSTAT.closed | typeof EVTCHNSTAT.ipi; readonly vcpu: number }
  | { readonly status: typeof EVTCHNSTAT.unbound; readonly vcpu: number; readonly dom: number }
  | { readonly status: typeof EVTCHNSTAT.interdomain; readonly vcpu: number; readonly dom: number; readonly port: number }
  | { readonly status: typeof EVTCHNSTAT.virq; readonly vcpu: number; readonly virq: number };

interface Channel {
  state: ChannelState;
  notifyVcpu: number;
  /** unbound: the domain allowed to bind; interdomain: the peer. */
  remoteDomid: number;
  remote: EvtchnDomain | undefined;
  remotePort: number;
  virq: number;
  consumer: XenConsumer | undefined;
}

/** Xen's EVTCHNS_PER_BUCKET on x86 (see the design comment). */
const PORTS_PER_BUCKET = 64;
const UPCALL_PENDING = offsetOf(vcpuInfo, "evtchn_upcall_pending");
const UPCALL_MASK = offsetOf(vcpuInfo, "evtchn_upcall_mask");
const VCPU_INFO_SIZE = vcpuInfo.size;

/** VIRQ number → scope; numbers the ABI leaves unnamed are global (Xen's get_virq_type). */
const scopeOf: readonly VirqScope[] = (() => {
  const scopes: VirqScope[] = new Array<VirqScope>(NR_VIRQS).fill("global");
  for (const name of Object.keys(VIRQ) as (keyof typeof VIRQ)[]) scopes[VIRQ[name]] = VIRQ_SCOPE[name];
  return scopes;
})();
export const virqScope = (virq: number): VirqScope => scopeOf[virq] ?? "global";

const EINVAL = xenError("EINVAL");

/** Field updates type-checked against Channel. */
const update = (ch: Channel, patch: Partial<Channel>): unknown => Object.assign(ch, patch);

const freeChannel = (): Channel => ({
  state: "free", notifyVcpu: 0, remoteDomid: 0, remote: undefined, remotePort: 0, virq: 0, consumer: undefined,
});

export class EvtchnDomain implements EvtchnTarget {
  readonly domid: DomId;
  readonly vcpus: number;
  readonly mem: MachineMemory;
  readonly sharedInfo: Paddr;
  readonly privileged: boolean;
  readonly maxEvtchnPort: number;
  readonly ops: EvtchnPortOps;
  /** Valid ports (Xen's valid_evtchns): index = port. */
  private readonly channels: Channel[] = [];
  /** [vcpu][virq] → port, 0 = unbound. */
  private readonly virqToPort: Int32Array[];
  private readonly vcpuInfoAt: Paddr[];
  private dying = false;

  constructor(config: EvtchnDomainConfig, private readonly hooks: EvtchnHooks) {
    assert(config.vcpus >= 1 && config.vcpus <= LEGACY_MAX_VCPUS, `evtchn: ${config.vcpus} vCPUs`);
    ({ domid: this.domid, vcpus: this.vcpus, mem: this.mem, sharedInfo: this.sharedInfo } = config);
    this.privileged = config.privileged ?? false;
    this.ops = config.portOps ?? evtchnPortOps2l;
    this.maxEvtchnPort = Math.min(config.maxEvtchnPort ?? EVTCHN_2L.DEFAULT_MAX_CHANNELS, this.ops.maxPorts - 1);
    this.virqToPort = Array.from({ length: this.vcpus }, () => new Int32Array(NR_VIRQS));
    this.vcpuInfoAt = Array.from({ length: this.vcpus }, (_, v) => (config.sharedInfo + v * VCPU_INFO_SIZE) as Paddr);
    this.grow(0);
    this.channels[0]!.state = "reserved";
  }

  vcpuInfo(vcpu: number): Paddr {
    return this.vcpuInfoAt[vcpu]!;
  }

  kick(vcpu: number): void {
    this.hooks.kick(this.domid, vcpu);
  }

  checkPollers(port: Port): void {
    this.hooks.checkPollers?.(this.domid, port);
  }

  /** VCPUOP_register_vcpu_info moved vCPU `vcpu`'s vcpu_info to `paddr`. */
  moveVcpuInfo(vcpu: number, paddr: Paddr): void {
    assert(this.hasVcpu(vcpu), `evtchn: no vCPU ${vcpu}`);
    this.vcpuInfoAt[vcpu] = paddr;
  }

  hasVcpu(vcpu: number): boolean {
    return Number.isInteger(vcpu) && vcpu >= 0 && vcpu < this.vcpus;
  }

  /** Xen's port_is_valid. */
  isValidPort(port: number): boolean {
    return Number.isInteger(port) && port >= 0 && port < this.channels.length;
  }

  /** State of `port` ("free" for any port not yet valid). */
  stateOf(port: number): ChannelState {
    return this.channel(port)?.state ?? "free";
  }

  isPending(port: number): boolean {
    const ch = this.channel(port);
    return ch !== undefined && usable(ch) && this.ops.isPending(this, port as Port);
  }

  /** The port VIRQ `virq` is bound to for `vcpu` (0 if none); Xen's evtchn_virq_enabled. */
  virqPort(virq: number, vcpu: number): number {
    const row = virqScope(virq) === "vcpu" ? vcpu : 0;
    return this.virqToPort[row]?.[virq] ?? 0;
  }

  /** Upcall due on `vcpu`: upcall_pending set and upcall_mask clear (§6.5, local_events_need_delivery). */
  eventsNeedDelivery(vcpu: number): boolean {
    const vi = this.vcpuInfo(vcpu);
    return this.mem.read8(vi + UPCALL_PENDING) !== 0 && this.mem.read8(vi + UPCALL_MASK) === 0;
  }

  /** alloc_unbound: a port in `dom` that `remoteDom` (DOMID_SELF = caller) may bind. */
  allocUnbound(dom: number, remoteDom: number, consumer?: XenConsumer): number {
    const d = this.resolve(dom);
    if (d === undefined) return xenError("ESRCH");
    const port = d.getFreePort();
    if (port < 0) return port;
    if (!this.mayControl(d)) return xenError("EPERM");
    update(d.channels[port]!, { state: "unbound", remoteDomid: remoteDom === DOMID.SELF ? this.domid : remoteDom, consumer });
    return port;
  }

  /** bind_interdomain: connect a new local port to `remoteDom`'s unbound `remotePort`; the local port is set pending. */
  bindInterdomain(remoteDom: number, remotePort: number, consumer?: XenConsumer): number {
    const rd = this.resolve(remoteDom);
    if (rd === undefined) return xenError("ESRCH");
    const lport = this.getFreePort();
    if (lport < 0) return lport;
    const rch = rd.channel(remotePort);
    if (rch === undefined || rch.state !== "unbound" || rch.remoteDomid !== this.domid) return EINVAL;
    const lch = this.channels[lport]!;
    update(lch, { state: "interdomain", remote: rd, remoteDomid: rd.domid, remotePort, consumer });
    update(rch, { state: "interdomain", remote: this, remoteDomid: this.domid, remotePort: lport });
    // Notifications sent to the unbound remote end were dropped: raise one here (Xen does the same).
    this.setPending(lch, lport, lch.notifyVcpu);
    return lport;
  }

  /** bind_virq (§7.5). */
  bindVirq(virq: number, vcpu: number): number {
    if (!Number.isInteger(virq) || virq < 0 || virq >= NR_VIRQS) return EINVAL;
    const scope = virqScope(virq);
    if (scope !== "vcpu" && vcpu !== 0) return EINVAL;
    if (!this.hasVcpu(vcpu)) return xenError("ENOENT");
    if (scope === "global" && (this.hooks.globalVirqHandler?.(virq) ?? 0) !== this.domid) return xenError("EBUSY");
    if (this.virqToPort[vcpu]![virq] !== 0) return xenError("EEXIST");
    const port = this.getFreePort();
    if (port < 0) return port;
    update(this.channels[port]!, { state: "virq", notifyVcpu: vcpu, virq });
    this.virqToPort[vcpu]![virq] = port;
    return port;
  }

  /** bind_ipi: a port that `send` raises on `vcpu` of this domain. */
  bindIpi(vcpu: number): number {
    if (!this.hasVcpu(vcpu)) return xenError("ENOENT");
    const port = this.getFreePort();
    if (port < 0) return port;
    update(this.channels[port]!, { state: "ipi", notifyVcpu: vcpu });
    return port;
  }

  /** close (`guest` false: the hypervisor closing, which may close Xen-consumer ports). */
  close(port: number, guest = true): number {
    const ch = this.channel(port);
    if (ch === undefined || (ch.consumer !== undefined && guest)) return EINVAL;
    switch (ch.state) {
      case "free":
      case "reserved":
        return EINVAL;
      case "virq": {
        const row = this.virqToPort[virqScope(ch.virq) === "vcpu" ? ch.notifyVcpu : 0]!;
        assert(row[ch.virq] === port, `evtchn: d${this.domid} VIRQ ${ch.virq} table`);
        row[ch.virq] = 0;
        break;
      }
      case "interdomain": {
        const peer = ch.remote!;
        const pch = peer.channels[ch.remotePort];
        assert(pch?.state === "interdomain" && pch.remote === this, `evtchn: d${this.domid}:${port} peer link`);
        update(pch, { state: "unbound", remoteDomid: this.domid, remote: undefined, remotePort: 0 });
        break;
      }
      case "unbound":
      case "ipi":
        break;
    }
    if (usable(ch)) this.ops.clearPending(this, port as Port);
    update(ch, freeChannel());
    return 0;
  }

  /** send: interdomain → the peer's port; ipi → this port; unbound → dropped; others −EINVAL. */
  send(port: number): number {
    const ch = this.channel(port);
    if (ch === undefined || ch.consumer !== undefined) return EINVAL;
    switch (ch.state) {
      case "interdomain":
        ch.remote!.deliver(ch.remotePort);
        return 0;
      case "ipi":
        this.setPending(ch, port, ch.notifyVcpu);
        return 0;
      case "unbound":
        return 0;
      default:
        return EINVAL;
    }
  }

  /** status of `port` in `dom` (DOMID_SELF = caller). */
  status(dom: number, port: number): EvtchnStatusInfo | number {
    const d = this.resolve(dom);
    if (d === undefined) return xenError("ESRCH");
    const ch = d.channel(port);
    if (ch === undefined) return EINVAL;
    if (!this.mayControl(d)) return xenError("EPERM");
    const vcpu = ch.notifyVcpu;
    switch (ch.state) {
      case "free": // and the reserved port 0
      case "reserved":
        return { status: EVTCHNSTAT.closed, vcpu };
      case "unbound":
        return { status: EVTCHNSTAT.unbound, vcpu, dom: ch.remoteDomid };
      case "interdomain":
        return { status: EVTCHNSTAT.interdomain, vcpu, dom: ch.remoteDomid, port: ch.remotePort };
      case "virq":
        return { status: EVTCHNSTAT.virq, vcpu, virq: ch.virq };
      case "ipi":
        return { status: EVTCHNSTAT.ipi, vcpu };
    }
  }

  /** bind_vcpu: notify `vcpu` for an unbound, interdomain or non-per-vCPU VIRQ port. */
  bindVcpu(port: number, vcpu: number): number {
    if (!this.hasVcpu(vcpu)) return xenError("ENOENT");
    const ch = this.channel(port);
    if (ch === undefined || ch.consumer !== undefined) return EINVAL;
    const movable =
      ch.state === "unbound" || ch.state === "interdomain" || (ch.state === "virq" && virqScope(ch.virq) !== "vcpu");
    if (!movable) return EINVAL;
    ch.notifyVcpu = vcpu;
    return 0;
  }

  /** unmask: clear the mask bit and re-raise if pending (a no-op, returning 0, on a free port). */
  unmask(port: number): number {
    const ch = this.channel(port);
    if (ch === undefined) return EINVAL;
    if (usable(ch)) this.ops.unmask(this, ch.notifyVcpu, port as Port);
    return 0;
  }

  /** reset: close every port of `dom` (DOMID_SELF = caller); another domain needs a controller pause tsxen lacks. */
  reset(dom: number): number {
    const d = this.resolve(dom);
    if (d === undefined) return xenError("ESRCH");
    if (!this.mayControl(d)) return xenError("EPERM");
    if (d !== this) return EINVAL;
    for (let port = 1; port < this.channels.length; port++) this.close(port, true);
    return 0;
  }

  /** Raise VIRQ `virq` (send_guest_vcpu_virq / send_guest_domain_virq); dropped when unbound. */
  raiseVirq(virq: number, vcpu: number): void {
    assert(virq >= 0 && virq < NR_VIRQS && this.hasVcpu(vcpu), `evtchn: raise VIRQ ${virq} on vCPU ${vcpu}`);
    const port = this.virqPort(virq, vcpu);
    // A per-vCPU VIRQ's notify vCPU is the vCPU it was bound on (bind_vcpu cannot move it).
    if (port !== 0) this.setPending(this.channels[port]!, port, this.channels[port]!.notifyVcpu);
  }

  /** A Xen-consumer port notifies its peer (notify_via_xen_event_channel). */
  notifyViaXenChannel(port: number): void {
    const ch = this.channel(port);
    assert(ch?.consumer !== undefined, `evtchn: d${this.domid}:${port} is not a Xen-consumer port`);
    if (ch.state === "interdomain") ch.remote!.deliver(ch.remotePort);
  }

  /** The domain is dying: close every port, Xen-consumer ones included; no port can be allocated again. */
  destroy(): void {
    this.dying = true;
    for (let port = 1; port < this.channels.length; port++) this.close(port, false);
  }

  /** The interdomain peer of `port` sent: consumer callback, or pending on its notify vCPU. */
  private deliver(port: number): void {
    const ch = this.channels[port]!;
    if (ch.consumer !== undefined) ch.consumer(port as Port);
    else this.setPending(ch, port, ch.notifyVcpu);
  }

  private setPending(ch: Channel, port: number, vcpu: number): void {
    if (usable(ch)) this.ops.setPending(this, vcpu, port as Port);
  }

  private channel(port: number): Channel | undefined {
    return this.isValidPort(port) ? this.channels[port] : undefined;
  }

  private resolve(dom: number): EvtchnDomain | undefined {
    return dom === DOMID.SELF || dom === this.domid ? this : this.hooks.lookup(dom as DomId);
  }

  /** XSM dummy XSM_TARGET: a domain acts on itself; the control domain on any. */
  private mayControl(d: EvtchnDomain): boolean {
    return d === this || this.privileged;
  }

  /** Xen's get_free_port: lowest free port, allocating its bucket if needed; −ENOSPC past the limit. */
  private getFreePort(): number {
    if (this.dying) return EINVAL;
    for (let port = 0; port <= this.maxEvtchnPort; port++) {
      if (port >= this.channels.length) this.grow(port);
      if (this.channels[port]!.state === "free") return port;
    }
    return xenError("ENOSPC");
  }

  /** Allocate buckets until `port` is valid. */
  private grow(port: number): void {
    const end = Math.min(Math.ceil((port + 1) / PORTS_PER_BUCKET) * PORTS_PER_BUCKET, this.ops.maxPorts);
    while (this.channels.length < end) this.channels.push(freeChannel());
  }
}

/** Xen's evtchn_usable: only bound, guest-consumed channels touch shared memory. */
const usable = (ch: Channel): boolean => ch.consumer === undefined && ch.state !== "free" && ch.state !== "reserved";

/** send_global_virq: raise global VIRQ `virq` in its handler domain (default the hardware domain). */
export function sendGlobalVirq(hooks: EvtchnHooks, virq: number): void {
  assert(virqScope(virq) === "global", `evtchn: VIRQ ${virq} is not global`);
  hooks.lookup(hooks.globalVirqHandler?.(virq) ?? (0 as DomId))?.raiseVirq(virq, 0);
}
