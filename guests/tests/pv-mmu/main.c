/*
 * pv-mmu: checked page-table updates on L1 entries (ABI §4.2, §4.13, §5.2,
 * §5.3). Five "window" pages of .bss get their L1 entries rewritten:
 *
 *  - mmu_update pointing window 0 at another guest frame (RW): 0, done 1;
 *    after MMUEXT_INVLPG_LOCAL the window reads that frame (mmu_update does
 *    not flush L1 changes, ABI §5.10);
 *  - a writable mapping of a page-table frame (the L1 holding these very
 *    entries, typed L1): -EBUSY, done 0; the read-only one is allowed (0)
 *    and shows the L1's own entries;
 *  - a batch of 4 whose 3rd request is that writable L1 mapping: -EBUSY,
 *    done 2, requests 1-2 applied, request 4 not;
 *  - update_va_mapping(UVMF_INVLPG) of window 0 onto the data frame, then a
 *    write through it seen through the data frame's own mapping; a writable
 *    update_va_mapping of the L1 frame: -EBUSY;
 *  - a batch of 5 restoring the original entries: 0, done 5.
 */
#include "pv.h"

const char test_title[] = "pv-mmu: mmu_update and update_va_mapping of L1 entries";

#define NWIN 5
static uint8_t window[NWIN][XEN_PAGE_SIZE] PAGE_ALIGNED;
static uint8_t data_page[XEN_PAGE_SIZE] PAGE_ALIGNED;

#define PTE_RW_FLAGS (XEN_PTE_PRESENT | XEN_PTE_RW | XEN_PTE_ACCESSED | XEN_PTE_DIRTY)
#define PTE_RO_FLAGS (XEN_PTE_PRESENT | XEN_PTE_ACCESSED)

static uint64_t maddr_pte(uint32_t mfn, uint32_t flags)
{
    return ((uint64_t)mfn << XEN_PAGE_SHIFT) | flags;
}

static mmu_update_t req(const void *va, uint64_t val)
{
    mmu_update_t r = { .ptr = pv_l1e_maddr(va) | MMU_NORMAL_PT_UPDATE, .val = val };
    return r;
}

static void invlpg(const void *va)
{
    mmuext_op_t op = { .cmd = MMUEXT_INVLPG_LOCAL, .arg1.linear_addr = (uint32_t)va };
    unsigned done = 0xdead;
    long rc = hypercall_mmuext_op(&op, 1, &done, DOMID_SELF);
    if (rc || done != 1)
        panic("MMUEXT_INVLPG_LOCAL: %ld done %u\n", rc, done);
}

static void report(const char *what, long rc, unsigned done, long want_rc, unsigned want_done)
{
    printf("%s: %ld done %u\n", what, rc, done);
    if (rc != want_rc || done != want_done)
        xtf_failure("Fail: %s: want %ld done %u\n", what, want_rc, want_done);
}

static void check_yes(const char *what, int got, int want)
{
    printf("%s: %s\n", what, got ? "yes" : "no");
    if (!got != !want)
        xtf_failure("Fail: %s\n", what);
}

static uint32_t l1e_target(const void *va)
{
    return PTE_MFN(*(volatile const uint64_t *)pv_l1e(va));
}

