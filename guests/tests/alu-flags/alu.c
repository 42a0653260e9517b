/*
 * alu-flags: the integer ALU and its six arithmetic flags
 * (SDM Vol. 1 §3.4.3.1; Vol. 2 ADD, ADC, SUB, SBB, CMP, AND, OR, XOR, TEST,
 * NEG, NOT, INC, DEC).
 *
 * Every case loads EFLAGS with a chosen input (POPF), runs one instruction,
 * and captures EFLAGS (PUSHF). The printed flags are EFLAGS & 0x8D5
 * (OF SF ZF AF PF CF), minus the flags the SDM leaves undefined for that
 * instruction. 8- and 16-bit operands ride in registers whose upper bits are
 * junk, so the printed 32-bit value also proves the upper bits are kept.
 *
 * Line format (binary ops, b runs over the same value table as a):
 *   <op><size> <form> f=<input flags> a=<a>: <result>.<flags> ...
 * forms: rr = op reg,reg   mr = op reg,mem (memory destination)
 *        rm = op mem,reg   ai/mi = immediate to accumulator / memory
 */
#include "test.h"

typedef uint32_t (*alu_fn)(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout);

#define FLAGS_ARITH 0x8D5u
#define FL_IN  "pushl %[fin]\n\tpopfl\n\t"
#define FL_OUT "\n\tpushfl\n\tpopl %[f]"

static uint32_t mem;            /* memory operand (absolute address) */

/* a = a op b, both in registers. m = operand-size modifier, c = constraint. */
#define RR(fn, insn, m, c) \
static uint32_t fn(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fo) \
{ uint32_t f; __asm__ volatile(FL_IN insn " %" m "[b], %" m "[a]" FL_OUT \
    : [a] "+" c (a), [f] "=&r" (f) : [b] c (b), [fin] "r" (fin) : "cc"); \
  *fo = f; return a; }
/* mem = mem op b */
#define MR(fn, insn, m, c) \
static uint32_t fn(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fo) \
{ uint32_t f; mem = a; __asm__ volatile(FL_IN insn " %" m "[b], %[x]" FL_OUT \
    : [x] "+m" (mem), [f] "=&r" (f) : [b] c (b), [fin] "r" (fin) : "cc"); \
  *fo = f; return mem; }
/* a = a op mem */
#define RM(fn, insn, m, c) \
static uint32_t fn(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fo) \
{ uint32_t f; mem = b; __asm__ volatile(FL_IN insn " %[x], %" m "[a]" FL_OUT \
    : [a] "+" c (a), [f] "=&r" (f) : [x] "m" (mem), [fin] "r" (fin) : "cc"); \
  *fo = f; return a; }
/* accumulator, immediate (short encodings 04/05/2C/3C/A8...) */
#define AI(fn, insn, m, imm) \
static uint32_t fn(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fo) \
{ uint32_t f; (void)b; __asm__ volatile(FL_IN insn " $" #imm ", %" m "[a]" FL_OUT \
    : [a] "+a" (a), [f] "=&r" (f) : [fin] "r" (fin) : "cc"); \
  *fo = f; return a; }
/* memory, immediate (80/81/83 /n, F6/F7 /0) */
#define MI(fn, insn, imm) \
static uint32_t fn(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fo) \
{ uint32_t f; (void)b; mem = a; __asm__ volatile(FL_IN insn " $" #imm ", %[x]" FL_OUT \
    : [x] "+m" (mem), [f] "=&r" (f) : [fin] "r" (fin) : "cc"); \
  *fo = f; return mem; }
/* unary: register and memory */
#define UR(fn, insn, m, c) \
static uint32_t fn(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fo) \
{ uint32_t f; (void)b; __asm__ volatile(FL_IN insn " %" m "[a]" FL_OUT \
    : [a] "+" c (a), [f] "=&r" (f) : [fin] "r" (fin) : "cc"); \
  *fo = f; return a; }
