/*
 * Pipeline mode: apply sends its statements without waiting for each result
 * (one round trip per sync instead of one per row), then checks every result
 * in order. Each queued statement has an item saying what it was, so an error
 * names the table, the operation and the source transaction.
 *
 * After an error the server skips everything up to the sync (results come back
 * PIPELINE_ABORTED) and the transaction is aborted, so the first error is the
 * one reported.
 *
 * error_policy = record puts the rows of a window (what is queued between two
 * syncs) under one savepoint ("guarded"), released just before the sync: rows
 * that go in cost one subtransaction per window, not one each. When the target
 * rejects a row, after the sync the transaction is rolled back to that
 * savepoint and the row is kept for the errors table (errors.c). Then:
 *   - the rows before it, which went in and were rolled back, are sent again
 *     as a guarded window;
 *   - the rows after it, which the server skipped, are sent "framed", each
 *     between its own SAVEPOINT and RELEASE, at most FRAMED_CHUNK between two
 *     syncs: where rejected rows are many, one more only rolls back itself
 *     and wastes the rest of its chunk;
 *   - once a framed chunk goes in whole, the rows left are guarded again.
 * Only rows may be queued after a row that can still fail (sp_pipe_settle
 * comes first), so rows are all there is to send again. Their "found no row"
 * counts wait until their window stands, so a row sent twice counts once.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sinkpg.h"

#define NO_SLOT UINT32_MAX

/* Record: framed rows between two syncs, after a rejected row. */
#define FRAMED_CHUNK 64u

/* Warnings about rows that were not there, before going quiet (the counter goes on). */
#define MISSING_WARNINGS 10

sluice_status sp_pipe_enter(sinkpg *s, sluice_error *err)
{
    if (s->pipe.active)
        return SLUICE_OK;
    if (PQenterPipelineMode(s->conn) != 1)
        return sp_report(s, err, SLUICE_FATAL, NULL, "could not enter pipeline mode", NULL);
    s->pipe.active = 1;
    s->pipe.nitems = 0;
    return SLUICE_OK;
}

sluice_status sp_pipe_push(sinkpg *s, sp_item item, sluice_error *err)
{
    sp_pipe *p = &s->pipe;
    if (p->nitems == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : 256;
        sp_item *more = realloc(p->items, cap * sizeof *more);
        if (!more)
            return sp_oom(s, err);
        p->items = more;
        p->cap = cap;
    }
    p->items[p->nitems++] = item;
    p->nrows += item.kind == ITEM_ROW || item.kind == ITEM_BATCH;
    return SLUICE_OK;
}

sluice_status sp_pipe_command(sinkpg *s, const char *sql, const char *label, uint32_t slot,
                              sluice_error *err)
{
    sluice_status st = sp_pipe_settle(s, err);
    if (st == SLUICE_OK)
        st = sp_pipe_enter(s, err);
    if (st != SLUICE_OK)
        return st;
    if (!PQsendQueryParams(s->conn, sql, 0, NULL, NULL, NULL, NULL, 0))
        return sp_report(s, err, SLUICE_FATAL, NULL, "could not send a statement", NULL);
    return sp_pipe_push(
        s, (sp_item){.kind = ITEM_COMMAND, .slot = slot, .xid = s->xid, .command = label}, err);
}

static const char *table_of(const sinkpg *s, const sp_item *it)
{
    return it->slot < s->ntables ? s->tables[it->slot]->display : "?";
}

/* A parameterless statement about the rows of a window (record). */
static sluice_status send_savepoint(sinkpg *s, sp_item_kind kind, uint32_t slot,
                                    const sp_origin *o, sluice_error *err)
{
    static const struct {
        const char *sql, *label;
    } what[] = {
        [ITEM_GUARD] = {"SAVEPOINT sluice_rows", "set a savepoint before rows of"},
        [ITEM_UNGUARD] = {"RELEASE SAVEPOINT sluice_rows", "release the savepoint of rows of"},
        [ITEM_SAVEPOINT] = {"SAVEPOINT sluice_row", "set a savepoint before a row of"},
        [ITEM_RELEASE] = {"RELEASE SAVEPOINT sluice_row", "release the savepoint of a row of"},
    };
    if (!PQsendQueryParams(s->conn, what[kind].sql, 0, NULL, NULL, NULL, NULL, 0))
        return sp_report(s, err, SLUICE_FATAL, NULL, "could not send a statement", NULL);
    return sp_pipe_push(s, (sp_item){.kind = (uint8_t)kind, .slot = slot, .xid = o->xid,
                                     .command = what[kind].label, .seq = o->seq},
                        err);
}

