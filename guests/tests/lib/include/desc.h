/*
 * Descriptor tables: the GDT built by boot.S, the TSS, the IDT and an LDT,
 * with builders for segment descriptors and gates (SDM Vol. 3 §3.4.5, §5.8,
 * §6.11, §7.2).
 *
 * GDT layout (64 slots, boot.S). Flat = base 0, limit 4 GiB, G=1, D=1.
 *
 *   index sel   RPL'd selector   descriptor
 *     0   0x00                   null
 *     1   0x08  SEL_CODE0 0x08   code, ring 0, flat        \
 *     2   0x10  SEL_DATA0 0x10   data, ring 0, flat         |
 *     3   0x18  SEL_CODE1 0x19   code, ring 1, flat         |  loaded by
 *     4   0x20  SEL_DATA1 0x21   data, ring 1, flat         |  boot.S as
 *     5   0x28  SEL_CODE2 0x2A   code, ring 2, flat         |  data, never
 *     6   0x30  SEL_DATA2 0x32   data, ring 2, flat         |  rewrite them
 *     7   0x38  SEL_CODE3 0x3B   code, ring 3, flat         |
 *     8   0x40  SEL_DATA3 0x43   data, ring 3, flat        /
 *     9   0x48  SEL_TSS          32-bit TSS (the library's `tss`), loaded in TR
 *    10   0x50  SEL_LDT          LDT descriptor slot (ldt_load())
 *    11..63     GDT_FREE..       spare: tests build their own descriptors here
 *
 * Descriptor (8 bytes):
 *   63       56 55  52 51    48 47     40 39       32 31        16 15         0
 *  | base 31:24 | G D L A | lim 19:16 | access  | base 23:16 | base 15:0 | lim 15:0 |
 *  access = P(7) DPL(6:5) S(4) type(3:0)
 */
#ifndef LIB_DESC_H
#define LIB_DESC_H

#include <stdint.h>

#define GDT_ENTRIES 64
#define GDT_FREE    11          /* first spare index */
#define SEL(index, rpl) ((uint16_t)(((index) << 3) | (rpl)))
#define SEL_TI_LDT  4

#define SEL_CODE0 0x08
#define SEL_DATA0 0x10
#define SEL_CODE1 0x19
#define SEL_DATA1 0x21
#define SEL_CODE2 0x2A
#define SEL_DATA2 0x32
#define SEL_CODE3 0x3B
#define SEL_DATA3 0x43
#define SEL_TSS   0x48
#define SEL_LDT   0x50
#define SEL_CODE(ring) ((uint16_t)(0x08 + 0x10 * (ring) + (ring)))
#define SEL_DATA(ring) ((uint16_t)(0x10 + 0x10 * (ring) + (ring)))

/* access byte */
#define ACC_P        0x80
#define ACC_DPL(n)   ((uint8_t)((n) << 5))
#define ACC_S        0x10            /* code/data (else system) */
#define ACC_A        0x01            /* accessed */
/* code/data types (S=1) */
#define ACC_DATA_R   0x00            /* read-only */
#define ACC_DATA_RW  0x02
#define ACC_DATA_DOWN 0x04           /* expand-down */
#define ACC_CODE_X   0x08            /* execute-only */
#define ACC_CODE_R   0x02            /* + readable */
#define ACC_CODE_CONF 0x04           /* conforming */
/* system types (S=0) */
#define SYS_LDT      0x2
#define SYS_TASKGATE 0x5
#define SYS_TSS32    0x9
#define SYS_TSS32_BUSY 0xB
#define SYS_CALLGATE 0xC
#define SYS_INTGATE  0xE
#define SYS_TRAPGATE 0xF
/* flags nibble */
#define FLG_G  0x8     /* limit in 4 KiB units */
#define FLG_DB 0x4     /* 32-bit default / big */
#define FLG_AVL 0x1

