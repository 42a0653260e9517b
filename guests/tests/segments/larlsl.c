/*
 * LAR / LSL / VERR / VERW (SDM Vol. 2): they never fault on a bad selector;
 * ZF says whether the descriptor is visible at max(CPL, RPL) and of a type
 * the instruction accepts. LAR returns the second descriptor dword & 0x00FxFF00,
 * LSL the limit in bytes (scaled by G). On ZF=0 the destination is unchanged.
 */
#include "seg.h"

static volatile uint32_t probe_sel;
static volatile uint32_t out_lar, out_lsl, zf_lar, zf_lsl, zf_verr, zf_verw;

static uint32_t probe(uint32_t sel)
{
    uint32_t v, z;
    v = 0xDEADBEEF;
    __asm__ volatile("larl %2, %0\n\tsetz %b1" : "+r"(v), "=q"(z) : "r"(sel) : "cc");
    out_lar = v; zf_lar = z & 1;
    v = 0xDEADBEEF;
    __asm__ volatile("lsll %2, %0\n\tsetz %b1" : "+r"(v), "=q"(z) : "r"(sel) : "cc");
    out_lsl = v; zf_lsl = z & 1;
    __asm__ volatile("verr %w1\n\tsetz %b0" : "=q"(z) : "r"(sel) : "cc");
    zf_verr = z & 1;
    __asm__ volatile("verw %w1\n\tsetz %b0" : "=q"(z) : "r"(sel) : "cc");
    zf_verw = z & 1;
    return 0;
}

void test_lar_lsl(void)
{
    static const uint16_t sels[] = {
        0, SEL_CODE0, SEL_DATA0, SEL_CODE3, SEL_DATA3, SEL(S_D0, 3), SEL(S_D1, 1), SEL(S_D2, 3),
        SEL(S_RO3, 3), SEL(S_XO3, 3), SEL(S_CONF0R, 3), SEL(S_CONF0X, 3), SEL(S_BASE, 3),
        SEL(S_DOWN, 3), SEL(S_DOWN16, 3), SEL(S_G0, 3), SEL(S_G1, 3), SEL(S_NP3, 3),
        SEL(S_CALLGATE, 3), SEL(S_INTGATE_G, 3), SEL(S_TSS_AVAIL, 3), SEL_TSS, SEL(S_LDTDESC, 3),
        SEL(S_SYS_RES, 3), SEL(1, 3) | 4, SEL(2, 3) | 4, SEL(3, 3) | 4, SEL(16, 3) | 4,
        0x1F8, 0x200,
    };
    for (volatile unsigned ring = 0; ring <= 3; ring += 3)
        for (volatile unsigned i = 0; i < sizeof sels / sizeof sels[0]; i++) {
            ring_call(ring, probe, sels[i]);
            printf("r%u sel=%04x lar=%u:%08x lsl=%u:%08x verr=%u verw=%u\n", ring, sels[i],
                   zf_lar, out_lar, zf_lsl, out_lsl, zf_verr, zf_verw);
        }
}
