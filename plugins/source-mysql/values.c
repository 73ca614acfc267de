/*
 * Text-protocol fields to canonical values. The server prints numbers, dates
 * and times (zero dates and negative TIME included) in the forms the type
 * rules expect, and text in utf8mb4, so most fields pass as they are; binary
 * columns become \x hex (bytea's text form) and BIT(n) n binary digits.
 * A NULL field (no pointer) stays NULL; an empty one is an empty string.
 */
#include <stdio.h>
#include <string.h>

#include "source_mysql.h"

static int set_hex(const sluice_host *host, sluice_batch *b, const char *f, unsigned long len,
                   sluice_value *v)
{
    static const char digits[] = "0123456789abcdef";
    char *dst = host->alloc(b, 2 + (size_t)len * 2);
    if (!dst)
        return -1;
    dst[0] = '\\';
    dst[1] = 'x';
    for (unsigned long i = 0; i < len; i++) {
        dst[2 + 2 * i] = digits[(unsigned char)f[i] >> 4];
        dst[3 + 2 * i] = digits[(unsigned char)f[i] & 15];
    }
    v->kind = SLUICE_VALUE_TEXT;
    v->len = (uint32_t)(2 + len * 2);
    v->u.bytes = dst;
    return 0;
}

/* BIT(n): the server sends ceil(n/8) bytes, big-endian; the value is n digits. */
static int set_bits(const sluice_host *host, sluice_batch *b, const char *f, unsigned long len,
                    int32_t nbits, sluice_value *v)
{
    char *dst = host->alloc(b, (size_t)nbits ? (size_t)nbits : 1);
    if (!dst)
        return -1;
    for (int32_t i = 0; i < nbits; i++) {
        int32_t bit = nbits - 1 - i; /* from the most significant */
        unsigned long byte = (unsigned long)(bit / 8);
        int on = byte < len && ((unsigned char)f[len - 1 - byte] >> (bit % 8)) & 1;
        dst[i] = on ? '1' : '0';
    }
    v->kind = SLUICE_VALUE_TEXT;
    v->len = (uint32_t)nbits;
    v->u.bytes = dst;
    return 0;
}

int my_value(const sluice_host *host, sluice_batch *b, const my_table *t, uint32_t col,
             const char *field, unsigned long len, sluice_value *v)
{
    if (!field)
        return 0; /* NULL: emit left it so */
    switch ((my_read_as)t->read_as[col]) {
    case MY_READ_INT:
        if (parse_int64(field, len, &v->u.i) == 0) {
            v->kind = SLUICE_VALUE_INT;
            return 0;
        }
        break; /* not an integer after all: the text as it is */
    case MY_READ_BYTES:
        return set_hex(host, b, field, len, v);
    case MY_READ_BITS:
        return set_bits(host, b, field, len, t->bits[col], v);
    case MY_READ_TEXT:
        break;
    }
    return host->set_text(b, v, field, len) == 0 ? 0 : -1;
}

/* The decoder spells values as the text protocol does (docs/mysql-binlog.md);
   only BIT differs: it already gives the n binary digits the full load makes. */
int my_binlog_value(const sluice_host *host, sluice_batch *b, const my_table *t, uint32_t col,
                    const mybl_value *mv, sluice_value *v)
{
    char num[24];
    int n;
    switch ((mybl_value_kind)mv->kind) {
    case MYBL_V_ABSENT: /* not in a MINIMAL image: the target keeps its value */
        v->kind = SLUICE_VALUE_UNCHANGED;
        return 0;
    case MYBL_V_NULL:
        v->kind = SLUICE_VALUE_NULL;
        return 0;
    case MYBL_V_INT:
        n = snprintf(num, sizeof num, "%lld", (long long)mv->i);
        return my_value(host, b, t, col, num, (unsigned long)n, v);
    case MYBL_V_UINT:
        n = snprintf(num, sizeof num, "%llu", (unsigned long long)mv->u);
        return my_value(host, b, t, col, num, (unsigned long)n, v);
    case MYBL_V_TEXT:
    case MYBL_V_BYTES:
        if ((my_read_as)t->read_as[col] == MY_READ_BITS)
            return host->set_text(b, v, mv->s.ptr ? mv->s.ptr : "", mv->s.len) == 0 ? 0 : -1;
        return my_value(host, b, t, col, mv->s.ptr ? mv->s.ptr : "", (unsigned long)mv->s.len,
                        v);
    }
    v->kind = SLUICE_VALUE_NULL;
    return 0;
}
