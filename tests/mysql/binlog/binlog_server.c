/*
 * The decoder against a real MariaDB 10.11 (run_server.sh starts a throwaway
 * one): a table with every type gets inserts, updates and deletes, a binlog
 * rotation (FLUSH BINARY LOGS) and compressed events (log_bin_compress=ON).
 * Right around each statement the row is read back with SELECT over the text
 * protocol; then the binlog files are read from the datadir and every decoded
 * row image is compared with those SELECT results, value by value.
 *
 *   binlog_server PORT DATADIR [CORPUS_DIR]   (CORPUS_DIR: write fuzz seeds)
 */
#include "mybl.h"
#include "unit.h"

#include <mysql.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXCOLS 64
#define MAXIMAGES 64

typedef struct snap {
    int present;
    unsigned ncols;
    char *val[MAXCOLS];
    unsigned long len[MAXCOLS];
} snap;

typedef struct expect {
    int op;
    int id;
    snap before, after;
} expect;

static MYSQL *db;
static expect images[MAXIMAGES];
static int nimages;
static char colname[MAXCOLS][64], coltype[MAXCOLS][64];
static int bits[MAXCOLS];
static unsigned ncols;

static void die(const char *what)
{
    fprintf(stderr, "%s: %s\n", what, mysql_error(db));
    exit(1);
}

static void exec(const char *fmt, ...)
{
    char sql[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    if (mysql_query(db, sql) != 0)
        die(sql);
}

static void take(snap *s, int id)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT * FROM bl.ty WHERE id = %d", id);
    if (mysql_query(db, sql) != 0)
        die(sql);
    MYSQL_RES *res = mysql_store_result(db);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    if (!row)
        die("row not found");
    unsigned long *lens = mysql_fetch_lengths(res);
    s->present = 1;
    s->ncols = mysql_num_fields(res);
    for (unsigned i = 0; i < s->ncols; i++) {
        s->len[i] = lens[i];
        s->val[i] = row[i] ? malloc(lens[i] + 1) : NULL;
        if (row[i]) {
            memcpy(s->val[i], row[i], lens[i]);
            s->val[i][lens[i]] = '\0';
        }
    }
    mysql_free_result(res);
}

/* One DML statement on row id, with the row read back around it. */
static void dml(int op, int id, const char *fmt, ...)
{
    char sql[300000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    expect *e = &images[nimages++];
    e->op = op;
    e->id = id;
    if (op != MYBL_OP_INSERT)
        take(&e->before, id);
    if (mysql_query(db, sql) != 0)
        die(sql);
    if (op != MYBL_OP_DELETE)
        take(&e->after, id);
}

static void columns(void)
{
    if (mysql_query(db, "SELECT COLUMN_NAME, DATA_TYPE, COALESCE(NUMERIC_PRECISION, 0) FROM "
                        "information_schema.COLUMNS WHERE TABLE_SCHEMA = 'bl' AND TABLE_NAME "
                        "= 'ty' ORDER BY ORDINAL_POSITION") != 0)
        die("columns");
    MYSQL_RES *res = mysql_store_result(db);
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)) && ncols < MAXCOLS) {
        snprintf(colname[ncols], 64, "%s", row[0]);
        snprintf(coltype[ncols], 64, "%s", row[1]);
        bits[ncols] = strcmp(row[1], "bit") == 0 ? atoi(row[2]) : 0;
        ncols++;
    }
    mysql_free_result(res);
}

/* What the full load makes of a SELECT field (BIT: n binary digits), to compare. */
static void expected_text(unsigned c, const char *v, unsigned long len, char *out, size_t *n)
{
    if (bits[c]) {
        uint64_t x = 0;
        for (unsigned long i = 0; i < len; i++)
            x = x << 8 | (uint8_t)v[i];
        for (int i = bits[c]; i > 0; i--)
            out[bits[c] - i] = (char)('0' + ((x >> (i - 1)) & 1));
        *n = (size_t)bits[c];
        return;
    }
    memcpy(out, v, len);
    *n = len;
}

