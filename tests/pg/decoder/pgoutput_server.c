/*
 * The pgoutput decoder against a real PostgreSQL 15 (the pg test fixture's
 * throwaway server; PGHOST/PGPORT/PGUSER come from the environment).
 *
 * Creates database dec_test, a publication FOR ALL TABLES and a pgoutput
 * slot, runs a workload that produces every message type (including 'u'
 * unchanged TOAST, TRUNCATE, logical messages, and streamed, aborted and
 * subtransaction-aborted big transactions), then:
 *   1. peeks the raw bytes with proto 2 + streaming and decodes every message,
 *   2. peeks again with proto 1,
 *   3. streams the same slot over a replication connection (CopyBoth: 'w', 'k',
 *      and our 'r' status update, whose flush LSN must show up in the slot).
 * Each decoded message is rendered as one line ("U t_toast N[t'1' u t'2']");
 * the checks look for lines and count them. The slot and the database are
 * dropped at the end, also after a failure (and at the start, after a crash).
 */
#include "pgoutput.h"
#include "unit.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/select.h>
#include <time.h>

#define DB "dec_test"
#define SLOT "dec_slot"
#define PUB "dec_pub"
#define BIG_ROWS 5000

/* ---- connections and SQL ---- */

static PGconn *connect_to(const char *dbname, const char *options, bool replication)
{
    const char *keys[] = {"dbname", "options", "replication", NULL};
    const char *vals[] = {dbname, options, replication ? "database" : NULL, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 0);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "could not connect to database \"%s\": %s", dbname, PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

static bool sql(PGconn *c, const char *q)
{
    PGresult *r = PQexec(c, q);
    ExecStatusType st = PQresultStatus(r);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "query failed: %s\n  %s", q, PQresultErrorMessage(r));
    PQclear(r);
    CHECK(ok);
    return ok;
}

/* The first value of a one-row query, copied into out; "" on failure. */
static void sql_value(PGconn *c, const char *q, char *out, size_t cap)
{
    PGresult *r = PQexec(c, q);
    out[0] = '\0';
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
    else
        fprintf(stderr, "query failed: %s\n  %s", q, PQresultErrorMessage(r));
    PQclear(r);
}

/* Drop the slot (it pins the database) and the database; quiet when absent. */
static void drop_everything(void)
{
    PGconn *c = connect_to("postgres", NULL, false);
    if (!c)
        return;
    PQclear(PQexec(c, "SET client_min_messages = warning")); /* no "does not exist" notices */
    PQclear(PQexec(c, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                      "WHERE slot_name = '" SLOT "'"));
    PQclear(PQexec(c, "DROP DATABASE IF EXISTS " DB " WITH (FORCE)"));
    PQfinish(c);
}

/* ---- the workload ---- */

static const char *const schema_sql[] = {
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
    "CREATE TABLE t_basic (id int PRIMARY KEY, name text, amount numeric(10,2), flag bool)",
    "CREATE TABLE t_full (id int, payload text)",
    "ALTER TABLE t_full REPLICA IDENTITY FULL",
    "CREATE TABLE t_toast (id int PRIMARY KEY, big text, other int)",
    /* EXTERNAL: out of line and uncompressed, so an untouched value comes as 'u' */
    "ALTER TABLE t_toast ALTER COLUMN big SET STORAGE EXTERNAL",
    "CREATE TABLE t_enum (id int PRIMARY KEY, m mood)",
    "CREATE TABLE t_tr1 (id serial PRIMARY KEY, v text)",
    "CREATE TABLE t_tr2 (id serial PRIMARY KEY, v text)",
    "CREATE TABLE t_big (id int PRIMARY KEY, pad text)",
    "CREATE PUBLICATION " PUB " FOR ALL TABLES",
    "SELECT pg_create_logical_replication_slot('" SLOT "', 'pgoutput')",
};

