/**
 * A slow device clock derived from the simulated CPU clock.
 *
 * The 8254 counts a 1.193182 MHz input and the MC146818 a 32.768 kHz crystal;
 * in tsxen both are derived from `clock.now` (CPU cycles, `clock.hz` per
 * simulated second), never from host time. Tick k of a `rate` Hz clock falls
 * at CPU cycle ceil(k * hz / rate); both conversions below are exact integer
 * arithmetic in doubles, which holds while hz * rate < 2^53 (a 7 GHz CPU with
 * the PIT's rate is 8.4e15 < 9.0e15). Callers must pass integer hz and rate.
 *
 *   cycles  0 ....... hz ....... 2hz ...     (CPU clock)
 *   ticks   0 . 1 . 2 ... rate ... 2rate     (device clock)
 */

/** Number of whole ticks of a `rate` Hz clock elapsed at CPU cycle `cycle`. */
export function ticksAt(cycle: number, hz: number, rate: number): number {
  const seconds = Math.floor(cycle / hz);
  const rest = cycle - seconds * hz; // 0 <= rest < hz
  const scaled = rest * rate;
  let k = Math.floor(scaled / hz);
  if ((k + 1) * hz <= scaled) k++;
  else if (k * hz > scaled) k--;
  return seconds * rate + k;
}

/** The first CPU cycle at which `ticksAt` reaches `tick`. */
export function cycleOfTick(tick: number, hz: number, rate: number): number {
  const seconds = Math.floor(tick / rate);
  const rest = tick - seconds * rate; // 0 <= rest < rate
  const scaled = rest * hz;
  let c = Math.ceil(scaled / rate);
  if ((c - 1) * rate >= scaled) c--;
  else if (c * rate < scaled) c++;
  return seconds * hz + c;
}

/** CPU cycles in `ns` simulated nanoseconds, rounded to the nearest cycle. */
export function cyclesForNs(ns: number, hz: number): number {
  return Math.round((ns * hz) / 1e9);
}
