/*
 * Full load: COPY ... FROM STDIN in text format. One COPY per instance and
 * table chunk: it starts at the chunk's first write_rows, stays open across
 * its batches and ends in finish_table. The COPY runs as its own (implicit)
 * transaction, so when PQputCopyEnd's result is COMMAND_OK its rows are
 * committed: durable before the core marks the table loaded, and never
 * visible half-way if the load fails.
 *
 * The server checks rows as they stream, but reports a rejected row only when
 * the COPY ends (or when a later send fails), so that error usually comes from
 * finish_table; its detail carries the server's "COPY t, line N" context.
 */
#include <string.h>

#include "sinkpg.h"
#include "sqltext.h"

/* Bytes handed to libpq at a time: bounds the copy libpq makes of a batch. */
#define SEND_PIECE (256u * 1024u)

/* Reads the COPY's final result; SLUICE_OK when the rows are committed. */
static sluice_status end_result(sinkpg *s, const char *display, sluice_error *err)
{
    sluice_status st = SLUICE_OK;
    PGresult *res;
    char what[400];
    snprintf(what, sizeof what, "could not copy rows into table \"%s\"", display);
    while ((res = PQgetResult(s->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && st == SLUICE_OK)
            st = sp_report(s, err, SLUICE_ERROR, res, what, NULL);
        PQclear(res);
        if (sp_connection_lost(s))
            break;
    }
    if (st == SLUICE_OK && sp_connection_lost(s))
        st = sp_report(s, err, SLUICE_ERROR, NULL, what, NULL);
    return st;
}

void sp_copy_abort(sinkpg *s)
{
    if (!s->copy_table)
        return;
    sp_table *tt = s->copy_table;
    s->copy_table = NULL;
    if (sp_connection_lost(s))
        return;
    /* an error message makes the server fail the COPY: none of its rows stay */
    if (PQputCopyEnd(s->conn, "sluice abandoned this load") == 1) {
        PGresult *res;
        while ((res = PQgetResult(s->conn)) != NULL)
            PQclear(res);
    }
    s->host->log(s->ctx, SLUICE_LOG_DEBUG, "abandoned the COPY into table \"%s\"", tt->display);
}

static sluice_status start_copy(sinkpg *s, sp_table *tt, const sluice_table *t, sluice_error *err)
{
    sluice_status st = sp_ensure_connected(s, err);
    if (st == SLUICE_OK)
        st = sp_table_set_shape(s, tt, t, err);
    if (st != SLUICE_OK)
        return st;
    sbuf *q = &s->sql;
    sb_reset(q);
    sb_printf(q, "COPY %s (", tt->qname);
    for (uint32_t i = 0; i < tt->ncolumns; i++) {
        if (i)
            sb_puts(q, ", ");
        sql_put_ident(q, tt->columns[i], strlen(tt->columns[i]));
    }
    sb_puts(q, ") FROM STDIN");
    if (!sb_cstr(q))
        return sp_oom(s, err);
    PGresult *res = PQexec(s->conn, q->data);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        char what[400];
        snprintf(what, sizeof what, "could not start copying rows into table \"%s\"",
                 tt->display);
        st = sp_report(s, err, sp_connection_lost(s) ? SLUICE_RETRY : SLUICE_ERROR, res, what,
                       NULL);
        PQclear(res);
        return st;
    }
    PQclear(res);
    s->copy_table = tt;
    s->copy_rows = 0;
    return SLUICE_OK;
}

static sluice_status bad_value(sinkpg *s, const sp_table *tt, const sluice_table *t, uint32_t col,
                               const sluice_value *v, sluice_error *err)
{
    const sluice_column *c = sluice_table_column(t, col);
    s->host->error(err, SLUICE_ERROR, "cannot copy a %s value into column \"%.*s\" of table \"%s\"",
                   v->kind == SLUICE_VALUE_NATIVE ? "native binary" : "missing (unchanged)",
                   (int)c->name.len, c->name.ptr, tt->display);
    s->host->error_detail(err, "sink-pg writes COPY text; a snapshot row must carry text, "
                               "integer or NULL values.");
    return SLUICE_ERROR;
}

