/**
 * event_channel_op (docs/xen-pv32-abi.md §4.14, §3.3) through a fake guest
 * address space: each sub-op reads its i386 structure, writes results at the
 * documented offsets (written out here from §4.14), copies back only on
 * success, and turns unreadable/unwritable arguments into −EFAULT.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERRNO } from "../../abi/errno.js";
import { EVTCHNSTAT, VIRQ } from "../../abi/event-channels.js";
import { DOMID, EVTCHNOP } from "../../abi/hypercalls.js";
import type { DomId, Paddr, Vaddr } from "../../lib/brand.js";
import { Ram } from "../../machine/memory/ram.js";
import { EvtchnDomain, type EvtchnHooks } from "./event-channel.js";
import { eventChannelOp, type GuestCopy } from "./event-channel-op.js";

const BASE = 0x40000;

/** A guest page at BASE; `readOnly` makes copy_to_guest fault. */
class FakeGuest implements GuestCopy {
  readonly page = new Uint8Array(4096);
  readOnly = false;
  private readonly view = new DataView(this.page.buffer);
  copyFromGuest(va: Vaddr, len: number): Uint8Array | undefined {
    const off = va - BASE;
    return off < 0 || off + len > this.page.length ? undefined : this.page.slice(off, off + len);
  }
  copyToGuest(va: Vaddr, bytes: Uint8Array): boolean {
    const off = va - BASE;
    if (this.readOnly || off < 0 || off + bytes.length > this.page.length) return false;
    this.page.set(bytes, off);
    return true;
  }
  u16(off: number, v?: number): number {
    if (v !== undefined) this.view.setUint16(off, v, true);
    return this.view.getUint16(off, true);
  }
  u32(off: number, v?: number): number {
    if (v !== undefined) this.view.setUint32(off, v >>> 0, true);
    return this.view.getUint32(off, true);
  }
}

function setup(): { d1: EvtchnDomain; d2: EvtchnDomain; g: FakeGuest; ram: Ram; op: (cmd: number) => number } {
  const ram = new Ram(0x10000);
  const domains = new Map<number, EvtchnDomain>();
  const hooks: EvtchnHooks = { lookup: (id) => domains.get(id), kick: () => {} };
  const d1 = new EvtchnDomain({ domid: 1 as DomId, vcpus: 2, mem: ram, sharedInfo: 0x1000 as Paddr }, hooks);
  const d2 = new EvtchnDomain({ domid: 2 as DomId, vcpus: 1, mem: ram, sharedInfo: 0x2000 as Paddr }, hooks);
  domains.set(1, d1).set(2, d2);
  const g = new FakeGuest();
  return { d1, d2, g, ram, op: (cmd) => eventChannelOp(d1, cmd, BASE as Vaddr, g) };
}

test("alloc_unbound writes the port at +4; bind_interdomain the local port at +8", () => {
  const { d2, g, op } = setup();
  g.u16(0, DOMID.SELF);
  g.u16(2, 2);
  g.u32(4, 0xdeadbeef);
  assert.equal(op(EVTCHNOP.alloc_unbound), 0);
  assert.equal(g.u32(4), 1);
  assert.deepEqual([g.u16(0), g.u16(2)], [DOMID.SELF, 2], "inputs copied back unchanged");

  const rport = d2.allocUnbound(DOMID.SELF, 1);
  g.page.fill(0);
  g.u16(0, 2);
  g.u32(4, rport);
  assert.equal(op(EVTCHNOP.bind_interdomain), 0);
  assert.equal(g.u32(8), 2);
});

test("bind_virq and bind_ipi write the port; send, unmask, bind_vcpu, close act", () => {
  const { d1, g, op, ram } = setup();
  g.u32(0, VIRQ.TIMER);
  g.u32(4, 1);
  assert.equal(op(EVTCHNOP.bind_virq), 0);
  assert.equal(g.u32(8), 1);
  g.page.fill(0);
  g.u32(0, 1);
  assert.equal(op(EVTCHNOP.bind_ipi), 0);
  assert.equal(g.u32(4), 2);
  g.u32(0, 2);
  assert.equal(op(EVTCHNOP.send), 0);
  assert.equal((ram.read32(0x1000 + 2048) >>> 2) & 1, 1);
  assert.equal(ram.read32(0x1000 + 64 + 4), 1, "vCPU 1's selector");
  g.u32(0, 2);
  g.u32(4, 0);
  assert.equal(op(EVTCHNOP.bind_vcpu), -ERRNO.EINVAL, "IPI ports stay on their vCPU");
  assert.equal(op(EVTCHNOP.unmask), 0);
  assert.equal(op(EVTCHNOP.close), 0);
  assert.equal(d1.stateOf(2), "free");
  assert.equal(op(EVTCHNOP.close), -ERRNO.EINVAL);
});

