/* bcd-misc: one function per source file, called in order by test_main. */
#ifndef BCDMISC_H
#define BCDMISC_H
#define FL_IN  "pushl %[fin]\n\tpopfl\n\t"
#define FL_OUT "\n\tpushfl\n\tpopl %[f]"
#define FLAGS_ARITH 0x8D5u
void bcd_tests(void);
void stack_tests(void);
void loop_tests(void);
void seg_tests(void);
void lock_tests(void);
#endif
