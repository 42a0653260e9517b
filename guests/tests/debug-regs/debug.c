/*
 * debug-regs: DR0-DR3, DR6, DR7 and EFLAGS.TF, Intel SDM Vol. 3 ch. 17.
 *
 *   DR7:  31..16  LEN3 RW3 LEN2 RW2 LEN1 RW1 LEN0 RW0   (2 bits each)
 *         13 GD   10 reserved (reads 1)   9 GE  8 LE   7..0 G3 L3 .. G0 L0
 *         RW: 00 execute, 01 write, 10 I/O (CR4.DE = 1), 11 read/write
 *         LEN: 00 = 1 byte, 01 = 2, 11 = 4 (address aligned to the length)
 *   DR6:  0..3 B0-B3   13 BD   14 BS   15 BT; reserved bits read 1
 *         (0xFFFF0FF0 when clear); the processor never clears DR6.
 *
 * Covered, one line per case with every #DB's EIP (as a label of code.S)
 * and DR6 at that #DB:
 *   - instruction breakpoints on DR0-DR3 are faults (EIP = the instruction,
 *     pushed RF = 0); the handler sets RF in the frame to resume; a
 *     breakpoint in a loop hits on every pass (RF clears after one insn);
 *   - data breakpoints are traps (EIP = next instruction, the access done):
 *     write-only vs read/write, lengths 1/2/4 with overlapping accesses of
 *     each size, a hit at CPL 3;
 *   - I/O breakpoints (RW = 10 with CR4.DE = 1) on OUT and IN, overlap;
 *   - DR4/DR5 alias DR6/DR7 with CR4.DE = 0 and are #UD with CR4.DE = 1;
 *   - single step (TF): BS, the first trap after the instruction following
 *     the POPF that sets TF; MOV SS / POP SS hold the trap off for one
 *     instruction; stepping a faulting instruction (UD2) gives the fault
 *     and no step trap for it.
 *
 * In debug-regs-sdm (QEMU departs from the SDM): DR7.GD / DR6.BD; a data
 * breakpoint hit by MOV SS / POP SS delivered after the next instruction;
 * two breakpoints met by one access (both B bits); a step trap and a data
 * breakpoint on the same instruction (one #DB with BS and B0).
 *
 * The handler clears DR6 after every #DB, so each record shows the bits of
 * that #DB only.
 */
#include "test.h"

#define DR7_L(n)        (1u << (2 * (n)))
#define DR7_G(n)        (2u << (2 * (n)))
#define DR7_RW(n, rw)   ((uint32_t)(rw) << (16 + 4 * (n)))
#define DR7_LEN(n, len) ((uint32_t)(len) << (18 + 4 * (n)))
enum { RW_X = 0, RW_W = 1, RW_IO = 2, RW_RW = 3 };
enum { LEN1 = 0, LEN2 = 1, LEN4 = 3 };

#define DR_ACCESS(n) \
static inline uint32_t read_dr##n(void) { uint32_t v; __asm__ volatile("mov %%dr" #n ", %0" : "=r"(v)); return v; } \
static inline void write_dr##n(uint32_t v) { __asm__ volatile("mov %0, %%dr" #n :: "r"(v) : "memory"); }
DR_ACCESS(0)
DR_ACCESS(1)
DR_ACCESS(2)
DR_ACCESS(3)
DR_ACCESS(6)
DR_ACCESS(7)
#undef DR_ACCESS

