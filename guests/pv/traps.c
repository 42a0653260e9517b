/*
 * Trap table (ABI §4.1, §6.3), exception dispatch with the exception table,
 * event callbacks and the 2-level upcall handler (ABI §4.5, §6.5, §7.3).
 */
#include "pv.h"

void pv_entry_DE(void), pv_entry_DB(void), pv_entry_NMI(void), pv_entry_BP(void);
void pv_entry_OF(void), pv_entry_BR(void), pv_entry_UD(void), pv_entry_NM(void);
void pv_entry_DF(void), pv_entry_TS(void), pv_entry_NP(void), pv_entry_SS(void);
void pv_entry_GP(void), pv_entry_PF(void), pv_entry_MF(void), pv_entry_AC(void);
void pv_entry_MC(void), pv_entry_XM(void), pv_entry_VE(void);
void pv_entry_upcall(void), pv_entry_failsafe(void), pv_entry_ret_to_kernel(void);
extern uint8_t pv_ring1_stack_top[];

void pv_do_exception(struct pv_regs *regs);
void pv_do_failsafe(const uint32_t *frame) __attribute__((noreturn));

#define TI(vec, dpl, fn) { (vec), (dpl) | TRAP_INFO_MASK_EVENTS, FLAT_RING1_CS, (uint32_t)(fn) }

static const struct trap_info pv_trap_table[] = {
    TI(0,  0, pv_entry_DE),  TI(1,  0, pv_entry_DB),  TI(2,  0, pv_entry_NMI),
    TI(3,  3, pv_entry_BP),  TI(4,  3, pv_entry_OF),  TI(5,  0, pv_entry_BR),
    TI(6,  0, pv_entry_UD),  TI(7,  0, pv_entry_NM),  TI(8,  0, pv_entry_DF),
    TI(10, 0, pv_entry_TS),  TI(11, 0, pv_entry_NP),  TI(12, 0, pv_entry_SS),
    TI(13, 0, pv_entry_GP),  TI(14, 0, pv_entry_PF),  TI(16, 0, pv_entry_MF),
    TI(17, 0, pv_entry_AC),  TI(18, 0, pv_entry_MC),  TI(19, 0, pv_entry_XM),
    TI(20, 0, pv_entry_VE),
    TI(PV_VEC_RET2KERN, 3, pv_entry_ret_to_kernel),
    { 0, 0, 0, 0 },                         /* terminator: address 0 */
};

volatile struct pv_exc pv_last_exc;
volatile unsigned pv_exc_count;
volatile unsigned pv_upcall_count, pv_spurious_events;

long pv_setup_traps(void)
{
    long rc = hypercall_set_trap_table(pv_trap_table);
    long rc2 = hypercall_stack_switch(FLAT_RING1_SS, pv_ring1_stack_top);
    if (rc2)
        panic("stack_switch: %ld\n", rc2);
    return rc;
}

static int has_error_code(uint32_t vec)
{
    return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17;
}

static void format_exc(char *buf, size_t size, const volatile struct pv_exc *e)
{
    int n = snprintf(buf, size, "vec=%u", e->vector);
    if (has_error_code(e->vector))
        n += snprintf(buf + n, size - n, " err=%04x", e->error_code);
    if (e->vector == 14)
        n += snprintf(buf + n, size - n, " cr2=%08x", e->cr2);
    n += snprintf(buf + n, size - n, " cs=%04x mask=%u if=%u", e->cs, e->saved_upcall_mask,
                  (e->eflags & X86_EFLAGS_IF) ? 1 : 0);
    if (e->from_user)
        snprintf(buf + n, size - n, " ss=%04x", e->ss);
}

void pv_print_exc(const char *name)
{
    char buf[96];
    format_exc(buf, sizeof(buf), &pv_last_exc);
    printf("%s: %s\n", name, buf);
}

static pv_evtchn_handler_t evtchn_handlers[NR_EVENT_CHANNELS];

void pv_evtchn_set_handler(evtchn_port_t port, pv_evtchn_handler_t fn)
{
    if (port < NR_EVENT_CHANNELS)
        evtchn_handlers[port] = fn;
}

