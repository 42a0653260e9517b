/*
 * LOOP/LOOPE/LOOPNE/JCXZ/JECXZ, XLAT, segment-override prefixes with FS/GS
 * on non-zero-base segments, and LOCK on the lockable memory forms
 * (SDM Vol. 2 each page; Vol. 3 §8.1.2.2 for the LOCK list).
 */
#include "test.h"
#include "bcdmisc.h"

/* 64 KiB + 256: the 16-bit address-size cases wrap inside it. */
static uint8_t big[0x10100] __attribute__((aligned(4096)));

static void fill_big(void)
{
    for (uint32_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 13 + 7 + (i >> 8));
}

/* ---- loops: no flags affected; the flags of the last body CMP/TEST show ---- */
#define LOOPF(fn, body, insn) static uint32_t fn(uint32_t *ecx, uint32_t *fo) \
{ uint32_t n = 0, f; __asm__ volatile("1:\n\tincl %[n]\n\t" body "\n\t" insn " 1b\n\tpushfl\n\tpopl %[f]" \
    : "+c" (*ecx), [n] "+r" (n), [f] "=&r" (f) :: "cc"); *fo = f; return n; }
LOOPF(lp, "cmpl $0, %[n]", "loop")
LOOPF(lpe, "testl $4, %[n]", "loope")
LOOPF(lpne, "cmpl $5, %[n]", "loopne")
LOOPF(lp16, "cmpl $0, %[n]", ".byte 0x67\n\tloop")
LOOPF(lpe16, "testl $4, %[n]", ".byte 0x67\n\tloope")
LOOPF(lpne16, "cmpl $5, %[n]", ".byte 0x67\n\tloopne")

static const struct { const char *name; uint32_t (*fn)(uint32_t *, uint32_t *); uint32_t ecx; } loops[] = {
    { "loop", lp, 1 }, { "loop", lp, 5 }, { "loope", lpe, 10 }, { "loope", lpe, 2 },
    { "loopne", lpne, 10 }, { "loopne", lpne, 3 },
    { "a16 loop", lp16, 0xABCD0003 }, { "a16 loop", lp16, 0xABCD0000 }, { "a16 loop", lp16, 0x00010001 },
    { "a16 loope", lpe16, 0x7FFF000A }, { "a16 loopne", lpne16, 0x80000002 },
};

static uint32_t jx(uint32_t ecx, int a16)
{
    uint32_t r = 1;
    if (a16)
        __asm__ volatile("jcxz 1f\n\tmovl $0, %[r]\n1:" : [r] "+r"(r) : "c"(ecx));
    else
        __asm__ volatile("jecxz 1f\n\tmovl $0, %[r]\n1:" : [r] "+r"(r) : "c"(ecx));
    return r;
}

void loop_tests(void)
{
    for (unsigned i = 0; i < sizeof loops / sizeof loops[0]; i++) {
        uint32_t ecx = loops[i].ecx, f;
        uint32_t n = loops[i].fn(&ecx, &f);
        printf("%s ecx=%08x: iterations=%u ecx=%08x f=%03x\n", loops[i].name, loops[i].ecx, n, ecx,
               f & FLAGS_ARITH);
    }
    static const uint32_t jv[] = { 0, 1, 0x10000, 0xFFFFFFFF, 0xFFFF0000 };
    for (unsigned i = 0; i < 5; i++)
        printf("jecxz/jcxz ecx=%08x: %u %u\n", jv[i], jx(jv[i], 0), jx(jv[i], 1));

    /* XLAT: AL = [seg:EBX + zero-extended AL]; with 0x67, [BX + AL] wraps at 64 KiB */
    fill_big();
    static const uint32_t als[] = { 0x00, 0x01, 0x7F, 0x80, 0xFF };
    for (unsigned i = 0; i < 5; i++) {
        uint32_t a = 0xC0DEA500u | als[i], b = 0xC0DEA500u | als[i], c = 0xC0DEA500u | als[i];
        __asm__ volatile("xlat" : "+a"(a) : "b"(big + 0x100) : "memory");
        __asm__ volatile("movw %w[s], %%fs\n\txlat %%fs:(%%ebx)\n\tmovw %w[d], %%fs"
                         : "+a"(b) : "b"(0x200), [s] "r"(SEL(GDT_FREE, 0)), [d] "r"(SEL_DATA0) : "memory");
        __asm__ volatile("movw %w[s], %%fs\n\t.byte 0x67\n\txlat %%fs:(%%ebx)\n\tmovw %w[d], %%fs"
                         : "+a"(c) : "b"(0x1234FF80), [s] "r"(SEL(GDT_FREE, 0)), [d] "r"(SEL_DATA0) : "memory");
        printf("xlat al=%02x: %08x fs:%08x a16 fs:%08x\n", als[i], a, b, c);
    }
}

