/*
 * FADD FSUB FSUBR FMUL FDIV FDIVR in every form (SDM Vol. 2 each page):
 *   st0,sti  D8 /r   ST(0) = ST(0) op ST(1)
 *   sti,st0  DC /r   ST(1) = ST(1) op ST(0)
 *   p        DE /r   ST(1) = ST(1) op ST(0), pop
 *   m32 m64 mi16 mi32: ST(0) = ST(0) op memory (D8 DC DE DA /n)
 * (FSUBR/FDIVR reverse the operands.) Register forms are raw bytes so the
 * AT&T fsub/fsubr operand swap cannot mislead. ST(0) = a, ST(1) = b.
 *
 * Run with PC = 53 bits (CW_D53). FSW: C0 C2 C3 undefined (SDM), C1 (round-up)
 * masked as QEMU lacks it (x87.h). Exceptions IE ZE PE print as they occur
 * (all masked: 1/0 = inf, 0/0 and inf-inf = the real indefinite NaN).
 * Printed per case: the stack left (ST0 [ST1]) as doubles, then FSW.
 */
#include "x87.h"

#define OPS_IN [a] "m"(xa), [b] "m"(xb), [f] "m"(xf), [i16] "m"(xi16), [i32] "m"(xi32), [cw] "m"(xcw)
/* two entries left on the stack */
#define AR2(fn, op) static void fn(void) { __asm__ volatile( \
    "fninit\n\tfldcw %[cw]\n\tfldl %[b]\n\tfldl %[a]\n\t" op "\n\tfnstsw %[sw]\n\t" \
    "fstpl %[r0]\n\tfstpl %[r1]\n\tfninit" \
    : [sw] "=m"(xsw), [r0] "=m"(xr0), [r1] "=m"(xr1) : OPS_IN : "memory"); }
/* one entry left: the register pop form (ST(1) loaded too) */
#define ARP(fn, op) static void fn(void) { __asm__ volatile( \
    "fninit\n\tfldcw %[cw]\n\tfldl %[b]\n\tfldl %[a]\n\t" op "\n\tfnstsw %[sw]\n\t" \
    "fstpl %[r0]\n\tfninit" \
    : [sw] "=m"(xsw), [r0] "=m"(xr0) : OPS_IN : "memory"); }
/* memory operand forms: only ST(0) = a loaded */
#define ARM(fn, op) static void fn(void) { __asm__ volatile( \
    "fninit\n\tfldcw %[cw]\n\tfldl %[a]\n\t" op "\n\tfnstsw %[sw]\n\t" \
    "fstpl %[r0]\n\tfninit" \
    : [sw] "=m"(xsw), [r0] "=m"(xr0) : OPS_IN : "memory"); }

#define OP(name, b0, b1, b2, mn) \
    AR2(name##_r0, ".byte 0xd8, " #b0) AR2(name##_ri, ".byte 0xdc, " #b1) ARP(name##_p, ".byte 0xde, " #b2) \
    ARM(name##_m32, "f" mn "s %[f]") ARM(name##_m64, "f" mn "l %[b]") \
    ARM(name##_mi16, "fi" mn "s %[i16]") ARM(name##_mi32, "fi" mn "l %[i32]")
OP(add, 0xc1, 0xc1, 0xc1, "add")
OP(mul, 0xc9, 0xc9, 0xc9, "mul")
OP(sub, 0xe1, 0xe9, 0xe9, "sub")
OP(subr, 0xe9, 0xe1, 0xe1, "subr")
OP(div, 0xf1, 0xf9, 0xf9, "div")
OP(divr, 0xf9, 0xf1, 0xf1, "divr")

static const struct {
    const char *name;
    void (*fn[7])(void);
} ops[] = {
#define ROW(n) { #n, { n##_r0, n##_ri, n##_p, n##_m32, n##_m64, n##_mi16, n##_mi32 } }
    ROW(add), ROW(mul), ROW(sub), ROW(subr), ROW(div), ROW(divr),
};
static const char *const forms[7] = { "st0,st1", "st1,st0", "p", "m32", "m64", "mi16", "mi32" };

/* a, b (as double; m32 uses (float)b), m16int, m32int */
static const struct { uint64_t a, b; int16_t i16; int32_t i32; } pairs[] = {
    { 0x3FF8000000000000ull, 0x3FD0000000000000ull, 4, -100000 },       /* 1.5, 0.25 */
    { 0x4008000000000000ull, 0xC000000000000000ull, -2, 65536 },        /* 3, -2 */
    { 0x3FF0000000000000ull, 0x4008000000000000ull, 3, 3 },             /* 1, 3 (inexact) */
    { NZERO, 0ull, 0, 0 },                                              /* -0, +0 */
    { 0x4000000000000000ull, 0ull, 0, -1 },                             /* 2, 0 */
    { 0ull, 0ull, 0, 0 },                                               /* 0, 0 */
    { PINF, PINF, 32767, 2147483647 },                                  /* inf, inf */
    { 0x3FB999999999999Aull, 0x3FC999999999999Aull, 10, 7 },            /* 0.1, 0.2 */
    { 0x4202A05F20000000ull, 0x401C000000000000ull, -32768, -2147483647 - 1 }, /* 1e10, 7 */
    { NINF, 0x4000000000000000ull, 1, -5 },                             /* -inf, 2 */
    { QNAN, 0x3FF0000000000000ull, 1, 1 },                              /* qnan, 1 */
};
#define NPAIRS (sizeof pairs / sizeof pairs[0])

void arith_tests(void)
{
    for (unsigned p = 0; p < NPAIRS; p++) {
        printf("arith pair %u: a", p);
        pd(dfrom(pairs[p].a));
        printf(" b");
        pd(dfrom(pairs[p].b));
        printf(" i16=%d i32=%d\n", pairs[p].i16, pairs[p].i32);
    }
    xcw = CW_D53;
    for (unsigned o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (unsigned k = 0; k < 7; k++)
            for (unsigned p = 0; p < NPAIRS; p++) {
                xa = dfrom(pairs[p].a);
                xb = dfrom(pairs[p].b);
                xf = (float)xb;
                xi16 = pairs[p].i16;
                xi32 = pairs[p].i32;
                xr1 = dfrom(0x5555555555555555ull);
                ops[o].fn[k]();
                printf("f%s %s p%u:", ops[o].name, forms[k], p);
                pd(xr0);
                if (k < 2)
                    pd(xr1);
                printf(" sw=%04x\n", xsw & SW_NOCC);
            }
}
