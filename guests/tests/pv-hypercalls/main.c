/*
 * pv-hypercalls: the hypercall convention (ABI §3) and simple calls.
 * xen_version (ABI §4.15): version, extraversion, capabilities,
 * platform_parameters, pagesize, an unknown sub-op; the same call by a raw
 * `int $0x82` from ring 1; unused hypercall numbers below 64 and a page
 * entry >= 64 give -ENOSYS (ABI §3.1); sched_op (ABI §4.7) yield and an
 * unknown sub-op.
 */
#include "pv.h"

const char test_title[] = "pv-hypercalls: xen_version, -ENOSYS, sched_op yield";

/* Bytes after the string's terminating NUL are all NUL (XTF xsa-122). */
static int nul_padded(const char *buf, size_t size)
{
    size_t i = 0;
    while (i < size && buf[i]) i++;
    if (i == size)
        return 0;                       /* not even terminated */
    for (; i < size; i++)
        if (buf[i]) return 0;
    return 1;
}

static void check_yes(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "yes" : "no");
    if (!ok)
        xtf_failure("Fail: %s\n", what);
}

void test_main(void)
{
    long ver = hypercall_xen_version(XENVER_version, NULL);
    printf("XENVER_version: 0x%08lx (%lu.%lu)\n", ver, (unsigned long)ver >> 16, ver & 0xffffUL);
    if (ver != 0x00040017)
        xtf_failure("Fail: XENVER_version: want 0x00040017 (4.23)\n");

    /* One spare byte after each buffer keeps the strings terminated. */
    char extra[XENVER_LEN_EXTRAVERSION + 1];
    memset(extra, 0xaa, sizeof(extra));
    extra[XENVER_LEN_EXTRAVERSION] = 0;
    check_rc("XENVER_extraversion", hypercall_xen_version(XENVER_extraversion, extra), 0);
    printf("extraversion: \"%s\"\n", extra);
    if (strcmp(extra, "-unstable"))
        xtf_failure("Fail: extraversion: want \"-unstable\"\n");
    check_yes("extraversion NUL-padded to 16 bytes", nul_padded(extra, XENVER_LEN_EXTRAVERSION));

    static char caps[XENVER_LEN_CAPABILITIES_INFO + 1];
    memset(caps, 0xaa, XENVER_LEN_CAPABILITIES_INFO);
    check_rc("XENVER_capabilities", hypercall_xen_version(XENVER_capabilities, caps), 0);
    check_yes("capabilities list " XEN_ELFNOTE_STRING_GUEST_TYPE_PAE,
              strstr(caps, XEN_ELFNOTE_STRING_GUEST_TYPE_PAE) != NULL);
    check_yes("capabilities NUL-padded to 1024 bytes", nul_padded(caps, XENVER_LEN_CAPABILITIES_INFO));

    struct xen_platform_parameters pp = { .virt_start = 0 };
    check_rc("XENVER_platform_parameters", hypercall_xen_version(XENVER_platform_parameters, &pp), 0);
    printf("virt_start: 0x%08x\n", pp.virt_start);
    if (pp.virt_start != HYPERVISOR_VIRT_START)
        xtf_failure("Fail: virt_start: want 0x%08x\n", HYPERVISOR_VIRT_START);

    check_rc("XENVER_pagesize", hypercall_xen_version(XENVER_pagesize, NULL), XEN_PAGE_SIZE);
    check_rc("xen_version(99)", hypercall_xen_version(99, NULL), -XEN_ENOSYS);

    /* Raw int $0x82 from ring 1 is the same hypercall (ABI §3.1). */
    long raw = _hypercall32_raw2(__HYPERVISOR_xen_version, XENVER_version, 0);
    printf("int $0x82 XENVER_version: 0x%08lx\n", raw);
    if (raw != ver)
        xtf_failure("Fail: raw int $0x82 differs from the hypercall page\n");

    /* Numbers without a handler (11, 63) and >= 64 (page entry 100): -ENOSYS. */
    check_rc("hypercall 11", _hypercall32_0(11), -XEN_ENOSYS);
    check_rc("hypercall 63", _hypercall32_0(63), -XEN_ENOSYS);
    check_rc("hypercall 100 (hypercall page entry 100)", _hypercall32_0(100), -XEN_ENOSYS);

    check_rc("sched_op(SCHEDOP_yield)", hypercall_yield(), 0);
    check_rc("sched_op(99)", hypercall_sched_op(99, NULL), -XEN_ENOSYS);

    xtf_success(NULL);
}
