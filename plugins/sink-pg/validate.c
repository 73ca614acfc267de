/*
 * ABI 1.6, for `sluice validate`: the target's side. validate_read reads a
 * key range of a target table as canonical text (PostgreSQL's output under
 * the settings source-pg uses, so both sides spell values alike),
 * validate_hash counts and hashes it in the database exactly as source-pg
 * does (SLUICE_HASH_PG_ROW_TEXT), and validate_repair rewrites rows by key in
 * one transaction, leaving the checkpoint alone.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sinkpg.h"
#include "sqltext.h"

/* source-pg's output settings (docs/source-pg.md), for this session's reads. */
static const char output_settings[] =
    "SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET TimeZone = 'UTC'; "
    "SET extra_float_digits = 1; SET bytea_output = 'hex'";

static sluice_status prepare_session(sinkpg *s, sluice_error *err)
{
    sluice_status st = sp_ensure_connected(s, err);
    if (st != SLUICE_OK || s->validate_conn == s->conn)
        return st;
    PGresult *res = PQexec(s->conn, output_settings);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        st = sp_report(s, err, sp_connection_lost(s) ? SLUICE_RETRY : SLUICE_FATAL, res,
                       "could not set the output settings for validate", NULL);
        PQclear(res);
        return st;
    }
    PQclear(res);
    s->validate_conn = s->conn;
    return SLUICE_OK;
}

static void put_literal(sbuf *b, sluice_str v) { sql_put_literal(b, v.ptr, v.len); }

static void put_column(sbuf *b, const sluice_table *t, uint32_t i)
{
    const sluice_column *c = sluice_table_column(t, i);
    sql_put_ident(b, c->name.ptr, c->name.len);
}

/* One condition; 0 for an op validate does not send (the caller then refuses). */
static int condition(sbuf *b, const sluice_chunk *chunk, const sluice_filter *f)
{
    static const char *const ops[] = {
        [SLUICE_FILTER_EQ] = " = ",  [SLUICE_FILTER_NE] = " <> ", [SLUICE_FILTER_LT] = " < ",
        [SLUICE_FILTER_LE] = " <= ", [SLUICE_FILTER_GT] = " > ",  [SLUICE_FILTER_GE] = " >= ",
        [SLUICE_FILTER_ROW_LT] = " < ", [SLUICE_FILTER_ROW_LE] = " <= ",
        [SLUICE_FILTER_ROW_GT] = " > ", [SLUICE_FILTER_ROW_GE] = " >= "};
    if (f->op >= SLUICE_FILTER_ROW_LT && f->op <= SLUICE_FILTER_ROW_GE) {
        uint32_t n;
        const uint32_t *cols = sluice_filter_columns(chunk, f, &n);
        if (f->nvalues != n)
            return 0;
        sb_putc(b, '(');
        for (uint32_t i = 0; i < n; i++) {
            sb_puts(b, i ? ", " : "");
            put_column(b, chunk->table, cols[i]);
        }
        sb_printf(b, ")%s(", ops[f->op]);
        for (uint32_t i = 0; i < n; i++) {
            sb_puts(b, i ? ", " : "");
            put_literal(b, f->values[i]);
        }
        sb_putc(b, ')');
        return 1;
    }
    put_column(b, chunk->table, f->column);
    if (f->op == SLUICE_FILTER_NULL || f->op == SLUICE_FILTER_NOT_NULL) {
        sb_puts(b, f->op == SLUICE_FILTER_NULL ? " IS NULL" : " IS NOT NULL");
    } else if (f->op == SLUICE_FILTER_IN) {
        sb_puts(b, " IN (");
        for (uint32_t i = 0; i < f->nvalues; i++) {
            sb_puts(b, i ? ", " : "");
            put_literal(b, f->values[i]);
        }
        sb_putc(b, ')');
    } else if (f->op >= SLUICE_FILTER_EQ && f->op <= SLUICE_FILTER_GE && f->nvalues >= 1) {
        sb_puts(b, ops[f->op]);
        put_literal(b, f->values[0]);
    } else {
        return 0;
    }
    return 1;
}

/* " WHERE (..) AND (..)": groups AND-ed, a group's conditions OR-ed. 0 when it cannot. */
static int where_sql(sbuf *b, const sluice_chunk *chunk)
{
    uint32_t n;
    if (!sluice_chunk_filters(chunk, &n))
        return 1;
    for (uint32_t i = 0; i < n;) {
        uint32_t group = sluice_filter_at(chunk, i)->group;
        sb_puts(b, i ? " AND (" : " WHERE (");
        for (uint32_t j = i; i < n && sluice_filter_at(chunk, i)->group == group; i++) {
            sb_puts(b, i > j ? " OR " : "");
            if (!condition(b, chunk, sluice_filter_at(chunk, i)))
                return 0;
        }
        sb_putc(b, ')');
    }
    return 1;
}

