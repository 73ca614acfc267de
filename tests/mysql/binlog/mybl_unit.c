/*
 * The binlog decoder on crafted bytes. Every event is built here from the
 * documented layout (PROTOCOL-FACTS section 2.4, MySQL's log_event.h and
 * json_binary.h): a 19-byte v4 header, the body, a CRC32 (zlib's, as the
 * server computes it). Each value's bytes are computed in the test from the
 * type's storage formula, with a comment saying how.
 */
#include "mybl.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- byte builders ---- */

typedef struct bb {
    uint8_t b[70000];
    size_t n;
} bb;

static void put(bb *o, const void *p, size_t n)
{
    if (n)
        memcpy(o->b + o->n, p, n);
    o->n += n;
}
static void u8(bb *o, unsigned v) { o->b[o->n++] = (uint8_t)v; }
static void le(bb *o, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        u8(o, (unsigned)(v >> (8 * i)) & 0xff);
}
static void be(bb *o, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--)
        u8(o, (unsigned)(v >> (8 * i)) & 0xff);
}
static void str0(bb *o, const char *s) { put(o, s, strlen(s) + 1); }
static void lenstr(bb *o, const char *s) /* lenenc length (< 251) + bytes */
{
    u8(o, (unsigned)strlen(s));
    put(o, s, strlen(s));
}

/* A whole event: header, body, CRC32 of everything before it. */
static size_t event(uint8_t *out, uint8_t type, const bb *body, int crc)
{
    bb e = {.n = 0};
    size_t size = 19 + body->n + (crc ? 4 : 0);
    le(&e, 1700000000, 4);
    u8(&e, type);
    le(&e, 1, 4);
    le(&e, size, 4);
    le(&e, 1000 + size, 4); /* log_pos: the next event's position */
    le(&e, 0, 2);
    put(&e, body->b, body->n);
    if (crc)
        le(&e, crc32(0, e.b, (uInt)e.n), 4);
    memcpy(out, e.b, e.n);
    return e.n;
}

static uint8_t evbuf[80000];
static mybl_event ev;
static mybl_error err;

static int feed(mybl_decoder *dec, uint8_t type, const bb *body, int crc)
{
    size_t n = event(evbuf, type, body, crc);
    uint8_t *copy = malloc(n); /* exact size: ASan sees over-reads */
    memcpy(copy, evbuf, n);
    memset(&err, 0, sizeof err);
    int rc = mybl_feed_event(dec, copy, n, &ev, &err);
    /* keep the bytes: views point into them until the next feed */
    static uint8_t *last;
    free(last);
    last = copy;
    return rc;
}

/* FORMAT_DESCRIPTION of a MariaDB 10.11 with CRC32 (crc) or none. */
static int feed_fde(mybl_decoder *dec, int crc)
{
    bb b = {.n = 0};
    char ver[50] = "10.11.19-MariaDB-log";
    le(&b, 4, 2);
    put(&b, ver, 50);
    le(&b, 0, 4);
    u8(&b, 19);
    for (int t = 1; t <= 171; t++) /* post-header lengths by type */
        u8(&b, t == 2 || t == 165 ? 13 : t == 19 ? 8 : (t >= 23 && t <= 25) ? 8
               : (t >= 30 && t <= 32) ? 10 : (t >= 166 && t <= 168) ? 8
               : (t >= 169 && t <= 171) ? 10 : t == 162 ? 19 : 0);
    u8(&b, crc ? 1 : 0);
    if (!crc)
        le(&b, 0, 4); /* the FDE keeps room for a CRC even with checksums off */
    return feed(dec, 15, &b, crc);
}

/* A TABLE_MAP of db "d", table "t", id 42. om: optional metadata (or NULL). */
static int feed_map(mybl_decoder *dec, int ncols, const uint8_t *types, const uint8_t *meta,
                    size_t metalen, const bb *om)
{
    bb b = {.n = 0};
    le(&b, 42, 6);
    le(&b, 1, 2);
    u8(&b, 1);
    str0(&b, "d");
    u8(&b, 1);
    str0(&b, "t");
    u8(&b, (unsigned)ncols);
    put(&b, types, (size_t)ncols);
    u8(&b, (unsigned)metalen);
    put(&b, meta, metalen);
    for (int i = 0; i < (ncols + 7) / 8; i++)
        u8(&b, 0xff); /* all nullable */
    if (om)
        put(&b, om->b, om->n);
    return feed(dec, 19, &b, 1);
}

/* WRITE_ROWS_V1 for table 42 with all ncols present and the given row bytes. */
static int feed_write(mybl_decoder *dec, int ncols, const bb *rows)
{
    bb b = {.n = 0};
    le(&b, 42, 6);
    le(&b, 1, 2);
    u8(&b, (unsigned)ncols);
    for (int i = 0; i < (ncols + 7) / 8; i++)
        u8(&b, 0xff);
    put(&b, rows->b, rows->n);
    return feed(dec, 23, &b, 1);
}

