/*
 * paging-pae: PAE paging, Intel SDM Vol. 3 §4.4, §4.6, §4.7, §4.8.
 *
 *   linear = | pdpt 31:30 | dir 29:21 | table 20:12 | offset 11:0 |
 *   CR3 -> PDPT[4] -> PD[512] -> PDE: PT (PS=0) or 2 MiB page (PS=1) -> PTE -> 4 KiB
 *   entries are 64 bits; bit 63 is XD (execute-disable) when IA32_EFER.NXE = 1.
 *
 * Covered, one observation per line:
 *   - 4 KiB and 2 MiB translations, the PAT bit (12) of a 2 MiB PDE is not
 *     an address bit, a not-present PDPTE (reloaded through MOV CR3);
 *   - U/S and R/W checks at CPL 0/3 with CR0.WP, as PAE sees them;
 *   - EFER.NXE (MSR 0xC0000080 bit 11) read/write; with NXE = 1 an
 *     instruction fetch from an XD page (XD in the PTE, in the PDE over a
 *     table, or in a 2 MiB PDE) is #PF with I/D (bit 4) set, at CPL 0 and 3;
 *     data reads of XD pages succeed; a fetch from a not-present page also
 *     reports I/D; with NXE = 0 a fetch fault never does;
 *   - Accessed/Dirty in PDE and PTE, and in a 2 MiB PDE, after read,
 *     write and fetch.
 *
 * Not here (QEMU departs from the SDM, see paging-rsvd-sdm and
 * docs/qemu-deviations.md): reserved-bit faults (QEMU reports RSVD without
 * P), PDPTE reserved bits and PDPTE caching at MOV CR3, and the PDPTEs
 * themselves (QEMU sets bit 5 in them).
 *
 * Memory: frames FR(n) at 0x600000 + n*4K and a 2 MiB frame at 0x400000,
 * all inside the 8 MiB identity map; test linear addresses from 0x40000000,
 * one 2 MiB region (one PDE) per case.
 */
#include "test.h"

#define FR(n)      (0x600000u + (n) * 0x1000u)
#define REGION(n)  (0x40000000u + (n) * 0x200000u)
#define FLAGS(e)   ((uint32_t)(e) & 0xFFFu)
#define XD(e)      ((uint32_t)((e) >> 63))

static uint32_t rd(uint32_t va) { return *(volatile uint32_t *)va; }
static uint32_t wr(uint32_t va) { *(volatile uint32_t *)va = 0xBEEF0000u | (va >> 12 & 0xFFFF); return 0; }
static uint32_t ex(uint32_t va) { return ((uint32_t (*)(void))va)(); }

static void access(const char *tag, unsigned cpl_, char op, uint32_t va)
{
    ring_fn_t fn = op == 'r' ? rd : op == 'w' ? wr : ex;
    TRY {
        ring_call(cpl_, fn, va);
        printf("%s cpl%u %c ok\n", tag, cpl_, op);
    } CATCH {
        if (last_exc.vector != VEC_PF)
            printf("%s cpl%u %c vec=%u\n", tag, cpl_, op, last_exc.vector);
        else
            printf("%s cpl%u %c pf err=%02x cr2=%08x\n", tag, cpl_, op, last_exc.error, last_exc.cr2);
    }
}

/* mov $imm, %eax; ret */
static void put_code(uint32_t pa, uint32_t imm)
{
    volatile uint8_t *p = (volatile uint8_t *)pa;
    p[0] = 0xB8;
    p[1] = imm; p[2] = imm >> 8; p[3] = imm >> 16; p[4] = imm >> 24;
    p[5] = 0xC3;
}

static void basic(void)
{
    *(volatile uint32_t *)FR(0) = 0x0A0B0C0D;
    pg_map(REGION(0), FR(0), PTE_W | PTE_U);
    *(volatile uint32_t *)0x5FF008 = 0x22220002;
    pg_map_large(REGION(1), 0x400000, PTE_W | PTE_U);
    pg_map_large(REGION(2), 0x400000 | 0x1000, PTE_W | PTE_U);   /* PAT bit */
    tlb_flush();
    printf("map4k read=%08x\n", rd(REGION(0)));
    printf("map2m read=%08x\n", rd(REGION(1) + 0x1FF008));
    printf("map2m-pat read=%08x\n", rd(REGION(2) + 0x1FF008));

    /* PDPTE 2 (linear 0x80000000-0xBFFFFFFF) not present. */
    uint64_t p2 = pg_get_pdpte(2);
    pg_set_pdpte(2, 0);
    tlb_flush();
    access("np-pdpte", 0, 'r', 0x80001234);
    access("np-pdpte", 3, 'w', 0x80005678);
    pg_set_pdpte(2, p2);
    tlb_flush();
    /* PDE and PTE not present. */
    access("np-pde", 3, 'r', REGION(20) + 0x10);
    pg_map(REGION(3), FR(1), PTE_W | PTE_U);
    pg_set_pte(REGION(3) + 0x1000, 0x7FFFFFFFFFFFFFFEull);   /* P=0, rest ignored */
    tlb_flush();
    access("np-pte-bits", 0, 'w', REGION(3) + 0x1100);
}

