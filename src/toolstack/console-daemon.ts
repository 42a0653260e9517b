/**
 * xenconsoled, domain 0's console daemon (docs/xen-pv32-abi.md §9.2): on each
 * notification of a domain's console port it consumes out[out_cons …
 * out_prod) of the domain's console page and hands the bytes to the sink
 * (what `xl console` shows). A guest claiming more than the ring holds gets
 * only the ring's worth.
 */
import { XENCONS, xenconsInterface } from "../abi/rings.js";
import { offsetOf } from "../abi/layout.js";
import type { MachineMemory } from "../hv/core/machine-memory.js";

const OUT = offsetOf(xenconsInterface, "out");
const OUT_CONS = offsetOf(xenconsInterface, "out_cons");
const OUT_PROD = offsetOf(xenconsInterface, "out_prod");

export class ConsoleDaemon {
  /** Bytes read per domain (for tests and --stats). */
  readonly bytes = new Map<number, number>();

  constructor(private readonly mem: MachineMemory, private readonly sink: (domid: number, bytes: Uint8Array) => void) {}

  /** The handler for domain `domid`'s console port, its ring at machine address `page`. */
  connect(domid: number, page: number): () => void {
    return () => this.drain(domid, page);
  }

  private drain(domid: number, page: number): void {
    const mem = this.mem;
    const prod = mem.read32(page + OUT_PROD) >>> 0;
    let cons = mem.read32(page + OUT_CONS) >>> 0;
    let n = (prod - cons) >>> 0;
    if (n > XENCONS.OUT_SIZE) { cons = (prod - XENCONS.OUT_SIZE) >>> 0; n = XENCONS.OUT_SIZE; }
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = mem.read8(page + OUT + ((cons + i) & (XENCONS.OUT_SIZE - 1)));
    mem.write32(page + OUT_CONS, prod);
    this.bytes.set(domid, (this.bytes.get(domid) ?? 0) + n);
    if (n > 0) this.sink(domid, out);
  }
}
