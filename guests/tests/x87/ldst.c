/*
 * Loads and stores (SDM Vol. 2 FLD, FST/FSTP, FILD, FIST/FISTP):
 * FLD m32/m64/m80/ST(i), FST/FSTP m32/m64/m80/ST(i), FILD m16/m32/m64,
 * FIST m16/m32, FISTP m16/m32/m64 under the four rounding modes.
 * FSW printed after the store with C0 C2 C3 masked (undefined for all of
 * these) and C1 masked (round-up, which QEMU lacks: x87.h). The register
 * holds at most a
 * double's precision, so the m80 forms only carry doubles.
 */
#include "x87.h"

static uint8_t m80[10];

static void p80(void) { printf(" %02x%02x:%08x%08x", m80[9], m80[8], *(uint32_t *)(m80 + 4), *(uint32_t *)m80); }

/* FLD m64 a; then store to m32, m64, m80 (FST, FST, FSTP) */
static void fld_fst(void)
{
    static const uint64_t vals[] = {
        0x3FF0000000000000ull, 0xC004000000000000ull, 0x3FD5555555555555ull /* 1/3 */,
        0x3FB999999999999Aull /* 0.1 */, 0x47EFFFFFE0000000ull /* FLT_MAX */,
        0x47EFFFFFF0000000ull /* FLT_MAX + half ulp: rounds to inf in m32 */,
        0x4830000000000000ull /* 2^132: overflows m32 */, 0x37A0000000000000ull /* 2^-133: underflows m32 */,
        0x3690000000000000ull /* 2^-150: m32 rounds to 0 */, 0x380FFFFFF0000000ull,
        PINF, NINF, NZERO, QNAN, 0xFFF8000000000000ull, SNAN, 0x0000000000000001ull /* denormal */,
        0x000FFFFFFFFFFFFFull,
    };
    static const uint16_t rcs[] = { RC_NEAR, RC_DOWN, RC_UP, RC_TRUNC };
    for (unsigned r = 0; r < 4; r++)
        for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
            uint16_t sw1, sw2, sw3;
            xa = dfrom(vals[i]);
            xcw = CW_DEF | rcs[r];
            __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldl %[a]\n\tfnstsw %[s1]\n\tfnclex\n\t"
                             "fsts %[f]\n\tfnstsw %[s2]\n\tfnclex\n\tfstl %[r0]\n\tfstpt %[t]\n\tfnstsw %[s3]\n\tfninit"
                             : [s1] "=m"(sw1), [s2] "=m"(sw2), [s3] "=m"(sw3), [f] "=m"(xf), [r0] "=m"(xr0),
                               [t] "=m"(m80)
                             : [a] "m"(xa), [cw] "m"(xcw) : "memory");
            /* load status: IE (SNaN) and DE (denormal) masked, QEMU 7.2 sets
             * neither on FLD (x87-sdm covers them) */
            printf("fld m64 rc=%x v%u: ld.sw=%04x m32", rcs[r] >> 10, i, sw1 & SW_NOCC & ~(SW_IE | SW_DE));
            pf(xf);
            printf(" sw=%04x m64", sw2 & SW_NOCC);
            pd(xr0);
            printf(" m80");
            p80();
            printf(" sw=%04x\n", sw3 & SW_NOCC);
        }
    /* FLD m32 -> FSTP m64; FLD m80 -> FSTP m64 */
    static const uint32_t fvals[] = { 0x3F800000, 0xBFC00000, 0x7F7FFFFF, 0x00000001, 0x80000000,
                                      0x7F800000, 0x7FC00000, 0x7FA00000, 0xFF800001, 0x3EAAAAAB };
    for (unsigned i = 0; i < sizeof fvals / sizeof fvals[0]; i++) {
        union fbits fb;
        fb.u = fvals[i];
        xf = fb.f;
        __asm__ volatile("fninit\n\tflds %[f]\n\tfstpl %[r0]\n\tfnstsw %[s]\n\tfninit"
                         : [r0] "=m"(xr0), [s] "=m"(xsw) : [f] "m"(xf) : "memory");
        printf("fld m32 %08x: m64", fvals[i]);
        pd(xr0);
        printf(" sw=%04x\n", xsw & SW_NOCC & ~(SW_IE | SW_DE));   /* load IE/DE: see above */
    }
    static const struct { uint16_t se; uint64_t m; } tvals[] = {
        { 0x3FFF, 0x8000000000000000ull }, { 0xC000, 0xC000000000000000ull },
        { 0x0000, 0x0000000000000000ull }, { 0x8000, 0x0000000000000000ull },
        { 0x7FFF, 0x8000000000000000ull }, { 0xFFFF, 0xC000000000000000ull },
        { 0x7FFF, 0xC000000000000000ull }, { 0x3FFD, 0xAAAAAAAAAAAAA800ull },
        { 0x43FE, 0xFFFFFFFFFFFFF800ull } /* DBL_MAX */, { 0x3C01, 0x8000000000000000ull } /* DBL_MIN */,
    };
    for (unsigned i = 0; i < sizeof tvals / sizeof tvals[0]; i++) {
        memcpy(m80, &tvals[i].m, 8);
        memcpy(m80 + 8, &tvals[i].se, 2);
        __asm__ volatile("fninit\n\tfldt %[t]\n\tfstl %[r0]\n\tfnstsw %[s]\n\tfstpt %[t]\n\tfninit"
                         : [r0] "=m"(xr0), [s] "=m"(xsw), [t] "+m"(m80) :: "memory");
        printf("fld m80 %04x:%08x%08x: m64", tvals[i].se, (uint32_t)(tvals[i].m >> 32), (uint32_t)tvals[i].m);
        pd(xr0);
        printf(" sw=%04x back", xsw & SW_NOCC);
        p80();
        printf("\n");
    }
    /* FLD ST(i), FST ST(i), FSTP ST(i): stack after each step on the right */
    double r[4];
    uint16_t sw_after;
    __asm__ volatile("fninit\n\tfld1\n\tfldl %[two]\n\tfldl %[three]\n\t"   /* 3 2 1 */
                     "fld %%st(2)\n\t"                         /* 1 3 2 1 */
                     "fst %%st(2)\n\t"                         /* 1 3 1 1 */
                     "fstp %%st(1)\n\t"                        /* 1 1 1 */
                     "fldl %[three]\n\tfstp %%st(2)\n\t"       /* 1 3 1 */
                     "fnstsw %[s]\n\tfstpl %[r0]\n\tfstpl %[r1]\n\tfstpl %[r2]\n\tfnstsw %[s2]\n\tfninit"
                     : [r0] "=m"(r[0]), [r1] "=m"(r[1]), [r2] "=m"(r[2]), [s] "=m"(xsw), [s2] "=m"(sw_after)
                     : [two] "m"(*(const double[]){ 2.0 }), [three] "m"(*(const double[]){ 3.0 }) : "memory");
    printf("fld/fst/fstp st(i):");
    pd(r[0]);
    pd(r[1]);
    pd(r[2]);
    printf(" sw=%04x sw-after=%04x\n", xsw & SW_NOCC, sw_after & SW_NOCC);
}

