/*
 * Row changes as prepared statements. A table gets one statement per
 * operation and set of columns: an UPDATE whose row has UNCHANGED values (the
 * source did not send them, e.g. unchanged TOAST) leaves those columns out of
 * its SET list, so each distinct set of sent columns has its own statement.
 * Statements are prepared on first use, inside the pipeline, and named
 * sluice_<table slot>_<generation>_<n>.
 *
 * Rows are found by the primary key with "=", so the key's index is used.
 * A table with only a replica identity (REPLICA IDENTITY FULL, no key) is
 * matched on every identity column with IS NOT DISTINCT FROM, one row at a
 * time through its ctid, as duplicates may exist.
 *
 * With error_policy = record, pipe.c puts savepoints around the rows
 * (sp_pipe_row_begin / _end) and may send a row again after an earlier one
 * was rejected; a statement whose PREPARE the server skipped then is prepared
 * again.
 */
#include <stdlib.h>
#include <string.h>

#include "sinkpg.h"
#include "sqltext.h"

int sp_params_reserve(sinkpg *s, uint32_t n)
{
    if (n <= s->params_cap)
        return 0;
    const char **p = realloc(s->params, n * sizeof *p);
    if (!p)
        return -1;
    s->params = p;
    size_t *o = realloc(s->offsets, n * sizeof *o);
    if (!o)
        return -1;
    s->offsets = o;
    s->params_cap = n;
    return 0;
}

static const char *op_name(sp_op op)
{
    return op == SP_INSERT ? "an insert" : op == SP_UPDATE ? "an update" : "a delete";
}

const sluice_value *sp_key_value(const sp_table *tt, const sluice_event *e, uint32_t i)
{
    if (e->old_row && (tt->full_identity || value_present(&e->old_row[i])))
        return &e->old_row[i];
    return e->new_row ? &e->new_row[i] : NULL;
}

/* Which columns the statement writes: every column the row carries a value for. */
static void row_mask(const sp_table *tt, const sluice_event *e, sp_op op, uint8_t *mask)
{
    memset(mask, 0, (tt->ncolumns + 7) / 8);
    if (op == SP_DELETE)
        return;
    for (uint32_t i = 0; i < tt->ncolumns; i++)
        if (e->new_row[i].kind != SLUICE_VALUE_UNCHANGED)
            mask[i / 8] |= (uint8_t)(1u << (i % 8));
}

static int in_mask(const uint8_t *mask, uint32_t i) { return mask[i / 8] >> (i % 8) & 1; }

void sp_insert_head(sbuf *q, const sp_table *tt, sp_stmt *st)
{
    sb_printf(q, "INSERT INTO %s (", tt->qname);
    for (uint32_t i = 0; i < tt->ncolumns; i++) {
        if (!in_mask(st->mask, i))
            continue;
        if (st->nparams)
            sb_puts(q, ", ");
        sql_put_ident(q, tt->columns[i], strlen(tt->columns[i]));
        st->param_cols[st->nparams++] = (int32_t)i;
    }
}

static sp_stmt *find_stmt(sp_table *tt, sp_op op, const uint8_t *mask, int multi)
{
    size_t n = (tt->ncolumns + 7) / 8;
    for (uint32_t i = tt->nstmts; i-- > 0;)
        if (tt->stmts[i].op == op && tt->stmts[i].multi == multi &&
            memcmp(tt->stmts[i].mask, mask, n) == 0)
            return &tt->stmts[i];
    return NULL;
}

/* "WHERE k1 = $3 AND k2 = $4", or the ctid form for a replica identity. */
static void put_where(sbuf *q, sp_table *tt, sp_stmt *st)
{
    const char *cmp = tt->full_identity ? " IS NOT DISTINCT FROM $" : " = $";
    if (tt->full_identity) {
        sb_puts(q, " WHERE ctid = (SELECT ctid FROM ");
        sb_puts(q, tt->qname);
    }
    for (uint32_t k = 0; k < tt->nkeys; k++) {
        int32_t col = tt->keys[k];
        sb_puts(q, k ? " AND " : " WHERE ");
        sql_put_ident(q, tt->columns[col], strlen(tt->columns[col]));
        sb_puts(q, cmp);
        sb_put_int(q, st->nparams + 1);
        st->param_cols[st->nparams++] = ~col;
    }
    if (tt->full_identity)
        sb_puts(q, " LIMIT 1)");
}

