/*
 * The IDT: 256 gates, all pointing at the library stubs (stubs.S) as DPL-0
 * interrupt gates, except the library's own DPL-3 vectors (trap.h).
 * Gate layout (SDM Vol. 3 §6.11): offset 15:0 | selector | P DPL 0 type | offset 31:16.
 */
#include "desc.h"
#include "cpu.h"
#include "trap.h"

uint64_t idt[256] __attribute__((aligned(8)));
extern char trap_stubs[], trap_stubs_noerr[];

uint32_t trap_stub(unsigned vec) { return (uint32_t)trap_stubs + 16 * vec; }
uint32_t trap_stub_noerr(unsigned vec)
{
    return vec < 32 ? (uint32_t)trap_stubs_noerr + 16 * vec : trap_stub(vec);
}

void set_idt_gate(unsigned vec, uint16_t sel, uint32_t offset, uint8_t type, uint8_t dpl)
{
    idt[vec] = make_gate(sel, offset, type, dpl, 0);
}

void set_trap_gate(unsigned vec, uint8_t type, uint8_t dpl, uint16_t sel)
{
    set_idt_gate(vec, sel, trap_stub(vec), type, dpl);
}

void idt_set_present(unsigned vec, int present)
{
    if (present) idt[vec] |= (uint64_t)ACC_P << 40;
    else idt[vec] &= ~((uint64_t)ACC_P << 40);
}

void idt_load_limit(uint16_t limit)
{
    struct dtr d = { limit, (uint32_t)idt };
    lidt(&d);
}

void idt_restore(void) { idt_load_limit(sizeof idt - 1); }

void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++)
        set_trap_gate(v, SYS_INTGATE, 0, SEL_CODE0);
    set_trap_gate(TRAP_VEC_RING_EXIT, SYS_INTGATE, 3, SEL_CODE0);
    set_trap_gate(TRAP_VEC_PUTC, SYS_INTGATE, 3, SEL_CODE0);
    idt_restore();
}
