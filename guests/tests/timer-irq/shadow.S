/*
 * The STI interrupt shadow (SDM Vol. 2 STI, Vol. 3 §6.8.3): with an
 * interrupt already pending, STI enables it only after the next
 * instruction, so the interrupted EIP is sti_after_next.
 * Returns in EAX how many of the two INCs ran before the interrupt
 * handler saw ECX (the handler records it).
 */
    .text
    .globl sti_shadow, sti_next, sti_after_next
sti_shadow:
    xor %ecx, %ecx
    sti
sti_next:
    inc %ecx
sti_after_next:
    inc %ecx
    cli
    mov %ecx, %eax
    ret

    .section .note.GNU-stack, "", @progbits
