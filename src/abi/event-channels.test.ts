/** 2-level event channel sizes, VIRQs and status values (docs/xen-pv32-abi.md §7, §4.14). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EVTCHNSTAT, EVTCHN_2L, NR_VIRQS, VIRQ, VIRQ_SCOPE, portBit, portWord } from "./event-channels.js";
import { sharedInfo } from "./structs.js";
import { locate } from "./layout.js";

test("§7.1: 1024 ports = 32 words of 32 bits, exactly the shared_info bitmaps", () => {
  assert.equal(EVTCHN_2L.NR_CHANNELS, EVTCHN_2L.WORDS * EVTCHN_2L.BITS_PER_WORD);
  assert.equal(EVTCHN_2L.NR_CHANNELS, 1024);
  assert.equal(locate(sharedInfo, "evtchn_pending").size * 8, EVTCHN_2L.NR_CHANNELS);
  assert.equal(locate(sharedInfo, "evtchn_mask").size * 8, EVTCHN_2L.NR_CHANNELS);
  assert.equal(EVTCHN_2L.DEFAULT_MAX_CHANNELS, 1023);
});

test("§7.1: port p is word p/32, bit p%32", () => {
  assert.deepEqual([portWord(0), portBit(0)], [0, 0]);
  assert.deepEqual([portWord(33), portBit(33)], [1, 1]);
  assert.deepEqual([portWord(1023), portBit(1023)], [31, 31]);
});

test("§7.5: VIRQ numbers and scopes", () => {
  assert.equal(VIRQ.TIMER, 0);
  assert.equal(VIRQ.DEBUGGER, 6);
  assert.equal(VIRQ.XENPMU, 13);
  assert.equal(VIRQ.ARCH_7, 23);
  assert.equal(NR_VIRQS, 24);
  assert.ok(Object.values(VIRQ).every((v) => v < NR_VIRQS));
  assert.ok(!Object.values(VIRQ).includes(5 as never) && !Object.values(VIRQ).includes(14 as never));
  const perVcpu = Object.entries(VIRQ_SCOPE).filter(([, s]) => s === "vcpu").map(([n]) => n);
  assert.deepEqual(perVcpu, ["TIMER", "DEBUG", "XENOPROF", "XENPMU"]);
  assert.equal(VIRQ_SCOPE.ARGO, "domain");
});

test("§4.14: EVTCHNSTAT values", () => {
  assert.deepEqual(EVTCHNSTAT, { closed: 0, unbound: 1, interdomain: 2, pirq: 3, virq: 4, ipi: 5 });
});
