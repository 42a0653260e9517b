/**
 * An ATA hard disk on an IDE channel: command execution, PIO and DMA data
 * phases, status and error (ATA/ATAPI-6, T13/1410D rev 3b; protocols of
 * clause 9: PIO data-in 9.7, PIO data-out 9.8, DMA 9.10, non-data 9.9).
 *
 * Commands: IDENTIFY DEVICE (ECh); READ SECTORS (20h/21h) and EXT (24h);
 * WRITE SECTORS (30h/31h) and EXT (34h); READ/WRITE MULTIPLE (C4h/C5h) and
 * EXT (29h/39h) after SET MULTIPLE MODE (C6h); READ DMA (C8h/C9h) and EXT
 * (25h); WRITE DMA (CAh/CBh) and EXT (35h); READ VERIFY (40h/41h/42h);
 * SET FEATURES (EFh, transfer modes recorded, the rest accepted); FLUSH
 * CACHE (E7h) and EXT (EAh); INITIALIZE DEVICE PARAMETERS (91h); EXECUTE
 * DEVICE DIAGNOSTIC (90h); CHECK POWER MODE (E5h/98h); idle, standby and
 * recalibrate (accepted, no effect). Any other command ends with ABRT.
 * Addresses: LBA28, LBA48 (EXT commands) and CHS through the current
 * geometry (default 16 heads, 63 sectors/track). An address range past the
 * end of the disk ends the command with ERR and ABRT, as QEMU does (ATA-6
 * allows ABRT or IDNF here).
 *
 * Simulated latency (deterministic, no seek model): a command spends
 * COMMAND_OVERHEAD_NS (50 µs) with BSY set before its first data block or
 * completion, and SECTOR_NS (10 µs, about 51 MB/s, a 2003 disk's media rate)
 * per sector of each block it moves. A PIO read raises INTRQ as each block
 * is ready (DRQ); a PIO write sets DRQ for the first block without INTRQ,
 * then raises INTRQ after each block is written; DMA raises INTRQ once at
 * the end. Guests must wait for INTRQ or poll status, as on real disks.
 *
 * DMA: after the overhead the drive shows DRQ and waits for the bus master
 * to be started; the transfer then takes SECTOR_NS per sector and the data
 * moves through the PRD table at its end. If the table is too short the
 * bus master stops and the drive keeps waiting (the guest must reset it),
 * per "Programming Interface for Bus Master IDE Controller" rev 1.0.
 *
 * A command written while BSY or DRQ is set is ignored (as in QEMU).
 */
import type { DeviceClock } from "./device.js";
import type { TimerHandle } from "../clock.js";
import { SECTOR_SIZE, type BlockDevice } from "./block-device.js";
import { buildIdentify, MAX_MULTIPLE } from "./ata-identify.js";
import { cyclesForNs } from "./clock-divider.js";
import {
  ERROR_ABRT,
  STATUS_BSY,
  STATUS_DRDY,
  STATUS_DRQ,
  STATUS_DSC,
  STATUS_ERR,
  type SectorRange,
  type TaskFile,
} from "./ata-registers.js";

export const COMMAND_OVERHEAD_NS = 50_000;
export const SECTOR_NS = 10_000;

export type DmaOutcome = "complete" | "short" | "error";

/** The channel as a drive sees it. */
export interface AtaBus {
  readonly taskFile: TaskFile;
  readonly clock: DeviceClock;
  /** The drive's INTRQ changed. */
  interruptChanged(): void;
  /** Whether the bus master engine is started (bus master command bit 0). */
  dmaStarted(): boolean;
  /** Move `data` through the PRD table, to memory (disk read) or from it (disk write). */
  dmaTransfer(toMemory: boolean, data: Uint8Array): DmaOutcome;
}

type Phase = "idle" | "busy" | "pio-in" | "pio-out" | "dma";

const READY = STATUS_DRDY | STATUS_DSC;

export class AtaDrive {
  status = READY;
  error = 0x01;
  /** INTRQ as the drive asserts it (the channel applies nIEN). */
  intrq = false;
  readonly cylinders: number;
  readonly heads = 16;
  readonly sectorsPerTrack = 63;

  private phase: Phase = "idle";
  private timer: TimerHandle | undefined;
  private buffer: Uint8Array = new Uint8Array(SECTOR_SIZE);
  private pos = 0;
  private end = 0;
  private lba = 0;
  private remaining = 0;
  private block = 1;
  private dmaToMemory = false;
  private multiple = 0;
  private dmaMode = 0;
  private curHeads: number;
  private curSpt: number;

  constructor(
    private readonly bus: AtaBus,
    readonly disk: BlockDevice,
  ) {
    this.cylinders = Math.max(1, Math.min(16383, Math.floor(disk.sectors / (16 * 63))));
    this.curHeads = this.heads;
    this.curSpt = this.sectorsPerTrack;
  }

  /** The host read the status register: INTRQ is cleared (ATA-6 7.15). */
  acknowledgeInterrupt(): void {
    this.setIntrq(false);
  }

