/*
 * pv-descriptors: the guest GDT (ABI §4.3, §4.10, §5.2, §6.2).
 *
 * A page of .bss holding 16 descriptors becomes the guest GDT:
 *
 *  - set_gdt refuses it while it is still mapped writable (the frame cannot
 *    take the segment-descriptor type: -EINVAL), and while one of its 512
 *    descriptors fails check_descriptor (a 64-bit code descriptor, L bit:
 *    -EINVAL); more than 7168 entries, a frame that is no RAM of the guest
 *    (a huge MFN), a frame Xen shares with the guest (shared_info, which has
 *    a permanent writable type) all give -EINVAL; an unreadable frame list
 *    -EFAULT;
 *  - update_descriptor may clear the bad descriptor in the read-only, not
 *    yet typed frame (it takes the writable type for the write): 0; then
 *    set_gdt succeeds;
 *  - validation rewrote the frame in place (read back through the read-only
 *    mapping): the DPL-0 data and code descriptors now have DPL 1, the
 *    limit 0xF6800000 of a base-0 segment was widened to 4 GiB, a
 *    not-present descriptor and a DPL-3 2 GiB data descriptor are unchanged;
 *  - the guest selectors load (LAR/LSL agree with the stored values); the
 *    DPL-3 2 GiB data segment faults with #GP(0) beyond its limit (XTF
 *    memop-seg); a null descriptor below the GDT limit gives #GP(sel), a
 *    not-present data descriptor #NP(sel);
 *  - update_descriptor on the live GDT: misaligned, TSS, LDT, interrupt
 *    gate, 64-bit code, call gate with reserved bits or a hypervisor target
 *    selector: -EINVAL; a DPL-0 data descriptor is stored with DPL 1 and is
 *    loadable; a DPL-3 call gate to 0xE019 is accepted and stored as
 *    written: tsxen lets the CPU execute call gates natively (ABI §6.2
 *    allows it), where Xen stores it with DPL 0 and the DPL moved into the
 *    target's RPL (00108c00 e01b1234) and emulates every use — the one
 *    guest-visible difference, listed in docs/hypervisor.md; a page-table frame and a huge MFN:
 *    -EINVAL; an ordinary writable data page: 0 (DPL raised there too);
 *  - the live GDT frame cannot be mapped writable (update_va_mapping:
 *    -EBUSY) nor written by mmu_update (segment-descriptor type: -EINVAL);
 *  - set_gdt with 0 entries releases the frame, which maps writable again.
 */
#include "pv.h"

const char test_title[] = "pv-descriptors: set_gdt, update_descriptor, check_descriptor";

#define GDT_ENTS 16
static volatile uint64_t gdt[XEN_PAGE_SIZE / 8] PAGE_ALIGNED;
static volatile uint64_t data_page[XEN_PAGE_SIZE / 8] PAGE_ALIGNED;
static volatile uint32_t probe_var = 0x5e9a1234;

#define PTE_RW (XEN_PTE_PRESENT | XEN_PTE_RW | XEN_PTE_ACCESSED | XEN_PTE_DIRTY)
#define PTE_RO (XEN_PTE_PRESENT | XEN_PTE_ACCESSED)
#define HUGE_MFN 0x0fffffffu

/* Raw descriptors (high dword << 32 | low dword). */
#define D_DATA_DPL0_FLAT   0x00cf93000000ffffULL  /* base 0, 4 GiB, RW data, DPL 0 */
#define D_DATA_DPL1_FLAT   0x00cfb3000000ffffULL  /* ... with DPL 1 */
#define D_DATA_DPL3_2G     0x00c7f3000000ffffULL  /* base 0, limit 0x7ffff pages, DPL 3 */
#define D_DATA_DPL1_F68    0x00cfb300000067ffULL  /* base 0, limit 0xf67ff pages = 0xf6800000 */
#define D_CODE_DPL0_FLAT   0x00cf9b000000ffffULL  /* 32-bit code, DPL 0 */
#define D_CODE_DPL1_FLAT   0x00cfbb000000ffffULL
#define D_NOTPRESENT_JUNK  0x0000090012345678ULL  /* P = 0 (a TSS type): accepted as is */
#define D_DATA_DPL3_NP     0x00cf73000000ffffULL  /* DPL-3 data, P = 0 */
#define D_CODE64           0x00af9a000000ffffULL  /* L = 1: rejected */
#define D_TSS              0x0000890000000067ULL
#define D_LDT              0x0000820000000fffULL
#define D_INTGATE_DPL3     0x0000ee00e0191234ULL  /* 32-bit interrupt gate -> e019:1234 */
#define D_CALLGATE_DPL3    0x0010ec00e0191234ULL  /* 32-bit call gate DPL 3 -> e019:00101234 */
#define D_CALLGATE_STORED  0x00108c00e01b1234ULL  /* ... as Xen stores it */
#define D_CALLGATE_RSVD    0x0010ec20e0191234ULL  /* bit 5 of the high dword set */
#define D_CALLGATE_XEN     0x0010ec00e0081234ULL  /* target 0xe008 (Xen's ring-0 CS) */

