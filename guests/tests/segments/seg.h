#ifndef SEG_H
#define SEG_H
#include "test.h"

/* GDT slots used by the segments kernel */
enum {
    S_D0 = 12,        /* data DPL0 base 0 flat */
    S_D1,             /* data DPL1 */
    S_D2,             /* data DPL2 */
    S_RO3,            /* read-only data DPL3 */
    S_XO3,            /* execute-only code DPL3 */
    S_CONF0R,         /* conforming readable code DPL0 */
    S_CONF0X,         /* conforming execute-only code DPL0 */
    S_BASE,           /* data DPL3, base 0x00200000, limit 0xFFFFF G=0 */
    S_DOWN,           /* expand-down data DPL3 base 0, limit 0xFFF, B=1 */
    S_DOWN16,         /* expand-down data DPL3 base 0, limit 0xFFF, B=0 */
    S_G0,             /* data DPL3, limit 0xABCDE G=0 */
    S_G1,             /* data DPL3, limit 0x0000F G=1 */
    S_WRAP,           /* data DPL3, base 0xFFF00000 */
    S_NOTACC,         /* data DPL3 with A=0 (accessed-bit test) */
    S_CALLGATE,       /* call gate DPL3 */
    S_INTGATE_G,      /* an interrupt-gate type in the GDT (invalid for LAR) */
    S_TSS_AVAIL,      /* available TSS, DPL3 */
    S_LDTDESC,        /* LDT descriptor (points at ldt[]) */
    S_NP3,            /* not-present data DPL3 */
    S_SYS_RES,        /* reserved system type 0 */
    S_CACHE,          /* data DPL0, base changed while loaded */
};

void test_loads(void);
void test_lar_lsl(void);
void test_memory(void);

#endif
