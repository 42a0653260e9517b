import assert from "node:assert/strict";
import { test } from "node:test";
import { Pc } from "../../machine/pc.js";
import { SOSP03_START } from "../../machine/devices/rtc-cmos.js";
import { readCmosTime } from "./cmos-time.js";

test("the boot wall clock read from the CMOS RTC is the board's power-on time, and follows simulated time", () => {
  const pc = new Pc({ memoryMiB: 2, serial: () => {} });
  assert.equal(readCmosTime(pc.ports), SOSP03_START);
  pc.clock.now += pc.clock.hz * 3661; // 1 h 1 min 1 s of simulated time
  pc.clock.runDue();
  assert.equal(readCmosTime(pc.ports), SOSP03_START + 3661);
});

test("binary and 12-hour formats (register B) decode to the same time", () => {
  const pc = new Pc({ memoryMiB: 2, serial: () => {} });
  const before = readCmosTime(pc.ports);
  pc.ports.write(0x70, 1, 0x0b);
  pc.ports.write(0x71, 1, 0x04); // binary, 12-hour
  assert.equal(readCmosTime(pc.ports), before);
});
