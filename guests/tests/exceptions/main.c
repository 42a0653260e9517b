/*
 * exceptions: every exception provokable at ring 0 (plus a few from ring 3
 * where that is the only way), with its architectural error code and the
 * saved EIP class (fault vs trap). SDM Vol. 3 §6.15 "Exception and Interrupt
 * Reference" gives each vector's class and error code; §6.13 the error-code
 * format (EXT bit 0, IDT bit 1, TI bit 2, selector index 15:3).
 */
#include "common.h"

volatile uint32_t at_insn, at_next;

void report(const char *name, int faulted)
{
    if (!faulted) {
        printf("%s no-fault\n", name);
        return;
    }
    const char *where = last_exc.eip == at_insn ? "insn" : last_exc.eip == at_next ? "next" : "other";
    printf("%s vec=%u err=%04x eip=%s\n", name, last_exc.vector, last_exc.error, where);
}

void test_main(void)
{
    test_arith();
    test_debug();
    test_ud();
    test_nm();
    test_selectors();
    test_stackswitch();
    test_df();
}
