/*
 * Multi-row statements (batch.c sends them): their SQL text, their values,
 * and what the target says about a table that decides whether they may be used.
 *
 * Every parameter is a text array, one element per row, unnested and cast to
 * the column's type at the target:
 *
 *   INSERT INTO t (a, b) SELECT u.p1::ta, u.p2::tb FROM unnest($1::text[], $2::text[]) AS u(p1, p2)
 *   UPDATE t AS sluice_t SET a = u.p1::ta FROM unnest(...) AS u(p1, p2) WHERE sluice_t.k = u.p2::tk
 *   DELETE FROM t AS sluice_t USING unnest(...) AS u(p1) WHERE sluice_t.k = u.p1::tk
 *
 * Text arrays carry any value, arrays included (an int[] column's values are
 * text elements, so unnest never flattens them), and one prepared statement
 * serves every run length. The casts name the type without its typmod
 * (schema.typname), so a value is fitted to varchar(n) or numeric(p,s) by the
 * column assignment exactly as a single-row statement's parameter is: an
 * explicit cast to varchar(n) would truncate silently.
 */
#include <stdlib.h>
#include <string.h>

#include "sinkpg.h"
#include "sqltext.h"

/* Columns, their types, and whether the table's changes may be reordered or batched. */
static const char *const INFO_SQL =
    "SELECT a.attname, format('%I.%I', n.nspname, ty.typname), "
    " EXISTS (SELECT 1 FROM pg_constraint c WHERE c.contype = 'f' "
    "         AND (c.conrelid = r.oid OR c.confrelid = r.oid)) "
    " OR EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = r.oid AND NOT g.tgisinternal) "
    " OR EXISTS (SELECT 1 FROM pg_rewrite w WHERE w.ev_class = r.oid AND w.rulename <> '_RETURN'), "
    " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = r.oid "
    "         AND (i.indisunique OR i.indisexclusion) AND NOT i.indisprimary) "
    "FROM (SELECT to_regclass($1) AS oid) r "
    "JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped "
    "JOIN pg_type ty ON ty.oid = a.atttypid "
    "JOIN pg_namespace n ON n.oid = ty.typnamespace";

void sp_tinfo_clear(sp_tinfo *info)
{
    for (uint32_t i = 0; i < info->ncolumns && info->types; i++)
        free(info->types[i]);
    free(info->types);
    memset(info, 0, sizeof *info);
}

sluice_status sp_tinfo_lookup(sinkpg *s, sp_table *tt, sp_tinfo *info, sluice_error *err)
{
    sp_tinfo_clear(info);
    info->shape = tt->shape;
    info->ordered = 1; /* until the target says otherwise */
    const char *qname = tt->qname;
    /* to_regclass, not ::regclass: a missing table must not abort the open transaction */
    PGresult *res = sp_query(s, err, SLUICE_FATAL, INFO_SQL, 1, &qname,
                             "could not look up the target table's columns");
    if (!res)
        return err->status;
    info->types = calloc(tt->ncolumns ? tt->ncolumns : 1, sizeof *info->types);
    if (!info->types) {
        PQclear(res);
        return sp_oom(s, err);
    }
    info->ncolumns = tt->ncolumns;
    int rows = PQntuples(res);
    for (int r = 0; r < rows; r++) {
        const char *name = PQgetvalue(res, r, 0);
        for (uint32_t i = 0; i < tt->ncolumns; i++) {
            if (info->types[i] || strcmp(tt->columns[i], name) != 0)
                continue;
            if (!(info->types[i] = strdup(PQgetvalue(res, r, 1)))) {
                PQclear(res);
                return sp_oom(s, err);
            }
        }
    }
    info->usable = rows > 0 && tt->ncolumns > 0;
    for (uint32_t i = 0; i < tt->ncolumns; i++)
        info->usable = info->usable && info->types[i];
    if (rows > 0) {
        info->ordered = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
        info->update_ok = strcmp(PQgetvalue(res, 0, 3), "f") == 0;
    }
    PQclear(res);
    s->host->log(s->ctx, SLUICE_LOG_DEBUG, "table \"%s\": multi-row statements %s%s%s",
                 tt->display, info->usable ? "usable" : "not usable",
                 info->ordered ? ", kept in order with other tables" : "",
                 info->update_ok ? "" : ", not for updates");
    return SLUICE_OK;
}

static int in_mask(const uint8_t *mask, uint32_t i) { return mask[i / 8] >> (i % 8) & 1; }

/* "u.p3::schema.type" */
static void put_arg(sbuf *q, const sp_tinfo *info, uint32_t param, uint32_t col)
{
    sb_printf(q, "u.p%u::%s", (unsigned)param + 1, info->types[col]);
}