static const char *const workload_sql[] = {
    "INSERT INTO t_basic VALUES (1, 'one', 12.34, true), (2, NULL, NULL, false)",
    "UPDATE t_basic SET name = 'uno' WHERE id = 1",
    "UPDATE t_basic SET id = 10 WHERE id = 2", /* key change: old key 'K' */
    "DELETE FROM t_basic WHERE id = 10",
    "INSERT INTO t_full VALUES (1, 'a')",
    "UPDATE t_full SET payload = 'b' WHERE id = 1",
    "DELETE FROM t_full WHERE id = 1",
    "INSERT INTO t_toast SELECT 1, string_agg(md5(i::text), ''), 1 FROM generate_series(1, 3000) i",
    "UPDATE t_toast SET other = 2 WHERE id = 1", /* big stays: 'u' */
    "INSERT INTO t_enum VALUES (1, 'happy')",
    "INSERT INTO t_tr1 (v) VALUES ('x')",
    "INSERT INTO t_tr2 (v) VALUES ('y')",
    "TRUNCATE t_tr1, t_tr2 RESTART IDENTITY CASCADE",
    "SELECT pg_logical_emit_message(true, 'dec', 'hello tx')",
    "SELECT pg_logical_emit_message(false, 'dec', 'hello nontx')",
    /* big enough to stream with logical_decoding_work_mem = 64kB */
    "INSERT INTO t_big SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g",
    "BEGIN; INSERT INTO t_big SELECT g, repeat('y', 200) FROM generate_series(10001, 15000) g; "
    "ROLLBACK",
    "BEGIN; INSERT INTO t_big SELECT g, repeat('z', 200) FROM generate_series(20001, 23000) g; "
    "SAVEPOINT s1; "
    "INSERT INTO t_big SELECT g, repeat('w', 200) FROM generate_series(30001, 33000) g; "
    "ROLLBACK TO s1; INSERT INTO t_big VALUES (40000, 'after'); COMMIT",
    "SELECT pg_logical_emit_message(true, 'dec', 'END')",
};

static bool run_all(PGconn *c, const char *const *qs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!sql(c, qs[i]))
            return false;
    return true;
}

/* ---- relation map: names for relids, and the column-count check ---- */

typedef struct rel {
    uint32_t relid;
    int ncols;
    char name[64];
} rel;

typedef struct relmap {
    rel r[64];
    int n;
} relmap;

static rel *rel_find(relmap *m, uint32_t relid)
{
    for (int i = 0; i < m->n; i++)
        if (m->r[i].relid == relid)
            return &m->r[i];
    return NULL;
}

static void rel_put(relmap *m, const pgo_relation *r)
{
    rel *e = rel_find(m, r->relid);
    if (!e && m->n < 64)
        e = &m->r[m->n++];
    if (!e)
        return;
    e->relid = r->relid;
    e->ncols = r->ncols;
    snprintf(e->name, sizeof e->name, "%.*s", (int)r->relname.len, r->relname.ptr);
}

static int rel_ncols(void *ctx, uint32_t relid)
{
    rel *e = rel_find(ctx, relid);
    return e ? e->ncols : -1;
}

static const char *rel_name(relmap *m, uint32_t relid)
{
    rel *e = rel_find(m, relid);
    return e ? e->name : "?";
}

/* ---- rendering one message as a line ---- */

typedef struct line {
    char s[512];
    size_t n;
} line;