sluice_status sp_pipe_row_begin(sinkpg *s, uint32_t slot, const sp_origin *o, sluice_error *err)
{
    sp_pipe *p = &s->pipe;
    if (p->framed)
        return send_savepoint(s, ITEM_SAVEPOINT, slot, o, err);
    if (p->guarded)
        return SLUICE_OK;
    p->guarded = 1;
    return send_savepoint(s, ITEM_GUARD, slot, o, err);
}

sluice_status sp_pipe_row_end(sinkpg *s, uint32_t slot, const sp_origin *o, sluice_error *err)
{
    return s->pipe.framed ? send_savepoint(s, ITEM_RELEASE, slot, o, err) : SLUICE_OK;
}

static sluice_status item_error(sinkpg *s, const sp_item *it, const PGresult *res,
                                sluice_error *err)
{
    static const char *const ops[] = {"an insert", "an update", "a delete"};
    char what[400], extra[300] = "", table[300];
    if (s->txn_open) /* else a full load's rows: no source transaction */
        snprintf(extra, sizeof extra, "In source transaction %" PRIu64 ".", it ? it->xid : s->xid);
    if (!it)
        snprintf(what, sizeof what, "could not apply changes");
    else if (it->kind == ITEM_ROW)
        snprintf(what, sizeof what, "could not apply %s to table \"%s\"", ops[it->op % 3],
                 table_of(s, it));
    else if (it->kind == ITEM_BATCH)
        snprintf(what, sizeof what, "could not apply %u row changes (%s each) to table \"%s\"",
                 (unsigned)it->nentries, ops[it->op % 3], table_of(s, it));
    else if (it->kind == ITEM_PREPARE)
        snprintf(what, sizeof what, "could not prepare %s for table \"%s\"", ops[it->op % 3],
                 table_of(s, it));
    else if (it->kind == ITEM_CHECKPOINT) {
        sp_checkpoint_display(s, table, sizeof table);
        snprintf(what, sizeof what, "could not write the checkpoint to table \"%s\"", table);
    } else if (it->kind == ITEM_REJECTED) {
        sp_errors_display(s, table, sizeof table);
        snprintf(what, sizeof what, "could not record a rejected row of table \"%s\" in table "
                 "\"%s\"", table_of(s, it), table);
    } else if (it->slot != NO_SLOT)
        snprintf(what, sizeof what, "could not %s table \"%s\"", it->command, table_of(s, it));
    else
        snprintf(what, sizeof what, "could not %s", it->command);
    if (sp_connection_lost(s))
        snprintf(extra, sizeof extra,
                 "The open target transaction was rolled back with the connection; nothing "
                 "after the last checkpoint was committed, and the next run streams it again.");
    return sp_report(s, err, SLUICE_FATAL, res, what, extra);
}

/* An UPDATE or DELETE that found no row: the target differs from the source. */
static void count_missing(sinkpg *s, const sp_item *it)
{
    s->host->count(s->ctx, "rows_missing", 1);
    if (s->missing_warnings++ < MISSING_WARNINGS)
        s->host->log(s->ctx, SLUICE_LOG_WARNING,
                     "%s in source transaction %" PRIu64 " found no row in table \"%s\"%s",
                     it->op == SP_UPDATE ? "an update" : "a delete", it->xid, table_of(s, it),
                     s->missing_warnings == MISSING_WARNINGS ? " (further ones are only counted)"
                                                             : "");
}

/*
 * Counts rows that found nothing now, or once their window stands (they may
 * be sent again). A multi-row statement tells how many rows it changed, not
 * which: the rows it did not change are its missing ones.
 */
