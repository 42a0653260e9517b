/**
 * Domain 0 (ARCHITECTURE.md §4, paper §2.3): the privileged domain whose
 * software is the TypeScript toolstack (src/toolstack) rather than x86 code.
 * It exists from boot, has no vCPU on the machine, and is the peer a domU
 * sees as domid 0. What the hypervisor keeps for it is its event-channel
 * table and its grant table; the toolstack's daemons (console, xenstore) are Xen-side consumers
 * of ports in it, bound to each domU as xl binds them (§1.8).
 */
import { DOMID } from "../../abi/hypercalls.js";
import { PAGE } from "../../abi/memory-layout.js";
import type { DomId, Mfn, Paddr } from "../../lib/brand.js";
import { GrantTable } from "../core/grant-table.js";
import { EvtchnDomain, type EvtchnHooks } from "../core/event-channel.js";
import { DOMID_XEN, type FrameTable } from "../core/frame-table.js";
import type { MachineMemory } from "../core/machine-memory.js";

export const DOM0 = 0 as DomId;

/** A port the toolstack wants in a domU, with the domain-0 daemon that serves it. */
export interface Dom0Channel {
  /** The port the domU must get (announced in its start_info). */
  port: number;
  /** Runs when the domU notifies the channel. */
  consumer: () => void;
}

export class Domain0 {
  readonly evtchn: EvtchnDomain;
  /** Domain 0's grant table: what a domU finds when it names domid 0 in grant operations (nothing granted yet). */
  readonly grants: GrantTable;

  constructor(mem: MachineMemory, frames: FrameTable, hooks: EvtchnHooks, setM2p: (mfn: Mfn, pfn: number) => void) {
    const shared = frames.allocate(DOMID_XEN);
    if (shared < 0) throw new Error("no machine frame for domain 0's shared_info");
    for (let o = 0; o < PAGE.SIZE; o += 4) mem.write32(shared * PAGE.SIZE + o, 0);
    this.evtchn = new EvtchnDomain({ domid: DOM0, vcpus: 1, mem, sharedInfo: (shared * PAGE.SIZE) as Paddr, privileged: true }, hooks);
    const gt = GrantTable.create({ domid: DOM0, frames, mem, setM2p });
    if (typeof gt === "number") throw new Error(`domain 0's grant table: ${gt}`);
    this.grants = gt;
  }

  /**
   * What xl does for a new domU: an unbound port in the domU for each
   * channel, bound by domain 0 to its daemon. Returns, per channel, a
   * function that notifies the domU (dom0's end of the send), or an error.
   */
  connect(domU: EvtchnDomain, channels: readonly Dom0Channel[]): Array<() => void> | string {
    const notifiers: Array<() => void> = [];
    for (const ch of channels) {
      const got = domU.allocUnbound(DOMID.SELF, DOM0);
      if (got !== ch.port) return `evtchn: toolstack port ${got}, wanted ${ch.port}`;
      const local = this.evtchn.bindInterdomain(domU.domid, ch.port, ch.consumer);
      if (local < 0) return `evtchn: dom0 bind to d${domU.domid} port ${ch.port}: ${local}`;
      // a Xen-side end signals with notify_via_xen_event_channel (EVTCHNOP_send refuses such ports)
      notifiers.push(() => { this.evtchn.notifyViaXenChannel(local); });
    }
    return notifiers;
  }
}
