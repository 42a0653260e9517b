/*
 * pv-sched: scheduler and miscellaneous hypercalls (ABI §4.6, §4.7, §4.9,
 * §4.17, §4.19, §4.23, §4.24, §6.8, §6.9).
 *
 *  - sched_op: yield 0; poll on a pending IPI port returns 0 at once;
 *    nr_ports 129 -EINVAL; an unreadable port array -EFAULT; a port beyond
 *    every allocated one -EINVAL; poll with a timeout (now + 1 ms) on a
 *    port that is not pending returns 0 once the timeout has passed (every
 *    port masked, so only the timer can wake it); shutdown_code(poweroff)
 *    latches poweroff and a later shutdown_code(crash) is ignored (the
 *    final SHUTDOWN_poweroff exits with status 0 only if so);
 *    remote_shutdown of domain 0 -EPERM, of DOMID_SELF -ESRCH; watchdog
 *    create 1, 2, then -ENOSPC, destroy, unknown id -EINVAL; cmd 8 -ENOSYS;
 *  - set_debugreg / get_debugreg: DR6 reads 0xffff0ff0 and DR7 0x400 at
 *    start of day, DR4 aliases DR6; DR0 round trip; DR6 keeps its forced
 *    bits; DR7 reserved bits 12, 14, 15 forced to 0, bit 10 to 1; GD ->
 *    -EPERM; an I/O breakpoint without CR4.DE -> -EPERM; reg 8 -> -ENODEV;
 *  - fpu_taskswitch(1): CR0 reads TS; the next x87 instruction raises #NM
 *    with TS already cleared, so the handler just returns and the
 *    instruction completes; fpu_taskswitch(1) then CLTS: no #NM;
 *  - vm_assist: types 32 and 99 -EINVAL, cmd 7 -ENOSYS, writable
 *    pagetables enable/disable 0;
 *  - physdev_op set_iopl: 4 -EINVAL; CLI at ring 1 with IOPL 0: #GP(0);
 *    set_iopl(1): 0, CLI then is a no-op; back to 0;
 *  - nmi_op: register 0, unregister 0, cmd 2 -ENOSYS;
 *  - sysctl: interface version 0 -EACCES, 0x16 (right version, no
 *    privilege) -EPERM.
 */
#include "pv.h"

const char test_title[] = "pv-sched: sched_op, debug registers, fpu_taskswitch, vm_assist, iopl, nmi_op, sysctl";

void pv_entry_NMI(void);

static long set_debugreg(int reg, uint32_t v) { return _hypercall32_2(__HYPERVISOR_set_debugreg, reg, v); }
static long get_debugreg(int reg) { return _hypercall32_1(__HYPERVISOR_get_debugreg, reg); }
static long fpu_taskswitch(int set) { return _hypercall32_1(__HYPERVISOR_fpu_taskswitch, set); }
static long vm_assist(unsigned cmd, unsigned type) { return _hypercall32_2(__HYPERVISOR_vm_assist, cmd, type); }
static long physdev_op(int cmd, void *arg) { return _hypercall32_2(__HYPERVISOR_physdev_op, cmd, arg); }
static long nmi_op(unsigned cmd, void *arg) { return _hypercall32_2(__HYPERVISOR_nmi_op, cmd, arg); }
static long sysctl(void *op) { return _hypercall32_1(__HYPERVISOR_sysctl, op); }

static void check_hex(const char *what, long got, uint32_t want)
{
    printf("%s: 0x%08lx\n", what, got);
    if ((uint32_t)got != want)
        xtf_failure("Fail: %s: want 0x%08x\n", what, want);
}

static void check_yes(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "yes" : "no");
    if (!ok)
        xtf_failure("Fail: %s\n", what);
}

static uint32_t read_cr0(void)
{
    uint32_t v;
    __asm__ volatile ("mov %%cr0, %0" : "=r" (v));
    return v;
}

static long poll(evtchn_port_t *ports, unsigned nr, uint64_t timeout)
{
    struct sched_poll p = { .ports = ports, .nr_ports = nr, .timeout = timeout };
    return hypercall_sched_op(SCHEDOP_poll, &p);
}

