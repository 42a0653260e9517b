/**
 * xenstored (docs/xen-pv32-abi.md §11.3) driven through a real
 * xenstore_domain_interface page in a Ram, as a guest's xenbus driver
 * drives it: requests are written into req[] at req_prod (free-running u32
 * indices, position = index & 1023), the store port is "notified" by
 * calling the handler connect() returned, replies are read from rsp[]
 * between rsp_cons and rsp_prod. The fake guest side is the Ring class.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { XENSTORE, XENSTORE_ERROR, XS } from "../abi/rings.js";
import { Ram } from "../machine/memory/ram.js";
import { STORE_RING, Xenstored } from "./xenstored.js";

const DOMID = 7;
const RING_AT = 0x2000;
const OFF = STORE_RING;
const SIZE = XENSTORE.RING_SIZE;
const bytes = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
const text = (b: readonly number[]): string => String.fromCharCode(...b);

interface Msg { type: number; reqId: number; txId: number; body: string }

/** The guest's end of the ring page. */
class Ring {
  readonly mem = new Ram(64 << 10);
  readonly store = new Xenstored();
  notifications = 0;
  private partial: number[] = [];
  readonly notify: () => void;

  constructor(start = 0) {
    for (const f of [OFF.reqCons, OFF.reqProd, OFF.rspCons, OFF.rspProd]) this.mem.write32(RING_AT + f, start >>> 0);
    this.notify = this.store.connect(DOMID, this.mem, RING_AT, () => { this.notifications++; });
  }

  u32(off: number): number { return this.mem.read32(RING_AT + off) >>> 0; }
  set32(off: number, v: number): void { this.mem.write32(RING_AT + off, v >>> 0); }

  /** Queue one request (header + payload) in req[] without notifying. */
  put(type: number, reqId: number, payload: string | number[], txId = 0): void {
    const body = typeof payload === "string" ? bytes(payload) : payload;
    const msg = [...le32(type), ...le32(reqId), ...le32(txId), ...le32(body.length), ...body];
    let prod = this.u32(OFF.reqProd);
    assert.ok(msg.length <= SIZE - ((prod - this.u32(OFF.reqCons)) >>> 0), "request fits the ring");
    for (const b of msg) { this.mem.write8(RING_AT + OFF.req + (prod & (SIZE - 1)), b); prod = (prod + 1) >>> 0; }
    this.set32(OFF.reqProd, prod);
  }

  /** Send one request and notify. */
  send(type: number, reqId: number, payload: string | number[], txId = 0): void {
    this.put(type, reqId, payload, txId);
    this.notify();
  }

  /** Consume everything in rsp[]; returns the whole messages now complete. */
  drain(): Msg[] {
    let cons = this.u32(OFF.rspCons);
    const prod = this.u32(OFF.rspProd);
    while (cons !== prod) { this.partial.push(this.mem.read8(RING_AT + OFF.rsp + (cons & (SIZE - 1)))); cons = (cons + 1) >>> 0; }
    this.set32(OFF.rspCons, cons);
    const out: Msg[] = [];
    for (;;) {
      if (this.partial.length < 16) break;
      const w = (i: number): number => (this.partial[i]! | (this.partial[i + 1]! << 8) | (this.partial[i + 2]! << 16) | (this.partial[i + 3]! << 24)) >>> 0;
      const len = w(12);
      if (this.partial.length < 16 + len) break;
      out.push({ type: w(0), reqId: w(4), txId: w(8), body: text(this.partial.slice(16, 16 + len)) });
      this.partial = this.partial.slice(16 + len);
    }
    return out;
  }

  /** A request and its replies. */
  ask(type: number, reqId: number, payload: string, txId = 0): Msg[] {
    this.send(type, reqId, payload, txId);
    return this.drain();
  }
}

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}

const home = `/local/domain/${DOMID}`;

test("READ of a relative path answers from /local/domain/<id>/, echoing req_id and tx_id", () => {
  const r = new Ring();
  r.store.write(`${home}/name`, "guest-seven");
  assert.deepEqual(r.ask(XS.READ, 42, "name\0", 5), [{ type: XS.READ, reqId: 42, txId: 5, body: "guest-seven" }]);
  assert.equal(r.notifications, 1);
  assert.equal(r.u32(OFF.reqCons), r.u32(OFF.reqProd), "the request was consumed");
});

