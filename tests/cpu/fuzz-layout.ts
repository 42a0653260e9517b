/**
 * Layout shared by the randomized instruction tester's generator and its
 * kernel: the low-memory regions of guests/fuzz/fuzz.h, and the EFLAGS bits.
 * fuzz.ts checks these against the #defines in fuzz.h before every build.
 *
 *   0x4000 .. 0x6000  case stack, ESP = 0x5000 at the first instruction
 *   0x6f00 .. 0x7100  scratch buffer: every generated memory operand
 *
 * Both lie below 64 KiB so that 0x67 (16-bit) addressing reaches them; the
 * scratch buffer straddles a 4 KiB boundary so that some accesses split.
 */
export const STACK_MID = 0x5000;
export const STACK_FILL = 0x400;
export const SCRATCH = 0x6f00;
export const SCRATCH_LEN = 0x200;

/** EFLAGS bits (SDM Vol. 1 §3.4.3). */
export const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80;
export const TF = 0x100, IF = 0x200, DF = 0x400, OF = 0x800;
/** The six arithmetic status flags. */
export const STATUS = CF | PF | AF | ZF | SF | OF;
/**
 * Bits compared with QEMU after a case: status flags, bit 1, TF IF DF OF
 * IOPL NT, AC VIF VIP ID. Not VM (17): always 0 here. Not RF (16): TCG never
 * sets RF in an exception frame, while the SDM (Vol. 3B §17.3.1.1, "the value
 * pushed for RF is 1" for any fault-class exception but an instruction
 * breakpoint) does; fuzz.ts checks RF against that rule instead.
 */
export const COMPARED_FLAGS = 0x3c7fd7;
export const RF = 0x10000;
/** Fault-class vectors (SDM Vol. 3A Table 6-1) the cases can raise: #DE #BR #UD #NM #TS #NP #SS #GP #PF #MF #AC #XM. */
export const FAULT_VECTORS: ReadonlySet<number> = new Set([0, 5, 6, 7, 10, 11, 12, 13, 14, 16, 17, 19]);

export const REG32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] as const;
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