static long shutdown_code(unsigned reason)
{
    struct sched_shutdown s = { .reason = reason };
    return hypercall_sched_op(SCHEDOP_shutdown_code, &s);
}

static long remote_shutdown(unsigned dom, unsigned reason)
{
    struct sched_remote_shutdown s = { .domain_id = dom, .reason = reason };
    return hypercall_sched_op(SCHEDOP_remote_shutdown, &s);
}

static long watchdog(uint32_t id, uint32_t timeout)
{
    struct sched_watchdog w = { .id = id, .timeout = timeout };
    return hypercall_sched_op(SCHEDOP_watchdog, &w);
}

static int pending(evtchn_port_t p)
{
    return (ACCESS_ONCE(shared_info->evtchn_pending[p / 32]) >> (p % 32)) & 1;
}

static void clear_pending(evtchn_port_t p)
{
    __atomic_fetch_and(&shared_info->evtchn_pending[p / 32], ~(1u << (p % 32)), __ATOMIC_SEQ_CST);
}

static void sched_tests(void)
{
    check_rc("sched_op(SCHEDOP_yield)", hypercall_yield(), 0);

    /* Every port masked, nothing pending: only what is polled can wake us. */
    for (unsigned i = 0; i < EVTCHN_2L_WORDS; i++)
        ACCESS_ONCE(shared_info->evtchn_mask[i]) = ~0u;
    ACCESS_ONCE(vcpu0()->evtchn_upcall_pending) = 0;
    __atomic_exchange_n(&vcpu0()->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);

    struct evtchn_bind_ipi bi = { .vcpu = 0, .port = 0 };
    long rc = hypercall_event_channel_op(EVTCHNOP_bind_ipi, &bi);
    printf("EVTCHNOP_bind_ipi(vcpu 0): %ld port %u\n", rc, bi.port);
    if (rc != 0 || bi.port != 3)
        xtf_failure("Fail: want 0 port 3\n");
    evtchn_port_t port = bi.port;
    if (port >= NR_EVENT_CHANNELS)
        panic("bad port\n");
    check_rc("EVTCHNOP_send(IPI port)", hypercall_evtchn_send(port), 0);
    check_yes("IPI port pending (masked)", pending(port));
    uint64_t t0 = pv_system_time();
    rc = poll(&port, 1, 0);
    uint64_t t1 = pv_system_time();
    check_rc("SCHEDOP_poll(pending port, no timeout)", rc, 0);
    check_yes("returned at once (< 100 ms)", t1 - t0 < 100000000ULL);
    check_yes("port still pending (poll does not clear it)", pending(port));

    check_rc("SCHEDOP_poll(nr_ports 129)", poll(&port, 129, 0), -XEN_EINVAL);
    check_rc("SCHEDOP_poll(ports at HYPERVISOR_VIRT_START)",
             poll((evtchn_port_t *)HYPERVISOR_VIRT_START, 1, 0), -XEN_EFAULT);
    evtchn_port_t bad = 4096;
    check_rc("SCHEDOP_poll(port 4096)", poll(&bad, 1, 0), -XEN_EINVAL);

    clear_pending(port);
    uint64_t deadline = pv_system_time() + 1000000ULL;
    rc = poll(&port, 1, deadline);
    uint64_t now = pv_system_time();
    check_rc("SCHEDOP_poll(port not pending, timeout now + 1 ms)", rc, 0);
    check_yes("returned after the timeout (system time advanced >= 1 ms)", now >= deadline);
    check_yes("upcall mask unchanged by poll", vcpu0()->evtchn_upcall_mask == 1);
    struct evtchn_close cl = { .port = port };
    check_rc("EVTCHNOP_close(IPI port)", hypercall_event_channel_op(EVTCHNOP_close, &cl), 0);

    check_rc("SCHEDOP_shutdown_code(poweroff)", shutdown_code(SHUTDOWN_poweroff), 0);
    check_rc("SCHEDOP_shutdown_code(crash), ignored: first code wins", shutdown_code(SHUTDOWN_crash), 0);
    check_rc("SCHEDOP_remote_shutdown(domain 0, poweroff)", remote_shutdown(0, SHUTDOWN_poweroff),
             -XEN_EPERM);
    check_rc("SCHEDOP_remote_shutdown(DOMID_SELF, poweroff)",
             remote_shutdown(DOMID_SELF, SHUTDOWN_poweroff), -XEN_ESRCH);

    check_rc("SCHEDOP_watchdog(id 0, 60 s): new id", watchdog(0, 60), 1);
    check_rc("SCHEDOP_watchdog(id 0, 60 s): new id", watchdog(0, 60), 2);
    check_rc("SCHEDOP_watchdog(id 0, 60 s): none left", watchdog(0, 60), -XEN_ENOSPC);
    check_rc("SCHEDOP_watchdog(id 1, 0): destroy", watchdog(1, 0), 0);
    check_rc("SCHEDOP_watchdog(id 1, 0) again", watchdog(1, 0), -XEN_EINVAL);
    check_rc("SCHEDOP_watchdog(id 3, 60)", watchdog(3, 60), -XEN_EINVAL);
    check_rc("SCHEDOP_watchdog(id 2, 0): destroy", watchdog(2, 0), 0);

    check_rc("sched_op(8)", hypercall_sched_op(8, NULL), -XEN_ENOSYS);
}

