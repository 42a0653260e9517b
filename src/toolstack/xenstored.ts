/**
 * xenstored, domain 0's store daemon (docs/xen-pv32-abi.md §11.3; Xen's
 * tools/xenstored): one connection per domain over the shared ring page at
 * its store_mfn. On each notification it consumes whole requests from
 * req[req_cons … req_prod), answers each in rsp (16-byte header echoing
 * req_id and tx_id, then the payload) and notifies the domain. Replies that
 * do not fit wait until the guest consumes and notifies again.
 *
 * Served: READ, WRITE, MKDIR, RM, DIRECTORY, GET_DOMAIN_PATH, WATCH /
 * UNWATCH (with the initial WATCH_EVENT and an event on every change at or
 * under the watched path), TRANSACTION_START / END (operations apply at
 * once: no conflicts can arise with one CPU serving requests in order),
 * GET_PERMS / SET_PERMS (accepted, owner-only model), RESET_WATCHES.
 * Anything else: ERROR "EINVAL". Relative paths are under
 * /local/domain/<domid>. A ring whose indices are impossible gets
 * XENSTORE_ERROR_RINGIDX and is no longer served.
 */
import { XENSTORE, XENSTORE_ERROR, XS, xenstoreDomainInterface } from "../abi/rings.js";
import { offsetOf } from "../abi/layout.js";
import type { MachineMemory } from "../hv/core/machine-memory.js";
import { XenstoreTree, type XsError } from "./xenstore-tree.js";

const HEADER = 16;
const RING = XENSTORE.RING_SIZE;
/** Byte offsets in the store ring page (xenstore_domain_interface). */
export const STORE_RING = {
  req: offsetOf(xenstoreDomainInterface, "req"),
  rsp: offsetOf(xenstoreDomainInterface, "rsp"),
  reqCons: offsetOf(xenstoreDomainInterface, "req_cons"),
  reqProd: offsetOf(xenstoreDomainInterface, "req_prod"),
  rspCons: offsetOf(xenstoreDomainInterface, "rsp_cons"),
  rspProd: offsetOf(xenstoreDomainInterface, "rsp_prod"),
  error: offsetOf(xenstoreDomainInterface, "error"),
};
/** Xenstore strings are bytes: latin1 both ways keeps every byte. */
const enc = { encode: (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff) };
const dec = { decode: (b: Uint8Array): string => String.fromCharCode(...b) };
const cstr = (s: string): Uint8Array => enc.encode(s + "\0");

/** `relative`: the guest named the path relative to its home; events then name paths the same way (get_watch_path). */
interface Watch { path: string; token: string; relative: boolean }
/** A reply to one request, and for a new watch its first event. */
interface Reply { type: number; body: Uint8Array; event?: Uint8Array }

class Connection {
  private input = new Uint8Array(0);
  private output: Uint8Array[] = [];
  readonly watches: Watch[] = [];
  private dead = false;
  private nextTx = 1;

  constructor(
    private readonly store: Xenstored,
    readonly domid: number,
    private readonly mem: MachineMemory,
    private readonly ring: number,
    private readonly notify: () => void,
  ) {}

  /** The domain notified its store port. */
  onEvent(): void {
    if (this.dead) return;
    const m = this.mem, r = this.ring;
    const prod = m.read32(r + STORE_RING.reqProd) >>> 0, cons = m.read32(r + STORE_RING.reqCons) >>> 0;
    const n = (prod - cons) >>> 0;
    if (n > RING) return this.fail();
    if (n > 0) {
      const bytes = new Uint8Array(this.input.length + n);
      bytes.set(this.input);
      for (let i = 0; i < n; i++) bytes[this.input.length + i] = m.read8(r + STORE_RING.req + ((cons + i) & (RING - 1)));
      this.input = bytes;
      m.write32(r + STORE_RING.reqCons, prod);
    }
    while (this.input.length >= HEADER) {
      const dv = new DataView(this.input.buffer, this.input.byteOffset);
      const len = dv.getUint32(12, true);
      if (len > XENSTORE.PAYLOAD_MAX) return this.fail();
      if (this.input.length < HEADER + len) break;
      const type = dv.getUint32(0, true), reqId = dv.getUint32(4, true), txId = dv.getUint32(8, true);
      const payload = this.input.slice(HEADER, HEADER + len);
      this.input = this.input.slice(HEADER + len);
      const reply = this.store.handle(this, type, payload);
      this.queue(reply.type, reqId, txId, reply.body);
      if (reply.event !== undefined) this.queue(XS.WATCH_EVENT, 0, 0, reply.event);
    }
    this.flush();
  }

  newTransaction(): number {
    return this.nextTx++;
  }

  queue(type: number, reqId: number, txId: number, body: Uint8Array): void {
    const msg = new Uint8Array(HEADER + body.length), dv = new DataView(msg.buffer);
    dv.setUint32(0, type, true); dv.setUint32(4, reqId, true); dv.setUint32(8, txId, true); dv.setUint32(12, body.length, true);
    msg.set(body, HEADER);
    this.output.push(msg);
  }

