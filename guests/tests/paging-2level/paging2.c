/*
 * paging-2level: 32-bit (non-PAE) paging, Intel SDM Vol. 3 §4.3, §4.6, §4.7, §4.8.
 *
 *   linear = | dir 31:22 | table 21:12 | offset 11:0 |
 *   CR3 -> PD[1024] -> PDE: PT (PS=0) or 4 MiB page (PS=1, CR4.PSE=1) -> PTE -> 4 KiB
 *
 * Covered, one observation per line:
 *   - 4 KiB and 4 MiB (PSE) translations; PS ignored when CR4.PSE=0;
 *   - U/S and R/W checks at CPL 0 and CPL 3 for every PTE combination, with
 *     CR0.WP = 0 and 1 (supervisor writes to read-only pages), and the
 *     combination of PDE and PTE rights (the stricter wins);
 *   - #PF error code bits P, W/R, U/S, I/D and CR2; I/D stays 0 in
 *     32-bit paging even with EFER.NXE = 1 (§4.7);
 *   - not-present at PDE and at PTE level (other bits of the entry ignored);
 *   - a reserved bit in a not-present 4 MiB PDE is ignored (present
 *     reserved-bit faults are in paging-rsvd-sdm: QEMU drops the P bit);
 *   - hardware setting of Accessed and Dirty in PDE and PTE (§4.8) after a
 *     read, a write and an instruction fetch, for 4 KiB and 4 MiB pages.
 *
 * Accessed bits are printed only after accesses that succeed: whether a
 * walk that ends in a fault sets them is model-specific.
 *
 * Memory (all below the 8 MiB identity map, above the kernel image):
 *   0x400000       scratch page table (PS-ignored case) and 4 MiB page frame
 *   0x600000 + n*4K data/code frames FR(n)
 * Test linear addresses live at 0x40000000+ (one 4 MiB region per case, so
 * each case starts with a fresh PDE).
 */
#include "test.h"

#define FR(n)      (0x600000u + (n) * 0x1000u)
#define REGION(n)  (0x40000000u + (n) * 0x400000u)
#define FLAGS(e)   ((uint32_t)(e) & 0xFFFu)

static uint32_t rd(uint32_t va) { return *(volatile uint32_t *)va; }
static uint32_t wr(uint32_t va) { *(volatile uint32_t *)va = 0xC0DE0000u | (va >> 12 & 0xFFFF); return 0; }
static uint32_t ex(uint32_t va) { return ((uint32_t (*)(void))va)(); }

/* Access va at cpl (0 or 3) with op 'r', 'w' or 'x'. Prints the outcome. */
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

static void flush(void) { tlb_flush(); }

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
    *(volatile uint32_t *)FR(0) = 0x11112222;
    pg_map(REGION(0), FR(0), PTE_W | PTE_U);
    flush();
    printf("map4k read=%08x\n", rd(REGION(0)));
    wr(REGION(0) + 8);
    printf("map4k write-through-alias=%08x\n", *(volatile uint32_t *)(FR(0) + 8));

    /* 4 MiB page at 0x400000 seen from REGION(1). */
    *(volatile uint32_t *)0x5FF000 = 0x44440001;
    write_cr4(read_cr4() | CR4_PSE);
    pg_map_large(REGION(1), 0x400000, PTE_W | PTE_U);
    flush();
    printf("map4m read=%08x\n", rd(REGION(1) + 0x1FF000));

    /* PS is ignored with CR4.PSE = 0: the PDE then names a page table. */
    volatile uint32_t *pt = (volatile uint32_t *)0x400000;
    for (unsigned i = 0; i < 1024; i++)
        pt[i] = 0;
    pt[0] = FR(1) | PTE_P | PTE_W;
    *(volatile uint32_t *)FR(1) = 0x33334444;
    pg_set_pde(REGION(2), 0x400000 | PTE_P | PTE_W | PTE_PS);
    flush();
    printf("ps pse=1 read=%08x\n", rd(REGION(2)));        /* the PTE itself */
    write_cr4(read_cr4() & ~CR4_PSE);
    flush();
    printf("ps pse=0 read=%08x\n", rd(REGION(2)));        /* FR(1) */
    write_cr4(read_cr4() | CR4_PSE);
    flush();
}

/* Every U/S x R/W combination of the PTE, read and write, CPL 0 and 3, WP 0 and 1. */
static void permissions(void)
{
    static const struct { const char *name; uint64_t fl; } pte[4] = {
        { "s-ro", 0 }, { "s-rw", PTE_W }, { "u-ro", PTE_U }, { "u-rw", PTE_W | PTE_U },
    };
    char tag[32];
    for (unsigned i = 0; i < 4; i++)
        pg_map(REGION(3) + i * 0x1000, FR(2 + i), pte[i].fl);
    for (unsigned wp = 0; wp <= 1; wp++) {
        write_cr0(wp ? read_cr0() | CR0_WP : read_cr0() & ~CR0_WP);
        flush();
        for (unsigned i = 0; i < 4; i++) {
            uint32_t va = REGION(3) + i * 0x1000;
            snprintf(tag, sizeof tag, "perm wp=%u %s", wp, pte[i].name);
            access(tag, 0, 'r', va);
            access(tag, 0, 'w', va);
            access(tag, 3, 'r', va);
            access(tag, 3, 'w', va);
        }
    }

    /* PDE rights combine with PTE rights: the stricter one wins. */
    pg_map(REGION(4), FR(6), PTE_W | PTE_U);
    pg_set_pde(REGION(4), (pg_get_pde(REGION(4)) & ~(PTE_U | PTE_A)));
    pg_map(REGION(5), FR(7), PTE_W | PTE_U);
    pg_set_pde(REGION(5), (pg_get_pde(REGION(5)) & ~(PTE_W | PTE_A)));
    for (unsigned wp = 0; wp <= 1; wp++) {
        write_cr0(wp ? read_cr0() | CR0_WP : read_cr0() & ~CR0_WP);
        flush();
        snprintf(tag, sizeof tag, "pde-s pte-u wp=%u", wp);
        access(tag, 0, 'w', REGION(4));
        access(tag, 3, 'r', REGION(4));
        snprintf(tag, sizeof tag, "pde-ro pte-rw wp=%u", wp);
        access(tag, 0, 'w', REGION(5));
        access(tag, 3, 'r', REGION(5));
        access(tag, 3, 'w', REGION(5));
    }
    write_cr0(read_cr0() | CR0_WP);
    flush();
}

