/**
 * Test scaffolding for the x87 tests (no tests of its own): a fake FpuMemory
 * over a little-endian byte array that can be told to fault, and helpers to
 * run an instruction from its bytes and to snapshot the whole unit.
 */
import { Fpu } from "./fpu.js";
import type { FpuMemory } from "./fpu-memory.js";

export class FakeFault extends Error {}

export class FakeMemory implements FpuMemory {
  readonly bytes = new Uint8Array(4096);
  readonly view = new DataView(this.bytes.buffer);
  /** Any access touching [faultFrom, faultTo) throws, like a #PF from the CPU. */
  faultFrom = -1;
  faultTo = -1;

  private check(offset: number, size: number): void {
    if (offset < this.faultTo && offset + size > this.faultFrom) throw new FakeFault(`fault at ${offset}`);
  }
  read8(o: number): number { this.check(o, 1); return this.view.getUint8(o); }
  read16(o: number): number { this.check(o, 2); return this.view.getUint16(o, true); }
  read32(o: number): number { this.check(o, 4); return this.view.getUint32(o, true); }
  write8(o: number, v: number): void { this.check(o, 1); this.view.setUint8(o, v & 0xff); }
  write16(o: number, v: number): void { this.check(o, 2); this.view.setUint16(o, v & 0xffff, true); }
  write32(o: number, v: number): void { this.check(o, 4); this.view.setUint32(o, v >>> 0, true); }

  setBytes(offset: number, bytes: readonly number[]): void {
    this.bytes.set(bytes, offset);
  }
  getBytes(offset: number, length: number): number[] {
    return Array.from(this.bytes.subarray(offset, offset + length));
  }
  setF64(offset: number, v: number): void { this.view.setFloat64(offset, v, true); }
  getF64(offset: number): number { return this.view.getFloat64(offset, true); }
  setF32(offset: number, v: number): void { this.view.setFloat32(offset, v, true); }
}

/** The memory operand's offset used by `run` for memory forms. */
export const OPERAND = 0x100;

/**
 * Executes one x87 instruction given as bytes (escape, ModR/M); memory forms
 * use OPERAND as their effective address. Returns `execute`'s result.
 */
export function run(fpu: Fpu, mem: FakeMemory, bytes: readonly number[], eflags = 0, o32 = true, offset = OPERAND): number {
  const escape = bytes[0]! - 0xd8;
  const modrm = bytes[1]!;
  fpu.noteInstruction(0x08, 0x1000, ((escape & 7) << 8) | modrm, 0x10, modrm < 0xc0 ? offset : 0);
  return fpu.execute(escape, modrm, offset, mem, eflags, o32);
}

/* ModR/M bytes for a memory operand with the given reg field (mod 00, rm 110 = disp32 style). */
export const m = (reg: number): number => (reg << 3) | 0x05;

/** Every architectural field of the unit, for "nothing else changed" checks. */
export function snapshot(fpu: Fpu): string {
  const regs = Array.from(fpu.regs, (v, p) => `${Object.is(v, -0) ? "-0" : String(v)}${fpu.shadowed[p] ? "*" : ""}`);
  return JSON.stringify({
    regs, empty: fpu.empty, sw: fpu.statusWord(), cw: fpu.cw, fip: fpu.fip, fcs: fpu.fcs, fop: fpu.fop,
    fdp: fpu.fdp, fds: fpu.fds, tw: fpu.tagWord(),
  });
}

/** Pushes binary64 values (last one ends up in ST(0)) via FLD m64. */
export function pushValues(fpu: Fpu, mem: FakeMemory, ...values: number[]): void {
  for (const v of values) {
    mem.setF64(OPERAND, v);
    run(fpu, mem, [0xdd, m(0)]);
  }
}

/** FSTP m64 and return the stored value. */
export function popValue(fpu: Fpu, mem: FakeMemory): number {
  run(fpu, mem, [0xdd, m(3)]);
  return mem.getF64(OPERAND);
}

/** A freshly initialised x87 (FNINIT state) and an empty fake memory. */
export function setup(): { fpu: Fpu; mem: FakeMemory } {
  const fpu = new Fpu();
  fpu.reset();
  return { fpu, mem: new FakeMemory() };
}

export const st = (fpu: Fpu, i: number): number => fpu.get(i);
