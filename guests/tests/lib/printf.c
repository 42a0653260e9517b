/*
 * printf / snprintf over one formatter writing through a sink callback.
 * Supported: %d %i %u %x %X %p %c %s %%, flags '-' '0', width, 'l' ignored.
 */
#include <stdint.h>
#include "printf.h"
#include "serial.h"

struct sink {
    void (*put)(struct sink *s, char c);
    char *buf;
    unsigned size, len;
};

static void put_serial(struct sink *s, char c) { serial_putc(c); s->len++; }
static void put_buf(struct sink *s, char c)
{
    if (s->len + 1 < s->size)
        s->buf[s->len] = c;
    s->len++;
}

static void emit_padded(struct sink *s, const char *str, unsigned n, int width, int left, char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left && pad == '0' && n > 0 && str[0] == '-') {   /* -0042, not 00-42 */
        s->put(s, '-');
        str++, n--;
    }
    if (!left)
        while (fill-- > 0) s->put(s, pad);
    while (n--) s->put(s, *str++);
    if (left)
        while (fill-- > 0) s->put(s, ' ');
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
    char tmp[16];
    for (; *fmt; fmt++) {
        if (*fmt != '%') { s->put(s, *fmt); continue; }
        fmt++;
        int left = 0, width = 0;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-') left = 1;
            else if (*fmt == '0') pad = '0';
            else break;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'h')
            fmt++;
        char c = *fmt;
        if (!c) break;
        unsigned n = 0;
        uint32_t v;
        const char *digits = "0123456789abcdef";
        switch (c) {
        case 'd': case 'i': {
            int32_t x = va_arg(ap, int32_t);
            v = x < 0 ? (uint32_t)-(int64_t)x : (uint32_t)x;
            char rev[12]; unsigned r = 0;
            do { rev[r++] = digits[v % 10]; v /= 10; } while (v);
            if (x < 0) tmp[n++] = '-';
            while (r) tmp[n++] = rev[--r];
            emit_padded(s, tmp, n, width, left, pad);
            break;
        }
        case 'u': case 'x': case 'X': case 'p': {
            unsigned base = c == 'u' ? 10 : 16;
            if (c == 'X') digits = "0123456789ABCDEF";
            v = c == 'p' ? (uint32_t)(uintptr_t)va_arg(ap, void *) : va_arg(ap, uint32_t);
            if (c == 'p') { width = 8; pad = '0'; }
            char rev[12]; unsigned r = 0;
            do { rev[r++] = digits[v % base]; v /= base; } while (v);
            while (r) tmp[n++] = rev[--r];
            emit_padded(s, tmp, n, width, left, pad);
            break;
        }
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            emit_padded(s, tmp, 1, width, left, ' ');
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str) str = "(null)";
            unsigned len = 0;
            while (str[len]) len++;
            emit_padded(s, str, len, width, left, ' ');
            break;
        }
        default:                 /* %% and unknown conversions print themselves */
            s->put(s, c);
            break;
        }
    }
}

int vprintf(const char *fmt, va_list ap)
{
    struct sink s = { put_serial, 0, 0, 0 };
    format(&s, fmt, ap);
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
    struct sink s = { put_buf, buf, size, 0 };
    va_list ap;
    va_start(ap, fmt);
    format(&s, fmt, ap);
    va_end(ap);
    if (size)
        buf[s.len < size ? s.len : size - 1] = 0;
    return (int)s.len;
}