__attribute__((format(printf, 2, 3)))
static void add(line *l, const char *fmt, ...)
{
    if (l->n >= sizeof l->s - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(l->s + l->n, sizeof l->s - l->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        l->n = l->n + (size_t)k < sizeof l->s ? l->n + (size_t)k : sizeof l->s - 1;
}

static void add_tuple(line *l, char tag, const pgo_tuple *t)
{
    pgo_tuple_iter it;
    pgo_value v;
    add(l, " %c[", tag);
    pgo_tuple_iter_init(&it, t);
    for (int i = 0; pgo_tuple_next(&it, &v); i++) {
        const char *sep = i ? " " : "";
        if (v.kind == PGO_VALUE_TEXT && v.len <= 40)
            add(l, "%st'%.*s'", sep, (int)v.len, v.data);
        else if (v.kind == PGO_VALUE_TEXT || v.kind == PGO_VALUE_BINARY)
            add(l, "%s%c(%u)", sep, v.kind, (unsigned)v.len);
        else
            add(l, "%s%c", sep, v.kind);
    }
    add(l, "]");
}

static void add_relation(line *l, const pgo_relation *r)
{
    pgo_relcol_iter it;
    pgo_relcol c;
    add(l, "R %s.%s ident=%c cols=[", r->nspname.ptr, r->relname.ptr, r->replident);
    pgo_relcol_iter_init(&it, r);
    for (int i = 0; pgo_relcol_next(&it, &c); i++)
        add(l, "%s%s:%u%s", i ? " " : "", c.name.ptr, (unsigned)c.type_oid,
            c.flags & PGO_RELCOL_KEY ? ":key" : "");
    add(l, "]");
}

static void render(line *l, const pgo_msg *m, relmap *rels, bool in_txn)
{
    l->n = 0;
    l->s[0] = '\0';
    if (m->streamed)
        add(l, "s ");
    switch (m->type) {
    case PGO_MSG_RELATION: add_relation(l, &m->u.relation); break;
    case PGO_MSG_TYPE: add(l, "Y %s.%s", m->u.type.nspname.ptr, m->u.type.typname.ptr); break;
    case PGO_MSG_INSERT:
    case PGO_MSG_UPDATE:
    case PGO_MSG_DELETE:
        add(l, "%c %s", m->type, rel_name(rels, m->u.change.relid));
        if (m->u.change.old_kind)
            add_tuple(l, m->u.change.old_kind, &m->u.change.oldtup);
        if (m->u.change.has_new)
            add_tuple(l, 'N', &m->u.change.newtup);
        break;
    case PGO_MSG_TRUNCATE:
        add(l, "T opts=%u [", (unsigned)m->u.truncate.options);
        for (uint32_t i = 0; i < m->u.truncate.nrels; i++)
            add(l, "%s%s", i ? " " : "", rel_name(rels, pgo_truncate_relid(&m->u.truncate, i)));
        add(l, "]");
        break;
    case PGO_MSG_MESSAGE:
        add(l, "M flags=%u %s prefix=%s content='%.*s'", (unsigned)m->u.message.flags,
            in_txn ? "in-txn" : "no-txn", m->u.message.prefix.ptr,
            (int)m->u.message.content.len, m->u.message.content.ptr);
        break;
    case PGO_MSG_STREAM_START: add(l, "S first=%d", m->u.stream_start.first_segment); break;
    case PGO_MSG_STREAM_ABORT:
        add(l, "A %s", m->xid == m->u.stream_abort.subxid ? "whole" : "subxact");
        break;
    default: add(l, "%c", m->type); break;
    }
}

/* ---- decoding a whole session and checking what came out ---- */

typedef struct xidstat {
    uint32_t xid;
    int segments, firsts, big_inserts;
    bool committed, aborted;
} xidstat;

typedef struct session {
    pgo_decoder dec;
    relmap rels;
    char **lines;
    size_t nlines, cap;
    int count[256];       /* messages by type byte */
    bool in_txn;          /* between B and C */
    bool ended;           /* saw the END message's commit */
    bool saw_end;
    uint64_t last_end_lsn; /* end_lsn of the last C or c */
    int errors;
    xidstat xs[64];
    int nxs;
    int big_plain;        /* t_big inserts outside streams */
    int stream_msgs_without_xid;
} session;

static xidstat *xs_get(session *s, uint32_t xid)
{
    for (int i = 0; i < s->nxs; i++)
        if (s->xs[i].xid == xid)
            return &s->xs[i];
    if (s->nxs == 64)
        return &s->xs[63];
    s->xs[s->nxs].xid = xid;
    return &s->xs[s->nxs++];
}

static void session_init(session *s, int proto)
{
    memset(s, 0, sizeof *s);
    pgo_decoder_init(&s->dec, proto);
    s->dec.ncols_fn = rel_ncols;
    s->dec.ncols_ctx = &s->rels;
}

static void session_free(session *s)
{
    for (size_t i = 0; i < s->nlines; i++)
        free(s->lines[i]);
    free(s->lines);
}

static void keep_line(session *s, const char *text)
{
    if (s->nlines == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->lines = realloc(s->lines, s->cap * sizeof *s->lines);
    }
    s->lines[s->nlines++] = strdup(text);
}

/* Track transaction and stream bookkeeping for one decoded message. */
static void account(session *s, const pgo_msg *m)
{
    s->count[(uint8_t)m->type]++;
    if (s->dec.in_stream && m->type != PGO_MSG_STREAM_START && m->type != PGO_MSG_ORIGIN &&
        m->type != PGO_MSG_STREAM_STOP && !m->streamed)
        s->stream_msgs_without_xid++;
    switch (m->type) {
    case PGO_MSG_BEGIN: s->in_txn = true; break;
    case PGO_MSG_COMMIT:
        s->in_txn = false;
        s->last_end_lsn = m->u.commit.end_lsn;
        s->ended |= s->saw_end;
        break;
    case PGO_MSG_STREAM_START: {
        xidstat *x = xs_get(s, m->xid);
        x->segments++;
        x->firsts += m->u.stream_start.first_segment;
        if (m->u.stream_start.first_segment && x->segments != 1)
            s->errors++; /* first_segment only on the first chunk */
        break;
    }
    case PGO_MSG_STREAM_COMMIT:
        xs_get(s, m->xid)->committed = true;
        s->last_end_lsn = m->u.commit.end_lsn;
        break;
    case PGO_MSG_STREAM_ABORT:
        if (m->xid == m->u.stream_abort.subxid)
            xs_get(s, m->xid)->aborted = true;
        break;
    case PGO_MSG_INSERT:
        if (strcmp(rel_name(&s->rels, m->u.change.relid), "t_big") != 0)
            break;
        if (m->streamed)
            xs_get(s, s->dec.stream_xid)->big_inserts++;
        else
            s->big_plain++;
        break;
    case PGO_MSG_MESSAGE:
        if (m->u.message.content.len == 3 && memcmp(m->u.message.content.ptr, "END", 3) == 0)
            s->saw_end = true;
        break;
    }
}

/* Decode one pgoutput message (an exact-size copy, so ASan sees overreads). */
static bool session_feed(session *s, const char *data, size_t len)
{
    pgo_msg m;
    pgo_error e;
    line l;
    char *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    pgo_status st = pgo_decode(&s->dec, copy, len, &m, &e);
    if (st != PGO_OK) {
        fprintf(stderr, "decode failed on a real message: %s\n", e.msg);
        s->errors++;
        free(copy);
        return false;
    }
    if (m.type == PGO_MSG_RELATION)
        rel_put(&s->rels, &m.u.relation);
    bool was_in_txn = s->in_txn;
    render(&l, &m, &s->rels, was_in_txn || s->dec.in_stream);
    account(s, &m);
    keep_line(s, l.s);
    free(copy);
    return true;
}

/* Lines equal to text, streamed ("s " + text) or not: whether a transaction
 * streams depends on its size (the 96 kB TOAST insert does, with 64kB). */
static size_t count_lines(const session *s, const char *text)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nlines; i++) {
        const char *l = s->lines[i];
        n += strcmp(l, text) == 0 || (strncmp(l, "s ", 2) == 0 && strcmp(l + 2, text) == 0);
    }
    return n;
}

