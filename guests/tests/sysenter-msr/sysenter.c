/*
 * sysenter-msr: CPUID, RDTSC, MSRs, SYSENTER/SYSEXIT (Intel SDM Vol. 2
 * CPUID, RDTSC, RDMSR, WRMSR, SYSENTER, SYSEXIT; Vol. 4 MSR tables).
 *
 *   - CPUID leaf 0 max leaf; leaf 1 family and EDX masked to what tsxen
 *     promises: FPU(0) PSE(3) TSC(4) MSR(5) PAE(6) CX8(8) SEP(11) PGE(13)
 *     CMOV(15); leaf 0x80000001 EDX.NX(20); CPUID works at CPL 3;
 *   - RDTSC monotonic (booleans only); RDTSC at CPL 3 allowed with
 *     CR4.TSD = 0, #GP(0) with TSD = 1;
 *   - RDMSR/WRMSR round trips of IA32_SYSENTER_CS/ESP/EIP (0x174-0x176),
 *     IA32_EFER.NXE (0xC0000080), IA32_DEBUGCTL (0x1D9) reads 0;
 *     RDMSR/WRMSR at CPL 3 are #GP(0);
 *   - SYSENTER from ring 3: CS = SYSENTER_CS & ~3, SS = CS + 8, ESP/EIP
 *     from the MSRs, IF/VM/RF cleared; SYSEXIT: CS = (SYSENTER_CS + 16) | 3,
 *     SS = (SYSENTER_CS + 24) | 3, ESP = ECX, EIP = EDX. The selectors'
 *     descriptors are not read: the ring-0 pair in the GDT (slots 12/13)
 *     has a 1-byte limit, which would fault if it were used;
 *   - #GP(0) for SYSENTER with SYSENTER_CS = 0, SYSEXIT at CPL 3, and
 *     SYSEXIT with SYSENTER_CS = 0.
 *
 * In msr-sdm (QEMU departs from the SDM): #GP on an unimplemented MSR and
 * on a reserved EFER bit; RDMSR/WRMSR of IA32_TSC (0x10).
 */
#include "test.h"

#define MSR_DEBUGCTL 0x1D9
#define CPUID1_EDX_MASK ((1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | \
                         (1u << 8) | (1u << 11) | (1u << 13) | (1u << 15))
#define SLOT 12                     /* GDT 12 code0, 13 data0, 14 code3, 15 data3 */
#define SYSENTER_SEL SEL(SLOT, 0)   /* 0x60 */

extern char user_sysenter[], sysenter_entry[], user_sysexit[], kernel_sysexit[];
uint32_t user_cs_after, user_ss_after, user_esp_before, user_esp_after, user_eflags_after;
uint32_t kern_cs, kern_ss, kern_esp, kern_eflags;
static uint8_t sysenter_stack[4096] __attribute__((aligned(16)));

static void cpuid_leaves(void)
{
    uint32_t a, b, c, d;
    cpuid(0, 0, &a, &b, &c, &d);
    printf("cpuid.0 max=%u\n", a);
    cpuid(1, 0, &a, &b, &c, &d);
    printf("cpuid.1 family=%u edx&mask=%08x\n", (a >> 8) & 0xF, d & CPUID1_EDX_MASK);
    cpuid(0x80000000, 0, &a, &b, &c, &d);
    printf("cpuid.80000000 has-80000001=%d\n", a >= 0x80000001 && a < 0x8000FFFF);
    cpuid(0x80000001, 0, &a, &b, &c, &d);
    printf("cpuid.80000001 nx=%u\n", (d >> 20) & 1);
}

static uint32_t user_cpuid(uint32_t leaf)
{
    uint32_t a, b, c, d;
    cpuid(leaf, 0, &a, &b, &c, &d);
    return d & CPUID1_EDX_MASK;
}
static uint32_t user_rdtsc(uint32_t x) { (void)x; return rdtsc() != 0; }
static uint32_t user_rdmsr(uint32_t msr) { return (uint32_t)rdmsr(msr); }
static uint32_t user_wrmsr(uint32_t msr) { wrmsr(msr, 0); return 0; }

static void gp_case(const char *name, unsigned ring, ring_fn_t fn, uint32_t arg)
{
    TRY {
        ring_call(ring, fn, arg);
        printf("%s ok\n", name);
    } CATCH {
        printf("%s vec=%u err=%04x cpl=%u\n", name, last_exc.vector, last_exc.error, last_exc.cs & 3);
    }
}

static void tsc(void)
{
    uint64_t t1 = rdtsc();
    uint64_t t2 = rdtsc();
    printf("rdtsc monotonic=%d\n", t2 > t1);
    printf("cpl3 cpuid edx&mask=%08x\n", ring_call(3, user_cpuid, 1));
    gp_case("cpl3 rdtsc tsd=0", 3, user_rdtsc, 0);
    write_cr4(read_cr4() | CR4_TSD);
    gp_case("cpl3 rdtsc tsd=1", 3, user_rdtsc, 0);
    gp_case("cpl0 rdtsc tsd=1", 0, user_rdtsc, 0);
    write_cr4(read_cr4() & ~CR4_TSD);
}

