/*
 * The randomized instruction tester's kernel: shared layout.
 *
 * tests/cpu/fuzz-gen.ts generates guests/build/fuzz/<name>/cases.S, an
 * array of `struct fuzz_case` plus each case's code in .text (ending in
 * `jmp fuzz_save`). The constants below are mirrored in
 * tests/cpu/fuzz-layout.ts; change both together.
 *
 * Fixed low-memory regions (identity-mapped, paging off), all below 64 KiB
 * so that 16-bit (0x67) addressing reaches them, and all below 0x9000
 * where loaders put the Multiboot information:
 *
 *   0x4000 +----------------------+
 *          | case stack (8 KiB)   |   ESP = 0x5000 when a case starts;
 *   0x5000 |   <- case ESP        |   0x4C00..0x5400 filled per case
 *   0x6000 +----------------------+
 *   0x6F00 +----------------------+
 *          | scratch (512 bytes)  |   every memory operand lands here;
 *   0x7000 |- - - page boundary - |   filled per case, checksummed after;
 *   0x7100 +----------------------+   some accesses straddle 0x7000
 */
#ifndef FUZZ_H
#define FUZZ_H

#define FUZZ_STACK_MID   0x5000
#define FUZZ_STACK_FILL  0x400      /* bytes filled either side of the mid */
#define FUZZ_SCRATCH     0x6F00
#define FUZZ_SCRATCH_LEN 0x200

#ifndef __ASSEMBLER__
#include <stdint.h>

/* One case. Offsets are used by boot.S (FC_* below). */
struct fuzz_case {
    uint32_t regs[8];     /* EAX ECX EDX EBX (ESP unused) EBP ESI EDI */
    uint32_t eflags;      /* initial EFLAGS (bit 1 set, no TF/IF) */
    uint32_t seed;        /* xorshift32 seed for scratch and stack contents */
    const uint8_t *code;  /* the case's instructions, then jmp fuzz_save */
    uint32_t reps;        /* times to run it: > 16 lets tsxen compile the block */
};

/* Results written by boot.S's fuzz_save / exception entry. */
struct fuzz_out {
    uint32_t regs[8];     /* ESP slot holds ESP at the end */
    uint32_t eflags;
    uint32_t vec;         /* exception vector, or 0xFFFFFFFF */
    uint32_t err;         /* error code (0 for vectors without one) */
    uint32_t eip;         /* faulting / trapping EIP */
};

extern const struct fuzz_case fuzz_cases[];
extern const uint32_t fuzz_ncases;
extern struct fuzz_out fuzz_out;
void fuzz_enter(const struct fuzz_case *c);
extern void (*const fuzz_exc_stubs[32])(void);
#endif

#define FC_EFLAGS 32
#define FC_CODE   40
#define FO_EFLAGS 32
#define FO_VEC    36
#define FO_ERR    40
#define FO_EIP    44

#endif
