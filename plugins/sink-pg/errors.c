/*
 * error_policy = record: rows the target rejects go into an errors table
 * (errors_table, default sluice.sluice_errors) instead of stopping the load
 * or the change stream.
 *
 * A rejected row is kept in memory (sp_rejected) until the transaction it
 * belongs to commits, and its INSERT into the errors table is queued just
 * before that COMMIT (and, in CDC, before the checkpoint): the errors commit
 * with the data they accompany or not at all, so a restart never records one
 * twice. In CDC a row carries the position of its source transaction's
 * COMMIT. The row may be found before that COMMIT arrives (then the COMMIT
 * fills it in) or after it, when a sync comes later than the COMMIT event:
 * pipe.commits remembers the COMMITs seen since the rows were queued.
 *
 * error_threshold counts a table's rows in the errors table for this
 * pipeline (checkpoint_key), counted once per transaction, plus those kept
 * since. Past it, the row that does not fit stops the run (FATAL).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sinkpg.h"
#include "sqltext.h"

/* Warnings about recorded rows before going quiet (the counter goes on). */
#define REJECT_WARNINGS 10

static const char *const op_names[] = {"insert", "update", "delete"};
static const char *const op_articles[] = {"an insert", "an update", "a delete"};

void sp_errors_display(const sinkpg *s, char *buf, size_t size)
{
    snprintf(buf, size, "%s.%s", s->et_schema ? s->et_schema : "?",
             s->et_name ? s->et_name : "?");
}

sluice_status sp_errors_init(sinkpg *s, sluice_error *err)
{
    return sp_table_option(s, "errors_table", s->cfg.errors_table, &s->et_schema, &s->et_name,
                           &s->et_qname, err);
}

/* ---- the table ---- */

static sluice_status create_table(sinkpg *s, sluice_status st, const char *display,
                                  sluice_error *err)
{
    char what[400];
    sbuf sql = {0};
    sb_printf(&sql,
              "CREATE TABLE IF NOT EXISTS %s (id bigserial PRIMARY KEY, pipeline text NOT NULL, "
              "table_schema text NOT NULL, table_name text NOT NULL, phase text NOT NULL, "
              "operation text NOT NULL, source_xid numeric(20,0), position bytea, "
              "new_row json, old_key json, sqlstate text, message text NOT NULL, detail text, "
              "recorded_at timestamptz NOT NULL DEFAULT now())",
              s->et_qname);
    snprintf(what, sizeof what, "could not create the errors table \"%s\"", display);
    sluice_status rc = sb_cstr(&sql) ? sp_command(s, err, st, sql.data, what) : sp_oom(s, err);
    if (rc == SLUICE_OK) { /* error_threshold counts per pipeline and table */
        sbuf index = {0};
        sb_printf(&index, "%s_table_idx", s->et_name);
        sb_reset(&sql);
        sb_puts(&sql, "CREATE INDEX IF NOT EXISTS ");
        sql_put_ident(&sql, index.data ? index.data : "", index.len);
        sb_printf(&sql, " ON %s (pipeline, table_schema, table_name)", s->et_qname);
        snprintf(what, sizeof what, "could not index the errors table \"%s\"", display);
        rc = sb_cstr(&sql) && !index.failed ? sp_command(s, err, st, sql.data, what)
                                            : sp_oom(s, err);
        sb_free(&index);
    }
    sb_free(&sql);
    return rc;
}

sluice_status sp_errors_ensure(sinkpg *s, sluice_status st, sluice_error *err)
{
    if (s->et_ready)
        return SLUICE_OK;
    char table[300];
    sp_errors_display(s, table, sizeof table);
    int exists = sp_table_exists(s, s->et_schema, s->et_name, table, st, err);
    if (exists < 0)
        return err->status;
    if (!exists) {
        sluice_status rc = sp_ensure_schema(s, s->et_schema, st, err);
        if (rc == SLUICE_OK)
            rc = create_table(s, st, table, err);
        if (rc != SLUICE_OK)
            return rc;
        s->host->log(s->ctx, SLUICE_LOG_INFO, "created the errors table \"%s\"", table);
    }
    s->et_ready = 1;
    return SLUICE_OK;
}