static void fild_fist(void)
{
    static const int64_t ivals[] = { 0, 1, -1, 32767, -32768, 2147483647, -2147483647 - 1,
                                     9007199254740992ll, -9007199254740992ll, 0x7FFFFFFFFFFFFC00ll, 123456789 };
    for (unsigned i = 0; i < sizeof ivals / sizeof ivals[0]; i++) {
        double d16, d32, d64;
        xi16 = (int16_t)ivals[i];
        xi32 = (int32_t)ivals[i];
        xi64 = ivals[i];
        __asm__ volatile("fninit\n\tfilds %[i16]\n\tfstpl %[d16]\n\tfildl %[i32]\n\tfstpl %[d32]\n\t"
                         "fildll %[i64]\n\tfstpl %[d64]\n\tfnstsw %[s]\n\tfninit"
                         : [d16] "=m"(d16), [d32] "=m"(d32), [d64] "=m"(d64), [s] "=m"(xsw)
                         : [i16] "m"(xi16), [i32] "m"(xi32), [i64] "m"(xi64) : "memory");
        printf("fild %d:", (int)i);
        pd(d16);
        pd(d32);
        pd(d64);
        printf(" sw=%04x\n", xsw & SW_NOCC);
    }
    static const uint64_t vals[] = {
        0x4004000000000000ull /* 2.5 */, 0x400C000000000000ull /* 3.5 */, 0xC004000000000000ull /* -2.5 */,
        0xBFE0000000000000ull /* -0.5 */, 0x3FFB333333333333ull /* 1.7 */, 0xBFFB333333333333ull /* -1.7 */,
        0x3FE0000000000000ull /* 0.5 */, 0x40DFFFE000000000ull /* 32767.5 */,
        0xC0E0000100000000ull /* -32768.5 */, 0x41DFFFFFFFE00000ull /* 2147483647.5 */,
        0x4202A05F20000000ull /* 1e10 */, 0xC3E0000000000000ull /* -2^63 */, 0x43E0000000000000ull /* 2^63 */,
        NZERO, PINF, QNAN,
    };
    static const uint16_t rcs[] = { RC_NEAR, RC_DOWN, RC_UP, RC_TRUNC };
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++)
        for (unsigned r = 0; r < 4; r++) {
            uint16_t s16, s32, s64;
            xa = dfrom(vals[i]);
            xcw = CW_DEF | rcs[r];
            __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldl %[a]\n\t"
                             "fists %[i16]\n\tfnstsw %[s16]\n\tfnclex\n\t"
                             "fistl %[i32]\n\tfnstsw %[s32]\n\tfnclex\n\t"
                             "fistpll %[i64]\n\tfnstsw %[s64]\n\tfninit"
                             : [i16] "=m"(xi16), [i32] "=m"(xi32), [i64] "=m"(xi64),
                               [s16] "=m"(s16), [s32] "=m"(s32), [s64] "=m"(s64)
                             : [a] "m"(xa), [cw] "m"(xcw) : "memory");
            printf("fist v%u rc=%x: m16=%04x sw=%04x m32=%08x sw=%04x m64=%08x%08x sw=%04x\n", i, rcs[r] >> 10,
                   (uint16_t)xi16, s16 & SW_NOCC, (uint32_t)xi32, s32 & SW_NOCC,
                   (uint32_t)((uint64_t)xi64 >> 32), (uint32_t)xi64, s64 & SW_NOCC);
        }
    /* FISTP m16 / m32 pop forms */
    xa = 2.5;
    __asm__ volatile("fninit\n\tfldl %[a]\n\tfldl %[a]\n\tfistps %[i16]\n\tfistpl %[i32]\n\tfnstsw %[s]\n\tfninit"
                     : [i16] "=m"(xi16), [i32] "=m"(xi32), [s] "=m"(xsw) : [a] "m"(xa) : "memory");
    printf("fistp m16/m32 2.5: %04x %08x sw=%04x\n", (uint16_t)xi16, (uint32_t)xi32, xsw & SW_NOCC);
}

void ldst_tests(void)
{
    fld_fst();
    fild_fist();
}
