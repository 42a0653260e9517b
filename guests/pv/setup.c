/*
 * Start of day (ABI §1.11, XTF arch/x86/setup.c in miniature): check the
 * hypercall page was written, set up the console, print the banner, run the
 * test, report, shut down with SHUTDOWN_poweroff.
 */
#include "pv.h"

start_info_t *start_info;
shared_info_t *shared_info;

static uint8_t shared_info_page[XEN_PAGE_SIZE] PAGE_ALIGNED;

void pv_console_init(void);
void pv_main(start_info_t *si) __attribute__((noreturn));

/* Without a hypercall page nothing but raw int $0x82 can report the problem. */
static void __attribute__((noreturn)) no_hypercall_page(void)
{
    static const char msg[] = "PANIC: hypercall page not written by the domain builder\n";
    struct sched_shutdown s = { .reason = SHUTDOWN_crash };
    long res, i1, i2, i3;
    __asm__ volatile ("int $0x82" : "=a" (res), "=b" (i1), "=c" (i2), "=d" (i3)
                      : "0" (__HYPERVISOR_console_io), "1" (CONSOLEIO_write),
                        "2" (sizeof(msg) - 1), "3" (msg) : "memory");
    __asm__ volatile ("int $0x82" : "=a" (res), "=b" (i1), "=c" (i2)
                      : "0" (__HYPERVISOR_sched_op), "1" (SCHEDOP_shutdown), "2" (&s)
                      : "memory");
    for (;;)
        __asm__ volatile ("ud2");
}

void pv_main(start_info_t *si)
{
    start_info = si;
    if (hypercall_page[0] == 0xc3)
        no_hypercall_page();

    pv_console_init();
    printf("--- tsxen PV test ---\n");
    printf("Environment: PV 32bit (PAE 3 levels)\n");
    printf("%s\n", test_title);

    test_main();

    xtf_report_status();
    hypercall_shutdown(SHUTDOWN_poweroff);
    panic("SCHEDOP_shutdown(SHUTDOWN_poweroff) returned\n");
}

long pv_map_shared_info(void)
{
    long rc = hypercall_update_va_mapping(shared_info_page,
                                          (uint64_t)start_info->shared_info |
                                          XEN_PTE_PRESENT | XEN_PTE_RW |
                                          XEN_PTE_ACCESSED | XEN_PTE_DIRTY,
                                          UVMF_INVLPG);
    if (rc == 0)
        shared_info = (shared_info_t *)shared_info_page;
    return rc;
}