void test_main(void)
{
    uint64_t orig[NWIN];
    for (int i = 0; i < NWIN; i++) {
        *(volatile uint32_t *)window[i] = 0x57a70000 + i;    /* each window's own frame */
        orig[i] = *pv_l1e(window[i]);
    }
    *(volatile uint32_t *)data_page = 0xc0ffee01;

    uint32_t data_mfn = pv_virt_to_mfn(data_page);
    uint32_t l1_mfn = PTE_MFN(pv_l1e_maddr(window[0]));       /* the L1 mapping window 0 */
    uint32_t win_mfn[NWIN];
    for (int i = 0; i < NWIN; i++)
        win_mfn[i] = pv_virt_to_mfn(window[i]);

    /* 1. A new mapping: window 0 -> data page, read-write. */
    mmu_update_t r[NWIN];
    unsigned done = 0xdead;
    r[0] = req(window[0], maddr_pte(data_mfn, PTE_RW_FLAGS));
    long rc = hypercall_mmu_update(r, 1, &done, DOMID_SELF);
    report("mmu_update(window 0 -> data page, RW)", rc, done, 0, 1);
    invlpg(window[0]);
    uint32_t v = *(volatile uint32_t *)window[0];
    printf("read through window 0: 0x%08x\n", v);
    if (v != 0xc0ffee01)
        xtf_failure("Fail: want 0xc0ffee01\n");

    /* 2. A writable mapping of a frame typed L1: -EBUSY. Read-only: fine. */
    done = 0xdead;
    r[0] = req(window[0], maddr_pte(l1_mfn, PTE_RW_FLAGS));
    rc = hypercall_mmu_update(r, 1, &done, DOMID_SELF);
    report("mmu_update(window 0 -> L1 page table, RW)", rc, done, -XEN_EBUSY, 0);
    check_yes("window 0 still maps the data page", l1e_target(window[0]) == data_mfn, 1);

    done = 0xdead;
    r[0] = req(window[0], maddr_pte(l1_mfn, PTE_RO_FLAGS));
    rc = hypercall_mmu_update(r, 1, &done, DOMID_SELF);
    report("mmu_update(window 0 -> L1 page table, RO)", rc, done, 0, 1);
    invlpg(window[0]);
    unsigned idx = ((uint32_t)window[0] >> XEN_PAGE_L1_SHIFT) & (XEN_PAGE_ENTRIES - 1);
    uint64_t self = ((volatile const uint64_t *)window[0])[idx];
    check_yes("window 0 shows the L1, whose entry for window 0 names the L1",
              PTE_MFN(self) == l1_mfn, 1);

    /* 3. A batch of 4 whose 3rd request fails: done 2, the 4th not applied. */
    r[0] = req(window[1], maddr_pte(data_mfn, PTE_RW_FLAGS));
    r[1] = req(window[2], maddr_pte(data_mfn, PTE_RO_FLAGS));
    r[2] = req(window[3], maddr_pte(l1_mfn, PTE_RW_FLAGS));
    r[3] = req(window[4], maddr_pte(data_mfn, PTE_RW_FLAGS));
    done = 0xdead;
    rc = hypercall_mmu_update(r, 4, &done, DOMID_SELF);
    report("mmu_update(batch of 4, 3rd maps the L1 RW)", rc, done, -XEN_EBUSY, 2);
    check_yes("request 1 applied", l1e_target(window[1]) == data_mfn, 1);
    check_yes("request 2 applied", l1e_target(window[2]) == data_mfn, 1);
    check_yes("request 3 applied", l1e_target(window[3]) == l1_mfn, 0);
    check_yes("request 4 applied", l1e_target(window[4]) == data_mfn, 0);

    /* 4. update_va_mapping: window 0 back onto the data page, with INVLPG. */
    rc = hypercall_update_va_mapping(window[0], maddr_pte(data_mfn, PTE_RW_FLAGS), UVMF_INVLPG);
    check_rc("update_va_mapping(window 0 -> data page, RW, UVMF_INVLPG)", rc, 0);
    *(volatile uint32_t *)window[0] = 0x12345678;
    v = *(volatile uint32_t *)data_page;
    printf("wrote 0x12345678 through window 0, data page reads: 0x%08x\n", v);
    if (v != 0x12345678)
        xtf_failure("Fail: want 0x12345678\n");
    rc = hypercall_update_va_mapping(window[0], maddr_pte(l1_mfn, PTE_RW_FLAGS), UVMF_INVLPG);
    check_rc("update_va_mapping(window 0 -> L1 page table, RW)", rc, -XEN_EBUSY);

    /* 5. Restore every window in one batch, flush, and look. */
    for (int i = 0; i < NWIN; i++)
        r[i] = req(window[i], orig[i]);
    done = 0xdead;
    rc = hypercall_mmu_update(r, NWIN, &done, DOMID_SELF);
    report("mmu_update(batch of 5 restoring the windows)", rc, done, 0, NWIN);
    mmuext_op_t flush = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
    check_rc("mmuext_op(MMUEXT_TLB_FLUSH_LOCAL)", hypercall_mmuext_op(&flush, 1, NULL, DOMID_SELF), 0);
    int ok = 1;
    for (int i = 0; i < NWIN; i++)
        ok &= l1e_target(window[i]) == win_mfn[i] &&
              *(volatile uint32_t *)window[i] == 0x57a70000u + i;
    check_yes("windows show their own frames again", ok, 1);

    xtf_success(NULL);
}
