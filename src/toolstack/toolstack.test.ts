/**
 * The toolstack end to end on a fake guest (tests/support/pv-fake-guest.ts):
 * createDomain connects the domU's store and console channels to domain 0's
 * daemons and publishes the domain in xenstore; a request the guest puts on
 * its store ring and notifies is answered on the ring, and the answer is
 * signalled back as an event pending on the guest's store port.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { PAGE } from "../abi/memory-layout.js";
import { XS, xenstoreDomainInterface } from "../abi/rings.js";
import { offsetOf } from "../abi/layout.js";
import { DOMID } from "../abi/hypercalls.js";
import { EVTCHNSTAT } from "../abi/event-channels.js";
import type { Port } from "../lib/brand.js";
import { LoaderError } from "../machine/boot/elf32.js";
import { fakeMachine, pvImage } from "../../tests/support/pv-fake-guest.js";
import { CONSOLE_EVTCHN, STORE_EVTCHN } from "../hv/pv/hypervisor.js";
import { Toolstack } from "./toolstack.js";

function setup(): { ts: Toolstack; m: ReturnType<typeof fakeMachine>; out: string[] } {
  const m = fakeMachine();
  const out: string[] = [];
  const ts = new Toolstack(m.hv, { console: (d, bytes) => out.push(`${d.name}:${String.fromCharCode(...bytes)}`) });
  return { ts, m, out };
}

test("createDomain: store and console ports bound to domain 0, the domain published in xenstore", () => {
  const { ts, m } = setup();
  const d = ts.createDomain({ image: pvImage(), memoryBytes: 4 << 20, cmdline: "", name: "guest" });
  assert.ok(!(d instanceof LoaderError));
  for (const port of [STORE_EVTCHN, CONSOLE_EVTCHN]) {
    const st = d.evtchn.status(DOMID.SELF, port);
    assert.ok(typeof st !== "number" && st.status === EVTCHNSTAT.interdomain, `port ${port}`);
    assert.equal(st.dom, 0, `port ${port}: peer is domain 0`);
  }
  const read = (p: string): string => {
    const v = ts.xenstored.tree.read(0, p);
    return typeof v === "string" ? `error ${v}` : String.fromCharCode(...v);
  };
  assert.equal(read(`/local/domain/${d.domid}/domid`), String(d.domid));
  assert.equal(read(`/local/domain/${d.domid}/name`), "guest");
  assert.equal(read(`/local/domain/${d.domid}/store/port`), String(STORE_EVTCHN));
  assert.equal(read(`/local/domain/${d.domid}/console/ring-ref`), String(d.built.consoleMfn));
  assert.equal(read("/local/domain/0/name"), "Domain-0");
  assert.equal(m.hv.domain(d.domid), d);
});

test("a store request notified by the guest is answered on the ring and the store port goes pending", () => {
  const { ts, m } = setup();
  const d = ts.createDomain({ image: pvImage(), memoryBytes: 4 << 20, cmdline: "", name: "guest" });
  assert.ok(!(d instanceof LoaderError));
  m.hv.start();
  const mem = m.hv.mem, ring = d.built.storeMfn * PAGE.SIZE;
  const path = "domid\0";
  const msg = [XS.READ, 7, 0, path.length];
  msg.forEach((w, i) => mem.write32(ring + i * 4, w));
  for (let i = 0; i < path.length; i++) mem.write8(ring + 16 + i, path.charCodeAt(i));
  mem.write32(ring + offsetOf(xenstoreDomainInterface, "req_prod"), 16 + path.length);
  // the guest's EVTCHNOP_send on its store port; clear the pending bit bindInterdomain set first
  d.evtchn.ops.clearPending(d.evtchn, STORE_EVTCHN as Port);
  assert.ok(!d.evtchn.isPending(STORE_EVTCHN));
  assert.equal(d.evtchn.send(STORE_EVTCHN), 0);
  const rsp = ring + offsetOf(xenstoreDomainInterface, "rsp");
  const prod = mem.read32(ring + offsetOf(xenstoreDomainInterface, "rsp_prod"));
  assert.equal(prod, 16 + 1, "one reply: the header and the value \"1\" (no NUL)");
  assert.deepEqual([0, 1, 2, 3].map((i) => mem.read32(rsp + i * 4)), [XS.READ, 7, 0, 1]);
  assert.equal(mem.read8(rsp + 16), "1".charCodeAt(0));
  assert.equal(mem.read32(ring + offsetOf(xenstoreDomainInterface, "req_cons")), 16 + path.length);
  assert.ok(d.evtchn.isPending(STORE_EVTCHN), "dom0 notified the guest");
});
