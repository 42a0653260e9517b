/**
 * Domain 0's control plane (ARCHITECTURE.md §4): creates domains through the
 * hypervisor and connects each, as xl and libxl do, to domain 0's daemons —
 * the console daemon on the console page and port, xenstored on the store
 * page and port — and writes the domain's xenstore entries
 * (/local/domain/<id>/{domid,name,console/…,store/…,memory/target}).
 */
import { LoaderError } from "../machine/boot/elf32.js";
import { PAGE } from "../abi/memory-layout.js";
import { CONSOLE_EVTCHN, STORE_EVTCHN, type CreateDomainOptions, type Hypervisor } from "../hv/pv/hypervisor.js";
import type { PvDomain } from "../hv/pv/domain.js";
import { ConsoleDaemon } from "./console-daemon.js";
import { Xenstored } from "./xenstored.js";

export interface ToolstackSinks {
  /** Bytes read from a domain's console ring (`xl console`). */
  console(domain: PvDomain, bytes: Uint8Array): void;
}

export class Toolstack {
  readonly xenstored = new Xenstored();
  readonly consoled: ConsoleDaemon;

  constructor(readonly hv: Hypervisor, sinks: ToolstackSinks) {
    this.consoled = new ConsoleDaemon(hv.mem, (domid, bytes) => {
      const d = hv.domain(domid);
      if (d !== undefined) sinks.console(d, bytes);
    });
    this.xenstored.write("/local/domain/0/name", "Domain-0");
    this.xenstored.write("/local/domain/0/domid", "0");
  }

  /** `xl create`: build the domain, connect its console and store, publish it in xenstore. */
  createDomain(o: CreateDomainOptions): PvDomain | LoaderError {
    const d = this.hv.createDomain(o);
    if (d instanceof LoaderError) return d;
    const b = d.built, id = d.domid;
    let notifyStore: () => void = () => {};
    const storeEvent = this.xenstored.connect(id, this.hv.mem, b.storeMfn * PAGE.SIZE, () => notifyStore());
    const ends = this.hv.dom0.connect(d.evtchn, [
      { port: STORE_EVTCHN, consumer: storeEvent },
      { port: CONSOLE_EVTCHN, consumer: this.consoled.connect(id, b.consoleMfn * PAGE.SIZE) },
    ]);
    if (typeof ends === "string") throw new Error(ends);
    notifyStore = ends[0]!;
    const home = `/local/domain/${id}`;
    const w = (k: string, v: string | number): void => this.xenstored.write(`${home}/${k}`, String(v));
    w("domid", id);
    w("name", d.name);
    w("vm", `/vm/${id}`);
    w("memory/target", (b.nrPages * PAGE.SIZE) / 1024);
    w("console/ring-ref", b.consoleMfn);
    w("console/port", CONSOLE_EVTCHN);
    w("console/type", "xenconsoled");
    w("store/ring-ref", b.storeMfn);
    w("store/port", STORE_EVTCHN);
    return d;
  }
}