typedef uint32_t (*fn_t)(uint32_t);
#define CODE(n) extern char n[];
CODE(ibp_code) CODE(ibp_l0) CODE(ibp_l1) CODE(ibp_l2) CODE(ibp_l3) CODE(ibp_ret)
CODE(ibp_loop) CODE(ibp_loop_insn)
CODE(da_wr8) CODE(da_wr8_end) CODE(da_wr16) CODE(da_wr16_end) CODE(da_wr32) CODE(da_wr32_end)
CODE(da_rd8) CODE(da_rd8_end) CODE(da_rd32) CODE(da_rd32_end) CODE(da_inc32) CODE(da_inc32_end)
CODE(io_outb) CODE(io_outb_end) CODE(io_outw) CODE(io_outw_end) CODE(io_inb) CODE(io_inb_end)
CODE(ss_block) CODE(ss_1) CODE(ss_2) CODE(ss_3) CODE(ss_4) CODE(ss_5) CODE(ss_6)
CODE(mss_block) CODE(mss_1) CODE(mss_2) CODE(mss_3) CODE(mss_4) CODE(mss_5) CODE(mss_6)
CODE(mss_7) CODE(mss_8) CODE(mss_9) CODE(mss_10)
CODE(sud_block) CODE(sud_1) CODE(sud_2) CODE(sud_3) CODE(sud_4) CODE(sud_5) CODE(sud_6) CODE(sud_7)
#undef CODE

#define L(n) { #n, n }
static const struct { const char *name; const char *addr; } labels[] = {
    L(ibp_code), L(ibp_l0), L(ibp_l1), L(ibp_l2), L(ibp_l3), L(ibp_ret), L(ibp_loop), L(ibp_loop_insn),
    L(da_wr8), L(da_wr8_end), L(da_wr16), L(da_wr16_end), L(da_wr32), L(da_wr32_end),
    L(da_rd8), L(da_rd8_end), L(da_rd32), L(da_rd32_end), L(da_inc32), L(da_inc32_end),
    L(io_outb), L(io_outb_end), L(io_outw), L(io_outw_end), L(io_inb), L(io_inb_end),
    L(ss_block), L(ss_1), L(ss_2), L(ss_3), L(ss_4), L(ss_5), L(ss_6),
    L(mss_block), L(mss_1), L(mss_2), L(mss_3), L(mss_4), L(mss_5), L(mss_6), L(mss_7),
    L(mss_8), L(mss_9), L(mss_10),
    L(sud_block), L(sud_1), L(sud_2), L(sud_3), L(sud_4), L(sud_5), L(sud_6), L(sud_7),
};
#undef L

/* "label" or "label+off" for the nearest label at or below eip. */
static const char *where(uint32_t eip)
{
    static char buf[40];
    unsigned best = ~0u;
    for (unsigned i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        uint32_t a = (uint32_t)labels[i].addr;
        if (a <= eip && (best == ~0u || a > (uint32_t)labels[best].addr))
            best = i;
    }
    if (best == ~0u)
        return "?";
    uint32_t off = eip - (uint32_t)labels[best].addr;
    if (off == 0)
        return labels[best].name;
    snprintf(buf, sizeof buf, "%s+%u", labels[best].name, off);
    return buf;
}

/* ---- #DB and #UD handlers ---- */
#define MAXREC 12
static struct { uint32_t eip, dr6, rf, cpl; } rec[MAXREC];
static volatile unsigned nrec, nud;
static volatile int set_rf;

static void db_handler(struct trap_frame *f)
{
    unsigned i = nrec++;
    if (i < MAXREC) {
        rec[i].eip = f->eip;
        rec[i].dr6 = read_dr6();
        rec[i].rf = (f->eflags >> 16) & 1;
        rec[i].cpl = f->cs & 3;
    }
    write_dr6(0);
    if (set_rf)
        f->eflags |= EFL_RF;
    if (nrec >= 40) {                 /* runaway guard */
        write_dr7(0);
        f->eflags &= ~EFL_TF;
    }
}

static void ud_handler(struct trap_frame *f)
{
    nud++;
    f->eip += 2;                      /* skip UD2 */
}

static void reset(void)
{
    nrec = 0;
    nud = 0;
    write_dr6(0);
}

static void show(const char *name, uint32_t extra_val, int show_val)
{
    printf("%s hits=%u", name, nrec);
    for (unsigned i = 0; i < nrec && i < MAXREC; i++)
        printf(" %s/%08x", where(rec[i].eip), rec[i].dr6);
    if (show_val)
        printf(" val=%08x", extra_val);
    printf("\n");
}

