/*
 * debug-regs-sdm: debug-exception cases where QEMU TCG departs from the
 * Intel SDM (oracle: sdm; expected.txt written from the SDM; listed in
 * docs/qemu-deviations.md). SDM Vol. 3 ch. 17 and §6.8.3.
 *
 *   gd       DR7.GD = 1: the next MOV to/from a debug register is a #DB
 *            fault (EIP = that MOV) with DR6.BD = 1, and the processor
 *            clears DR7.GD on entry to the handler (§17.2.4); the MOV then
 *            runs when the handler returns. QEMU ignores GD.
 *   mov-ss   a data breakpoint hit by MOV SS or POP SS is held until the
 *            instruction after it completes (§6.8.3): EIP = after the NOP
 *            that follows. QEMU delivers it right after MOV SS, and never
 *            for POP SS (QEMU's POP does not trigger data breakpoints).
 *   two-bps  one access meeting two enabled breakpoints sets both B bits in
 *            the one #DB (§17.2.3). QEMU reports only the first.
 *   step+data  single step and a data breakpoint on the same instruction:
 *            one #DB with DR6 = BS | B0 (both trap-class, reported
 *            together). QEMU delivers the data #DB, then a second,
 *            single-step #DB on the first instruction of the handler.
 *
 * Each line lists every #DB as <label>/<DR6 at the #DB>; the handler clears
 * DR6 after each. A #DB at an address outside the labels prints "other".
 */
#include "test.h"

#define DR7_L(n)        (1u << (2 * (n)))
#define DR7_RW(n, rw)   ((uint32_t)(rw) << (16 + 4 * (n)))
#define DR7_LEN(n, len) ((uint32_t)(len) << (18 + 4 * (n)))
#define DR7_GD          (1u << 13)
enum { RW_W = 1, RW_RW = 3 };
enum { LEN1 = 0, LEN2 = 1, LEN4 = 3 };

static inline uint32_t read_dr6(void) { uint32_t v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static inline void write_dr6(uint32_t v) { __asm__ volatile("mov %0, %%dr6" :: "r"(v)); }
static inline uint32_t read_dr7(void) { uint32_t v; __asm__ volatile("mov %%dr7, %0" : "=r"(v)); return v; }
static inline void write_dr7(uint32_t v) { __asm__ volatile("mov %0, %%dr7" :: "r"(v)); }
static inline void write_dr0(uint32_t v) { __asm__ volatile("mov %0, %%dr0" :: "r"(v)); }
static inline void write_dr2(uint32_t v) { __asm__ volatile("mov %0, %%dr2" :: "r"(v)); }

typedef uint32_t (*fn_t)(uint32_t);
#define CODE(n) extern char n[];
CODE(gd_read) CODE(gd_read_insn) CODE(gd_read_end) CODE(gd_write) CODE(gd_write_insn) CODE(gd_write_end)
CODE(movss_db) CODE(movss_insn) CODE(movss_next) CODE(movss_after)
CODE(popss_db) CODE(popss_insn) CODE(popss_next) CODE(popss_after)
CODE(two_wr32) CODE(two_wr32_end)
CODE(sdb_block) CODE(sdb_1) CODE(sdb_2) CODE(sdb_3) CODE(sdb_4) CODE(sdb_5) CODE(sdb_6)
#undef CODE

#define L(n) { #n, n }
static const struct { const char *name; const char *addr; } labels[] = {
    L(gd_read_insn), L(gd_read_end), L(gd_write_insn), L(gd_write_end),
    L(movss_insn), L(movss_next), L(movss_after),
    L(popss_insn), L(popss_next), L(popss_after),
    L(two_wr32), L(two_wr32_end),
    L(sdb_1), L(sdb_2), L(sdb_3), L(sdb_4), L(sdb_5), L(sdb_6),
};
#undef L

static const char *where(uint32_t eip)
{
    for (unsigned i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if ((uint32_t)labels[i].addr == eip)
            return labels[i].name;
    return "other";
}

#define MAXREC 8
static struct { uint32_t eip, dr6, dr7; } rec[MAXREC];
static volatile unsigned nrec;

static void db_handler(struct trap_frame *f)
{
    unsigned i = nrec++;
    if (i < MAXREC) {
        rec[i].eip = f->eip;
        rec[i].dr6 = read_dr6();
        rec[i].dr7 = read_dr7();       /* GD is already clear here */
    }
    write_dr6(0);
    if (nrec >= 20) {                  /* runaway guard */
        write_dr7(0);
        f->eflags &= ~EFL_TF;
    }
}

static void reset(void) { nrec = 0; write_dr6(0); }

static void show(const char *name, int with_dr7)
{
    printf("%s hits=%u", name, nrec);
    for (unsigned i = 0; i < nrec && i < MAXREC; i++) {
        printf(" %s/%08x", where(rec[i].eip), rec[i].dr6);
        if (with_dr7)
            printf(" dr7=%08x", rec[i].dr7);
    }
    printf("\n");
}

static volatile uint32_t dbuf[4] __attribute__((aligned(16)));
static volatile uint16_t ssvar __attribute__((aligned(4)));

void test_main(void)
{
    trap_set_handler(VEC_DB, db_handler);

    reset();
    write_dr7(DR7_GD);
    ((fn_t)gd_read)(0);
    show("gd mov-from-dr0", 1);
    write_dr7(0);
    printf("gd after dr7=%08x\n", read_dr7());

    reset();
    write_dr7(DR7_GD | DR7_L(3));
    ((fn_t)gd_write)(0);
    show("gd mov-to-dr7", 1);
    printf("gd after dr7=%08x\n", read_dr7());
    write_dr7(0);

    ssvar = read_ss();
    write_dr0((uint32_t)&ssvar);
    write_dr7(DR7_L(0) | DR7_RW(0, RW_RW) | DR7_LEN(0, LEN2));
    reset();
    ((fn_t)movss_db)((uint32_t)&ssvar);
    write_dr7(0);
    show("mov-ss data-bp", 0);


    write_dr0((uint32_t)dbuf);
    write_dr2((uint32_t)dbuf + 2);
    write_dr7(DR7_L(0) | DR7_RW(0, RW_W) | DR7_LEN(0, LEN1) |
              DR7_L(2) | DR7_RW(2, RW_W) | DR7_LEN(2, LEN2));
    reset();
    ((fn_t)two_wr32)((uint32_t)dbuf);
    write_dr7(0);
    show("two-bps wr32", 0);

    write_dr0((uint32_t)dbuf);
    write_dr7(DR7_L(0) | DR7_RW(0, RW_W) | DR7_LEN(0, LEN4));
    reset();
    ((fn_t)sdb_block)((uint32_t)dbuf);
    write_dr7(0);
    show("step+data", 0);
    printf("step+data val=%08x\n", dbuf[0]);

    /* Last: on QEMU a POP reading a watched address also upsets later
     * data breakpoints. */
    reset();
    ((fn_t)popss_db)(DR7_L(0) | DR7_RW(0, RW_RW) | DR7_LEN(0, LEN4));
    write_dr7(0);
    show("pop-ss data-bp", 0);

    write_dr0(0);
    write_dr2(0);
    trap_set_handler(VEC_DB, 0);
}
