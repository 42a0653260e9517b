/*
 * pv-baseptr: a second address space and the LDT (ABI §4.22, §5.2, §5.5,
 * §5.9, §6.2).
 *
 *  - a new L3 is built from the current one: slot 0 points at a copy of
 *    the slot-0 L2 whose entry 511 (VA 0x3fe00000, unmapped in the boot
 *    tables) names a new L1 mapping a data page; slots 1-2 are shared;
 *    slot 3 gets a fresh L2 (the slot-3 L2 may not be shared) with the
 *    guest entries of the current one. The new frames are remapped
 *    read-only; PIN_L3_TABLE + NEW_BASEPTR in one mmuext_op: 0, done 2;
 *  - in the new address space 0x3fe00000 reads and writes the data page and
 *    CR3 reads the new L3 (xen_pfn_to_cr3); NEW_BASEPTR to the current L3
 *    again: 0;
 *  - refusals, CR3 unchanged: NEW_BASEPTR to a writable data page, to a
 *    read-only page whose slot 0 has the PS bit, to an L2, to a huge MFN:
 *    -EINVAL; a second PIN_L3_TABLE: -EINVAL; UNPIN of an unpinned frame:
 *    -EINVAL; PIN_L3_TABLE of a writable page: -EINVAL; a batch
 *    [TLB_FLUSH_LOCAL, NEW_BASEPTR(huge MFN), TLB_FLUSH_LOCAL]: -EINVAL,
 *    done 1;
 *  - NEW_BASEPTR back to the boot L3: 0x3fe00000 is unmapped again (#PF,
 *    CR2 0x3fe00000); UNPIN of the new L3: 0, after which its frames (L3,
 *    copied L2) map writable again;
 *  - MMUEXT_SET_LDT: misaligned base or 8193 entries -EINVAL; an LDT page
 *    mapped writable is accepted by SET_LDT but the first LDT selector load
 *    faults (#PF at ldt_base + 8); a read-only LDT page: the selector 0x000f
 *    loads (the LDT page is validated on first use) and reads through it
 *    work, the page then cannot be mapped writable (-EBUSY); SET_LDT with
 *    0 entries: 0, the selector then gives #GP(0x000c) and the page maps
 *    writable again.
 */
#include "pv.h"

const char test_title[] = "pv-baseptr: PIN_L3_TABLE, NEW_BASEPTR, UNPIN, SET_LDT";

#define TEST_VA 0x3fe00000u
#define HUGE_MFN 0x0fffffffu
#define PTE_RW (XEN_PTE_PRESENT | XEN_PTE_RW | XEN_PTE_ACCESSED | XEN_PTE_DIRTY)
#define PTE_RO (XEN_PTE_PRESENT | XEN_PTE_ACCESSED)
#define PT_FLAGS 0x67                           /* P, RW, US, A, D: as the builder */

static volatile uint64_t new_l3[512] PAGE_ALIGNED;
static volatile uint64_t new_l2_0[512] PAGE_ALIGNED;
static volatile uint64_t new_l2_3[512] PAGE_ALIGNED;
static volatile uint64_t new_l1[512] PAGE_ALIGNED;
static volatile uint32_t data_page[1024] PAGE_ALIGNED;
static volatile uint64_t bad_l3[512] PAGE_ALIGNED;
static volatile uint64_t ldt_page[512] PAGE_ALIGNED;
static volatile uint64_t ldt_rw_page[512] PAGE_ALIGNED;
static volatile uint32_t probe_var = 0x1d7ab1e5;

static uint32_t mfn_of(const volatile void *va) { return pv_virt_to_mfn((const void *)va); }

static long remap(const volatile void *va, uint32_t flags)
{
    return hypercall_update_va_mapping((const void *)va, ((uint64_t)mfn_of(va) << XEN_PAGE_SHIFT) | flags,
                                       UVMF_INVLPG);
}

static long ext1(unsigned cmd, uint32_t arg1, uint32_t arg2)
{
    mmuext_op_t op = { .cmd = cmd, .arg1.mfn = arg1, .arg2.nr_ents = arg2 };
    unsigned done = 0xdead;
    long rc = hypercall_mmuext_op(&op, 1, &done, DOMID_SELF);
    if (done != (rc ? 0u : 1u))
        xtf_failure("Fail: mmuext_op %u: rc %ld but done %u\n", cmd, rc, done);
    return rc;
}

