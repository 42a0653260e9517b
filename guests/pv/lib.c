/*
 * libc bits and vsnprintf. Conversions as the bare-metal library's printf
 * (guests/tests/lib/printf.c): %d %i %u %x %X %p %c %s %%, flags '-' '0',
 * width, 'l'/'h' ignored, except %llx for a 64-bit value.
 */
#include "pv.h"

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    while (n--) *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--) *p++ = *q++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q) return *p - *q;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

char *strstr(const char *h, const char *n)
{
    size_t ln = strlen(n);
    for (; *h; h++)
        if (!memcmp(h, n, ln)) return (char *)h;
    return ln ? NULL : (char *)h;
}

struct sink { char *buf; size_t size, len; };

static void put(struct sink *s, char c)
{
    if (s->len + 1 < s->size)
        s->buf[s->len] = c;
    s->len++;
}

static void emit_padded(struct sink *s, const char *str, unsigned n, int width, int left, char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left && pad == '0' && n > 0 && str[0] == '-') {   /* -0042, not 00-42 */
        put(s, '-');
        str++, n--;
    }
    if (!left)
        while (fill-- > 0) put(s, pad);
    while (n--) put(s, *str++);
    if (left)
        while (fill-- > 0) put(s, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink sk = { buf, size, 0 }, *s = &sk;
    char tmp[24];
    for (; *fmt; fmt++) {
        if (*fmt != '%') { put(s, *fmt); continue; }
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
            emit_padded(s, str, strlen(str), width, left, ' ');
            break;
        }
        default:                 /* %% and unknown conversions print themselves */
            put(s, c);
            break;
        }
    }
    if (size)
        buf[sk.len < size ? sk.len : size - 1] = 0;
    return (int)sk.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
