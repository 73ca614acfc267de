/*
 * sink-pg against a real PostgreSQL, driven through its vtable with the core's
 * own host table (tests/plugins/corehost.c): what the generator cannot show.
 *   - identifiers with mixed case, spaces, quotes and non-ASCII letters
 *   - column types: the source's own name when the target has it, else the
 *     canonical mapping; unknown types refused clearly
 *   - COPY of awkward text (tab, newline, CR, backslash, "\N") and NULLs
 *   - grouping: a source transaction spanning batches is never committed in
 *     part; flush while one is open commits at its COMMIT
 *   - UNCHANGED values, key-changing updates, deletes, TRUNCATE, schema changes
 *   - a table with only a replica identity (duplicates, NULLs)
 *   - a failed statement: FATAL, nothing of the group committed
 *   - the checkpoint read back by a new instance; cleanup; secrets in errors
 *   - error_policy = record: rejected rows in the errors table with their
 *     source COMMIT's position (found before or after that COMMIT, in
 *     transactions spanning batches), the rows after them still applied, a
 *     statement whose PREPARE the server skipped, NUL bytes and bad UTF-8,
 *     errors that still stop, error_threshold, the full load's COPY falling
 *     back to single rows, and a reload removing a table's recorded errors
 * Needs PGHOST/PGPORT/PGUSER (the sluice_pg_test fixture sets them).
 */
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinkpg.h"
#include "testhost.h"
#include "unit.h"

#define DB "sinktest_apply"

static const sluice_host *host;
static const sluice_sink_vtable *vt;
static PGconn *db;          /* the test's own connection, to look at the target */
static sluice_context *ctx;
static sluice_catalog *catalog;

/* ---- looking at the target ---- */

static PGconn *connect_to(const char *dbname)
{
    char conninfo[200];
    snprintf(conninfo, sizeof conninfo, "dbname=%s", dbname);
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "cannot connect to %s: %s", dbname, PQerrorMessage(c));
        exit(2);
    }
    return c;
}

static void run(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
        exit(2);
    }
    PQclear(r);
}

/* The query's rows as "a|b\nc|d" (NULL as \N), into a static buffer. */
static const char *q(const char *sql)
{
    static char out[8192];
    PGresult *r = PQexec(db, sql);
    out[0] = '\0';
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(out, sizeof out, "ERROR: %s", PQerrorMessage(db));
        PQclear(r);
        return out;
    }
    size_t n = 0;
    for (int i = 0; i < PQntuples(r); i++)
        for (int j = 0; j < PQnfields(r); j++)
            n += (size_t)snprintf(out + n, sizeof out - n, "%s%s%s", PQgetisnull(r, i, j) ? "\\N" : PQgetvalue(r, i, j),
                                  j + 1 < PQnfields(r) ? "|" : "",
                                  j + 1 == PQnfields(r) && i + 1 < PQntuples(r) ? "\n" : "");
    PQclear(r);
    return out;
}

/* ---- building tables and batches ---- */

typedef struct col {
    const char *name, *source_type;
    sluice_type type;
    uint32_t flags;
} col;

static sluice_str str(const char *s) { return (sluice_str){s, strlen(s)}; }

static sluice_table *table(const char *schema, const char *name, const col *cols, uint32_t n)
{
    sluice_table *t = host->table_add(catalog, str(schema), str(name), n);
    for (uint32_t i = 0; i < n; i++)
        host->column_set(t, i, str(cols[i].name), str(cols[i].source_type), cols[i].type,
                         cols[i].flags);
    return t;
}

static sluice_table *reshape(const sluice_table *old, const col *cols, uint32_t n)
{
    sluice_table *t = host->table_reshape(catalog, old, n);
    for (uint32_t i = 0; i < n; i++)
        host->column_set(t, i, str(cols[i].name), str(cols[i].source_type), cols[i].type,
                         cols[i].flags);
    return t;
}

static void set_int(sluice_value *v, int64_t i)
{
    v->kind = SLUICE_VALUE_INT;
    v->u.i = i;
}

static void set_text(sluice_batch *b, sluice_value *v, const char *s)
{
    host->set_text(b, v, s, strlen(s));
}

static void begin(sluice_batch *b, uint64_t xid)
{
    host->emit(b, SLUICE_OP_BEGIN, NULL, 0)->xid = xid;
}

static void commit(sluice_batch *b, uint64_t xid)
{
    sluice_event *e = host->emit(b, SLUICE_OP_COMMIT, NULL, 0);
    e->xid = xid;
    e->position->len = 8;
    for (int i = 0; i < 8; i++)
        e->position->bytes[i] = (uint8_t)(xid >> (56 - 8 * i));
}

/* An insert of (id, text) into a two-column table. */
static void insert2(sluice_batch *b, const sluice_table *t, int64_t id, const char *s)
{
    sluice_event *e = host->emit(b, SLUICE_OP_INSERT, t, 0);
    set_int(&e->new_row[0], id);
    if (s)
        set_text(b, &e->new_row[1], s);
}

static uint64_t pos_value(const sluice_position *p)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < p->len; i++)
        v = v << 8 | p->bytes[i];
    return p->len ? v : 0;
}

/* ---- the sink ---- */

static sinkpg_config config(const char *conninfo)
{
    return (sinkpg_config){conninfo, NULL, "sluice.sluice_checkpoint", "apply_test", 0, 0, 5,
                           "stop", "sluice.sluice_errors", 1000};
}

static void *open_with(const sinkpg_config *cfg)
{
    sluice_error err;
    th_error_init(&err);
    void *inst = NULL;
    sluice_status st = vt->open(host, ctx, cfg, &inst, &err);
    if (st != SLUICE_OK) {
        fprintf(stderr, "open failed: %s (%s)\n", err.message, err.detail);
        exit(2);
    }
    return inst;
}