static uint32_t read_cr3(void)
{
    uint32_t v;
    __asm__ volatile ("mov %%cr3, %0" : "=r" (v));
    return v;
}

static uint32_t cr3_of(uint32_t mfn) { return (mfn << 12) | (mfn >> 20); }

static uint32_t probe_read(uint32_t addr)
{
    uint32_t v = 0xdeadbeef;
    __asm__ volatile ("1: movl (%1), %0\n\t2:\n\t" PV_EXTABLE("1b", "2b") : "+r" (v) : "r" (addr) : "memory");
    return v;
}

static void load_fs(uint32_t sel)
{
    __asm__ volatile ("1: mov %k0, %%fs\n\t2:\n\t" PV_EXTABLE("1b", "2b") :: "r" (sel) : "memory");
}

static void check_yes(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "yes" : "no");
    if (!ok)
        xtf_failure("Fail: %s\n", what);
}

static void expect_exc(const char *name, unsigned vec, unsigned err, uint32_t cr2, const char *cr2_name)
{
    volatile struct pv_exc *e = &pv_last_exc;
    if (pv_exc_count != 1) {
        printf("%s: %u exceptions\n", name, pv_exc_count);
        xtf_failure("Fail: %s: want one exception\n", name);
    } else {
        char c2[32] = "";
        if (vec == 14)
            snprintf(c2, sizeof(c2), " cr2=%s", e->cr2 == cr2 ? cr2_name : "elsewhere");
        printf("%s: vec=%u err=%04x%s cs=%04x\n", name, e->vector, e->error_code, c2, e->cs);
        if (e->vector != vec || e->error_code != err || (vec == 14 && e->cr2 != cr2) ||
            e->cs != FLAT_RING1_CS)
            xtf_failure("Fail: %s: want vec=%u err=%04x%s%s cs=e019\n", name, vec, err,
                        vec == 14 ? " cr2=" : "", vec == 14 ? cr2_name : "");
    }
    pv_exc_count = 0;
}

