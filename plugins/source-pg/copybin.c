/*
 * The binary COPY stream parser (copybin.h). PostgreSQL's documentation of
 * COPY, "Binary Format", is the reference: flags bits 16-31 are critical (a
 * reader must refuse a stream with one it does not know; bit 16 says OIDs
 * follow, which we never ask for), bits 0-15 are not and are ignored.
 */
#include <stdio.h>
#include <string.h>

#include "copybin.h"

enum { ST_HEADER = 0, ST_TUPLES = 1, ST_ENDED = 2, ST_FAILED = 3 };

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

void pgb_init(pgb_parser *p, uint32_t ncols)
{
    memset(p, 0, sizeof *p);
    p->ncols = ncols;
    p->state = ST_HEADER;
}

void pgb_put_header(uint8_t *out)
{
    memcpy(out, PGB_SIGNATURE, PGB_SIGNATURE_LEN);
    memset(out + PGB_SIGNATURE_LEN, 0, 8); /* flags 0, no extension */
}

static pgb_status fail(pgb_parser *p, size_t at, const char *fmt, long long a, long long b)
{
    char what[150];
    snprintf(what, sizeof what, fmt, a, b);
    snprintf(p->error, sizeof p->error, "%s (at byte %llu of the stream, after %llu rows)", what,
             (unsigned long long)(p->offset + at), (unsigned long long)p->rows);
    p->state = ST_FAILED;
    return PGB_BAD;
}

/* The header's length when complete in buf, 0 when more is needed, -1 when bad. */
static long header(pgb_parser *p, const uint8_t *buf, size_t n)
{
    size_t have = n < PGB_SIGNATURE_LEN ? n : PGB_SIGNATURE_LEN;
    if (memcmp(buf, PGB_SIGNATURE, have) != 0) {
        fail(p, 0, "the stream does not start with the binary COPY signature", 0, 0);
        return -1;
    }
    if (n < PGB_SIGNATURE_LEN + 8)
        return 0;
    uint32_t flags = get32(buf + PGB_SIGNATURE_LEN);
    if (flags & 0x10000u) {
        fail(p, PGB_SIGNATURE_LEN, "the stream carries OIDs (flags 0x%llx)", flags, 0);
        return -1;
    }
    if (flags & 0xffff0000u) {
        fail(p, PGB_SIGNATURE_LEN, "the stream has unknown critical flags 0x%llx", flags, 0);
        return -1;
    }
    uint32_t ext = get32(buf + PGB_SIGNATURE_LEN + 4);
    if (ext > 0x7fffffffu) {
        fail(p, PGB_SIGNATURE_LEN + 4, "the header extension length %lld is negative",
             (int32_t)ext, 0);
        return -1;
    }
    size_t total = PGB_SIGNATURE_LEN + 8 + (size_t)ext;
    return n < total ? 0 : (long)total;
}

pgb_status pgb_next(pgb_parser *p, const uint8_t *buf, size_t n, size_t *used,
                    pgb_field *fields)
{
    *used = 0;
    if (p->state == ST_ENDED)
        return fail(p, 0, "bytes follow the end of the stream", 0, 0);
    if (p->state == ST_FAILED)
        return PGB_BAD;
    size_t pos = 0;
    if (p->state == ST_HEADER) {
        long h = header(p, buf, n);
        if (h <= 0)
            return h < 0 ? PGB_BAD : PGB_MORE;
        pos = (size_t)h;
    }
    if (n - pos < 2)
        return PGB_MORE;
    int16_t count = (int16_t)get16(buf + pos);
    if (count == -1) {
        p->state = ST_ENDED;
        *used = pos + 2;
        p->offset += *used;
        return PGB_END;
    }
    if (count < 0 || (uint32_t)count != p->ncols)
        return fail(p, pos, "a row has %lld fields where %lld were expected", count,
                    (long long)p->ncols);
    size_t at = pos + 2;
    for (uint32_t i = 0; i < p->ncols; i++) {
        if (n - at < 4)
            return PGB_MORE;
        int32_t len = (int32_t)get32(buf + at);
        if (len < -1)
            return fail(p, at, "field %lld has length %lld", (long long)i + 1, len);
        at += 4;
        fields[i].len = len;
        fields[i].data = buf + at;
        if (len == -1)
            continue;
        if (n - at < (size_t)len)
            return PGB_MORE;
        at += (size_t)len;
    }
    p->state = ST_TUPLES; /* the header is consumed only with a complete tuple */
    p->rows++;
    p->offset += at;
    *used = at;
    return PGB_ROW;
}
