import { test } from "node:test";
import assert from "node:assert/strict";
import { PortBus } from "../memory/port-bus.js";
import { Ram } from "../memory/ram.js";
import { SimClock } from "../clock.js";
import { PciBus } from "./pci.js";
import { PciIoSpace } from "./pci-io-space.js";
import { I440fxHostBridge } from "./pci-host-bridge.js";
import { Piix3IsaBridge } from "./piix-isa-bridge.js";
import { PiixIde } from "./piix-ide.js";

/** PortBus.read masks 32-bit values to a signed int; compare unsigned. */
class UnsignedPortBus extends PortBus {
  override read(port: number, width: 1 | 2 | 4): number {
    return super.read(port, width) >>> 0;
  }
}

function setup() {
  const ports = new UnsignedPortBus();
  const pci = new PciBus(new PciIoSpace((b, n, d) => ports.register(b, n, d)));
  ports.register(0xcf8, 8, pci);
  const ide = new PiixIde(new SimClock(1e6), new Ram(4096), { raise() {}, lower() {} });
  pci.addDevice(0, 0, new I440fxHostBridge());
  pci.addDevice(1, 0, new Piix3IsaBridge());
  pci.addDevice(1, 1, ide);
  const addr = (dev: number, fn: number, reg: number) => (0x80000000 | (dev << 11) | (fn << 8) | reg) >>> 0;
  const read = (dev: number, fn: number, reg: number, width: 1 | 2 | 4 = 4) => {
    ports.write(0xcf8, 4, addr(dev, fn, reg & 0xfc));
    return ports.read(0xcfc + (reg & 3), width) >>> 0;
  };
  const write = (dev: number, fn: number, reg: number, value: number, width: 1 | 2 | 4 = 4) => {
    ports.write(0xcf8, 4, addr(dev, fn, reg & 0xfc));
    ports.write(0xcfc + (reg & 3), width, value);
  };
  return { ports, pci, ide, read, write };
}

test("mechanism #1: ids of the i440FX, PIIX3 ISA bridge and PIIX3 IDE", () => {
  const { read } = setup();
  assert.equal(read(0, 0, 0), 0x12378086);
  assert.equal(read(0, 0, 8) >>> 8, 0x060000);
  assert.equal(read(1, 0, 0), 0x70008086);
  assert.equal(read(1, 0, 0x0c) >>> 16 & 0xff, 0x80, "multi-function header");
  assert.equal(read(1, 1, 0), 0x70108086);
  assert.equal(read(1, 1, 8) >>> 8, 0x010180);
  assert.equal(read(1, 1, 0x2c), 0x11001af4);
});

test("absent functions, other buses and a clear enable bit read all ones", () => {
  const { ports, read } = setup();
  assert.equal(read(2, 0, 0), 0xffffffff);
  ports.write(0xcf8, 4, 0x80010000);
  assert.equal(ports.read(0xcfc, 4), 0xffffffff);
  ports.write(0xcf8, 4, 0x00000000);
  assert.equal(ports.read(0xcfc, 4), 0xffffffff);
});

test("CONFIG_ADDRESS is 32-bit only, with reserved bits and bits 1:0 reading zero", () => {
  const { ports } = setup();
  ports.write(0xcf8, 4, 0xff00ff07);
  assert.equal(ports.read(0xcf8, 4), 0x8000ff04);
  assert.equal(ports.read(0xcf8, 1), 0xff, "byte access is not CONFIG_ADDRESS");
  ports.write(0xcf8, 2, 0);
  assert.equal(ports.read(0xcf8, 4), 0x8000ff04);
});

test("CONFIG_DATA byte and word lanes", () => {
  const { read } = setup();
  assert.equal(read(1, 1, 2, 2), 0x7010);
  assert.equal(read(1, 1, 3, 1), 0x70);
  assert.equal(read(1, 1, 0x0b, 1), 0x01);
});

test("ids and class are read only; interrupt line and latency timer are writable", () => {
  const { read, write } = setup();
  write(1, 1, 0, 0xdeadbeef);
  assert.equal(read(1, 1, 0), 0x70108086);
  write(1, 1, 0x3c, 0x0e, 1);
  write(1, 1, 0x0d, 0x40, 1);
  assert.equal(read(1, 1, 0x3c, 1), 0x0e);
  assert.equal(read(1, 1, 0x0d, 1), 0x40);
});

test("status error bits are write-one-to-clear", () => {
  const { ide, read, write } = setup();
  ide.config[0x07] |= 0x20; // received master abort
  write(1, 1, 0x06, 0x0000, 2);
  assert.equal(read(1, 1, 0x06, 2), 0x2280);
  write(1, 1, 0x06, 0x2000, 2);
  assert.equal(read(1, 1, 0x06, 2), 0x0280);
});

test("BAR4 sizing: all ones read back as the 16-byte I/O size mask", () => {
  const { read, write } = setup();
  assert.equal(read(1, 1, 0x20), 0x00000001);
  write(1, 1, 0x20, 0xffffffff);
  assert.equal(read(1, 1, 0x20), 0xfffffff1);
  write(1, 1, 0x10, 0xffffffff);
  assert.equal(read(1, 1, 0x10), 0, "BAR0 not implemented");
});

test("BAR4 decodes at its address while I/O space is enabled, and moves", () => {
  const { ports, ide, read, write } = setup();
  write(1, 1, 0x20, 0xc001);
  assert.equal(ports.read(0xc004, 4), 0xffffffff, "I/O disabled: not decoded");
  write(1, 1, 0x04, 0x0001, 2);
  ports.write(0xc004, 4, 0x00012344);
  assert.equal(ide.busMasters[0].prdTable, 0x00012344);
  assert.equal(ports.read(0xc00c, 4), 0, "secondary channel PRD pointer at +12");
  write(1, 1, 0x20, 0xd041);
  assert.equal(read(1, 1, 0x20), 0xd041);
  assert.equal(ide.busMasterBase, 0xd040);
  assert.equal(ports.read(0xc004, 4), 0xffffffff, "old window gone");
  assert.equal(ports.read(0xd044, 4), 0x00012344);
  write(1, 1, 0x20, 0xc001); // back again: the earlier forwarders are reused
  assert.equal(ports.read(0xc004, 4), 0x00012344);
  write(1, 1, 0x04, 0x0000, 2);
  assert.equal(ports.read(0xc004, 4), 0xffffffff);
});

test("i440FX PAM registers are storage; PCICMD is hardwired", () => {
  const { read, write } = setup();
  write(0, 0, 0x59, 0x30, 1);
  assert.equal(read(0, 0, 0x59, 1), 0x30);
  write(0, 0, 0x04, 0, 2);
  assert.equal(read(0, 0, 0x04, 2), 0x0006);
  assert.equal(read(1, 0, 0x60), 0x80808080, "PIIX3 PIRQ routing disabled at reset");
});
