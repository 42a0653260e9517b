/*
 * BSF, BSR (16/32, register and memory source) and BSWAP
 * (SDM Vol. 2 "BSF", "BSR", "BSWAP").
 *
 * BSF/BSR: ZF = (source == 0); CF OF SF AF PF undefined, so only ZF is
 * printed. When the source is zero the destination is undefined (Intel;
 * AMD documents it unchanged): then only ".zf" is printed, no register.
 * BSWAP 32-bit only (the 16-bit form is undefined). No flags affected.
 */
#include "common.h"

typedef uint32_t (*scan_fn)(uint32_t d, uint32_t s, uint32_t fin, uint32_t *fo);
static uint32_t mem;

#define SCR(fn, insn, m) \
static uint32_t fn(uint32_t d, uint32_t s, uint32_t fin, uint32_t *fo) \
{ uint32_t f; __asm__ volatile(FL_IN insn " %" m "[s], %" m "[d]" FL_OUT \
    : [d] "+r" (d), [f] "=&r" (f) : [s] "r" (s), [fin] "r" (fin) : "cc"); *fo = f; return d; }
#define SCM(fn, insn, m) \
static uint32_t fn(uint32_t d, uint32_t s, uint32_t fin, uint32_t *fo) \
{ uint32_t f; mem = s; __asm__ volatile(FL_IN insn " %[x], %" m "[d]" FL_OUT \
    : [d] "+r" (d), [f] "=&r" (f) : [x] "m" (mem), [fin] "r" (fin) : "cc"); *fo = f; return d; }
SCR(bsf16_r, "bsfw", "w") SCM(bsf16_m, "bsfw", "w") SCR(bsf32_r, "bsfl", "k") SCM(bsf32_m, "bsfl", "k")
SCR(bsr16_r, "bsrw", "w") SCM(bsr16_m, "bsrw", "w") SCR(bsr32_r, "bsrl", "k") SCM(bsr32_m, "bsrl", "k")

static const struct { const char *name; int bits; scan_fn fn; } scans[] = {
    { "bsf16 r", 16, bsf16_r }, { "bsf16 m", 16, bsf16_m },
    { "bsf32 r", 32, bsf32_r }, { "bsf32 m", 32, bsf32_m },
    { "bsr16 r", 16, bsr16_r }, { "bsr16 m", 16, bsr16_m },
    { "bsr32 r", 32, bsr32_r }, { "bsr32 m", 32, bsr32_m },
};
static const uint32_t srcs[] = { 0, 1, 2, 0x80, 0x7FFF, 0x8000, 0xFFFF, 0x00010000, 0x7FFFFFFF,
                                 0x80000000, 0xFFFFFFFF, 0x00F0F000, 0x12345678, 0xFFFF0000 };

/* BSF/BSR: CF OF SF AF PF undefined (SDM); ZF defined. */
#define SCAN_SHOWN EFL_ZF

void scan_tests(void)
{
    for (unsigned i = 0; i < sizeof scans / sizeof scans[0]; i++)
        for (unsigned z = 0; z < 2; z++) {
            uint32_t fin = z ? 0x8D5 : 0x000;
            printf("%s f=%03x:", scans[i].name, fin);
            for (unsigned k = 0; k < sizeof srcs / 4; k++) {
                uint32_t f, s = srcs[k] | (scans[i].bits == 16 ? 0xA5A50000u : 0);
                uint32_t r = scans[i].fn(0xC0DEA5A5u, s, fin, &f);
                uint32_t low = scans[i].bits == 16 ? s & 0xFFFF : s;
                if (low)
                    printf(" %08x.%03x", r, f & SCAN_SHOWN);
                else
                    printf(" .%03x", f & SCAN_SHOWN);
            }
            printf("\n");
        }
    printf("bswap:");
    for (unsigned k = 0; k < sizeof srcs / 4; k++) {
        uint32_t v = srcs[k], f;
        __asm__ volatile(FL_IN "bswap %[v]" FL_OUT : [v] "+r" (v), [f] "=&r" (f)
                         : [fin] "r" (0x8D5u) : "cc");
        printf(" %08x.%03x", v, f & FLAGS_ARITH);
    }
    printf("\n");
}
