/**
 * One PCI function's 256-byte configuration space (PCI Local Bus
 * Specification 2.1, chapter 6, type 00h header).
 *
 *   0x00 vendor id        0x02 device id          (read only)
 *   0x04 command          0x06 status             (status bits 15:11, 8: write 1 to clear)
 *   0x08 revision | class code (prog-if, subclass, base class)   (read only)
 *   0x0C cache line size | latency timer | header type | BIST
 *   0x10..0x24 BAR0..BAR5
 *   0x2C subsystem vendor id | subsystem id (read only)
 *   0x3C interrupt line (read/write) | interrupt pin (read only)
 *
 * Writes go through two per-bit masks: `writable` (bits software may set)
 * and `clearable` (write-1-to-clear bits). Everything else is read only, so
 * ids and class codes cannot change. A BAR of size 2^k has its low k bits
 * read only, so writing all ones and reading back gives the size mask
 * (spec 6.2.5.1): ~(size-1) | type bits. A subclass declares its BARs and
 * its own writable registers, and may react to writes in `configWritten`.
 *
 * I/O BARs name the PortDevice that decodes them; the PciBus places it in
 * the port space while the BAR holds an address and command bit 0 (I/O
 * space enable) is set.
 */
import type { PortDevice } from "./device.js";

export interface PciIds {
  vendor: number;
  device: number;
  /** 24-bit class code: base class << 16 | subclass << 8 | prog-if. */
  classCode: number;
  revision?: number;
  /** Bit 7: multi-function device. */
  headerType?: number;
  subsystemVendor?: number;
  subsystem?: number;
  /** 0 = none, 1..4 = INTA#..INTD#. */
  interruptPin?: number;
  command?: number;
  status?: number;
}

export const PCI_COMMAND = 0x04;
export const PCI_STATUS = 0x06;
export const PCI_BAR0 = 0x10;
export const COMMAND_IO = 0x01;
export const COMMAND_MEMORY = 0x02;
export const COMMAND_MASTER = 0x04;

/** QEMU gives every PCI function of its PC machines this subsystem id. */
export const QEMU_SUBSYSTEM_VENDOR = 0x1af4;
export const QEMU_SUBSYSTEM = 0x1100;

export interface IoBar {
  readonly index: number;
  readonly size: number;
  readonly device: PortDevice;
}

export class PciFunction {
  readonly config = new Uint8Array(256);
  protected readonly writable = new Uint8Array(256);
  protected readonly clearable = new Uint8Array(256);
  private readonly bars: IoBar[] = [];

  constructor(ids: PciIds) {
    this.set16(0x00, ids.vendor);
    this.set16(0x02, ids.device);
    this.set16(PCI_COMMAND, ids.command ?? 0);
    this.set16(PCI_STATUS, ids.status ?? 0);
    this.config[0x08] = ids.revision ?? 0;
    this.config[0x09] = ids.classCode & 0xff;
    this.config[0x0a] = (ids.classCode >>> 8) & 0xff;
    this.config[0x0b] = (ids.classCode >>> 16) & 0xff;
    this.config[0x0e] = ids.headerType ?? 0;
    this.set16(0x2c, ids.subsystemVendor ?? 0);
    this.set16(0x2e, ids.subsystem ?? 0);
    this.config[0x3d] = ids.interruptPin ?? 0;
    // Command: I/O, memory, bus master, parity error response, SERR#, INTx disable.
    this.writable[0x04] = 0x47;
    this.writable[0x05] = 0x05;
    this.clearable[0x06] = 0x00;
    this.clearable[0x07] = 0xf9; // parity, SERR, master/target abort, data parity
    this.writable[0x0c] = 0xff; // cache line size
    this.writable[0x0d] = 0xff; // latency timer
    this.writable[0x3c] = 0xff; // interrupt line
  }

  get command(): number {
    return this.config[PCI_COMMAND]! | (this.config[PCI_COMMAND + 1]! << 8);
  }

  /** Declared I/O BARs, for the bus to place. */
  get ioBars(): readonly IoBar[] {
    return this.bars;
  }

  /** The port base BAR `index` decodes now, or undefined (disabled, unassigned, or past 0xFFFF). */
  ioBarBase(bar: IoBar): number | undefined {
    if (!(this.command & COMMAND_IO)) return undefined;
    const base = (this.read32(PCI_BAR0 + 4 * bar.index) & ~(bar.size - 1) & ~3) >>> 0;
    if (base === 0 || base + bar.size > 0x10000) return undefined;
    return base;
  }

  /** Configuration read of 1, 2 or 4 bytes at `offset` (little endian). */
  readConfig(offset: number, width: number): number {
    let value = 0;
    for (let i = 0; i < width; i++) value |= this.config[(offset + i) & 0xff]! << (8 * i);
    return value >>> 0;
  }

  /** Configuration write through the writable and write-1-to-clear masks. */
  writeConfig(offset: number, width: number, value: number): void {
    for (let i = 0; i < width; i++) {
      const at = (offset + i) & 0xff;
      const byte = (value >>> (8 * i)) & 0xff;
      const w = this.writable[at]!;
      this.config[at] = ((this.config[at]! & ~w) | (byte & w)) & ~(byte & this.clearable[at]!);
    }
    this.configWritten(offset, width);
  }

  /** Hook for subclasses: called after every configuration write. */
  protected configWritten(_offset: number, _width: number): void {}

  /** Declare BAR `index` as an I/O window of `size` bytes (a power of two, at least 4). */
  protected defineIoBar(index: number, size: number, device: PortDevice): void {
    const at = PCI_BAR0 + 4 * index;
    this.set32(at, 0x00000001); // I/O space indicator
    this.setWritable32(at, ~(size - 1) & ~3);
    this.bars.push({ index, size, device });
  }

  protected setWritable32(offset: number, mask: number): void {
    for (let i = 0; i < 4; i++) this.writable[offset + i] = (mask >>> (8 * i)) & 0xff;
  }

  protected set16(offset: number, value: number): void {
    this.config[offset] = value & 0xff;
    this.config[offset + 1] = (value >>> 8) & 0xff;
  }

  protected set32(offset: number, value: number): void {
    for (let i = 0; i < 4; i++) this.config[offset + i] = (value >>> (8 * i)) & 0xff;
  }

  protected read32(offset: number): number {
    return this.readConfig(offset, 4);
  }
}
