/*
 * pv-vcpus: a second vCPU (ABI §1.11, §2.6, §4.7, §4.14, §4.21). Needs a
 * domain with 2 vCPUs (`tsxen run --vcpus 2`, info.json "args").
 *
 *  - vcpu_op on vCPU 0 / 1 / 2 / 99: is_up 1 / 0 / -ENOENT / -ENOENT;
 *    runstate of vCPU 0 running, of vCPU 1 offline; VCPUOP_up of the
 *    uninitialised vCPU 1: -EINVAL; timers of another vCPU: -EINVAL;
 *  - VCPUOP_initialise of vCPU 1 refused for an unreadable context
 *    (-EFAULT), EFLAGS.VM (-EINVAL), a misaligned LDT base (-EINVAL), a CR3
 *    naming a writable data page (-EINVAL); accepted for a context with
 *    flat selectors, its own stack, CR3 = the current L3 in the folded
 *    xen_pfn_to_cr3 format, callbacks and kernel_ss/sp (0); the vCPU stays
 *    down; a second initialise: -EEXIST (an unreadable one still -EFAULT);
 *  - VCPUOP_up: vCPU 1 runs at its EIP with the context's selectors, sees
 *    itself up and running with its upcall mask 1, prints, and wakes vCPU 0
 *    (which waits in SCHEDOP_poll) through an IPI event channel
 *    (EVTCHNOP_bind_ipi); then downs itself: vCPU 0 sees is_up 0 and the
 *    runstate offline; VCPUOP_up again resumes vCPU 1 after its
 *    VCPUOP_down, which returned 0.
 * Every step waits on flags, so the output does not depend on scheduling.
 */
#include "pv.h"

const char test_title[] = "pv-vcpus: VCPUOP_initialise / up / down / is_up, runstate, an IPI between vCPUs";

void pv_entry_DE(void), pv_entry_DB(void), pv_entry_NMI(void), pv_entry_BP(void);
void pv_entry_OF(void), pv_entry_BR(void), pv_entry_UD(void), pv_entry_NM(void);
void pv_entry_DF(void), pv_entry_TS(void), pv_entry_NP(void), pv_entry_SS(void);
void pv_entry_GP(void), pv_entry_PF(void), pv_entry_MF(void), pv_entry_AC(void);
void pv_entry_upcall(void), pv_entry_failsafe(void);
void vcpu1_entry(void);

static uint8_t v1_stack[8192] __attribute__((aligned(16)));
static volatile unsigned v1_stage;
static volatile long v1_down_rc = 12345;
static evtchn_port_t ipi_port;
static struct vcpu_guest_context ctx;

/* vCPU 1 starts here (user_regs.eip), on its own stack (user_regs.esp). */
__asm__ (".text\n\t"
         ".globl vcpu1_entry\n"
         "vcpu1_entry:\n\t"
         "call vcpu1_main\n\t"
         "ud2\n\t");

static uint32_t sreg_cs(void) { uint32_t s; __asm__ volatile ("mov %%cs, %0" : "=r" (s)); return s & 0xffff; }
static uint32_t sreg_ss(void) { uint32_t s; __asm__ volatile ("mov %%ss, %0" : "=r" (s)); return s & 0xffff; }
static uint32_t sreg_ds(void) { uint32_t s; __asm__ volatile ("mov %%ds, %0" : "=r" (s)); return s & 0xffff; }