#define SEL(idx, rpl) (((idx) << 3) | (rpl))

static void check_yes(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "yes" : "no");
    if (!ok)
        xtf_failure("Fail: %s\n", what);
}

static long set_gdt(const uint32_t *frames, unsigned entries)
{
    return _hypercall32_2(__HYPERVISOR_set_gdt, frames, entries);
}

static long update_descriptor(uint64_t maddr, uint64_t desc)
{
    return _hypercall32_4(__HYPERVISOR_update_descriptor, (uint32_t)maddr,
                          (uint32_t)(maddr >> 32), (uint32_t)desc, (uint32_t)(desc >> 32));
}

static uint64_t maddr_of(const volatile void *va)
{
    return ((uint64_t)pv_virt_to_mfn((const void *)va) << XEN_PAGE_SHIFT) |
           ((uint32_t)va & (XEN_PAGE_SIZE - 1));
}

static long remap(const volatile void *va, uint32_t flags)
{
    return hypercall_update_va_mapping((const void *)va,
                                       ((uint64_t)pv_virt_to_mfn((const void *)va) << XEN_PAGE_SHIFT) | flags,
                                       UVMF_INVLPG);
}

static void print_desc(const char *what, uint64_t got, uint64_t want)
{
    printf("%s: %08x %08x\n", what, (uint32_t)(got >> 32), (uint32_t)got);
    if (got != want)
        xtf_failure("Fail: %s: want %08x %08x\n", what, (uint32_t)(want >> 32), (uint32_t)want);
}

/* Selector loads and accesses through %fs / %gs, with fault recovery. */
static void load_fs(uint32_t sel)
{
    __asm__ volatile ("1: mov %k0, %%fs\n\t2:\n\t" PV_EXTABLE("1b", "2b") :: "r" (sel) : "memory");
}

static void load_gs(uint32_t sel)
{
    __asm__ volatile ("1: mov %k0, %%gs\n\t2:\n\t" PV_EXTABLE("1b", "2b") :: "r" (sel) : "memory");
}

static uint32_t lar(uint32_t sel)
{
    uint32_t v = 0;
    __asm__ volatile ("lar %1, %0\n\tjz 1f\n\tmov $0xffffffff, %0\n1:" : "=&r" (v) : "r" (sel) : "cc");
    return v;
}

static uint32_t lsl(uint32_t sel)
{
    uint32_t v = 0;
    __asm__ volatile ("lsl %1, %0\n\tjz 1f\n\tmov $0xeeeeeeee, %0\n1:" : "=&r" (v) : "r" (sel) : "cc");
    return v;
}

/* The exception since the last call, as pv-traps prints it. */
static void expect_exc(const char *name, unsigned vec, unsigned err)
{
    volatile struct pv_exc *e = &pv_last_exc;
    if (pv_exc_count != 1) {
        printf("%s: %u exceptions\n", name, pv_exc_count);
        xtf_failure("Fail: %s: want exactly one exception\n", name);
    } else {
        printf("%s: vec=%u err=%04x cs=%04x mask=%u if=%u\n", name, e->vector, e->error_code,
               e->cs, e->saved_upcall_mask, (e->eflags & X86_EFLAGS_IF) ? 1 : 0);
        if (e->vector != vec || e->error_code != err || e->cs != FLAT_RING1_CS ||
            e->saved_upcall_mask != 1 || (e->eflags & X86_EFLAGS_IF))
            xtf_failure("Fail: %s: want vec=%u err=%04x cs=e019 mask=1 if=0\n", name, vec, err);
    }
    pv_exc_count = 0;
}

static void expect_no_exc(const char *name)
{
    if (pv_exc_count) {
        printf("%s: unexpected exception vec=%u err=%04x\n", name, pv_last_exc.vector,
               pv_last_exc.error_code);
        xtf_failure("Fail: %s faulted\n", name);
        pv_exc_count = 0;
    }
}

