/**
 * Event channels (docs/xen-pv32-abi.md §7, §4.14) on real machine memory:
 * the exact bytes §7.2 says a raise sets (offsets written out from §2.2/§2.3,
 * not taken from the code under test), masking and unmask, interdomain
 * links and their teardown, VIRQ scopes, and every error path returning
 * Xen's errno with memory and channel states unchanged.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRNO } from "../../abi/errno.js";
import { EVTCHNSTAT, VIRQ } from "../../abi/event-channels.js";
import { DOMID } from "../../abi/hypercalls.js";
import { InvariantError } from "../../lib/assert.js";
import type { DomId, Paddr } from "../../lib/brand.js";
import { Ram } from "../../machine/memory/ram.js";
import { EvtchnDomain, sendGlobalVirq, type EvtchnHooks } from "./event-channel.js";

// §2.2 / §2.3 offsets.
const PENDING = 2048;
const MASK = 2176;
const VCPU_INFO = 64;
const UPCALL_PENDING = 0;
const PENDING_SEL = 4;

interface World {
  ram: Ram;
  hooks: EvtchnHooks;
  kicks: string[];
  polls: string[];
  dom(domid: number): EvtchnDomain;
}

/** dom0 (privileged) at 0x1000, d1 (2 vCPUs) at 0x2000, d2 at 0x3000. */
function world(options: { d1MaxPort?: number } = {}): World {
  const ram = new Ram(0x10000);
  const domains = new Map<number, EvtchnDomain>();
  const kicks: string[] = [];
  const polls: string[] = [];
  const hooks: EvtchnHooks = {
    lookup: (id) => domains.get(id),
    kick: (id, vcpu) => void kicks.push(`d${id}v${vcpu}`),
    checkPollers: (id, port) => void polls.push(`d${id}:${port}`),
  };
  const make = (domid: number, vcpus: number, at: number, extra: object = {}): void => {
    domains.set(domid, new EvtchnDomain({ domid: domid as DomId, vcpus, mem: ram, sharedInfo: at as Paddr, ...extra }, hooks));
  };
  make(0, 1, 0x1000, { privileged: true });
  make(1, 2, 0x2000, options.d1MaxPort === undefined ? {} : { maxEvtchnPort: options.d1MaxPort });
  make(2, 1, 0x3000);
  return { ram, hooks, kicks, polls, dom: (id) => domains.get(id)! };
}

/** Addresses whose byte differs between two snapshots, as "0xADDR:old->new". */
function changes(before: Uint8Array, after: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < before.length; i++) {
    if (before[i] !== after[i]) out.push(`0x${i.toString(16)}:${before[i]}->${after[i]}`);
  }
  return out;
}

const bit = (ram: Ram, at: number, n: number): number => (ram.read32(at) >>> n) & 1;

test("raising an IPI port sets pending, selector and upcall_pending, and kicks the vCPU (§7.2)", () => {
  const w = world();
  const d1 = w.dom(1);
  // Take ports 1..33 so port 33 (word 1, bit 1) is an IPI for vCPU 1.
  for (let i = 1; i <= 32; i++) assert.equal(d1.bindIpi(0), i);
  assert.equal(d1.bindIpi(1), 33);
  const before = w.ram.u8.slice();
  assert.equal(d1.send(33), 0);
  assert.deepEqual(changes(before, w.ram.u8), [
    `0x${(0x2000 + VCPU_INFO + UPCALL_PENDING).toString(16)}:0->1`, // vcpu_info[1].evtchn_upcall_pending
    `0x${(0x2000 + VCPU_INFO + PENDING_SEL).toString(16)}:0->2`, // vcpu_info[1].evtchn_pending_sel bit 1
    `0x${(0x2000 + PENDING + 4).toString(16)}:0->2`, // evtchn_pending[1] bit 1
  ]);
  assert.deepEqual(w.kicks, ["d1v1"]);
  assert.deepEqual(w.polls, ["d1:33"]);
  assert.ok(d1.isPending(33));
  assert.ok(d1.eventsNeedDelivery(1), "upcall_pending set and upcall_mask clear");
});

