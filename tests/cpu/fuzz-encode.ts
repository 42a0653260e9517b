/**
 * Byte-level encoding for the randomized tester: a seeded PRNG, ModRM/SIB
 * memory operands that land in the scratch buffer, and the MOV/PUSH
 * "setup" instructions that pin the registers an address depends on.
 *
 * ModRM (SDM Vol. 2A §2.1.5, Tables 2-1 and 2-2):
 *
 *     7  6 5   3 2  0          SIB: 7  6 5     3 2    0
 *    +----+-----+----+             +-----+-------+------+
 *    | mod| reg | rm |             |scale| index | base |
 *    +----+-----+----+             +-----+-------+------+
 *
 * 32-bit addressing: rm=100 means a SIB follows; mod=00 rm=101 is disp32;
 * SIB base=101 with mod=00 is disp32 with no base; index=100 is no index.
 * 16-bit addressing (0x67): rm selects [BX+SI] [BX+DI] [BP+SI] [BP+DI] [SI]
 * [DI] [BP] [BX]; mod=00 rm=110 is disp16. Effective addresses wrap at
 * 2^32 (2^16 with 0x67), which the register values below exploit: a random
 * index plus a base chosen so that the sum lands on the target.
 */
import { EBP, ESP, REG32 } from "./fuzz-layout.js";
import type { Insn } from "./fuzz-case.js";

/** mulberry32: small, fast, good enough, and the same on every host. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  below(n: number): number {
    return this.next() % n;
  }
  chance(p: number): boolean {
    return this.next() < p * 0x100000000;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.below(a.length)]!;
  }
  /** A 32-bit value biased towards the edges arithmetic gets wrong. */
  value(): number {
    switch (this.below(8)) {
      case 0: return this.below(17);
      case 1: return (this.pick([0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff]) + this.below(3) - 1) >>> 0;
      case 2: return (-this.below(17)) >>> 0;
      case 3: return this.next() & 0xff;
      case 4: return this.next() & 0xffff;
      default: return this.next();
    }
  }
}

const le = (v: number, n: number): number[] => Array.from({ length: n }, (_, i) => (v >>> (8 * i)) & 0xff);
export const imm = le;

/** MOV r32, imm32 (B8+r id). */
export function movImm(reg: number, v: number): Insn {
  return { bytes: [0xb8 + reg, ...le(v >>> 0, 4)], text: `mov ${REG32[reg]}, 0x${(v >>> 0).toString(16)}`, sem: { mnem: "mov", size: 32 }, setup: true };
}

/** MOV CL, imm8 (B1 ib): shift counts the host knows. */
export function movCl(v: number): Insn {
  return { bytes: [0xb1, v & 0xff], text: `mov cl, 0x${(v & 0xff).toString(16)}`, sem: { mnem: "mov", size: 8 }, setup: true };
}

/** PUSH imm (68 iw/id): the value a following POPF loads. */
export function pushImm(v: number, o16: boolean): Insn {
  return o16
    ? { bytes: [0x66, 0x68, ...le(v, 2)], text: `push word 0x${(v & 0xffff).toString(16)}`, sem: { mnem: "push", size: 16 }, setup: true }
    : { bytes: [0x68, ...le(v >>> 0, 4)], text: `push dword 0x${(v >>> 0).toString(16)}`, sem: { mnem: "push", size: 32 }, setup: true };
}

/** A memory operand: ModRM (reg field 0, to be or-ed in), SIB, displacement, and register setups. */
export interface MemOperand {
  modrm: number[];
  setups: Insn[];
  text: string;
}

const GPRS = [0, 1, 2, 3, 5, 6, 7]; // never ESP

function free(rng: Rng, avoid: number): number | null {
  const ok = GPRS.filter((r) => !(avoid & (1 << r)));
  return ok.length ? rng.pick(ok) : null;
}

