/*
 * Minimal ring-1 handlers for the measured loops: each does the least a real
 * kernel must (resume after the fault, return to the interrupted ring), so
 * that the loops measure the delivery mechanism, not a C dispatcher. The
 * bare-metal twins in native-bench/stubs.S do the same work with IRET.
 *
 * Bounce frame (ABI §6.4) from ESP up: [error code], EIP, CS|mask<<16,
 * EFLAGS[, ESP, SS from ring 3]. The iret hypercall stub (ABI §6.7, entry
 * 23 of the hypercall page: push %eax; mov $23,%eax; int $0x82) wants
 * exactly that frame without the error code.
 */
#include <xen/xen.h>

    .text

/* #PF from `movl (%ecx), %eax` (8B 01, 2 bytes): count, skip it, return. */
    .globl bench_pf_entry
    .type bench_pf_entry, @function
bench_pf_entry:
    incl bench_pf_count
    addl $2, 4(%esp)                    /* EIP past the faulting load */
    add $4, %esp                        /* the error code */
    jmp HYPERCALL_iret
    .size bench_pf_entry, . - bench_pf_entry

/*
 * int $0x80 / int $0x81 from ring 3: return with the iret hypercall, as a
 * Xen PV kernel must when it goes back to ring 3 and may have to change the
 * upcall mask (Linux's xen_iret).
 */
    .globl bench_int_iret_hypercall
    .type bench_int_iret_hypercall, @function
bench_int_iret_hypercall:
    jmp HYPERCALL_iret
    .size bench_int_iret_hypercall, . - bench_int_iret_hypercall

/*
 * int $0x80 from ring 3 through the fast gate, returned with a native IRET
 * (ring 1 -> ring 3 is an outward IRET the hardware allows; the upcall mask
 * was not touched by the fast gate, so nothing needs the hypervisor).
 */
    .globl bench_int_native_iret
    .type bench_int_native_iret, @function
bench_int_native_iret:
    iret
    .size bench_int_native_iret, . - bench_int_native_iret

    .section .bss
    .balign 4
    .globl bench_pf_count
bench_pf_count:
    .skip 4

    .section .note.GNU-stack, "", @progbits
