/*
 * Everything a test kernel needs. A test defines
 *
 *     void test_main(void);
 *
 * which runs at ring 0 with: flat GDT loaded (desc.h), TR = SEL_TSS with
 * esp0/1/2 set, IDT with library stubs on all 256 vectors (trap.h), COM1
 * initialised, IF = 0, IOPL = 0, paging off, CR0 = PE|ET|NE, CR4 = 0.
 * When test_main returns, the library prints "DONE\n" and calls exit_qemu(0).
 */
#ifndef LIB_TEST_H
#define LIB_TEST_H

#include <stdint.h>
#include <stddef.h>
#include "io.h"
#include "cpu.h"
#include "serial.h"
#include "printf.h"
#include "qemu.h"
#include "desc.h"
#include "trap.h"
#include "ring.h"
#include "paging.h"

void test_main(void);

/* Multiboot info pointer and magic as handed over by the loader. */
extern uint32_t mb_magic, mb_info;

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
