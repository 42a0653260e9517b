/**
 * The decoder and its decoded-instruction cache.
 *
 * Each instruction is decoded once into a slot of the struct-of-arrays below
 * and found again through a per-physical-page map (offset -> slot). Prefixes,
 * operand and address size, the effective segment, ModRM/SIB and immediates
 * are all resolved at decode time, so execution reads a few typed arrays.
 * A write to a frame holding decoded code drops that frame's map (RAM calls
 * `invalidateFrame`), which is how self-modifying code, DMA and the
 * hypervisor's writes stay coherent. An instruction that crosses a page
 * boundary is never cached (its bytes span two frames).
 *
 * Slot layout (one index into every array):
 *   op     handler: opcode (0..0xFF) or 0x100|byte for 0F xx; OP_UD for #UD
 *   len    instruction length      mode   CS.D when decoded (re-decode on change)
 *   flags  O32 A32 LOCK REP REPNE MEM   reg/rm  ModRM fields (rm: register form)
 *   seg    effective segment of the memory operand (override or default)
 *   base/index (-1: none), scale, disp   imm, imm2 (ENTER level, far selector)
 * Limits (SDM Vol. 2 §2.3.11): more than 15 bytes is #GP(0).
 */
import { raise } from "./fault.js";
import type { Cpu } from "./cpu.js";
import {
  IMM_AP, IMM_G3, IMM_IB, IMM_IV, IMM_IW, IMM_IWIB, IMM_MO, OP_IMM, OP_MODRM, OP_VALID,
} from "./opcodes.js";
import { CS, DS, EBP, ESP, GP, SS } from "./registers.js";
import type { CompiledBlock } from "../jit/block-compiler.js";

export const OP_UD = 0x200;
export const F_O32 = 1, F_A32 = 2, F_LOCK = 4, F_REP = 8, F_REPNE = 16, F_MEM = 32;

const CAPACITY = 1 << 17;

export class DecodeCache {
  readonly op = new Uint16Array(CAPACITY);
  readonly len = new Uint8Array(CAPACITY);
  readonly mode = new Uint8Array(CAPACITY);
  readonly flags = new Uint8Array(CAPACITY);
  readonly reg = new Uint8Array(CAPACITY);
  readonly rm = new Uint8Array(CAPACITY);
  readonly seg = new Uint8Array(CAPACITY);
  readonly base = new Int8Array(CAPACITY);
  readonly index = new Int8Array(CAPACITY);
  readonly scale = new Uint8Array(CAPACITY);
  readonly disp = new Int32Array(CAPACITY);
  readonly imm = new Int32Array(CAPACITY);
  readonly imm2 = new Int32Array(CAPACITY);
  /** Compiled block starting at each slot (see jit/block-compiler.ts), and how often the slot was entered. */
  readonly blocks: (CompiledBlock | undefined)[] = [];
  readonly heat = new Uint8Array(CAPACITY);
  /** Per physical frame: offset -> slot (0 = not decoded). */
  readonly pages: (Int32Array | undefined)[] = [];
  private next = 1;
  /** Slots decoded since power-on (statistics). */
  decodes = 0;
  flushes = 0;

  constructor(private readonly codePages: Uint8Array) {}

  /** Map of a frame's decoded instructions, created on first use. */
  pageMap(frame: number): Int32Array {
    let map = this.pages[frame];
    if (map === undefined) {
      map = new Int32Array(4096);
      this.pages[frame] = map;
      this.codePages[frame] = 1;
    }
    return map;
  }

  invalidateFrame(frame: number): void {
    this.pages[frame] = undefined;
    this.codePages[frame] = 0;
  }

  /** A fresh slot; when the pool is exhausted every decoded page is dropped. */
  allocSlot(): number {
    this.blocks[this.next] = undefined;
    this.heat[this.next] = 0;
    if (this.next >= CAPACITY) {
      this.flushes++;
      for (let f = 0; f < this.pages.length; f++) if (this.pages[f] !== undefined) this.invalidateFrame(f);
      this.next = 1;
      this.blocks.length = 0;
      this.heat.fill(0);
      return 0; // caller must re-fetch its page map
    }
    return this.next++;
  }
}

/** Scratch slot 0 is used for uncached (page-crossing) decodes. */
export const SCRATCH_SLOT = 0;

// 16-bit addressing forms (SDM Vol. 2 Table 2-1): base, index per rm.
const A16_BASE = [3, 3, 5, 5, 6, 7, 5, 3];
const A16_INDEX = [6, 7, 6, 7, -1, -1, -1, -1];

/**
 * Decode the instruction at linear address `lin` into `slot`.
 * `code32` is CS.D. Faults (#PF on fetch, #GP for length) propagate.
 */