test("status fills status @8, vcpu @12 and the union @16/@20", () => {
  const { d1, d2, g, op } = setup();
  const rport = d2.allocUnbound(DOMID.SELF, 1);
  const lport = d1.bindInterdomain(2, rport);
  const virq = d1.bindVirq(VIRQ.DEBUG, 1);
  const fill = (dom: number, port: number): void => {
    g.page.fill(0xaa, 0, 24);
    g.u16(0, dom);
    g.u32(4, port);
  };
  fill(DOMID.SELF, lport);
  assert.equal(op(EVTCHNOP.status), 0);
  assert.deepEqual([g.u32(8), g.u32(12), g.u16(16), g.u32(20)], [EVTCHNSTAT.interdomain, 0, 2, rport]);
  fill(1, virq);
  assert.equal(op(EVTCHNOP.status), 0);
  assert.deepEqual([g.u32(8), g.u32(12), g.u32(16)], [EVTCHNSTAT.virq, 1, VIRQ.DEBUG]);
  d1.close(lport);
  fill(DOMID.SELF, 3);
  assert.equal(op(EVTCHNOP.status), 0);
  assert.deepEqual([g.u32(8), g.u32(12), g.u32(16)], [EVTCHNSTAT.closed, 0, 0xaaaaaaaa], "union untouched");
  fill(1, virq);
  const before = g.page.slice();
  assert.equal(eventChannelOp(d2, EVTCHNOP.status, BASE as Vaddr, g), -ERRNO.EPERM, "domU d2 asking about d1");
  assert.deepEqual(g.page, before);
});

test("failures copy nothing back; unreadable or unwritable arguments give -EFAULT", () => {
  const { d1, g, op } = setup();
  g.u16(0, DOMID.SELF);
  g.u32(4, 64); // invalid port
  g.page.fill(0x55, 8, 24);
  const before = g.page.slice();
  assert.equal(op(EVTCHNOP.status), -ERRNO.EINVAL);
  assert.deepEqual(g.page, before);

  const far = (cmd: number, va: number): number => eventChannelOp(d1, cmd, va as Vaddr, g);
  for (const cmd of Object.values(EVTCHNOP)) {
    assert.equal(far(cmd, BASE - 4), -ERRNO.EFAULT, `cmd ${cmd} straddling an unmapped page`);
    assert.equal(far(cmd, 0), -ERRNO.EFAULT, `cmd ${cmd} at an unmapped address`);
  }
  // Success whose copy-back faults: the port is allocated all the same (Xen: "cleaning up would be a mess").
  g.page.fill(0);
  g.u32(0, 0);
  g.readOnly = true;
  assert.equal(op(EVTCHNOP.bind_ipi), -ERRNO.EFAULT);
  assert.equal(d1.stateOf(1), "ipi");
  assert.equal(g.u32(4), 0);
});

test("pirq, FIFO and unknown sub-ops get Xen's answers", () => {
  const { g, op } = setup();
  assert.equal(op(EVTCHNOP.bind_pirq), -ERRNO.EPERM);
  assert.equal(op(14), -ERRNO.ENOSYS);
  assert.equal(op(0xffffffff), -ERRNO.ENOSYS);
  assert.equal(op(EVTCHNOP.expand_array), -ERRNO.EOPNOTSUPP, "XSA-188 accepts -EOPNOTSUPP");
  g.u32(0, 1);
  assert.equal(op(EVTCHNOP.set_priority), -ERRNO.ENOSYS, "valid port, 2-level ABI");
  g.u32(0, 500);
  assert.equal(op(EVTCHNOP.set_priority), -ERRNO.EINVAL);
  // init_control: control_gfn u64 @0, offset @8, vcpu @12.
  const init = (gfnLo: number, gfnHi: number, offset: number, vcpu: number): number => {
    g.page.fill(0, 0, 24);
    g.u32(0, gfnLo);
    g.u32(4, gfnHi);
    g.u32(8, offset);
    g.u32(12, vcpu);
    return op(EVTCHNOP.init_control);
  };
  assert.equal(init(0xfffffffe, 0xffffffff, 0, 0), -ERRNO.EINVAL, "XSA-188: control_gfn 2^64-2");
  assert.equal(init(5, 0, 0, 2), -ERRNO.ENOENT);
  assert.equal(init(5, 0, 4096 - 72 + 8, 0), -ERRNO.EINVAL);
  assert.equal(init(5, 0, 4, 0), -ERRNO.EINVAL);
  assert.equal(g.page[16], 0, "link_bits not copied back on failure");
});

test("init_control on real guest RAM is refused with -EOPNOTSUPP (no FIFO ABI)", () => {
  const { d1, g } = setup();
  g.u32(0, 7);
  assert.equal(eventChannelOp(d1, EVTCHNOP.init_control, BASE as Vaddr, g, (gfn) => gfn === 7n), -ERRNO.EOPNOTSUPP);
});

test("reset closes the caller's ports", () => {
  const { d1, g, op } = setup();
  d1.bindIpi(0);
  g.u16(0, DOMID.SELF);
  assert.equal(op(EVTCHNOP.reset), 0);
  assert.equal(d1.stateOf(1), "free");
});