/* " WHERE sluice_t.k1 = u.p3::t AND ...": keys after the parameters already placed */
static void put_key_match(sbuf *q, const sp_table *tt, const sp_tinfo *info, sp_stmt *st)
{
    for (uint32_t k = 0; k < tt->nkeys; k++) {
        int32_t col = tt->keys[k];
        sb_puts(q, k ? " AND sluice_t." : " WHERE sluice_t.");
        sql_put_ident(q, tt->columns[col], strlen(tt->columns[col]));
        sb_puts(q, " = ");
        put_arg(q, info, st->nparams, (uint32_t)col);
        st->param_cols[st->nparams++] = ~col;
    }
}

/* "unnest($1::text[], ...) AS u(p1, ...)" for n parameters */
static void put_unnest(sbuf *q, uint32_t n)
{
    sb_puts(q, "unnest(");
    for (uint32_t p = 0; p < n; p++)
        sb_printf(q, "%s$%u::text[]", p ? ", " : "", (unsigned)p + 1);
    sb_puts(q, ") AS u(");
    for (uint32_t p = 0; p < n; p++)
        sb_printf(q, "%sp%u", p ? ", " : "", (unsigned)p + 1);
    sb_putc(q, ')');
}

void sp_multi_sql(sbuf *q, const sp_table *tt, const sp_tinfo *info, sp_stmt *st)
{
    st->nparams = 0;
    if (st->op == SP_INSERT) {
        sp_insert_head(q, tt, st);
        sb_puts(q, ") SELECT ");
        for (uint32_t p = 0; p < st->nparams; p++) {
            if (p)
                sb_puts(q, ", ");
            put_arg(q, info, p, (uint32_t)st->param_cols[p]);
        }
        sb_puts(q, " FROM ");
        put_unnest(q, st->nparams);
        return;
    }
    sbuf tail = {0}; /* the WHERE clause numbers its parameters after the SET list's */
    if (st->op == SP_UPDATE) {
        sb_printf(q, "UPDATE %s AS sluice_t SET ", tt->qname);
        for (uint32_t i = 0; i < tt->ncolumns; i++) {
            if (!in_mask(st->mask, i))
                continue;
            if (st->nparams)
                sb_puts(q, ", ");
            sql_put_ident(q, tt->columns[i], strlen(tt->columns[i]));
            sb_puts(q, " = ");
            put_arg(q, info, st->nparams, i);
            st->param_cols[st->nparams++] = (int32_t)i;
        }
        put_key_match(&tail, tt, info, st);
        sb_puts(q, " FROM ");
    } else {
        sb_printf(q, "DELETE FROM %s AS sluice_t", tt->qname);
        put_key_match(&tail, tt, info, st);
        sb_puts(q, " USING ");
    }
    put_unnest(q, st->nparams);
    sb_put(q, tail.data, tail.len);
    if (tail.failed)
        q->failed = 1;
    sb_free(&tail);
}

/* One array element: NULL, or the text double-quoted with \ and " escaped. */
static void put_element(sbuf *b, const sluice_value *v)
{
    if (v->kind == SLUICE_VALUE_NULL) {
        sb_puts(b, "NULL");
        return;
    }
    if (v->kind == SLUICE_VALUE_INT) {
        sb_put_int(b, v->u.i);
        return;
    }
    sb_putc(b, '"');
    const char *p = v->u.bytes, *end = p + v->len;
    while (p < end) {
        const char *q = p;
        while (q < end && *q != '"' && *q != '\\')
            q++;
        sb_put(b, p, (size_t)(q - p));
        if (q < end) {
            sb_putc(b, '\\');
            sb_putc(b, *q++);
        }
        p = q;
    }
    sb_putc(b, '"');
}

sluice_status sp_multi_params(sinkpg *s, sp_table *tt, const sp_stmt *st, const sp_entry *rows,
                              uint32_t n, sluice_error *err)
{
    if (sp_params_reserve(s, st->nparams ? st->nparams : 1) != 0)
        return sp_oom(s, err);
    sb_reset(&s->vals);
    for (uint32_t p = 0; p < st->nparams; p++) {
        int32_t col = st->param_cols[p];
        uint32_t i = (uint32_t)(col < 0 ? ~col : col);
        s->offsets[p] = s->vals.len;
        sb_putc(&s->vals, '{');
        for (uint32_t r = 0; r < n; r++) {
            const sluice_event *e = rows[r].event;
            /* batch.c admitted only rows whose values are all here, NUL-free, text or int */
            const sluice_value *v = col < 0 ? sp_key_value(tt, e, i) : &e->new_row[i];
            if (r)
                sb_putc(&s->vals, ',');
            put_element(&s->vals, v);
        }
        sb_putc(&s->vals, '}');
        sb_putc(&s->vals, '\0');
    }
    if (s->vals.failed)
        return sp_oom(s, err);
    for (uint32_t p = 0; p < st->nparams; p++)
        s->params[p] = s->vals.data + s->offsets[p];
    return SLUICE_OK;
}
