/**
 * JavaScript emitters for the hottest instructions of gcc-compiled code
 * (MOV, LEA, the ALU rows, TEST, INC/DEC, PUSH/POP, MOVZX/MOVSX, Jcc, JMP,
 * CALL). Each returns false when it has no special form, and the compiler
 * then emits a call of the interpreter's handler instead, so every emitted
 * instruction behaves exactly as the interpreter's.
 *
 * A flag-setting instruction records itself as the `producer`; a following
 * Jcc in the same block tests the producer's operands directly (the fusion
 * v86 also does) instead of computing flags lazily. Lazy-flag state is still
 * written, so flags are exact after the block.
 */
import type { Cpu } from "../cpu/cpu.js";
import { F_A32, F_LOCK, F_MEM, F_O32 } from "../cpu/decoder.js";
import { reg8Offset } from "../cpu/registers.js";
import { LAZY_ADD, LAZY_LOGIC, LAZY_MUL, LAZY_SAR, LAZY_SHL, LAZY_SHR, LAZY_SUB } from "../cpu/lazy-flags.js";

export interface Producer {
  kind: number; // LAZY_ADD, LAZY_SUB or LAZY_LOGIC
  a: string;
  b: string;
  res: string;
  size: number;
}

export interface EmitContext {
  cpu: Cpu;
  lines: string[];
  producer: Producer | null;
  temp: number;
  /** EIP of the block's first instruction, its instruction count, and this instruction's index. */
  blockEip: number;
  count: number;
  index: number;
  /** Set when the block jumps back to its own start (it then loops inside). */
  loops: boolean;
  /** JavaScript condition under which a looping block may run one more pass. */
  loopCondition: string;
  /** The current instruction's flags are overwritten before anyone can see them. */
  flagsDead: boolean;
  /** The current instruction is a Jcc the block follows when taken (block-compiler.ts). */
  follow: boolean;
}

/** Results of `emitInstruction`. */
export const NOT_EMITTED = 0, EMITTED_MAY_FAULT = 1, EMITTED_NO_FAULT = 2;

const MASK: Record<number, string> = { 8: "0xff", 16: "0xffff", 32: "-1" };

function temp(ctx: EmitContext): string {
  return `t${ctx.temp++}`;
}

function eaExpr(ctx: EmitContext, s: number): string {
  const dc = ctx.cpu.dc;
  const parts: string[] = [];
  const base = dc.base[s]!, index = dc.index[s]!, disp = dc.disp[s]!;
  if (base >= 0) parts.push(`r[${base}]`);
  if (index >= 0) parts.push(dc.scale[s] ? `(r[${index}] << ${dc.scale[s]})` : `r[${index}]`);
  if (disp !== 0 || parts.length === 0) parts.push(String(disp));
  const sum = parts.join(" + ");
  return (dc.flags[s]! & F_A32) !== 0 ? (parts.length === 1 && base < 0 && index < 0 ? String(disp | 0) : `((${sum}) | 0)`) : `((${sum}) & 0xffff)`;
}

function regRead(r: number, size: number): string {
  return size === 32 ? `r[${r}]` : size === 16 ? `r16[${r << 1}]` : `r8[${reg8Offset(r)}]`;
}

function regWrite(r: number, size: number, v: string): string {
  return size === 32 ? `r[${r}] = ${v};` : size === 16 ? `r16[${r << 1}] = ${v};` : `r8[${reg8Offset(r)}] = ${v};`;
}

function memRead(seg: number, at: string, size: number): string {
  return `cpu.read${size}(${seg}, ${at})`;
}

function memWrite(seg: number, at: string, size: number, v: string): string {
  return `cpu.write${size}(${seg}, ${at}, ${v});`;
}

