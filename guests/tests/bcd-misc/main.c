/*
 * bcd-misc: decimal adjust, stack-frame and stack-shape instructions, loops,
 * XLAT, segment overrides and LOCK. Each source file's header names the SDM
 * pages it covers and the flags it masks.
 */
#include "test.h"
#include "bcdmisc.h"

void test_main(void)
{
    /* GDT_FREE: data, base = big (misc.c) is installed by seg_setup() */
    extern void seg_setup(void);
    seg_setup();
    bcd_tests();
    stack_tests();
    loop_tests();
    seg_tests();
    lock_tests();
}