/* The batch's rows as COPY text lines into s->copy_buf. */
static sluice_status encode_rows(sinkpg *s, sp_table *tt, const sluice_batch *b, uint64_t *rows,
                                 sluice_error *err)
{
    sbuf *out = &s->copy_buf;
    sb_reset(out);
    for (uint32_t i = 0; i < b->nevents; i++) {
        const sluice_event *e = sluice_batch_event(b, i);
        const sluice_table *t = e->table ? e->table : b->table;
        if (e->op != SLUICE_OP_INSERT || !e->new_row || !t)
            continue; /* SKIP: a transform dropped the row */
        if (t->ncolumns != tt->ncolumns) {
            s->host->error(err, SLUICE_ERROR, "rows of table \"%s\" changed shape during its load",
                           tt->display);
            s->host->error_detail(err, "The COPY has %u columns; a row has %u.",
                                  (unsigned)tt->ncolumns, (unsigned)t->ncolumns);
            return SLUICE_ERROR;
        }
        for (uint32_t c = 0; c < t->ncolumns; c++) {
            if (c)
                sb_putc(out, '\t');
            if (copy_put_value(out, &e->new_row[c]) != 0)
                return bad_value(s, tt, t, c, &e->new_row[c], err);
        }
        sb_putc(out, '\n');
        (*rows)++;
    }
    return out->failed ? sp_oom(s, err) : SLUICE_OK;
}

static sluice_status send_rows(sinkpg *s, sp_table *tt, sluice_error *err)
{
    const sbuf *out = &s->copy_buf;
    for (size_t done = 0; done < out->len;) {
        size_t n = out->len - done < SEND_PIECE ? out->len - done : SEND_PIECE;
        if (PQputCopyData(s->conn, out->data + done, (int)n) != 1) {
            /* the server ended the COPY (a rejected row) or the connection dropped */
            s->copy_table = NULL;
            sluice_status st = end_result(s, tt->display, err);
            if (st == SLUICE_OK) {
                char what[400];
                snprintf(what, sizeof what, "could not send rows for table \"%s\"", tt->display);
                st = sp_report(s, err, SLUICE_ERROR, NULL, what, NULL);
            }
            return st;
        }
        done += n;
    }
    return SLUICE_OK;
}

sluice_status sp_write_rows(sinkpg *s, const sluice_batch *b, sluice_error *err)
{
    const sluice_table *t = b->table;
    for (uint32_t i = 0; i < b->nevents && !t; i++)
        t = sluice_batch_event(b, i)->table;
    for (uint32_t i = 0; i < b->nevents; i++) { /* the output table, as the sink sees it */
        const sluice_event *e = sluice_batch_event(b, i);
        if (e->op == SLUICE_OP_INSERT && e->table) {
            t = e->table;
            break;
        }
    }
    if (!t)
        return SLUICE_OK;
    sp_table *tt = sp_table_for(s, t, err);
    if (!tt)
        return err->status;
    if (s->copy_table && s->copy_table != tt) {
        /* the previous chunk never reached finish_table: its load failed, keep none of it */
        s->host->log(s->ctx, SLUICE_LOG_WARNING,
                     "abandoning the unfinished load of table \"%s\"", s->copy_table->display);
        sp_copy_abort(s);
    }
    uint64_t rows = 0;
    sluice_status st = SLUICE_OK;
    if (!s->copy_table)
        st = start_copy(s, tt, t, err);
    if (st == SLUICE_OK)
        st = encode_rows(s, tt, b, &rows, err);
    if (st == SLUICE_OK)
        st = send_rows(s, tt, err);
    if (st != SLUICE_OK) {
        sp_copy_abort(s); /* the table failed: the next chunk starts clean */
        return st;
    }
    s->copy_rows += rows;
    s->host->count(s->ctx, "rows_copied", rows);
    return SLUICE_OK;
}

sluice_status sp_finish_table(sinkpg *s, const sluice_table *t, sluice_error *err)
{
    sp_table *tt = sp_table_for(s, t, err);
    if (!tt)
        return err->status;
    if (s->copy_table != tt)
        return SLUICE_OK; /* no rows in this chunk: nothing to make durable */
    s->copy_table = NULL;
    if (PQputCopyEnd(s->conn, NULL) != 1) {
        char what[400];
        snprintf(what, sizeof what, "could not finish copying rows into table \"%s\"",
                 tt->display);
        return sp_report(s, err, SLUICE_ERROR, NULL, what, NULL);
    }
    sluice_status st = end_result(s, tt->display, err);
    if (st == SLUICE_OK)
        s->host->log(s->ctx, SLUICE_LOG_DEBUG, "copied %llu rows into table \"%s\"",
                     (unsigned long long)s->copy_rows, tt->display);
    return st;
}
