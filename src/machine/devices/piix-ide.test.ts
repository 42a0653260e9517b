import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../clock.js";
import { Ram } from "../memory/ram.js";
import { PiixIde } from "./piix-ide.js";
import { MemoryDisk } from "./block-device.js";
import { COMMAND_OVERHEAD_NS, SECTOR_NS } from "./ata-drive.js";

const HZ = 1_000_000_000; // 1 cycle per ns

function advanceTo(clock: SimClock, target: number): void {
  while (clock.nextEventAt <= target) {
    clock.now = clock.nextEventAt;
    clock.runDue();
  }
  clock.now = target;
}

/** Byte i of sector lba on the test disk. */
const pattern = (lba: number, i: number) => (lba * 7 + i * 13 + (i >> 8)) & 0xff;

function setup(sectors = 4096) {
  const clock = new SimClock(HZ);
  const ram = new Ram(1 << 20);
  const disk = MemoryDisk.blank(sectors);
  for (let lba = 0; lba < sectors; lba++) for (let i = 0; i < 512; i++) disk.image[lba * 512 + i] = pattern(lba, i);
  const irq = { high: false, raises: [] as number[], raise() { this.high = true; this.raises.push(clock.now); }, lower() { this.high = false; } };
  const ide = new PiixIde(clock, ram, irq, disk);
  const cmd = ide.primary.commandBlock;
  const outb = (reg: number, v: number) => cmd.portWrite(reg, 1, v);
  const inb = (reg: number) => cmd.portRead(reg, 1);
  const bm = ide.busMasters[0];
  const run = (ns: number) => advanceTo(clock, clock.now + ns);
  /** Issue an LBA28 command to device 0. */
  const lba28 = (command: number, lba: number, count: number) => {
    outb(6, 0xe0 | ((lba >>> 24) & 0x0f));
    outb(2, count);
    outb(3, lba & 0xff);
    outb(4, (lba >>> 8) & 0xff);
    outb(5, (lba >>> 16) & 0xff);
    outb(7, command);
  };
  return { clock, ram, disk, irq, ide, cmd, outb, inb, bm, run, lba28 };
}

test("IDENTIFY DEVICE: BSY for the command overhead, then DRQ, IRQ 14 and the word layout", () => {
  const { irq, cmd, outb, inb, run } = setup(4096);
  outb(6, 0xa0);
  outb(7, 0xec);
  assert.equal(inb(7) & 0x80, 0x80, "BSY at once");
  run(COMMAND_OVERHEAD_NS - 1);
  assert.equal(irq.high, false, "not before the overhead");
  run(1);
  assert.equal(irq.high, true);
  assert.equal(inb(7), 0x58, "DRDY DSC DRQ; reading status clears INTRQ");
  assert.equal(irq.high, false);
  const words: number[] = [];
  for (let i = 0; i < 256; i++) words.push(cmd.portRead(0, 2));
  assert.equal(inb(7), 0x50, "DRQ off after 256 words");
  const model = words.slice(27, 47).map((w) => String.fromCharCode(w >> 8, w & 0xff)).join("").trimEnd();
  assert.equal(model, "TSXEN HARDDISK");
  assert.equal(words[60]! | (words[61]! << 16), 4096);
  assert.equal(words[100]! + words[101]! * 65536, 4096);
  assert.equal(words[83]! & 0x0400, 0x0400, "48-bit address supported");
  assert.equal(words[49]! & 0x0300, 0x0300, "LBA and DMA");
  let sum = 0;
  for (const w of words) sum += (w & 0xff) + (w >> 8);
  assert.equal(words[255]! & 0xff, 0xa5);
  assert.equal(sum & 0xff, 0, "integrity word checksum");
});