  command(cmd: number): void {
    if (this.status & (STATUS_BSY | STATUS_DRQ)) return;
    this.setIntrq(false);
    this.error = 0;
    const tf = this.bus.taskFile;
    switch (cmd) {
      case 0xec:
        return this.busyFor(COMMAND_OVERHEAD_NS, () => {
          this.remaining = 0;
          this.startDataIn(this.identifyData());
        });
      case 0x20: case 0x21: return this.readPio(false, 1);
      case 0x24: return this.readPio(true, 1);
      case 0xc4: return this.readPio(false, this.multiple);
      case 0x29: return this.readPio(true, this.multiple);
      case 0x30: case 0x31: return this.writePio(false, 1);
      case 0x34: return this.writePio(true, 1);
      case 0xc5: return this.writePio(false, this.multiple);
      case 0x39: return this.writePio(true, this.multiple);
      case 0xc8: case 0xc9: return this.startDma(false, true);
      case 0x25: return this.startDma(true, true);
      case 0xca: case 0xcb: return this.startDma(false, false);
      case 0x35: return this.startDma(true, false);
      case 0x40: case 0x41: return this.verify(false);
      case 0x42: return this.verify(true);
      case 0xc6: {
        const n = tf.count;
        if (n > MAX_MULTIPLE || (n & (n - 1)) !== 0) return this.fail();
        this.multiple = n;
        return this.finish();
      }
      case 0xef: return this.setFeatures();
      case 0x91:
        this.curSpt = tf.count;
        this.curHeads = (tf.device & 0x0f) + 1;
        return this.finish();
      case 0x90:
        return this.busyFor(COMMAND_OVERHEAD_NS, () => {
          tf.signature();
          this.error = 0x01;
          this.complete();
        });
      case 0xe5: case 0x98:
        tf.count = 0xff; // active or idle
        return this.finish();
      case 0xe7: case 0xea: // FLUSH CACHE: writes reach the BlockDevice at once
      case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0x94: case 0x95: case 0x96: case 0x97:
        return this.finish();
      default:
        if (cmd >= 0x10 && cmd <= 0x1f) return this.finish(); // RECALIBRATE
        return this.fail();
    }
  }

  /** A 1-, 2- or 4-byte read of the data register. */
  readData(width: number): number {
    if (this.phase !== "pio-in") return 0;
    const first = this.takeWord();
    if (width !== 4) return width === 1 ? first & 0xff : first;
    const second = this.phase === "pio-in" ? this.takeWord() : 0;
    return (first | (second << 16)) >>> 0;
  }

  /** A 1-, 2- or 4-byte write of the data register. */
  writeData(width: number, value: number): void {
    if (this.phase !== "pio-out") return;
    this.putWord(value & 0xffff);
    if (width === 4 && this.phase === "pio-out") this.putWord(value >>> 16);
  }

  /** Device control SRST: asserted stops everything; released starts the reset. */
  softReset(asserted: boolean): void {
    this.cancelTimer();
    this.setIntrq(false);
    this.phase = "busy";
    this.status = STATUS_BSY;
    if (asserted) return;
    this.busyFor(COMMAND_OVERHEAD_NS, () => {
      this.bus.taskFile.signature();
      this.error = 0x01;
      this.phase = "idle";
      this.status = READY;
    });
  }

  /** The bus master was started: a waiting DMA command may run. */
  dmaStart(): void {
    if (this.phase !== "dma" || this.timer !== undefined || !this.bus.dmaStarted()) return;
    this.schedule(SECTOR_NS * this.remaining, () => this.finishDma());
  }

  /** The bus master was stopped: a running transfer is abandoned; the drive waits again. */
  dmaStop(): void {
    if (this.phase === "dma") this.cancelTimer();
  }

  private identifyData(): Uint8Array {
    return buildIdentify({
      sectors: this.disk.sectors,
      cylinders: this.cylinders,
      heads: this.heads,
      sectorsPerTrack: this.sectorsPerTrack,
      currentCylinders: Math.min(65535, Math.floor(this.disk.sectors / Math.max(1, this.curHeads * this.curSpt))),
      currentHeads: this.curHeads,
      currentSectorsPerTrack: this.curSpt,
      multiple: this.multiple,
      dmaMode: this.dmaMode,
    });
  }

  private setFeatures(): void {
    const tf = this.bus.taskFile;
    if (tf.features === 0x03) {
      const mode = tf.count;
      const kind = mode & 0xf8;
      const n = mode & 7;
      const ok = mode <= 1 || (kind === 0x08 && n <= 4) || (kind === 0x20 && n <= 2) || (kind === 0x40 && n <= 5);
      if (!ok) return this.fail();
      if (kind === 0x20 || kind === 0x40) this.dmaMode = mode;
    }
    this.finish();
  }

  /** The sectors a read/write command addresses, or undefined if invalid or past the end. */
  private range(ext: boolean): SectorRange | undefined {
    const r = this.bus.taskFile.sectorRange(ext, this.curHeads, this.curSpt);
    const limit = ext ? this.disk.sectors : Math.min(this.disk.sectors, 0x0fffffff);
    return r !== undefined && r.lba + r.count <= limit ? r : undefined;
  }

