/**
 * An IDE (ATA) channel: the command block and control block registers two
 * devices share, device selection, device control (nIEN, SRST, HOB) and the
 * channel's interrupt wire (ATA/ATAPI-6 clause 7; legacy primary channel at
 * 0x1F0–0x1F7 and 0x3F6 on IRQ 14, secondary at 0x170–0x177 and 0x376 on
 * IRQ 15, per the PIIX3 datasheet "IDE Interface" compatibility mode).
 *
 *   commandBlock: 8 ports (data, error/features, count, LBA low/mid/high,
 *                 device, status/command); see ata-registers.ts
 *   controlBlock: 1 port  (read alternate status, write device control)
 *
 * INTRQ is driven by the selected device only and is gated by nIEN; the
 * line to the PIC is a level. Reading status (not alternate status) clears
 * the device's pending interrupt. The bus master channel, when attached,
 * sees the rising edge of this line (its interrupt bit) and is the path of
 * DMA data.
 *
 * Absent devices, as QEMU shows them: if the selected device is absent its
 * status reads 0 and commands to it are ignored; if the channel has no
 * device at all every register reads 0.
 */
import type { DeviceClock, IoWidth, IrqLine, PortDevice } from "./device.js";
import type { BlockDevice } from "./block-device.js";
import { AtaDrive, type AtaBus, type DmaOutcome } from "./ata-drive.js";
import type { BusMasterChannel } from "./ide-bus-master.js";
import { CONTROL_HOB, CONTROL_NIEN, CONTROL_SRST, DEVICE_DEV, TaskFile } from "./ata-registers.js";

export class IdeChannel implements AtaBus {
  readonly taskFile = new TaskFile();
  readonly drives: readonly (AtaDrive | undefined)[];
  readonly commandBlock: PortDevice;
  readonly controlBlock: PortDevice;
  private control = 0;
  private lineHigh = false;
  private busMaster: BusMasterChannel | undefined;

  constructor(
    readonly clock: DeviceClock,
    private readonly irq: IrqLine,
    master?: BlockDevice,
    slave?: BlockDevice,
  ) {
    this.drives = [master && new AtaDrive(this, master), slave && new AtaDrive(this, slave)];
    this.commandBlock = {
      portRead: (offset, width) => this.readCommandBlock(offset, width),
      portWrite: (offset, width, value) => this.writeCommandBlock(offset, width, value),
    };
    this.controlBlock = {
      portRead: () => this.alternateStatus(),
      portWrite: (_offset, _width, value) => this.writeControl(value),
    };
  }

  /** Connect the bus master channel that moves this channel's DMA data. */
  attachBusMaster(bm: BusMasterChannel): void {
    this.busMaster = bm;
    bm.onStart = () => this.drives.forEach((d) => d?.dmaStart());
    bm.onStop = () => this.drives.forEach((d) => d?.dmaStop());
  }

  /** The drive selected by the device register's DEV bit. */
  get selected(): AtaDrive | undefined {
    return this.drives[this.taskFile.device & DEVICE_DEV ? 1 : 0];
  }

  interruptChanged(): void {
    const high = !(this.control & CONTROL_NIEN) && this.selected?.intrq === true;
    if (high === this.lineHigh) return;
    this.lineHigh = high;
    if (high) {
      this.irq.raise();
      this.busMaster?.interruptEdge();
    } else {
      this.irq.lower();
    }
  }

  dmaStarted(): boolean {
    return this.busMaster?.started === true;
  }

  dmaTransfer(toMemory: boolean, data: Uint8Array): DmaOutcome {
    if (this.busMaster === undefined) return "short";
    return this.busMaster.transfer(toMemory, data);
  }

  private get empty(): boolean {
    return this.drives[0] === undefined && this.drives[1] === undefined;
  }

  private readCommandBlock(offset: number, width: IoWidth): number {
    if (this.empty) return 0;
    const drive = this.selected;
    switch (offset) {
      case 0:
        return drive === undefined ? 0 : drive.readData(width);
      case 1:
        return drive === undefined ? 0 : drive.error;
      case 7: {
        if (drive === undefined) return 0;
        const status = drive.status;
        drive.acknowledgeInterrupt();
        return status;
      }
      default:
        return this.taskFile.read(offset, (this.control & CONTROL_HOB) !== 0);
    }
  }

  private writeCommandBlock(offset: number, width: IoWidth, value: number): void {
    if (offset === 0) {
      this.selected?.writeData(width, value);
      return;
    }
    this.control &= ~CONTROL_HOB; // a command block write clears HOB (ATA-6 7.9)
    if (offset === 7) {
      this.selected?.command(value & 0xff);
      return;
    }
    this.taskFile.write(offset, value & 0xff);
    if (offset === 6) this.interruptChanged(); // selection moves INTRQ
  }

  private alternateStatus(): number {
    if (this.empty) return 0;
    return this.selected?.status ?? 0;
  }

  private writeControl(value: number): void {
    const was = this.control;
    this.control = value & (CONTROL_HOB | CONTROL_SRST | CONTROL_NIEN);
    const srstChanged = (was ^ this.control) & CONTROL_SRST;
    if (srstChanged) for (const d of this.drives) d?.softReset((value & CONTROL_SRST) !== 0);
    this.interruptChanged();
  }
}
