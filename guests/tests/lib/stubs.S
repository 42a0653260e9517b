/*
 * Entry stubs for all 256 vectors, plus error-code-less variants of 0..31.
 *
 * Stub v sits at trap_stubs + 16*v (trap_stubs_noerr + 16*v): it pushes a
 * dummy error code 0 unless the CPU pushes one (vectors 8, 10-14, 17;
 * SDM Vol. 3 §6.13), pushes v, and jumps to trap_common, which saves the
 * registers, loads DS/ES with the flat data selector of the ring it runs in
 * (so stubs also work as ring-1/ring-2 handlers), and calls trap_dispatch().
 * The frame layout is struct trap_frame (trap.h).
 */
    .text
    .globl trap_common
trap_common:
    pusha
    pushl %ds
    pushl %es
    pushl %fs
    pushl %gs
    mov %cs, %eax
    and $3, %eax
    movw %cs:flat_data_sel(, %eax, 2), %ax
    mov %ax, %ds
    mov %ax, %es
    cld
    push %esp
    call trap_dispatch
    add $4, %esp
    popl %gs
    popl %fs
    popl %es
    popl %ds
    popa
    add $8, %esp
    iret

    .balign 2
flat_data_sel:
    .word 0x10, 0x21, 0x32, 0x43

    .altmacro
.macro STUB vec, err
    .balign 16
    .if \err == 0
    pushl $0
    .endif
    pushl $\vec
    jmp trap_common
.endm

    .balign 16
    .globl trap_stubs
trap_stubs:
    .set v, 0
    .rept 256
    .if v == 8 || (v >= 10 && v <= 14) || v == 17
    STUB %v, 1
    .else
    STUB %v, 0
    .endif
    .set v, v + 1
    .endr

    .balign 16
    .globl trap_stubs_noerr
trap_stubs_noerr:
    .set v, 0
    .rept 32
    STUB %v, 0
    .set v, v + 1
    .endr

    .section .note.GNU-stack, "", @progbits
