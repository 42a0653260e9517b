/*
 * muldiv: MUL, IMUL (one, two and three operands), DIV and IDIV
 * (SDM Vol. 2 "MUL", "IMUL", "DIV", "IDIV").
 *
 *   MUL/IMUL r/m8   AX      = AL * src        DIV/IDIV r/m8   AL, AH   = AX / src
 *   MUL/IMUL r/m16  DX:AX   = AX * src        DIV/IDIV r/m16  AX, DX   = DX:AX / src
 *   MUL/IMUL r/m32  EDX:EAX = EAX * src       DIV/IDIV r/m32  EAX, EDX = EDX:EAX / src
 *
 * Flags: MUL and IMUL define only CF and OF (SF ZF AF PF undefined), so only
 * those are printed (".c" = CF, ".o" = OF in the 0x801 mask). DIV and IDIV
 * leave all six flags undefined: none printed. A zero divisor or a quotient
 * that does not fit raises #DE (vector 0); that case prints "#0".
 * 8/16-bit operands sit in registers with junk upper bits, printed whole.
 */
#include "test.h"

#define FL_IN  "pushl %[fin]\n\tpopfl\n\t"
#define FL_OUT "\n\tpushfl\n\tpopl %[f]"
/* MUL, IMUL (SDM "Flags Affected"): SF ZF AF PF undefined; CF OF defined. */
#define MUL_DEFINED (EFL_CF | EFL_OF)

static uint32_t mem;

/* one-operand multiply: in/out EAX, EDX; source in reg or mem */
typedef void (*mul1_fn)(uint32_t *a, uint32_t *d, uint32_t s, uint32_t fin, uint32_t *fo);
#define M1R(fn, insn, m, c) \
static void fn(uint32_t *a, uint32_t *d, uint32_t s, uint32_t fin, uint32_t *fo) \
{ uint32_t f; __asm__ volatile(FL_IN insn " %" m "[s]" FL_OUT \
    : "+a" (*a), "+d" (*d), [f] "=&r" (f) : [s] c (s), [fin] "r" (fin) : "cc"); *fo = f; }
#define M1M(fn, insn) \
static void fn(uint32_t *a, uint32_t *d, uint32_t s, uint32_t fin, uint32_t *fo) \
{ uint32_t f; mem = s; __asm__ volatile(FL_IN insn " %[x]" FL_OUT \
    : "+a" (*a), "+d" (*d), [f] "=&r" (f) : [x] "m" (mem), [fin] "r" (fin) : "cc"); *fo = f; }
