/*
 * Prints what the stack.S sequences observed: registers (stack addresses as
 * "S+offset" from bm_stack) and every dword of the private stack they changed.
 */
#include "test.h"
#include "bcdmisc.h"

extern uint32_t bm_stack[64], bm_out[64];
void bm_enter_0(void), bm_enter_1(void), bm_enter_3(void), bm_enter_33(void),
     bm_enter_0_0(void), bm_enterw_2(void), bm_pusha(void), bm_pushaw(void),
     bm_push_esp(void), bm_push_seg(void), bm_push_imm(void);

static uint32_t fillv(unsigned i) { return 0xF0000000u | (i * 4); }

static void prep(void)
{
    for (unsigned i = 0; i < 64; i++) {
        bm_stack[i] = fillv(i);
        bm_out[i] = 0xEEEEEEEE;
    }
}

/* A value inside the private stack prints as S+offset. */
static void pv(uint32_t v)
{
    uint32_t base = (uint32_t)bm_stack;
    if (v - base <= 0x100)
        printf(" S+%03x", v - base);
    else if ((v & 0xFFFF0000u) == (base & 0xFFFF0000u) && (v & 0xFFFF) - (base & 0xFFFF) <= 0x100)
        printf(" S16+%03x", (v & 0xFFFF) - (base & 0xFFFF));   /* only the low half (BP) */
    else
        printf(" %08x", v);
}

static void dump_changed(void)
{
    printf(" |");
    for (unsigned i = 0; i < 64; i++)
        if (bm_stack[i] != fillv(i)) {
            printf(" [%02x]", i * 4);
            pv(bm_stack[i]);
        }
    printf("\n");
}

static void outs(const char *name, void (*fn)(void), unsigned n)
{
    prep();
    fn();
    printf("%s:", name);
    for (unsigned i = 0; i < n; i++)
        pv(bm_out[i]);
    dump_changed();
}

void stack_tests(void)
{
    outs("enter $8,$0 / leave", bm_enter_0, 4);
    outs("enter $12,$1 / leave", bm_enter_1, 4);
    outs("enter $16,$3 / leave", bm_enter_3, 4);
    outs("enter $4,$33 / leave", bm_enter_33, 4);
    outs("enter $0,$0 / leave", bm_enter_0_0, 4);
    outs("enterw $6,$2 / leavew", bm_enterw_2, 4);
    outs("pushal/popal", bm_pusha, 9);
    outs("pushaw/popaw", bm_pushaw, 9);
    outs("push/pop esp", bm_push_esp, 13);

    /* PUSH seg (32-bit): the upper half of the slot is implementation-
     * specific (SDM "PUSH"), print the low 16 bits of pushed slots only. */
    prep();
    bm_push_seg();
    printf("push/pop seg: esp");
    pv(bm_out[0]);
    printf(" ds=%04x cs=%04x ss=%04x esp", bm_out[1] & 0xFFFF, bm_out[2] & 0xFFFF, bm_out[3] & 0xFFFF);
    pv(bm_out[4]);
    printf(" pushw-fs=%04x esp", bm_out[5] & 0xFFFF);
    pv(bm_out[6]);
    printf(" fs=%04x esp", bm_out[7] & 0xFFFF);
    pv(bm_out[8]);
    pv(bm_out[9]);
    pv(bm_out[10]);
    printf(" |");
    for (unsigned i = 0; i < 64; i++)
        if (bm_stack[i] != fillv(i))
            printf(" [%02x] %04x", i * 4, bm_stack[i] & 0xFFFF);
    printf("\n");

    prep();
    bm_out[20] = 0x87654321;
    bm_out[21] = 0xCAFEF00D;
    bm_push_imm();
    printf("push imm/mem:");
    pv(bm_out[0]);
    pv(bm_out[1]);
    pv(bm_out[2]);
    printf(" m22=%08x m23=%08x", bm_out[22], bm_out[23]);
    dump_changed();
}
