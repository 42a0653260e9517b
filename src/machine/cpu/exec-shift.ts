/**
 * Shifts and rotates (SDM Vol. 2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD,
 * SHRD). The count is masked to 5 bits; a masked count of 0 changes no flag.
 * Flags the SDM leaves undefined (OF for counts > 1, AF, CF for SHL/SHR
 * counts >= the width) are computed as QEMU computes them, so differential
 * runs agree: CF = the last bit out, OF = MSB(before last step) ^ MSB(result),
 * AF = 0.
 */
import type { Cpu } from "./cpu.js";
import type { Handler } from "./handlers.js";
import { LAZY_SAR, LAZY_SHL, LAZY_SHR } from "./lazy-flags.js";
import { AF, CF, ECX, OF, PF, SF, ZF } from "./registers.js";
import { getReg, opSize, rmwRead, rmwWrite } from "./operands.js";

function shift(cpu: Cpu, kind: number, v: number, count: number, size: number): number {
  const n = count & 31;
  if (n === 0) return v;
  const m = size === 32 ? -1 : (1 << size) - 1;
  const top = size - 1;
  v &= m;
  const lf = cpu.lf;
  switch (kind) {
    case 0: case 1: { // ROL, ROR
      const r = n % size;
      const res = r === 0 ? v : kind === 0 ? ((v << r) | (v >>> (size - r))) & m : ((v >>> r) | (v << (size - r))) & m;
      const cf = kind === 0 ? res & 1 : (res >>> top) & 1;
      const of = kind === 0 ? ((res >>> top) & 1) ^ cf : ((res >>> top) ^ (res >>> (top - 1))) & 1;
      lf.materialize();
      lf.flags = (lf.flags & ~(CF | OF)) | cf | (of << 11);
      return res;
    }
    case 2: case 3: { // RCL, RCR
      const r = size === 32 ? n : n % (size + 1);
      if (r === 0) return v;
      let c = lf.cf(), res = v;
      for (let i = 0; i < r; i++) {
        if (kind === 2) { const out = (res >>> top) & 1; res = ((res << 1) | c) & m; c = out; }
        else { const out = res & 1; res = ((res >>> 1) | (c << top)) & m; c = out; }
      }
      const of = ((v ^ res) >>> top) & 1;
      lf.materialize();
      lf.flags = (lf.flags & ~(CF | OF)) | c | (of << 11);
      return res;
    }
    case 4: case 6: { // SHL/SAL
      const src = v << (n - 1);
      const res = (src << 1) & m;
      lf.set(LAZY_SHL, src, 0, res, size);
      return res;
    }
    case 5: { // SHR
      const src = v >>> (n - 1);
      const res = src >>> 1;
      lf.set(LAZY_SHR, src, 0, res, size);
      return res;
    }
    default: { // SAR
      const sv = (v << (32 - size)) >> (32 - size);
      const src = sv >> (n - 1);
      const res = (src >> 1) & m;
      lf.set(LAZY_SAR, src, 0, res, size);
      return res;
    }
  }
}

/** SHLD/SHRD: `dest` shifted with bits from `src` (16-bit counts > 16 use Intel's A:B:A). */
function doubleShift(cpu: Cpu, left: boolean, dest: number, src: number, count: number, size: number): number {
  const n = count & 31;
  if (n === 0) return dest;
  const m = size === 32 ? 0xffffffffn : 0xffffn;
  const bits = BigInt(size);
  const d = BigInt(dest) & m, sv = BigInt(src) & m;
  const k = BigInt(n);
  let res: bigint, last: bigint;
  if (left) {
    const wide = size === 32 ? (d << 32n) | sv : (d << 32n) | (sv << 16n) | d;
    const width = size === 32 ? 64n : 48n;
    const mw = (1n << width) - 1n;
    const shifted = (wide << k) & mw;
    res = (shifted >> (width - bits)) & m;
    last = ((wide << (k - 1n)) & mw) >> (width - bits);
  } else {
    const wide = size === 32 ? (sv << 32n) | d : (d << 32n) | (sv << 16n) | d;
    res = (wide >> k) & m;
    last = (wide >> (k - 1n)) & m;
  }
  const top = BigInt(size - 1);
  const cf = Number(left ? (last >> top) & 1n : last & 1n);
  const of = Number(((last ^ res) >> top) & 1n);
  const r = Number(res) | 0;
  cpu.lf.setExplicit(CF | OF | AF, cf | (of << 11), r, size, SF | ZF | PF);
  return r;
}

export function registerShift(h: Handler[]): void {
  const group2 = (byte: boolean, countOf: (cpu: Cpu, s: number) => number): Handler => (cpu, s) => {
    const size = byte ? 8 : opSize(cpu, s);
    const count = countOf(cpu, s) & 31;
    const v = rmwRead(cpu, s, size);
    if (count === 0) return;
    rmwWrite(cpu, s, size, shift(cpu, cpu.dc.reg[s]!, v, count, size));
  };
  const imm = (cpu: Cpu, s: number): number => cpu.dc.imm[s]!;
  const one = (): number => 1;
  const cl = (cpu: Cpu): number => cpu.regs[ECX]! & 0xff;
  h[0xc0] = group2(true, imm); h[0xc1] = group2(false, imm);
  h[0xd0] = group2(true, one); h[0xd1] = group2(false, one);
  h[0xd2] = group2(true, cl); h[0xd3] = group2(false, cl);
  const dbl = (left: boolean, countOf: (cpu: Cpu, s: number) => number): Handler => (cpu, s) => {
    const size = opSize(cpu, s);
    const count = countOf(cpu, s) & 31;
    const v = rmwRead(cpu, s, size);
    if (count === 0) return;
    rmwWrite(cpu, s, size, doubleShift(cpu, left, v, getReg(cpu, cpu.dc.reg[s]!, size), count, size));
  };
  h[0x1a4] = dbl(true, imm); h[0x1a5] = dbl(true, cl);
  h[0x1ac] = dbl(false, imm); h[0x1ad] = dbl(false, cl);
}
