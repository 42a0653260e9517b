/**
 * The x86 I/O port space: 65,536 byte ports dispatched to devices by window.
 *
 * A device registers a window [base, base+count); an access at port p reaches
 * it as offset p - base with its width. Unclaimed ports read as all ones and
 * ignore writes, as on a PC's ISA bus.
 */
import type { IoWidth, PortDevice } from "../devices/device.js";

const WIDTH_MASK = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

export class PortBus {
  private readonly owner: (PortDevice | undefined)[] = new Array(0x10000);
  private readonly base = new Uint16Array(0x10000);

  register(base: number, count: number, device: PortDevice): void {
    for (let p = base; p < base + count; p++) {
      if (this.owner[p] !== undefined) throw new Error(`port 0x${p.toString(16)} claimed twice`);
      this.owner[p] = device;
      this.base[p] = base;
    }
  }

  read(port: number, width: IoWidth): number {
    port &= 0xffff;
    const device = this.owner[port];
    if (device === undefined) return WIDTH_MASK[width] >>> 0;
    return (device.portRead(port - this.base[port]!, width) & WIDTH_MASK[width]) >>> 0;
  }

  write(port: number, width: IoWidth, value: number): void {
    port &= 0xffff;
    const device = this.owner[port];
    if (device !== undefined) device.portWrite(port - this.base[port]!, width, value & WIDTH_MASK[width]);
  }
}