test("READ SECTORS by PIO: one IRQ per sector, data through 16- and 32-bit reads", () => {
  const { irq, cmd, inb, run, lba28 } = setup();
  lba28(0x20, 100, 2);
  run(COMMAND_OVERHEAD_NS + SECTOR_NS);
  assert.equal(irq.raises.length, 1);
  assert.equal(inb(7), 0x58);
  const got: number[] = [];
  for (let i = 0; i < 128; i++) {
    const d = cmd.portRead(0, 4);
    got.push(d & 0xff, (d >>> 8) & 0xff, (d >>> 16) & 0xff, d >>> 24);
  }
  assert.equal(inb(0x07) & 0x88, 0x80, "BSY while the next sector is read");
  run(SECTOR_NS);
  assert.equal(irq.raises.length, 2);
  assert.equal(inb(7), 0x58);
  for (let i = 0; i < 256; i++) {
    const w = cmd.portRead(0, 2);
    got.push(w & 0xff, w >> 8);
  }
  assert.equal(inb(7), 0x50);
  for (let i = 0; i < 1024; i++) assert.equal(got[i], pattern(100 + (i >> 9), i & 511));
});

test("WRITE SECTORS by PIO: DRQ without IRQ for the first block, IRQ after each written block", () => {
  const { irq, disk, cmd, inb, run, lba28 } = setup();
  lba28(0x30, 7, 2);
  run(COMMAND_OVERHEAD_NS);
  assert.equal(inb(7), 0x58);
  assert.equal(irq.raises.length, 0);
  for (let i = 0; i < 256; i++) cmd.portWrite(0, 2, 0x1100 + i);
  assert.equal(inb(7) & 0x80, 0x80);
  run(SECTOR_NS);
  assert.equal(irq.raises.length, 1);
  assert.equal(inb(7), 0x58);
  for (let i = 0; i < 128; i++) cmd.portWrite(0, 4, 0xa5a50000 | i);
  run(SECTOR_NS);
  assert.equal(irq.raises.length, 2);
  assert.equal(inb(7), 0x50);
  assert.equal(disk.image[7 * 512 + 2], 0x01);
  assert.equal(disk.image[7 * 512 + 3], 0x11);
  assert.equal(disk.image[8 * 512 + 4], 0x01);
  assert.equal(disk.image[8 * 512 + 7], 0xa5);
  assert.equal(disk.image[9 * 512], pattern(9, 0), "sector after the range untouched");
});

test("out-of-range LBA ends with ERR and ABRT and raises the IRQ", () => {
  const { irq, inb, run, lba28 } = setup(1000);
  lba28(0x20, 999, 2);
  run(COMMAND_OVERHEAD_NS);
  assert.equal(irq.high, true);
  assert.equal(inb(1), 0x04);
  assert.equal(inb(7), 0x51);
});

test("READ SECTORS EXT uses the high-order bytes of the LBA48 FIFOs", () => {
  const { cmd, outb, inb, run } = setup(0x20000);
  outb(6, 0x40);
  outb(2, 0); // count high
  outb(2, 1); // count low
  outb(3, 0x01); // LBA 31:24
  outb(3, 0x23); // LBA 7:0
  outb(4, 0);
  outb(4, 0x01); // LBA 15:8
  outb(5, 0);
  outb(5, 0x00);
  assert.equal(inb(3), 0x23);
  outb(7, 0x24);
  run(COMMAND_OVERHEAD_NS);
  assert.equal(inb(7), 0x51, "LBA 0x01000123 is past the end");
  outb(3, 0x00);
  outb(3, 0x23);
  outb(7, 0x24);
  run(COMMAND_OVERHEAD_NS + SECTOR_NS);
  assert.equal(inb(7), 0x58);
  const w = cmd.portRead(0, 2);
  assert.equal(w & 0xff, pattern(0x123, 0));
});

test("HOB in device control reads the previous register contents", () => {
  const { ide, outb, inb } = setup();
  outb(2, 0x12);
  outb(2, 0x34);
  ide.primary.controlBlock.portWrite(0, 1, 0x80);
  assert.equal(inb(2), 0x12);
  ide.primary.controlBlock.portWrite(0, 1, 0x00);
  assert.equal(inb(2), 0x34);
});

/** Write a PRD table at `at`: entries of [address, byteCount(0 = 64 KiB)], EOT on the last. */
function prd(ram: Ram, at: number, entries: [number, number][]): void {
  entries.forEach(([addr, count], i) => {
    ram.write32(at + 8 * i, addr);
    ram.write16(at + 8 * i + 4, count);
    ram.write16(at + 8 * i + 6, i === entries.length - 1 ? 0x8000 : 0);
  });
}

