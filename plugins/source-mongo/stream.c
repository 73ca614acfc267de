/*
 * Change capture: one change stream over the whole cluster (mongoc_client_watch,
 * fullDocument "updateLookup"), from the full load's cluster time or the
 * target's checkpoint (a resume token: resumeAfter). libmongoc resumes by
 * itself after a transient error, from the last token it handed out
 * (PROTOCOL-FACTS 3.2).
 *
 * Each event is one source transaction whose COMMIT carries the event's
 * resume token, so a restart resumes right after the last applied event;
 * except the events of one multi-document transaction (same lsid and
 * txnNumber): they are one source transaction, committed with the token of
 * its last event. The server writes a transaction's events to the oplog
 * together at its commit, so the transaction is complete when an event of
 * another one follows, or the stream has no event for now.
 * Events of collections that were not discovered are skipped; when the stream
 * is idle, an empty transaction with the stream's postBatchResumeToken goes
 * out every IDLE_COMMIT_US, so the checkpoint keeps up with a busy server and
 * a restart never reaches back further in the oplog than it must.
 *
 * Events up to the horizon (position.c) may already be in the loaded rows:
 * an insert, update or replace there is applied as a delete of the _id and an
 * insert of the document (an upsert), a delete of a missing row does nothing.
 * After the horizon: insert, update (the looked-up document; none when it was
 * deleted since, and its delete follows), replace and delete by _id. drop
 * truncates the table; rename keeps the table under its old name; invalidate
 * starts the stream again after the invalidating event (startAfter).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source_mongo.h"

#define IDLE_COMMIT_US 10000000LL
#define EVENTS_PER_CHANGE 4 /* BEGIN, DELETE, INSERT, COMMIT */

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- opening ---- */

static int history_lost(const bson_error_t *e)
{
    /* ChangeStreamHistoryLost, CappedPositionLost, and the 4.x wording of the same */
    return e->code == 286 || e->code == 136 ||
           (e->code == 280 && strstr(e->message, "no longer be in the oplog"));
}

static sluice_status stream_error(mgsrc *s, const bson_error_t *e, sluice_error *err)
{
    if (!history_lost(e))
        return mg_fail(s, err, e, "could not read the change stream of server \"%s\"",
                       s->server);
    char at[600];
    mg_position_format(&s->stream.sent, at, sizeof at);
    s->host->error(err, SLUICE_FATAL,
                   "cannot resume the change stream of server \"%s\" from position %s",
                   s->server, at);
    s->host->error_detail(err, "The oplog no longer holds that point: server \"%s\" reported: "
                               "%s (error %u).",
                          s->server, e->message, (unsigned)e->code);
    s->host->error_hint(err, "Reload the collections: run mode full-load-and-cdc into an empty "
                             "target. Make the oplog hold more than the longest pause of "
                             "sluice (replSetResizeOplog).");
    return SLUICE_FATAL;
}

static sluice_status open_stream(mgsrc *s, const mg_pos *from, int start_after,
                                 sluice_error *err)
{
    mg_stream *st = &s->stream;
    bson_t *opts = BCON_NEW("fullDocument", BCON_UTF8("updateLookup"), "maxAwaitTimeMS",
                            BCON_INT64(s->cfg.max_await_ms));
    if (from->token_len) {
        bson_t token;
        if (!bson_init_static(&token, from->token, from->token_len)) {
            bson_destroy(opts);
            return s->host->error(err, SLUICE_FATAL, "invalid resume token in the position");
        }
        BSON_APPEND_DOCUMENT(opts, start_after ? "startAfter" : "resumeAfter", &token);
    } else {
        BSON_APPEND_TIMESTAMP(opts, "startAtOperationTime", from->t, from->i);
    }
    bson_t pipeline = BSON_INITIALIZER;
    st->cs = mongoc_client_watch(s->client, &pipeline, opts);
    bson_destroy(opts);
    bson_error_t e;
    const bson_t *reply;
    if (mongoc_change_stream_error_document(st->cs, &e, &reply)) {
        sluice_status rc = stream_error(s, &e, err);
        mongoc_change_stream_destroy(st->cs);
        st->cs = NULL;
        return rc;
    }
    return SLUICE_OK;
}

