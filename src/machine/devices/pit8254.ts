/**
 * Intel 8254 programmable interval timer (datasheet "8254 Programmable
 * Interval Timer", Intel order 231164) at ports 0x40–0x43, clocked at
 * 1.193182 MHz. Channel 0 drives IRQ 0; channel 2's gate and output are
 * wired to port 0x61 (see port61.ts); channel 1 (DRAM refresh) is free.
 *
 *   0x40–0x42  counter 0–2 data    0x43  control word (write only)
 *   control word: SC1 SC0 | RW1 RW0 | M2 M1 M0 | BCD
 *     SC = 11: read-back  D5 = !COUNT, D4 = !STATUS, D3..D1 = counters 2..0
 *     RW = 00: counter latch; 01 LSB only; 10 MSB only; 11 LSB then MSB
 *   status byte: OUT | NULL COUNT | RW1 RW0 | M2 M1 M0 | BCD
 *
 * Time: the input clock is derived from the simulated CPU clock (tick k at
 * cycle ceil(k * hz / 1193182), clock-divider.ts); nothing here reads host
 * time. Each counter computes its value and OUT from the ticks elapsed
 * since its count was loaded (pit-counter.ts has the per-mode formulas).
 *
 * A count takes effect on the CLK pulse after it is written (load tick =
 * write tick + 1), so mode 0 OUT rises N+1 ticks after the write as the
 * datasheet says, and mode 2/3 OUT rises every N ticks after that.
 * Channel 0's rising OUT edges are delivered to IRQ 0 as a pulse (raise()
 * then lower()) so the edge-triggered PIC latches each one; only the next
 * rising edge is ever scheduled on the clock, never per count.
 *
 * Deviation: a count rewritten during mode 3 takes effect at the end of the
 * current full period (the chip uses the end of the current half-cycle).
 */
import type { DeviceClock, IoWidth, IrqLine, PortDevice } from "./device.js";
import type { TimerHandle } from "../clock.js";
import { cycleOfTick, ticksAt } from "./clock-divider.js";
import { readLanes, writeLanes } from "./byte-lanes.js";
import { PitCounter, toBcd } from "./pit-counter.js";

/** The PIT input clock, Hz (14.31818 MHz / 12). */
export const PIT_HZ = 1193182;

export class Pit8254 implements PortDevice {
  private readonly counters = [new PitCounter(true), new PitCounter(true), new PitCounter(false)];
  private event: TimerHandle | undefined;

  constructor(
    private readonly clock: DeviceClock,
    private readonly irq0: IrqLine,
  ) {}

  /** Ticks of the 1.193182 MHz input clock since power-on. */
  ticks(): number {
    return ticksAt(this.clock.now, this.clock.hz, PIT_HZ);
  }

  /** OUT of counter `i` now. */
  out(i: number): boolean {
    return this.counters[i]!.out(this.ticks());
  }

  gate(i: number): boolean {
    return this.counters[i]!.gate;
  }

  /** Drive GATE of counter `i` (only counter 2's is wired, to port 0x61). */
  setGate(i: number, high: boolean): void {
    const c = this.counters[i]!;
    if (c.gate === high) return;
    this.mutate(i, (tick) => {
      c.settle(tick);
      c.gate = high;
      if (c.phase === "idle") return;
      switch (c.mode) {
        case 0:
        case 4: // gate low suspends counting
          if (!high && c.phase === "running") {
            c.frozen = Math.max(tick - c.loadTick, 0);
            c.phase = "paused";
          } else if (high && c.phase === "paused") {
            c.loadTick = tick - c.frozen;
            c.phase = "running";
          }
          return;
        case 1:
        case 5: // a rising gate triggers
          if (high) {
            // OUT keeps its level until the load tick (mode 1 then drives it low).
            c.start(tick, c.decode(c.cr), c.out(tick));
          }
          return;
        default: // modes 2, 3: gate low forces OUT high and stops; rising reloads
          if (!high) {
            c.hold = c.ce(tick);
            c.frozen = Math.max(tick - c.loadTick, 0);
            c.phase = "paused";
          } else {
            c.start(tick, c.decode(c.cr), true);
          }
      }
    });
  }

  portRead(offset: number, width: IoWidth): number {
    return readLanes((o) => (o === 3 ? 0xff : this.readCounter(this.counters[o]!)), offset, width, 4);
  }

  portWrite(offset: number, width: IoWidth, value: number): void {
    writeLanes((o, v) => (o === 3 ? this.writeControl(v) : this.writeCounter(o, v)), offset, width, value, 4);
  }

