/*
 * strings: MOVS CMPS SCAS LODS STOS in byte/word/dword (SDM Vol. 2 each page,
 * and "REP/REPE/REPZ/REPNE/REPNZ").
 *
 * All accesses go through segment WIN (GDT slot 11, base = win[], 4 GiB
 * limit), loaded into DS and ES for the duration of one instruction, so
 * ESI/EDI are offsets into win[] and 16-bit addressing (0x67) wraps inside
 * it. WIN2 (slot 12, base = win + 0x80) goes into FS/GS for the source
 * segment overrides, so an overridden source reads other bytes.
 *
 *   win[] regions, refilled before each case (pattern p(o) = o*7+3 ^ o>>8):
 *     A  0x00000..0x001FF   p(o & 0xFF); byte 0x10B flipped (A vs A+0x100 differ there)
 *     B  0x0FE00..0x0FFFF   p(o)       (the 16-bit wrap lands here and in A)
 *     C  0x10000..0x101FF   p(o & 0xFF) ^ 0x55, except C[4..7] == A[4..7] and
 *                           C[0x80..0x83] == A[0x80..0x83]
 *
 * Printed after each case: ESI EDI ECX EAX, flags (OF SF ZF AF PF CF and DF;
 * CMPS/SCAS set all six as CMP does, the rest affect none; nothing undefined,
 * nothing masked) and an FNV-1a checksum of A, B and C.
 */
#include "test.h"

#define WIN_SIZE 0x10400
static uint8_t win[WIN_SIZE] __attribute__((aligned(4096)));
uint16_t strings_win_sel, strings_win2_sel;      /* named in the asm below */

struct st { uint32_t esi, edi, ecx, eax, fin, fout; };
typedef void (*str_fn)(struct st *s);

/* Load DS/ES = WIN, FS/GS = WIN2, EFLAGS = fin; run; capture; CLD; restore. */
#define STR(fn, text) static void fn(struct st *s) \
{ uint32_t f; __asm__ volatile( \
    "pushl %%ds\n\tpushl %%es\n\tpushl %%fs\n\tpushl %%gs\n\t" \
    "movw strings_win2_sel, %%fs\n\tmovw strings_win2_sel, %%gs\n\t" \
    "movw strings_win_sel, %%es\n\tmovw strings_win_sel, %%ds\n\t" \
    "pushl %[fin]\n\tpopfl\n\t" text "\n\tpushfl\n\tpopl %[f]\n\tcld\n\t" \
    "popl %%gs\n\tpopl %%fs\n\tpopl %%es\n\tpopl %%ds" \
    : "+S" (s->esi), "+D" (s->edi), "+c" (s->ecx), "+a" (s->eax), [f] "=&r" (f) \
    : [fin] "r" (s->fin) : "memory", "cc"); s->fout = f; }

