/*
 * Full load: COPY ... FROM STDIN in text format, or in binary format for a
 * batch of NATIVE values (ABI 1.3, native.c). One COPY per instance and
 * table chunk: it starts at the chunk's first write_rows, stays open across
 * its batches and ends in finish_table. The COPY runs as its own (implicit)
 * transaction, so when PQputCopyEnd's result is COMMAND_OK its rows are
 * committed: durable before the core marks the table loaded, and never
 * visible half-way if the load fails.
 *
 * The server checks rows as they stream, but reports a rejected row only when
 * the COPY ends (or when a later send fails), so that error usually comes from
 * finish_table; its detail carries the server's "COPY t, line N" context.
 *
 * A batch that begins with a SCHEMA event (ABI 1.8: the source met columns the
 * table lacked) ends the chunk's COPY, so its rows so far are committed, adds
 * the new columns (ddl.c) and goes on in a COPY of the new shape.
 *
 * error_policy = record needs the rows of a COPY the server refuses, and a
 * batch is only lent for one call: so each batch is its own COPY, ended (and
 * committed) before write_rows returns. When the server refuses it for a
 * row's data, nothing of it stayed; its rows then go in one by one, each as
 * an INSERT under its own savepoint in one transaction (pipe.c), and the
 * rejected ones go into the errors table in that same transaction (the rows
 * of a binary COPY go in as text, the target converting them, so the errors
 * table shows readable values). A failed
 * chunk can leave its earlier batches at the target, as a failed table leaves
 * its other chunks: the core loads a failed table again from scratch (or,
 * with DO_NOTHING, refuses to).
 */
#include <string.h>

#include "sinkpg.h"
#include "sqltext.h"

/* Bytes handed to libpq at a time: bounds the copy libpq makes of a batch. */
#define SEND_PIECE (256u * 1024u)

/* The end of a binary COPY: a field count of -1. */
static int put_trailer(sinkpg *s)
{
    return !s->copy_native || PQputCopyData(s->conn, "\377\377", 2) == 1 ? 0 : -1;
}