static void disarm(void)
{
    write_dr7(0);
    write_dr0(0);
    write_dr1(0);
    write_dr2(0);
    write_dr3(0);
}

static void set_dr(unsigned n, uint32_t a)
{
    switch (n) {
    case 0: write_dr0(a); break;
    case 1: write_dr1(a); break;
    case 2: write_dr2(a); break;
    default: write_dr3(a); break;
    }
}

/* ---- cases ---- */

static void registers(void)
{
    write_dr6(0);
    printf("dr6 cleared=%08x\n", read_dr6());
    write_dr7(0);
    printf("dr7 cleared=%08x\n", read_dr7());
    write_dr0(0x12345678);
    write_dr3(0xCAFEBABE);
    printf("dr0=%08x dr3=%08x\n", read_dr0(), read_dr3());
    write_dr0(0);
    write_dr3(0);
}

static void instruction_bp(void)
{
    uint32_t r;
    set_dr(0, (uint32_t)ibp_l0);
    set_dr(1, (uint32_t)ibp_l1);
    set_dr(2, (uint32_t)ibp_l2);
    set_dr(3, (uint32_t)ibp_l3);
    write_dr7(DR7_L(0) | DR7_G(1) | DR7_L(2) | DR7_L(3) | DR7_G(3));
    reset();
    set_rf = 1;
    r = ((fn_t)ibp_code)(0);
    set_rf = 0;
    show("ibp dr0-3", r, 1);
    printf("ibp pushed-rf=%u%u%u%u\n", rec[0].rf, rec[1].rf, rec[2].rf, rec[3].rf);
    disarm();

    set_dr(1, (uint32_t)ibp_loop_insn);
    write_dr7(DR7_L(1));
    reset();
    set_rf = 1;
    r = ((fn_t)ibp_loop)(0);
    set_rf = 0;
    show("ibp loop", r, 1);
    /* A disabled breakpoint does not fire. */
    write_dr7(0);
    reset();
    r = ((fn_t)ibp_loop)(0);
    show("ibp disabled", r, 1);
    disarm();
}

static volatile uint32_t dbuf[4] __attribute__((aligned(16)));

static void data_case(const char *name, unsigned rw, unsigned len, uint32_t off,
                      char *fn, uint32_t acc_off)
{
    for (unsigned i = 0; i < 4; i++)
        dbuf[i] = 0x11111111u * (i + 1);
    set_dr(0, (uint32_t)dbuf + off);
    write_dr7(DR7_L(0) | DR7_RW(0, rw) | DR7_LEN(0, len));
    reset();
    uint32_t r = ((fn_t)fn)((uint32_t)dbuf + acc_off);
    write_dr7(0);
    show(name, fn == da_rd8 || fn == da_rd32 ? r : dbuf[acc_off / 4], 1);
}

static uint32_t user_write(uint32_t p) { return ((fn_t)da_wr32)(p); }

