/*
 * sink-pg's multi-row statements (plugins/sink-pg/batch.c) against a real
 * PostgreSQL. Every change the sink applies is also applied here, one plain
 * statement at a time, to a model copy of the table; the target must equal
 * the model row by row.
 *   - runs that mix operations and repeat keys in one group: insert, update,
 *     delete of the same key; a key change, then an insert of the old key
 *   - multi-row runs with NULLs, awkward text (quotes, backslashes, braces,
 *     commas, "NULL", empty), arrays, unchanged (TOAST) values left alone
 *   - tables with a foreign key between them: their order is kept
 *   - a random mix over a small key space, in batches of random sizes
 *   - error_policy = record: a bad row in the middle of a multi-row insert
 *     and update run is recorded, exactly that row; the rest go in
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

#define DB "sinktest_batch"

static const sluice_host *host;
static const sluice_sink_vtable *vt;
static PGconn *db; /* the test's connection: the model tables, and looking at the target */
static sluice_context *ctx;
static sluice_catalog *catalog;

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
            n += (size_t)snprintf(out + n, sizeof out - n, "%s%s%s",
                                  PQgetisnull(r, i, j) ? "\\N" : PQgetvalue(r, i, j),
                                  j + 1 < PQnfields(r) ? "|" : "",
                                  j + 1 == PQnfields(r) && i + 1 < PQntuples(r) ? "\n" : "");
    PQclear(r);
    return out;
}

/* Rows that differ between the target table and its model, both ways: "0" when equal. */
static const char *differ(const char *table)
{
    char sql[600];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM ((TABLE app.%s EXCEPT ALL TABLE model.%s) UNION ALL "
             "(TABLE model.%s EXCEPT ALL TABLE app.%s)) d",
             table, table, table, table);
    return q(sql);
}

/* ---- tables, events and their model statements ---- */

typedef struct col {
    const char *name, *source_type;
    sluice_type type;
    uint32_t flags;
} col;

static sluice_str str(const char *s) { return (sluice_str){s, strlen(s)}; }

static sluice_table *table(const char *name, const col *cols, uint32_t n)
{
    sluice_table *t = host->table_add(catalog, str("app"), str(name), n);
    for (uint32_t i = 0; i < n; i++)
        host->column_set(t, i, str(cols[i].name), str(cols[i].source_type), cols[i].type,
                         cols[i].flags);
    return t;
}

/* A value of a test row: NULL, UNCHANGED, or text (integers are written as text too). */
#define NUL_V ((const char *)0)
#define UNCH ((const char *)1)

static void set_value(sluice_batch *b, sluice_value *v, const char *s)
{
    if (s == NUL_V)
        v->kind = SLUICE_VALUE_NULL;
    else if (s == UNCH)
        v->kind = SLUICE_VALUE_UNCHANGED;
    else
        host->set_text(b, v, s, strlen(s));
}

static void lit(char *out, size_t size, const char *s)
{
    if (s == NUL_V) {
        snprintf(out, size, "NULL");
        return;
    }
    char *l = PQescapeLiteral(db, s, strlen(s));
    snprintf(out, size, "%s", l);
    PQfreemem(l);
}

static void begin(sluice_batch *b, uint64_t xid) { host->emit(b, SLUICE_OP_BEGIN, NULL, 0)->xid = xid; }

static void commit(sluice_batch *b, uint64_t xid)
{
    sluice_event *e = host->emit(b, SLUICE_OP_COMMIT, NULL, 0);
    e->xid = xid;
    e->position->len = 8;
    for (int i = 0; i < 8; i++)
        e->position->bytes[i] = (uint8_t)(xid >> (56 - 8 * i));
}

/* Tables of this test: column 0 is the bigint key "id", the others as named. */
typedef struct ttab {
    const char *name;
    const sluice_table *t;
    const char *cols[4];
    uint32_t n;
    int model; /* apply to model.<name> too */
} ttab;