static void *open_sink(const char *conninfo)
{
    sinkpg_config cfg = config(conninfo);
    sluice_error err;
    th_error_init(&err);
    void *inst = NULL;
    sluice_status st = vt->open(host, ctx, &cfg, &inst, &err);
    if (st != SLUICE_OK) {
        fprintf(stderr, "open failed: %s (%s)\n", err.message, err.detail);
        exit(2);
    }
    return inst;
}

static sluice_status apply(void *inst, sluice_batch *b, sluice_error *err)
{
    th_error_init(err);
    sluice_status st = vt->apply(inst, b, err);
    th_batch_reset(b);
    b->kind = SLUICE_BATCH_CHANGES;
    return st;
}

static uint64_t flush(void *inst)
{
    sluice_position p;
    sluice_error err;
    th_error_init(&err);
    memset(&p, 0, sizeof p);
    if (vt->flush(inst, &p, &err) != SLUICE_OK) {
        fprintf(stderr, "flush failed: %s\n", err.message);
        return UINT64_MAX;
    }
    return pos_value(&p);
}

/* ---- the tests ---- */

static const col odd_cols[] = {
    {"Id", "bigint", SLUICE_TYPE_INT64, SLUICE_COLUMN_KEY},
    {"we\"ird col", "text", SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE},
    {"Grö\xc3\x9f" "e", "numeric(18,2)", SLUICE_TYPE_DECIMAL, SLUICE_COLUMN_NULLABLE},
    {"ts", "timestamp with time zone", SLUICE_TYPE_TIMESTAMPTZ, SLUICE_COLUMN_NULLABLE},
    {"tags", "text[]", SLUICE_TYPE_ARRAY, SLUICE_COLUMN_NULLABLE},
    {"flag", "tinyint(1)", SLUICE_TYPE_BOOL, SLUICE_COLUMN_NULLABLE},
    {"mood", "mood", SLUICE_TYPE_ENUM, SLUICE_COLUMN_NULLABLE},
    {"doc", "json", SLUICE_TYPE_JSON, SLUICE_COLUMN_NULLABLE},
    {"big", "bigint unsigned", SLUICE_TYPE_UINT64, SLUICE_COLUMN_NULLABLE},
    {"made", "timestamp", SLUICE_TYPE_TIMESTAMPTZ, SLUICE_COLUMN_NULLABLE},
    {"pt", "point", SLUICE_TYPE_SOURCE_NATIVE, 0},
};
#define NODD (sizeof odd_cols / sizeof odd_cols[0])

static void test_identifiers_types_copy(void *inst)
{
    sluice_table *t = table("Odd \"Schema\" é", "Mixed Case \"T\" ü", odd_cols, NODD);
    sluice_error err;
    th_error_init(&err);
    CHECK(vt->prepare_table(inst, t, SLUICE_PREP_DROP_AND_CREATE, &err) == SLUICE_OK);
    CHECK_STR(q("SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || "
                "CASE WHEN attnotnull THEN ' NN' ELSE '' END, ', ' ORDER BY attnum) "
                "FROM pg_attribute WHERE attrelid = '\"Odd \"\"Schema\"\" é\".\"Mixed Case "
                "\"\"T\"\" ü\"'::regclass AND attnum > 0"),
              "Id bigint NN, we\"ird col text, Größe numeric(18,2), ts timestamp with time "
              "zone, tags text[], flag boolean, mood text, doc json, big numeric(20,0), made "
              "timestamp with time zone, pt point NN");
    CHECK_STR(q("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'p' AND "
                "conrelid = '\"Odd \"\"Schema\"\" é\".\"Mixed Case \"\"T\"\" ü\"'::regclass"),
              "PRIMARY KEY (\"Id\")");

    /* two instances (like two lanes) write chunks of the same table */
    void *lane = open_sink("dbname=" DB);
    sluice_batch *b = th_batch_new(SLUICE_BATCH_SNAPSHOT, 64, 1 << 16);
    b->table = t;
    static const char *const texts[] = {"tab\there", "new\nline", "cr\rhere", "back\\slash",
                                        "\\N", "\\.", "quote\"'", "é ü 中文", "", NULL};
    for (int i = 0; i < 10; i++) {
        sluice_event *e = host->emit(b, SLUICE_OP_INSERT, t, 0);
        set_int(&e->new_row[0], i + 1);
        if (texts[i])
            set_text(b, &e->new_row[1], texts[i]);
        set_text(b, &e->new_row[2], "12.50");
        set_text(b, &e->new_row[3], "2024-05-06 07:08:09+02");
        set_text(b, &e->new_row[4], "{a,\"b c\"}");
        set_text(b, &e->new_row[5], i % 2 ? "true" : "false");
        set_text(b, &e->new_row[6], "happy");
        set_text(b, &e->new_row[7], "{\"k\": [1, 2]}");
        set_text(b, &e->new_row[8], "18446744073709551615");
        set_text(b, &e->new_row[10], "(1,2)");
    }
    th_error_init(&err);
    CHECK(vt->write_rows(lane, b, &err) == SLUICE_OK);
    /* a second batch of the same chunk goes into the same COPY */
    th_batch_reset(b);
    b->table = t;
    sluice_event *e = host->emit(b, SLUICE_OP_INSERT, t, 0);
    set_int(&e->new_row[0], 11);
    set_text(b, &e->new_row[10], "(3,4)");
    CHECK(vt->write_rows(lane, b, &err) == SLUICE_OK);
    /* not visible before finish_table */
    CHECK_STR(q("SELECT count(*) FROM \"Odd \"\"Schema\"\" é\".\"Mixed Case \"\"T\"\" ü\""), "0");
    CHECK(vt->finish_table(lane, t, &err) == SLUICE_OK);
    CHECK_STR(q("SELECT count(*) FROM \"Odd \"\"Schema\"\" é\".\"Mixed Case \"\"T\"\" ü\""), "11");
    CHECK_STR(q("SELECT string_agg(coalesce(\"we\"\"ird col\", '<null>'), '|' ORDER BY \"Id\") "
                "FROM \"Odd \"\"Schema\"\" é\".\"Mixed Case \"\"T\"\" ü\""),
              "tab\there|new\nline|cr\rhere|back\\slash|\\N|\\.|quote\"'|é ü 中文||<null>|<null>");
    CHECK_STR(q("SELECT \"Größe\", ts AT TIME ZONE 'UTC', tags[2], flag, doc->'k'->>1, big "
                "FROM \"Odd \"\"Schema\"\" é\".\"Mixed Case \"\"T\"\" ü\" WHERE \"Id\" = 2"),
              "12.50|2024-05-06 05:08:09|b c|t|2|18446744073709551615");
    vt->close(lane);
    th_batch_free(b);
}

