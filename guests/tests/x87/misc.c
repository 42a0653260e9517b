/*
 * Constants, FCHS FABS FSQRT FRNDINT FSCALE FXCH (SDM Vol. 2 each page).
 * FSW masked to TOP + exceptions (C0 C2 C3 undefined, C1 see x87.h).
 */
#include "x87.h"

#define ONE(fn, op) static void fn(void) { __asm__ volatile( \
    "fninit\n\tfldcw %[cw]\n\tfldl %[b]\n\tfldl %[a]\n\t" op "\n\tfnstsw %[sw]\n\tfstpl %[r0]\n\tfstpl %[r1]\n\tfninit" \
    : [sw] "=m"(xsw), [r0] "=m"(xr0), [r1] "=m"(xr1) : [a] "m"(xa), [b] "m"(xb), [cw] "m"(xcw) : "memory"); }
ONE(u_fchs, "fchs")
ONE(u_fabs, "fabs")
ONE(u_fsqrt, "fsqrt")
ONE(u_frndint, "frndint")
ONE(u_fscale, "fscale")
ONE(u_fxch, "fxch %%st(1)")

static const uint64_t uvals[] = {
    0x3FF8000000000000ull /* 1.5 */, 0xBFF8000000000000ull, 0ull, NZERO, PINF, NINF, QNAN,
    0x4000000000000000ull /* 2 (sqrt inexact) */, 0x4002000000000000ull /* 2.25 */,
    0x4004000000000000ull /* 2.5 */, 0xC004000000000000ull, 0x3FE0000000000000ull /* 0.5 */,
    0xBFE0000000000000ull, 0x3FDFFFFFFFFFFFFFull /* 0.49999999999999994 */,
    0x4330000000000001ull /* 2^52 + 1 */, 0x432FFFFFFFFFFFFFull /* 2^52 - 0.5 */,
    0x7FEFFFFFFFFFFFFFull, 0xC00921FB54442D18ull /* -pi */,
};

void misc_tests(void)
{
    /* constants, stored as m64 and m32, RC nearest */
    static const char *const cn[] = { "fldz", "fld1", "fldpi", "fldl2e", "fldl2t", "fldlg2", "fldln2" };
    double c[7];
    float cf[7];
    __asm__ volatile("fninit\n\t"
                     "fldz\n\tfstl %[d0]\n\tfstps %[f0]\n\tfld1\n\tfstl %[d1]\n\tfstps %[f1]\n\t"
                     "fldpi\n\tfstl %[d2]\n\tfstps %[f2]\n\tfldl2e\n\tfstl %[d3]\n\tfstps %[f3]\n\t"
                     "fldl2t\n\tfstl %[d4]\n\tfstps %[f4]\n\tfldlg2\n\tfstl %[d5]\n\tfstps %[f5]\n\t"
                     "fldln2\n\tfstl %[d6]\n\tfstps %[f6]\n\tfnstsw %[sw]\n\tfninit"
                     : [d0] "=m"(c[0]), [d1] "=m"(c[1]), [d2] "=m"(c[2]), [d3] "=m"(c[3]), [d4] "=m"(c[4]),
                       [d5] "=m"(c[5]), [d6] "=m"(c[6]), [f0] "=m"(cf[0]), [f1] "=m"(cf[1]), [f2] "=m"(cf[2]),
                       [f3] "=m"(cf[3]), [f4] "=m"(cf[4]), [f5] "=m"(cf[5]), [f6] "=m"(cf[6]), [sw] "=m"(xsw)
                     :: "memory");
    for (unsigned i = 0; i < 7; i++) {
        printf("%s:", cn[i]);
        pd(c[i]);
        pf(cf[i]);
        printf("\n");
    }
    printf("constants sw=%04x\n", xsw & SW_NOCC);

    static const struct { const char *name; void (*fn)(void); int rc; } ops[] = {
        { "fchs", u_fchs, 0 }, { "fabs", u_fabs, 0 }, { "fsqrt", u_fsqrt, 0 }, { "frndint", u_frndint, 1 },
        { "fxch", u_fxch, 0 },
    };
    static const uint16_t rcs[] = { RC_NEAR, RC_DOWN, RC_UP, RC_TRUNC };
    for (unsigned o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (unsigned r = 0; r < (ops[o].rc ? 4u : 1u); r++) {
            printf("%s rc=%x:", ops[o].name, rcs[r] >> 10);
            for (unsigned i = 0; i < sizeof uvals / sizeof uvals[0]; i++) {
                xa = dfrom(uvals[i]);
                xb = 7.0;
                xcw = CW_D53 | rcs[r];
                ops[o].fn();
                pd(xr0);
                if (ops[o].fn == u_fxch)
                    pd(xr1);
                printf("/%04x", xsw & SW_NOCC);
            }
            printf("\n");
        }
    /* FSCALE: ST0 * 2^trunc(ST1) */
    static const uint64_t sc[][2] = {
        { 0x4008000000000000ull, 0x4000000000000000ull },   /* 3, 2 */
        { 0x4008000000000000ull, 0xBFF8000000000000ull },   /* 3, -1.5 */
        { 0x3FF8000000000000ull, 0x4025CCCCCCCCCCCDull },   /* 1.5, 10.9 */
        { 0xC000000000000000ull, 0xC008000000000000ull },   /* -2, -3 */
        { 0ull, 0x4014000000000000ull },                    /* 0, 5 */
        { 0x3FF0000000000000ull, 0x408F400000000000ull },   /* 1, 1000 */
        { 0x3FF0000000000000ull, 0xC08F400000000000ull },   /* 1, -1000 */
        { 0x3FF0000000000000ull, NINF },                    /* 1, -inf -> 0 */
        { PINF, 0xBFF0000000000000ull },                    /* inf, -1 */
        { 0ull, PINF },                                     /* 0, inf -> invalid */
        { 0x3FF0000000000000ull, QNAN },
    };
    printf("fscale:");
    for (unsigned i = 0; i < sizeof sc / sizeof sc[0]; i++) {
        xa = dfrom(sc[i][0]);
        xb = dfrom(sc[i][1]);
        xcw = CW_D53;
        u_fscale();
        pd(xr0);
        printf("/%04x", xsw & SW_NOCC);
    }
    printf("\n");
    /* stack overflow/underflow: QEMU 7.2 does not model x87 stack faults;
     * covered by the x87-sdm test. */
}