sluice_status mg_stream_start(void *instance, const sluice_position *from, sluice_error *err)
{
    mgsrc *s = instance;
    mg_stream *st = &s->stream;
    mg_pos p = {0};
    sluice_status rc;
    if (!s->replicated)
        return s->host->error(err, SLUICE_FATAL, "server \"%s\" cannot stream changes",
                              s->server);
    if (from && from->len) {
        if (mg_pos_get(from, &p) != 0)
            return s->host->error(err, SLUICE_FATAL, "invalid change stream position of %u "
                                  "bytes", (unsigned)from->len);
    } else if ((rc = mg_operation_time(s, &p.t, &p.i, err)) != SLUICE_OK) {
        return rc;
    }
    if (!p.token_len && !p.horizon_t) {
        /* from a cluster time (the full load's start, or one the user gave): what
           happened since may be at the target already */
        if ((rc = mg_operation_time(s, &p.horizon_t, &p.horizon_i, err)) != SLUICE_OK)
            return rc;
    }
    st->horizon_t = p.horizon_t;
    st->horizon_i = p.horizon_i;
    st->last_t = p.t;
    st->last_i = p.i;
    if (mg_pos_set(&st->sent, &p) != 0)
        return mg_oom(s, err);
    if ((rc = open_stream(s, &p, 0, err)) != SLUICE_OK)
        return rc;
    char at[600];
    mg_position_format(&st->sent, at, sizeof at);
    s->host->log(s->ctx, SLUICE_LOG_INFO, "streaming changes of server \"%s\" from %s%s",
                 s->server, at, p.horizon_t ? " (upserts up to the full load's end)" : "");
    st->started = 1;
    st->last_commit_us = wall_us();
    return SLUICE_OK;
}

/* ---- events ---- */

typedef enum step { DONE, FULL } step;

static int before_horizon(const mg_stream *st, uint32_t t, uint32_t i)
{
    return t < st->horizon_t || (t == st->horizon_t && i <= st->horizon_i);
}

static sluice_status commit(mgsrc *s, sluice_batch *b, const mg_pos *p, int64_t time_us,
                            sluice_error *err)
{
    mg_stream *st = &s->stream;
    sluice_event *e = s->host->emit(b, SLUICE_OP_COMMIT, NULL, 0);
    if (!e || !e->position || mg_pos_set(e->position, p) != 0)
        return mg_oom(s, err);
    e->xid = (uint64_t)p->t << 32 | p->i;
    e->commit_time_us = time_us;
    st->sent = *e->position;
    st->last_t = p->t;
    st->last_i = p->i;
    st->last_commit_us = wall_us();
    return SLUICE_OK;
}

static mg_txn txn_of(const mg_event *ev)
{
    mg_txn x = {.multi = ev->in_txn, .t = ev->t, .i = ev->i};
    if (ev->in_txn) {
        x.number = ev->txn_number;
        x.lsid_len = ev->lsid_len < sizeof x.lsid ? ev->lsid_len : (uint32_t)sizeof x.lsid;
        memcpy(x.lsid, ev->lsid, x.lsid_len);
    }
    return x;
}

static int same_txn(const mg_txn *a, const mg_txn *b)
{
    if (a->multi != b->multi)
        return 0;
    if (!a->multi)
        return a->t == b->t && a->i == b->i;
    return a->number == b->number && a->lsid_len == b->lsid_len &&
           memcmp(a->lsid, b->lsid, a->lsid_len) == 0;
}

static sluice_status begin(mgsrc *s, sluice_batch *b, const mg_event *ev, sluice_error *err)
{
    mg_stream *st = &s->stream;
    sluice_event *e = s->host->emit(b, SLUICE_OP_BEGIN, NULL, 0);
    if (!e)
        return mg_oom(s, err);
    e->xid = (uint64_t)ev->t << 32 | ev->i;
    e->commit_time_us = ev->wall_ms * 1000;
    st->open = 1;
    st->open_txn = txn_of(ev);
    st->open_end.len = 0;
    return SLUICE_OK;
}

/* The open transaction has taken the event at p: its COMMIT will be there. */
static sluice_status taken(mgsrc *s, const mg_pos *p, int64_t time_us, sluice_error *err)
{
    mg_stream *st = &s->stream;
    if (mg_pos_set(&st->open_end, p) != 0)
        return mg_oom(s, err);
    st->open_time_us = time_us;
    return SLUICE_OK;
}

