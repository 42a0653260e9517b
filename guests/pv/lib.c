/*
 * strcmp, strstr and vsnprintf, over the shared guest formatter and string
 * routines (guests/common/).
 */
#include "pv.h"
#include "format.h"

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

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct fmt_sink s = { fmt_buffer_put, buf, (unsigned)size, 0 };
    fmt_format(&s, fmt, ap);
    if (size)
        buf[s.len < size ? s.len : size - 1] = 0;
    return (int)s.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
