/*
 * P2M / M2P translation and page-table walks (ABI §1.5-1.7, §5.1, §5.6).
 * VIRT_BASE is 0, so everything the builder mapped is at VA = PFN << 12;
 * page tables hold machine addresses and are mapped read-only.
 */
#include "pv.h"

uint32_t pv_pfn_to_mfn(uint32_t pfn)
{
    return ((const uint32_t *)start_info->mfn_list)[pfn];
}

uint32_t pv_virt_to_mfn(const void *va)
{
    return pv_pfn_to_mfn((uint32_t)va >> XEN_PAGE_SHIFT);
}

void *pv_mfn_to_virt(uint32_t mfn)
{
    return (void *)(machine_to_phys_mapping[mfn] << XEN_PAGE_SHIFT);
}

static const uint64_t *l2e_of(const void *va)
{
    uint32_t a = (uint32_t)va;
    const uint64_t *l3 = (const uint64_t *)start_info->pt_base;
    uint64_t e3 = l3[a >> XEN_PAGE_L3_SHIFT];
    if (!(e3 & XEN_PTE_PRESENT))
        return NULL;
    const uint64_t *l2 = pv_mfn_to_virt(PTE_MFN(e3));
    const uint64_t *e2 = &l2[(a >> XEN_PAGE_L2_SHIFT) & (XEN_PAGE_ENTRIES - 1)];
    return (*e2 & XEN_PTE_PRESENT) ? e2 : NULL;
}

const uint64_t *pv_l1e(const void *va)
{
    const uint64_t *e2 = l2e_of(va);
    if (!e2)
        return NULL;
    const uint64_t *l1 = pv_mfn_to_virt(PTE_MFN(*e2));
    return &l1[((uint32_t)va >> XEN_PAGE_L1_SHIFT) & (XEN_PAGE_ENTRIES - 1)];
}

uint64_t pv_l1e_maddr(const void *va)
{
    const uint64_t *e2 = l2e_of(va);
    if (!e2)
        panic("no L1 table maps %p\n", va);
    return ((uint64_t)PTE_MFN(*e2) << XEN_PAGE_SHIFT) +
           (((uint32_t)va >> XEN_PAGE_L1_SHIFT) & (XEN_PAGE_ENTRIES - 1)) * sizeof(uint64_t);
}

long pv_setup_user(void)
{
    extern uint8_t __user_start[], __user_end[];
    for (uint8_t *va = __user_start; va < __user_end; va += XEN_PAGE_SIZE) {
        uint64_t pte = ((uint64_t)pv_virt_to_mfn(va) << XEN_PAGE_SHIFT) | XEN_PTE_PRESENT |
                       XEN_PTE_RW | XEN_PTE_USER | XEN_PTE_ACCESSED | XEN_PTE_DIRTY;
        long rc = hypercall_update_va_mapping(va, pte, UVMF_INVLPG);
        if (rc)
            return rc;
    }
    return 0;
}
