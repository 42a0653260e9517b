/*
 * Double fault (SDM Vol. 3 §6.15 "Interrupt 8", Table 6-5): a contributory
 * exception (#GP, #NP, #SS, #TS, #DE) raised while delivering another
 * contributory exception becomes #DF with error code 0. A benign first
 * exception (#BP) followed by #NP is NOT a double fault: #NP is delivered.
 * The saved CS:EIP of #DF is undefined, so only vector and error are printed.
 */
#include "common.h"

static void print_df(const char *name, int faulted)
{
    if (faulted)
        printf("%s vec=%u err=%04x\n", name, last_exc.vector, last_exc.error);
    else
        printf("%s no-fault\n", name);
}

void test_df(void)
{
    volatile int f;

    /* #GP (mov ss, null) -> #GP gate not present -> #NP -> #DF */
    f = 0;
    idt_set_present(VEC_GP, 0);
    TRY { __asm__ volatile("movw %%ax, %%ss" :: "a"(0)); } CATCH { f = 1; }
    idt_set_present(VEC_GP, 1);
    print_df("df gp-then-np", f);

    /* INT 0x40 beyond IDT limit -> #GP, whose gate is beyond the limit too -> #DF */
    f = 0;
    idt_load_limit(9 * 8 - 1);
    TRY { __asm__ volatile("int $0x40"); } CATCH { f = 1; }
    idt_restore();
    print_df("df idt-limit", f);

    /* #DE -> #DE gate not present -> #NP -> #DF */
    f = 0;
    idt_set_present(VEC_DE, 0);
    TRY { __asm__ volatile("divl %%ecx" :: "a"(1), "d"(0), "c"(0)); } CATCH { f = 1; }
    idt_set_present(VEC_DE, 1);
    print_df("df de-then-np", f);

    /* #NP (segment) -> #NP gate not present -> #NP -> #DF */
    f = 0;
    idt_set_present(VEC_NP, 0);
    TRY { __asm__ volatile("movw %%ax, %%ds\n\tmovw $0x10, %%ax\n\tmovw %%ax, %%ds" :: "a"(SEL(12, 0))); } CATCH { f = 1; }
    idt_set_present(VEC_NP, 1);
    print_df("df np-then-np", f);

    /* benign: #BP -> gate not present -> #NP(EXT=0: INT3 is a software interrupt-ish trap) */
    f = 0;
    idt_set_present(VEC_BP, 0);
    TRY { __asm__ volatile("int3"); } CATCH { f = 1; }
    idt_set_present(VEC_BP, 1);
    print_df("nodf bp-then-np", f);

}