test("a second raise of a pending port changes nothing and notifies nobody", () => {
  const w = world();
  const d1 = w.dom(1);
  const port = d1.bindIpi(0);
  d1.send(port);
  const before = w.ram.u8.slice();
  w.kicks.length = 0;
  w.polls.length = 0;
  assert.equal(d1.send(port), 0);
  assert.deepEqual(changes(before, w.ram.u8), []);
  assert.deepEqual([w.kicks, w.polls], [[], []]);
});

test("a pending selector bit suppresses the upcall for another port of the same word", () => {
  const w = world();
  const d1 = w.dom(1);
  const a = d1.bindIpi(0);
  const b = d1.bindIpi(0);
  d1.send(a);
  w.kicks.length = 0;
  d1.send(b);
  assert.equal(bit(w.ram, 0x2000 + PENDING, b), 1);
  assert.deepEqual(w.kicks, [], "selector bit 0 was already set");
});

test("a masked port only gets its pending bit; unmask re-raises it (§7.2, EVTCHNOP_unmask)", () => {
  const w = world();
  const d1 = w.dom(1);
  const port = d1.bindIpi(0);
  w.ram.write32(0x2000 + MASK, 1 << port); // the guest masks the port
  const before = w.ram.u8.slice();
  d1.send(port);
  assert.deepEqual(changes(before, w.ram.u8), [`0x${(0x2000 + PENDING).toString(16)}:0->${1 << port}`]);
  assert.deepEqual(w.kicks, []);
  assert.deepEqual(w.polls, [`d1:${port}`], "pollers are woken even for a masked port");

  const masked = w.ram.u8.slice();
  assert.equal(d1.unmask(port), 0);
  assert.deepEqual(changes(masked, w.ram.u8), [
    "0x2000:0->1", // upcall_pending
    "0x2004:0->1", // pending_sel bit 0
    `0x${(0x2000 + MASK).toString(16)}:${1 << port}->0`,
  ]);
  assert.deepEqual(w.kicks, ["d1v0"]);
  assert.ok(d1.eventsNeedDelivery(0));
  w.ram.write8(0x2001, 1); // upcall_mask: the virtual IF clear
  assert.ok(!d1.eventsNeedDelivery(0));
});

test("unmask of a port that is not pending only clears the mask; of a free port, nothing", () => {
  const w = world();
  const d1 = w.dom(1);
  const port = d1.bindIpi(0);
  w.ram.write32(0x2000 + MASK, (1 << port) | (1 << 9));
  const before = w.ram.u8.slice();
  assert.equal(d1.unmask(port), 0);
  assert.deepEqual(changes(before, w.ram.u8), [`0x${(0x2000 + MASK).toString(16)}:${1 << port}->0`]);
  const after = w.ram.u8.slice();
  assert.equal(d1.unmask(9), 0, "port 9 is free but valid: Xen returns 0 and touches nothing");
  assert.deepEqual(changes(after, w.ram.u8), []);
  assert.deepEqual(w.kicks, []);
});

test("interdomain: bind links both ends, raises the new local port; send reaches the peer", () => {
  const w = world();
  const [d1, d2] = [w.dom(1), w.dom(2)];
  const rport = d2.allocUnbound(DOMID.SELF, 1);
  assert.equal(rport, 1);
  assert.deepEqual(d2.status(DOMID.SELF, rport), { status: EVTCHNSTAT.unbound, vcpu: 0, dom: 1 });
  assert.equal(d1.bindIpi(0), 1); // the local end will be port 2
  const lport = d1.bindInterdomain(2, rport);
  assert.equal(lport, 2);
  assert.equal(bit(w.ram, 0x2000 + PENDING, lport), 1, "notifications lost while unbound: local port raised");
  assert.deepEqual(w.kicks, ["d1v0"]);
  assert.deepEqual(d1.status(DOMID.SELF, lport), { status: EVTCHNSTAT.interdomain, vcpu: 0, dom: 2, port: rport });
  assert.deepEqual(d2.status(2, rport), { status: EVTCHNSTAT.interdomain, vcpu: 0, dom: 1, port: lport });

  const before = w.ram.u8.slice();
  assert.equal(d1.send(lport), 0);
  assert.deepEqual(changes(before, w.ram.u8), ["0x3000:0->1", "0x3004:0->1", `0x${(0x3000 + PENDING).toString(16)}:0->${1 << rport}`]);
  assert.deepEqual(w.kicks, ["d1v0", "d2v0"]);
  // And back.
  assert.equal(d2.send(rport), 0);
  assert.equal(bit(w.ram, 0x2000 + PENDING, lport), 1);
});

