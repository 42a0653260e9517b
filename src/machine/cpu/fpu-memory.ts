/**
 * The x87 unit's view of its memory operand (Intel SDM Vol. 1 ch. 8).
 *
 * Offsets are within the instruction's segment; the CPU applies the segment
 * limit and rights checks and paging, and throws its architectural fault
 * (#GP, #SS, #PF) from inside these calls, so the FPU must finish every read
 * before it changes any of its own state.
 */
export interface FpuMemory {
  read8(offset: number): number;
  read16(offset: number): number;
  read32(offset: number): number;
  write8(offset: number, value: number): void;
  write16(offset: number, value: number): void;
  write32(offset: number, value: number): void;
}

/** Value returned by `Fpu.execute` when the instruction does not set EFLAGS. */
export const FPU_NO_EFLAGS = -1;
