/*
 * lib-selftest: exercises the test library itself (rings, TRY across rings,
 * paging helpers, printf) so a library bug shows up here first.
 */
#include "test.h"

static uint32_t where(uint32_t arg)
{
    printf("ring%u arg=%u cs=%04x ss=%04x ds=%04x\n", cpl(), arg, read_cs(), read_ss(), read_ds());
    return arg * 2;
}

static uint32_t faulting(uint32_t arg)
{
    (void)arg;
    __asm__ volatile("cli");               /* #GP(0) at CPL 3, IOPL 0 */
    return 99;
}

static uint32_t try_in_ring(uint32_t arg)
{
    (void)arg;
    TRY {
        __asm__ volatile("hlt");
    } CATCH {
        printf("ring%u caught vec=%u err=%04x cs=%04x ss=%04x handler_cpl=%u switched=%u\n", cpl(),
               last_exc.vector, last_exc.error, last_exc.cs, last_exc.ss,
               last_exc.handler_cpl, last_exc.stack_switched);
    }
    return cpl();
}

static uint32_t nested(uint32_t arg)
{
    return ring_call(3, where, arg + 1) + 1000;
}

void test_main(void)
{
    printf("ring0 cs=%04x tr=%04x\n", read_cs(), str());
    for (unsigned r = 1; r <= 3; r++)
        printf("ret=%u\n", ring_call(r, where, r * 10));
    printf("nested ret=%u\n", ring_call(1, nested, 5));

    TRY {
        ring_call(3, faulting, 0);
        printf("no fault\n");
    } CATCH {
        printf("caught ring3 vec=%u err=%04x cs=%04x ss=%04x esp-top=%x\n", last_exc.vector,
               last_exc.error, last_exc.cs, last_exc.ss, ring_stack_top(3) - last_exc.esp);
    }
    printf("after catch ret=%u\n", ring_call(3, where, 7));
    for (unsigned r = 1; r <= 3; r++)
        printf("try ring ret=%u\n", ring_call(r, try_in_ring, 0));

    printf("expect_fault ud2 -> %d\n", expect_fault(__asm__ volatile("ud2")));
    printf("expect_fault nop -> %d\n", expect_fault(__asm__ volatile("nop")));

    for (volatile int mode = PG_2LEVEL; mode <= PG_PAE; mode++) {
        pg_init(mode, 8u << 20);
        pg_map(0x40000000, 0x200000, PTE_W);
        paging_enable(CR0_WP);
        *(volatile uint32_t *)0x40000010 = 0x1234 + mode;
        printf("pg%d alias=%x\n", mode, *(volatile uint32_t *)0x200010);
        TRY {
            *(volatile uint32_t *)0x50000000 = 1;
        } CATCH {
            printf("pg%d pf err=%x cr2=%08x\n", mode, last_exc.error, last_exc.cr2);
        }
        paging_disable();
    }
    char buf[8];
    int n = snprintf(buf, sizeof buf, "%d-%s", 12345, "abcdef");
    printf("snprintf n=%d buf=%s\n", n, buf);
}
