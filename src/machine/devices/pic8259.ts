/**
 * The PC's two Intel 8259A programmable interrupt controllers (datasheet
 * "8259A Programmable Interrupt Controller", Intel order 231468), cascaded as
 * on the PC/AT: master at 0x20/0x21 with IRQ 0–7, slave at 0xA0/0xA1 with
 * IRQ 8–15, the slave's INT output wired to the master's IR2.
 *
 *   offset 0 write: ICW1 (bit 4 = 1) | OCW3 (bits 4:3 = 01) | OCW2 (bits 4:3 = 00)
 *   offset 0 read : IRR or ISR (as selected by OCW3), or the poll word
 *   offset 1 write: ICW2, ICW3, ICW4 during initialisation, else OCW1 (IMR)
 *   offset 1 read : IMR
 *
 * Registers: IRR (requests latched), ISR (in service), IMR (masked). A request
 * is presented on INT when its priority beats every in-service level.
 * Priorities rotate: `lowestPriority` holds the level that has priority 7
 * (IR7 after initialisation), set by the rotate and set-priority commands.
 *
 * Supported: edge- and level-triggered inputs (ICW1.LTIM), single or
 * cascade, ICW4 auto-EOI with rotate-in-auto-EOI, special fully nested mode,
 * non-specific/specific EOI with and without rotation, set priority, special
 * mask mode, IRR/ISR reads and poll mode. 8080/85 call-address mode and
 * buffered mode have no effect (the PC uses neither).
 *
 * Edge mode follows QEMU's i8259: an IRR bit is latched on a rising input and
 * stays latched if the input drops before INTA (devices such as the PIT pulse
 * their line: raise() then lower()). On the real chip an input that drops
 * before INTA gives a spurious IR7 instead.
 *
 * INTA (`acknowledge`): the master resolves its highest request; if it is
 * IR2 in cascade mode the slave supplies the vector. With nothing to
 * deliver a chip answers IR7 without setting ISR (the spurious IRQ 7 / 15
 * the OS must recognise; for a spurious IRQ 15 the master's ISR2 is set).
 */
import type { IoWidth, IrqLine, PortDevice } from "./device.js";
import { readLanes, writeLanes } from "./byte-lanes.js";

/** One 8259A. */
export class Pic8259 implements PortDevice {
  irr = 0;
  isr = 0;
  imr = 0;
  /** Interrupt vector of IR0 (ICW2, bits 7:3). */
  vectorBase = 0;
  /** Called when the INT output may have changed. */
  onOutput: () => void = () => {};

  private level = 0; // input wire levels
  private lowestPriority = 7;
  private initStep = 0; // 0 = operational; 2, 3, 4 = expecting ICW2, ICW3, ICW4
  private icw4Needed = false;
  private single = false;
  private levelTriggered = false;
  private autoEoi = false;
  private rotateOnAutoEoi = false;
  private specialFullyNested = false;
  private specialMask = false;
  private readIsr = false;
  private pollNext = false;
  private output = false;

  constructor(readonly isMaster: boolean) {}

  /** Drive input IRn to `high`. */
  setLevel(n: number, high: boolean): void {
    const bit = 1 << n;
    if (this.levelTriggered) {
      if (high) this.irr |= bit;
      else this.irr &= ~bit;
    } else if (high && !(this.level & bit)) {
      this.irr |= bit;
    }
    this.level = high ? this.level | bit : this.level & ~bit;
    this.update();
  }

  /** INT output: a request beats every level in service. */
  get interrupting(): boolean {
    return this.output;
  }

  /** Cascade mode (ICW1.SNGL = 0). */
  get cascaded(): boolean {
    return !this.single;
  }

  /** The IR level the chip would present on INT, or -1. */
  highestRequest(): number {
    const request = this.priorityOf(this.irr & ~this.imr);
    if (request === 8) return -1;
    let service = this.isr;
    if (this.specialMask) service &= ~this.imr;
    if (this.specialFullyNested && this.isMaster) service &= ~(1 << 2);
    return request < this.priorityOf(service) ? (request + this.lowestPriority + 1) & 7 : -1;
  }

