/*
 * pv-bench: what the hypervisor's paths cost, counted (benchmarks/hv). One
 * PV32PAE domain runs each loop below N times between two BENCH markers
 * (include/bench.h), reading simulated time from the TSC:
 *
 *   hypercall          xen_version(XENVER_version): call into the hypercall
 *                      page, int $0x82, dispatch, return (ABI §3, §4.15)
 *   mmu_update_bB      mmu_update of B L1 entries per call (B = 1, 8, 64),
 *                      each entry remapping a page of a scratch window
 *                      between two frames (validated, old refs dropped;
 *                      ABI §4.2, §5.3); one op = one entry
 *   pf_bounce          load from an unmapped VA at ring 1: #PF into the
 *                      hypervisor, CR2 to vcpu_info, bounce frame to the
 *                      guest's handler (stubs.S), iret hypercall (§5.11, §6.4)
 *   pf_bounce_lib      the same through the PV library's C handler and its
 *                      exception table (PV_EXTABLE)
 *   int80_fast         int $0x80 from ring 3; trap-table entry DPL 3 without
 *                      the mask-events flag, so the hypervisor's IDT has a
 *                      DPL-3 gate straight to the ring-1 handler (the fast
 *                      system-call gate, §6.3); the return is the iret
 *                      hypercall, which enters the hypervisor as in Xen
 *   int80_fast_iret    the same, returning with a native IRET (ring 1 ->
 *                      ring 3): no hypervisor entry at all
 *   int81_slow         int $0x81 from ring 3 whose entry has the mask-events
 *                      flag: no fast gate, #GP into the hypervisor, bounce,
 *                      iret hypercall: the hypervisor on both ways
 *
 * Every loop is warmed up (1/8 of N, so the JIT has compiled it) before its
 * start marker. Iteration counts scale with "scale=P" on the command line.
 */
#include "pv.h"
#include "bench.h"

const char test_title[] = "pv-bench: hypercall, mmu_update batches, bounced #PF, int $0x80/0x81 from ring 3";

/* Default iterations at scale=100: 0.1-1 s of host time per loop, about 6 s for the kernel. */
#define N_HYPERCALL   200000
#define N_MMU_ENTRIES 400000     /* entries per batch size */
#define N_PF          100000
#define N_INT         150000

#define BAD_VA 0x40001000u       /* unmapped: above the domain's memory (pv-traps) */
#define WIN 64                   /* scratch window pages = the largest batch */

void bench_pf_entry(void), bench_int_iret_hypercall(void), bench_int_native_iret(void);
void pv_entry_PF(void);
extern volatile uint32_t bench_pf_count;

static uint32_t scale = 100;
static const char *cmdline = "";

/* ------------------------------------------------------------ hypercall */
static void bench_hypercall(void)
{
    if (!bench_selected(cmdline, "hypercall"))
        return;
    uint32_t n = bench_iters(N_HYPERCALL, scale);
    long v = 0;
    for (uint32_t i = 0; i < n / 8 + 1; i++)
        v = hypercall_xen_version(XENVER_version, NULL);
    if (v != 0x00040017)
        xtf_failure("Fail: xen_version: 0x%lx\n", v);
    BENCH_START("hypercall");
    uint64_t t0 = bench_rdtsc();
    for (uint32_t i = 0; i < n; i++)
        hypercall_xen_version(XENVER_version, NULL);
    uint64_t t1 = bench_rdtsc();
    BENCH_DONE("hypercall", n, t1 - t0);
}

/* ------------------------------------------------------------ mmu_update */
static uint8_t window[WIN][XEN_PAGE_SIZE] PAGE_ALIGNED;
static uint8_t target[2][XEN_PAGE_SIZE] PAGE_ALIGNED;
static mmu_update_t to_target[2][WIN], restore[WIN];

#define PTE_RW (XEN_PTE_PRESENT | XEN_PTE_RW | XEN_PTE_ACCESSED | XEN_PTE_DIRTY)

