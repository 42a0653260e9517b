/*
 * Multiboot v1 entry (Multiboot Specification 0.6.96 §3.1, §3.2).
 *
 * The loader enters _start in 32-bit protected mode, paging off, IF=0,
 * EAX = 0x2BADB002, EBX = physical address of the Multiboot information,
 * with CS/DS/... flat but from ITS OWN GDT (which we must not trust).
 * We: zero .bss, switch to our stack and GDT, reload every segment register,
 * put EFLAGS/CR0/CR4 in a known state and call lib_start() (init.c).
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000000

    .section .multiboot, "a"
    .balign 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .text.boot, "ax"
    .globl _start
_start:
    cli
    mov %eax, %esi                  /* keep magic / info across the bss clear */
    mov %ebx, %ebp
    cld
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    shr $2, %ecx
    xor %eax, %eax
    rep stosl
    mov %esi, mb_magic
    mov %ebp, mb_info

    lgdt gdt_desc
    ljmp $0x08, $1f
1:  mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov $boot_stack_top, %esp
    xor %ebp, %ebp
    pushl $0x2                      /* EFLAGS: IF=0, IOPL=0, DF=0, AC=0 */
    popfl
    mov $0x31, %eax                 /* CR0 = PE | ET | NE */
    mov %eax, %cr0
    xor %eax, %eax
    mov %eax, %cr4
    call lib_start
2:  cli
    hlt
    jmp 2b

/*
 * The GDT: see desc.h for the layout. Slots 9.. are filled at run time.
 */
    .section .data
    .balign 16
    .globl gdt
gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF        /* 0x08 code ring 0 */
    .quad 0x00CF92000000FFFF        /* 0x10 data ring 0 */
    .quad 0x00CFBA000000FFFF        /* 0x18 code ring 1 */
    .quad 0x00CFB2000000FFFF        /* 0x20 data ring 1 */
    .quad 0x00CFDA000000FFFF        /* 0x28 code ring 2 */
    .quad 0x00CFD2000000FFFF        /* 0x30 data ring 2 */
    .quad 0x00CFFA000000FFFF        /* 0x38 code ring 3 */
    .quad 0x00CFF2000000FFFF        /* 0x40 data ring 3 */
    .fill 64 - 9, 8, 0              /* TSS, LDT, spare */
gdt_end:

    .balign 4
    .word 0
    .globl gdt_desc
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

    .section .bss
    .balign 16
    .globl boot_stack_top
boot_stack:
    .skip 16384
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