static void expect_line(const session *s, const char *text)
{
    size_t n = count_lines(s, text);
    CHECK(n >= 1);
    if (!n)
        fprintf(stderr, "  missing line: %s\n", text);
}

/* Print the lines, skipping the thousands of t_big inserts, to debug a failure. */
static void dump(const session *s, const char *title)
{
    fprintf(stderr, "---- %s: %zu messages ----\n", title, s->nlines);
    for (size_t i = 0; i < s->nlines; i++)
        if (!strstr(s->lines[i], " t_big "))
            fprintf(stderr, "%s\n", s->lines[i]);
}

/* Lines both protocols must produce, in text form. */
static void check_common(const session *s)
{
    static const char *const want[] = {
        "R public.t_basic ident=d cols=[id:23:key name:25 amount:1700 flag:16]",
        "I t_basic N[t'1' t'one' t'12.34' t't']",
        "I t_basic N[t'2' n n t'f']",
        "U t_basic N[t'1' t'uno' t'12.34' t't']",
        "U t_basic K[t'2' n n n] N[t'10' n n t'f']",
        "D t_basic K[t'10' n n n]",
        "R public.t_full ident=f cols=[id:23:key payload:25:key]",
        "I t_full N[t'1' t'a']",
        "U t_full O[t'1' t'a'] N[t'1' t'b']",
        "D t_full O[t'1' t'b']",
        "I t_toast N[t'1' t(96000) t'1']",
        "U t_toast N[t'1' u t'2']", /* unchanged TOAST: 'u', not NULL */
        "Y public.mood",
        "I t_enum N[t'1' t'happy']",
        "T opts=3 [t_tr1 t_tr2]",
        "M flags=1 in-txn prefix=dec content='hello tx'",
        "M flags=0 no-txn prefix=dec content='hello nontx'",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        expect_line(s, want[i]);
    CHECK(s->errors == 0);
    CHECK(s->ended);
    CHECK(!s->dec.in_stream);
}

/* The enum column's type OID in RELATION must be the TYPE message's OID. */
static void check_enum_oid(const session *s, PGconn *c)
{
    char oid[32], want[96];
    sql_value(c, "SELECT 'mood'::regtype::oid", oid, sizeof oid);
    snprintf(want, sizeof want, "R public.t_enum ident=d cols=[id:23:key m:%s]", oid);
    expect_line(s, want);
}

/* TRUNCATE names come from relids; check the relids are the real OIDs too. */
static void check_truncate_oids(const session *s, PGconn *c)
{
    char o1[32], o2[32];
    sql_value(c, "SELECT 't_tr1'::regclass::oid", o1, sizeof o1);
    sql_value(c, "SELECT 't_tr2'::regclass::oid", o2, sizeof o2);
    rel *r1 = rel_find((relmap *)&s->rels, (uint32_t)strtoul(o1, NULL, 10));
    rel *r2 = rel_find((relmap *)&s->rels, (uint32_t)strtoul(o2, NULL, 10));
    CHECK(r1 && strcmp(r1->name, "t_tr1") == 0);
    CHECK(r2 && strcmp(r2->name, "t_tr2") == 0);
}

static void check_proto2(const session *s)
{
    int committed_big = 0, whole_aborts = 0, multi_segment = 0;
    for (int i = 0; i < s->nxs; i++) {
        const xidstat *x = &s->xs[i];
        CHECK(x->firsts == 1);
        multi_segment += x->segments > 1;
        if (x->committed && x->big_inserts == BIG_ROWS)
            committed_big++;
        if (x->aborted && !x->committed && x->big_inserts > 0)
            whole_aborts++;
    }
    printf("proto 2: %zu messages, %d stream blocks over %d xids, %d 'c', %d 'A'\n", s->nlines,
           s->count['S'], s->nxs, s->count['c'], s->count['A']);
    CHECK(s->count['S'] >= 3 && s->count['S'] == s->count['E']);
    CHECK(multi_segment >= 2);
    CHECK(committed_big == 1);          /* the 5000-row insert, streamed then committed */
    CHECK(whole_aborts == 1);           /* the rolled-back one: STREAM ABORT xid = subxid */
    CHECK(count_lines(s, "A subxact") == 1); /* ROLLBACK TO SAVEPOINT inside a stream */
    CHECK(s->count['c'] == 3); /* the 5000 rows, the savepoint txn, the 96 kB TOAST insert */
    CHECK(s->stream_msgs_without_xid == 0);
    CHECK(count_lines(s, "S first=1") == (size_t)s->nxs);
    CHECK(s->big_plain == 0);           /* every t_big row came inside a stream */
}

static void check_proto1(const session *s)
{
    printf("proto 1: %zu messages, %d BEGIN, %d COMMIT\n", s->nlines, s->count['B'],
           s->count['C']);
    CHECK(s->count['S'] + s->count['E'] + s->count['c'] + s->count['A'] == 0);
    /* committed rows only: 5000 + 3000 + 1 (the rolled-back savepoint's rows are gone) */
    CHECK(s->big_plain == BIG_ROWS + 3001);
    CHECK(s->count['B'] == s->count['C']);
    expect_line(s, "I t_big N[t'40000' t'after']");
    CHECK(count_lines(s, "I t_big N[t'10001' t(200)]") == 0);
    CHECK(count_lines(s, "I t_big N[t'30001' t(200)]") == 0);
}

/* pg_logical_slot_peek_binary_changes: one row per pgoutput message. */
static bool peek(PGconn *c, session *s, const char *options)
{
    char q[512];
    snprintf(q, sizeof q,
             "SELECT data FROM pg_logical_slot_peek_binary_changes('" SLOT "', NULL, NULL, %s)",
             options);
    PGresult *r = PQexecParams(c, q, 0, NULL, NULL, NULL, NULL, 1 /* binary bytea */);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "peek failed: %s", PQresultErrorMessage(r));
    for (int i = 0; ok && i < PQntuples(r); i++)
        session_feed(s, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0));
    PQclear(r);
    CHECK(ok);
    return ok;
}