sluice_status sp_errors_purge(sinkpg *s, const sp_table *tt, sluice_error *err)
{
    char what[400], table[300];
    sp_errors_display(s, table, sizeof table);
    snprintf(what, sizeof what, "could not remove the recorded errors of table \"%s\" from \"%s\"",
             tt->display, table);
    sbuf sql = {0};
    sb_printf(&sql, "DELETE FROM %s WHERE pipeline = $1 AND table_schema = $2 AND table_name = $3",
              s->et_qname);
    if (!sb_cstr(&sql))
        return sp_oom(s, err);
    const char *params[3] = {s->ck_key, tt->schema, tt->name};
    PGresult *res = sp_query(s, err, SLUICE_ERROR, sql.data, 3, params, what);
    sb_free(&sql);
    if (!res)
        return err->status;
    if (strcmp(PQcmdTuples(res), "0") != 0)
        s->host->log(s->ctx, SLUICE_LOG_INFO,
                     "removed %s recorded errors of table \"%s\" from \"%s\": the table is "
                     "loaded again",
                     PQcmdTuples(res), tt->display, table);
    PQclear(res);
    return SLUICE_OK;
}

/* ---- which errors are the row's ---- */

int sp_rejectable(const sinkpg *s, const PGresult *res)
{
    const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (!s->record || !code || sp_connection_lost(s))
        return 0;
    /* data exceptions (a value the type refuses), integrity constraint violations (CHECK,
       NOT NULL, UNIQUE, foreign keys), WITH CHECK OPTION, and a trigger's RAISE EXCEPTION */
    return strncmp(code, "22", 2) == 0 || strncmp(code, "23", 2) == 0 ||
           strncmp(code, "44", 2) == 0 || strcmp(code, "P0001") == 0;
}

/* ---- error_threshold ---- */

/* The table's rows already in the errors table for this pipeline. */
static sluice_status count_recorded(sinkpg *s, sp_table *tt, sluice_error *err)
{
    sluice_status st = sp_errors_ensure(s, SLUICE_FATAL, err);
    if (st != SLUICE_OK)
        return st;
    char what[400], table[300];
    sp_errors_display(s, table, sizeof table);
    snprintf(what, sizeof what, "could not count the recorded errors in table \"%s\"", table);
    sbuf sql = {0};
    sb_printf(&sql, "SELECT count(*) FROM %s WHERE pipeline = $1 AND table_schema = $2 AND "
                    "table_name = $3",
              s->et_qname);
    if (!sb_cstr(&sql))
        return sp_oom(s, err);
    const char *params[3] = {s->ck_key, tt->schema, tt->name};
    PGresult *res = sp_query(s, err, SLUICE_FATAL, sql.data, 3, params, what);
    sb_free(&sql);
    if (!res)
        return err->status;
    tt->rejected = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    tt->rejected_known = 1;
    PQclear(res);
    return SLUICE_OK;
}

static sluice_status too_many(sinkpg *s, const sp_table *tt, sp_op op, const sp_origin *o,
                              const sp_why *why, sluice_error *err)
{
    char table[300], where[100] = "";
    sp_errors_display(s, table, sizeof table);
    if (o->seq)
        snprintf(where, sizeof where, " in source transaction %" PRIu64, o->xid);
    s->threshold_hit = 1;
    s->host->error(err, SLUICE_FATAL,
                   "too many rejected rows for table \"%s\": error_threshold is %" PRId64,
                   tt->display, s->cfg.error_threshold);
    s->host->error_detail(err,
                          "The table has %" PRId64 " rejected rows in table \"%s\" for "
                          "pipeline \"%s\", counting those the failed transaction would have "
                          "added; one more, %s%s, failed: %s. %s",
                          tt->rejected, table, s->ck_key, op_articles[op], where,
                          why->message ? why->message : "(no message)",
                          o->seq ? "Nothing after the last checkpoint was committed."
                                 : "None of the rows of its batch were committed.");
    s->host->error_hint(err, "Fix what makes the target reject the rows, then delete the rows "
                             "you have dealt with from \"%s\" or raise error_threshold, and run "
                             "the pipeline again.",
                        table);
    return SLUICE_FATAL;
}

/* ---- keeping a rejected row ---- */

/* The value that found the row for column i, as stmt.c chooses it: the old key when sent. */
static const sluice_value *key_value(const sp_table *tt, const sluice_event *e, uint32_t i)
{
    if (e->old_row && (tt->full_identity || value_present(&e->old_row[i])))
        return &e->old_row[i];
    return e->new_row ? &e->new_row[i] : NULL;
}