test("bind_vcpu moves an interdomain port's notifications to another vCPU", () => {
  const w = world();
  const [d1, d2] = [w.dom(1), w.dom(2)];
  const lport = d1.allocUnbound(DOMID.SELF, 2);
  assert.equal(d1.bindVcpu(lport, 1), 0);
  const rport = d2.bindInterdomain(1, lport);
  d2.send(rport);
  assert.equal(bit(w.ram, 0x2000 + VCPU_INFO + PENDING_SEL, 0), 1, "vCPU 1's selector");
  assert.equal(bit(w.ram, 0x2000 + PENDING_SEL, 0), 0, "not vCPU 0's");
  assert.deepEqual(w.kicks.at(-1), "d1v1");
  assert.deepEqual(d1.status(DOMID.SELF, lport), { status: EVTCHNSTAT.interdomain, vcpu: 1, dom: 2, port: rport });
});

test("close: the peer goes back to unbound (accepting the closer), pending cleared, port reusable", () => {
  const w = world();
  const [d1, d2] = [w.dom(1), w.dom(2)];
  const rport = d2.allocUnbound(DOMID.SELF, 1);
  const lport = d1.bindInterdomain(2, rport);
  assert.equal(bit(w.ram, 0x2000 + PENDING, lport), 1);
  assert.equal(d1.close(lport), 0);
  assert.equal(bit(w.ram, 0x2000 + PENDING, lport), 0, "closing clears the pending bit");
  assert.deepEqual(d1.status(DOMID.SELF, lport), { status: EVTCHNSTAT.closed, vcpu: 0 });
  assert.deepEqual(d2.status(DOMID.SELF, rport), { status: EVTCHNSTAT.unbound, vcpu: 0, dom: 1 });
  const before = w.ram.u8.slice();
  assert.equal(d2.send(rport), 0, "send on an unbound port is silently dropped");
  assert.deepEqual(changes(before, w.ram.u8), []);
  // The same domain can bind again, and gets the lowest free port.
  assert.equal(d1.bindInterdomain(2, rport), lport);
});

test("interdomain within one domain (DOMID_SELF) works as a loopback", () => {
  const w = world();
  const d1 = w.dom(1);
  const a = d1.allocUnbound(DOMID.SELF, DOMID.SELF);
  assert.deepEqual(d1.status(DOMID.SELF, a), { status: EVTCHNSTAT.unbound, vcpu: 0, dom: 1 });
  const b = d1.bindInterdomain(DOMID.SELF, a);
  assert.equal(b, a + 1);
  d1.close(b);
  d1.send(a);
  assert.equal(bit(w.ram, 0x2000 + PENDING, a), 0, "a is unbound again: the send was dropped");
});

