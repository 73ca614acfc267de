/*
 * ABI 1.3 native values in PostgreSQL's binary form (SLUICE_NATIVE_PG_BINARY):
 * whether a table takes them, their rows in binary COPY, and their text for
 * the rows of a refused COPY.
 *
 * A table takes them when, after prepare_table, every column the COPY writes
 * has at the target exactly the type the source names (format_type, typmod
 * included, under source-pg's search_path = pg_catalog, so other schemas'
 * types are qualified the same way): the field bytes then mean the same on
 * both sides. That holds
 * when prepare_table created the table from the source's types, and is
 * checked the same way for a table that was kept (DO_NOTHING, TRUNCATE).
 *
 * error_policy = record: when the target refuses a binary COPY, the rows go
 * in one by one as text (copy.c), so the errors table shows readable values.
 * The target itself turns each row into text (SELECT $1::type::text with the
 * binary bytes as parameters), which is exactly what it would have stored.
 * A row it cannot even read is the refused one: it is recorded with that
 * error, each value as text where the target reads it alone, else as its
 * binary bytes in hex (\x...).
 */
#include <stdlib.h>
#include <string.h>

#include "sinkpg.h"
#include "sqltext.h"

static const char columns_sql[] =
    "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) "
    "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped";

/* The first column whose target type differs from the source's, or -1 when none does. */
static int first_difference(const sluice_table *t, const PGresult *res, const char **target)
{
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        *target = NULL;
        for (int r = 0; r < PQntuples(res) && !*target; r++) {
            const char *name = PQgetvalue(res, r, 0);
            if (strlen(name) == c->name.len && memcmp(name, c->name.ptr, c->name.len) == 0)
                *target = PQgetvalue(res, r, 1);
        }
        if (!*target || strlen(*target) != c->source_type.len ||
            memcmp(*target, c->source_type.ptr, c->source_type.len) != 0)
            return (int)i;
    }
    return -1;
}

uint32_t sp_native_format(sinkpg *s, const sluice_table *t, uint32_t offered)
{
    if (offered != SLUICE_NATIVE_PG_BINARY || s->txn_open)
        return SLUICE_NATIVE_NONE;
    sluice_error e;
    memset(&e, 0, sizeof e);
    e.header = (sluice_header)SLUICE_HEADER_INIT(sluice_error);
    sp_table *tt = sp_table_for(s, t, &e);
    if (!tt || sp_ensure_connected(s, &e) != SLUICE_OK)
        return SLUICE_NATIVE_NONE;
    /* type names as the source spells them: qualified unless in pg_catalog */
    PGresult *set = PQexec(s->conn, "BEGIN; SET LOCAL search_path = pg_catalog");
    int begun = PQresultStatus(set) == PGRES_COMMAND_OK;
    PQclear(set);
    const char *params[2] = {tt->schema, tt->name};
    PGresult *res = begun ? sp_query(s, &e, SLUICE_ERROR, columns_sql, 2, params,
                                     "could not read the target's column types")
                          : NULL;
    if (!sp_connection_lost(s))
        PQclear(PQexec(s->conn, res ? "COMMIT" : "ROLLBACK"));
    if (!res) {
        s->host->log(s->ctx, SLUICE_LOG_DEBUG, "table \"%s\": %s", tt->display, e.message);
        return SLUICE_NATIVE_NONE;
    }
    const char *target = NULL;
    int diff = first_difference(t, res, &target);
    if (diff >= 0) {
        const sluice_column *c = sluice_table_column(t, (uint32_t)diff);
        s->host->log(s->ctx, SLUICE_LOG_INFO,
                     "table \"%s\" is loaded as text: column \"%.*s\" is %.*s at the source "
                     "and %s at the target",
                     tt->display, (int)c->name.len, c->name.ptr, (int)c->source_type.len,
                     c->source_type.ptr, target ? target : "missing");
    }
    PQclear(res);
    return diff < 0 ? offered : SLUICE_NATIVE_NONE;
}

/* ---- binary COPY rows ---- */