static char *shown(const char *s, size_t n)
{
    static char buf[2][200];
    static int k;
    char *o = buf[k ^= 1];
    size_t j = 0;
    for (size_t i = 0; i < n && j < 190; i++)
        j += (size_t)snprintf(o + j, 200 - j, (unsigned char)s[i] >= 0x20 && s[i] != 0x7f
                              ? "%c" : "\\x%02x", (unsigned char)s[i]);
    if (n * 4 > 190)
        snprintf(o + j, 200 - j, "...(%zu bytes)", n);
    return o;
}

static int mismatches;

static void compare(const char *what, int id, const snap *s, const mybl_row *row)
{
    CHECK(row != NULL);
    if (!row)
        return;
    CHECK(row->ncols == s->ncols);
    static char exp[400000];
    for (unsigned c = 0; c < s->ncols && c < row->ncols; c++) {
        const mybl_value *v = &row->values[c];
        int ok;
        size_t en = 0;
        static char got[400000];
        size_t gn = 0;
        if (!s->val[c]) {
            ok = v->kind == MYBL_V_NULL;
        } else {
            expected_text(c, s->val[c], s->len[c], exp, &en);
            gn = mybl_value_text(v, got, sizeof got);
            ok = v->kind >= MYBL_V_INT && gn == en && memcmp(got, exp, en) == 0;
        }
        CHECK(ok);
        if (!ok && mismatches++ < 60)
            fprintf(stderr, "  %s id=%d column %s (%s): expected %s got kind %d '%s'\n", what,
                    id, colname[c], coltype[c], s->val[c] ? shown(exp, en) : "NULL", v->kind,
                    shown(got, gn));
    }
}

static void set_hints(mybl_decoder *dec)
{
    uint32_t h[MAXCOLS] = {0};
    for (unsigned c = 0; c < ncols; c++) {
        if (strcmp(coltype[c], "uuid") == 0)
            h[c] = MYBL_HINT_UUID;
        else if (strcmp(coltype[c], "inet6") == 0)
            h[c] = MYBL_HINT_INET6;
    }
    CHECK(mybl_set_table_hints(dec, "bl", "ty", ncols, h) == 0);
}

static int seen[256];
static int nseeds;
static uint8_t *fde_bytes, *map_bytes;
static size_t fde_len, map_len;

static void write_seed(const char *dir, const uint8_t *ev, size_t len)
{
    if (!dir || fde_len + map_len + len > 60000 || nseeds >= 40)
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s/server_%02d", dir, nseeds++);
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fputc(1, f); /* flags byte of fuzz_mybl: checksum CRC32 */
    fwrite(fde_bytes, 1, fde_len, f);
    if (map_bytes)
        fwrite(map_bytes, 1, map_len, f);
    fwrite(ev, 1, len, f);
    fclose(f);
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n);
    memcpy(d, p, n);
    return d;
}

