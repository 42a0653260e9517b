/**
 * Which decoded instructions may sit inside a compiled block.
 *
 * "Plain" instructions neither transfer control, nor change CS, CPL, paging
 * or EFLAGS.IF/TF, nor need the loop's attention afterwards; a fault is fine
 * (it is thrown out of the block and delivered by the loop). Everything else
 * ends a block: the block sets EIP to the next instruction, calls the
 * interpreter's handler for it and returns to the loop.
 */
export const PLAIN = new Uint8Array(0x201);

function mark(...ops: number[]): void {
  for (const op of ops) PLAIN[op] = 1;
}

// ALU rows, INC/DEC/PUSH/POP reg, and most of the one-byte map
for (let op = 0; op < 0x40; op++) if ((op & 7) < 6) mark(op);
for (let op = 0x40; op < 0x60; op++) mark(op);
mark(0x27, 0x2f, 0x37, 0x3f, 0x60, 0x61, 0x62, 0x63, 0x68, 0x69, 0x6a, 0x6b);
for (let op = 0x80; op <= 0x8d; op++) mark(op);
mark(0x8f, 0x98, 0x99, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa8, 0xa9);
for (let op = 0x90; op <= 0x97; op++) mark(op);
for (let op = 0xb0; op <= 0xbf; op++) mark(op);
mark(0xc0, 0xc1, 0xc6, 0xc7, 0xc8, 0xc9, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd7);
for (let op = 0xd8; op <= 0xdf; op++) mark(op);
mark(0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfc, 0xfd, 0xfe);
// two-byte map: CMOVcc, SETcc, bit ops, shifts, IMUL, MOVZX/MOVSX, XADD, CMPXCHG, BSWAP
for (let c = 0; c < 16; c++) mark(0x140 + c, 0x190 + c);
mark(0x1a3, 0x1a4, 0x1a5, 0x1ab, 0x1ac, 0x1ad, 0x1af, 0x1b0, 0x1b1, 0x1b3, 0x1b6, 0x1b7, 0x1ba, 0x1bb);
mark(0x1bc, 0x1bd, 0x1be, 0x1bf, 0x1c0, 0x1c1, 0x1c7, 0x11f);
for (let r = 0; r < 8; r++) mark(0x1c8 + r);
// segment loads other than SS and CS are plain (they change only a data segment cache)
mark(0x06, 0x07, 0x0e, 0x16, 0x1e, 0x1f, 0x8c, 0xc4, 0xc5, 0x1a0, 0x1a1, 0x1a8, 0x1a9, 0x1b4, 0x1b5);

/** Opcodes that must not be plain after all: MOV to SS (8E /2) and POP SS set the interrupt shadow. */
export function isPlain(op: number, reg: number): boolean {
  if (op === 0x8e) return reg !== 2 && reg !== 1;
  if (op === 0xff) return reg === 0 || reg === 1 || reg === 6;
  return PLAIN[op] === 1;
}
