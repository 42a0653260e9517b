/* The shared guest formatter (guests/common/format.c). */
#ifndef GUEST_FORMAT_H
#define GUEST_FORMAT_H

#include <stdarg.h>

struct fmt_sink {
    void (*put)(struct fmt_sink *s, char c);
    char *buf;              /* for fmt_buffer_put */
    unsigned size, len;     /* len counts every character, stored or not */
};

/* A sink that stores into buf (size bytes, room for the terminator kept). */
void fmt_buffer_put(struct fmt_sink *s, char c);
void fmt_format(struct fmt_sink *s, const char *fmt, va_list ap);

#endif
