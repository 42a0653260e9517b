/*
 * Stack switching on interrupts (SDM Vol. 3 §6.12.1, Figure 6-4): to a
 * more privileged ring the CPU loads SS:ESP from the TSS (ss0:esp0,
 * ss1:esp1, ss2:esp2) and pushes the old SS, ESP, EFLAGS, CS, EIP; at the
 * same ring it pushes EFLAGS, CS, EIP on the current stack. Values are
 * printed relative to known stack tops and labels.
 *
 * The interrupted code (priv.S int94/int95/int97) sets EFLAGS to
 * 0x8d5 | IF/IOPL of its ring, then executes INT; ESP there is
 * ring_stack_top(ring) - 8 (ring_call pushed the argument and a return address).
 */
#include "priv_c.h"

static volatile uint32_t h_cs, h_ss, h_esp_ok;

static void rec(struct trap_frame *f)
{
    h_cs = read_cs();
    h_ss = read_ss();
    trap_record(f);
}

static void show(const char *name, unsigned from, const char *after, unsigned to)
{
    uint32_t top = from == 0 ? 0 : ring_stack_top(from);
    uint32_t ttop = to == from ? top : tss_stack_top(to);
    printf("stack %s handler-cs=%04x handler-ss=%04x switched=%u", name, h_cs, h_ss,
           last_exc.stack_switched);
    printf(" eip=%s cs=%04x eflags=%08x", last_exc.eip == (uint32_t)after ? "after-int" : "?",
           last_exc.cs, last_exc.eflags);
    if (last_exc.stack_switched)
        printf(" ss=%04x esp=top-%u frame=tss%u-%u\n", last_exc.ss, top - last_exc.esp, to,
               ttop - last_exc.frame_esp);
    else
        printf(" frame=top-%u\n", ttop - last_exc.frame_esp);
}

void test_stacks(void)
{
    set_trap_gate(V_REC, SYS_INTGATE, 3, SEL_CODE0);
    set_trap_gate(V_REC_R1, SYS_INTGATE, 3, SEL_CODE1);
    set_trap_gate(V_REC_R2, SYS_INTGATE, 3, SEL_CODE2);
    trap_set_handler(V_REC, rec);
    trap_set_handler(V_REC_R1, rec);
    trap_set_handler(V_REC_R2, rec);

    ring_call_eflags(3, int94, 0, 0);
    show("r3-to-r0", 3, int94_after, 0);
    ring_call_eflags(3, int94, 0, EFL_IOPL(3));
    show("r3-to-r0-iopl3", 3, int94_after, 0);
    ring_call_eflags(3, int95, 0, 0);
    show("r3-to-r1", 3, int95_after, 1);
    ring_call_eflags(3, int97, 0, 0);
    show("r3-to-r2", 3, int97_after, 2);
    ring_call_eflags(2, int95, 0, 0);
    show("r2-to-r1", 2, int95_after, 1);
    ring_call_eflags(1, int94, 0, 0);
    show("r1-to-r0", 1, int94_after, 0);
    ring_call_eflags(2, int97, 0, 0);
    show("r2-to-r2", 2, int97_after, 2);
    ring_call_eflags(1, int95, 0, 0);
    show("r1-to-r1", 1, int95_after, 1);

    /* esp1 moved: the CPU must read the TSS at delivery time */
    tss.tss.esp1 = tss_stack_top(1) - 256;
    ring_call_eflags(3, int95, 0, 0);
    printf("stack r3-to-r1-esp1-moved frame=tss1-%u\n", tss_stack_top(1) - last_exc.frame_esp);
    tss.tss.esp1 = tss_stack_top(1);

    trap_set_handler(V_REC, 0);
    trap_set_handler(V_REC_R1, 0);
    trap_set_handler(V_REC_R2, 0);
    set_trap_gate(V_REC, SYS_INTGATE, 0, SEL_CODE0);
    set_trap_gate(V_REC_R1, SYS_INTGATE, 0, SEL_CODE0);
    set_trap_gate(V_REC_R2, SYS_INTGATE, 0, SEL_CODE0);
}