static void debugreg_tests(void)
{
    check_hex("get_debugreg(6) at start of day", get_debugreg(6), 0xffff0ff0);
    check_hex("get_debugreg(7) at start of day", get_debugreg(7), 0x00000400);
    check_hex("get_debugreg(4) (alias of DR6, CR4.DE clear)", get_debugreg(4), 0xffff0ff0);
    check_rc("set_debugreg(0, 0x00123456)", set_debugreg(0, 0x00123456), 0);
    check_hex("get_debugreg(0)", get_debugreg(0), 0x00123456);
    check_rc("set_debugreg(6, 0xffff0ff1)", set_debugreg(6, 0xffff0ff1), 0);
    check_hex("get_debugreg(6)", get_debugreg(6), 0xffff0ff1);
    check_rc("set_debugreg(6, 0xffff0ff0)", set_debugreg(6, 0xffff0ff0), 0);
    check_rc("set_debugreg(7, 0x0000d000) (reserved bits only)", set_debugreg(7, 0x0000d000), 0);
    check_hex("get_debugreg(7)", get_debugreg(7), 0x00000400);
    check_rc("set_debugreg(7, GD)", set_debugreg(7, 0x00002400), -XEN_EPERM);
    check_rc("set_debugreg(7, L0 with an I/O breakpoint, CR4.DE clear)", set_debugreg(7, 0x00020401),
             -XEN_EPERM);
    check_hex("get_debugreg(7) unchanged", get_debugreg(7), 0x00000400);
    check_rc("set_debugreg(8, 0)", set_debugreg(8, 0), -XEN_ENODEV);
    check_rc("get_debugreg(8)", get_debugreg(8), -XEN_ENODEV);
    check_rc("set_debugreg(0, 0)", set_debugreg(0, 0), 0);
}

static void fpu_tests(void)
{
    check_hex("CR0", read_cr0(), 0x80050033);
    check_rc("fpu_taskswitch(1)", fpu_taskswitch(1), 0);
    check_hex("CR0 after fpu_taskswitch(1)", read_cr0(), 0x8005003b);
    pv_exc_count = 0;
    /* The #NM resumes at the same instruction, which then completes. */
    uint16_t fcw = 0;
    __asm__ volatile ("1: fninit\n\t"
                      PV_EXTABLE("1b", "1b")
                      "fnstcw %0\n\t" : "=m" (fcw) :: "memory");
    printf("fninit with TS set: %u exception(s), vec=%u, then FCW 0x%04x\n", pv_exc_count,
           pv_exc_count ? pv_last_exc.vector : 0, fcw);
    if (pv_exc_count != 1 || pv_last_exc.vector != 7 || fcw != 0x037f)
        xtf_failure("Fail: want 1 exception, vec=7, FCW 0x037f\n");
    check_hex("CR0 after the #NM", read_cr0(), 0x80050033);
    pv_exc_count = 0;
    check_rc("fpu_taskswitch(1)", fpu_taskswitch(1), 0);
    __asm__ volatile ("clts" ::: "memory");
    check_hex("CR0 after clts", read_cr0(), 0x80050033);
    __asm__ volatile ("1: fninit\n\t" PV_EXTABLE("1b", "1b") ::: "memory");
    printf("fninit after clts: %u exception(s)\n", pv_exc_count);
    if (pv_exc_count)
        xtf_failure("Fail: want no exception\n");
    pv_exc_count = 0;
    check_rc("fpu_taskswitch(0)", fpu_taskswitch(0), 0);
}

