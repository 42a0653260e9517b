/*
 * Device-not-available and x87 error delivery (SDM Vol. 3 §2.5 CR0.EM/TS/MP,
 * §6.15 #NM (vector 7) and #MF (vector 16); Vol. 1 §8.7 with CR0.NE = 1).
 *
 *   TS=1: any x87 instruction -> #NM; WAIT/FWAIT -> #NM only if MP=1.
 *   EM=1: any x87 instruction -> #NM; WAIT/FWAIT unaffected by EM.
 *   Unmasked exception: flagged in FSW (ES, B), raised as #MF at the next
 *   waiting x87 instruction (here FWAIT), not at the no-wait ones (FNSTSW,
 *   FNINIT). TOP is not printed: whether the faulting FDIVP popped differs
 *   between implementations' handling of unmasked results.
 * No compiled float code runs in this file: only the asm touches the FPU.
 */
#include "x87.h"

static void nm_case(const char *name, uint32_t set)
{
    uint32_t cr0 = read_cr0();
    volatile int v1, v2;
    write_cr0((cr0 & ~(CR0_TS | CR0_EM | CR0_MP)) | set);
    v1 = expect_fault(__asm__ volatile("fld1\n\tfstp %%st(0)" ::: "memory"));
    v2 = expect_fault(__asm__ volatile("fwait" ::: "memory"));
    write_cr0(cr0);
    printf("%s: fld1 vec=%d fwait vec=%d\n", name, v1, v2);
}

void fault_tests(void)
{
    __asm__ volatile("fninit");
    nm_case("cr0 ts=1 mp=0", CR0_TS);
    nm_case("cr0 ts=1 mp=1", CR0_TS | CR0_MP);
    nm_case("cr0 em=1 mp=0", CR0_EM);
    nm_case("cr0 em=1 ts=1 mp=1", CR0_EM | CR0_TS | CR0_MP);
    nm_case("cr0 mp=1", CR0_MP);
    /* CLTS clears TS */
    write_cr0(read_cr0() | CR0_TS);
    clts();
    printf("clts: ts=%u fld1 vec=%d\n", (read_cr0() & CR0_TS) ? 1 : 0,
           expect_fault(__asm__ volatile("fld1\n\tfstp %%st(0)" ::: "memory")));

    /* #MF: unmask ZE (CW 0x037B), 1/0 sets ZE and ES; the FDIV itself completes
     * without a fault; FNSTSW shows it; the next FWAIT raises vector 16. */
    static const uint16_t cw_ze = 0x037B;
    volatile uint16_t sw1 = 0, sw2 = 0;
    volatile int v1, v2;
    v1 = expect_fault(__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldz\n\tfld1\n\tfdivp\n\tfnstsw %[s]"
                                       : [s] "=m"(sw1) : [cw] "m"(cw_ze) : "memory"));
    v2 = expect_fault(__asm__ volatile("fwait" ::: "memory"));
    __asm__ volatile("fnstsw %[s]\n\tfninit" : [s] "=m"(sw2) :: "memory");
    printf("unmasked ze: fdivp vec=%d sw=%02x fwait vec=%d sw=%02x\n", v1, sw1 & 0xFF, v2, sw2 & 0xFF);

    /* unmasked IE via FSQRT(-1), delivered by FWAIT. (A real CPU also delivers
     * it at the next waiting x87 instruction such as FLD1; QEMU 7.2 only at
     * FWAIT: x87-sdm covers that.) */
    static const uint16_t cw_ie = 0x037E;
    static const double m1 = -1.0;
    v1 = expect_fault(__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldl %[m]\n\tfsqrt\n\tfnstsw %[s]"
                                       : [s] "=m"(sw1) : [cw] "m"(cw_ie), [m] "m"(m1) : "memory"));
    v2 = expect_fault(__asm__ volatile("fwait" ::: "memory"));
    __asm__ volatile("fnstsw %[s]\n\tfninit" : [s] "=m"(sw2) :: "memory");
    printf("unmasked ie: fsqrt vec=%d sw=%02x fwait vec=%d sw=%02x\n", v1, sw1 & 0xFF, v2, sw2 & 0xFF);
}