  /** Write as much pending output as the response ring has room for; notify if anything was written. */
  flush(): void {
    const m = this.mem, r = this.ring;
    let prod = m.read32(r + STORE_RING.rspProd) >>> 0;
    const cons = m.read32(r + STORE_RING.rspCons) >>> 0;
    if (((prod - cons) >>> 0) > RING) return this.fail();
    let wrote = false;
    while (this.output.length > 0) {
      const msg = this.output[0]!;
      const room = RING - ((prod - cons) >>> 0);
      if (room === 0) break;
      const k = Math.min(room, msg.length);
      for (let i = 0; i < k; i++) m.write8(r + STORE_RING.rsp + ((prod + i) & (RING - 1)), msg[i]!);
      prod = (prod + k) >>> 0;
      wrote = true;
      if (k === msg.length) this.output.shift();
      else this.output[0] = msg.slice(k);
    }
    if (wrote) { m.write32(r + STORE_RING.rspProd, prod); this.notify(); }
  }

  private fail(): void {
    this.dead = true;
    this.mem.write32(this.ring + STORE_RING.error, XENSTORE_ERROR.RINGIDX);
  }
}

export class Xenstored {
  readonly tree = new XenstoreTree();
  private readonly connections = new Map<number, Connection>();

  /** Serve domain `domid` on the ring page at machine address `ring`; returns the store port's event handler. */
  connect(domid: number, mem: MachineMemory, ring: number, notify: () => void): () => void {
    const c = new Connection(this, domid, mem, ring, notify);
    this.connections.set(domid, c);
    return () => c.onEvent();
  }

  /** The toolstack (domain 0) writes a node. */
  write(path: string, value: string): void {
    this.tree.write(0, path, enc.encode(value));
    this.changed(path);
  }

  handle(c: Connection, type: number, payload: Uint8Array): Reply {
    const args = dec.decode(payload).split("\0");
    const path = (p: string | undefined): string => {
      const s = p ?? "";
      return s.startsWith("/") ? s : `/local/domain/${c.domid}/${s}`;
    };
    const ok = (): Reply => ({ type, body: cstr("OK") });
    const err = (e: XsError): Reply => ({ type: XS.ERROR, body: cstr(e) });
    const reply = (body: Uint8Array): Reply => ({ type, body });
    switch (type) {
      case XS.READ: {
        const v = this.tree.read(c.domid, path(args[0]));
        return typeof v === "string" ? err(v) : reply(v);
      }
      case XS.WRITE: {
        const at = payload.indexOf(0);
        if (at < 0) return err("EINVAL");
        const p = path(dec.decode(payload.subarray(0, at)));
        const e = this.tree.write(c.domid, p, payload.subarray(at + 1));
        if (e !== undefined) return err(e);
        this.changed(p);
        return ok();
      }
      case XS.MKDIR: case XS.RM: {
        const p = path(args[0]);
        const e = type === XS.MKDIR ? this.tree.mkdir(c.domid, p) : this.tree.rm(c.domid, p);
        if (e !== undefined) return err(e);
        this.changed(p);
        return ok();
      }
      case XS.DIRECTORY: {
        const v = this.tree.directory(c.domid, path(args[0]));
        return typeof v === "string" ? err(v) : reply(enc.encode(v.map((n) => n + "\0").join("")));
      }
      case XS.GET_DOMAIN_PATH: {
        const id = Number(args[0]);
        return Number.isInteger(id) && id >= 0 && id < 0x7ff0 ? reply(cstr(`/local/domain/${id}`)) : err("EINVAL");
      }
      case XS.WATCH: case XS.UNWATCH: {
        if (args.length < 2) return err("EINVAL");
        const w = { path: path(args[0]), token: args[1]!, relative: !(args[0] ?? "").startsWith("/") };
        if (type === XS.UNWATCH) {
          const i = c.watches.findIndex((x) => x.path === w.path && x.token === w.token);
          if (i < 0) return err("ENOENT");
          c.watches.splice(i, 1);
          return ok();
        }
        if (c.watches.some((x) => x.path === w.path && x.token === w.token)) return err("EEXIST");
        c.watches.push(w);
        // the reply, then the initial event (xenstored fires every new watch once)
        return { type, body: cstr("OK"), event: enc.encode(`${args[0]}\0${w.token}\0`) };
      }
      case XS.RESET_WATCHES:
        c.watches.length = 0;
        return ok();
      case XS.TRANSACTION_START:
        return reply(cstr(String(c.newTransaction())));
      case XS.TRANSACTION_END: case XS.SET_PERMS:
        return ok();
      case XS.GET_PERMS: {
        const owner = this.tree.owner(path(args[0]));
        return owner === undefined ? err("ENOENT") : reply(cstr(`n${owner}`));
      }
      case XS.CONTROL: case XS.INTRODUCE: case XS.RELEASE: case XS.IS_DOMAIN_INTRODUCED: case XS.RESUME:
      case XS.SET_TARGET: case XS.SET_QUOTA:
        // privileged requests (xenstored's XS_FLAG_PRIV): only domain 0 may send them
        return err("EACCES");
      default:
        return err("EINVAL");
    }
  }

  /** Fire the watches at or above `path` (the node and its parents changed). */
  private changed(path: string): void {
    for (const c of this.connections.values()) {
      let fired = false;
      for (const w of c.watches) {
        if (path === w.path || path.startsWith(w.path + "/") || w.path === "/") {
          if (!this.tree.mayAccess(c.domid, path)) continue;
          const home = `/local/domain/${c.domid}/`;
          const named = w.relative && path.startsWith(home) ? path.slice(home.length) : path;
          c.queue(XS.WATCH_EVENT, 0, 0, enc.encode(`${named}\0${w.token}\0`));
          fired = true;
        }
      }
      if (fired) c.flush();
    }
  }
}
