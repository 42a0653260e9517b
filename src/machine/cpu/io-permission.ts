/**
 * I/O privilege (SDM Vol. 1 §19.5, Vol. 3 §18? "I/O permission bit map"):
 * IN/OUT/INS/OUTS are allowed when CPL <= IOPL; otherwise every bit for the
 * ports accessed must be clear in the TSS's I/O permission bitmap, whose
 * 16-bit offset is at TSS+0x66. Bits beyond the TSS limit count as set;
 * a 16-bit TSS has no bitmap. Failure is #GP(0).
 */
import type { Cpu } from "./cpu.js";
import { ATTR_UNUSABLE } from "./cpu.js";
import { raise } from "./fault.js";
import { GP, IOPL } from "./registers.js";

export function checkIoPermission(cpu: Cpu, port: number, bytes: number): void {
  if (cpu.cpl <= (cpu.eflagsRest & IOPL) >>> 12) return;
  if ((cpu.trAttr & ATTR_UNUSABLE) !== 0 || (cpu.trAttr & 8) === 0 || cpu.trLimit < 0x67) raise(GP, 0);
  const mapBase = cpu.supRead16(cpu.trBase + 0x66);
  const at = mapBase + (port >>> 3);
  if (at + 1 > cpu.trLimit) raise(GP, 0);
  const bits = cpu.supRead16(cpu.trBase + at);
  const mask = ((1 << bytes) - 1) << (port & 7);
  if ((bits & mask) !== 0) raise(GP, 0);
}
