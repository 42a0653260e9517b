/*
 * FPU environment (SDM Vol. 1 §8.1, Vol. 2 FNINIT, FLDCW, FNSTCW, FNSTSW,
 * FNCLEX, FNSTENV, FNSAVE, FRSTOR, FINCSTP, FDECSTP, FFREE).
 * FNSAVE image (32-bit protected mode, 108 bytes): CW @0, SW @4, TW @8,
 * FPU IP/CS/opcode/DP/DS @12..27 (implementation-filled: never printed),
 * ST(0)..ST(7) 10 bytes each @28. Tag word: 00 valid, 01 zero, 10 special
 * (NaN, inf, denormal), 11 empty.
 */
#include "x87.h"

static uint8_t img[108];
static uint8_t env28[28];

static uint16_t h16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

void env_tests(void)
{
    uint32_t ax = 0xC0DEA5A5;
    /* FNINIT state via FNSTCW, FNSTSW AX (upper EAX kept), FNSTENV tag word */
    __asm__ volatile("fninit\n\tfnstcw %[cw]\n\tfnstsw %%ax\n\tfnstenv %[env]\n\tfldcw %[cw]"
                     : "+a"(ax), [cw] "=m"(xcw), [env] "=m"(env28) :: "memory");
    printf("fninit: cw=%04x fnstsw-ax=%08x env cw=%04x sw=%04x tw=%04x\n", xcw, ax,
           h16(env28), h16(env28 + 4), h16(env28 + 8));

    /* FLDCW round trip over RC/PC values and masks. Reserved bits are kept
     * as hardware reads them (bit 6 = 1, bits 7 and 13-15 = 0): QEMU 7.2 stores
     * the word verbatim where a real x87 forces those bits. */
    static const uint16_t cws[] = { 0x0040, 0x037F, 0x0C7F, 0x0F7F, 0x007F, 0x027F, 0x0240, 0x1F7F, 0x0E72, 0x0472 };
    printf("fldcw/fnstcw:");
    for (unsigned i = 0; i < sizeof cws / sizeof cws[0]; i++) {
        uint16_t in = cws[i], out;
        __asm__ volatile("fninit\n\tfldcw %[in]\n\tfnstcw %[out]\n\tfninit" : [out] "=m"(out) : [in] "m"(in) : "memory");
        printf(" %04x>%04x", in, out);
    }
    printf("\n");

    /* FNSTSW m16 and AX agree; TOP after 3 loads; exception flags sticky until FNCLEX */
    uint16_t m1, m2, m3;
    ax = 0x12340000;
    xa = 0.0;
    __asm__ volatile("fninit\n\tfld1\n\tfldz\n\tfld1\n\tfdivl %[z]\n\tfnstsw %[m1]\n\tfnstsw %%ax\n\t"
                     "fld1\n\tfaddp\n\tfnstsw %[m2]\n\tfnclex\n\tfnstsw %[m3]\n\tfninit"
                     : "+a"(ax), [m1] "=m"(m1), [m2] "=m"(m2), [m3] "=m"(m3) : [z] "m"(xa) : "memory");
    printf("fnstsw: m16=%04x ax=%08x sticky=%04x fnclex=%04x\n", m1 & SW_NOCC, ax & 0xFFFFBAFF,
           m2 & SW_NOCC, m3 & SW_NOCC);

    /* FINCSTP / FDECSTP move TOP only; FFREE tags empty */
    __asm__ volatile("fninit\n\tfld1\n\tfldz\n\tfincstp\n\tfnstsw %[m1]\n\tfdecstp\n\tfdecstp\n\tfnstsw %[m2]\n\t"
                     "ffree %%st(1)\n\tfnstenv %[env]\n\tfninit"
                     : [m1] "=m"(m1), [m2] "=m"(m2), [env] "=m"(env28) :: "memory");
    printf("fincstp/fdecstp/ffree: sw=%04x sw=%04x tw=%04x\n", m1 & 0x3800, m2 & 0x3800, h16(env28 + 8));

    /* FNSAVE / FRSTOR: build a stack (1, 0, inf, qnan, -2.5) with RC=up, a
     * pending-free exception state (ZE from 1/0), save, check the saved words
     * and that FNSAVE re-initialised the FPU, change the image's CW, restore
     * and read everything back. */
    xa = dfrom(QNAN);
    xb = -2.5;
    xcw = CW_DEF | RC_UP;
    uint16_t cw_after_save, sw_after_save, cw_restored, sw_restored;
    double back[5];
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfld1\n\tfldz\n\tfld1\n\tfdiv %%st(1), %%st\n\t"  /* 1 0 inf */
                     "fldl %[a]\n\tfldl %[b]\n\t"                                           /* -2.5 nan inf 0 1 */
                     "fnsave %[img]\n\tfnstcw %[cs]\n\tfnstsw %[ss]"
                     : [img] "=m"(img), [cs] "=m"(cw_after_save), [ss] "=m"(sw_after_save)
                     : [cw] "m"(xcw), [a] "m"(xa), [b] "m"(xb) : "memory");
    printf("fnsave: cw=%04x sw=%04x tw=%04x; after: cw=%04x sw=%04x\n", h16(img), h16(img + 4) & SW_NOCC,
           h16(img + 8), cw_after_save, sw_after_save);
    img[1] = (uint8_t)((img[1] & ~0x0C) | 0x04);     /* RC = down in the saved CW */
    __asm__ volatile("frstor %[img]\n\tfnstcw %[cr]\n\tfnstsw %[sr]\n\t"
                     "fstpl %[b0]\n\tfstpl %[b1]\n\tfstpl %[b2]\n\tfstpl %[b3]\n\tfstpl %[b4]\n\tfninit"
                     : [cr] "=m"(cw_restored), [sr] "=m"(sw_restored), [b0] "=m"(back[0]), [b1] "=m"(back[1]),
                       [b2] "=m"(back[2]), [b3] "=m"(back[3]), [b4] "=m"(back[4])
                     : [img] "m"(img) : "memory");
    printf("frstor: cw=%04x sw=%04x st:", cw_restored, sw_restored & SW_NOCC);
    for (unsigned i = 0; i < 5; i++)
        pd(back[i]);
    printf("\n");
}
