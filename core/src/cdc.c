/*
 * Change data capture: one reader thread streams from the main source instance
 * into a bounded queue; one applier thread runs the transforms and the main sink
 * instance. The applier flushes (commits durably) complete transactions and
 * publishes the committed position; the reader, the only thread that may use
 * the source instance, passes it on with ack(). Nothing is acknowledged that
 * the target has not committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner.h"

typedef struct cdc_run {
    runner *r;
    batch_queue full, free;
    sluice_batch **batches;
    unsigned nbatches;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    sluice_position committed; /* guarded by lock: last flushed position (at first: the
                                  durable start position) */
    uint64_t committed_seq;    /* bumps on every new committed position */
    int applier_done;
    atomic_int restart;        /* a plugin lost its connection (RETRY): end this session */
    sluice_error restart_err;  /* what it said, guarded by lock */
    int restart_code;          /* EXIT_SOURCE or EXIT_TARGET: who lost it */
} cdc_run;

/* A transient failure in the stream: end the session; run_cdc starts a new one
   from the target's checkpoint. */
static void session_lost(cdc_run *c, const sluice_error *err, int code)
{
    pthread_mutex_lock(&c->lock);
    if (!atomic_load(&c->restart)) {
        c->restart_err = *err;
        c->restart_code = code;
    }
    atomic_store(&c->restart, 1);
    pthread_mutex_unlock(&c->lock);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- the reader ---- */

/* Sends the latest committed position to the source when it moved, and again
   every second even when it did not, so a source can keep its connection alive
   (PostgreSQL drops a walsender that hears nothing for wal_sender_timeout) while a
   slow sink holds the reader back. */
static int deliver_ack(cdc_run *c, uint64_t *acked_seq, int64_t *acked_at)
{
    runner *r = c->r;
    sluice_position pos;
    pthread_mutex_lock(&c->lock);
    uint64_t seq = c->committed_seq;
    pos = c->committed;
    pthread_mutex_unlock(&c->lock);
    int64_t now = monotonic_us();
    int due = seq != *acked_seq || now - *acked_at >= 1000000;
    if (!due || !pos.len || !r->source->vt.source.ack)
        return 0;
    *acked_seq = seq;
    *acked_at = now;
    sluice_error err;
    plugin_instance *src = &r->main_source;
    char where[160];
    char text[128];
    position_text(r, &pos, text, sizeof text);
    snprintf(where, sizeof where, "at %s", text);
    sluice_status st = INVOKE_ONCE(src, source, ack, where, &err, src->handle, &pos, &err);
    if (st == SLUICE_RETRY) {
        session_lost(c, &err, EXIT_SOURCE);
        return -1;
    }
    if (st != SLUICE_OK) {
        runner_fail(r, EXIT_SOURCE, &err);
        return -1;
    }
    return 0;
}

/* Cuts the batch after the first COMMIT at or past --until; returns 1 if it did. */
static int cut_at_until(runner *r, sluice_batch *b)
{
    if (!r->until.len)
        return 0;
    for (uint32_t i = 0; i < b->nevents; i++) {
        sluice_event *e = sluice_batch_event(b, i);
        if (e->op == SLUICE_OP_COMMIT && e->position &&
            r->source->vt.source.position_compare(e->position, &r->until) >= 0) {
            b->nevents = i + 1;
            return 1;
        }
    }
    return 0;
}

/* The last COMMIT read: its position, and (for the source latency) its commit time
   at the source next to the moment we captured it. When the target had applied all
   captured before, the batch's first commit is where the target's lag starts. */
static void note_source_position(runner *r, const sluice_batch *b)
{
    stats *s = r->stats;
    if (atomic_load(&s->last_capture_source_us) <= atomic_load(&s->last_commit_source_us))
        for (uint32_t i = 0; i < b->nevents; i++) {
            sluice_event *e = sluice_batch_event(b, i);
            if (e->op == SLUICE_OP_COMMIT && e->commit_time_us) {
                atomic_store(&s->pending_from_us, e->commit_time_us);
                break;
            }
        }
    for (uint32_t i = b->nevents; i-- > 0;) {
        sluice_event *e = sluice_batch_event(b, i);
        if (e->op == SLUICE_OP_COMMIT && e->position) {
            char text[128];
            position_text(r, e->position, text, sizeof text);
            stats_set_text(r->stats, r->stats->source_position,
                           sizeof r->stats->source_position, text);
            if (e->commit_time_us) {
                atomic_store(&r->stats->last_capture_source_us, e->commit_time_us);
                atomic_store(&r->stats->last_capture_us, now_us());
            }
            return;
        }
    }
}

/* Asks the source (ABI 1.5 log_usage) how much log it keeps for us, every few
   seconds; a source that cannot tell is asked no more this session. */
static void note_log_usage(runner *r, int64_t *asked_at, int *give_up)
{
    const sluice_source_vtable *v = &r->source->vt.source;
    int64_t every = r->set.status_interval_ms > 2000 ? r->set.status_interval_ms * 1000 : 2000000;
    int64_t now = monotonic_us();
    if (*give_up || !SLUICE_HAS(v, sluice_source_vtable, log_usage) || now - *asked_at < every)
        return;
    *asked_at = now;
    sluice_log_usage u = {SLUICE_HEADER_INIT(sluice_log_usage), -1, -1};
    sluice_error err;
    plugin_instance *src = &r->main_source;
    if (INVOKE_ONCE(src, source, log_usage, NULL, &err, src->handle, &u, &err) != SLUICE_OK) {
        /* only a metric is lost: say so once and stream on */
        report_log(SLUICE_LOG_WARNING, "%s; the retained-log metrics stay unknown", err.message);
        *give_up = 1;
        return;
    }
    atomic_store(&r->stats->source_retained_bytes, u.retained_bytes);
    atomic_store(&r->stats->source_spilled_bytes, u.spilled_bytes);
}

static void *reader_main(void *arg)
{
    cdc_run *c = arg;
    runner *r = c->r;
    plugin_instance *src = &r->main_source;
    sluice_error err;
    uint64_t acked = 0;
    int64_t acked_at = monotonic_us(), usage_at = 0;
    int usage_gone = 0;
    long idle_ms = 1;
    while (!atomic_load(&r->stop) && !atomic_load(&c->restart)) {
        if (deliver_ack(c, &acked, &acked_at) != 0)
            break;
        note_log_usage(r, &usage_at, &usage_gone);
        int closed;
        sluice_batch *b = queue_pop_timed(&c->free, 100, &closed);
        if (!b)
            continue; /* the applier is behind: keep acknowledging while we wait */
        batch_reset(b);
        b->kind = SLUICE_BATCH_CHANGES;
        sluice_status st = INVOKE_ONCE(src, source, stream_read, NULL, &err, src->handle, b, &err);
        if (st == SLUICE_AGAIN || (st == SLUICE_OK && b->nevents == 0 &&
                                   !(b->flags & SLUICE_BATCH_LAST))) {
            queue_push(&c->free, b);
            sleep_ms(idle_ms);
            idle_ms = idle_ms < 50 ? idle_ms * 2 : 50;
            continue;
        }
        if (st != SLUICE_OK) {
            queue_push(&c->free, b);
            if (st == SLUICE_RETRY)
                session_lost(c, &err, EXIT_SOURCE);
            else
                runner_fail(r, EXIT_SOURCE, &err);
            break;
        }
        idle_ms = 1;
        int end = cut_at_until(r, b) || (b->flags & SLUICE_BATCH_LAST);
        note_source_position(r, b);
        queue_push(&c->full, b);
        if (end)
            break;
    }
    queue_close(&c->full);
    /* Wait for the applier's last flush, passing its positions on to the source. */
    for (;;) {
        pthread_mutex_lock(&c->lock);
        int done = c->applier_done;
        pthread_mutex_unlock(&c->lock);
        if (deliver_ack(c, &acked, &acked_at) != 0 || done)
            break;
        sleep_ms(20);
    }
    deliver_ack(c, &acked, &acked_at);
    return NULL;
}

/* ---- the applier ---- */

static void count_event(runner *r, const sluice_event *e)
{
    int32_t i = runner_stat_index(r, e->table);
    if (i < 0)
        return;
    table_stats *t = &r->stats->tables[i];
    switch (e->op) {
    case SLUICE_OP_INSERT: atomic_fetch_add(&t->inserts, 1); break;
    case SLUICE_OP_UPDATE: atomic_fetch_add(&t->updates, 1); break;
    case SLUICE_OP_DELETE: atomic_fetch_add(&t->deletes, 1); break;
    case SLUICE_OP_TRUNCATE: atomic_fetch_add(&t->truncates, 1); break;
    case SLUICE_OP_SCHEMA: atomic_fetch_add(&t->ddl, 1); break;
    default: break;
    }
}

/* Drops events of tables the pipeline did not select; counts the rest. Returns the
   commit time of the batch's last COMMIT, or 0. */
static int64_t select_and_count(runner *r, sluice_batch *b)
{
    int64_t commit_time = 0;
    for (uint32_t i = 0; i < b->nevents; i++) {
        sluice_event *e = sluice_batch_event(b, i);
        if (e->op == SLUICE_OP_COMMIT)
            commit_time = e->commit_time_us ? e->commit_time_us : now_us();
        if (!e->table)
            continue;
        int32_t i = runner_stat_index(r, e->table);
        if (i < 0 && e->op == SLUICE_OP_SCHEMA)
            i = runner_table_created(r, e->table);
        if (i < 0)
            e->op = SLUICE_OP_SKIP;
        else
            count_event(r, e);
    }
    return commit_time;
}

static int flush_sink(cdc_run *c, int64_t commit_time)
{
    runner *r = c->r;
    plugin_instance *sink = &r->main_sink;
    sluice_position pos;
    sluice_error err;
    memset(&pos, 0, sizeof pos);
    sluice_status st = INVOKE_ONCE(sink, sink, flush, NULL, &err, sink->handle, &pos, &err);
    if (st != SLUICE_OK) {
        if (st == SLUICE_RETRY)
            session_lost(c, &err, EXIT_TARGET);
        else
            runner_fail(r, EXIT_TARGET, &err);
        return -1;
    }
    if (!pos.len)
        return 0;
    char text[128];
    position_text(r, &pos, text, sizeof text);
    stats_set_text(r->stats, r->stats->committed_position, sizeof r->stats->committed_position,
                   text);
    if (commit_time) {
        atomic_store(&r->stats->last_commit_source_us, commit_time);
        atomic_store(&r->stats->last_commit_target_us, now_us());
    }
    pthread_mutex_lock(&c->lock);
    c->committed = pos;
    c->committed_seq++;
    pthread_mutex_unlock(&c->lock);
    return 0;
}

static int apply_batch(cdc_run *c, sluice_batch *b, int64_t *commit_time)
{
    runner *r = c->r;
    sluice_error err;
    int64_t t = select_and_count(r, b);
    if (t)
        *commit_time = t;
    if (chain_map(&r->main_chain, b, &err) != SLUICE_OK) {
        runner_fail(r, EXIT_TRANSFORM, &err);
        return -1;
    }
    plugin_instance *sink = &r->main_sink;
    sluice_status st = INVOKE_ONCE(sink, sink, apply, NULL, &err, sink->handle, b, &err);
    if (st != SLUICE_OK) {
        if (st == SLUICE_RETRY)
            session_lost(c, &err, EXIT_TARGET);
        else
            runner_fail(r, EXIT_TARGET, &err);
        return -1;
    }
    return 0;
}

static void *applier_main(void *arg)
{
    cdc_run *c = arg;
    runner *r = c->r;
    int ok = 1, unflushed = 0;
    int64_t commit_time = 0, last_flush = monotonic_us();
    for (;;) {
        int closed = 0;
        sluice_batch *b = queue_pop_timed(&c->full, (int)r->set.flush_interval_ms, &closed);
        if (b) {
            if (ok && !atomic_load(&r->failed) && !atomic_load(&c->restart)) {
                ok = apply_batch(c, b, &commit_time) == 0;
                unflushed = 1;
            }
            queue_push(&c->free, b);
        }
        int64_t now = monotonic_us();
        int due = now - last_flush >= r->set.flush_interval_ms * 1000 || queue_count(&c->full) == 0;
        /* Idle, and at the end, flush anyway: a sink may hold applied changes
           until a time of its own (sink-s3's cdcMaxBatchInterval); for the
           others a flush with nothing new is a no-op. */
        int idle = !b && now - last_flush >= r->set.flush_interval_ms * 1000;
        if (ok && (unflushed ? (due || closed) : (idle || closed)) && !atomic_load(&r->failed) &&
            !atomic_load(&c->restart)) {
            ok = flush_sink(c, commit_time) == 0;
            unflushed = 0;
            last_flush = now;
        }
        if (!b && closed)
            break;
    }
    pthread_mutex_lock(&c->lock);
    c->applier_done = 1;
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* One streaming session from `from`. Returns 0 when it ended (stop, --until,
   the end of a bounded stream), 1 when a plugin lost its connection (*lost says
   what), -1 on failure (already reported). */
static int cdc_session(runner *r, const sluice_position *from, sluice_error *lost,
                       int *lost_code, uint64_t *commits)
{
    sluice_error err;
    plugin_instance *src = &r->main_source;
    char text[128] = "the current position";
    if (from->len)
        position_text(r, from, text, sizeof text);
    if (r->until.len && from->len &&
        r->source->vt.source.position_compare(from, &r->until) >= 0) {
        report_log(SLUICE_LOG_INFO, "change capture: already at %s, at or past the stop "
                   "position; nothing to do", text);
        return 0;
    }
    report_log(SLUICE_LOG_INFO, "change capture: streaming from %s", text);
    stats_set_phase(r->stats, "cdc");
    sluice_status started = INVOKE_ONCE(src, source, stream_start, NULL, &err, src->handle, from,
                                        &err);
    if (started == SLUICE_RETRY) {
        *lost = err;
        *lost_code = EXIT_SOURCE;
        return 1;
    }
    if (started != SLUICE_OK) {
        runner_fail(r, EXIT_SOURCE, &err);
        return -1;
    }
    for (uint32_t i = 0; i < r->ntables; i++)
        if (atomic_load(&r->stats->tables[i].state) != TABLE_ERROR)
            atomic_store(&r->stats->tables[i].state, TABLE_STREAMING);

    cdc_run c;
    memset(&c, 0, sizeof c);
    c.r = r;
    c.committed = *from; /* already durable at the target: safe to acknowledge */
    pthread_mutex_init(&c.lock, NULL);
    pthread_cond_init(&c.changed, NULL);
    c.nbatches = (unsigned)r->set.queue_depth + 2;
    c.batches = calloc(c.nbatches, sizeof *c.batches);
    int rc = -1;
    if (c.batches && queue_init(&c.full, c.nbatches) == 0 && queue_init(&c.free, c.nbatches) == 0) {
        queue_set_gauge(&c.full, &r->stats->queued_batches);
        unsigned made = 0;
        for (; made < c.nbatches; made++) {
            c.batches[made] = batch_new(SLUICE_BATCH_CHANGES, (uint32_t)r->set.batch_rows,
                                        (size_t)r->set.batch_bytes);
            if (!c.batches[made])
                break;
            queue_push(&c.free, c.batches[made]);
        }
        pthread_t reader, applier;
        if (made == c.nbatches && pthread_create(&applier, NULL, applier_main, &c) == 0) {
            if (pthread_create(&reader, NULL, reader_main, &c) == 0) {
                pthread_join(reader, NULL);
                rc = 0;
            } else {
                queue_close(&c.full);
            }
            pthread_join(applier, NULL);
        }
        for (unsigned i = 0; i < made; i++)
            batch_free(c.batches[i]);
        queue_destroy(&c.full);
        queue_destroy(&c.free);
    }
    free(c.batches);
    *commits = c.committed_seq;
    int restart = atomic_load(&c.restart);
    if (restart) {
        *lost = c.restart_err;
        *lost_code = c.restart_code;
    }
    pthread_mutex_destroy(&c.lock);
    pthread_cond_destroy(&c.changed);
    if (rc != 0) {
        error_set(&err, SLUICE_FATAL, "could not start change-capture threads");
        runner_fail(r, EXIT_INTERNAL, &err);
    }
    if (atomic_load(&r->failed))
        return -1;
    return restart && !atomic_load(&r->stop) ? 1 : 0;
}

/*
 * After a lost connection: new source and sink instances (the sink has rolled
 * back what it had not committed), the source's tables discovered again (they
 * must be the same ones), and the next session starts at the sink's checkpoint.
 */
static int reconnect(runner *r, sluice_position *from, sluice_error *err)
{
    instance_close(&r->main_sink);
    instance_close(&r->main_source);
    if (instance_open(&r->main_source, r->source, r->source_config, &r->env, err) != SLUICE_OK)
        return EXIT_SOURCE;
    sluice_catalog *fresh = runner_source_catalog(r, err);
    if (!fresh)
        return EXIT_SOURCE;
    if (runner_rebind_tables(r, fresh, err) != 0) {
        catalog_free(fresh);
        return EXIT_SOURCE;
    }
    catalog_free(r->catalog); /* the chain remembers old tables by pointer only */
    r->catalog = fresh;
    if (instance_open(&r->main_sink, r->sink, r->sink_config, &r->env, err) != SLUICE_OK)
        return EXIT_TARGET;
    plugin_instance *sink = &r->main_sink;
    sluice_position checkpoint;
    memset(&checkpoint, 0, sizeof checkpoint);
    if (INVOKE(sink, sink, get_checkpoint, NULL, err, sink->handle, &checkpoint, err) != SLUICE_OK)
        return EXIT_TARGET;
    if (checkpoint.len)
        *from = checkpoint;
    return 0;
}

/* Waits, then reconnects; repeats while the failure is transient. 0 when
   reconnected, -1 when the tries are used up or the failure is permanent. */
static int reconnect_with_backoff(runner *r, sluice_position *from, sluice_error *lost,
                                  int lost_code, int *attempt)
{
    for (;;) {
        if (++*attempt >= r->set.retry_limit) {
            error_prefix(lost, "change capture gave up after %d tries to reconnect", *attempt);
            runner_fail(r, lost_code, lost);
            return -1;
        }
        char text[SLUICE_ERROR_MESSAGE_MAX];
        snprintf(text, sizeof text, "%s", lost->message);
        long ms = 100L << (*attempt < 6 ? *attempt - 1 : 5);
        report_log(SLUICE_LOG_WARNING, "%s; reconnecting in %ld ms (try %d of %d), then "
                   "resuming from the target's checkpoint", text, ms, *attempt + 1,
                   (int)r->set.retry_limit);
        sleep_ms(ms);
        if (atomic_load(&r->stop))
            return -1;
        sluice_error err;
        error_init(&err);
        int code = reconnect(r, from, &err);
        if (code == 0)
            return 0;
        if (err.status == SLUICE_FATAL) {
            runner_fail(r, code, &err);
            return -1;
        }
        *lost = err; /* still unreachable: another try */
        lost_code = code;
    }
}

int run_cdc(runner *r, const sluice_position *start)
{
    sluice_position from = *start;
    int attempt = 0;
    for (;;) {
        sluice_error lost;
        error_init(&lost);
        uint64_t commits = 0;
        int lost_code = EXIT_SOURCE;
        int rc = cdc_session(r, &from, &lost, &lost_code, &commits);
        if (rc <= 0)
            return rc;
        if (commits > 0)
            attempt = 0; /* the last session made progress: a fresh budget of tries */
        if (reconnect_with_backoff(r, &from, &lost, lost_code, &attempt) != 0)
            return atomic_load(&r->failed) ? -1 : 0;
    }
}
