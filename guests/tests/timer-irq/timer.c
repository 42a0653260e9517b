/*
 * timer-irq: the 8259A PIC pair, the 8254 PIT and the MC146818 CMOS RTC as
 * a PC kernel drives them, and how the CPU takes external interrupts.
 * (Intel 8259A and 8254 data sheets; Motorola MC146818A data sheet;
 * Intel SDM Vol. 3 §6.8.1 IF, §6.8.3 STI shadow.)
 *
 *   master 8259: cmd 0x20 data 0x21, vectors 0x20-0x27, slave on IR2
 *   slave  8259: cmd 0xA0 data 0xA1, vectors 0x28-0x2F
 *   8254: counters 0x40-0x42, control 0x43; channel 0 drives IRQ0
 *   RTC: index 0x70, data 0x71; periodic interrupt on IRQ8
 *
 * Only counts, vectors, register format bits and booleans are printed,
 * never a time or a counter value. Every wait for N interrupts stops at
 * exactly N: the handler that reaches the target clears IF in the frame
 * it returns to, and the wait loop tests the count with IF = 0 before
 * STI; HLT (the STI shadow makes that pair atomic).
 *
 * Where a case needs time to pass without the interrupt under test, the
 * other source is the clock: 8 RTC periods (1024 Hz) while IRQ0 (PIT at
 * ~1 kHz) is masked; 10 PIT periods while the RTC's IRQ8 is in service.
 * Busy-polling device ports is never used as a clock (on QEMU it can
 * starve the timer thread).
 *
 * Covered: PIC initialisation (ICW1-4) and IMR read-back; PIT channel 0
 * in mode 2 and mode 3 (read-back status, counter latch decreasing),
 * N timer interrupts and their vector; RTC periodic interrupt through the
 * slave (vector 0x28, register C); a masked IRQ is not delivered but
 * latched in IRR; IF = 0 holds an unmasked pending IRQ until STI; the
 * one-instruction STI shadow; without EOI the in-service IRQ is not
 * delivered again (ISR/IRR read back through OCW3), non-specific and
 * specific EOI; RTC registers A/B/D format bits, the update-in-progress
 * protocol, BCD and binary data modes.
 */
#include "test.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIC_EOI 0x20
#define PIT_CH0 0x40
#define PIT_CTL 0x43
#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define VEC_IRQ0 0x20
#define VEC_IRQ8 0x28
#define PIT_COUNT 1193               /* ~1 kHz */
#define NONE (~0u)

extern char sti_shadow[], sti_next[], sti_after_next[];

/* ---- interrupt bookkeeping ---- */
static volatile unsigned ticks, rtc_ticks, target = NONE, rtc_target = NONE;
static volatile unsigned last_vec, rtc_vec, spurious;
static volatile int specific_eoi, rtc_slave_eoi = 1;
static volatile uint32_t first_eip, first_ecx;
static volatile uint8_t rtc_c;

static void stop_if_done(struct trap_frame *f)
{
    if (ticks >= target || rtc_ticks >= rtc_target)
        f->eflags &= ~EFL_IF;
}

static void irq0_handler(struct trap_frame *f)
{
    if (ticks == 0) {
        first_eip = f->eip;
        first_ecx = f->ecx;
    }
    ticks++;
    last_vec = f->vector;
    outb(PIC1_CMD, specific_eoi ? 0x60 : PIC_EOI);   /* 0x60: specific EOI for IR0 */
    stop_if_done(f);
}

static uint8_t rtc_read(uint8_t reg) { outb(RTC_INDEX, reg); return inb(RTC_DATA); }
static void rtc_write(uint8_t reg, uint8_t v) { outb(RTC_INDEX, reg); outb(RTC_DATA, v); }

static void irq8_handler(struct trap_frame *f)
{
    rtc_ticks++;
    rtc_vec = f->vector;
    rtc_c = rtc_read(0x0C);          /* reading C lowers IRQ8: the next PF is a new edge */
    if (rtc_slave_eoi)
        outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
    stop_if_done(f);
}

static void spurious_handler(struct trap_frame *f)
{
    (void)f;
    spurious++;
}

/* Wait with IF = 1 until *count reaches t; returns with IF = 0. */
static void wait_until(volatile unsigned *count, volatile unsigned *tgt, unsigned t)
{
    *tgt = t;
    for (;;) {
        cli();
        if (*count >= t)
            break;
        sti_hlt();
    }
    target = rtc_target = NONE;
}
static void wait_ticks(unsigned t) { wait_until(&ticks, &target, t); }
static void wait_rtc(unsigned t) { wait_until(&rtc_ticks, &rtc_target, t); }