static void put32(sbuf *out, uint32_t v)
{
    char b[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
    sb_put(out, b, 4);
}

void sp_native_header(sbuf *out)
{
    /* signature, flags 0, no header extension */
    sb_put(out, "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0", 19);
}

int sp_native_put_row(sbuf *out, const sluice_value *row, uint32_t ncolumns)
{
    if (sb_reserve(out, 2 + (size_t)ncolumns * 4) != 0)
        return -2;
    char count[2] = {(char)(ncolumns >> 8), (char)ncolumns};
    sb_put(out, count, 2);
    for (uint32_t i = 0; i < ncolumns; i++) {
        const sluice_value *v = &row[i];
        if (v->kind == SLUICE_VALUE_NULL) {
            put32(out, UINT32_MAX); /* -1 */
        } else if (v->kind == SLUICE_VALUE_NATIVE) {
            put32(out, v->len);
            sb_put(out, v->u.bytes, v->len);
        } else {
            return (int)i;
        }
    }
    return -1;
}

/* ---- record: a refused batch's rows as text ---- */

void sp_text_rows_free(sp_text_rows *tr)
{
    free(tr->events);
    free(tr->values);
    sb_free(&tr->text);
    memset(tr, 0, sizeof *tr);
}

/* Value text is kept as offsets into tr->text while it grows; pointers come at the end. */
static void point_row(sp_text_rows *tr, sluice_value *row, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (row[i].kind == SLUICE_VALUE_TEXT)
            row[i].u.bytes = tr->text.data + (size_t)row[i].u.i;
}

static void keep_text(sp_text_rows *tr, sluice_value *v, const char *text, size_t len)
{
    v->kind = SLUICE_VALUE_TEXT;
    v->len = (uint32_t)len;
    v->u.i = (int64_t)tr->text.len;
    sb_put(&tr->text, text, len);
}

/* "SELECT $1::type::text": one column (col >= 0) or all of them (col < 0). */
static const char *cast_sql(sinkpg *s, const sluice_table *t, int col)
{
    sbuf *q = &s->sql;
    sb_reset(q);
    sb_puts(q, "SELECT ");
    for (uint32_t i = col < 0 ? 0 : (uint32_t)col; i < t->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        if (col < 0 && i)
            sb_puts(q, ", ");
        /* the type names are the target's own format_type text (sp_native_format) */
        sb_printf(q, "$%u::%.*s::text", col < 0 ? (unsigned)i + 1 : 1u, (int)c->source_type.len,
                  c->source_type.ptr);
        if (col >= 0)
            break;
    }
    return sb_cstr(q);
}

/* A value the target cannot read alone: its text if it can, else its bytes in hex. */
static void column_text(sinkpg *s, const sluice_table *t, uint32_t i, const sluice_value *v,
                        sp_text_rows *tr, sluice_value *out)
{
    const char *sql = cast_sql(s, t, (int)i);
    const char *val = v->u.bytes;
    int len = (int)v->len, fmt = 1;
    PGresult *res = sql ? PQexecParams(s->conn, sql, 1, NULL, &val, &len, &fmt, 0) : NULL;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        keep_text(tr, out, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
    } else {
        static const char hex[] = "0123456789abcdef";
        out->kind = SLUICE_VALUE_TEXT;
        out->u.i = (int64_t)tr->text.len;
        sb_puts(&tr->text, "\\x");
        for (uint32_t k = 0; k < v->len; k++) {
            sb_putc(&tr->text, hex[(uint8_t)v->u.bytes[k] >> 4]);
            sb_putc(&tr->text, hex[(uint8_t)v->u.bytes[k] & 15]);
        }
        out->len = (uint32_t)(tr->text.len - (size_t)out->u.i);
    }
    PQclear(res);
}

/* The target could not read row e (res says why): record it, drop it from the rows. */
static sluice_status unreadable_row(sinkpg *s, sp_table *tt, const sluice_event *e,
                                    sluice_event *te, const PGresult *res, sp_text_rows *tr,
                                    sluice_error *err)
{
    const sluice_table *t = e->table;
    for (uint32_t i = 0; i < t->ncolumns; i++)
        if (e->new_row[i].kind == SLUICE_VALUE_NATIVE)
            column_text(s, t, i, &e->new_row[i], tr, &te->new_row[i]);
    if (tr->text.failed)
        return sp_oom(s, err);
    point_row(tr, te->new_row, t->ncolumns);
    sp_why why = {PQresultErrorField(res, PG_DIAG_SQLSTATE),
                  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY),
                  PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)};
    const sp_origin none = {0, 0};
    sluice_status st = sp_reject(s, tt, te, &none, &why, err);
    te->op = SLUICE_OP_SKIP; /* recorded: not inserted */
    return st;
}

