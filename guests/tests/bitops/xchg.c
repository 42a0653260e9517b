/*
 * XCHG, XADD, CMPXCHG (8/16/32, register and memory) and CMPXCHG8B
 * (SDM Vol. 2 "XCHG", "XADD", "CMPXCHG", "CMPXCHG8B/16B").
 *
 *   XCHG: no flags affected.   XADD: dest = dest + src, src = old dest;
 *   flags as ADD (all six defined).   CMPXCHG: compare accumulator with
 *   dest; equal: ZF=1, dest = src; else ZF=0, accumulator = dest; flags as
 *   CMP (all six defined).   CMPXCHG8B m64: compare EDX:EAX with m64;
 *   equal: ZF=1, m64 = ECX:EBX; else ZF=0, EDX:EAX = m64; CF PF AF SF OF
 *   unaffected.
 * Nothing is masked in this file.
 */
#include "common.h"

static uint32_t mem;
static uint64_t mem64;

/* ---- XCHG ---- */
static void xchg_part(void)
{
    static const uint32_t in[][2] = {
        { 0x11223344, 0xAABBCCDD }, { 0x80000000, 0x7FFFFFFF }, { 0, 0xFFFFFFFF },
    };
    for (unsigned i = 0; i < 3; i++) {
        uint32_t a = in[i][0], b = in[i][1], f;
        __asm__ volatile(FL_IN "xchgb %b[b], %b[a]" FL_OUT
                         : [a] "+q"(a), [b] "+q"(b), [f] "=&r"(f) : [fin] "r"(0x8D5u) : "cc");
        printf("xchg8 rr: %08x %08x .%03x\n", a, b, f & FLAGS_ARITH);
        __asm__ volatile(FL_IN "xchgb %%ah, %%al\n\txchgb %%bl, %%bh\n\txchgb %%ah, %%bl" FL_OUT
                         : "+a"(a), "+b"(b), [f] "=&r"(f) : [fin] "r"(0u) : "cc");
        printf("xchg8 hi: %08x %08x .%03x\n", a, b, f & FLAGS_ARITH);
        __asm__ volatile(FL_IN "xchgw %w[b], %w[a]" FL_OUT
                         : [a] "+r"(a), [b] "+r"(b), [f] "=&r"(f) : [fin] "r"(0x8D5u) : "cc");
        printf("xchg16 rr: %08x %08x .%03x\n", a, b, f & FLAGS_ARITH);
        __asm__ volatile(FL_IN "xchgl %k[b], %k[a]" FL_OUT
                         : [a] "+r"(a), [b] "+r"(b), [f] "=&r"(f) : [fin] "r"(0u) : "cc");
        printf("xchg32 rr: %08x %08x .%03x\n", a, b, f & FLAGS_ARITH);
        /* 90+r short forms: xchg %eax,%ecx and 66 90+r */
        __asm__ volatile(FL_IN "xchgl %%eax, %%ecx\n\txchgw %%ax, %%dx" FL_OUT
                         : "+a"(a), "+c"(b), [f] "=&r"(f) : "d"(0x5555AAAAu), [fin] "r"(0x8D5u) : "cc");
        printf("xchg acc: %08x %08x .%03x\n", a, b, f & FLAGS_ARITH);
        mem = b;
        __asm__ volatile(FL_IN "xchgb %b[a], %[x]" FL_OUT
                         : [a] "+q"(a), [x] "+m"(mem), [f] "=&r"(f) : [fin] "r"(0u) : "cc");
        printf("xchg8 m: %08x %08x .%03x\n", a, mem, f & FLAGS_ARITH);
        __asm__ volatile(FL_IN "xchgw %w[a], %[x]" FL_OUT
                         : [a] "+r"(a), [x] "+m"(mem), [f] "=&r"(f) : [fin] "r"(0x8D5u) : "cc");
        printf("xchg16 m: %08x %08x .%03x\n", a, mem, f & FLAGS_ARITH);
        __asm__ volatile(FL_IN "xchgl %[x], %k[a]" FL_OUT
                         : [a] "+r"(a), [x] "+m"(mem), [f] "=&r"(f) : [fin] "r"(0u) : "cc");
        printf("xchg32 m: %08x %08x .%03x\n", a, mem, f & FLAGS_ARITH);
    }
}

/* ---- XADD / CMPXCHG ---- */
typedef void (*x2_fn)(uint32_t *d, uint32_t *s, uint32_t *acc, uint32_t fin, uint32_t *fo);
#define XR(fn, insn, m, c) \
static void fn(uint32_t *d, uint32_t *s, uint32_t *acc, uint32_t fin, uint32_t *fo) \
{ uint32_t f; __asm__ volatile(FL_IN insn " %" m "[s], %" m "[d]" FL_OUT \
    : [d] "+" c (*d), [s] "+" c (*s), "+a" (*acc), [f] "=&r" (f) : [fin] "r" (fin) : "cc"); *fo = f; }
