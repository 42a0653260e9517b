/**
 * What a device sees of the machine (STYLE §5): offsets into its own port
 * window, an interrupt line, DMA memory and the simulated clock. Never the CPU.
 * The board (`pc.ts`) places each device at its base port and wires its line.
 */
import type { SimClock } from "../clock.js";

export type IoWidth = 1 | 2 | 4;

/** A device decoding a window of I/O ports. `offset` is relative to the window base. */
export interface PortDevice {
  portRead(offset: number, width: IoWidth): number;
  portWrite(offset: number, width: IoWidth, value: number): void;
}

/** An interrupt request wire into an interrupt controller (level semantics). */
export interface IrqLine {
  raise(): void;
  lower(): void;
}

/** Physical memory as bus masters see it. Writes invalidate decoded code. */
export interface DmaMemory {
  readonly size: number;
  readPhys(paddr: number, dst: Uint8Array): void;
  writePhys(paddr: number, src: Uint8Array): void;
}

/** The clock devices schedule their events on. */
export type DeviceClock = Pick<SimClock, "now" | "hz" | "schedule" | "cancel">;
