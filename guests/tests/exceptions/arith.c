/*
 * #DE (divide error, fault), #BP (int3, trap), #OF (into, trap), #BR (bound, fault).
 */
#include "common.h"

static int32_t bound_pair[2] = { 10, 20 };

void test_arith(void)
{
    CHECK("de div32-zero", __asm__ volatile(AT("divl %%ecx") :: "a"(1), "d"(0), "c"(0)));
    CHECK("de div32-ovf", __asm__ volatile(AT("divl %%ecx") :: "a"(0), "d"(5), "c"(5)));
    CHECK("de idiv32-ovf", __asm__ volatile(AT("idivl %%ecx") :: "a"(0x80000000u), "d"(0xFFFFFFFFu), "c"(-1)));
    CHECK("de div8", __asm__ volatile(AT("divb %%cl") :: "a"(0x1000), "c"(2)));
    CHECK("de idiv16", __asm__ volatile(AT("idivw %%cx") :: "a"(0), "d"(0x4000), "c"(1)));
    CHECK("de aam0", __asm__ volatile(AT(".byte 0xd4, 0x00") :: "a"(0x1234)));
    CHECK("de div-ok", __asm__ volatile(AT("divl %%ecx") :: "a"(100), "d"(0), "c"(7)));

    CHECK("bp int3", __asm__ volatile(AT("int3")));
    CHECK("bp int-3", __asm__ volatile(AT("int $3")));

    CHECK("of into-set", __asm__ volatile(AT_PRE("movl $0x7fffffff, %%eax\n\taddl $1, %%eax", "into") ::: "eax", "cc"));
    CHECK("of into-clear", __asm__ volatile(AT_PRE("xorl %%eax, %%eax", "into") ::: "eax", "cc"));
    CHECK("of int-4", __asm__ volatile(AT("int $4")));

    CHECK("br bound-below", __asm__ volatile(AT("boundl %%eax, (%%ebx)") :: "a"(9), "b"(bound_pair)));
    CHECK("br bound-above", __asm__ volatile(AT("boundl %%eax, (%%ebx)") :: "a"(21), "b"(bound_pair)));
    CHECK("br bound-in", __asm__ volatile(AT("boundl %%eax, (%%ebx)") :: "a"(20), "b"(bound_pair)));
    CHECK("br bound-neg", __asm__ volatile(AT("boundl %%eax, (%%ebx)") :: "a"(-5), "b"(bound_pair)));
}