test("VIRQs: per-vCPU ones bind once per vCPU and raise on that vCPU; unbound ones are dropped", () => {
  const w = world();
  const d1 = w.dom(1);
  const before = w.ram.u8.slice();
  d1.raiseVirq(VIRQ.TIMER, 1);
  assert.deepEqual(changes(before, w.ram.u8), [], "nothing bound: dropped");
  const p1 = d1.bindVirq(VIRQ.TIMER, 1);
  const p0 = d1.bindVirq(VIRQ.TIMER, 0);
  assert.deepEqual([p1, p0], [1, 2]);
  assert.equal(d1.virqPort(VIRQ.TIMER, 1), p1);
  assert.deepEqual(d1.status(DOMID.SELF, p1), { status: EVTCHNSTAT.virq, vcpu: 1, virq: VIRQ.TIMER });
  d1.raiseVirq(VIRQ.TIMER, 1);
  assert.equal(bit(w.ram, 0x2000 + PENDING, p1), 1);
  assert.equal(bit(w.ram, 0x2000 + PENDING, p0), 0);
  assert.equal(w.ram.read8(0x2000 + VCPU_INFO + UPCALL_PENDING), 1);
  assert.equal(w.ram.read8(0x2000 + UPCALL_PENDING), 0);
  assert.deepEqual(w.kicks, ["d1v1"]);
  assert.equal(d1.send(p1), -ERRNO.EINVAL, "a VIRQ port cannot be sent on");
  assert.equal(d1.close(p1), 0);
  assert.equal(d1.virqPort(VIRQ.TIMER, 1), 0);
  assert.equal(d1.bindVirq(VIRQ.TIMER, 1), p1, "rebinding after close");
});

test("global VIRQs: only the handler domain binds them, on vCPU 0; bind_vcpu may move them", () => {
  const w = world();
  const [d0, d1] = [w.dom(0), w.dom(1)];
  assert.equal(d1.bindVirq(VIRQ.CONSOLE, 0), -ERRNO.EBUSY);
  const port = d0.bindVirq(VIRQ.CONSOLE, 0);
  assert.equal(port, 1);
  sendGlobalVirq(w.hooks, VIRQ.CONSOLE);
  assert.equal(bit(w.ram, 0x1000 + PENDING, port), 1);
  assert.deepEqual(w.kicks, ["d0v0"]);
  assert.throws(() => sendGlobalVirq(w.hooks, VIRQ.TIMER), InvariantError);
});

test("alloc_unbound and status across domains need privilege; dom0 has it", () => {
  const w = world();
  const [d0, d1] = [w.dom(0), w.dom(1)];
  const port = d0.allocUnbound(1, 0); // libxl's console/xenstore ports: in d1, for dom0
  assert.equal(port, 1);
  assert.deepEqual(d1.status(DOMID.SELF, port), { status: EVTCHNSTAT.unbound, vcpu: 0, dom: 0 });
  assert.deepEqual(d0.status(1, port), { status: EVTCHNSTAT.unbound, vcpu: 0, dom: 0 });
  assert.equal(d0.bindInterdomain(1, port), 1);
  assert.deepEqual(d1.status(DOMID.SELF, port), { status: EVTCHNSTAT.interdomain, vcpu: 0, dom: 0, port: 1 });
});

test("a Xen-consumer end is notified by callback, never by bits, and guests cannot touch it", () => {
  const w = world();
  const [d0, d1] = [w.dom(0), w.dom(1)];
  const heard: number[] = [];
  const guestPort = d0.allocUnbound(1, 0);
  const xenPort = d0.bindInterdomain(1, guestPort, (p) => void heard.push(p));
  assert.equal(w.ram.read32(0x1000 + PENDING), 0, "binding did not set dom0's bit");
  const before = w.ram.u8.slice();
  assert.equal(d1.send(guestPort), 0);
  assert.deepEqual(heard, [xenPort]);
  assert.deepEqual(changes(before, w.ram.u8), []);
  assert.equal(d0.send(xenPort), -ERRNO.EINVAL);
  assert.equal(d0.close(xenPort), -ERRNO.EINVAL);
  assert.equal(d0.bindVcpu(xenPort, 0), -ERRNO.EINVAL);
  d0.notifyViaXenChannel(xenPort);
  assert.equal(bit(w.ram, 0x2000 + PENDING, guestPort), 1);
  assert.equal(d0.close(xenPort, false), 0, "the hypervisor may close it");
  assert.deepEqual(d1.status(DOMID.SELF, guestPort), { status: EVTCHNSTAT.unbound, vcpu: 0, dom: 0 });
});

