/*
 * BT, BTS, BTR, BTC (SDM Vol. 2 "BT" .. "BTC") in 16 and 32 bits.
 *
 *  register or imm8 offset: bit (offset mod operand size) of the operand;
 *  memory, register offset: a bit string, offset signed, so
 *      bit = *(base + (offset >> 3)) bit (offset & 7)   (any offset, even < 0)
 *  memory, imm8 offset: imm8 mod operand size, within the operand.
 *
 * Flags: CF = the selected bit; ZF unaffected; OF SF AF PF undefined. So only
 * CF and ZF are printed, and every case runs once with ZF clear, once with
 * it set (and CF inverted) to show ZF kept and CF written.
 */
#include "common.h"

/* BT*: OF SF AF PF undefined (SDM); CF defined, ZF unaffected. */
#define BT_SHOWN (EFL_CF | EFL_ZF)

typedef uint32_t (*bt_fn)(uint32_t a, uint32_t n, uint32_t fin, uint32_t *fo);
static uint32_t mem;
/* 128-byte bit string; the operand address is its middle. */
static uint8_t bits_buf[128] __attribute__((aligned(16)));
#define BS_BASE (bits_buf + 64)

#define BR(fn, insn, m) \
static uint32_t fn(uint32_t a, uint32_t n, uint32_t fin, uint32_t *fo) \
{ uint32_t f; __asm__ volatile(FL_IN insn " %" m "[n], %" m "[a]" FL_OUT \
    : [a] "+r" (a), [f] "=&r" (f) : [n] "r" (n), [fin] "r" (fin) : "cc"); *fo = f; return a; }
#define BI(fn, insn, m, imm) \
static uint32_t fn(uint32_t a, uint32_t n, uint32_t fin, uint32_t *fo) \
{ uint32_t f; (void)n; __asm__ volatile(FL_IN insn " $" #imm ", %" m "[a]" FL_OUT \
    : [a] "+r" (a), [f] "=&r" (f) : [fin] "r" (fin) : "cc"); *fo = f; return a; }
#define BMI(fn, insn, imm) \
static uint32_t fn(uint32_t a, uint32_t n, uint32_t fin, uint32_t *fo) \
{ uint32_t f; (void)n; mem = a; __asm__ volatile(FL_IN insn " $" #imm ", %[x]" FL_OUT \
    : [x] "+m" (mem), [f] "=&r" (f) : [fin] "r" (fin) : "cc"); *fo = f; return mem; }
/* bit string: operand is the dword/word at BS_BASE, offset in a register */
#define BS(fn, insn, m) \
static uint32_t fn(uint32_t a, uint32_t n, uint32_t fin, uint32_t *fo) \
{ uint32_t f; (void)a; __asm__ volatile(FL_IN insn " %" m "[n], (%[p])" FL_OUT \
    : [f] "=&r" (f) : [n] "r" (n), [p] "r" (BS_BASE), [fin] "r" (fin) : "cc", "memory"); \
  *fo = f; return 0; }

#define BTOP(op) \
    BR(op##16_r, #op "w", "w") BR(op##32_r, #op "l", "k") \
    BI(op##16_i3, #op "w", "w", 3) BI(op##16_i35, #op "w", "w", 35) \
    BI(op##32_i3, #op "l", "k", 3) BI(op##32_i35, #op "l", "k", 35) \
    BMI(op##16_m3, #op "w", 3) BMI(op##16_m35, #op "w", 35) \
    BMI(op##32_m3, #op "l", 3) BMI(op##32_m35, #op "l", 35) \
    BS(op##16_s, #op "w", "w") BS(op##32_s, #op "l", "k")
BTOP(bt) BTOP(bts) BTOP(btr) BTOP(btc)

struct btop {
    const char *name; int bits;
    bt_fn r, i3, i35, m3, m35, s;
};
#define BT2(op) \
    { #op, 16, op##16_r, op##16_i3, op##16_i35, op##16_m3, op##16_m35, op##16_s }, \
    { #op, 32, op##32_r, op##32_i3, op##32_i35, op##32_m3, op##32_m35, op##32_s }
static const struct btop ops[] = { BT2(bt), BT2(bts), BT2(btr), BT2(btc) };

static const uint32_t regoffs[] = { 0, 1, 7, 15, 16, 31, 32, 33, 63, 0xFFFFFFFF, 0x80000004 };
static const uint32_t operands[] = { 0x80000001, 0x5A5AA5A5, 0x0000FFFF };
/* signed bit offsets into the string around BS_BASE (+-512 bits available) */
static const int32_t stroffs[] = { 0, 5, 15, 16, 31, 32, 63, 100, 255, 511,
                                   -1, -8, -16, -17, -33, -100, -255, -512 };

static void fill_bits(void)
{
    for (unsigned i = 0; i < sizeof bits_buf; i++)
        bits_buf[i] = (uint8_t)(i * 37 + 11);
}

/* Which byte of the string changed (relative to BS_BASE) and its new value. */
static void print_change(void)
{
    for (unsigned i = 0; i < sizeof bits_buf; i++)
        if (bits_buf[i] != (uint8_t)(i * 37 + 11)) {
            printf("@%d=%02x", (int)i - 64, bits_buf[i]);
            return;
        }
    printf("@none");
}

void bt_tests(void)
{
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        const struct btop *o = &ops[i];
        for (unsigned v = 0; v < 3; v++)
            for (unsigned z = 0; z < 2; z++) {
                uint32_t fin = z ? 0x8D4 : 0x001;
                printf("%s%d r f=%03x a=%08x:", o->name, o->bits, fin, operands[v]);
                for (unsigned k = 0; k < sizeof regoffs / 4; k++) {
                    uint32_t f, r = o->r(widen(operands[v], o->bits, JUNK), regoffs[k], fin, &f);
                    printf(" %08x.%03x", r, f & BT_SHOWN);
                }
                printf("\n");
            }
        for (unsigned z = 0; z < 2; z++) {
            uint32_t fin = z ? 0x8D4 : 0x001;
            bt_fn fns[4] = { o->i3, o->i35, o->m3, o->m35 };
            static const char *const names[4] = { "ri $3", "ri $35", "mi $3", "mi $35" };
            for (unsigned k = 0; k < 4; k++) {
                printf("%s%d %s f=%03x:", o->name, o->bits, names[k], fin);
                for (unsigned v = 0; v < 3; v++) {
                    uint32_t f, r = fns[k](widen(operands[v], o->bits, JUNK), 0, fin, &f);
                    printf(" %08x.%03x", r, f & BT_SHOWN);
                }
                printf("\n");
            }
        }
        for (unsigned z = 0; z < 2; z++) {
            uint32_t fin = z ? 0x8D4 : 0x001;
            printf("%s%d str f=%03x:", o->name, o->bits, fin);
            for (unsigned k = 0; k < sizeof stroffs / 4; k++) {
                uint32_t f;
                fill_bits();
                o->s(0, (uint32_t)stroffs[k], fin, &f);
                printf(" %d.%03x", (int)stroffs[k], f & BT_SHOWN);
                print_change();
            }
            printf("\n");
        }
    }
}
