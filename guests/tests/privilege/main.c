/*
 * privilege: how the CPU moves between rings (SDM Vol. 3 §5.8 "Privilege
 * level checking when transferring program control", §6.12 "Exception and
 * interrupt handling", Vol. 2 INT n / CALL / JMP / RET / IRET pseudo-code).
 *
 *  gates.c    interrupt vs trap gates (IF), gate DPL checks for INT n/INT3/INTO,
 *             exceptions ignoring gate DPL, target code DPL > CPL
 *  stacks.c   stack switches through TSS esp0/esp1/esp2, the pushed frame
 *  calls.c    call gates with parameter copy, far JMP/CALL/RET to conforming
 *             and non-conforming code, the refused cases, RET/IRET to an outer
 *             ring nulling DS/ES/FS/GS that the outer ring may not use
 */
#include "priv_c.h"

void fault_line(const char *name)
{
    printf("%s vec=%u err=%04x\n", name, last_exc.vector, last_exc.error);
}

void test_main(void)
{
    set_desc(G_CONF0, 0, 0xFFFFF, ACC_CODE(0) | ACC_CODE_CONF, FLG_G | FLG_DB);
    set_desc(G_CONF3, 0, 0xFFFFF, ACC_CODE(3) | ACC_CODE_CONF, FLG_G | FLG_DB);
    set_desc(G_CODE_NP, 0, 0xFFFFF, ACC_CODE(0) & ~ACC_P, FLG_G | FLG_DB);
    outb(0x21, 0xFF);                 /* mask every IRQ: IF=1 is safe below */
    outb(0xA1, 0xFF);
    test_gates();
    test_stacks();
    test_calls();
}
