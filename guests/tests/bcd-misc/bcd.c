/*
 * Decimal adjust (SDM Vol. 2 "DAA", "DAS", "AAA", "AAS", "AAM", "AAD").
 * Every AL value 00..FF with each combination of input CF and AF.
 *
 * Undefined flags (masked):
 *   DAA, DAS: OF undefined.          AAA, AAS: OF SF ZF PF undefined.
 *   AAM, AAD: OF AF CF undefined.    AAM with imm8 0: #DE.
 * Line: <op> f=<in flags> al=<first>: then 16 results "ax.flags".
 */
#include "test.h"
#include "bcdmisc.h"

#define BCD1(fn, insn) static uint32_t fn(uint32_t a, uint32_t fin, uint32_t *fo) \
{ uint32_t f; __asm__ volatile(FL_IN insn FL_OUT : "+a" (a), [f] "=&r" (f) : [fin] "r" (fin) : "cc"); \
  *fo = f; return a; }
BCD1(do_daa, "daa") BCD1(do_das, "das") BCD1(do_aaa, "aaa") BCD1(do_aas, "aas")
BCD1(do_aam10, "aam") BCD1(do_aam16, "aam $16") BCD1(do_aam7, "aam $7") BCD1(do_aam255, "aam $255")
BCD1(do_aad10, "aad") BCD1(do_aad16, "aad $16") BCD1(do_aad3, "aad $3")

typedef uint32_t (*bcd_fn)(uint32_t a, uint32_t fin, uint32_t *fo);
static const struct { const char *name; bcd_fn fn; uint32_t undef; int cfaf; } bcds[] = {
    /* DAA/DAS: OF undefined (SDM) */
    { "daa", do_daa, EFL_OF, 1 }, { "das", do_das, EFL_OF, 1 },
    /* AAA/AAS: OF SF ZF PF undefined (SDM) */
    { "aaa", do_aaa, EFL_OF | EFL_SF | EFL_ZF | EFL_PF, 1 },
    { "aas", do_aas, EFL_OF | EFL_SF | EFL_ZF | EFL_PF, 1 },
    /* AAM/AAD: OF AF CF undefined (SDM) */
    { "aam", do_aam10, EFL_OF | EFL_AF | EFL_CF, 0 },
    { "aam $16", do_aam16, EFL_OF | EFL_AF | EFL_CF, 0 },
    { "aam $7", do_aam7, EFL_OF | EFL_AF | EFL_CF, 0 },
    { "aam $255", do_aam255, EFL_OF | EFL_AF | EFL_CF, 0 },
};
static const struct { const char *name; bcd_fn fn; } aads[] = {
    { "aad", do_aad10 }, { "aad $16", do_aad16 }, { "aad $3", do_aad3 },
};

void bcd_tests(void)
{
    for (unsigned i = 0; i < sizeof bcds / sizeof bcds[0]; i++)
        for (unsigned c = 0; c < (bcds[i].cfaf ? 4u : 1u); c++) {
            /* in: c bit0 = CF, bit1 = AF; other flags set opposite to CF */
            uint32_t fin = ((c & 1) ? EFL_CF : EFL_OF | EFL_SF | EFL_ZF | EFL_PF) | ((c & 2) ? EFL_AF : 0);
            for (unsigned al = 0; al < 256; al += 16) {
                printf("%s f=%03x al=%02x:", bcds[i].name, fin, al);
                for (unsigned k = 0; k < 16; k++) {
                    /* AH walks too, so AAA/AAS carries into it show */
                    uint32_t f, r = bcds[i].fn(0xC0DE0000u | ((al + k) * 0x0101u ^ 0x5A00u), fin, &f);
                    printf(" %04x.%03x", r & 0xFFFF, f & FLAGS_ARITH & ~bcds[i].undef);
                    if ((r & 0xFFFF0000u) != 0xC0DE0000u)
                        printf("!");
                }
                printf("\n");
            }
        }
    /* AAD: AL = AL + AH * imm, AH = 0; OF AF CF undefined (SDM) */
    static const uint32_t ahs[] = { 0x00, 0x01, 0x09, 0x0A, 0x19, 0x7F, 0x80, 0x99, 0xFF };
    for (unsigned i = 0; i < sizeof aads / sizeof aads[0]; i++)
        for (unsigned h = 0; h < sizeof ahs / sizeof ahs[0]; h++) {
            printf("%s ah=%02x:", aads[i].name, ahs[h]);
            for (unsigned al = 0; al < 256; al += 17) {
                uint32_t f, r = aads[i].fn(0xC0DE0000u | (ahs[h] << 8) | al, 0x8D5, &f);
                printf(" %08x.%03x", r, f & FLAGS_ARITH & ~(EFL_OF | EFL_AF | EFL_CF));
            }
            printf("\n");
        }
    /* AAM 0: #DE (divide by zero) */
    int v = expect_fault(__asm__ volatile("aam $0" :: "a"(0xC0DE1234u) : "cc"));
    printf("aam $0: vec=%d\n", v);
}