#define XM(fn, insn, m, c) \
static void fn(uint32_t *d, uint32_t *s, uint32_t *acc, uint32_t fin, uint32_t *fo) \
{ uint32_t f; mem = *d; __asm__ volatile(FL_IN insn " %" m "[s], %[x]" FL_OUT \
    : [x] "+m" (mem), [s] "+" c (*s), "+a" (*acc), [f] "=&r" (f) : [fin] "r" (fin) : "cc"); \
  *d = mem; *fo = f; }
#define X3(op) XR(op##8_r, #op "b", "b", "q") XM(op##8_m, #op "b", "b", "q") \
    XR(op##16_r, #op "w", "w", "r") XM(op##16_m, #op "w", "w", "r") \
    XR(op##32_r, #op "l", "k", "r") XM(op##32_m, #op "l", "k", "r")
X3(xadd) X3(cmpxchg)

static const struct { const char *name; int bits; x2_fn fn; } x2ops[] = {
    { "xadd8 r", 8, xadd8_r }, { "xadd8 m", 8, xadd8_m },
    { "xadd16 r", 16, xadd16_r }, { "xadd16 m", 16, xadd16_m },
    { "xadd32 r", 32, xadd32_r }, { "xadd32 m", 32, xadd32_m },
    { "cmpxchg8 r", 8, cmpxchg8_r }, { "cmpxchg8 m", 8, cmpxchg8_m },
    { "cmpxchg16 r", 16, cmpxchg16_r }, { "cmpxchg16 m", 16, cmpxchg16_m },
    { "cmpxchg32 r", 32, cmpxchg32_r }, { "cmpxchg32 m", 32, cmpxchg32_m },
};
static const uint32_t xv[] = { 0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF,
                               0x7FFFFFFF, 0x80000000, 0xFFFFFFFF };

/* Line per first value: XADD over sources, CMPXCHG over destinations (with
 * the accumulator = first value, source = 0x5A5A5A5A). Prints d s eax.flags. */
static void x2_part(void)
{
    for (unsigned i = 0; i < sizeof x2ops / sizeof x2ops[0]; i++) {
        int bits = x2ops[i].bits, isx = x2ops[i].name[0] == 'x';
        uint32_t fin = (i & 1) ? 0x8D5 : 0;
        for (unsigned a = 0; a < sizeof xv / 4; a++) {
            printf("%s f=%03x %s=%08x:", x2ops[i].name, fin, isx ? "d" : "acc", xv[a]);
            for (unsigned b = 0; b < sizeof xv / 4; b++) {
                uint32_t d, s, acc, f;
                if (isx) {
                    d = widen(xv[a], bits, JUNK);
                    s = widen(xv[b], bits, 0x5A5A5A00);
                    acc = 0x0BADF00D;
                } else {
                    d = widen(xv[b], bits, JUNK);
                    s = 0x5A5A5A5A;
                    acc = widen(xv[a], bits, 0x3C3C3C00);
                }
                x2ops[i].fn(&d, &s, &acc, fin, &f);
                if (isx)
                    printf(" %08x,%08x.%03x", d, s, f & FLAGS_ARITH);
                else
                    printf(" %08x,%08x.%03x", d, acc, f & FLAGS_ARITH);
            }
            printf("\n");
        }
    }
}

/* ---- CMPXCHG8B ---- */
static void cx8_part(void)
{
    static const uint64_t cmpv[] = { 0x1122334455667788ull, 0x1122334455667789ull,
                                     0x0122334455667788ull, 0ull };
    for (unsigned i = 0; i < 4; i++)
        for (unsigned z = 0; z < 2; z++) {
            uint32_t fin = z ? 0x8D5 : 0x000, f;
            uint32_t lo = (uint32_t)cmpv[i], hi = (uint32_t)(cmpv[i] >> 32);
            mem64 = i == 3 ? 0 : 0x1122334455667788ull;
            __asm__ volatile(FL_IN "cmpxchg8b %[x]" FL_OUT
                             : [x] "+m"(mem64), "+a"(lo), "+d"(hi), [f] "=&r"(f)
                             : "b"(0xCAFEBABEu), "c"(0xDEADBEEFu), [fin] "r"(fin) : "cc");
            printf("cmpxchg8b f=%03x cmp=%08x%08x: edx:eax=%08x:%08x m=%08x%08x .%03x\n", fin,
                   (uint32_t)(cmpv[i] >> 32), (uint32_t)cmpv[i], hi, lo,
                   (uint32_t)(mem64 >> 32), (uint32_t)mem64, f & FLAGS_ARITH);
        }
}

void xchg_tests(void)
{
    xchg_part();
    x2_part();
    cx8_part();
}