test("ports come lowest first; past max_evtchn_port allocation fails with -ENOSPC", () => {
  const w = world({ d1MaxPort: 3 });
  const d1 = w.dom(1);
  assert.deepEqual([d1.bindIpi(0), d1.bindIpi(0), d1.bindIpi(0)], [1, 2, 3]);
  const before = w.ram.u8.slice();
  assert.equal(d1.bindIpi(0), -ERRNO.ENOSPC);
  assert.equal(d1.allocUnbound(DOMID.SELF, 0), -ERRNO.ENOSPC);
  assert.equal(d1.bindVirq(VIRQ.TIMER, 0), -ERRNO.ENOSPC);
  assert.equal(w.dom(2).allocUnbound(DOMID.SELF, 1), 1);
  assert.equal(d1.bindInterdomain(2, 1), -ERRNO.ENOSPC);
  assert.deepEqual(changes(before, w.ram.u8), []);
  assert.equal(d1.close(2), 0);
  assert.equal(d1.bindIpi(1), 2, "the freed port is reused first");
});

test("the default limit is 1023: ports 1..1023, then -ENOSPC", () => {
  const w = world();
  const d2 = w.dom(2);
  for (let i = 1; i <= 1023; i++) assert.equal(d2.bindIpi(0), i);
  assert.equal(d2.bindIpi(0), -ERRNO.ENOSPC);
  d2.send(1023);
  assert.equal(bit(w.ram, 0x3000 + PENDING + 31 * 4, 31), 1, "port 1023: word 31, bit 31");
  assert.equal(w.ram.read32(0x3000 + PENDING_SEL) >>> 0, 0x80000000);
});

test("port validity follows Xen's 64-port buckets", () => {
  const w = world();
  const d1 = w.dom(1);
  assert.equal(d1.unmask(63), 0, "first bucket: valid though free");
  assert.equal(d1.unmask(64), -ERRNO.EINVAL);
  assert.equal(d1.status(DOMID.SELF, 64), -ERRNO.EINVAL);
  for (let i = 1; i <= 64; i++) d1.bindIpi(0);
  assert.deepEqual(d1.status(DOMID.SELF, 127), { status: EVTCHNSTAT.closed, vcpu: 0 });
  assert.deepEqual(d1.status(DOMID.SELF, 0), { status: EVTCHNSTAT.closed, vcpu: 0 }, "reserved port 0");
});

