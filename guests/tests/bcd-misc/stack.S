/*
 * Stack-shape sequences run on a private stack (bm_stack, 256 bytes) so the
 * C side can print every slot they write. Each routine saves the C callee-
 * saved registers and ESP, switches ESP to bm_stack + 0x100, runs, stores
 * what it observed into bm_out[] and returns. Register values that are
 * stack addresses are stored raw; the C side prints them minus bm_stack.
 *
 * SDM Vol. 2: ENTER, LEAVE, PUSHA/PUSHAD, POPA/POPAD, PUSH, POP.
 */
        .section .bss
        .balign 65536           /* low 16 bits of stack addresses = offsets (16-bit pushes print them) */
        .globl bm_stack, bm_out
bm_stack:
        .space 256
bm_stack_top:
bm_out:
        .space 64 * 4
bm_save_esp:
        .space 4

        .text
.macro BEGIN name
        .globl \name
\name:
        pushl %ebx
        pushl %esi
        pushl %edi
        pushl %ebp
        movl %esp, bm_save_esp
        movl $bm_stack_top, %esp
.endm
.macro END
        movl bm_save_esp, %esp
        popl %ebp
        popl %edi
        popl %esi
        popl %ebx
        ret
.endm
.macro OUT reg, slot
        movl \reg, bm_out + 4 * \slot
.endm

/* ENTER imm16, level; then LEAVE. EBP starts at bm_stack + 0xC0, a fake
 * frame whose lower dwords hold the C-filled pattern (the display copied by
 * nesting levels > 1). out: esp, ebp after ENTER; esp, ebp after LEAVE. */
.macro ENTER_CASE name, size, level
BEGIN \name
        movl $bm_stack + 0xC0, %ebp
        enter $\size, $\level
        OUT %esp, 0
        OUT %ebp, 1
        leave
        OUT %esp, 2
        OUT %ebp, 3
END
.endm
ENTER_CASE bm_enter_0, 8, 0
ENTER_CASE bm_enter_1, 12, 1
ENTER_CASE bm_enter_3, 16, 3
ENTER_CASE bm_enter_33, 4, 33          /* level is taken mod 32: acts as 1 */
ENTER_CASE bm_enter_0_0, 0, 0

/* 16-bit ENTER/LEAVE (0x66): pushes words, sets BP only; EBP upper half kept. */
BEGIN bm_enterw_2
        movl $bm_stack + 0xC0, %ebp
        enterw $6, $2
        OUT %esp, 0
        OUT %ebp, 1
        leavew
        OUT %esp, 2
        OUT %ebp, 3
END

/* PUSHA/POPA: out 0..7 = EAX ECX EDX EBX ESP EBP ESI EDI after POPA
 * (registers clobbered in between), out 8 = ESP after PUSHA. */
BEGIN bm_pusha
        movl $0x11111111, %eax
        movl $0x22222222, %ecx
        movl $0x33333333, %edx
        movl $0x44444444, %ebx
        movl $0x55555555, %ebp
        movl $0x66666666, %esi
        movl $0x77777777, %edi
        pushal
        OUT %esp, 8
        movl $-1, %eax
        movl $-1, %ecx
        movl $-1, %edx
        movl $-1, %ebx
        movl $-1, %ebp
        movl $-1, %esi
        movl $-1, %edi
        movl $0x9999, 12(%esp)          /* the ESP slot: POPA must skip it */
        popal
        OUT %eax, 0
        OUT %ecx, 1
        OUT %edx, 2
        OUT %ebx, 3
        OUT %esp, 4
        OUT %ebp, 5
        OUT %esi, 6
        OUT %edi, 7
END

