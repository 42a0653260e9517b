/*
 * Shared by the bitops sources: EFLAGS load/capture around one instruction.
 * FL_IN loads EFLAGS from the "fin" operand (POPF); FL_OUT stores EFLAGS into
 * the "f" operand (PUSHF). FLAGS_ARITH = OF SF ZF AF PF CF (0x8D5).
 */
#ifndef BITOPS_COMMON_H
#define BITOPS_COMMON_H

#include "test.h"

#define FLAGS_ARITH 0x8D5u
#define FL_IN  "pushl %[fin]\n\tpopfl\n\t"
#define FL_OUT "\n\tpushfl\n\tpopl %[f]"
#define JUNK   0xC0DEA500u

static inline uint32_t widen(uint32_t v, int bits, uint32_t junk)
{
    uint32_t mask = bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1;
    return (v & mask) | (junk & ~mask);
}

void bt_tests(void);
void scan_tests(void);
void xchg_tests(void);
void cond_tests(void);
void move_tests(void);
void lea_tests(void);

#endif
