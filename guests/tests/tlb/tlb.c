/*
 * tlb: what the TLB keeps and what flushes it, 32-bit paging.
 * Intel SDM Vol. 3 §4.10.2 (caching translations), §4.10.4 (invalidation).
 *
 * Each case maps a linear page V to frame OLD, touches V (filling the TLB),
 * rewrites V's PTE to point at frame NEW through an alias mapping of the
 * page table, then reads V again. The frames hold distinct words, so the
 * read tells which translation was used:
 *
 *   stale      PTE changed, nothing flushed: the old translation is still
 *              used (the SDM allows it; QEMU and tsxen keep TLB entries
 *              until they are flushed, so both print "old");
 *   INVLPG     removes exactly the one page named (another stale page stays),
 *              also a global page, and a whole 4 MiB page from any address in it;
 *   MOV CR3    removes non-global entries;
 *   CR4.PGE    toggling it removes every entry, global ones included;
 *   P 0 -> 1   needs no invalidation (not-present translations are never
 *              cached, §4.10.4.3);
 *   rights     a write-enabled translation (dirty already set) stays
 *              writable after the PTE is made read-only, until INVLPG.
 *
 * Whether MOV CR3 keeps a global entry is in tlb-global-sdm: QEMU flushes
 * global entries on every CR3 load, which the SDM does not require.
 *
 * QEMU's software TLB is direct-mapped (plus an 8-entry victim cache), so
 * every case does its fill, PTE rewrite and reread back to back with no
 * printing in between, touching only a few pages.
 *
 * Frames: FR(n) = 0x600000 + n*4K; 4 MiB frames 0x400000 and 0x800000.
 */
#include "test.h"

#define FR(n)     (0x600000u + (n) * 0x1000u)
#define VBASE     0x40000000u              /* test pages, one page table */
#define V(n)      (VBASE + 0x3A000u + (n) * 0x1000u)
#define PT_ALIAS  0x40800000u              /* the page table of VBASE, aliased */
#define LARGE     0x41000000u              /* a 4 MiB page */

static volatile uint32_t *pte_alias(uint32_t va)
{
    return (volatile uint32_t *)(PT_ALIAS + ((va >> 12) & 1023) * 4);
}

static uint32_t rd(uint32_t va) { return *(volatile uint32_t *)va; }

static const char *which(uint32_t v, uint32_t old_frame)
{
    return v == rd(old_frame) ? "old" : "new";
}

/* Map V(n) to FR(2n) ("old"); FR(2n+1) is the "new" frame. Not flushed. */
static void setup(unsigned n, uint32_t extra)
{
    *(volatile uint32_t *)FR(2 * n) = 0x01D00000u + n;
    *(volatile uint32_t *)FR(2 * n + 1) = 0x0E500000u + n;
    pg_map(V(n), FR(2 * n), PTE_W | extra);
}

static void retarget(unsigned n, uint32_t extra)
{
    *pte_alias(V(n)) = FR(2 * n + 1) | PTE_P | PTE_W | extra;
}

static void basic(void)
{
    uint32_t r[6];
    setup(0, 0);
    setup(1, 0);
    tlb_flush();

    r[0] = rd(V(0));
    r[1] = rd(V(1));
    retarget(0, 0);
    retarget(1, 0);
    r[2] = rd(V(0));
    r[3] = rd(V(1));
    invlpg(V(0));
    r[4] = rd(V(0));
    r[5] = rd(V(1));
    printf("fill v0=%s v1=%s\n", which(r[0], FR(0)), which(r[1], FR(2)));
    printf("pte-changed v0=%s v1=%s\n", which(r[2], FR(0)), which(r[3], FR(2)));
    printf("invlpg-v0 v0=%s v1=%s\n", which(r[4], FR(0)), which(r[5], FR(2)));
    tlb_flush();
    printf("mov-cr3 v1=%s\n", which(rd(V(1)), FR(2)));
}

static void not_present_to_present(void)
{
    uint32_t r;
    setup(2, 0);
    *pte_alias(V(2)) = 0;
    tlb_flush();
    TRY {
        rd(V(2));
        printf("np no-fault\n");
    } CATCH {
        printf("np pf err=%02x\n", last_exc.error);
    }
    *pte_alias(V(2)) = FR(5) | PTE_P | PTE_W;
    r = rd(V(2));                                /* no INVLPG */
    printf("np->p v2=%s\n", which(r, FR(4)));
}

