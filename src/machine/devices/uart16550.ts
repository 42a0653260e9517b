/**
 * National Semiconductor PC16550D UART with FIFOs (datasheet "PC16550D
 * Universal Asynchronous Receiver/Transmitter with FIFOs", June 1995), the
 * PC's COM1 at 0x3F8 on IRQ 4.
 *
 *   offset  read                 write               (DLAB = LCR bit 7)
 *     0     RBR receive buffer   THR transmit hold   DLAB=1: DLL divisor low
 *     1     IER int. enable      IER                 DLAB=1: DLM divisor high
 *     2     IIR int. ident       FCR FIFO control
 *     3     LCR line control     LCR
 *     4     MCR modem control    MCR
 *     5     LSR line status      (factory test: ignored)
 *     6     MSR modem status     (ignored)
 *     7     SCR scratch          SCR
 *
 * Interrupt identification (datasheet Table IV), highest priority first:
 *   IIR 0x06 receiver line status (OE/PE/FE/BI)   cleared by reading LSR
 *   IIR 0x04 received data available              cleared by reading RBR
 *   IIR 0x0C character timeout (FIFO mode)        cleared by reading RBR
 *   IIR 0x02 THR empty                            cleared by reading IIR
 *                                                 (when it is the source)
 *                                                 or by writing THR
 *   IIR 0x00 modem status                         cleared by reading MSR
 *   IIR bit 0 = 1: no interrupt pending; bits 7:6 = 11 when FIFOs enabled.
 * INTR is a level: the line is high while any enabled source is pending.
 *
 * Modelling choices (deviations from the chip, each for a reason):
 * - Transmission is instantaneous: a THR write reaches `sink` at once and
 *   LSR.THRE/TEMT are always 1, so guests polling LSR bit 5 never wait. THR
 *   still goes "full then empty", so an enabled THRE interrupt re-asserts
 *   (the line drops and rises again, giving the PIC a new edge) as in QEMU.
 * - Baud rate, word length, parity and stop bits are stored but do not
 *   time anything; bytes to the host are not masked to the word length.
 * - The character-timeout interrupt (4 character times without a read
 *   while the FIFO is below its trigger level) is reported at once, since
 *   characters take no simulated time to arrive.
 * - Host input (`receive`) never overruns: bytes that do not fit in the RX
 *   FIFO (16 bytes, or the 1-byte RBR with FIFOs off) wait in a host-side
 *   backlog and move in as the guest reads, as if the sender honoured flow
 *   control. Loopback bytes do overrun (LSR.OE) exactly as on the chip.
 * - On a real PC, MCR.OUT2 gates INTR onto the ISA bus. QEMU does not model
 *   that and guests written against QEMU (xv6 among them) leave OUT2 clear,
 *   so gating is off unless the board sets `out2GatesIrq`.
 * - The modem inputs (outside loopback) are CTS, DSR and DCD high, RI low.
 */
import type { IoWidth, IrqLine, PortDevice } from "./device.js";
import { readLanes, writeLanes } from "./byte-lanes.js";

const FIFO_SIZE = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;

// IER bits
const IER_ERBFI = 0x01; // received data available
const IER_ETBEI = 0x02; // THR empty
const IER_ELSI = 0x04; // receiver line status
const IER_EDSSI = 0x08; // modem status
// LSR bits
const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_ERRORS = 0x1e; // OE PE FE BI
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
// MCR bits
const MCR_DTR = 0x01;
const MCR_RTS = 0x02;
const MCR_OUT1 = 0x04;
const MCR_OUT2 = 0x08;
const MCR_LOOP = 0x10;
// MSR bits (upper nibble: line states; lower nibble: their deltas)
const MSR_CTS = 0x10;
const MSR_DSR = 0x20;
const MSR_RI = 0x40;
const MSR_DCD = 0x80;
// IIR values
const IIR_NONE = 0x01;
const IIR_RLS = 0x06;
const IIR_RDA = 0x04;
const IIR_TIMEOUT = 0x0c;
const IIR_THRE = 0x02;
const IIR_MODEM = 0x00;