static sluice_status cannot_filter(sinkpg *s, sluice_error *err)
{
    s->host->error(err, SLUICE_ERROR, "cannot apply a validate range at the target");
    s->host->error_detail(err, "The chunk carries a filter operation sink-pg does not know.");
    s->host->error_hint(err, "Use a sluice core and sink-pg of the same release.");
    return SLUICE_ERROR;
}

/* SELECT what FROM the target table WHERE the chunk's filters. */
static sluice_status query(sinkpg *s, const sluice_chunk *chunk, int hash, PGresult **out,
                           sluice_error *err)
{
    sluice_status st = prepare_session(s, err);
    if (st != SLUICE_OK)
        return st;
    sp_table *tt = sp_table_for(s, chunk->table, err);
    if (!tt)
        return err->status;
    const sluice_table *t = chunk->table;
    sbuf b = {0};
    sb_puts(&b, hash ? "SELECT count(*), coalesce(sum(pg_catalog.hashtextextended(ROW("
                     : "SELECT ");
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        sb_puts(&b, i ? ", " : "");
        put_column(&b, t, i);
    }
    sb_printf(&b, "%s FROM %s", hash ? ")::text, 0)), 0)" : "", tt->qname);
    if (!where_sql(&b, chunk)) {
        sb_free(&b);
        return cannot_filter(s, err);
    }
    if (!sb_cstr(&b))
        return sp_oom(s, err);
    char what[400];
    snprintf(what, sizeof what, "could not read table \"%s\" to validate it", tt->display);
    /* a failed query is this table's problem (a column missing at the target) */
    *out = sp_query(s, err, SLUICE_ERROR, b.data, 0, NULL, what);
    sb_free(&b);
    return *out ? SLUICE_OK : err->status;
}

sluice_status sp_validate_read(void *instance, const sluice_chunk *chunk, sluice_batch *batch,
                               sluice_error *err)
{
    sinkpg *s = instance;
    if (!s->validate_res) {
        sluice_status st = query(s, chunk, 0, &s->validate_res, err);
        if (st != SLUICE_OK)
            return st;
        s->validate_row = 0;
    }
    PGresult *res = s->validate_res;
    const sluice_table *t = chunk->table;
    int rows = PQntuples(res);
    if (PQnfields(res) != (int)t->ncolumns) { /* never: the SELECT names every column */
        PQclear(res);
        s->validate_res = NULL;
        return s->host->error(err, SLUICE_ERROR, "the target returned %d columns for %u",
                              PQnfields(res), t->ncolumns);
    }
    for (; s->validate_row < rows && !s->host->batch_full(batch); s->validate_row++) {
        sluice_event *e = s->host->emit(batch, SLUICE_OP_INSERT, t, 0);
        if (!e)
            break;
        for (uint32_t c = 0; c < t->ncolumns; c++) {
            if (PQgetisnull(res, s->validate_row, (int)c))
                continue; /* emit made it NULL */
            if (s->host->set_text(batch, &e->new_row[c], PQgetvalue(res, s->validate_row, (int)c),
                                  (size_t)PQgetlength(res, s->validate_row, (int)c)) != 0)
                return sp_oom(s, err);
        }
    }
    if (s->validate_row >= rows) {
        PQclear(res);
        s->validate_res = NULL;
        batch->flags |= SLUICE_BATCH_LAST | SLUICE_BATCH_FILTERED;
    }
    return SLUICE_OK;
}

sluice_status sp_validate_hash(void *instance, const sluice_chunk *chunk, sluice_range_hash *out,
                               sluice_error *err)
{
    sinkpg *s = instance;
    out->method = SLUICE_HASH_NONE;
    PGresult *res;
    sluice_status st = query(s, chunk, 1, &res, err);
    if (st != SLUICE_OK)
        return st;
    out->rows = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    snprintf(out->digest, sizeof out->digest, "%s", PQgetvalue(res, 0, 1));
    out->method = SLUICE_HASH_PG_ROW_TEXT;
    PQclear(res);
    return SLUICE_OK;
}

/* ---- validate_repair ---- */

/* A value as a text parameter (NULL stays NULL); its bytes go into s->vals. */
static void param(sinkpg *s, const sluice_value *v, uint32_t i)
{
    if (v->kind == SLUICE_VALUE_INT) {
        s->offsets[i] = s->vals.len;
        sb_put_int(&s->vals, v->u.i);
        sb_putc(&s->vals, '\0');
    } else if (v->kind == SLUICE_VALUE_TEXT) {
        s->offsets[i] = s->vals.len;
        sb_put(&s->vals, v->u.bytes, v->len);
        sb_putc(&s->vals, '\0');
    } else {
        s->offsets[i] = SIZE_MAX;
    }
}