/* "q" keeps 8-bit sources in a byte register (the asm names %b, never AH) */
#define M1(op) \
    M1R(op##8_r, #op "b", "b", "q") M1M(op##8_m, #op "b") \
    M1R(op##16_r, #op "w", "w", "r") M1M(op##16_m, #op "w") \
    M1R(op##32_r, #op "l", "k", "r") M1M(op##32_m, #op "l")
M1(mul) M1(imul) M1(div) M1(idiv)

/* IMUL r, r/m and IMUL r, r/m, imm */
typedef uint32_t (*mul2_fn)(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fo);
#define I2R(fn, sfx, m) \
static uint32_t fn(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fo) \
{ uint32_t f; __asm__ volatile(FL_IN "imul" sfx " %" m "[b], %" m "[a]" FL_OUT \
    : [a] "+r" (a), [f] "=&r" (f) : [b] "r" (b), [fin] "r" (fin) : "cc"); *fo = f; return a; }
#define I2M(fn, sfx, m) \
static uint32_t fn(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fo) \
{ uint32_t f; mem = b; __asm__ volatile(FL_IN "imul" sfx " %[x], %" m "[a]" FL_OUT \
    : [a] "+r" (a), [f] "=&r" (f) : [x] "m" (mem), [fin] "r" (fin) : "cc"); *fo = f; return a; }
/* dest starts as junk: the 16-bit forms must keep its upper half */
#define I3R(fn, sfx, m, imm) \
static uint32_t fn(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fo) \
{ uint32_t f, r = 0x5A5A5A5A; (void)b; __asm__ volatile(FL_IN "imul" sfx " $" #imm ", %" m "[a], %" m "[r]" FL_OUT \
    : [r] "+&r" (r), [f] "=&r" (f) : [a] "r" (a), [fin] "r" (fin) : "cc"); *fo = f; return r; }
#define I3M(fn, sfx, m, imm) \
static uint32_t fn(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fo) \
{ uint32_t f, r = 0x5A5A5A5A; (void)b; mem = a; __asm__ volatile(FL_IN "imul" sfx " $" #imm ", %[x], %" m "[r]" FL_OUT \
    : [r] "+&r" (r), [f] "=&r" (f) : [x] "m" (mem), [fin] "r" (fin) : "cc"); *fo = f; return r; }
I2R(imul16_rr, "w", "w") I2M(imul16_rm, "w", "w") I2R(imul32_rr, "l", "k") I2M(imul32_rm, "l", "k")
I3R(imul16_ri1, "w", "w", -1) I3M(imul16_mi1, "w", "w", -1)
I3R(imul16_ri2, "w", "w", 0x7F) I3M(imul16_mi2, "w", "w", 0x7F)
I3R(imul16_ri3, "w", "w", 0x8001) I3M(imul16_mi3, "w", "w", 0x8001)
I3R(imul32_ri1, "l", "k", -1) I3M(imul32_mi1, "l", "k", -1)
I3R(imul32_ri2, "l", "k", 0x7F) I3M(imul32_mi2, "l", "k", 0x7F)
I3R(imul32_ri3, "l", "k", 0x80000001) I3M(imul32_mi3, "l", "k", 0x80000001)

static const uint32_t v8[] = { 0x00, 0x01, 0x7F, 0x80, 0xFF, 0x02, 0x10, 0x5A, 0xC3 };
static const uint32_t v16[] = { 0x0000, 0x0001, 0x007F, 0x0080, 0x00FF, 0x7FFF, 0x8000,
                                0xFFFF, 0x0100, 0x1234, 0xC3A5 };
static const uint32_t v32[] = { 0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF,
                                0x80000000, 0xFFFFFFFF, 0x00010000, 0x12345678, 0x9ABCDEF0 };
#define JUNK_A 0xC0DEA500u
#define JUNK_D 0xD00DF000u
#define JUNK_S 0x5A5A5A00u

static uint32_t mask_of(int bits) { return bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1; }
static uint32_t widen(uint32_t v, int bits, uint32_t junk)
{ return (v & mask_of(bits)) | (junk & ~mask_of(bits)); }
static const uint32_t *vals(int bits, unsigned *n)
{
    if (bits == 8)  { *n = sizeof v8 / 4;  return v8; }
    if (bits == 16) { *n = sizeof v16 / 4; return v16; }
    *n = sizeof v32 / 4; return v32;
}
static void phex(int bits, uint32_t v)
{ printf(bits == 8 ? "%02x:" : bits == 16 ? "%04x:" : "%08x:", v); }

struct m1 { const char *name; int bits; mul1_fn r, m; };
#define M1T(op) { #op, 8, op##8_r, op##8_m }, { #op, 16, op##16_r, op##16_m }, \
                { #op, 32, op##32_r, op##32_m }
static const struct m1 muls[] = { M1T(mul), M1T(imul) };
static const struct m1 divs[] = { M1T(div), M1T(idiv) };

/* MUL / IMUL one-operand: line per multiplicand (EAX/AX/AL), over sources. */
static void mul_one(void)
{
    for (unsigned i = 0; i < sizeof muls / sizeof muls[0]; i++) {
        const struct m1 *o = &muls[i];
        unsigned n;
        const uint32_t *v = vals(o->bits, &n);
        for (unsigned k = 0; k < 2; k++)
            for (unsigned a = 0; a < n; a++) {
                uint32_t fin = k ? 0x8D5 : 0x000;
                printf("%s%d %s f=%03x a=", o->name, o->bits, k ? "m" : "r", fin);
                phex(o->bits, v[a]);
                for (unsigned s = 0; s < n; s++) {
                    uint32_t ea = widen(v[a], o->bits, JUNK_A), ed = JUNK_D, f;
                    (k ? o->m : o->r)(&ea, &ed, widen(v[s], o->bits, JUNK_S), fin, &f);
                    printf(" %08x:%08x.%03x", ed, ea, f & MUL_DEFINED);
                }
                printf("\n");
            }
    }
}

struct m2 { const char *name; int bits; mul2_fn fn; };
static const struct m2 imul2[] = {
    { "imul16 rr", 16, imul16_rr }, { "imul16 rm", 16, imul16_rm },
    { "imul32 rr", 32, imul32_rr }, { "imul32 rm", 32, imul32_rm },
};
static const struct m2 imul3[] = {
    { "imul16 ri $-1", 16, imul16_ri1 }, { "imul16 mi $-1", 16, imul16_mi1 },
    { "imul16 ri $7f", 16, imul16_ri2 }, { "imul16 mi $7f", 16, imul16_mi2 },
    { "imul16 ri $8001", 16, imul16_ri3 }, { "imul16 mi $8001", 16, imul16_mi3 },
    { "imul32 ri $-1", 32, imul32_ri1 }, { "imul32 mi $-1", 32, imul32_mi1 },
    { "imul32 ri $7f", 32, imul32_ri2 }, { "imul32 mi $7f", 32, imul32_mi2 },
    { "imul32 ri $80000001", 32, imul32_ri3 }, { "imul32 mi $80000001", 32, imul32_mi3 },
};

static void mul_two_three(void)
{
    for (unsigned i = 0; i < sizeof imul2 / sizeof imul2[0]; i++) {
        const struct m2 *o = &imul2[i];
        unsigned n;
        const uint32_t *v = vals(o->bits, &n);
        for (unsigned a = 0; a < n; a++) {
            uint32_t fin = (i & 1) ? 0x8D5 : 0;
            printf("%s f=%03x a=", o->name, fin);
            phex(o->bits, v[a]);
            for (unsigned b = 0; b < n; b++) {
                uint32_t f, r = o->fn(widen(v[a], o->bits, JUNK_A), widen(v[b], o->bits, JUNK_S), fin, &f);
                printf(" %08x.%03x", r, f & MUL_DEFINED);
            }
            printf("\n");
        }
    }
    for (unsigned i = 0; i < sizeof imul3 / sizeof imul3[0]; i++) {
        const struct m2 *o = &imul3[i];
        unsigned n;
        const uint32_t *v = vals(o->bits, &n);
        uint32_t fin = (i & 1) ? 0x8D5 : 0;
        printf("%s f=%03x:", o->name, fin);
        for (unsigned a = 0; a < n; a++) {
            uint32_t f, r = o->fn(widen(v[a], o->bits, JUNK_S), 0, fin, &f);
            printf(" %08x.%03x", r, f & MUL_DEFINED);
        }
        printf("\n");
    }
}

/* Dividends (high:low halves of the double-width dividend, each masked to
 * the operand size; for 8 bits that is AH:AL). */
static const uint32_t dividends[][2] = {
    { 0, 0 }, { 0, 1 }, { 0, 0x7FFFFFFF }, { 0, 0x80000000 }, { 0, 0xFFFFFFFF },
    { 1, 0 }, { 0x7FFFFFFF, 0xFFFFFFFF }, { 0x80000000, 0 }, { 0xFFFFFFFF, 0xFFFFFFFF },
    { 0xFFFFFFFF, 0x80000000 }, { 0x12345678, 0x9ABCDEF0 }, { 0xFFFFFFFF, 0x00000001 },
    { 0x00000000, 0x00001234 }, { 0x00008000, 0x00000000 }, { 0x00000080, 0x00000000 },
};

/* One divide; prints "edx:eax" or "#<vector>". */
static void div_case(mul1_fn fn, uint32_t a0, uint32_t d0, uint32_t src)
{
    TRY {
        uint32_t ta = a0, td = d0, f;
        fn(&ta, &td, src, 0, &f);
        printf(" %08x:%08x", td, ta);
    } CATCH {
        printf(" #%u", last_exc.vector);
    }
}

/*
 * DIV / IDIV: all flags undefined (SDM "Flags Affected"), none printed.
 * Skipped (printed "-"): IDIV of the most negative double-width dividend by
 * -1 at 16 and 32 bits. The SDM says #DE; QEMU 7.2 computes the quotient
 * with a host division that traps (INT_MIN / -1) and QEMU itself dies with
 * SIGFPE. The idiv-overflow-sdm test covers it against the SDM
 * (docs/qemu-deviations.md).
 */
static void divide(void)
{
    for (unsigned i = 0; i < sizeof divs / sizeof divs[0]; i++) {
        const struct m1 *o = &divs[i];
        unsigned n;
        const uint32_t *v = vals(o->bits, &n);
        uint32_t m = mask_of(o->bits), sign = (m >> 1) + 1;
        for (unsigned k = 0; k < 2; k++)
            for (unsigned d = 0; d < sizeof dividends / sizeof dividends[0]; d++) {
                uint32_t hi = dividends[d][0] & m, lo = dividends[d][1] & m;
                uint32_t a0, d0;
                if (o->bits == 8) {
                    a0 = (JUNK_A & 0xFFFF0000u) | (hi << 8) | lo;
                    d0 = JUNK_D;
                } else {
                    a0 = widen(lo, o->bits, JUNK_A);
                    d0 = widen(hi, o->bits, JUNK_D);
                }
                printf("%s%d %s n=%x:%x:", o->name, o->bits, k ? "m" : "r", hi, lo);
                for (unsigned s = 0; s < n; s++) {
                    if (o->name[0] == 'i' && o->bits > 8 && hi == sign && lo == 0 && v[s] == m) {
                        printf(" -");
                        continue;
                    }
                    div_case(k ? o->m : o->r, a0, d0, widen(v[s], o->bits, JUNK_S));
                }
                printf("\n");
            }
    }
}

void test_main(void)
{
    mul_one();
    mul_two_three();
    divide();
}