test("WRITE then READ, by relative and absolute path", () => {
  const r = new Ring();
  assert.deepEqual(r.ask(XS.WRITE, 1, "data/key\0value bytes"), [{ type: XS.WRITE, reqId: 1, txId: 0, body: "OK\0" }]);
  assert.deepEqual(r.ask(XS.READ, 2, "data/key\0"), [{ type: XS.READ, reqId: 2, txId: 0, body: "value bytes" }]);
  assert.deepEqual(r.ask(XS.READ, 3, `${home}/data/key\0`), [{ type: XS.READ, reqId: 3, txId: 0, body: "value bytes" }]);
  assert.equal(text([...r.store.tree.read(0, `${home}/data/key`) as Uint8Array]), "value bytes");
  // a value may hold any byte, NUL included
  assert.deepEqual(r.ask(XS.WRITE, 4, "data/bin\0a\0b\xff"), [{ type: XS.WRITE, reqId: 4, txId: 0, body: "OK\0" }]);
  assert.deepEqual(r.ask(XS.READ, 5, "data/bin\0"), [{ type: XS.READ, reqId: 5, txId: 0, body: "a\0b\xff" }]);
});

test("DIRECTORY lists the children, NUL-separated", () => {
  const r = new Ring();
  r.store.write(`${home}/device/vbd`, "");
  r.store.write(`${home}/device/vif/0`, "x");
  assert.deepEqual(r.ask(XS.WRITE, 1, "device/console\0y"), [{ type: XS.WRITE, reqId: 1, txId: 0, body: "OK\0" }]);
  assert.deepEqual(r.ask(XS.DIRECTORY, 2, "device\0"), [{ type: XS.DIRECTORY, reqId: 2, txId: 0, body: "vbd\0vif\0console\0" }]);
  assert.deepEqual(r.ask(XS.DIRECTORY, 3, "device/vif/0\0"), [{ type: XS.DIRECTORY, reqId: 3, txId: 0, body: "" }]);
});

test("errors: ENOENT for a missing node, EACCES for another domain's, EINVAL for a bad path", () => {
  const r = new Ring();
  r.store.write("/local/domain/0/name", "Domain-0");
  r.store.write("/local/domain/8/name", "other");
  const err = (reqId: number, e: string): Msg[] => [{ type: XS.ERROR, reqId, txId: 0, body: `${e}\0` }];
  assert.deepEqual(r.ask(XS.READ, 1, "missing\0"), err(1, "ENOENT"));
  assert.deepEqual(r.ask(XS.DIRECTORY, 2, "missing/too\0"), err(2, "ENOENT"));
  assert.deepEqual(r.ask(XS.READ, 3, "/local/domain/0/name\0"), err(3, "EACCES"));
  assert.deepEqual(r.ask(XS.DIRECTORY, 4, "/local/domain/8\0"), err(4, "EACCES"));
  assert.deepEqual(r.ask(XS.WRITE, 5, "/local/domain/8/name\0mine"), err(5, "EACCES"));
  assert.equal(text([...r.store.tree.read(0, "/local/domain/8/name") as Uint8Array]), "other", "the refused write changed nothing");
  assert.deepEqual(r.ask(XS.READ, 6, "a//b\0"), err(6, "EINVAL"));
  assert.deepEqual(r.ask(XS.WRITE, 7, "no-nul-separator"), err(7, "EINVAL"));
});

test("WATCH: OK, then the initial WATCH_EVENT; a later write under the path fires again", () => {
  const r = new Ring();
  const w = `${home}/device`;
  assert.deepEqual(r.ask(XS.WATCH, 9, `${w}\0tok\0`), [
    { type: XS.WATCH, reqId: 9, txId: 0, body: "OK\0" },
    { type: XS.WATCH_EVENT, reqId: 0, txId: 0, body: `${w}\0tok\0` },
  ]);
  const n = r.notifications;
  r.store.write(`${home}/elsewhere`, "1");
  assert.deepEqual(r.drain(), []);
  assert.equal(r.notifications, n, "no event, no notification");
  r.store.write(`${w}/vif/0/state`, "4");
  assert.deepEqual(r.drain(), [{ type: XS.WATCH_EVENT, reqId: 0, txId: 0, body: `${w}/vif/0/state\0tok\0` }]);
  assert.equal(r.notifications, n + 1);
  // the guest's own write: its reply and the event (in either order: xenbus matches them by type and req_id)
  const got = r.ask(XS.WRITE, 10, `${w}/x\0v`);
  assert.equal(got.length, 2);
  assert.deepEqual(got.find((m) => m.type === XS.WRITE), { type: XS.WRITE, reqId: 10, txId: 0, body: "OK\0" });
  assert.deepEqual(got.find((m) => m.type === XS.WATCH_EVENT), { type: XS.WATCH_EVENT, reqId: 0, txId: 0, body: `${w}/x\0tok\0` });
  // UNWATCH: no more events
  assert.deepEqual(r.ask(XS.UNWATCH, 11, `${w}\0tok\0`), [{ type: XS.UNWATCH, reqId: 11, txId: 0, body: "OK\0" }]);
  r.store.write(`${w}/y`, "1");
  assert.deepEqual(r.drain(), []);
});

