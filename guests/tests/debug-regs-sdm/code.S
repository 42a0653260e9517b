/*
 * Code for debug-regs-sdm, labels on every instruction boundary a #DB may
 * report. cdecl: argument at 4(%esp).
 */
#define TF 0x100
#define LABEL(n) .globl n; n:

    .text
/* DR7.GD: any MOV to or from a debug register faults with DR6.BD. */
LABEL(gd_read)
LABEL(gd_read_insn)
    mov %dr0, %eax
LABEL(gd_read_end)
    ret
LABEL(gd_write)
    xor %eax, %eax
LABEL(gd_write_insn)
    mov %eax, %dr7
LABEL(gd_write_end)
    ret

/* MOV SS reading a watched word: the #DB waits for the next instruction. */
LABEL(movss_db)
    mov 4(%esp), %edx
LABEL(movss_insn)
    mov (%edx), %ss
LABEL(movss_next)
    nop
LABEL(movss_after)
    ret

/* POP SS reading a watched stack slot; arg = DR7 value to arm DR0 with. */
LABEL(popss_db)
    mov 4(%esp), %ecx
    push %ss
    mov %esp, %eax
    mov %eax, %dr0
    mov %ecx, %dr7
LABEL(popss_insn)
    pop %ss
LABEL(popss_next)
    nop
LABEL(popss_after)
    xor %eax, %eax
    mov %eax, %dr7
    ret

/* One dword write meeting two breakpoints. */
LABEL(two_wr32)
    mov 4(%esp), %edx
    movl $0x5A5A5A5A, (%edx)
LABEL(two_wr32_end)
    ret

/* Single step and a data breakpoint on the same instruction. */
LABEL(sdb_block)
    mov 4(%esp), %edx
    pushf
    orl $TF, (%esp)
    popf
LABEL(sdb_1)
    nop
LABEL(sdb_2)
    movl $7, (%edx)
LABEL(sdb_3)
    pushf
LABEL(sdb_4)
    andl $~TF, (%esp)
LABEL(sdb_5)
    popf
LABEL(sdb_6)
    ret

    .section .note.GNU-stack, "", @progbits
