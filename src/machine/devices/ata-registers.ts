/**
 * The ATA command block registers (the "task file") and status/error bits
 * (ATA/ATAPI-6, T13/1410D, 7.x register descriptions).
 *
 *   offset  read               write
 *     0     data               data
 *     1     error              features
 *     2     sector count       sector count
 *     3     LBA low            LBA low          (CHS: sector number)
 *     4     LBA mid            LBA mid          (CHS: cylinder low)
 *     5     LBA high           LBA high         (CHS: cylinder high)
 *     6     device             device           bit 6 LBA, bit 4 DEV, 3:0 LBA 27:24 / head
 *     7     status             command
 *   control block (0x3F6): read alternate status; write device control
 *     bit 7 HOB, bit 2 SRST, bit 1 nIEN
 *
 * For the 48-bit feature set each of features, sector count and LBA low/
 * mid/high is a two-deep FIFO (ATA-6 6.20): a write pushes the previous
 * value into the "previous content" byte, read back with device control
 * HOB = 1. Both devices on a channel latch every write, so one task file
 * serves the channel (the drive that runs a command owns it meanwhile).
 */

export const STATUS_BSY = 0x80;
export const STATUS_DRDY = 0x40;
export const STATUS_DF = 0x20;
export const STATUS_DSC = 0x10; // obsolete "seek complete", still set by drives and QEMU
export const STATUS_DRQ = 0x08;
export const STATUS_ERR = 0x01;

export const ERROR_ABRT = 0x04;
export const ERROR_IDNF = 0x10;

export const DEVICE_LBA = 0x40;
export const DEVICE_DEV = 0x10;

export const CONTROL_NIEN = 0x02;
export const CONTROL_SRST = 0x04;
export const CONTROL_HOB = 0x80;

/** The sectors a read/write command addresses. */
export interface SectorRange {
  lba: number;
  count: number;
}

export class TaskFile {
  features = 0;
  count = 0;
  lbaLow = 0;
  lbaMid = 0;
  lbaHigh = 0;
  device = 0;
  hobFeatures = 0;
  hobCount = 0;
  hobLbaLow = 0;
  hobLbaMid = 0;
  hobLbaHigh = 0;

  /** Write command block register 1–6, shifting the 48-bit FIFOs. */
  write(offset: number, value: number): void {
    switch (offset) {
      case 1:
        this.hobFeatures = this.features;
        this.features = value;
        return;
      case 2:
        this.hobCount = this.count;
        this.count = value;
        return;
      case 3:
        this.hobLbaLow = this.lbaLow;
        this.lbaLow = value;
        return;
      case 4:
        this.hobLbaMid = this.lbaMid;
        this.lbaMid = value;
        return;
      case 5:
        this.hobLbaHigh = this.lbaHigh;
        this.lbaHigh = value;
        return;
      case 6:
        this.device = value;
        return;
    }
  }

  /** Read register 2–6 (HOB selects the previous content). */
  read(offset: number, hob: boolean): number {
    switch (offset) {
      case 2:
        return hob ? this.hobCount : this.count;
      case 3:
        return hob ? this.hobLbaLow : this.lbaLow;
      case 4:
        return hob ? this.hobLbaMid : this.lbaMid;
      case 5:
        return hob ? this.hobLbaHigh : this.lbaHigh;
      default:
        return this.device | 0xa0; // bits 7 and 5 (obsolete) read as 1, as in QEMU
    }
  }

  /**
   * Starting sector and count of a read/write command: LBA48 for EXT
   * commands (count 0 = 65536), else LBA28 (DEVICE_LBA set) or CHS through
   * the given geometry (count 0 = 256). Undefined for an invalid CHS address.
   */
  sectorRange(ext: boolean, heads: number, sectorsPerTrack: number): SectorRange | undefined {
    if (ext) {
      const high = (this.hobLbaHigh * 0x10000 + this.hobLbaMid * 0x100 + this.hobLbaLow) * 0x1000000;
      const lba = high + ((this.lbaHigh << 16) | (this.lbaMid << 8) | this.lbaLow);
      return { lba, count: ((this.hobCount << 8) | this.count) || 0x10000 };
    }
    const count = this.count || 0x100;
    if (this.device & DEVICE_LBA) {
      const lba = ((this.device & 0x0f) << 24) | (this.lbaHigh << 16) | (this.lbaMid << 8) | this.lbaLow;
      return { lba, count };
    }
    const cylinder = (this.lbaHigh << 8) | this.lbaMid;
    const head = this.device & 0x0f;
    const sector = this.lbaLow;
    if (sector === 0 || sector > sectorsPerTrack || head >= heads) return undefined;
    return { lba: (cylinder * heads + head) * sectorsPerTrack + sector - 1, count };
  }

  /** The reset signature of an ATA (non-packet) device (ATA-6 9.12). */
  signature(): void {
    this.count = this.hobCount = 1;
    this.lbaLow = this.hobLbaLow = 1;
    this.lbaMid = this.hobLbaMid = 0;
    this.lbaHigh = this.hobLbaHigh = 0;
    this.device = 0;
  }
}