static void ins(sluice_batch *b, const ttab *tb, long id, const char *const *v)
{
    sluice_event *e = host->emit(b, SLUICE_OP_INSERT, tb->t, 0);
    char val[300], sql[2000];
    int len = snprintf(sql, sizeof sql, "INSERT INTO model.%s VALUES (%ld", tb->name, id);
    e->new_row[0].kind = SLUICE_VALUE_INT;
    e->new_row[0].u.i = id;
    for (uint32_t i = 1; i < tb->n; i++) {
        set_value(b, &e->new_row[i], v[i - 1]);
        lit(val, sizeof val, v[i - 1]);
        len += snprintf(sql + len, sizeof sql - (size_t)len, ", %s", val);
    }
    snprintf(sql + len, sizeof sql - (size_t)len, ")");
    if (tb->model)
        run(db, sql);
}

/* An update of id (to new_id when it differs: a key change); UNCH leaves a column alone. */
static void upd(sluice_batch *b, const ttab *tb, long id, long new_id, const char *const *v)
{
    sluice_event *e = host->emit(b, SLUICE_OP_UPDATE, tb->t, 1);
    char val[300], sql[2000];
    int len = snprintf(sql, sizeof sql, "UPDATE model.%s SET id = %ld", tb->name, new_id);
    e->new_row[0].kind = SLUICE_VALUE_INT;
    e->new_row[0].u.i = new_id;
    if (new_id != id) { /* pgoutput sends the old key only when it changed */
        e->old_row[0].kind = SLUICE_VALUE_INT;
        e->old_row[0].u.i = id;
    }
    for (uint32_t i = 1; i < tb->n; i++) {
        set_value(b, &e->new_row[i], v[i - 1]);
        if (v[i - 1] == UNCH)
            continue;
        lit(val, sizeof val, v[i - 1]);
        len += snprintf(sql + len, sizeof sql - (size_t)len, ", %s = %s", tb->cols[i], val);
    }
    snprintf(sql + len, sizeof sql - (size_t)len, " WHERE id = %ld", id);
    if (tb->model)
        run(db, sql);
}

static void del(sluice_batch *b, const ttab *tb, long id)
{
    sluice_event *e = host->emit(b, SLUICE_OP_DELETE, tb->t, 0);
    e->old_row[0].kind = SLUICE_VALUE_INT;
    e->old_row[0].u.i = id;
    char sql[200];
    snprintf(sql, sizeof sql, "DELETE FROM model.%s WHERE id = %ld", tb->name, id);
    if (tb->model)
        run(db, sql);
}

/* ---- the sink ---- */

static void *open_sink(const char *key, const char *policy)
{
    sinkpg_config cfg = {"dbname=" DB, NULL, "sluice.sluice_checkpoint", key, 0, 0, 5,
                         policy, "sluice.sluice_errors", 1000};
    sluice_error err;
    th_error_init(&err);
    void *inst = NULL;
    if (vt->open(host, ctx, &cfg, &inst, &err) != SLUICE_OK) {
        fprintf(stderr, "open failed: %s (%s)\n", err.message, err.detail);
        exit(2);
    }
    sluice_position p;
    CHECK(vt->get_checkpoint(inst, &p, &err) == SLUICE_OK);
    return inst;
}

static sluice_status apply(void *inst, sluice_batch *b)
{
    sluice_error err;
    th_error_init(&err);
    sluice_status st = vt->apply(inst, b, &err);
    if (st != SLUICE_OK)
        fprintf(stderr, "apply failed: %s (%s)\n", err.message, err.detail);
    th_batch_reset(b);
    b->kind = SLUICE_BATCH_CHANGES;
    return st;
}

static int flush(void *inst)
{
    sluice_position p;
    sluice_error err;
    th_error_init(&err);
    memset(&p, 0, sizeof p);
    return vt->flush(inst, &p, &err) == SLUICE_OK;
}

/* Both copies of a table: the target (the sink writes it) and the model. */
static void create(const char *name, const char *columns)
{
    char sql[1000];
    snprintf(sql, sizeof sql, "CREATE TABLE app.%s (%s); CREATE TABLE model.%s (%s)", name,
             columns, name, columns);
    run(db, sql);
}