static void mmu_batch(const mmu_update_t *r, unsigned count)
{
    unsigned done = 0;
    long rc = hypercall_mmu_update(r, count, &done, DOMID_SELF);
    if (rc || done != count)
        panic("mmu_update(%u): %ld done %u\n", count, rc, done);
}

static int mmu_ran;

static void bench_mmu_batch(unsigned batch, const char *name)
{
    if (!bench_selected(cmdline, name))
        return;
    mmu_ran = 1;
    uint32_t calls = bench_iters(N_MMU_ENTRIES, scale) / batch;
    if (calls < 2)
        calls = 2;
    calls &= ~1u;                               /* end on target 1 (checked) */
    for (uint32_t i = 0; i < calls / 8 + 2; i++)
        mmu_batch(to_target[i & 1], batch);
    BENCH_START(name);
    uint64_t t0 = bench_rdtsc();
    for (uint32_t i = 0; i < calls; i++) {
        unsigned done;
        hypercall_mmu_update(to_target[i & 1], batch, &done, DOMID_SELF);
    }
    uint64_t t1 = bench_rdtsc();
    BENCH_DONE(name, calls * batch, t1 - t0);
}

static void bench_mmu(void)
{
    uint32_t t_mfn[2] = { pv_virt_to_mfn(target[0]), pv_virt_to_mfn(target[1]) };
    *(volatile uint32_t *)target[0] = 0x7a7a0000;
    *(volatile uint32_t *)target[1] = 0x7a7a0001;
    for (int i = 0; i < WIN; i++) {
        uint64_t ptr = pv_l1e_maddr(window[i]) | MMU_NORMAL_PT_UPDATE;
        restore[i] = (mmu_update_t){ .ptr = ptr, .val = *pv_l1e(window[i]) };
        for (int k = 0; k < 2; k++)
            to_target[k][i] = (mmu_update_t){ .ptr = ptr, .val = ((uint64_t)t_mfn[k] << XEN_PAGE_SHIFT) | PTE_RW };
    }
    bench_mmu_batch(1, "mmu_update_b1");
    bench_mmu_batch(8, "mmu_update_b8");
    bench_mmu_batch(WIN, "mmu_update_b64");

    /* Every loop ended with target 1 in window[0..B-1]: look through it, then restore. */
    mmuext_op_t flush = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
    hypercall_mmuext_op(&flush, 1, NULL, DOMID_SELF);
    if (mmu_ran && *(volatile uint32_t *)window[0] != 0x7a7a0001)  /* every batch size maps it */
        xtf_failure("Fail: the window does not show target 1 after the mmu_update loops\n");
    mmu_batch(restore, WIN);
    hypercall_mmuext_op(&flush, 1, NULL, DOMID_SELF);
}

/* ------------------------------------------------------------ page faults */
static void touch_bad_minimal(uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        __asm__ volatile ("movl (%%ecx), %%eax" :: "c" (BAD_VA) : "eax", "memory");
}

static void touch_bad_lib(uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        __asm__ volatile ("1: movl (%%ecx), %%eax\n\t"
                          "2:\n\t"
                          PV_EXTABLE("1b", "2b")
                          :: "c" (BAD_VA) : "eax", "memory");
}

static void set_trap(uint8_t vec, uint8_t flags, void (*fn)(void))
{
    struct trap_info t[2] = { { vec, flags, FLAT_RING1_CS, (uint32_t)fn }, { 0, 0, 0, 0 } };
    long rc = hypercall_set_trap_table(t);
    if (rc)
        panic("set_trap_table(vector %u): %ld\n", vec, rc);
}

