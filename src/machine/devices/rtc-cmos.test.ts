import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../clock.js";
import { CmosRtc, SOSP03_START } from "./rtc-cmos.js";
import { civilFromSeconds, secondsFromCivil } from "./calendar.js";

const HZ = 1_000_000; // 1 MHz CPU: 1 cycle per µs

function advanceTo(clock: SimClock, target: number): void {
  while (clock.nextEventAt <= target) {
    clock.now = clock.nextEventAt;
    clock.runDue();
  }
  clock.now = target;
}

function setup(ram = 128 << 20) {
  const clock = new SimClock(HZ);
  const irq = { high: false, raises: 0, raise() { this.high = true; this.raises++; }, lower() { this.high = false; } };
  const rtc = new CmosRtc(clock, irq, ram);
  const read = (i: number) => {
    rtc.portWrite(0, 1, i);
    return rtc.portRead(1, 1);
  };
  const write = (i: number, v: number) => {
    rtc.portWrite(0, 1, i);
    rtc.portWrite(1, 1, v);
  };
  return { clock, irq, rtc, read, write };
}

test("calendar: SOSP'03 start is Sunday 2003-10-19 12:00:00 and round-trips", () => {
  const t = civilFromSeconds(SOSP03_START);
  assert.deepEqual(t, { year: 2003, month: 10, day: 19, hour: 12, minute: 0, second: 0, weekday: 1 });
  assert.equal(secondsFromCivil(t), SOSP03_START);
  assert.deepEqual(civilFromSeconds(951782400), { year: 2000, month: 2, day: 29, hour: 0, minute: 0, second: 0, weekday: 3 });
});

test("power-on time in BCD, 24-hour mode", () => {
  const { read } = setup();
  assert.deepEqual(
    [0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x32].map(read),
    [0x00, 0x00, 0x12, 0x01, 0x19, 0x10, 0x03, 0x20],
  );
  assert.equal(read(0x0a), 0x26);
  assert.equal(read(0x0b), 0x02);
  assert.equal(read(0x0d), 0x80);
});

test("binary mode and 12-hour mode change the encoding", () => {
  const { clock, read, write } = setup();
  write(0x0b, 0x06); // binary, 24 h
  assert.deepEqual([0x04, 0x07, 0x08, 0x09, 0x32].map(read), [12, 19, 10, 3, 20]);
  clock.now = (3600 + 59) * HZ; // 13:00:59
  assert.equal(read(0x04), 13);
  assert.equal(read(0x00), 59);
  write(0x0b, 0x00); // BCD, 12 h
  assert.equal(read(0x04), 0x81, "1 PM");
  assert.equal(read(0x00), 0x59);
});

test("time follows simulated cycles, not host time", () => {
  const { clock, read } = setup();
  clock.now = HZ * 86400 * 13 + HZ * 61; // 13 days, 1 min 1 s later: 2003-11-01 12:01:01, Saturday
  assert.deepEqual([0x00, 0x02, 0x04, 0x06, 0x07, 0x08].map(read), [0x01, 0x01, 0x12, 0x07, 0x01, 0x11]);
});

test("SET freezes the registers for writing; clearing it starts the new time", () => {
  const { clock, read, write } = setup();
  write(0x0b, 0x82); // SET, BCD, 24 h
  write(0x09, 0x99);
  write(0x32, 0x19);
  write(0x08, 0x12);
  write(0x07, 0x31);
  write(0x04, 0x23);
  write(0x02, 0x59);
  write(0x00, 0x58);
  clock.now += 5 * HZ;
  assert.equal(read(0x00), 0x58, "frozen while SET");
  write(0x0b, 0x02);
  clock.now += 2 * HZ;
  assert.deepEqual([0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32].map(read), [0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x20]);
});

test("UIP is set only in the 244 µs before each update", () => {
  const { clock, read } = setup();
  clock.now = HZ - 300;
  assert.equal(read(0x0a) & 0x80, 0);
  clock.now = HZ - 200;
  assert.equal(read(0x0a) & 0x80, 0x80);
  clock.now = HZ;
  assert.equal(read(0x0a) & 0x80, 0);
});

test("periodic interrupt at 1024 Hz on IRQ 8, held until register C is read", () => {
  const { clock, irq, read, write } = setup();
  write(0x0b, 0x42); // PIE
  advanceTo(clock, 900);
  assert.equal(irq.high, false);
  advanceTo(clock, 977); // 32 ticks of 32.768 kHz = 976.5625 µs
  assert.equal(irq.high, true);
  advanceTo(clock, 5000);
  assert.equal(irq.raises, 1, "level stays high; no new edge until C is read");
  assert.equal(read(0x0c), 0xc0);
  assert.equal(irq.high, false);
  assert.equal(read(0x0c), 0x00);
  advanceTo(clock, 5860); // boundary 6 at 5859.375 µs
  assert.equal(irq.raises, 2);
});

test("PF is set without PIE but IRQF and the line stay clear", () => {
  const { clock, irq, read } = setup();
  clock.now = 2000;
  assert.equal(read(0x0c), 0x40);
  assert.equal(irq.raises, 0);
});

test("update-ended interrupt each second and the alarm", () => {
  const { clock, irq, read, write } = setup();
  write(0x01, 0x02); // alarm at hh:mm:02, any hour and minute
  write(0x03, 0xc0);
  write(0x05, 0xff);
  write(0x0b, 0x32); // AIE, UIE
  advanceTo(clock, HZ);
  assert.equal(irq.high, true);
  assert.equal(read(0x0c) & ~0x40, 0x90, "UF only (PF counts on regardless)");
  advanceTo(clock, 2 * HZ);
  assert.equal(read(0x0c) & ~0x40, 0xb0, "UF and AF at 12:00:02");
  write(0x0b, 0xb2); // SET clears UIE
  assert.equal(read(0x0b), 0xa2);
});

test("memory size bytes for 128 MiB as QEMU writes them", () => {
  const { read } = setup(128 << 20);
  assert.equal(read(0x15) | (read(0x16) << 8), 640);
  assert.equal(read(0x17) | (read(0x18) << 8), 65535, "127 MiB in KiB, capped");
  assert.equal(read(0x30) | (read(0x31) << 8), 65535);
  assert.equal(read(0x34) | (read(0x35) << 8), (112 << 20) / 65536);
  const small = setup(8 << 20);
  assert.equal(small.read(0x34) | (small.read(0x35) << 8), 0);
  assert.equal(small.read(0x17) | (small.read(0x18) << 8), 7168);
});

test("index port: NMI disable bit, CMOS RAM storage, read-only C and D", () => {
  const { rtc, read, write } = setup();
  rtc.portWrite(0, 1, 0x80 | 0x40);
  assert.equal(rtc.nmiDisabled, true);
  rtc.portWrite(1, 1, 0x5a);
  assert.equal(read(0x40), 0x5a);
  assert.equal(rtc.nmiDisabled, false);
  write(0x0d, 0x00);
  assert.equal(read(0x0d), 0x80);
});

test("writing seconds while running keeps the phase of the second", () => {
  const { clock, read, write } = setup();
  clock.now = 500_000;
  write(0x00, 0x30);
  clock.now = 999_999;
  assert.equal(read(0x00), 0x30);
  clock.now = 1_000_000;
  assert.equal(read(0x00), 0x31);
});