/* ---- one column of one type: its value's text, or "ERR: message | detail" ---- */

static char got[70000];
static int got_kind, got_flags;

static const char *one(uint8_t type, const uint8_t *meta, size_t metalen, const bb *om,
                       const void *value, size_t vlen)
{
    mybl_decoder *dec = mybl_new();
    feed_fde(dec, 1);
    if (feed_map(dec, 1, &type, meta, metalen, om) != 0) {
        snprintf(got, sizeof got, "ERR: %s | %s", err.message, err.detail);
        mybl_free(dec);
        return got;
    }
    bb rows = {.n = 0};
    u8(&rows, 0); /* null bitmap: not null */
    put(&rows, value, vlen);
    const mybl_row *before, *after;
    int rc = feed_write(dec, 1, &rows);
    if (rc == 0)
        rc = mybl_next_row(dec, &before, &after, &err);
    if (rc != 1) {
        snprintf(got, sizeof got, "ERR: %s | %s", err.message, err.detail);
    } else {
        mybl_value_text(&after->values[0], got, sizeof got);
        got_kind = after->values[0].kind;
        got_flags = after->values[0].flags;
        CHECK(mybl_next_row(dec, &before, &after, &err) == 0);
    }
    mybl_free(dec);
    return got;
}

#define M(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
#define V(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

/* optional metadata: SIGNEDNESS (1) = all unsigned; COLUMN_CHARSET (3) = coll */
static bb om_unsigned(void)
{
    bb o = {.n = 0};
    u8(&o, 1), u8(&o, 1), u8(&o, 0x80);
    return o;
}
static bb om_charset(unsigned coll)
{
    bb o = {.n = 0};
    u8(&o, 3), u8(&o, 1), u8(&o, coll);
    return o;
}

static void integers(void)
{
    bb uns = om_unsigned();
    CHECK_STR(one(1, NULL, 0, NULL, V(0x80)), "-128"); /* two's complement */
    CHECK(got_kind == MYBL_V_INT);
    CHECK_STR(one(1, NULL, 0, &uns, V(0xff)), "255");
    CHECK(got_kind == MYBL_V_UINT);
    CHECK_STR(one(2, NULL, 0, NULL, V(0x00, 0x80)), "-32768"); /* LE 0x8000 */
    CHECK_STR(one(9, NULL, 0, NULL, V(0x00, 0x00, 0x80)), "-8388608"); /* INT24 sign-extended */
    CHECK_STR(one(9, NULL, 0, NULL, V(0xff, 0xff, 0x7f)), "8388607");
    CHECK_STR(one(9, NULL, 0, &uns, V(0xff, 0xff, 0xff)), "16777215");
    CHECK_STR(one(3, NULL, 0, NULL, V(0x00, 0x00, 0x00, 0x80)), "-2147483648");
    CHECK_STR(one(8, NULL, 0, &uns, V(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)),
              "18446744073709551615");
    CHECK_STR(one(8, NULL, 0, NULL, V(0, 0, 0, 0, 0, 0, 0, 0x80)), "-9223372036854775808");
    /* a caller's hint makes a column unsigned without SIGNEDNESS */
    mybl_decoder *dec = mybl_new();
    uint32_t h = MYBL_HINT_UNSIGNED;
    CHECK(mybl_set_table_hints(dec, "d", "t", 1, &h) == 0);
    feed_fde(dec, 1);
    CHECK(feed_map(dec, 1, (const uint8_t[]){2}, NULL, 0, NULL) == 0);
    CHECK(ev.u.table_map->cols[0].is_unsigned == 1);
    mybl_free(dec);
}

static const char *dbl(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, 8);
    uint8_t v[8];
    for (int i = 0; i < 8; i++)
        v[i] = (uint8_t)(bits >> (8 * i));
    return one(5, M(8), NULL, v, 8);
}

static const char *flt(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, 4);
    uint8_t v[4];
    for (int i = 0; i < 4; i++)
        v[i] = (uint8_t)(bits >> (8 * i));
    return one(4, M(4), NULL, v, 4);
}

static void floats(void)
{
    /* the server's spelling (verified by mybl_server): shortest round trip,
       FLOAT at most 6 digits, 'e' beyond 10^15 or below 10^-15 */
    CHECK_STR(flt(1.5f), "1.5");
    CHECK_STR(flt(1.1f), "1.1");
    CHECK_STR(flt(123456789.0f), "123457000");
    CHECK_STR(flt(-3.40282e38f), "-3.40282e38");
    CHECK_STR(flt(0.0001f), "0.0001");
    CHECK_STR(dbl(0.1 + 0.2), "0.30000000000000004");
    CHECK_STR(dbl(-2.25e100), "-2.25e100");
    CHECK_STR(dbl(1e15), "1e15");
    CHECK_STR(dbl(1e14), "100000000000000");
    CHECK_STR(dbl(1e-15), "0.000000000000001");
    CHECK_STR(dbl(1e-16), "1e-16");
    CHECK_STR(dbl(0), "0");
    CHECK_STR(dbl(1.7976931348623157e308), "1.7976931348623157e308");
}

