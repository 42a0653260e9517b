/**
 * The block compiler: decoded instructions -> one JavaScript function per
 * basic block (a first step toward the JIT that v86-notes.md describes).
 *
 * A block starts at a decoded slot and runs straight-line within one page:
 * plain instructions (plain-ops.ts) are emitted inline when a generator
 * exists, or as a call of the interpreter's handler with their slot; the
 * first non-plain instruction ends the block (EIP set, handler called,
 * return). A Jcc is a side exit; a backward one (a loop's branch) may
 * instead be followed to its target, not taking it being the exit (see
 * isJcc). So a compiled block does exactly what the interpreter would do,
 * instruction by instruction, with fewer dispatches and constants folded.
 *
 * Faults: before each instruction that may fault the block stores its EIP
 * in cpu.startEip, and its index in cpu.blockIndex, so the loop restarts the
 * faulting instruction and charges exactly the instructions completed.
 * Blocks live as long as the page's decoded slots (a write to the page drops
 * them). Generated code uses no allocation per instruction.
 */
import type { Cpu } from "../cpu/cpu.js";
import { F_MEM, F_O32, F_REP, F_REPNE } from "../cpu/decoder.js";
import { HANDLERS } from "../cpu/handler-table.js";
import type { Handler } from "../cpu/handlers.js";
import { isPlain } from "./plain-ops.js";
import { pop, push } from "../cpu/operands.js";
import { smulHigh } from "../cpu/exec-alu.js";
import { iret, softwareInterrupt } from "../cpu/interrupts.js";
import {
  EMITTED_MAY_FAULT, EMITTED_NO_FAULT, FLAGS_USE, FLAGS_WRITES_ALL, NOT_EMITTED, emitInstruction, flagsEffect,
  type EmitContext,
} from "./emitters.js";

export interface CompiledBlock {
  /** EIP of the first instruction (the block is valid only when entered there). */
  readonly eip: number;
  /** EIP just past the block's highest instruction (for the CS limit check at entry). */
  readonly end: number;
  /** Number of instructions in one pass. */
  readonly count: number;
  /**
   * Upper bound of the simulated cycles one pass can take (every
   * instruction's own cost, page walks and the dearest handler extra). The
   * loop enters a block only when this much time is left before the next
   * event, so a compiled block reaches every instruction boundary at the
   * same simulated time as the interpreter would, and events are taken at
   * the same instruction.
   */
  readonly bound: number;
  /**
   * Run the block; a block whose last instruction jumps back to its start
   * loops inside while a further pass still fits before `cpu.blockStop` (a
   * cycle count, kept in a field: a double argument would be boxed on every
   * call). Returns the number of instructions executed; the caller charges
   * their base cost.
   */
  readonly run: (cpu: Cpu) => number;
}

const MAX_INSTRUCTIONS = 48;

type BlockFactory = (handlers: readonly Handler[], helpers: typeof HELPERS) => (cpu: Cpu) => number;

/** Functions generated code may call (passed in as `X`). */
const HELPERS = { push, pop, smulHigh, softwareInterrupt, iret };

interface Planned {
  slot: number;
  eip: number;
  next: number;
  plain: boolean;
  /** A Jcc predicted taken: the block goes on at its target, and not taking it is the side exit. */
  follow: boolean;
}

/**
 * Jcc: a side exit when taken; the block goes on with the fall-through path.
 * A backward Jcc (a loop's branch) to an instruction of the same page that
 * is not yet in the block is predicted taken instead, so that a loop whose
 * head starts another block still runs as one block per iteration.
 */
const isJcc = (op: number): boolean => (op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f);
const jccRel = (op: number, imm: number): number => (op < 0x100 ? (imm << 24) >> 24 : imm);

/**
 * Compile the block starting at `slot` (instruction at `eip`, linear `lin`).
 * `nextSlot(lin)` returns the decoded slot of the instruction at a later
 * linear address in the same page, decoding it if needed, or -1.
 */