static void check_found(sinkpg *s, sp_item *it, const PGresult *res)
{
    if ((it->kind != ITEM_ROW && it->kind != ITEM_BATCH) || it->op == SP_INSERT)
        return;
    unsigned long changed = strtoul(PQcmdTuples((PGresult *)res), NULL, 10);
    uint32_t rows = it->kind == ITEM_BATCH ? it->nentries : 1;
    it->missing = changed < rows ? rows - (uint32_t)changed : 0;
    if (!it->guarded)
        for (; it->missing; it->missing--)
            count_missing(s, it);
}

/* The window stands: the rows that found nothing count now. */
static void count_window(sinkpg *s)
{
    for (uint32_t i = 0; i < s->pipe.nitems; i++)
        for (; s->pipe.items[i].missing; s->pipe.items[i].missing--)
            count_missing(s, &s->pipe.items[i]);
}

/* The first rejected row of a sync (error_policy = record). */
typedef struct sp_failed {
    uint32_t index; /* its item; UINT32_MAX: none */
    PGresult *res;
} sp_failed;

/* A PREPARE the server skipped after an error: the statement does not exist. */
static void unprepare(sinkpg *s, const sp_item *it)
{
    if (it->slot < s->ntables && it->stmt < s->tables[it->slot]->nstmts)
        s->tables[it->slot]->stmts[it->stmt].prepared = 0;
}

/*
 * Syncs and reads every queued result, then leaves pipeline mode. With failed
 * set, the first error that sp_rejectable accepts is handed back there instead
 * of being reported (everything after it comes back PIPELINE_ABORTED).
 */
static sluice_status read_results(sinkpg *s, sp_failed *failed, sluice_error *err)
{
    sp_pipe *p = &s->pipe;
    sluice_status st = SLUICE_OK;
    if (PQpipelineSync(s->conn) != 1)
        st = item_error(s, NULL, NULL, err);
    uint32_t next = 0;
    int nulls = 0;
    while (st == SLUICE_OK || !sp_connection_lost(s)) {
        PGresult *res = PQgetResult(s->conn);
        if (!res) {
            /* one NULL ends each statement's results; two in a row: nothing is coming */
            if (sp_connection_lost(s) || ++nulls > 1) {
                if (st == SLUICE_OK)
                    st = item_error(s, next < p->nitems ? &p->items[next] : NULL, NULL, err);
                break;
            }
            continue;
        }
        nulls = 0;
        ExecStatusType t = PQresultStatus(res);
        if (t == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            break;
        }
        sp_item *it = next < p->nitems ? &p->items[next] : NULL;
        next++;
        if (t == PGRES_PIPELINE_ABORTED && it && it->kind == ITEM_PREPARE)
            unprepare(s, it);
        if (t == PGRES_FATAL_ERROR && st == SLUICE_OK && failed && !failed->res && it &&
            (it->kind == ITEM_ROW || it->kind == ITEM_BATCH) && sp_rejectable(s, res)) {
            failed->index = next - 1;
            failed->res = res; /* the caller clears it */
            continue;
        }
        if (t == PGRES_FATAL_ERROR && st == SLUICE_OK)
            st = item_error(s, it, res, err);
        else if (t == PGRES_COMMAND_OK && it && st == SLUICE_OK)
            check_found(s, it, res);
        else if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK && t != PGRES_PIPELINE_ABORTED &&
                 t != PGRES_FATAL_ERROR && st == SLUICE_OK)
            st = item_error(s, it, res, err);
        PQclear(res);
    }
    if (!sp_connection_lost(s) && PQexitPipelineMode(s->conn) != 1 && st == SLUICE_OK)
        st = sp_report(s, err, SLUICE_FATAL, NULL, "could not leave pipeline mode", NULL);
    p->active = PQpipelineStatus(s->conn) != PQ_PIPELINE_OFF;
    return st;
}

