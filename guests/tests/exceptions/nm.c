/*
 * #NM (device not available, fault, no error code), SDM Vol. 3 §2.5 and
 * Table 2-2: x87 instructions fault if CR0.EM or CR0.TS; WAIT/FWAIT faults
 * only if CR0.TS and CR0.MP.
 */
#include "common.h"

static void with_cr0(const char *name, uint32_t set, int wait)
{
    uint32_t cr0 = read_cr0();
    write_cr0((cr0 & ~(CR0_TS | CR0_EM | CR0_MP)) | set);
    volatile int f = 0;
    TRY {
        if (wait)
            __asm__ volatile(AT("fwait"));
        else
            __asm__ volatile(AT("fninit"));
    } CATCH {
        f = 1;
    }
    write_cr0(cr0);
    report(name, f);
}

void test_nm(void)
{
    with_cr0("nm fninit-ts", CR0_TS, 0);
    with_cr0("nm fninit-em", CR0_EM, 0);
    with_cr0("nm fninit-ts-mp", CR0_TS | CR0_MP, 0);
    with_cr0("nm fninit-clear", 0, 0);
    with_cr0("nm fwait-ts", CR0_TS, 1);
    with_cr0("nm fwait-ts-mp", CR0_TS | CR0_MP, 1);
    with_cr0("nm fwait-em", CR0_EM, 1);
    with_cr0("nm fwait-em-mp", CR0_EM | CR0_MP, 1);
    write_cr0(read_cr0() | CR0_TS);
    clts();
    printf("nm clts cr0.ts=%u\n", (read_cr0() >> 3) & 1);
}