#define A16 ".byte 0x67\n\t"
#define OPS(x, X) \
    STR(movs_##x, "movs" #X) STR(rmovs_##x, "rep movs" #X) \
    STR(stos_##x, "stos" #X) STR(rstos_##x, "rep stos" #X) \
    STR(lods_##x, "lods" #X) STR(rlods_##x, "rep lods" #X) \
    STR(cmps_##x, "cmps" #X) STR(ecmps_##x, "repe cmps" #X) STR(necmps_##x, "repne cmps" #X) \
    STR(scas_##x, "scas" #X) STR(escas_##x, "repe scas" #X) STR(nescas_##x, "repne scas" #X) \
    STR(a_movs_##x, A16 "movs" #X) STR(a_rmovs_##x, A16 "rep movs" #X) \
    STR(a_rstos_##x, A16 "rep stos" #X) STR(a_rlods_##x, A16 "rep lods" #X) \
    STR(a_ecmps_##x, A16 "repe cmps" #X) STR(a_nescas_##x, A16 "repne scas" #X) \
    STR(o_movs_##x, "movs" #X " %%fs:(%%esi), %%es:(%%edi)") \
    STR(o_rmovs_##x, "rep movs" #X " %%fs:(%%esi), %%es:(%%edi)") \
    STR(o_lods_##x, "lods" #X " %%fs:(%%esi)") \
    STR(o_cmps_##x, "cmps" #X " %%es:(%%edi), %%gs:(%%esi)") \
    STR(o_ecmps_##x, "repe cmps" #X " %%es:(%%edi), %%gs:(%%esi)") \
    STR(ao_rmovs_##x, A16 "rep movs" #X " %%fs:(%%esi), %%es:(%%edi)")
OPS(b, b) OPS(w, w) OPS(d, l)

/* Where a case starts. Offsets depend on DF so a run walks its region. */
enum where { W_MOVE, W_CMPA, W_CMPC, W_SCAN, W_WRAP, W_WRAPC };
struct scase { const char *name; str_fn fn[3]; enum where w; uint32_t ecx; };
#define C3(n) { n##_b, n##_w, n##_d }
static const struct scase cases[] = {
    { "movs", C3(movs), W_MOVE, 0xABCD0005 },
    { "rep movs", C3(rmovs), W_MOVE, 5 },
    { "rep movs ecx=0", C3(rmovs), W_MOVE, 0 },
    { "stos", C3(stos), W_MOVE, 0xABCD0005 },
    { "rep stos", C3(rstos), W_MOVE, 5 },
    { "rep stos ecx=0", C3(rstos), W_MOVE, 0 },
    { "lods", C3(lods), W_MOVE, 0xABCD0005 },
    { "rep lods", C3(rlods), W_MOVE, 3 },
    { "cmps A/A'", C3(cmps), W_CMPA, 0xABCD0005 },
    { "cmps A/C", C3(cmps), W_CMPC, 0xABCD0005 },
    { "repe cmps A/A'", C3(ecmps), W_CMPA, 32 },
    { "repe cmps ecx=0", C3(ecmps), W_CMPA, 0 },
    { "repne cmps A/C", C3(necmps), W_CMPC, 32 },
    { "repne cmps A/A'", C3(necmps), W_CMPA, 3 },
    { "repne cmps ecx=0", C3(necmps), W_CMPC, 0 },
    { "scas", C3(scas), W_SCAN, 0xABCD0005 },
    { "repe scas", C3(escas), W_SCAN, 32 },
    { "repne scas", C3(nescas), W_SCAN, 32 },
    { "repne scas ecx=0", C3(nescas), W_SCAN, 0 },
    /* 0x67: SI, DI, CX are 16-bit; upper halves kept; addresses wrap at 64 KiB */
    { "a16 movs", C3(a_movs), W_WRAP, 0xABCD0005 },
    { "a16 rep movs", C3(a_rmovs), W_WRAP, 0xABCD0006 },
    { "a16 rep movs cx=0", C3(a_rmovs), W_WRAP, 0xABCD0000 },
    { "a16 rep stos", C3(a_rstos), W_WRAP, 0x55550006 },
    { "a16 rep lods", C3(a_rlods), W_WRAP, 0x55550005 },
    { "a16 repe cmps", C3(a_ecmps), W_WRAPC, 0x00010008 },
    { "a16 repne scas", C3(a_nescas), W_WRAP, 0xFFFF0009 },
    /* source segment overrides: FS/GS = WIN2 (base + 0x80) */
    { "fs movs", C3(o_movs), W_MOVE, 0xABCD0005 },
    { "fs rep movs", C3(o_rmovs), W_MOVE, 4 },
    { "fs lods", C3(o_lods), W_MOVE, 0xABCD0005 },
    { "gs cmps", C3(o_cmps), W_CMPA, 0xABCD0005 },
    { "gs repe cmps", C3(o_ecmps), W_CMPA, 16 },
    { "a16 fs rep movs", C3(ao_rmovs), W_WRAP, 0x99990005 },
};

static uint8_t pat(uint32_t o) { return (uint8_t)((o * 7 + 3) ^ (o >> 8)); }

static void fill(void)
{
    for (uint32_t o = 0; o < 0x200; o++) {
        win[o] = pat(o & 0xFF);
        win[0x10000 + o] = pat(o & 0xFF) ^ 0x55;
        win[0xFE00 + o] = pat(0xFE00 + o);
    }
    win[0x10B] ^= 0x80;
    for (uint32_t o = 4; o < 8; o++) {         /* equal dwords in C at 4 and 0x80 */
        win[0x10000 + o] = win[o];
        win[0x10080 + o - 4] = win[0x80 + o - 4];
    }
}

static uint32_t fnv(uint32_t h, uint32_t from, uint32_t to)
{
    for (uint32_t o = from; o < to; o++)
        h = (h ^ win[o]) * 16777619u;
    return h;
}

static void run(const struct scase *c, int size, int df)
{
    static const char sz[] = "bwd";
    struct st s;
    uint32_t up = df ? 0x40 : 0x10;     /* start inside A, room both ways */
    fill();
    s.ecx = c->ecx;
    s.eax = 0xC0DEA5A5;
    s.fin = df ? EFL_DF : 0;
    switch (c->w) {
    case W_MOVE: s.esi = up; s.edi = 0x10000 + up; s.eax = 0x11223344; break;
    case W_CMPA: s.esi = up - 0x10; s.edi = 0x100 + up - 0x10; break;
    case W_CMPC: s.esi = df ? 0x90 : 0; s.edi = 0x10000 + s.esi; break;
    case W_SCAN: s.esi = 0; s.edi = up - 0x10;
                 s.eax = *(uint32_t *)(win + 0x18); break;
    case W_WRAP: s.esi = df ? 0x12340004 : 0x1234FFFC; s.edi = df ? 0x5678000A : 0x5678FFF8;
                 s.eax = *(uint32_t *)(win + 4); break;
    case W_WRAPC: s.esi = df ? 0x12340004 : 0x1234FFFC; s.edi = df ? 0x00000004 : 0x0000FFFC; break;
    }
    /* ECX = 0 cases start from all flags set, to show them untouched */
    if ((c->ecx & 0xFFFF) == 0)
        s.fin |= 0x8D5;
    c->fn[size](&s);
    uint32_t h = fnv(fnv(fnv(2166136261u, 0, 0x200), 0xFE00, 0x10000), 0x10000, 0x10200);
    printf("%c %s df=%d: esi=%08x edi=%08x ecx=%08x eax=%08x f=%03x sum=%08x\n", sz[size], c->name, df,
           s.esi, s.edi, s.ecx, s.eax, s.fout & (0x8D5 | EFL_DF), h);
}

void test_main(void)
{
    set_desc(GDT_FREE, (uint32_t)win, 0xFFFFF, ACC_DATA(0), FLG_G | FLG_DB);
    set_desc(GDT_FREE + 1, (uint32_t)win + 0x80, 0xFFFFF, ACC_DATA(0), FLG_G | FLG_DB);
    strings_win_sel = SEL(GDT_FREE, 0);
    strings_win2_sel = SEL(GDT_FREE + 1, 0);
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int size = 0; size < 3; size++)
            for (int df = 0; df < 2; df++)
                run(&cases[i], size, df);
}