  /** INTA for level `n`: move it from IRR to ISR (or not, in auto-EOI). */
  intack(n: number): void {
    const bit = 1 << n;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.lowestPriority = n;
    } else {
      this.isr |= bit;
    }
    if (!this.levelTriggered) this.irr &= ~bit;
    this.update();
  }

  portRead(offset: number, width: IoWidth): number {
    return readLanes((o) => this.readByte(o), offset, width, 2);
  }

  portWrite(offset: number, width: IoWidth, value: number): void {
    writeLanes((o, v) => this.writeByte(o, v), offset, width, value, 2);
  }

  private readByte(offset: number): number {
    if (offset === 1) return this.imr;
    if (this.pollNext) {
      this.pollNext = false;
      const n = this.highestRequest();
      if (n < 0) return 0;
      this.intack(n);
      return 0x80 | n;
    }
    return this.readIsr ? this.isr : this.irr;
  }

  private writeByte(offset: number, value: number): void {
    if (offset === 0) {
      if (value & 0x10) this.icw1(value);
      else if (value & 0x08) this.ocw3(value);
      else this.ocw2(value);
    } else {
      switch (this.initStep) {
        case 2:
          this.vectorBase = value & 0xf8;
          this.initStep = this.single ? (this.icw4Needed ? 4 : 0) : 3;
          break;
        case 3: // ICW3: the cascade wiring is fixed by the board (slave on IR2)
          this.initStep = this.icw4Needed ? 4 : 0;
          break;
        case 4:
          this.autoEoi = (value & 0x02) !== 0;
          this.specialFullyNested = (value & 0x10) !== 0;
          this.initStep = 0;
          break;
        default:
          this.imr = value;
      }
    }
    this.update();
  }

  /** ICW1 (datasheet "Initialization Command Words"): reset, then expect ICW2. */
  private icw1(value: number): void {
    this.icw4Needed = (value & 0x01) !== 0;
    this.single = (value & 0x02) !== 0;
    this.levelTriggered = (value & 0x08) !== 0;
    // The edge-sense circuit resets: an input must rise again to request.
    this.irr = this.levelTriggered ? this.level : 0;
    this.isr = 0;
    this.imr = 0;
    this.lowestPriority = 7;
    this.specialMask = false;
    this.readIsr = false;
    this.pollNext = false;
    if (!this.icw4Needed) {
      this.autoEoi = false;
      this.specialFullyNested = false;
    }
    this.rotateOnAutoEoi = false;
    this.initStep = 2;
  }

  /** OCW2: EOI and priority rotation; bits 7:5 are R, SL, EOI. */
  private ocw2(value: number): void {
    const n = value & 7;
    switch (value >>> 5) {
      case 0b000: // clear rotate in auto-EOI mode
      case 0b100: // set rotate in auto-EOI mode
        this.rotateOnAutoEoi = value >>> 5 === 0b100;
        break;
      case 0b001: // non-specific EOI
      case 0b101: {
        // rotate on non-specific EOI
        const p = this.priorityOf(this.isr);
        if (p === 8) break;
        const level = (p + this.lowestPriority + 1) & 7;
        this.isr &= ~(1 << level);
        if (value >>> 5 === 0b101) this.lowestPriority = level;
        break;
      }
      case 0b011: // specific EOI
        this.isr &= ~(1 << n);
        break;
      case 0b111: // rotate on specific EOI
        this.isr &= ~(1 << n);
        this.lowestPriority = n;
        break;
      case 0b110: // set priority: IRn becomes the lowest
        this.lowestPriority = n;
        break;
      default: // 0b010: no operation
    }
  }

  /** OCW3: register read select, poll, special mask mode. */
  private ocw3(value: number): void {
    if (value & 0x02) this.readIsr = (value & 0x01) !== 0;
    if (value & 0x04) this.pollNext = true;
    if (value & 0x40) this.specialMask = (value & 0x20) !== 0;
  }

  /** Priority (0 = highest) of the best bit in `mask`, or 8 if empty. */
  private priorityOf(mask: number): number {
    if ((mask & 0xff) === 0) return 8;
    let p = 0;
    while (!(mask & (1 << ((p + this.lowestPriority + 1) & 7)))) p++;
    return p;
  }

  private update(): void {
    const out = this.highestRequest() >= 0;
    if (out === this.output) return;
    this.output = out;
    this.onOutput();
  }
}

/** The PC/AT pair: the CPU's view (INTR, INTA) and the 16 IRQ lines. */
export class PicPair {
  readonly master = new Pic8259(true);
  readonly slave = new Pic8259(false);
  /** Called whenever INTR changes level (e.g. to wake a halted CPU). */
  onChange?: () => void;
  private readonly lines: IrqLine[] = [];

  constructor() {
    this.slave.onOutput = () => this.master.setLevel(2, this.slave.interrupting);
    this.master.onOutput = () => this.onChange?.();
    for (let n = 0; n < 16; n++) {
      const chip = n < 8 ? this.master : this.slave;
      const pin = n & 7;
      this.lines.push({ raise: () => chip.setLevel(pin, true), lower: () => chip.setLevel(pin, false) });
    }
  }

  /** The wire of IRQ n (0–15). IRQ 2 is the cascade input and should not be driven. */
  irqLine(n: number): IrqLine {
    const line = this.lines[n];
    if (line === undefined) throw new RangeError(`no IRQ ${n}`);
    return line;
  }

  /** The master's INT output, the CPU's INTR pin. */
  hasInterrupt(): boolean {
    return this.master.interrupting;
  }

  /** The INTA cycle: returns the vector and moves the request into service. */
  acknowledge(): number {
    const n = this.master.highestRequest();
    if (n < 0) return this.master.vectorBase + 7; // spurious IRQ 7
    this.master.intack(n);
    if (n !== 2 || !this.master.cascaded) return this.master.vectorBase + n;
    const m = this.slave.highestRequest();
    if (m < 0) return this.slave.vectorBase + 7; // spurious IRQ 15
    this.slave.intack(m);
    return this.slave.vectorBase + m;
  }
}
