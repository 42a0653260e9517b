/**
 * One channel of a bus master IDE controller ("Programming Interface for
 * Bus Master IDE Controller", revision 1.0, 5/16/94; PIIX3 datasheet
 * BMICx/BMISx/BMIDTPx): 8 bytes of I/O at BAR4 + 0 (primary) or + 8.
 *
 *   +0  command     bit 0 start/stop bus master, bit 3 read/write control
 *                   (1 = bus master writes memory, i.e. a disk read)
 *   +2  status      bit 0 active (RO), bit 1 error (W1C), bit 2 interrupt
 *                   (W1C), bits 5/6 drive 0/1 DMA capable (RW), bit 7 simplex (0)
 *   +4  PRD table physical address, dword aligned (bits 1:0 read 0)
 *
 * Physical region descriptor (PRD), 8 bytes, table read from memory:
 *   dword 0: buffer physical address (bit 0 must be 0)
 *   word  2: byte count, bit 0 = 0; 0 means 64 KiB
 *   word  3: bit 15 EOT (last entry)
 *
 * Setting start makes the engine active and lets a drive waiting with a
 * DMA command transfer; clearing it stops the engine (state is lost). At the
 * end of a transfer (spec table "Interrupt/Active"):
 *   PRDs cover the transfer exactly   -> active 0, then interrupt 1
 *   PRDs larger than the transfer     -> active stays 1, interrupt 1
 *   PRDs smaller than the transfer    -> active 0, interrupt 0, drive waits
 *   a PRD outside memory              -> error 1, active 0, drive aborts
 * The interrupt bit is set by the rising edge of the channel's IDE
 * interrupt line (whether or not DMA was used), and cleared by writing 1.
 * The read/write control bit is stored; the direction comes from the ATA
 * command, as in QEMU. Every register may be accessed with any width.
 * PCI command bit 2 (bus master enable) must be set for DMA to run.
 */
import type { DmaMemory, IoWidth, PortDevice } from "./device.js";
import type { DmaOutcome } from "./ata-drive.js";
import { readLanes, writeLanes } from "./byte-lanes.js";

const CMD_START = 0x01;
const CMD_WRITE_MEMORY = 0x08;
const ST_ACTIVE = 0x01;
const ST_ERROR = 0x02;
const ST_INTERRUPT = 0x04;
const ST_CAPABLE = 0x60;

export class BusMasterChannel implements PortDevice {
  command = 0;
  status = 0;
  prdTable = 0;
  /** Called after the start bit goes from 0 to 1, and from 1 to 0. */
  onStart: () => void = () => {};
  onStop: () => void = () => {};

  /** @param masterEnabled PCI command bit 2 of the owning function */
  constructor(
    private readonly memory: DmaMemory,
    private readonly masterEnabled: () => boolean = () => true,
  ) {}

  /** Started and allowed to master the bus. */
  get started(): boolean {
    return (this.command & CMD_START) !== 0 && this.masterEnabled();
  }

  /** The rising edge of the channel's interrupt line. */
  interruptEdge(): void {
    this.status |= ST_INTERRUPT;
  }

  portRead(offset: number, width: IoWidth): number {
    return readLanes((o) => this.readByte(o), offset, width, 8);
  }

  portWrite(offset: number, width: IoWidth, value: number): void {
    writeLanes((o, v) => this.writeByte(o, v), offset, width, value, 8);
  }

  /**
   * Move `data` between the PRD table's regions and memory. Returns how the
   * transfer ended; updates active and error as the spec's table says.
   */
  transfer(toMemory: boolean, data: Uint8Array): DmaOutcome {
    let done = 0;
    let entry = this.prdTable;
    const prd = new Uint8Array(8);
    for (;;) {
      if (entry + 8 > this.memory.size) return this.masterAbort();
      this.memory.readPhys(entry, prd);
      const base = (prd[0]! | (prd[1]! << 8) | (prd[2]! << 16) | (prd[3]! << 24)) & ~1;
      const count = (prd[4]! | (prd[5]! << 8)) & 0xfffe || 0x10000;
      const last = (prd[7]! & 0x80) !== 0;
      const n = Math.min(count, data.length - done);
      if (base >>> 0 > this.memory.size - n) return this.masterAbort();
      const chunk = data.subarray(done, done + n);
      if (toMemory) this.memory.writePhys(base >>> 0, chunk);
      else this.memory.readPhys(base >>> 0, chunk);
      done += n;
      if (done === data.length) {
        if (last && n === count) this.status &= ~ST_ACTIVE;
        return "complete";
      }
      if (last) {
        this.status &= ~ST_ACTIVE;
        return "short";
      }
      entry += 8;
    }
  }

  private masterAbort(): DmaOutcome {
    this.status = (this.status & ~ST_ACTIVE) | ST_ERROR;
    return "error";
  }

  private readByte(offset: number): number {
    switch (offset) {
      case 0:
        return this.command & (CMD_START | CMD_WRITE_MEMORY);
      case 2:
        return this.status;
      case 4:
      case 5:
      case 6:
      case 7:
        return (this.prdTable >>> (8 * (offset - 4))) & 0xff;
      default:
        return 0;
    }
  }

  private writeByte(offset: number, value: number): void {
    switch (offset) {
      case 0: {
        const was = this.command & CMD_START;
        this.command = value & (CMD_START | CMD_WRITE_MEMORY);
        const now = this.command & CMD_START;
        if (!was && now) {
          this.status |= ST_ACTIVE;
          this.onStart();
        } else if (was && !now) {
          this.status &= ~ST_ACTIVE;
          this.onStop();
        }
        return;
      }
      case 2:
        this.status = (this.status & ~ST_CAPABLE & ~(value & (ST_ERROR | ST_INTERRUPT))) | (value & ST_CAPABLE);
        return;
      case 4:
      case 5:
      case 6:
      case 7: {
        const shift = 8 * (offset - 4);
        this.prdTable = ((this.prdTable & ~(0xff << shift)) | (value << shift)) & ~3;
        this.prdTable >>>= 0;
        return;
      }
    }
  }
}
