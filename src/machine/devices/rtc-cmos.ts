/**
 * Motorola MC146818 real-time clock and 128 bytes of CMOS RAM (datasheet
 * "MC146818A Real-Time Clock Plus RAM"), as the PC has it at 0x70/0x71 with
 * its interrupt on IRQ 8.
 *
 *   0x70 write: bit 7 = NMI disable, bits 6:0 = register index
 *   0x71 read/write: the indexed register
 *
 *   0x00 seconds  0x01 alarm s  0x02 minutes  0x03 alarm m  0x04 hours
 *   0x05 alarm h  0x06 weekday (1 = Sunday)   0x07 day  0x08 month  0x09 year
 *   0x0A A: UIP | DV2 DV1 DV0 | RS3..RS0        (reset 0x26: 32.768 kHz, 1024 Hz)
 *   0x0B B: SET | PIE | AIE | UIE | SQWE | DM | 24/12 | DSE   (0x02: BCD, 24 h)
 *   0x0C C: IRQF | PF | AF | UF | 0000          read only, cleared by reading
 *   0x0D D: VRT (always 1)                      read only
 *   0x0E..0x7F battery-backed RAM; 0x32 holds the century as QEMU has it.
 *
 * Time follows the simulated clock from a start instant given to the
 * constructor (default 2003-10-19 12:00:00 UTC, the day SOSP'03 opened), so
 * a run is deterministic. The time of day is kept as (baseSeconds,
 * baseCycle): second number baseSeconds began at CPU cycle baseCycle, and
 * a second lasts clock.hz cycles. The update cycle at each second boundary
 * sets UF and checks the alarm (AF); UIP reads 1 during the 244 µs before
 * it. Setting SET freezes the time registers for the guest to write; clearing
 * it starts the new time at that instant. Writing a time register while SET
 * is clear changes that field at once, keeping the phase of the second.
 *
 * The periodic interrupt divides the 32.768 kHz time base, counted from
 * power-on: rate RS = 1, 2 gives 128 and 256 ticks (3.906 and 7.812 ms),
 * RS = 3..15 gives 2^(RS-1) ticks (122 µs .. 500 ms). PF is set at each
 * period whether or not PIE is set (computed when read, scheduled on the
 * clock only while PIE is set). IRQ 8 is a level: high while IRQF is set,
 * until register C is read.
 *
 * Memory size bytes as QEMU's pc_cmos_init writes them for SeaBIOS:
 *   0x15/0x16  base memory in KiB (640)
 *   0x17/0x18  and 0x30/0x31  KiB above 1 MiB (max 65535)
 *   0x34/0x35  64 KiB blocks above 16 MiB (max 65535)
 *
 * Not modelled: the divider-chain reset (DV = 11x), daylight saving (DSE),
 * the square-wave pin (SQWE) and the 12-hour update of the PM bit during SET.
 */
import type { DeviceClock, IoWidth, IrqLine, PortDevice } from "./device.js";
import type { TimerHandle } from "../clock.js";
import { civilFromSeconds, secondsFromCivil } from "./calendar.js";
import { cycleOfTick, ticksAt } from "./clock-divider.js";
import { readLanes, writeLanes } from "./byte-lanes.js";

/** 2003-10-19 12:00:00 UTC as Unix time. */
export const SOSP03_START = 1066564800;

const TIME_BASE_HZ = 32768;
/** UIP is set this many 32.768 kHz ticks (244 µs) before an update. */
const UIP_TICKS = 8;

const REG_A = 0x0a;
const REG_B = 0x0b;
const REG_C = 0x0c;
const REG_D = 0x0d;
const CENTURY = 0x32;

const B_SET = 0x80;
const B_PIE = 0x40;
const B_AIE = 0x20;
const B_UIE = 0x10;
const B_BINARY = 0x04;
const B_24H = 0x02;
const C_IRQF = 0x80;
const C_PF = 0x40;
const C_AF = 0x20;
const C_UF = 0x10;

const TIME_REGS = [0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, CENTURY] as const;

export class CmosRtc implements PortDevice {
  /** The 128 CMOS bytes. Time registers hold their value only while SET is 1. */
  readonly cmos = new Uint8Array(128);
  /** NMI disable bit from the last index write (bit 7 of port 0x70). */
  nmiDisabled = false;

  private index = 0;
  private baseSeconds: number;
  private baseCycle = 0;
  private flags = 0; // register C bits PF, AF, UF
  private pfSeenTick = 0; // 32 kHz tick up to which periodic flags are accounted
  private lineHigh = false;
  private updateEvent: TimerHandle | undefined;
  private periodicEvent: TimerHandle | undefined;

