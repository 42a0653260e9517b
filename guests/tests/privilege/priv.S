/*
 * Assembly bodies for the privilege kernel: code whose exact stack layout
 * and segment registers matter. Functions called through ring_call follow
 * cdecl; at entry ESP = ring_stack_top(ring) - 8.
 */
#include "priv.h"

    .text
/* uint32_t int94(uint32_t): fixed arithmetic flags, INT 0x94, return. */
    .globl int94, int94_after
int94:
    pushl $0x8d5
    popfl
    int $V_REC
int94_after:
    ret

    .globl int95, int95_after
int95:
    pushl $0x8d5
    popfl
    int $V_REC_R1
int95_after:
    ret

    .globl int97, int97_after
int97:
    pushl $0x8d5
    popfl
    int $V_REC_R2
int97_after:
    ret

/* uint32_t callgate3(uint32_t): push 3 params, far call through the
 * ring-0 call gate; returns ESP after the call (must equal ESP before). */
    .globl callgate3, callgate3_after
callgate3:
    pushl $0x33333333
    pushl $0x22222222
    pushl $0x11111111
    lcall $SELX(G_CG_R0, 3), $0
callgate3_after:
    mov %esp, %eax
    ret

/* Ring-0 target of the call gate: copy the 7 dwords at ESP (EIP, CS, 3
 * params, ESP, SS) and our CS/SS/ESP, return popping the 3 params. */
    .globl cg_callee
cg_callee:
    mov %esp, cg_seen_esp
    mov %cs, cg_seen_cs
    mov %ss, cg_seen_ss
    push %esi
    push %edi
    push %ecx
    lea 12(%esp), %esi
    mov $cg_frame, %edi
    mov $7, %ecx
    cld
    rep movsl
    pop %ecx
    pop %edi
    pop %esi
    lret $12

/* Ring-1 target of a 0-parameter call gate. */
    .globl cg_callee1
cg_callee1:
    mov %esp, %ss:cg_seen_esp
    mov %cs, %ss:cg_seen_cs
    mov %ss, %ss:cg_seen_ss
    mov (%esp), %eax
    mov %eax, %ss:cg_frame
    mov 4(%esp), %eax
    mov %eax, %ss:cg_frame+4
    mov 8(%esp), %eax
    mov %eax, %ss:cg_frame+8
    mov 12(%esp), %eax
    mov %eax, %ss:cg_frame+12
    lret

    .globl callgate1, callgate1_after
callgate1:
    lcall $SELX(G_CG_R1, 3), $0
callgate1_after:
    mov %esp, %eax
    ret

/* Same-privilege call through a gate with 2 params at ring 0: no stack
 * switch, no parameter copy. */
    .globl callgate_same, callgate_same_after
callgate_same:
    pushl $0xbbbbbbbb
    pushl $0xaaaaaaaa
    lcall $SELX(G_CG_SAME, 0), $0
callgate_same_after:
    add $8, %esp
    ret

/* Far transfers to test, each "uint32_t f(uint32_t)" returning the CS seen. */
    .globl lcall_conf0, conf_callee
lcall_conf0:                         /* CALL to conforming DPL 0 code */
    lcall $SELX(G_CONF0, 0), $conf_callee
    ret
conf_callee:
    xor %eax, %eax
    mov %cs, %ax
    shl $16, %eax
    mov 4(%esp), %ax                 /* caller CS as pushed */
    lret

    .globl ljmp_sel                  /* uint32_t ljmp_sel(uint32_t sel): JMP sel:1f */
ljmp_sel:
    mov 4(%esp), %eax
    movl $1f, ljmp_ptr
    mov %eax, ljmp_ptr+4
    ljmp *ljmp_ptr
1:  xor %eax, %eax                   /* now in segment sel (flat): near RET works */
    mov %cs, %ax
    mov %ss, %ecx
    test $3, %ecx
    jnz 2f
    ljmp $0x08, $2f                  /* at ring 0, go back to the ordinary CS */
2:  ret

    .globl lcall_sel                 /* uint32_t lcall_sel(uint32_t sel): CALL sel:far_ret_cs */
lcall_sel:
    mov 4(%esp), %eax
    movl $far_ret_cs, ljmp_ptr
    mov %eax, ljmp_ptr+4
    lcall *ljmp_ptr
    ret
far_ret_cs:
    xor %eax, %eax
    mov %cs, %ax
    lret

    .globl lret_to                   /* lret_to(sel): push sel:1f, LRET (same-ring or refused) */
lret_to:
    mov 4(%esp), %eax
    push %eax
    pushl $1f
    lret
1:  xor %eax, %eax
    mov %cs, %ax
    ret

/* Outer-ring landing pad: record segment registers through SS (DS may be
 * null now), ESP and CS, then INT 0x96 back to the CATCH at ring 0. */
    .globl outer_observe
outer_observe:
    mov %ds, %ss:seen_ds
    mov %es, %ss:seen_es
    mov %fs, %ss:seen_fs
    mov %gs, %ss:seen_gs
    mov %cs, %ss:seen_cs
    mov %ss, %ss:seen_ss
    mov %esp, %ss:seen_esp
    int $V_OBSERVE

/* void lret_outer(cs, eip, ss, esp, ds, es, fs, gs, imm8?): load the data
 * segments, build SS:ESP:CS:EIP, LRET (imm 0 or 8). */
    .globl lret_outer, lret8_outer, iret_outer
lret_outer:
    call load_segs_build
    lret
lret8_outer:
    call load_segs_build
    pop %esi                         /* EIP */
    pop %ebx                         /* CS */
    pushl $0xdead0002                /* two parameter slots LRET $8 skips */
    pushl $0xdead0001
    push %ebx
    push %esi
    lret $8
load_segs_build:                     /* args at 8(%esp): cs eip ss esp ds es fs gs */
    pop %edx                         /* our return address */
    mov 4(%esp), %ebx                /* cs  */
    mov 8(%esp), %esi                /* eip */
    mov 12(%esp), %edi               /* ss  */
    mov 16(%esp), %ebp               /* esp */
    mov 20(%esp), %eax
    mov 24(%esp), %ecx
    mov %ax, %ds
    mov %cx, %es
    mov 28(%esp), %eax
    mov 32(%esp), %ecx
    mov %ax, %fs
    mov %cx, %gs
    push %edi
    push %ebp
    push %ebx
    push %esi
    jmp *%edx

iret_outer:
    call load_segs_build
    /* stack now: EIP CS ESP SS; IRET wants EIP CS EFLAGS ESP SS */
    pop %esi
    pop %ebx
    pushfl
    andl $~0x4000, (%esp)            /* NT = 0 */
    xchg (%esp), %eax                /* eax = eflags */
    pop %ecx                         /* discard */
    pop %ebp                         /* esp */
    pop %edi                         /* ss */
    push %edi
    push %ebp
    push %eax
    push %ebx
    push %esi
    iret

    .data
    .globl cg_frame, cg_seen_esp, cg_seen_cs, cg_seen_ss
    .globl seen_ds, seen_es, seen_fs, seen_gs, seen_cs, seen_ss, seen_esp
    .balign 4
cg_frame:    .fill 8, 4, 0
cg_seen_esp: .long 0
cg_seen_cs:  .long 0
cg_seen_ss:  .long 0
seen_ds:     .long 0
seen_es:     .long 0
seen_fs:     .long 0
seen_gs:     .long 0
seen_cs:     .long 0
seen_ss:     .long 0
seen_esp:    .long 0
ljmp_ptr:    .long 0, 0

    .section .note.GNU-stack, "", @progbits