static void test_unknown_type(void *inst)
{
    static const col cols[] = {{"id", "bigint", SLUICE_TYPE_INT64, SLUICE_COLUMN_KEY},
                               {"g", "geography(point)", SLUICE_TYPE_UNKNOWN, 0}};
    sluice_table *t = table("public", "unknown_type", cols, 2);
    sluice_error err;
    th_error_init(&err);
    CHECK(vt->prepare_table(inst, t, SLUICE_PREP_DROP_AND_CREATE, &err) == SLUICE_ERROR);
    CHECK_CONTAINS(err.message, "cannot create column \"g\" of table \"public.unknown_type\": "
                                "type \"geography(point)\" does not exist at the target");
    CHECK_CONTAINS(err.hint, "CREATE TYPE");
}

static const col kv_cols[] = {{"id", "bigint", SLUICE_TYPE_INT64, SLUICE_COLUMN_KEY},
                              {"v", "text", SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE}};

static const char *kv(void) { return q("SELECT coalesce(string_agg(id || '=' || coalesce(v, '-'), ',' ORDER BY id), '') FROM app.kv"); }

static void test_grouping(void *inst, const sluice_table *t, sluice_batch *b)
{
    sluice_error err;
    /* one whole transaction: flush commits it and reports its position */
    begin(b, 1);
    insert2(b, t, 1, "one");
    insert2(b, t, 2, "two");
    commit(b, 1);
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK_STR(kv(), ""); /* applied, not committed yet */
    CHECK(flush(inst) == 1);
    CHECK_STR(kv(), "1=one,2=two");
    CHECK_STR(q("SELECT key, encode(position, 'hex') FROM sluice.sluice_checkpoint"),
              "apply_test|0000000000000001");
    CHECK(flush(inst) == 0); /* nothing new */

    /* a transaction spanning batches: nothing of it before its COMMIT */
    begin(b, 2);
    insert2(b, t, 3, "three");
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 0);
    CHECK_STR(kv(), "1=one,2=two");
    insert2(b, t, 4, "four");
    commit(b, 2);
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 2);
    CHECK_STR(kv(), "1=one,2=two,3=three,4=four");

    /* flush between a complete transaction and an open one: the group commits at
       the open one's COMMIT, never in the middle of it */
    begin(b, 3);
    insert2(b, t, 5, "five");
    commit(b, 3);
    begin(b, 4);
    insert2(b, t, 6, "six");
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 0);
    CHECK_STR(kv(), "1=one,2=two,3=three,4=four");
    CHECK_STR(q("SELECT encode(position, 'hex') FROM sluice.sluice_checkpoint"), "0000000000000002");
    commit(b, 4);
    begin(b, 5); /* the next transaction starts a new group */
    insert2(b, t, 7, "seven");
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK_STR(kv(), "1=one,2=two,3=three,4=four,5=five,6=six"); /* committed at txn 4's COMMIT */
    CHECK_STR(q("SELECT encode(position, 'hex') FROM sluice.sluice_checkpoint"), "0000000000000004");
    CHECK(flush(inst) == 4); /* reports it; txn 5 is still open */
    commit(b, 5);
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 5);
    CHECK_STR(kv(), "1=one,2=two,3=three,4=four,5=five,6=six,7=seven");
}

static void test_changes(void *inst, const sluice_table *t, sluice_batch *b)
{
    sluice_error err;
    begin(b, 6);
    /* an update whose v the source did not send keeps the old v */
    sluice_event *e = host->emit(b, SLUICE_OP_UPDATE, t, 1);
    set_int(&e->new_row[0], 1);
    e->new_row[1].kind = SLUICE_VALUE_UNCHANGED;
    set_int(&e->old_row[0], 1);
    /* an ordinary update */
    e = host->emit(b, SLUICE_OP_UPDATE, t, 1);
    set_int(&e->new_row[0], 2);
    set_text(b, &e->new_row[1], "TWO");
    /* a key change: found by the old key */
    e = host->emit(b, SLUICE_OP_UPDATE, t, 1);
    set_int(&e->new_row[0], 30);
    set_text(b, &e->new_row[1], "thirty");
    set_int(&e->old_row[0], 3);
    /* a key change with the rest unchanged */
    e = host->emit(b, SLUICE_OP_UPDATE, t, 1);
    set_int(&e->new_row[0], 40);
    e->new_row[1].kind = SLUICE_VALUE_UNCHANGED;
    set_int(&e->old_row[0], 4);
    /* deletes by the old key */
    e = host->emit(b, SLUICE_OP_DELETE, t, 0);
    set_int(&e->old_row[0], 5);
    /* a row that is not there: a warning, not a failure */
    e = host->emit(b, SLUICE_OP_DELETE, t, 0);
    set_int(&e->old_row[0], 999);
    /* NULL in an update */
    e = host->emit(b, SLUICE_OP_UPDATE, t, 0);
    set_int(&e->new_row[0], 6);
    commit(b, 6);
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 6);
    CHECK_STR(kv(), "1=one,2=TWO,6=-,7=seven,30=thirty,40=four");

    /* TRUNCATE, then rows again, in one transaction */
    begin(b, 7);
    host->emit(b, SLUICE_OP_TRUNCATE, t, 0);
    insert2(b, t, 100, "after truncate");
    commit(b, 7);
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 7);
    CHECK_STR(kv(), "100=after truncate");
}

