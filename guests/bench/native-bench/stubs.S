/*
 * Ring-0 handlers of the bare-metal twins (native-bench/main.c): the same
 * work as the PV handlers in pv-bench/stubs.S, returning with IRET.
 */
    .text

/* int $0x30 from ring 1 (the hypercall's hardware part) and int $0x80 from ring 3. */
    .globl native_iret_entry
    .type native_iret_entry, @function
native_iret_entry:
    iret
    .size native_iret_entry, . - native_iret_entry

/* #PF from `movl (%ecx), %eax` (8B 01, 2 bytes): count, skip it, return. */
    .globl native_pf_entry
    .type native_pf_entry, @function
native_pf_entry:
    incl native_pf_count
    addl $2, 4(%esp)                    /* EIP past the faulting load */
    add $4, %esp                        /* the error code */
    iret
    .size native_pf_entry, . - native_pf_entry

/* The shape of a hypercall-page entry (ABI §3.2), trapping to ring 0 instead. */
    .globl native_trap_stub
    .type native_trap_stub, @function
native_trap_stub:
    mov $17, %eax
    int $0x30
    ret
    .size native_trap_stub, . - native_trap_stub

    .section .bss
    .balign 4
    .globl native_pf_count
native_pf_count:
    .skip 4

    .section .note.GNU-stack, "", @progbits
