/*
 * Shared by the privilege kernel's C and assembly: GDT slots and vectors.
 */
#ifndef PRIV_H
#define PRIV_H

/* spare GDT slots (desc.h: 11..63) */
#define G_CONF0     24      /* conforming code, DPL 0 */
#define G_CONF3     25      /* conforming code, DPL 3 */
#define G_CG_R0     26      /* call gate DPL 3 -> ring 0, 3 params */
#define G_CG_R1     27      /* call gate DPL 3 -> ring 1, 0 params */
#define G_CG_DPL0   28      /* call gate DPL 0 -> ring 0 */
#define G_CG_NP     29      /* call gate not present */
#define G_CG_TGTNP  30      /* call gate -> not-present code segment */
#define G_CODE_NP   31      /* code, DPL 0, not present */
#define G_CG_SAME   32      /* call gate DPL 0 -> ring 0, 2 params (same privilege) */
#define SELX(i, rpl) (((i) << 3) | (rpl))

#define V_OBSERVE   0x96    /* DPL-3 gate with no handler: "back to CATCH" */
#define V_REC       0x94    /* recording handler, gate varies */
#define V_REC_R1    0x95    /* gate -> ring-1 code */
#define V_REC_R2    0x97    /* gate -> ring-2 code */

#endif
