/**
 * The complete handler table, assembled from the executor modules. Every
 * valid entry of the opcode table must have a handler (checked in tests).
 */
import { registerAlu } from "./exec-alu.js";
import { registerBits } from "./exec-bits.js";
import { registerControl } from "./exec-control.js";
import { registerFpu } from "./exec-fpu.js";
import { registerIo } from "./exec-io.js";
import { registerMisc } from "./exec-misc.js";
import { registerMsr } from "./exec-msr.js";
import { registerShift } from "./exec-shift.js";
import { registerStack } from "./exec-stack.js";
import { registerString } from "./exec-string.js";
import { registerSystem } from "./exec-system.js";
import { newHandlerTable, type Handler } from "./handlers.js";

function build(): Handler[] {
  const h = newHandlerTable();
  registerAlu(h);
  registerControl(h);
  registerStack(h);
  registerString(h);
  registerShift(h);
  registerBits(h);
  registerMisc(h);
  registerSystem(h);
  registerIo(h);
  registerMsr(h);
  registerFpu(h);
  return h;
}

export const HANDLERS: readonly Handler[] = build();