test("READ DMA through a two-entry PRD table: data in RAM, IRQ 14, bus master status", () => {
  const { ram, irq, ide, inb, bm, run, lba28 } = setup();
  ide.writeConfig(0x04, 2, 0x0005); // I/O space and bus master
  prd(ram, 0x1000, [[0x20000, 512], [0x30000, 1024]]);
  bm.portWrite(4, 4, 0x1000);
  lba28(0xc8, 50, 3);
  run(COMMAND_OVERHEAD_NS);
  assert.equal(inb(7) & 0x08, 0x08, "DRQ: waiting for the bus master");
  bm.portWrite(0, 1, 0x09); // start, write to memory
  assert.equal(bm.portRead(2, 1) & 0x01, 0x01, "active");
  run(3 * SECTOR_NS - 1);
  assert.equal(irq.high, false);
  run(1);
  assert.equal(irq.high, true);
  assert.equal(bm.portRead(2, 1) & 0x07, 0x04, "interrupt, not active: PRDs exactly covered the transfer");
  assert.equal(inb(7), 0x50);
  for (let i = 0; i < 512; i++) assert.equal(ram.read8(0x20000 + i), pattern(50, i));
  for (let i = 0; i < 1024; i++) assert.equal(ram.read8(0x30000 + i), pattern(51 + (i >> 9), i & 511));
  bm.portWrite(2, 1, 0x04);
  assert.equal(bm.portRead(2, 1) & 0x04, 0, "write 1 clears interrupt");
});

test("WRITE DMA EXT moves memory to the disk; PRD larger than the transfer leaves active set", () => {
  const { ram, disk, irq, ide, outb, bm, run } = setup();
  ide.writeConfig(0x04, 2, 0x0005);
  for (let i = 0; i < 1024; i++) ram.write8(0x40000 + i, (i ^ 0x5a) & 0xff);
  prd(ram, 0x2000, [[0x40000, 2048]]);
  bm.portWrite(4, 4, 0x2000);
  bm.portWrite(0, 1, 0x01); // start before the command
  outb(6, 0x40);
  outb(2, 0);
  outb(2, 2);
  outb(3, 0);
  outb(3, 10);
  outb(4, 0);
  outb(4, 0);
  outb(5, 0);
  outb(5, 0);
  outb(7, 0x35);
  run(COMMAND_OVERHEAD_NS + 2 * SECTOR_NS);
  assert.equal(irq.high, true);
  assert.equal(bm.portRead(2, 1) & 0x07, 0x05, "interrupt and still active");
  for (let i = 0; i < 1024; i++) assert.equal(disk.image[10 * 512 + i], (i ^ 0x5a) & 0xff);
});

test("a PRD byte count of 0 means 64 KiB", () => {
  const { ram, irq, ide, bm, run, lba28 } = setup();
  ide.writeConfig(0x04, 2, 0x0005);
  prd(ram, 0x1000, [[0x50000, 0]]);
  bm.portWrite(4, 4, 0x1000);
  bm.portWrite(0, 1, 0x09);
  lba28(0xc8, 0, 128);
  run(COMMAND_OVERHEAD_NS + 128 * SECTOR_NS);
  assert.equal(irq.high, true);
  assert.equal(bm.portRead(2, 1) & 0x07, 0x04);
  assert.equal(ram.read8(0x50000 + 65535), pattern(127, 511));
});

test("PRDs smaller than the transfer: engine stops, no interrupt, drive keeps waiting", () => {
  const { ram, irq, ide, inb, bm, run, lba28 } = setup();
  ide.writeConfig(0x04, 2, 0x0005);
  prd(ram, 0x1000, [[0x20000, 512]]);
  bm.portWrite(4, 4, 0x1000);
  bm.portWrite(0, 1, 0x09);
  lba28(0xc8, 0, 2);
  run(COMMAND_OVERHEAD_NS + 2 * SECTOR_NS);
  assert.equal(irq.high, false);
  assert.equal(bm.portRead(2, 1) & 0x07, 0x00);
  assert.equal(inb(7) & 0x08, 0x08, "still DRQ");
});

