import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../clock.js";
import { Pit8254, PIT_HZ } from "./pit8254.js";
import { SystemControlPortB } from "./port61.js";

/** Run the clock to `target` as the CPU loop does: stop at each event, run it, go on. */
function advanceTo(clock: SimClock, target: number): void {
  while (clock.nextEventAt <= target) {
    clock.now = clock.nextEventAt;
    clock.runDue();
  }
  clock.now = target;
}

function setup(hz = 2 * PIT_HZ) {
  const clock = new SimClock(hz);
  const edges: number[] = [];
  let high = false;
  const irq = {
    raise: () => {
      assert.equal(high, false);
      high = true;
      edges.push(clock.now);
    },
    lower: () => {
      high = false;
    },
  };
  const pit = new Pit8254(clock, irq);
  const out = (port: number, v: number) => pit.portWrite(port - 0x40, 1, v);
  const inb = (port: number) => pit.portRead(port - 0x40, 1);
  return { clock, pit, edges, out, inb, isHigh: () => high };
}

test("mode 2 on channel 0 pulses IRQ 0 every N input ticks of simulated time", () => {
  const { clock, edges, out, isHigh } = setup(); // 2 CPU cycles per PIT tick
  out(0x43, 0x34); // counter 0, lobyte/hibyte, mode 2
  out(0x40, 100);
  out(0x40, 0);
  advanceTo(clock, 1000);
  // Load at tick 1 (next CLK), first edge at tick 101 = cycle 202, then every 100 ticks.
  assert.deepEqual(edges, [202, 402, 602, 802]);
  assert.equal(isHigh(), false, "each edge is a pulse");
});

test("mode 2 period at a 2.4 GHz CPU clock is N * hz / 1193182 cycles", () => {
  const hz = 2_400_000_000;
  const { clock, edges, out } = setup(hz);
  out(0x43, 0x34);
  out(0x40, 0x9c); // 11932: ~100 Hz
  out(0x40, 0x2e);
  advanceTo(clock, hz); // one simulated second
  // Edges at ticks 1 + 11932k; tick 1193182 ends the second: k = 1..99.
  assert.equal(edges.length, 99);
  const period = (11932 * hz) / PIT_HZ;
  for (let i = 1; i < edges.length; i++) assert.ok(Math.abs(edges[i]! - edges[i - 1]! - period) <= 1);
  assert.ok(clock.nextEventAt > clock.now, "only the next edge is scheduled");
});

test("mode 0 raises OUT once, N+1 ticks after the count is written", () => {
  const { clock, edges, out } = setup();
  out(0x43, 0x30);
  out(0x40, 10);
  out(0x40, 0);
  advanceTo(clock, 10_000);
  assert.deepEqual(edges, [22]);
});

test("counter latch freezes the value read; live reads count down", () => {
  const { clock, out, inb } = setup(PIT_HZ); // 1 cycle per tick
  out(0x43, 0x34);
  out(0x40, 0xe8);
  out(0x40, 0x03); // 1000
  clock.now = 11; // loaded at tick 1: 10 ticks elapsed
  out(0x43, 0x00); // latch counter 0
  clock.now = 500;
  assert.equal(inb(0x40) | (inb(0x40) << 8), 990);
  assert.equal(inb(0x40) | (inb(0x40) << 8), 1000 - 499);
});

test("read-back returns status (OUT, null count, RW, mode, BCD) then the latched count", () => {
  const { clock, pit, out, inb } = setup(PIT_HZ);
  pit.setGate(2, true);
  out(0x43, 0xb0); // counter 2, lo/hi, mode 0
  assert.equal((out(0x43, 0xe8), inb(0x42)), 0x70 | 0x40, "null count before a count is written; OUT low");
  out(0x42, 5);
  out(0x42, 0);
  clock.now = 10; // loaded at tick 1, terminal count at tick 6
  out(0x43, 0xc8); // read back count and status of counter 2
  assert.equal(inb(0x42), 0x80 | 0x30);
  assert.equal(inb(0x42) | (inb(0x42) << 8), (5 - 9 + 0x10000) & 0xffff);
});

