/*
 * Compiled C float/double code (gcc -m32 -march=i686 emits x87 for it).
 * Runs with PC = 53 bits so every intermediate gcc keeps in an x87
 * register is rounded exactly like binary64; results print as bit patterns.
 * Nothing here overflows, underflows or needs libgcc.
 */
#include "x87.h"

static volatile double vd[8];
static volatile float vf[8];

__attribute__((noinline)) static double horner(double x)
{
    static const double c[] = { 1.0, -0.5, 1.0 / 6, -1.0 / 24, 1.0 / 120, -1.0 / 720 };
    double r = 0;
    for (int i = 5; i >= 0; i--)
        r = r * x + c[i];
    return r;
}

__attribute__((noinline)) static double harmonic(int n)
{
    double s = 0;
    for (int i = 1; i <= n; i++)
        s += 1.0 / i;
    return s;
}

__attribute__((noinline)) static float harmonicf(int n)
{
    float s = 0;
    for (int i = 1; i <= n; i++)
        s += 1.0f / (float)i;
    return s;
}

__attribute__((noinline)) static double newton_sqrt(double a)
{
    double x = a > 1 ? a : 1;
    for (int i = 0; i < 30; i++)
        x = 0.5 * (x + a / x);
    return x;
}

__attribute__((noinline)) static int classify(double a, double b)
{
    return (a < b) | (a == b) << 1 | (a > b) << 2 | (a != a) << 3;
}

__attribute__((noinline)) static long long to_ll(double d) { return (long long)d; }
__attribute__((noinline)) static int to_int(double d) { return (int)d; }
__attribute__((noinline)) static double from_int(int i) { return (double)i * 0.5; }
__attribute__((noinline)) static double from_uint(unsigned u) { return (double)u; }
__attribute__((noinline)) static float mixf(float a, double b) { return (float)(a * b + 1.0f); }

static void pll(long long v) { printf(" %08x%08x", (uint32_t)((unsigned long long)v >> 32), (uint32_t)v); }

void cfun_tests(void)
{
    static const uint16_t cw = CW_D53;
    __asm__ volatile("fninit\n\tfldcw %0" :: "m"(cw) : "memory");

    static const double xs[] = { 0.0, 0.5, 1.0, -1.25, 3.0, 10.0 };
    printf("c horner:");
    for (unsigned i = 0; i < 6; i++)
        pd(horner(xs[i]));
    printf("\n");
    printf("c harmonic:");
    pd(harmonic(10));
    pd(harmonic(100));
    pd(harmonic(1000));
    pf(harmonicf(10));
    pf(harmonicf(100));
    pf(harmonicf(1000));
    printf("\n");
    printf("c newton sqrt:");
    pd(newton_sqrt(2.0));
    pd(newton_sqrt(1e6));
    pd(newton_sqrt(0.0625));
    printf("\n");
    static const double ca[] = { 1.0, 2.0, -0.0, 1e300 };
    printf("c classify:");
    for (unsigned i = 0; i < 4; i++)
        for (unsigned j = 0; j < 4; j++)
            printf(" %x", classify(ca[i], ca[j]));
    printf(" nan:%x %x\n", classify(dfrom(QNAN), 1.0), classify(1.0, dfrom(QNAN)));
    static const double cv[] = { 2.5, -2.5, 1e10, -1e10, 0.999, -0.999, 4294967295.75, -2147483648.5 };
    printf("c convert:");
    for (unsigned i = 0; i < 8; i++) {
        pll(to_ll(cv[i]));
        printf("/%08x", (uint32_t)to_int(cv[i]));
    }
    printf("\n");
    printf("c from int:");
    pd(from_int(0x7FFFFFFF));
    pd(from_int(-3));
    pd(from_uint(0xFFFFFFFFu));
    pd(from_uint(0x80000001u));
    printf("\n");
    printf("c float mix:");
    pf(mixf(1.1f, 3.3));
    pf(mixf(-1e20f, 1e-20));
    pf(mixf(16777216.0f, 1.0));
    printf("\n");
    /* volatile round trips float <-> double */
    for (unsigned i = 0; i < 8; i++) {
        vd[i] = 1.0 / (i + 3);
        vf[i] = (float)vd[i];
    }
    printf("c volatile:");
    for (unsigned i = 0; i < 8; i++) {
        pd(vd[i]);
        pf(vf[i]);
        pd((double)vf[i] * 3.0);
    }
    printf("\n");
    __asm__ volatile("fninit" ::: "memory");
}