/* Changes the table's shape twice; returns the last shape. */
static const sluice_table *test_schema_change(void *inst, const sluice_table *t, sluice_batch *b)
{
    sluice_error err;
    /* add n (int32), then change it to bigint and drop v: the statements follow */
    static const col v2[] = {{"id", "bigint", SLUICE_TYPE_INT64, SLUICE_COLUMN_KEY},
                             {"v", "text", SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE},
                             {"n", "integer", SLUICE_TYPE_INT32, SLUICE_COLUMN_NULLABLE}};
    static const col v3[] = {{"id", "bigint", SLUICE_TYPE_INT64, SLUICE_COLUMN_KEY},
                             {"n", "bigint", SLUICE_TYPE_INT64, SLUICE_COLUMN_NULLABLE},
                             {"Note Ü", "varchar(20)", SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE}};
    sluice_table *t2 = reshape(t, v2, 3);
    begin(b, 8);
    host->emit(b, SLUICE_OP_SCHEMA, t2, 0);
    sluice_event *e = host->emit(b, SLUICE_OP_INSERT, t2, 0);
    set_int(&e->new_row[0], 101);
    set_text(b, &e->new_row[1], "v2");
    set_int(&e->new_row[2], 7);
    commit(b, 8);
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 8);
    CHECK_STR(q("SELECT id, v, n FROM app.kv ORDER BY id"), "100|after truncate|\\N\n101|v2|7");

    sluice_table *t3 = reshape(t2, v3, 3);
    begin(b, 9);
    e = host->emit(b, SLUICE_OP_UPDATE, t2, 0); /* still the old shape */
    set_int(&e->new_row[0], 100);
    set_text(b, &e->new_row[1], "x");
    set_int(&e->new_row[2], 1);
    host->emit(b, SLUICE_OP_SCHEMA, t3, 0);
    e = host->emit(b, SLUICE_OP_INSERT, t3, 0);
    set_int(&e->new_row[0], 102);
    set_int(&e->new_row[1], 5000000000);
    set_text(b, &e->new_row[2], "note");
    e = host->emit(b, SLUICE_OP_UPDATE, t3, 0);
    set_int(&e->new_row[0], 101);
    set_int(&e->new_row[1], 8);
    e->new_row[2].kind = SLUICE_VALUE_UNCHANGED;
    commit(b, 9);
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 9);
    CHECK_STR(q("SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' "
                "ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'app.kv'::regclass AND "
                "attnum > 0 AND NOT attisdropped"),
              "id bigint, n bigint, Note Ü character varying(20)");
    CHECK_STR(q("SELECT id, n, \"Note Ü\" FROM app.kv ORDER BY id"),
              "100|1|\\N\n101|8|\\N\n102|5000000000|note");
    return t3;
}

static void test_replica_identity(void *inst, sluice_batch *b)
{
    static const col cols[] = {{"a", "integer", SLUICE_TYPE_INT32, SLUICE_COLUMN_REPLICA_IDENTITY | SLUICE_COLUMN_NULLABLE},
                               {"b", "text", SLUICE_TYPE_TEXT, SLUICE_COLUMN_REPLICA_IDENTITY | SLUICE_COLUMN_NULLABLE}};
    sluice_table *t = table("app", "nokey", cols, 2);
    sluice_error err;
    th_error_init(&err);
    CHECK(vt->prepare_table(inst, t, SLUICE_PREP_DROP_AND_CREATE, &err) == SLUICE_OK);
    begin(b, 10);
    for (int i = 0; i < 3; i++) {
        sluice_event *e = host->emit(b, SLUICE_OP_INSERT, t, 0);
        set_int(&e->new_row[0], 1);
        set_text(b, &e->new_row[1], "dup");
    }
    host->emit(b, SLUICE_OP_INSERT, t, 0); /* (NULL, NULL) */
    sluice_event *e = host->emit(b, SLUICE_OP_DELETE, t, 0); /* one of the three duplicates */
    set_int(&e->old_row[0], 1);
    set_text(b, &e->old_row[1], "dup");
    e = host->emit(b, SLUICE_OP_UPDATE, t, 1); /* found by NULLs */
    set_int(&e->new_row[0], 2);
    set_text(b, &e->new_row[1], "was null");
    commit(b, 10);
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 10);
    CHECK_STR(q("SELECT a, b, count(*) FROM app.nokey GROUP BY a, b ORDER BY a"),
              "1|dup|2\n2|was null|1");
}

static void test_failure(void *inst, const sluice_table *t, sluice_batch *b)
{
    sluice_error err;
    begin(b, 11);
    insert2(b, t, 200, NULL);
    commit(b, 11);
    begin(b, 12);
    insert2(b, t, 201, NULL);
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    sluice_event *e = host->emit(b, SLUICE_OP_INSERT, t, 0);
    set_int(&e->new_row[0], 102); /* exists: a duplicate key */
    commit(b, 12);
    CHECK(apply(inst, b, &err) == SLUICE_FATAL);
    CHECK_CONTAINS(err.message, "could not apply an insert to table \"app.kv\": duplicate key");
    CHECK_CONTAINS(err.detail, "Key (id)=(102) already exists.");
    CHECK_CONTAINS(err.detail, "In source transaction 12.");
    CHECK_CONTAINS(err.detail, "SQLSTATE 23505");
    /* the whole group is gone, txn 11 with it; the checkpoint still says txn 10 */
    sluice_position p;
    memset(&p, 0, sizeof p);
    th_error_init(&err);
    CHECK(vt->flush(inst, &p, &err) == SLUICE_FATAL);
    CHECK_CONTAINS(err.message, "target transaction was lost");
    CHECK_STR(q("SELECT count(*) FROM app.kv WHERE id >= 200"), "0");
    CHECK_STR(q("SELECT encode(position, 'hex') FROM sluice.sluice_checkpoint"), "000000000000000a");
}