static void decimals(void)
{
    /* DECIMAL(10,2) -12345678.90: 8 integer digits in 4 bytes (12345678 =
       0x00bc614e), 2 fraction digits in 1 byte (90 = 0x5a); sign bit set:
       80 bc 61 4e 5a; negative: every byte complemented */
    CHECK_STR(one(246, M(10, 2), NULL, V(0x7f, 0x43, 0x9e, 0xb1, 0xa5)), "-12345678.90");
    CHECK_STR(one(246, M(10, 2), NULL, V(0x80, 0xbc, 0x61, 0x4e, 0x5a)), "12345678.90");
    /* DECIMAL(5,0) 99999 = 0x01869f in 3 bytes, sign bit set */
    CHECK_STR(one(246, M(5, 0), NULL, V(0x81, 0x86, 0x9f)), "99999");
    /* DECIMAL(65,30) 0: 35 integer digits = 8 in 4 bytes + 3 groups; 30 fraction
       digits = 3 groups + 3 digits in 2 bytes: 30 bytes, all zero but the sign */
    uint8_t z[30] = {0x80};
    CHECK_STR(one(246, M(65, 30), NULL, z, 30), "0.000000000000000000000000000000");
    /* DECIMAL(4,2) -0.01: 2+2 digits, 1 byte each: 80 01 complemented */
    CHECK_STR(one(246, M(4, 2), NULL, V(0x7f, 0xfe)), "-0.01");
    /* a 9-digit group of 0xffffffff is not a decimal */
    CHECK_CONTAINS(one(246, M(10, 0), NULL, V(0x80, 0xff, 0xff, 0xff, 0xff)),
                   "digit group of the packed decimal");
    CHECK_CONTAINS(one(246, M(70, 2), NULL, V(0)), "not a valid precision and scale");
}

static void bits_year_date(void)
{
    /* BIT(10): metadata (bits % 8 = 2, bytes = 1); value 2 bytes big-endian */
    CHECK_STR(one(16, M(2, 1), NULL, V(0x02, 0xaa)), "1010101010");
    CHECK_STR(one(16, M(1, 0), NULL, V(0x01)), "1");
    CHECK_STR(one(16, M(0, 8), NULL, V(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)),
              "1111111111111111111111111111111111111111111111111111111111111111");
    CHECK_STR(one(13, NULL, 0, NULL, V(0)), "0000");
    CHECK_STR(one(13, NULL, 0, NULL, V(124)), "2024"); /* 1900 + 124 */
    /* DATE: day | month << 5 | year << 9, 3 bytes LE: 2024-02-29 */
    uint32_t d = 29 | 2 << 5 | 2024u << 9;
    CHECK_STR(one(10, NULL, 0, NULL, V(d & 0xff, (d >> 8) & 0xff, d >> 16)), "2024-02-29");
    CHECK_STR(one(10, NULL, 0, NULL, V(0, 0, 0)), "0000-00-00");
    CHECK(got_flags & MYBL_VF_ZERO_DATE);
}

