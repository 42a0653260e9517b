/*
 * Page tables in a static area: 2-level (32-bit) or PAE (SDM Vol. 3 §4.3, §4.4).
 *
 *  2-level:  CR3 -> pd[1024] --(PDE: PT or 4 MiB page if PS)--> pt[1024] -> 4 KiB
 *            linear = | dir 31:22 | table 21:12 | offset 11:0 |
 *  PAE:      CR3 -> pdpt[4] -> pd[512] --(PDE: PT or 2 MiB page if PS)--> pt[512]
 *            linear = | pdpt 31:30 | dir 29:21 | table 20:12 | offset 11:0 |
 *
 * pg_init(mode, bytes) builds a fresh hierarchy identity-mapping [0, bytes)
 * with 4 KiB pages P|W|U (bytes <= 16 MiB), leaving paging off. Entries are
 * read and written as uint64_t in both modes (2-level keeps the low 32 bits).
 * Page tables come from a pool of PG_POOL tables; pg_map() allocates one
 * when the PDE is empty. After changing a live entry call invlpg() yourself.
 */
#ifndef LIB_PAGING_H
#define LIB_PAGING_H

#include <stdint.h>

#define PG_2LEVEL 0
#define PG_PAE    1
#define PG_POOL   16
#define PAGE_SIZE 4096u

#define PTE_P   0x001ull
#define PTE_W   0x002ull
#define PTE_U   0x004ull
#define PTE_PWT 0x008ull
#define PTE_PCD 0x010ull
#define PTE_A   0x020ull
#define PTE_D   0x040ull
#define PTE_PS  0x080ull        /* in a PDE: large page */
#define PTE_G   0x100ull
#define PTE_NX  (1ull << 63)    /* PAE only, needs EFER.NXE */
#define PTE_ADDR_2L  0xFFFFF000ull
#define PTE_ADDR_PAE 0x000FFFFFFFFFF000ull

void pg_init(int mode, uint32_t identity_bytes);
int  pg_mode(void);
uint32_t pg_cr3(void);                         /* physical address for CR3 */
/* Map one 4 KiB page va -> pa with flags (PTE_P added). PDE gets P|W|U. */
void pg_map(uint32_t va, uint64_t pa, uint64_t flags);
/* Map a large page (4 MiB 2-level / 2 MiB PAE); needs CR4.PSE in 2-level. */
void pg_map_large(uint32_t va, uint64_t pa, uint64_t flags);
/* Raw entries. pg_pte() on a va whose PDE has no table returns 0 / ignores set. */
uint64_t pg_get_pde(uint32_t va);
void     pg_set_pde(uint32_t va, uint64_t e);
uint64_t pg_get_pte(uint32_t va);
void     pg_set_pte(uint32_t va, uint64_t e);
uint64_t pg_get_pdpte(unsigned i);             /* PAE */
void     pg_set_pdpte(unsigned i, uint64_t e);
/* Load CR3 (and CR4.PAE per mode), set CR0.PG (| extra_cr0, e.g. CR0_WP). */
void paging_enable(uint32_t extra_cr0);
void paging_disable(void);                     /* clear CR0.PG (and CR4.PAE) */
void tlb_flush(void);                          /* reload CR3 */

#endif
