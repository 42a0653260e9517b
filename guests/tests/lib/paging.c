/*
 * Static page tables for 2-level and PAE paging. Design in paging.h.
 * The pool is bump-allocated; pg_init() resets everything.
 */
#include "paging.h"
#include "cpu.h"
#include "qemu.h"

#define ID_MAX (16u << 20)

/* 2-level */
static uint32_t pd2[1024] __attribute__((aligned(4096)));
static uint32_t pt2[PG_POOL][1024] __attribute__((aligned(4096)));
/* PAE */
static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pdpae[4][512] __attribute__((aligned(4096)));
static uint64_t ptpae[PG_POOL][512] __attribute__((aligned(4096)));

static int mode;
static unsigned pool_used;

static void zero(void *p, unsigned n)
{
    uint32_t *w = p;                     /* tables are 4 KiB multiples */
    for (n /= 4; n; n--)
        *(volatile uint32_t *)w++ = 0;
}

int pg_mode(void) { return mode; }
uint32_t pg_cr3(void) { return mode == PG_PAE ? (uint32_t)pdpt : (uint32_t)pd2; }

static uint32_t alloc_table(void)
{
    if (pool_used >= PG_POOL)
        panic("paging: table pool exhausted");
    unsigned i = pool_used++;
    if (mode == PG_PAE) {
        zero(ptpae[i], sizeof ptpae[i]);
        return (uint32_t)ptpae[i];
    }
    zero(pt2[i], sizeof pt2[i]);
    return (uint32_t)pt2[i];
}

uint64_t pg_get_pdpte(unsigned i) { return pdpt[i & 3]; }
void pg_set_pdpte(unsigned i, uint64_t e) { pdpt[i & 3] = e; }

static uint64_t *pde_pae(uint32_t va)
{
    uint64_t e = pdpt[va >> 30];
    uint64_t *pd = (uint64_t *)(uint32_t)(e & PTE_ADDR_PAE);
    return &pd[(va >> 21) & 511];
}

uint64_t pg_get_pde(uint32_t va)
{
    return mode == PG_PAE ? *pde_pae(va) : pd2[va >> 22];
}

void pg_set_pde(uint32_t va, uint64_t e)
{
    if (mode == PG_PAE) *pde_pae(va) = e;
    else pd2[va >> 22] = (uint32_t)e;
}

/* Pointer to the PTE slot, or 0 if there is no table (or the PDE is large). */
static void *pte_slot(uint32_t va, int create)
{
    uint64_t pde = pg_get_pde(va);
    if (!(pde & PTE_P) || (pde & PTE_PS)) {
        if (!create)
            return 0;
        pde = alloc_table() | PTE_P | PTE_W | PTE_U;
        pg_set_pde(va, pde);
    }
    if (mode == PG_PAE)
        return &((uint64_t *)(uint32_t)(pde & PTE_ADDR_PAE))[(va >> 12) & 511];
    return &((uint32_t *)(uint32_t)(pde & PTE_ADDR_2L))[(va >> 12) & 1023];
}

uint64_t pg_get_pte(uint32_t va)
{
    void *p = pte_slot(va, 0);
    if (!p) return 0;
    return mode == PG_PAE ? *(uint64_t *)p : *(uint32_t *)p;
}

void pg_set_pte(uint32_t va, uint64_t e)
{
    void *p = pte_slot(va, 0);
    if (!p) return;
    if (mode == PG_PAE) *(uint64_t *)p = e;
    else *(uint32_t *)p = (uint32_t)e;
}

void pg_map(uint32_t va, uint64_t pa, uint64_t flags)
{
    void *p = pte_slot(va, 1);
    uint64_t e = (pa & ~0xFFFull) | flags | PTE_P;
    if (mode == PG_PAE) *(uint64_t *)p = e;
    else *(uint32_t *)p = (uint32_t)e;
}

void pg_map_large(uint32_t va, uint64_t pa, uint64_t flags)
{
    pg_set_pde(va, pa | flags | PTE_P | PTE_PS);
}

void pg_init(int m, uint32_t identity_bytes)
{
    if (identity_bytes > ID_MAX)
        panic("paging: identity map limited to 16 MiB");
    mode = m;
    pool_used = 0;
    if (mode == PG_PAE) {
        zero(pdpae, sizeof pdpae);
        for (unsigned i = 0; i < 4; i++)
            pdpt[i] = (uint32_t)pdpae[i] | PTE_P;    /* PDPTEs: P only (R/W, U/S reserved) */
    } else {
        zero(pd2, sizeof pd2);
    }
    for (uint32_t va = 0; va < identity_bytes; va += PAGE_SIZE)
        pg_map(va, va, PTE_W | PTE_U);
}

void tlb_flush(void) { write_cr3(read_cr3()); }

void paging_enable(uint32_t extra_cr0)
{
    uint32_t cr4 = read_cr4();
    cr4 = mode == PG_PAE ? (cr4 | CR4_PAE) : (cr4 & ~CR4_PAE);
    write_cr4(cr4);
    write_cr3(pg_cr3());
    write_cr0(read_cr0() | CR0_PG | extra_cr0);
}

void paging_disable(void)
{
    write_cr0(read_cr0() & ~CR0_PG);
    write_cr4(read_cr4() & ~CR4_PAE);
}