void test_main(void)
{
    check_rc("set_trap_table", pv_setup_traps(), 0);
    check_rc("map shared_info", pv_map_shared_info(), 0);

    gdt[1] = D_DATA_DPL0_FLAT;
    gdt[2] = D_DATA_DPL3_2G;
    gdt[3] = D_DATA_DPL1_F68;
    gdt[4] = D_CODE_DPL0_FLAT;
    gdt[5] = D_NOTPRESENT_JUNK;
    gdt[6] = D_DATA_DPL3_NP;
    gdt[15] = D_CODE64;

    uint32_t gdt_mfn = pv_virt_to_mfn((const void *)gdt);
    uint32_t frames[1] = { gdt_mfn };

    /* 1. set_gdt refusals. */
    check_rc("set_gdt(frame still mapped writable, 16)", set_gdt(frames, GDT_ENTS), -XEN_EINVAL);
    check_rc("update_va_mapping(GDT page, read-only)", remap(gdt, PTE_RO), 0);
    check_rc("set_gdt(frame holding a 64-bit code descriptor, 16)", set_gdt(frames, GDT_ENTS),
             -XEN_EINVAL);
    check_rc("set_gdt(7169 entries)", set_gdt(frames, FIRST_RESERVED_GDT_ENTRY + 1), -XEN_EINVAL);
    uint32_t huge[1] = { HUGE_MFN };
    check_rc("set_gdt(MFN 0x0fffffff, 16)", set_gdt(huge, GDT_ENTS), -XEN_EINVAL);
    uint32_t si[1] = { start_info->shared_info >> XEN_PAGE_SHIFT };
    check_rc("set_gdt(shared_info frame, 16)", set_gdt(si, GDT_ENTS), -XEN_EINVAL);
    check_rc("set_gdt(frame list at HYPERVISOR_VIRT_START, 16)",
             set_gdt((const uint32_t *)HYPERVISOR_VIRT_START, GDT_ENTS), -XEN_EFAULT);

    /* 2. Clear the bad entry through update_descriptor, then install. */
    check_rc("update_descriptor(read-only GDT page, entry 15 := 0)",
             update_descriptor(maddr_of(&gdt[15]), 0), 0);
    print_desc("entry 15 reads", gdt[15], 0);
    check_rc("set_gdt(GDT page, 16)", set_gdt(frames, GDT_ENTS), 0);

    /* 3. What validation stored (read through the read-only mapping). */
    print_desc("entry 1 (DPL-0 flat data) stored", gdt[1], D_DATA_DPL1_FLAT);
    print_desc("entry 2 (DPL-3 2 GiB data) stored", gdt[2], D_DATA_DPL3_2G);
    print_desc("entry 3 (limit 0xf6800000) stored", gdt[3], D_DATA_DPL1_FLAT);
    print_desc("entry 4 (DPL-0 flat code) stored", gdt[4], D_CODE_DPL1_FLAT);
    print_desc("entry 5 (not present) stored", gdt[5], D_NOTPRESENT_JUNK);

    /* 4. The guest selectors. */
    printf("lar 0x0009: %08x, lar 0x0013: %08x, lar 0x0019: %08x, lar 0x0021: %08x\n",
           lar(SEL(1, 1)), lar(SEL(2, 3)), lar(SEL(3, 1)), lar(SEL(4, 1)));
    if (lar(SEL(1, 1)) != 0x00c0b300 || lar(SEL(2, 3)) != 0x00c0f300 ||
        lar(SEL(3, 1)) != 0x00c0b300 || lar(SEL(4, 1)) != 0x00c0bb00)
        xtf_failure("Fail: lar: want 00c0b300, 00c0f300, 00c0b300, 00c0bb00\n");
    printf("lsl 0x0013: %08x, lsl 0x0019: %08x\n", lsl(SEL(2, 3)), lsl(SEL(3, 1)));
    if (lsl(SEL(2, 3)) != 0x7fffffff || lsl(SEL(3, 1)) != 0xffffffff)
        xtf_failure("Fail: lsl: want 7fffffff, ffffffff\n");

    pv_exc_count = 0;
    load_fs(SEL(1, 1));
    expect_no_exc("load 0x0009");
    uint32_t fs = pv_get_fs();
    uint32_t v = pv_read_fs((uint32_t)&probe_var);
    printf("load 0x0009 into %%fs: fs=%04x, reads probe_var through it: %08x\n", fs, v);
    if (fs != SEL(1, 1) || v != 0x5e9a1234)
        xtf_failure("Fail: want fs=0009 and 5e9a1234\n");
    expect_no_exc("read through 0x0009");

    load_fs(SEL(2, 3));
    expect_no_exc("load 0x0013");
    v = pv_read_fs((uint32_t)&probe_var);
    printf("load 0x0013 (DPL 3, 2 GiB) into %%fs, reads probe_var: %08x\n", v);
    if (v != 0x5e9a1234)
        xtf_failure("Fail: want 5e9a1234\n");
    expect_no_exc("read through 0x0013");
    pv_read_fs(0xc0000000);
    expect_exc("#GP reading %fs:0xc0000000", 13, 0);
    pv_read_fs(0x7ffffffd);
    expect_exc("#GP reading 4 bytes at %fs:0x7ffffffd", 13, 0);
    load_fs(0);

    load_fs(SEL(20, 3));
    expect_exc("#GP loading 0x00a3 (entry 20, null, below the GDT limit)", 13, 0x00a0);
    load_fs(SEL(6, 3));
    expect_exc("#NP loading 0x0033 (not-present DPL-3 data)", 11, 0x0030);
    load_fs(0);

    /* 5. update_descriptor on the live GDT. */
    check_rc("update_descriptor(misaligned)", update_descriptor(maddr_of(&gdt[7]) + 4, D_DATA_DPL0_FLAT),
             -XEN_EINVAL);
    check_rc("update_descriptor(TSS)", update_descriptor(maddr_of(&gdt[7]), D_TSS), -XEN_EINVAL);
    check_rc("update_descriptor(LDT)", update_descriptor(maddr_of(&gdt[7]), D_LDT), -XEN_EINVAL);
    check_rc("update_descriptor(interrupt gate)", update_descriptor(maddr_of(&gdt[7]), D_INTGATE_DPL3),
             -XEN_EINVAL);
    check_rc("update_descriptor(64-bit code)", update_descriptor(maddr_of(&gdt[7]), D_CODE64),
             -XEN_EINVAL);
    check_rc("update_descriptor(call gate, reserved bit 5)",
             update_descriptor(maddr_of(&gdt[8]), D_CALLGATE_RSVD), -XEN_EINVAL);
    check_rc("update_descriptor(call gate to 0xe008)",
             update_descriptor(maddr_of(&gdt[8]), D_CALLGATE_XEN), -XEN_EINVAL);
    print_desc("entries 7 and 8 still empty", gdt[7] | gdt[8], 0);

    check_rc("update_descriptor(entry 7 := DPL-0 flat data)",
             update_descriptor(maddr_of(&gdt[7]), D_DATA_DPL0_FLAT), 0);
    print_desc("entry 7 stored", gdt[7], D_DATA_DPL1_FLAT);
    load_gs(SEL(7, 1));
    expect_no_exc("load 0x0039");
    v = pv_read_gs((uint32_t)&probe_var);
    printf("load 0x0039 into %%gs, reads probe_var: %08x\n", v);
    if (v != 0x5e9a1234)
        xtf_failure("Fail: want 5e9a1234\n");
    load_gs(0);
    check_rc("update_descriptor(entry 8 := DPL-3 call gate to e019)",
             update_descriptor(maddr_of(&gdt[8]), D_CALLGATE_DPL3), 0);
    print_desc("entry 8 stored", gdt[8], D_CALLGATE_DPL3); /* Xen: D_CALLGATE_STORED (see the header) */

    uint64_t l3_maddr = ((uint64_t)pv_virt_to_mfn((const void *)start_info->pt_base) << XEN_PAGE_SHIFT);
    check_rc("update_descriptor(L3 page table, slot 5)", update_descriptor(l3_maddr + 5 * 8, 0),
             -XEN_EINVAL);
    check_rc("update_descriptor(MFN 0x0fffffff)",
             update_descriptor((uint64_t)HUGE_MFN << XEN_PAGE_SHIFT, 0), -XEN_EINVAL);
    check_rc("update_descriptor(writable data page := DPL-0 flat data)",
             update_descriptor(maddr_of(&data_page[3]), D_DATA_DPL0_FLAT), 0);
    print_desc("data page entry 3 reads", data_page[3], D_DATA_DPL1_FLAT);

    /* 6. The live GDT frame stays read-only. */
    check_rc("update_va_mapping(GDT page, writable)", remap(gdt, PTE_RW), -XEN_EBUSY);
    mmu_update_t mu = { .ptr = maddr_of(&gdt[9]) | MMU_NORMAL_PT_UPDATE, .val = 0 };
    unsigned done = 0xdead;
    long rc = hypercall_mmu_update(&mu, 1, &done, DOMID_SELF);
    printf("mmu_update(write into the GDT frame): %ld done %u\n", rc, done);
    if (rc != -XEN_EINVAL || done != 0)
        xtf_failure("Fail: want -22 done 0\n");
    print_desc("entry 1 unchanged", gdt[1], D_DATA_DPL1_FLAT);

    /* 7. Release the GDT: the frame is ordinary memory again. */
    check_rc("set_gdt(0 entries)", set_gdt(frames, 0), 0);
    load_fs(SEL(1, 1));
    expect_exc("#GP loading 0x0009 after set_gdt(0 entries)", 13, 0x0008);
    load_fs(0);
    check_rc("update_va_mapping(former GDT page, writable)", remap(gdt, PTE_RW), 0);
    gdt[1] = 0;
    check_yes("former GDT page writable", gdt[1] == 0);

    xtf_success(NULL);
}