static void permissions(void)
{
    static const struct { const char *name; uint64_t fl; } pte[4] = {
        { "s-ro", 0 }, { "s-rw", PTE_W }, { "u-ro", PTE_U }, { "u-rw", PTE_W | PTE_U },
    };
    char tag[32];
    for (unsigned i = 0; i < 4; i++)
        pg_map(REGION(4) + i * 0x1000, FR(2 + i), pte[i].fl);
    for (unsigned wp = 0; wp <= 1; wp++) {
        write_cr0(wp ? read_cr0() | CR0_WP : read_cr0() & ~CR0_WP);
        tlb_flush();
        for (unsigned i = 0; i < 4; i++) {
            uint32_t va = REGION(4) + i * 0x1000;
            snprintf(tag, sizeof tag, "perm wp=%u %s", wp, pte[i].name);
            access(tag, 0, 'w', va);
            access(tag, 3, 'r', va);
            access(tag, 3, 'w', va);
        }
    }
    write_cr0(read_cr0() | CR0_WP);
    tlb_flush();
}

static void nx(void)
{
    put_code(FR(6), 0x5EC0DE01);
    pg_map(REGION(5), FR(6), PTE_U);                       /* executable */
    pg_map(REGION(5) + 0x1000, FR(6), PTE_U | PTE_NX);     /* XD in PTE */
    pg_map(REGION(5) + 0x2000, FR(6), 0);                  /* supervisor */
    pg_map(REGION(6), FR(6), PTE_U);                       /* XD in PDE only */
    pg_set_pde(REGION(6), pg_get_pde(REGION(6)) | PTE_NX);
    put_code(0x400000, 0x5EC0DE02);
    pg_map_large(REGION(7), 0x400000, PTE_U | PTE_NX);     /* XD 2 MiB page */
    pg_map_large(REGION(8), 0x400000, PTE_U);

    printf("efer=%08x\n", (uint32_t)rdmsr(MSR_EFER));
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    printf("efer nxe=%08x\n", (uint32_t)rdmsr(MSR_EFER));
    tlb_flush();
    access("nx pte-x", 0, 'x', REGION(5));
    access("nx pte-x", 3, 'x', REGION(5));
    access("nx pte-xd", 0, 'x', REGION(5) + 0x1000);
    access("nx pte-xd", 3, 'x', REGION(5) + 0x1000);
    access("nx pte-xd", 3, 'r', REGION(5) + 0x1000);
    access("nx sup", 3, 'x', REGION(5) + 0x2000);
    access("nx np", 0, 'x', REGION(5) + 0x3000);
    access("nx np", 3, 'x', REGION(5) + 0x3000);
    access("nx pde-xd", 0, 'x', REGION(6));
    access("nx pde-xd", 3, 'r', REGION(6));
    access("nx 2m-xd", 0, 'x', REGION(7));
    access("nx 2m-xd", 3, 'x', REGION(7) + 0x10);
    access("nx 2m-xd", 0, 'r', REGION(7));
    access("nx 2m-x", 3, 'x', REGION(8));
    printf("nx 2m-x value=%08x\n", ex(REGION(8)));
    printf("nx xd-entries pte=%u pde=%u 2m=%u\n", XD(pg_get_pte(REGION(5) + 0x1000)),
           XD(pg_get_pde(REGION(6))), XD(pg_get_pde(REGION(7))));

    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_NXE);
    printf("efer nxe-off=%08x\n", (uint32_t)rdmsr(MSR_EFER));
    tlb_flush();
    access("nxe0 np", 0, 'x', REGION(5) + 0x3000);
    access("nxe0 sup", 3, 'x', REGION(5) + 0x2000);
    access("nxe0 x", 3, 'x', REGION(5));
}

static void print_ad(const char *what, uint32_t va, int large)
{
    if (large)
        printf("ad %s pde=%03x\n", what, FLAGS(pg_get_pde(va)));
    else
        printf("ad %s pde=%03x pte=%03x\n", what, FLAGS(pg_get_pde(va)), FLAGS(pg_get_pte(va)));
}

static void accessed_dirty(void)
{
    pg_map(REGION(9), FR(7), PTE_W | PTE_U);
    tlb_flush();
    print_ad("4k fresh", REGION(9), 0);
    rd(REGION(9) + 4);
    print_ad("4k after-read", REGION(9), 0);
    wr(REGION(9) + 8);
    print_ad("4k after-write", REGION(9), 0);

    pg_map(REGION(10), FR(8), PTE_W | PTE_U);
    tlb_flush();
    ring_call(3, wr, REGION(10));
    print_ad("4k cpl3-write", REGION(10), 0);

    put_code(FR(9), 0xFE7C4000);
    pg_map(REGION(11), FR(9), PTE_W | PTE_U);
    tlb_flush();
    ex(REGION(11));
    print_ad("4k after-fetch", REGION(11), 0);

    pg_map_large(REGION(12), 0x400000, PTE_W | PTE_U);
    tlb_flush();
    print_ad("2m fresh", REGION(12), 1);
    rd(REGION(12) + 0x100000);
    print_ad("2m after-read", REGION(12), 1);
    wr(REGION(12) + 0x100000);
    print_ad("2m after-write", REGION(12), 1);
    /* XD entries get A/D like any other. */
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    pg_map(REGION(13), FR(10), PTE_W | PTE_U | PTE_NX);
    tlb_flush();
    wr(REGION(13));
    printf("ad 4k xd-write pde=%03x pte=%03x xd=%u\n", FLAGS(pg_get_pde(REGION(13))),
           FLAGS(pg_get_pte(REGION(13))), XD(pg_get_pte(REGION(13))));
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_NXE);
    tlb_flush();
}

void test_main(void)
{
    pg_init(PG_PAE, 8u << 20);
    paging_enable(CR0_WP);
    basic();
    permissions();
    nx();
    accessed_dirty();
    paging_disable();
}