/* ---- 8259 ---- */
static void pic_init(void)
{
    outb(PIC1_CMD, 0x11);            /* ICW1: edge, cascade, ICW4 needed */
    outb(PIC2_CMD, 0x11);
    outb(PIC1_DATA, VEC_IRQ0);       /* ICW2: vector base */
    outb(PIC2_DATA, VEC_IRQ8);
    outb(PIC1_DATA, 0x04);           /* ICW3: slave on IR2 */
    outb(PIC2_DATA, 0x02);           /*       slave identity 2 */
    outb(PIC1_DATA, 0x01);           /* ICW4: 8086 mode, normal EOI */
    outb(PIC2_DATA, 0x01);
    outb(PIC1_DATA, 0xFF);           /* OCW1: mask everything */
    outb(PIC2_DATA, 0xFF);
}

/* OCW3: 0x0A selects IRR, 0x0B ISR for the next read of the command port. */
static uint8_t pic_reg(uint16_t cmd, uint8_t ocw3) { outb(cmd, ocw3); return inb(cmd); }
#define IRR1() (pic_reg(PIC1_CMD, 0x0A) & 1)
#define ISR1() (pic_reg(PIC1_CMD, 0x0B) & 1)
#define IRR2() (pic_reg(PIC2_CMD, 0x0A) & 1)
#define ISR2() (pic_reg(PIC2_CMD, 0x0B) & 1)

/* ---- 8254 ---- */
static void pit_program(unsigned mode, uint16_t count)
{
    outb(PIT_CTL, 0x30 | (mode << 1));   /* channel 0, lobyte/hibyte, binary */
    outb(PIT_CH0, count & 0xFF);
    outb(PIT_CH0, count >> 8);
}

static uint16_t pit_latch(void)
{
    outb(PIT_CTL, 0x00);                 /* counter latch, channel 0 */
    uint8_t lo = inb(PIT_CH0);
    return lo | (uint16_t)inb(PIT_CH0) << 8;
}

static uint8_t pit_status(void)
{
    outb(PIT_CTL, 0xE2);                 /* read-back: status only, channel 0 */
    return inb(PIT_CH0);
}

/* 1 once some latched read is below the one before it (bounded). */
static int pit_decreases(void)
{
    uint16_t prev = pit_latch();
    for (unsigned i = 0; i < 100000; i++) {
        uint16_t v = pit_latch();
        if (v < prev)
            return 1;
        prev = v;
    }
    return 0;
}

static void pit_modes(void)
{
    for (unsigned mode = 2; mode <= 3; mode++) {
        pit_program(mode, PIT_COUNT);
        printf("pit mode%u status=%02x\n", mode, pit_status() & 0x3F);
        printf("pit mode%u latch-decreasing=%d\n", mode, pit_decreases());
        ticks = 0;
        outb(PIC1_DATA, 0xFE);                   /* unmask IRQ0 */
        wait_ticks(5);
        outb(PIC1_DATA, 0xFF);
        printf("pit mode%u ticks=%u vec=%02x\n", mode, ticks, last_vec);
    }
}

/* ---- RTC ---- */
static int bcd_ok(uint8_t v, uint8_t max)
{
    return (v & 0x0F) <= 9 && (v >> 4) <= 9 && v < max;
}

static void rtc_wait_not_uip(void)
{
    while (rtc_read(0x0A) & 0x80)
        ;
}

static void rtc_registers(void)
{
    /* Known state, not the BIOS's: 32.768 kHz divider, 1024 Hz rate;
     * 24-hour, BCD, no interrupts, no DST. */
    rtc_write(0x0A, 0x26);
    rtc_write(0x0B, 0x02);
    rtc_read(0x0C);
    printf("rtc regA-divider-rate=%02x\n", rtc_read(0x0A) & 0x7F);
    printf("rtc regB-format=%02x\n", rtc_read(0x0B) & 0x07);     /* DSE, 24/12, DM */
    printf("rtc regD-vrt=%u\n", rtc_read(0x0D) >> 7);

    /* Update-in-progress protocol: wait for UIP = 0, read, repeat until
     * two reads agree. */
    int consistent = 0;
    uint8_t s = 0, m = 0, h = 0;
    for (unsigned tries = 0; tries < 1000 && !consistent; tries++) {
        rtc_wait_not_uip();
        s = rtc_read(0x00); m = rtc_read(0x02); h = rtc_read(0x04);
        rtc_wait_not_uip();
        consistent = s == rtc_read(0x00) && m == rtc_read(0x02) && h == rtc_read(0x04);
    }
    printf("rtc uip-consistent=%d bcd-valid=%d\n", consistent,
           bcd_ok(s, 0x60) && bcd_ok(m, 0x60) && bcd_ok(h, 0x24));

    uint8_t b = rtc_read(0x0B);
    rtc_write(0x0B, b | 0x04);                   /* DM = binary */
    rtc_wait_not_uip();
    s = rtc_read(0x00); m = rtc_read(0x02); h = rtc_read(0x04);
    printf("rtc binary regB-format=%02x valid=%d\n", rtc_read(0x0B) & 0x07, s < 60 && m < 60 && h < 24);
    rtc_write(0x0B, b);
    printf("rtc restored regB-format=%02x\n", rtc_read(0x0B) & 0x07);
}