test("DMA waits for PCI bus master enable", () => {
  const { ram, irq, ide, bm, run, lba28 } = setup();
  ide.writeConfig(0x04, 2, 0x0001);
  prd(ram, 0x1000, [[0x20000, 512]]);
  bm.portWrite(4, 4, 0x1000);
  bm.portWrite(0, 1, 0x09);
  lba28(0xc8, 0, 1);
  run(1_000_000);
  assert.equal(irq.high, false);
  ide.writeConfig(0x04, 2, 0x0005);
  run(SECTOR_NS);
  assert.equal(irq.high, true);
  assert.equal(ram.read8(0x20000 + 1), pattern(0, 1));
});

test("nIEN keeps IRQ 14 low while status still completes; a PRD outside RAM sets error", () => {
  const { ram, irq, ide, inb, bm, run, lba28 } = setup();
  ide.primary.controlBlock.portWrite(0, 1, 0x02);
  ide.writeConfig(0x04, 2, 0x0005);
  prd(ram, 0x1000, [[0x200000, 512]]);
  bm.portWrite(4, 4, 0x1000);
  bm.portWrite(0, 1, 0x09);
  lba28(0xc8, 0, 1);
  run(COMMAND_OVERHEAD_NS + SECTOR_NS);
  assert.equal(irq.raises.length, 0);
  assert.equal(bm.portRead(2, 1) & 0x07, 0x02, "error; no interrupt bit since the line stayed low");
  assert.equal(inb(7), 0x51);
  assert.equal(inb(1), 0x04);
  ide.primary.controlBlock.portWrite(0, 1, 0x00);
  assert.equal(irq.high, false, "status read already cleared INTRQ");
});

test("CHS addressing through the default geometry (16 heads, 63 sectors)", () => {
  const { cmd, outb, inb, run } = setup(4096);
  outb(6, 0xa0 | 2); // head 2
  outb(2, 1);
  outb(3, 5); // sector 5
  outb(4, 1); // cylinder 1
  outb(5, 0);
  outb(7, 0x20);
  run(COMMAND_OVERHEAD_NS + SECTOR_NS);
  assert.equal(inb(7), 0x58);
  const lba = (1 * 16 + 2) * 63 + 4;
  assert.equal(cmd.portRead(0, 2), pattern(lba, 0) | (pattern(lba, 1) << 8));
});

test("software reset leaves the ATA signature; unknown commands abort; absent slave reads 0", () => {
  const { ide, irq, outb, inb, run } = setup();
  const control = ide.primary.controlBlock;
  outb(2, 0x77);
  control.portWrite(0, 1, 0x04);
  assert.equal(control.portRead(0, 1) & 0x80, 0x80);
  control.portWrite(0, 1, 0x00);
  run(COMMAND_OVERHEAD_NS);
  assert.deepEqual([1, 2, 3, 4, 5, 7].map(inb), [0x01, 0x01, 0x01, 0x00, 0x00, 0x50]);
  assert.equal(irq.raises.length, 0, "no interrupt after a soft reset");
  outb(7, 0x00); // NOP: aborted on a disk
  run(COMMAND_OVERHEAD_NS);
  assert.equal(inb(7), 0x51);
  assert.equal(inb(1), 0x04);
  outb(6, 0xb0);
  assert.equal(inb(7), 0x00);
  outb(7, 0xec);
  run(COMMAND_OVERHEAD_NS);
  assert.equal(inb(7), 0x00, "commands to an absent device are ignored");
});

test("SET MULTIPLE MODE then READ MULTIPLE: one IRQ per block", () => {
  const { irq, cmd, outb, inb, run, lba28 } = setup();
  outb(2, 4);
  outb(7, 0xc6);
  run(COMMAND_OVERHEAD_NS);
  assert.equal(inb(7), 0x50);
  lba28(0xc4, 20, 6);
  run(COMMAND_OVERHEAD_NS + 4 * SECTOR_NS);
  assert.equal(irq.raises.length, 2);
  assert.equal(inb(7), 0x58, "status read clears INTRQ so the next block gives a new edge");
  for (let i = 0; i < 4 * 256; i++) cmd.portRead(0, 2);
  run(2 * SECTOR_NS);
  assert.equal(irq.raises.length, 3);
  assert.equal(cmd.portRead(0, 2) & 0xff, pattern(24, 0));
});
