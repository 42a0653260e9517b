/*
 * #TS and #SS raised while switching stacks on an interrupt from ring 3 to
 * a ring-1 handler (SDM Vol. 3 §6.12.1; INT n pseudo-code: new SS from
 * TSS.SS1 is checked: null -> #TS(EXT); index out of limits, RPL != new
 * CPL, DPL != new CPL, not a writable data segment -> #TS(SS selector + EXT);
 * not present -> #SS(SS selector + EXT)). INT n is a software interrupt, so
 * EXT = 0. The faults themselves are delivered to ring 0 via TSS.SS0, valid.
 * The not-present SS1 case (#SS) is in exceptions-sdm: QEMU raises #TS.
 */
#include "common.h"

enum { SS_RO1 = 21 };
#define VEC_R1 0x91

static uint32_t do_int(uint32_t a)
{
    (void)a;
    __asm__ volatile(AT("int $0x91"));
    return 0;
}

static volatile uint32_t r1_cs, r1_ss, r1_stack_ok;

/* Runs at ring 1 (called from the stub on the TSS esp1 stack). */
static void r1_handler(struct trap_frame *f)
{
    r1_cs = read_cs();
    r1_ss = read_ss();
    r1_stack_ok = trap_frame_has_stack(f) && (f->ss & 0xFFFF) == SEL_DATA3 &&
                  (uint32_t)(f + 1) == tss_stack_top(1);
}

static void ss1_case(const char *name, uint16_t ss1)
{
    tss.tss.ss1 = ss1;
    CHECK(name, ring_call(3, do_int, 0));
    tss.tss.ss1 = SEL_DATA1;
}

void test_stackswitch(void)
{
    set_desc(SS_RO1, 0, 0xFFFFF, ACC_P | ACC_DPL(1) | ACC_S | ACC_DATA_R, FLG_G | FLG_DB);
    set_trap_gate(VEC_R1, SYS_INTGATE, 3, SEL_CODE1);

    ss1_case("ts ss1-null", 0);
    ss1_case("ts ss1-null-rpl1", 1);
    ss1_case("ts ss1-rpl-mismatch", SEL(4, 2));
    ss1_case("ts ss1-dpl-mismatch", SEL(6, 1));
    ss1_case("ts ss1-code", SEL(3, 1));
    ss1_case("ts ss1-readonly", SEL(SS_RO1, 1));
    ss1_case("ts ss1-beyond-gdt", 0x301);
    ss1_case("ts ss1-ldt-null-ldtr", 0x0D);

    trap_set_handler(VEC_R1, r1_handler);
    CHECK("ok ss1-valid", ring_call(3, do_int, 0));
    printf("ok ss1-valid handler cs=%04x ss=%04x frame-at-esp1-top=%u\n", r1_cs, r1_ss, r1_stack_ok);
    trap_set_handler(VEC_R1, 0);
    set_trap_gate(VEC_R1, SYS_INTGATE, 0, SEL_CODE0);
}