/* Common ready-made access bytes: code/data at ring n, present. */
#define ACC_CODE(n) (ACC_P | ACC_DPL(n) | ACC_S | ACC_CODE_X | ACC_CODE_R)
#define ACC_DATA(n) (ACC_P | ACC_DPL(n) | ACC_S | ACC_DATA_RW)

extern uint64_t gdt[GDT_ENTRIES];

/* Encode / install a segment descriptor. limit is the raw 20-bit field. */
uint64_t make_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
void set_desc(unsigned index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
void set_desc_raw(unsigned index, uint64_t d);
/* Call gate in GDT slot: target sel:offset, param_count dwords, gate DPL. */
uint64_t make_gate(uint16_t sel, uint32_t offset, uint8_t type, uint8_t dpl, uint8_t params);
void set_call_gate(unsigned index, uint16_t sel, uint32_t offset, uint8_t dpl, uint8_t params);
void clear_desc(unsigned index);

/* ---- LDT: 16 slots, loaded through GDT slot 10 ---- */
#define LDT_ENTRIES 16
extern uint64_t ldt[LDT_ENTRIES];
void set_ldt_desc(unsigned index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
void ldt_load(void);              /* install GDT[10] -> ldt, lldt(SEL_LDT) */

/* ---- TSS (SDM Vol. 3 §7.2.1), 32-bit, with a full I/O permission bitmap ---- */
struct __attribute__((packed)) tss32 {
    uint16_t link, r0;
    uint32_t esp0; uint16_t ss0, r1;
    uint32_t esp1; uint16_t ss1, r2;
    uint32_t esp2; uint16_t ss2, r3;
    uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint16_t es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10;
    uint16_t trap, iomap_base;
};
#define TSS_IOMAP_OFFSET 104           /* iomap_base as set by tss_init */
#define IOMAP_BYTES 8192
struct tss_block {
    struct tss32 tss;
    uint8_t iomap[IOMAP_BYTES + 1];     /* + the all-ones terminator byte */
} __attribute__((packed, aligned(128)));
extern struct tss_block tss;

/* Stacks the CPU switches to (TSS esp0/1/2); 8 KiB each, distinct from the
 * stacks code runs on, so a trap never overwrites a running frame. */
uint32_t tss_stack_top(unsigned ring);

/* I/O bitmap: default all ports denied (bit set) and limit covering all 64K
 * ports + terminator. allow/deny a range of ports; tss_set_limit() changes the
 * TSS descriptor limit (bytes - 1) and reloads TR so the new limit is cached. */
void io_allow(uint16_t port, unsigned count);
void io_deny(uint16_t port, unsigned count);
void tss_set_limit(uint32_t limit);
void tss_reload(void);                 /* clear busy bit in GDT[9], ltr again */

/* ---- IDT: 256 gates ---- */
extern uint64_t idt[256];
/* Install a gate (SYS_INTGATE / SYS_TRAPGATE / SYS_TASKGATE) to any sel:offset. */
void set_idt_gate(unsigned vec, uint16_t sel, uint32_t offset, uint8_t type, uint8_t dpl);
/* Point vector at the library stub (which runs trap_dispatch): type & DPL & code selector.
 * Default for every vector after boot: interrupt gate, DPL 0, SEL_CODE0. */
void set_trap_gate(unsigned vec, uint8_t type, uint8_t dpl, uint16_t sel);
void idt_set_present(unsigned vec, int present);
void idt_load_limit(uint16_t limit);   /* lidt with the library IDT base and this limit */
void idt_restore(void);                /* lidt full IDT (limit 0x7FF) */
/* Address of the library's entry stub for vec; stubs for vectors with an
 * architectural error code (8, 10-14, 17) expect one; trap_stub_noerr(vec)
 * is a variant for `int $vec` software calls on those vectors. */
uint32_t trap_stub(unsigned vec);
uint32_t trap_stub_noerr(unsigned vec);

#endif
