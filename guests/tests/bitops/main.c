/*
 * bitops: bit tests and scans, exchanges, conditions, moves with extension,
 * LEA addressing and the flag-register instructions. One file per family;
 * each file's header names the SDM pages and the flags it masks.
 */
#include "common.h"

void test_main(void)
{
    bt_tests();
    scan_tests();
    xchg_tests();
    cond_tests();
    move_tests();
    lea_tests();
}
