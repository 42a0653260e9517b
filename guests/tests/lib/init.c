/*
 * lib_start: called by boot.S on the boot stack at ring 0. Brings up the
 * machine state test.h promises, runs test_main, prints DONE and exits.
 * Also the few freestanding string functions gcc may call.
 */
#include "test.h"

uint32_t mb_magic, mb_info;

void tss_init(void);
void idt_init(void);
void trap_init(void);
void ring_init(void);

void lib_start(void)
{
    serial_init();
    lldt(0);                          /* LDTR: not the reset value (limit 0xFFFF) */
    tss_init();
    idt_init();
    trap_init();
    ring_init();
    test_main();
    if (cpl() != 0)
        panic("test_main returned at CPL %u", cpl());
    printf("DONE\n");
    exit_qemu(0);
}

