/*
 * Code the debug-register tests run, with a global label on every
 * instruction whose address a #DB may report (debug.c prints EIPs as
 * label names). cdecl: argument at 4(%esp), result in %eax.
 */
#define TF 0x100
#define LABEL(n) .globl n; n:

    .text
/* Instruction breakpoints: four distinct instructions, then one in a loop. */
LABEL(ibp_code)
    xor %eax, %eax
LABEL(ibp_l0)
    inc %eax
LABEL(ibp_l1)
    inc %eax
LABEL(ibp_l2)
    inc %eax
LABEL(ibp_l3)
    inc %eax
LABEL(ibp_ret)
    ret

LABEL(ibp_loop)
    xor %eax, %eax
    mov $2, %ecx
LABEL(ibp_loop_insn)
    inc %eax
    dec %ecx
    jnz ibp_loop_insn
    ret

/* Data accesses: one instruction each, the label after it is where a
 * data breakpoint (a trap) reports. */
LABEL(da_wr8)
    mov 4(%esp), %edx
    movb $0x5A, (%edx)
LABEL(da_wr8_end)
    ret
LABEL(da_wr16)
    mov 4(%esp), %edx
    movw $0x5A5A, (%edx)
LABEL(da_wr16_end)
    ret
LABEL(da_wr32)
    mov 4(%esp), %edx
    movl $0x5A5A5A5A, (%edx)
LABEL(da_wr32_end)
    ret
LABEL(da_rd8)
    mov 4(%esp), %edx
    movzbl (%edx), %eax
LABEL(da_rd8_end)
    ret
LABEL(da_rd32)
    mov 4(%esp), %edx
    movl (%edx), %eax
LABEL(da_rd32_end)
    ret
/* read-modify-write */
LABEL(da_inc32)
    mov 4(%esp), %edx
    incl (%edx)
LABEL(da_inc32_end)
    ret

/* Port I/O: port in the argument. */
LABEL(io_outb)
    mov 4(%esp), %edx
    xor %eax, %eax
    outb %al, %dx
LABEL(io_outb_end)
    ret
LABEL(io_outw)
    mov 4(%esp), %edx
    xor %eax, %eax
    outw %ax, %dx
LABEL(io_outw_end)
    ret
LABEL(io_inb)
    mov 4(%esp), %edx
    inb %dx, %al
LABEL(io_inb_end)
    movzbl %al, %eax
    ret

/* Single step: POPF sets TF; the first trap follows the next instruction;
 * the POPF that clears TF still traps (TF was set when it began). */
LABEL(ss_block)
    pushf
    orl $TF, (%esp)
    popf
LABEL(ss_1)
    nop
LABEL(ss_2)
    mov $1, %eax
LABEL(ss_3)
    pushf
LABEL(ss_4)
    andl $~TF, (%esp)
LABEL(ss_5)
    popf
LABEL(ss_6)
    ret

/* MOV SS and POP SS hold off the single-step trap for one instruction. */
LABEL(mss_block)
    mov %ss, %eax
    pushf
    orl $TF, (%esp)
    popf
LABEL(mss_1)
    nop
LABEL(mss_2)
    mov %eax, %ss
LABEL(mss_3)
    nop
LABEL(mss_4)
    push %ss
LABEL(mss_5)
    pop %ss
LABEL(mss_6)
    nop
LABEL(mss_7)
    pushf
LABEL(mss_8)
    andl $~TF, (%esp)
LABEL(mss_9)
    popf
LABEL(mss_10)
    ret

/* Single-stepping a faulting instruction: UD2 faults (no step trap for
 * it), the #UD handler skips it, stepping resumes after the next one. */
LABEL(sud_block)
    pushf
    orl $TF, (%esp)
    popf
LABEL(sud_1)
    nop
LABEL(sud_2)
    ud2
LABEL(sud_3)
    nop
LABEL(sud_4)
    pushf
LABEL(sud_5)
    andl $~TF, (%esp)
LABEL(sud_6)
    popf
LABEL(sud_7)
    ret

    .section .note.GNU-stack, "", @progbits
