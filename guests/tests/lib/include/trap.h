/*
 * Exceptions and interrupts: the frame every library stub builds, the "last
 * exception" record, per-vector handlers, and TRY/CATCH recovery.
 *
 * Every vector 0..255 enters a stub (stubs.S) that pushes a dummy error code
 * when the CPU pushed none, the vector, the registers, then calls
 * trap_dispatch(frame), which does the first that applies:
 *   1. a handler installed with trap_set_handler(vec, fn): fn(frame) runs and
 *      may edit the frame; returning resumes through IRET (nothing recorded);
 *   2. a TRY is armed: record into `last_exc`, disarm, resume at CATCH
 *      (at the CPL where TRY ran, even from an inner-ring handler);
 *   3. otherwise: print "UNEXPECTED ..." and exit_qemu(1).
 *
 * Frame on the handler stack, low address first (struct trap_frame):
 *
 *   gs fs es ds | edi esi ebp esp0 ebx edx ecx eax | vector error | eip cs eflags | esp ss
 *   ^ pushed by stub/common (segment values: low 16 bits)  ^ CPU   ^ CPU, only when the
 *                                                                    CPL changed
 * TRY / CATCH (setjmp-like; not nestable; locals changed inside TRY and read
 * after must be volatile):
 *
 *   TRY {
 *       __asm__ volatile("ud2");
 *       printf("no fault\n");
 *   } CATCH {
 *       printf("ud vec=%u err=%04x\n", last_exc.vector, last_exc.error);
 *   }
 *
 * TRY works at any CPL, in flat code; the faulting code may run in another
 * ring (e.g. TRY at ring 0, then ring_call(3, ...) faults: CATCH runs at ring 0).
 * Recovery restores EBX/ESI/EDI/EBP/ESP/EFLAGS and all segment registers as
 * they were at TRY. expect_fault(stmt) is the one-line form: it runs stmt and
 * returns the vector (or -1 if nothing faulted).
 */
#ifndef LIB_TRAP_H
#define LIB_TRAP_H

#include <stdint.h>

/* Architectural vectors (SDM Vol. 3 §6.3.1) */
enum {
    VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_OF = 4, VEC_BR = 5,
    VEC_UD = 6, VEC_NM = 7, VEC_DF = 8, VEC_TS = 10, VEC_NP = 11, VEC_SS = 12,
    VEC_GP = 13, VEC_PF = 14, VEC_MF = 16, VEC_AC = 17, VEC_MC = 18, VEC_XM = 19,
};
/* Library-reserved software vectors (DPL 3 interrupt gates; do not reuse). */
#define TRAP_VEC_RING_EXIT 0x81   /* ring_call()'s return path */
#define TRAP_VEC_PUTC      0x82   /* AL = byte to COM1, AH = 1: exit_qemu(AL) */

/* Error-code bits for selector errors (SDM §6.13) and #PF (§4.7). */
#define ERR_EXT 1u
#define ERR_IDT 2u
#define ERR_TI  4u
#define PF_P    1u
#define PF_W    2u
#define PF_U    4u
#define PF_RSVD 8u
#define PF_I    16u

struct trap_frame {
    uint32_t gs, fs, es, ds;
    uint32_t edi, esi, ebp, esp0, ebx, edx, ecx, eax;
    uint32_t vector, error;
    uint32_t eip, cs, eflags;
    uint32_t esp, ss;           /* valid only if (cs & 3) != handler CPL */
};

/* What the last recorded exception looked like. */
struct exc_record {
    uint32_t vector;
    uint32_t error;             /* 0 when the CPU pushed none */
    uint32_t eip, cs, eflags;
    uint32_t esp, ss;           /* interrupted ESP/SS: from the frame if the
                                   CPL changed, else the value before the push */
    uint32_t cr2;               /* read at delivery if the handler ran at CPL 0 */
    uint32_t handler_cpl;       /* CPL of the handler (stub) */
    uint32_t frame_esp;         /* handler ESP at the pushed EIP (where the CPU put the frame) */
    uint32_t stack_switched;    /* 1 if the CPU pushed SS:ESP */
    uint32_t count;             /* incremented per recorded exception */
};
extern volatile struct exc_record last_exc;

typedef void (*trap_handler_t)(struct trap_frame *f);
void trap_set_handler(unsigned vec, trap_handler_t fn);  /* fn = 0 removes */
void trap_record(const struct trap_frame *f);            /* fill last_exc from f */
/* True if the frame carries SS:ESP (CPL changed on delivery). */
int trap_frame_has_stack(const struct trap_frame *f);

/* ---- setjmp-like recovery ---- */
struct jmpbuf {
    uint32_t ebx, esi, edi, ebp, esp, eip, eflags, cs, ss, ds, es, fs, gs;
};
int  trap_setjmp(struct jmpbuf *jb) __attribute__((returns_twice));
/* Resume jb's context with trap_setjmp returning val (0 becomes 1). Works
 * from the same CPL or from an inner ring (it IRETs outward). */
void trap_longjmp(struct jmpbuf *jb, int val) __attribute__((noreturn));

extern struct jmpbuf trap_jb;
extern volatile int trap_armed;
void trap_arm(void);     /* used by TRY: arm recovery, remember ring_call depth */

#define TRY   if (trap_setjmp(&trap_jb) == 0) { trap_arm(); {
#define CATCH } trap_armed = 0; } else

/* Run stmt; evaluate to the vector it raised, or -1. */
#define expect_fault(stmt) ({                        \
    volatile int _v = -1;                            \
    TRY { stmt; } CATCH { _v = (int)last_exc.vector; } \
    _v; })

/* Print "<name> vec=V err=EEEE" (the common one-line observation). */
void print_exc(const char *name);

#endif