static void prepare(void *inst, const ttab *tb)
{
    sluice_error err;
    th_error_init(&err);
    CHECK(vt->prepare_table(inst, tb->t, SLUICE_PREP_DO_NOTHING, &err) == SLUICE_OK);
}

/* ---- the tests ---- */

static const col a_cols[] = {{"id", "bigint", SLUICE_TYPE_INT64, SLUICE_COLUMN_KEY},
                             {"v", "text", SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE},
                             {"w", "text", SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE},
                             {"n", "integer[]", SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE}};
static const col b_cols[] = {{"id", "bigint", SLUICE_TYPE_INT64, SLUICE_COLUMN_KEY},
                             {"v", "varchar(12)", SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE}};

static void test_mixed(void *inst, const ttab *a, const ttab *bt, sluice_batch *b)
{
    /* one group of several transactions; the same keys again and again */
    begin(b, 1);
    ins(b, a, 1, (const char *[]){"one", "w1", "{1,2}"});
    upd(b, a, 1, 1, (const char *[]){"one'", UNCH, NUL_V}); /* insert then update */
    del(b, a, 1);                                             /* then delete */
    ins(b, a, 1, (const char *[]){"again", NUL_V, "{}"});      /* and back */
    ins(b, a, 2, (const char *[]){"two", "w2", "{3}"});
    ins(b, bt, 2, (const char *[]){"b two"});
    commit(b, 1);
    begin(b, 2);
    upd(b, a, 2, 20, (const char *[]){"twenty", UNCH, UNCH}); /* a key change ... */
    ins(b, a, 2, (const char *[]){"two again", "w", NUL_V});   /* ... then the old key */
    upd(b, a, 20, 20, (const char *[]){"20", UNCH, "{7,8}"});
    upd(b, a, 2, 2, (const char *[]){"2", "w two", UNCH});
    upd(b, a, 2, 2, (const char *[]){"2 again", "w two again", UNCH}); /* a key twice in a run */
    upd(b, bt, 2, 2, (const char *[]){"b 2"});
    del(b, bt, 2);
    ins(b, bt, 2, (const char *[]){"b 2 again"});
    commit(b, 2);
    CHECK(apply(inst, b) == SLUICE_OK);
    CHECK(flush(inst));
    CHECK_STR(differ("ba"), "0");
    CHECK_STR(differ("bb"), "0");
    CHECK_STR(q("SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM app.ba"),
              "1=again,2=2 again,20=20");

    /* long runs with awkward values, NULLs and unchanged ones */
    static const char *awkward[] = {"", "NULL", "null", "a,b", "{x}", "\"q\"", "back\\slash",
                                    " sp ", "tab\there", "new\nline", "ünï", "'", "\\\"", "}{,"};
    const int na = (int)(sizeof awkward / sizeof *awkward);
    begin(b, 3);
    for (long i = 100; i < 400; i++)
        ins(b, a, i, (const char *[]){i % 7 == 0 ? NUL_V : awkward[i % na],
                                      i % 5 == 0 ? NUL_V : awkward[(i + 3) % na],
                                      i % 3 == 0 ? NUL_V : i % 3 == 1 ? "{1,NULL,3}" : "{}"});
    for (long i = 1000; i < 1300; i++)
        ins(b, bt, i, (const char *[]){awkward[i % na]});
    commit(b, 3);
    begin(b, 4);
    for (long i = 100; i < 400; i += 2) /* w unchanged (TOAST) on most, set on some */
        upd(b, a, i, i, (const char *[]){awkward[(i + 5) % na], i % 10 == 0 ? "set" : UNCH,
                                         i % 4 == 0 ? NUL_V : "{9}"});
    for (long i = 1000; i < 1300; i += 3)
        del(b, bt, i);
    for (long i = 101; i < 400; i += 4)
        del(b, a, i);
    commit(b, 4);
    CHECK(apply(inst, b) == SLUICE_OK);
    CHECK(flush(inst));
    CHECK_STR(differ("ba"), "0");
    CHECK_STR(differ("bb"), "0");
    CHECK_STR(q("SELECT count(*) FROM app.ba WHERE w = 'set'"), "30");
}

