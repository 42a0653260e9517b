/*
 * #NP, #SS and #GP from segment-register loads, far jumps, descriptor-table
 * instructions and IDT gates at ring 0, plus the
 * privileged instructions at ring 3. Error codes: SDM Vol. 3 §6.13
 * (selector | TI | IDT<<1 | EXT) and the MOV/LTR/LLDT/JMP/INT n pages.
 * Cases where QEMU departs from the SDM (LTR null, EXT bit, checks on
 * memory accesses, CR0/CR4 reserved combinations) live in exceptions-sdm
 * and segment-limits instead.
 */
#include "common.h"

/* spare GDT slots used here */
enum { D_NP = 12, C_XONLY = 13, D_RO = 14, C_NP = 16, T_NP = 17 };

#define LOAD_SEG(name, reg, sel) \
    CHECK(name, __asm__ volatile(AT("movw %%ax, %%" #reg) "movw $0x10, %%ax\n\tmovw %%ax, %%" #reg \
                                 :: "a"(sel) : "memory"))

static volatile uint32_t cell;

static void seg_loads(void)
{
    LOAD_SEG("np ds-not-present", ds, SEL(D_NP, 0));
    LOAD_SEG("np es-not-present", es, SEL(D_NP, 0));
    LOAD_SEG("np fs-not-present", fs, SEL(D_NP, 0));
    LOAD_SEG("np gs-not-present", gs, SEL(D_NP, 0));
    LOAD_SEG("ss ss-not-present", ss, SEL(D_NP, 0));
    LOAD_SEG("gp ss-null", ss, 0);
    LOAD_SEG("gp ss-null-rpl3", ss, 3);
    LOAD_SEG("gp ss-dpl3", ss, SEL_DATA3);
    LOAD_SEG("gp ss-rpl3", ss, SEL(2, 3));
    LOAD_SEG("gp ss-code", ss, SEL_CODE0);
    LOAD_SEG("gp ss-readonly", ss, SEL(D_RO, 0));
    LOAD_SEG("gp ds-exec-only", ds, SEL(C_XONLY, 0));
    LOAD_SEG("ok ds-code-readable", ds, SEL_CODE0);
    LOAD_SEG("ok ds-readonly", ds, SEL(D_RO, 0));
    LOAD_SEG("gp ds-beyond-gdt", ds, 0x200);
    LOAD_SEG("gp ds-beyond-gdt-rpl", ds, 0x203);
    LOAD_SEG("gp ds-ldt-null-ldtr", ds, 0x0C);
    LOAD_SEG("gp ds-tss", ds, SEL_TSS);
    LOAD_SEG("gp ds-dpl0-rpl3", ds, SEL(2, 3));
    LOAD_SEG("ok ds-dpl3-rpl0", ds, SEL(8, 0));
    LOAD_SEG("ok ds-null", ds, 0);
    LOAD_SEG("ok gs-null-rpl2", gs, 2);

    CHECK("ok read-readonly-seg", __asm__ volatile(
        "movw %%cx, %%es\n\t" AT("movl %%es:(%%ebx), %%eax") "movw $0x10, %%cx\n\tmovw %%cx, %%es"
        :: "c"(SEL(D_RO, 0)), "b"(&cell) : "eax", "memory"));
}

/* far JMP through a memory pointer {offset, selector} to label 3f. */
#define FAR_JMP(name, sel) do {                                               \
        static volatile uint32_t ptr[2];                                      \
        CHECK(name, __asm__ volatile("movl $3f, (%%ebx)\n\tmovl %%eax, 4(%%ebx)\n\t" \
                                     AT("ljmp *(%%ebx)") "3:" :: "a"(sel), "b"(ptr) : "memory")); \
    } while (0)

static void far_transfers(void)
{
    FAR_JMP("np ljmp-not-present", SEL(C_NP, 0));
    FAR_JMP("gp ljmp-data", SEL_DATA0);
    FAR_JMP("gp ljmp-null", 0);
    FAR_JMP("gp ljmp-beyond-gdt", 0x208);
    FAR_JMP("gp ljmp-tss-busy", SEL_TSS);
    FAR_JMP("ok ljmp-code0", SEL_CODE0);
}

static void desc_tables(void)
{
    CHECK("gp ltr-busy", __asm__ volatile(AT("ltr %%ax") :: "a"(SEL_TSS)));
    CHECK("gp ltr-data", __asm__ volatile(AT("ltr %%ax") :: "a"(SEL_DATA0)));
    CHECK("gp ltr-ldt-ti", __asm__ volatile(AT("ltr %%ax") :: "a"(0x4C)));
    CHECK("np ltr-not-present", __asm__ volatile(AT("ltr %%ax") :: "a"(SEL(T_NP, 0))));
    CHECK("gp lldt-tss", __asm__ volatile(AT("lldt %%ax") :: "a"(SEL_TSS)));
    CHECK("gp lldt-ti", __asm__ volatile(AT("lldt %%ax") :: "a"(SEL_LDT | 4)));
    CHECK("ok lldt-null", __asm__ volatile(AT("lldt %%ax") :: "a"(0)));
}

/* Gate for vector 0x90 set to `g`, then INT 0x90. */
static void int_gate_case(const char *name, uint64_t g)
{
    idt[0x90] = g;
    CHECK(name, __asm__ volatile(AT("int $0x90")));
    set_trap_gate(0x90, SYS_INTGATE, 0, SEL_CODE0);
}

