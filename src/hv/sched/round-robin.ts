/**
 * Round robin (issue 3's "simple policy"): runnable vCPUs in a FIFO, each
 * running for a fixed slice; a woken vCPU joins the tail. The paper's BVT
 * (§3.3.1) replaces this behind the same interface with the toolstack.
 */
import type { Scheduler } from "./scheduler.js";

/** Xen's credit scheduler's default slice is 30 ms; a teaching machine switches more often. */
export const RR_SLICE_NS = 10_000_000n;

export class RoundRobin<V> implements Scheduler<V> {
  readonly name = "round-robin";
  private readonly queue: V[] = [];
  private readonly known = new Set<V>();

  constructor(private readonly sliceNs: bigint = RR_SLICE_NS) {}

  insert(v: V): void {
    this.known.add(v);
  }

  remove(v: V): void {
    this.sleep(v);
    this.known.delete(v);
  }

  wake(v: V): void {
    if (this.known.has(v) && !this.queue.includes(v)) this.queue.push(v);
  }

  sleep(v: V): void {
    const i = this.queue.indexOf(v);
    if (i >= 0) this.queue.splice(i, 1);
  }

  yield(v: V): void {
    const i = this.queue.indexOf(v);
    if (i >= 0) { this.queue.splice(i, 1); this.queue.push(v); }
  }

  /** The head of the queue; the vCPU that just ran goes to the tail if another is waiting. */
  pick(_nowNs: bigint, current: V | undefined): { next: V; sliceNs: bigint } | undefined {
    if (current !== undefined && this.queue[0] === current && this.queue.length > 1) {
      this.queue.shift();
      this.queue.push(current);
    }
    const next = this.queue[0];
    return next === undefined ? undefined : { next, sliceNs: this.sliceNs };
  }

  /** Runnable vCPUs in the order they will run (for tests and --stats). */
  runQueue(): readonly V[] {
    return this.queue;
  }
}
