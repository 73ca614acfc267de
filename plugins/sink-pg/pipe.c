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
 * error_policy = record puts each row between SAVEPOINT and RELEASE. A row the
 * target rejects then costs one more round trip: after the sync the
 * transaction is rolled back to that row's savepoint, the row is kept for the
 * errors table, and the rows the server skipped after it are sent again. Only
 * rows may be queued after a row that can still fail (sp_pipe_settle comes
 * first), so rows are all there is to send again.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sinkpg.h"

#define NO_SLOT UINT32_MAX

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
    p->nrows += item.kind == ITEM_ROW;
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
    return sp_pipe_push(s, (sp_item){ITEM_COMMAND, 0, slot, s->xid, label}, err);
}

static const char *table_of(const sinkpg *s, const sp_item *it)
{
    return it->slot < s->ntables ? s->tables[it->slot]->display : "?";
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
static void check_found(sinkpg *s, const sp_item *it, const PGresult *res)
{
    if (it->kind != ITEM_ROW || it->op == SP_INSERT || strcmp(PQcmdTuples((PGresult *)res), "0"))
        return;
    s->host->count(s->ctx, "rows_missing", 1);
    if (s->missing_warnings++ < MISSING_WARNINGS)
        s->host->log(s->ctx, SLUICE_LOG_WARNING,
                     "%s in source transaction %" PRIu64 " found no row in table \"%s\"%s",
                     it->op == SP_UPDATE ? "an update" : "a delete", it->xid, table_of(s, it),
                     s->missing_warnings == MISSING_WARNINGS ? " (further ones are only counted)"
                                                             : "");
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
        const sp_item *it = next < p->nitems ? &p->items[next] : NULL;
        next++;
        if (t == PGRES_PIPELINE_ABORTED && it && it->kind == ITEM_PREPARE)
            unprepare(s, it);
        if (t == PGRES_FATAL_ERROR && st == SLUICE_OK && failed && !failed->res && it &&
            it->kind == ITEM_ROW && sp_rejectable(s, res)) {
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

/* Undoes the rejected row: its savepoint is the innermost, and the transaction is aborted. */
static sluice_status roll_back_row(sinkpg *s, sluice_error *err)
{
    PGresult *res = PQexec(s->conn, "ROLLBACK TO SAVEPOINT sluice_row; "
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
 * Record: the row at failed->index was rejected and the server skipped what
 * came after it. Rolls back to the row's savepoint, keeps the row for the
 * errors table, and queues the skipped rows again (their statements are
 * prepared again where the server skipped the PREPARE too).
 */
static sluice_status reject_and_resend(sinkpg *s, const sp_failed *failed, sluice_error *err)
{
    sp_pipe *p = &s->pipe;
    sp_item bad = p->items[failed->index];
    uint32_t ntail = 0;
    sp_item *tail = malloc((p->nitems - failed->index) * sizeof *tail);
    if (!tail)
        return sp_oom(s, err);
    for (uint32_t i = failed->index + 1; i < p->nitems; i++)
        if (p->items[i].kind == ITEM_ROW)
            tail[ntail++] = p->items[i];
    p->nitems = p->nrows = 0;
    sluice_status st = roll_back_row(s, err);
    if (st == SLUICE_OK) {
        sp_why why = why_of(failed->res);
        sp_origin o = {bad.xid, bad.seq};
        st = sp_reject(s, s->tables[bad.slot], bad.event, &o, &why, err);
    }
    for (uint32_t i = 0; i < ntail && st == SLUICE_OK; i++) {
        sp_origin o = {tail[i].xid, tail[i].seq};
        st = sp_pipe_enter(s, err);
        if (st == SLUICE_OK)
            st = sp_send_row(s, s->tables[tail[i].slot], tail[i].event, &o, err);
    }
    free(tail);
    return st;
}

sluice_status sp_pipe_finish(sinkpg *s, sluice_error *err)
{
    sp_pipe *p = &s->pipe;
    sluice_status st = SLUICE_OK;
    while (st == SLUICE_OK && p->active) {
        sp_failed failed = {UINT32_MAX, NULL};
        st = read_results(s, s->record ? &failed : NULL, err);
        if (st == SLUICE_OK && failed.res)
            st = reject_and_resend(s, &failed, err);
        else
            p->nitems = p->nrows = 0;
        PQclear(failed.res);
    }
    if (st != SLUICE_OK && p->active)
        sp_pipe_drain(s);
    p->nitems = p->nrows = 0;
    p->ncommits = 0; /* every row before them is settled */
    return st;
}

sluice_status sp_pipe_settle(sinkpg *s, sluice_error *err)
{
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
    p->nitems = p->nrows = 0;
    p->ncommits = 0;
}

void sp_pipe_free(sp_pipe *p)
{
    free(p->items);
    free(p->commits);
    p->items = NULL;
    p->commits = NULL;
    p->nitems = p->cap = p->nrows = 0;
    p->ncommits = p->commits_cap = 0;
}
