/* A growable string for building SQL; `failed` sticks after an allocation failure. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_pg.h"

static int reserve(pg_buf *b, size_t more)
{
    if (b->failed)
        return -1;
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 128;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void pg_buf_add(pg_buf *b, const char *s, size_t n)
{
    if (reserve(b, n) != 0)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void pg_buf_addf(pg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if (reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void pg_buf_ident(pg_buf *b, const char *name, size_t len)
{
    char *q = pg_quote_ident(name, len);
    if (!q) {
        b->failed = 1;
        return;
    }
    pg_buf_add(b, q, strlen(q));
    free(q);
}

/* The string, owned by the caller; NULL when anything failed. */
char *pg_buf_take(pg_buf *b)
{
    if (b->failed || !b->data) {
        free(b->data);
        b->data = NULL;
        return NULL;
    }
    char *p = b->data;
    b->data = NULL;
    return p;
}
