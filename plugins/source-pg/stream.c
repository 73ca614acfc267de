/*
 * The change stream: START_REPLICATION on the slot with pgoutput, CopyBoth
 * messages decoded by pgoutput.c, change events emitted batch by batch.
 *
 * Streaming of in-progress transactions stays off (the default): the server
 * sends a transaction only once it has committed, spilling large ones to its
 * own disk, and we hand it on in as many batches as it takes; the core and
 * the sink carry a transaction across batches, so no transaction is ever held
 * whole in our memory. (With streaming on, the chunks of a transaction that
 * may still abort would have to be staged until its STREAM COMMIT.)
 *
 * Feedback: write = flush = apply = the position the core acknowledged, never
 * more; sent on every new acknowledgement, every status_interval_ms and when a
 * keepalive asks. An idle slot advances through heartbeats: a transactional
 * logical message every heartbeat_interval_ms arrives as an empty transaction,
 * whose commit the sink records like any other.
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source_pg.h"

#define WAIT_MS 50 /* how long stream_read waits for data before answering AGAIN */

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void lsn_text(uint64_t lsn, char *buf, size_t size) { pgo_lsn_format(lsn, buf, size); }

/* ---- feedback ---- */

static sluice_status send_status(pgsrc *s, sluice_error *err)
{
    pg_stream *st = &s->stream;
    char buf[PGO_STANDBY_STATUS_LEN];
    size_t n = pgo_encode_standby_status(buf, sizeof buf, st->acked, st->acked, st->acked,
                                         pgo_time_from_unix_us(wall_us()), false);
    if (PQputCopyData(s->repl, buf, (int)n) != 1 || PQflush(s->repl) != 0)
        return pg_fail(s, err, pg_transient(s->repl, NULL), s->repl, NULL,
                       "could not send a status update to server \"%s\"", s->server);
    st->last_status_us = pg_now_us();
    return SLUICE_OK;
}

static sluice_status heartbeat(pgsrc *s, sluice_error *err)
{
    PGresult *res = pg_exec(s, s->conn,
                            "SELECT pg_logical_emit_message(true, 'sluice.heartbeat', '')", 0,
                            NULL, PGRES_TUPLES_OK, "write a heartbeat", err);
    if (!res)
        return SLUICE_FATAL;
    PQclear(res);
    s->stream.last_heartbeat_us = pg_now_us();
    return SLUICE_OK;
}

static sluice_status timers(pgsrc *s, sluice_error *err)
{
    pg_stream *st = &s->stream;
    int64_t now = pg_now_us();
    sluice_status rc = SLUICE_OK;
    if (now - st->last_status_us >= s->cfg.status_interval_ms * 1000)
        rc = send_status(s, err);
    if (rc == SLUICE_OK && s->cfg.heartbeat_interval_ms > 0 &&
        now - st->last_heartbeat_us >= s->cfg.heartbeat_interval_ms * 1000)
        rc = heartbeat(s, err);
    return rc;
}

/* ---- stream_start ---- */

static int ncols_of(void *ctx, uint32_t relid)
{
    pg_rel *r = pg_rel_find(&((pgsrc *)ctx)->stream, relid);
    return r ? (int)r->ncols : -1;
}

/* The slot must still hold every change after `from`. */
static sluice_status check_resume(pgsrc *s, const pg_slot_info *si, uint64_t from,
                                  sluice_error *err)
{
    if (!si->exists && from) {
        char at[PGO_LSN_BUFSIZE];
        lsn_text(from, at, sizeof at);
        s->host->error(err, SLUICE_FATAL, "replication slot \"%s\" does not exist", s->slot);
        s->host->error_detail(err, "Streaming is to resume after %s, and only that slot could still "
                                   "hold the changes since then; a new slot on server \"%s\" "
                                   "would start at the end of the log and miss them.",
                              at, s->server);
        s->host->error_hint(err, "If the slot was dropped, load the tables again: run mode "
                                 "full-load-and-cdc into an empty target.");
        return SLUICE_FATAL;
    }
    if (si->exists && from && si->confirmed_flush > from) {
        char at[PGO_LSN_BUFSIZE], slot_at[PGO_LSN_BUFSIZE];
        lsn_text(from, at, sizeof at);
        lsn_text(si->confirmed_flush, slot_at, sizeof slot_at);
        s->host->error(err, SLUICE_FATAL, "replication slot \"%s\" has moved past %s", s->slot,
                       at);
        s->host->error_detail(err, "Streaming is to resume after %s, but the slot has already "
                                   "confirmed %s, so the changes between them are gone from it.",
                              at, slot_at);
        s->host->error_hint(err, "Another consumer may have used the slot. Load the tables "
                                 "again, or give each pipeline its own slot.");
        return SLUICE_FATAL;
    }
    return SLUICE_OK;
}

