/*
 * Segment descriptors, call gates, the LDT and the TSS (SDM Vol. 3 §3.4.5,
 * §5.8.3, §7.2). The GDT itself lives in boot.S; layout in desc.h.
 */
#include "desc.h"
#include "cpu.h"

uint64_t ldt[LDT_ENTRIES] __attribute__((aligned(8)));
struct tss_block tss;

static uint8_t tss_stacks[3][8192] __attribute__((aligned(16)));

uint64_t make_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    uint64_t d = 0;
    d |= limit & 0xFFFFu;
    d |= (uint64_t)(base & 0xFFFFFFu) << 16;
    d |= (uint64_t)access << 40;
    d |= (uint64_t)((limit >> 16) & 0xF) << 48;
    d |= (uint64_t)(flags & 0xF) << 52;
    d |= (uint64_t)(base >> 24) << 56;
    return d;
}

uint64_t make_gate(uint16_t sel, uint32_t offset, uint8_t type, uint8_t dpl, uint8_t params)
{
    uint64_t g = 0;
    g |= offset & 0xFFFFu;
    g |= (uint64_t)sel << 16;
    g |= (uint64_t)(params & 0x1F) << 32;
    g |= (uint64_t)(ACC_P | ACC_DPL(dpl) | (type & 0xF)) << 40;
    g |= (uint64_t)(offset >> 16) << 48;
    return g;
}

void set_desc_raw(unsigned index, uint64_t d) { gdt[index] = d; }
void clear_desc(unsigned index) { gdt[index] = 0; }

void set_desc(unsigned index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    gdt[index] = make_desc(base, limit, access, flags);
}

void set_call_gate(unsigned index, uint16_t sel, uint32_t offset, uint8_t dpl, uint8_t params)
{
    gdt[index] = make_gate(sel, offset, SYS_CALLGATE, dpl, params);
}

void set_ldt_desc(unsigned index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    ldt[index] = make_desc(base, limit, access, flags);
}

void ldt_load(void)
{
    set_desc(SEL_LDT >> 3, (uint32_t)ldt, sizeof ldt - 1, ACC_P | SYS_LDT, 0);
    lldt(SEL_LDT);
}

uint32_t tss_stack_top(unsigned ring)
{
    return (uint32_t)&tss_stacks[ring][8192];
}

void tss_reload(void)
{
    gdt[SEL_TSS >> 3] &= ~((uint64_t)0x2 << 40);    /* busy -> available */
    ltr(SEL_TSS);
}

void tss_set_limit(uint32_t limit)
{
    set_desc(SEL_TSS >> 3, (uint32_t)&tss, limit, ACC_P | SYS_TSS32, 0);
    tss_reload();
}

void io_allow(uint16_t port, unsigned count)
{
    for (unsigned p = port; p < (unsigned)port + count && p < 65536; p++)
        tss.iomap[p >> 3] &= (uint8_t)~(1u << (p & 7));
}

void io_deny(uint16_t port, unsigned count)
{
    for (unsigned p = port; p < (unsigned)port + count && p < 65536; p++)
        tss.iomap[p >> 3] |= (uint8_t)(1u << (p & 7));
}

/* Called once by lib_start: stacks for rings 0-2, I/O map all denied. */
void tss_init(void)
{
    tss.tss.esp0 = tss_stack_top(0); tss.tss.ss0 = SEL_DATA0;
    tss.tss.esp1 = tss_stack_top(1); tss.tss.ss1 = SEL_DATA1;
    tss.tss.esp2 = tss_stack_top(2); tss.tss.ss2 = SEL_DATA2;
    tss.tss.iomap_base = TSS_IOMAP_OFFSET;
    for (unsigned i = 0; i <= IOMAP_BYTES; i++)
        tss.iomap[i] = 0xFF;
    tss_set_limit(sizeof tss - 1);
}