  /**
   * @param ramBytes RAM size for the memory-size bytes
   * @param startSeconds Unix time of power-on (default: SOSP'03)
   */
  constructor(
    private readonly clock: DeviceClock,
    private readonly irq: IrqLine,
    ramBytes: number,
    startSeconds = SOSP03_START,
  ) {
    this.baseSeconds = startSeconds;
    this.baseCycle = clock.now;
    this.cmos[REG_A] = 0x26;
    this.cmos[REG_B] = B_24H;
    this.cmos[REG_D] = 0x80;
    this.setWord(0x15, 640);
    const extendedKiB = Math.min(Math.max(Math.floor(ramBytes / 1024) - 1024, 0), 65535);
    this.setWord(0x17, extendedKiB);
    this.setWord(0x30, extendedKiB);
    const above16M = ramBytes > 16 << 20 ? Math.min(Math.floor((ramBytes - (16 << 20)) / 65536), 65535) : 0;
    this.setWord(0x34, above16M);
    this.pfSeenTick = this.timeBaseTicks();
    this.scheduleUpdate();
  }

  /** Unix time the clock shows now (SET clear), from simulated time only. */
  currentSeconds(): number {
    return this.baseSeconds + Math.floor((this.clock.now - this.baseCycle) / this.clock.hz);
  }

  portRead(offset: number, width: IoWidth): number {
    return readLanes((o) => (o === 0 ? 0xff : this.readRegister(this.index)), offset, width, 2);
  }

  portWrite(offset: number, width: IoWidth, value: number): void {
    writeLanes(
      (o, v) => {
        if (o === 1) return this.writeRegister(this.index, v);
        this.index = v & 0x7f;
        this.nmiDisabled = (v & 0x80) !== 0;
      },
      offset,
      width,
      value,
      2,
    );
  }

  private get regB(): number {
    return this.cmos[REG_B]!;
  }

  private setWord(index: number, value: number): void {
    this.cmos[index] = value & 0xff;
    this.cmos[index + 1] = (value >>> 8) & 0xff;
  }

  private readRegister(index: number): number {
    if (index === REG_A) return this.cmos[REG_A]! | (this.updateInProgress() ? 0x80 : 0);
    if (index === REG_C) {
      this.accountPeriodic();
      const value = this.flags | (this.irqf() ? C_IRQF : 0);
      this.flags = 0;
      this.updateLine();
      return value;
    }
    if (isTimeRegister(index) && !(this.regB & B_SET)) return this.encodeNow()[index]!;
    return this.cmos[index]!;
  }

  private writeRegister(index: number, value: number): void {
    switch (index) {
      case REG_A:
        this.accountPeriodic();
        this.cmos[REG_A] = value & 0x7f;
        this.schedulePeriodic();
        return;
      case REG_B:
        this.writeRegB(value);
        return;
      case REG_C:
      case REG_D:
        return; // read only
    }
    if (isTimeRegister(index) && !(this.regB & B_SET)) {
      // Change one field of the running time, keeping the phase of the second.
      this.cmos.set(this.encodeNow());
      this.cmos[index] = value;
      const elapsed = this.clock.now - this.baseCycle;
      this.baseCycle = this.clock.now - (elapsed % this.clock.hz);
      this.baseSeconds = this.decodeRegisters();
      return;
    }
    this.cmos[index] = value;
  }

  private writeRegB(value: number): void {
    const old = this.regB;
    this.accountPeriodic();
    if (value & B_SET && !(old & B_SET)) {
      this.cmos.set(this.encodeNow()); // freeze the time registers
      value &= ~B_UIE; // SET clears UIE (datasheet, register B)
    }
    this.cmos[REG_B] = value;
    if (old & B_SET && !(value & B_SET)) {
      this.baseSeconds = this.decodeRegisters();
      this.baseCycle = this.clock.now;
    }
    this.scheduleUpdate();
    this.schedulePeriodic();
    this.updateLine();
  }

  private updateInProgress(): boolean {
    if (this.regB & B_SET || (this.cmos[REG_A]! & 0x70) !== 0x20) return false;
    const hz = this.clock.hz;
    const intoSecond = (this.clock.now - this.baseCycle) % hz;
    return intoSecond >= hz - Math.ceil((UIP_TICKS * hz) / TIME_BASE_HZ);
  }

