/*
 * Interrupt gates clear IF, trap gates leave it (SDM Vol. 3 §6.12.1.3).
 * INT n, INT3 and INTO check CPL <= gate DPL, else #GP(vector*8 + 2);
 * exceptions and hardware interrupts skip that check (§6.12.1.1).
 * The gate's target code segment must have DPL <= CPL, else #GP(selector).
 */
#include "priv_c.h"

#define SWINT(fn, ...) static uint32_t fn(uint32_t a) { (void)a; __asm__ volatile(__VA_ARGS__); return 0; }
SWINT(sw_int94, "int $0x94")
SWINT(sw_int3, "int3")
SWINT(sw_into, "movl $0x7fffffff, %%eax\n\taddl $1, %%eax\n\tinto" ::: "eax", "cc")
SWINT(sw_int6, "int $6")
SWINT(sw_ud2, "ud2")
SWINT(sw_int1, "int $1")

static volatile uint32_t h_eflags, h_cs;

static void rec(struct trap_frame *f)
{
    h_eflags = read_eflags();
    h_cs = read_cs();
    trap_record(f);
}

static void gate_if(const char *name, uint8_t type, unsigned ring)
{
    set_trap_gate(V_REC, type, 3, SEL_CODE0);
    trap_set_handler(V_REC, rec);
    if (ring == 0)
        sti();
    ring_call_eflags(ring, sw_int94, 0, EFL_IF);
    if (ring == 0)
        cli();
    printf("gate %s handler-if=%u frame-if=%u handler-cs=%04x frame-cs=%04x\n", name,
           (h_eflags >> 9) & 1, (last_exc.eflags >> 9) & 1, h_cs, last_exc.cs);
    trap_set_handler(V_REC, 0);
}

static void dpl_case(const char *name, unsigned ring, ring_fn_t fn)
{
    TRY {
        ring_call(ring, fn, 0);
        printf("%s no-fault\n", name);
    } CATCH {
        fault_line(name);
    }
}

void test_gates(void)
{
    gate_if("int-gate-from-r0", SYS_INTGATE, 0);
    gate_if("trap-gate-from-r0", SYS_TRAPGATE, 0);
    gate_if("int-gate-from-r3", SYS_INTGATE, 3);
    gate_if("trap-gate-from-r3", SYS_TRAPGATE, 3);
    cli();

    set_trap_gate(V_REC, SYS_INTGATE, 0, SEL_CODE0);
    dpl_case("dpl int-dpl0-from-r3", 3, sw_int94);
    dpl_case("dpl int-dpl0-from-r1", 1, sw_int94);
    dpl_case("dpl int-dpl0-from-r0", 0, sw_int94);
    set_trap_gate(V_REC, SYS_INTGATE, 2, SEL_CODE0);
    dpl_case("dpl int-dpl2-from-r3", 3, sw_int94);
    dpl_case("dpl int-dpl2-from-r2", 2, sw_int94);
    dpl_case("dpl int-dpl2-from-r1", 1, sw_int94);
    set_trap_gate(V_REC, SYS_TRAPGATE, 3, SEL_CODE0);
    dpl_case("dpl int-dpl3-from-r3", 3, sw_int94);
    set_trap_gate(V_REC, SYS_INTGATE, 0, SEL_CODE0);

    /* vectors 3, 4, 6, 1 keep their DPL-0 gates */
    dpl_case("dpl int3-dpl0-from-r3", 3, sw_int3);
    dpl_case("dpl into-dpl0-from-r3", 3, sw_into);
    dpl_case("dpl int6-dpl0-from-r3", 3, sw_int6);
    dpl_case("dpl int1-dpl0-from-r3", 3, sw_int1);
    dpl_case("dpl ud2-dpl0-from-r3", 3, sw_ud2);
    set_trap_gate(VEC_BP, SYS_INTGATE, 3, SEL_CODE0);
    dpl_case("dpl int3-dpl3-from-r3", 3, sw_int3);
    set_trap_gate(VEC_BP, SYS_INTGATE, 0, SEL_CODE0);

    /* gate DPL fine, but target code segment more privileged than allowed */
    set_trap_gate(V_REC, SYS_INTGATE, 3, SEL_CODE3);
    dpl_case("dpl gate-to-r3-code-from-r0", 0, sw_int94);
    set_trap_gate(V_REC, SYS_INTGATE, 3, SEL_CODE2);
    dpl_case("dpl gate-to-r2-code-from-r1", 1, sw_int94);
    set_trap_gate(V_REC, SYS_INTGATE, 3, SEL(G_CONF3, 0));
    dpl_case("dpl gate-to-conf3-code-from-r0", 0, sw_int94);
    set_trap_gate(V_REC, SYS_INTGATE, 0, SEL_CODE0);
}
