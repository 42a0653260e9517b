/*
 * COM1 (16550 UART at 0x3F8), polled output only.
 *
 * serial_putc() works at any CPL: when CPL > IOPL it asks ring 0 through the
 * library's DPL-3 gate TRAP_VEC_PUTC (int $0x82, AL = byte) instead of
 * touching the port, so printing never depends on IOPL or the I/O bitmap.
 */
#ifndef LIB_SERIAL_H
#define LIB_SERIAL_H

#define COM1 0x3F8

void serial_init(void);
void serial_putc(char c);        /* any CPL */
void serial_putc_raw(char c);    /* needs port access: waits for LSR.THRE (bit 5), writes THR */
void serial_puts(const char *s);

#endif
