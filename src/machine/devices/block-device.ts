/**
 * A disk as the IDE drive sees it: an array of 512-byte sectors.
 *
 * Callers pass whole sectors; `dst`/`src` must hold at least count * 512
 * bytes, and lba + count must not exceed `sectors` (the ATA drive checks
 * the range and reports IDNF/ABRT to the guest before calling).
 * `MemoryDisk` keeps the image in one Uint8Array (the CLI loads a file into
 * it); a trailing partial sector of an image is ignored.
 */

export const SECTOR_SIZE = 512;

export interface BlockDevice {
  readonly sectors: number;
  read(lba: number, count: number, dst: Uint8Array): void;
  write(lba: number, count: number, src: Uint8Array): void;
}

export class MemoryDisk implements BlockDevice {
  readonly sectors: number;

  constructor(readonly image: Uint8Array) {
    this.sectors = Math.floor(image.length / SECTOR_SIZE);
  }

  /** An all-zero disk of `sectors` sectors. */
  static blank(sectors: number): MemoryDisk {
    return new MemoryDisk(new Uint8Array(sectors * SECTOR_SIZE));
  }

  read(lba: number, count: number, dst: Uint8Array): void {
    this.check(lba, count);
    dst.set(this.image.subarray(lba * SECTOR_SIZE, (lba + count) * SECTOR_SIZE));
  }

  write(lba: number, count: number, src: Uint8Array): void {
    this.check(lba, count);
    this.image.set(src.subarray(0, count * SECTOR_SIZE), lba * SECTOR_SIZE);
  }

  private check(lba: number, count: number): void {
    if (lba < 0 || count < 0 || lba + count > this.sectors) {
      throw new RangeError(`sectors ${lba}+${count} outside a disk of ${this.sectors}`);
    }
  }
}