/* Makes sure the slot and publication exist (creating them for mode cdc-only). */
static sluice_status prepare_slot(pgsrc *s, uint64_t from, sluice_error *err)
{
    pg_slot_info si;
    sluice_status st = pg_slot_info_get(s, &si, err);
    if (st != SLUICE_OK)
        return st;
    if ((st = pg_check_cdc(s, si.exists ? 0 : 1, NULL, err)) != SLUICE_OK)
        return st;
    if (si.exists && (st = pg_slot_usable(s, &si, err)) != SLUICE_OK)
        return st;
    if ((st = check_resume(s, &si, from, err)) != SLUICE_OK)
        return st;
    int created = 0;
    if ((st = pg_ensure_publication(s, &created, err)) != SLUICE_OK)
        return st;
    if (s->repl && s->repl_temp_slot) { /* closing it drops the snapshot's temporary slot */
        PQfinish(s->repl);
        s->repl = NULL;
        s->repl_temp_slot = 0;
    }
    if (!s->repl && (st = pg_connect(s, 1, &s->repl, err)) != SLUICE_OK)
        return st;
    if (si.exists)
        return SLUICE_OK;
    uint64_t lsn;
    st = pg_create_slot(s, NULL, &lsn, err);
    if (st != SLUICE_OK && created) {
        sluice_error ignored;
        pg_drop_publication(s, &ignored);
    }
    return st;
}

static char *start_sql(pgsrc *s, uint64_t from)
{
    char at[PGO_LSN_BUFSIZE];
    lsn_text(from, at, sizeof at);
    /* publication_names is a list of SQL identifiers inside a string literal */
    char *ident = pg_quote_ident(s->publication, strlen(s->publication));
    char *lit = ident ? pg_quote_literal(ident) : NULL;
    sbuf b = {0};
    if (lit)
        sb_printf(&b,
                  "START_REPLICATION SLOT %s LOGICAL %s (\"proto_version\" '1', "
                  "\"publication_names\" %s, \"messages\" 'true')",
                  s->slot, at, lit);
    free(ident);
    free(lit);
    return lit ? sb_take(&b) : NULL;
}

sluice_status pg_stream_start(void *instance, const sluice_position *from, sluice_error *err)
{
    pgsrc *s = instance;
    pg_stream *st = &s->stream;
    uint64_t lsn = 0;
    if (!s->tables)
        return s->host->error(err, SLUICE_FATAL, "stream_start was called before discover");
    if (from && from->len && pg_pos_get(from, &lsn) != 0) {
        s->host->error(err, SLUICE_FATAL, "invalid PostgreSQL position");
        s->host->error_detail(err, "A PostgreSQL position is 8 bytes; this one has %u.",
                              (unsigned)from->len);
        return SLUICE_FATAL;
    }
    sluice_status rc = prepare_slot(s, lsn, err);
    if (rc != SLUICE_OK)
        return rc;
    char *sql = start_sql(s, lsn);
    if (!sql)
        return pg_oom(s, err);
    PGresult *res = pg_exec(s, s->repl, sql, 0, NULL, PGRES_COPY_BOTH, "start replication", err);
    free(sql);
    if (!res)
        return SLUICE_FATAL;
    PQclear(res);
    pgo_decoder_init(&st->dec, 1);
    st->dec.ncols_fn = ncols_of;
    st->dec.ncols_ctx = s;
    st->started = 1;
    st->acked = st->horizon = lsn;
    st->last_status_us = st->last_heartbeat_us = pg_now_us();
    char at[PGO_LSN_BUFSIZE];
    lsn_text(lsn, at, sizeof at);
    s->host->log(s->ctx, SLUICE_LOG_DEBUG, "streaming slot \"%s\" from %s", s->slot,
                 lsn ? at : "its confirmed position");
    return SLUICE_OK;
}

/* ---- events ---- */

typedef enum { EMITTED, FULL } emit_result;