export function decodeInto(cpu: Cpu, dc: DecodeCache, slot: number, lin: number, code32: boolean): void {
  let p = lin;
  let o32 = code32, a32 = code32;
  let seg = -1, lock = false, rep = 0;
  let b = cpu.fetch8(p++);
  // prefixes
  for (;;) {
    if (b === 0x66) o32 = !code32;
    else if (b === 0x67) a32 = !code32;
    else if (b === 0xf0) lock = true;
    else if (b === 0xf3) rep = F_REP;
    else if (b === 0xf2) rep = F_REPNE;
    else if (b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e) seg = (b >> 3) & 3;
    else if (b === 0x64) seg = 4;
    else if (b === 0x65) seg = 5;
    else break;
    if (p - lin >= 15) raise(GP, 0);
    b = cpu.fetch8(p++);
  }
  let op = b;
  if (b === 0x0f) op = 0x100 | cpu.fetch8(p++);
  let flags = (o32 ? F_O32 : 0) | (a32 ? F_A32 : 0) | (lock ? F_LOCK : 0) | rep;
  let reg = 0, rm = 0, base = -1, index = -1, scale = 0, disp = 0, defSeg = DS;
  if (OP_MODRM[op] === 1) {
    const modrm = cpu.fetch8(p++);
    // MOV to/from CR and DR ignore the mod field: always the register form (SDM Vol. 2 MOV—Move to/from Control Registers)
    const mod = op >= 0x120 && op <= 0x123 ? 3 : modrm >> 6;
    reg = (modrm >> 3) & 7;
    rm = modrm & 7;
    if (mod !== 3) {
      flags |= F_MEM;
      if (a32) {
        if (rm === 4) {
          const sib = cpu.fetch8(p++);
          scale = sib >> 6;
          index = (sib >> 3) & 7;
          if (index === 4) index = -1;
          base = sib & 7;
          if (base === 5 && mod === 0) { base = -1; disp = fetch32(cpu, p); p += 4; }
        } else if (rm === 5 && mod === 0) {
          disp = fetch32(cpu, p); p += 4;
        } else {
          base = rm;
        }
        if (base === ESP || base === EBP) defSeg = SS;
        if (mod === 1) { disp = (cpu.fetch8(p++) << 24) >> 24; }
        else if (mod === 2) { disp = fetch32(cpu, p); p += 4; }
      } else {
        if (mod === 0 && rm === 6) {
          disp = cpu.fetch8(p) | (cpu.fetch8(p + 1) << 8); p += 2;
        } else {
          base = A16_BASE[rm]!;
          index = A16_INDEX[rm]!;
          if (rm === 2 || rm === 3 || rm === 6) defSeg = SS;
        }
        if (mod === 1) disp = (cpu.fetch8(p++) << 24) >> 24;
        else if (mod === 2) { disp = ((cpu.fetch8(p) | (cpu.fetch8(p + 1) << 8)) << 16) >> 16; p += 2; }
      }
    }
  }
  let imm = 0, imm2 = 0;
  switch (OP_IMM[op]) {
    case IMM_IB: imm = cpu.fetch8(p++); break;
    case IMM_IW: imm = cpu.fetch8(p) | (cpu.fetch8(p + 1) << 8); p += 2; break;
    case IMM_IV:
      if (o32) { imm = fetch32(cpu, p); p += 4; } else { imm = cpu.fetch8(p) | (cpu.fetch8(p + 1) << 8); p += 2; }
      break;
    case IMM_IWIB: imm = cpu.fetch8(p) | (cpu.fetch8(p + 1) << 8); imm2 = cpu.fetch8(p + 2); p += 3; break;
    case IMM_AP:
      if (o32) { imm = fetch32(cpu, p); p += 4; } else { imm = cpu.fetch8(p) | (cpu.fetch8(p + 1) << 8); p += 2; }
      imm2 = cpu.fetch8(p) | (cpu.fetch8(p + 1) << 8); p += 2;
      break;
    case IMM_MO:
      if (a32) { disp = fetch32(cpu, p); p += 4; } else { disp = cpu.fetch8(p) | (cpu.fetch8(p + 1) << 8); p += 2; }
      flags |= F_MEM;
      break;
    case IMM_G3:
      if (reg < 2) {
        if ((op & 1) === 0) imm = cpu.fetch8(p++);
        else if (o32) { imm = fetch32(cpu, p); p += 4; }
        else { imm = cpu.fetch8(p) | (cpu.fetch8(p + 1) << 8); p += 2; }
      }
      break;
  }
  const len = p - lin;
  if (len > 15) raise(GP, 0);
  if (OP_VALID[op] === 0 || (lock && !lockable(op, reg, (flags & F_MEM) !== 0))) op = OP_UD;
  dc.op[slot] = op;
  dc.len[slot] = len;
  dc.mode[slot] = code32 ? 1 : 0;
  dc.flags[slot] = flags;
  dc.reg[slot] = reg;
  dc.rm[slot] = rm;
  dc.seg[slot] = seg >= 0 ? seg : defSeg;
  dc.base[slot] = base;
  dc.index[slot] = index;
  dc.scale[slot] = scale;
  dc.disp[slot] = disp;
  dc.imm[slot] = imm;
  dc.imm2[slot] = imm2;
  dc.decodes++;
}

/** LOCK is legal only on these read-modify-write forms with a memory destination (SDM Vol. 2 LOCK). */
function lockable(op: number, reg: number, mem: boolean): boolean {
  if (!mem) return false;
  if (op < 0x40) return (op & 7) < 2 && (op >> 3) !== 7;
  switch (op) {
    case 0x80: case 0x81: case 0x82: case 0x83: return reg !== 7;
    case 0x86: case 0x87: return true;
    case 0xf6: case 0xf7: return reg === 2 || reg === 3;
    case 0xfe: case 0xff: return reg < 2;
    case 0x1ab: case 0x1b3: case 0x1bb: case 0x1b0: case 0x1b1: case 0x1c0: case 0x1c1: return true;
    case 0x1ba: return reg >= 5;
    case 0x1c7: return reg === 1;
    default: return false;
  }
}

function fetch32(cpu: Cpu, p: number): number {
  return cpu.fetch8(p) | (cpu.fetch8(p + 1) << 8) | (cpu.fetch8(p + 2) << 16) | (cpu.fetch8(p + 3) << 24);
}

/** Segment register index used when no override is given, for callers outside the decoder. */
export const DEFAULT_CODE_SEG = CS;