static void test_checkpoint_and_cleanup(void)
{
    void *inst = open_sink("dbname=" DB);
    sluice_position p;
    sluice_error err;
    th_error_init(&err);
    CHECK(vt->get_checkpoint(inst, &p, &err) == SLUICE_OK);
    CHECK(pos_value(&p) == 10);
    /* a second session on the same key waits for the first; cancelled, it gives up */
    sluice_context *cancelled = th_context_new("sink-pg");
    th_cancel(cancelled);
    sinkpg_config same = config("dbname=" DB);
    void *dup = NULL;
    CHECK(vt->open(host, cancelled, &same, &dup, &err) == SLUICE_OK);
    th_error_init(&err);
    CHECK(vt->get_checkpoint(dup, &p, &err) == SLUICE_FATAL);
    CHECK_CONTAINS(err.message, "checkpoint \"apply_test\" in table \"sluice.sluice_checkpoint\" "
                                "is in use by another session");
    CHECK_CONTAINS(err.hint, "checkpoint_key");
    vt->close(dup);
    th_context_free(cancelled);
    /* another pipeline's key is independent */
    sinkpg_config cfg = config("dbname=" DB);
    cfg.checkpoint_key = "other";
    void *other = NULL;
    CHECK(vt->open(host, ctx, &cfg, &other, &err) == SLUICE_OK);
    CHECK(vt->get_checkpoint(other, &p, &err) == SLUICE_OK);
    CHECK(p.len == 0);
    CHECK(vt->cleanup(inst, &err) == SLUICE_OK);
    CHECK_STR(q("SELECT to_regclass('sluice.sluice_checkpoint') IS NULL"), "t");
    vt->close(other);
    vt->close(inst);
}

static void test_secrets(void)
{
    sluice_error err;
    void *inst = NULL;
    /* an unreachable port: the password never appears */
    sinkpg_config cfg = config("host=127.0.0.1 port=1 dbname=nowhere password=Sup3rSecretPw");
    th_error_init(&err);
    sluice_status st = vt->open(host, ctx, &cfg, &inst, &err);
    CHECK(st == SLUICE_RETRY);
    CHECK_CONTAINS(err.message, "could not connect to the target database \"nowhere\" at 127.0.0.1:1");
    CHECK_CONTAINS(err.detail, "Connection refused");
    CHECK(!strstr(err.message, "Sup3rSecretPw") && !strstr(err.detail, "Sup3rSecretPw") &&
          !strstr(err.hint, "Sup3rSecretPw"));
    /* a URI libpq cannot parse: its message would quote the password */
    cfg = config("postgresql://me:Sup3r%zzSecret@[::1/db");
    th_error_init(&err);
    CHECK(vt->open(host, ctx, &cfg, &inst, &err) == SLUICE_FATAL);
    CHECK_STR(err.message, "invalid value for option \"conninfo\"");
    CHECK(!strstr(err.detail, "Sup3r") && !strstr(err.detail, "Secret"));
    cfg = config("host=127.0.0.1 bogus_option=Sup3rSecretPw");
    th_error_init(&err);
    CHECK(vt->open(host, ctx, &cfg, &inst, &err) == SLUICE_FATAL);
    CHECK(!strstr(err.detail, "Sup3rSecretPw"));

    /* the scrubber itself */
    sinkpg s = {.password = "hunter22"};
    char text[64] = "password \"hunter22\" is hunter22!";
    sp_scrub(&s, text);
    CHECK_STR(text, "password \"********\" is ********!");
}

/* ---- error_policy = record ---- */

static void *open_recording(const char *key, int64_t threshold)
{
    sinkpg_config cfg = config("dbname=" DB);
    cfg.checkpoint_key = key;
    cfg.error_policy = "record";
    cfg.error_threshold = threshold;
    void *inst = open_with(&cfg);
    sluice_position p;
    sluice_error err;
    th_error_init(&err);
    CHECK(vt->get_checkpoint(inst, &p, &err) == SLUICE_OK);
    return inst;
}

static const col rec_cols[] = {{"id", "bigint", SLUICE_TYPE_INT64, SLUICE_COLUMN_KEY},
                               {"v", "text", SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE},
                               {"n", "integer", SLUICE_TYPE_INT32, SLUICE_COLUMN_NULLABLE}};

/* An insert of (id, v, n) into app.rec; n "x" is a text the integer column refuses. */
static void insert3(sluice_batch *b, const sluice_table *t, int64_t id, const char *v,
                    const char *n)
{
    sluice_event *e = host->emit(b, SLUICE_OP_INSERT, t, 0);
    set_int(&e->new_row[0], id);
    if (v)
        host->set_text(b, &e->new_row[1], v, strlen(v));
    if (n)
        set_text(b, &e->new_row[2], n);
}

static void update3(sluice_batch *b, const sluice_table *t, int64_t id, const char *v,
                    const char *n)
{
    sluice_event *e = host->emit(b, SLUICE_OP_UPDATE, t, 1);
    set_int(&e->new_row[0], id);
    set_int(&e->old_row[0], id);
    if (v)
        set_text(b, &e->new_row[1], v);
    else
        e->new_row[1].kind = SLUICE_VALUE_UNCHANGED;
    set_text(b, &e->new_row[2], n);
}

static const char *rec_rows(void)
{
    return q("SELECT coalesce(string_agg(id || '=' || coalesce(v, '-') || '/' || "
             "coalesce(n::text, '-'), ',' ORDER BY id), '') FROM app.rec");
}

