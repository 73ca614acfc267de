/*
 * Change apply: source transactions grouped into target transactions.
 *
 * A target transaction opens at the first BEGIN and may hold several source
 * transactions. It commits only at a source COMMIT, never in the middle of a
 * source transaction, and the checkpoint row (the last COMMIT's position) is
 * written in it just before, so data and position become durable together:
 *
 *   - flush() with no source transaction open commits at once;
 *   - flush() while one is open (it spans batches) marks the group "due", and
 *     apply() commits at that transaction's COMMIT; the next flush reports it;
 *   - apply() also commits at a COMMIT once the group holds max_group_rows
 *     changes or has been open max_group_ms, whatever flush does.
 *
 * Row changes go out in pipeline mode, gathered into runs sent as multi-row
 * statements (batch.c), and every apply() call ends with a sync that checks
 * all results, so a failed statement is reported by the call that sent it. Any failure leaves the target transaction aborted, with every
 * source transaction since the last checkpoint in it: the instance refuses
 * further work (FATAL) and the next run streams them again from the checkpoint.
 *
 * With error_policy = record a row the target rejects does not fail: pipe.c
 * rolls it back to its own savepoint and errors.c keeps it, with its source
 * COMMIT's position; its INSERT into the errors table is queued just before
 * the checkpoint, in the same target transaction.
 */
#include <inttypes.h>
#include <string.h>

#include "sinkpg.h"

static sluice_status broken(sinkpg *s, sluice_error *err)
{
    s->host->error(err, SLUICE_FATAL, "the target transaction was lost after an earlier failure");
    s->host->error_detail(err, "Nothing after the last checkpoint was committed.");
    s->host->error_hint(err, "Run the pipeline again; it resumes from the checkpoint.");
    return SLUICE_FATAL;
}

/*
 * The open target transaction is gone. When the connection was lost (the target
 * restarted) that is transient: RETRY makes the core close this instance, open a
 * new one, read the checkpoint (which says whether a COMMIT in flight made it) and
 * stream again from there. Anything else is FATAL.
 */
static sluice_status lost_or_fatal(sinkpg *s, sluice_error *err)
{
    s->broken = 1;
    return err->status = sp_connection_lost(s) ? SLUICE_RETRY : SLUICE_FATAL;
}

/*
 * Writes the checkpoint and commits the target transaction: the durable step.
 * The session keeps the server's synchronous_commit: flush() reports this
 * commit and the core then acks the source up to it, so a commit a target
 * crash could still lose (synchronous_commit = off) would lose changes the
 * source has already released. Commits are few (one per group) anyway.
 */
static sluice_status commit_group(sinkpg *s, sluice_error *err)
{
    sluice_status st = SLUICE_OK;
    if (!s->ck_ready) { /* apply without get_checkpoint first: create it in this transaction */
        st = sp_pipe_finish(s, err);
        if (st == SLUICE_OK)
            st = sp_checkpoint_ensure(s, err);
    }
    if (st == SLUICE_OK && s->record)
        st = sp_errors_send(s, err);
    if (st == SLUICE_OK)
        st = sp_checkpoint_send(s, &s->pending, err);
    if (st == SLUICE_OK)
        st = sp_pipe_command(s, "COMMIT", "commit the target transaction", UINT32_MAX, err);
    if (st == SLUICE_OK)
        st = sp_pipe_finish(s, err);
    if (st != SLUICE_OK)
        return st;
    sp_errors_reset(s);
    s->committed = s->pending;
    s->unreported = 1;
    s->has_pending = 0;
    s->txn_open = 0;
    s->commit_requested = 0;
    s->host->count(s->ctx, "commits", 1);
    return SLUICE_OK;
}

static int group_full(const sinkpg *s)
{
    if (s->cfg.max_group_rows > 0 && s->group_rows >= (uint64_t)s->cfg.max_group_rows)
        return 1;
    return s->cfg.max_group_ms > 0 && sp_now_us() - s->group_started_us >= s->cfg.max_group_ms * 1000;
}

static sluice_status out_of_order(sinkpg *s, const sluice_event *e, sluice_error *err)
{
    if (e->op == SLUICE_OP_BEGIN) {
        s->host->error(err, SLUICE_FATAL, "transaction %" PRIu64 " began inside transaction %" PRIu64,
                       e->xid, s->xid);
        s->host->error_detail(err, "The previous transaction had no COMMIT.");
    } else {
        s->host->error(err, SLUICE_FATAL, "change event outside a transaction");
        s->host->error_detail(err, "An event of kind %u arrived without a BEGIN before it.",
                              (unsigned)e->op);
    }
    return SLUICE_FATAL;
}

static sluice_status on_begin(sinkpg *s, const sluice_event *e, sluice_error *err)
{
    if (s->src_open)
        return out_of_order(s, e, err);
    s->src_open = 1;
    s->xid = e->xid;
    s->src_seq++;
    if (s->txn_open)
        return SLUICE_OK;
    sluice_status st = sp_pipe_command(s, "BEGIN", "begin a target transaction", UINT32_MAX, err);
    if (st != SLUICE_OK)
        return st;
    s->txn_open = 1;
    s->group_rows = 0;
    s->group_started_us = sp_now_us();
    return SLUICE_OK;
}

