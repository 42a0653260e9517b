/*
 * native-bench: the bare-metal twins of pv-bench's loops (benchmarks/hv), on
 * the same emulated PC without the hypervisor: a Multiboot kernel at ring 0
 * (guests/tests/lib), PAE paging on (16 MiB identity, P|W|U). Same markers
 * (include/bench.h), same handler work (stubs.S), so that a PV row divided
 * by its twin is the virtualization overhead:
 *
 *   native_trap      ring 1 calls a hypercall-page-shaped stub whose
 *                    `int $0x30` enters a ring-0 handler that only IRETs:
 *                    the hardware part of a hypercall (twin of hypercall)
 *   native_pte_bB    B direct 64-bit PTE stores at ring 0 (twin of
 *                    mmu_update_bB; no flush, as mmu_update does none)
 *   native_pf        a load from an unmapped VA at ring 0, #PF handled at
 *                    ring 0 (twin of pf_bounce)
 *   native_int80     int $0x80 from ring 3 to a ring-0 handler that IRETs
 *                    (twin of int80_fast, int80_fast_iret, int81_slow)
 *
 * Iteration counts scale with "scale=P" on the Multiboot command line.
 */
#include "test.h"
#include "bench.h"

#define N_TRAP        200000
#define N_PTE_ENTRIES 400000
#define N_PF          100000
#define N_INT         150000

#define BAD_VA 0x40001000u        /* not mapped: above the 16 MiB identity map */
#define WIN 64

void native_iret_entry(void), native_pf_entry(void), native_trap_stub(void);
extern volatile uint32_t native_pf_count;

static uint32_t scale = 100;
static const char *cmdline = "";
static volatile uint32_t loop_n;
static volatile uint64_t loop_t0, loop_t1;

static const char *mb_cmdline(void)
{
    const uint32_t *mbi = (const uint32_t *)mb_info;
    return mbi && (mbi[0] & 4) ? (const char *)mbi[4] : "";
}

/* Runs in the ring the caller picked; ESI/EDI/EBX survive the traps. */
static uint32_t trap_loop(uint32_t arg)
{
    (void)arg;
    uint32_t n = loop_n;
    loop_t0 = bench_rdtsc();
    for (uint32_t i = 0; i < n; i++)
        __asm__ volatile ("call native_trap_stub" ::: "eax", "memory");
    loop_t1 = bench_rdtsc();
    return 0;
}

static uint32_t int80_loop(uint32_t arg)
{
    (void)arg;
    uint32_t n = loop_n;
    loop_t0 = bench_rdtsc();
    for (uint32_t i = 0; i < n; i++)
        __asm__ volatile ("int $0x80" ::: "memory");
    loop_t1 = bench_rdtsc();
    return 0;
}

static void bench_ring(const char *name, unsigned ring, ring_fn_t fn, uint32_t n)
{
    if (!bench_selected(cmdline, name))
        return;
    loop_n = n / 8 + 1;
    ring_call(ring, fn, 0);
    loop_n = n;
    BENCH_START(name);
    ring_call(ring, fn, 0);
    BENCH_DONE(name, n, loop_t1 - loop_t0);
}

/* ------------------------------------------------------------ PTE stores */
static uint8_t window[WIN][PAGE_SIZE] __attribute__((aligned(4096)));
static uint8_t target[2][PAGE_SIZE] __attribute__((aligned(4096)));
static volatile uint64_t *pte[WIN];
static uint64_t val[2][WIN];

static volatile uint64_t *pte_of(uint32_t va)
{
    uint64_t pde = pg_get_pde(va);
    uint64_t *pt = (uint64_t *)(uint32_t)(pde & PTE_ADDR_PAE);
    return &pt[(va >> 12) & 511];
}

static void pte_batches(uint32_t calls, unsigned batch)
{
    for (uint32_t i = 0; i < calls; i++) {
        const uint64_t *v = val[i & 1];
        for (unsigned j = 0; j < batch; j++)
            *pte[j] = v[j];
    }
}

static int pte_ran;

static void bench_pte_batch(unsigned batch, const char *name)
{
    if (!bench_selected(cmdline, name))
        return;
    pte_ran = 1;
    uint32_t calls = bench_iters(N_PTE_ENTRIES, scale) / batch;
    if (calls < 2)
        calls = 2;
    calls &= ~1u;
    pte_batches(calls / 8 + 2, batch);
    BENCH_START(name);
    uint64_t t0 = bench_rdtsc();
    pte_batches(calls, batch);
    uint64_t t1 = bench_rdtsc();
    BENCH_DONE(name, calls * batch, t1 - t0);
}

static void bench_pte(void)
{
    *(volatile uint32_t *)target[1] = 0x7a7a0001;
    uint64_t orig[WIN];
    for (int i = 0; i < WIN; i++) {
        pte[i] = pte_of((uint32_t)window[i]);
        orig[i] = *pte[i];
        for (int k = 0; k < 2; k++)
            val[k][i] = (uint32_t)target[k] | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D;
    }
    bench_pte_batch(1, "native_pte_b1");
    bench_pte_batch(8, "native_pte_b8");
    bench_pte_batch(WIN, "native_pte_b64");
    tlb_flush();
    if (pte_ran && *(volatile uint32_t *)window[0] != 0x7a7a0001)     /* every batch size maps it */
        printf("FAIL: the window does not show target 1\n");
    for (int i = 0; i < WIN; i++)
        *pte[i] = orig[i];
    tlb_flush();
}

/* ------------------------------------------------------------ #PF */
static void touch_bad(uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        __asm__ volatile ("movl (%%ecx), %%eax" :: "c" (BAD_VA) : "eax", "memory");
}

static void bench_pf(void)
{
    if (!bench_selected(cmdline, "native_pf"))
        return;
    uint32_t n = bench_iters(N_PF, scale);
    set_idt_gate(VEC_PF, SEL_CODE0, (uint32_t)native_pf_entry, SYS_INTGATE, 0);
    touch_bad(n / 8 + 1);
    native_pf_count = 0;
    BENCH_START("native_pf");
    uint64_t t0 = bench_rdtsc();
    touch_bad(n);
    uint64_t t1 = bench_rdtsc();
    BENCH_DONE("native_pf", n, t1 - t0);
    if (native_pf_count != n)
        printf("FAIL: native_pf: %u faults for %u loads\n", native_pf_count, n);
    set_trap_gate(VEC_PF, SYS_INTGATE, 0, SEL_CODE0);
}

void test_main(void)
{
    cmdline = mb_cmdline();
    scale = bench_scale(cmdline);
    printf("native-bench: bare-metal twins of pv-bench (ring 0, PAE paging)\n");
    printf("scale=%u\n", scale);
    pg_init(PG_PAE, 16u << 20);
    paging_enable(0);

    set_idt_gate(0x30, SEL_CODE0, (uint32_t)native_iret_entry, SYS_INTGATE, 1);
    set_idt_gate(0x80, SEL_CODE0, (uint32_t)native_iret_entry, SYS_INTGATE, 3);

    bench_ring("native_trap", 1, trap_loop, bench_iters(N_TRAP, scale));
    bench_pte();
    bench_pf();
    bench_ring("native_int80", 3, int80_loop, bench_iters(N_INT, scale));

    paging_disable();
}
