/**
 * PCI configuration mechanism #1 (PCI Local Bus Specification 2.1, 3.7.4.1)
 * on the PC's host bus: CONFIG_ADDRESS at 0xCF8, CONFIG_DATA at 0xCFC–0xCFF.
 * Register this device at 0xCF8 with 8 ports.
 *
 *   CONFIG_ADDRESS (32-bit accesses only)
 *    31  30..24    23..16  15..11  10..8     7..2      1..0
 *   [E | reserved | bus   | device | function | register | 00 ]
 *
 * Only a doubleword access at 0xCF8 reaches CONFIG_ADDRESS; byte and word
 * accesses to 0xCF8–0xCFB are ordinary I/O that this bridge does not claim
 * (reads give all ones). CONFIG_DATA may be accessed with any width at any
 * offset: the byte lanes select bytes of the addressed doubleword. With E
 * clear, or on a bus other than 0, or where no function answers, reads give
 * all ones (master abort) and writes are dropped. Reserved address bits and
 * bits 1:0 read as zero.
 *
 * The bus also places I/O BARs: after every configuration write it asks
 * the function for each BAR's decoded base and moves the BAR's window in
 * the port space (PciIoSpace) when it changed. Memory BARs are not placed
 * yet (no MMIO device needs one).
 */
import type { IoWidth, PortDevice } from "./device.js";
import type { IoBar, PciFunction } from "./pci-function.js";
import type { PciIoSpace } from "./pci-io-space.js";

const WIDTH_MASK = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

interface Placement {
  base: number;
  handle: object;
}

export class PciBus implements PortDevice {
  private address = 0;
  private readonly functions = new Map<number, PciFunction>();
  private readonly placed = new Map<IoBar, Placement>();

  /** @param ioSpace where I/O BARs are placed; without it BARs are only registers */
  constructor(private readonly ioSpace?: PciIoSpace) {}

  /** Attach `device` at bus 0, device `slot` (0–31), function `fn` (0–7). */
  addDevice(slot: number, fn: number, device: PciFunction): void {
    const key = (slot << 3) | fn;
    if (slot < 0 || slot > 31 || fn < 0 || fn > 7) throw new RangeError(`bad PCI address ${slot}.${fn}`);
    if (this.functions.has(key)) throw new Error(`PCI 00:${slot}.${fn} taken`);
    this.functions.set(key, device);
    this.placeBars(device);
  }

  /** Configuration read as the CPU would make it through the ports, for tests and firmware. */
  configRead(slot: number, fn: number, offset: number, width: number): number {
    const f = this.functions.get((slot << 3) | fn);
    return f === undefined ? WIDTH_MASK[width as IoWidth] : f.readConfig(offset, width);
  }

  portRead(offset: number, width: IoWidth): number {
    if (offset < 4) return offset === 0 && width === 4 ? this.address : WIDTH_MASK[width];
    const f = this.target();
    if (f === undefined) return WIDTH_MASK[width];
    return f.readConfig((this.address & 0xfc) + (offset - 4), width);
  }

  portWrite(offset: number, width: IoWidth, value: number): void {
    if (offset < 4) {
      if (offset === 0 && width === 4) this.address = (value & 0x80fffffc) >>> 0;
      return;
    }
    const f = this.target();
    if (f === undefined) return;
    f.writeConfig((this.address & 0xfc) + (offset - 4), width, value);
    this.placeBars(f);
  }

  /** The function CONFIG_ADDRESS selects, if enabled and present on bus 0. */
  private target(): PciFunction | undefined {
    const a = this.address;
    if (!(a & 0x80000000) || ((a >>> 16) & 0xff) !== 0) return undefined;
    return this.functions.get((a >>> 8) & 0xff);
  }

  private placeBars(f: PciFunction): void {
    if (this.ioSpace === undefined) return;
    for (const bar of f.ioBars) {
      const base = f.ioBarBase(bar);
      const old = this.placed.get(bar);
      if (old?.base === base) continue;
      if (old !== undefined) {
        this.ioSpace.unmap(old.handle);
        this.placed.delete(bar);
      }
      if (base !== undefined) this.placed.set(bar, { base, handle: this.ioSpace.map(base, bar.size, bar.device) });
    }
  }
}