static void msrs(void)
{
    wrmsr(MSR_SYSENTER_CS, 0x1234);
    wrmsr(MSR_SYSENTER_ESP, 0x89ABCDEF);
    wrmsr(MSR_SYSENTER_EIP, 0x76543210);
    printf("sysenter-cs=%08x esp=%08x eip=%08x\n", (uint32_t)rdmsr(MSR_SYSENTER_CS),
           (uint32_t)rdmsr(MSR_SYSENTER_ESP), (uint32_t)rdmsr(MSR_SYSENTER_EIP));
    uint64_t efer = rdmsr(MSR_EFER);
    printf("efer=%08x\n", (uint32_t)efer);
    wrmsr(MSR_EFER, efer | EFER_NXE);
    printf("efer nxe=%08x\n", (uint32_t)rdmsr(MSR_EFER));
    wrmsr(MSR_EFER, efer);
    printf("efer restored=%08x\n", (uint32_t)rdmsr(MSR_EFER));
    printf("debugctl=%08x\n", (uint32_t)rdmsr(MSR_DEBUGCTL));
    wrmsr(MSR_DEBUGCTL, 0);
    printf("debugctl write-0=%08x\n", (uint32_t)rdmsr(MSR_DEBUGCTL));

    gp_case("cpl3 rdmsr sysenter-cs", 3, user_rdmsr, MSR_SYSENTER_CS);
    gp_case("cpl3 rdmsr efer", 3, user_rdmsr, MSR_EFER);
    gp_case("cpl3 wrmsr sysenter-eip", 3, user_wrmsr, MSR_SYSENTER_EIP);
    gp_case("cpl1 rdmsr sysenter-esp", 1, user_rdmsr, MSR_SYSENTER_ESP);
}

static void sysenter(void)
{
    set_desc(SLOT, 0, 0, ACC_CODE(0), FLG_DB);        /* 1-byte limit: must not be used */
    set_desc(SLOT + 1, 0, 0, ACC_DATA(0), FLG_DB);
    set_desc(SLOT + 2, 0, 0xFFFFF, ACC_CODE(3), FLG_G | FLG_DB);
    set_desc(SLOT + 3, 0, 0xFFFFF, ACC_DATA(3), FLG_G | FLG_DB);
    uint32_t kstack = (uint32_t)&sysenter_stack[sizeof sysenter_stack];
    wrmsr(MSR_SYSENTER_CS, SYSENTER_SEL);
    wrmsr(MSR_SYSENTER_ESP, kstack);
    wrmsr(MSR_SYSENTER_EIP, (uint32_t)sysenter_entry);

    /* PIC lines masked so ring 3 can run with IF = 1 (SYSENTER clears it). */
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
    TRY {
        ring_call_eflags(3, (ring_fn_t)user_sysenter, 0, EFL_IF);
        printf("sysenter kernel cs=%04x ss=%04x esp=top-%u eflags-if-rf-vm=%x\n", kern_cs & 0xFFFF,
               kern_ss & 0xFFFF, kstack - kern_esp, kern_eflags & (EFL_IF | EFL_RF | EFL_VM));
        printf("sysexit user cs=%04x ss=%04x esp-same=%d eflags-if=%u\n", user_cs_after & 0xFFFF,
               user_ss_after & 0xFFFF, user_esp_after == user_esp_before,
               (user_eflags_after & EFL_IF) != 0);
    } CATCH {
        print_exc("sysenter round-trip");
    }

    /* SYSENTER_CS with RPL bits set: the arithmetic masks them. */
    wrmsr(MSR_SYSENTER_CS, SYSENTER_SEL | 3);
    TRY {
        ring_call(3, (ring_fn_t)user_sysenter, 0);
        printf("sysenter-cs|3 kernel cs=%04x ss=%04x user cs=%04x ss=%04x\n", kern_cs & 0xFFFF,
               kern_ss & 0xFFFF, user_cs_after & 0xFFFF, user_ss_after & 0xFFFF);
    } CATCH {
        print_exc("sysenter-cs|3");
    }

    wrmsr(MSR_SYSENTER_CS, SYSENTER_SEL);
    gp_case("sysexit cpl3", 3, (ring_fn_t)user_sysexit, 0);
    wrmsr(MSR_SYSENTER_CS, 0);
    gp_case("sysenter cs=0", 3, (ring_fn_t)user_sysenter, 0);
    gp_case("sysexit cs=0", 0, (ring_fn_t)kernel_sysexit, 0);
    wrmsr(MSR_SYSENTER_CS, 0);
    wrmsr(MSR_SYSENTER_ESP, 0);
    wrmsr(MSR_SYSENTER_EIP, 0);
}

void test_main(void)
{
    cpuid_leaves();
    tsc();
    msrs();
    sysenter();
}
