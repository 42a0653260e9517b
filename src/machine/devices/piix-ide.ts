/**
 * The IDE function of the Intel 82371SB PIIX3 ("82371FB (PIIX) and 82371SB
 * (PIIX3) PCI ISA IDE Xcelerator", order 290550, section "IDE Interface";
 * bus master per "Programming Interface for Bus Master IDE Controller"
 * rev 1.0), at PCI 00:01.1 as in QEMU's `pc` machine.
 *
 *   config: vendor 0x8086, device 0x7010, class 0x010180 (mass storage, IDE,
 *           prog-if 0x80: bus master capable, both channels in fixed legacy
 *           mode), PCICMD 0x0000, PCISTS 0x0280, IDETIM 0x40–0x43 and SIDETIM
 *           0x44 writable (timing only, no effect)
 *   BAR4:   16 bytes of I/O: bus master channel 0 at +0, channel 1 at +8;
 *           placed in the port space by the PciBus while PCICMD bit 0 is set
 *   legacy: primary channel at 0x1F0–0x1F7 and 0x3F6 on IRQ 14 (the board
 *           registers `primary.commandBlock` and `primary.controlBlock`)
 *
 * Legacy ports decode whatever IDETIM.IDE and PCICMD.IOSE say, as in QEMU,
 * so a guest that never touches PCI still finds its disk. Only the primary
 * channel carries drives; the secondary bus master registers exist (as on
 * the chip) but have no channel behind them. DMA needs PCICMD bit 2 (bus
 * master enable), as on the chip and in current QEMU.
 */
import type { DeviceClock, DmaMemory, IoWidth, IrqLine, PortDevice } from "./device.js";
import type { BlockDevice } from "./block-device.js";
import { BusMasterChannel } from "./ide-bus-master.js";
import { IdeChannel } from "./ide-channel.js";
import { COMMAND_MASTER, PciFunction, QEMU_SUBSYSTEM, QEMU_SUBSYSTEM_VENDOR } from "./pci-function.js";

export const PRIMARY_COMMAND_BASE = 0x1f0;
export const PRIMARY_CONTROL_PORT = 0x3f6;
export const PRIMARY_IRQ = 14;

export class PiixIde extends PciFunction {
  readonly primary: IdeChannel;
  readonly busMasters: readonly [BusMasterChannel, BusMasterChannel];
  /** BAR4's 16-byte window (both bus master channels). */
  readonly busMasterWindow: PortDevice;

  /**
   * @param irq14 the primary channel's interrupt line
   * @param master, slave the primary channel's disks (device 0 and 1)
   */
  constructor(clock: DeviceClock, memory: DmaMemory, irq14: IrqLine, master?: BlockDevice, slave?: BlockDevice) {
    super({
      vendor: 0x8086,
      device: 0x7010,
      classCode: 0x010180,
      status: 0x0280,
      subsystemVendor: QEMU_SUBSYSTEM_VENDOR,
      subsystem: QEMU_SUBSYSTEM,
    });
    for (let r = 0x40; r <= 0x44; r++) this.writable[r] = 0xff;
    const mastering = (): boolean => (this.command & COMMAND_MASTER) !== 0;
    this.busMasters = [new BusMasterChannel(memory, mastering), new BusMasterChannel(memory, mastering)];
    this.primary = new IdeChannel(clock, irq14, master, slave);
    this.primary.attachBusMaster(this.busMasters[0]);
    const [bm0, bm1] = this.busMasters;
    this.busMasterWindow = {
      portRead: (offset: number, width: IoWidth) =>
        offset < 8 ? bm0.portRead(offset, width) : bm1.portRead(offset - 8, width),
      portWrite: (offset: number, width: IoWidth, value: number) =>
        offset < 8 ? bm0.portWrite(offset, width, value) : bm1.portWrite(offset - 8, width, value),
    };
    this.defineIoBar(4, 16, this.busMasterWindow);
  }

  /** Enabling bus mastering lets an already started engine run. */
  protected override configWritten(offset: number, width: number): void {
    if (offset <= 0x04 && offset + width > 0x04 && this.busMasters[0].started) for (const d of this.primary.drives) d?.dmaStart();
  }

  /** The base port BAR4 decodes now, or undefined. */
  get busMasterBase(): number | undefined {
    return this.ioBarBase(this.ioBars[0]!);
  }
}
