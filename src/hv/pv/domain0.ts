/**
 * Domain 0 (ARCHITECTURE.md §4, paper §2.3): the privileged domain whose
 * software is the TypeScript toolstack rather than x86 code. It exists from
 * boot, has no vCPU on the machine, and is the peer a domU sees as domid 0:
 * its event-channel table is the other end of every domU's console and
 * xenstore channels, bound as xl binds them (§1.8), with the console
 * daemon's and xenstored's handlers as Xen-side consumers.
 *
 * Console daemon (xenconsoled, §9.2): on each notification it consumes
 * out[out_cons … out_prod) of the domU's console page and hands the bytes to
 * the sink (what `xl console` shows). Xenstored is not built yet: its port
 * is bound and notifications are accepted and ignored.
 */
import { DOMID } from "../../abi/hypercalls.js";
import { XENCONS, xenconsInterface } from "../../abi/rings.js";
import { offsetOf } from "../../abi/layout.js";
import { PAGE } from "../../abi/memory-layout.js";
import type { DomId, Mfn, Paddr } from "../../lib/brand.js";
import { EvtchnDomain, type EvtchnHooks } from "../core/event-channel.js";
import { DOMID_XEN, type FrameTable } from "../core/frame-table.js";
import type { MachineMemory } from "../core/machine-memory.js";

export const DOM0 = 0 as DomId;

export class Domain0 {
  readonly evtchn: EvtchnDomain;
  /** Bytes the console daemon read, per domU (for tests and --stats). */
  readonly consoleBytes = new Map<number, number>();

  constructor(
    private readonly mem: MachineMemory,
    frames: FrameTable,
    hooks: EvtchnHooks,
    private readonly consoleSink: (domid: number, bytes: Uint8Array) => void,
  ) {
    const shared = frames.allocate(DOMID_XEN);
    if (shared < 0) throw new Error("no machine frame for domain 0's shared_info");
    for (let o = 0; o < PAGE.SIZE; o += 4) mem.write32(shared * PAGE.SIZE + o, 0);
    this.evtchn = new EvtchnDomain({ domid: DOM0, vcpus: 1, mem, sharedInfo: (shared * PAGE.SIZE) as Paddr, privileged: true }, hooks);
  }

  /**
   * What xl does when it creates a domU (§1.8): an unbound port in the domU
   * for each of store and console, bound by domain 0 to its daemons. Returns
   * the domU's ports, or an error message.
   */
  connect(domU: EvtchnDomain, consoleMfn: Mfn, want: { store: number; console: number }): string | undefined {
    const ends: Array<[number, () => void]> = [
      [want.store, () => {}],
      [want.console, () => this.drainConsole(domU.domid, consoleMfn)],
    ];
    for (const [port, consumer] of ends) {
      const got = domU.allocUnbound(DOMID.SELF, DOM0);
      if (got !== port) return `evtchn: toolstack port ${got}, wanted ${port}`;
      const rc = this.evtchn.bindInterdomain(domU.domid, port, consumer);
      if (rc < 0) return `evtchn: dom0 bind to d${domU.domid} port ${port}: ${rc}`;
    }
    return undefined;
  }

  /** xenconsoled: consume the domU's output ring (§9.2). */
  private drainConsole(domid: number, consoleMfn: Mfn): void {
    const page = consoleMfn * PAGE.SIZE, mem = this.mem;
    const consAt = page + offsetOf(xenconsInterface, "out_cons");
    const prod = mem.read32(page + offsetOf(xenconsInterface, "out_prod")) >>> 0;
    let cons = mem.read32(consAt) >>> 0;
    // a guest that claims more than the ring holds gets only the ring's worth
    let n = (prod - cons) >>> 0;
    if (n > XENCONS.OUT_SIZE) { cons = (prod - XENCONS.OUT_SIZE) >>> 0; n = XENCONS.OUT_SIZE; }
    const out = new Uint8Array(n);
    const base = page + offsetOf(xenconsInterface, "out");
    for (let i = 0; i < n; i++) out[i] = mem.read8(base + ((cons + i) & (XENCONS.OUT_SIZE - 1)));
    mem.write32(consAt, prod);
    this.consoleBytes.set(domid, (this.consoleBytes.get(domid) ?? 0) + n);
    if (n > 0) this.consoleSink(domid, out);
  }
}
