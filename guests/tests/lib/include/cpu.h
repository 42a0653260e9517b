/*
 * Inline wrappers for system instructions: control registers, EFLAGS,
 * segment registers, descriptor-table registers, MSRs, CPUID, RDTSC, TLB.
 *
 * Bit names follow the Intel SDM Vol. 3 §2.3 (EFLAGS), §2.5 (CR0, CR4) and
 * Vol. 4 (MSRs). Nothing here touches memory besides what the operand names.
 */
#ifndef LIB_CPU_H
#define LIB_CPU_H

#include <stdint.h>

/* EFLAGS (SDM Vol. 1 §3.4.3, Vol. 3 §2.3) */
#define EFL_CF   0x00000001u
#define EFL_FIXED 0x00000002u   /* bit 1 always reads 1 */
#define EFL_PF   0x00000004u
#define EFL_AF   0x00000010u
#define EFL_ZF   0x00000040u
#define EFL_SF   0x00000080u
#define EFL_TF   0x00000100u
#define EFL_IF   0x00000200u
#define EFL_DF   0x00000400u
#define EFL_OF   0x00000800u
#define EFL_IOPL(n) ((uint32_t)(n) << 12)
#define EFL_IOPL_MASK 0x00003000u
#define EFL_NT   0x00004000u
#define EFL_RF   0x00010000u
#define EFL_VM   0x00020000u
#define EFL_AC   0x00040000u
#define EFL_ID   0x00200000u

/* CR0 / CR4 (SDM Vol. 3 §2.5) */
#define CR0_PE 0x00000001u
#define CR0_MP 0x00000002u
#define CR0_EM 0x00000004u
#define CR0_TS 0x00000008u
#define CR0_ET 0x00000010u
#define CR0_NE 0x00000020u
#define CR0_WP 0x00010000u
#define CR0_AM 0x00040000u
#define CR0_PG 0x80000000u
#define CR4_VME 0x0001u
#define CR4_PVI 0x0002u
#define CR4_TSD 0x0004u
#define CR4_DE  0x0008u
#define CR4_PSE 0x0010u
#define CR4_PAE 0x0020u
#define CR4_PGE 0x0080u
#define CR4_OSFXSR 0x0200u

/* MSRs (SDM Vol. 4) */
#define MSR_TSC        0x00000010u
#define MSR_SYSENTER_CS  0x00000174u
#define MSR_SYSENTER_ESP 0x00000175u
#define MSR_SYSENTER_EIP 0x00000176u
#define MSR_EFER       0xC0000080u
#define EFER_NXE       0x00000800u

#define CPU_READ_CR(n) \
static inline uint32_t read_cr##n(void) { uint32_t v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
static inline void write_cr##n(uint32_t v) { __asm__ volatile("mov %0, %%cr" #n :: "r"(v) : "memory"); }
CPU_READ_CR(0)
CPU_READ_CR(2)
CPU_READ_CR(3)
CPU_READ_CR(4)
#undef CPU_READ_CR

static inline uint32_t read_eflags(void)
{ uint32_t v; __asm__ volatile("pushfl; popl %0" : "=r"(v)); return v; }
static inline void write_eflags(uint32_t v)
{ __asm__ volatile("pushl %0; popfl" :: "r"(v) : "memory", "cc"); }

/* Segment registers: read_cs() ... write_ds(sel). CPL = read_cs() & 3. */
#define CPU_SEG(r) \
static inline uint16_t read_##r(void) { uint16_t v; __asm__ volatile("mov %%" #r ", %0" : "=r"(v)); return v; } \
static inline void write_##r(uint16_t v) { __asm__ volatile("mov %0, %%" #r :: "r"(v) : "memory"); }
CPU_SEG(ds)
CPU_SEG(es)
CPU_SEG(fs)
CPU_SEG(gs)
CPU_SEG(ss)
#undef CPU_SEG
static inline uint16_t read_cs(void) { uint16_t v; __asm__ volatile("mov %%cs, %0" : "=r"(v)); return v; }
static inline unsigned cpl(void) { return read_cs() & 3; }
static inline unsigned iopl(void) { return (read_eflags() >> 12) & 3; }

/* Descriptor-table registers (SDM Vol. 3 §2.4). */
struct __attribute__((packed)) dtr {
    uint16_t limit;
    uint32_t base;
};
static inline void lgdt(const struct dtr *d) { __asm__ volatile("lgdt %0" :: "m"(*d) : "memory"); }
static inline void lidt(const struct dtr *d) { __asm__ volatile("lidt %0" :: "m"(*d) : "memory"); }
static inline void sgdt(struct dtr *d) { __asm__ volatile("sgdt %0" : "=m"(*d)); }
static inline void sidt(struct dtr *d) { __asm__ volatile("sidt %0" : "=m"(*d)); }
static inline void ltr(uint16_t sel)  { __asm__ volatile("ltr %0" :: "r"(sel) : "memory"); }
static inline void lldt(uint16_t sel) { __asm__ volatile("lldt %0" :: "r"(sel) : "memory"); }
static inline uint16_t str(void)  { uint16_t v; __asm__ volatile("str %0" : "=r"(v)); return v; }
static inline uint16_t sldt(void) { uint16_t v; __asm__ volatile("sldt %0" : "=r"(v)); return v; }
static inline uint16_t smsw(void) { uint16_t v; __asm__ volatile("smsw %0" : "=r"(v)); return v; }

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
static inline uint64_t rdmsr(uint32_t msr)
{ uint32_t lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return ((uint64_t)hi << 32) | lo; }
static inline void wrmsr(uint32_t msr, uint64_t v)
{ __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory"); }
static inline uint64_t rdtsc(void)
{ uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }

static inline void invlpg(uint32_t va) { __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
/* STI; HLT back to back: the STI shadow guarantees no interrupt slips in between. */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void clts(void) { __asm__ volatile("clts" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

#endif
