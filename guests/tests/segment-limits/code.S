/*
 * Code that must sit at known page offsets (CS limit cases) or switch SS
 * at ring 3 (stack limit cases).
 */
#include "limits.h"

    .section .text.limits, "ax"
    .balign 4096
    .globl lim_page_a, lim_fall_entry, lim_jmp_entry, lim_page_b
lim_page_a:
/* entered as L_CODELIM:lim_jmp_entry with EAX = target: near JMP beyond the limit */
lim_jmp_entry:
    movl $1f, at_insn
    movl $2f, at_next
1:  jmp *%eax
2:  ud2
/* entered as L_CODELIM:lim_fall_entry: run off the end of the limit */
lim_fall_entry:
    movl $lim_page_b, at_insn
    movl $lim_page_b, at_next
    jmp lim_last_byte
    .org lim_page_a + 4095, 0x90
lim_last_byte:
    nop
lim_page_b:
    ud2
    .balign 4096, 0xcc

    .text
/* uint32_t stack_op(uint32_t which) at ring 3 (EDI/ESI are clobbered: it is only
 * called through ring_call): switch SS:ESP, do one
 * stack access, switch back. which: 0 push @ESP=0x1000, 1 push @ESP=0x2000,
 * 2 load (%esp) @ESP=0x1000, 3 load 0x2000(%ebp), 4 expand-down push @ESP=0x1004,
 * 5 expand-down push @ESP=0x1000 */
    .globl stack_op
stack_op:
    push %ebp
    push %ebx
    mov 12(%esp), %ecx
    mov %esp, %ebx                   /* caller SS:ESP, restored at the end */
    mov %ss, %dx
    xor %ebp, %ebp
    /* which -> (ESP, code) via small tables, labels stored while DS/SS are flat */
    mov sp_table(, %ecx, 4), %edi
    mov ss_table(, %ecx, 4), %eax
    mov op_table(, %ecx, 4), %esi
    mov 0(%esi), %ecx                /* at_insn */
    mov %ecx, at_insn
    mov 4(%esi), %ecx                /* at_next */
    mov %ecx, at_next
    jmp *8(%esi)

op_push_start:
    mov %ax, %ss
    mov %edi, %esp
1:  pushl $0x5a5a5a5a
2:  jmp done
op_load_esp_start:
    mov %ax, %ss
    mov %edi, %esp
3:  movl (%esp), %eax
4:  jmp done
op_load_ebp_start:
    mov %ax, %ss
    mov %edi, %esp
5:  movl 0x2000(%ebp), %eax
6:  jmp done
done:
    mov %dx, %ss
    mov %ebx, %esp
    pop %ebx
    pop %ebp
    xor %eax, %eax
    ret

    .section .rodata
    .balign 4
op_push:     .long 1b, 2b, op_push_start
op_load_esp: .long 3b, 4b, op_load_esp_start
op_load_ebp: .long 5b, 6b, op_load_ebp_start
op_table:    .long op_push, op_push, op_load_esp, op_load_ebp, op_push, op_push
sp_table:    .long 0x1000, 0x2000, 0x1000, 0x1000, 0x1004, 0x1000
ss_table:    .long SELX(L_STACK3, 3), SELX(L_STACK3, 3), SELX(L_STACK3, 3), SELX(L_STACK3, 3)
             .long SELX(L_STACKDN3, 3), SELX(L_STACKDN3, 3)

    .section .note.GNU-stack, "", @progbits