/* Ends the open transaction at the last event it took. */
static sluice_status commit_open(mgsrc *s, sluice_batch *b, sluice_error *err)
{
    mg_stream *st = &s->stream;
    mg_pos p;
    st->open = 0;
    if (!st->open_end.len) /* nothing taken: cannot happen, a BEGIN precedes an event */
        return s->host->error(err, SLUICE_FATAL, "a transaction of the change stream ended "
                              "before its first event");
    if (mg_pos_get(&st->open_end, &p) != 0)
        return mg_oom(s, err);
    return commit(s, b, &p, st->open_time_us, err);
}

static sluice_status emit_delete(mgsrc *s, sluice_batch *b, const mg_event *ev,
                                 const sluice_table *t, sluice_error *err)
{
    sluice_event *e = s->host->emit(b, SLUICE_OP_DELETE, t, 1);
    if (!e || mg_key(s, b, t, &ev->key, e->old_row) != 0)
        return mg_oom(s, err);
    return SLUICE_OK;
}

static sluice_status emit_document(mgsrc *s, sluice_batch *b, sluice_op op, const mg_event *ev,
                                   const sluice_table *t, sluice_error *err)
{
    sluice_event *e = s->host->emit(b, op, t, op == SLUICE_OP_UPDATE);
    const bson_t *update = ev->op == MG_OP_UPDATE && ev->has_update ? &ev->update : NULL;
    if (!e || mg_row(s, b, t, &ev->full, update, e->new_row) < 0 ||
        (op == SLUICE_OP_UPDATE && mg_key(s, b, t, &ev->key, e->old_row) != 0))
        return mg_oom(s, err);
    return SLUICE_OK;
}

static void warn_unknown(mgsrc *s, const mg_event *ev)
{
    mg_stream *st = &s->stream;
    char ns[600];
    snprintf(ns, sizeof ns, "%.*s.%.*s", (int)ev->db.len, ev->db.ptr, (int)ev->coll.len,
             ev->coll.ptr ? ev->coll.ptr : "");
    for (uint32_t k = 0; k < st->nunknown; k++)
        if (strcmp(st->unknown[k], ns) == 0)
            return;
    char **more = realloc(st->unknown, (st->nunknown + 1) * sizeof *more);
    if (!more || !(more[st->nunknown] = strdup(ns))) {
        st->unknown = more ? more : st->unknown;
        return;
    }
    st->unknown = more;
    st->nunknown++;
    s->host->log(s->ctx, SLUICE_LOG_DEBUG, "skipping changes of collection \"%s\": not among "
                 "the tables discovered at start", ns);
}

static sluice_status rename_collection(mgsrc *s, const mg_event *ev, const mg_coll *c,
                                       sluice_error *err)
{
    mg_stream *st = &s->stream;
    mg_alias *more = realloc(st->aliases, (st->naliases + 1) * sizeof *more);
    if (!more)
        return mg_oom(s, err);
    st->aliases = more;
    mg_alias *a = &st->aliases[st->naliases];
    a->db = strndup(ev->to_db.ptr, ev->to_db.len);
    a->name = strndup(ev->to_coll.ptr, ev->to_coll.len);
    a->coll = (uint32_t)(c - s->colls);
    if (!a->db || !a->name) {
        free(a->db);
        free(a->name);
        return mg_oom(s, err);
    }
    st->naliases++;
    s->host->log(s->ctx, SLUICE_LOG_WARNING,
                 "collection \"%s.%s\" was renamed to \"%s.%s\"; its changes still go to "
                 "table \"%s.%s\" until sluice restarts, which finds it under the new name: "
                 "rename the target table to \"%s.%s\" before that, or reload the collection",
                 c->db, c->name, a->db, a->name, c->db, c->name, a->db, a->name);
    return SLUICE_OK;
}

