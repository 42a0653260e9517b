/**
 * QEMU's isa-debug-exit device (hw/misc/debugexit.c), as configured with
 * `-device isa-debug-exit,iobase=0xf4,iosize=0x04`: any write of value v to
 * its window ends the emulator. QEMU exits with status (v << 1) | 1, so a
 * guest can never produce status 0 and the harness can tell a guest's
 * verdict from QEMU's own exit; the CLI applies that convention through
 * `qemuExitStatus`. Reads give all ones (the device has no read handler
 * that returns data).
 */
import type { IoWidth, PortDevice } from "./device.js";

export const DEBUG_EXIT_PORT = 0xf4;
export const DEBUG_EXIT_SIZE = 4;

const WIDTH_MASK = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

/** The process exit status QEMU gives for a write of `value`: ((v << 1) | 1), as the OS keeps it (8 bits). */
export function qemuExitStatus(value: number): number {
  return ((value << 1) | 1) & 0xff;
}

export class DebugExit implements PortDevice {
  /** @param onExit receives the value written (masked to the access width) */
  constructor(private readonly onExit: (value: number) => void) {}

  portRead(_offset: number, width: IoWidth): number {
    return WIDTH_MASK[width];
  }

  portWrite(_offset: number, width: IoWidth, value: number): void {
    this.onExit((value & WIDTH_MASK[width]) >>> 0);
  }
}
