/**
 * Architectural faults (STYLE §7): one preallocated object, thrown from deep
 * inside an instruction (a segment check, a page walk) and caught in one place,
 * the CPU loop, which restores EIP to the faulting instruction and delivers
 * the exception through the IDT. Throwing a plain object, not an Error, keeps
 * V8 from capturing a stack trace.
 *
 * Instructions must not commit architectural state before their last
 * possible fault, so that a fault leaves the machine as it was (SDM Vol. 3
 * §6.5 "faults ... the state is restored to that prior to the instruction").
 */
export class CpuFault {
  vector = 0;
  /** Error code pushed by the delivery, or -1 when the vector has none. */
  errorCode = -1;
}

export const FAULT = new CpuFault();

/** Vectors that push an error code (SDM Vol. 3 Table 6-1). */
export const HAS_ERROR_CODE = new Uint8Array(32);
for (const v of [8, 10, 11, 12, 13, 14, 17]) HAS_ERROR_CODE[v] = 1;

export function raise(vector: number, errorCode = -1): never {
  FAULT.vector = vector;
  FAULT.errorCode = HAS_ERROR_CODE[vector] === 1 ? errorCode & 0xffff : -1;
  if (vector === 14) FAULT.errorCode = errorCode;
  throw FAULT;
}

/** Raised by HLT-free shutdown: a triple fault ends the machine. */
export class TripleFault extends Error {
  override name = "TripleFault";
}
