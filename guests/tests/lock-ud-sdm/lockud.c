/*
 * lock-ud-sdm: the LOCK prefix is allowed only on ADD ADC AND BTC BTR BTS
 * CMPXCHG CMPXCHG8B DEC INC NEG NOT OR SBB SUB XOR XADD XCHG with a memory
 * destination; otherwise #UD (SDM Vol. 2 "LOCK", Vol. 3 §8.1.2.2).
 *
 * QEMU 7.2 TCG raises #UD for LOCK on most register destinations and on
 * CMP/NOP, but silently executes the cases below, so expected.txt is
 * written from the SDM (docs/qemu-deviations.md). A real CPU (checked
 * natively) raises #UD for each. Encodings are raw bytes; EBX points at a
 * scratch dword. The memory-destination LOCK ADD at the end is legal.
 */
#include "test.h"

static uint32_t scratch = 0x12345678;

#define CASE(name, bytes) \
    printf("%s: vec=%d\n", name, expect_fault(__asm__ volatile( \
        "movl %[p], %%ebx\n\tmovl $1, %%eax\n\t" bytes :: [p] "i"(&scratch) : "eax", "ebx", "memory", "cc")))

void test_main(void)
{
    CASE("lock mov m32,r32", ".byte 0xf0, 0x89, 0x03");
    CASE("lock mov r32,m32", ".byte 0xf0, 0x8b, 0x03");
    CASE("lock test m32,r32", ".byte 0xf0, 0x85, 0x03");
    CASE("lock bt m32,r32", ".byte 0xf0, 0x0f, 0xa3, 0x03");
    CASE("lock lea", ".byte 0xf0, 0x8d, 0x03");
    CASE("lock xchg r32,r32", ".byte 0xf0, 0x87, 0xc3");
    CASE("lock add m32,r32 (legal)", ".byte 0xf0, 0x01, 0x03");
    printf("scratch=%08x\n", scratch);
}
