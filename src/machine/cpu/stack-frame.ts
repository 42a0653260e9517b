/**
 * Building a stack frame on a stack that is not yet SS:ESP: the new stack of
 * an inter-privilege interrupt or call-gate CALL (SDM Vol. 3 §6.12.1,
 * Vol. 2 CALL "CALL-GATE-TO-MORE-PRIVILEGE"). The whole frame is checked
 * against the new segment's limit (#SS(sel) on failure) and written before
 * any register changes, so a fault leaves the old state intact.
 */
import type { Cpu } from "./cpu.js";
import { raise } from "./fault.js";
import { SS_VEC } from "./registers.js";

export const frameValues = new Int32Array(48);

/**
 * Write `count` values of `size` bytes from `frameValues` (first is pushed
 * first, i.e. highest address) below `esp` on the stack with the given
 * cache; returns the new ESP. `user`: write with user-mode page rights.
 */
export function writeFrame(
  cpu: Cpu, base: number, limit: number, attr: number, esp: number, count: number, size: number,
  errorSel: number, user: boolean,
): number {
  const b32 = (attr & (1 << 14)) !== 0;
  const spMask = b32 ? 0xffffffff : 0xffff;
  const total = count * size;
  const top = (esp - total) & spMask;
  const last = ((esp - 1) & spMask) >>> 0;
  const first = top >>> 0;
  const expandDown = (attr & 0x1c) === 0x14;
  if (expandDown) {
    if (first <= limit || last > (b32 ? 0xffffffff : 0xffff)) raise(SS_VEC, errorSel);
  } else if (last > limit || first > last) {
    raise(SS_VEC, errorSel);
  }
  for (let i = 0; i < count; i++) {
    const off = ((esp - (i + 1) * size) & spMask) >>> 0;
    const lin = (base + off) | 0;
    if (size === 4) {
      if (user) cpu.slowWrite(lin, 4, frameValues[i]!, true); else cpu.supWrite32(lin, frameValues[i]!);
    } else {
      cpu.slowWrite(lin, 2, frameValues[i]! & 0xffff, user);
    }
  }
  return top | 0;
}
