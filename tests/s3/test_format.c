/*
 * s3_format_unit: the bytes csv.c and jsonl.c write for one row, exactly.
 *   CSV (DMS's): quoting of the delimiter, '"', CR and LF; NULL (csvNullValue,
 *   default an empty field) against the empty string ("" always); a value equal
 *   to csvNullValue quoted; custom csvDelimiter, csvRowDelimiter, csvNullValue;
 *   the Op and timestamp columns; the addColumnName header; csvNoSupValue.
 *   JSON Lines: escaping of '"', '\', control characters; NULL, integers,
 *   unchanged values left out.
 */
#include <stdlib.h>
#include <string.h>

#include "sinks3.h"
#include "unit.h"

static sluice_column cols[4];
static sluice_table table;

static void make_table(void)
{
    static const char *names[] = {"id", "txt", "note", "a\"b,c"};
    for (int i = 0; i < 4; i++) {
        cols[i].name.ptr = names[i];
        cols[i].name.len = strlen(names[i]);
    }
    table.ncolumns = 4;
    table.schema = (sluice_str){"public", 6};
    table.name = (sluice_str){"t", 1};
    table.column_size = sizeof(sluice_column);
    table.columns = cols;
}

static sluice_value txt(const char *p)
{
    sluice_value v = {.kind = SLUICE_VALUE_TEXT, .len = (uint32_t)strlen(p)};
    v.u.bytes = p;
    return v;
}
static sluice_value txtn(const char *p, uint32_t n)
{
    sluice_value v = {.kind = SLUICE_VALUE_TEXT, .len = n};
    v.u.bytes = p;
    return v;
}
static sluice_value num(int64_t i)
{
    sluice_value v = {.kind = SLUICE_VALUE_INT};
    v.u.i = i;
    return v;
}
static const sluice_value null_v = {.kind = SLUICE_VALUE_NULL};
static const sluice_value unchanged_v = {.kind = SLUICE_VALUE_UNCHANGED};

static sinks3 sink(void)
{
    sinks3 s;
    memset(&s, 0, sizeof s);
    s.cfg.csv_delimiter = ",";
    s.cfg.csv_row_delimiter = "\n";
    s.cfg.csv_null_value = "";
    return s;
}

/* one row through fmt into a string (static buffer, freed by the next call) */
static const char *row(const s3_format *fmt, sinks3 *s, char op, const char *ts,
                       sluice_value a, sluice_value b, sluice_value c, sluice_value d)
{
    static sbuf out;
    sb_free(&out);
    sluice_value v[4] = {a, b, c, d};
    fmt->row(s, &table, op, ts, v, &out);
    return sb_cstr(&out);
}

static const char *header(const s3_format *fmt, sinks3 *s, int with_op)
{
    static sbuf out;
    sb_free(&out);
    fmt->header(s, &table, with_op, &out);
    sb_putc(&out, 0); /* an empty header is "" rather than NULL */
    return out.data;
}