static void times(void)
{
    /* TIME2(0) 838:59:59: (h << 12 | m << 6 | s) + 0x800000, 3 bytes BE */
    uint32_t hms = 838u << 12 | 59u << 6 | 59u;
    bb v = {.n = 0};
    be(&v, 0x800000 + hms, 3);
    CHECK_STR(one(19, M(0), NULL, v.b, v.n), "838:59:59");
    v.n = 0;
    be(&v, 0x800000 - hms, 3);
    CHECK_STR(one(19, M(0), NULL, v.b, v.n), "-838:59:59");
    /* TIME2(3) -838:59:59.999: packed = -(hms << 24 | 999000); the integer
       part is floored (-hms - 1) and the fraction stored as 0x10000 - 9990 */
    v.n = 0;
    be(&v, 0x800000 - hms - 1, 3);
    be(&v, 0x10000 - 9990, 2);
    CHECK_STR(one(19, M(3), NULL, v.b, v.n), "-838:59:59.999");
    /* TIME2(6) -00:00:00.000001: 6 bytes BE of 0x800000000000 - 1 */
    v.n = 0;
    be(&v, 0x800000000000ull - 1, 6);
    CHECK_STR(one(19, M(6), NULL, v.b, v.n), "-00:00:00.000001");
    /* TIME2(1) 12:34:56.7: fraction byte 70 (hundredths) */
    v.n = 0;
    be(&v, 0x800000 + (12u << 12 | 34u << 6 | 56u), 3);
    u8(&v, 70);
    CHECK_STR(one(19, M(1), NULL, v.b, v.n), "12:34:56.7");
    /* DATETIME2(6) 2024-02-29 13:14:15.123456: ((y*13+m) << 5 | d) << 17 |
       (h << 12 | mi << 6 | s), + 0x8000000000, 5 bytes BE; fraction 3 bytes BE */
    uint64_t dt = ((uint64_t)(2024 * 13 + 2) << 5 | 29) << 17 | (13u << 12 | 14u << 6 | 15u);
    v.n = 0;
    be(&v, dt + 0x8000000000ull, 5);
    be(&v, 123456, 3);
    CHECK_STR(one(18, M(6), NULL, v.b, v.n), "2024-02-29 13:14:15.123456");
    v.n = 0;
    be(&v, 0x8000000000ull, 5);
    CHECK_STR(one(18, M(0), NULL, v.b, v.n), "0000-00-00 00:00:00");
    CHECK(got_flags & MYBL_VF_ZERO_DATE);
    /* TIMESTAMP2(6): Unix seconds 4 bytes BE (UTC) + fraction */
    v.n = 0;
    be(&v, 1709212455, 4);
    be(&v, 654321, 3);
    CHECK_STR(one(17, M(6), NULL, v.b, v.n), "2024-02-29 13:14:15.654321");
    v.n = 0;
    be(&v, 0, 4);
    be(&v, 0, 2);
    CHECK_STR(one(17, M(4), NULL, v.b, v.n), "0000-00-00 00:00:00.0000");
    /* TIMESTAMP2(2) fraction: one byte of hundredths */
    v.n = 0;
    be(&v, 2147483647, 4);
    u8(&v, 99);
    CHECK_STR(one(17, M(2), NULL, v.b, v.n), "2038-01-19 03:14:07.99");
    /* old formats: TIME HHMMSS as a signed 3-byte int; DATETIME YYYYMMDDhhmmss */
    int32_t t = -1234556; /* -123:45:56 */
    CHECK_STR(one(11, NULL, 0, NULL, V(t & 0xff, (t >> 8) & 0xff, (t >> 16) & 0xff)),
              "-123:45:56");
    v.n = 0;
    le(&v, 20240229131415ull, 8);
    CHECK_STR(one(12, NULL, 0, NULL, v.b, v.n), "2024-02-29 13:14:15");
    CHECK_CONTAINS(one(19, M(7), NULL, V(0)), "fractional digits are 7");
}

static void strings(void)
{
    bb utf8 = om_charset(45), bin = om_charset(63), latin1 = om_charset(8);
    /* VARCHAR(10 bytes): 1-byte length */
    CHECK_STR(one(15, M(10, 0), &utf8, V(3, 'a', 'b', 'c')), "abc");
    CHECK(got_kind == MYBL_V_TEXT && got_flags == 0);
    /* without charset metadata: the bytes, flagged */
    CHECK_STR(one(15, M(10, 0), NULL, V(1, 'z')), "z");
    CHECK(got_flags & MYBL_VF_CHARSET);
    /* VARCHAR(300 bytes): 2-byte length */
    CHECK_STR(one(15, M(0x2c, 0x01), &utf8, V(2, 0, 'h', 'i')), "hi");
    CHECK_CONTAINS(one(15, M(10, 0), &utf8, V(11, 'a')), "more than the column's 10");
    /* latin1 (Windows-1252) to UTF-8: e9 = é, 80 = € */
    CHECK_STR(one(15, M(10, 0), &latin1, V(2, 0xe9, 0x80)), "\xc3\xa9\xe2\x82\xac");
    /* CHAR(100) utf8mb4: metadata ee 90 hides 400 bytes: 0x90 | (0x20 ^ 0x30) << 4;
       so the length prefix is 2 bytes */
    CHECK_STR(one(254, M(0xee, 0x90), &utf8, V(2, 0, 'o', 'k')), "ok");
    /* BINARY(4) (collation 63): the stripped trailing zeros come back */
    CHECK_STR(one(254, M(0xfe, 4), &bin, V(1, 'x')), "x");
    CHECK(got_kind == MYBL_V_BYTES && memcmp(got, "x\0\0\0", 4) == 0);
    /* BLOB with a 2-byte length */
    CHECK_STR(one(252, M(2), &bin, V(3, 0, 'x', 'y', 'z')), "xyz");
    CHECK(got_kind == MYBL_V_BYTES);
    CHECK_CONTAINS(one(252, M(2), &bin, V(9, 0, 'x')), "needs 9 bytes (the string)");
    /* GEOMETRY: SRID + WKB, kept as bytes */
    CHECK_STR(one(255, M(4), NULL, V(2, 0, 0, 0, 'g', 'w')), "gw");
    CHECK(got_kind == MYBL_V_BYTES);
}

