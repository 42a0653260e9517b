/*
 * paging-rsvd-sdm: reserved bits in paging structures and the PAE PDPTE
 * registers, where QEMU TCG departs from the Intel SDM (oracle: sdm;
 * expected.txt is written from the SDM; see docs/qemu-deviations.md).
 *
 * 1. Reserved-bit #PF error code (SDM Vol. 3 §4.7): a reserved bit can only
 *    be seen in an entry whose P flag is 1, so the error code has P = 1 and
 *    RSVD = 1 (0x09 for a CPL-0 read, 0x0F for a CPL-3 write, 0x19 for a
 *    CPL-0 fetch with EFER.NXE = 1). QEMU reports RSVD with P = 0.
 *    Cases: 32-bit paging 4 MiB PDE bit 21 (Table 4-4); PAE PTE bits 40 and
 *    52 (63:MAXPHYADDR, MAXPHYADDR = 36 without CPUID 0x80000008, §4.1.4),
 *    XD (bit 63) with NXE = 0 in a PTE and a PDE (Table 4-11), 2 MiB PDE
 *    bit 13 (Table 4-9).
 * 2. PAE PDPTE registers (§4.4.1): MOV to CR3 loads the four PDPTEs; a
 *    present PDPTE with a reserved bit (2:1, 8:5, 63:MAXPHYADDR) makes the
 *    MOV #GP(0) and loads nothing. Afterwards translation uses the
 *    registers, not memory: a PDPTE cleared in memory keeps working after
 *    INVLPG until CR3 is reloaded. The processor never writes PDPTEs (they
 *    have no Accessed flag; QEMU sets bit 5 in them).
 *
 * Bits 35:32 are left alone: QEMU's qemu32 model uses 32 physical-address
 * bits (it treats them as reserved), the SDM's default for a PAE CPU
 * without leaf 0x80000008 is 36, and what lies above 4 GiB is undefined.
 */
#include "test.h"

#define FR(n)      (0x600000u + (n) * 0x1000u)
#define VA         0x40000000u          /* PDPTE 1, a 4 KiB page on FR(0) */
#define VA_LARGE   0x40200000u          /* a 2 MiB page */

static uint32_t rd(uint32_t va) { return *(volatile uint32_t *)va; }
static uint32_t wr(uint32_t va) { *(volatile uint32_t *)va = 1; return 0; }
static uint32_t ex(uint32_t va) { return ((uint32_t (*)(void))va)(); }

static void access(const char *tag, unsigned cpl_, char op, uint32_t va)
{
    ring_fn_t fn = op == 'r' ? rd : op == 'w' ? wr : ex;
    TRY {
        ring_call(cpl_, fn, va);
        printf("%s cpl%u %c ok\n", tag, cpl_, op);
    } CATCH {
        if (last_exc.vector != VEC_PF)
            printf("%s cpl%u %c vec=%u err=%04x\n", tag, cpl_, op, last_exc.vector, last_exc.error);
        else
            printf("%s cpl%u %c pf err=%02x cr2=%08x\n", tag, cpl_, op, last_exc.error, last_exc.cr2);
    }
}

static void two_level(void)
{
    pg_init(PG_2LEVEL, 8u << 20);
    write_cr4(read_cr4() | CR4_PSE);
    paging_enable(CR0_WP);
    pg_set_pde(0x40000000, 0x400000 | (1u << 21) | PTE_P | PTE_PS | PTE_W | PTE_U);
    tlb_flush();
    access("2l 4m-bit21", 0, 'r', 0x40000010);
    access("2l 4m-bit21", 3, 'w', 0x40000020);
    paging_disable();
    write_cr4(read_cr4() & ~CR4_PSE);
}

static void pae_entry(const char *tag, uint32_t va, int large, uint64_t bit, unsigned cpl_, char op)
{
    uint64_t e = large ? pg_get_pde(va) : pg_get_pte(va);
    if (large) pg_set_pde(va, e | bit); else pg_set_pte(va, e | bit);
    tlb_flush();
    access(tag, cpl_, op, op == 'x' ? va : va + 0x10);
    if (large) pg_set_pde(va, e); else pg_set_pte(va, e);
    tlb_flush();
}

