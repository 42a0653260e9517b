/*
 * Segment-register loads (SDM Vol. 2 "MOV" / "POP" protected-mode checks,
 * Vol. 3 §5.6): data: DPL >= max(CPL, RPL), readable; SS: RPL = CPL,
 * DPL = CPL, writable data; null allowed except in SS. Run at CPL 0-3.
 */
#include "seg.h"

#define LD(reg) \
static uint32_t ld_##reg(uint32_t sel) \
{ \
    __asm__ volatile("movw %%" #reg ", %%dx\n\tmovw %%ax, %%" #reg "\n\tmovw %%dx, %%" #reg \
                     :: "a"(sel) : "edx", "memory"); \
    return 0; \
}
LD(ds)
LD(es)
LD(fs)
LD(gs)
LD(ss)

static uint32_t pop_ds(uint32_t sel)
{
    __asm__ volatile("movw %%ds, %%dx\n\tpushl %%eax\n\tpopl %%ds\n\tmovw %%dx, %%ds"
                     :: "a"(sel) : "edx", "memory");
    return 0;
}

static void load(const char *reg, ring_fn_t fn, unsigned ring, uint16_t sel)
{
    TRY {
        ring_call(ring, fn, sel);
        printf("load r%u %s=%04x ok\n", ring, reg, sel);
    } CATCH {
        printf("load r%u %s=%04x vec=%u err=%04x\n", ring, reg, sel, last_exc.vector, last_exc.error);
    }
}

void test_loads(void)
{
    static const uint16_t data_sels[] = {
        0, 3, SEL(S_D0, 0), SEL(S_D0, 3), SEL(S_D1, 1), SEL(S_D1, 2), SEL(S_D2, 2),
        SEL(S_D2, 3), SEL_DATA3, SEL(8, 0), SEL(S_RO3, 3), SEL(S_XO3, 3), SEL_CODE3,
        SEL(S_CONF0R, 3), SEL(S_CONF0X, 3), SEL_CODE0, SEL(S_NP3, 3), SEL(S_CALLGATE, 3),
        SEL(S_TSS_AVAIL, 3), SEL(S_LDTDESC, 3), SEL(1, 3) | 4, SEL(3, 3) | 4, SEL(3, 0) | 4,
        SEL(20, 3) | 4, 0x1F8 | 3, 0x200 | 3,
    };
    for (volatile unsigned ring = 0; ring <= 3; ring++)
        for (volatile unsigned i = 0; i < sizeof data_sels / sizeof data_sels[0]; i++)
            load("ds", ld_ds, ring, data_sels[i]);

    load("es", ld_es, 3, SEL(S_D0, 3));
    load("fs", ld_fs, 3, SEL(S_NP3, 3));
    load("gs", ld_gs, 3, SEL(S_CONF0R, 3));
    load("pop-ds", pop_ds, 3, SEL(S_D0, 3));
    load("pop-ds", pop_ds, 3, SEL_DATA3);

    static const uint16_t ss_sels[] = {
        0, SEL_DATA3, SEL(8, 0), SEL(S_D2, 3), SEL(S_D2, 2), SEL(S_D1, 1), SEL(S_RO3, 3),
        SEL_CODE3, SEL(S_NP3, 3), SEL(S_DOWN, 3), SEL(1, 3) | 4, SEL(3, 0) | 4,
    };
    for (volatile unsigned ring = 0; ring <= 3; ring++)
        for (volatile unsigned i = 0; i < sizeof ss_sels / sizeof ss_sels[0]; i++)
            load("ss", ld_ss, ring, ss_sels[i]);
}
