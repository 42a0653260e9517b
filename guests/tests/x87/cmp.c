/*
 * Comparisons (SDM Vol. 2 FCOM/FCOMP/FCOMPP, FUCOM/FUCOMP/FUCOMPP,
 * FICOM/FICOMP, FCOMI/FCOMIP/FUCOMI/FUCOMIP, FTST, FXAM).
 *
 *   FCOM*, FUCOM*, FICOM*, FTST: C3 C2 C0 = 000 ST0 > src, 001 <, 100 =,
 *     111 unordered; C1 = 0. FCOM raises IE on any NaN, FUCOM on SNaN only.
 *   FCOMI*, FUCOMI*: ZF PF CF = same encoding; FSW C1 = 0, C0 C2 C3
 *     unaffected. The SDM also zeroes OF SF AF; QEMU 7.2 leaves them, so
 *     only ZF PF CF are printed (x87-sdm covers OF SF AF).
 *   FXAM: C3 C2 C0 = class, C1 = sign; all four defined.
 * FSW printed with C0-C3, TOP and the exception bits.
 */
#include "x87.h"

#define SW_SHOWN 0x7FFF              /* all but B */
#define FL_ZPC (EFL_ZF | EFL_PF | EFL_CF)

#define OPS_IN [a] "m"(xa), [b] "m"(xb), [f] "m"(xf), [i16] "m"(xi16), [i32] "m"(xi32)
/* ST(0) = a, ST(1) = b; op; FSW; then pop whatever is left with FNINIT */
#define CMPF(fn, op) static void fn(void) { __asm__ volatile( \
    "fninit\n\tfldl %[b]\n\tfldl %[a]\n\t" op "\n\tfnstsw %[sw]\n\tfninit" \
    : [sw] "=m"(xsw) : OPS_IN : "memory"); }
CMPF(c_fcom, ".byte 0xd8, 0xd1")
CMPF(c_fcomp, ".byte 0xd8, 0xd9")
CMPF(c_fcompp, ".byte 0xde, 0xd9")
CMPF(c_fcom32, "fcoms %[f]")
CMPF(c_fcom64, "fcoml %[b]")
CMPF(c_fcomp64, "fcompl %[b]")
CMPF(c_fucom, ".byte 0xdd, 0xe1")
CMPF(c_fucomp, ".byte 0xdd, 0xe9")
CMPF(c_fucompp, ".byte 0xda, 0xe9")
CMPF(c_ficom16, "ficoms %[i16]")
CMPF(c_ficomp32, "ficompl %[i32]")
CMPF(c_ftst, "ftst")

static uint32_t xfl;
/* FCOMI family: EFLAGS all arithmetic flags set before, captured after */
#define CMPI(fn, op) static void fn(void) { uint32_t fl; __asm__ volatile( \
    "fninit\n\tfldl %[b]\n\tfldl %[a]\n\tpushl $0x8d5\n\tpopfl\n\t" op "\n\tpushfl\n\tpopl %[fl]\n\t" \
    "fnstsw %[sw]\n\tfninit" \
    : [sw] "=m"(xsw), [fl] "=&r"(fl) : OPS_IN : "memory", "cc"); xfl = fl; }
CMPI(c_fcomi, ".byte 0xdb, 0xf1")
CMPI(c_fcomip, ".byte 0xdf, 0xf1")
CMPI(c_fucomi, ".byte 0xdb, 0xe9")
CMPI(c_fucomip, ".byte 0xdf, 0xe9")