static void cli_probe(const char *what, int want_gp)
{
    pv_exc_count = 0;
    __asm__ volatile ("1: cli\n\t2:\n\t" PV_EXTABLE("1b", "2b") ::: "memory");
    if (pv_exc_count)
        printf("%s: vec=%u err=%04x\n", what, pv_last_exc.vector, pv_last_exc.error_code);
    else
        printf("%s: no exception\n", what);
    if (want_gp ? (pv_exc_count != 1 || pv_last_exc.vector != 13 || pv_last_exc.error_code != 0)
                : pv_exc_count != 0)
        xtf_failure("Fail: %s: want %s\n", what, want_gp ? "vec=13 err=0000" : "no exception");
    pv_exc_count = 0;
}

static void misc_tests(void)
{
    check_rc("vm_assist(enable, 32)", vm_assist(VMASST_CMD_enable, VMASST_TYPE_m2p_strict), -XEN_EINVAL);
    check_rc("vm_assist(enable, 99)", vm_assist(VMASST_CMD_enable, 99), -XEN_EINVAL);
    check_rc("vm_assist(7, writable_pagetables)", vm_assist(7, VMASST_TYPE_writable_pagetables),
             -XEN_ENOSYS);
    check_rc("vm_assist(enable, writable_pagetables)",
             vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables), 0);
    check_rc("vm_assist(disable, writable_pagetables)",
             vm_assist(VMASST_CMD_disable, VMASST_TYPE_writable_pagetables), 0);

    struct physdev_set_iopl io = { .iopl = 4 };
    check_rc("physdev_op(PHYSDEVOP_set_iopl, 4)", physdev_op(PHYSDEVOP_set_iopl, &io), -XEN_EINVAL);
    cli_probe("cli at ring 1, IOPL 0", 1);
    io.iopl = 1;
    check_rc("physdev_op(PHYSDEVOP_set_iopl, 1)", physdev_op(PHYSDEVOP_set_iopl, &io), 0);
    cli_probe("cli at ring 1, IOPL 1", 0);
    check_yes("upcall mask untouched by the emulated cli", vcpu0()->evtchn_upcall_mask == 1);
    io.iopl = 0;
    check_rc("physdev_op(PHYSDEVOP_set_iopl, 0)", physdev_op(PHYSDEVOP_set_iopl, &io), 0);
    cli_probe("cli at ring 1, IOPL 0 again", 1);

    struct xennmi_callback nmi = { .handler_address = (uint32_t)pv_entry_NMI, .pad = 0 };
    check_rc("nmi_op(XENNMI_register_callback)", nmi_op(XENNMI_register_callback, &nmi), 0);
    check_rc("nmi_op(XENNMI_unregister_callback)", nmi_op(XENNMI_unregister_callback, NULL), 0);
    check_rc("nmi_op(2)", nmi_op(2, &nmi), -XEN_ENOSYS);

    static uint32_t op[136 / 4];
    memset(op, 0, sizeof(op));
    op[0] = 1;                               /* XEN_SYSCTL_readconsole */
    op[1] = 0;
    check_rc("sysctl(interface_version 0)", sysctl(op), -XEN_EACCES);
    op[1] = XEN_SYSCTL_INTERFACE_VERSION;
    check_rc("sysctl(interface_version 0x16)", sysctl(op), -XEN_EPERM);
}

void test_main(void)
{
    check_rc("set_trap_table", pv_setup_traps(), 0);
    check_rc("map shared_info", pv_map_shared_info(), 0);

    sched_tests();
    debugreg_tests();
    fpu_tests();
    misc_tests();

    xtf_success(NULL);
}