/* Reads the COPY's final results: the first failed one into *failed (the caller clears it). */
static void copy_results(sinkpg *s, PGresult **failed)
{
    PGresult *res;
    *failed = NULL;
    while ((res = PQgetResult(s->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && !*failed)
            *failed = res;
        else
            PQclear(res);
        if (sp_connection_lost(s))
            break;
    }
}

static sluice_status copy_failed(sinkpg *s, const char *display, const PGresult *res,
                                 sluice_error *err)
{
    char what[400];
    snprintf(what, sizeof what, "could not copy rows into table \"%s\"", display);
    return sp_report(s, err, SLUICE_ERROR, res, what, NULL);
}

/* Reads the COPY's final result; SLUICE_OK when the rows are committed. */
static sluice_status end_result(sinkpg *s, const char *display, sluice_error *err)
{
    PGresult *failed;
    copy_results(s, &failed);
    sluice_status st = SLUICE_OK;
    if (failed || sp_connection_lost(s))
        st = copy_failed(s, display, failed, err);
    PQclear(failed);
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

static sluice_status start_copy(sinkpg *s, sp_table *tt, const sluice_table *t, int native,
                                sluice_error *err)
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
    sb_puts(q, native ? ") FROM STDIN (FORMAT binary)" : ") FROM STDIN");
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
    s->copy_native = native;
    s->copy_rows = 0;
    if (native) { /* the header, once per COPY */
        sb_reset(&s->copy_buf);
        sp_native_header(&s->copy_buf);
        if (s->copy_buf.failed)
            return sp_oom(s, err);
        if (PQputCopyData(s->conn, s->copy_buf.data, (int)s->copy_buf.len) != 1) {
            s->copy_table = NULL;
            char what[400];
            snprintf(what, sizeof what, "could not start copying rows into table \"%s\"",
                     tt->display);
            return sp_report(s, err, SLUICE_ERROR, NULL, what, NULL);
        }
    }
    return SLUICE_OK;
}

static sluice_status bad_value(sinkpg *s, const sp_table *tt, const sluice_table *t, uint32_t col,
                               const sluice_value *v, sluice_error *err)
{
    const sluice_column *c = sluice_table_column(t, col);
    const char *kind = v->kind == SLUICE_VALUE_NATIVE      ? "native binary"
                       : v->kind == SLUICE_VALUE_UNCHANGED ? "missing (unchanged)"
                                                           : "text";
    s->host->error(err, SLUICE_ERROR, "cannot copy a %s value into column \"%.*s\" of table \"%s\"",
                   kind, (int)c->name.len, c->name.ptr, tt->display);
    if (s->copy_native)
        s->host->error_detail(err, "The batch is in PostgreSQL's binary form (native format "
                                   "%u); each of its values must be NATIVE or NULL.",
                              (unsigned)SLUICE_NATIVE_PG_BINARY);
    else
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
        if (s->copy_native) {
            int bad = sp_native_put_row(out, e->new_row, t->ncolumns);
            if (bad >= 0)
                return bad_value(s, tt, t, (uint32_t)bad, &e->new_row[bad], err);
            (*rows)++;
            continue;
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

/* Hands the encoded rows to libpq: 0, or -1 when the COPY ended early (the server
   refused it, or the connection dropped). */
static int put_rows(sinkpg *s)
{
    const sbuf *out = &s->copy_buf;
    for (size_t done = 0; done < out->len;) {
        size_t n = out->len - done < SEND_PIECE ? out->len - done : SEND_PIECE;
        if (PQputCopyData(s->conn, out->data + done, (int)n) != 1)
            return -1;
        done += n;
    }
    return 0;
}

static sluice_status send_rows(sinkpg *s, sp_table *tt, sluice_error *err)
{
    if (put_rows(s) == 0)
        return SLUICE_OK;
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

/* ---- error_policy = record ---- */

/* The batch as one COPY of its own; *failed: the server's refusal, if any (caller clears). */
static sluice_status copy_batch(sinkpg *s, sp_table *tt, const sluice_table *t,
                                const sluice_batch *b, uint64_t *rows, PGresult **failed,
                                sluice_error *err)
{
    *failed = NULL;
    sluice_status st = start_copy(s, tt, t, b->native_format == SLUICE_NATIVE_PG_BINARY, err);
    if (st == SLUICE_OK && (st = encode_rows(s, tt, b, rows, err)) != SLUICE_OK)
        sp_copy_abort(s);
    if (st != SLUICE_OK)
        return st;
    s->copy_table = NULL;
    if (put_rows(s) == 0 && (put_trailer(s) != 0 || PQputCopyEnd(s->conn, NULL) != 1)) {
        char what[400];
        snprintf(what, sizeof what, "could not finish copying rows into table \"%s\"",
                 tt->display);
        return sp_report(s, err, SLUICE_ERROR, NULL, what, NULL);
    }
    copy_results(s, failed);
    if (!*failed && sp_connection_lost(s))
        return copy_failed(s, tt->display, NULL, err);
    return SLUICE_OK;
}

/* Queues the batch's rows as single INSERTs (pipe.c frames each with a savepoint). */
static sluice_status send_singly(sinkpg *s, sp_table *tt, const sluice_batch *b,
                                 sluice_error *err)
{
    const sp_origin none = {0, 0};
    sluice_status st = SLUICE_OK;
    for (uint32_t i = 0; i < b->nevents && st == SLUICE_OK; i++) {
        const sluice_event *e = sluice_batch_event(b, i);
        if (e->op != SLUICE_OP_INSERT || !e->new_row)
            continue;
        if (s->pipe.nitems >= SP_FALLBACK_WINDOW)
            st = sp_pipe_finish(s, err);
        if (st == SLUICE_OK)
            st = sp_pipe_enter(s, err);
        if (st == SLUICE_OK)
            st = sp_send_row(s, tt, e, &none, err);
    }
    return st;
}

/*
 * The COPY was refused for a row's data: every row again, one by one, in one
 * transaction with the errors table's rows for the rejected ones.
 */
static sluice_status insert_singly(sinkpg *s, sp_table *tt, const sluice_batch *b,
                                   uint64_t *rejected, sluice_error *err)
{
    uint64_t before = s->rejected_total;
    s->threshold_hit = 0;
    s->pipe.window = SP_FALLBACK_WINDOW;
    sluice_status st = sp_command(s, err, SLUICE_ERROR, "BEGIN", "could not begin a transaction");
    if (st == SLUICE_OK)
        st = send_singly(s, tt, b, err);
    if (st == SLUICE_OK)
        st = sp_errors_send(s, err);
    if (st == SLUICE_OK)
        st = sp_pipe_command(s, "COMMIT", "commit the rows of", tt->slot, err);
    if (st == SLUICE_OK)
        st = sp_pipe_finish(s, err);
    if (st != SLUICE_OK) {
        sp_pipe_drain(s);
        if (!sp_connection_lost(s))
            PQclear(PQexec(s->conn, "ROLLBACK"));
        if (!s->threshold_hit) /* the table fails; error_threshold stops the run */
            st = err->status = SLUICE_ERROR;
    }
    sp_errors_reset(s);
    s->pipe.window = 0;
    *rejected = s->rejected_total - before;
    return st;
}

/* A refused native batch: its rows as text first (native.c), then one by one. */
static sluice_status native_singly(sinkpg *s, sp_table *tt, const sluice_batch *b,
                                   uint64_t *rejected, sluice_error *err)
{
    uint64_t before = s->rejected_total, later = 0;
    sp_text_rows tr;
    s->threshold_hit = 0;
    sluice_status st = sp_native_as_text(s, tt, b, &tr, err);
    if (st == SLUICE_OK)
        st = insert_singly(s, tt, &tr.batch, &later, err);
    else if (!s->threshold_hit)
        st = err->status = SLUICE_ERROR;
    if (st != SLUICE_OK)
        sp_errors_reset(s); /* rows it recorded are not written */
    sp_text_rows_free(&tr);
    *rejected = s->rejected_total - before;
    return st;
}

static sluice_status write_batch(sinkpg *s, sp_table *tt, const sluice_table *t,
                                 const sluice_batch *b, sluice_error *err)
{
    uint64_t rows = 0, rejected = 0;
    PGresult *failed = NULL;
    sluice_status st = copy_batch(s, tt, t, b, &rows, &failed, err);
    if (st == SLUICE_OK && failed && sp_rejectable(s, failed)) {
        s->host->log(s->ctx, SLUICE_LOG_DEBUG,
                     "table \"%s\" refused a COPY of %llu rows (%s); inserting them one by one",
                     tt->display, (unsigned long long)rows,
                     PQresultErrorField(failed, PG_DIAG_MESSAGE_PRIMARY));
        if (b->native_format == SLUICE_NATIVE_PG_BINARY)
            st = native_singly(s, tt, b, &rejected, err);
        else
            st = insert_singly(s, tt, b, &rejected, err);
    } else if (st == SLUICE_OK && failed) {
        st = copy_failed(s, tt->display, failed, err);
    }
    PQclear(failed);
    if (st == SLUICE_OK)
        s->host->count(s->ctx, "rows_copied", rows - rejected);
    return st;
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
    if (b->nevents && sluice_batch_event(b, 0)->op == SLUICE_OP_SCHEMA) {
        /* a new version met during the load (ABI 1.8): this chunk's rows so far are
           committed with the COPY's end; the ones after it go in a COPY of the new shape */
        sluice_status st = s->copy_table == tt ? sp_finish_table(s, t, err) : SLUICE_OK;
        if (st == SLUICE_OK)
            st = sp_load_schema_change(s, tt, sluice_batch_event(b, 0)->table, err);
        if (st != SLUICE_OK)
            return st;
    }
    if (s->record)
        return write_batch(s, tt, t, b, err);
    uint64_t rows = 0;
    sluice_status st = SLUICE_OK;
    int native = b->native_format == SLUICE_NATIVE_PG_BINARY;
    if (s->copy_table && s->copy_native != native) {
        s->host->error(err, SLUICE_ERROR, "rows of table \"%s\" changed form during its load",
                       tt->display);
        s->host->error_detail(err, "A batch in %s form followed batches in %s form in one COPY.",
                              native ? "binary" : "text", native ? "text" : "binary");
        st = SLUICE_ERROR;
    }
    if (st == SLUICE_OK && !s->copy_table)
        st = start_copy(s, tt, t, native, err);
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
    if (put_trailer(s) != 0 || PQputCopyEnd(s->conn, NULL) != 1) {
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
