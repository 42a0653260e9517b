/*
 * Running code in rings 1, 2 and 3.
 *
 *   ring_call(3, fn, arg)
 *     ring 0 (caller)                      ring 3
 *     setjmp(ring_jb[d]) ----IRET-------->  fn(arg) on run stack 3
 *     (SS:ESP, EFLAGS, CS:EIP built here)      |  returns into ring_exit_stub:
 *                                              |  int $0x81 (DPL 3 gate), EAX = result
 *     <---- trap_longjmp(ring_jb[d]) --- ring-0 handler (on TSS esp0 stack)
 *     returns fn's result
 *
 * Before the IRET, DS/ES/FS/GS are loaded with the target ring's flat data
 * selector and SS:ESP with its run stack (8 KiB per ring, separate from the
 * TSS stacks). Calls nest outward (0 -> 1 -> 3); ring_call to the current
 * ring is a plain call; to an inner ring it panics (use a gate).
 */
#ifndef LIB_RING_H
#define LIB_RING_H

#include <stdint.h>

typedef uint32_t (*ring_fn_t)(uint32_t arg);

/* EFLAGS for the callee: the caller's, minus TF/NT/RF. */
uint32_t ring_call(unsigned ring, ring_fn_t fn, uint32_t arg);
/* Same, with the callee's EFLAGS given explicitly (bit 1 forced on), e.g.
 * EFL_IOPL(3) to give ring 3 port access, or EFL_IF to run it interruptible. */
uint32_t ring_call_eflags(unsigned ring, ring_fn_t fn, uint32_t arg, uint32_t eflags);

/* Top of the run stack ring_call uses for ring n (1..3). */
uint32_t ring_stack_top(unsigned ring);

/* Low-level: load DS/ES/FS/GS with dsel, then IRET to cs:eip with eflags
 * and (if outward) ss:esp. Does not return. */
void iret_to(uint32_t eip, uint32_t cs, uint32_t eflags, uint32_t esp, uint32_t ss, uint32_t dsel)
    __attribute__((noreturn));

#endif
