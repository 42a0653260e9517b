/**
 * Register numbering and bit layouts of IA-32 (Intel SDM Vol. 1 §3.4, Vol. 3 §2.5).
 *
 * General registers in ModRM order:  EAX ECX EDX EBX ESP EBP ESI EDI  (0..7)
 * Segment registers in ModRM order:  ES CS SS DS FS GS                 (0..5)
 *
 * 8-bit registers AL CL DL BL AH CH DH BH (0..7) live inside the 32-bit ones;
 * with the little-endian byte view of the register file, 8-bit register r is
 * byte ((r & 3) << 2) | (r >> 2).
 */
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
/** Pseudo-segment index for "no segment override" in decoded instructions. */
export const SEG_DEFAULT = 7;

export const reg8Offset = (r: number): number => ((r & 3) << 2) | (r >> 2);

// EFLAGS (SDM Vol. 1 §3.4.3)
export const CF = 1 << 0;
export const PF = 1 << 2;
export const AF = 1 << 4;
export const ZF = 1 << 6;
export const SF = 1 << 7;
export const TF = 1 << 8;
export const IF = 1 << 9;
export const DF = 1 << 10;
export const OF = 1 << 11;
export const IOPL = 3 << 12;
export const NT = 1 << 14;
export const RF = 1 << 16;
export const VM = 1 << 17;
export const AC = 1 << 18;
export const VIF = 1 << 19;
export const VIP = 1 << 20;
export const ID = 1 << 21;
/** The six arithmetic status flags. */
export const STATUS_FLAGS = CF | PF | AF | ZF | SF | OF;
/** Bits that are always 1 (bit 1) in EFLAGS. */
export const EFLAGS_FIXED1 = 1 << 1;
/** Bits an i686 with CPUID lets software change (AC, ID included; VIF/VIP only via VME, which we lack). */
export const EFLAGS_WRITABLE = STATUS_FLAGS | TF | IF | DF | IOPL | NT | RF | VM | AC | ID;

// CR0 (SDM Vol. 3 §2.5)
export const CR0_PE = 1 << 0;
export const CR0_MP = 1 << 1;
export const CR0_EM = 1 << 2;
export const CR0_TS = 1 << 3;
export const CR0_ET = 1 << 4;
export const CR0_NE = 1 << 5;
export const CR0_WP = 1 << 16;
export const CR0_AM = 1 << 18;
export const CR0_NW = 1 << 29;
export const CR0_CD = 1 << 30;
export const CR0_PG = 1 << 31;

// CR4
export const CR4_VME = 1 << 0;
export const CR4_PVI = 1 << 1;
export const CR4_TSD = 1 << 2;
export const CR4_DE = 1 << 3;
export const CR4_PSE = 1 << 4;
export const CR4_PAE = 1 << 5;
export const CR4_MCE = 1 << 6;
export const CR4_PGE = 1 << 7;
export const CR4_PCE = 1 << 8;
/** CR4 bits this CPU implements (no VME/PVI: no virtual-8086 mode); setting others is #GP(0). */
export const CR4_SUPPORTED = CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE | CR4_PCE;

// EFER (MSR 0xC0000080)
export const EFER_NXE = 1 << 11;

// Exception vectors (SDM Vol. 3 §6.3)
export const DE = 0, DB = 1, NMI = 2, BP = 3, OF_VEC = 4, BR = 5, UD = 6, NM = 7, DF_VEC = 8;
export const TS = 10, NP = 11, SS_VEC = 12, GP = 13, PF_VEC = 14, MF = 16, AC_VEC = 17, MC = 18;
