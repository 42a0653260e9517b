/*
 * Leaving the machine: the isa-debug-exit device at port 0xF4
 * (QEMU: -device isa-debug-exit,iobase=0xf4,iosize=0x04; tsxen: same port).
 * Writing value v ends the emulator with host exit status (v << 1) | 1.
 * Tests end with status 1 (code 0); the library uses code 1 (status 3) for
 * an unexpected exception and code 2 (status 5) for a library panic.
 */
#ifndef LIB_QEMU_H
#define LIB_QEMU_H

#include <stdint.h>

#define QEMU_EXIT_PORT 0xF4

/* Any CPL: from CPL > IOPL it goes through ring 0 (int $0x82, AH = 1). */
void exit_qemu(uint8_t code) __attribute__((noreturn));
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
