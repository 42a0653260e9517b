/**
 * Hypercall dispatch (docs/xen-pv32-abi.md §3.1): EAX holds the number,
 * EBX ECX EDX ESI EDI the arguments, the result goes back in EAX. A number
 * with no handler is −ENOSYS (§3.4). Handlers return a Xen result (0, a
 * positive value, or −errno); they must not throw for anything a guest does.
 */
import { ERRNO } from "../../abi/errno.js";

/** Five argument registers, as unsigned 32-bit values. */
export type HypercallArgs = readonly [number, number, number, number, number];
export type HypercallHandler = (args: HypercallArgs) => number;

export class HypercallTable {
  private readonly handlers = new Map<number, HypercallHandler>();
  /** Calls per hypercall number (for --stats). */
  readonly counts = new Map<number, number>();

  register(nr: number, handler: HypercallHandler): this {
    this.handlers.set(nr, handler);
    return this;
  }

  dispatch(nr: number, args: HypercallArgs): number {
    const n = nr >>> 0;
    this.counts.set(n, (this.counts.get(n) ?? 0) + 1);
    const h = this.handlers.get(n);
    return h === undefined ? -ERRNO.ENOSYS : h(args) | 0;
  }
}