/** A 32-bit-addressing operand whose effective address is `target`; never uses registers in `avoid`. */
export function mem32(rng: Rng, target: number, avoid: number): MemOperand {
  const t = target >>> 0;
  const mode = rng.below(6);
  const base = free(rng, avoid);
  const index = base === null ? null : free(rng, avoid | (1 << base));
  if (mode === 0 || base === null) return { modrm: [0x05, ...le(t, 4)], setups: [], text: `[0x${t.toString(16)}]` };
  const scale = rng.below(4);
  if (mode === 1 && index !== null) {
    // SIB, no base: [index*2^s + disp32]
    const v = rng.value();
    const disp = (t - Math.imul(v, 1 << scale)) >>> 0;
    return { modrm: [0x04, (scale << 6) | (index << 3) | 5, ...le(disp, 4)], setups: [movImm(index, v)], text: `[${REG32[index]}*${1 << scale}+disp32]` };
  }
  let mod = rng.below(3);
  if (mod === 0 && base === EBP) mod = 1;
  const disp = mod === 0 ? 0 : mod === 1 ? ((rng.next() & 0xff) << 24) >> 24 : rng.next() | 0;
  const dispBytes = mod === 0 ? [] : mod === 1 ? le(disp, 1) : le(disp, 4);
  const dispText = mod === 0 ? "" : mod === 1 ? "+disp8" : "+disp32";
  if (mode >= 4 && index !== null) {
    // SIB, base + index*2^s + disp
    const v = rng.value();
    const b = (t - disp - Math.imul(v, 1 << scale)) >>> 0;
    return {
      modrm: [(mod << 6) | 4, (scale << 6) | (index << 3) | base, ...dispBytes],
      setups: [movImm(index, v), movImm(base, b)],
      text: `[${REG32[base]}+${REG32[index]}*${1 << scale}${dispText}]`,
    };
  }
  const b = (t - disp) >>> 0;
  const viaSib = mode === 3;
  return {
    modrm: viaSib ? [(mod << 6) | 4, (rng.below(4) << 6) | (ESP << 3) | base, ...dispBytes] : [(mod << 6) | base, ...dispBytes],
    setups: [movImm(base, b)],
    text: `[${REG32[base]}${dispText}${viaSib ? " (sib)" : ""}]`,
  };
}

/** [ESP + index*2^s + disp32] = target, with ESP first set to `esp` (a case-stack address). */
export function memEsp(rng: Rng, target: number, esp: number, avoid: number): MemOperand {
  const setups = [movImm(ESP, esp)];
  const index = rng.chance(0.5) ? free(rng, avoid) : null;
  const scale = rng.below(4);
  let rest = (target - esp) >>> 0;
  if (index !== null) {
    const v = rng.value();
    setups.push(movImm(index, v));
    rest = (rest - Math.imul(v, 1 << scale)) >>> 0;
  }
  return {
    modrm: [0x84, (scale << 6) | ((index ?? ESP) << 3) | ESP, ...le(rest, 4)],
    setups,
    text: `[esp${index !== null ? `+${REG32[index]}*${1 << scale}` : ""}+disp32]`,
  };
}

/** 16-bit addressing registers of each rm (Table 2-1): BX=3 SI=6 BP=5 DI=7. */
const RM16: number[][] = [[3, 6], [3, 7], [5, 6], [5, 7], [6], [7], [5], [3]];
const RM16_TEXT = ["bx+si", "bx+di", "bp+si", "bp+di", "si", "di", "bp", "bx"];

/** A 16-bit-addressing (0x67) operand for `target` (< 64 KiB); registers keep random upper halves. */
export function mem16(rng: Rng, target: number, avoid: number): MemOperand {
  const rms = [0, 1, 2, 3, 4, 5, 6, 7].filter((rm) => RM16[rm]!.every((r) => !(avoid & (1 << r))));
  if (rng.chance(0.25) || rms.length === 0) return { modrm: [0x06, ...le(target, 2)], setups: [], text: `[0x${target.toString(16)}] (a16)` };
  const rm = rng.pick(rms);
  let mod = rng.below(3);
  if (mod === 0 && rm === 6) mod = 1;
  const disp = mod === 0 ? 0 : mod === 1 ? ((rng.next() & 0xff) << 24) >> 24 : rng.next() & 0xffff;
  const regs = RM16[rm]!;
  const setups: Insn[] = [];
  let rest = (target - disp) & 0xffff;
  if (regs.length === 2) {
    const idx = rng.next() & 0xffff;
    setups.push(movImm(regs[1]!, ((rng.next() & 0xffff0000) | idx) >>> 0));
    rest = (rest - idx) & 0xffff;
  }
  setups.push(movImm(regs[0]!, ((rng.next() & 0xffff0000) | rest) >>> 0));
  return {
    modrm: [(mod << 6) | rm, ...(mod === 0 ? [] : mod === 1 ? le(disp, 1) : le(disp, 2))],
    setups,
    text: `[${RM16_TEXT[rm]}${mod === 0 ? "" : mod === 1 ? "+disp8" : "+disp16"}] (a16)`,
  };
}

/** A ModRM with any mod/rm/SIB/displacement and no setup: for LEA, which computes but never accesses. */
export function anyModrm(rng: Rng, a16: boolean): number[] {
  const mod = rng.below(3);
  const rm = rng.below(8);
  const out = [(mod << 6) | rm];
  if (a16) {
    if (mod === 1) out.push(rng.next() & 0xff);
    if (mod === 2 || (mod === 0 && rm === 6)) out.push(...le(rng.next(), 2));
    return out;
  }
  if (rm === 4) out.push(rng.next() & 0xff);
  const disp32 = mod === 2 || (mod === 0 && (rm === 5 || (rm === 4 && (out[1]! & 7) === 5)));
  if (mod === 1) out.push(rng.next() & 0xff);
  if (disp32) out.push(...le(rng.value(), 4));
  return out;
}