/* The recorded errors of a pipeline: "op id@txn sqlstate", in the order they were written. */
static const char *recorded(const char *key)
{
    static char sql[600];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(string_agg(operation || ' ' || coalesce(new_row->>'id', "
             "old_key->>'id') || '@' || coalesce(('x' || encode(position, 'hex'))::bit(64)::"
             "bigint::text, '-') || ' ' || sqlstate, ',' ORDER BY id), '') "
             "FROM sluice.sluice_errors WHERE pipeline = '%s'",
             key);
    return q(sql);
}

static void test_record_cdc(sluice_batch *b)
{
    run(db, "DROP TABLE IF EXISTS app.rec; CREATE TABLE app.rec (id bigint PRIMARY KEY, v text, "
            "n integer CONSTRAINT n_not_negative CHECK (n >= 0))");
    run(db, "CREATE FUNCTION app.rec_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.v = 'reject' THEN RAISE EXCEPTION 'rejected by a trigger'; END IF; "
            "IF NEW.v = 'deny' THEN RAISE EXCEPTION 'denied' USING ERRCODE = '42501'; END IF; "
            "RETURN NEW; END $$; CREATE TRIGGER rec_guard BEFORE INSERT OR UPDATE ON app.rec "
            "FOR EACH ROW EXECUTE FUNCTION app.rec_guard()");
    sluice_table *t = table("app", "rec", rec_cols, 3);
    void *inst = open_recording("record_test", 1000);
    CHECK_STR(q("SELECT to_regclass('sluice.sluice_errors') IS NOT NULL"), "t");
    sluice_error err;

    /* rejected rows in the middle; the rest of the transaction goes in */
    begin(b, 1);
    insert3(b, t, 1, "one", "1");
    insert3(b, t, 2, "two", "-2");   /* CHECK */
    insert3(b, t, 3, "three", "3");
    update3(b, t, 1, "ONE", "-1");   /* CHECK, on an update */
    update3(b, t, 3, "THREE", "33");
    insert3(b, t, 4, "four", "x");   /* not an integer */
    insert3(b, t, 5, "reject", "5"); /* a trigger's RAISE EXCEPTION */
    insert3(b, t, 6, "six", "6");
    commit(b, 1);
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 1);
    CHECK_STR(rec_rows(), "1=one/1,3=THREE/33,6=six/6");
    CHECK_STR(recorded("record_test"),
              "insert 2@1 23514,update 1@1 23514,insert 4@1 22P02,insert 5@1 P0001");
    CHECK_STR(q("SELECT table_schema, table_name, phase, source_xid, new_row::text, "
                "old_key::text, message FROM sluice.sluice_errors WHERE operation = 'update'"),
              "app|rec|cdc|1|{\"id\": 1, \"v\": \"ONE\", \"n\": \"-1\"}|{\"id\": 1}|new row "
              "for relation \"rec\" violates check constraint \"n_not_negative\"");
    CHECK_STR(q("SELECT detail FROM sluice.sluice_errors WHERE new_row->>'id' = '2'"),
              "Failing row contains (2, two, -2).");
    CHECK_STR(q("SELECT encode(position, 'hex') FROM sluice.sluice_checkpoint WHERE key = "
                "'record_test'"),
              "0000000000000001");
    CHECK(th_counter(ctx, "rows_rejected") == UINT64_MAX || th_counter(ctx, "rows_rejected") >= 4);

    /* a transaction spanning batches: its rejected row waits for the COMMIT's position */
    begin(b, 2);
    insert3(b, t, 10, "ten", "-10");
    insert3(b, t, 11, "eleven", "11");
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 0);
    insert3(b, t, 12, "twelve", "12");
    commit(b, 2);
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 2);
    CHECK_STR(q("SELECT operation || ' ' || (new_row->>'id') || '@' || encode(position, 'hex') "
                "FROM sluice.sluice_errors WHERE source_xid = 2"),
              "insert 10@0000000000000002");

    /* rows found rejected only after their COMMIT went by (the sync ends the batch), one
       transaction still open; a statement prepared after a rejected row, which the server
       skipped with it, is prepared again */
    begin(b, 3);
    insert3(b, t, 20, "twenty", "-20");
    update3(b, t, 11, NULL, "111"); /* v unchanged: a new statement */
    insert3(b, t, 21, "twenty-one", "-21");
    insert3(b, t, 22, "twenty-two", "22");
    sluice_event *e = host->emit(b, SLUICE_OP_DELETE, t, 0); /* not there: a warning */
    set_int(&e->old_row[0], 999);
    commit(b, 3);
    begin(b, 4);
    update3(b, t, 22, "x", "-22");
    commit(b, 4);
    begin(b, 5);
    insert3(b, t, 23, "twenty-three", "-23");
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 0); /* txn 5 is open: the group commits at its COMMIT */
    insert3(b, t, 24, "twenty-four", "24");
    commit(b, 5);
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 5);
    CHECK_STR(rec_rows(), "1=one/1,3=THREE/33,6=six/6,11=eleven/111,12=twelve/12,"
                          "22=twenty-two/22,24=twenty-four/24");
    CHECK_STR(q("SELECT string_agg(coalesce(new_row->>'id', '?') || '@' || source_xid || '/' || "
                "encode(position, 'hex'), ',' ORDER BY id) FROM sluice.sluice_errors WHERE "
                "source_xid >= 3"),
              "20@3/0000000000000003,21@3/0000000000000003,22@4/0000000000000004,"
              "23@5/0000000000000005");

    /* NUL bytes (refused before sending) and bytes that are not UTF-8 (refused by the server) */
    begin(b, 6);
    e = host->emit(b, SLUICE_OP_INSERT, t, 0);
    set_int(&e->new_row[0], 30);
    host->set_text(b, &e->new_row[1], "nul\0byte", 8);
    insert3(b, t, 31, "bad \xff utf8", "31");
    insert3(b, t, 32, "fine", "32");
    commit(b, 6);
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 6);
    CHECK_STR(q("SELECT string_agg((new_row->>'id') || ' ' || sqlstate || ' ' || (new_row->>'v'), "
                "',' ORDER BY id) FROM sluice.sluice_errors WHERE source_xid = 6"),
              "30 22021 nul\xef\xbf\xbd" "byte,31 22021 bad \xef\xbf\xbd utf8");
    CHECK_STR(q("SELECT message FROM sluice.sluice_errors WHERE new_row->>'id' = '30'"),
              "column \"v\" holds a NUL byte, which PostgreSQL text cannot store");
    CHECK_STR(q("SELECT count(*) FROM app.rec WHERE id IN (30, 31, 32)"), "1");

    /* errors that are not about the row's data still stop: the group is gone */
    begin(b, 7);
    insert3(b, t, 40, "forty", "-40");
    insert3(b, t, 41, "deny", "41");
    commit(b, 7);
    CHECK(apply(inst, b, &err) == SLUICE_FATAL);
    CHECK_CONTAINS(err.message, "could not apply an insert to table \"app.rec\": denied");
    CHECK_CONTAINS(err.detail, "SQLSTATE 42501");
    vt->close(inst);
    CHECK_STR(q("SELECT count(*) FROM sluice.sluice_errors WHERE source_xid = 7"), "0");
    CHECK_STR(q("SELECT encode(position, 'hex') FROM sluice.sluice_checkpoint WHERE key = "
                "'record_test'"),
              "0000000000000006");

    /* a restart resumes after txn 6: nothing is recorded twice */
    inst = open_recording("record_test", 1000);
    begin(b, 7);
    insert3(b, t, 40, "forty", "-40");
    commit(b, 7);
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 7);
    CHECK_STR(q("SELECT count(*), count(DISTINCT (operation, new_row::text, old_key::text, "
                "position)) FROM sluice.sluice_errors WHERE pipeline = 'record_test'"),
              "12|12");
    vt->close(inst);
}