static sluice_status fill_value(pgsrc *s, sluice_batch *b, const sluice_column *col,
                                const pgo_value *pv, int not_sent, sluice_value *v,
                                sluice_error *err)
{
    switch (pv->kind) {
    case PGO_VALUE_NULL:
        v->kind = not_sent ? SLUICE_VALUE_UNCHANGED : SLUICE_VALUE_NULL;
        return SLUICE_OK;
    case PGO_VALUE_UNCHANGED:
        v->kind = SLUICE_VALUE_UNCHANGED;
        return SLUICE_OK;
    case PGO_VALUE_TEXT:
        if (pg_type_is_int((sluice_type)col->type) &&
            parse_int64(pv->data, pv->len, &v->u.i) == 0) {
            v->kind = SLUICE_VALUE_INT;
            return SLUICE_OK;
        }
        if (s->host->set_text(b, v, pv->data, pv->len) != 0)
            return pg_oom(s, err);
        return SLUICE_OK;
    default:
        return s->host->error(err, SLUICE_FATAL, "unexpected binary value in the change stream");
    }
}

/* A tuple into a row. In an old-key ('K') tuple, the columns outside the replica
   identity come as 'n' meaning "not sent", not NULL. */
static sluice_status fill_row(pgsrc *s, sluice_batch *b, const pg_table *pt, const pg_rel *r,
                              const pgo_tuple *tup, int old_key, sluice_value *row,
                              sluice_error *err)
{
    pgo_tuple_iter it;
    pgo_value pv;
    uint32_t i = 0;
    pgo_tuple_iter_init(&it, tup);
    while (i < pt->table->ncolumns && pgo_tuple_next(&it, &pv)) {
        const sluice_column *col = sluice_table_column(pt->table, i);
        int not_sent = old_key && !(i < r->ncols && r->key[i]);
        sluice_status st = fill_value(s, b, col, &pv, not_sent, &row[i], err);
        if (st != SLUICE_OK)
            return st;
        i++;
    }
    return SLUICE_OK;
}

/* The table of a relid, or NULL when its changes are not ours to send. */
static sluice_status table_of(pgsrc *s, uint32_t relid, pg_rel **rel, pg_table **pt,
                              sluice_error *err)
{
    pg_rel *r = pg_rel_find(&s->stream, relid);
    *rel = r;
    *pt = NULL;
    if (!r) {
        s->host->error(err, SLUICE_FATAL, "change for relation %u before its description",
                       relid);
        s->host->error_detail(err, "The server sent a change of a relation without the RELATION "
                                   "message that must come first.");
        return SLUICE_FATAL;
    }
    if (r->table < 0) {
        if (!r->warned)
            s->host->log(s->ctx, SLUICE_LOG_WARNING,
                         "skipping changes of relation %u: it is not one of the discovered "
                         "tables",
                         relid);
        r->warned = 1;
        return SLUICE_OK;
    }
    *pt = &s->tables[r->table];
    return SLUICE_OK;
}

/* The SCHEMA event of a reshaped table, before its next change. */
static emit_result schema_first(pgsrc *s, sluice_batch *b, pg_rel *r, const pg_table *pt)
{
    if (!r->schema_pending)
        return EMITTED;
    /* a new table version starts a batch: the core maps a batch's events of one
       table through one version (chain.c), so rows of the old shape must not
       share a batch with the new one */
    if (b->nevents > 0 || !s->host->emit(b, SLUICE_OP_SCHEMA, pt->table, 0))
        return FULL;
    r->schema_pending = 0;
    return EMITTED;
}

static sluice_status emit_change(pgsrc *s, sluice_batch *b, const pgo_msg *m, int *full,
                                 sluice_error *err)
{
    const pgo_change *c = &m->u.change;
    pg_rel *r;
    pg_table *pt;
    sluice_status st = table_of(s, c->relid, &r, &pt, err);
    if (st != SLUICE_OK || !pt)
        return st;
    if (schema_first(s, b, r, pt) == FULL || (b->nevents > 0 && s->host->batch_full(b))) {
        *full = 1;
        return SLUICE_OK;
    }
    sluice_op op = m->type == PGO_MSG_INSERT   ? SLUICE_OP_INSERT
                   : m->type == PGO_MSG_UPDATE ? SLUICE_OP_UPDATE
                                               : SLUICE_OP_DELETE;
    sluice_event *e = s->host->emit(b, op, pt->table, c->old_kind != 0);
    if (!e) {
        *full = 1;
        return SLUICE_OK;
    }
    if (c->has_new && (st = fill_row(s, b, pt, r, &c->newtup, 0, e->new_row, err)) != SLUICE_OK)
        return st;
    if (c->old_kind && e->old_row)
        st = fill_row(s, b, pt, r, &c->oldtup, c->old_kind == 'K', e->old_row, err);
    return st;
}