static void enums_sets(void)
{
    /* ENUM: STRING with metadata f7 01 (1-byte index); SET: f8 01 (bitmask) */
    CHECK_STR(one(254, M(0xf7, 1), NULL, V(2)), "2");
    CHECK(got_flags & MYBL_VF_ENUM_INDEX);
    bb labels = {.n = 0}; /* ENUM_STR_VALUE (6): 3 labels */
    u8(&labels, 6), u8(&labels, 7), u8(&labels, 3);
    lenstr(&labels, "a"), lenstr(&labels, "b"), lenstr(&labels, "c");
    CHECK_STR(one(254, M(0xf7, 1), &labels, V(2)), "b");
    CHECK_STR(one(254, M(0xf7, 1), &labels, V(0)), ""); /* the invalid value '' */
    CHECK_CONTAINS(one(254, M(0xf7, 1), &labels, V(4)), "ENUM index 4");
    labels.b[0] = 5; /* SET_STR_VALUE */
    CHECK_STR(one(254, M(0xf8, 1), &labels, V(5)), "a,c");
    CHECK_STR(one(254, M(0xf8, 1), NULL, V(5)), "5");
    CHECK(got_flags & MYBL_VF_SET_BITS);
    CHECK_CONTAINS(one(254, M(0xf8, 1), &labels, V(8)), "beyond its 3 labels");
}

static void uuid_inet(void)
{
    /* MariaDB UUID 6ccd780c-baba-1026-9564-5b8c656024db (version 1, RFC
       variant) in its record order: node, clock, time-high, time-mid, time-low */
    const uint8_t rec[17] = {16, 0x5b, 0x8c, 0x65, 0x60, 0x24, 0xdb, 0x95, 0x64, 0x10, 0x26,
                             0xba, 0xba, 0x6c, 0xcd, 0x78, 0x0c};
    uint32_t h = MYBL_HINT_UUID;
    mybl_decoder *dec = mybl_new();
    CHECK(mybl_set_table_hints(dec, "d", "t", 1, &h) == 0);
    feed_fde(dec, 1);
    CHECK(feed_map(dec, 1, (const uint8_t[]){254}, M(0xfe, 16), NULL) == 0);
    bb rows = {.n = 0};
    u8(&rows, 0);
    put(&rows, rec, 17);
    const mybl_row *b, *a;
    CHECK(feed_write(dec, 1, &rows) == 0 && mybl_next_row(dec, &b, &a, &err) == 1);
    CHECK_STR(a ? a->values[0].s.ptr : NULL, "6ccd780c-baba-1026-9564-5b8c656024db");
    /* INET6 ::ffff:1.2.3.4, stored with its leading zeros (trailing ones stripped) */
    h = MYBL_HINT_INET6;
    CHECK(mybl_set_table_hints(dec, "d", "t", 1, &h) == 0);
    CHECK(feed_map(dec, 1, (const uint8_t[]){254}, M(0xfe, 16), NULL) == 0);
    rows.n = 0;
    put(&rows, (const uint8_t[]){0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4}, 18);
    CHECK(feed_write(dec, 1, &rows) == 0 && mybl_next_row(dec, &b, &a, &err) == 1);
    CHECK_STR(a ? a->values[0].s.ptr : NULL, "::ffff:1.2.3.4");
    mybl_free(dec);
}

static void json(void)
{
    /* {"a": 1}: small object: count 1, size 12, key entry (offset 11, len 1),
       value entry (int16 inline: type 5, value 1), then the key */
    CHECK_STR(one(245, M(4), NULL, V(13, 0, 0, 0, 0x00, 1, 0, 12, 0, 11, 0, 1, 0, 5, 1, 0, 'a')),
              "{\"a\": 1}");
    CHECK(got_flags & MYBL_VF_JSON);
    /* [true, "hi"]: small array: count 2, size 13, entries (literal true
       inline), (string at offset 10), then the string: length 2, "hi" */
    CHECK_STR(one(245, M(4), NULL,
                  V(14, 0, 0, 0, 0x02, 2, 0, 13, 0, 4, 1, 0, 12, 10, 0, 2, 'h', 'i')),
              "[true, \"hi\"]");
    /* a string whose length runs past the value */
    CHECK_CONTAINS(one(245, M(4), NULL, V(3, 0, 0, 0, 0x0c, 9, 'x')), "binary JSON");
    /* an object whose value offset points outside it */
    CHECK_CONTAINS(one(245, M(4), NULL, V(13, 0, 0, 0, 0x00, 1, 0, 12, 0, 11, 0, 1, 0, 12, 99,
                                          0, 'a')),
                   "value offset outside");
}

