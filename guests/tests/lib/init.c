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

/* gcc would turn these loops back into calls to themselves. */
#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

NO_LIBCALL void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n--) *p++ = (uint8_t)c;
    return d;
}

NO_LIBCALL void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--) *p++ = *q++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q) return *p - *q;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return n;
}
