/*
 * Call gates and far transfers (SDM Vol. 3 §5.8.1-§5.8.6, Vol. 2 CALL, JMP,
 * RET, IRET):
 *  - a call gate to a more privileged non-conforming segment switches to the
 *    TSS stack and copies `param count` dwords; RET n pops them from both;
 *  - gate checks: CPL <= gate DPL and RPL <= gate DPL, target DPL <= CPL;
 *    JMP through a gate never changes CPL;
 *  - direct far JMP/CALL: conforming needs DPL <= CPL (CPL kept), non-conforming
 *    needs DPL = CPL and RPL <= CPL; RET to an inner ring is refused;
 *  - RET/IRET to an outer ring null each of DS/ES/FS/GS that holds a data or
 *    non-conforming code segment with DPL < new CPL (§5.8.6, "RET" pseudo-code).
 */
#include "priv_c.h"

static void cg_show(const char *name, unsigned ring, uint32_t ret_esp)
{
    printf("callgate %s callee-cs=%04x callee-ss=%04x callee-esp=tss%u-%u\n", name,
           cg_seen_cs, cg_seen_ss, ring, tss_stack_top(ring) - cg_seen_esp);
    printf("callgate %s frame eip=%s cs=%04x", name,
           cg_frame[0] == (uint32_t)(ring == 0 ? callgate3_after : callgate1_after) ? "after-call" : "?", cg_frame[1]);
    if (ring == 0)
        printf(" p=%08x,%08x,%08x esp=top-%u ss=%04x", cg_frame[2], cg_frame[3], cg_frame[4],
               ring_stack_top(3) - cg_frame[5], cg_frame[6]);
    else
        printf(" esp=top-%u ss=%04x", ring_stack_top(3) - cg_frame[2], cg_frame[3]);
    printf(" return-esp=top-%u\n", ring_stack_top(3) - ret_esp);
}

#define CALL(name, ring, fn, arg) do {                                \
        volatile uint32_t _r = 0;                                     \
        TRY { _r = ring_call(ring, fn, arg); printf("%s ok cs=%04x\n", name, _r); } \
        CATCH { fault_line(name); }                                   \
    } while (0)

static uint32_t lcall_gate(uint32_t sel)
{
    uint32_t ptr[2] = { 0, sel };
    __asm__ volatile("lcall *%0" :: "m"(ptr) : "memory");
    return 0;
}
static uint32_t ljmp_gate(uint32_t sel)
{
    uint32_t ptr[2] = { 0, sel };
    __asm__ volatile("ljmp *%0" :: "m"(ptr) : "memory");
    return 0;
}

static void call_gates(void)
{
    set_call_gate(G_CG_R0, SEL_CODE0, (uint32_t)cg_callee, 3, 3);
    set_call_gate(G_CG_R1, SEL_CODE1, (uint32_t)cg_callee1, 3, 0);
    set_call_gate(G_CG_DPL0, SEL_CODE0, (uint32_t)cg_callee, 0, 0);
    set_call_gate(G_CG_NP, SEL_CODE0, (uint32_t)cg_callee, 3, 0);
    gdt[G_CG_NP] &= ~(1ull << 47);
    set_call_gate(G_CG_TGTNP, SEL(G_CODE_NP, 0), (uint32_t)cg_callee, 3, 0);
    set_call_gate(G_CG_SAME, SEL_CODE0, (uint32_t)cg_callee1, 0, 2);

    uint32_t esp = ring_call(3, callgate3, 0);
    cg_show("r3-to-r0-3params", 0, esp);
    esp = ring_call(3, callgate1, 0);
    cg_show("r3-to-r1-0params", 1, esp);

    callgate_same(0);
    printf("callgate r0-to-r0-2params callee-cs=%04x eip=%s cs=%04x next=%08x,%08x\n",
           cg_seen_cs, cg_frame[0] == (uint32_t)callgate_same_after ? "after-call" : "?",
           cg_frame[1], cg_frame[2], cg_frame[3]);

    CALL("callgate dpl0-from-r3", 3, lcall_gate, SEL(G_CG_DPL0, 3));
    CALL("callgate dpl3-rpl-ok-from-r3", 3, lcall_gate, SEL(G_CG_R1, 3));
    CALL("callgate not-present", 3, lcall_gate, SEL(G_CG_NP, 3));
    CALL("callgate target-not-present", 3, lcall_gate, SEL(G_CG_TGTNP, 3));
    CALL("callgate jmp-to-inner-from-r3", 3, ljmp_gate, SEL(G_CG_R0, 3));
    set_call_gate(G_CG_DPL0, SEL_CODE0, (uint32_t)cg_callee, 1, 0);
    CALL("callgate dpl1-rpl3-from-r1", 1, lcall_gate, SEL(G_CG_DPL0, 3));
    set_call_gate(G_CG_DPL0, SEL_CODE3, (uint32_t)cg_callee, 0, 0);
    CALL("callgate to-outer-from-r0", 0, lcall_gate, SEL(G_CG_DPL0, 0));
}