/* Two columns, MINIMAL images, NULLs, UPDATE before/after, v2, compressed. */
static void rows_events(void)
{
    mybl_decoder *dec = mybl_new();
    feed_fde(dec, 1);
    const uint8_t types[2] = {3, 15};
    bb om = om_charset(45);
    CHECK(feed_map(dec, 2, types, M(20, 0), &om) == 0);
    CHECK(ev.u.table_map->ncols == 2 && ev.u.table_map->cols[1].collation == 45);
    /* UPDATE_ROWS_V1: before image has only column 0 (bitmap 01), after image
       both (03); before: null bits 00, 7; after: null bits 10 (column 1 NULL), 8 */
    bb b = {.n = 0};
    le(&b, 42, 6), le(&b, 1, 2), u8(&b, 2), u8(&b, 0x01), u8(&b, 0x03);
    u8(&b, 0), le(&b, 7, 4);
    u8(&b, 0x02), le(&b, 8, 4);
    CHECK(feed(dec, 24, &b, 1) == 0);
    CHECK(ev.u.rows.op == MYBL_OP_UPDATE && ev.u.rows.table);
    const mybl_row *before, *after;
    CHECK(mybl_next_row(dec, &before, &after, &err) == 1);
    CHECK(before && before->values[0].kind == MYBL_V_INT && before->values[0].i == 7);
    CHECK(before && before->values[1].kind == MYBL_V_ABSENT);
    CHECK(after && after->values[0].i == 8 && after->values[1].kind == MYBL_V_NULL);
    CHECK(mybl_next_row(dec, &before, &after, &err) == 0);

    /* WRITE_ROWS_V2 (MySQL): extra data length 2 (only itself), two rows */
    b.n = 0;
    le(&b, 42, 6), le(&b, 1, 2), le(&b, 2, 2), u8(&b, 2), u8(&b, 0x03);
    u8(&b, 0), le(&b, 1, 4), u8(&b, 1), u8(&b, 'x');
    u8(&b, 0), le(&b, 2, 4), u8(&b, 2), u8(&b, 'y'), u8(&b, 'z');
    CHECK(feed(dec, 30, &b, 1) == 0);
    int n = 0;
    while (mybl_next_row(dec, &before, &after, &err) == 1) {
        n++;
        CHECK(before == NULL && after->values[0].i == n);
        if (n == 2)
            CHECK(after->values[1].s.len == 2 && memcmp(after->values[1].s.ptr, "yz", 2) == 0);
    }
    CHECK(n == 2);

    /* DELETE_ROWS_COMPRESSED_V1: the rows part is 0x80|lenlen, the length
       big-endian, then zlib */
    uint8_t raw[6] = {0, 9, 0, 0, 0, 0}, z[64];
    uLongf zn = sizeof z;
    raw[5] = 0;
    CHECK(compress(z, &zn, raw, 6) == Z_OK);
    b.n = 0;
    le(&b, 42, 6), le(&b, 1, 2), u8(&b, 2), u8(&b, 0x03);
    u8(&b, 0x81), u8(&b, 6), put(&b, z, zn);
    CHECK(feed(dec, 168, &b, 1) == 0);
    CHECK(ev.u.rows.op == MYBL_OP_DELETE);
    CHECK(mybl_next_row(dec, &before, &after, &err) == 1);
    CHECK(before && before->values[0].i == 9 && before->values[1].s.len == 0 && after == NULL);
    /* a length that lies about the inflated size */
    b.b[b.n - zn - 1] = 7;
    CHECK(feed(dec, 168, &b, 1) == -1);
    CHECK_CONTAINS(err.detail, "does not inflate to its stated 7 bytes");

    /* errors name the event, the position, the table and the column */
    b.n = 0;
    le(&b, 42, 6), le(&b, 1, 2), u8(&b, 2), u8(&b, 0x03);
    u8(&b, 0), le(&b, 1, 2); /* LONG cut to 2 bytes */
    CHECK(feed(dec, 23, &b, 1) == 0);
    CHECK(mybl_next_row(dec, &before, &after, &err) == -1);
    CHECK_STR(err.message, "malformed WRITE_ROWS_V1 event in the binary log");
    CHECK_CONTAINS(err.detail, "At position 1000 of binlog file");
    CHECK_CONTAINS(err.detail, "table \"d.t\", column 1 (LONG)");
    CHECK_CONTAINS(err.detail, "needs 4 bytes");
    CHECK(err.hint[0] != '\0');
    /* unknown table id */
    b.b[0] = 43;
    CHECK(feed(dec, 23, &b, 1) == -1);
    CHECK_CONTAINS(err.detail, "no TABLE_MAP came before it for table id 43");
    /* column count differs from the TABLE_MAP */
    b.b[0] = 42;
    b.b[8] = 3;
    CHECK(feed(dec, 23, &b, 1) == -1);
    CHECK_CONTAINS(err.detail, "it has 3 columns but its TABLE_MAP has 2");
    /* no column present: a row image of 0 bytes would repeat forever */
    b.n = 0;
    le(&b, 42, 6), le(&b, 1, 2), u8(&b, 2), u8(&b, 0x00), u8(&b, 0x55);
    CHECK(feed(dec, 23, &b, 1) == 0);
    CHECK(mybl_next_row(dec, &before, &after, &err) == -1);
    CHECK_CONTAINS(err.detail, "a row image takes no bytes");
    CHECK(mybl_next_row(dec, &before, &after, &err) == 0); /* the event is given up */
    /* PARTIAL_UPDATE_ROWS is refused */
    CHECK(feed(dec, 39, &b, 1) == -1);
    CHECK_STR(err.message, "cannot decode PARTIAL_UPDATE_ROWS events");
    CHECK_CONTAINS(err.hint, "binlog_row_value_options");
    mybl_free(dec);
}