  /** A 128-byte image whose time registers hold the current time, encoded per register B. */
  private encodeNow(): Uint8Array {
    const image = this.cmos.slice();
    const t = civilFromSeconds(this.currentSeconds());
    image[0x00] = this.encode(t.second);
    image[0x02] = this.encode(t.minute);
    image[0x04] = this.encodeHour(t.hour);
    image[0x06] = this.encode(t.weekday);
    image[0x07] = this.encode(t.day);
    image[0x08] = this.encode(t.month);
    image[0x09] = this.encode(t.year % 100);
    image[CENTURY] = this.encode(Math.floor(t.year / 100));
    return image;
  }

  private decodeRegisters(): number {
    const c = this.cmos;
    const hourByte = c[0x04]!;
    let hour = this.decode(hourByte & 0x7f);
    if (!(this.regB & B_24H)) hour = (hour % 12) + (hourByte & 0x80 ? 12 : 0);
    return secondsFromCivil({
      year: this.decode(c[CENTURY]!) * 100 + this.decode(c[0x09]!),
      month: this.decode(c[0x08]!),
      day: this.decode(c[0x07]!),
      hour,
      minute: this.decode(c[0x02]!),
      second: this.decode(c[0x00]!),
    });
  }

  private encode(v: number): number {
    return this.regB & B_BINARY ? v : (Math.floor(v / 10) << 4) | v % 10;
  }

  private decode(v: number): number {
    return this.regB & B_BINARY ? v : (v >>> 4) * 10 + (v & 0xf);
  }

  private encodeHour(h: number): number {
    if (this.regB & B_24H) return this.encode(h);
    return this.encode(h % 12 === 0 ? 12 : h % 12) | (h >= 12 ? 0x80 : 0);
  }

  /** The update cycle at each second boundary (only while SET is clear). */
  private scheduleUpdate(): void {
    if (this.updateEvent !== undefined) this.clock.cancel(this.updateEvent);
    this.updateEvent = undefined;
    if (this.regB & B_SET) return;
    const hz = this.clock.hz;
    const next = this.baseCycle + (Math.floor((this.clock.now - this.baseCycle) / hz) + 1) * hz;
    this.updateEvent = this.clock.schedule(next, () => {
      this.updateEvent = undefined;
      this.flags |= C_UF;
      const now = this.encodeNow();
      const alarm = [0x01, 0x03, 0x05].every((a) => {
        const want = this.cmos[a]!;
        return (want & 0xc0) === 0xc0 || want === now[a - 1];
      });
      if (alarm) this.flags |= C_AF;
      this.updateLine();
      this.scheduleUpdate();
    });
  }

  /** Periodic interrupt period in 32.768 kHz ticks, or 0 when off. */
  private periodTicks(): number {
    const rs = this.cmos[REG_A]! & 0x0f;
    if (rs === 0) return 0;
    return rs <= 2 ? 64 << rs : 1 << (rs - 1);
  }

  private timeBaseTicks(): number {
    return ticksAt(this.clock.now, this.clock.hz, TIME_BASE_HZ);
  }

  /** Set PF if a periodic boundary passed since last accounted. */
  private accountPeriodic(): void {
    const tick = this.timeBaseTicks();
    const p = this.periodTicks();
    if (p !== 0 && Math.floor(tick / p) > Math.floor(this.pfSeenTick / p)) this.flags |= C_PF;
    this.pfSeenTick = tick;
  }

  private schedulePeriodic(): void {
    if (this.periodicEvent !== undefined) this.clock.cancel(this.periodicEvent);
    this.periodicEvent = undefined;
    const p = this.periodTicks();
    if (p === 0 || !(this.regB & B_PIE)) return;
    const next = (Math.floor(this.timeBaseTicks() / p) + 1) * p;
    this.periodicEvent = this.clock.schedule(cycleOfTick(next, this.clock.hz, TIME_BASE_HZ), () => {
      this.periodicEvent = undefined;
      this.accountPeriodic();
      this.updateLine();
      this.schedulePeriodic();
    });
  }

  private irqf(): boolean {
    const b = this.regB;
    const f = this.flags;
    return !!((f & C_PF && b & B_PIE) || (f & C_AF && b & B_AIE) || (f & C_UF && b & B_UIE));
  }

  private updateLine(): void {
    const high = this.irqf();
    if (high === this.lineHigh) return;
    this.lineHigh = high;
    if (high) this.irq.raise();
    else this.irq.lower();
  }
}

function isTimeRegister(index: number): boolean {
  return (TIME_REGS as readonly number[]).includes(index);
}
