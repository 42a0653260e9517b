/*
 * The PV test library: everything a PV32PAE test kernel needs (README.md).
 * A test defines
 *
 *     const char test_title[] = "pv-name: what it proves";
 *     void test_main(void);
 *
 * and is entered by the library (head.S, setup.c) in ring 1 on its own stack,
 * with the console ready, events masked (vcpu_info.evtchn_upcall_mask = 1 as
 * at start of day), no trap table, no callbacks, shared_info not mapped.
 * When test_main returns the library prints "Test result: <STATUS>" exactly
 * as XTF does and calls sched_op(SCHEDOP_shutdown, SHUTDOWN_poweroff).
 */
#ifndef PV_PV_H
#define PV_PV_H

#include <stdint.h>
#include <stddef.h>
#include <stdarg.h>
#include <xen/xen.h>
#include "hypercall.h"

#define ACCESS_ONCE(x) (*(volatile __typeof__(x) *)&(x))
#define barrier() __asm__ volatile ("" ::: "memory")
#define __user_text __attribute__((section(".user.text"), noinline))
#define PAGE_ALIGNED __attribute__((aligned(XEN_PAGE_SIZE), section(".bss.page_aligned")))

/* ---- provided by the test ---- */
extern const char test_title[];
void test_main(void);

/* ---- start of day (setup.c) ---- */
extern start_info_t *start_info;          /* ESI at entry */
extern shared_info_t *shared_info;        /* NULL until pv_map_shared_info() */

/* update_va_mapping of a page of .bss onto start_info->shared_info (RW). */
long pv_map_shared_info(void);
static inline vcpu_info_t *vcpu0(void) { return &shared_info->vcpu_info[0]; }

/* ---- console (console.c): every byte goes to console_io(CONSOLEIO_write)
 *      AND to the PV console ring (start_info console mfn, via the M2P), the
 *      ring write followed by EVTCHNOP_send and SCHEDOP_yield until the
 *      back-end has consumed it (XTF common/console.c). ---- */
void pv_console_write(const char *buf, size_t len);
void pv_ring_write(const char *buf, size_t len);   /* the ring only */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* ---- results (report.c), as XTF common/report.c ---- */
void xtf_success(const char *fmt, ...);
void xtf_warning(const char *fmt, ...);
void xtf_skip(const char *fmt, ...);
void xtf_error(const char *fmt, ...);
void xtf_failure(const char *fmt, ...);
void xtf_report_status(void);
/* "PANIC: ..." between two star lines, SHUTDOWN_crash, then a crash-hard fault. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Prints "<what>: <got>" and records a FAILURE (with the wanted value) if got != want. */
void check_rc(const char *what, long got, long want);

/* ---- traps (traps.c, entry.S) ---- */
/* Frame built by the entry stubs on top of Xen's bounce frame (ABI §6.4). */
struct pv_regs {
    uint32_t ebx, ecx, edx, esi, edi, ebp, eax;
    uint32_t ds, es;
    uint32_t entry_vector;
    uint32_t error_code;          /* 0 pushed by the stub if the vector has none */
    uint32_t eip;
    uint16_t cs;
    uint8_t  saved_upcall_mask;   /* bits 23:16 of the CS slot */
    uint8_t  _pad0;
    uint32_t eflags;
    uint32_t esp, ss;             /* only when interrupted at ring 2/3 */
};
#define PV_VEC_RET2KERN 0x20      /* int $0x20 (DPL 3): return from pv_exec_user */
#define PV_VEC_UPCALL   0x100     /* pseudo-vector of the event upcall */
#define X86_EFLAGS_IF   0x200

/* What the last exception looked like (filled for every exception). */
struct pv_exc {
    uint32_t vector, error_code, eip, cs, saved_upcall_mask, eflags;
    uint32_t esp, ss, from_user;  /* esp/ss valid when from_user */
    uint32_t cr2;                 /* vcpu_info[0].arch.cr2 at delivery (0 if unmapped) */
};
extern volatile struct pv_exc pv_last_exc;
extern volatile unsigned pv_exc_count;