/* Many rejected rows in one transaction: framed chunks, then windows again once one goes in. */
static void test_record_dense(void)
{
    run(db, "CREATE TABLE app.dense (id bigint PRIMARY KEY, v text, n integer CHECK (n >= 0))");
    sluice_table *t = table("app", "dense", rec_cols, 3);
    void *inst = open_recording("record_dense", 0);
    sluice_batch *b = th_batch_new(SLUICE_BATCH_CHANGES, 1024, 1 << 20);
    b->kind = SLUICE_BATCH_CHANGES;
    sluice_error err;
    begin(b, 1);
    sluice_event *e = host->emit(b, SLUICE_OP_DELETE, t, 0); /* found nothing, then rolled back */
    set_int(&e->old_row[0], 9999);
    for (int id = 1; id <= 300; id++) /* every third breaks the CHECK */
        insert3(b, t, id, "dense", id % 3 == 0 ? "-1" : "1");
    for (int id = 301; id <= 500; id++) /* a framed chunk goes in whole: windows again */
        insert3(b, t, id, "dense", "1");
    update3(b, t, 1, "last", "-5"); /* a window fails again */
    update3(b, t, 2, "last", "5");
    commit(b, 1);
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 1);
    CHECK_STR(q("SELECT count(*), sum(id), count(*) FILTER (WHERE v = 'last') FROM app.dense"),
              "400|110100|1");
    CHECK_STR(q("SELECT count(*), sum(coalesce((new_row->>'id')::int, 0)), "
                "count(DISTINCT coalesce(new_row->>'id', '-') || operation), "
                "min(encode(position, 'hex')), max(encode(position, 'hex')) "
                "FROM sluice.sluice_errors WHERE pipeline = 'record_dense'"),
              "101|15151|101|0000000000000001|0000000000000001");
    vt->close(inst);
    th_batch_free(b);
}

static void test_record_threshold(sluice_batch *b)
{
    sluice_table *t = table("app", "rec", rec_cols, 3);
    void *inst = open_recording("record_limit", 2);
    sluice_error err;
    begin(b, 1);
    insert3(b, t, 50, "fifty", "-50");
    commit(b, 1);
    CHECK(apply(inst, b, &err) == SLUICE_OK);
    CHECK(flush(inst) == 1);
    begin(b, 2);
    insert3(b, t, 51, "fifty-one", "-51");
    insert3(b, t, 52, "fifty-two", "52");
    insert3(b, t, 53, "fifty-three", "-53");
    commit(b, 2);
    CHECK(apply(inst, b, &err) == SLUICE_FATAL);
    CHECK_STR(err.message, "too many rejected rows for table \"app.rec\": error_threshold is 2");
    CHECK_CONTAINS(err.detail, "The table has 2 rejected rows in table \"sluice.sluice_errors\" "
                               "for pipeline \"record_limit\", counting those the failed "
                               "transaction would have added; one more, an insert in source "
                               "transaction 2, failed: new row for relation \"rec\" violates "
                               "check constraint");
    CHECK_CONTAINS(err.detail, "Nothing after the last checkpoint was committed.");
    CHECK_CONTAINS(err.hint, "raise error_threshold");
    vt->close(inst);
    CHECK_STR(recorded("record_limit"), "insert 50@1 23514");
    CHECK_STR(q("SELECT count(*) FROM app.rec WHERE id IN (51, 52)"), "0");
}

/* Snapshot rows id from..to with n = id; v is "nul<NUL>" for id 7, "deny" for id `deny`. */
static void load_rows(sluice_batch *b, const sluice_table *t, int64_t from, int64_t to,
                      int64_t deny)
{
    th_batch_reset(b);
    b->kind = SLUICE_BATCH_SNAPSHOT;
    b->table = t;
    for (int64_t id = from; id <= to; id++) {
        char n[24];
        snprintf(n, sizeof n, "%lld", (long long)id);
        insert3(b, t, id, id == deny ? "deny" : "row", n);
        if (id == 7)
            host->set_text(b, &sluice_batch_event(b, b->nevents - 1)->new_row[1], "nul\0", 4);
    }
}

