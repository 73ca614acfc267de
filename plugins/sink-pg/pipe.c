/*
 * Pipeline mode: apply sends its statements without waiting for each result
 * (one round trip per sync instead of one per row), then checks every result
 * in order. Each queued statement has an item saying what it was, so an error
 * names the table, the operation and the source transaction.
 *
 * After an error the server skips everything up to the sync (results come back
 * PIPELINE_ABORTED) and the transaction is aborted, so the first error is the
 * one reported.
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
    return SLUICE_OK;
}

sluice_status sp_pipe_command(sinkpg *s, const char *sql, const char *label, uint32_t slot,
                              sluice_error *err)
{
    sluice_status st = sp_pipe_enter(s, err);
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
    char what[400], extra[300];
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
        char table[300];
        sp_checkpoint_display(s, table, sizeof table);
        snprintf(what, sizeof what, "could not write the checkpoint to table \"%s\"", table);
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

sluice_status sp_pipe_finish(sinkpg *s, sluice_error *err)
{
    sp_pipe *p = &s->pipe;
    if (!p->active)
        return SLUICE_OK;
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
        if (t == PGRES_FATAL_ERROR && st == SLUICE_OK)
            st = item_error(s, it, res, err);
        else if (t == PGRES_COMMAND_OK && it && st == SLUICE_OK)
            check_found(s, it, res);
        else if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK && t != PGRES_PIPELINE_ABORTED &&
                 t != PGRES_FATAL_ERROR && st == SLUICE_OK)
            st = item_error(s, it, res, err);
        PQclear(res);
    }
    p->nitems = 0;
    if (!sp_connection_lost(s) && PQexitPipelineMode(s->conn) != 1 && st == SLUICE_OK)
        st = sp_report(s, err, SLUICE_FATAL, NULL, "could not leave pipeline mode", NULL);
    p->active = PQpipelineStatus(s->conn) != PQ_PIPELINE_OFF;
    return st;
}

void sp_pipe_free(sp_pipe *p)
{
    free(p->items);
    p->items = NULL;
    p->nitems = p->cap = 0;
}