/** Expression computing an ALU result; sets `producer`. k: 0 ADD 1 OR 4 AND 5 SUB 6 XOR 7 CMP. */
function aluCode(ctx: EmitContext, k: number, a: string, b: string, res: string, size: number): string | null {
  let expr: string, kind: number;
  switch (k) {
    case 0: expr = `(${a} + ${b}) | 0`; kind = LAZY_ADD; break;
    case 1: expr = `${a} | ${b}`; kind = LAZY_LOGIC; break;
    case 4: expr = `${a} & ${b}`; kind = LAZY_LOGIC; break;
    case 5: case 7: expr = `(${a} - ${b}) | 0`; kind = LAZY_SUB; break;
    case 6: expr = `${a} ^ ${b}`; kind = LAZY_LOGIC; break;
    default: return null; // ADC, SBB read CF: the handler does them
  }
  ctx.producer = { kind, a, b, res, size };
  // flags no one can observe (overwritten in this block before any reader, exit or possible fault) are not recorded
  if (ctx.flagsDead) return `${res} = ${expr};`;
  return `${res} = ${expr}; lf.set(${kind}, ${a}, ${b}, ${res}, ${size});`;
}

/**
 * How an instruction (as the emitters handle it) uses the arithmetic flags:
 * WRITES_ALL sets all six from its own result and reads none; NONE neither
 * reads nor writes them and cannot fault; anything else counts as a use
 * (a reader, an exit, a handler call, or an instruction that may fault and
 * so expose EFLAGS to an exception handler).
 */
export const FLAGS_USE = 0, FLAGS_WRITES_ALL = 1, FLAGS_NONE = 2;

export function flagsEffect(cpu: Cpu, s: number): number {
  const dc = cpu.dc;
  const op = dc.op[s]!, flags = dc.flags[s]!, reg = dc.reg[s]!;
  if ((flags & (F_LOCK | F_MEM)) !== 0) return op === 0x8d ? FLAGS_NONE : FLAGS_USE;
  if (op < 0x40 && (op & 7) < 6) return (op >> 3) === 2 || (op >> 3) === 3 ? FLAGS_USE : FLAGS_WRITES_ALL;
  if (op === 0x80 || op === 0x81 || op === 0x83) return reg === 2 || reg === 3 ? FLAGS_USE : FLAGS_WRITES_ALL;
  if (op === 0x84 || op === 0x85) return FLAGS_WRITES_ALL;
  if ((op === 0x1af || op === 0x69 || op === 0x6b) && (flags & F_O32) !== 0) return FLAGS_WRITES_ALL;
  if (((op === 0xc1 && (dc.imm[s]! & 31) !== 0) || op === 0xd1) && reg >= 4) return FLAGS_WRITES_ALL;
  if ((op >= 0x88 && op <= 0x8b) || (op >= 0xb0 && op <= 0xbf) || op === 0x8d || op === 0x90 || op === 0x11f) return FLAGS_NONE;
  if (op === 0xc6 || op === 0xc7) return reg === 0 ? FLAGS_NONE : FLAGS_USE;
  if (op >= 0x1b6 && op <= 0x1bf && (op & 7) >= 6) return FLAGS_NONE; // MOVZX/MOVSX
  return FLAGS_USE;
}

/** A condition from the producer, or null when it needs the general path. */
function fusedCondition(p: Producer, c: number): string | null {
  const m = MASK[p.size]!;
  const sh = 32 - p.size;
  const zero = p.size === 32 ? `${p.res} === 0` : `(${p.res} & ${m}) === 0`;
  const sign = `((${p.res} >>> ${p.size - 1}) & 1) !== 0`;
  const sx = (v: string): string => (sh === 0 ? `(${v} | 0)` : `((${v} << ${sh}) >> ${sh})`);
  const ux = (v: string): string => (p.size === 32 ? `(${v} >>> 0)` : `(${v} & ${m})`);
  let t: string | null = null;
  const base = c & ~1;
  if (p.kind === LAZY_SUB) {
    switch (base) {
      case 2: t = `${ux(p.a)} < ${ux(p.b)}`; break;
      case 4: t = zero; break;
      case 6: t = `${ux(p.a)} <= ${ux(p.b)}`; break;
      case 8: t = sign; break;
      case 12: t = `${sx(p.a)} < ${sx(p.b)}`; break;
      case 14: t = `${sx(p.a)} <= ${sx(p.b)}`; break;
      default: return null;
    }
  } else if (p.kind === LAZY_LOGIC) {
    switch (base) {
      case 0: case 2: t = "false"; break;
      case 4: t = zero; break;
      case 6: t = zero; break;
      case 8: case 12: t = sign; break;
      case 14: t = `(${zero}) || (${sign})`; break;
      default: return null;
    }
  } else {
    switch (base) {
      case 4: t = zero; break;
      case 8: t = sign; break;
      default: return null;
    }
  }
  return (c & 1) !== 0 ? `!(${t})` : `(${t})`;
}