static void test_record_load(void)
{
    sluice_table *t = table("app", "load", rec_cols, 3);
    sinkpg_config cfg = config("dbname=" DB);
    cfg.checkpoint_key = "record_load";
    cfg.error_policy = "record";
    void *inst = open_with(&cfg);
    sluice_error err;
    th_error_init(&err);
    CHECK(vt->prepare_table(inst, t, SLUICE_PREP_DROP_AND_CREATE, &err) == SLUICE_OK);
    run(db, "ALTER TABLE app.load ADD CONSTRAINT no_fives CHECK (n % 5 <> 0); CREATE TRIGGER "
            "load_guard BEFORE INSERT ON app.load FOR EACH ROW EXECUTE FUNCTION app.rec_guard()");
    sluice_batch *b = th_batch_new(SLUICE_BATCH_SNAPSHOT, 64, 1 << 16);
    load_rows(b, t, 1, 20, 0); /* 5, 10, 15, 20 break the CHECK; 7 has a NUL byte */
    CHECK(vt->write_rows(inst, b, &err) == SLUICE_OK);
    load_rows(b, t, 21, 24, 0); /* a batch the COPY takes as it is */
    CHECK(vt->write_rows(inst, b, &err) == SLUICE_OK);
    CHECK(vt->finish_table(inst, t, &err) == SLUICE_OK);
    CHECK_STR(q("SELECT count(*), sum(id) FROM app.load"), "19|243");
    CHECK_STR(q("SELECT string_agg((new_row->>'id') || ' ' || sqlstate || ' ' || phase || ' ' || "
                "coalesce(position::text, '-') || ' ' || coalesce(source_xid::text, '-'), ',' "
                "ORDER BY (new_row->>'id')::int) FROM sluice.sluice_errors WHERE pipeline = "
                "'record_load'"),
              "5 23514 full-load - -,7 22021 full-load - -,10 23514 full-load - -,"
              "15 23514 full-load - -,20 23514 full-load - -");

    /* past error_threshold the load stops, and the batch leaves nothing behind */
    vt->close(inst);
    cfg.error_threshold = 6;
    inst = open_with(&cfg);
    load_rows(b, t, 101, 120, 0);
    CHECK(vt->write_rows(inst, b, &err) == SLUICE_FATAL);
    CHECK_STR(err.message, "too many rejected rows for table \"app.load\": error_threshold is 6");
    CHECK_CONTAINS(err.detail, "The table has 6 rejected rows in table \"sluice.sluice_errors\"");
    CHECK_CONTAINS(err.detail, "one more, an insert, failed: new row for relation \"load\" "
                               "violates check constraint \"no_fives\". None of the rows of its "
                               "batch were committed.");
    CHECK_STR(q("SELECT count(*) FROM app.load WHERE id > 100"), "0");
    CHECK_STR(q("SELECT count(*) FROM sluice.sluice_errors WHERE pipeline = 'record_load'"), "5");

    /* an error that is not about the row's data fails the table, as with stop: in the
       COPY, and in the rows one by one after a COPY refused for a row's data */
    vt->close(inst);
    cfg.error_threshold = 1000;
    inst = open_with(&cfg);
    load_rows(b, t, 201, 202, 201);
    th_error_init(&err);
    CHECK(vt->write_rows(inst, b, &err) == SLUICE_ERROR);
    CHECK_STR(err.message, "could not copy rows into table \"app.load\": denied");
    CHECK_CONTAINS(err.detail, "SQLSTATE 42501");
    load_rows(b, t, 205, 206, 206);
    th_error_init(&err);
    CHECK(vt->write_rows(inst, b, &err) == SLUICE_ERROR);
    CHECK_STR(err.message, "could not apply an insert to table \"app.load\": denied");
    CHECK(!strstr(err.detail, "source transaction"));
    CHECK_STR(q("SELECT count(*) FROM app.load WHERE id > 200"), "0");
    CHECK_STR(q("SELECT count(*) FROM sluice.sluice_errors WHERE pipeline = 'record_load'"), "5");
    /* the instance goes on after a failed batch */
    load_rows(b, t, 207, 210, 0);
    th_error_init(&err);
    CHECK(vt->write_rows(inst, b, &err) == SLUICE_OK);
    CHECK_STR(q("SELECT string_agg(id::text, ',' ORDER BY id) FROM app.load WHERE id > 200"),
              "207,208,209");

    /* loading the table again removes its recorded errors with its rows */
    th_error_init(&err);
    CHECK(vt->prepare_table(inst, t, SLUICE_PREP_TRUNCATE, &err) == SLUICE_OK);
    CHECK_STR(q("SELECT count(*) FROM sluice.sluice_errors WHERE pipeline = 'record_load'"), "0");
    CHECK_STR(q("SELECT count(*) FROM sluice.sluice_errors WHERE pipeline = 'record_test'"), "12");
    vt->close(inst);
    th_batch_free(b);
}

int main(void)
{
    host = th_host();
    ctx = th_context_new("sink-pg");
    catalog = th_catalog_new();
    vt = sluice_plugin_init(host)->vtable;

    PGconn *admin = connect_to("postgres");
    run(admin, "DROP DATABASE IF EXISTS " DB);
    run(admin, "CREATE DATABASE " DB);
    db = connect_to(DB);
    run(db, "CREATE SCHEMA app");

    void *inst = open_sink("dbname=" DB);
    sluice_position p;
    sluice_error err;
    th_error_init(&err);
    CHECK(vt->get_checkpoint(inst, &p, &err) == SLUICE_OK && p.len == 0);

    test_identifiers_types_copy(inst);
    test_unknown_type(inst);

    sluice_table *t = table("app", "kv", kv_cols, 2);
    th_error_init(&err);
    CHECK(vt->prepare_table(inst, t, SLUICE_PREP_DROP_AND_CREATE, &err) == SLUICE_OK);
    sluice_batch *b = th_batch_new(SLUICE_BATCH_CHANGES, 256, 1 << 16);
    b->kind = SLUICE_BATCH_CHANGES;
    test_grouping(inst, t, b);
    test_changes(inst, t, b);
    const sluice_table *t3 = test_schema_change(inst, t, b);
    test_replica_identity(inst, b);
    test_failure(inst, t3, b);
    vt->close(inst);
    test_checkpoint_and_cleanup();
    test_secrets();
    test_record_cdc(b);
    test_record_dense();
    test_record_threshold(b);
    test_record_load();

    th_batch_free(b);
    th_catalog_free(catalog);
    th_context_free(ctx);
    PQfinish(db);
    run(admin, "DROP DATABASE " DB);
    PQfinish(admin);
    return unit_done();
}
