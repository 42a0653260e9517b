/*
 * io-privilege: what ring 3 may do with I/O and the flags, and what it can
 * see (SDM Vol. 1 §18.5 "Protected-mode I/O", Vol. 3 §7.2.5 I/O permission
 * bit map, Vol. 2 POPF/IRET/CLI/STI, SGDT/SIDT/SLDT/STR/SMSW).
 *
 *  - IN/OUT/INS/OUTS at CPL > IOPL consult the TSS bitmap: every bit for
 *    the bytes accessed must be 0; the CPU reads two bitmap bytes, all
 *    within the TSS limit, else #GP(0). At CPL <= IOPL no bitmap check.
 *  - CLI/STI at CPL > IOPL: #GP(0).
 *  - POPF / IRET at CPL > 0 never change IOPL; at CPL > IOPL they leave IF
 *    unchanged silently (no fault): the x86 virtualization hole.
 *  - SGDT/SIDT/SLDT/STR/SMSW are unprivileged; CS and SS carry the CPL.
 * Ports: 0x80 (POST) and 0x84/0x85 are written; nothing read is printed.
 */
#include "test.h"

static const char *volatile cur;

static void result(int faulted)
{
    if (faulted)
        printf("io %s vec=%u err=%04x\n", cur, last_exc.vector, last_exc.error);
    else
        printf("io %s ok\n", cur);
}

/* run fn(arg) at ring with IOPL iopl under TRY, print one line */
static void at_ring(const char *name, unsigned ring, unsigned iopl_v, ring_fn_t fn, uint32_t arg)
{
    volatile int f = 0;
    cur = name;
    TRY { ring_call_eflags(ring, fn, arg, EFL_IOPL(iopl_v)); } CATCH { f = 1; }
    result(f);
}

static uint32_t do_outb(uint32_t port)  { outb((uint16_t)port, 0); return 0; }
static uint32_t do_outw(uint32_t port)  { outw((uint16_t)port, 0); return 0; }
static uint32_t do_outl(uint32_t port)  { outl((uint16_t)port, 0); return 0; }
static uint32_t do_inb(uint32_t port)   { (void)inb((uint16_t)port); return 0; }
static uint32_t do_inw(uint32_t port)   { (void)inw((uint16_t)port); return 0; }
static uint32_t do_outb_imm80(uint32_t a) { (void)a; __asm__ volatile("outb %%al, $0x80" :: "a"(0)); return 0; }
static uint8_t ins_buf[4];
static uint32_t do_insb(uint32_t port)  { insb1((uint16_t)port, ins_buf); return 0; }
static uint32_t do_outsb(uint32_t port) { outsb1((uint16_t)port, ins_buf); return 0; }
static uint32_t do_cli(uint32_t a) { (void)a; cli(); return 0; }
static uint32_t do_sti(uint32_t a) { (void)a; sti(); cli(); return 0; }

