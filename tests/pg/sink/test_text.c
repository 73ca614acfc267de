/*
 * sink-pg without a server: identifier quoting, COPY text escaping, integer
 * formatting and the canonical type mapping (plugins/sink-pg/sqltext.c,
 * sbuf.c, pgtypes.c linked directly).
 */
#include <stdint.h>
#include <string.h>

#include "pgtypes.h"
#include "sbuf.h"
#include "sqltext.h"
#include "unit.h"

static const char *ident(const char *name, size_t len)
{
    static sbuf b;
    sb_reset(&b);
    if (sql_put_ident(&b, name, len) != 0)
        return "(refused)";
    return sb_cstr(&b);
}

static const char *escaped(const char *p, size_t n)
{
    static sbuf b;
    sb_reset(&b);
    copy_put_escaped(&b, p, n);
    return sb_cstr(&b);
}

static const char *value(sluice_value v)
{
    static sbuf b;
    sb_reset(&b);
    if (copy_put_value(&b, &v) != 0)
        return "(refused)";
    return sb_cstr(&b);
}

static void test_identifiers(void)
{
    CHECK_STR(ident("t1", 2), "\"t1\"");
    CHECK_STR(ident("MixedCase", 9), "\"MixedCase\"");
    CHECK_STR(ident("with space", 10), "\"with space\"");
    CHECK_STR(ident("a\"b", 3), "\"a\"\"b\"");
    CHECK_STR(ident("\"", 1), "\"\"\"\"");
    CHECK_STR(ident("gr\xc3\xbc\xc3\x9f", 6), "\"gr\xc3\xbc\xc3\x9f\""); /* UTF-8 kept as is */
    CHECK_STR(ident("select", 6), "\"select\"");                     /* keywords are fine quoted */
    CHECK_STR(ident("", 0), "\"\"");
    CHECK_STR(ident("a\0b", 3), "(refused)");
    /* length-delimited: the bytes after len are not part of the name */
    CHECK_STR(ident("abcdef", 3), "\"abc\"");

    sbuf q = {0};
    CHECK(sql_put_qualified(&q, "My Schema", 9, "t\"x", 3) == 0);
    CHECK_STR(sb_cstr(&q), "\"My Schema\".\"t\"\"x\"");
    sb_reset(&q);
    CHECK(sql_put_qualified(&q, "s\0", 2, "t", 1) == -1);
    sb_reset(&q);
    sql_put_literal(&q, "it's \\n", 7);
    CHECK_STR(sb_cstr(&q), "'it''s \\n'");
    sb_free(&q);
}

static void test_copy_escaping(void)
{
    CHECK_STR(escaped("plain", 5), "plain");
    CHECK_STR(escaped("", 0), "");
    CHECK_STR(escaped("a\tb", 3), "a\\tb");
    CHECK_STR(escaped("a\nb\rc", 5), "a\\nb\\rc");
    CHECK_STR(escaped("back\\slash", 10), "back\\\\slash");
    CHECK_STR(escaped("\\N", 2), "\\\\N"); /* the text "\N" is not NULL */
    CHECK_STR(escaped("\\.", 2), "\\\\.");  /* nor the end-of-data marker */
    CHECK_STR(escaped("\t\\\n\xc3\xa9", 5), "\\t\\\\\\n\xc3\xa9");
    CHECK_STR(escaped("end\t", 4), "end\\t");
    CHECK_STR(escaped("\t\t", 2), "\\t\\t");

    CHECK_STR(value((sluice_value){.kind = SLUICE_VALUE_NULL}), "\\N");
    CHECK_STR(value((sluice_value){.kind = SLUICE_VALUE_INT, .u.i = 0}), "0");
    CHECK_STR(value((sluice_value){.kind = SLUICE_VALUE_INT, .u.i = -42}), "-42");
    CHECK_STR(value((sluice_value){.kind = SLUICE_VALUE_INT, .u.i = INT64_MAX}),
              "9223372036854775807");
    CHECK_STR(value((sluice_value){.kind = SLUICE_VALUE_INT, .u.i = INT64_MIN}),
              "-9223372036854775808");
    CHECK_STR(value((sluice_value){.kind = SLUICE_VALUE_TEXT, .len = 3, .u.bytes = "a\tbc"}),
              "a\\tb");
    CHECK_STR(value((sluice_value){.kind = SLUICE_VALUE_UNCHANGED}), "(refused)");
    CHECK_STR(value((sluice_value){.kind = SLUICE_VALUE_NATIVE, .len = 1, .u.bytes = "x"}),
              "(refused)");

    CHECK(value_present(&(sluice_value){.kind = SLUICE_VALUE_INT}));
    CHECK(value_present(&(sluice_value){.kind = SLUICE_VALUE_TEXT}));
    CHECK(!value_present(&(sluice_value){.kind = SLUICE_VALUE_NULL}));
    CHECK(!value_present(&(sluice_value){.kind = SLUICE_VALUE_UNCHANGED}));
}

