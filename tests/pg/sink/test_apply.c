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
    return (sinkpg_config){conninfo, NULL, "sluice.sluice_checkpoint", "apply_test", 0, 0, 5};
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

    th_batch_free(b);
    th_catalog_free(catalog);
    th_context_free(ctx);
    PQfinish(db);
    run(admin, "DROP DATABASE " DB);
    PQfinish(admin);
    return unit_done();
}