static void read_binlog(mybl_decoder *dec, const char *path, int *next, const char *corpus)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)size);
    CHECK(fread(buf, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    CHECK(size >= 4 && memcmp(buf, "\xfe" "bin", 4) == 0);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    mybl_set_file(dec, base);
    for (long off = 4; off + 19 <= size;) {
        uint32_t len = (uint32_t)buf[off + 9] | (uint32_t)buf[off + 10] << 8 |
                       (uint32_t)buf[off + 11] << 16 | (uint32_t)buf[off + 12] << 24;
        if (len < 19 || off + (long)len > size)
            break;
        /* an exact-size copy so ASan sees any read past the event */
        uint8_t *ev_bytes = dup_bytes(buf + off, len);
        mybl_event ev;
        mybl_error err;
        int rc = mybl_feed_event(dec, ev_bytes, len, &ev, &err);
        if (rc != 0)
            fprintf(stderr, "%s\n%s\n%s\n", err.message, err.detail, err.hint);
        CHECK(rc == 0);
        seen[ev.type]++;
        if (ev.type == MYBL_FORMAT_DESCRIPTION) {
            CHECK(ev.u.fde.checksum_alg == MYBL_CHECKSUM_CRC32);
            free(fde_bytes);
            fde_bytes = dup_bytes(ev_bytes, len), fde_len = len;
            set_hints(dec); /* hints apply to later TABLE_MAPs */
        }
        if (ev.type == MYBL_TABLE_MAP) {
            free(map_bytes);
            map_bytes = dup_bytes(ev_bytes, len), map_len = len;
        }
        static const char ddl[] = "CREATE TABLE bl.compressed_ddl (a INT)";
        if (rc == 0 && ev.type == MYBL_QUERY && ev.u.query.sql.len >= 19 &&
            memcmp(ev.u.query.sql.ptr, "CREATE TABLE bl.ty ", 19) == 0)
            CHECK(ev.u.query.db.len == 0); /* run before USE bl */
        if (rc == 0 && ev.type == MYBL_QUERY_COMPRESSED)
            CHECK(ev.u.query.sql.len == strlen(ddl) &&
                  memcmp(ev.u.query.sql.ptr, ddl, strlen(ddl)) == 0 &&
                  ev.u.query.db.len == 2 && memcmp(ev.u.query.db.ptr, "bl", 2) == 0);
        if (rc == 0 && mybl_is_rows(ev.type)) {
            write_seed(corpus, ev_bytes, len);
            const mybl_table *t = ev.u.rows.table;
            int ours = t && t->name.len == 2 && memcmp(t->name.ptr, "ty", 2) == 0;
            const mybl_row *before, *after;
            while ((rc = mybl_next_row(dec, &before, &after, &err)) == 1) {
                if (!ours)
                    continue;
                CHECK(*next < nimages);
                if (*next >= nimages)
                    break;
                expect *e = &images[(*next)++];
                CHECK((int)ev.u.rows.op == e->op);
                if (e->op != MYBL_OP_INSERT)
                    compare("before", e->id, &e->before, before);
                if (e->op != MYBL_OP_DELETE)
                    compare("after", e->id, &e->after, after);
            }
            if (rc < 0)
                fprintf(stderr, "%s\n%s\n", err.message, err.detail);
            CHECK(rc == 0);
        }
        free(ev_bytes);
        off += len;
    }
    free(buf);
}

static const char *table_sql =
    "CREATE TABLE bl.ty (id INT NOT NULL PRIMARY KEY,"
    " ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED,"
    " mi MEDIUMINT, mu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT,"
    " bu BIGINT UNSIGNED, d1 DECIMAL(65,30), d2 DECIMAL(10,2), d3 DECIMAL(5,0),"
    " f FLOAT, d DOUBLE, b1 BIT(1), b64 BIT(64), b10 BIT(10), y YEAR, dt DATE, tm TIME,"
    " tm3 TIME(3), tm6 TIME(6), tm1 TIME(1), dtm DATETIME, dtm6 DATETIME(6),"
    " dtm2 DATETIME(2), ts TIMESTAMP NULL DEFAULT NULL, ts6 TIMESTAMP(6) NULL DEFAULT NULL,"
    " c CHAR(10), c100 CHAR(100), vc VARCHAR(300), vcs VARCHAR(20), tx TEXT,"
    " ltx TEXT CHARACTER SET latin1, lc CHAR(5) CHARACTER SET latin1, bn BINARY(16),"
    " vb VARBINARY(300), bb BLOB, lb LONGBLOB, mt MEDIUMTEXT, e ENUM('a','b','\xc3\xbc'),"
    " s SET('x','y','z'), j JSON, u UUID, i6 INET6, g GEOMETRY,"
    " lat LONGTEXT CHARACTER SET latin1) CHARACTER SET utf8mb4";

#define ROW_MIN                                                                             \
    "(%d, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,"         \
    " '-99999999999999999999999999999999999.999999999999999999999999999999', -12345678.90," \
    " -99999, -3.40282e38, -1.7976931348623157e308, b'0', 0, b'0101010101', 1901,"          \
    " '1000-01-01', '-838:59:59', '-838:59:59.999', '-00:00:00.000001', '-01:00:00.5',"    \
    " '1000-01-01 00:00:00', '1000-01-01 00:00:00.000001', '2024-02-29 13:14:15.12',"       \
    " '1970-01-01 00:00:01', '2038-01-19 03:14:07.999999', 'ab', 'x\xf0\x9f\x98\x80',"      \
    " 'h\xc3\xa9llo \xf0\x9f\x98\x80', '', 'text', 'caf\xc3\xa9 \xc2\xa4 \xe2\x82\xac \xe2\x80\xb0'," \
    " '\xc3\xa0\xc3\xa9', x'00000000000000000000000000000001', x'00ff00', x'', x'deadbeef'," \
    " 'mt', 'a', '', '{\"k\": [1, 2]}', '00000000-0000-0000-0000-000000000000', '::',"     \
    " ST_GeomFromText('POINT(1 2)'), 'x')"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s PORT DATADIR [CORPUS_DIR]\n", argv[0]);
        return 2;
    }
    const char *corpus = argc > 3 ? argv[3] : NULL;
    db = mysql_init(NULL);
    if (!mysql_real_connect(db, "127.0.0.1", "root", NULL, NULL, (unsigned)atoi(argv[1]), NULL,
                            0))
        die("connect");
    exec("SET NAMES utf8mb4");
    exec("SET sql_mode = ''");
    exec("SET time_zone = '+00:00'");
    exec("DROP DATABASE IF EXISTS bl");
    exec("CREATE DATABASE bl");
    exec("%s", table_sql);
    exec("USE bl"); /* later QUERY events carry db "bl" */
    columns();
    CHECK(ncols == 49);

    dml(MYBL_OP_INSERT, 1, "INSERT INTO bl.ty VALUES " ROW_MIN, 1);
    dml(MYBL_OP_INSERT, 2,
        "INSERT INTO bl.ty VALUES (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647,"
        " 4294967295, 9223372036854775807, 18446744073709551615,"
        " '99999999999999999999999999999999999.999999999999999999999999999999', 99999999.99,"
        " 99999, 3.40282e38, 1.7976931348623157e308, b'1', 18446744073709551615,"
        " b'1111111111', 2155, '9999-12-31', '838:59:59', '838:59:59.999', '838:59:59',"
        " '12:34:56.7', '9999-12-31 23:59:59', '9999-12-31 23:59:59.999999',"
        " '9999-12-31 23:59:59.99', '2038-01-19 03:14:07', '2001-02-03 04:05:06.5',"
        " 'zzzzzzzzzz', REPEAT('\xf0\x9f\x98\x80', 100), REPEAT('\xc3\xa9', 300), 'x',"
        " REPEAT('t', 1000), '\xc3\xbf', '\xc3\xbf\xc3\xbf\xc3\xbf\xc3\xbf\xc3\xbf',"
        " x'ffffffffffffffffffffffffffffffff', REPEAT(x'ff', 300), REPEAT('b', 65535),"
        " REPEAT('L', 200000), 'x', '\xc3\xbc', 'x,y,z', '[1, \"two\", null, true, {\"a\": 1.5}]',"
        " 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',"
        " ST_GeomFromText('LINESTRING(0 0, 1 1, 2 5)'), REPEAT('\xc3\xa9', 1000))");
    dml(MYBL_OP_INSERT, 3,
        "INSERT INTO bl.ty VALUES (3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b'0', 0,"
        " 0, 0, '0000-00-00', '00:00:00', '00:00:00', '00:00:00', '00:00:00',"
        " '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00',"
        " '0000-00-00 00:00:00', '0000-00-00 00:00:00', '', '', '', '', '', '', '', x'', x'',"
        " x'', x'', '', 'nope', '', 'null', '6ccd780c-baba-1026-9564-5b8c656024db',"
        " '::ffff:1.2.3.4', ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 0))'), '')");
    dml(MYBL_OP_INSERT, 4, "INSERT INTO bl.ty (id) VALUES (4)");
    dml(MYBL_OP_INSERT, 5,
        "INSERT INTO bl.ty (id, f, d, d1, d2, dt, dtm, u, i6, tm6, tm3, b64, e, s, ts6, vc)"
        " VALUES (5, 1.1, 0.30000000000000004, '0.000000000000000000000000000001', -0.01,"
        " '2020-00-15', '2020-02-00 10:00:00', '123e4567-e89b-42d3-a456-426614174000',"
        " '2001:db8::1', '-12:00:00.5', '-00:00:01.001', 1, 'b', 'x,z',"
        " '2024-02-29 13:14:15.654321', 'plain')");
    dml(MYBL_OP_UPDATE, 5,
        "UPDATE bl.ty SET f = 123456789, d = 1e15, ti = NULL, vc = 'changed', tm1 = '-00:00:00.1'"
        " WHERE id = 5");
    dml(MYBL_OP_INSERT, 6,
        "INSERT INTO bl.ty (id, f, d, u, d1) VALUES (6, 0.0001, 1e-5,"
        " '6ccd780c-baba-1026-c564-5b8c656024db', '-1.5')");
    dml(MYBL_OP_DELETE, 3, "DELETE FROM bl.ty WHERE id = 3");
    exec("FLUSH BINARY LOGS");
    dml(MYBL_OP_INSERT, 7,
        "INSERT INTO bl.ty (id, f, d, d2, u) VALUES (7, 3.14159265, 1e16, 1.5,"
        " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')");
    dml(MYBL_OP_UPDATE, 2, "UPDATE bl.ty SET d = -2.25e100, f = 1e-10, tx = 'short' WHERE id = 2");
    exec("SET GLOBAL log_bin_compress_min_len = 10");
    exec("SET GLOBAL log_bin_compress = ON");
    dml(MYBL_OP_INSERT, 8, "INSERT INTO bl.ty VALUES " ROW_MIN, 8);
    dml(MYBL_OP_UPDATE, 8, "UPDATE bl.ty SET lb = REPEAT('z', 100000), vc = 'compressed' "
        "WHERE id = 8");
    dml(MYBL_OP_DELETE, 8, "DELETE FROM bl.ty WHERE id = 8");
    exec("CREATE TABLE bl.compressed_ddl (a INT)"); /* a QUERY_COMPRESSED event */
    exec("SET GLOBAL log_bin_compress = OFF");
    exec("FLUSH BINARY LOGS");

    mybl_decoder *dec = mybl_new();
    int next = 0;
    if (mysql_query(db, "SHOW BINARY LOGS") != 0)
        die("SHOW BINARY LOGS");
    MYSQL_RES *res = mysql_store_result(db);
    MYSQL_ROW row;
    int files = 0;
    while ((row = mysql_fetch_row(res))) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", argv[2], row[0]);
        read_binlog(dec, path, &next, corpus);
        files++;
    }
    mysql_free_result(res);
    mybl_free(dec);
    free(fde_bytes);
    free(map_bytes);
    CHECK(files >= 3);
    CHECK(next == nimages); /* every statement's rows were found, in order */
    CHECK(seen[MYBL_ROTATE] >= 2);
    CHECK(seen[MYBL_MARIADB_GTID] > 0);
    CHECK(seen[MYBL_GTID_LIST] > 0);
    CHECK(seen[MYBL_XID] > 0);
    CHECK(seen[MYBL_ANNOTATE_ROWS] > 0);
    CHECK(seen[MYBL_WRITE_ROWS_COMPRESSED_V1] > 0);
    CHECK(seen[MYBL_UPDATE_ROWS_COMPRESSED_V1] > 0);
    CHECK(seen[MYBL_DELETE_ROWS_COMPRESSED_V1] > 0);
    CHECK(seen[MYBL_QUERY_COMPRESSED] > 0);
    CHECK(seen[MYBL_WRITE_ROWS_V1] > 0 && seen[MYBL_UPDATE_ROWS_V1] > 0 &&
          seen[MYBL_DELETE_ROWS_V1] > 0);
    printf("%d statements, %d binlog files, %d row images compared\n", nimages, files, next);
    for (int i = 0; i < nimages; i++)
        for (unsigned c = 0; c < MAXCOLS; c++)
            free(images[i].before.val[c]), free(images[i].after.val[c]);
    mysql_close(db);
    return unit_done();
}
