/*
 * printf / snprintf to COM1 and to buffers, over the shared guest formatter
 * (guests/common/format.c, which says what it supports).
 */
#include <stdint.h>
#include "format.h"
#include "printf.h"
#include "serial.h"

static void put_serial(struct fmt_sink *s, char c) { serial_putc(c); s->len++; }

int vprintf(const char *fmt, va_list ap)
{
    struct fmt_sink s = { put_serial, 0, 0, 0 };
    fmt_format(&s, fmt, ap);
    return (int)s.len;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int snprintf(char *buf, unsigned size, const char *fmt, ...)
{
    struct fmt_sink s = { fmt_buffer_put, buf, size, 0 };
    va_list ap;
    va_start(ap, fmt);
    fmt_format(&s, fmt, ap);
    va_end(ap);
    if (size)
        buf[s.len < size ? s.len : size - 1] = 0;
    return (int)s.len;
}
