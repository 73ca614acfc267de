/* The capture journal's buffer, escaping and crash-recovery scan (journal.h). */
#include "journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* ---- the buffer ---- */

static int jbuf_reserve(jbuf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (b->len + extra <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra)
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

void jbuf_put(jbuf *b, const void *p, size_t n)
{
    if (n == 0 || jbuf_reserve(b, n) != 0)
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void jbuf_putc(jbuf *b, char c)
{
    if (jbuf_reserve(b, 1) == 0)
        b->data[b->len++] = c;
}

void jbuf_puts(jbuf *b, const char *s) { jbuf_put(b, s, strlen(s)); }

/* The escape for byte c, or 0 when it is written as it is. */
static char escape_of(char c)
{
    switch (c) {
    case '\t': return 't';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\\': return '\\';
    case '\0': return '0';
    default: return 0;
    }
}

void jbuf_put_escaped(jbuf *b, const char *p, size_t n)
{
    if (n == 0 || jbuf_reserve(b, 2 * n) != 0)
        return;
    char *out = b->data + b->len;
    for (size_t i = 0; i < n; i++) {
        char e = escape_of(p[i]);
        if (e) {
            *out++ = '\\';
            *out++ = e;
        } else {
            *out++ = p[i];
        }
    }
    b->len = (size_t)(out - b->data);
}

void jbuf_put_uint(jbuf *b, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (jbuf_reserve(b, n) != 0)
        return;
    while (n)
        b->data[b->len++] = tmp[--n];
}

void jbuf_put_int(jbuf *b, int64_t v)
{
    if (v < 0) {
        jbuf_putc(b, '-');
        jbuf_put_uint(b, (uint64_t)0 - (uint64_t)v);
    } else {
        jbuf_put_uint(b, (uint64_t)v);
    }
}

void jbuf_put_hex(jbuf *b, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    if (n == 0 || jbuf_reserve(b, 2 * n) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        b->data[b->len++] = digits[p[i] >> 4];
        b->data[b->len++] = digits[p[i] & 15];
    }
}

void jbuf_consume(jbuf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void jbuf_free(jbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* ---- the scan ---- */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int journal_parse_hex(const char *hex, size_t len, uint8_t *out, size_t max)
{
    if (len % 2 || len / 2 > max)
        return -1;
    for (size_t i = 0; i < len; i += 2) {
        int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return (int)(len / 2);
}

/* A C record: "C\t<xid>\t<hex>"; remembers its position. */
static void scan_commit(journal_scan *s, const char *line, size_t len, uint64_t lineno)
{
    const char *xid = memchr(line, '\t', len);
    const char *hex = xid ? memchr(xid + 1, '\t', len - (size_t)(xid + 1 - line)) : NULL;
    int n = -1;
    if (hex) {
        hex++;
        n = journal_parse_hex(hex, len - (size_t)(hex - line), s->position, sizeof s->position);
    }
    if (n < 0) {
        snprintf(s->problem, sizeof s->problem,
                 "line %llu: commit record has no readable position", (unsigned long long)lineno);
        return;
    }
    s->position_len = (uint32_t)n;
    s->has_commit = 1;
    s->commit_line = lineno;
}

static int is_safe_record(const char *line, size_t len)
{
    return len >= 2 && line[1] == '\t' && (line[0] == 'C' || line[0] == 'L' || line[0] == 'P');
}

static void scan_lines(journal_scan *s, const char *data, size_t size)
{
    size_t start = 0;
    uint64_t lineno = 0;
    while (start < size) {
        const char *nl = memchr(data + start, '\n', size - start);
        if (!nl)
            break; /* a torn last line: never safe */
        size_t len = (size_t)(nl - (data + start));
        lineno++;
        if (is_safe_record(data + start, len)) {
            s->safe_end = (uint64_t)(nl - data) + 1;
            s->records = lineno;
            if (data[start] == 'C')
                scan_commit(s, data + start, len, lineno);
        }
        start += len + 1;
    }
}

void journal_scan_buffer(const char *data, size_t size, journal_scan *out)
{
    memset(out, 0, sizeof *out);
    out->size = size;
    scan_lines(out, data, size);
}

int journal_scan_fd(int fd, journal_scan *out)
{
    struct stat st;
    memset(out, 0, sizeof *out);
    if (fstat(fd, &st) != 0)
        return -1;
    out->size = (uint64_t)st.st_size;
    if (st.st_size == 0)
        return 0;
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED)
        return -1;
    scan_lines(out, map, (size_t)st.st_size);
    munmap(map, (size_t)st.st_size);
    return 0;
}