/* Undoes the window (guarded) or the rejected row: the transaction is aborted until then. */
static sluice_status roll_back(sinkpg *s, int guarded, sluice_error *err)
{
    PGresult *res = PQexec(s->conn, guarded ? "ROLLBACK TO SAVEPOINT sluice_rows; "
                                              "RELEASE SAVEPOINT sluice_rows"
                                            : "ROLLBACK TO SAVEPOINT sluice_row; "
                                              "RELEASE SAVEPOINT sluice_row");
    sluice_status st = SLUICE_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        st = sp_report(s, err, SLUICE_FATAL, res, "could not roll back a rejected row", NULL);
    PQclear(res);
    return st;
}

/* The server's error as the reason a row was rejected. */
static sp_why why_of(const PGresult *res)
{
    return (sp_why){PQresultErrorField(res, PG_DIAG_SQLSTATE),
                    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY),
                    PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)};
}

/*
 * Appends the rows of items [from, to) of the window, except `skip`, to *out
 * as `framed`: a multi-row statement's rows one by one.
 */
static void copy_rows(const sp_pipe *p, uint32_t from, uint32_t to, uint32_t skip, int framed,
                      sp_item *out, uint32_t *n)
{
    for (uint32_t i = from; i < to; i++) {
        const sp_item *it = &p->items[i];
        if ((it->kind != ITEM_ROW && it->kind != ITEM_BATCH) || i == skip)
            continue;
        uint32_t rows = it->kind == ITEM_BATCH ? it->nentries : 1;
        for (uint32_t r = 0; r < rows; r++) {
            out[*n] = *it;
            if (it->kind == ITEM_BATCH) {
                out[*n].kind = ITEM_ROW;
                out[*n].event = it->entries[r].event;
                out[*n].xid = it->entries[r].xid;
                out[*n].seq = it->entries[r].seq;
                out[*n].entries = NULL;
                out[*n].nentries = 0;
            }
            out[*n].framed = (uint8_t)framed;
            out[*n].missing = 0;
            (*n)++;
        }
    }
}

/* Rows in the window's ROW and BATCH items. */
static uint32_t window_rows(const sp_pipe *p)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->nitems; i++)
        n += p->items[i].kind == ITEM_BATCH ? p->items[i].nentries : p->items[i].kind == ITEM_ROW;
    return n;
}

/*
 * Puts the window's rows that must go again before the rows still queued: in
 * a guarded window those before the rejected one (rolled back) as a guarded
 * window, and in any window those after it (skipped by the server) framed.
 * A rejected multi-row statement's own rows go again framed, one by one, so
 * the row the target refuses is found.
 */
static sluice_status requeue(sinkpg *s, uint32_t failed, int guarded, sluice_error *err)
{
    sp_pipe *p = &s->pipe;
    uint32_t left = p->nqueue - p->qhead, n = 0;
    sp_item *q = malloc((window_rows(p) + left + 1) * sizeof *q);
    if (!q)
        return sp_oom(s, err);
    if (guarded)
        copy_rows(p, 0, failed, failed, 0, q, &n);
    if (p->items[failed].kind == ITEM_BATCH)
        copy_rows(p, failed, failed + 1, UINT32_MAX, 1, q, &n);
    copy_rows(p, failed + 1, p->nitems, failed, 1, q, &n);
    if (left)
        memcpy(q + n, p->queue + p->qhead, left * sizeof *q);
    free(p->queue);
    p->queue = q;
    p->qhead = 0;
    p->nqueue = n + left;
    return SLUICE_OK;
}

/*
 * Record: the row at failed->index was rejected and the server skipped what
 * came after it. Rolls back to the window's savepoint (guarded) or the row's
 * own, keeps the row for the errors table, and queues the rows to send again.
 */
static sluice_status reject_row(sinkpg *s, const sp_failed *failed, int guarded,
                                sluice_error *err)
{
    sp_pipe *p = &s->pipe;
    sp_item bad = p->items[failed->index];
    sluice_status st = requeue(s, failed->index, guarded, err);
    p->nitems = p->nrows = 0;
    if (st == SLUICE_OK)
        st = roll_back(s, guarded, err);
    if (st == SLUICE_OK && bad.kind == ITEM_ROW) { /* a statement's rows: found when sent again */
        sp_why why = why_of(failed->res);
        sp_origin o = {bad.xid, bad.seq};
        st = sp_reject(s, s->tables[bad.slot], bad.event, &o, &why, err);
    }
    return st;
}