test("WATCH of a relative path reports events relative to /local/domain/<id>/, as xenstored does", () => {
  const r = new Ring();
  assert.deepEqual(r.ask(XS.WATCH, 1, "control/shutdown\0ctl\0"), [
    { type: XS.WATCH, reqId: 1, txId: 0, body: "OK\0" },
    { type: XS.WATCH_EVENT, reqId: 0, txId: 0, body: "control/shutdown\0ctl\0" },
  ]);
  r.store.write(`${home}/control/shutdown`, "poweroff");
  assert.deepEqual(r.drain(), [{ type: XS.WATCH_EVENT, reqId: 0, txId: 0, body: "control/shutdown\0ctl\0" }]);
});

test("a reply bigger than the ring's free space is delivered across two drains", () => {
  const r = new Ring(0xfffffe00); // free-running indices that wrap during the test
  const big = Array.from({ length: 1500 }, (_, i) => String.fromCharCode(0x41 + (i % 26))).join("");
  r.store.write(`${home}/big`, big);
  r.send(XS.READ, 77, "big\0");
  assert.equal(((r.u32(OFF.rspProd) - r.u32(OFF.rspCons)) >>> 0), SIZE, "the ring filled up");
  assert.equal(r.notifications, 1);
  assert.deepEqual(r.drain(), [], "only part of the message so far");
  r.notify(); // the guest consumed and notifies: the rest follows
  assert.equal(((r.u32(OFF.rspProd) - 0xfffffe00) >>> 0), 16 + 1500);
  assert.equal(r.notifications, 2);
  assert.deepEqual(r.drain(), [{ type: XS.READ, reqId: 77, txId: 0, body: big }]);
  // the connection is still healthy
  assert.deepEqual(r.ask(XS.READ, 78, "missing\0"), [{ type: XS.ERROR, reqId: 78, txId: 0, body: "ENOENT\0" }]);
  assert.equal(r.u32(OFF.error), XENSTORE_ERROR.NONE);
});

test("a reply waits while the guest has not consumed earlier output", () => {
  const r = new Ring();
  r.set32(OFF.rspProd, SIZE - 10); // 1014 bytes the guest has not read yet: 10 free
  r.store.write(`${home}/v`, "0123456789abcdef");
  r.send(XS.READ, 5, "v\0");
  assert.equal(r.u32(OFF.rspProd), SIZE, "10 bytes of the 32-byte reply written");
  r.set32(OFF.rspCons, SIZE - 10); // the guest skips the old bytes
  r.notify();
  assert.deepEqual(r.drain(), [{ type: XS.READ, reqId: 5, txId: 0, body: "0123456789abcdef" }]);
});

test("impossible request indices set the error field and the connection is no longer served", () => {
  const r = new Ring();
  r.put(XS.READ, 1, "name\0");
  r.set32(OFF.reqCons, (r.u32(OFF.reqProd) - SIZE - 1) >>> 0); // more than a ring's worth outstanding
  r.notify();
  assert.equal(r.u32(OFF.error), XENSTORE_ERROR.RINGIDX);
  assert.deepEqual(r.drain(), []);
  assert.equal(r.notifications, 0);
  // fixing the indices does not bring it back
  r.set32(OFF.reqCons, r.u32(OFF.reqProd));
  r.send(XS.READ, 2, "name\0");
  assert.deepEqual(r.drain(), []);
});

test("impossible response indices set the error field too", () => {
  const r = new Ring();
  r.set32(OFF.rspProd, SIZE + 1); // rsp_prod − rsp_cons > 1024
  r.send(XS.READ, 1, "name\0");
  assert.equal(r.u32(OFF.error), XENSTORE_ERROR.RINGIDX);
  assert.equal(r.u32(OFF.rspProd), SIZE + 1, "nothing written");
  assert.equal(r.notifications, 0);
});
