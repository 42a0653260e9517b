/*
 * x87: the floating-point unit as gcc -m32 and a kernel use it. One file per
 * group; each prints FSW masked to what the SDM defines for its instruction.
 * Transcendentals (FSIN, FPTAN, F2XM1, FYL2X ...) are left out: their
 * precision differs between implementations.
 */
#include "x87.h"

double xa, xb, xr0, xr1;
float xf;
int16_t xi16;
int32_t xi32;
int64_t xi64;
uint16_t xsw, xcw;

void test_main(void)
{
    arith_tests();
    ldst_tests();
    cmp_tests();
    misc_tests();
    env_tests();
    fault_tests();
    cfun_tests();
}