static void table_map_errors(void)
{
    CHECK_CONTAINS(one(7 + 100, NULL, 0, NULL, V(0)), "type code 107");
    mybl_decoder *dec = mybl_new();
    feed_fde(dec, 1);
    CHECK(feed_map(dec, 1, (const uint8_t[]){3}, M(1), NULL) == -1);
    CHECK_CONTAINS(err.detail, "1 metadata bytes are left after the last column");
    CHECK(feed_map(dec, 1, (const uint8_t[]){15}, M(1), NULL) == -1);
    CHECK_CONTAINS(err.detail, "ends before this column's metadata");
    /* optional metadata: names, primary key, a field running past the event */
    bb om = {.n = 0};
    u8(&om, 4), u8(&om, 3), lenstr(&om, "id");
    u8(&om, 8), u8(&om, 1), u8(&om, 0);
    CHECK(feed_map(dec, 1, (const uint8_t[]){3}, NULL, 0, &om) == 0);
    const mybl_table *t = ev.u.table_map;
    CHECK(t->has_names && t->cols[0].name.len == 2 && memcmp(t->cols[0].name.ptr, "id", 2) == 0);
    CHECK(t->cols[0].key == 1 && t->table_id == 42);
    CHECK(mybl_table_by_id(dec, 42) == t);
    u8(&om, 4), u8(&om, 9);
    CHECK(feed_map(dec, 1, (const uint8_t[]){3}, NULL, 0, &om) == -1);
    CHECK_CONTAINS(err.detail, "optional metadata field is cut short");
    mybl_free(dec);
}

