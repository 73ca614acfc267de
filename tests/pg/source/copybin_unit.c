/*
 * The binary COPY stream parser (plugins/source-pg/copybin.c) on hand-built
 * streams: header forms, rows, NULLs, empty values, every cut between
 * messages, and malformed input.
 *
 *   copybin_unit [--write-corpus DIR]   the second form refreshes the fuzz seeds
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copybin.h"
#include "unit.h"

typedef struct stream {
    uint8_t b[1024];
    size_t n;
} stream;

static void put(stream *s, const void *p, size_t n)
{
    memcpy(s->b + s->n, p, n);
    s->n += n;
}

static void put16(stream *s, int16_t v)
{
    uint8_t b[2] = {(uint8_t)((uint16_t)v >> 8), (uint8_t)v};
    put(s, b, 2);
}

static void put32(stream *s, int32_t v)
{
    uint32_t u = (uint32_t)v;
    uint8_t b[4] = {(uint8_t)(u >> 24), (uint8_t)(u >> 16), (uint8_t)(u >> 8), (uint8_t)u};
    put(s, b, 4);
}

static void header(stream *s, uint32_t flags, const char *ext)
{
    put(s, PGB_SIGNATURE, PGB_SIGNATURE_LEN);
    put32(s, (int32_t)flags);
    put32(s, (int32_t)strlen(ext));
    put(s, ext, strlen(ext));
}

static void field(stream *s, const char *text)
{
    if (!text) {
        put32(s, -1);
        return;
    }
    put32(s, (int32_t)strlen(text));
    put(s, text, strlen(text));
}

/* header, rows ("42", NULL, "hi") and ("", "x", NULL), trailer */
static void sample(stream *s)
{
    s->n = 0;
    header(s, 0, "");
    put16(s, 3);
    field(s, "42");
    field(s, NULL);
    field(s, "hi");
    put16(s, 3);
    field(s, "");
    field(s, "x");
    field(s, NULL);
    put16(s, -1);
}

/* Parses the whole stream at once; counts rows; returns the final status. */
static pgb_status run(const stream *s, uint32_t ncols, uint64_t *rows, pgb_parser *p)
{
    pgb_field f[8];
    size_t pos = 0, used;
    pgb_init(p, ncols);
    *rows = 0;
    for (;;) {
        pgb_status st = pgb_next(p, s->b + pos, s->n - pos, &used, f);
        if (st != PGB_ROW)
            return st;
        (*rows)++;
        pos += used;
    }
}

static void test_sample(void)
{
    stream s;
    sample(&s);
    pgb_parser p;
    pgb_field f[3];
    size_t used;
    pgb_init(&p, 3);
    CHECK(pgb_next(&p, s.b, s.n, &used, f) == PGB_ROW);
    CHECK(used == PGB_HEADER_LEN + 2 + 6 + 4 + 6);
    CHECK(f[0].len == 2 && memcmp(f[0].data, "42", 2) == 0);
    CHECK(f[1].len == -1);
    CHECK(f[2].len == 2 && memcmp(f[2].data, "hi", 2) == 0);
    size_t pos = used;
    CHECK(pgb_next(&p, s.b + pos, s.n - pos, &used, f) == PGB_ROW);
    CHECK(f[0].len == 0 && f[1].len == 1 && f[1].data[0] == 'x' && f[2].len == -1);
    pos += used;
    CHECK(pgb_next(&p, s.b + pos, s.n - pos, &used, f) == PGB_END);
    CHECK(used == 2 && pos + used == s.n);
    CHECK(p.rows == 2);
    /* nothing may follow the end */
    CHECK(pgb_next(&p, s.b, 1, &used, f) == PGB_BAD && used == 0);
    CHECK(strstr(p.error, "follow the end") != NULL);
}

/* Every cut of the stream into two pieces: the first answers rows then MORE and
   consumes nothing of an incomplete item; the rest, joined, finishes it. */
static void test_every_cut(void)
{
    stream s;
    sample(&s);
    int good = 1;
    for (size_t cut = 0; cut <= s.n; cut++) {
        pgb_parser p;
        pgb_field f[3];
        size_t pos = 0, used;
        uint64_t rows = 0;
        int ended = 0;
        pgb_init(&p, 3);
        for (;;) { /* the first piece */
            pgb_status st = pgb_next(&p, s.b + pos, cut - pos, &used, f);
            if (st == PGB_ROW) {
                rows++;
                pos += used;
            } else if (st == PGB_END) {
                ended = 1;
                pos += used;
                break;
            } else {
                good &= st == PGB_MORE && used == 0;
                break;
            }
        }
        while (!ended) { /* the first piece's rest, joined with the second */
            pgb_status st = pgb_next(&p, s.b + pos, s.n - pos, &used, f);
            if (st == PGB_ROW)
                rows++;
            else if (st == PGB_END)
                ended = 1;
            else {
                good = 0;
                break;
            }
            pos += used;
        }
        good &= rows == 2 && pos == s.n;
    }
    CHECK(good);
}