static void bitmap(void)
{
    io_allow(0x80, 1);            /* 0x80 allowed, 0x81 denied */
    io_allow(0x84, 2);            /* 0x84, 0x85 allowed */
    at_ring("r3-iopl0 outb 80 allowed", 3, 0, do_outb, 0x80);
    at_ring("r3-iopl0 outb-imm 80 allowed", 3, 0, do_outb_imm80, 0);
    at_ring("r3-iopl0 inb 80 allowed", 3, 0, do_inb, 0x80);
    at_ring("r3-iopl0 outb 81 denied", 3, 0, do_outb, 0x81);
    at_ring("r3-iopl0 outw 80 straddles 81", 3, 0, do_outw, 0x80);
    at_ring("r3-iopl0 outw 84 both allowed", 3, 0, do_outw, 0x84);
    at_ring("r3-iopl0 inw 84 both allowed", 3, 0, do_inw, 0x84);
    at_ring("r3-iopl0 outl 84 straddles 86", 3, 0, do_outl, 0x84);
    at_ring("r3-iopl0 outb 3f8 denied", 3, 0, do_outb, 0x3F8);
    at_ring("r3-iopl0 insb 80 allowed", 3, 0, do_insb, 0x80);
    at_ring("r3-iopl0 insb 81 denied", 3, 0, do_insb, 0x81);
    at_ring("r3-iopl0 outsb 80 allowed", 3, 0, do_outsb, 0x80);
    at_ring("r3-iopl0 outsb 81 denied", 3, 0, do_outsb, 0x81);
    at_ring("r3-iopl3 outb 81 no-bitmap", 3, 3, do_outb, 0x81);
    at_ring("r3-iopl3 outw 80", 3, 3, do_outw, 0x80);
    at_ring("r3-iopl2 outb 81 denied", 3, 2, do_outb, 0x81);
    at_ring("r1-iopl1 outb 81 no-bitmap", 1, 1, do_outb, 0x81);
    at_ring("r2-iopl1 outb 81 denied", 2, 1, do_outb, 0x81);
    at_ring("r2-iopl1 outb 80 allowed", 2, 1, do_outb, 0x80);
    at_ring("r0-iopl0 outb 81", 0, 0, do_outb, 0x81);

    /* bitmap allowing port 0xFFFF: last bitmap byte, second byte is the terminator */
    io_allow(0xFFFF, 1);
    at_ring("r3-iopl0 outb ffff allowed", 3, 0, do_outb, 0xFFFF);
    io_deny(0xFFFF, 1);

    /* shrink the TSS limit so the bitmap ends at byte 0x11 (ports 0x88-0x8f):
     * port 0x80 reads bytes 0x10-0x11 (in), 0x88 reads 0x11-0x12 (0x12 out) */
    io_allow(0x84, 0x10);         /* 0x84..0x93 allowed in memory */
    tss_set_limit(TSS_IOMAP_OFFSET + 0x11);
    at_ring("short-limit outb 80 both-bytes-in", 3, 0, do_outb, 0x80);
    at_ring("short-limit outb 88 second-byte-out", 3, 0, do_outb, 0x88);
    at_ring("short-limit outb 90 byte-out", 3, 0, do_outb, 0x90);
    tss_set_limit(TSS_IOMAP_OFFSET + 0x12);
    at_ring("limit+1 outb 88 both-bytes-in", 3, 0, do_outb, 0x88);
    at_ring("limit+1 outb 8f", 3, 0, do_outb, 0x8F);
    at_ring("limit+1 outw 8f straddles 90", 3, 0, do_outw, 0x8F);
    /* I/O map base beyond the limit: every port denied */
    tss.tss.iomap_base = 0x1000;
    tss_set_limit(sizeof tss - 1);
    at_ring("iomap-base-beyond-limit outb 80", 3, 0, do_outb, 0x80);
    tss.tss.iomap_base = TSS_IOMAP_OFFSET;
    tss_reload();
    at_ring("restored outb 80", 3, 0, do_outb, 0x80);
    io_deny(0, 65536);

    at_ring("r3-iopl0 cli", 3, 0, do_cli, 0);
    at_ring("r3-iopl0 sti", 3, 0, do_sti, 0);
    at_ring("r3-iopl2 cli", 3, 2, do_cli, 0);
    at_ring("r3-iopl3 cli", 3, 3, do_cli, 0);
    at_ring("r3-iopl3 sti", 3, 3, do_sti, 0);
    at_ring("r1-iopl1 cli", 1, 1, do_cli, 0);
    at_ring("r2-iopl1 sti", 2, 1, do_sti, 0);
}

/* ---- POPF / IRET: which EFLAGS bits stick ---- */
static volatile uint32_t before, after;

static uint32_t try_popf(uint32_t value)
{
    before = read_eflags();
    write_eflags(value);
    after = read_eflags();
    write_eflags(before);   /* restore what we may restore */
    return 0;
}

static uint32_t try_iret(uint32_t value)
{
    uint32_t out;
    before = read_eflags();
    __asm__ volatile("pushl %1\n\tpushl %%cs\n\tpushl $1f\n\tiret\n1:\tpushfl\n\tpopl %0"
                     : "=r"(out) : "r"(value) : "memory", "cc");
    after = out;
    write_eflags(before);
    return 0;
}

