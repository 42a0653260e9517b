/*
 * pv-fastgate: the software-interrupt handlers (ring 1), the ring-3 code
 * that calls them, and a self-contained ring-3 entry/exit (the library's
 * pv_exec_user always runs ring 3 with events masked; this one takes the
 * EFLAGS.IF to hand to the iret hypercall, i.e. the upcall mask at ring 3).
 */
#include <xen/xen.h>

#define X86_EFLAGS_IF   0x200
#define FG_VEC_RET      0x22

/*
 * Handler for vectors 0x80 / 0x81. Entered with Xen's bounce frame
 * (ABI §6.4): EIP, CS | saved_upcall_mask << 16, EFLAGS [, ESP, SS].
 * fg_record(frame, eax, vector) returns the EAX to hand back; the iret
 * hypercall stub pushes it and returns through the same frame.
 */
.macro handler name vec
    .text
    .globl \name
    .type \name, @function
\name:
    cld
    push %ecx
    push %edx
    lea 8(%esp), %ecx                   /* the bounce frame */
    push $\vec
    push %eax
    push %ecx
    call fg_record
    add $12, %esp
    pop %edx
    pop %ecx
    jmp HYPERCALL_iret
    .size \name, . - \name
.endm

handler fg_int80_handler 0x80
handler fg_int81_handler 0x81

/* int $0x80 at ring 1: long fg_ring1_int80(long eax) */
    .globl fg_ring1_int80, fg_after_ring1_80
    .type fg_ring1_int80, @function
fg_ring1_int80:
    mov 4(%esp), %eax
    int $0x80
fg_after_ring1_80:
    ret
    .size fg_ring1_int80, . - fg_ring1_int80

/*
 * void fg_exec_user(void (*fn)(void), unsigned eflags_if): run fn at
 * ring 3 (iret hypercall to FLAT_RING3_CS with EFLAGS.IF = eflags_if, so
 * the upcall mask at ring 3 is !eflags_if); fn returns into a trampoline
 * that issues int $FG_VEC_RET (DPL 3, masks events), whose handler drops
 * the ring-3 frame and returns here.
 */
    .globl fg_exec_user
    .type fg_exec_user, @function
fg_exec_user:
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov 20(%esp), %eax                  /* fn, restored into EAX by iret */
    mov 24(%esp), %ecx                  /* 0 or X86_EFLAGS_IF */
    mov %esp, fg_saved_esp
    mov $FLAT_RING3_DS, %edx
    mov %edx, %ds
    mov %edx, %es
    push $FLAT_RING3_SS
    push $pv_user_stack_top
    pushf
    andl $~X86_EFLAGS_IF, (%esp)
    or %ecx, (%esp)
    push $FLAT_RING3_CS
    push $fg_user_trampoline
    jmp HYPERCALL_iret
    .size fg_exec_user, . - fg_exec_user

    .globl fg_ret_to_kernel
    .type fg_ret_to_kernel, @function
fg_ret_to_kernel:
    mov %ss:fg_saved_esp, %esp
    mov $FLAT_RING1_DS, %eax
    mov %eax, %ds
    mov %eax, %es
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret
    .size fg_ret_to_kernel, . - fg_ret_to_kernel

/* ---- ring 3 ---- */
    .section .user.text, "ax"
fg_user_trampoline:
    call *%eax
    int $FG_VEC_RET
    ud2

/*
 * Three int $0x80 (EAX 1, 2, 3) and one int $0x81 (EAX 4), each result
 * stored in fg_user_res[]; ESP at every int is fg_user_esp.
 */
    .globl fg_user_run, fg_after_80_1, fg_after_80_2, fg_after_80_3, fg_after_81
fg_user_run:
    push %ebx
    mov %esp, fg_user_esp
    mov $1, %eax
    int $0x80
fg_after_80_1:
    mov %eax, fg_user_res
    mov $2, %eax
    int $0x80
fg_after_80_2:
    mov %eax, fg_user_res + 4
    mov $3, %eax
    int $0x80
fg_after_80_3:
    mov %eax, fg_user_res + 8
    mov $4, %eax
    int $0x81
fg_after_81:
    mov %eax, fg_user_res + 12
    pop %ebx
    ret

/* One int $0x80 with EAX 5, result in fg_user_res[0]. */
    .globl fg_user_one80, fg_after_80_4
fg_user_one80:
    mov %esp, fg_user_esp
    mov $5, %eax
    int $0x80
fg_after_80_4:
    mov %eax, fg_user_res
    ret

    .section .user.data, "aw"
    .balign 4
    .globl fg_user_esp, fg_user_res
fg_user_esp:
    .long 0
fg_user_res:
    .long 0, 0, 0, 0

    .section .bss
    .balign 4
fg_saved_esp:
    .skip 4

    .section .note.GNU-stack, "", @progbits