/* ---- the replication connection: the CopyBoth envelope for real ---- */

static int64_t now_pg_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return pgo_time_from_unix_us((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

static bool send_status(PGconn *c, uint64_t lsn, bool reply)
{
    char buf[PGO_STANDBY_STATUS_LEN];
    size_t n = pgo_encode_standby_status(buf, sizeof buf, lsn, lsn, lsn, now_pg_us(), reply);
    return n == sizeof buf && PQputCopyData(c, buf, (int)n) == 1 && PQflush(c) == 0;
}

typedef struct walstats {
    int xlogdata, keepalives, zero_headers;
    bool keepalive_after_reply;
} walstats;

/* Wait for one CopyData; NULL on timeout or end of stream. */
static char *next_copy(PGconn *c, time_t deadline, int *len)
{
    char *buf = NULL;
    while (time(NULL) < deadline) {
        *len = PQgetCopyData(c, &buf, 1);
        if (*len > 0)
            return buf;
        if (*len < 0) {
            fprintf(stderr, "replication stream ended: %s", PQerrorMessage(c));
            return NULL;
        }
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(PQsocket(c), &fds);
        struct timeval tv = {1, 0};
        select(PQsocket(c) + 1, &fds, NULL, NULL, &tv);
        if (!PQconsumeInput(c))
            return NULL;
    }
    fprintf(stderr, "timed out waiting for the replication stream\n");
    return NULL;
}

/* Feed one CopyData through the envelope parser; returns false on error. */
static bool handle_copy(session *s, walstats *w, const char *buf, int len, bool *got_keepalive)
{
    pgo_copy_msg cm;
    pgo_error e;
    if (pgo_parse_copy(buf, (size_t)len, &cm, &e) != PGO_OK) {
        fprintf(stderr, "bad CopyData: %s\n", e.msg);
        return false;
    }
    if (cm.kind == PGO_COPY_KEEPALIVE) {
        w->keepalives++;
        *got_keepalive = true;
        return cm.wal_end > 0 && cm.send_time > 0;
    }
    w->xlogdata++;
    w->zero_headers += cm.wal_start == 0;
    return session_feed(s, (const char *)cm.data, cm.len);
}

static void stream_slot(session *s, walstats *w)
{
    PGconn *c = connect_to(DB, "-c logical_decoding_work_mem=64kB", true);
    CHECK(c != NULL);
    if (!c)
        return;
    PGresult *r = PQexec(c, "START_REPLICATION SLOT " SLOT " LOGICAL 0/0 (proto_version '2', "
                            "publication_names '" PUB "', streaming 'on', messages 'true')");
    CHECK(PQresultStatus(r) == PGRES_COPY_BOTH);
    PQclear(r);
    time_t deadline = time(NULL) + 120;
    bool got_k = false, ok = true;
    while (ok && !s->ended) {
        int len;
        char *buf = next_copy(c, deadline, &len);
        ok = buf && handle_copy(s, w, buf, len, &got_k);
        PQfreemem(buf);
    }
    CHECK(ok && s->ended);
    /* confirm everything, and ask for a reply: the server answers with a keepalive */
    CHECK(send_status(c, s->last_end_lsn, true));
    got_k = false;
    while (ok && !got_k) {
        int len;
        char *buf = next_copy(c, time(NULL) + 30, &len);
        ok = buf && handle_copy(s, w, buf, len, &got_k);
        PQfreemem(buf);
    }
    w->keepalive_after_reply = got_k;
    PQfinish(c);
}

/* The slot's confirmed_flush_lsn, parsed with pgo_lsn_parse. */
static uint64_t confirmed_flush(PGconn *c)
{
    char text[64];
    uint64_t v = 0;
    sql_value(c,
              "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '" SLOT "'",
              text, sizeof text);
    CHECK(pgo_lsn_parse(text, &v));
    return v;
}

static void check_walsender(PGconn *c, const session *peeked)
{
    session s;
    walstats w = {0};
    session_init(&s, 2);
    stream_slot(&s, &w);
    char lsn[PGO_LSN_BUFSIZE];
    pgo_lsn_format(s.last_end_lsn, lsn, sizeof lsn);
    printf("walsender: %d XLogData (%d with dataStart 0/0), %d keepalives, flushed to %s\n",
           w.xlogdata, w.zero_headers, w.keepalives, lsn);
    CHECK(w.keepalive_after_reply);
    /* PROTOCOL-FACTS 1.4: RELATION and TYPE come with dataStart 0/0 */
    CHECK(w.zero_headers == s.count['R'] + s.count['Y']);
    CHECK(s.errors == 0 && s.ended);
    /* the same changes as the peek (stream chunking may differ, changes may not) */
    static const char types[] = "BCRYIUDTMcA";
    for (const char *t = types; *t; t++) {
        CHECK(s.count[(uint8_t)*t] == peeked->count[(uint8_t)*t]);
        if (s.count[(uint8_t)*t] != peeked->count[(uint8_t)*t])
            fprintf(stderr, "  '%c': walsender %d, peek %d\n", *t, s.count[(uint8_t)*t],
                    peeked->count[(uint8_t)*t]);
    }
    expect_line(&s, "U t_toast N[t'1' u t'2']");
    /* the flush we sent is now the slot's confirmed position */
    uint64_t got = 0;
    for (int i = 0; i < 50 && got != s.last_end_lsn; i++) {
        got = confirmed_flush(c);
        if (got != s.last_end_lsn)
            nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
    CHECK(got == s.last_end_lsn && got != 0);
    session_free(&s);
}

/* ---- main ---- */

static void run(void)
{
    PGconn *admin = connect_to("postgres", NULL, false);
    CHECK(admin != NULL);
    if (!admin || !sql(admin, "CREATE DATABASE " DB)) {
        PQfinish(admin);
        return;
    }
    PQfinish(admin);
    PGconn *c = connect_to(DB, NULL, false);
    CHECK(c != NULL);
    if (!c)
        return;
    /* the peeks decode flushed WAL only, and the test server runs with
     * synchronous_commit = off: make every commit of ours flushed */
    if (sql(c, "SET synchronous_commit = on") &&
        run_all(c, schema_sql, sizeof schema_sql / sizeof schema_sql[0]) &&
        run_all(c, workload_sql, sizeof workload_sql / sizeof workload_sql[0]) &&
        sql(c, "SET logical_decoding_work_mem = '64kB'")) {
        session p2, p1;
        session_init(&p2, 2);
        session_init(&p1, 1);
        int before = unit_failed;
        if (peek(c, &p2, "'proto_version', '2', 'publication_names', '" PUB "', "
                         "'streaming', 'on', 'messages', 'true'")) {
            check_common(&p2);
            check_enum_oid(&p2, c);
            check_truncate_oids(&p2, c);
            check_proto2(&p2);
        }
        if (peek(c, &p1, "'proto_version', '1', 'publication_names', '" PUB "', "
                         "'messages', 'true'")) {
            check_common(&p1);
            check_proto1(&p1);
        }
        if (unit_failed != before) {
            dump(&p2, "proto 2");
            dump(&p1, "proto 1");
        }
        check_walsender(c, &p2);
        session_free(&p2);
        session_free(&p1);
    }
    PQfinish(c);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    drop_everything(); /* leftovers of a crashed run */
    run();
    drop_everything();
    return unit_done();
}