#define SHOWN (EFL_IF | EFL_IOPL_MASK | EFL_CF | EFL_DF | EFL_AC | EFL_ID | EFL_NT)

static void flags_case(const char *name, ring_fn_t fn, unsigned ring, uint32_t start, uint32_t value)
{
    ring_call_eflags(ring, fn, value, start);
    printf("flags %s start=%05x set=%05x -> %05x\n", name, before & SHOWN, value & SHOWN, after & SHOWN);
}

static void flags(void)
{
    uint32_t all = EFL_IF | EFL_IOPL(3) | EFL_CF | EFL_DF | EFL_AC | EFL_ID | EFL_FIXED;
    flags_case("popf r3-iopl0 set-all", try_popf, 3, 0, all);
    flags_case("popf r3-iopl0 clear-if", try_popf, 3, EFL_IF, EFL_FIXED);
    flags_case("popf r3-iopl3 set-all", try_popf, 3, EFL_IOPL(3), all);
    flags_case("popf r3-iopl3 clear-iopl", try_popf, 3, EFL_IOPL(3) | EFL_IF, EFL_FIXED);
    flags_case("popf r1-iopl1 set-all", try_popf, 1, EFL_IOPL(1), all);
    flags_case("popf r1-iopl0 set-all", try_popf, 1, 0, all);
    flags_case("popf r2-iopl2 clear-if", try_popf, 2, EFL_IOPL(2) | EFL_IF, EFL_FIXED);
    cli();
    flags_case("popf r0 set-all", try_popf, 0, 0, all & ~EFL_IF);
    flags_case("iret r3-iopl0 set-all", try_iret, 3, 0, all);
    flags_case("iret r3-iopl3 set-all", try_iret, 3, EFL_IOPL(3), all);
    flags_case("iret r1-iopl1 set-all", try_iret, 1, EFL_IOPL(1), all);
    write_eflags(EFL_FIXED);
}

/* ---- unprivileged views of privileged state ---- */
static volatile struct dtr g, i;
static volatile uint32_t v_ldtr, v_tr, v_msw, v_cs, v_ss, v_fl;

static uint32_t peek(uint32_t a)
{
    (void)a;
    struct dtr tg, ti;
    sgdt(&tg);
    sidt(&ti);
    g = tg;
    i = ti;
    v_ldtr = sldt();
    v_tr = str();
    v_msw = smsw();
    v_cs = read_cs();
    v_ss = read_ss();
    v_fl = read_eflags();
    return 0;
}

static void views(void)
{
    for (volatile unsigned r = 0; r <= 3; r++) {
        volatile int f = 0;
        TRY { ring_call_eflags(r, peek, 0, EFL_IOPL(r == 3 ? 0 : 1)); } CATCH { f = 1; }
        if (f) {
            printf("view r%u vec=%u err=%04x\n", r, last_exc.vector, last_exc.error);
            continue;
        }
        printf("view r%u gdt=%04x:%s idt=%04x:%s ldtr=%04x tr=%04x msw=%04x cs=%04x cpl=%u ss=%04x iopl=%u if=%u\n",
               r, g.limit, g.base == (uint32_t)gdt ? "gdt" : "?", i.limit,
               i.base == (uint32_t)idt ? "idt" : "?", v_ldtr, v_tr, v_msw & 0xFFFF, v_cs, v_cs & 3,
               v_ss, (v_fl >> 12) & 3, (v_fl >> 9) & 1);
    }
    ldt_load();
    write_cr0(read_cr0() | CR0_TS | CR0_MP);
    ring_call_eflags(3, peek, 0, EFL_IOPL(3) | EFL_IF);
    printf("view r3 after-lldt-ts ldtr=%04x msw=%04x iopl=%u if=%u\n", v_ldtr, v_msw & 0xFFFF,
           (v_fl >> 12) & 3, (v_fl >> 9) & 1);
    clts();
    write_cr0(read_cr0() & ~CR0_MP);
    lldt(0);
}

void test_main(void)
{
    outb(0x21, 0xFF);    /* IF may become 1 below: keep every IRQ masked */
    outb(0xA1, 0xFF);
    bitmap();
    flags();
    views();
}
