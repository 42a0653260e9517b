#ifndef LIMITS_H
#define LIMITS_H

/* GDT slots (shared by C and assembly) */
#define L_BYTE     12   /* data RW DPL3, base 0x200000, limit 0xFFF, G=0 */
#define L_PAGE     13   /* data RW DPL3, base 0x200000, limit 0, G=1 (4 KiB) */
#define L_DOWN     14   /* expand-down RW DPL3, base 0x200000, limit 0xFFF, B=1 */
#define L_DOWN16   15   /* expand-down RW DPL3, base 0x200000, limit 0xFFF, B=0 */
#define L_RO       16   /* read-only data DPL3, flat */
#define L_XO       17   /* execute-only code DPL0, flat */
#define L_CODELIM  18   /* readable code DPL0, base 0, limit = end of lim_page_a (G=1) */
#define L_CODESMALL 19  /* readable code DPL0, base 0, limit 0xFFF, G=0 */
#define L_STACK3   20   /* data RW DPL3, base 0x200000, limit 0xFFF: a ring-3 SS */
#define L_STACKDN3 21   /* expand-down RW DPL3, base 0x200000, limit 0xFFF, B=1 */

#define SELX(i, rpl) (((i) << 3) | (rpl))

#endif
