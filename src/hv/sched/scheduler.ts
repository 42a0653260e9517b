/**
 * The scheduler interface (paper §3.3.1, ARCHITECTURE.md §3): the hypervisor
 * tells a policy which vCPUs exist and which may run, and asks it, at every
 * scheduling point, which vCPU runs next and for how long. The policy never
 * touches the CPU; the hypervisor does the context switch.
 *
 * Scheduling points: the running vCPU blocks (SCHEDOP_block), yields, goes
 * down or its domain ends; its slice expires; a vCPU wakes while the CPU idles.
 */
export interface Scheduler<V> {
  readonly name: string;
  /** A new vCPU (not yet runnable). */
  insert(v: V): void;
  /** The vCPU is gone (its domain was destroyed). */
  remove(v: V): void;
  /** The vCPU became runnable (woken, brought up). */
  wake(v: V): void;
  /** The vCPU stopped being runnable (blocked, down, ended). */
  sleep(v: V): void;
  /** The running vCPU gave up the rest of its slice but stays runnable. */
  yield(v: V): void;
  /**
   * The vCPU to run next and its slice in ns of system time, or undefined
   * to idle. `current` is the vCPU that ran until now, if still runnable.
   */
  pick(nowNs: bigint, current: V | undefined): { next: V; sliceNs: bigint } | undefined;
}
