/**
 * Debug registers DR0–DR7 and breakpoint matching (SDM Vol. 3 ch. 17).
 *
 *   DR7: L0 G0 .. L3 G3 (bits 0-7), GD (13), R/W0 LEN0 (16-19) .. R/W3 LEN3 (28-31)
 *        R/W: 00 execute, 01 write, 10 I/O (CR4.DE=1), 11 read/write
 *   DR6: B0-B3 (0-3) which breakpoint hit, BD (13), BS (14) single step
 *
 * Instruction breakpoints are faults checked before an instruction runs
 * (suppressed by EFLAGS.RF); data and I/O breakpoints are traps delivered
 * after the instruction that hit them, collected in `pending`. While data
 * breakpoints are armed the CPU routes every memory access through its slow
 * path (`dataBreakpoints` zeroes the fast-path masks) so each is checked.
 */
import type { Cpu } from "./cpu.js";
import { CR4_DE } from "./registers.js";

export class DebugUnit {
  readonly dr = new Int32Array(4);
  dr6 = 0;
  dr7 = 0x400;
  /** B0–B3 bits of trap breakpoints hit by the current instruction. */
  pending = 0;
  dataBreakpoints = false;
  codeBreakpoints = false;
  ioBreakpoints = false;

  constructor(private readonly cpu: Cpu) {}

  read(n: number): number {
    if (n < 4) return this.dr[n]!;
    if (n === 6) return this.dr6 | 0xffff0ff0;
    return this.dr7 | 0x400;
  }

  write(n: number, v: number): void {
    if (n < 4) this.dr[n] = v;
    else if (n === 6) this.dr6 = v & 0xe00f;
    else this.dr7 = (v & 0xffff2bff) | 0x400;
    this.update();
  }

  generalDetect(): boolean {
    return (this.dr7 & (1 << 13)) !== 0;
  }

  private enabled(i: number): boolean {
    return ((this.dr7 >>> (i * 2)) & 3) !== 0;
  }

  private type(i: number): number {
    return (this.dr7 >>> (16 + i * 4)) & 3;
  }

  private length(i: number): number {
    const len = (this.dr7 >>> (18 + i * 4)) & 3;
    return len === 0 ? 1 : len === 1 ? 2 : len === 3 ? 4 : 8;
  }

  update(): void {
    let data = false, code = false, io = false;
    const de = (this.cpu.cr4 & CR4_DE) !== 0;
    for (let i = 0; i < 4; i++) {
      if (!this.enabled(i)) continue;
      const t = this.type(i);
      if (t === 0) code = true;
      else if (t === 2) io = io || de;
      else data = true;
    }
    this.dataBreakpoints = data;
    this.codeBreakpoints = code;
    this.ioBreakpoints = io;
    this.cpu.updateAccessMasks();
    this.cpu.attention = 1; // the loop must switch to checked stepping
  }

  /** Instruction breakpoints matching linear address `lin` (a B-bit mask). */
  matchCode(lin: number): number {
    let hits = 0;
    for (let i = 0; i < 4; i++) {
      if (this.enabled(i) && this.type(i) === 0 && this.dr[i] === lin) hits |= 1 << i;
    }
    return hits;
  }

  checkData(lin: number, size: number, write: boolean): void {
    for (let i = 0; i < 4; i++) {
      if (!this.enabled(i)) continue;
      const t = this.type(i);
      if (t !== 1 && t !== 3) continue;
      if (t === 1 && !write) continue;
      const len = this.length(i);
      const start = (this.dr[i]! & ~(len - 1)) >>> 0;
      const a = lin >>> 0;
      if (a < start + len && start < a + size) this.pending |= 1 << i;
    }
  }

  checkIo(port: number, size: number): void {
    if (!this.ioBreakpoints) return;
    for (let i = 0; i < 4; i++) {
      if (!this.enabled(i) || this.type(i) !== 2) continue;
      const len = this.length(i);
      const start = (this.dr[i]! & 0xffff & ~(len - 1)) >>> 0;
      if (port < start + len && start < port + size) this.pending |= 1 << i;
    }
  }
}