static void far_direct(void)
{
    CALL("far r3-ljmp-conf0", 3, ljmp_sel, SEL(G_CONF0, 0));
    CALL("far r3-ljmp-conf0-rpl3", 3, ljmp_sel, SEL(G_CONF0, 3));
    CALL("far r3-lcall-conf0", 3, lcall_conf0, 0);
    CALL("far r3-lcall-sel-conf3", 3, lcall_sel, SEL(G_CONF3, 3));
    CALL("far r3-ljmp-code0", 3, ljmp_sel, SEL_CODE0);
    CALL("far r3-lcall-code0", 3, lcall_sel, SEL_CODE0);
    CALL("far r3-ljmp-code3-rpl0", 3, ljmp_sel, SEL(7, 0));
    CALL("far r1-ljmp-code1-rpl2", 1, ljmp_sel, SEL(3, 2));
    CALL("far r1-ljmp-code2", 1, ljmp_sel, SEL_CODE2);
    CALL("far r0-ljmp-code3", 0, ljmp_sel, SEL_CODE3);
    CALL("far r0-ljmp-conf3", 0, ljmp_sel, SEL(G_CONF3, 0));
    CALL("far r0-ljmp-conf0-rpl3", 0, ljmp_sel, SEL(G_CONF0, 3));
    CALL("far r0-ljmp-code0-rpl3", 0, ljmp_sel, SEL(1, 3));
    CALL("far r0-ljmp-code-not-present", 0, ljmp_sel, SEL(G_CODE_NP, 0));
    CALL("far r3-lret-to-r0", 3, lret_to, SEL_CODE0);
    CALL("far r3-lret-to-r3", 3, lret_to, SEL_CODE3);
    CALL("far r2-lret-to-r1", 2, lret_to, SEL_CODE1);
}

typedef void (*outer_fn)(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);

static void outer(const char *name, outer_fn fn, unsigned ring,
                  uint32_t ds, uint32_t es, uint32_t fs, uint32_t gs)
{
    uint32_t top = ring_stack_top(ring) - 64;
    seen_cs = seen_ds = seen_es = seen_fs = seen_gs = 0xFFFF;
    TRY {
        fn(SEL_CODE(ring), (uint32_t)outer_observe, SEL_DATA(ring), top, ds, es, fs, gs);
    } CATCH {
        if (last_exc.vector != V_OBSERVE) {
            fault_line(name);
            return;
        }
    }
    printf("%s cs=%04x ss=%04x esp=%d ds=%04x es=%04x fs=%04x gs=%04x\n", name, seen_cs,
           seen_ss, (int)(seen_esp - top), seen_ds, seen_es, seen_fs, seen_gs);
}

static void nulling(void)
{
    set_trap_gate(V_OBSERVE, SYS_INTGATE, 3, SEL_CODE0);
    uint32_t conf0 = SEL(G_CONF0, 0), conf3 = SEL(G_CONF3, 0);
    outer("null lret-r0-to-r3", lret_outer, 3, SEL_DATA0, SEL_DATA3, SEL_DATA1, conf0);
    outer("null lret-r0-to-r3-code", lret_outer, 3, SEL_CODE0, SEL_CODE3, 0, conf3);
    outer("null lret8-r0-to-r3", lret8_outer, 3, SEL_DATA2, SEL_DATA3, SEL_DATA0, SEL_DATA3);
    outer("null iret-r0-to-r3", iret_outer, 3, SEL_DATA0, SEL_DATA3, SEL_DATA2, conf0);
    outer("null iret-r0-to-r2", iret_outer, 2, SEL_DATA1, SEL_DATA2, SEL_DATA3, SEL_DATA0);
    outer("null iret-r0-to-r1", iret_outer, 1, SEL_DATA0, SEL_DATA1, SEL_DATA2, SEL_CODE1);
    outer("null iret-r0-to-r3-rpl0-dpl3", iret_outer, 3, SEL(8, 0), SEL(6, 2), SEL_DATA3, 0);
    set_trap_gate(V_OBSERVE, SYS_INTGATE, 0, SEL_CODE0);
}

void test_calls(void)
{
    call_gates();
    far_direct();
    nulling();
}
