/* The bounds-checked reader, the scratch buffer and error formatting. */
#include "mybl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rd_skip(mybl_rd *r, size_t n)
{
    if (rd_left(r) < n)
        return -1;
    r->p += n;
    return 0;
}

int rd_u8(mybl_rd *r, uint8_t *v)
{
    if (rd_left(r) < 1)
        return -1;
    *v = *r->p++;
    return 0;
}

uint64_t get_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i > 0; i--)
        v = v << 8 | p[i - 1];
    return v;
}

uint64_t get_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

int rd_le(mybl_rd *r, size_t n, uint64_t *v)
{
    if (rd_left(r) < n)
        return -1;
    *v = get_le(r->p, n);
    r->p += n;
    return 0;
}

int rd_bytes(mybl_rd *r, size_t n, const uint8_t **out)
{
    if (rd_left(r) < n)
        return -1;
    *out = r->p;
    r->p += n;
    return 0;
}

int rd_lenenc(mybl_rd *r, uint64_t *v)
{
    uint8_t b;
    if (rd_u8(r, &b) != 0)
        return -1;
    if (b < 0xfb) {
        *v = b;
        return 0;
    }
    switch (b) {
    case 0xfc: return rd_le(r, 2, v);
    case 0xfd: return rd_le(r, 3, v);
    case 0xfe: return rd_le(r, 8, v);
    default: return -1; /* 0xfb (NULL) and 0xff have no place in an event */
    }
}

static void buf_grow(mybl_buf *b, size_t more)
{
    if (b->failed || b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->failed = 1;
        return;
    }
    b->data = d;
    b->cap = cap;
}

void buf_add(mybl_buf *b, const void *s, size_t n)
{
    buf_grow(b, n);
    if (b->failed)
        return;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_addc(mybl_buf *b, char c)
{
    buf_add(b, &c, 1);
}

void buf_addf(mybl_buf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        b->failed = 1;
    else
        buf_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void buf_free(mybl_buf *b)
{
    free(b->data);
    *b = (mybl_buf){0};
}

int bl_fail(mybl_error *err, const mybl_where *w, const char *fmt, ...)
{
    if (!err)
        return -1;
    snprintf(err->message, sizeof err->message, "malformed %s event in the binary log",
             mybl_event_name(w->type));
    char what[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char table[160] = "", column[160] = "";
    if (w->table) {
        snprintf(table, sizeof table, ", table \"%.*s.%.*s\"", (int)(w->table->db.len % 64),
                 w->table->db.ptr, (int)(w->table->name.len % 64), w->table->name.ptr);
        if (w->column >= 0 && (uint32_t)w->column < w->table->ncols) {
            const mybl_column *c = &w->table->cols[w->column];
            snprintf(column, sizeof column, ", column %d%s%.*s%s (%s)", w->column + 1,
                     c->name.len ? " \"" : "", (int)(c->name.len % 64), c->name.ptr,
                     c->name.len ? "\"" : "", mybl_type_name(c->real_type));
        }
    }
    mybl_buf d = {0};
    buf_addf(&d, "At position %u of binlog file \"%.100s\"", (unsigned)w->pos,
             w->file && *w->file ? w->file : "(unknown)");
    buf_add(&d, table, strlen(table));
    buf_add(&d, column, strlen(column));
    buf_add(&d, ": ", 2);
    buf_add(&d, what, strlen(what));
    buf_addc(&d, '.');
    size_t n = d.failed ? 0 : d.len < sizeof err->detail ? d.len : sizeof err->detail - 1;
    if (n)
        memcpy(err->detail, d.data, n);
    err->detail[n] = '\0';
    buf_free(&d);
    snprintf(err->hint, sizeof err->hint,
             "Compare with mysqlbinlog --hexdump --start-position=%u; the file may be damaged "
             "or written by a server version this decoder does not know.",
             (unsigned)w->pos);
    return -1;
}

size_t mybl_value_text(const mybl_value *v, char *buf, size_t size)
{
    char num[32];
    const char *s = num;
    size_t n;
    switch (v->kind) {
    case MYBL_V_INT: n = (size_t)snprintf(num, sizeof num, "%lld", (long long)v->i); break;
    case MYBL_V_UINT: n = (size_t)snprintf(num, sizeof num, "%llu", (unsigned long long)v->u); break;
    case MYBL_V_TEXT:
    case MYBL_V_BYTES: s = v->s.ptr; n = v->s.len; break;
    default: s = ""; n = 0; break;
    }
    if (size) {
        size_t k = n < size - 1 ? n : size - 1;
        if (k)
            memcpy(buf, s, k);
        buf[k] = '\0';
    }
    return n;
}