static sluice_status emit_truncate(pgsrc *s, sluice_batch *b, const pgo_msg *m, int *full,
                                   sluice_error *err)
{
    pg_stream *st = &s->stream;
    for (; st->progress < m->u.truncate.nrels; st->progress++) {
        pg_rel *r;
        pg_table *pt;
        sluice_status rc = table_of(s, pgo_truncate_relid(&m->u.truncate, st->progress), &r, &pt,
                                    err);
        if (rc != SLUICE_OK)
            return rc;
        if (!pt)
            continue;
        if (schema_first(s, b, r, pt) == FULL || !s->host->emit(b, SLUICE_OP_TRUNCATE, pt->table,
                                                                0)) {
            *full = 1;
            return SLUICE_OK;
        }
    }
    return SLUICE_OK;
}

static sluice_status out_of_order(pgsrc *s, const pgo_msg *m, sluice_error *err)
{
    s->host->error(err, SLUICE_FATAL, "unexpected %s message in the change stream",
                   pgo_msg_type_name(m->type));
    s->host->error_detail(err, "It arrived %s a transaction.",
                          s->stream.in_txn ? "inside" : "outside");
    return SLUICE_FATAL;
}

/* Emits the events of one message; *full when the batch had no room (call again). */
static sluice_status emit_message(pgsrc *s, sluice_batch *b, const pgo_msg *m, int *full,
                                  sluice_error *err)
{
    pg_stream *st = &s->stream;
    sluice_event *e;
    *full = 0;
    switch (m->type) {
    case PGO_MSG_BEGIN:
        if (st->in_txn)
            return out_of_order(s, m, err);
        if (!(e = s->host->emit(b, SLUICE_OP_BEGIN, NULL, 0))) {
            *full = 1;
            return SLUICE_OK;
        }
        st->in_txn = 1;
        st->xid = m->xid;
        st->begin_time_us = pgo_time_to_unix_us(m->u.begin.commit_time);
        e->xid = m->xid;
        e->commit_time_us = st->begin_time_us;
        return SLUICE_OK;
    case PGO_MSG_COMMIT:
        if (!st->in_txn)
            return out_of_order(s, m, err);
        if (!(e = s->host->emit(b, SLUICE_OP_COMMIT, NULL, 0)) || !e->position) {
            *full = 1;
            return SLUICE_OK;
        }
        st->in_txn = 0;
        e->xid = st->xid;
        e->commit_time_us = pgo_time_to_unix_us(m->u.commit.commit_time);
        pg_pos_set(e->position, m->u.commit.end_lsn);
        if (m->u.commit.end_lsn > st->horizon)
            st->horizon = m->u.commit.end_lsn;
        s->host->count(s->ctx, "transactions", 1);
        return SLUICE_OK;
    case PGO_MSG_RELATION:
        return pg_rel_update(s, &m->u.relation, err);
    case PGO_MSG_INSERT:
    case PGO_MSG_UPDATE:
    case PGO_MSG_DELETE:
        return st->in_txn ? emit_change(s, b, m, full, err) : out_of_order(s, m, err);
    case PGO_MSG_TRUNCATE:
        return st->in_txn ? emit_truncate(s, b, m, full, err) : out_of_order(s, m, err);
    case PGO_MSG_TYPE:
    case PGO_MSG_ORIGIN:
    case PGO_MSG_MESSAGE: /* heartbeats: their transaction is what counts */
        return SLUICE_OK;
    default: /* streamed transactions: we never ask for them */
        return out_of_order(s, m, err);
    }
}

/* ---- stream_read ---- */

static void drop_pending(pg_stream *st)
{
    if (st->pending)
        PQfreemem(st->pending);
    st->pending = NULL;
    st->progress = 0;
}

static sluice_status stream_ended(pgsrc *s, sluice_error *err)
{
    PGresult *res = PQgetResult(s->repl);
    const PGresult *why = res && PQresultStatus(res) == PGRES_FATAL_ERROR ? res : NULL;
    /* The server ending the stream without an error (CopyDone at shutdown) may
       come back; an error with a SQLSTATE says itself whether it is transient. */
    sluice_status st = why ? pg_transient(s->repl, why) : SLUICE_RETRY;
    pg_fail(s, err, st, s->repl, why, "replication stream from server \"%s\" ended",
            s->server);
    PQclear(res);
    return st;
}

static sluice_status bad_message(pgsrc *s, const pgo_error *pe, sluice_error *err)
{
    s->host->error(err, SLUICE_FATAL, "could not decode the replication stream");
    s->host->error_detail(err, "%s.", pe->msg);
    return SLUICE_FATAL;
}