int main(void)
{
    make_table();
    const s3_format *csv = &s3_format_csv, *js = &s3_format_jsonl;

    /* --- CSV, DMS defaults --- */
    sinks3 s = sink();
    CHECK_STR(row(csv, &s, 0, NULL, num(1), txt("plain"), txt(""), null_v), "1,plain,\"\",\n");
    CHECK_STR(row(csv, &s, 'I', NULL, num(-7), txt("a,b"), txt("say \"hi\""), txt("x")),
              "I,-7,\"a,b\",\"say \"\"hi\"\"\",x\n");
    CHECK_STR(row(csv, &s, 'U', NULL, num(2), txt("l1\nl2"), txt("cr\rx"), txt("crlf\r\n")),
              "U,2,\"l1\nl2\",\"cr\rx\",\"crlf\r\n\"\n");
    /* tab, backslash, non-ASCII and a lone quote: only the quote forces quoting */
    CHECK_STR(row(csv, &s, 'D', NULL, num(3), txt("t\tb\\s"), txt("ünï 日本"), txt("\"")),
              "D,3,t\tb\\s,ünï 日本,\"\"\"\"\n");
    /* a NUL byte inside a value is kept as it is (the length counts) */
    const char *z = row(csv, &s, 0, NULL, num(4), txtn("a\0b", 3), null_v, null_v);
    CHECK(z && memcmp(z, "4,a\0b,,\n", 8) == 0);
    /* the timestamp column after Op */
    CHECK_STR(row(csv, &s, 'I', "2024-01-02 03:04:05.000006", num(5), null_v, null_v, txt("")),
              "I,2024-01-02 03:04:05.000006,5,,,\"\"\n");
    /* no header unless addColumnName */
    CHECK_STR(header(csv, &s, 1), "");
    s.cfg.add_column_name = 1;
    CHECK_STR(header(csv, &s, 1), "Op,id,txt,note,\"a\"\"b,c\"\n");
    CHECK_STR(header(csv, &s, 0), "id,txt,note,\"a\"\"b,c\"\n");
    s.cfg.timestamp_column_name = "ts";
    CHECK_STR(header(csv, &s, 1), "Op,ts,id,txt,note,\"a\"\"b,c\"\n");
    CHECK_STR(header(csv, &s, 0), "ts,id,txt,note,\"a\"\"b,c\"\n");

    /* unchanged (TOAST) values: NULL unless useCsvNoSupValue */
    s = sink();
    CHECK_STR(row(csv, &s, 'U', NULL, num(6), unchanged_v, txt("v"), null_v), "U,6,,v,\n");
    s.cfg.use_csv_no_sup_value = 1;
    s.cfg.csv_no_sup_value = "__x__";
    CHECK_STR(row(csv, &s, 'U', NULL, num(6), unchanged_v, txt("v"), null_v), "U,6,__x__,v,\n");
    s.cfg.csv_no_sup_value = "a,b";
    CHECK_STR(row(csv, &s, 'U', NULL, num(6), unchanged_v, txt("v"), null_v),
              "U,6,\"a,b\",v,\n");

    /* --- CSV, custom delimiters and NULL --- */
    s = sink();
    s.cfg.csv_delimiter = "|";
    s.cfg.csv_row_delimiter = "\r\n";
    s.cfg.csv_null_value = "NULL";
    CHECK_STR(row(csv, &s, 'I', NULL, num(1), null_v, txt(""), txt("NULL")),
              "I|1|NULL|\"\"|\"NULL\"\r\n");
    /* the old delimiter is plain text now; the new one is quoted */
    CHECK_STR(row(csv, &s, 'I', NULL, num(2), txt("a,b"), txt("a|b"), txt("NULLx")),
              "I|2|a,b|\"a|b\"|NULLx\r\n");
    /* a multi-byte delimiter, found anywhere in the value, only whole */
    s.cfg.csv_delimiter = "::";
    CHECK_STR(row(csv, &s, 0, NULL, num(3), txt("a:b"), txt("a::b"), txt("x:")),
              "3::a:b::\"a::b\"::x:\r\n");
    /* a row delimiter that is neither CR nor LF: a value holding it is quoted too */
    s = sink();
    s.cfg.csv_row_delimiter = ";";
    CHECK_STR(row(csv, &s, 0, NULL, num(4), txt("a;b"), txt("c"), null_v), "4,\"a;b\",c,;");
    s.cfg.csv_delimiter = "\t";
    s.cfg.csv_row_delimiter = "\n";
    CHECK_STR(row(csv, &s, 0, NULL, num(5), txt("a\tb"), txt("a,b"), null_v),
              "5\t\"a\tb\"\ta,b\t\n");

    /* --- JSON Lines --- */
    s = sink();
    CHECK_STR(row(js, &s, 'I', NULL, num(1), txt("q\"b\\s/"), txt(""), null_v),
              "{\"Op\":\"I\",\"id\":1,\"txt\":\"q\\\"b\\\\s/\",\"note\":\"\",\"a\\\"b,c\":null}\n");
    CHECK_STR(row(js, &s, 0, NULL, num(-2), txt("l1\nl2\r\tx\x01\x1f\x7f"), txt("ünï 日本 🎉"),
                  txt("{\"j\": [1]}")),
              "{\"id\":-2,\"txt\":\"l1\\nl2\\r\\tx\\u0001\\u001f\x7f\",\"note\":\"ünï 日本 🎉\","
              "\"a\\\"b,c\":\"{\\\"j\\\": [1]}\"}\n");
    s.cfg.timestamp_column_name = "ts";
    CHECK_STR(row(js, &s, 'U', "2024-01-02 03:04:05.000006", num(3), unchanged_v, txt("v"),
                  unchanged_v),
              "{\"Op\":\"U\",\"ts\":\"2024-01-02 03:04:05.000006\",\"id\":3,\"note\":\"v\"}\n");
    CHECK_STR(header(js, &s, 1), "");
    z = row(js, &s, 0, NULL, num(4), txtn("a\0b", 3), null_v, null_v);
    CHECK_STR(z, "{\"id\":4,\"txt\":\"a\\u0000b\",\"note\":null,\"a\\\"b,c\":null}\n");
    return unit_done();
}
