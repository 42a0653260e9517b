/*
 * A tiny printf on COM1. Conversions: %d %i %u %x %X %c %s %p %%, with
 * optional '-' / '0' flags, a width, and an ignored 'l'. No floats.
 * Works at any CPL (see serial.h). Returns the number of bytes written.
 */
#ifndef LIB_PRINTF_H
#define LIB_PRINTF_H

#include <stdarg.h>

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
/* Formats into buf (always NUL-terminated if size > 0); returns length it wanted. */
int snprintf(char *buf, unsigned size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
