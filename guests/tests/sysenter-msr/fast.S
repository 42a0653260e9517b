/*
 * SYSENTER / SYSEXIT paths for sysenter-msr (SDM Vol. 2 SYSENTER, SYSEXIT).
 *
 *   ring 3: user_sysenter            ring 0: sysenter_entry
 *     ECX <- ESP, EDX <- back           record CS, SS, ESP, EFLAGS
 *     SYSENTER  --------------------->  SYSEXIT (ESP <- ECX, EIP <- EDX)
 *   back: record CS, SS, ESP, EFLAGS <--
 *
 * DS at ring 0 is still the ring-3 flat selector: memory accesses do not
 * re-check a loaded segment's DPL.
 */
    .text
    .globl user_sysenter, sysenter_entry, user_sysexit, kernel_sysexit
user_sysenter:
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov %esp, user_esp_before
    mov %esp, %ecx
    mov $1f, %edx
    sysenter
1:  mov %cs, %eax
    mov %eax, user_cs_after
    mov %ss, %eax
    mov %eax, user_ss_after
    mov %esp, user_esp_after
    pushf
    pop user_eflags_after
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    xor %eax, %eax
    ret

sysenter_entry:
    mov %cs, %eax
    mov %eax, kern_cs
    mov %ss, %eax
    mov %eax, kern_ss
    mov %esp, kern_esp
    pushf                       /* the stack works: SS is flat whatever GDT says */
    pop kern_eflags
    sysexit

/* SYSEXIT executed at CPL 3 (#GP(0)) or, from ring 0 with
 * SYSENTER_CS = 0 (#GP(0)); returns normally if it does not fault. */
user_sysexit:
kernel_sysexit:
    mov %esp, %ecx
    mov $2f, %edx
    sysexit
2:  xor %eax, %eax
    ret

    .section .note.GNU-stack, "", @progbits
