/*
 * source-pg's pure parts: COPY text unescaping, the integer fast path and the
 * PostgreSQL -> canonical type mapping (with a fake pg_type).
 */
#include <stdint.h>
#include <string.h>

#include "source_pg.h"
#include "unit.h"

static size_t unescape(const char *in, char *out)
{
    return pg_copy_unescape(in, strlen(in), out);
}

static void test_unescape(void)
{
    char out[64];
    size_t n = unescape("plain", out);
    CHECK(n == 5 && memcmp(out, "plain", 5) == 0);
    n = unescape("a\\tb\\nc\\rd\\\\e", out);
    CHECK(n == 9 && memcmp(out, "a\tb\nc\rd\\e", 9) == 0);
    n = unescape("\\b\\f\\v", out);
    CHECK(n == 3 && memcmp(out, "\b\f\v", 3) == 0);
    n = unescape("\\0\\101\\7777", out); /* octal: at most three digits */
    CHECK(n == 4 && out[0] == 0 && out[1] == 'A' && (unsigned char)out[2] == 0377 && out[3] == '7');
    n = unescape("\\x41\\x4g\\xz", out); /* hex: one or two digits; \x alone is x */
    CHECK(n == 5 && memcmp(out, "A\x04gxz", 5) == 0);
    n = unescape("\\q\\\"", out); /* any other escaped character stands for itself */
    CHECK(n == 2 && memcmp(out, "q\"", 2) == 0);
    n = unescape("end\\", out); /* a lone trailing backslash is kept */
    CHECK(n == 4 && memcmp(out, "end\\", 4) == 0);
}

static void test_ints(void)
{
    int64_t v;
    CHECK(parse_int64("0", 1, &v) == 0 && v == 0);
    CHECK(parse_int64("-42", 3, &v) == 0 && v == -42);
    CHECK(parse_int64("9223372036854775807", 19, &v) == 0 && v == INT64_MAX);
    CHECK(parse_int64("-9223372036854775808", 20, &v) == 0 && v == INT64_MIN);
    CHECK(parse_int64("9223372036854775808", 19, &v) != 0);
    CHECK(parse_int64("-9223372036854775809", 20, &v) != 0);
    CHECK(parse_int64("", 0, &v) != 0);
    CHECK(parse_int64("-", 1, &v) != 0);
    CHECK(parse_int64("12a", 3, &v) != 0);
    CHECK(parse_int64("+1", 2, &v) != 0);
}

/* A fake pg_type: an enum, a domain over numeric(10,2), arrays, a domain over a domain. */
static int fake_lookup(void *ctx, uint32_t oid, pg_typeinfo *out)
{
    int *calls = ctx;
    (*calls)++;
    memset(out, 0, sizeof *out);
    out->oid = oid;
    out->typtype = 'b';
    out->typcategory = 'U';
    switch (oid) {
    case 16385: out->typtype = 'e'; out->typcategory = 'E'; return 0;           /* mood */
    case 16390: out->typtype = 'd'; out->basetype = 1700;                         /* money2 */
        out->typtypmod = ((10 << 16) | 2) + 4; return 0;
    case 16391: out->typtype = 'd'; out->basetype = 16390; out->typtypmod = -1; return 0;
    case 16386: out->typcategory = 'A'; out->typelem = 16385; return 0;           /* mood[] */
    case 1007: out->typcategory = 'A'; out->typelem = 23; return 0;               /* int4[] */
    case 1231: out->typcategory = 'A'; out->typelem = 1700; return 0;             /* numeric[] */
    case 869: return 0;                                                           /* inet */
    default: return -1;
    }
}

static void test_types(void)
{
    int calls = 0;
    pg_canonical c;
    pg_map_type(23, -1, fake_lookup, &calls, &c);
    CHECK(c.type == SLUICE_TYPE_INT32 && calls == 0);
    pg_map_type(1700, ((18 << 16) | 2) + 4, fake_lookup, &calls, &c);
    CHECK(c.type == SLUICE_TYPE_DECIMAL && c.precision == 18 && c.scale == 2);
    pg_map_type(1700, ((5 << 16) | (-3 & 0x7ff)) + 4, fake_lookup, &calls, &c);
    CHECK(c.type == SLUICE_TYPE_DECIMAL && c.precision == 5 && c.scale == -3);
    pg_map_type(1700, -1, fake_lookup, &calls, &c);
    CHECK(c.type == SLUICE_TYPE_DECIMAL && c.precision == -1 && c.scale == -1);
    pg_map_type(1043, 24, fake_lookup, &calls, &c);
    CHECK(c.type == SLUICE_TYPE_TEXT && c.precision == 20);
    pg_map_type(1042, -1, fake_lookup, &calls, &c);
    CHECK(c.type == SLUICE_TYPE_TEXT && c.precision == -1);
    pg_map_type(17, -1, NULL, NULL, &c);
    CHECK(c.type == SLUICE_TYPE_BYTES);
    pg_map_type(1184, 3, NULL, NULL, &c);
    CHECK(c.type == SLUICE_TYPE_TIMESTAMPTZ && c.precision == 3);
    pg_map_type(1114, -1, NULL, NULL, &c);
    CHECK(c.type == SLUICE_TYPE_TIMESTAMP && c.precision == -1);
    pg_map_type(1186, -1, NULL, NULL, &c);
    CHECK(c.type == SLUICE_TYPE_INTERVAL);
    pg_map_type(3802, -1, NULL, NULL, &c);
    CHECK(c.type == SLUICE_TYPE_JSON);
    pg_map_type(2950, -1, NULL, NULL, &c);
    CHECK(c.type == SLUICE_TYPE_UUID);
    pg_map_type(16385, -1, fake_lookup, &calls, &c);
    CHECK(c.type == SLUICE_TYPE_ENUM);
    pg_map_type(16391, -1, fake_lookup, &calls, &c);
    CHECK(c.type == SLUICE_TYPE_DECIMAL && c.precision == 10 && c.scale == 2);
    pg_map_type(16386, -1, fake_lookup, &calls, &c);
    CHECK(c.type == SLUICE_TYPE_ARRAY && c.element == SLUICE_TYPE_ENUM);
    pg_map_type(1007, -1, fake_lookup, &calls, &c);
    CHECK(c.type == SLUICE_TYPE_ARRAY && c.element == SLUICE_TYPE_INT32);
    pg_map_type(1231, ((12 << 16) | 4) + 4, fake_lookup, &calls, &c);
    CHECK(c.type == SLUICE_TYPE_ARRAY && c.element == SLUICE_TYPE_DECIMAL && c.precision == 12 &&
          c.scale == 4);
    pg_map_type(869, -1, fake_lookup, &calls, &c);
    CHECK(c.type == SLUICE_TYPE_SOURCE_NATIVE);
    pg_map_type(99999, -1, fake_lookup, &calls, &c); /* lookup fails: still an answer */
    CHECK(c.type == SLUICE_TYPE_SOURCE_NATIVE);
    pg_map_type(1266, -1, NULL, NULL, &c); /* timetz has no canonical type */
    CHECK(c.type == SLUICE_TYPE_SOURCE_NATIVE);
}

int main(void)
{
    test_unescape();
    test_ints();
    test_types();
    return unit_done();
}