/** Every error leaves memory, kicks and every port's status as they were. */
test("every error path returns Xen's errno and changes nothing", () => {
  const w = world();
  const [d1, d2] = [w.dom(1), w.dom(2)];
  const ipi = d1.bindIpi(1);
  const virq = d1.bindVirq(VIRQ.TIMER, 0);
  const forD0 = d1.allocUnbound(DOMID.SELF, 0);
  const d2port = d2.allocUnbound(DOMID.SELF, 0);
  const d2ipi = d2.bindIpi(0);
  w.ram.write32(0x2000 + MASK, 0xffff0000); // some guest-written mask bits
  const snapshot = (): string =>
    JSON.stringify([
      [...w.ram.u8],
      w.kicks,
      [d1, d2].map((d) => Array.from({ length: 64 }, (_, p) => d.status(DOMID.SELF, p))),
    ]);
  const before = snapshot();
  const cases: [string, () => unknown, keyof typeof ERRNO][] = [
    ["close reserved port 0", () => d1.close(0), "EINVAL"],
    ["close free port", () => d1.close(40), "EINVAL"],
    ["close beyond valid ports", () => d1.close(5000), "EINVAL"],
    ["close negative", () => d1.close(-1), "EINVAL"],
    ["send on free port", () => d1.send(40), "EINVAL"],
    ["send on VIRQ port", () => d1.send(virq), "EINVAL"],
    ["send on port 0", () => d1.send(0), "EINVAL"],
    ["send beyond valid ports", () => d1.send(0xffffffff), "EINVAL"],
    ["bind_interdomain: unknown domain", () => d1.bindInterdomain(77, 1), "ESRCH"],
    ["bind_interdomain: remote port invalid", () => d1.bindInterdomain(2, 4000), "EINVAL"],
    ["bind_interdomain: remote port unbound for dom0", () => d1.bindInterdomain(2, d2port), "EINVAL"],
    ["bind_interdomain: remote port is an IPI", () => d1.bindInterdomain(2, d2ipi), "EINVAL"],
    ["bind_interdomain: own port meant for dom0", () => d1.bindInterdomain(DOMID.SELF, forD0), "EINVAL"],
    ["alloc_unbound in another domain", () => d1.allocUnbound(2, 1), "EPERM"],
    ["alloc_unbound in unknown domain", () => d1.allocUnbound(99, 1), "ESRCH"],
    ["status of another domain", () => d1.status(2, 1), "EPERM"],
    ["status of unknown domain", () => d1.status(99, 1), "ESRCH"],
    ["status of invalid port", () => d1.status(DOMID.SELF, 64), "EINVAL"],
    ["bind_virq virq ≥ NR_VIRQS", () => d1.bindVirq(24, 0), "EINVAL"],
    ["bind_virq huge virq", () => d1.bindVirq(0xffffffff, 0), "EINVAL"],
    ["bind_virq global VIRQ on vCPU 1", () => d1.bindVirq(VIRQ.CONSOLE, 1), "EINVAL"],
    ["bind_virq per-domain VIRQ on vCPU 1", () => d1.bindVirq(VIRQ.ARGO, 1), "EINVAL"],
    ["bind_virq no such vCPU", () => d1.bindVirq(VIRQ.TIMER, 2), "ENOENT"],
    ["bind_virq global VIRQ in a domU", () => d1.bindVirq(VIRQ.DOM_EXC, 0), "EBUSY"],
    ["bind_virq already bound", () => d1.bindVirq(VIRQ.TIMER, 0), "EEXIST"],
    ["bind_ipi no such vCPU", () => d1.bindIpi(2), "ENOENT"],
    ["bind_vcpu no such vCPU", () => d1.bindVcpu(forD0, 7), "ENOENT"],
    ["bind_vcpu invalid port", () => d1.bindVcpu(900, 1), "EINVAL"],
    ["bind_vcpu IPI port", () => d1.bindVcpu(ipi, 0), "EINVAL"],
    ["bind_vcpu per-vCPU VIRQ", () => d1.bindVcpu(virq, 1), "EINVAL"],
    ["bind_vcpu free port", () => d1.bindVcpu(40, 1), "EINVAL"],
    ["unmask invalid port", () => d1.unmask(64), "EINVAL"],
    ["reset another domain", () => d1.reset(2), "EPERM"],
    ["reset unknown domain", () => d1.reset(99), "ESRCH"],
    ["dom0 resets a running domain (no controller pause)", () => w.dom(0).reset(1), "EINVAL"],
  ];
  for (const [what, run, errno] of cases) {
    assert.equal(run(), -ERRNO[errno], what);
    assert.equal(snapshot(), before, `${what} changed something`);
  }
});

test("reset closes every port of the caller", () => {
  const w = world();
  const [d1, d2] = [w.dom(1), w.dom(2)];
  const rport = d2.allocUnbound(DOMID.SELF, 1);
  d1.bindInterdomain(2, rport);
  d1.bindVirq(VIRQ.TIMER, 1);
  assert.equal(d1.reset(DOMID.SELF), 0);
  for (let p = 1; p < 4; p++) assert.equal(d1.stateOf(p), "free");
  assert.equal(w.ram.read32(0x2000 + PENDING), 0);
  assert.equal(d2.stateOf(rport), "unbound");
  assert.equal(d1.bindVirq(VIRQ.TIMER, 1), 1);
});
