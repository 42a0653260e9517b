/*
 * LEA through every ModRM/SIB addressing form (SDM Vol. 2 §2.1.5, Tables
 * 2-1 and 2-2 for 16-bit addressing, 2-2/2-3 for 32-bit), with operand sizes
 * 16 and 32 and address sizes 32 and 16 (0x67 prefix: the effective address
 * wraps at 64 KiB and is zero-extended into a 32-bit destination; a 16-bit
 * destination keeps the register's upper half). LEA affects no flags.
 *
 * Registers are pinned: EAX is the destination (preloaded with junk), the
 * others hold fixed values; EBP is saved and loaded inside each asm. ESP-based
 * forms subtract ESP so the printed value is the displacement arithmetic only.
 */
#include "common.h"

#define V_EBX 0x12345678u
#define V_ECX 0x00001000u
#define V_EDX 0xFFFFFFFFu
#define V_ESI 0x80000000u
#define V_EDI 0x7FFFFFF0u
#define V_EBP "0xFFFF0000"
/* 16-bit addressing values (low halves matter): bx=fff0 si=0020 di=ffff bp=ff00 */
#define W_EBX 0xAAAAFFF0u
#define W_ESI 0x55550020u
#define W_EDI 0x3333FFFFu
#define W_EBP "0x4444FF00"

#define LEA(fn, insn, ebp) static uint32_t fn(uint32_t b, uint32_t c, uint32_t d, uint32_t s, uint32_t di) \
{ uint32_t r = 0xC0DEA5A5; __asm__ volatile("pushl %%ebp\n\tmovl $" ebp ", %%ebp\n\t" insn "\n\tpopl %%ebp" \
    : "+a" (r) : "b" (b), "c" (c), "d" (d), "S" (s), "D" (di) : "memory"); return r; }

/* 32-bit addressing */
LEA(l1, "leal (%%ebx), %%eax", V_EBP)
LEA(l2, "leal 0x7f(%%ebx), %%eax", V_EBP)
LEA(l3, "leal -0x80(%%esi), %%eax", V_EBP)
LEA(l4, "leal 0x12345678(%%edi), %%eax", V_EBP)
LEA(l5, "leal 0x80000000(%%esi), %%eax", V_EBP)
LEA(l6, "leal 0x11223344, %%eax", V_EBP)
LEA(l7, "leal (%%ebp), %%eax", V_EBP)
LEA(l8, "leal -1(%%ebp), %%eax", V_EBP)
LEA(l9, "leal 0x1000(%%ebp), %%eax", V_EBP)
LEA(l10, "leal (%%ebx,%%ecx), %%eax", V_EBP)
LEA(l11, "leal (%%ebx,%%ecx,2), %%eax", V_EBP)
LEA(l12, "leal (%%ebx,%%edx,4), %%eax", V_EBP)
LEA(l13, "leal (%%esi,%%edi,8), %%eax", V_EBP)
LEA(l14, "leal 0x10(%%ebx,%%esi,2), %%eax", V_EBP)
LEA(l15, "leal -0x10(%%edi,%%edx,8), %%eax", V_EBP)
LEA(l16, "leal 0x40000000(%%edx,%%edi,4), %%eax", V_EBP)
LEA(l17, "leal (,%%ecx,8), %%eax", V_EBP)
LEA(l18, "leal 0x100(,%%esi,2), %%eax", V_EBP)
LEA(l19, "leal -4(,%%edx,1), %%eax", V_EBP)
LEA(l20, "leal (%%ebp,%%ecx,4), %%eax", V_EBP)
LEA(l21, "leal 0x77(%%ebp,%%ebx), %%eax", V_EBP)
LEA(l22, "leal 0x12345(%%ebp,%%ebp,2), %%eax", V_EBP)
LEA(l23, "leal (%%esp), %%eax\n\tsubl %%esp, %%eax", V_EBP)
LEA(l24, "leal 8(%%esp,%%ecx,2), %%eax\n\tsubl %%esp, %%eax", V_EBP)
LEA(l25, "leal -0x1000(%%esp), %%eax\n\tsubl %%esp, %%eax", V_EBP)
LEA(l26, "leal (%%eax,%%eax,2), %%eax", V_EBP)
LEA(l27, "leaw 0x10(%%ebx,%%esi,2), %%ax", V_EBP)
LEA(l28, "leaw -1(%%ecx), %%ax", V_EBP)
/* SIB with index = none (100b) and a scale: encoded by hand, 8D 04 A3 = lea (%ebx,none*4) */
LEA(l29, ".byte 0x8d, 0x04, 0xa3", V_EBP)
LEA(l30, ".byte 0x8d, 0x44, 0x63, 0x10", V_EBP)