const GENERAL_CONDITION = [
  "lf.of() !== 0", "lf.cf() !== 0", "lf.zf() !== 0", "(lf.cf() | lf.zf()) !== 0",
  "lf.sf() !== 0", "lf.pf() !== 0", "(lf.sf() !== 0) !== (lf.of() !== 0)",
  "lf.zf() !== 0 || (lf.sf() !== 0) !== (lf.of() !== 0)",
];

function condition(ctx: EmitContext, c: number): string {
  const fused = ctx.producer !== null ? fusedCondition(ctx.producer, c) : null;
  if (fused !== null) return fused;
  const t = GENERAL_CONDITION[c >> 1]!;
  return (c & 1) !== 0 ? `!(${t})` : `(${t})`;
}

/**
 * Emit slot `s` (at `eip`, next instruction at `next`). `ender`: the block
 * ends with this instruction (the emitter must set cpu.eip and return).
 */
export function emitInstruction(
  ctx: EmitContext, s: number, eip: number, next: number, ender: boolean, last: boolean,
): number {
  const done = emit(ctx, s, eip, next, ender, last);
  if (done === false) return NOT_EMITTED;
  const dc = ctx.cpu.dc;
  const op = dc.op[s]!;
  if (op === 0x8d || op === 0x11f) return EMITTED_NO_FAULT; // LEA and NOP Ev compute no access
  if (ender || (dc.flags[s]! & F_MEM) !== 0 || !REGISTER_SAFE(op, dc.reg[s]!)) return EMITTED_MAY_FAULT;
  return EMITTED_NO_FAULT;
}

/** Register-form instructions that cannot fault (no memory, no stack, no #DE). */
function REGISTER_SAFE(op: number, reg: number): boolean {
  if (op < 0x40) return true; // ALU rows in register/immediate forms
  if (op >= 0x40 && op <= 0x4f) return true;
  if (op >= 0xb0 && op <= 0xbf) return true;
  if (op >= 0x140 && op <= 0x14f) return true;
  if (op >= 0x190 && op <= 0x19f) return true;
  switch (op) {
    case 0x80: case 0x81: case 0x83: case 0x84: case 0x85: case 0x88: case 0x89: case 0x8a: case 0x8b:
    case 0x8d: case 0x90: case 0xc6: case 0xc7: case 0x1af: case 0x69: case 0x6b:
    case 0x1b6: case 0x1b7: case 0x1be: case 0x1bf:
      return true;
    case 0xc1: case 0xd1: case 0xd3:
      return reg >= 4;
    default:
      return false;
  }
}