/* The effects of one event; FULL when the batch has no room for them. */
static sluice_status take_event(mgsrc *s, sluice_batch *b, const bson_t *doc, step *r,
                                sluice_error *err)
{
    mg_stream *st = &s->stream;
    mg_event ev;
    const char *why;
    *r = DONE;
    if (mg_event_read(doc, &ev, &why) != 0) {
        s->host->error(err, SLUICE_FATAL, "invalid change event from server \"%s\"", s->server);
        s->host->error_detail(err, "%s", why);
        return SLUICE_FATAL;
    }
    mg_pos p = {.t = ev.t, .i = ev.i, .horizon_t = st->horizon_t, .horizon_i = st->horizon_i,
                .token = bson_get_data(&ev.token), .token_len = ev.token.len};
    mg_txn txn = txn_of(&ev);
    int same = st->open && same_txn(&st->open_txn, &txn);
    sluice_status rc;
    if (st->open && !same) { /* another transaction's event: the open one is complete */
        if (b->nevents + 1 > b->capacity) {
            *r = FULL;
            return SLUICE_OK;
        }
        if ((rc = commit_open(s, b, err)) != SLUICE_OK)
            return rc;
    }
    if (ev.op == MG_OP_INVALIDATE) {
        s->host->log(s->ctx, SLUICE_LOG_WARNING, "the change stream of server \"%s\" was "
                     "invalidated; starting it again after that event", s->server);
        mongoc_change_stream_destroy(st->cs);
        st->cs = NULL;
        return open_stream(s, &p, 1, err);
    }
    mg_coll *c = ev.coll.ptr ? mg_coll_find(s, ev.db.ptr, ev.db.len, ev.coll.ptr, ev.coll.len)
                             : NULL;
    int writes = ev.op == MG_OP_INSERT || ev.op == MG_OP_UPDATE || ev.op == MG_OP_REPLACE ||
                 ev.op == MG_OP_DELETE;
    if (!c && writes && (rc = mg_coll_created(s, &ev, &c, err)) != SLUICE_OK)
        return rc;
    if (!c || ev.op == MG_OP_OTHER || ev.op == MG_OP_DROP_DATABASE) {
        if (ev.op != MG_OP_DROP_DATABASE && ev.op != MG_OP_OTHER)
            warn_unknown(s, &ev);
        /* in an open transaction its COMMIT moves past it, else the idle commit does */
        return same ? taken(s, &p, ev.wall_ms * 1000, err) : SLUICE_OK;
    }
    if (b->nevents + EVENTS_PER_CHANGE + 1 > b->capacity) {
        *r = FULL;
        return SLUICE_OK;
    }
    if (ev.has_full && mg_new_field(s, c->table, &ev.full) &&
        (rc = mg_reshape(s, c, &ev.full, err)) != SLUICE_OK)
        return rc;
    if (c->schema_pending) {
        /* a new table version is the first event of a batch (the core maps a
           batch's events of one table through one version), inside the
           transaction: BEGIN ends this batch, SCHEMA starts the next */
        if (!st->open) {
            rc = begin(s, b, &ev, err);
            *r = FULL;
            return rc;
        }
        if (b->nevents > 0) {
            *r = FULL;
            return SLUICE_OK;
        }
        if (!s->host->emit(b, SLUICE_OP_SCHEMA, c->table, 0))
            return mg_oom(s, err);
        c->schema_pending = 0;
    }
    const sluice_table *t = c->table;
    int upsert = before_horizon(st, ev.t, ev.i);
    rc = st->open ? SLUICE_OK : begin(s, b, &ev, err);
    switch (ev.op) {
    case MG_OP_INSERT:
    case MG_OP_UPDATE:
    case MG_OP_REPLACE:
        if (!ev.has_full) /* deleted since the update: its delete event follows */
            break;
        if (upsert || ev.op == MG_OP_INSERT) {
            if (upsert && rc == SLUICE_OK)
                rc = emit_delete(s, b, &ev, t, err);
            if (rc == SLUICE_OK)
                rc = emit_document(s, b, SLUICE_OP_INSERT, &ev, t, err);
        } else if (rc == SLUICE_OK) {
            rc = emit_document(s, b, SLUICE_OP_UPDATE, &ev, t, err);
        }
        break;
    case MG_OP_DELETE:
        if (rc == SLUICE_OK)
            rc = emit_delete(s, b, &ev, t, err);
        break;
    case MG_OP_DROP:
        s->host->log(s->ctx, SLUICE_LOG_WARNING, "collection \"%s.%s\" was dropped; table "
                     "\"%s.%s\" is truncated", c->db, c->name, c->db, c->name);
        if (rc == SLUICE_OK && !s->host->emit(b, SLUICE_OP_TRUNCATE, t, 0))
            rc = mg_oom(s, err);
        break;
    case MG_OP_RENAME:
        if (rc == SLUICE_OK)
            rc = rename_collection(s, &ev, c, err);
        break;
    default:
        break;
    }
    if (rc == SLUICE_OK)
        rc = taken(s, &p, ev.wall_ms * 1000, err);
    if (rc == SLUICE_OK && !ev.in_txn)
        rc = commit_open(s, b, err);
    return rc;
}