/* One CopyData message: a keepalive, or an XLogData whose message becomes pending. */
static sluice_status take_message(pgsrc *s, char *buf, int n, sluice_error *err)
{
    pg_stream *st = &s->stream;
    pgo_copy_msg cm;
    pgo_error pe;
    if (pgo_parse_copy(buf, (size_t)n, &cm, &pe) != PGO_OK) {
        PQfreemem(buf);
        return bad_message(s, &pe, err);
    }
    if (cm.kind == PGO_COPY_KEEPALIVE) {
        PQfreemem(buf);
        return cm.reply_requested ? send_status(s, err) : SLUICE_OK;
    }
    if (pgo_decode(&st->dec, cm.data, cm.len, &st->msg, &pe) != PGO_OK) {
        PQfreemem(buf);
        return bad_message(s, &pe, err);
    }
    st->pending = buf;
    st->progress = 0;
    return SLUICE_OK;
}

/* Waits up to WAIT_MS for input; 0 when something may have arrived. */
static int wait_input(pgsrc *s)
{
    struct pollfd p = {PQsocket(s->repl), POLLIN, 0};
    if (p.fd < 0 || poll(&p, 1, WAIT_MS) <= 0)
        return -1;
    return 0;
}

sluice_status pg_stream_read(void *instance, sluice_batch *b, sluice_error *err)
{
    pgsrc *s = instance;
    pg_stream *st = &s->stream;
    if (!st->started)
        return s->host->error(err, SLUICE_FATAL, "stream_read was called before stream_start");
    sluice_status rc = timers(s, err);
    int waited = 0;
    while (rc == SLUICE_OK) {
        if (st->pending) {
            int full;
            if ((rc = emit_message(s, b, &st->msg, &full, err)) != SLUICE_OK)
                break;
            if (full && b->nevents == 0)
                return s->host->error(err, SLUICE_FATAL, "the batch has no room for one event");
            if (full)
                break;
            drop_pending(st);
        }
        if (b->nevents > 0 && s->host->batch_full(b))
            break;
        char *buf;
        int n = PQgetCopyData(s->repl, &buf, 1);
        if (n > 0) {
            rc = take_message(s, buf, n, err);
        } else if (n == 0) {
            if (b->nevents > 0 || waited || s->host->cancelled(s->ctx))
                break;
            waited = 1;
            if (wait_input(s) == 0 && !PQconsumeInput(s->repl))
                return stream_ended(s, err);
        } else if (n == -1) {
            return stream_ended(s, err);
        } else {
            return pg_fail(s, err, pg_transient(s->repl, NULL), s->repl, NULL,
                           "could not read the replication stream from server \"%s\"",
                           s->server);
        }
    }
    if (rc != SLUICE_OK)
        return rc;
    return b->nevents > 0 ? SLUICE_OK : SLUICE_AGAIN;
}

/* ---- ack ---- */

sluice_status pg_ack(void *instance, const sluice_position *committed, sluice_error *err)
{
    pgsrc *s = instance;
    pg_stream *st = &s->stream;
    uint64_t lsn;
    if (!committed->len)
        return SLUICE_OK;
    if (pg_pos_get(committed, &lsn) != 0) {
        s->host->error(err, SLUICE_FATAL, "invalid PostgreSQL position in an acknowledgement");
        s->host->error_detail(err, "A PostgreSQL position is 8 bytes; this one has %u.",
                              (unsigned)committed->len);
        return SLUICE_FATAL;
    }
    if (lsn > st->horizon) { /* never confirm what was not sent: the slot would skip it */
        char at[PGO_LSN_BUFSIZE], top[PGO_LSN_BUFSIZE];
        lsn_text(lsn, at, sizeof at);
        lsn_text(st->horizon, top, sizeof top);
        s->host->error(err, SLUICE_FATAL, "acknowledged position %s was never sent", at);
        s->host->error_detail(err, "The highest position this source has handed out is %s.", top);
        return SLUICE_FATAL;
    }
    int moved = lsn > st->acked;
    if (moved)
        st->acked = lsn;
    if (!st->started)
        return SLUICE_OK;
    /* also on the timer: while the core's queue is full it calls ack, not stream_read,
       and the server drops a client that stays silent for wal_sender_timeout */
    if (moved || pg_now_us() - st->last_status_us >= s->cfg.status_interval_ms * 1000)
        return send_status(s, err);
    return SLUICE_OK;
}

void pg_stream_close(pgsrc *s)
{
    pg_stream *st = &s->stream;
    drop_pending(st);
    pg_rels_free(st);
    if (st->started && s->repl) {
        PQputCopyEnd(s->repl, NULL); /* a polite end; the server needs no answer */
        PQflush(s->repl);
    }
    st->started = 0;
}