/* ---- FS/GS overrides on non-zero bases ----
 * GDT_FREE:   base = big          (also used by XLAT above)
 * GDT_FREE+1: base = big + 0x1000
 */
static const uint32_t cs_const = 0x0BADC0DE;

void seg_tests(void)
{
    uint32_t r[12];
    fill_big();
    __asm__ volatile(
        "movw %[s1], %%ax\n\tmovw %%ax, %%fs\n\tmovw %[s2], %%ax\n\tmovw %%ax, %%gs\n\t"
        "movl %%fs:0x10, %%eax\n\tmovl %%eax, 0(%[o])\n\t"
        "movl %%gs:0x10, %%eax\n\tmovl %%eax, 4(%[o])\n\t"
        "movl $0x11223344, %%gs:0x20\n\t"
        "movl $0x30, %%ecx\n\taddl $5, %%fs:(%%ecx)\n\t"
        "movl $4, %%edx\n\tmovzbl %%gs:0x40(%%ecx,%%edx,2), %%eax\n\tmovl %%eax, 8(%[o])\n\t"
        "pushl %%fs:0x44\n\tpopl %%gs:0x48\n\t"
        "movl %%cs:%c[cc], %%eax\n\tmovl %%eax, 12(%[o])\n\t"
        "movl %%ss:0x50(%%esi), %%eax\n\tmovl %%eax, 16(%[o])\n\t"
        "movl %%es:0x54(%%esi), %%eax\n\tmovl %%eax, 20(%[o])\n\t"
        "movl %%fs:0x58, %%eax\n\tmovl %%eax, 24(%[o])\n\t"
        "movl %%fs:(%%bx), %%eax\n\tmovl %%eax, 28(%[o])\n\t"
        "movl %%fs:0x10(%%bx), %%eax\n\tmovl %%eax, 32(%[o])\n\t"
        "addr16 movl %%gs:0x20, %%eax\n\tmovl %%eax, 36(%[o])\n\t"
        "xorw %%fs:0x9(%%bx), %%ax\n\tmovl %%eax, 40(%[o])\n\t"
        "movw %[d], %%ax\n\tmovw %%ax, %%fs\n\tmovw %%ax, %%gs"
        :: [o] "D"(r), "b"(0x5555FFF8), "S"(big), [s1] "i"(SEL(GDT_FREE, 0)),
           [s2] "i"(SEL(GDT_FREE + 1, 0)), [d] "i"(SEL_DATA0), [cc] "i"(&cs_const)
        : "eax", "ecx", "edx", "memory", "cc");
    printf("seg fs:10=%08x gs:10=%08x gs:40(ecx,edx,2)=%08x cs:=%08x\n", r[0], r[1], r[2], r[3]);
    printf("seg ss:50(esi)=%08x es:54(esi)=%08x fs:58=%08x\n", r[4], r[5], r[6]);
    printf("seg a16 fs:(bx)=%08x fs:10(bx)=%08x gs:disp16=%08x xor fs:9(bx)=%08x\n", r[7], r[8], r[9], r[10]);
    /* bytes written through FS/GS, as offsets from big */
    printf("seg written:");
    for (uint32_t i = 0; i < 0x1100; i++)
        if (big[i] != (uint8_t)(i * 13 + 7 + (i >> 8)))
            printf(" %04x=%02x", i, big[i]);
    printf("\n");
}

/* ---- LOCK on lockable memory destinations ---- */
static uint32_t lm;
static uint64_t lm64;
#define LK(fn, text) static uint32_t fn(uint32_t fin, uint32_t *fo) \
{ uint32_t f, a = 0x0F0F0F0F; lm = 0x80000001; __asm__ volatile(FL_IN text FL_OUT \
    : [m] "+m" (lm), "+a" (a), [f] "=&r" (f) : [fin] "r" (fin), "c" (0x7FFFFFFFu) : "cc", "memory"); \
  *fo = f; return a; }