static void rights(void)
{
    volatile uint32_t r;
    setup(3, 0);
    tlb_flush();
    *(volatile uint32_t *)V(3) = 0x11;            /* TLB: writable, D set */
    *pte_alias(V(3)) &= ~(uint32_t)PTE_W;         /* now read-only in memory */
    TRY {
        *(volatile uint32_t *)V(3) = 0x22;
        r = 0;
    } CATCH {
        r = last_exc.error + 1;
    }
    if (r)
        printf("ro-stale write pf err=%02x\n", r - 1);
    else
        printf("ro-stale write ok val=%x\n", rd(FR(6)));
    invlpg(V(3));
    TRY {
        *(volatile uint32_t *)V(3) = 0x33;
        printf("ro-invlpg write ok\n");
    } CATCH {
        printf("ro-invlpg write pf err=%02x cr2=%08x\n", last_exc.error, last_exc.cr2);
    }
    printf("ro val=%x\n", rd(FR(6)));
}

static void global(void)
{
    uint32_t r[4];
    write_cr4(read_cr4() | CR4_PGE);
    setup(4, PTE_G);
    tlb_flush();

    /* INVLPG removes a global entry too. */
    r[0] = rd(V(4));
    retarget(4, PTE_G);
    r[1] = rd(V(4));
    invlpg(V(4));
    r[2] = rd(V(4));
    printf("global pte-changed=%s invlpg=%s\n", which(r[1], FR(8)), which(r[2], FR(8)));

    /* Toggling CR4.PGE flushes global entries. */
    pg_map(V(4), FR(8), PTE_W | PTE_G);
    invlpg(V(4));
    r[0] = rd(V(4));
    retarget(4, PTE_G);
    r[1] = rd(V(4));
    write_cr4(read_cr4() & ~CR4_PGE);
    write_cr4(read_cr4() | CR4_PGE);
    r[2] = rd(V(4));
    printf("global fill=%s pte-changed=%s pge-toggled=%s\n", which(r[0], FR(8)),
           which(r[1], FR(8)), which(r[2], FR(8)));

    /* With CR4.PGE = 0 the G bit means nothing: MOV CR3 flushes the page. */
    write_cr4(read_cr4() & ~CR4_PGE);
    pg_map(V(4), FR(8), PTE_W | PTE_G);
    tlb_flush();
    r[0] = rd(V(4));
    retarget(4, PTE_G);
    r[1] = rd(V(4));
    tlb_flush();
    r[2] = rd(V(4));
    printf("g-bit pge=0 pte-changed=%s mov-cr3=%s\n", which(r[1], FR(8)), which(r[2], FR(8)));
}

static void large(void)
{
    uint32_t r[4];
    *(volatile uint32_t *)(0x400000 + 0x1000) = 0x4A000001;
    *(volatile uint32_t *)(0x400000 + 0x300000) = 0x4A000300;
    write_cr4(read_cr4() | CR4_PSE);
    pg_map_large(0x800000, 0x800000, PTE_W);     /* to write the second frame */
    pg_map_large(LARGE, 0x400000, PTE_W);
    tlb_flush();
    *(volatile uint32_t *)(0x800000 + 0x1000) = 0x8B000001;
    *(volatile uint32_t *)(0x800000 + 0x300000) = 0x8B000300;

    r[0] = rd(LARGE + 0x1000);
    r[1] = rd(LARGE + 0x300000);
    pg_set_pde(LARGE, 0x800000 | PTE_P | PTE_W | PTE_PS);
    r[2] = rd(LARGE + 0x300000);
    invlpg(LARGE + 0x1000);                        /* another 4 KiB of the same page */
    r[3] = rd(LARGE + 0x300000);
    printf("4m fill=%08x %08x pde-changed=%08x invlpg-other-4k=%08x\n", r[0], r[1], r[2], r[3]);
}

void test_main(void)
{
    pg_init(PG_2LEVEL, 8u << 20);
    pg_map(V(0), FR(0), PTE_W);                   /* creates VBASE's page table */
    pg_map(PT_ALIAS, (uint32_t)pg_get_pde(VBASE) & ~0xFFFu, PTE_W);
    paging_enable(CR0_WP);
    basic();
    not_present_to_present();
    rights();
    global();
    large();
    paging_disable();
    write_cr4(0);
}
