/*
 * MOVZX/MOVSX (8->16, 8->32, 16->32; register and memory), CBW CWDE CWD CDQ,
 * LAHF/SAHF, CLC/STC/CMC (SDM Vol. 2 each page). None of the moves or
 * conversions affect flags; SAHF loads SF ZF AF PF CF from AH (bits 7 6 4 2 0),
 * LAHF stores SF ZF 0 AF 0 PF 1 CF into AH. Nothing undefined, nothing masked.
 */
#include "common.h"

static uint32_t mem;

#define MVR(fn, insn, ms, md) static uint32_t fn(uint32_t s) \
{ uint32_t d = 0xC0DEA5A5; __asm__ volatile(insn " %" ms "[s], %" md "[d]" : [d] "+r" (d) : [s] "q" (s)); return d; }
#define MVM(fn, insn, md) static uint32_t fn(uint32_t s) \
{ uint32_t d = 0xC0DEA5A5; mem = s; __asm__ volatile(insn " %[x], %" md "[d]" : [d] "+r" (d) : [x] "m" (mem)); return d; }
MVR(zbw_r, "movzbw", "b", "w") MVR(zbl_r, "movzbl", "b", "k") MVR(zwl_r, "movzwl", "w", "k")
MVR(sbw_r, "movsbw", "b", "w") MVR(sbl_r, "movsbl", "b", "k") MVR(swl_r, "movswl", "w", "k")
MVM(zbw_m, "movzbw", "w") MVM(zbl_m, "movzbl", "k") MVM(zwl_m, "movzwl", "k")
MVM(sbw_m, "movsbw", "w") MVM(sbl_m, "movsbl", "k") MVM(swl_m, "movswl", "k")

static const struct { const char *name; uint32_t (*fn)(uint32_t); } moves[] = {
    { "movzbw r", zbw_r }, { "movzbl r", zbl_r }, { "movzwl r", zwl_r },
    { "movsbw r", sbw_r }, { "movsbl r", sbl_r }, { "movswl r", swl_r },
    { "movzbw m", zbw_m }, { "movzbl m", zbl_m }, { "movzwl m", zwl_m },
    { "movsbw m", sbw_m }, { "movsbl m", sbl_m }, { "movswl m", swl_m },
};
static const uint32_t mv[] = { 0x00000000, 0x12340001, 0xFFFF007F, 0x00000080, 0xABCD00FF,
                               0x00007FFF, 0xFFFF8000, 0x0000FFFF, 0x87654321 };

static void movx(void)
{
    for (unsigned i = 0; i < sizeof moves / sizeof moves[0]; i++) {
        printf("%s:", moves[i].name);
        for (unsigned k = 0; k < sizeof mv / 4; k++)
            printf(" %08x", moves[i].fn(mv[k]));
        printf("\n");
    }
}

static void convert(void)
{
    for (unsigned k = 0; k < sizeof mv / 4; k++) {
        uint32_t a1 = mv[k], a2 = mv[k], a3 = mv[k], a4 = mv[k];
        uint32_t d3 = 0xD00DF00D, d4 = 0xD00DF00D;
        __asm__ volatile("cbw" : "+a"(a1));
        __asm__ volatile("cwde" : "+a"(a2));
        __asm__ volatile("cwd" : "+a"(a3), "+d"(d3));
        __asm__ volatile("cdq" : "+a"(a4), "+d"(d4));
        printf("cbw %08x cwde %08x cwd %08x:%08x cdq %08x:%08x\n", a1, a2, d3, a3, d4, a4);
    }
}

static void ahf(void)
{
    static const uint32_t ah[] = { 0x00, 0xFF, 0xD5, 0x2A, 0x01, 0x40, 0x80, 0x14 };
    for (unsigned k = 0; k < sizeof ah / 4; k++)
        for (unsigned o = 0; o < 2; o++) {
            uint32_t fin = o ? EFL_OF | 0x0D5 : 0;
            uint32_t a = 0xC0DE00A5 | (ah[k] << 8), f;
            __asm__ volatile(FL_IN "sahf" FL_OUT : [f] "=&r"(f) : "a"(a), [fin] "r"(fin) : "cc");
            printf("sahf ah=%02x f=%03x: .%03x\n", ah[k], fin, f & 0x8FF);
        }
    for (unsigned k = 0; k < 32; k++) {
        uint32_t fin = ((k & 1) ? EFL_CF : 0) | ((k & 2) ? EFL_PF : 0) | ((k & 4) ? EFL_AF : 0) |
                       ((k & 8) ? EFL_ZF : 0) | ((k & 16) ? EFL_SF | EFL_OF : 0);
        uint32_t a = 0xC0DEA5A5;
        __asm__ volatile(FL_IN "lahf" : "+a"(a) : [fin] "r"(fin) : "cc");
        printf("lahf f=%03x: %08x\n", fin, a);
    }
}

static void carry(void)
{
    static const uint32_t fins[] = { 0x000, 0x001, 0x8D4, 0x8D5 };
    for (unsigned k = 0; k < 4; k++) {
        uint32_t f1, f2, f3, f4;
        uint32_t fin = fins[k];
        __asm__ volatile(FL_IN "clc" FL_OUT : [f] "=&r"(f1) : [fin] "r"(fin) : "cc");
        __asm__ volatile(FL_IN "stc" FL_OUT : [f] "=&r"(f2) : [fin] "r"(fin) : "cc");
        __asm__ volatile(FL_IN "cmc" FL_OUT : [f] "=&r"(f3) : [fin] "r"(fin) : "cc");
        __asm__ volatile(FL_IN "cmc\n\tcmc\n\tstc\n\tcmc" FL_OUT : [f] "=&r"(f4) : [fin] "r"(fin) : "cc");
        printf("clc/stc/cmc f=%03x: .%03x .%03x .%03x .%03x\n", fin,
               f1 & 0x8FF, f2 & 0x8FF, f3 & 0x8FF, f4 & 0x8FF);
    }
}

void move_tests(void)
{
    movx();
    convert();
    ahf();
    carry();
}