LK(lk_add, "lock addl %%ecx, %[m]") LK(lk_adc, "lock adcl $5, %[m]") LK(lk_and, "lock andl %%ecx, %[m]")
LK(lk_or, "lock orl $0x10, %[m]") LK(lk_sbb, "lock sbbl %%ecx, %[m]") LK(lk_sub, "lock subl $1, %[m]")
LK(lk_xor, "lock xorl %%ecx, %[m]") LK(lk_inc, "lock incl %[m]") LK(lk_dec, "lock decl %[m]")
LK(lk_neg, "lock negl %[m]") LK(lk_not, "lock notl %[m]") LK(lk_bts, "lock btsl %%ecx, %[m]")
LK(lk_btr, "lock btrl $0, %[m]") LK(lk_btc, "lock btcl $31, %[m]") LK(lk_xadd, "lock xaddl %%eax, %[m]")
LK(lk_cmpxchg, "lock cmpxchgl %%ecx, %[m]") LK(lk_xchg, "xchgl %%eax, %[m]")
LK(lk_addb, "lock addb %%cl, %[m]") LK(lk_xaddw, "lock xaddw %%ax, %[m]") LK(lk_decw, "lock decw %[m]")
LK(lk_cmpxchg_eq, "movl $0x80000001, %%eax\n\tlock cmpxchgl %%ecx, %[m]")

#define LOGIC_UNDEF EFL_AF                                  /* AND OR XOR: AF undefined */
#define BT_UNDEF (EFL_OF | EFL_SF | EFL_AF | EFL_PF)       /* BT*: OF SF AF PF undefined */
static const struct { const char *name; uint32_t (*fn)(uint32_t, uint32_t *); uint32_t undef; } locks[] = {
    { "add", lk_add, 0 }, { "adc", lk_adc, 0 }, { "and", lk_and, LOGIC_UNDEF }, { "or", lk_or, LOGIC_UNDEF },
    { "sbb", lk_sbb, 0 }, { "sub", lk_sub, 0 }, { "xor", lk_xor, LOGIC_UNDEF }, { "inc", lk_inc, 0 },
    { "dec", lk_dec, 0 }, { "neg", lk_neg, 0 }, { "not", lk_not, 0 }, { "bts", lk_bts, BT_UNDEF },
    { "btr", lk_btr, BT_UNDEF }, { "btc", lk_btc, BT_UNDEF }, { "xadd", lk_xadd, 0 },
    { "cmpxchg ne", lk_cmpxchg, 0 }, { "cmpxchg eq", lk_cmpxchg_eq, 0 }, { "xchg (implicit lock)", lk_xchg, 0 },
    { "addb", lk_addb, 0 }, { "xaddw", lk_xaddw, 0 }, { "decw", lk_decw, 0 },
};

void lock_tests(void)
{
    for (unsigned i = 0; i < sizeof locks / sizeof locks[0]; i++)
        for (unsigned c = 0; c < 2; c++) {
            uint32_t f, fin = c ? 0x8D5 : 0, a = locks[i].fn(fin, &f);
            printf("lock %s f=%03x: m=%08x eax=%08x .%03x\n", locks[i].name, fin, lm, a,
                   f & FLAGS_ARITH & ~locks[i].undef);
        }
    for (unsigned c = 0; c < 2; c++) {
        uint32_t lo = c ? 0x55667788 : 0, hi = 0x11223344, f;
        lm64 = 0x1122334455667788ull;
        __asm__ volatile(FL_IN "lock cmpxchg8b %[m]" FL_OUT
                         : [m] "+m"(lm64), "+a"(lo), "+d"(hi), [f] "=&r"(f)
                         : "b"(0xAAAAAAAAu), "c"(0xBBBBBBBBu), [fin] "r"(0x8D4u) : "cc");
        printf("lock cmpxchg8b: m=%08x%08x edx:eax=%08x:%08x .%03x\n", (uint32_t)(lm64 >> 32),
               (uint32_t)lm64, hi, lo, f & FLAGS_ARITH);
    }
    /* LOCK on a register destination or a non-lockable instruction: #UD (SDM "LOCK") */
    printf("lock add reg: vec=%d\n", expect_fault(__asm__ volatile(".byte 0xf0, 0x01, 0xc3" ::: "ebx", "cc")));
    /* (LOCK MOV, TEST, BT, XCHG reg,reg, LEA: #UD per the SDM, but QEMU 7.2
     * executes them; they live in the lock-ud-sdm test.) */
    printf("lock nop: vec=%d\n", expect_fault(__asm__ volatile(".byte 0xf0, 0x90")));
}

void seg_setup(void)
{
    set_desc(GDT_FREE, (uint32_t)big, 0xFFFFF, ACC_DATA(0), FLG_G | FLG_DB);
    set_desc(GDT_FREE + 1, (uint32_t)big + 0x1000, 0xFFFFF, ACC_DATA(0), FLG_G | FLG_DB);
}