  private readCounter(c: PitCounter): number {
    const tick = this.ticks();
    if (c.status !== undefined) {
      const s = c.status;
      c.status = undefined;
      return s;
    }
    if (c.latch !== undefined) {
      const v = c.latch;
      if (c.access === 3 && !c.latchMsbNext) {
        c.latchMsbNext = true;
        return v & 0xff;
      }
      c.latch = undefined;
      c.latchMsbNext = false;
      return c.access === 1 ? v & 0xff : (v >>> 8) & 0xff;
    }
    const v = this.visible(c, tick);
    if (c.access === 1) return v & 0xff;
    if (c.access === 2) return v >>> 8;
    c.readMsbNext = !c.readMsbNext;
    return c.readMsbNext ? v & 0xff : v >>> 8;
  }

  /** CE as the data bus shows it (BCD-encoded in BCD mode). */
  private visible(c: PitCounter, tick: number): number {
    const v = c.ce(tick);
    return c.bcd ? toBcd(v) : v;
  }

  private writeCounter(i: number, value: number): void {
    const c = this.counters[i]!;
    let raw: number;
    if (c.access === 1) raw = value;
    else if (c.access === 2) raw = value << 8;
    else if (!c.writeMsbNext) {
      c.writeLow = value;
      c.writeMsbNext = true;
      // Mode 0: writing the first byte stops the count and drives OUT low.
      if (c.mode === 0) this.mutate(i, (tick) => this.stop(c, tick, false));
      return;
    } else {
      c.writeMsbNext = false;
      raw = c.writeLow | (value << 8);
    }
    this.mutate(i, (tick) => this.load(c, tick, raw));
  }

  private load(c: PitCounter, tick: number, raw: number): void {
    c.cr = raw;
    const n = c.decode(raw);
    switch (c.mode) {
      case 0:
        c.start(tick, n, false);
        return;
      case 4:
        c.start(tick, n, c.out(tick));
        return;
      case 1:
      case 5: // takes effect at the next gate trigger
        if (c.phase === "idle") {
          c.hold = c.ce(tick);
          c.phase = "armed";
        }
        c.nullUntil = Infinity;
        return;
      default: // modes 2, 3
        c.settle(tick);
        if (c.phase === "running" && tick >= c.loadTick) {
          const d = tick - c.loadTick;
          c.pendingAt = c.loadTick + c.n * (Math.floor(d / c.n) + 1);
          c.pendingN = n;
          c.nullUntil = c.pendingAt;
        } else if (c.phase === "running" || c.phase === "paused") {
          c.n = n; // not yet loaded, or held by a low gate (reloads on the rising edge)
        } else {
          c.start(tick, n, true);
        }
    }
  }

  private stop(c: PitCounter, tick: number, out: boolean): void {
    c.hold = c.ce(tick);
    c.phase = "idle";
    c.idleOut = out;
    c.pendingAt = Infinity;
  }

  private writeControl(value: number): void {
    const sc = value >>> 6;
    const tick = this.ticks();
    if (sc === 3) {
      // Read-back command
      for (let i = 0; i < 3; i++) {
        if (!(value & (2 << i))) continue;
        const c = this.counters[i]!;
        if (!(value & 0x20) && c.latch === undefined) this.latchCount(c, tick);
        if (!(value & 0x10) && c.status === undefined) c.status = c.statusByte(tick);
      }
      return;
    }
    const c = this.counters[sc]!;
    const access = (value >>> 4) & 3;
    if (access === 0) {
      // Counter latch command; a second latch before the read is ignored.
      if (c.latch === undefined) this.latchCount(c, tick);
      return;
    }
    this.mutate(sc, (t) => {
      c.access = access;
      c.modeBits = (value >>> 1) & 7;
      c.mode = c.modeBits > 5 ? c.modeBits - 4 : c.modeBits;
      c.bcd = (value & 1) !== 0;
      c.writeMsbNext = false;
      c.readMsbNext = false;
      c.latch = undefined;
      c.latchMsbNext = false;
      c.status = undefined;
      c.nullUntil = Infinity;
      this.stop(c, t, c.mode !== 0);
    });
  }

  private latchCount(c: PitCounter, tick: number): void {
    c.latch = this.visible(c, tick);
    c.latchMsbNext = false;
  }

  /** Run a change to counter `i`; for counter 0 deliver an edge it causes and reschedule. */
  private mutate(i: number, change: (tick: number) => void): void {
    const tick = this.ticks();
    const c = this.counters[i]!;
    const before = c.out(tick);
    change(tick);
    if (i !== 0) return;
    if (!before && c.out(tick)) this.pulse();
    this.schedule(tick);
  }

  private pulse(): void {
    this.irq0.raise();
    this.irq0.lower();
  }

  /** Schedule the first rising edge of OUT0 after `tick`. */
  private schedule(tick: number): void {
    if (this.event !== undefined) this.clock.cancel(this.event);
    this.event = undefined;
    const edge = this.counters[0]!.nextRise(tick);
    if (edge === Infinity) return;
    this.event = this.clock.schedule(cycleOfTick(edge, this.clock.hz, PIT_HZ), () => {
      this.event = undefined;
      this.pulse();
      this.schedule(Math.max(edge, this.ticks()));
    });
  }
}