static void build_sql(sinkpg *s, sbuf *q, sp_table *tt, sp_stmt *st)
{
    sb_reset(q);
    if (st->multi) {
        sp_multi_sql(q, tt, sp_batch_info(s, tt), st);
    } else if (st->op == SP_INSERT) {
        sp_insert_head(q, tt, st);
        sb_puts(q, ") VALUES (");
        for (uint32_t p = 0; p < st->nparams; p++)
            sb_printf(q, "%s$%u", p ? ", " : "", (unsigned)p + 1);
        sb_putc(q, ')');
    } else if (st->op == SP_UPDATE) {
        sb_printf(q, "UPDATE %s SET ", tt->qname);
        for (uint32_t i = 0; i < tt->ncolumns; i++) {
            if (!in_mask(st->mask, i))
                continue;
            if (st->nparams)
                sb_puts(q, ", ");
            sql_put_ident(q, tt->columns[i], strlen(tt->columns[i]));
            sb_printf(q, " = $%u", (unsigned)st->nparams + 1);
            st->param_cols[st->nparams++] = (int32_t)i;
        }
        put_where(q, tt, st);
    } else {
        sb_printf(q, "DELETE FROM %s", tt->qname);
        put_where(q, tt, st);
    }
}

/* Prepares the statement in the pipeline (again, when the server skipped the first PREPARE). */
static sluice_status send_prepare(sinkpg *s, sp_table *tt, sp_stmt *st, const sp_origin *o,
                                  sluice_error *err)
{
    st->nparams = 0;
    build_sql(s, &s->sql, tt, st);
    if (!sb_cstr(&s->sql))
        return sp_oom(s, err);
    if (!PQsendPrepare(s->conn, st->name, s->sql.data, (int)st->nparams, NULL))
        return sp_report(s, err, SLUICE_FATAL, NULL, "could not send a statement", NULL);
    st->prepared = 1;
    s->host->log(s->ctx, SLUICE_LOG_DEBUG, "prepared %s: %s", st->name, s->sql.data);
    uint32_t index = (uint32_t)(st - tt->stmts);
    return sp_pipe_push(s, (sp_item){.kind = ITEM_PREPARE, .op = (uint8_t)st->op,
                                     .slot = tt->slot, .xid = o->xid, .seq = o->seq,
                                     .stmt = index},
                        err);
}

/* A new statement for (op, mask), prepared in the pipeline. */
static sp_stmt *new_stmt(sinkpg *s, sp_table *tt, sp_op op, const uint8_t *mask, int multi,
                         const sp_origin *o, sluice_error *err)
{
    if (tt->nstmts == tt->cap) {
        uint32_t cap = tt->cap ? tt->cap * 2 : 4;
        sp_stmt *more = realloc(tt->stmts, cap * sizeof *more);
        if (!more) {
            sp_oom(s, err);
            return NULL;
        }
        tt->stmts = more;
        tt->cap = cap;
    }
    sp_stmt *st = &tt->stmts[tt->nstmts];
    memset(st, 0, sizeof *st);
    st->op = op;
    st->multi = multi;
    size_t n = (tt->ncolumns + 7) / 8;
    st->mask = malloc(n ? n : 1);
    st->param_cols = malloc((tt->ncolumns + tt->nkeys + 1) * sizeof *st->param_cols);
    if (!st->mask || !st->param_cols) {
        free(st->mask);
        free(st->param_cols);
        sp_oom(s, err);
        return NULL;
    }
    memcpy(st->mask, mask, n);
    snprintf(st->name, sizeof st->name, "sluice_%u_%u_%u", (unsigned)tt->slot,
             (unsigned)tt->generation, (unsigned)tt->nstmts);
    tt->nstmts++; /* kept even if sending fails: the instance is done then anyway */
    return send_prepare(s, tt, st, o, err) == SLUICE_OK ? st : NULL;
}

sp_op sp_op_of(const sluice_event *e)
{
    return e->op == SLUICE_OP_INSERT ? SP_INSERT : e->op == SLUICE_OP_UPDATE ? SP_UPDATE
                                                                            : SP_DELETE;
}