/* RTC periodic interrupt at 1024 Hz on IRQ8 (slave IR0, master IR2). */
static void rtc_periodic(void)
{
    uint8_t a = rtc_read(0x0A);
    rtc_write(0x0A, (a & 0xF0) | 0x06);          /* rate 6: 1024 Hz */
    rtc_read(0x0C);
    rtc_write(0x0B, rtc_read(0x0B) | 0x40);      /* PIE */
    rtc_ticks = 0;
    outb(PIC2_DATA, 0xFE);                       /* IRQ8 */
    outb(PIC1_DATA, 0xFB);                       /* cascade IR2 */
    wait_rtc(3);
    printf("rtc periodic ticks=%u vec=%02x regc-irqf-pf=%02x\n", rtc_ticks, rtc_vec, rtc_c & 0xC0);
}

static void rtc_stop(void)
{
    outb(PIC2_DATA, 0xFF);
    rtc_write(0x0B, rtc_read(0x0B) & ~0x40);
    rtc_read(0x0C);
}

/* Runs with the RTC ticking (after rtc_periodic) and the PIT in mode 2. */
static void masking_and_eoi(void)
{
    pit_program(2, PIT_COUNT);

    /* IRQ0 masked: 8 RTC periods (~7.8 ms) pass, no IRQ0 (period ~1 ms)
     * is delivered, but IRR latches it. */
    ticks = 0;
    rtc_ticks = 0;
    outb(PIC1_DATA, 0xFB);
    wait_rtc(8);
    printf("masked rtc-ticks=%u ticks=%u irr0=%u\n", rtc_ticks, ticks, IRR1());

    /* IF = 0: unmasked and pending, still not taken. */
    outb(PIC1_DATA, 0xFA);
    for (unsigned i = 0; i < 100; i++)
        io_delay();
    printf("if0 ticks=%u irr0=%u\n", ticks, IRR1());

    /* STI: taken after the instruction that follows STI. */
    target = 1;
    uint32_t r = ((uint32_t (*)(void))sti_shadow)();
    target = NONE;
    printf("sti-shadow ticks=%u eip=%s ecx-at-irq=%u ecx-end=%u\n", ticks,
           first_eip == (uint32_t)sti_after_next ? "after-next" :
           first_eip == (uint32_t)sti_next ? "next" : "other", first_ecx, r);

    /* No EOI to the slave: its IR0 stays in service; later RTC edges wait
     * in its IRR while 10 PIT periods (~10 RTC periods) pass. */
    rtc_slave_eoi = 0;
    rtc_ticks = 0;
    ticks = 0;
    wait_ticks(10);
    printf("no-eoi ticks=%u rtc-ticks=%u slave-isr0=%u slave-irr0=%u\n", ticks, rtc_ticks,
           ISR2(), IRR2());
    outb(PIC2_CMD, PIC_EOI);                     /* non-specific EOI */
    printf("eoi slave-isr0=%u\n", ISR2());
    rtc_slave_eoi = 1;
    wait_rtc(3);
    printf("after-eoi rtc-ticks=%u vec=%02x\n", rtc_ticks, rtc_vec);

    /* Specific EOI (OCW2 0x60 | IR) on the master. */
    rtc_stop();
    specific_eoi = 1;
    ticks = 0;
    outb(PIC1_DATA, 0xFE);
    wait_ticks(3);
    specific_eoi = 0;
    printf("specific-eoi ticks=%u vec=%02x isr0=%u\n", ticks, last_vec, ISR1());

    outb(PIC1_DATA, 0xFF);
    printf("imr master=%02x slave=%02x\n", inb(PIC1_DATA), inb(PIC2_DATA));
}

void test_main(void)
{
    trap_set_handler(VEC_IRQ0, irq0_handler);
    trap_set_handler(VEC_IRQ8, irq8_handler);
    trap_set_handler(0x27, spurious_handler);
    trap_set_handler(0x2F, spurious_handler);
    pic_init();
    printf("pic imr master=%02x slave=%02x\n", inb(PIC1_DATA), inb(PIC2_DATA));
    pit_modes();
    rtc_registers();
    rtc_periodic();
    masking_and_eoi();
    cli();
}
