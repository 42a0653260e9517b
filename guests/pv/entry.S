/*
 * Exception, event-upcall and failsafe entry stubs, and ring-3 execution.
 *
 * Xen's bounce frame (ABI §6.4), from the new ESP up: [error code], EIP,
 * CS | saved_upcall_mask << 16, EFLAGS (IF = !saved mask), [ESP, SS if the
 * interrupted context was ring 2/3]. Each stub pushes a 0 error code if the
 * vector has none, then the vector, so that every frame is struct pv_regs
 * (pv.h) once the registers are saved. Return is by the iret hypercall
 * (ABI §6.7: jump to hypercall_page + 23*32 with EIP, CS, EFLAGS[, ESP, SS]
 * on the stack; the stub pushes EAX), which also restores the upcall mask
 * from the frame's EFLAGS.IF, exactly as XTF's entry_32.S does.
 */
#include <xen/xen.h>

#define X86_EFLAGS_IF  0x200
#define PV_VEC_UPCALL  0x100
#define PV_VEC_RET2KERN 0x20

.macro entry_noec name vec
    .globl \name
    .type \name, @function
\name:
    push $0
    push $\vec
    jmp pv_handle_exception
    .size \name, . - \name
.endm

.macro entry_ec name vec
    .globl \name
    .type \name, @function
\name:
    push $\vec
    jmp pv_handle_exception
    .size \name, . - \name
.endm

    .text
entry_noec pv_entry_DE  0
entry_noec pv_entry_DB  1
entry_noec pv_entry_NMI 2
entry_noec pv_entry_BP  3
entry_noec pv_entry_OF  4
entry_noec pv_entry_BR  5
entry_noec pv_entry_UD  6
entry_noec pv_entry_NM  7
entry_ec   pv_entry_DF  8
entry_ec   pv_entry_TS  10
entry_ec   pv_entry_NP  11
entry_ec   pv_entry_SS  12
entry_ec   pv_entry_GP  13
entry_ec   pv_entry_PF  14
entry_noec pv_entry_MF  16
entry_ec   pv_entry_AC  17
entry_noec pv_entry_MC  18
entry_noec pv_entry_XM  19
entry_noec pv_entry_VE  20
/* Event upcall (set_callbacks event entry, ABI §6.5): no error code. */
entry_noec pv_entry_upcall PV_VEC_UPCALL

    .balign 16
pv_handle_exception:
    push %es
    push %ds
    push %eax
    push %ebp
    push %edi
    push %esi
    push %edx
    push %ecx
    push %ebx
    mov $FLAT_RING1_DS, %eax            /* ring 3 left its own data segments */
    mov %eax, %ds
    mov %eax, %es
    cld
    push %esp                           /* struct pv_regs * */
    call pv_do_exception
    add $4, %esp
    pop %ebx
    pop %ecx
    pop %edx
    pop %esi
    pop %edi
    pop %ebp
    pop %eax
    pop %ds
    pop %es
    add $8, %esp                        /* vector, error code */
    jmp HYPERCALL_iret
    .size pv_handle_exception, . - pv_handle_exception

/*
 * Failsafe callback (ABI §6.5): frame DS, ES, FS, GS, EIP, CS|mask<<16,
 * EFLAGS[, ESP, SS]. Reports and crashes (a test never expects it).
 */
    .globl pv_entry_failsafe
    .type pv_entry_failsafe, @function
pv_entry_failsafe:
    mov $FLAT_RING1_DS, %eax
    mov %eax, %ds
    mov %eax, %es
    cld
    push %esp
    call pv_do_failsafe                 /* noreturn */
    ud2
    .size pv_entry_failsafe, . - pv_entry_failsafe

/*
 * void pv_exec_user(void (*fn)(void)): build an iret-hypercall frame for
 * ring 3 (SS FLAT_RING3_SS, ESP user stack, EFLAGS with IF clear so events
 * stay masked, CS FLAT_RING3_CS, EIP trampoline) with EAX = fn, as XTF's
 * exec_user. int $PV_VEC_RET2KERN (DPL 3) comes back on the stack_switch
 * stack, in pv_entry_ret_to_kernel, which resumes here.
 */
    .globl pv_exec_user
    .type pv_exec_user, @function
pv_exec_user:
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov 20(%esp), %eax                  /* fn, restored into EAX by iret */
    mov %esp, pv_user_ret_esp
    mov $FLAT_RING3_DS, %ecx            /* ring 1 may load DPL-3 data selectors */
    mov %ecx, %ds
    mov %ecx, %es
    push $FLAT_RING3_SS
    push $pv_user_stack_top
    pushf
    andl $~X86_EFLAGS_IF, (%esp)
    push $FLAT_RING3_CS
    push $pv_user_trampoline
    jmp HYPERCALL_iret
    .size pv_exec_user, . - pv_exec_user

    .globl pv_entry_ret_to_kernel
    .type pv_entry_ret_to_kernel, @function
pv_entry_ret_to_kernel:
    mov %ss:pv_user_ret_esp, %esp       /* drop the ring-3 frame */
    mov $FLAT_RING1_DS, %eax
    mov %eax, %ds
    mov %eax, %es
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret
    .size pv_entry_ret_to_kernel, . - pv_entry_ret_to_kernel

    .section .user.text, "ax"
    .globl pv_user_trampoline
pv_user_trampoline:
    call *%eax
    int $PV_VEC_RET2KERN
    ud2

    .section .bss
    .balign 4
pv_user_ret_esp:
    .skip 4

    .section .note.GNU-stack, "", @progbits