/* #PF into the hypervisor, bounced to `handler` (mask-events, as Linux's); `touch` faults n times. */
static void bench_pf_with(const char *name, void (*handler)(void), void (*touch)(uint32_t),
                          volatile uint32_t *count)
{
    if (!bench_selected(cmdline, name))
        return;
    uint32_t n = bench_iters(N_PF, scale);
    set_trap(14, TRAP_INFO_MASK_EVENTS, handler);
    touch(n / 8 + 1);
    *count = 0;
    BENCH_START(name);
    uint64_t t0 = bench_rdtsc();
    touch(n);
    uint64_t t1 = bench_rdtsc();
    BENCH_DONE(name, n, t1 - t0);
    if (*count != n)
        xtf_failure("Fail: %s: %u faults for %u loads\n", name, *count, n);
    set_trap(14, TRAP_INFO_MASK_EVENTS, pv_entry_PF);      /* the library's, as pv_setup_traps */
}

static void bench_pf(void)
{
    bench_pf_with("pf_bounce", bench_pf_entry, touch_bad_minimal, &bench_pf_count);
    bench_pf_with("pf_bounce_lib", pv_entry_PF, touch_bad_lib, &pv_exc_count);
    if (pv_exc_count && pv_last_exc.cr2 != BAD_VA)
        xtf_failure("Fail: pf_bounce_lib: cr2 %08x, want %08x\n", pv_last_exc.cr2, BAD_VA);
}

/* ------------------------------------------------------------ ring 3 */
static volatile uint32_t user_n __attribute__((section(".user.data")));
static volatile uint64_t user_t0 __attribute__((section(".user.data")));
static volatile uint64_t user_t1 __attribute__((section(".user.data")));

static void __user_text user_int80(void)
{
    uint32_t n = user_n;
    user_t0 = bench_rdtsc();
    for (uint32_t i = 0; i < n; i++)
        __asm__ volatile ("int $0x80" ::: "memory");
    user_t1 = bench_rdtsc();
}

static void __user_text user_int81(void)
{
    uint32_t n = user_n;
    user_t0 = bench_rdtsc();
    for (uint32_t i = 0; i < n; i++)
        __asm__ volatile ("int $0x81" ::: "memory");
    user_t1 = bench_rdtsc();
}

static void bench_user(const char *name, void (*fn)(void), uint32_t n)
{
    if (!bench_selected(cmdline, name))
        return;
    user_n = n / 8 + 1;
    pv_exec_user(fn);
    user_n = n;
    BENCH_START(name);
    pv_exec_user(fn);
    BENCH_DONE(name, n, user_t1 - user_t0);
}

static void bench_int(void)
{
    uint32_t n = bench_iters(N_INT, scale);
    if (pv_setup_user())
        panic("pv_setup_user failed\n");

    set_trap(0x80, 3, bench_int_iret_hypercall);             /* fast gate */
    bench_user("int80_fast", user_int80, n);
    set_trap(0x80, 3, bench_int_native_iret);                 /* fast gate, native IRET back */
    bench_user("int80_fast_iret", user_int80, n);
    set_trap(0x81, 3 | TRAP_INFO_MASK_EVENTS, bench_int_iret_hypercall);
    bench_user("int81_slow", user_int81, n);
}

/* ------------------------------------------------------------ main */
void test_main(void)
{
    cmdline = start_info->cmd_line;
    scale = bench_scale(cmdline);
    printf("scale=%u\n", scale);

    if (pv_setup_traps())
        panic("set_trap_table failed\n");
    if (pv_map_shared_info() || pv_setup_callbacks())
        panic("shared_info / callbacks failed\n");
    /*
     * The iret hypercall after a fast-gate entry unmasks events (the frame's
     * IF is the real one): mask every port and forget what is pending, so no
     * upcall lands in a measured loop (pv-events does the same).
     */
    for (unsigned i = 0; i < EVTCHN_2L_WORDS; i++)
        ACCESS_ONCE(shared_info->evtchn_mask[i]) = ~0u;
    ACCESS_ONCE(vcpu0()->evtchn_upcall_pending) = 0;
    __atomic_exchange_n(&vcpu0()->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);

    bench_hypercall();
    bench_mmu();
    bench_pf();
    bench_int();

    pv_events_mask();
    printf("spurious events: %u\n", pv_spurious_events);
    xtf_success(NULL);
}
