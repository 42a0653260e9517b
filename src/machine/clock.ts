/**
 * The simulated clock: time of the emulated machine, in CPU cycles.
 *
 * Host wall time never enters here, so a run is deterministic: the same image
 * and inputs give the same event order and the same cycle counts. Devices
 * schedule callbacks at absolute cycle counts; the CPU loop runs instructions
 * until `nextEventAt`, then calls `runDue()`. Events at the same cycle run in
 * the order they were scheduled.
 *
 *   now ──────────────▶ nextEventAt ─────▶ ...
 *   (advanced by the CPU as it charges costs.ts figures)
 */
export type TimerCallback = () => void;

interface TimerEvent {
  at: number;
  seq: number;
  callback: TimerCallback;
  live: boolean;
}

/** Handle for cancelling a scheduled event. */
export type TimerHandle = object;

export class SimClock {
  /** Cycles elapsed since power-on (an integer held in a double: exact to 2^53). */
  now = 0;
  /** Cycle of the earliest pending event, or Infinity. */
  nextEventAt = Infinity;
  private readonly events: TimerEvent[] = [];
  private seq = 0;

  /** @param hz cycles per simulated second (the CPU clock). */
  constructor(readonly hz: number) {}

  /** Simulated seconds since power-on. */
  seconds(): number {
    return this.now / this.hz;
  }

  /** Cycles for a duration in simulated nanoseconds. */
  cyclesForNs(ns: number): number {
    return Math.round((ns * this.hz) / 1e9);
  }

  schedule(at: number, callback: TimerCallback): TimerHandle {
    const event: TimerEvent = { at: Math.max(at, this.now), seq: this.seq++, callback, live: true };
    // Keep events sorted by (at, seq); the list is short (a few per device).
    let i = this.events.length;
    while (i > 0 && this.events[i - 1]!.at > event.at) i--;
    this.events.splice(i, 0, event);
    this.nextEventAt = this.events[0]!.at;
    return event;
  }

  cancel(handle: TimerHandle): void {
    const event = handle as TimerEvent;
    if (!event.live) return;
    event.live = false;
    const i = this.events.indexOf(event);
    if (i >= 0) this.events.splice(i, 1);
    this.nextEventAt = this.events.length > 0 ? this.events[0]!.at : Infinity;
  }

  /** Run every event due at or before `now`, in order. */
  runDue(): void {
    while (this.events.length > 0 && this.events[0]!.at <= this.now) {
      const event = this.events.shift()!;
      event.live = false;
      this.nextEventAt = this.events.length > 0 ? this.events[0]!.at : Infinity;
      event.callback();
    }
    this.nextEventAt = this.events.length > 0 ? this.events[0]!.at : Infinity;
  }
}