export function compileBlock(
  cpu: Cpu, slot: number, eip: number, lin: number, nextSlot: (lin: number) => number,
): CompiledBlock {
  const dc = cpu.dc;
  // pass 1: the instructions of the block
  const plan: Planned[] = [];
  const o16Code = cpu.codeMode === 0;
  let s = slot, e = eip, l = lin;
  for (;;) {
    const op = dc.op[s]!, len = dc.len[s]!, flags = dc.flags[s]!;
    const next = o16Code ? (e + len) & 0xffff : (e + len) | 0;
    const string = op >= 0xa4 && op <= 0xaf && op !== 0xa8 && op !== 0xa9;
    const plain = string ? (flags & (F_REP | F_REPNE)) === 0 : isPlain(op, dc.reg[s]!);
    plan.push({ slot: s, eip: e, next, plain, follow: false });
    if (!plain && !isJcc(op)) break;
    if (isJcc(op) && !o16Code && (flags & F_O32) !== 0 && plan.length < MAX_INSTRUCTIONS) {
      const to = (next + jccRel(op, dc.imm[s]!)) | 0;
      const toLin = (lin + (to - eip)) | 0;
      if (to >>> 0 < e >>> 0 && to !== eip && (toLin >>> 12) === (lin >>> 12) && !plan.some((p) => p.eip === to)) {
        const ts = nextSlot(toLin);
        if (ts > 0) {
          plan[plan.length - 1]!.follow = true;
          e = to; l = toLin; s = ts;
          continue;
        }
      }
    }
    e = next; l = (l + len) | 0;
    if (plan.length >= MAX_INSTRUCTIONS || (l & 0xfff) === 0 || (l >>> 12) !== (lin >>> 12)) break;
    const ns = nextSlot(l);
    if (ns <= 0) break;
    s = ns;
  }
  // pass 2: code
  const count = plan.length;
  const costs = cpu.costs;
  const bound = count * (costs.simple + 4 * costs.pageWalk + Math.max(costs.div, costs.mul, costs.fpu, costs.segmentLoad));
  const lines: string[] = [];
  const ctx: EmitContext = {
    cpu, lines, producer: null, temp: 0, blockEip: eip, count, index: 0, loops: false,
    loopCondition: `cpu.clock.now + (n + ${count}) * ${costs.simple} + ${bound} <= cpu.blockStop`,
    flagsDead: false, follow: false,
  };
  // backward liveness of the arithmetic flags: live at the block's end and at every use
  const dead: boolean[] = new Array<boolean>(count).fill(false);
  let live = true;
  for (let i = count - 1; i >= 0; i--) {
    const p = plan[i]!;
    dead[i] = !live;
    const effect = p.plain ? flagsEffect(cpu, p.slot) : FLAGS_USE;
    if (effect === FLAGS_WRITES_ALL) live = false;
    else if (effect === FLAGS_USE) live = true;
  }
  for (let i = 0; i < count; i++) {
    const p = plan[i]!;
    const op = dc.op[p.slot]!, flags = dc.flags[p.slot]!;
    const marker = `cpu.startEip = ${p.eip}; cpu.blockIndex = ${i};`;
    ctx.index = i;
    ctx.flagsDead = dead[i]!;
    ctx.follow = p.follow;
    const at = lines.length;
    if (!p.plain) {
      const last = i === count - 1;
      if (emitInstruction(ctx, p.slot, p.eip, p.next, true, last) === NOT_EMITTED) {
        // the handler may read the clock (RDTSC, a timer port): it must see the cost of the
        // instructions before it, as in the interpreter; the caller charges them after the block
        const before = `(n + ${i}) * ${costs.simple}`;
        lines.push(`${marker} cpu.eip = ${p.next}; cpu.clock.now += ${before}; try { H[${op}](cpu, ${p.slot}); } finally { cpu.clock.now -= ${before}; } return n + ${i + 1};`);
      }
      if (last) break;
      continue;
    }
    const result = emitInstruction(ctx, p.slot, p.eip, p.next, false, false);
    if (result === NOT_EMITTED) {
      ctx.producer = null;
      lines.push(`${marker} cpu.eip = ${p.next}; H[${op}](cpu, ${p.slot});`);
    } else if (result === EMITTED_MAY_FAULT) {
      lines.splice(at, 0, marker);
    }
    // self-modifying code: a write to this block's own page ends the block at once
    if (result !== EMITTED_NO_FAULT && ((flags & F_MEM) !== 0 || result === NOT_EMITTED || isStackWrite(op))) {
      lines.push(`if (cpu.codeVpn === -1) { cpu.eip = ${p.next}; return n + ${i + 1}; }`);
    }
    if (i === count - 1) lines.push(`cpu.eip = ${p.next}; return n + ${count};`);
  }
  const temps = ctx.temp > 0 ? `let ${Array.from({ length: ctx.temp }, (_, i) => `t${i}`).join(", ")};` : "";
  const body = ctx.loops ? `for (;;) {\ncpu.blockBase = n;\n${lines.join("\n")}\n}` : lines.join("\n");
  const source = `return function block(cpu) {
const r = cpu.regs, r16 = cpu.regs16, r8 = cpu.regs8, lf = cpu.lf;
let n = 0;
${temps}
${body}
};`;
  const factory = new Function("H", "X", source) as BlockFactory;
  // a block that followed a branch backward ends highest somewhere before its last instruction
  const end = plan.some((p) => p.follow) ? Math.max(...plan.map((p) => p.next >>> 0)) : plan[count - 1]!.next;
  return { eip, end, count, bound, run: factory(HANDLERS, HELPERS) };
}

function isStackWrite(op: number): boolean {
  return (op >= 0x50 && op <= 0x57) || op === 0x68 || op === 0x6a;
}
