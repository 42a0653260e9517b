/*
 * Console: console_io(CONSOLEIO_write) (ABI §4.16, §9.1) and the PV console
 * ring (ABI §9.2), every message on both, as XTF and Mini-OS do. The ring is
 * found as XTF finds it (§10.1 step 2.11): unless SIF_INITDOMAIN, at VA
 * M2P[console.domU.mfn] << 12 (already mapped by the builder), port
 * console.domU.evtchn. Each ring write is followed by EVTCHNOP_send and
 * SCHEDOP_yield until the back-end has consumed everything (out_cons ==
 * out_prod). Newlines are written as "\n" (XTF would write "\r\n").
 */
#include "pv.h"

static xencons_interface_t *pv_ring;
static evtchn_port_t pv_ring_port;

void pv_console_init(void)
{
    if (start_info->flags & SIF_INITDOMAIN)
        return;
    uint32_t mfn = start_info->console.domU.mfn;
    evtchn_port_t port = start_info->console.domU.evtchn;
    uint32_t pfn = machine_to_phys_mapping[mfn];
    if (port >= NR_EVENT_CHANNELS || pfn >= start_info->nr_pages) {
        static const char msg[] = "Warning: no usable PV console ring\n";
        hypercall_console_io(CONSOLEIO_write, sizeof(msg) - 1, msg);
        return;
    }
    pv_ring = (xencons_interface_t *)(pfn << XEN_PAGE_SHIFT);
    pv_ring_port = port;
}

static size_t ring_write_some(const char *buf, size_t len)
{
    size_t s = 0;
    uint32_t cons = ACCESS_ONCE(pv_ring->out_cons), prod = pv_ring->out_prod;
    barrier();
    while (s < len && (prod - cons) < XENCONS_OUT_SIZE)
        pv_ring->out[prod++ & (XENCONS_OUT_SIZE - 1)] = buf[s++];
    barrier();                                  /* data before index (x86: TSO) */
    ACCESS_ONCE(pv_ring->out_prod) = prod;
    return s;
}

void pv_ring_write(const char *buf, size_t len)
{
    if (!pv_ring)
        return;
    size_t written = 0;
    do {
        uint32_t cons = ACCESS_ONCE(pv_ring->out_cons);
        written += ring_write_some(buf + written, len - written);
        hypercall_evtchn_send(pv_ring_port);
        if (written < len)                      /* ring full: wait for space */
            while (ACCESS_ONCE(pv_ring->out_cons) == cons)
                hypercall_yield();
    } while (written < len);
    while (ACCESS_ONCE(pv_ring->out_cons) != ACCESS_ONCE(pv_ring->out_prod))
        hypercall_yield();
}

void pv_console_write(const char *buf, size_t len)
{
    hypercall_console_io(CONSOLEIO_write, len, buf);
    pv_ring_write(buf, len);
}

int vprintf(const char *fmt, va_list ap)
{
    char buf[512];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
    pv_console_write(buf, len);
    return n;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}