static sluice_status bad_value(sinkpg *s, sp_table *tt, const sluice_event *e, uint32_t col,
                               const char *why, sluice_error *err)
{
    s->host->error(err, SLUICE_FATAL, "cannot apply %s to table \"%s\": %s in column \"%s\"",
                   op_name(sp_op_of(e)), tt->display, why, tt->columns[col]);
    if (s->txn_open)
        s->host->error_detail(err, "In source transaction %llu.", (unsigned long long)s->xid);
    return SLUICE_FATAL;
}

/* Values PostgreSQL text cannot hold, or libpq's NUL-terminated parameters cannot carry. */
#define NUL_BYTE "a NUL byte"

/*
 * Record: a value with a NUL byte is rejected here, as the server rejects one
 * in a COPY (invalid byte sequence, SQLSTATE 22021). The pipeline settles
 * first: recording needs it idle.
 */
static sluice_status reject_nul(sinkpg *s, sp_table *tt, const sluice_event *e, uint32_t col,
                                const sp_origin *o, sluice_error *err)
{
    char message[300];
    snprintf(message, sizeof message, "column \"%s\" holds a NUL byte, which PostgreSQL text "
             "cannot store", tt->columns[col]);
    sp_why why = {"22021", message, NULL};
    sluice_status st = sp_pipe_finish(s, err);
    return st == SLUICE_OK ? sp_reject(s, tt, e, o, &why, err) : st;
}

/* Each parameter's text into s->vals, NUL-terminated (libpq's text parameters). */
static sluice_status put_params(sinkpg *s, sp_table *tt, const sp_stmt *st, const sluice_event *e,
                                sluice_error *err)
{
    if (sp_params_reserve(s, st->nparams ? st->nparams : 1) != 0)
        return sp_oom(s, err);
    sb_reset(&s->vals);
    for (uint32_t p = 0; p < st->nparams; p++) {
        int32_t col = st->param_cols[p];
        int is_key = col < 0;
        uint32_t i = (uint32_t)(is_key ? ~col : col);
        const sluice_value *v = is_key ? sp_key_value(tt, e, i) : &e->new_row[i];
        if (!v || v->kind == SLUICE_VALUE_UNCHANGED ||
            (is_key && !tt->full_identity && v->kind == SLUICE_VALUE_NULL))
            return bad_value(s, tt, e, i, "no key value", err);
        switch (v->kind) {
        case SLUICE_VALUE_NULL:
            s->offsets[p] = SIZE_MAX;
            continue;
        case SLUICE_VALUE_INT:
            s->offsets[p] = s->vals.len;
            sb_put_int(&s->vals, v->u.i);
            break;
        case SLUICE_VALUE_TEXT:
            if (memchr(v->u.bytes, '\0', v->len)) /* text parameters end at a NUL */
                return bad_value(s, tt, e, i, NUL_BYTE, err);
            s->offsets[p] = s->vals.len;
            sb_put(&s->vals, v->u.bytes, v->len);
            break;
        default:
            return bad_value(s, tt, e, i, "a native binary value", err);
        }
        sb_putc(&s->vals, '\0');
    }
    if (s->vals.failed)
        return sp_oom(s, err);
    for (uint32_t p = 0; p < st->nparams; p++)
        s->params[p] = s->offsets[p] == SIZE_MAX ? NULL : s->vals.data + s->offsets[p];
    return SLUICE_OK;
}

static sluice_status no_key(sinkpg *s, sp_table *tt, sp_op op, sluice_error *err)
{
    s->host->error(err, SLUICE_FATAL, "cannot apply %s to table \"%s\": it has no key",
                   op_name(op), tt->display);
    s->host->error_detail(err, "The source marks no primary key or replica identity column, "
                               "so the row to change cannot be found.");
    s->host->error_hint(err, "Give the source table a primary key, or set its REPLICA "
                             "IDENTITY to FULL.");
    return SLUICE_FATAL;
}

