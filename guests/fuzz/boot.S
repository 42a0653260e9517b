/*
 * Fuzz kernel entry and the case trampoline.
 *
 * _start: Multiboot v1 entry (Multiboot 0.6.96 §3.2: protected mode, paging
 * off, the loader's GDT which we replace). Zero .bss, load our flat GDT,
 * reload all segment registers (FS/GS too: cases use them as overrides),
 * CR0 = PE|ET|NE, CR4 = 0, EFLAGS = 2, call kmain().
 *
 * fuzz_enter(case): saves the C callee-saved registers and ESP, points ESP
 * at FUZZ_STACK_MID, loads EFLAGS and the eight registers from the case and
 * "returns" into the case code, so the case starts with ESP == stack mid.
 *
 *   ESP -> [mid-8] eflags   popfl
 *          [mid-4] code     ret     -> ESP == mid at the first instruction
 *
 * The case ends in `jmp fuzz_save` (or an exception, see below); both store
 * the registers, EFLAGS, vector, error code and EIP in fuzz_out without
 * touching the stack before the registers are saved, then return from
 * fuzz_enter with EFLAGS = 2 (DF clear for C).
 *
 * Exceptions 0..31 go through interrupt gates (IF, TF, NT, RF cleared on
 * entry). No privilege change: the CPU pushes EFLAGS, CS, EIP (and an error
 * code) on the case stack. The stubs pop the error code into memory with
 * `popl` and record the vector with `movl` - neither changes a register
 * or a flag - before exc_common saves the rest.
 */
#include "fuzz.h"

#define KCODE 0x08
#define KDATA 0x10

    .section .multiboot, "a"
    .balign 4
    .long 0x1BADB002
    .long 0
    .long -0x1BADB002

    .section .text.boot, "ax"
    .globl _start
_start:
    cli
    cld
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    shr $2, %ecx
    xor %eax, %eax
    rep stosl
    lgdt gdt_desc
    ljmp $KCODE, $1f
1:  mov $KDATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov $boot_stack_top, %esp
    pushl $2
    popfl
    mov $0x31, %eax
    mov %eax, %cr0
    xor %eax, %eax
    mov %eax, %cr4
    call kmain
2:  cli
    hlt
    jmp 2b

    .text
    .globl fuzz_enter
fuzz_enter:
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov 20(%esp), %eax
    mov %esp, kernel_esp
    mov $FUZZ_STACK_MID - 8, %esp
    mov FC_EFLAGS(%eax), %ecx
    mov %ecx, (%esp)
    mov FC_CODE(%eax), %ecx
    mov %ecx, 4(%esp)
    movl $1, in_case
    popfl
    mov 4(%eax), %ecx
    mov 8(%eax), %edx
    mov 12(%eax), %ebx
    mov 20(%eax), %ebp
    mov 24(%eax), %esi
    mov 28(%eax), %edi
    mov 0(%eax), %eax
    ret

    .globl fuzz_save
fuzz_save:
    mov %eax, fuzz_out + 0
    mov %ecx, fuzz_out + 4
    mov %edx, fuzz_out + 8
    mov %ebx, fuzz_out + 12
    mov %esp, fuzz_out + 16
    mov %ebp, fuzz_out + 20
    mov %esi, fuzz_out + 24
    mov %edi, fuzz_out + 28
    pushfl
    popl fuzz_out + FO_EFLAGS
    movl $0xFFFFFFFF, fuzz_out + FO_VEC
    movl $0, fuzz_out + FO_ERR
    movl $0, fuzz_out + FO_EIP
fuzz_return:
    movl $0, in_case
    mov kernel_esp, %esp
    pushl $2
    popfl
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret

    .macro EXC n, haserr
exc_\n:
    .if \haserr
    popl fuzz_out + FO_ERR
    .else
    movl $0, fuzz_out + FO_ERR
    .endif
    movl $\n, fuzz_out + FO_VEC
    jmp exc_common
    .endm

    .irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
    EXC \n, 0
    .endr
    .irp n, 8,10,11,12,13,14,17,21,29,30
    EXC \n, 1
    .endr

exc_common:
    mov %eax, fuzz_out + 0
    mov %ecx, fuzz_out + 4
    mov %edx, fuzz_out + 8
    mov %ebx, fuzz_out + 12
    mov %ebp, fuzz_out + 20
    mov %esi, fuzz_out + 24
    mov %edi, fuzz_out + 28
    mov 0(%esp), %eax
    mov %eax, fuzz_out + FO_EIP
    mov 8(%esp), %eax
    mov %eax, fuzz_out + FO_EFLAGS
    lea 12(%esp), %eax
    mov %eax, fuzz_out + 16
    mov $KDATA, %ax
    mov %ax, %ds
    mov %ax, %es
    cmpl $0, in_case
    jne fuzz_return
    mov kernel_esp, %esp          /* an exception in the kernel itself */
    call fuzz_kernel_fault
3:  cli
    hlt
    jmp 3b

    .section .rodata
    .balign 4
    .globl fuzz_exc_stubs
fuzz_exc_stubs:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long exc_\n
    .endr

    .section .data
    .balign 16
gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF        /* 0x08 code, flat 4 GiB */
    .quad 0x00CF92000000FFFF        /* 0x10 data, flat 4 GiB */
gdt_end:
    .balign 4
    .word 0
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

    .section .bss
    .balign 16
    .globl fuzz_out
fuzz_out:
    .skip 48
kernel_esp:
    .skip 4
in_case:
    .skip 4
    .balign 16
boot_stack:
    .skip 16384
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