test("lobyte-only and hibyte-only access modes", () => {
  const { clock, out, inb } = setup(PIT_HZ);
  out(0x43, 0x54); // counter 1, LSB only, mode 2
  out(0x41, 50);
  clock.now = 6;
  assert.equal(inb(0x41), 45);
  out(0x43, 0x64); // counter 1, MSB only, mode 2
  out(0x41, 0x02); // 0x200
  clock.now = 6 + 1 + 0x10;
  assert.equal(inb(0x41), 0x01, "0x200 - 0x10 = 0x1F0: MSB 0x01");
});

test("BCD counting: count 1000 written as 0x1000 reads back in BCD", () => {
  const { clock, out, inb } = setup(PIT_HZ);
  out(0x43, 0x75); // counter 1, lo/hi, mode 2, BCD
  out(0x41, 0x00);
  out(0x41, 0x10);
  clock.now = 1 + 1;
  assert.equal(inb(0x41) | (inb(0x41) << 8), 0x0999);
  clock.now = 1 + 1000;
  assert.equal(inb(0x41) | (inb(0x41) << 8), 0x1000, "reloaded after 1000 ticks, not 4096");
});

test("mode 2 count rewrite takes effect at the end of the current period", () => {
  const { clock, edges, out } = setup();
  out(0x43, 0x34);
  out(0x40, 100);
  out(0x40, 0);
  advanceTo(clock, 250); // tick 125: inside the second period (101..201)
  out(0x40, 50);
  out(0x40, 0);
  advanceTo(clock, 700);
  assert.deepEqual(edges, [202, 402, 502, 602]);
});

test("reprogramming channel 0 replaces its pending event", () => {
  const { clock, edges, out } = setup();
  out(0x43, 0x34);
  out(0x40, 100);
  out(0x40, 0);
  clock.now = 50;
  out(0x43, 0x30); // mode 0, no count yet: no event
  assert.equal(clock.nextEventAt, Infinity);
  out(0x40, 10);
  out(0x40, 0);
  advanceTo(clock, 1000);
  assert.deepEqual(edges, [(25 + 1 + 10) * 2]);
});

test("port 0x61: gate 2 starts a mode 0 count; OUT2 shows in bit 5; refresh toggles", () => {
  const { clock, pit, out } = setup(PIT_HZ);
  const portB = new SystemControlPortB(pit);
  out(0x43, 0xb0);
  out(0x42, 20);
  out(0x42, 0);
  clock.now = 100;
  assert.equal(portB.portRead(0, 1) & 0x20, 0, "gate low: not counting");
  portB.portWrite(0, 1, 0x01);
  assert.equal(portB.portRead(0, 1) & 0x01, 0x01);
  clock.now = 100 + 19;
  assert.equal(portB.portRead(0, 1) & 0x20, 0);
  clock.now = 100 + 20;
  assert.equal(portB.portRead(0, 1) & 0x20, 0x20);
  clock.now = 0;
  const a = portB.portRead(0, 1) & 0x10;
  clock.now = 18;
  const b = portB.portRead(0, 1) & 0x10;
  clock.now = 36;
  assert.notEqual(a, b);
  assert.equal(portB.portRead(0, 1) & 0x10, a);
});

test("mode 3 square wave on channel 2: OUT high for ceil(N/2), low for floor(N/2)", () => {
  const { clock, pit, out } = setup(PIT_HZ);
  pit.setGate(2, true);
  out(0x43, 0xb6);
  out(0x42, 5);
  out(0x42, 0);
  const levels: boolean[] = [];
  for (let t = 1; t <= 11; t++) {
    clock.now = t;
    levels.push(pit.out(2));
  }
  assert.deepEqual(levels, [true, true, true, false, false, true, true, true, false, false, true]);
  pit.setGate(2, false);
  clock.now = 14;
  assert.equal(pit.out(2), true, "gate low forces OUT high");
});

test("mode 1 one-shot is triggered by a rising gate and retriggerable", () => {
  const { clock, pit, out } = setup(PIT_HZ);
  out(0x43, 0xb2); // counter 2, lo/hi, mode 1
  out(0x42, 10);
  out(0x42, 0);
  clock.now = 50;
  assert.equal(pit.out(2), true, "armed: OUT high until triggered");
  pit.setGate(2, true);
  clock.now = 52;
  assert.equal(pit.out(2), false);
  clock.now = 55;
  pit.setGate(2, false);
  pit.setGate(2, true); // retrigger at 55: ends at 55 + 1 + 10
  clock.now = 65;
  assert.equal(pit.out(2), false);
  clock.now = 66;
  assert.equal(pit.out(2), true);
});
