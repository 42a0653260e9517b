/*
 * Randomized instruction tester, guest side (tests/cpu/fuzz.ts drives it).
 *
 * For each generated case: fill the scratch buffer and the case stack from
 * a xorshift32 stream seeded by the case, run the case (boot.S fuzz_enter),
 * then print one line on COM1:
 *
 *   <idx> <eax> <ecx> <edx> <ebx> <esp-mid> <ebp> <esi> <edi> <eflags> <sum> <vec> <err> <eip-code>
 *
 * all hex (idx decimal), <vec> "-" when the case ended normally (then
 * <err> and <eip-code> are "-" too). A case with reps > 1 runs that many
 * times (memory refilled each time) and adds a line "J<idx> ..." with the
 * last run's result: on tsxen that run executes the case as a compiled
 * block (src/machine/jit), the first one in the interpreter. EFLAGS are raw: the host masks the
 * flags the SDM leaves undefined (tests/cpu/fuzz-undefined.ts). <sum> is
 * FNV-1a over the 128 scratch words. After the last case: "DONE", exit 0
 * through isa-debug-exit (status 1). An exception outside a case prints
 * "KERNEL FAULT ..." and exits 1 (status 3).
 *
 * The PICs are masked: cases may set IF through POPF.
 */
#include "fuzz.h"

#define COM1 0x3F8
#define EXIT_PORT 0xF4

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void serial_init(void)
{
    outb(COM1 + 1, 0x00);   /* IER: no interrupts */
    outb(COM1 + 3, 0x80);   /* LCR: DLAB */
    outb(COM1 + 0, 0x01);   /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);   /* 8N1 */
    outb(COM1 + 2, 0xC7);   /* FIFOs on and cleared */
    outb(COM1 + 4, 0x03);   /* DTR RTS, OUT2 off */
}

static void putc_(char c)
{
    while (!(inb(COM1 + 5) & 0x20))
        ;
    outb(COM1, (uint8_t)c);
}

static void puts_(const char *s)
{
    while (*s)
        putc_(*s++);
}

static void puthex(uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 28; i >= 0; i -= 4)
        putc_(digits[(v >> i) & 15]);
}

static void putdec(uint32_t v)
{
    char b[11];
    int n = 0;
    do {
        b[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        putc_(b[--n]);
}

static void exit_emulator(uint8_t code)
{
    outb(EXIT_PORT, code);
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* ---- IDT: 32 interrupt gates (type 0xE, DPL 0) to boot.S's stubs ---- */

static uint64_t idt[32] __attribute__((aligned(8)));

static void idt_init(void)
{
    for (int v = 0; v < 32; v++) {
        uint32_t off = (uint32_t)fuzz_exc_stubs[v];
        idt[v] = (uint64_t)((off & 0xFFFF) | (0x08u << 16)) |
                 ((uint64_t)((off & 0xFFFF0000u) | 0x8E00u) << 32);
    }
    struct __attribute__((packed)) { uint16_t limit; uint32_t base; } d = {
        sizeof idt - 1, (uint32_t)idt };
    __asm__ volatile("lidt %0" : : "m"(d));
}

void fuzz_kernel_fault(void)
{
    puts_("KERNEL FAULT vec=");
    puthex(fuzz_out.vec);
    puts_(" eip=");
    puthex(fuzz_out.eip);
    puts_("\n");
    exit_emulator(1);
}

static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static void fill(uint32_t addr, uint32_t bytes, uint32_t *s)
{
    volatile uint32_t *p = (volatile uint32_t *)addr;
    for (uint32_t i = 0; i < bytes / 4; i++)
        p[i] = xorshift32(s);
}

static uint32_t scratch_sum(void)
{
    const volatile uint32_t *p = (const volatile uint32_t *)FUZZ_SCRATCH;
    uint32_t h = 0x811C9DC5u;
    for (uint32_t i = 0; i < FUZZ_SCRATCH_LEN / 4; i++)
        h = (h ^ p[i]) * 0x01000193u;
    return h;
}

static void print_result(const char *tag, uint32_t i, const struct fuzz_case *c, uint32_t sum)
{
    puts_(tag);
    putdec(i);
    for (int r = 0; r < 8; r++) {
        putc_(' ');
        puthex(r == 4 ? fuzz_out.regs[4] - FUZZ_STACK_MID : fuzz_out.regs[r]);
    }
    putc_(' ');
    puthex(fuzz_out.eflags);
    putc_(' ');
    puthex(sum);
    if (fuzz_out.vec == 0xFFFFFFFFu) {
        puts_(" - - -\n");
    } else {
        puts_(" ");
        puthex(fuzz_out.vec);
        puts_(" ");
        puthex(fuzz_out.err);
        puts_(" ");
        puthex(fuzz_out.eip - (uint32_t)c->code);
        puts_("\n");
    }
}

static void run_once(const struct fuzz_case *c)
{
    uint32_t s = c->seed ? c->seed : 1;
    fill(FUZZ_SCRATCH, FUZZ_SCRATCH_LEN, &s);
    fill(FUZZ_STACK_MID - FUZZ_STACK_FILL, 2 * FUZZ_STACK_FILL, &s);
    fuzz_enter(c);
}

void kmain(void)
{
    serial_init();
    outb(0x21, 0xFF);       /* mask every IRQ on both 8259s */
    outb(0xA1, 0xFF);
    idt_init();
    /* LDTR: the loader leaves the reset value on QEMU (base 0, limit 0xFFFF),
     * which LSL/VERR/VERW of a TI=1 selector would read. Make it null. */
    __asm__ volatile("lldt %w0" : : "r"(0));
    for (uint32_t i = 0; i < fuzz_ncases; i++) {
        const struct fuzz_case *c = &fuzz_cases[i];
        run_once(c);
        print_result("", i, c, scratch_sum());
        if (c->reps > 1) {
            for (uint32_t r = 1; r < c->reps; r++)
                run_once(c);
            print_result("J", i, c, scratch_sum());
        }
    }
    puts_("DONE\n");
    exit_emulator(0);
}
