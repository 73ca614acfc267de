/*
 * Binlog positions. The bytes order positions by memcmp: a version byte, the
 * file's sequence number (the digits after the last dot of "binlog.000042")
 * and the offset as 8 big-endian bytes each, then the file name and the GTID
 * position as length-prefixed text. Printed "binlog.000042:1234" followed by
 * " gtid 0-1-112" when the GTID position is known.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_mysql.h"

#define POS_VERSION 1

static uint64_t file_seq(const char *file)
{
    const char *dot = strrchr(file, '.');
    return dot ? strtoull(dot + 1, NULL, 10) : 0;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)(v & 0xff);
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

int my_pos_set(sluice_position *p, const my_pos *in)
{
    size_t nf = strlen(in->file), ng = strlen(in->gtid);
    if (nf > 255 || ng > 255 || 1 + 16 + 2 + nf + ng > SLUICE_POSITION_MAX)
        return -1;
    uint8_t *b = p->bytes;
    b[0] = POS_VERSION;
    put64(b + 1, file_seq(in->file));
    put64(b + 9, in->offset);
    b[17] = (uint8_t)nf;
    memcpy(b + 18, in->file, nf);
    b[18 + nf] = (uint8_t)ng;
    memcpy(b + 19 + nf, in->gtid, ng);
    p->len = (uint32_t)(19 + nf + ng);
    return 0;
}

int my_pos_get(const sluice_position *p, my_pos *out)
{
    if (!p || p->len < 19 || p->bytes[0] != POS_VERSION)
        return -1;
    size_t nf = p->bytes[17];
    if (18 + nf + 1 > p->len)
        return -1;
    size_t ng = p->bytes[18 + nf];
    if (19 + nf + ng != p->len)
        return -1;
    out->offset = get64(p->bytes + 9);
    memcpy(out->file, p->bytes + 18, nf);
    out->file[nf] = '\0';
    memcpy(out->gtid, p->bytes + 19 + nf, ng);
    out->gtid[ng] = '\0';
    return 0;
}

int my_position_compare(const sluice_position *a, const sluice_position *b)
{
    uint32_t n = a->len < b->len ? a->len : b->len;
    if (n > 17)
        n = 17; /* version, file sequence, offset: the rest does not order */
    int c = memcmp(a->bytes, b->bytes, n);
    if (c != 0)
        return c;
    return a->len < 17 || b->len < 17 ? (a->len > b->len) - (a->len < b->len) : 0;
}

size_t my_position_format(const sluice_position *p, char *buf, size_t size)
{
    my_pos pos;
    if (size == 0)
        return 0;
    int k;
    if (my_pos_get(p, &pos) == 0)
        k = snprintf(buf, size, "%s:%llu%s%s", pos.file, (unsigned long long)pos.offset,
                     pos.gtid[0] ? " gtid " : "", pos.gtid);
    else
        k = snprintf(buf, size, "invalid(%u bytes)", (unsigned)p->len);
    size_t n = k < 0 ? 0 : (size_t)k;
    return n < size ? n : size - 1;
}

/* Needs no instance and so has no host table: fills the error record itself. */
sluice_status my_position_parse(const char *text, sluice_position *out, sluice_error *err)
{
    my_pos pos;
    memset(&pos, 0, sizeof pos);
    const char *g = strstr(text, " gtid ");
    size_t head = g ? (size_t)(g - text) : strlen(text); /* "file:offset" */
    const char *colon = NULL;
    for (size_t i = 0; i < head; i++)
        if (text[i] == ':')
            colon = text + i;
    char *end = NULL;
    unsigned long long off = colon ? strtoull(colon + 1, &end, 10) : 0;
    size_t nf = colon ? (size_t)(colon - text) : 0;
    int ok = colon && nf > 0 && nf < sizeof pos.file && end != colon + 1 &&
             end == text + head && colon[1] >= '0' && colon[1] <= '9';
    if (ok) {
        memcpy(pos.file, text, nf);
        pos.offset = off;
        if (g)
            snprintf(pos.gtid, sizeof pos.gtid, "%s", g + 6);
        ok = my_pos_set(out, &pos) == 0;
    }
    if (ok)
        return SLUICE_OK;
    err->status = SLUICE_ERROR;
    snprintf(err->message, sizeof err->message, "invalid binlog position: \"%s\"", text);
    snprintf(err->detail, sizeof err->detail,
             "A position is a binlog file name and an offset in it, separated by a colon, "
             "optionally followed by \" gtid \" and the GTID position there.");
    snprintf(err->hint, sizeof err->hint,
             "Write it as SHOW MASTER STATUS shows it, like binlog.000002:865.");
    return SLUICE_ERROR;
}
