/*
 * The demo kernel `npm start` boots: a guided tour of what the emulated PC
 * must do for an operating system, each step printed on COM1.
 *
 *   1. paging on (2-level, 8 MiB identity map, CR0.WP)
 *   2. a page fault on an unmapped page, handled by mapping a fresh frame
 *      (demand paging) and resuming the faulting instruction
 *   3. a ring-3 task making system calls through an int $0x80 trap gate
 *   4. the 8254 PIT through the 8259 PIC: 5 timer interrupts awaited with HLT
 *
 * Output does not depend on timing: only counts and values we set up are printed.
 */
#include "test.h"

#define DEMAND_VA   0x40000000u
#define DEMAND_PA   0x00300000u
#define SYS_WRITE   1
#define SYS_GETRING 2
#define SYS_ADD     3

static volatile unsigned pf_count;

static void pf_handler(struct trap_frame *f)
{
    uint32_t cr2 = read_cr2();
    printf("  #PF at %08x err=%x (not present, write): mapping frame %08x\n",
           cr2, f->error, DEMAND_PA + pf_count * PAGE_SIZE);
    if (cr2 < DEMAND_VA || cr2 >= DEMAND_VA + 0x100000 || pf_count >= 4)
        panic("unexpected page fault");
    memset((void *)(DEMAND_PA + pf_count * PAGE_SIZE), 0, PAGE_SIZE);
    pg_map(cr2 & ~0xFFFu, DEMAND_PA + pf_count * PAGE_SIZE, PTE_W | PTE_U);
    invlpg(cr2);
    pf_count++;
}

/* int $0x80: EAX = number, EBX/ECX = arguments, result in EAX. */
static void syscall_handler(struct trap_frame *f)
{
    switch (f->eax) {
    case SYS_WRITE: {
        const char *s = (const char *)f->ebx;
        for (uint32_t i = 0; i < f->ecx; i++)
            serial_putc(s[i]);
        f->eax = f->ecx;
        break;
    }
    case SYS_GETRING: f->eax = f->cs & 3; break;
    case SYS_ADD:     f->eax = f->ebx + f->ecx; break;
    default:          f->eax = (uint32_t)-38; break;   /* -ENOSYS */
    }
}

static uint32_t sys(uint32_t nr, uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b) : "memory");
    return r;
}

static uint32_t user_task(uint32_t arg)
{
    static const char msg[] = "  hello from ring 3 via int $0x80\n";
    sys(SYS_WRITE, (uint32_t)msg, sizeof msg - 1);
    uint32_t ring = sys(SYS_GETRING, 0, 0);
    uint32_t sum = sys(SYS_ADD, arg, 58);
    char line[64];
    int n = snprintf(line, sizeof line, "  caller ring=%u, %u+58=%u, bad call=%d\n",
                     ring, arg, sum, (int)sys(99, 0, 0));
    sys(SYS_WRITE, (uint32_t)line, (uint32_t)n);
    return sum;
}

/* ---- 8259 PIC and 8254 PIT ---- */
#define PIC1 0x20
#define PIC2 0xA0
#define IRQ_BASE 0x20
static volatile unsigned ticks;

static void pic_init(void)
{
    outb(PIC1, 0x11); outb(PIC2, 0x11);          /* ICW1: edge, cascade, ICW4 */
    outb(PIC1 + 1, IRQ_BASE); outb(PIC2 + 1, IRQ_BASE + 8);
    outb(PIC1 + 1, 0x04); outb(PIC2 + 1, 0x02);  /* slave on IRQ2 */
    outb(PIC1 + 1, 0x01); outb(PIC2 + 1, 0x01);  /* 8086 mode */
    outb(PIC1 + 1, 0xFE); outb(PIC2 + 1, 0xFF);  /* only IRQ0 */
}

static void timer_handler(struct trap_frame *f)
{
    (void)f;
    ticks++;
    outb(PIC1, 0x20);                            /* EOI */
}

static void pit_start(unsigned hz)
{
    unsigned div = 1193182 / hz;
    outb(0x43, 0x34);                            /* ch0, lo/hi, mode 2 */
    outb(0x40, div & 0xFF);
    outb(0x40, div >> 8);
}

void test_main(void)
{
    printf("tsxen demo kernel: IA-32 protected mode, paging, interrupts\n");

    printf("[1] paging\n");
    pg_init(PG_2LEVEL, 8u << 20);
    paging_enable(CR0_WP);
    printf("  CR0.PG=%u CR0.WP=%u, 8 MiB identity mapped\n",
           read_cr0() >> 31, (read_cr0() >> 16) & 1);

    printf("[2] demand paging\n");
    trap_set_handler(VEC_PF, pf_handler);
    volatile uint32_t *p = (volatile uint32_t *)(DEMAND_VA + 0x123 * 4);
    *p = 0xC0FFEE;
    printf("  wrote %x through the new mapping, read back %x, faults=%u\n",
           0xC0FFEEu, *p, pf_count);
    printf("  frame %08x holds %x\n", DEMAND_PA + 0x123 * 4,
           *(volatile uint32_t *)(DEMAND_PA + 0x123 * 4));

    printf("[3] ring 3 task\n");
    set_trap_gate(0x80, SYS_TRAPGATE, 3, SEL_CODE0);
    trap_set_handler(0x80, syscall_handler);
    uint32_t r = ring_call(3, user_task, 42);
    printf("  task returned %u to ring %u\n", r, cpl());

    printf("[4] timer interrupts\n");
    pic_init();
    trap_set_handler(IRQ_BASE, timer_handler);
    pit_start(100);
    while (ticks < 5)
        sti_hlt();
    cli();
    outb(PIC1 + 1, 0xFF);
    printf("  %u ticks of the 100 Hz PIT received via IRQ0 -> vector %x\n",
           ticks >= 5 ? 5u : ticks, IRQ_BASE);
    paging_disable();
    printf("demo complete\n");
}