/* PUSHAW/POPAW: 16-bit; POPAW writes low halves only. */
BEGIN bm_pushaw
        movl $0xA1A11111, %eax
        movl $0xA2A22222, %ecx
        movl $0xA3A33333, %edx
        movl $0xA4A44444, %ebx
        movl $0xA5A55555, %ebp
        movl $0xA6A66666, %esi
        movl $0xA7A77777, %edi
        pushaw
        OUT %esp, 8
        movl $0xBBBB0000, %eax
        movl $0xBBBB0000, %ecx
        movl $0xBBBB0000, %edx
        movl $0xBBBB0000, %ebx
        movl $0xBBBB0000, %ebp
        movl $0xBBBB0000, %esi
        movl $0xBBBB0000, %edi
        popaw
        OUT %eax, 0
        OUT %ecx, 1
        OUT %edx, 2
        OUT %ebx, 3
        OUT %esp, 4
        OUT %ebp, 5
        OUT %esi, 6
        OUT %edi, 7
END

/* PUSH ESP pushes the value before the decrement; PUSHW SP likewise;
 * POP ESP loads ESP from the stack (the increment is lost); POP m with an
 * ESP base computes the address after the increment; PUSH m with an ESP
 * base computes it before the decrement. */
BEGIN bm_push_esp
        pushl %esp
        OUT %esp, 0
        popl %eax
        OUT %eax, 1
        pushw %sp
        OUT %esp, 2
        popw %ax
        OUT %eax, 3
        pushl $bm_stack + 0x40
        popl %esp
        OUT %esp, 4
        movl $bm_stack_top, %esp
        pushl $0xAAAA0001
        pushl $0xBBBB0002
        pushl $0xCCCC0003
        popl 4(%esp)                    /* writes old ESP + 8: the AAAA slot */
        OUT %esp, 5
        popl %eax
        OUT %eax, 6
        popl %eax
        OUT %eax, 7
        movl $bm_stack_top, %esp
        pushl $0x12345678
        pushl (%esp)
        pushl 4(%esp)
        popl %eax
        OUT %eax, 8
        popl %eax
        OUT %eax, 9
        OUT %esp, 10
        movl $bm_stack_top, %esp
        pushl $0xEEEE0005
        pushl $0xDDDD0004
        popw 2(%esp)                    /* 16-bit pop to memory, ESP+2 first: writes the EEEE0005 slot */
        OUT %esp, 11
        popw %ax
        OUT %eax, 12
END

/* PUSH seg: 32-bit operand size moves ESP by 4; only the low 16 bits of the
 * slot are defined (recent CPUs write 16 bits, others zero-extend), so the
 * slot is prefilled and the C side masks it. POP seg with 32-bit operand
 * size reads a dword and loads its low 16 bits. */
BEGIN bm_push_seg
        movl $0x10, %eax                /* SEL_DATA0 */
        pushl $0xDEADBEEF
        popl %ebx
        pushl %ds
        OUT %esp, 0
        popl %ebx
        OUT %ebx, 1
        pushl $0xDEADBEEF
        popl %ebx
        pushl %cs
        popl %ebx
        OUT %ebx, 2
        pushl $0xDEADBEEF
        popl %ebx
        pushl %ss
        popl %ebx
        OUT %ebx, 3
        pushw %fs
        OUT %esp, 4
        popw %bx
        OUT %ebx, 5
        pushl $0xABCD0010
        popl %fs
        OUT %esp, 6
        movl %fs, %ebx
        OUT %ebx, 7
        pushw $0x0010
        popw %gs
        OUT %esp, 8
        pushl $0x55550010
        popl %es
        pushl $0x10
        popl %ss
        OUT %esp, 9
        pushl $0x77770010
        popl %ds
        OUT %esp, 10
END

/* PUSH imm / mem, POP mem with operand-size prefixes. */
BEGIN bm_push_imm
        pushl $-1                       /* 6A FF: sign-extended */
        pushl $0x80                     /* 68 imm32 */
        pushw $0x1234                   /* 66 68 imm16 */
        pushw $-2                       /* 66 6A FE */
        pushl $0x7F                     /* 6A 7F */
        OUT %esp, 0
        pushl bm_out + 4 * 20           /* FF /6, m32 */
        pushw bm_out + 4 * 21           /* 66 FF /6, m16 */
        OUT %esp, 1
        popw bm_out + 4 * 22            /* 66 8F /0 */
        popl bm_out + 4 * 23            /* 8F /0 */
        OUT %esp, 2
END