/* 16-bit addressing (0x67): Table 2-1 rows */
LEA(w1, "leal (%%bx,%%si), %%eax", W_EBP)
LEA(w2, "leal (%%bx,%%di), %%eax", W_EBP)
LEA(w3, "leal (%%bp,%%si), %%eax", W_EBP)
LEA(w4, "leal (%%bp,%%di), %%eax", W_EBP)
LEA(w5, "leal (%%si), %%eax", W_EBP)
LEA(w6, "leal (%%di), %%eax", W_EBP)
LEA(w7, "addr16 leal 0x9abc, %%eax", W_EBP)
LEA(w8, "leal (%%bx), %%eax", W_EBP)
LEA(w9, "leal 0x7f(%%bx,%%si), %%eax", W_EBP)
LEA(w10, "leal -0x80(%%bx,%%di), %%eax", W_EBP)
LEA(w11, "leal 0x10(%%bp,%%si), %%eax", W_EBP)
LEA(w12, "leal -1(%%bp,%%di), %%eax", W_EBP)
LEA(w13, "leal 0x11(%%si), %%eax", W_EBP)
LEA(w14, "leal 0x1234(%%di), %%eax", W_EBP)
LEA(w15, "leal 0(%%bp), %%eax", W_EBP)
LEA(w16, "leal -2(%%bp), %%eax", W_EBP)
LEA(w17, "leal 0x8000(%%bx), %%eax", W_EBP)
LEA(w18, "leal 0xfff0(%%bx,%%si), %%eax", W_EBP)
LEA(w19, "leal 0x4321(%%bp,%%di), %%eax", W_EBP)
LEA(w20, "leaw 0x20(%%bx,%%di), %%ax", W_EBP)
LEA(w21, "leaw (%%bp,%%si), %%ax", W_EBP)
LEA(w22, "addr16 leaw 0xfedc, %%ax", W_EBP)

typedef uint32_t (*lea_fn)(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);
static const struct { const char *text; lea_fn fn; int w; } leas[] = {
    { "(ebx)", l1, 0 }, { "7f(ebx)", l2, 0 }, { "-80(esi)", l3, 0 }, { "12345678(edi)", l4, 0 },
    { "80000000(esi)", l5, 0 }, { "disp32", l6, 0 }, { "(ebp)", l7, 0 }, { "-1(ebp)", l8, 0 },
    { "1000(ebp)", l9, 0 }, { "(ebx,ecx)", l10, 0 }, { "(ebx,ecx,2)", l11, 0 },
    { "(ebx,edx,4)", l12, 0 }, { "(esi,edi,8)", l13, 0 }, { "10(ebx,esi,2)", l14, 0 },
    { "-10(edi,edx,8)", l15, 0 }, { "40000000(edx,edi,4)", l16, 0 }, { "(,ecx,8)", l17, 0 },
    { "100(,esi,2)", l18, 0 }, { "-4(,edx,1)", l19, 0 }, { "(ebp,ecx,4)", l20, 0 },
    { "77(ebp,ebx)", l21, 0 }, { "12345(ebp,ebp,2)", l22, 0 }, { "(esp)-esp", l23, 0 },
    { "8(esp,ecx,2)-esp", l24, 0 }, { "-1000(esp)-esp", l25, 0 }, { "(eax,eax,2)", l26, 0 },
    { "leaw 10(ebx,esi,2)", l27, 0 }, { "leaw -1(ecx)", l28, 0 }, { "(ebx,noidx*4)", l29, 0 },
    { "10(ebx,noidx*2)", l30, 0 },
    { "(bx,si)", w1, 1 }, { "(bx,di)", w2, 1 }, { "(bp,si)", w3, 1 }, { "(bp,di)", w4, 1 },
    { "(si)", w5, 1 }, { "(di)", w6, 1 }, { "disp16 9abc", w7, 1 }, { "(bx)", w8, 1 },
    { "7f(bx,si)", w9, 1 }, { "-80(bx,di)", w10, 1 }, { "10(bp,si)", w11, 1 },
    { "-1(bp,di)", w12, 1 }, { "11(si)", w13, 1 }, { "1234(di)", w14, 1 }, { "0(bp)", w15, 1 },
    { "-2(bp)", w16, 1 }, { "8000(bx)", w17, 1 }, { "fff0(bx,si)", w18, 1 },
    { "4321(bp,di)", w19, 1 }, { "leaw 20(bx,di)", w20, 1 }, { "leaw (bp,si)", w21, 1 },
    { "leaw disp16 fedc", w22, 1 },
};

void lea_tests(void)
{
    for (unsigned i = 0; i < sizeof leas / sizeof leas[0]; i++) {
        uint32_t r = leas[i].w ? leas[i].fn(W_EBX, 0, 0, W_ESI, W_EDI)
                               : leas[i].fn(V_EBX, V_ECX, V_EDX, V_ESI, V_EDI);
        printf("lea%s %s: %08x\n", leas[i].w ? "16" : "32", leas[i].text, r);
    }
}
