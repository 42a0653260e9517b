/*
 * PV32PAE entry point, Xen ELF notes and the hypercall page.
 *
 * Notes (ABI §1.2): the set XTF's arch/x86/pv/head.S declares (GUEST_OS,
 * GUEST_VERSION, LOADER "generic", HYPERCALL_PAGE, XEN_VERSION "xen-3.0",
 * FEATURES "!writable_page_tables|pae_pgdir_above_4gb", PAE_MODE "yes") plus
 * ENTRY and VIRT_BASE 0 stated explicitly (the values the builder would
 * default to: e_entry and 0). No PADDR_OFFSET (so it is 0) and no
 * HV_START_LOW (honoured for dom0 only; domU always gets 0xF5800000).
 * Numeric notes are 4 bytes.
 *
 * Initial state (ABI §1.11): ring 1, CS 0xE019, DS/ES/FS/GS/SS 0xE021,
 * ESI = start_info (VA), ESP = the builder's boot stack, events masked.
 */
#include <xen/xen.h>

#define ELFNOTE(type, desc)                     \
    .pushsection .note.Xen, "a", @note;         \
    .balign 4;                                  \
    .long 2f - 1f;          /* namesz */        \
    .long 4f - 3f;          /* descsz */        \
    .long type;             /* type */          \
1:  .asciz XEN_ELFNOTE_STRING_NAME;             \
2:  .balign 4;                                  \
3:  desc;                                       \
4:  .balign 4;                                  \
    .popsection

ELFNOTE(XEN_ELFNOTE_GUEST_OS,       .asciz "tsxen-pv")
ELFNOTE(XEN_ELFNOTE_GUEST_VERSION,  .asciz "0")
ELFNOTE(XEN_ELFNOTE_LOADER,         .asciz XEN_ELFNOTE_STRING_LOADER_GENERIC)
ELFNOTE(XEN_ELFNOTE_HYPERCALL_PAGE, .long hypercall_page)
ELFNOTE(XEN_ELFNOTE_XEN_VERSION,    .asciz XEN_ELFNOTE_STRING_XEN_VERSION_PREFIX)
ELFNOTE(XEN_ELFNOTE_FEATURES,       .asciz "!writable_page_tables|pae_pgdir_above_4gb")
ELFNOTE(XEN_ELFNOTE_PAE_MODE,       .asciz XEN_ELFNOTE_STRING_PAE_YES)
ELFNOTE(XEN_ELFNOTE_ENTRY,          .long _start)
ELFNOTE(XEN_ELFNOTE_VIRT_BASE,      .long 0)

    .section .text.head, "ax"
    .code32
    .globl _start
    .type _start, @function
_start:
    cld
    mov %esi, start_info                /* stash start_info (VA) */
    mov $pv_boot_stack_top, %esp        /* move onto our own stack */
    xor %ebp, %ebp
    push %esi
    call pv_main                        /* does not return */
    push $.Lmain_returned
    call panic
.Lmain_returned:
    .asciz "pv_main() returned\n"
    .size _start, . - _start

/*
 * The hypercall page (ABI §3.2): 128 stubs of 32 bytes written by the
 * builder. Poisoned with RET (0xC3) so that an unwritten page is detected
 * (setup.c checks byte 0, as XTF does).
 */
    .section .text.hypercall_page, "ax"
    .balign HYPERCALL_PAGE_SIZE
    .globl hypercall_page
    .type hypercall_page, @object
hypercall_page:
    .fill HYPERCALL_PAGE_SIZE, 1, 0xc3
    .size hypercall_page, HYPERCALL_PAGE_SIZE

    .globl HYPERCALL_iret
    .set HYPERCALL_iret, hypercall_page + __HYPERVISOR_iret * HYPERCALL_PAGE_STUB_SIZE

/* Stacks: the kernel stack, and the one stack_switch names for ring 3 -> 1. */
    .section .bss.page_aligned, "aw", @nobits
    .balign 4096
    .globl pv_boot_stack, pv_boot_stack_top, pv_ring1_stack, pv_ring1_stack_top
pv_boot_stack:
    .skip 8192
pv_boot_stack_top:
pv_ring1_stack:
    .skip 4096
pv_ring1_stack_top:

/* The ring-3 stack, in the .user pages (mapped with _PAGE_USER by pv_setup_user). */
    .section .user.bss, "aw", @nobits
    .balign 16
    .globl pv_user_stack_top
pv_user_stack:
    .skip 2048
pv_user_stack_top:

    .section .note.GNU-stack, "", @progbits
