/*
 * pv-bench-ping / pv-bench-pong: an event round trip between two domains
 * (benchmarks/hv), built twice from this file (BENCH_ROLE_PING 1 / 0) and run
 * side by side, ping first:
 *
 *     bin/tsxen run pv-bench-ping.elf pv-bench-pong.elf
 *
 * so that ping is domain 1 and pong domain 2 (domain ids follow launch
 * order). They meet on a deterministic port: ping's EVTCHNOP_alloc_unbound
 * (remote 2) gets port 3, the first free one after the toolstack's xenstore
 * and console ports 1 and 2; pong binds it with EVTCHNOP_bind_interdomain
 * (remote 1, port 3), yielding while that fails with -EINVAL (not allocated
 * yet), then signals "ready".
 *
 * One round trip (ABI §4.7, §4.14, §6.5, §7):
 *
 *   ping: EVTCHNOP_send ─────────────▶ pong's port pending, pong woken
 *   ping: SCHEDOP_block ─ switch ────▶ pong: upcall, iret hypercall, sees it,
 *                                      EVTCHNOP_send ─▶ ping's port pending
 *   ping: upcall, iret ◀── switch ──── pong: SCHEDOP_block
 *
 * i.e. 2 sends, 2 blocks, 2 domain switches, 2 upcalls and 2 iret
 * hypercalls. Every port but the bench port stays masked, so nothing else
 * reaches the upcall handler. Ping prints the markers; the TSC counts the
 * machine's simulated cycles, both domains' included, which is what a round
 * trip costs.
 */
#include "pv.h"
#include "bench.h"

#if BENCH_ROLE_PING
const char test_title[] = "pv-bench-ping: event channel round trips with domain 2 (ping side)";
#else
const char test_title[] = "pv-bench-pong: event channel round trips with domain 1 (pong side)";
#endif

#define N_RTT     30000
#define PING_DOM  1
#define PONG_DOM  2
#define PING_PORT 3              /* ping's first alloc_unbound */
#define BIND_TRIES 100000

static volatile uint32_t got;    /* events seen on the bench port */

static void on_event(evtchn_port_t port, struct pv_regs *regs)
{
    (void)port; (void)regs;
    got++;
}

/* Events masked on entry and exit; block (which unmasks) until `want` events. */
static void wait_for(uint32_t want)
{
    while (ACCESS_ONCE(got) < want) {
        hypercall_block();
        pv_events_mask();
    }
}

static void send(evtchn_port_t port)
{
    long rc = hypercall_evtchn_send(port);
    if (rc)
        panic("EVTCHNOP_send(%u): %ld\n", port, rc);
}

/* Handler, then EVTCHNOP_unmask (which re-raises an event that came while masked). */
static void listen(evtchn_port_t port)
{
    if (port >= NR_EVENT_CHANNELS)
        panic("port %u\n", port);
    pv_evtchn_set_handler(port, on_event);
    struct evtchn_unmask u = { .port = port };
    long rc = hypercall_event_channel_op(EVTCHNOP_unmask, &u);
    if (rc)
        panic("EVTCHNOP_unmask(%u): %ld\n", port, rc);
}

#if BENCH_ROLE_PING
static void run(uint32_t n)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = PONG_DOM };
    long rc = hypercall_event_channel_op(EVTCHNOP_alloc_unbound, &a);
    printf("EVTCHNOP_alloc_unbound(remote %u): %ld port %u\n", PONG_DOM, rc, a.port);
    if (rc || a.port != PING_PORT)
        panic("want port %u: pong binds that one\n", PING_PORT);
    evtchn_port_t port = a.port;
    listen(port);
    wait_for(1);                                /* pong is bound and listening */
    printf("pong is ready\n");

    uint32_t warm = n / 8 + 1;
    for (uint32_t i = 1; i <= warm; i++) {
        send(port);
        wait_for(1 + i);
    }
    BENCH_START("evtchn_rtt");
    uint64_t t0 = bench_rdtsc();
    for (uint32_t i = 1; i <= n; i++) {
        hypercall_evtchn_send(port);
        wait_for(1 + warm + i);
    }
    uint64_t t1 = bench_rdtsc();
    BENCH_DONE("evtchn_rtt", n, t1 - t0);
    if (got != 1 + warm + n)
        xtf_failure("Fail: %u events, want %u\n", got, 1 + warm + n);
}
#else
static void run(uint32_t n)
{
    struct evtchn_bind_interdomain b = { .remote_dom = PING_DOM, .remote_port = PING_PORT };
    long rc = -XEN_EINVAL;
    unsigned tries = 0;
    while (rc == -XEN_EINVAL && tries++ < BIND_TRIES) {
        rc = hypercall_event_channel_op(EVTCHNOP_bind_interdomain, &b);
        if (rc == -XEN_EINVAL)
            hypercall_yield();                  /* ping has not allocated it yet */
    }
    printf("EVTCHNOP_bind_interdomain(dom %u, port %u): %ld\n", PING_DOM, PING_PORT, rc);
    if (rc)
        panic("bind_interdomain failed after %u tries\n", tries);
    evtchn_port_t port = b.local_port;
    /* The bind left the local port pending (masked): not an event from ping. */
    __atomic_fetch_and(&shared_info->evtchn_pending[port / 32], ~(1u << (port % 32)), __ATOMIC_SEQ_CST);
    listen(port);
    send(port);                                 /* ready */

    uint32_t total = n / 8 + 1 + n;
    for (uint32_t k = 1; k <= total; k++) {
        wait_for(k);
        hypercall_evtchn_send(port);
    }
    printf("answered %u events\n", total);
}
#endif

void test_main(void)
{
    uint32_t scale = bench_scale(start_info->cmd_line);
    printf("scale=%u\n", scale);
    if (pv_setup_traps() || pv_map_shared_info() || pv_setup_callbacks())
        panic("traps / shared_info / callbacks failed\n");
    check_rc("vcpu_op(VCPUOP_stop_periodic_timer)",
             hypercall_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);
    for (unsigned i = 0; i < EVTCHN_2L_WORDS; i++)
        ACCESS_ONCE(shared_info->evtchn_mask[i]) = ~0u;
    ACCESS_ONCE(vcpu0()->evtchn_upcall_pending) = 0;
    __atomic_exchange_n(&vcpu0()->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);

    run(bench_iters(N_RTT, scale));

    pv_events_mask();
    printf("spurious events: %u\n", pv_spurious_events);
    xtf_success(NULL);
}