/* The first column whose text holds a NUL byte, or -1. */
static int32_t nul_column(const sp_table *tt, const sp_stmt *st, const sluice_event *e)
{
    for (uint32_t p = 0; p < st->nparams; p++) {
        int32_t col = st->param_cols[p];
        uint32_t i = (uint32_t)(col < 0 ? ~col : col);
        const sluice_value *v = col < 0 ? sp_key_value(tt, e, i) : &e->new_row[i];
        if (v && v->kind == SLUICE_VALUE_TEXT && memchr(v->u.bytes, '\0', v->len))
            return (int32_t)i;
    }
    return -1;
}

/* The row's statement, prepared (again) when needed; NULL with *skip when nothing is to change. */
static sp_stmt *statement_for(sinkpg *s, sp_table *tt, const sluice_event *e, sp_op op,
                              const sp_origin *o, int *skip, sluice_error *err)
{
    uint8_t small[64];
    size_t n = (tt->ncolumns + 7) / 8;
    uint8_t *mask = n <= sizeof small ? small : malloc(n);
    if (!mask) {
        sp_oom(s, err);
        return NULL;
    }
    row_mask(tt, e, op, mask);
    sluice_status rc = SLUICE_OK;
    sp_stmt *st = find_stmt(tt, op, mask, 0);
    if (op == SP_INSERT && !st) {
        for (uint32_t i = 0; i < tt->ncolumns && rc == SLUICE_OK; i++)
            if (!in_mask(mask, i))
                rc = bad_value(s, tt, e, i, "an unchanged value", err);
    }
    int nothing_to_set = op == SP_UPDATE && !st;
    for (size_t i = 0; i < n && nothing_to_set; i++)
        nothing_to_set = mask[i] == 0;
    *skip = rc == SLUICE_OK && nothing_to_set; /* every value unchanged: the row stays */
    if (rc == SLUICE_OK && !*skip && !st)
        st = new_stmt(s, tt, op, mask, 0, o, err);
    else if (rc == SLUICE_OK && st && !st->prepared && send_prepare(s, tt, st, o, err) != SLUICE_OK)
        st = NULL;
    if (mask != small)
        free(mask);
    return rc == SLUICE_OK ? st : NULL;
}

sp_stmt *sp_statement(sinkpg *s, sp_table *tt, sp_op op, const uint8_t *mask, int multi,
                      const sp_origin *o, sluice_error *err)
{
    sp_stmt *st = find_stmt(tt, op, mask, multi);
    if (!st)
        return new_stmt(s, tt, op, mask, multi, o, err);
    if (!st->prepared && send_prepare(s, tt, st, o, err) != SLUICE_OK)
        return NULL;
    return st;
}

sluice_status sp_send_row(sinkpg *s, sp_table *tt, const sluice_event *e, const sp_origin *o,
                          sluice_error *err)
{
    sp_op op = sp_op_of(e);
    if (op != SP_DELETE && !e->new_row)
        return s->host->error(err, SLUICE_FATAL, "%s for table \"%s\" came without a new row",
                              op_name(op), tt->display);
    if (op != SP_INSERT && tt->nkeys == 0)
        return no_key(s, tt, op, err);
    int skip = 0;
    sp_stmt *st = statement_for(s, tt, e, op, o, &skip, err);
    if (skip)
        return SLUICE_OK;
    if (!st)
        return err->status ? err->status : SLUICE_FATAL;
    int32_t nul = s->record ? nul_column(tt, st, e) : -1;
    if (nul >= 0)
        return reject_nul(s, tt, e, (uint32_t)nul, o, err);
    sluice_status rc = put_params(s, tt, st, e, err);
    if (rc == SLUICE_OK && s->record)
        rc = sp_pipe_row_begin(s, tt->slot, o, err);
    if (rc != SLUICE_OK)
        return rc;
    if (!PQsendQueryPrepared(s->conn, st->name, (int)st->nparams, s->params, NULL, NULL, 0))
        return sp_report(s, err, SLUICE_FATAL, NULL, "could not send a statement", NULL);
    rc = sp_pipe_push(s, (sp_item){.kind = ITEM_ROW, .op = (uint8_t)op, .slot = tt->slot,
                                   .xid = o->xid, .seq = o->seq, .event = e,
                                   .guarded = (uint8_t)s->pipe.guarded},
                      err);
    if (rc == SLUICE_OK && s->record)
        rc = sp_pipe_row_end(s, tt->slot, o, err);
    return rc;
}
