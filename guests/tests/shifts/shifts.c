/*
 * shifts: SHL SHR SAR ROL ROR RCL RCR in 8/16/32 bits and SHLD/SHRD in 16/32
 * bits (SDM Vol. 2 "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD").
 *
 * The count is masked to 5 bits by the CPU (so 32 acts as 0 and 33 as 1);
 * RCL/RCR then rotate by count mod 9 (8-bit) or mod 17 (16-bit).
 * Each case loads EFLAGS (POPF), runs one shift with the count in CL (or as
 * the 1 / imm8 encodings), captures EFLAGS. Flags printed: EFLAGS & 0x8D5
 * minus what the SDM leaves undefined for that count (see undef_*()).
 *
 * Line: <op><size> <form> f=<in flags> n=<count>: <result>.<flags> ...
 *   forms: r = reg by CL, m = mem by CL, r1 = D0/D1 (by 1), ri/mi = by imm8
 */
#include "test.h"

#define FLAGS_ARITH 0x8D5u
#define FL_IN  "pushl %[fin]\n\tpopfl\n\t"
#define FL_OUT "\n\tpushfl\n\tpopl %[f]"

typedef uint32_t (*sh_fn)(uint32_t a, uint32_t n, uint32_t fin, uint32_t *fo);
static uint32_t mem;

#define SR(fn, insn, m) \
static uint32_t fn(uint32_t a, uint32_t n, uint32_t fin, uint32_t *fo) \
{ uint32_t f; __asm__ volatile(FL_IN insn " %%cl, %" m "[a]" FL_OUT \
    : [a] "+r" (a), [f] "=&r" (f) : "c" (n), [fin] "r" (fin) : "cc"); *fo = f; return a; }
#define SM(fn, insn) \
static uint32_t fn(uint32_t a, uint32_t n, uint32_t fin, uint32_t *fo) \
{ uint32_t f; mem = a; __asm__ volatile(FL_IN insn " %%cl, %[x]" FL_OUT \
    : [x] "+m" (mem), [f] "=&r" (f) : "c" (n), [fin] "r" (fin) : "cc"); *fo = f; return mem; }
#define S1(fn, insn, m) \
static uint32_t fn(uint32_t a, uint32_t n, uint32_t fin, uint32_t *fo) \
{ uint32_t f; (void)n; __asm__ volatile(FL_IN insn " %" m "[a]" FL_OUT \
    : [a] "+r" (a), [f] "=&r" (f) : [fin] "r" (fin) : "cc"); *fo = f; return a; }
#define SI(fn, insn, m, imm) \
static uint32_t fn(uint32_t a, uint32_t n, uint32_t fin, uint32_t *fo) \
{ uint32_t f; (void)n; __asm__ volatile(FL_IN insn " $" #imm ", %" m "[a]" FL_OUT \
    : [a] "+r" (a), [f] "=&r" (f) : [fin] "r" (fin) : "cc"); *fo = f; return a; }
#define SMI(fn, insn, imm) \
static uint32_t fn(uint32_t a, uint32_t n, uint32_t fin, uint32_t *fo) \
{ uint32_t f; (void)n; mem = a; __asm__ volatile(FL_IN insn " $" #imm ", %[x]" FL_OUT \
    : [x] "+m" (mem), [f] "=&r" (f) : [fin] "r" (fin) : "cc"); *fo = f; return mem; }

/* 8-bit forms need a byte register: "q" through m = "b" on a q-constrained copy. */
#define SR8(fn, insn) \
static uint32_t fn(uint32_t a, uint32_t n, uint32_t fin, uint32_t *fo) \
{ uint32_t f; __asm__ volatile(FL_IN insn " %%cl, %b[a]" FL_OUT \
    : [a] "+q" (a), [f] "=&r" (f) : "c" (n), [fin] "r" (fin) : "cc"); *fo = f; return a; }
#define S18(fn, insn) \
static uint32_t fn(uint32_t a, uint32_t n, uint32_t fin, uint32_t *fo) \
{ uint32_t f; (void)n; __asm__ volatile(FL_IN insn " %b[a]" FL_OUT \
    : [a] "+q" (a), [f] "=&r" (f) : [fin] "r" (fin) : "cc"); *fo = f; return a; }
#define SI8(fn, insn, imm) \
static uint32_t fn(uint32_t a, uint32_t n, uint32_t fin, uint32_t *fo) \
{ uint32_t f; (void)n; __asm__ volatile(FL_IN insn " $" #imm ", %b[a]" FL_OUT \
    : [a] "+q" (a), [f] "=&r" (f) : [fin] "r" (fin) : "cc"); *fo = f; return a; }