/* An idle stream: an empty transaction at its postBatchResumeToken, now and then. */
static sluice_status idle_commit(mgsrc *s, sluice_batch *b, sluice_error *err)
{
    mg_stream *st = &s->stream;
    if (wall_us() - st->last_commit_us < IDLE_COMMIT_US || b->nevents + 2 > b->capacity)
        return SLUICE_OK;
    const bson_t *token = mongoc_change_stream_get_resume_token(st->cs);
    mg_pos p = {.t = st->last_t, .i = st->last_i, .horizon_t = st->horizon_t,
                .horizon_i = st->horizon_i};
    if (!token)
        return SLUICE_OK;
    mg_token_time(token, &p.t, &p.i);
    p.token = bson_get_data(token);
    p.token_len = token->len;
    sluice_position pos;
    if (mg_pos_set(&pos, &p) != 0 || mg_position_compare(&pos, &st->sent) <= 0) {
        st->last_commit_us = wall_us();
        return SLUICE_OK;
    }
    sluice_event *e = s->host->emit(b, SLUICE_OP_BEGIN, NULL, 0);
    if (!e)
        return mg_oom(s, err);
    e->xid = (uint64_t)p.t << 32 | p.i;
    e->commit_time_us = (int64_t)p.t * 1000000;
    return commit(s, b, &p, e->commit_time_us, err);
}

sluice_status mg_stream_read(void *instance, sluice_batch *b, sluice_error *err)
{
    mgsrc *s = instance;
    mg_stream *st = &s->stream;
    if (!st->started || !st->cs)
        return s->host->error(err, SLUICE_FATAL, "stream_read was called before stream_start");
    while (!s->host->cancelled(s->ctx)) {
        if (b->nevents > 0 && s->host->batch_full(b))
            break;
        const bson_t *doc = st->pending;
        if (!doc && !mongoc_change_stream_next(st->cs, &doc)) {
            bson_error_t e;
            const bson_t *reply;
            if (mongoc_change_stream_error_document(st->cs, &e, &reply))
                return b->nevents > 0 ? SLUICE_OK : stream_error(s, &e, err);
            /* no event for now: a transaction read so far is complete */
            sluice_status rc = !st->open                       ? idle_commit(s, b, err)
                               : b->nevents + 1 <= b->capacity ? commit_open(s, b, err)
                                                               : SLUICE_OK;
            if (rc != SLUICE_OK)
                return rc;
            break;
        }
        step r;
        sluice_status rc = take_event(s, b, doc, &r, err);
        if (rc != SLUICE_OK)
            return rc;
        if (r == FULL) {
            if (b->nevents == 0)
                return s->host->error(err, SLUICE_FATAL, "the batch has no room for one event");
            if (!st->pending && !(st->pending = bson_copy(doc)))
                return mg_oom(s, err);
            break;
        }
        if (st->pending) {
            bson_destroy(st->pending);
            st->pending = NULL;
        }
        if (!st->cs) /* invalidated and not reopened */
            break;
    }
    return b->nevents > 0 ? SLUICE_OK : SLUICE_AGAIN;
}

sluice_status mg_ack(void *instance, const sluice_position *committed, sluice_error *err)
{
    mgsrc *s = instance;
    mg_pos p;
    if (!committed->len)
        return SLUICE_OK;
    if (mg_pos_get(committed, &p) != 0)
        return s->host->error(err, SLUICE_FATAL, "invalid change stream position of %u bytes "
                              "in an acknowledgement", (unsigned)committed->len);
    if (s->stream.sent.len && mg_position_compare(committed, &s->stream.sent) > 0) {
        char at[600], top[600];
        mg_position_format(committed, at, sizeof at);
        mg_position_format(&s->stream.sent, top, sizeof top);
        s->host->error(err, SLUICE_FATAL, "acknowledged position %s was never sent", at);
        s->host->error_detail(err, "The highest position this source has handed out is %s.",
                              top);
        return SLUICE_FATAL;
    }
    /* nothing to tell the server: the oplog is not held for a change stream, and
       the target's checkpoint is where the next session resumes */
    return SLUICE_OK;
}

void mg_stream_close(mgsrc *s)
{
    mg_stream *st = &s->stream;
    if (st->cs)
        mongoc_change_stream_destroy(st->cs);
    if (st->pending)
        bson_destroy(st->pending);
    for (uint32_t k = 0; k < st->naliases; k++) {
        free(st->aliases[k].db);
        free(st->aliases[k].name);
    }
    free(st->aliases);
    for (uint32_t k = 0; k < st->nunknown; k++)
        free(st->unknown[k]);
    free(st->unknown);
    memset(st, 0, sizeof *st);
}
