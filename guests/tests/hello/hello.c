/*
 * hello: the smallest test kernel; proves boot, COM1, printf and exit.
 */
#include "test.h"

void test_main(void)
{
    printf("hello %d %u %x %08x %s %c %% %5d|%-4x|\n", -42, 42u, 0xbeefu, 0x1234u, "str", 'c', 7, 0xa);
    TRY {
        __asm__ volatile("ud2");
        printf("no fault\n");
    } CATCH {
        print_exc("ud2");
    }
}
