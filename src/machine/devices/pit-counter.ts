/**
 * One counter of the Intel 8254 (datasheet "8254 Programmable Interval
 * Timer", Intel order 231164, "Operation" and "Modes"), computed rather than
 * ticked: it stores the input-clock tick at which its count was loaded and
 * derives the counting element (CE) and OUT from d = tick - loadTick.
 *
 *   phase   meaning
 *   idle    control word written, no count yet (or mode 0 mid-write): OUT = idleOut
 *   armed   mode 1/5 with a count, waiting for a rising gate: OUT high
 *   running counting from loadTick (d < 0: written, not yet loaded: OUT = preOut)
 *   paused  gate low: modes 0/4 hold d = frozen; modes 2/3 force OUT high
 *
 * With N the initial count (0 means 2^16, or 10^4 in BCD):
 *   mode 0, 1  CE = N - d          OUT = d >= N
 *   mode 2     CE = N - d mod N    OUT low only when d mod N = N - 1
 *   mode 3     CE steps by two     OUT high while d mod N < ceil(N / 2)
 *   mode 4, 5  CE = N - d          OUT low only at d = N
 * A mode 2/3 count written while running is `pending` until the current
 * period ends (`settle` applies it). The Pit8254 owns the port protocol
 * (byte order, latches) and writes these fields directly.
 */

export type Phase = "idle" | "armed" | "running" | "paused";

export class PitCounter {
  mode = 0; // 0..5 (6 and 7 alias 2 and 3)
  modeBits = 0; // M2..M0 as written, for the status byte
  access = 3;
  bcd = false;
  gate: boolean;
  cr = 0; // count register as written (raw 16 bits)
  n = 0x10000; // initial count of the run in progress
  phase: Phase = "idle";
  idleOut = true;
  loadTick = 0;
  frozen = 0; // d while paused
  preOut = true; // OUT between a write and the load tick
  hold = 0; // CE shown before the load tick / while idle
  pendingN = 0;
  pendingAt = Infinity;
  nullUntil = Infinity; // NULL COUNT is set while tick < nullUntil
  writeMsbNext = false;
  writeLow = 0;
  readMsbNext = false;
  latch: number | undefined;
  latchMsbNext = false;
  status: number | undefined;

  constructor(gate: boolean) {
    this.gate = gate;
  }

  get modulus(): number {
    return this.bcd ? 10000 : 0x10000;
  }

  decode(raw: number): number {
    const v = this.bcd ? fromBcd(raw) : raw;
    return v === 0 ? this.modulus : v;
  }

  /** Apply a mode 2/3 count rewrite once the current period has ended. */
  settle(tick: number): void {
    if (this.pendingAt <= tick) {
      this.loadTick = this.pendingAt;
      this.n = this.pendingN;
      this.pendingAt = Infinity;
    }
  }

  ce(tick: number): number {
    this.settle(tick);
    if (this.phase === "idle" || this.phase === "armed") return this.hold;
    const d = this.phase === "paused" ? this.frozen : tick - this.loadTick;
    if (d < 0) return this.hold;
    const n = this.n;
    const m = this.modulus;
    let v: number;
    if (this.mode === 2) v = n - (d % n);
    else if (this.mode === 3) {
      const h = d % n;
      const half = (n + 1) >> 1;
      v = (h < half ? n - 2 * h : n - 2 * (h - half)) - (n & 1);
    } else v = n - (d % m);
    return ((v % m) + m) % m;
  }

  out(tick: number): boolean {
    this.settle(tick);
    if (this.phase === "idle") return this.idleOut;
    if (this.phase === "armed") return true;
    if (this.phase === "paused" && (this.mode === 2 || this.mode === 3)) return true;
    const d = this.phase === "paused" ? this.frozen : tick - this.loadTick;
    if (d < 0) return this.preOut;
    const n = this.n;
    switch (this.mode) {
      case 0:
      case 1:
        return d >= n;
      case 2:
        return d % n !== n - 1;
      case 3:
        return d % n < (n + 1) >> 1;
      default:
        return d !== n;
    }
  }

  /** The first tick after `tick` at which OUT rises, or Infinity. */
  nextRise(tick: number): number {
    this.settle(tick);
    if (this.phase !== "running") return Infinity;
    const a = Math.max(tick - this.loadTick, 0);
    const n = this.n;
    let d: number;
    switch (this.mode) {
      case 0:
      case 1:
        d = a < n ? n : Infinity;
        break;
      case 2:
      case 3:
        d = n <= 1 ? Infinity : n * (Math.floor(a / n) + 1);
        break;
      default:
        d = a < n + 1 ? n + 1 : Infinity;
    }
    return this.loadTick + d;
  }

  /** Start (or restart) counting from `n` at the CLK pulse after `tick`. */
  start(tick: number, n: number, preOut: boolean): void {
    this.hold = this.ce(tick);
    this.n = n;
    this.pendingAt = Infinity;
    this.preOut = preOut;
    this.nullUntil = tick + 1;
    if (this.gate || this.mode === 1 || this.mode === 5) {
      this.phase = "running";
      this.loadTick = tick + 1;
    } else {
      this.phase = "paused";
      this.frozen = 0;
    }
  }

  statusByte(tick: number): number {
    return (
      (this.out(tick) ? 0x80 : 0) |
      (tick < this.nullUntil ? 0x40 : 0) |
      (this.access << 4) |
      (this.modeBits << 1) |
      (this.bcd ? 1 : 0)
    );
  }
}

export function fromBcd(raw: number): number {
  return ((raw >>> 12) & 0xf) * 1000 + ((raw >>> 8) & 0xf) * 100 + ((raw >>> 4) & 0xf) * 10 + (raw & 0xf);
}

export function toBcd(v: number): number {
  return (
    ((Math.floor(v / 1000) % 10) << 12) | ((Math.floor(v / 100) % 10) << 8) | ((Math.floor(v / 10) % 10) << 4) | v % 10
  );
}
