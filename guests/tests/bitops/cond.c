/*
 * The 16 conditions (SDM Vol. 1 Appendix B, Table B-1) through SETcc
 * (register and memory), CMOVcc (r32, r16, r32 from memory) and Jcc
 * (rel8 and rel32), over all 32 combinations of CF PF ZF SF OF.
 *
 * Line: cc f=<flags>: set=<16 digits> setm=... cmov32=... cmov16=... cmovm=... jcc8=... jcc32=...
 * digits in condition order o no b ae e ne be a s ns p np l ge le g; each is
 * the value the instruction produced: SETcc's byte (0/1), CMOV "1" if the
 * destination became the source, "0" if it kept its value, "x" otherwise
 * (e.g. upper bits of a 16-bit CMOV destination lost). None affect flags.
 */
#include "common.h"

typedef uint32_t (*cc_fn)(uint32_t fin);
static uint32_t mem;

#define SETR(cc) static uint32_t set_##cc(uint32_t fin) \
{ uint32_t r = 0xC0DEA5A5; __asm__ volatile(FL_IN "set" #cc " %b[r]" : [r] "+q" (r) : [fin] "r" (fin) : "cc"); return r; }
#define SETM(cc) static uint32_t setm_##cc(uint32_t fin) \
{ mem = 0xC0DEA5A5; __asm__ volatile(FL_IN "set" #cc " %[x]" : [x] "+m" (mem) : [fin] "r" (fin) : "cc"); return mem; }
#define CMOV32(cc) static uint32_t cmov32_##cc(uint32_t fin) \
{ uint32_t r = 0x11111111; __asm__ volatile(FL_IN "cmov" #cc "l %[s], %[r]" : [r] "+r" (r) : [s] "r" (0x22222222u), [fin] "r" (fin) : "cc"); \
  return r == 0x22222222 ? '1' : r == 0x11111111 ? '0' : 'x'; }
#define CMOV16(cc) static uint32_t cmov16_##cc(uint32_t fin) \
{ uint32_t r = 0x11111111; __asm__ volatile(FL_IN "cmov" #cc "w %w[s], %w[r]" : [r] "+r" (r) : [s] "r" (0x22222222u), [fin] "r" (fin) : "cc"); \
  return r == 0x11112222 ? '1' : r == 0x11111111 ? '0' : 'x'; }
#define CMOVM(cc) static uint32_t cmovm_##cc(uint32_t fin) \
{ uint32_t r = 0x11111111; mem = 0x33333333; __asm__ volatile(FL_IN "cmov" #cc "l %[x], %[r]" : [r] "+r" (r) : [x] "m" (mem), [fin] "r" (fin) : "cc"); \
  return r == 0x33333333 ? '1' : r == 0x11111111 ? '0' : 'x'; }
#define JCC8(cc) static uint32_t jcc8_##cc(uint32_t fin) \
{ uint32_t r = '1'; __asm__ volatile(FL_IN "j" #cc " 1f\n\tmovl $'0', %[r]\n1:" : [r] "+r" (r) : [fin] "r" (fin) : "cc"); return r; }
/* Jcc rel32 (0F 8x): a 128-byte filler forces the long encoding */
#define JCC32(cc) static uint32_t jcc32_##cc(uint32_t fin) \
{ uint32_t r = '1'; __asm__ volatile(FL_IN "j" #cc " 1f\n\tmovl $'0', %[r]\n\tjmp 1f\n\t.fill 128, 1, 0x90\n1:" \
    : [r] "+r" (r) : [fin] "r" (fin) : "cc"); return r; }
#define ALLCC(x) x(o) x(no) x(b) x(ae) x(e) x(ne) x(be) x(a) x(s) x(ns) x(p) x(np) x(l) x(ge) x(le) x(g)
ALLCC(SETR) ALLCC(SETM) ALLCC(CMOV32) ALLCC(CMOV16) ALLCC(CMOVM) ALLCC(JCC8) ALLCC(JCC32)

#define LIST(F) { F##o, F##no, F##b, F##ae, F##e, F##ne, F##be, F##a, F##s, F##ns, F##p, F##np, \
                  F##l, F##ge, F##le, F##g }
static const cc_fn fam[7][16] = {
    LIST(set_), LIST(setm_), LIST(cmov32_), LIST(cmov16_), LIST(cmovm_), LIST(jcc8_), LIST(jcc32_),
};
static const char *const fam_name[7] = { "set", "setm", "cmov32", "cmov16", "cmovm", "jcc8", "jcc32" };

void cond_tests(void)
{
    for (unsigned s = 0; s < 32; s++) {
        uint32_t fin = ((s & 1) ? EFL_CF : 0) | ((s & 2) ? EFL_PF : 0) | ((s & 4) ? EFL_ZF : 0) |
                       ((s & 8) ? EFL_SF : 0) | ((s & 16) ? EFL_OF : 0) | ((s & 1) ? EFL_AF : 0);
        printf("cc f=%03x:", fin);
        for (unsigned k = 0; k < 7; k++) {
            printf(" %s=", fam_name[k]);
            for (unsigned c = 0; c < 16; c++) {
                uint32_t r = fam[k][c](fin);
                if (k < 2)      /* SETcc writes only the low byte */
                    printf("%c", (r & 0xFFFFFF00u) == 0xC0DEA500u && (r & 0xFF) <= 1 ? '0' + (char)(r & 0xFF) : 'x');
                else
                    printf("%c", (char)r);
            }
        }
        printf("\n");
    }
}