function emit(ctx: EmitContext, s: number, eip: number, next: number, ender: boolean, last: boolean): boolean {
  const dc = ctx.cpu.dc;
  const op = dc.op[s]!, flags = dc.flags[s]!;
  if ((flags & F_LOCK) !== 0) return false;
  const mem = (flags & F_MEM) !== 0;
  const size = (flags & F_O32) !== 0 ? 32 : 16;
  const reg = dc.reg[s]!, rm = dc.rm[s]!, seg = dc.seg[s]!, imm = dc.imm[s]!;
  const L = ctx.lines;
  const o16 = (flags & F_O32) === 0;
  if (ender) {
    const cs = "cpu.segLimit[1]";
    const done = ctx.index + 1; // instructions of this pass completed once this one is
    const marker = `cpu.startEip = ${eip}; cpu.blockIndex = ${ctx.index};`;
    const fallback = `{ ${marker} cpu.eip = ${next}; H[${op}](cpu, ${s}); return n + ${done}; }`;
    const jump = (rel: number): string => {
      const to = o16 ? (next + rel) & 0xffff : (next + rel) | 0;
      if (to === ctx.blockEip) {
        // back to this block's start: loop inside while the budget lasts
        ctx.loops = true;
        return `{ n += ${done}; if (${ctx.loopCondition}) continue; cpu.eip = ${to}; return n; }`;
      }
      return `{ if (${to >>> 0} > ${cs}) ${fallback} cpu.eip = ${to}; return n + ${done}; }`;
    };
    if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)) {
      const c = op & 0xf;
      const rel = op < 0x100 ? (imm << 24) >> 24 : imm;
      if (ctx.follow) {
        // predicted taken: the block goes on at the target; not taken leaves it
        L.push(`if (!(${condition(ctx, c)})) { cpu.eip = ${next}; return n + ${done}; }`);
        L.push(`if (${((next + rel) | 0) >>> 0} > ${cs}) ${fallback}`);
        return true;
      }
      L.push(`if (${condition(ctx, c)}) ${jump(rel)}`);
      // not taken: the block goes on (or ends here when this is its last instruction)
      if (last) L.push(`cpu.eip = ${next}; return n + ${done};`);
      return true;
    }
    if (op === 0xe8) {
      const target = o16 ? (next + imm) & 0xffff : (next + imm) | 0;
      L.push(`if (${target >>> 0} > ${cs}) ${fallback}`);
      L.push(`${marker} X.push(cpu, ${next}, ${size}); cpu.eip = ${target}; return n + ${done};`);
      return true;
    }
    if (op === 0xeb || op === 0xe9) {
      L.push(jump(op === 0xeb ? (imm << 24) >> 24 : imm));
      return true;
    }
    // INT n and IRET: their functions directly, without the handler's decoding of the slot
    if (op === 0xcd) {
      L.push(`${marker} cpu.eip = ${next}; X.softwareInterrupt(cpu, ${imm & 0xff}); return n + ${done};`);
      return true;
    }
    if (op === 0xcf) {
      L.push(`${marker} cpu.eip = ${next}; X.iret(cpu, ${!o16}); return n + ${done};`);
      return true;
    }
    return false;
  }
  switch (op) {
    case 0x88: case 0x89: case 0x8a: case 0x8b: {
      const z = (op & 1) === 0 ? 8 : size;
      const toRm = op < 0x8a;
      if (!mem) {
        L.push(toRm ? regWrite(rm, z, regRead(reg, z)) : regWrite(reg, z, regRead(rm, z)));
      } else {
        L.push(toRm ? memWrite(seg, eaExpr(ctx, s), z, regRead(reg, z)) : regWrite(reg, z, memRead(seg, eaExpr(ctx, s), z)));
      }
      return true;
    }
    case 0xc6: case 0xc7: {
      if (reg !== 0) return false;
      const z = op === 0xc6 ? 8 : size;
      L.push(mem ? memWrite(seg, eaExpr(ctx, s), z, String(imm)) : regWrite(rm, z, String(imm)));
      return true;
    }
    case 0x8d:
      if (!mem) return false;
      L.push(regWrite(reg, size, eaExpr(ctx, s)));
      return true;
    case 0x90: case 0x11f:
      return true;
    case 0x1b6: case 0x1b7: case 0x1be: case 0x1bf: {
      const from = (op & 1) === 0 ? 8 : 16;
      const src = mem ? memRead(seg, eaExpr(ctx, s), from) : regRead(rm, from);
      const v = op < 0x1be ? src : from === 8 ? `((${src} << 24) >> 24)` : `((${src} << 16) >> 16)`;
      L.push(regWrite(reg, size, v));
      return true;
    }
    default:
      break;
  }
  if (op >= 0xb0 && op <= 0xbf) {
    L.push(op < 0xb8 ? regWrite(op & 7, 8, String(imm & 0xff)) : regWrite(op & 7, size, String(imm)));
    return true;
  }
  if (op < 0x40 && (op & 7) < 6) {
    const k = op >> 3, form = op & 7;
    if (k === 2 || k === 3) return false;
    const z = form === 0 || form === 2 || form === 4 ? 8 : size;
    const a = temp(ctx), b = temp(ctx), res = temp(ctx);
    if (form === 4 || form === 5) {
      L.push(`${a} = ${regRead(0, z)}; ${b} = ${z === 8 ? imm & 0xff : imm};`);
      L.push(aluCode(ctx, k, a, b, res, z)!);
      if (k !== 7) L.push(regWrite(0, z, res));
      return true;
    }
    if (form === 2 || form === 3 || !mem) {
      const dst = form >= 2 ? reg : rm, src = form >= 2 ? rm : reg;
      const srcRead = form >= 2 && mem ? memRead(seg, eaExpr(ctx, s), z) : regRead(src, z);
      L.push(`${a} = ${regRead(dst, z)}; ${b} = ${srcRead};`);
      L.push(aluCode(ctx, k, a, b, res, z)!);
      if (k !== 7) L.push(regWrite(dst, z, res));
      return true;
    }
    const at = temp(ctx);
    L.push(`${at} = ${eaExpr(ctx, s)}; ${a} = ${memRead(seg, at, z)}; ${b} = ${regRead(reg, z)};`);
    L.push(aluCode(ctx, k, a, b, res, z)!);
    if (k !== 7) L.push(memWrite(seg, at, z, res));
    return true;
  }
  if (op === 0x80 || op === 0x81 || op === 0x83) {
    if (reg === 2 || reg === 3) return false;
    const z = op === 0x80 ? 8 : size;
    const value = op === 0x83 ? (imm << 24) >> 24 : op === 0x80 ? imm & 0xff : imm;
    const a = temp(ctx), res = temp(ctx);
    if (!mem) {
      L.push(`${a} = ${regRead(rm, z)};`);
      L.push(aluCode(ctx, reg, a, String(value), res, z)!);
      if (reg !== 7) L.push(regWrite(rm, z, res));
    } else {
      const at = temp(ctx);
      L.push(`${at} = ${eaExpr(ctx, s)}; ${a} = ${memRead(seg, at, z)};`);
      L.push(aluCode(ctx, reg, a, String(value), res, z)!);
      if (reg !== 7) L.push(memWrite(seg, at, z, res));
    }
    return true;
  }
  if (op === 0x84 || op === 0x85) {
    const z = op === 0x84 ? 8 : size;
    const a = temp(ctx), b = temp(ctx), res = temp(ctx);
    L.push(`${a} = ${mem ? memRead(seg, eaExpr(ctx, s), z) : regRead(rm, z)}; ${b} = ${regRead(reg, z)};`);
    L.push(aluCode(ctx, 4, a, b, res, z)!);
    return true;
  }
  if (op >= 0x50 && op <= 0x57) {
    L.push(`X.push(cpu, ${regRead(op & 7, size)}, ${size});`);
    return true;
  }
  if (op >= 0x58 && op <= 0x5f) {
    const v = temp(ctx);
    L.push(`${v} = X.pop(cpu, ${size}); ${regWrite(op & 7, size, v)}`);
    return true;
  }
  if (op === 0x68 || op === 0x6a) {
    L.push(`X.push(cpu, ${op === 0x6a ? (imm << 24) >> 24 : imm}, ${size});`);
    return true;
  }
  if (op >= 0x190 && op <= 0x19f) {
    const c = `(${condition(ctx, op & 0xf)} ? 1 : 0)`;
    L.push(mem ? memWrite(seg, eaExpr(ctx, s), 8, c) : regWrite(rm, 8, c));
    return true;
  }
  if (op >= 0x140 && op <= 0x14f) {
    const v = temp(ctx);
    L.push(`${v} = ${mem ? memRead(seg, eaExpr(ctx, s), size) : regRead(rm, size)};`);
    L.push(`if (${condition(ctx, op & 0xf)}) ${regWrite(reg, size, v)}`);
    return true;
  }
  if ((op === 0x1af || op === 0x69 || op === 0x6b) && size === 32) {
    const a = temp(ctx), b = temp(ctx), res = temp(ctx);
    const src = mem ? memRead(seg, eaExpr(ctx, s), 32) : regRead(rm, 32);
    if (op === 0x1af) L.push(`${a} = ${regRead(reg, 32)}; ${b} = ${src};`);
    else L.push(`${a} = ${src}; ${b} = ${op === 0x6b ? (imm << 24) >> 24 : imm};`);
    L.push(ctx.flagsDead ? `${res} = Math.imul(${a}, ${b});`
      : `${res} = Math.imul(${a}, ${b}); lf.set(${LAZY_MUL}, 0, X.smulHigh(${a}, ${b}) !== (${res} >> 31) ? 1 : 0, ${res}, 32);`);
    L.push(regWrite(reg, 32, res));
    ctx.producer = null;
    return true;
  }
  if ((op === 0xc1 || op === 0xd1 || op === 0xd3) && reg >= 4) {
    // SHL/SHR/SAR (4/6 SHL, 5 SHR, 7 SAR): counts from imm8, 1 or CL, masked to 5 bits
    const z = size;
    const m = MASK[z]!;
    const n = temp(ctx), v = temp(ctx), src = temp(ctx), res = temp(ctx), at = temp(ctx);
    L.push(`${n} = ${op === 0xc1 ? imm & 31 : op === 0xd1 ? 1 : "r[1] & 31"};`);
    L.push(mem ? `${at} = ${eaExpr(ctx, s)}; ${v} = ${memRead(seg, at, z)};` : `${v} = ${regRead(rm, z)};`);
    let body: string;
    const sh = 32 - z;
    if (reg === 5) body = `${src} = (${v} & ${m}) >>> (${n} - 1); ${res} = ${src} >>> 1; lf.set(${LAZY_SHR}, ${src}, 0, ${res}, ${z});`;
    else if (reg === 7) body = `${src} = ${sh ? `((${v} << ${sh}) >> ${sh})` : v} >> (${n} - 1); ${res} = (${src} >> 1) & ${m}; lf.set(${LAZY_SAR}, ${src}, 0, ${res}, ${z});`;
    else body = `${src} = (${v} & ${m}) << (${n} - 1); ${res} = (${src} << 1) & ${m}; lf.set(${LAZY_SHL}, ${src}, 0, ${res}, ${z});`;
    if (ctx.flagsDead) body = body.replace(/ lf\.set\([^)]*\);/, "");
    const write = mem ? memWrite(seg, at, z, res) : regWrite(rm, z, res);
    L.push(`if (${n} !== 0) { ${body} ${write} }`);
    ctx.producer = null;
    return true;
  }
  if (op >= 0x40 && op <= 0x4f) {
    const r = op & 7, a = temp(ctx), res = temp(ctx);
    const dec = op >= 0x48;
    L.push(`${a} = ${regRead(r, size)}; ${res} = (${a} ${dec ? "-" : "+"} 1) | 0; lf.setKeepCarry(${dec ? LAZY_SUB : LAZY_ADD}, ${a}, ${res}, ${size});`);
    L.push(regWrite(r, size, res));
    ctx.producer = { kind: dec ? LAZY_SUB : LAZY_ADD, a, b: "1", res, size };
    if (dec) ctx.producer = null; // CF is not from this subtraction
    return true;
  }
  return false;
}
