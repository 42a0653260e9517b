/*
 * pv-events: a VIRQ_TIMER event delivered by upcall (ABI §4.5, §4.7, §4.8,
 * §4.14, §6.5, §7). With every port masked but the timer's and the default
 * 10 ms periodic timer stopped, a one-shot set_timer_op 1 ms ahead, then
 * SCHEDOP_block (which clears the upcall mask) returns 0 and the upcall
 * runs at the instruction after the `int $0x82` in the sched_op stub, with
 * saved mask 0 in its frame, the mask set to 1 inside, EAX = 0 (the block
 * result); the iret hypercall leaves the mask 0 again.
 */
#include "pv.h"

const char test_title[] = "pv-events: VIRQ_TIMER, set_timer_op, SCHEDOP_block, event upcall";

static volatile unsigned fired, fired_port, saved_mask, mask_inside, frame_cs, frame_eax;
static volatile uint32_t frame_eip;

static void timer_handler(evtchn_port_t port, struct pv_regs *regs)
{
    fired++;
    fired_port = port;
    saved_mask = regs->saved_upcall_mask;
    mask_inside = ACCESS_ONCE(vcpu0()->evtchn_upcall_mask);
    frame_cs = regs->cs;
    frame_eip = regs->eip;
    frame_eax = regs->eax;
}

void test_main(void)
{
    check_rc("set_trap_table", pv_setup_traps(), 0);
    check_rc("map shared_info", pv_map_shared_info(), 0);
    check_rc("set_callbacks", pv_setup_callbacks(), 0);
    printf("evtchn_upcall_mask at start of day: %u\n", vcpu0()->evtchn_upcall_mask);

    check_rc("vcpu_op(VCPUOP_stop_periodic_timer)",
             hypercall_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);

    /*
     * Mask every port (the console's and xenstore's included) and forget
     * what the console back-end already flagged, so that only the timer can
     * make an upcall deliverable: it then runs on the return from
     * SCHEDOP_block and nowhere else.
     */
    for (unsigned i = 0; i < EVTCHN_2L_WORDS; i++)
        ACCESS_ONCE(shared_info->evtchn_mask[i]) = ~0u;
    ACCESS_ONCE(vcpu0()->evtchn_upcall_pending) = 0;
    __atomic_exchange_n(&vcpu0()->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);

    struct evtchn_bind_virq bind = { .virq = VIRQ_TIMER, .vcpu = 0, .port = 0 };
    long rc = hypercall_event_channel_op(EVTCHNOP_bind_virq, &bind);
    printf("EVTCHNOP_bind_virq(VIRQ_TIMER, vcpu 0): %ld port %u\n", rc, bind.port);
    if (rc != 0 || bind.port != 3)
        xtf_failure("Fail: want 0 and port 3 (ports 1, 2: xenstore, console)\n");
    evtchn_port_t port = bind.port;
    if (port >= NR_EVENT_CHANNELS)
        panic("bad port %u\n", port);
    pv_evtchn_set_handler(port, timer_handler);
    __atomic_fetch_and(&shared_info->evtchn_mask[port / 32], ~(1u << (port % 32)), __ATOMIC_SEQ_CST);

    check_rc("set_timer_op(now + 1 ms)", hypercall_set_timer_op(pv_system_time() + 1000000), 0);

    /* Block until the upcall has run (a spurious wake-up just blocks again). */
    rc = 0;
    for (unsigned tries = 0; !fired && rc == 0 && tries < 1000; tries++) {
        rc = hypercall_block();
        if (!fired)
            pv_events_mask();
    }
    unsigned mask_after = vcpu0()->evtchn_upcall_mask;
    pv_events_mask();
    check_rc("sched_op(SCHEDOP_block)", rc, 0);

    printf("upcall ran: %s, %u time(s), port %u\n", fired ? "yes" : "no", fired, fired_port);
    printf("upcall frame: cs=%04x mask=%u eax=%u eip=%s\n", frame_cs, saved_mask, frame_eax,
           frame_eip == (uint32_t)hypercall_page + __HYPERVISOR_sched_op * HYPERCALL_PAGE_STUB_SIZE + 7
           ? "after int $0x82 in the sched_op stub" : "elsewhere");
    printf("evtchn_upcall_mask in the upcall: %u, after it: %u\n", mask_inside, mask_after);
    if (fired != 1 || fired_port != port || frame_cs != FLAT_RING1_CS || saved_mask != 0 ||
        frame_eax != 0 || mask_inside != 1 || mask_after != 0 ||
        frame_eip != (uint32_t)hypercall_page + __HYPERVISOR_sched_op * HYPERCALL_PAGE_STUB_SIZE + 7)
        xtf_failure("Fail: want 1 upcall on port %u, cs=e019 mask=0 eax=0 eip after int $0x82,"
                    " mask 1 inside, 0 after\n", port);
    printf("port %u pending after the upcall: %u\n", port,
           (shared_info->evtchn_pending[port / 32] >> (port % 32)) & 1);
    printf("spurious events: %u\n", pv_spurious_events);

    struct evtchn_close cl = { .port = port };
    check_rc("EVTCHNOP_close", hypercall_event_channel_op(EVTCHNOP_close, &cl), 0);

    xtf_success(NULL);
}