static void baseptr_tests(void)
{
    const volatile uint64_t *cur_l3 = (const volatile uint64_t *)start_info->pt_base;
    uint32_t boot_l3 = mfn_of(cur_l3);
    const volatile uint64_t *l2_0 = pv_mfn_to_virt(PTE_MFN(cur_l3[0]));
    const volatile uint64_t *l2_3 = pv_mfn_to_virt(PTE_MFN(cur_l3[3]));
    printf("CR3 reads the boot L3: %s\n", read_cr3() == cr3_of(boot_l3) ? "yes" : "no");
    if (read_cr3() != cr3_of(boot_l3))
        xtf_failure("Fail: CR3 0x%08x, boot L3 MFN 0x%x\n", read_cr3(), boot_l3);
    check_yes("VA 0x3fe00000 unmapped in the boot tables", !(l2_0[511] & XEN_PTE_PRESENT));

    /* Build the new tables while their pages are still writable. */
    data_page[0] = 0xda7a0001;
    for (int i = 0; i < 512; i++) {
        new_l2_0[i] = l2_0[i];
        new_l2_3[i] = i < XEN_SLOT_L2_FIRST_HYPERVISOR_SLOT ? l2_3[i] : 0;
        new_l3[i] = 0;
    }
    new_l1[0] = ((uint64_t)mfn_of(data_page) << XEN_PAGE_SHIFT) | PTE_RW;
    new_l2_0[511] = ((uint64_t)mfn_of(new_l1) << XEN_PAGE_SHIFT) | PT_FLAGS;
    new_l3[0] = ((uint64_t)mfn_of(new_l2_0) << XEN_PAGE_SHIFT) | PT_FLAGS;
    new_l3[1] = cur_l3[1];
    new_l3[2] = cur_l3[2];
    new_l3[3] = ((uint64_t)mfn_of(new_l2_3) << XEN_PAGE_SHIFT) | PT_FLAGS;
    bad_l3[0] = ((uint64_t)mfn_of(data_page) << XEN_PAGE_SHIFT) | XEN_PTE_PRESENT | XEN_PTE_PSE;

    check_rc("PIN_L3_TABLE(new L3 still mapped writable)", ext1(MMUEXT_PIN_L3_TABLE, mfn_of(new_l3), 0),
             -XEN_EINVAL);
    int ro = !remap(new_l1, PTE_RO) && !remap(new_l2_0, PTE_RO) && !remap(new_l2_3, PTE_RO) &&
             !remap(new_l3, PTE_RO) && !remap(bad_l3, PTE_RO);
    check_yes("new L3, L2s, L1 and the bad L3 remapped read-only", ro);

    mmuext_op_t ops[3] = {
        { .cmd = MMUEXT_PIN_L3_TABLE, .arg1.mfn = mfn_of(new_l3) },
        { .cmd = MMUEXT_NEW_BASEPTR, .arg1.mfn = mfn_of(new_l3) },
    };
    unsigned done = 0xdead;
    long rc = hypercall_mmuext_op(ops, 2, &done, DOMID_SELF);
    printf("mmuext_op(PIN_L3_TABLE new L3, NEW_BASEPTR new L3): %ld done %u\n", rc, done);
    if (rc || done != 2)
        panic("want 0 done 2\n");

    /* In the new address space. */
    printf("CR3 reads the new L3: %s\n", read_cr3() == cr3_of(mfn_of(new_l3)) ? "yes" : "no");
    if (read_cr3() != cr3_of(mfn_of(new_l3)))
        xtf_failure("Fail: CR3 0x%08x, new L3 MFN 0x%x\n", read_cr3(), mfn_of(new_l3));
    pv_exc_count = 0;
    uint32_t v = probe_read(TEST_VA);
    printf("read at 0x3fe00000: 0x%08x\n", v);
    if (pv_exc_count || v != 0xda7a0001)
        xtf_failure("Fail: want 0xda7a0001 without a fault\n");
    pv_exc_count = 0;
    *(volatile uint32_t *)(TEST_VA + 4) = 0xda7a0002;
    check_yes("write at 0x3fe00004 seen in the data page", data_page[1] == 0xda7a0002);
    check_rc("NEW_BASEPTR(the current, new L3)", ext1(MMUEXT_NEW_BASEPTR, mfn_of(new_l3), 0), 0);

    /* Refusals; CR3 stays. */
    check_rc("NEW_BASEPTR(writable data page)", ext1(MMUEXT_NEW_BASEPTR, mfn_of(data_page), 0), -XEN_EINVAL);
    check_rc("NEW_BASEPTR(read-only page, slot 0 with PS)", ext1(MMUEXT_NEW_BASEPTR, mfn_of(bad_l3), 0),
             -XEN_EINVAL);
    check_rc("NEW_BASEPTR(an L2)", ext1(MMUEXT_NEW_BASEPTR, PTE_MFN(cur_l3[1]), 0), -XEN_EINVAL);
    check_rc("NEW_BASEPTR(MFN 0x0fffffff)", ext1(MMUEXT_NEW_BASEPTR, HUGE_MFN, 0), -XEN_EINVAL);
    check_rc("PIN_L3_TABLE(new L3 again)", ext1(MMUEXT_PIN_L3_TABLE, mfn_of(new_l3), 0), -XEN_EINVAL);
    check_rc("UNPIN_TABLE(data page, not pinned)", ext1(MMUEXT_UNPIN_TABLE, mfn_of(data_page), 0),
             -XEN_EINVAL);
    check_rc("PIN_L3_TABLE(writable data page)", ext1(MMUEXT_PIN_L3_TABLE, mfn_of(data_page), 0),
             -XEN_EINVAL);
    mmuext_op_t batch[3] = {
        { .cmd = MMUEXT_TLB_FLUSH_LOCAL },
        { .cmd = MMUEXT_NEW_BASEPTR, .arg1.mfn = HUGE_MFN },
        { .cmd = MMUEXT_TLB_FLUSH_LOCAL },
    };
    done = 0xdead;
    rc = hypercall_mmuext_op(batch, 3, &done, DOMID_SELF);
    printf("mmuext_op(TLB_FLUSH_LOCAL, NEW_BASEPTR(MFN 0x0fffffff), TLB_FLUSH_LOCAL): %ld done %u\n",
           rc, done);
    if (rc != -XEN_EINVAL || done != 1)
        xtf_failure("Fail: want -22 done 1\n");
    check_yes("CR3 still the new L3", read_cr3() == cr3_of(mfn_of(new_l3)));
    check_yes("0x3fe00000 still maps the data page", probe_read(TEST_VA) == 0xda7a0001 && !pv_exc_count);
    pv_exc_count = 0;

    /* Back to the boot tables. */
    check_rc("NEW_BASEPTR(boot L3)", ext1(MMUEXT_NEW_BASEPTR, boot_l3, 0), 0);
    check_yes("CR3 reads the boot L3 again", read_cr3() == cr3_of(boot_l3));
    pv_exc_count = 0;
    probe_read(TEST_VA);
    expect_exc("#PF reading 0x3fe00000", 14, 0x0000, TEST_VA, "3fe00000");
    check_rc("UNPIN_TABLE(new L3)", ext1(MMUEXT_UNPIN_TABLE, mfn_of(new_l3), 0), 0);
    check_rc("UNPIN_TABLE(new L3) again", ext1(MMUEXT_UNPIN_TABLE, mfn_of(new_l3), 0), -XEN_EINVAL);
    check_rc("update_va_mapping(former new L3, writable)", remap(new_l3, PTE_RW), 0);
    check_rc("update_va_mapping(former slot-0 L2 copy, writable)", remap(new_l2_0, PTE_RW), 0);
}

