/*
 * ring_call: run a function at CPL 1, 2 or 3 and come back. Diagram in ring.h.
 */
#include "ring.h"
#include "cpu.h"
#include "desc.h"
#include "trap.h"
#include "qemu.h"

#define MAX_DEPTH 4
static uint8_t run_stacks[4][8192] __attribute__((aligned(16)));
static struct jmpbuf ring_jb[MAX_DEPTH];
volatile int ring_depth;                /* trap.c resets it on CATCH */
static volatile uint32_t ring_result;
extern char ring_exit_stub[];

uint32_t ring_stack_top(unsigned ring) { return (uint32_t)&run_stacks[ring & 3][8192]; }

static void ring_exit_handler(struct trap_frame *f)
{
    if (ring_depth <= 0)
        panic("ring exit without ring_call");
    ring_result = f->eax;
    trap_longjmp(&ring_jb[ring_depth - 1], 1);
}

uint32_t ring_call_eflags(unsigned ring, ring_fn_t fn, uint32_t arg, uint32_t eflags)
{
    unsigned cur = read_cs() & 3;
    if (ring == cur)
        return fn(arg);
    if (ring < cur || ring > 3)
        panic("ring_call %u from ring %u", ring, cur);
    if (ring_depth >= MAX_DEPTH)
        panic("ring_call nesting too deep");
    struct jmpbuf *jb = &ring_jb[ring_depth];
    if (trap_setjmp(jb) == 0) {
        ring_depth++;
        uint32_t *sp = (uint32_t *)ring_stack_top(ring);
        *--sp = arg;
        *--sp = (uint32_t)ring_exit_stub;
        iret_to((uint32_t)fn, SEL_CODE(ring), eflags | EFL_FIXED, (uint32_t)sp,
                SEL_DATA(ring), SEL_DATA(ring));
    }
    ring_depth--;
    return ring_result;
}

uint32_t ring_call(unsigned ring, ring_fn_t fn, uint32_t arg)
{
    return ring_call_eflags(ring, fn, arg, read_eflags() & ~(EFL_TF | EFL_NT | EFL_RF));
}

void ring_init(void)
{
    trap_set_handler(TRAP_VEC_RING_EXIT, ring_exit_handler);
}