static void test_sbuf(void)
{
    sbuf b = {0};
    for (int i = 0; i < 10000; i++)
        sb_putc(&b, 'x');
    CHECK(b.len == 10000 && !b.failed);
    sb_reset(&b);
    sb_printf(&b, "%s=%d", "n", 7);
    sb_put_int(&b, -1);
    CHECK_STR(sb_cstr(&b), "n=7-1");
    sb_free(&b);
    CHECK(b.data == NULL && b.len == 0);
}

static const char *fallback(sluice_column c)
{
    static sbuf b;
    sb_reset(&b);
    if (pgtype_fallback(&c, &b) != 0)
        return "(none)";
    return sb_cstr(&b);
}

#define COL(t) ((sluice_column){.type = (t), .precision = -1, .scale = -1})

static void test_types(void)
{
    CHECK_STR(fallback(COL(SLUICE_TYPE_BOOL)), "boolean");
    CHECK_STR(fallback(COL(SLUICE_TYPE_INT16)), "smallint");
    CHECK_STR(fallback(COL(SLUICE_TYPE_INT32)), "integer");
    CHECK_STR(fallback(COL(SLUICE_TYPE_INT64)), "bigint");
    CHECK_STR(fallback(COL(SLUICE_TYPE_UINT64)), "numeric(20,0)");
    CHECK_STR(fallback(COL(SLUICE_TYPE_FLOAT32)), "real");
    CHECK_STR(fallback(COL(SLUICE_TYPE_FLOAT64)), "double precision");
    CHECK_STR(fallback(COL(SLUICE_TYPE_DECIMAL)), "numeric");
    CHECK_STR(fallback(((sluice_column){.type = SLUICE_TYPE_DECIMAL, .precision = 18, .scale = 2})),
              "numeric(18,2)");
    CHECK_STR(fallback(((sluice_column){.type = SLUICE_TYPE_DECIMAL, .precision = 9, .scale = -1})),
              "numeric(9)");
    CHECK_STR(fallback(COL(SLUICE_TYPE_TEXT)), "text");
    CHECK_STR(fallback(((sluice_column){.type = SLUICE_TYPE_TEXT, .precision = 40, .scale = -1})),
              "varchar(40)");
    CHECK_STR(fallback(COL(SLUICE_TYPE_BYTES)), "bytea");
    CHECK_STR(fallback(COL(SLUICE_TYPE_TIMESTAMPTZ)), "timestamptz");
    CHECK_STR(fallback(COL(SLUICE_TYPE_JSON)), "json");
    CHECK_STR(fallback(COL(SLUICE_TYPE_ENUM)), "text");
    CHECK_STR(fallback(COL(SLUICE_TYPE_SOURCE_NATIVE)), "text");
    CHECK_STR(fallback(((sluice_column){.type = SLUICE_TYPE_ARRAY, .element_type = SLUICE_TYPE_INT32})),
              "integer[]");
    CHECK_STR(fallback(COL(SLUICE_TYPE_ARRAY)), "text[]");
    CHECK_STR(fallback(COL(SLUICE_TYPE_UNKNOWN)), "(none)");

    pgtype_info int8 = {"int8", 'N', 'b'}, varchar = {"varchar", 'S', 'b'};
    pgtype_info ts = {"timestamp", 'D', 'b'}, arr = {"_text", 'A', 'b'}, en = {"mood", 'E', 'e'};
    pgtype_info num = {"numeric", 'N', 'b'};
    CHECK(pgtype_accepts(&COL(SLUICE_TYPE_INT64), &int8));
    CHECK(!pgtype_accepts(&COL(SLUICE_TYPE_INT32), &int8));
    CHECK(pgtype_accepts(&COL(SLUICE_TYPE_TEXT), &varchar));
    /* MySQL "timestamp" resolves here without a time zone: not for a timestamptz column */
    CHECK(!pgtype_accepts(&COL(SLUICE_TYPE_TIMESTAMPTZ), &ts));
    CHECK(pgtype_accepts(&COL(SLUICE_TYPE_TIMESTAMP), &ts));
    CHECK(pgtype_accepts(&COL(SLUICE_TYPE_ARRAY), &arr));
    CHECK(pgtype_accepts(&COL(SLUICE_TYPE_ENUM), &en));
    CHECK(!pgtype_accepts(&COL(SLUICE_TYPE_BOOL), &int8));
    CHECK(pgtype_accepts(&COL(SLUICE_TYPE_DECIMAL), &num));
    CHECK(pgtype_accepts(&COL(SLUICE_TYPE_SOURCE_NATIVE), &ts));
    CHECK_STR(pgtype_canonical_name(SLUICE_TYPE_UINT64), "uint64");
    CHECK_STR(pgtype_canonical_name(999), "unknown");
}