  private readPio(ext: boolean, block: number): void {
    const r = this.range(ext);
    if (r === undefined || block === 0) return this.fail();
    this.lba = r.lba;
    this.remaining = r.count;
    this.block = block;
    this.busyFor(COMMAND_OVERHEAD_NS + SECTOR_NS * Math.min(block, r.count), () => this.readBlock());
  }

  private readBlock(): void {
    const n = Math.min(this.block, this.remaining);
    const data = new Uint8Array(n * SECTOR_SIZE);
    this.disk.read(this.lba, n, data);
    this.lba += n;
    this.remaining -= n;
    this.startDataIn(data);
  }

  /** DRQ with a block for the host to read, and INTRQ (PIO data-in). */
  private startDataIn(data: Uint8Array): void {
    this.buffer = data;
    this.pos = 0;
    this.end = data.length;
    this.phase = "pio-in";
    this.status = READY | STATUS_DRQ;
    this.setIntrq(true);
  }

  private takeWord(): number {
    const b = this.buffer;
    const word = b[this.pos]! | (b[this.pos + 1]! << 8);
    this.pos += 2;
    if (this.pos >= this.end) {
      if (this.remaining > 0) {
        this.busyFor(SECTOR_NS * Math.min(this.block, this.remaining), () => this.readBlock());
      } else {
        this.phase = "idle";
        this.status = READY;
      }
    }
    return word;
  }

  private writePio(ext: boolean, block: number): void {
    const r = this.range(ext);
    if (r === undefined || block === 0) return this.fail();
    this.lba = r.lba;
    this.remaining = r.count;
    this.block = block;
    this.busyFor(COMMAND_OVERHEAD_NS, () => this.requestBlock(false));
  }

  /** DRQ for the host to write the next block (PIO data-out). */
  private requestBlock(interrupt: boolean): void {
    const n = Math.min(this.block, this.remaining);
    this.buffer = new Uint8Array(n * SECTOR_SIZE);
    this.pos = 0;
    this.end = this.buffer.length;
    this.phase = "pio-out";
    this.status = READY | STATUS_DRQ;
    if (interrupt) this.setIntrq(true);
  }

  private putWord(word: number): void {
    this.buffer[this.pos] = word & 0xff;
    this.buffer[this.pos + 1] = word >>> 8;
    this.pos += 2;
    if (this.pos < this.end) return;
    const n = this.end / SECTOR_SIZE;
    const data = this.buffer;
    this.busyFor(SECTOR_NS * n, () => {
      this.disk.write(this.lba, n, data);
      this.lba += n;
      this.remaining -= n;
      if (this.remaining > 0) this.requestBlock(true);
      else this.complete();
    });
  }

  private startDma(ext: boolean, toMemory: boolean): void {
    const r = this.range(ext);
    if (r === undefined) return this.fail();
    this.lba = r.lba;
    this.remaining = r.count;
    this.dmaToMemory = toMemory;
    this.busyFor(COMMAND_OVERHEAD_NS, () => {
      this.phase = "dma";
      this.status = READY | STATUS_DRQ;
      this.dmaStart();
    });
  }

  private finishDma(): void {
    const data = new Uint8Array(this.remaining * SECTOR_SIZE);
    if (this.dmaToMemory) this.disk.read(this.lba, this.remaining, data);
    const outcome = this.bus.dmaTransfer(this.dmaToMemory, data);
    if (outcome === "short") return; // the bus master stopped; keep waiting for it
    if (outcome === "error") return this.abort();
    if (!this.dmaToMemory) this.disk.write(this.lba, this.remaining, data);
    this.lba += this.remaining;
    this.remaining = 0;
    this.complete();
  }

  private verify(ext: boolean): void {
    const r = this.range(ext);
    if (r === undefined) return this.fail();
    this.busyFor(COMMAND_OVERHEAD_NS + SECTOR_NS * r.count, () => this.complete());
  }

  /** A non-data command that succeeds after the overhead. */
  private finish(): void {
    this.busyFor(COMMAND_OVERHEAD_NS, () => this.complete());
  }

  /** A command that ends with ABRT after the overhead. */
  private fail(): void {
    this.busyFor(COMMAND_OVERHEAD_NS, () => this.abort());
  }

  private complete(): void {
    this.phase = "idle";
    this.status = READY;
    this.setIntrq(true);
  }

  private abort(): void {
    this.phase = "idle";
    this.status = READY | STATUS_ERR;
    this.error = ERROR_ABRT;
    this.setIntrq(true);
  }

  private busyFor(ns: number, then: () => void): void {
    this.phase = "busy";
    this.status = STATUS_BSY;
    this.schedule(ns, then);
  }

  private schedule(ns: number, then: () => void): void {
    this.cancelTimer();
    const clock = this.bus.clock;
    this.timer = clock.schedule(clock.now + cyclesForNs(ns, clock.hz), () => {
      this.timer = undefined;
      then();
    });
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.bus.clock.cancel(this.timer);
    this.timer = undefined;
  }

  private setIntrq(level: boolean): void {
    if (this.intrq === level) return;
    this.intrq = level;
    this.bus.interruptChanged();
  }
}