static void ldt_tests(void)
{
    const uint64_t desc = 0x00cff3000000ffffULL;        /* DPL-3 flat data */
    ldt_page[1] = desc;
    ldt_rw_page[1] = desc;

    check_rc("SET_LDT(base 0x1234, 2 entries)", ext1(MMUEXT_SET_LDT, 0x1234, 2), -XEN_EINVAL);
    check_rc("SET_LDT(8193 entries)", ext1(MMUEXT_SET_LDT, (uint32_t)ldt_page, 8193), -XEN_EINVAL);

    /* An LDT page that is mapped writable cannot be used. */
    check_rc("SET_LDT(writable page, 2 entries)", ext1(MMUEXT_SET_LDT, (uint32_t)ldt_rw_page, 2), 0);
    pv_exc_count = 0;
    load_fs(0x000f);
    expect_exc("#PF loading 0x000f (LDT page writable)", 14, 0x0000, (uint32_t)ldt_rw_page + 8,
               "LDT page+8");
    load_fs(0);

    /* A read-only one can. */
    check_rc("update_va_mapping(LDT page, read-only)", remap(ldt_page, PTE_RO), 0);
    check_rc("SET_LDT(read-only page, 2 entries)", ext1(MMUEXT_SET_LDT, (uint32_t)ldt_page, 2), 0);
    pv_exc_count = 0;
    load_fs(0x000f);
    uint32_t fs = pv_get_fs(), v = pv_read_fs((uint32_t)&probe_var);
    printf("load 0x000f into %%fs: %u exception(s), fs=%04x, reads probe_var: 0x%08x\n", pv_exc_count,
           fs, v);
    if (pv_exc_count || fs != 0x000f || v != 0x1d7ab1e5)
        xtf_failure("Fail: want no exception, fs=000f, 0x1d7ab1e5\n");
    pv_exc_count = 0;
    check_rc("update_va_mapping(LDT page in use, writable)", remap(ldt_page, PTE_RW), -XEN_EBUSY);
    load_fs(0);
    check_rc("SET_LDT(0 entries)", ext1(MMUEXT_SET_LDT, 0, 0), 0);
    load_fs(0x000f);
    expect_exc("#GP loading 0x000f without an LDT", 13, 0x000c, 0, NULL);
    load_fs(0);
    check_rc("update_va_mapping(former LDT page, writable)", remap(ldt_page, PTE_RW), 0);
}

void test_main(void)
{
    check_rc("set_trap_table", pv_setup_traps(), 0);
    check_rc("map shared_info", pv_map_shared_info(), 0);
    baseptr_tests();
    ldt_tests();
    xtf_success(NULL);
}