/* A parent and a child with a foreign key: their changes keep their order. */
static void test_foreign_key(void *inst, sluice_batch *b)
{
    static const col p_cols[] = {{"id", "bigint", SLUICE_TYPE_INT64, SLUICE_COLUMN_KEY},
                                 {"v", "text", SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE}};
    static const col c_cols[] = {{"id", "bigint", SLUICE_TYPE_INT64, SLUICE_COLUMN_KEY},
                                 {"p", "bigint", SLUICE_TYPE_INT64, 0}};
    create("fp", "id bigint PRIMARY KEY, v text");
    run(db, "CREATE TABLE app.fc (id bigint PRIMARY KEY, p bigint NOT NULL REFERENCES app.fp);"
            "CREATE TABLE model.fc (id bigint PRIMARY KEY, p bigint NOT NULL)");
    ttab p = {"fp", table("fp", p_cols, 2), {"id", "v"}, 2, 1};
    ttab c = {"fc", table("fc", c_cols, 2), {"id", "p"}, 2, 1};
    prepare(inst, &p);
    prepare(inst, &c);
    begin(b, 10);
    for (long i = 1; i <= 50; i++) {
        char pid[24];
        snprintf(pid, sizeof pid, "%ld", i);
        ins(b, &p, i, (const char *[]){"parent"});
        ins(b, &c, i, (const char *[]){pid});
    }
    commit(b, 10);
    begin(b, 11);
    for (long i = 1; i <= 50; i += 2) { /* children go before their parents */
        del(b, &c, i);
        del(b, &p, i);
    }
    commit(b, 11);
    CHECK(apply(inst, b) == SLUICE_OK);
    CHECK(flush(inst));
    CHECK_STR(differ("fp"), "0");
    CHECK_STR(differ("fc"), "0");
}

/* Random changes over a few keys of two tables, in batches of random sizes. */
static void test_random(void *inst, const ttab *a, const ttab *bt, sluice_batch *b)
{
    static const char *vals[] = {"x", "y", "", "NULL", "q\"uote", "b\\s", "{1}", "ü,"};
    static const char *arrs[] = {"{1}", "{2,3}", "{}", "{NULL}"};
    enum { KEYS = 16 };
    int present[2][KEYS + 1] = {{0}};
    for (int k = 0; k < KEYS; k++) /* what test_mixed left in the key space: start clean */
        for (int t = 0; t < 2; t++) {
            char sql[200];
            snprintf(sql, sizeof sql, "SELECT count(*) FROM app.%s WHERE id = %d",
                     t ? "bb" : "ba", 5000 + k);
            present[t][k] = strcmp(q(sql), "1") == 0;
        }
    srand(7);
    uint64_t xid = 100;
    int events = 0, limit = 1 + rand() % 60;
    for (int txn = 0; txn < 600; txn++) {
        begin(b, ++xid);
        int ops = 1 + rand() % 6;
        for (int o = 0; o < ops; o++) {
            int t = rand() % 3 == 0; /* mostly ba */
            const ttab *tb = t ? bt : a;
            int k = rand() % KEYS;
            long id = 5000 + k;
            const char *v = vals[rand() % 8];
            if (!present[t][k]) {
                if (t)
                    ins(b, tb, id, (const char *[]){v});
                else
                    ins(b, tb, id, (const char *[]){v, vals[rand() % 8], arrs[rand() % 4]});
                present[t][k] = 1;
            } else if (rand() % 4 == 0) {
                del(b, tb, id);
                present[t][k] = 0;
            } else {
                int k2 = rand() % KEYS; /* a key change when that key is free */
                if (rand() % 5 || present[t][k2])
                    k2 = k;
                if (t)
                    upd(b, tb, id, 5000 + k2, (const char *[]){v});
                else
                    upd(b, tb, id, 5000 + k2,
                        (const char *[]){v, rand() % 2 ? UNCH : vals[rand() % 8],
                                         rand() % 3 ? UNCH : arrs[rand() % 4]});
                present[t][k] = 0;
                present[t][k2] = 1;
            }
            events++;
        }
        commit(b, xid);
        if (++events >= limit) {
            CHECK(apply(inst, b) == SLUICE_OK);
            events = 0;
            limit = 1 + rand() % 60;
            if (rand() % 4 == 0)
                CHECK(flush(inst));
        }
    }
    CHECK(apply(inst, b) == SLUICE_OK);
    CHECK(flush(inst));
    CHECK_STR(differ("ba"), "0");
    CHECK_STR(differ("bb"), "0");
}