static void not_present(void)
{
    /* PDE not present (REGION(6) never mapped). */
    access("np-pde", 0, 'r', REGION(6) + 0x123);
    access("np-pde", 0, 'w', REGION(6) + 0x456);
    access("np-pde", 3, 'r', REGION(6) + 0x789);
    access("np-pde", 3, 'w', REGION(6) + 0xABC);
    /* PDE present, PTE zero; then PTE with P=0 and every other bit set. */
    pg_map(REGION(7), FR(8), PTE_W | PTE_U);
    pg_set_pte(REGION(7) + 0x1000, 0);
    pg_set_pte(REGION(7) + 0x2000, 0xFFFFFFFE);
    flush();
    access("np-pte", 0, 'r', REGION(7) + 0x1004);
    access("np-pte", 3, 'w', REGION(7) + 0x1008);
    access("np-pte-bits", 0, 'w', REGION(7) + 0x2010);
    access("np-pte-bits", 3, 'r', REGION(7) + 0x2020);
    /* 4 MiB PDE with P=0. */
    pg_set_pde(REGION(8), 0x400000 | PTE_PS | PTE_W | PTE_U);
    flush();
    access("np-pde4m", 3, 'r', REGION(8) + 0x5000);
    /* A reserved bit (21) in a not-present 4 MiB PDE is ignored. */
    pg_set_pde(REGION(8), 0x400000 | (1u << 21) | PTE_PS | PTE_W | PTE_U);
    flush();
    access("np-pde4m-rsvd", 0, 'w', REGION(8) + 0x6000);
}

static void fetch(void)
{
    put_code(FR(9), 0x900DC0DE);
    pg_map(REGION(9), FR(9), PTE_U);                 /* user, read-only */
    pg_map(REGION(9) + 0x1000, FR(9), 0);            /* supervisor */
    flush();
    access("fetch user-page", 0, 'x', REGION(9));
    access("fetch user-page", 3, 'x', REGION(9));
    access("fetch sup-page", 0, 'x', REGION(9) + 0x1000);
    access("fetch sup-page", 3, 'x', REGION(9) + 0x1000);
    access("fetch np", 0, 'x', REGION(9) + 0x2000);
    access("fetch np", 3, 'x', REGION(9) + 0x2000);
    /* EFER.NXE does not make 32-bit paging report I/D (SDM §4.7). */
    wrmsr(MSR_EFER, EFER_NXE);
    access("fetch nxe=1 sup-page", 3, 'x', REGION(9) + 0x1000);
    access("fetch nxe=1 np", 0, 'x', REGION(9) + 0x2000);
    wrmsr(MSR_EFER, 0);
    printf("fetch value=%08x\n", ex(REGION(9)));
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
    /* Read, then write through the translation cached by the read. */
    pg_map(REGION(11), FR(10), PTE_W | PTE_U);
    flush();
    print_ad("4k fresh", REGION(11), 0);
    rd(REGION(11));
    print_ad("4k after-read", REGION(11), 0);
    wr(REGION(11));
    print_ad("4k after-write", REGION(11), 0);
    /* Write first, at CPL 3. */
    pg_map(REGION(12), FR(11), PTE_W | PTE_U);
    flush();
    ring_call(3, wr, REGION(12) + 0x40);
    print_ad("4k cpl3-write", REGION(12), 0);
    /* Instruction fetch sets A, not D. */
    put_code(FR(12), 0x12345678);
    pg_map(REGION(13), FR(12), PTE_W | PTE_U);
    flush();
    ex(REGION(13));
    print_ad("4k after-fetch", REGION(13), 0);
    /* Clearing A/D in memory and INVLPG: set again on the next access. */
    pg_set_pte(REGION(11), pg_get_pte(REGION(11)) & ~(PTE_A | PTE_D));
    invlpg(REGION(11));
    rd(REGION(11));
    print_ad("4k reread", REGION(11), 0);
    /* Supervisor write to a read-only page with WP=0 still sets D. */
    pg_map(REGION(14), FR(13), PTE_U);
    write_cr0(read_cr0() & ~CR0_WP);
    flush();
    wr(REGION(14));
    print_ad("4k wp0-ro-write", REGION(14), 0);
    write_cr0(read_cr0() | CR0_WP);
    flush();

    /* 4 MiB page: A and D live in the PDE. */
    pg_map_large(REGION(15), 0x400000, PTE_W | PTE_U);
    flush();
    print_ad("4m fresh", REGION(15), 1);
    rd(REGION(15) + 0x300000);
    print_ad("4m after-read", REGION(15), 1);
    wr(REGION(15) + 0x300000);
    print_ad("4m after-write", REGION(15), 1);
}

void test_main(void)
{
    pg_init(PG_2LEVEL, 8u << 20);
    paging_enable(CR0_WP);
    basic();
    permissions();
    not_present();
    fetch();
    accessed_dirty();
    paging_disable();
}