/* Row e as text into te through the prepared cast; a row the target cannot read is
   recorded as rejected. */
static sluice_status row_text(sinkpg *s, sp_table *tt, const sluice_event *e, sluice_event *te,
                              sp_text_rows *tr, sluice_error *err)
{
    uint32_t n = e->table->ncolumns;
    if (sp_params_reserve(s, n ? n : 1) != 0)
        return sp_oom(s, err);
    int *lens = calloc(n ? n : 1, sizeof *lens), *fmts = calloc(n ? n : 1, sizeof *fmts);
    if (!lens || !fmts) {
        free(lens);
        free(fmts);
        return sp_oom(s, err);
    }
    for (uint32_t i = 0; i < n; i++) {
        const sluice_value *v = &e->new_row[i];
        s->params[i] = v->kind == SLUICE_VALUE_NATIVE ? v->u.bytes : NULL;
        lens[i] = (int)v->len;
        fmts[i] = 1;
    }
    PGresult *res = PQexecPrepared(s->conn, "", (int)n, s->params, lens, fmts, 0);
    free(lens);
    free(fmts);
    sluice_status st = SLUICE_OK;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        for (uint32_t i = 0; i < n; i++)
            if (!PQgetisnull(res, 0, (int)i))
                keep_text(tr, &te->new_row[i], PQgetvalue(res, 0, (int)i),
                          (size_t)PQgetlength(res, 0, (int)i));
    } else if (sp_rejectable(s, res)) {
        st = unreadable_row(s, tt, e, te, res, tr, err);
    } else {
        char what[400];
        snprintf(what, sizeof what, "could not read the rows refused by table \"%s\"",
                 tt->display);
        st = sp_report(s, err, SLUICE_ERROR, res, what, NULL);
    }
    PQclear(res);
    return st;
}

sluice_status sp_native_as_text(sinkpg *s, sp_table *tt, const sluice_batch *b,
                                sp_text_rows *tr, sluice_error *err)
{
    memset(tr, 0, sizeof *tr);
    const sluice_table *t = NULL;
    for (uint32_t i = 0; i < b->nevents && !t; i++)
        if (sluice_batch_event(b, i)->op == SLUICE_OP_INSERT)
            t = sluice_batch_event(b, i)->table;
    uint32_t n = t ? t->ncolumns : 0;
    tr->events = calloc(b->nevents ? b->nevents : 1, sizeof *tr->events);
    tr->values = calloc((size_t)(b->nevents ? b->nevents : 1) * (n ? n : 1), sizeof *tr->values);
    if (!tr->events || !tr->values)
        return sp_oom(s, err);
    tr->batch = *b;
    tr->batch.events = tr->events;
    tr->batch.event_size = sizeof(sluice_event);
    tr->batch.native_format = SLUICE_NATIVE_NONE;
    const char *sql = t ? cast_sql(s, t, -1) : NULL;
    if (!t)
        return SLUICE_OK;
    PGresult *prep = sql ? PQprepare(s->conn, "", sql, (int)n, NULL) : NULL;
    sluice_status st = SLUICE_OK;
    if (PQresultStatus(prep) != PGRES_COMMAND_OK) {
        char what[400];
        snprintf(what, sizeof what, "could not read the rows refused by table \"%s\"",
                 tt->display);
        st = sql ? sp_report(s, err, SLUICE_ERROR, prep, what, NULL) : sp_oom(s, err);
    }
    PQclear(prep);
    for (uint32_t i = 0; i < b->nevents && st == SLUICE_OK; i++) {
        const sluice_event *e = sluice_batch_event(b, i);
        sluice_event *te = &tr->events[i];
        *te = *e;
        te->new_row = &tr->values[(size_t)i * n];
        if (e->op != SLUICE_OP_INSERT || !e->new_row || e->table != t) {
            te->op = SLUICE_OP_SKIP;
            continue;
        }
        st = row_text(s, tt, e, te, tr, err);
    }
    if (st == SLUICE_OK && tr->text.failed)
        st = sp_oom(s, err);
    for (uint32_t i = 0; i < b->nevents && st == SLUICE_OK; i++)
        if (tr->events[i].op == SLUICE_OP_INSERT) /* a recorded row has its pointers */
            point_row(tr, tr->events[i].new_row, n);
    return st;
}