long pv_setup_callbacks(void)
{
    return hypercall_set_callbacks(FLAT_RING1_CS, pv_entry_upcall,
                                   FLAT_RING1_CS, pv_entry_failsafe);
}

/* ABI §7.3: clear upcall_pending, take the selector, scan pending & ~mask. */
static void do_upcall(struct pv_regs *regs)
{
    if (!shared_info)
        panic("event upcall before shared_info was mapped\n");
    vcpu_info_t *v = vcpu0();
    pv_upcall_count++;
    while (ACCESS_ONCE(v->evtchn_upcall_pending)) {
        ACCESS_ONCE(v->evtchn_upcall_pending) = 0;
        uint32_t sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
        while (sel) {
            unsigned w = (unsigned)__builtin_ctz(sel);
            sel &= sel - 1;
            uint32_t pend = ACCESS_ONCE(shared_info->evtchn_pending[w]) &
                            ~ACCESS_ONCE(shared_info->evtchn_mask[w]);
            while (pend) {
                unsigned b = (unsigned)__builtin_ctz(pend);
                pend &= pend - 1;
                evtchn_port_t port = w * 32 + b;
                __atomic_fetch_and(&shared_info->evtchn_pending[w], ~(1u << b), __ATOMIC_SEQ_CST);
                if (evtchn_handlers[port])
                    evtchn_handlers[port](port, regs);
                else
                    pv_spurious_events++;
            }
        }
    }
}

void pv_do_exception(struct pv_regs *regs)
{
    if (regs->entry_vector == PV_VEC_UPCALL) {
        do_upcall(regs);
        return;
    }

    volatile struct pv_exc *e = &pv_last_exc;
    e->vector = regs->entry_vector;
    e->error_code = regs->error_code;
    e->eip = regs->eip;
    e->cs = regs->cs;
    e->saved_upcall_mask = regs->saved_upcall_mask;
    e->eflags = regs->eflags;
    e->from_user = (regs->cs & 3) > 1;
    e->esp = e->from_user ? regs->esp : 0;
    e->ss = e->from_user ? regs->ss : 0;
    e->cr2 = shared_info ? ACCESS_ONCE(vcpu0()->arch.cr2) : 0;
    pv_exc_count++;

    extern const struct pv_extable __start_ex_table[], __stop_ex_table[];
    for (const struct pv_extable *x = __start_ex_table; x < __stop_ex_table; x++) {
        if (x->fault == regs->eip) {
            regs->eip = x->fixup;
            return;
        }
    }

    char buf[96];
    format_exc(buf, sizeof(buf), e);
    printf("UNEXPECTED exception %s eip=%08x%s\n", buf, regs->eip,
           shared_info ? "" : " (cr2 unknown: shared_info not mapped)");
    panic("Unhandled exception, vector %u\n", regs->entry_vector);
}

void pv_do_failsafe(const uint32_t *f)
{
    panic("failsafe callback: ds=%04x es=%04x fs=%04x gs=%04x eip=%08x cs=%04x\n",
          f[0] & 0xffff, f[1] & 0xffff, f[2] & 0xffff, f[3] & 0xffff, f[4], f[5] & 0xffff);
}

/* ABI §8.1: system_time + ((TSC - tsc_timestamp) scaled by mul/shift) >> 32. */
uint64_t pv_system_time(void)
{
    volatile vcpu_time_info_t *t = &vcpu0()->time;
    uint32_t ver, mul;
    uint64_t sys, stamp, tsc;
    int8_t shift;
    do {
        ver = t->version;
        barrier();
        stamp = t->tsc_timestamp;
        sys = t->system_time;
        mul = t->tsc_to_system_mul;
        shift = t->tsc_shift;
        barrier();
    } while ((ver & 1) || ver != t->version);
    __asm__ volatile ("rdtsc" : "=A" (tsc));
    uint64_t delta = tsc > stamp ? tsc - stamp : 0;
    delta = shift >= 0 ? delta << shift : delta >> -shift;
    return sys + (((uint64_t)(uint32_t)delta * mul) >> 32) + (uint64_t)(uint32_t)(delta >> 32) * mul;
}