/* The new row (only_keys 0) or the values that find the row, as a JSON object of columns. */
static char *row_json(const sp_table *tt, const sluice_event *e, int only_keys)
{
    sbuf b = {0};
    uint32_t n = only_keys ? tt->nkeys : tt->ncolumns, written = 0;
    sb_putc(&b, '{');
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = only_keys ? (uint32_t)tt->keys[k] : k;
        const sluice_value *v = only_keys ? key_value(tt, e, i) : &e->new_row[i];
        if (!v || v->kind == SLUICE_VALUE_UNCHANGED || v->kind == SLUICE_VALUE_NATIVE)
            continue; /* no text to show */
        if (written++)
            sb_puts(&b, ", ");
        json_put_string(&b, tt->columns[i], strlen(tt->columns[i]));
        sb_puts(&b, ": ");
        json_put_value(&b, v);
    }
    sb_putc(&b, '}');
    if (!sb_cstr(&b)) {
        sb_free(&b);
        return NULL;
    }
    return b.data;
}

static char *dup_scrubbed(const sinkpg *s, const char *text)
{
    char *copy = text ? strdup(text) : NULL;
    if (copy)
        sp_scrub(s, copy);
    return copy;
}

static void rejected_free(sp_rejected *r)
{
    free(r->new_row);
    free(r->old_key);
    free(r->sqlstate);
    free(r->message);
    free(r->detail);
    memset(r, 0, sizeof *r);
}

/* Its source COMMIT's position, when this instance has seen it. */
static void find_position(sinkpg *s, sp_rejected *r)
{
    if (r->seq == 0 || (s->src_open && r->seq == s->src_seq))
        return; /* a full load has none; an open transaction's comes with its COMMIT */
    for (uint32_t i = 0; i < s->pipe.ncommits; i++) {
        if (s->pipe.commits[i].seq != r->seq)
            continue;
        if (s->pipe.commits[i].position)
            r->position = *s->pipe.commits[i].position;
        r->positioned = 1;
        return;
    }
}

static sluice_status keep(sinkpg *s, const sp_table *tt, const sluice_event *e, sp_op op,
                          const sp_origin *o, const sp_why *why, sluice_error *err)
{
    if (s->nrejected == s->rejected_cap) {
        uint32_t cap = s->rejected_cap ? s->rejected_cap * 2 : 16;
        sp_rejected *more = realloc(s->rejected, cap * sizeof *more);
        if (!more)
            return sp_oom(s, err);
        s->rejected = more;
        s->rejected_cap = cap;
    }
    sp_rejected *r = &s->rejected[s->nrejected];
    memset(r, 0, sizeof *r);
    r->slot = tt->slot;
    r->op = (uint8_t)op;
    r->xid = o->xid;
    r->seq = o->seq;
    r->positioned = o->seq == 0;
    r->new_row = op == SP_DELETE || !e->new_row ? NULL : row_json(tt, e, 0);
    r->old_key = op == SP_INSERT ? NULL : row_json(tt, e, 1);
    r->sqlstate = why->sqlstate ? strdup(why->sqlstate) : NULL;
    r->message = dup_scrubbed(s, why->message ? why->message : "(no message)");
    r->detail = dup_scrubbed(s, why->detail);
    if ((op != SP_DELETE && e->new_row && !r->new_row) || (op != SP_INSERT && !r->old_key) ||
        !r->message ||
        (why->sqlstate && !r->sqlstate) || (why->detail && !r->detail)) {
        rejected_free(r);
        return sp_oom(s, err);
    }
    find_position(s, r);
    s->nrejected++;
    return SLUICE_OK;
}

static void warn(sinkpg *s, const sp_table *tt, sp_op op, const sp_origin *o, const sp_why *why)
{
    char table[300], where[100] = "";
    s->host->count(s->ctx, "rows_rejected", 1);
    if (s->reject_warnings++ >= REJECT_WARNINGS)
        return;
    sp_errors_display(s, table, sizeof table);
    if (o->seq)
        snprintf(where, sizeof where, " in source transaction %" PRIu64, o->xid);
    s->host->log(s->ctx, SLUICE_LOG_WARNING,
                 "table \"%s\" rejected %s%s; recording it in \"%s\": %s%s", tt->display,
                 op_articles[op], where, table, why->message ? why->message : "(no message)",
                 s->reject_warnings == REJECT_WARNINGS ? " (further ones are only counted)" : "");
}

sluice_status sp_reject(sinkpg *s, sp_table *tt, const sluice_event *e, const sp_origin *o,
                        const sp_why *why, sluice_error *err)
{
    sp_op op = e->op == SLUICE_OP_INSERT ? SP_INSERT : e->op == SLUICE_OP_UPDATE ? SP_UPDATE
                                                                                : SP_DELETE;
    sluice_status st = tt->rejected_known ? SLUICE_OK : count_recorded(s, tt, err);
    if (st != SLUICE_OK)
        return st;
    if (s->cfg.error_threshold > 0 && tt->rejected >= s->cfg.error_threshold)
        return too_many(s, tt, op, o, why, err);
    if ((st = keep(s, tt, e, op, o, why, err)) != SLUICE_OK)
        return st;
    tt->rejected++;
    s->rejected_total++;
    warn(s, tt, op, o, why);
    return SLUICE_OK;
}

