/*
 * sbuf: the growable byte buffer of every plugin (SQL text, COPY data, object
 * bodies, JSON).
 * After the first failed allocation `failed` sticks and every put is a no-op,
 * so callers check once at the end instead of after every put.
 */
#ifndef SLUICE_PLUGIN_SBUF_H
#define SLUICE_PLUGIN_SBUF_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/abi.h"

typedef struct sbuf {
    char *data;
    size_t len, cap;
    int failed;
} sbuf;

int sb_reserve(sbuf *b, size_t more);
void sb_put(sbuf *b, const void *p, size_t n);
void sb_putc(sbuf *b, char c);
void sb_puts(sbuf *b, const char *s);
void sb_printf(sbuf *b, const char *fmt, ...) SLUICE_PRINTF(2, 3);
void sb_put_int(sbuf *b, int64_t v);
/* A NUL after the data (not counted in len); returns data, or NULL when failed. */
const char *sb_cstr(sbuf *b);
/* The data as a NUL-terminated string the caller owns, and b empty; NULL (and
   everything freed) when an allocation failed. */
char *sb_take(sbuf *b);
void sb_reset(sbuf *b);
void sb_free(sbuf *b);

#endif