void vcpu1_main(void) __attribute__((noreturn, used));
void vcpu1_main(void)
{
    uint32_t esp;
    __asm__ volatile ("mov %%esp, %0" : "=r" (esp));
    long up = hypercall_vcpu_op(VCPUOP_is_up, 1, NULL);
    struct vcpu_runstate_info rs = { .state = -1 };
    long rrc = hypercall_vcpu_op(VCPUOP_get_runstate_info, 1, &rs);
    unsigned mask = shared_info->vcpu_info[1].evtchn_upcall_mask;
    printf("vCPU 1: running on its stack: %s, cs=%04x ss=%04x ds=%04x\n",
           esp > (uint32_t)v1_stack && esp <= (uint32_t)v1_stack + sizeof(v1_stack) ? "yes" : "no",
           sreg_cs(), sreg_ss(), sreg_ds());
    printf("vCPU 1: is_up(1) %ld, get_runstate_info(1) %ld state %d, vcpu_info[1] upcall mask %u\n",
           up, rrc, rs.state, mask);
    if (!(esp > (uint32_t)v1_stack && esp <= (uint32_t)v1_stack + sizeof(v1_stack)) ||
        sreg_cs() != FLAT_RING1_CS || sreg_ss() != FLAT_RING1_SS || sreg_ds() != FLAT_RING1_DS ||
        up != 1 || rrc != 0 || rs.state != RUNSTATE_running || mask != 1)
        xtf_failure("Fail: vCPU 1: want its stack, cs=e019 ss=e021 ds=e021, is_up 1, "
                    "runstate 0 state 0, mask 1\n");
    v1_stage = 1;
    hypercall_evtchn_send(ipi_port);

    long rc = hypercall_vcpu_op(VCPUOP_down, 1, NULL);     /* resumes here after the next up */
    v1_down_rc = rc;
    v1_stage = 2;
    hypercall_evtchn_send(ipi_port);
    for (;;)
        hypercall_vcpu_op(VCPUOP_down, 1, NULL);
}

/* vCPU 0: wait (SCHEDOP_poll on the IPI port, 10 ms at a time) until v1_stage >= want. */
static int wait_stage(unsigned want)
{
    for (unsigned tries = 0; tries < 500; tries++) {
        if (ACCESS_ONCE(v1_stage) >= want)
            return 1;
        struct sched_poll p = { .ports = &ipi_port, .nr_ports = 1,
                                .timeout = pv_system_time() + 10000000ULL };
        long rc = hypercall_sched_op(SCHEDOP_poll, &p);
        if (rc)
            panic("SCHEDOP_poll: %ld\n", rc);
        __atomic_fetch_and(&shared_info->evtchn_pending[ipi_port / 32], ~(1u << (ipi_port % 32)),
                           __ATOMIC_SEQ_CST);
    }
    return ACCESS_ONCE(v1_stage) >= want;
}

/* vCPU 0: wait until vCPU 1 is down and descheduled (is_up 0, runstate offline). */
static int wait_down(void)
{
    struct vcpu_runstate_info rs;
    for (unsigned tries = 0; tries < 2000; tries++) {
        rs.state = -1;
        if (hypercall_vcpu_op(VCPUOP_is_up, 1, NULL) == 0 &&
            hypercall_vcpu_op(VCPUOP_get_runstate_info, 1, &rs) == 0 && rs.state == RUNSTATE_offline)
            return 1;
        hypercall_yield();
    }
    return 0;
}

static void runstate(const char *what, unsigned vcpu, int want_state)
{
    struct vcpu_runstate_info rs = { .state = -1 };
    long rc = hypercall_vcpu_op(VCPUOP_get_runstate_info, vcpu, &rs);
    printf("%s: %ld state %d\n", what, rc, rs.state);
    if (rc != 0 || rs.state != want_state)
        xtf_failure("Fail: %s: want 0 state %d\n", what, want_state);
}