#define UM(fn, insn) \
static uint32_t fn(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fo) \
{ uint32_t f; (void)b; mem = a; __asm__ volatile(FL_IN insn " %[x]" FL_OUT \
    : [x] "+m" (mem), [f] "=&r" (f) : [fin] "r" (fin) : "cc"); \
  *fo = f; return mem; }

/* All forms of one binary op at one size. */
#define BIN(op, sfx, bits, m, c) \
    RR(op##bits##_rr, #op #sfx, m, c) MR(op##bits##_mr, #op #sfx, m, c) \
    RM(op##bits##_rm, #op #sfx, m, c)
#define BIN3(op) BIN(op, b, 8, "b", "q") BIN(op, w, 16, "w", "r") BIN(op, l, 32, "k", "r")
BIN3(add) BIN3(adc) BIN3(sub) BIN3(sbb) BIN3(cmp) BIN3(and) BIN3(or) BIN3(xor)
/* TEST has no r,m form distinct from m,r: rm is the same encoding with the
 * operands named the other way round, kept for table symmetry. */
BIN3(test)

#define IMM(op, sfx, bits, m, imm, tag) \
    AI(op##bits##_ai##tag, #op #sfx, m, imm) MI(op##bits##_mi##tag, #op #sfx, imm)
#define IMM3(op) IMM(op, b, 8, "b", 0x80, 1) IMM(op, b, 8, "b", 0x01, 2) \
    IMM(op, w, 16, "w", 0x8000, 1) IMM(op, w, 16, "w", -128, 2) \
    IMM(op, l, 32, "k", 0x87654321, 1) IMM(op, l, 32, "k", -128, 2)
IMM3(add) IMM3(adc) IMM3(sub) IMM3(sbb) IMM3(cmp) IMM3(and) IMM3(or) IMM3(xor) IMM3(test)

#define UN(op, sfx, bits, m, c) UR(op##bits##_r, #op #sfx, m, c) UM(op##bits##_m, #op #sfx)
#define UN3(op) UN(op, b, 8, "b", "q") UN(op, w, 16, "w", "r") UN(op, l, 32, "k", "r")
UN3(neg) UN3(not) UN3(inc) UN3(dec)

/* ---- value tables ---- */
static const uint32_t v8[] = { 0x00, 0x01, 0x7F, 0x80, 0xFF, 0x0F, 0x10, 0x5A, 0xC3 };
static const uint32_t v16[] = { 0x0000, 0x0001, 0x007F, 0x0080, 0x00FF, 0x7FFF, 0x8000,
                                0xFFFF, 0x0FFF, 0x1234 };
static const uint32_t v32[] = { 0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF,
                                0x80000000, 0xFFFFFFFF, 0x12345678, 0x9ABCDEF0 };
/* Junk above the operand: a's upper bits must survive, b's must be ignored. */
#define JUNK_A 0xC0DEA500u
#define JUNK_B 0x5A5A5A00u

static const uint32_t *vals(int bits, unsigned *n)
{
    if (bits == 8)  { *n = sizeof v8 / 4;  return v8; }
    if (bits == 16) { *n = sizeof v16 / 4; return v16; }
    *n = sizeof v32 / 4; return v32;
}
static uint32_t widen(uint32_t v, int bits, uint32_t junk)
{
    uint32_t mask = bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1;
    return (v & mask) | (junk & ~mask);
}

struct op {
    const char *name;
    int bits;
    alu_fn rr, mr, rm;
    int carry;          /* ADC/SBB: also run with CF=1 in */
    uint32_t undef;     /* flags the SDM leaves undefined */
};

/* AND, OR, XOR, TEST (SDM Vol. 2 each page, "Flags Affected"): OF and CF
 * cleared, SF ZF PF set by the result, AF undefined. */
#define LOGIC_UNDEF EFL_AF
#define OPS(op, carry, undef) \
    { #op, 8, op##8_rr, op##8_mr, op##8_rm, carry, undef }, \
    { #op, 16, op##16_rr, op##16_mr, op##16_rm, carry, undef }, \
    { #op, 32, op##32_rr, op##32_mr, op##32_rm, carry, undef }
static const struct op ops[] = {
    OPS(add, 0, 0), OPS(adc, 1, 0), OPS(sub, 0, 0), OPS(sbb, 1, 0), OPS(cmp, 0, 0),
    OPS(and, 0, LOGIC_UNDEF), OPS(or, 0, LOGIC_UNDEF), OPS(xor, 0, LOGIC_UNDEF),
    OPS(test, 0, LOGIC_UNDEF),
};

struct iop { const char *name; int bits; alu_fn ai, mi; int carry; uint32_t undef; const char *imm; };
#define IOPS(op, carry, undef) \
    { #op, 8, op##8_ai1, op##8_mi1, carry, undef, "80" }, \
    { #op, 8, op##8_ai2, op##8_mi2, carry, undef, "01" }, \
    { #op, 16, op##16_ai1, op##16_mi1, carry, undef, "8000" }, \
    { #op, 16, op##16_ai2, op##16_mi2, carry, undef, "-128" }, \
    { #op, 32, op##32_ai1, op##32_mi1, carry, undef, "87654321" }, \
    { #op, 32, op##32_ai2, op##32_mi2, carry, undef, "-128" }
static const struct iop iops[] = {
    IOPS(add, 0, 0), IOPS(adc, 1, 0), IOPS(sub, 0, 0), IOPS(sbb, 1, 0), IOPS(cmp, 0, 0),
    IOPS(and, 0, LOGIC_UNDEF), IOPS(or, 0, LOGIC_UNDEF), IOPS(xor, 0, LOGIC_UNDEF),
    IOPS(test, 0, LOGIC_UNDEF),
};

/* NEG: all six flags defined (CF = source != 0). NOT: no flags affected.
 * INC/DEC: CF unaffected, the rest set by the result. Nothing undefined. */
struct uop { const char *name; int bits; alu_fn r, m; };
#define UOPS(op) { #op, 8, op##8_r, op##8_m }, { #op, 16, op##16_r, op##16_m }, \
                 { #op, 32, op##32_r, op##32_m }
static const struct uop uops[] = { UOPS(neg), UOPS(not), UOPS(inc), UOPS(dec) };

static void row(const char *name, int bits, const char *form, alu_fn fn, uint32_t fin,
                uint32_t undef, uint32_t a, const uint32_t *bs, unsigned nb)
{
    printf("%s%d %s f=%03x a=", name, bits, form, fin);
    printf(bits == 8 ? "%02x:" : bits == 16 ? "%04x:" : "%08x:", a);
    for (unsigned j = 0; j < nb; j++) {
        uint32_t f, r = fn(widen(a, bits, JUNK_A), widen(bs[j], bits, JUNK_B), fin, &f);
        printf(" %08x.%03x", r, f & FLAGS_ARITH & ~undef);
    }
    printf("\n");
}

/* Input flags per form: rr starts from all-clear, mr from all-set (so every
 * defined flag must be written), rm from both. With carry ops each form also
 * runs with the opposite CF. */
static void binary_ops(void)
{
    static const struct { const char *form; uint32_t fin[2]; } forms[] = {
        { "rr", { 0x000, 0x001 } }, { "mr", { 0x8D5, 0x8D4 } }, { "rm", { 0x000, 0x8D5 } },
    };
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        const struct op *o = &ops[i];
        unsigned n;
        const uint32_t *v = vals(o->bits, &n);
        for (unsigned k = 0; k < 3; k++) {
            alu_fn fn = k == 0 ? o->rr : k == 1 ? o->mr : o->rm;
            for (unsigned c = 0; c <= (unsigned)o->carry; c++)
                for (unsigned a = 0; a < n; a++)
                    row(o->name, o->bits, forms[k].form, fn, forms[k].fin[c], o->undef, v[a], v, n);
        }
    }
}

static void immediate_ops(void)
{
    for (unsigned i = 0; i < sizeof iops / sizeof iops[0]; i++) {
        const struct iop *o = &iops[i];
        unsigned n;
        const uint32_t *v = vals(o->bits, &n);
        for (unsigned c = 0; c <= (unsigned)o->carry; c++) {
            uint32_t fin = c ? 0x8D5 : 0x000;
            for (unsigned k = 0; k < 2; k++) {
                alu_fn fn = k ? o->mi : o->ai;
                printf("%s%d %s $%s f=%03x:", o->name, o->bits, k ? "mi" : "ai", o->imm, fin);
                for (unsigned a = 0; a < n; a++) {
                    uint32_t f, r = fn(widen(v[a], o->bits, JUNK_A), 0, fin, &f);
                    printf(" %08x.%03x", r, f & FLAGS_ARITH & ~o->undef);
                }
                printf("\n");
            }
        }
    }
}

static void unary_ops(void)
{
    for (unsigned i = 0; i < sizeof uops / sizeof uops[0]; i++) {
        const struct uop *o = &uops[i];
        unsigned n;
        const uint32_t *v = vals(o->bits, &n);
        for (unsigned k = 0; k < 2; k++)
            for (unsigned c = 0; c < 2; c++) {
                uint32_t fin = c ? 0x8D5 : 0x000;
                alu_fn fn = k ? o->m : o->r;
                printf("%s%d %s f=%03x:", o->name, o->bits, k ? "m" : "r", fin);
                for (unsigned a = 0; a < n; a++) {
                    uint32_t f, r = fn(widen(v[a], o->bits, JUNK_A), 0, fin, &f);
                    printf(" %08x.%03x", r, f & FLAGS_ARITH);
                }
                printf("\n");
            }
    }
}

/* High-byte registers AH/CH/DH/BH as operands (ModRM reg 4-7 at 8 bits). */
static void high_bytes(void)
{
    static const uint32_t in[] = { 0x12345678, 0x80FF7F01, 0xFFFFFFFF, 0x00800080 };
    for (unsigned i = 0; i < 4; i++) {
        uint32_t a = in[i], b = in[(i + 1) & 3], c = in[(i + 2) & 3], d = in[(i + 3) & 3], f;
        __asm__ volatile("pushl $0\n\tpopfl\n\t"
                         "addb %%ah, %%al\n\tsubb %%bl, %%ch\n\tadcb %%dh, %%bh\n\t"
                         "xorb %%ah, %%dh\n\tsbbb %%ch, %%ah\n\tcmpb %%bh, %%cl\n\t"
                         "pushfl\n\tpopl %[f]"
                         : "+a"(a), "+b"(b), "+c"(c), "+d"(d), [f] "=&r"(f) :: "cc");
        printf("hibyte %u: %08x %08x %08x %08x .%03x\n", i, a, b, c, d, f & FLAGS_ARITH);
    }
}

/* Pseudo-random operands (fixed LCG seed), 32-bit, all binary ops. */
static void random_ops(void)
{
    uint32_t s = 0x2545F491;
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        const struct op *o = &ops[i];
        for (unsigned c = 0; c <= (unsigned)o->carry; c++) {
            printf("rnd %s%d f=%03x:", o->name, o->bits, c);
            for (unsigned j = 0; j < 8; j++) {
                uint32_t a, b, f, r;
                s = s * 1664525u + 1013904223u; a = s;
                s = s * 1664525u + 1013904223u; b = s ^ (s >> 13);
                r = o->rr(a, b, c, &f);
                printf(" %08x.%03x", r, f & FLAGS_ARITH & ~o->undef);
            }
            printf("\n");
        }
    }
}

void test_main(void)
{
    binary_ops();
    immediate_ops();
    unary_ops();
    high_bytes();
    random_ops();
}
