/*
 * exceptions-sdm: exception cases where QEMU TCG departs from the Intel SDM.
 * Oracle "sdm": expected.txt is written from the SDM; each case is listed in
 * docs/qemu-deviations.md. Cases QEMU gets badly wrong (a hang on the CR4
 * reserved-bit write, a triple fault on CR0.PG without PE) come last so the
 * rest of QEMU's output stays comparable.
 *
 *  - INT1 / ICEBP (0xF1): #DB, trap-like (SDM Vol. 2 "INT n/INTO/INT3/INT1").
 *  - LOCK MOV: #UD (SDM Vol. 2 "LOCK").
 *  - LTR with a null selector: #GP(0) (SDM Vol. 2 "LTR").
 *  - EXT bit (SDM Vol. 3 §6.13): set when the fault happened while delivering
 *    an event external to the program, e.g. a hardware exception (#UD).
 *  - New SS from the TSS not present on an inter-privilege interrupt:
 *    #SS(NewSS + EXT), not #TS (SDM Vol. 2 "INT n", INTER-PRIVILEGE-LEVEL-INTERRUPT).
 *  - MOV to CR0 with NW=1, CD=0 or PG=1, PE=0; MOV to CR4 setting a reserved
 *    bit: #GP(0) (SDM Vol. 2 "MOV—Move to/from Control Registers").
 */
#include "test.h"

volatile uint32_t at_insn, at_next;
#define AT(insn) "movl $1f, at_insn\n\tmovl $2f, at_next\n1:\t" insn "\n2:\n\t"

static void report(const char *name, int faulted)
{
    if (!faulted) {
        printf("%s no-fault\n", name);
        return;
    }
    const char *where = last_exc.eip == at_insn ? "insn" : last_exc.eip == at_next ? "next" : "other";
    printf("%s vec=%u err=%04x eip=%s\n", name, last_exc.vector, last_exc.error, where);
}

#define CHECK(name, ...) do {                                   \
        volatile int _f = 0;                                    \
        TRY { __VA_ARGS__; } CATCH { _f = 1; }                  \
        report(name, _f);                                       \
    } while (0)

static volatile uint32_t cell;
enum { C_NP = 16, SS_NP1 = 20 };

static void ud_gate_case(const char *name, uint64_t g)
{
    idt[VEC_UD] = g;
    CHECK(name, __asm__ volatile(AT("ud2")));
    set_trap_gate(VEC_UD, SYS_INTGATE, 0, SEL_CODE0);
}

static uint32_t do_int91(uint32_t a)
{
    (void)a;
    __asm__ volatile(AT("int $0x91"));
    return 0;
}

void test_main(void)
{
    set_desc(C_NP, 0, 0xFFFFF, ACC_CODE(0) & ~ACC_P, FLG_G | FLG_DB);
    set_desc(SS_NP1, 0, 0xFFFFF, ACC_DATA(1) & ~ACC_P, FLG_G | FLG_DB);

    CHECK("db icebp", __asm__ volatile(AT(".byte 0xf1")));
    CHECK("ud lock-mov-mem", __asm__ volatile(AT("lock; movl %%eax, (%%ebx)") :: "a"(1), "b"(&cell) : "memory"));
    CHECK("gp ltr-null", __asm__ volatile(AT("ltr %%ax") :: "a"(0)));
    printf("tr after ltr-null %04x\n", str());
    tss_reload();                      /* QEMU nulled TR; make it valid again either way */

    uint32_t ud = trap_stub(VEC_UD);
    ud_gate_case("np ext-ud-gate-not-present", make_gate(SEL_CODE0, ud, SYS_INTGATE, 0, 0) & ~(1ull << 47));
    ud_gate_case("gp ext-ud-gate-cs-null", make_gate(0, ud, SYS_INTGATE, 0, 0));
    ud_gate_case("gp ext-ud-gate-cs-data", make_gate(SEL_DATA0, ud, SYS_INTGATE, 0, 0));
    ud_gate_case("gp ext-ud-gate-cs-beyond", make_gate(0x300, ud, SYS_INTGATE, 0, 0));
    ud_gate_case("np ext-ud-gate-cs-not-present", make_gate(SEL(C_NP, 0), ud, SYS_INTGATE, 0, 0));
    ud_gate_case("gp ext-ud-gate-type", make_gate(SEL_CODE0, ud, SYS_CALLGATE, 0, 0));

    set_trap_gate(0x91, SYS_INTGATE, 3, SEL_CODE1);
    tss.tss.ss1 = SEL(SS_NP1, 1);
    CHECK("ss ss1-not-present", ring_call(3, do_int91, 0));
    tss.tss.ss1 = SEL_DATA1;
    set_trap_gate(0x91, SYS_INTGATE, 0, SEL_CODE0);

    uint32_t cr0 = read_cr0(), cr4 = read_cr4();
    CHECK("gp cr0-nw-without-cd", __asm__ volatile(AT("movl %%eax, %%cr0") :: "a"((cr0 & ~(1u << 30)) | (1u << 29))));
    write_cr0(cr0);
    CHECK("gp cr4-reserved-bit", __asm__ volatile(AT("movl %%eax, %%cr4") :: "a"(cr4 | (1u << 31))));
    write_cr4(cr4);
    CHECK("gp cr0-pg-without-pe", __asm__ volatile(AT("movl %%eax, %%cr0") :: "a"((cr0 & ~CR0_PE) | CR0_PG)));
    write_cr0(cr0);
    printf("cr cr0=%08x cr4=%08x\n", read_cr0(), read_cr4());
}
