/*
 * Test status and the final line, as XTF common/report.c: the status only
 * worsens (SUCCESS < SKIP < ERROR < FAILURE); the last console line is
 * "Test result: <STATUS>" (" with warnings" after SUCCESS if any), which is
 * what xtf-runner parses. panic() as XTF's: star lines, SHUTDOWN_crash, then
 * a push with ESP in the read-only M2P so that the domain must be crashed.
 */
#include "pv.h"

enum status { STATUS_RUNNING, STATUS_SUCCESS, STATUS_SKIP, STATUS_ERROR, STATUS_FAILURE };
static enum status status;
static int warnings;
static const char *const status_str[] = { "RUNNING", "SUCCESS", "SKIP", "ERROR", "FAILURE" };

static void set_status(enum status s) { if (s > status) status = s; }

#define REPORT_FN(name, st, extra)                      \
void name(const char *fmt, ...)                         \
{                                                       \
    st;                                                 \
    extra;                                              \
    if (fmt) {                                          \
        va_list ap;                                     \
        va_start(ap, fmt);                              \
        vprintf(fmt, ap);                               \
        va_end(ap);                                     \
    }                                                   \
}
REPORT_FN(xtf_success, set_status(STATUS_SUCCESS), )
REPORT_FN(xtf_warning, warnings = 1, )
REPORT_FN(xtf_skip,    set_status(STATUS_SKIP), )
REPORT_FN(xtf_error,   set_status(STATUS_ERROR), )
REPORT_FN(xtf_failure, set_status(STATUS_FAILURE), )

void xtf_report_status(void)
{
    if (status < STATUS_SUCCESS)
        xtf_error("Test did not report a status\n");
    printf("Test result: %s%s\n", status_str[status],
           warnings && status == STATUS_SUCCESS ? " with warnings" : "");
}

void check_rc(const char *what, long got, long want)
{
    printf("%s: %ld\n", what, got);
    if (got != want)
        xtf_failure("Fail: %s: got %ld, want %ld\n", what, got, want);
}

void panic(const char *fmt, ...)
{
    va_list ap;
    printf("******************************\n");
    printf("PANIC: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("******************************\n");
    hypercall_shutdown(SHUTDOWN_crash);
    /* Still here: make the bounce frame unwritable (XTF arch_crash_hard). */
    __asm__ volatile ("mov %0, %%esp; pushf" :: "i" (0xfbadc0deU) : "memory");
    for (;;)
        __asm__ volatile ("ud2");
}