static void good_context(void)
{
#define TE(vec, fn) ctx.trap_ctxt[vec] = (struct trap_info){ (vec), TRAP_INFO_MASK_EVENTS, FLAT_RING1_CS, (uint32_t)(fn) }
    memset(&ctx, 0, sizeof(ctx));
    ctx.flags = VGCF_in_kernel;
    ctx.user_regs.eip = (uint32_t)vcpu1_entry;
    ctx.user_regs.cs = FLAT_RING1_CS;
    ctx.user_regs.eflags = 0x2;
    ctx.user_regs.esp = (uint32_t)v1_stack + sizeof(v1_stack);
    ctx.user_regs.ss = FLAT_RING1_SS;
    ctx.user_regs.ds = ctx.user_regs.es = ctx.user_regs.fs = ctx.user_regs.gs = FLAT_RING1_DS;
    TE(0, pv_entry_DE); TE(1, pv_entry_DB); TE(2, pv_entry_NMI); TE(3, pv_entry_BP);
    TE(4, pv_entry_OF); TE(5, pv_entry_BR); TE(6, pv_entry_UD); TE(7, pv_entry_NM);
    TE(8, pv_entry_DF); TE(10, pv_entry_TS); TE(11, pv_entry_NP); TE(12, pv_entry_SS);
    TE(13, pv_entry_GP); TE(14, pv_entry_PF); TE(16, pv_entry_MF); TE(17, pv_entry_AC);
    ctx.kernel_ss = FLAT_RING1_SS;
    ctx.kernel_sp = (uint32_t)v1_stack + sizeof(v1_stack);
    uint32_t l3 = pv_virt_to_mfn((const void *)start_info->pt_base);
    ctx.ctrlreg[3] = (l3 << 12) | (l3 >> 20);                /* xen_pfn_to_cr3 */
    ctx.event_callback_cs = FLAT_RING1_CS;
    ctx.event_callback_eip = (uint32_t)pv_entry_upcall;
    ctx.failsafe_callback_cs = FLAT_RING1_CS;
    ctx.failsafe_callback_eip = (uint32_t)pv_entry_failsafe;
#undef TE
}

static long initialise(void *c)
{
    return hypercall_vcpu_op(VCPUOP_initialise, 1, c);
}