/*
 * set_trap_table for vectors 0-8, 10-14, 16-20 (DPL 0, #BP/#OF DPL 3) and
 * PV_VEC_RET2KERN (DPL 3), all CS FLAT_RING1_CS with flags bit 2 (mask
 * events), as XTF arch/x86/pv/traps.c; then stack_switch(FLAT_RING1_SS,
 * ring-1 stack). Returns set_trap_table's result (panics if stack_switch fails).
 */
long pv_setup_traps(void);

/*
 * Exception table (XTF style): a fault whose saved EIP equals `fault`
 * resumes at `fixup` (after pv_last_exc is filled). Anything else is
 * UNEXPECTED: the library prints the frame and panics.
 */
#define PV_EXTABLE(fault, fixup) \
    ".pushsection .ex_table, \"a\"\n\t.long " fault ", " fixup "\n\t.popsection\n\t"
struct pv_extable { uint32_t fault, fixup; };

/* Segment probes for tests: the selector in FS, and a dword read through FS
 * or GS at `off` whose fault the exception table skips (then 0xdeadbeef). */
static inline uint32_t pv_get_fs(void)
{
    uint32_t s;
    __asm__ volatile ("mov %%fs, %0" : "=r" (s));
    return s & 0xffff;
}
static inline uint32_t pv_read_fs(uint32_t off)
{
    uint32_t v = 0xdeadbeef;
    __asm__ volatile ("1: movl %%fs:(%1), %0\n\t2:\n\t" PV_EXTABLE("1b", "2b") : "+r" (v) : "r" (off) : "memory");
    return v;
}
static inline uint32_t pv_read_gs(uint32_t off)
{
    uint32_t v = 0xdeadbeef;
    __asm__ volatile ("1: movl %%gs:(%1), %0\n\t2:\n\t" PV_EXTABLE("1b", "2b") : "+r" (v) : "r" (off) : "memory");
    return v;
}

/* "name: vec=14 err=0002 cr2=40001234 cs=e019 mask=1 if=0 [ss=e033]" */
void pv_print_exc(const char *name);

/* ---- events (traps.c) ---- */
/* set_callbacks(FLAT_RING1_CS, upcall stub, FLAT_RING1_CS, failsafe stub). */
long pv_setup_callbacks(void);
typedef void (*pv_evtchn_handler_t)(evtchn_port_t port, struct pv_regs *regs);
void pv_evtchn_set_handler(evtchn_port_t port, pv_evtchn_handler_t fn);
extern volatile unsigned pv_upcall_count, pv_spurious_events;
static inline void pv_events_mask(void)   { ACCESS_ONCE(vcpu0()->evtchn_upcall_mask) = 1; barrier(); }
static inline void pv_events_unmask(void) { barrier(); ACCESS_ONCE(vcpu0()->evtchn_upcall_mask) = 0; }
/* Current system time (ns) from vcpu_info[0].time and RDTSC (ABI §8.1). */
uint64_t pv_system_time(void);

/* ---- memory (mm.c); VIRT_BASE 0, so the initial mapping is VA = PFN << 12 ---- */
#define machine_to_phys_mapping ((const uint32_t *)MACH2PHYS_VIRT_START)
#define PTE_MFN(pte) ((uint32_t)(((pte) >> XEN_PAGE_SHIFT) & 0xffffffffffULL))
uint32_t pv_pfn_to_mfn(uint32_t pfn);             /* P2M (start_info->mfn_list) */
uint32_t pv_virt_to_mfn(const void *va);          /* P2M[va >> 12] */
void *pv_mfn_to_virt(uint32_t mfn);               /* M2P[mfn] << 12 */
/* The L1 entry mapping va in the current tables (walked from pt_base), or NULL. */
const uint64_t *pv_l1e(const void *va);
uint64_t pv_l1e_maddr(const void *va);            /* its machine address */
/* Remap the .user pages (code, data, stack) with _PAGE_USER. Returns the first error. */
long pv_setup_user(void);
/* Run fn at ring 3 (CS FLAT_RING3_CS, SS FLAT_RING3_SS, user stack, DS/ES
 * FLAT_RING3_DS, events masked) through the iret hypercall; fn ends, the
 * trampoline does int $PV_VEC_RET2KERN and we are back. Needs pv_setup_traps
 * and pv_setup_user. fn must be __user_text. */
void pv_exec_user(void (*fn)(void));

/* ---- libc bits (lib.c) ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
char *strstr(const char *h, const char *n);

#endif
