/*
 * segments: protected-mode segmentation that QEMU checks (SDM Vol. 3
 * chapter 3 and §5.1-§5.7): selector loads with the DPL/RPL/CPL rules,
 * LAR/LSL/VERR/VERW, segment bases (incl. wrap-around), expand-down and
 * granularity as LSL reports them, the accessed bit, the TSS busy bit,
 * descriptor caching and the LDT. Limit and access-rights checks on memory
 * accesses are in segment-limits (QEMU TCG does not perform them).
 */
#include "seg.h"

static void setup(void)
{
    set_desc(S_D0, 0, 0xFFFFF, ACC_DATA(0), FLG_G | FLG_DB);
    set_desc(S_D1, 0, 0xFFFFF, ACC_DATA(1), FLG_G | FLG_DB);
    set_desc(S_D2, 0, 0xFFFFF, ACC_DATA(2), FLG_G | FLG_DB);
    set_desc(S_RO3, 0, 0xFFFFF, ACC_P | ACC_DPL(3) | ACC_S | ACC_DATA_R, FLG_G | FLG_DB);
    set_desc(S_XO3, 0, 0xFFFFF, ACC_P | ACC_DPL(3) | ACC_S | ACC_CODE_X, FLG_G | FLG_DB);
    set_desc(S_CONF0R, 0, 0xFFFFF, ACC_CODE(0) | ACC_CODE_CONF, FLG_G | FLG_DB);
    set_desc(S_CONF0X, 0, 0xFFFFF, ACC_P | ACC_S | ACC_CODE_X | ACC_CODE_CONF, FLG_G | FLG_DB);
    set_desc(S_BASE, 0x00200000, 0xFFFFF, ACC_DATA(3), FLG_DB);
    set_desc(S_DOWN, 0, 0xFFF, ACC_DATA(3) | ACC_DATA_DOWN, FLG_DB);
    set_desc(S_DOWN16, 0, 0xFFF, ACC_DATA(3) | ACC_DATA_DOWN, 0);
    set_desc(S_G0, 0, 0xABCDE, ACC_DATA(3), FLG_DB);
    set_desc(S_G1, 0, 0xF, ACC_DATA(3), FLG_G | FLG_DB);
    set_desc(S_WRAP, 0xFFF00000, 0xFFFFF, ACC_DATA(3), FLG_G | FLG_DB);
    set_desc(S_NOTACC, 0, 0xFFFFF, ACC_DATA(3), FLG_G | FLG_DB);
    set_call_gate(S_CALLGATE, SEL_CODE0, 0x1234, 3, 2);
    gdt[S_INTGATE_G] = make_gate(SEL_CODE0, 0x5678, SYS_INTGATE, 3, 0);
    set_desc(S_TSS_AVAIL, (uint32_t)&tss, 0x67, ACC_P | ACC_DPL(3) | SYS_TSS32, 0);
    set_desc(S_LDTDESC, (uint32_t)ldt, sizeof ldt - 1, ACC_P | ACC_DPL(3) | SYS_LDT, 0);
    set_desc(S_NP3, 0, 0xFFFFF, ACC_DATA(3) & ~ACC_P, FLG_G | FLG_DB);
    set_desc(S_SYS_RES, 0, 0xFFFFF, ACC_P | ACC_DPL(3) | 0x0, 0);
    set_desc(S_CACHE, 0x00200000, 0xFFFFF, ACC_DATA(0), FLG_DB);

    /* LDT: 0 null-ish, 1 data DPL3, 2 code DPL3, 3 data DPL0 base 0x300000 */
    set_ldt_desc(1, 0, 0xFFFFF, ACC_DATA(3), FLG_G | FLG_DB);
    set_ldt_desc(2, 0, 0xFFFFF, ACC_CODE(3), FLG_G | FLG_DB);
    set_ldt_desc(3, 0x00300000, 0xFFFFF, ACC_DATA(0), FLG_DB);
    ldt_load();
}

void test_main(void)
{
    setup();
    test_loads();
    test_lar_lsl();
    test_memory();
}