void test_main(void)
{
    static uint8_t data_page[XEN_PAGE_SIZE] PAGE_ALIGNED;

    check_rc("set_trap_table", pv_setup_traps(), 0);
    check_rc("map shared_info", pv_map_shared_info(), 0);

    /* 1. Who is there. */
    check_rc("vcpu_op(VCPUOP_is_up, 0)", hypercall_vcpu_op(VCPUOP_is_up, 0, NULL), 1);
    check_rc("vcpu_op(VCPUOP_is_up, 1)", hypercall_vcpu_op(VCPUOP_is_up, 1, NULL), 0);
    check_rc("vcpu_op(VCPUOP_is_up, 2)", hypercall_vcpu_op(VCPUOP_is_up, 2, NULL), -XEN_ENOENT);
    check_rc("vcpu_op(VCPUOP_is_up, 99)", hypercall_vcpu_op(VCPUOP_is_up, 99, NULL), -XEN_ENOENT);
    check_rc("vcpu_op(VCPUOP_up, 99)", hypercall_vcpu_op(VCPUOP_up, 99, NULL), -XEN_ENOENT);
    runstate("vcpu_op(VCPUOP_get_runstate_info, 0)", 0, RUNSTATE_running);
    runstate("vcpu_op(VCPUOP_get_runstate_info, 1)", 1, RUNSTATE_offline);
    check_rc("vcpu_op(VCPUOP_up, 1) before VCPUOP_initialise", hypercall_vcpu_op(VCPUOP_up, 1, NULL),
             -XEN_EINVAL);
    struct vcpu_set_singleshot_timer sst = { .timeout_abs_ns = 0, .flags = 0 };
    check_rc("vcpu_op(VCPUOP_set_singleshot_timer, 1) from vCPU 0",
             hypercall_vcpu_op(VCPUOP_set_singleshot_timer, 1, &sst), -XEN_EINVAL);
    check_rc("vcpu_op(VCPUOP_stop_singleshot_timer, 1) from vCPU 0",
             hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, 1, NULL), -XEN_EINVAL);

    /* 2. VCPUOP_initialise: refusals, then the real one. */
    check_rc("VCPUOP_initialise(1, context at HYPERVISOR_VIRT_START)",
             initialise((void *)HYPERVISOR_VIRT_START), -XEN_EFAULT);
    good_context();
    ctx.user_regs.eflags = 0x20002;
    check_rc("VCPUOP_initialise(1, EFLAGS.VM set)", initialise(&ctx), -XEN_EINVAL);
    good_context();
    ctx.ldt_base = 0x1234;
    ctx.ldt_ents = 1;
    check_rc("VCPUOP_initialise(1, LDT base 0x1234)", initialise(&ctx), -XEN_EINVAL);
    good_context();
    uint32_t d = pv_virt_to_mfn(data_page);
    ctx.ctrlreg[3] = (d << 12) | (d >> 20);
    check_rc("VCPUOP_initialise(1, CR3 = a writable data page)", initialise(&ctx), -XEN_EINVAL);
    check_rc("vcpu_op(VCPUOP_up, 1) after failed initialisations", hypercall_vcpu_op(VCPUOP_up, 1, NULL),
             -XEN_EINVAL);

    struct evtchn_bind_ipi bi = { .vcpu = 0, .port = 0 };
    long rc = hypercall_event_channel_op(EVTCHNOP_bind_ipi, &bi);
    printf("EVTCHNOP_bind_ipi(vcpu 0): %ld port %u\n", rc, bi.port);
    if (rc != 0 || bi.port != 3)
        xtf_failure("Fail: want 0 port 3 (ports 1, 2: xenstore, console)\n");
    ipi_port = bi.port;
    if (ipi_port >= NR_EVENT_CHANNELS)
        panic("bad port\n");
    __atomic_fetch_or(&shared_info->evtchn_mask[ipi_port / 32], 1u << (ipi_port % 32), __ATOMIC_SEQ_CST);

    good_context();
    check_rc("VCPUOP_initialise(1, flat selectors, own stack, current L3)", initialise(&ctx), 0);
    check_rc("vcpu_op(VCPUOP_is_up, 1) after VCPUOP_initialise", hypercall_vcpu_op(VCPUOP_is_up, 1, NULL), 0);
    runstate("vcpu_op(VCPUOP_get_runstate_info, 1)", 1, RUNSTATE_offline);
    check_rc("VCPUOP_initialise(1) again", initialise(&ctx), -XEN_EEXIST);
    check_rc("VCPUOP_initialise(1) again, context at HYPERVISOR_VIRT_START",
             initialise((void *)HYPERVISOR_VIRT_START), -XEN_EFAULT);
    printf("vCPU 1 has not run: %s\n", v1_stage == 0 ? "yes" : "no");

    /* 3. Start it; it prints, then signals through the IPI port. */
    rc = hypercall_vcpu_op(VCPUOP_up, 1, NULL);
    int ok = wait_stage(1);
    check_rc("vcpu_op(VCPUOP_up, 1)", rc, 0);
    printf("vCPU 0 woken by vCPU 1's IPI: %s\n", ok ? "yes" : "no");
    if (!ok)
        panic("vCPU 1 did not signal\n");

    /* 4. It downs itself. */
    ok = wait_down();
    printf("vCPU 1 after its VCPUOP_down: %s\n", ok ? "is_up 0, runstate offline" : "still up");
    if (!ok)
        xtf_failure("Fail: want is_up 0 and runstate offline\n");

    /* 5. Up again: it continues after its VCPUOP_down. */
    rc = hypercall_vcpu_op(VCPUOP_up, 1, NULL);
    ok = wait_stage(2);
    check_rc("vcpu_op(VCPUOP_up, 1) again", rc, 0);
    printf("vCPU 1 resumed, its VCPUOP_down returned: %ld\n", ok ? v1_down_rc : -1L);
    if (!ok || v1_down_rc != 0)
        xtf_failure("Fail: want 0\n");
    ok = wait_down();
    printf("vCPU 1 down again: %s\n", ok ? "yes" : "no");
    if (!ok)
        xtf_failure("Fail: vCPU 1 did not go down\n");
    check_rc("vcpu_op(VCPUOP_is_up, 0)", hypercall_vcpu_op(VCPUOP_is_up, 0, NULL), 1);

    xtf_success(NULL);
}
