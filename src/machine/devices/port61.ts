/**
 * PC/AT system control port B at 0x61 (IBM PC AT Technical Reference,
 * "System Control Port B"; Intel PIIX3 datasheet, NMI Status and Control
 * Register), the glue between the CPU and 8254 counter 2.
 *
 *   bit  write                         read
 *    0   timer 2 gate (GATE2)           as written
 *    1   speaker data enable            as written
 *    2   parity check (SERR#) disable   as written
 *    3   I/O channel check disable      as written
 *    4   -                              refresh request toggle
 *    5   -                              timer 2 output (OUT2)
 *    6   -                              I/O channel check (always 0)
 *    7   -                              parity error / SERR# (always 0)
 *
 * Bit 4 toggles every 15.085 µs on a real AT, driven by DRAM refresh
 * (counter 1 at its BIOS-programmed count of 18). Here it is derived from
 * simulated time alone: it flips every 18 PIT input ticks, whatever counter
 * 1 holds, so delay loops that count its toggles run the same on every host.
 */
import type { IoWidth, PortDevice } from "./device.js";
import type { Pit8254 } from "./pit8254.js";

/** PIT ticks per refresh toggle (18 / 1.193182 MHz = 15.085 µs). */
const REFRESH_TICKS = 18;

export class SystemControlPortB implements PortDevice {
  private control = 0;

  constructor(private readonly pit: Pit8254) {}

  portRead(_offset: number, _width: IoWidth): number {
    const refresh = Math.floor(this.pit.ticks() / REFRESH_TICKS) & 1;
    return this.control | (refresh << 4) | (this.pit.out(2) ? 0x20 : 0);
  }

  portWrite(_offset: number, _width: IoWidth, value: number): void {
    this.control = value & 0x0f;
    this.pit.setGate(2, (value & 0x01) !== 0);
  }

  /** Speaker data enable (bit 1) and GATE2 both set: the speaker sounds OUT2. */
  get speakerEnabled(): boolean {
    return (this.control & 0x03) === 0x03;
  }
}
