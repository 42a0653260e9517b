/*
 * Port I/O (Intel SDM Vol. 2: IN, OUT, INS, OUTS).
 *
 * Thin inline wrappers; every access is exactly one instruction of the named
 * width, so a test can provoke #GP from IOPL / the TSS I/O bitmap with them.
 */
#ifndef LIB_IO_H
#define LIB_IO_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)  { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }

static inline uint8_t  inb(uint16_t port) { uint8_t v;  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* String forms: one REP-less element each (ES:EDI / DS:ESI, DF as set). */
static inline void insb1(uint16_t port, void *dst)
{ __asm__ volatile("insb" : "+D"(dst) : "d"(port) : "memory"); }
static inline void outsb1(uint16_t port, const void *src)
{ __asm__ volatile("outsb" : "+S"(src) : "d"(port) : "memory"); }

/* A write to an unused port: the classic ~1 us I/O delay. */
static inline void io_delay(void) { outb(0x80, 0); }

#endif