static void gates(void)
{
    uint32_t stub = trap_stub(0x90);
    int_gate_case("np int-gate-not-present", make_gate(SEL_CODE0, stub, SYS_INTGATE, 0, 0) & ~(1ull << 47));
    int_gate_case("gp int-gate-call-type", make_gate(SEL_CODE0, stub, SYS_CALLGATE, 0, 0));
    int_gate_case("gp int-gate-tss-type", make_gate(SEL_CODE0, stub, SYS_TSS32, 0, 0));
    int_gate_case("gp int-gate-16bit-type3", make_gate(SEL_CODE0, stub, 0x3, 0, 0));
    int_gate_case("gp int-gate-cs-null", make_gate(0, stub, SYS_INTGATE, 0, 0));
    int_gate_case("gp int-gate-cs-data", make_gate(SEL_DATA0, stub, SYS_INTGATE, 0, 0));
    int_gate_case("gp int-gate-cs-beyond", make_gate(0x300, stub, SYS_INTGATE, 0, 0));
    int_gate_case("np int-gate-cs-not-present", make_gate(SEL(C_NP, 0), stub, SYS_INTGATE, 0, 0));
    int_gate_case("int int-gate-trap-type", make_gate(SEL_CODE0, stub, SYS_TRAPGATE, 0, 0));

    idt_load_limit(0x90 * 8 - 1);
    CHECK("gp int-beyond-idt-limit", __asm__ volatile(AT("int $0x90")));
    idt_load_limit(0x90 * 8 + 7);
    CHECK("int int-at-idt-limit", __asm__ volatile(AT("int $0x90")));
    idt_restore();

}

/* ---- privileged instructions at CPL 3: #GP(0) ---- */
static struct dtr scratch_dtr;

#define PRIV(name, insn, ...) \
    static uint32_t name(uint32_t a) { (void)a; __asm__ volatile(AT(insn) __VA_ARGS__); return 0; }
PRIV(p_hlt, "hlt")
PRIV(p_cli, "cli")
PRIV(p_sti, "sti")
PRIV(p_clts, "clts")
PRIV(p_lgdt, "lgdt %0", :: "m"(scratch_dtr))
PRIV(p_lidt, "lidt %0", :: "m"(scratch_dtr))
PRIV(p_ltr, "ltr %%ax", :: "a"(SEL_TSS))
PRIV(p_lldt, "lldt %%ax", :: "a"(0))
PRIV(p_lmsw, "lmsw %%ax", :: "a"(0x31))
PRIV(p_rd_cr0, "movl %%cr0, %%eax", ::: "eax")
PRIV(p_wr_cr3, "movl %%eax, %%cr3", :: "a"(0))
PRIV(p_rd_dr7, "movl %%dr7, %%eax", ::: "eax")
PRIV(p_rdmsr, "rdmsr", :: "c"(MSR_EFER) : "eax", "edx")
PRIV(p_wrmsr, "wrmsr", :: "c"(MSR_SYSENTER_CS), "a"(0), "d"(0))
PRIV(p_invlpg, "invlpg (%%eax)", :: "a"(0))
PRIV(p_wbinvd, "wbinvd")
PRIV(p_invd, "invd")
PRIV(p_rdpmc, "rdpmc", :: "c"(0) : "eax", "edx")
PRIV(p_rdtsc, "rdtsc", ::: "eax", "edx")

static void privileged(void)
{
    static const struct { const char *name; ring_fn_t fn; } t[] = {
        { "gp cpl3-hlt", p_hlt }, { "gp cpl3-cli", p_cli }, { "gp cpl3-sti", p_sti },
        { "gp cpl3-clts", p_clts }, { "gp cpl3-lgdt", p_lgdt }, { "gp cpl3-lidt", p_lidt },
        { "gp cpl3-ltr", p_ltr }, { "gp cpl3-lldt", p_lldt }, { "gp cpl3-lmsw", p_lmsw },
        { "gp cpl3-mov-from-cr0", p_rd_cr0 }, { "gp cpl3-mov-to-cr3", p_wr_cr3 },
        { "gp cpl3-mov-from-dr7", p_rd_dr7 }, { "gp cpl3-rdmsr", p_rdmsr },
        { "gp cpl3-wrmsr", p_wrmsr }, { "gp cpl3-invlpg", p_invlpg },
        { "gp cpl3-wbinvd", p_wbinvd }, { "gp cpl3-invd", p_invd }, { "gp cpl3-rdpmc", p_rdpmc },
    };
    for (volatile unsigned i = 0; i < sizeof t / sizeof t[0]; i++)
        CHECK(t[i].name, ring_call(3, t[i].fn, 0));

    write_cr4(read_cr4() | CR4_TSD);
    CHECK("gp cpl3-rdtsc-tsd", ring_call(3, p_rdtsc, 0));
    CHECK("ok cpl0-rdtsc-tsd", p_rdtsc(0));
    write_cr4(read_cr4() & ~CR4_TSD);
}

void test_selectors(void)
{
    set_desc(D_NP, 0, 0xFFFFF, ACC_DATA(0) & ~ACC_P, FLG_G | FLG_DB);
    set_desc(C_XONLY, 0, 0xFFFFF, ACC_P | ACC_S | ACC_CODE_X, FLG_G | FLG_DB);
    set_desc(D_RO, 0, 0xFFFFF, ACC_P | ACC_S | ACC_DATA_R, FLG_G | FLG_DB);
    set_desc(C_NP, 0, 0xFFFFF, ACC_CODE(0) & ~ACC_P, FLG_G | FLG_DB);
    set_desc(T_NP, (uint32_t)&tss, sizeof tss - 1, SYS_TSS32, 0);
    seg_loads();
    far_transfers();
    desc_tables();
    gates();
    privileged();
    printf("sel tr=%04x ldtr=%04x\n", str(), sldt());
}
