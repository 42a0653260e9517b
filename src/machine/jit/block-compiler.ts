/**
 * The block compiler: decoded instructions -> one JavaScript function per
 * basic block (a first step toward the JIT that v86-notes.md describes).
 *
 * A block starts at a decoded slot and runs straight-line within one page:
 * plain instructions (plain-ops.ts) are emitted inline when a generator
 * exists, or as a call of the interpreter's handler with their slot; the
 * first non-plain instruction ends the block (EIP set, handler called,
 * return). So a compiled block does exactly what the interpreter would do,
 * instruction by instruction, with fewer dispatches and constants folded.
 *
 * Faults: before each instruction that may fault the block stores its EIP
 * in cpu.startEip, and its index in cpu.blockIndex, so the loop restarts the
 * faulting instruction and charges exactly the instructions completed.
 * Blocks live as long as the page's decoded slots (a write to the page drops
 * them). Generated code uses no allocation per instruction.
 */
import type { Cpu } from "../cpu/cpu.js";
import { F_MEM, F_REP, F_REPNE } from "../cpu/decoder.js";
import { HANDLERS } from "../cpu/handler-table.js";
import type { Handler } from "../cpu/handlers.js";
import { isPlain } from "./plain-ops.js";
import { emitInstruction, type EmitContext } from "./emitters.js";

export interface CompiledBlock {
  /** EIP of the first instruction (the block is valid only when entered there). */
  readonly eip: number;
  /** EIP just past the last instruction (for the CS limit check at entry). */
  readonly end: number;
  /** Number of instructions. */
  readonly count: number;
  readonly run: (cpu: Cpu) => void;
}

const MAX_INSTRUCTIONS = 48;

type BlockFactory = (handlers: readonly Handler[]) => (cpu: Cpu) => void;

/**
 * Compile the block starting at `slot` (instruction at `eip`, linear `lin`).
 * `nextSlot(lin)` returns the decoded slot of the instruction at a later
 * linear address in the same page, decoding it if needed, or -1.
 */
export function compileBlock(
  cpu: Cpu, slot: number, eip: number, lin: number, nextSlot: (lin: number) => number,
): CompiledBlock {
  const dc = cpu.dc;
  const lines: string[] = [];
  const ctx: EmitContext = { cpu, lines, producer: null, temp: 0 };
  let s = slot, e = eip, l = lin, n = 0, end = eip;
  const o16Code = cpu.codeMode === 0;
  for (;;) {
    const op = dc.op[s]!, len = dc.len[s]!, flags = dc.flags[s]!;
    const next = o16Code ? (e + len) & 0xffff : (e + len) | 0;
    const string = op >= 0xa4 && op <= 0xaf && op !== 0xa8 && op !== 0xa9;
    const plain = string ? (flags & (F_REP | F_REPNE)) === 0 : isPlain(op, dc.reg[s]!);
    lines.push(`cpu.startEip = ${e}; cpu.blockIndex = ${n};`);
    n++;
    end = next;
    if (!plain) {
      if (!emitInstruction(ctx, s, e, next, true)) {
        lines.push(`cpu.eip = ${next}; H[${op}](cpu, ${s}); return;`);
      }
      break;
    }
    const before = lines.length;
    if (!emitInstruction(ctx, s, e, next, false)) {
      ctx.producer = null;
      lines.push(`cpu.eip = ${next}; H[${op}](cpu, ${s});`);
    }
    // self-modifying code: a write to this block's own page ends the block at once
    if ((flags & F_MEM) !== 0 || lines.length - before !== 1 || lines[before]!.includes("H[")) {
      lines.push(`if (cpu.codeVpn === -1) { cpu.eip = ${next}; return; }`);
    }
    e = next; l = (l + len) | 0;
    if (n >= MAX_INSTRUCTIONS || (l & 0xfff) === 0 || (l >>> 12) !== (lin >>> 12)) {
      lines.push(`cpu.eip = ${e}; return;`);
      break;
    }
    const ns = nextSlot(l);
    if (ns <= 0) { lines.push(`cpu.eip = ${e}; return;`); break; }
    s = ns;
  }
  const temps = ctx.temp > 0 ? `let ${Array.from({ length: ctx.temp }, (_, i) => `t${i}`).join(", ")};` : "";
  const source = `return function block(cpu) {
const r = cpu.regs, r16 = cpu.regs16, r8 = cpu.regs8, lf = cpu.lf;
${temps}
${lines.join("\n")}
};`;
  const factory = new Function("H", source) as BlockFactory;
  return { eip, end, count: n, run: factory(HANDLERS) };
}