/* Runs s->sql with the n parameters collected in s->vals. */
static sluice_status run(sinkpg *s, uint32_t n, const char *what, sluice_error *err)
{
    if (!sb_cstr(&s->sql) || s->vals.failed)
        return sp_oom(s, err);
    for (uint32_t i = 0; i < n; i++)
        s->params[i] = s->offsets[i] == SIZE_MAX ? NULL : s->vals.data + s->offsets[i];
    PGresult *res = sp_query(s, err, SLUICE_ERROR, s->sql.data, (int)n, s->params, what);
    if (!res)
        return err->status;
    PQclear(res);
    return SLUICE_OK;
}

static int grow_params(sinkpg *s, uint32_t n)
{
    if (n <= s->params_cap)
        return 0;
    const char **p = realloc(s->params, n * sizeof *p);
    if (p)
        s->params = p;
    size_t *o = realloc(s->offsets, n * sizeof *o);
    if (o)
        s->offsets = o;
    if (!p || !o)
        return -1;
    s->params_cap = n;
    return 0;
}

/* DELETE FROM t WHERE k1 = $1 AND ...; then, with new_row, INSERT the row. */
static sluice_status repair_row(sinkpg *s, sp_table *tt, const sluice_table *t,
                                const sluice_event *e, sluice_error *err)
{
    const sluice_value *row = e->op == SLUICE_OP_DELETE ? e->old_row : e->new_row;
    if (!row)
        return SLUICE_OK;
    char what[400];
    snprintf(what, sizeof what, "could not repair a row of table \"%s\"", tt->display);
    sb_reset(&s->sql);
    sb_reset(&s->vals);
    sb_printf(&s->sql, "DELETE FROM %s WHERE ", tt->qname);
    uint32_t n = 0;
    for (uint32_t c = 0; c < t->ncolumns; c++) {
        if (!(sluice_table_column(t, c)->flags & SLUICE_COLUMN_KEY))
            continue;
        sb_puts(&s->sql, n ? " AND " : "");
        put_column(&s->sql, t, c);
        sb_printf(&s->sql, " = $%u", n + 1);
        param(s, &row[c], n++);
    }
    if (n == 0)
        return s->host->error(err, SLUICE_ERROR, "cannot repair table \"%s\": it has no key",
                              tt->display);
    sluice_status st = run(s, n, what, err);
    if (st != SLUICE_OK || e->op != SLUICE_OP_INSERT)
        return st;
    sb_reset(&s->sql);
    sb_reset(&s->vals);
    sb_printf(&s->sql, "INSERT INTO %s (", tt->qname);
    for (uint32_t c = 0; c < t->ncolumns; c++) {
        sb_puts(&s->sql, c ? ", " : "");
        put_column(&s->sql, t, c);
        param(s, &row[c], c);
    }
    sb_puts(&s->sql, ") VALUES (");
    for (uint32_t c = 0; c < t->ncolumns; c++)
        sb_printf(&s->sql, "%s$%u", c ? ", " : "", c + 1);
    sb_putc(&s->sql, ')');
    return run(s, t->ncolumns, what, err);
}

sluice_status sp_validate_repair(void *instance, const sluice_batch *batch, sluice_error *err)
{
    sinkpg *s = instance;
    const sluice_table *t = batch->table;
    sluice_status st = prepare_session(s, err);
    sp_table *tt = st == SLUICE_OK ? sp_table_for(s, t, err) : NULL;
    if (!tt)
        return err->status;
    if (grow_params(s, t->ncolumns + 1) != 0)
        return sp_oom(s, err);
    if ((st = sp_command(s, err, SLUICE_ERROR, "BEGIN", "could not begin a repair")) !=
        SLUICE_OK)
        return st;
    for (uint32_t i = 0; st == SLUICE_OK && i < batch->nevents; i++) {
        const sluice_event *e = sluice_batch_event(batch, i);
        if (e->op == SLUICE_OP_INSERT || e->op == SLUICE_OP_DELETE)
            st = repair_row(s, tt, e->table ? e->table : t, e, err);
    }
    if (st == SLUICE_OK)
        return sp_command(s, err, SLUICE_ERROR, "COMMIT", "could not commit a repair");
    sluice_error ignored;
    memset(&ignored, 0, sizeof ignored);
    sp_command(s, &ignored, SLUICE_ERROR, "ROLLBACK", "could not roll back a repair");
    return st;
}
