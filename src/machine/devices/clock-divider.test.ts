import { test } from "node:test";
import assert from "node:assert/strict";
import { cycleOfTick, ticksAt } from "./clock-divider.js";
import { PIT_HZ } from "./pit8254.js";

test("cycleOfTick is the first cycle at which ticksAt reaches the tick (2.4 GHz CPU, PIT clock)", () => {
  const hz = 2_400_000_000;
  for (const tick of [0, 1, 2, 11932, 1193181, 1193182, 1193183, 123456789012, 2 ** 40 + 7]) {
    const c = cycleOfTick(tick, hz, PIT_HZ);
    assert.equal(ticksAt(c, hz, PIT_HZ), tick, `tick ${tick}`);
    if (tick > 0) assert.equal(ticksAt(c - 1, hz, PIT_HZ), tick - 1, `tick ${tick} - 1 cycle`);
  }
});

test("ticksAt counts whole ticks exactly far from power-on", () => {
  const hz = 3_000_000_000;
  const hours = 500 * 3600; // 500 simulated hours: 5.4e15 cycles, near the 2^53 limit of the clock
  assert.equal(ticksAt(hours * hz, hz, PIT_HZ), hours * PIT_HZ);
  assert.equal(ticksAt(hours * hz - 1, hz, PIT_HZ), hours * PIT_HZ - 1);
  assert.equal(ticksAt(hz / 2, hz, 32768), 16384);
});
