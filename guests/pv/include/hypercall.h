/*
 * Hypercalls through the hypercall page (ABI §3): `call hypercall_page + 32*nr`
 * with EAX = number (loaded by the stub), arguments in EBX, ECX, EDX, ESI,
 * EDI, result in EAX (>= 0 success, -errno). Argument registers are treated
 * as clobbered (debug Xen overwrites them with 0xDEADF00D). Numbers, sub-ops
 * and structures come from the generated ABI headers (xen/xen.h).
 */
#ifndef PV_HYPERCALL_H
#define PV_HYPERCALL_H

#include <stdint.h>
#include <stddef.h>
#include <xen/xen.h>

/* The page the domain builder fills (HYPERCALL_PAGE note); poisoned with 0xC3. */
extern uint8_t hypercall_page[HYPERCALL_PAGE_SIZE];

#define _hc_stub(nr) "call hypercall_page + %c[off]"
#define _hc_off(nr)  [off] "i" ((nr) * HYPERCALL_PAGE_STUB_SIZE)

#define _hypercall32_0(nr)                                              \
({  long __res;                                                         \
    __asm__ volatile (_hc_stub(nr) : "=a" (__res) : _hc_off(nr) : "memory"); \
    __res; })

#define _hypercall32_1(nr, a1)                                          \
({  long __res, __i1;                                                   \
    __asm__ volatile (_hc_stub(nr) : "=a" (__res), "=b" (__i1)          \
                      : _hc_off(nr), "1" ((long)(a1)) : "memory");      \
    __res; })

#define _hypercall32_2(nr, a1, a2)                                      \
({  long __res, __i1, __i2;                                             \
    __asm__ volatile (_hc_stub(nr) : "=a" (__res), "=b" (__i1), "=c" (__i2) \
                      : _hc_off(nr), "1" ((long)(a1)), "2" ((long)(a2)) \
                      : "memory");                                      \
    __res; })

#define _hypercall32_3(nr, a1, a2, a3)                                  \
({  long __res, __i1, __i2, __i3;                                       \
    __asm__ volatile (_hc_stub(nr)                                      \
                      : "=a" (__res), "=b" (__i1), "=c" (__i2), "=d" (__i3) \
                      : _hc_off(nr), "1" ((long)(a1)), "2" ((long)(a2)), \
                        "3" ((long)(a3)) : "memory");                   \
    __res; })

#define _hypercall32_4(nr, a1, a2, a3, a4)                              \
({  long __res, __i1, __i2, __i3, __i4;                                 \
    __asm__ volatile (_hc_stub(nr)                                      \
                      : "=a" (__res), "=b" (__i1), "=c" (__i2), "=d" (__i3), \
                        "=S" (__i4)                                     \
                      : _hc_off(nr), "1" ((long)(a1)), "2" ((long)(a2)), \
                        "3" ((long)(a3)), "4" ((long)(a4)) : "memory"); \
    __res; })

#define _hypercall32_5(nr, a1, a2, a3, a4, a5)                          \
({  long __res, __i1, __i2, __i3, __i4, __i5;                           \
    __asm__ volatile (_hc_stub(nr)                                      \
                      : "=a" (__res), "=b" (__i1), "=c" (__i2), "=d" (__i3), \
                        "=S" (__i4), "=D" (__i5)                        \
                      : _hc_off(nr), "1" ((long)(a1)), "2" ((long)(a2)), \
                        "3" ((long)(a3)), "4" ((long)(a4)), "5" ((long)(a5)) \
                      : "memory");                                      \
    __res; })

/* A hypercall issued with a raw `int $0x82` (not through the page), 2 args. */
#define _hypercall32_raw2(nr, a1, a2)                                   \
({  long __res, __i1, __i2;                                             \
    __asm__ volatile ("int $0x82" : "=a" (__res), "=b" (__i1), "=c" (__i2) \
                      : "0" ((long)(nr)), "1" ((long)(a1)), "2" ((long)(a2)) \
                      : "memory");                                      \
    __res; })

static inline long hypercall_set_trap_table(const struct trap_info *t)
{ return _hypercall32_1(__HYPERVISOR_set_trap_table, t); }

static inline long hypercall_mmu_update(const mmu_update_t *reqs, unsigned count,
                                        unsigned *done, unsigned foreigndom)
{ return _hypercall32_4(__HYPERVISOR_mmu_update, reqs, count, done, foreigndom); }

static inline long hypercall_stack_switch(unsigned ss, const void *esp)
{ return _hypercall32_2(__HYPERVISOR_stack_switch, ss, esp); }

static inline long hypercall_set_callbacks(unsigned ev_cs, const void *ev_eip,
                                           unsigned fs_cs, const void *fs_eip)
{ return _hypercall32_4(__HYPERVISOR_set_callbacks, ev_cs, ev_eip, fs_cs, fs_eip); }

static inline long hypercall_update_va_mapping(const void *va, uint64_t pte, unsigned flags)
{ return _hypercall32_4(__HYPERVISOR_update_va_mapping, va, (uint32_t)pte,
                        (uint32_t)(pte >> 32), flags); }

static inline long hypercall_set_timer_op(uint64_t ns)
{ return _hypercall32_2(__HYPERVISOR_set_timer_op, (uint32_t)ns, (uint32_t)(ns >> 32)); }

static inline long hypercall_xen_version(int cmd, void *arg)
{ return _hypercall32_2(__HYPERVISOR_xen_version, cmd, arg); }

static inline long hypercall_console_io(int cmd, unsigned count, const char *buf)
{ return _hypercall32_3(__HYPERVISOR_console_io, cmd, count, buf); }

static inline long hypercall_vcpu_op(int cmd, unsigned vcpu, void *arg)
{ return _hypercall32_3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg); }

static inline long hypercall_mmuext_op(const mmuext_op_t *ops, unsigned count,
                                       unsigned *done, unsigned foreigndom)
{ return _hypercall32_4(__HYPERVISOR_mmuext_op, ops, count, done, foreigndom); }

static inline long hypercall_sched_op(int cmd, void *arg)
{ return _hypercall32_2(__HYPERVISOR_sched_op, cmd, arg); }

static inline long hypercall_event_channel_op(int cmd, void *arg)
{ return _hypercall32_2(__HYPERVISOR_event_channel_op, cmd, arg); }

static inline long hypercall_yield(void)
{ return hypercall_sched_op(SCHEDOP_yield, NULL); }

static inline long hypercall_block(void)
{ return hypercall_sched_op(SCHEDOP_block, NULL); }

static inline long hypercall_shutdown(unsigned reason)
{
    struct sched_shutdown s = { .reason = reason };
    return hypercall_sched_op(SCHEDOP_shutdown, &s);
}

static inline long hypercall_evtchn_send(evtchn_port_t port)
{
    struct evtchn_send s = { .port = port };
    return hypercall_event_channel_op(EVTCHNOP_send, &s);
}

#endif
