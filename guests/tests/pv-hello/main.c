/*
 * pv-hello: the smallest PV guest. Proves the builder honours the ELF notes
 * (entry, hypercall page, start_info in ESI), console_io(CONSOLEIO_write)
 * with its line buffering and errors (ABI §4.16), the PV console ring
 * (ABI §9.2) and sched_op(SCHEDOP_shutdown, SHUTDOWN_poweroff) (ABI §4.7).
 *
 * Each console_io write below is mirrored on the ring (pv_ring_write), so
 * the ring (stdout) and the hypervisor log ("(d1) " lines) carry the same
 * text (expected.txt).
 */
#include "pv.h"

const char test_title[] = "pv-hello: console_io, the console ring, SCHEDOP_shutdown";

static long cio_write(const char *s)
{
    long rc = hypercall_console_io(CONSOLEIO_write, strlen(s), s);
    pv_ring_write(s, strlen(s));
    return rc;
}

void test_main(void)
{
    long rc = cio_write("Hello, world!\n");
    check_rc("console_io(CONSOLEIO_write)", rc, 0);

    /* Xen buffers a domU's console_io bytes until '\n': one log line. */
    long rc1 = cio_write("one line ");
    long rc2 = cio_write("from two writes\n");
    check_rc("console_io(CONSOLEIO_write) first half", rc1, 0);
    check_rc("console_io(CONSOLEIO_write) second half", rc2, 0);

    /* A zero-length write does nothing and succeeds. */
    check_rc("console_io(CONSOLEIO_write, 0 bytes)",
             hypercall_console_io(CONSOLEIO_write, 0, "x"), 0);

    /* Guest buffers must lie below HYPERVISOR_VIRT_START: -EFAULT (ABI §3.3). */
    check_rc("console_io(CONSOLEIO_write, buffer at HYPERVISOR_VIRT_START)",
             hypercall_console_io(CONSOLEIO_write, 16, (const char *)HYPERVISOR_VIRT_START),
             -XEN_EFAULT);

    /* Unknown sub-op: -ENOSYS. */
    check_rc("console_io(99)", hypercall_console_io(99, 0, NULL), -XEN_ENOSYS);

    xtf_success(NULL);
}
