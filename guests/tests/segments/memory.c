/*
 * Using loaded segments: the base is added to every offset (mod 2^32),
 * the hidden descriptor cache keeps the base until the register is
 * reloaded, loading sets the descriptor's accessed bit, LTR sets the busy
 * bit, LDT-based selectors resolve through the LDT. (SDM Vol. 3 §3.4.3,
 * §3.4.5 "Accessed", §7.2.2 "busy".)
 */
#include "seg.h"

static volatile uint32_t *const P = (volatile uint32_t *)0;

static void es_write(uint16_t sel, uint32_t off, uint32_t v)
{
    __asm__ volatile("movw %%es, %%dx\n\tmovw %w0, %%es\n\tmovl %2, %%es:(%1)\n\tmovw %%dx, %%es"
                     :: "r"(sel), "r"(off), "r"(v) : "edx", "memory");
}

static uint32_t es_read(uint16_t sel, uint32_t off)
{
    uint32_t v;
    __asm__ volatile("movw %%es, %%dx\n\tmovw %w1, %%es\n\tmovl %%es:(%2), %0\n\tmovw %%dx, %%es"
                     : "=&r"(v) : "r"(sel), "r"(off) : "edx", "memory");
    return v;
}

static inline uint8_t acc_byte(unsigned i) { return (uint8_t)(gdt[i] >> 40); }

void test_memory(void)
{
    P[0x200040 / 4] = 0;
    es_write(SEL(S_BASE, 0), 0x40, 0x11111111);
    printf("mem base write -> flat %08x\n", P[0x200040 / 4]);
    P[0x200044 / 4] = 0x22222222;
    printf("mem base read %08x\n", es_read(SEL(S_BASE, 0), 0x44));

    P[0x200080 / 4] = 0;
    es_write(SEL(S_WRAP, 0), 0x00300080, 0x33333333);       /* 0xFFF00000 + 0x300080 */
    printf("mem wrap write -> flat %08x\n", P[0x200080 / 4]);

    P[0x00201000 / 4] = 0x44444444;
    printf("mem expand-down read %08x\n", es_read(SEL(S_DOWN, 0), 0x00201000));

    /* descriptor cache: ES loaded, then the GDT entry's base changes */
    P[0x200100 / 4] = 0;
    P[0x300100 / 4] = 0;
    __asm__ volatile("movw %w0, %%es" :: "r"(SEL(S_CACHE, 0)));
    set_desc(S_CACHE, 0x00300000, 0xFFFFF, ACC_DATA(0), FLG_DB);
    __asm__ volatile("movl $0x55555555, %%es:0x100" ::: "memory");
    printf("mem cached-base old=%08x new=%08x\n", P[0x200100 / 4], P[0x300100 / 4]);
    __asm__ volatile("movw %w0, %%es\n\tmovl $0x66666666, %%es:0x104\n\tmovw %w1, %%es"
                     :: "r"(SEL(S_CACHE, 0)), "r"(SEL_DATA0) : "memory");
    printf("mem reloaded-base new=%08x\n", P[0x300104 / 4]);
    /* cache survives the descriptor becoming not-present */
    __asm__ volatile("movw %w0, %%es" :: "r"(SEL(S_CACHE, 0)));
    gdt[S_CACHE] &= ~(1ull << 47);
    __asm__ volatile("movl $0x77777777, %%es:0x108\n\tmovw %w0, %%es" :: "r"(SEL_DATA0) : "memory");
    printf("mem cached-not-present write=%08x\n", P[0x300108 / 4]);

    /* LDT selectors */
    P[0x300200 / 4] = 0;
    es_write(SEL(3, 0) | 4, 0x200, 0x88888888);
    printf("mem ldt-base write -> flat %08x\n", P[0x300200 / 4]);

    /* accessed bit */
    printf("acc before=%02x\n", acc_byte(S_NOTACC));
    __asm__ volatile("movw %w0, %%fs\n\tmovw %w1, %%fs" :: "r"(SEL(S_NOTACC, 0)), "r"(SEL_DATA0));
    printf("acc after-load=%02x\n", acc_byte(S_NOTACC));
    gdt[S_NOTACC] &= ~(1ull << 40);
    uint32_t z, v;
    __asm__ volatile("larl %2, %0\n\tsetz %b1" : "=r"(v), "=q"(z) : "r"((uint32_t)SEL(S_NOTACC, 0)) : "cc");
    printf("acc after-lar=%02x\n", acc_byte(S_NOTACC));

    /* TSS busy bit: LTR marks the descriptor busy */
    printf("tss type now=%x\n", acc_byte(SEL_TSS >> 3) & 0xF);
    gdt[SEL_TSS >> 3] &= ~(2ull << 40);
    printf("tss type cleared=%x\n", acc_byte(SEL_TSS >> 3) & 0xF);
    ltr(SEL_TSS);
    printf("tss type after-ltr=%x str=%04x\n", acc_byte(SEL_TSS >> 3) & 0xF, str());

    /* segment registers keep the selector as loaded, RPL included */
    __asm__ volatile("movw %w0, %%fs" :: "r"(SEL(8, 2)));
    printf("sel fs=%04x\n", read_fs());
    write_fs(SEL_DATA0);
}
