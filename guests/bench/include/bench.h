/*
 * Benchmark markers shared by the PV and the bare-metal benchmark kernels
 * (benchmarks/hv/README.md). Header-only: it needs nothing but a printf.
 *
 * Every measured loop runs between two console lines
 *
 *     BENCH <name> start
 *     BENCH <name> done n=<ops> cycles=<simulated cycles> per_op=<cycles/op>
 *
 * The host timestamps their arrival (host time); the guest reads the TSC,
 * which counts simulated cycles, right after the first line and right
 * before the second (simulated time), so the two figures cover the same
 * loop. <ops> is the number of operations the loop performed (iterations,
 * or page-table entries for mmu_update batches).
 *
 * Iteration counts: each kernel's defaults, times SCALE/100 where the
 * command line carries "scale=SCALE" (percent, 1..100000); "only=a,b"
 * runs just the loops named.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stdint.h>

/*
 * RDTSC behind a JMP: tsxen's block compiler charges a compiled block's
 * cycles when the block returns, so an RDTSC ending a block (a looping one
 * above all) would read a clock that lacks the block's own instructions.
 * The JMP ends the block; the RDTSC then starts one of its own and reads
 * the exact simulated time, as the interpreter (--no-jit) does. Cost: 1
 * cycle. always_inline: ring-3 loops call it from .user.text.
 */
static inline __attribute__((always_inline)) uint64_t bench_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile ("jmp 1f\n1:\trdtsc" : "=a" (lo), "=d" (hi) :: "memory");
    return ((uint64_t)hi << 32) | lo;
}

/* n / d with 32-bit DIVs only (no libgcc __udivdi3 in these kernels). */
static inline uint64_t bench_div(uint64_t n, uint32_t d, uint32_t *rem)
{
    uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n;
    uint32_t qhi = hi / d, r = hi % d, qlo;
    __asm__ ("divl %4" : "=a" (qlo), "=d" (r) : "a" (lo), "d" (r), "rm" (d));
    if (rem)
        *rem = r;
    return ((uint64_t)qhi << 32) | qlo;
}

/* Decimal text of v into buf (at least 21 bytes); returns buf. */
static inline char *bench_u64(char *buf, uint64_t v)
{
    char tmp[21];
    int n = 0;
    do {
        uint32_t r;
        v = bench_div(v, 10, &r);
        tmp[n++] = (char)('0' + r);
    } while (v);
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
    return buf;
}

/* "123.45": cycles / ops with two decimals into buf (at least 32 bytes). */
static inline char *bench_per_op(char *buf, uint64_t cycles, uint32_t ops)
{
    uint32_t r;
    uint64_t hundredths = bench_div(cycles * 100, ops ? ops : 1, &r);
    uint64_t whole = bench_div(hundredths, 100, &r);
    bench_u64(buf, whole);
    char *p = buf;
    while (*p) p++;
    *p++ = '.';
    *p++ = (char)('0' + r / 10);
    *p++ = (char)('0' + r % 10);
    *p = 0;
    return buf;
}

/* The "scale=P" percentage from a command line (100 if absent or bad). */
static inline uint32_t bench_scale(const char *cmdline)
{
    static const char key[] = "scale=";
    for (const char *p = cmdline; p && *p; p++) {
        if (p != cmdline && p[-1] != ' ')
            continue;
        int k = 0;
        while (key[k] && p[k] == key[k]) k++;
        if (key[k])
            continue;
        uint32_t v = 0;
        for (p += k; *p >= '0' && *p <= '9' && v < 1000000; p++)
            v = v * 10 + (uint32_t)(*p - '0');
        return v >= 1 && v <= 100000 ? v : 100;
    }
    return 100;
}

/*
 * Whether loop `name` runs: every loop, unless the command line carries
 * "only=NAME[,NAME...]" (e.g. to profile one loop: --cmdline only=int80_fast).
 */
static inline int bench_selected(const char *cmdline, const char *name)
{
    static const char key[] = "only=";
    for (const char *p = cmdline; p && *p; p++) {
        if (p != cmdline && p[-1] != ' ')
            continue;
        int k = 0;
        while (key[k] && p[k] == key[k]) k++;
        if (key[k])
            continue;
        for (p += k; *p && *p != ' '; ) {
            int i = 0;
            while (name[i] && p[i] == name[i]) i++;
            if (!name[i] && (p[i] == 0 || p[i] == ' ' || p[i] == ','))
                return 1;
            while (*p && *p != ' ' && *p != ',') p++;
            if (*p == ',') p++;
        }
        return 0;
    }
    return 1;
}

/* base iterations scaled by pct percent, at least 1. */
static inline uint32_t bench_iters(uint32_t base, uint32_t pct)
{
    uint64_t n = bench_div((uint64_t)base * pct, 100, 0);
    return n < 1 ? 1 : n > 0x7fffffff ? 0x7fffffff : (uint32_t)n;
}

#define BENCH_START(name) printf("BENCH %s start\n", (name))

/* The "done" line (printf of either library: %s and %u only). */
#define BENCH_DONE(name, ops, cycles) do {                                  \
        char _c[24], _p[32];                                                \
        printf("BENCH %s done n=%u cycles=%s per_op=%s\n", (name),          \
               (unsigned)(ops), bench_u64(_c, (cycles)),                    \
               bench_per_op(_p, (cycles), (ops)));                          \
    } while (0)

#endif
