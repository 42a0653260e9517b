/*
 * The formatter behind every guest printf (bare-metal test library and PV
 * library): %d %i %u %x %X %p %c %s %%, flags '-' '0', width, 'l'/'h'
 * ignored, except %llx for a 64-bit value. Output goes through a sink.
 */
#include <stdint.h>
#include "format.h"

static unsigned length(const char *s)
{
    unsigned n = 0;
    while (s[n]) n++;
    return n;
}

void fmt_buffer_put(struct fmt_sink *s, char c)
{
    if (s->len + 1 < s->size)
        s->buf[s->len] = c;
    s->len++;
}

static void emit_padded(struct fmt_sink *s, const char *str, unsigned n, int width, int left, char pad)
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

void fmt_format(struct fmt_sink *s, const char *fmt, va_list ap)
{
    char tmp[24];
    for (; *fmt; fmt++) {
        if (*fmt != '%') { s->put(s, *fmt); continue; }
        fmt++;
        int left = 0, width = 0, longs = 0;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-') left = 1;
            else if (*fmt == '0') pad = '0';
            else break;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'h')
            longs += *fmt++ == 'l';
        char c = *fmt;
        if (!c) break;
        unsigned n = 0;
        const char *digits = "0123456789abcdef";
        switch (c) {
        case 'd': case 'i': {
            int32_t x = va_arg(ap, int32_t);
            uint32_t v = x < 0 ? (uint32_t)-(int64_t)x : (uint32_t)x;
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
            char rev[20]; unsigned r = 0;
            if (longs >= 2 && base == 16) {      /* %llx: no 64-bit division needed */
                uint64_t v = va_arg(ap, uint64_t);
                do { rev[r++] = digits[v & 15]; v >>= 4; } while (v);
            } else {
                uint32_t v = c == 'p' ? (uint32_t)(uintptr_t)va_arg(ap, void *) : va_arg(ap, uint32_t);
                if (c == 'p') { width = 8; pad = '0'; }
                do { rev[r++] = digits[v % base]; v /= base; } while (v);
            }
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
            emit_padded(s, str, length(str), width, left, ' ');
            break;
        }
        default:                 /* %% and unknown conversions print themselves */
            s->put(s, c);
            break;
        }
    }
}

