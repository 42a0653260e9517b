/**
 * FLDENV / FNSTENV / FRSTOR / FNSAVE in the protected-mode layouts (Intel SDM
 * Vol. 1 §8.1.10, Figures 8-9 and 8-10; Vol. 2 FLDENV, FSTENV, FRSTOR, FSAVE).
 * The operand size picks the layout:
 *
 *   32-bit (28 bytes)                    16-bit (14 bytes)
 *   +0   FFFF | control word             +0   control word
 *   +4   FFFF | status word              +2   status word
 *   +8   FFFF | tag word                 +4   tag word
 *   +12  FPU instruction pointer         +6   instruction pointer [15:0]
 *   +16  opcode[10:0] << 16 | FPU CS     +8   FPU CS
 *   +20  FPU data pointer                +10  data pointer [15:0]
 *   +24  FFFF | FPU DS                   +12  FPU DS
 *
 * FNSAVE/FRSTOR add ST(0)..ST(7) in stack order, 10 bytes each, after the
 * environment: 108 or 94 bytes. Reserved halves are stored as ones (as
 * Bochs does, matching Intel parts) and ignored on load. The real-mode and
 * virtual-8086 layouts (20-bit linear pointers) are not implemented.
 *
 * Every read happens before any state changes, so a fault thrown by the
 * FpuMemory leaves the unit untouched (fpu-memory.ts).
 */
import type { FpuMemory } from "./fpu-memory.js";
import { F80, doubleToF80, f80ToDouble, sameF80 } from "./fpu-convert.js";
import { FpuState } from "./fpu-state.js";

const loaded: readonly F80[] = Array.from({ length: 8 }, () => new F80());
const check = new F80();

/** Environment fields as read, applied only once every read has succeeded. */
class Environment {
  cw = 0;
  sw = 0;
  tw = 0;
  fip = 0;
  fcs = 0;
  fop = 0;
  fdp = 0;
  fds = 0;
}
const env = new Environment();

export function environmentSize(o32: boolean): number {
  return o32 ? 28 : 14;
}

/** FNSTENV's store (without the exception masking, which the caller does). */
export function storeEnvironment(s: FpuState, mem: FpuMemory, offset: number, o32: boolean): void {
  const tw = s.tagWord();
  if (o32) {
    mem.write32(offset, 0xffff0000 | s.cw);
    mem.write32(offset + 4, 0xffff0000 | s.statusWord());
    mem.write32(offset + 8, 0xffff0000 | tw);
    mem.write32(offset + 12, s.fip);
    mem.write32(offset + 16, ((s.fop & 0x7ff) << 16) | (s.fcs & 0xffff));
    mem.write32(offset + 20, s.fdp);
    mem.write32(offset + 24, 0xffff0000 | s.fds);
  } else {
    mem.write16(offset, s.cw);
    mem.write16(offset + 2, s.statusWord());
    mem.write16(offset + 4, tw);
    mem.write16(offset + 6, s.fip & 0xffff);
    mem.write16(offset + 8, s.fcs);
    mem.write16(offset + 10, s.fdp & 0xffff);
    mem.write16(offset + 12, s.fds);
  }
}

function readEnvironment(mem: FpuMemory, offset: number, o32: boolean): void {
  if (o32) {
    env.cw = mem.read32(offset) & 0xffff;
    env.sw = mem.read32(offset + 4) & 0xffff;
    env.tw = mem.read32(offset + 8) & 0xffff;
    env.fip = mem.read32(offset + 12) >>> 0;
    const cs = mem.read32(offset + 16);
    env.fcs = cs & 0xffff;
    env.fop = (cs >>> 16) & 0x7ff;
    env.fdp = mem.read32(offset + 20) >>> 0;
    env.fds = mem.read32(offset + 24) & 0xffff;
  } else {
    env.cw = mem.read16(offset);
    env.sw = mem.read16(offset + 2);
    env.tw = mem.read16(offset + 4);
    env.fip = mem.read16(offset + 6);
    env.fcs = mem.read16(offset + 8);
    env.fop = 0;
    env.fdp = mem.read16(offset + 10);
    env.fds = mem.read16(offset + 12);
  }
}

function applyEnvironment(s: FpuState): void {
  s.setControlWord(env.cw);
  s.setStatusWord(env.sw);
  s.setTagWord(env.tw);
  s.fip = env.fip;
  s.fcs = env.fcs;
  s.fop = env.fop;
  s.fdp = env.fdp;
  s.fds = env.fds;
  s.updateSummary();
}

/** FLDENV. */
export function loadEnvironment(s: FpuState, mem: FpuMemory, offset: number, o32: boolean): void {
  readEnvironment(mem, offset, o32);
  applyEnvironment(s);
}

/** FNSAVE: environment, then ST(0)..ST(7); then the unit is reinitialised (FNINIT). */
export function saveState(s: FpuState, mem: FpuMemory, offset: number, o32: boolean): void {
  storeEnvironment(s, mem, offset, o32);
  let at = offset + environmentSize(o32);
  for (let i = 0; i < 8; i++, at += 10) writeF80(mem, at, s.imageOf(s.phys(i), s.image));
  s.reset();
}

/** FRSTOR. */
export function restoreState(s: FpuState, mem: FpuMemory, offset: number, o32: boolean): void {
  readEnvironment(mem, offset, o32);
  let at = offset + environmentSize(o32);
  for (let i = 0; i < 8; i++, at += 10) readF80(mem, at, loaded[i]!);
  applyEnvironment(s);
  const empty = s.empty;
  for (let i = 0; i < 8; i++) {
    const image = loaded[i]!;
    const v = f80ToDouble(image);
    if (sameF80(doubleToF80(v, check), image)) s.set(i, v);
    else s.setExact(i, v, image);
  }
  s.empty = empty; // `set` marks registers in use; the tag word decides
}

export function readF80(mem: FpuMemory, offset: number, out: F80): F80 {
  out.lo = mem.read32(offset) >>> 0;
  out.hi = mem.read32(offset + 4) >>> 0;
  out.se = mem.read16(offset + 8) & 0xffff;
  return out;
}

export function writeF80(mem: FpuMemory, offset: number, f: F80): void {
  mem.write32(offset, f.lo);
  mem.write32(offset + 4, f.hi);
  mem.write16(offset + 8, f.se);
}
