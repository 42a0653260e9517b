/*
 * trap_setjmp / trap_longjmp: setjmp-like recovery that may cross rings
 * outward, and the small IRET helpers ring.c uses.
 *
 * struct jmpbuf (trap.h), byte offsets:
 *   0 ebx  4 esi  8 edi  12 ebp  16 esp  20 eip  24 eflags  28 cs
 *   32 ss  36 ds  40 es  44 fs  48 gs
 *
 * trap_longjmp from the CPL saved in jb.cs: switch SS:ESP, POPF, reload
 * segments and jump. From an inner ring (a handler at CPL 0 resuming a TRY
 * taken at CPL 3): IRET to jb's SS:ESP, EFLAGS and CS at longjmp_outer,
 * which reloads the data segments (IRET may have nulled them) and jumps.
 * All jmpbuf reads use a CS override: CS is flat and readable at every ring,
 * whereas DS may be anything when we get here.
 */
    .text
    .globl trap_setjmp
trap_setjmp:
    mov 4(%esp), %edx
    mov %ebx, 0(%edx)
    mov %esi, 4(%edx)
    mov %edi, 8(%edx)
    mov %ebp, 12(%edx)
    lea 4(%esp), %ecx
    mov %ecx, 16(%edx)
    mov (%esp), %ecx
    mov %ecx, 20(%edx)
    pushfl
    popl 24(%edx)
    xor %ecx, %ecx
    mov %cs, %cx
    mov %ecx, 28(%edx)
    mov %ss, %cx
    mov %ecx, 32(%edx)
    mov %ds, %cx
    mov %ecx, 36(%edx)
    mov %es, %cx
    mov %ecx, 40(%edx)
    mov %fs, %cx
    mov %ecx, 44(%edx)
    mov %gs, %cx
    mov %ecx, 48(%edx)
    xor %eax, %eax
    ret

    .globl trap_longjmp
trap_longjmp:
    mov 4(%esp), %edx
    mov 8(%esp), %eax
    test %eax, %eax
    jnz 1f
    inc %eax
1:  mov %cs, %ecx
    and $3, %ecx
    mov %cs:28(%edx), %ebx
    and $3, %ebx
    cmp %ecx, %ebx
    jne 2f
    /* same CPL */
    mov %cs:32(%edx), %ecx
    mov %cx, %ss
    mov %cs:16(%edx), %esp
    pushl %cs:24(%edx)
    popfl
    pushl %cs:20(%edx)
    jmp longjmp_segs
2:  jb 3f                           /* target ring inner than ours: impossible */
    pushl %cs:32(%edx)              /* SS */
    pushl %cs:16(%edx)              /* ESP */
    pushl %cs:24(%edx)              /* EFLAGS */
    pushl %cs:28(%edx)              /* CS */
    pushl $longjmp_outer
    iret
3:  pushl $longjmp_inward_msg
    call panic

longjmp_outer:                      /* now at jb's CPL, ESP = jb.esp */
    pushl %cs:20(%edx)
longjmp_segs:                       /* EIP on the stack, EAX = value */
    mov %cs:0(%edx), %ebx
    mov %cs:4(%edx), %esi
    mov %cs:8(%edx), %edi
    mov %cs:12(%edx), %ebp
    mov %cs:40(%edx), %ecx
    mov %cx, %es
    mov %cs:44(%edx), %ecx
    mov %cx, %fs
    mov %cs:48(%edx), %ecx
    mov %cx, %gs
    mov %cs:36(%edx), %ecx
    mov %cx, %ds
    ret

/* void iret_to(eip, cs, eflags, esp, ss, dsel) */
    .globl iret_to
iret_to:
    mov 24(%esp), %eax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    pushl 20(%esp)              /* ss     (each push moves ESP by 4, so  */
    pushl 20(%esp)              /* esp     the same offset walks the    */
    pushl 20(%esp)              /* eflags  arguments downwards)         */
    pushl 20(%esp)              /* cs */
    pushl 20(%esp)              /* eip */
    iret

/* ring_call's callee returns here (at its own CPL) with the result in EAX. */
    .globl ring_exit_stub
ring_exit_stub:
    int $0x81
    ud2

    .section .rodata
longjmp_inward_msg:
    .asciz "trap_longjmp: target ring is inner"

    .section .note.GNU-stack, "", @progbits
