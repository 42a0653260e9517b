/*
 * #DB: INT $1, and single-step
 * through EFLAGS.TF (trap after the next instruction, DR6.BS = bit 14).
 * SDM Vol. 3 §17.3.1.4 (single-step), §17.2.3 (DR6). INT1/ICEBP (0xF1) is in
 * exceptions-sdm: QEMU raises #UD for it.
 */
#include "common.h"

static inline uint32_t read_dr6(void) { uint32_t v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static inline void write_dr6(uint32_t v) { __asm__ volatile("mov %0, %%dr6" :: "r"(v)); }

void test_debug(void)
{
    write_dr6(0);
    printf("db dr6-init %08x\n", read_dr6());
    CHECK("db int-1", __asm__ volatile(AT("int $1")));

    /* POPF sets TF; the instruction after POPF completes, then #DB. */
    write_dr6(0);
    CHECK("db single-step", __asm__ volatile(
        AT_PRE("pushfl\n\torl $0x100, (%%esp)\n\tpopfl", "movl $1, %%eax") ::: "eax", "memory"));
    printf("db single-step dr6=%08x tf-in-frame=%u\n", read_dr6(),
           (last_exc.eflags >> 8) & 1);

    /* Single-stepping a faulting instruction: the fault wins, no #DB. */
    write_dr6(0);
    CHECK("db step-into-ud2", __asm__ volatile(
        AT_PRE("pushfl\n\torl $0x100, (%%esp)\n\tpopfl", "ud2") ::: "memory"));
    printf("db step-into-ud2 dr6=%08x\n", read_dr6());
    write_dr6(0);
}
