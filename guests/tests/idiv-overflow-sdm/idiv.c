/*
 * idiv-overflow-sdm: IDIV whose quotient is +2^(2n-1), the most negative
 * double-width dividend divided by -1, at 8, 16 and 32 bits.
 *
 * SDM Vol. 2 "IDIV": "If the quotient is too large for the designated
 * register, a #DE exception is generated"; 0x80:00/-1 = +32768 does not fit
 * AL, likewise for DX:AX and EDX:EAX. QEMU 7.2 TCG evaluates the 16- and
 * 32-bit cases with a host C division (INT32_MIN / -1, INT64_MIN / -1) that
 * traps on the host, and the emulator dies with SIGFPE, so this test's
 * expected.txt is written from the SDM (docs/qemu-deviations.md). A real
 * CPU (checked natively in 64-bit user mode) raises #DE for each.
 * Also prints that EAX/EDX are unchanged by the faulting IDIV (a fault).
 */
#include "test.h"

static volatile uint32_t ra, rd;

static void de_handler(struct trap_frame *f)
{
    /* IDIV r32 "f7 f9" (idivl %ecx) and "66 f7 f9" / "f6 f9": skip it. */
    ra = f->eax;
    rd = f->edx;
    trap_record(f);
    f->eip += *(uint8_t *)f->eip == 0x66 ? 3 : 2;
}

void test_main(void)
{
    trap_set_handler(VEC_DE, de_handler);

    last_exc.vector = 0xFF;
    __asm__ volatile("idivb %%cl" :: "a"(0xC0DE8000u), "d"(0xD00DF000u), "c"(0xFFu) : "cc");
    printf("idiv8 8000/ff vec=%u eax=%08x edx=%08x\n", last_exc.vector, ra, rd);

    last_exc.vector = 0xFF;
    __asm__ volatile("idivw %%cx" :: "a"(0xC0DE0000u), "d"(0xD00D8000u), "c"(0xFFFFu) : "cc");
    printf("idiv16 8000:0000/ffff vec=%u eax=%08x edx=%08x\n", last_exc.vector, ra, rd);

    last_exc.vector = 0xFF;
    __asm__ volatile("idivl %%ecx" :: "a"(0u), "d"(0x80000000u), "c"(0xFFFFFFFFu) : "cc");
    printf("idiv32 80000000:00000000/ffffffff vec=%u eax=%08x edx=%08x\n", last_exc.vector, ra, rd);

    trap_set_handler(VEC_DE, 0);
}
