/*
 * x87 test helpers (SDM Vol. 1 ch. 8, Vol. 2 per instruction).
 *
 * Precision: tsxen's x87 computes in binary64. So every case either has an
 * exactly representable result, or runs with the precision-control field at
 * 53 bits (CW_D53) so the 80-bit unit rounds its significand exactly where
 * binary64 does, and results leave the FPU only as m32/m64 (never m80
 * unless the value is a double). Nothing here overflows or underflows the
 * double exponent range inside the FPU.
 *
 * Status word (FSW):  15 B | 14 C3 | 13-11 TOP | 10 C2 | 9 C1 | 8 C0 | 7 ES |
 *                      6 SF | 5 PE | 4 UE | 3 OE | 2 ZE | 1 DE | 0 IE
 * Control word (FCW): 11-10 RC | 9-8 PC | 5-0 exception masks.
 */
#ifndef X87_H
#define X87_H

#include "test.h"

#define CW_DEF   0x037F         /* FNINIT: PC 64-bit, RC nearest, all masked */
#define CW_D53   0x027F         /* PC 53-bit (double) */
#define RC_NEAR  0x0000
#define RC_DOWN  0x0400
#define RC_UP    0x0800
#define RC_TRUNC 0x0C00

#define SW_IE 0x0001
#define SW_DE 0x0002
#define SW_ZE 0x0004
#define SW_C0 0x0100
#define SW_C1 0x0200
#define SW_C2 0x0400
#define SW_C3 0x4000
/* Most instructions define C1 only: C0 C2 C3 undefined (SDM "FPU Flags
 * Affected"). C1 there means "rounded up" when PE is set (or the stack
 * fault direction); QEMU 7.2 never sets the round-up C1
 * (docs/qemu-deviations.md; the x87-sdm test pins it), so SW_NOCC masks
 * C1 as well. */
#define SW_NOCC   ((uint16_t)~(SW_C0 | SW_C1 | SW_C2 | SW_C3))

union dbits { double d; uint64_t u; uint32_t w[2]; };
union fbits { float f; uint32_t u; };

static inline double dfrom(uint64_t u) { union dbits b; b.u = u; return b.d; }
static inline void pd(double d) { union dbits b; b.d = d; printf(" %08x%08x", b.w[1], b.w[0]); }
static inline void pf(float f) { union fbits b; b.f = f; printf(" %08x", b.u); }

#define QNAN  0x7FF8000000000000ull
#define SNAN  0x7FF4000000000000ull
#define PINF  0x7FF0000000000000ull
#define NINF  0xFFF0000000000000ull
#define NZERO 0x8000000000000000ull

/* shared scratch operands (absolute addresses in the asm) */
extern double xa, xb, xr0, xr1;
extern float xf;
extern int16_t xi16;
extern int32_t xi32;
extern int64_t xi64;
extern uint16_t xsw, xcw;

void arith_tests(void);
void ldst_tests(void);
void cmp_tests(void);
void misc_tests(void);
void env_tests(void);
void fault_tests(void);
void cfun_tests(void);

#endif
