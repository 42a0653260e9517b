/*
 * trap_dispatch: the C side of every stub. Policy in trap.h.
 */
#include "trap.h"
#include "cpu.h"
#include "printf.h"
#include "qemu.h"
#include "serial.h"

volatile struct exc_record last_exc;
struct jmpbuf trap_jb;
volatile int trap_armed;
static trap_handler_t handlers[256];
static int armed_ring_depth;
extern volatile int ring_depth;         /* ring.c */

void trap_arm(void)
{
    armed_ring_depth = ring_depth;
    trap_armed = 1;
}

void trap_set_handler(unsigned vec, trap_handler_t fn) { handlers[vec & 0xFF] = fn; }

int trap_frame_has_stack(const struct trap_frame *f)
{
    return (f->cs & 3) != (read_cs() & 3u);
}

void trap_record(const struct trap_frame *f)
{
    unsigned hcpl = read_cs() & 3;
    last_exc.vector = f->vector;
    last_exc.error = f->error;
    last_exc.eip = f->eip;
    last_exc.cs = f->cs & 0xFFFF;
    last_exc.eflags = f->eflags;
    last_exc.handler_cpl = hcpl;
    last_exc.frame_esp = (uint32_t)&f->eip;
    if (trap_frame_has_stack(f)) {
        last_exc.stack_switched = 1;
        last_exc.esp = f->esp;
        last_exc.ss = f->ss & 0xFFFF;
    } else {
        last_exc.stack_switched = 0;
        last_exc.esp = (uint32_t)&f->esp;   /* just above the EFLAGS slot */
        last_exc.ss = read_ss();
    }
    last_exc.cr2 = hcpl == 0 ? read_cr2() : 0;
    last_exc.count++;
}

static void unexpected(struct trap_frame *f)
{
    printf("UNEXPECTED vec=%u err=%04x eip=%08x cs=%04x efl=%08x\n",
           f->vector, f->error, f->eip, f->cs & 0xFFFF, f->eflags);
    exit_qemu(1);
}

void trap_dispatch(struct trap_frame *f)
{
    trap_handler_t h = handlers[f->vector & 0xFF];
    if (h) {
        h(f);
        return;
    }
    if (trap_armed) {
        trap_record(f);
        trap_armed = 0;
        ring_depth = armed_ring_depth;   /* abandon ring_calls made inside TRY */
        trap_longjmp(&trap_jb, 1);
    }
    unexpected(f);
}

void print_exc(const char *name)
{
    printf("%s vec=%u err=%04x\n", name, last_exc.vector, last_exc.error);
}

/* int $0x82: AH = 0 -> put AL on COM1; AH = 1 -> exit_qemu(AL). */
static void putc_handler(struct trap_frame *f)
{
    if (f->eax & 0x100)
        exit_qemu((uint8_t)f->eax);
    serial_putc_raw((char)f->eax);
}

void trap_init(void)
{
    trap_set_handler(TRAP_VEC_PUTC, putc_handler);
}
