/*
 * Helpers shared by the exceptions kernel: AT() marks the instruction under
 * test so the saved EIP can be printed as "insn" (fault: points at it) or
 * "next" (trap: points after it), never as an absolute address.
 */
#ifndef EXC_COMMON_H
#define EXC_COMMON_H

#include "test.h"

extern volatile uint32_t at_insn, at_next;

#define AT(insn) AT_PRE("", insn)
/* pre runs after the label stores, right before the instruction (e.g. set TF). */
#define AT_PRE(pre, insn) "movl $1f, at_insn\n\tmovl $2f, at_next\n\t" pre "\n1:\t" insn "\n2:\n\t"

/* "name vec=V err=EEEE eip=insn|next" or "name no-fault". */
void report(const char *name, int faulted);

#define CHECK(name, ...) do {                                   \
        volatile int _f = 0;                                    \
        TRY { __VA_ARGS__; } CATCH { _f = 1; }                  \
        report(name, _f);                                       \
    } while (0)

void test_arith(void);
void test_debug(void);
void test_ud(void);
void test_nm(void);
void test_selectors(void);
void test_stackswitch(void);
void test_df(void);

#endif