export class Uart16550 implements PortDevice {
  /** When true, INTR reaches the line only while MCR.OUT2 is set (PC wiring). */
  out2GatesIrq = false;

  private readonly rx = new Uint8Array(FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;
  private backlog: number[] = [];
  private backlogHead = 0;

  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private dll = 0;
  private dlm = 0;
  private lsrErrors = 0;
  private fifoEnabled = false;
  private triggerLevel = 1;
  private thrInterrupt = false;
  private modemLines = MSR_CTS | MSR_DSR | MSR_DCD;
  private modemDeltas = 0;
  private lineHigh = false;

  constructor(
    private readonly irq: IrqLine,
    private readonly sink: (byte: number) => void,
  ) {}

  /** Host input: bytes arrive on the serial line (ignored in loopback mode until it ends). */
  receive(bytes: Uint8Array): void {
    for (const b of bytes) this.backlog.push(b);
    this.refill();
    this.updateIrq();
  }

  /** The 16-bit divisor latch (baud = 115200 / divisor). */
  get divisor(): number {
    return (this.dlm << 8) | this.dll;
  }

  portRead(offset: number, width: IoWidth): number {
    return readLanes((o) => this.readByte(o), offset, width, 8);
  }

  portWrite(offset: number, width: IoWidth, value: number): void {
    writeLanes((o, v) => this.writeByte(o, v), offset, width, value, 8);
  }

  private get dlab(): boolean {
    return (this.lcr & 0x80) !== 0;
  }

  private readByte(offset: number): number {
    switch (offset) {
      case 0:
        return this.dlab ? this.dll : this.readRbr();
      case 1:
        return this.dlab ? this.dlm : this.ier;
      case 2:
        return this.readIir();
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5:
        return this.readLsr();
      case 6:
        return this.readMsr();
      default:
        return this.scr;
    }
  }

  private writeByte(offset: number, value: number): void {
    switch (offset) {
      case 0:
        if (this.dlab) this.dll = value;
        else this.writeThr(value);
        return;
      case 1:
        if (this.dlab) this.dlm = value;
        else this.writeIer(value);
        return;
      case 2:
        this.writeFcr(value);
        return;
      case 3:
        this.lcr = value;
        return;
      case 4:
        this.writeMcr(value);
        return;
      case 7:
        this.scr = value;
        return;
      default:
        return; // LSR and MSR writes are factory test modes: ignored
    }
  }

  private readRbr(): number {
    if (this.rxCount === 0) return 0;
    const byte = this.rx[this.rxHead]!;
    this.rxHead = (this.rxHead + 1) % FIFO_SIZE;
    this.rxCount--;
    this.refill();
    this.updateIrq();
    return byte;
  }

  private writeThr(value: number): void {
    // THR fills (THRE interrupt cleared), then empties at once.
    this.thrInterrupt = false;
    this.updateIrq();
    if (this.mcr & MCR_LOOP) this.loopbackReceive(value & ((1 << (5 + (this.lcr & 3))) - 1));
    else this.sink(value & 0xff);
    if (this.ier & IER_ETBEI) this.thrInterrupt = true;
    this.updateIrq();
  }

  private writeIer(value: number): void {
    const changed = (this.ier ^ value) & IER_ETBEI;
    this.ier = value & 0x0f;
    // Enabling ETBEI while THR is empty (always, here) raises THRE at once.
    if (changed) this.thrInterrupt = (this.ier & IER_ETBEI) !== 0;
    this.updateIrq();
  }

  private writeFcr(value: number): void {
    const enable = (value & 0x01) !== 0;
    if (enable !== this.fifoEnabled) {
      // Changing FCR bit 0 resets both FIFOs.
      this.fifoEnabled = enable;
      this.clearRx();
    }
    if (enable) {
      if (value & 0x02) this.clearRx();
      // bit 2 (clear TX FIFO): the TX FIFO is always empty here.
      this.triggerLevel = TRIGGER_LEVELS[(value >>> 6) & 3]!;
    }
    this.refill();
    this.updateIrq();
  }

  private writeMcr(value: number): void {
    const wasLoop = (this.mcr & MCR_LOOP) !== 0;
    const before = this.modemInputs();
    this.mcr = value & 0x1f;
    const after = this.modemInputs();
    const changed = before ^ after;
    if (changed & MSR_CTS) this.modemDeltas |= 0x01;
    if (changed & MSR_DSR) this.modemDeltas |= 0x02;
    if (before & MSR_RI && !(after & MSR_RI)) this.modemDeltas |= 0x04; // trailing edge of RI
    if (changed & MSR_DCD) this.modemDeltas |= 0x08;
    if (wasLoop && !(this.mcr & MCR_LOOP)) this.refill();
    this.updateIrq();
  }

  private readIir(): number {
    const id = this.pendingId();
    if (id === IIR_THRE) {
      this.thrInterrupt = false;
      this.updateIrq();
    }
    return id | (this.fifoEnabled ? 0xc0 : 0);
  }

  private readLsr(): number {
    const value = (this.rxCount > 0 ? LSR_DR : 0) | this.lsrErrors | LSR_THRE | LSR_TEMT;
    this.lsrErrors = 0;
    this.updateIrq();
    return value;
  }

  private readMsr(): number {
    const value = this.modemInputs() | this.modemDeltas;
    this.modemDeltas = 0;
    this.updateIrq();
    return value;
  }

  /** MSR upper nibble: the modem inputs, or MCR outputs wired back in loopback. */
  private modemInputs(): number {
    if (!(this.mcr & MCR_LOOP)) return this.modemLines;
    return (
      (this.mcr & MCR_RTS ? MSR_CTS : 0) |
      (this.mcr & MCR_DTR ? MSR_DSR : 0) |
      (this.mcr & MCR_OUT1 ? MSR_RI : 0) |
      (this.mcr & MCR_OUT2 ? MSR_DCD : 0)
    );
  }

  private get rxCapacity(): number {
    return this.fifoEnabled ? FIFO_SIZE : 1;
  }

  private pushRx(byte: number): void {
    this.rx[(this.rxHead + this.rxCount) % FIFO_SIZE] = byte;
    this.rxCount++;
  }

  private loopbackReceive(byte: number): void {
    if (this.rxCount < this.rxCapacity) {
      this.pushRx(byte);
    } else {
      this.lsrErrors |= LSR_OE;
      // 16450 mode: the new character overwrites RBR. FIFO mode: it is lost.
      if (!this.fifoEnabled) this.rx[this.rxHead] = byte;
    }
  }

  /** Move host bytes from the backlog into the receiver while there is room. */
  private refill(): void {
    if (this.mcr & MCR_LOOP) return;
    while (this.rxCount < this.rxCapacity && this.backlogHead < this.backlog.length) {
      this.pushRx(this.backlog[this.backlogHead++]!);
    }
    if (this.backlogHead === this.backlog.length) {
      this.backlog = [];
      this.backlogHead = 0;
    }
  }

  private clearRx(): void {
    this.rxHead = 0;
    this.rxCount = 0;
  }

  /** The highest-priority enabled interrupt source, as IIR bits 3:0. */
  private pendingId(): number {
    if (this.ier & IER_ELSI && this.lsrErrors & LSR_ERRORS) return IIR_RLS;
    if (this.ier & IER_ERBFI && this.rxCount > 0) {
      if (!this.fifoEnabled || this.rxCount >= this.triggerLevel) return IIR_RDA;
      return IIR_TIMEOUT;
    }
    if (this.ier & IER_ETBEI && this.thrInterrupt) return IIR_THRE;
    if (this.ier & IER_EDSSI && this.modemDeltas !== 0) return IIR_MODEM;
    return IIR_NONE;
  }

  private updateIrq(): void {
    let high = this.pendingId() !== IIR_NONE;
    if (this.out2GatesIrq && !(this.mcr & MCR_OUT2)) high = false;
    if (high === this.lineHigh) return;
    this.lineHigh = high;
    if (high) this.irq.raise();
    else this.irq.lower();
  }
}