static void other_events(void)
{
    mybl_decoder *dec = mybl_new();
    bb b = {.n = 0};
    /* an artificial ROTATE before any FDE, with a CRC (AUTO finds it) */
    le(&b, 4, 8), put(&b, "binlog.000007", 13);
    CHECK(feed(dec, 4, &b, 1) == 0);
    CHECK(ev.u.rotate.pos == 4 && ev.u.rotate.file.len == 13);
    /* ... and without one */
    CHECK(feed(dec, 4, &b, 0) == 0 && ev.u.rotate.file.len == 13);
    CHECK(feed_fde(dec, 1) == 0);
    CHECK(ev.u.fde.checksum_alg == 1 && strcmp(ev.u.fde.server_version, "10.11.19-MariaDB-log") == 0);
    /* a flipped CRC bit */
    b.n = 0;
    le(&b, 77, 8);
    size_t n = event(evbuf, 16, &b, 1);
    evbuf[n - 1] ^= 1;
    CHECK(mybl_feed_event(dec, evbuf, n, &ev, &err) == -1);
    CHECK_STR(err.message, "checksum mismatch in XID event");
    CHECK(feed(dec, 16, &b, 1) == 0 && ev.u.xid.xid == 77);
    /* QUERY: thread, exec time, db length, error, status vars length (2), vars, db, sql */
    b.n = 0;
    le(&b, 5, 4), le(&b, 0, 4), u8(&b, 2), le(&b, 0, 2), le(&b, 2, 2), u8(&b, 0), u8(&b, 0);
    str0(&b, "bl");
    put(&b, "BEGIN", 5);
    CHECK(feed(dec, 2, &b, 1) == 0);
    CHECK(ev.u.query.db.len == 2 && ev.u.query.sql.len == 5 &&
          memcmp(ev.u.query.sql.ptr, "BEGIN", 5) == 0);
    b.b[8] = 200; /* db length past the end */
    CHECK(feed(dec, 2, &b, 1) == -1);
    CHECK_CONTAINS(err.detail, "database name of 200 bytes");
    /* QUERY_COMPRESSED: the SQL is compressed */
    b.n = 0;
    le(&b, 5, 4), le(&b, 0, 4), u8(&b, 0), le(&b, 0, 2), le(&b, 0, 2), u8(&b, 0);
    uint8_t z[64];
    uLongf zn = sizeof z;
    compress(z, &zn, (const uint8_t *)"DROP TABLE x", 12);
    u8(&b, 0x81), u8(&b, 12), put(&b, z, zn);
    CHECK(feed(dec, 165, &b, 1) == 0);
    CHECK(ev.u.query.sql.len == 12 && memcmp(ev.u.query.sql.ptr, "DROP TABLE x", 12) == 0);
    /* MariaDB GTID 0-1-106 with a commit id */
    b.n = 0;
    le(&b, 106, 8), le(&b, 0, 4), u8(&b, 0x0e), le(&b, 99, 8);
    CHECK(feed(dec, 162, &b, 1) == 0);
    CHECK(ev.u.gtid.seq_no == 106 && ev.server_id == 1 && ev.u.gtid.commit_id == 99);
    b.n -= 8;
    CHECK(feed(dec, 162, &b, 1) == -1);
    CHECK_CONTAINS(err.detail, "commit id");
    /* GTID_LIST of two */
    b.n = 0;
    le(&b, 2, 4), le(&b, 0, 4), le(&b, 1, 4), le(&b, 5, 8), le(&b, 1, 4), le(&b, 2, 4), le(&b, 9, 8);
    CHECK(feed(dec, 163, &b, 1) == 0);
    CHECK_STR(ev.u.gtid_list.text.ptr, "0-1-5,1-2-9");
    b.b[0] = 3;
    CHECK(feed(dec, 163, &b, 1) == -1);
    /* ANNOTATE_ROWS, ROWS_QUERY, HEARTBEAT, BINLOG_CHECKPOINT */
    b.n = 0;
    put(&b, "INSERT 1", 8);
    CHECK(feed(dec, 160, &b, 1) == 0 && ev.u.annotate.text.len == 8);
    CHECK(feed(dec, 29, &b, 1) == 0 && ev.u.annotate.text.len == 7);
    CHECK(feed(dec, 27, &b, 1) == 0 && ev.u.rotate.file.len == 8 && ev.u.rotate.pos == ev.next_pos);
    b.n = 0;
    le(&b, 13, 4), put(&b, "binlog.000001", 13);
    CHECK(feed(dec, 161, &b, 1) == 0 && ev.u.checkpoint.file.len == 13);
    /* MySQL GTID: flags, SID, GNO, logical clock type 2, last committed, sequence */
    b.n = 0;
    u8(&b, 1);
    for (int i = 0; i < 16; i++)
        u8(&b, (unsigned)(0x10 + i));
    le(&b, 23, 8), u8(&b, 2), le(&b, 4, 8), le(&b, 5, 8);
    CHECK(feed(dec, 33, &b, 1) == 0);
    CHECK_STR(ev.u.mysql_gtid.text.ptr, "10111213-1415-1617-1819-1a1b1c1d1e1f:23");
    CHECK(ev.u.mysql_gtid.last_committed == 4 && ev.u.mysql_gtid.sequence_number == 5);
    /* PREVIOUS_GTIDS: one SID, intervals [1,6) and [8,9) */
    b.n = 0;
    le(&b, 1, 8);
    for (int i = 0; i < 16; i++)
        u8(&b, 0xaa);
    le(&b, 2, 8), le(&b, 1, 8), le(&b, 6, 8), le(&b, 8, 8), le(&b, 9, 8);
    CHECK(feed(dec, 35, &b, 1) == 0);
    CHECK_STR(ev.u.gtid_list.text.ptr, "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa:1-5:8");
    /* TRANSACTION_PAYLOAD is refused with a hint */
    CHECK(feed(dec, 40, &b, 1) == -1);
    CHECK_CONTAINS(err.hint, "binlog_transaction_compression=OFF");
    /* framing errors */
    CHECK(mybl_feed_event(dec, evbuf, 10, &ev, &err) == -1);
    CHECK_CONTAINS(err.detail, "fewer than its 19-byte header");
    n = event(evbuf, 16, &b, 1);
    CHECK(mybl_feed_event(dec, evbuf, n - 1, &ev, &err) == -1);
    CHECK_CONTAINS(err.detail, "the header says");
    /* checksums off: an FDE with alg 0, then events without CRC */
    CHECK(feed_fde(dec, 0) == 0 && ev.u.fde.checksum_alg == 0);
    b.n = 0;
    le(&b, 78, 8);
    CHECK(feed(dec, 16, &b, 0) == 0 && ev.u.xid.xid == 78);
    mybl_free(dec);
}

int main(void)
{
    integers();
    floats();
    decimals();
    bits_year_date();
    times();
    strings();
    enums_sets();
    uuid_inet();
    json();
    rows_events();
    table_map_errors();
    other_events();
    return unit_done();
}
