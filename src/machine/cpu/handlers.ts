/**
 * The handler table: one function per decoded opcode (0x00..0xFF one-byte,
 * 0x100|b for 0F b, OP_UD). Each executor module fills in its group; an
 * opcode without a handler raises #UD, as an undefined opcode does.
 */
import type { Cpu } from "./cpu.js";
import { raise } from "./fault.js";
import { UD } from "./registers.js";

export type Handler = (cpu: Cpu, s: number) => void;

export const HANDLER_COUNT = 0x201;

export function undefinedOpcode(): void {
  raise(UD);
}

export function newHandlerTable(): Handler[] {
  return new Array<Handler>(HANDLER_COUNT).fill(undefinedOpcode);
}