static const char *json(const char *p, size_t n)
{
    static sbuf b;
    sb_reset(&b);
    json_put_string(&b, p, n);
    return sb_cstr(&b);
}

static const char *json_value(sluice_value v)
{
    static sbuf b;
    sb_reset(&b);
    if (json_put_value(&b, &v) != 0)
        return "(refused)";
    return sb_cstr(&b);
}

/* Rejected rows go into the errors table as JSON: always valid, whatever the bytes. */
static void test_json(void)
{
    CHECK_STR(json("plain", 5), "\"plain\"");
    CHECK_STR(json("", 0), "\"\"");
    CHECK_STR(json("q\"b\\s/", 6), "\"q\\\"b\\\\s/\"");
    CHECK_STR(json("t\tn\nr\r\x01\x1f", 8), "\"t\\u0009n\\u000ar\\u000d\\u0001\\u001f\"");
    CHECK_STR(json("\x7f", 1), "\"\x7f\""); /* DEL is fine in JSON */
    /* UTF-8 is kept: 2, 3 and 4 byte forms */
    CHECK_STR(json("\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80", 11),
              "\"\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"");
    /* NUL and what is not UTF-8 become U+FFFD, one per byte */
    CHECK_STR(json("a\0b", 3), "\"a\xef\xbf\xbd" "b\"");
    CHECK_STR(json("\xff\xfe", 2), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    CHECK_STR(json("\xc3", 1), "\"\xef\xbf\xbd\"");              /* cut short */
    CHECK_STR(json("\xc0\xaf", 2), "\"\xef\xbf\xbd\xef\xbf\xbd\""); /* overlong */
    CHECK_STR(json("\xed\xa0\x80", 3), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* surrogate */
    CHECK_STR(json("\xf4\x90\x80\x80", 4),
              "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* past U+10FFFF */
    CHECK_STR(json("\xe4\xb8x", 3), "\"\xef\xbf\xbd\xef\xbf\xbdx\"");
    /* length-delimited */
    CHECK_STR(json("abcdef", 2), "\"ab\"");

    CHECK_STR(json_value((sluice_value){SLUICE_VALUE_NULL, 0, {0}}), "null");
    sluice_value i = {SLUICE_VALUE_INT, 0, {0}};
    i.u.i = INT64_MIN;
    CHECK_STR(json_value(i), "-9223372036854775808");
    sluice_value t = {SLUICE_VALUE_TEXT, 3, {0}};
    t.u.bytes = "x\"y";
    CHECK_STR(json_value(t), "\"x\\\"y\"");
    CHECK_STR(json_value((sluice_value){SLUICE_VALUE_UNCHANGED, 0, {0}}), "(refused)");
    CHECK_STR(json_value((sluice_value){SLUICE_VALUE_NATIVE, 0, {0}}), "(refused)");
}

int main(void)
{
    test_identifiers();
    test_copy_escaping();
    test_sbuf();
    test_types();
    test_json();
    return unit_done();
}