#define SHOP(op) \
    SR8(op##8_r, #op "b") SM(op##8_m, #op "b") S18(op##8_r1, #op "b") \
    SI8(op##8_ri7, #op "b", 7) SMI(op##8_mi33, #op "b", 33) \
    SR(op##16_r, #op "w", "w") SM(op##16_m, #op "w") S1(op##16_r1, #op "w", "w") \
    SI(op##16_ri7, #op "w", "w", 7) SMI(op##16_mi33, #op "w", 33) \
    SR(op##32_r, #op "l", "k") SM(op##32_m, #op "l") S1(op##32_r1, #op "l", "k") \
    SI(op##32_ri7, #op "l", "k", 7) SMI(op##32_mi33, #op "l", 33)
SHOP(shl) SHOP(shr) SHOP(sar) SHOP(rol) SHOP(ror) SHOP(rcl) SHOP(rcr)

enum kind { K_SHIFT, K_ROT, K_RC };
struct op {
    const char *name; int bits; enum kind kind;
    sh_fn r, m, r1, ri7, mi33;
};
#define OP3(op, k) \
    { #op, 8, k, op##8_r, op##8_m, op##8_r1, op##8_ri7, op##8_mi33 }, \
    { #op, 16, k, op##16_r, op##16_m, op##16_r1, op##16_ri7, op##16_mi33 }, \
    { #op, 32, k, op##32_r, op##32_m, op##32_r1, op##32_ri7, op##32_mi33 }
static const struct op ops[] = {
    OP3(shl, K_SHIFT), OP3(shr, K_SHIFT), OP3(sar, K_SHIFT),
    OP3(rol, K_ROT), OP3(ror, K_ROT), OP3(rcl, K_RC), OP3(rcr, K_RC),
};

/*
 * Undefined flags by masked count mc (SDM Vol. 2, "Flags Affected"):
 *  SHL/SHR/SAR: mc = 0 affects no flags; mc != 0: AF undefined; mc > 1: OF
 *    undefined; SHL/SHR with mc >= operand size: CF undefined.
 *  ROL/ROR/RCL/RCR: mc = 0 affects no flags; SF ZF AF PF never affected;
 *    mc > 1: OF undefined (for RCL/RCR also when mc mod 9/17 is 0, since
 *    the SDM ties OF to the masked count being 1).
 */
static uint32_t undef_for(const struct op *o, unsigned n)
{
    unsigned mc = n & 31;
    uint32_t u = 0;
    if (mc == 0)
        return 0;
    if (mc > 1)
        u |= EFL_OF;
    if (o->kind == K_SHIFT) {
        u |= EFL_AF;
        if (o->name[1] == 'h' && mc >= (unsigned)o->bits)   /* shl, shr */
            u |= EFL_CF;
    }
    return u;
}

static const uint32_t v8[] = { 0x00, 0x01, 0x7F, 0x80, 0xFF, 0x81, 0x5A, 0xC3 };
static const uint32_t v16[] = { 0x0000, 0x0001, 0x7FFF, 0x8000, 0xFFFF, 0x8001, 0x1234, 0xC3A5 };
static const uint32_t v32[] = { 0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x80000001,
                                0x12345678, 0x9ABCDEF0 };
#define NV 8
static const unsigned counts[] = { 0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33 };
#define NCOUNTS (sizeof counts / sizeof counts[0])
#define JUNK 0xC0DEA500u

static uint32_t widen(uint32_t v, int bits)
{
    uint32_t mask = bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1;
    return (v & mask) | (JUNK & ~mask);
}
static const uint32_t *vals(int bits) { return bits == 8 ? v8 : bits == 16 ? v16 : v32; }

static void row(const struct op *o, const char *form, sh_fn fn, uint32_t fin, unsigned n)
{
    const uint32_t *v = vals(o->bits);
    uint32_t u = undef_for(o, n);
    printf("%s%d %s f=%03x n=%u:", o->name, o->bits, form, fin, n);
    for (unsigned i = 0; i < NV; i++) {
        uint32_t f, r = fn(widen(v[i], o->bits), n, fin, &f);
        printf(" %08x.%03x", r, f & FLAGS_ARITH & ~u);
    }
    printf("\n");
}

/* Register form starts from flags clear (CF=0/1 for RCL/RCR), memory form from
 * all set (CF=0/1), so "no flags affected" at count 0 shows both ways. */
static void shift_rot(void)
{
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        const struct op *o = &ops[i];
        unsigned ncf = o->kind == K_RC ? 2 : 1;
        for (unsigned c = 0; c < ncf; c++) {
            for (unsigned k = 0; k < NCOUNTS; k++)
                row(o, "r", o->r, 0x000 | c, counts[k]);
            for (unsigned k = 0; k < NCOUNTS; k++)
                row(o, "m", o->m, 0x8D4 | (c ^ 1), counts[k]);
            row(o, "r1", o->r1, 0x8D4 | c, 1);
            row(o, "ri", o->ri7, 0x000 | c, 7);
            row(o, "mi", o->mi33, 0x8D4 | c, 33);
        }
    }
}

/* ---- SHLD / SHRD ---- */
typedef uint32_t (*dsh_fn)(uint32_t a, uint32_t b, uint32_t n, uint32_t fin, uint32_t *fo);
#define DR(fn, insn, m) \
static uint32_t fn(uint32_t a, uint32_t b, uint32_t n, uint32_t fin, uint32_t *fo) \
{ uint32_t f; __asm__ volatile(FL_IN insn " %%cl, %" m "[b], %" m "[a]" FL_OUT \
    : [a] "+r" (a), [f] "=&r" (f) : [b] "r" (b), "c" (n), [fin] "r" (fin) : "cc"); *fo = f; return a; }
#define DM(fn, insn, m) \
static uint32_t fn(uint32_t a, uint32_t b, uint32_t n, uint32_t fin, uint32_t *fo) \
{ uint32_t f; mem = a; __asm__ volatile(FL_IN insn " %%cl, %" m "[b], %[x]" FL_OUT \
    : [x] "+m" (mem), [f] "=&r" (f) : [b] "r" (b), "c" (n), [fin] "r" (fin) : "cc"); *fo = f; return mem; }
#define DI(fn, insn, m, imm) \
static uint32_t fn(uint32_t a, uint32_t b, uint32_t n, uint32_t fin, uint32_t *fo) \
{ uint32_t f; (void)n; __asm__ volatile(FL_IN insn " $" #imm ", %" m "[b], %" m "[a]" FL_OUT \
    : [a] "+r" (a), [f] "=&r" (f) : [b] "r" (b), [fin] "r" (fin) : "cc"); *fo = f; return a; }
#define DOP(op) \
    DR(op##16_r, #op "w", "w") DM(op##16_m, #op "w", "w") DI(op##16_i1, #op "w", "w", 1) \
    DI(op##16_i12, #op "w", "w", 12) \
    DR(op##32_r, #op "l", "k") DM(op##32_m, #op "l", "k") DI(op##32_i1, #op "l", "k", 1) \
    DI(op##32_i12, #op "l", "k", 12)
DOP(shld) DOP(shrd)

struct dop { const char *name; int bits; dsh_fn r, m, i1, i12; };
static const struct dop dops[] = {
    { "shld", 16, shld16_r, shld16_m, shld16_i1, shld16_i12 },
    { "shld", 32, shld32_r, shld32_m, shld32_i1, shld32_i12 },
    { "shrd", 16, shrd16_r, shrd16_m, shrd16_i1, shrd16_i12 },
    { "shrd", 32, shrd32_r, shrd32_m, shrd32_i1, shrd32_i12 },
};
static const uint32_t dsrc[] = { 0x00000000, 0xFFFFFFFF, 0x9ABC5A3C };

/*
 * SHLD/SHRD (SDM Vol. 2): count 0 affects no flags; count >= 1: CF = last bit
 * out, SF ZF PF by result, AF undefined; count > 1: OF undefined. A count
 * greater than the operand size (16-bit forms, 17..31) leaves result and
 * flags undefined: those counts are skipped.
 */
static void drow(const struct dop *o, const char *form, dsh_fn fn, uint32_t fin,
                 uint32_t b, unsigned n)
{
    const uint32_t *v = vals(o->bits);
    unsigned mc = n & 31;
    uint32_t u = mc == 0 ? 0 : mc == 1 ? EFL_AF : EFL_AF | EFL_OF;
    printf("%s%d %s f=%03x b=%08x n=%u:", o->name, o->bits, form, fin, b, n);
    for (unsigned i = 0; i < NV; i++) {
        uint32_t f, r = fn(widen(v[i], o->bits), b, n, fin, &f);
        printf(" %08x.%03x", r, f & FLAGS_ARITH & ~u);
    }
    printf("\n");
}

static void double_shifts(void)
{
    for (unsigned i = 0; i < sizeof dops / sizeof dops[0]; i++) {
        const struct dop *o = &dops[i];
        for (unsigned s = 0; s < 3; s++) {
            for (unsigned k = 0; k < NCOUNTS; k++) {
                unsigned mc = counts[k] & 31;
                if (o->bits == 16 && mc > 16)
                    continue;
                drow(o, "r", o->r, 0x000, dsrc[s], counts[k]);
                drow(o, "m", o->m, 0x8D5, dsrc[s], counts[k]);
            }
            drow(o, "i", o->i1, 0x8D5, dsrc[s], 1);
            drow(o, "i", o->i12, 0x000, dsrc[s], 12);
        }
    }
}

void test_main(void)
{
    shift_rot();
    double_shifts();
}
