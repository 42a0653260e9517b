/*
 * #UD (fault, no error code): UD2/UD1/UD0, reserved ModRM forms, LOCK on
 * instructions or operands that cannot be locked (SDM Vol. 2 "LOCK":
 * #UD unless the instruction is lockable with a memory destination).
 * LOCK MOV is in exceptions-sdm: QEMU executes it.
 */
#include "common.h"

static volatile uint32_t cell;

void test_ud(void)
{
    CHECK("ud ud2", __asm__ volatile(AT("ud2")));
    CHECK("ud ud1", __asm__ volatile(AT(".byte 0x0f, 0xb9, 0xc0")));
    CHECK("ud fe-7", __asm__ volatile(AT(".byte 0xfe, 0xf8")));
    CHECK("ud ff-7", __asm__ volatile(AT(".byte 0xff, 0xf8")));
    CHECK("ud mov-to-cs", __asm__ volatile(AT(".byte 0x8e, 0xc8")));
    CHECK("ud lea-reg", __asm__ volatile(AT(".byte 0x8d, 0xc0")));
    CHECK("ud cmpxchg8b-reg", __asm__ volatile(AT(".byte 0x0f, 0xc7, 0xc8")));
    CHECK("ud lds-reg", __asm__ volatile(AT(".byte 0xc5, 0xc0")));
    CHECK("ud les-reg", __asm__ volatile(AT(".byte 0xc4, 0xc0")));
    CHECK("ud lock-nop", __asm__ volatile(AT(".byte 0xf0, 0x90")));
    CHECK("ud lock-add-reg", __asm__ volatile(AT(".byte 0xf0, 0x01, 0xc3") ::: "ebx", "cc"));
    CHECK("ud lock-add-mem", __asm__ volatile(AT("lock; addl $1, (%%ebx)") :: "b"(&cell) : "memory", "cc"));
    CHECK("ud lock-cmp-mem", __asm__ volatile(AT("lock; cmpl $1, (%%ebx)") :: "b"(&cell) : "memory", "cc"));
    CHECK("ud lock-xchg-mem", __asm__ volatile(AT("lock; xchgl %%eax, (%%ebx)") :: "a"(2), "b"(&cell) : "memory"));
    printf("ud cell=%u\n", cell);
}
