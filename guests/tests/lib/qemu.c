/*
 * exit_qemu / panic. See qemu.h for the exit-status contract.
 */
#include "qemu.h"
#include "io.h"
#include "cpu.h"
#include "printf.h"
#include "trap.h"

void exit_qemu(uint8_t code)
{
    if ((read_cs() & 3) > iopl())
        __asm__ volatile("int %1" :: "a"(0x100u | code), "i"(TRAP_VEC_PUTC) : "memory");
    else
        outb(QEMU_EXIT_PORT, code);
    for (;;)                          /* not on an emulator with debug-exit */
        __asm__ volatile("cli; hlt");
}

void panic(const char *fmt, ...)
{
    va_list ap;
    printf("PANIC: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    exit_qemu(2);
}