static void test_header_forms(void)
{
    stream s = {.n = 0};
    uint64_t rows;
    pgb_parser p;
    header(&s, 0x1, "extension"); /* a non-critical flag, and an extension to skip */
    put16(&s, 1);
    field(&s, "v");
    put16(&s, -1);
    CHECK(run(&s, 1, &rows, &p) == PGB_END && rows == 1);

    s.n = 0; /* no rows at all */
    header(&s, 0, "");
    put16(&s, -1);
    CHECK(run(&s, 5, &rows, &p) == PGB_END && rows == 0);

    s.n = 0;
    header(&s, 0x10000, ""); /* OIDs */
    put16(&s, -1);
    CHECK(run(&s, 1, &rows, &p) == PGB_BAD && strstr(p.error, "OIDs"));

    s.n = 0;
    header(&s, 0x20000, ""); /* an unknown critical flag */
    put16(&s, -1);
    CHECK(run(&s, 1, &rows, &p) == PGB_BAD && strstr(p.error, "critical"));

    s.n = 0;
    put(&s, "PGCOPY\nX", 8); /* wrong signature: known at once, not "more" */
    CHECK(run(&s, 1, &rows, &p) == PGB_BAD && strstr(p.error, "signature"));

    s.n = 0;
    put(&s, PGB_SIGNATURE, PGB_SIGNATURE_LEN);
    put32(&s, 0);
    put32(&s, -5); /* negative extension length */
    CHECK(run(&s, 1, &rows, &p) == PGB_BAD && strstr(p.error, "extension"));

    uint8_t h[PGB_HEADER_LEN];
    pgb_put_header(h);
    s.n = 0;
    header(&s, 0, "");
    CHECK(s.n == PGB_HEADER_LEN && memcmp(h, s.b, PGB_HEADER_LEN) == 0);
}

static void test_malformed_rows(void)
{
    stream s = {.n = 0};
    uint64_t rows;
    pgb_parser p;
    header(&s, 0, "");
    put16(&s, 2); /* two fields where three are expected */
    field(&s, "a");
    field(&s, "b");
    CHECK(run(&s, 3, &rows, &p) == PGB_BAD && strstr(p.error, "2 fields where 3"));
    pgb_field f[3];
    size_t used;
    CHECK(pgb_next(&p, s.b, s.n, &used, f) == PGB_BAD); /* it stays failed */

    s.n = 0;
    header(&s, 0, "");
    put16(&s, -7); /* a negative count other than the trailer's */
    CHECK(run(&s, 3, &rows, &p) == PGB_BAD);

    s.n = 0;
    header(&s, 0, "");
    put16(&s, 1);
    put32(&s, -2); /* a length below -1 */
    CHECK(run(&s, 1, &rows, &p) == PGB_BAD && strstr(p.error, "length -2"));

    s.n = 0;
    header(&s, 0, "");
    put16(&s, 1);
    put32(&s, 0x7fffffff); /* more bytes than there are: incomplete, not an overread */
    put(&s, "abc", 3);
    CHECK(run(&s, 1, &rows, &p) == PGB_MORE && rows == 0);

    s.n = 0;
    header(&s, 0, "");
    put16(&s, 1);
    field(&s, "a");
    put16(&s, -1);
    put(&s, "junk", 4); /* bytes after the trailer */
    CHECK(run(&s, 1, &rows, &p) == PGB_END);
    CHECK(pgb_next(&p, s.b + s.n - 4, 4, &used, f) == PGB_BAD);
}

/* Seeds for fuzz_copybin: byte 0 the column count, byte 1 the piece size - 1. */
static int write_corpus(const char *dir)
{
    stream s, seeds[4];
    sample(&seeds[0]);
    seeds[1].n = 0;
    header(&seeds[1], 0x1, "ext");
    put16(&seeds[1], 1);
    field(&seeds[1], "only");
    put16(&seeds[1], -1);
    seeds[2].n = 0;
    header(&seeds[2], 0, "");
    put16(&seeds[2], -1);
    seeds[3].n = 0;
    header(&seeds[3], 0, "");
    for (int i = 0; i < 5; i++) {
        put16(&seeds[3], 2);
        field(&seeds[3], i % 2 ? NULL : "row");
        field(&seeds[3], "0123456789");
    }
    put16(&seeds[3], -1);
    const uint8_t ncols[4] = {3, 1, 4, 2}, piece[4] = {255, 6, 0, 16};
    for (int i = 0; i < 4; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/seed%d", dir, i);
        FILE *f = fopen(path, "wb");
        if (!f)
            return 1;
        s.n = 0;
        put(&s, &ncols[i], 1);
        put(&s, &piece[i], 1);
        put(&s, seeds[i].b, seeds[i].n);
        fwrite(s.b, 1, s.n, f);
        fclose(f);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
        return write_corpus(argv[2]);
    test_sample();
    test_every_cut();
    test_header_forms();
    test_malformed_rows();
    return unit_done();
}