/*
 * Sends the next run of queued rows: guarded ones up to a window, framed ones
 * up to FRAMED_CHUNK (their statements are prepared again where the server
 * skipped the PREPARE too).
 */
static sluice_status send_queued(sinkpg *s, sluice_error *err)
{
    sp_pipe *p = &s->pipe;
    sluice_status st = SLUICE_OK;
    p->framed = p->queue[p->qhead].framed;
    uint32_t limit = p->framed ? FRAMED_CHUNK : p->window ? p->window : SP_PIPE_WINDOW, sent = 0;
    while (st == SLUICE_OK && p->qhead < p->nqueue && sent < limit &&
           p->queue[p->qhead].framed == p->framed) {
        const sp_item *it = &p->queue[p->qhead++];
        sp_origin o = {it->xid, it->seq};
        st = sp_pipe_enter(s, err);
        if (st == SLUICE_OK)
            st = sp_send_row(s, s->tables[it->slot], it->event, &o, err);
        sent++;
    }
    if (p->qhead == p->nqueue)
        p->qhead = p->nqueue = 0;
    return st;
}

/* A framed chunk went in whole: the rows still queued go guarded again. */
static void unframe(sp_pipe *p)
{
    for (uint32_t i = p->qhead; i < p->nqueue; i++)
        p->queue[i].framed = 0;
}

sluice_status sp_pipe_finish(sinkpg *s, sluice_error *err)
{
    sp_pipe *p = &s->pipe;
    sluice_status st = sp_batch_flush(s, err); /* runs waiting to be sent go before the sync */
    while (st == SLUICE_OK && (p->active || p->qhead < p->nqueue)) {
        if (!p->active) {
            st = send_queued(s, err);
            continue;
        }
        sp_failed failed = {UINT32_MAX, NULL};
        int guarded = p->guarded, framed = p->framed;
        if (guarded) /* the window's rows go in, unless one of them is rejected */
            st = send_savepoint(s, ITEM_UNGUARD, NO_SLOT, &(sp_origin){s->xid, 0}, err);
        p->guarded = p->framed = 0;
        if (st == SLUICE_OK)
            st = read_results(s, s->record ? &failed : NULL, err);
        if (st == SLUICE_OK && failed.res) {
            st = reject_row(s, &failed, guarded, err);
        } else if (st == SLUICE_OK) {
            count_window(s);
            if (framed)
                unframe(p);
        }
        p->nitems = p->nrows = 0;
        PQclear(failed.res);
    }
    if (st != SLUICE_OK)
        sp_pipe_drain(s);
    p->nitems = p->nrows = 0;
    p->qhead = p->nqueue = 0;
    p->ncommits = 0; /* every row before them is settled */
    p->guarded = p->framed = 0;
    sp_batch_sent(s);
    return st;
}

sluice_status sp_pipe_settle(sinkpg *s, sluice_error *err)
{
    /* runs first: what is queued next (a command, the checkpoint) comes after them */
    sluice_status st = sp_batch_flush(s, err);
    if (st != SLUICE_OK)
        return st;
    return s->record && s->pipe.active && s->pipe.nrows ? sp_pipe_finish(s, err) : SLUICE_OK;
}

void sp_pipe_drain(sinkpg *s)
{
    sp_pipe *p = &s->pipe;
    if (p->active) {
        sluice_error ignored;
        memset(&ignored, 0, sizeof ignored);
        ignored.header = (sluice_header)SLUICE_HEADER_INIT(sluice_error);
        read_results(s, NULL, &ignored);
    }
    sp_batch_discard(s);
    p->nitems = p->nrows = 0;
    p->qhead = p->nqueue = 0;
    p->ncommits = 0;
    p->guarded = p->framed = 0;
}

void sp_pipe_free(sp_pipe *p)
{
    sp_batch_free(p);
    free(p->items);
    free(p->commits);
    free(p->queue);
    p->items = NULL;
    p->commits = NULL;
    p->queue = NULL;
    p->qhead = p->nqueue = 0;
    p->nitems = p->cap = p->nrows = 0;
    p->ncommits = p->commits_cap = 0;
}
