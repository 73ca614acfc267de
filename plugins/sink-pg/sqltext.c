#include "sqltext.h"

#include <string.h>

int sql_put_ident(sbuf *b, const char *name, size_t len)
{
    if (memchr(name, '\0', len))
        return -1;
    if (sb_reserve(b, 2 * len + 2) != 0)
        return 0; /* the sticky failure reports it */
    b->data[b->len++] = '"';
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '"')
            b->data[b->len++] = '"';
        b->data[b->len++] = name[i];
    }
    b->data[b->len++] = '"';
    return 0;
}

int sql_put_qualified(sbuf *b, const char *schema, size_t slen, const char *name, size_t nlen)
{
    if (sql_put_ident(b, schema, slen) != 0)
        return -1;
    sb_putc(b, '.');
    return sql_put_ident(b, name, nlen);
}

void sql_put_literal(sbuf *b, const char *s, size_t len)
{
    sb_putc(b, '\'');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\'')
            sb_putc(b, '\'');
        sb_putc(b, s[i]);
    }
    sb_putc(b, '\'');
}

/* What follows the backslash for a byte COPY text must escape, or 0. */
static char copy_escape_of(char c)
{
    switch (c) {
    case '\\': return '\\';
    case '\t': return 't';
    case '\n': return 'n';
    case '\r': return 'r';
    default: return 0;
    }
}

void copy_put_escaped(sbuf *b, const char *p, size_t n)
{
    if (n == 0 || sb_reserve(b, 2 * n) != 0)
        return;
    char *out = b->data + b->len;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        char e = copy_escape_of(p[i]);
        if (!e)
            continue;
        memcpy(out, p + start, i - start); /* runs of plain bytes in one copy */
        out += i - start;
        *out++ = '\\';
        *out++ = e;
        start = i + 1;
    }
    memcpy(out, p + start, n - start);
    out += n - start;
    b->len = (size_t)(out - b->data);
}

int copy_put_value(sbuf *b, const sluice_value *v)
{
    switch (v->kind) {
    case SLUICE_VALUE_NULL:
        sb_put(b, "\\N", 2);
        return 0;
    case SLUICE_VALUE_INT:
        sb_put_int(b, v->u.i);
        return 0;
    case SLUICE_VALUE_TEXT:
        copy_put_escaped(b, v->u.bytes, v->len);
        return 0;
    default:
        return -1;
    }
}

int value_present(const sluice_value *v)
{
    return v->kind == SLUICE_VALUE_TEXT || v->kind == SLUICE_VALUE_INT ||
           v->kind == SLUICE_VALUE_NATIVE;
}

/* The length of the valid UTF-8 sequence at p (at most n bytes), or 0 when there is none. */
static size_t utf8_length(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
    if (c >= 0x01 && c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0; /* no overlong forms */
        else if (c == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f; /* nothing past U+10FFFF */
    } else
        return 0; /* NUL, a continuation byte, or a byte never used */
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return len;
}

void json_put_string(sbuf *b, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)p;
    sb_putc(b, '"');
    for (size_t i = 0; i < n;) {
        size_t len = utf8_length(u + i, n - i);
        if (len == 0) {
            sb_puts(b, "\xef\xbf\xbd"); /* U+FFFD REPLACEMENT CHARACTER */
            i++;
        } else if (u[i] == '"' || u[i] == '\\') {
            sb_putc(b, '\\');
            sb_putc(b, (char)u[i++]);
        } else if (u[i] < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[u[i] >> 4], hex[u[i] & 15]};
            sb_put(b, esc, sizeof esc);
            i++;
        } else {
            sb_put(b, p + i, len);
            i += len;
        }
    }
    sb_putc(b, '"');
}

int json_put_value(sbuf *b, const sluice_value *v)
{
    switch (v->kind) {
    case SLUICE_VALUE_NULL:
        sb_puts(b, "null");
        return 0;
    case SLUICE_VALUE_INT:
        sb_put_int(b, v->u.i);
        return 0;
    case SLUICE_VALUE_TEXT:
        json_put_string(b, v->u.bytes, v->len);
        return 0;
    default:
        return -1;
    }
}
