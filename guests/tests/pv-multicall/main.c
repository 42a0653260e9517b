/*
 * pv-multicall: batched hypercalls (ABI §4.12, §4.20, §6.7).
 *
 *  - a batch of 3 (xen_version, hypercall 63 which has no handler,
 *    console_io write): multicall returns 0, each entry's result is that
 *    call's return value (0x00040017, -ENOSYS, 0), the failure in the
 *    middle does not stop the batch;
 *  - an entry with op 100 (>= 64): -ENOSYS in its result;
 *  - 0 entries: 0;
 *  - a nested multicall entry: -EINVAL in its result, the inner list is not
 *    executed;
 *  - a list at HYPERVISOR_VIRT_START or in an unmapped page: -EFAULT, and
 *    a list whose 2nd entry lies in an unmapped page: the 1st runs (result
 *    written), then -EFAULT;
 *  - XSA-213: [iret to ring 3, xen_version] issued exactly as XTF does
 *    (raw int $0x82 with the iret frame on the stack): the multicall stops
 *    at the iret, returns the restored EAX 0xdead (also in the iret
 *    entry's result) at ring 3, and the xen_version entry never runs.
 */
#include "pv.h"

const char test_title[] = "pv-multicall: batches, per-entry results, nesting, -EFAULT, iret stops the batch";

#define SENTINEL 0x5a5a5a5au
#define MC_VEC_RET 0x21

long mc_iret_call(multicall_entry_t *list, unsigned nr);
void mc_recover(void);
extern volatile uint32_t mc_path;

static uint8_t two_pages[2 * XEN_PAGE_SIZE] PAGE_ALIGNED;

static long multicall(multicall_entry_t *list, unsigned nr)
{
    return _hypercall32_2(__HYPERVISOR_multicall, list, nr);
}

static multicall_entry_t entry(uint32_t op, uint32_t a0, uint32_t a1, uint32_t a2)
{
    multicall_entry_t e = { .op = op, .result = SENTINEL, .args = { a0, a1, a2, 0, 0, 0 } };
    return e;
}

static void check_result(const char *what, uint32_t got, uint32_t want)
{
    if (got == SENTINEL)
        printf("%s: not executed\n", what);
    else if ((int32_t)got >= 0x8000)
        printf("%s: 0x%08x\n", what, got);
    else
        printf("%s: %ld\n", what, (long)(int32_t)got);
    if (got != want)
        xtf_failure("Fail: %s: want %s%ld\n", what, want == SENTINEL ? "not executed " : "",
                    (long)(int32_t)want);
}

void test_main(void)
{
    check_rc("set_trap_table", pv_setup_traps(), 0);
    check_rc("map the user pages", pv_setup_user(), 0);
    static const struct trap_info ret_vec[] = {
        { MC_VEC_RET, 3 | TRAP_INFO_MASK_EVENTS, FLAT_RING1_CS, (uint32_t)mc_recover },
        { 0, 0, 0, 0 },
    };
    check_rc("set_trap_table(0x21 DPL 3)", hypercall_set_trap_table(ret_vec), 0);

    /* 1. Three calls, the middle one without a handler. */
    static const char text[] = "console_io line from inside a multicall\n";
    multicall_entry_t b[3];
    b[0] = entry(__HYPERVISOR_xen_version, XENVER_version, 0, 0);
    b[1] = entry(63, 0, 0, 0);
    b[2] = entry(__HYPERVISOR_console_io, CONSOLEIO_write, sizeof(text) - 1, (uint32_t)text);
    long rc = multicall(b, 3);
    pv_ring_write(text, sizeof(text) - 1);      /* the same line on the ring */
    check_rc("multicall(xen_version, hypercall 63, console_io)", rc, 0);
    check_result(" result[0] xen_version", b[0].result, 0x00040017);
    check_result(" result[1] hypercall 63", b[1].result, (uint32_t)-XEN_ENOSYS);
    check_result(" result[2] console_io", b[2].result, 0);

    /* 2. op >= 64, and an empty batch. */
    b[0] = entry(100, 0, 0, 0);
    check_rc("multicall(op 100)", multicall(b, 1), 0);
    check_result(" result[0] op 100", b[0].result, (uint32_t)-XEN_ENOSYS);
    check_rc("multicall(0 entries)", multicall(b, 0), 0);

    /* 3. Nested multicall. */
    multicall_entry_t inner[1] = { entry(__HYPERVISOR_xen_version, XENVER_version, 0, 0) };
    b[0] = entry(__HYPERVISOR_multicall, (uint32_t)inner, 1, 0);
    b[1] = entry(__HYPERVISOR_xen_version, XENVER_pagesize, 0, 0);
    check_rc("multicall(nested multicall, xen_version)", multicall(b, 2), 0);
    check_result(" result[0] nested multicall", b[0].result, (uint32_t)-XEN_EINVAL);
    check_result(" inner list entry", inner[0].result, SENTINEL);
    check_result(" result[1] xen_version(XENVER_pagesize)", b[1].result, XEN_PAGE_SIZE);

    /* 4. Unreadable lists. */
    check_rc("multicall(list at HYPERVISOR_VIRT_START, 1)",
             multicall((multicall_entry_t *)HYPERVISOR_VIRT_START, 1), -XEN_EFAULT);
    uint8_t *page2 = two_pages + XEN_PAGE_SIZE;
    check_rc("update_va_mapping(2nd page, not present)",
             hypercall_update_va_mapping(page2, 0, UVMF_INVLPG), 0);
    check_rc("multicall(list in an unmapped page, 1)", multicall((multicall_entry_t *)page2, 1),
             -XEN_EFAULT);
    multicall_entry_t *straddle = (multicall_entry_t *)(page2 - sizeof(multicall_entry_t));
    *straddle = entry(__HYPERVISOR_xen_version, XENVER_version, 0, 0);
    check_rc("multicall(2 entries, the 2nd in the unmapped page)", multicall(straddle, 2),
             -XEN_EFAULT);
    check_result(" result[0] xen_version", straddle->result, 0x00040017);
    check_rc("update_va_mapping(2nd page, mapped again)",
             hypercall_update_va_mapping(page2, ((uint64_t)pv_virt_to_mfn(page2) << XEN_PAGE_SHIFT) |
                                         XEN_PTE_PRESENT | XEN_PTE_RW | XEN_PTE_ACCESSED |
                                         XEN_PTE_DIRTY, UVMF_INVLPG), 0);

    /* 5. XSA-213: an iret entry ends the batch. */
    static multicall_entry_t x[2];
    x[0] = entry(__HYPERVISOR_iret, 0, 0, 0);
    x[1] = entry(__HYPERVISOR_xen_version, XENVER_version, 0, 0);
    rc = mc_iret_call(x, 2);
    printf("multicall(iret to ring 3, xen_version): 0x%lx, came back through %s\n", rc,
           mc_path == 3 ? "ring 3" : mc_path == 1 ? "ring 1 (no iret)" : "?");
    if (rc != 0xdead || mc_path != 3)
        xtf_failure("Fail: want 0xdead through ring 3\n");
    check_result(" result[0] iret", x[0].result, 0xdead);
    check_result(" result[1] xen_version", x[1].result, SENTINEL);

    /* Still in working order. */
    b[0] = entry(__HYPERVISOR_xen_version, XENVER_version, 0, 0);
    check_rc("multicall(xen_version) afterwards", multicall(b, 1), 0);
    check_result(" result[0] xen_version", b[0].result, 0x00040017);

    xtf_success(NULL);
}
