/*
 * tlb-global-sdm: MOV to CR3 keeps global translations (oracle: sdm).
 * Intel SDM Vol. 3 §4.10.2.4 and §4.10.4.1: with CR4.PGE = 1, MOV to CR3
 * invalidates the TLB entries of non-global pages only; entries for pages
 * whose leaf entry has G = 1 survive it (INVLPG or a CR4.PGE toggle removes
 * them). Real processors keep them, and tsxen's TLB does; QEMU TCG flushes
 * its whole TLB on every CR3 load, so it prints "new" where this file
 * expects "old" (docs/qemu-deviations.md).
 *
 * Method as in tests/tlb: fill the TLB, rewrite the PTE/PDE in memory
 * through an alias of the page table, then read back to back with no
 * printing in between; the word read names the frame used.
 */
#include "test.h"

#define FR(n)     (0x600000u + (n) * 0x1000u)
#define VBASE     0x40000000u
#define V(n)      (VBASE + 0x3A000u + (n) * 0x1000u)
#define PT_ALIAS  0x40800000u
#define LARGE     0x41000000u

static volatile uint32_t *pte_alias(uint32_t va)
{
    return (volatile uint32_t *)(PT_ALIAS + ((va >> 12) & 1023) * 4);
}

static uint32_t rd(uint32_t va) { return *(volatile uint32_t *)va; }
static const char *which(uint32_t v, uint32_t old_frame) { return v == rd(old_frame) ? "old" : "new"; }

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

void test_main(void)
{
    uint32_t r[8];
    pg_init(PG_2LEVEL, 8u << 20);
    setup(0, PTE_G);                               /* global */
    setup(1, 0);                                   /* not global */
    pg_map(PT_ALIAS, (uint32_t)pg_get_pde(VBASE) & ~0xFFFu, PTE_W);
    write_cr4(CR4_PGE | CR4_PSE);
    paging_enable(CR0_WP);

    r[0] = rd(V(0));
    r[1] = rd(V(1));
    retarget(0, PTE_G);
    retarget(1, 0);
    tlb_flush();                                   /* MOV CR3 */
    r[2] = rd(V(0));
    r[3] = rd(V(1));
    tlb_flush();
    r[4] = rd(V(0));
    invlpg(V(0));
    r[5] = rd(V(0));
    printf("fill g=%s ng=%s\n", which(r[0], FR(0)), which(r[1], FR(2)));
    printf("mov-cr3 g=%s ng=%s\n", which(r[2], FR(0)), which(r[3], FR(2)));
    printf("mov-cr3-again g=%s\n", which(r[4], FR(0)));
    printf("invlpg g=%s\n", which(r[5], FR(0)));

    /* A global 4 MiB page survives MOV CR3 as well; a PGE toggle removes it. */
    *(volatile uint32_t *)(0x400000 + 0x2000) = 0x4A000002;
    pg_map_large(0x800000, 0x800000, PTE_W);
    pg_map_large(LARGE, 0x400000, PTE_W | PTE_G);
    tlb_flush();
    *(volatile uint32_t *)(0x800000 + 0x2000) = 0x8B000002;
    r[0] = rd(LARGE + 0x2000);
    pg_set_pde(LARGE, 0x800000 | PTE_P | PTE_W | PTE_PS | PTE_G);
    tlb_flush();
    r[1] = rd(LARGE + 0x2000);
    write_cr4(read_cr4() & ~CR4_PGE);
    write_cr4(read_cr4() | CR4_PGE);
    r[2] = rd(LARGE + 0x2000);
    printf("4m-global fill=%08x mov-cr3=%08x pge-toggled=%08x\n", r[0], r[1], r[2]);

    paging_disable();
    write_cr4(0);
}