static void pae_rsvd(void)
{
    pae_entry("pae pte-bit40", VA, 0, 1ull << 40, 0, 'r');
    pae_entry("pae pte-bit40", VA, 0, 1ull << 40, 3, 'w');
    pae_entry("pae pte-bit52", VA, 0, 1ull << 52, 0, 'r');
    pae_entry("pae pte-xd nxe=0", VA, 0, PTE_NX, 0, 'r');
    pae_entry("pae 2m-bit13", VA_LARGE, 1, 1ull << 13, 0, 'r');
    /* XD in a PDE that points to a page table, NXE = 0. */
    uint64_t pde = pg_get_pde(VA);
    pg_set_pde(VA, pde | PTE_NX);
    tlb_flush();
    access("pae pde-xd nxe=0", 3, 'r', VA + 0x20);
    pg_set_pde(VA, pde);
    /* Reserved bit found on an instruction fetch with NXE = 1: I/D too. */
    wrmsr(MSR_EFER, EFER_NXE);
    pae_entry("pae pte-bit40 nxe=1", VA, 0, 1ull << 40, 0, 'x');
    wrmsr(MSR_EFER, 0);
    tlb_flush();
}

static void pdpte_load(const char *tag, unsigned i, uint64_t bits)
{
    uint64_t old = pg_get_pdpte(i);
    pg_set_pdpte(i, old | bits);
    TRY {
        write_cr3(pg_cr3());
        printf("%s mov-cr3 ok\n", tag);
    } CATCH {
        printf("%s mov-cr3 vec=%u err=%04x\n", tag, last_exc.vector, last_exc.error);
    }
    pg_set_pdpte(i, old);
    access(tag, 0, 'r', VA);            /* PDPTE 1 still usable either way */
    write_cr3(pg_cr3());
}

static void pdpte(void)
{
    pdpte_load("pdpte2 bit1", 2, 1ull << 1);
    pdpte_load("pdpte2 bit2", 2, 1ull << 2);
    pdpte_load("pdpte2 bit5", 2, 1ull << 5);
    pdpte_load("pdpte2 bit8", 2, 1ull << 8);
    pdpte_load("pdpte2 bit40", 2, 1ull << 40);
    pdpte_load("pdpte2 bit63", 2, 1ull << 63);
    /* Not present: its other bits are not checked. */
    uint64_t p2 = pg_get_pdpte(2);
    pg_set_pdpte(2, 0xFFE);
    TRY {
        write_cr3(pg_cr3());
        printf("pdpte2 np-rsvd mov-cr3 ok\n");
    } CATCH {
        printf("pdpte2 np-rsvd mov-cr3 vec=%u err=%04x\n", last_exc.vector, last_exc.error);
    }
    access("pdpte2 np-rsvd", 0, 'r', 0x80000000);
    pg_set_pdpte(2, p2);
    write_cr3(pg_cr3());

    /* Cached PDPTE: clearing it in memory changes nothing until MOV CR3. */
    uint64_t p1 = pg_get_pdpte(1);
    pg_set_pdpte(1, 0);
    invlpg(VA);
    access("pdpte1 cleared invlpg", 0, 'r', VA);
    write_cr3(pg_cr3());
    access("pdpte1 cleared mov-cr3", 0, 'r', VA);
    pg_set_pdpte(1, p1);
    write_cr3(pg_cr3());
    access("pdpte1 restored", 0, 'r', VA);

    /* The processor does not write PDPTEs (no Accessed flag in PAE). */
    printf("pdpte flags %03x %03x %03x %03x\n", (uint32_t)pg_get_pdpte(0) & 0xFFF,
           (uint32_t)pg_get_pdpte(1) & 0xFFF, (uint32_t)pg_get_pdpte(2) & 0xFFF,
           (uint32_t)pg_get_pdpte(3) & 0xFFF);
}

void test_main(void)
{
    two_level();

    pg_init(PG_PAE, 8u << 20);
    *(volatile uint32_t *)FR(0) = 0x000000C3;         /* ret: fetchable */
    pg_map(VA, FR(0), PTE_W | PTE_U);
    pg_map_large(VA_LARGE, 0x400000, PTE_W | PTE_U);
    paging_enable(CR0_WP);
    pae_rsvd();
    pdpte();
    paging_disable();
}