static sluice_status on_commit(sinkpg *s, const sluice_event *e, sluice_error *err)
{
    if (!s->src_open)
        return out_of_order(s, e, err);
    s->src_open = 0;
    if (e->position)
        s->pending = *e->position;
    else
        s->pending.len = 0;
    s->has_pending = 1;
    if (s->record) {
        /* runs end here: a rejected row's COMMIT is then known as for any other row */
        sluice_status st = sp_batch_flush(s, err);
        if (st == SLUICE_OK)
            st = sp_errors_commit_seen(s, s->src_seq, e->position, err);
        if (st != SLUICE_OK)
            return st;
    }
    if (s->commit_requested || group_full(s))
        return commit_group(s, err);
    return SLUICE_OK;
}

/* The target table of a row event, with its statements matching the event's shape. */
static sp_table *table_of(sinkpg *s, const sluice_event *e, sluice_error *err)
{
    if (!e->table) {
        s->host->error(err, SLUICE_FATAL, "change event without a table");
        return NULL;
    }
    sp_table *tt = sp_table_for(s, e->table, err);
    if (tt && e->op != SLUICE_OP_SCHEMA && tt->shape != e->table) {
        /* DEALLOCATE needs the pipeline idle; runs of the old shape go first */
        if ((tt->nstmts || sp_batch_pending(s)) && sp_pipe_finish(s, err) != SLUICE_OK)
            return NULL;
        if (sp_table_set_shape(s, tt, e->table, err) != SLUICE_OK)
            return NULL;
    }
    if (!tt && err->status == SLUICE_ERROR)
        err->status = SLUICE_FATAL; /* inside a transaction nothing is per table */
    return tt;
}

static sluice_status on_change(sinkpg *s, const sluice_event *e, sluice_error *err)
{
    if (!s->src_open)
        return out_of_order(s, e, err);
    sp_table *tt = table_of(s, e, err);
    if (!tt)
        return SLUICE_FATAL;
    s->group_rows++;
    switch (e->op) {
    case SLUICE_OP_TRUNCATE: {
        sluice_status st = sp_pipe_settle(s, err); /* before s->sql: settling may use it */
        if (st != SLUICE_OK)
            return st;
        sbuf *q = &s->sql;
        sb_reset(q);
        sb_printf(q, "TRUNCATE TABLE %s", tt->qname);
        return sb_cstr(q) ? sp_pipe_command(s, q->data, "truncate", tt->slot, err) : sp_oom(s, err);
    }
    case SLUICE_OP_SCHEMA: {
        sluice_status st = sp_pipe_finish(s, err); /* DDL and its lookups run one by one */
        if (st == SLUICE_OK)
            st = sp_schema_change(s, tt, e->table, err);
        return st;
    }
    default:
        if (s->pipe.nitems >= SP_PIPE_WINDOW) {
            sluice_status st = sp_pipe_finish(s, err);
            if (st != SLUICE_OK)
                return st;
        }
        sp_origin o = {s->xid, s->src_seq};
        return sp_batch_row(s, tt, e, &o, err);
    }
}

static sluice_status apply_event(sinkpg *s, const sluice_event *e, sluice_error *err)
{
    switch (e->op) {
    case SLUICE_OP_SKIP:
        return SLUICE_OK;
    case SLUICE_OP_BEGIN:
        return on_begin(s, e, err);
    case SLUICE_OP_COMMIT:
        return on_commit(s, e, err);
    case SLUICE_OP_INSERT:
    case SLUICE_OP_UPDATE:
    case SLUICE_OP_DELETE:
    case SLUICE_OP_TRUNCATE:
    case SLUICE_OP_SCHEMA:
        return on_change(s, e, err);
    default:
        return s->host->error(err, SLUICE_FATAL, "unknown event kind %u", (unsigned)e->op);
    }
}

sluice_status sp_apply(sinkpg *s, const sluice_batch *b, sluice_error *err)
{
    if (s->broken)
        return broken(s, err);
    sluice_status st = SLUICE_OK;
    if (s->copy_table)
        sp_copy_abort(s); /* never happens in the core's order; COPY would block the pipeline */
    if (!s->txn_open && sp_connection_lost(s)) {
        /* between target transactions nothing is lost: reconnect, or let the core retry */
        if ((st = sp_ensure_connected(s, err)) != SLUICE_OK)
            return st;
    }
    for (uint32_t i = 0; i < b->nevents && st == SLUICE_OK; i++)
        st = apply_event(s, sluice_batch_event(b, i), err);
    if (st == SLUICE_OK)
        st = sp_pipe_finish(s, err);
    else
        sp_pipe_drain(s); /* what was sent, keeping the first error */
    if (st != SLUICE_OK)
        return lost_or_fatal(s, err);
    s->host->count(s->ctx, "events", b->nevents);
    return SLUICE_OK;
}

sluice_status sp_flush(sinkpg *s, sluice_position *committed, sluice_error *err)
{
    committed->len = 0;
    if (s->broken)
        return broken(s, err);
    if (s->has_pending && !s->src_open) {
        if (commit_group(s, err) != SLUICE_OK)
            return lost_or_fatal(s, err);
    } else if (s->has_pending) {
        s->commit_requested = 1; /* at the open source transaction's COMMIT */
    }
    if (s->unreported) {
        *committed = s->committed;
        s->unreported = 0;
    }
    return SLUICE_OK;
}
