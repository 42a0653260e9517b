#ifndef PRIV_C_H
#define PRIV_C_H
#include "test.h"
#include "priv.h"

void test_gates(void);
void test_stacks(void);
void test_calls(void);

/* priv.S */
uint32_t int94(uint32_t), int95(uint32_t), int97(uint32_t);
extern char int94_after[], int95_after[], int97_after[];
uint32_t callgate3(uint32_t), callgate1(uint32_t), callgate_same(uint32_t);
extern char callgate3_after[], callgate1_after[], callgate_same_after[];
void cg_callee(void), cg_callee1(void), conf_callee(void), outer_observe(void);
uint32_t lcall_conf0(uint32_t), ljmp_sel(uint32_t), lcall_sel(uint32_t), lret_to(uint32_t);
void lret_outer(uint32_t cs, uint32_t eip, uint32_t ss, uint32_t esp,
                uint32_t ds, uint32_t es, uint32_t fs, uint32_t gs);
void lret8_outer(uint32_t cs, uint32_t eip, uint32_t ss, uint32_t esp,
                 uint32_t ds, uint32_t es, uint32_t fs, uint32_t gs);
void iret_outer(uint32_t cs, uint32_t eip, uint32_t ss, uint32_t esp,
                uint32_t ds, uint32_t es, uint32_t fs, uint32_t gs);
extern volatile uint32_t cg_frame[8], cg_seen_esp, cg_seen_cs, cg_seen_ss;
extern volatile uint32_t seen_ds, seen_es, seen_fs, seen_gs, seen_cs, seen_ss, seen_esp;

/* "name vec=V err=EEEE" after a CATCH, or "name ok <extra>" */
void fault_line(const char *name);

#endif