static const struct { const char *name; void (*fn)(void); int eflags; } cmps[] = {
    { "fcom st1", c_fcom, 0 }, { "fcomp st1", c_fcomp, 0 }, { "fcompp", c_fcompp, 0 },
    { "fcom m32", c_fcom32, 0 }, { "fcom m64", c_fcom64, 0 }, { "fcomp m64", c_fcomp64, 0 },
    { "fucom st1", c_fucom, 0 }, { "fucomp st1", c_fucomp, 0 }, { "fucompp", c_fucompp, 0 },
    { "ficom m16", c_ficom16, 0 }, { "ficomp m32", c_ficomp32, 0 }, { "ftst", c_ftst, 0 },
    { "fcomi", c_fcomi, 1 }, { "fcomip", c_fcomip, 1 }, { "fucomi", c_fucomi, 1 }, { "fucomip", c_fucomip, 1 },
};

static const struct { uint64_t a, b; int16_t i16; int32_t i32; } pairs[] = {
    { 0x3FF0000000000000ull, 0x4000000000000000ull, 2, 2 },          /* 1 vs 2 */
    { 0x4000000000000000ull, 0x3FF0000000000000ull, 1, 1 },          /* 2 vs 1 */
    { 0x3FF0000000000000ull, 0x3FF0000000000000ull, 1, 1 },          /* 1 vs 1 */
    { NZERO, 0ull, 0, 0 },                                           /* -0 vs +0 */
    { QNAN, 0x3FF0000000000000ull, 1, 1 },                           /* qnan vs 1 */
    { 0x3FF0000000000000ull, QNAN, 1, 1 },                           /* 1 vs qnan */
    { PINF, 0x7FEFFFFFFFFFFFFFull, 32767, 2147483647 },              /* inf vs max */
    { NINF, NINF, -32768, -2147483647 - 1 },                         /* -inf vs -inf */
    { 0xC000000000000000ull, 0x3FB999999999999Aull, -3, -1 },        /* -2 vs 0.1 */
};

static void fxam(void)
{
    static const uint64_t vals[] = { 0ull, NZERO, 0x3FF0000000000000ull, 0xBFF0000000000000ull, PINF, NINF,
                                     QNAN, 0xFFF8000000000000ull, 0x7FEFFFFFFFFFFFFFull };
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        xa = dfrom(vals[i]);
        __asm__ volatile("fninit\n\tfldl %[a]\n\tfxam\n\tfnstsw %[sw]\n\tfninit" : [sw] "=m"(xsw) : [a] "m"(xa) : "memory");
        printf("fxam v%u:", i);
        pd(xa);
        printf(" sw=%04x\n", xsw & SW_SHOWN);
    }
    /* empty register: C3 C0 = 1 1. C1 would be the sign of the stale
     * register content, which FNINIT does not clear: masked. */
    __asm__ volatile("fninit\n\tfxam\n\tfnstsw %[sw]\n\tfninit" : [sw] "=m"(xsw) :: "memory");
    printf("fxam empty: sw=%04x\n", xsw & SW_SHOWN & ~SW_C1);
    __asm__ volatile("fninit\n\tfld1\n\tfldz\n\tffree %%st(1)\n\tfincstp\n\tfxam\n\tfnstsw %[sw]\n\tfninit"
                     : [sw] "=m"(xsw) :: "memory");
    printf("fxam ffree'd: sw=%04x\n", xsw & SW_SHOWN & ~SW_C1);
}

void cmp_tests(void)
{
    for (unsigned c = 0; c < sizeof cmps / sizeof cmps[0]; c++)
        for (unsigned p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
            xa = dfrom(pairs[p].a);
            xb = dfrom(pairs[p].b);
            xf = (float)xb;
            xi16 = pairs[p].i16;
            xi32 = pairs[p].i32;
            xfl = 0;
            cmps[c].fn();
            if (cmps[c].eflags)   /* FCOMI: C0 C2 C3 not affected (were 0 after FNINIT) */
                printf("%s p%u: sw=%04x fl=%03x\n", cmps[c].name, p, xsw & SW_SHOWN, xfl & FL_ZPC);
            else
                printf("%s p%u: sw=%04x\n", cmps[c].name, p, xsw & SW_SHOWN);
        }
    fxam();
}