static void data_bp(void)
{
    data_case("data w4 wr32", RW_W, LEN4, 0, da_wr32, 0);
    data_case("data w4 rd32", RW_W, LEN4, 0, da_rd32, 0);
    data_case("data rw4 rd32", RW_RW, LEN4, 0, da_rd32, 0);
    data_case("data rw4 rd8+3", RW_RW, LEN4, 0, da_rd8, 3);
    data_case("data rw4 inc32", RW_RW, LEN4, 0, da_inc32, 0);
    data_case("data w1@1 wr8+1", RW_W, LEN1, 1, da_wr8, 1);
    data_case("data w1@1 wr8+0", RW_W, LEN1, 1, da_wr8, 0);
    data_case("data w1@1 wr16+0", RW_W, LEN1, 1, da_wr16, 0);
    data_case("data w1@1 wr32+0", RW_W, LEN1, 1, da_wr32, 0);
    data_case("data w1@1 wr8+2", RW_W, LEN1, 1, da_wr8, 2);
    data_case("data w2@2 wr16+0", RW_W, LEN2, 2, da_wr16, 0);
    data_case("data w2@2 wr8+3", RW_W, LEN2, 2, da_wr8, 3);
    data_case("data w2@2 wr32+0", RW_W, LEN2, 2, da_wr32, 0);
    data_case("data w2@2 wr16+4", RW_W, LEN2, 2, da_wr16, 4);
    data_case("data w4@4 wr8+7", RW_W, LEN4, 4, da_wr8, 7);
    data_case("data w4@4 wr32+8", RW_W, LEN4, 4, da_wr32, 8);
    data_case("data w4@4 wr32+0", RW_W, LEN4, 4, da_wr32, 0);
    data_case("data rw1@2 rd32+0", RW_RW, LEN1, 2, da_rd32, 0);

    /* A data breakpoint on an access made at CPL 3 (L0: local, any CPL). */
    set_dr(1, (uint32_t)&dbuf[3]);
    write_dr7(DR7_L(1) | DR7_RW(1, RW_W) | DR7_LEN(1, LEN4));
    reset();
    ring_call(3, user_write, (uint32_t)&dbuf[3]);
    write_dr7(0);
    show("data cpl3 wr32", dbuf[3], 1);
    printf("data cpl3 handler-saw-cpl=%u\n", rec[0].cpl);
    disarm();
}

static void io_case(const char *name, uint32_t bp_port, unsigned len, char *fn, uint32_t port)
{
    set_dr(0, bp_port);
    write_dr7(DR7_L(0) | DR7_RW(0, RW_IO) | DR7_LEN(0, len));
    reset();
    ((fn_t)fn)(port);
    write_dr7(0);
    show(name, 0, 0);
}

static void io_bp(void)
{
    write_cr4(read_cr4() | CR4_DE);
    io_case("io b1@80 outb80", 0x80, LEN1, io_outb, 0x80);
    io_case("io b1@80 inb80", 0x80, LEN1, io_inb, 0x80);
    io_case("io b1@81 outb80", 0x81, LEN1, io_outb, 0x80);
    io_case("io b1@81 outw80", 0x81, LEN1, io_outw, 0x80);
    io_case("io b2@80 outb81", 0x80, LEN2, io_outb, 0x81);
    io_case("io b4@80 outb83", 0x80, LEN4, io_outb, 0x83);
    io_case("io b4@80 outb84", 0x80, LEN4, io_outb, 0x84);
    disarm();

    /* DR4/DR5: #UD with CR4.DE = 1, aliases of DR6/DR7 with CR4.DE = 0. */
    uint32_t v = 0;
    printf("de=1 mov-from-dr4 vec=%d\n", expect_fault(__asm__ volatile("mov %%dr4, %0" : "=r"(v))));
    printf("de=1 mov-to-dr5 vec=%d\n", expect_fault(__asm__ volatile("mov %0, %%dr5" :: "r"(v))));
    write_cr4(read_cr4() & ~CR4_DE);
    write_dr6(0);
    write_dr7(0);
    __asm__ volatile("mov %0, %%dr5" :: "r"(DR7_L(2) | DR7_RW(2, RW_W)));
    __asm__ volatile("mov %%dr4, %0" : "=r"(v));
    printf("de=0 dr4=%08x dr7-via-dr5=%08x\n", v, read_dr7());
    write_dr7(0);
}

static void single_step(void)
{
    write_dr7(0);
    reset();
    ((fn_t)ss_block)(0);
    show("step basic", 0, 0);

    reset();
    ((fn_t)mss_block)(0);
    show("step mov-ss/pop-ss", 0, 0);

    trap_set_handler(VEC_UD, ud_handler);
    reset();
    ((fn_t)sud_block)(0);
    trap_set_handler(VEC_UD, 0);
    show("step ud2", 0, 0);
    printf("step ud2 ud-count=%u\n", nud);

}

void test_main(void)
{
    trap_set_handler(VEC_DB, db_handler);
    registers();
    instruction_bp();
    data_bp();
    io_bp();
    single_step();
    disarm();
    trap_set_handler(VEC_DB, 0);
}