/* error_policy = record: one bad row in a multi-row run is recorded, the rest go in. */
static void test_record(sluice_batch *b)
{
    static const col r_cols[] = {{"id", "bigint", SLUICE_TYPE_INT64, SLUICE_COLUMN_KEY},
                                 {"v", "text", SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE},
                                 {"n", "integer", SLUICE_TYPE_INT32, SLUICE_COLUMN_NULLABLE}};
    create("br", "id bigint PRIMARY KEY, v text, n integer CHECK (n >= 0)");
    void *inst = open_sink("batch_record", "record");
    ttab r = {"br", table("br", r_cols, 3), {"id", "v", "n"}, 3, 0};
    ttab m = r; /* the model gets only the rows the target accepts */
    m.model = 1;
    prepare(inst, &r);
    begin(b, 1);
    for (long i = 1; i <= 40; i++) {
        char n[24];
        snprintf(n, sizeof n, "%ld", i);
        if (i == 17)
            ins(b, &r, i, (const char *[]){"bad", "-17"}); /* CHECK */
        else if (i == 30)
            ins(b, &r, i, (const char *[]){"bad", "x"});   /* not an integer: the cast */
        else
            ins(b, &m, i, (const char *[]){NUL_V, n});
    }
    commit(b, 1);
    begin(b, 2);
    for (long i = 1; i <= 40; i++) {
        if (i == 17 || i == 30)
            continue;
        char n[24];
        snprintf(n, sizeof n, "%ld", i * 10);
        if (i == 21)
            upd(b, &r, i, i, (const char *[]){UNCH, "-1"}); /* CHECK, on an update */
        else
            upd(b, &m, i, i, (const char *[]){UNCH, n});
    }
    commit(b, 2);
    CHECK(apply(inst, b) == SLUICE_OK);
    CHECK(flush(inst));
    CHECK_STR(differ("br"), "0");
    CHECK_STR(q("SELECT string_agg(operation || ' ' || (new_row->>'id') || '@' || source_xid || "
                "' ' || sqlstate, ',' ORDER BY id) FROM sluice.sluice_errors "
                "WHERE pipeline = 'batch_record'"),
              "insert 17@1 23514,insert 30@1 22P02,update 21@2 23514");
    vt->close(inst);
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
    run(db, "CREATE SCHEMA app; CREATE SCHEMA model");
    create("ba", "id bigint PRIMARY KEY, v text, w text, n integer[]");
    create("bb", "id bigint PRIMARY KEY, v varchar(12)");

    void *inst = open_sink("batch_test", "stop");
    ttab a = {"ba", table("ba", a_cols, 4), {"id", "v", "w", "n"}, 4, 1};
    ttab bt = {"bb", table("bb", b_cols, 2), {"id", "v"}, 2, 1};
    prepare(inst, &a);
    prepare(inst, &bt);
    sluice_batch *b = th_batch_new(SLUICE_BATCH_CHANGES, 4096, 1 << 20);
    b->kind = SLUICE_BATCH_CHANGES;
    test_mixed(inst, &a, &bt, b);
    test_foreign_key(inst, b);
    test_random(inst, &a, &bt, b);
    vt->close(inst);
    test_record(b);

    th_batch_free(b);
    th_catalog_free(catalog);
    th_context_free(ctx);
    PQfinish(db);
    run(admin, "DROP DATABASE " DB);
    PQfinish(admin);
    return unit_done();
}