/* ---- positions ---- */

sluice_status sp_errors_commit_seen(sinkpg *s, uint64_t seq, const sluice_position *pos,
                                    sluice_error *err)
{
    for (uint32_t i = 0; i < s->nrejected; i++) {
        sp_rejected *r = &s->rejected[i];
        if (r->seq != seq || r->positioned)
            continue;
        if (pos)
            r->position = *pos;
        r->positioned = 1;
    }
    sp_pipe *p = &s->pipe;
    if (!p->nrows)
        return SLUICE_OK; /* no row of it can still be rejected */
    if (p->ncommits == p->commits_cap) {
        uint32_t cap = p->commits_cap ? p->commits_cap * 2 : 64;
        sp_seen_commit *more = realloc(p->commits, cap * sizeof *more);
        if (!more)
            return sp_oom(s, err);
        p->commits = more;
        p->commits_cap = cap;
    }
    p->commits[p->ncommits++] = (sp_seen_commit){seq, pos};
    return SLUICE_OK;
}

/* ---- writing them ---- */

static sluice_status send_one(sinkpg *s, const sp_rejected *r, sluice_error *err)
{
    const sp_table *tt = s->tables[r->slot];
    char xid[24];
    snprintf(xid, sizeof xid, "%" PRIu64, r->xid);
    const char *values[12] = {s->ck_key,
                              tt->schema,
                              tt->name,
                              r->seq ? "cdc" : "full-load",
                              op_names[r->op],
                              r->seq ? xid : NULL,
                              r->seq && r->position.len ? (const char *)r->position.bytes : NULL,
                              r->new_row,
                              r->old_key,
                              r->sqlstate,
                              r->message,
                              r->detail};
    int lengths[12] = {0}, formats[12] = {0};
    lengths[6] = (int)r->position.len;
    formats[6] = 1; /* the position's bytes as they are */
    sbuf *q = &s->sql;
    sb_reset(q);
    sb_printf(q,
              "INSERT INTO %s (pipeline, table_schema, table_name, phase, operation, source_xid, "
              "position, new_row, old_key, sqlstate, message, detail, recorded_at) VALUES ($1, "
              "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, clock_timestamp())",
              s->et_qname);
    if (!sb_cstr(q))
        return sp_oom(s, err);
    if (!PQsendQueryParams(s->conn, q->data, 12, NULL, values, lengths, formats, 0))
        return sp_report(s, err, SLUICE_FATAL, NULL, "could not send a statement", NULL);
    return sp_pipe_push(s, (sp_item){.kind = ITEM_REJECTED, .op = r->op, .slot = r->slot,
                                     .xid = r->xid, .seq = r->seq},
                        err);
}

sluice_status sp_errors_send(sinkpg *s, sluice_error *err)
{
    sluice_status st = sp_pipe_settle(s, err); /* rows still unchecked may add to them */
    if (st != SLUICE_OK || s->nrejected == 0)
        return st;
    if (!s->et_ready) { /* outside the pipeline: it may run queries */
        st = sp_pipe_finish(s, err);
        if (st == SLUICE_OK)
            st = sp_errors_ensure(s, SLUICE_FATAL, err);
    }
    if (st == SLUICE_OK)
        st = sp_pipe_enter(s, err);
    for (uint32_t i = 0; i < s->nrejected && st == SLUICE_OK; i++)
        st = send_one(s, &s->rejected[i], err);
    for (uint32_t i = 0; i < s->nrejected; i++) /* libpq holds copies now */
        rejected_free(&s->rejected[i]);
    s->nrejected = 0;
    return st;
}

void sp_errors_reset(sinkpg *s)
{
    for (uint32_t i = 0; i < s->nrejected; i++)
        rejected_free(&s->rejected[i]);
    s->nrejected = 0;
    for (uint32_t i = 0; i < s->ntables; i++)
        s->tables[i]->rejected_known = 0;
}

void sp_errors_free(sinkpg *s)
{
    sp_errors_reset(s);
    free(s->rejected);
    s->rejected = NULL;
    s->rejected_cap = 0;
    free(s->et_schema);
    free(s->et_name);
    free(s->et_qname);
}
