/*
 * The chunks of every selected table on --jobs workers, each with its own
 * source and sink instances and mapping chain (as full-load lanes have).
 * A chunk is read at the target first and at the source second, so the source
 * is never older than the target (see docs/validate.md on CDC). Where both
 * sides can hash it in their database and the mapping leaves values as they
 * are, the hashes and counts are compared first and rows are read only when
 * they differ.
 */
#include "validate.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void validate_rate_take(validation *v, uint64_t rows)
{
    uint64_t rate = v->opt->max_rows_per_second;
    if (rate == 0 || rows == 0)
        return;
    /* The chunk's rows are owed: each chunk starts no earlier than the previous ones'
       rows allow, so the average stays under the rate with any number of jobs. */
    pthread_mutex_lock(&v->rate_lock);
    int64_t now = monotonic_us();
    if (v->rate_next_us < now)
        v->rate_next_us = now;
    int64_t start = v->rate_next_us;
    v->rate_next_us += (int64_t)(rows * 1000000 / rate);
    pthread_mutex_unlock(&v->rate_lock);
    int64_t wait = start - now;
    while (wait > 0 && !atomic_load(&v->r->stop)) {
        int64_t step = wait > 100000 ? 100000 : wait;
        struct timespec ts = {step / 1000000, (long)(step % 1000000) * 1000};
        nanosleep(&ts, NULL);
        wait -= step;
    }
}

int vworker_open(vworker *w, validation *v, sluice_error *err)
{
    runner *r = v->r;
    memset(w, 0, sizeof *w);
    w->v = v;
    if (instance_open(&w->src, r->source, r->source_config, &r->env, err) != SLUICE_OK)
        return EXIT_SOURCE;
    w->src_open = 1;
    if (instance_open(&w->sink, r->sink, r->sink_config, &r->env, err) != SLUICE_OK)
        return EXIT_TARGET;
    w->sink_open = 1;
    if (chain_open(&w->chain, r->cfg->mapping, r->source->vt.source.position_format,
                   r->transforms, r->transform_configs, r->ntransforms, &r->env,
                   err) != SLUICE_OK)
        return EXIT_TRANSFORM;
    w->chain_open = 1;
    w->batch = batch_new(SLUICE_BATCH_SNAPSHOT, (uint32_t)r->set.batch_rows,
                         (size_t)r->set.batch_bytes);
    if (!w->batch) {
        error_set(err, SLUICE_FATAL, "out of memory");
        return EXIT_INTERNAL;
    }
    return 0;
}

void vworker_close(vworker *w)
{
    if (w->chain_open)
        chain_close(&w->chain);
    if (w->sink_open)
        instance_close(&w->sink);
    if (w->src_open)
        instance_close(&w->src);
    batch_free(w->batch);
    w->chain_open = w->sink_open = w->src_open = 0;
    w->batch = NULL;
}

/* Both sides hash the chunk where the rows are: 1 when they agree (counted), 0 when
   not, or minus the exit code with err. */
static int hashes_agree(vworker *w, vtable *t, const sluice_chunk *sc, const sluice_chunk *tc,
                        sluice_error *err)
{
    sluice_range_hash th = {.header = SLUICE_HEADER_INIT(sluice_range_hash)};
    sluice_range_hash sh = {.header = SLUICE_HEADER_INIT(sluice_range_hash)};
    char twhere[300], swhere[300];
    snprintf(twhere, sizeof twhere, "table \"%.*s.%.*s\"", (int)tc->table->schema.len,
             tc->table->schema.ptr, (int)tc->table->name.len, tc->table->name.ptr);
    snprintf(swhere, sizeof swhere, "table \"%.*s.%.*s\"", (int)sc->table->schema.len,
             sc->table->schema.ptr, (int)sc->table->name.len, sc->table->name.ptr);
    if (INVOKE(&w->sink, sink, validate_hash, twhere, err, w->sink.handle, tc, &th, err) !=
            SLUICE_OK)
        return -EXIT_TARGET;
    if (INVOKE(&w->src, source, validate_hash, swhere, err, w->src.handle, sc, &sh, err) !=
        SLUICE_OK)
        return -EXIT_SOURCE;
    validate_rate_take(w->v, sh.rows > th.rows ? sh.rows : th.rows);
    report_log(SLUICE_LOG_DEBUG, "validate: chunk %u of %u: source %llu rows, hash %u:%s; "
               "target %llu rows, hash %u:%s", sc->index + 1, sc->count,
               (unsigned long long)sh.rows, sh.method, sh.digest, (unsigned long long)th.rows,
               th.method, th.digest);
    if (th.method == SLUICE_HASH_NONE || th.method != sh.method || th.rows != sh.rows ||
        strcmp(th.digest, sh.digest) != 0)
        return 0;
    pthread_mutex_lock(&t->lock);
    t->source_rows += sh.rows;
    t->target_rows += th.rows;
    t->chunks_hashed++;
    pthread_mutex_unlock(&t->lock);
    return 1;
}

int vcompare_rows(vworker *w, vtable *t, const sluice_table *out, const sluice_chunk *sc,
                  const sluice_chunk *tc, int count, sluice_error *err)
{
    vrows src, tgt;
    vrows_init(&src);
    vrows_init(&tgt);
    int rc = vrows_read_target(w, t, tc, &tgt, err); /* the target first: see the top */
    if (rc == 0)
        rc = vrows_read_source(w, t, sc, &src, err);
    if (rc == 0) {
        validate_rate_take(w->v, src.n > tgt.n ? src.n : tgt.n);
        vcompare(t, out, &src, &tgt);
        pthread_mutex_lock(&t->lock);
        t->source_rows += count ? src.n : 0;
        t->target_rows += count ? tgt.n : 0;
        pthread_mutex_unlock(&t->lock);
    }
    vrows_free(&src);
    vrows_free(&tgt);
    return rc;
}

/* One chunk of one table; 0, or an exit code with err. */
static int chunk_work(vworker *w, vtable *t, uint32_t index, sluice_error *err)
{
    const sluice_table *out;
    if (chain_table(&w->chain, t->source, &out, err) != SLUICE_OK)
        return EXIT_TRANSFORM;
    arena a;
    arena_init(&a, 4096);
    sluice_chunk sc, tc;
    int rc = 0;
    if (vchunk_build(t, index, 0, NULL, &a, &sc) != 0 ||
        vchunk_build(t, index, 1, out, &a, &tc) != 0) {
        error_set(err, SLUICE_FATAL, "out of memory");
        rc = EXIT_INTERNAL;
    }
    int agree = rc == 0 && t->in_database ? hashes_agree(w, t, &sc, &tc, err) : 0;
    if (agree < 0)
        rc = -agree;
    if (rc == 0 && !agree)
        rc = vcompare_rows(w, t, out, &sc, &tc, 1, err);
    arena_free(&a);
    return rc;
}

/* A failed chunk fails its table (the others go on); a fatal error stops them all. */
static void chunk_failed(vworker *w, vtable *t, int rc, const sluice_error *err)
{
    pthread_mutex_lock(&t->lock);
    if (t->state != VT_ERROR) {
        t->state = VT_ERROR;
        t->error = *err;
    }
    pthread_mutex_unlock(&t->lock);
    if (err->status == SLUICE_FATAL || rc == EXIT_PLUGIN || rc == EXIT_INTERNAL)
        runner_fail(w->v->r, rc, NULL);
}

static void *worker_main(void *arg)
{
    vworker *w = arg;
    validation *v = w->v;
    sluice_error err;
    error_init(&err);
    for (;;) {
        unsigned i = atomic_fetch_add(&v->next_task, 1);
        if (i >= v->ntasks || atomic_load(&v->r->stop))
            break;
        vtable *t = &v->tables[v->tasks[i].table];
        pthread_mutex_lock(&t->lock);
        int skip = t->state == VT_ERROR;
        if (!t->started_us)
            t->started_us = monotonic_us();
        pthread_mutex_unlock(&t->lock);
        if (skip)
            continue;
        int rc = chunk_work(w, t, v->tasks[i].chunk, &err);
        if (rc != 0)
            chunk_failed(w, t, rc, &err);
        pthread_mutex_lock(&t->lock);
        t->elapsed_us = monotonic_us() - t->started_us;
        pthread_mutex_unlock(&t->lock);
    }
    return NULL;
}

int validate_chunks(validation *v, sluice_error *err)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < v->ntables; i++)
        n += v->tables[i].state == VT_ERROR ? 0 : v->tables[i].nchunks;
    v->tasks = calloc(n + 1, sizeof *v->tasks);
    if (!v->tasks) {
        error_set(err, SLUICE_FATAL, "out of memory");
        return EXIT_INTERNAL;
    }
    for (uint32_t i = 0; i < v->ntables; i++)
        for (uint32_t c = 0; v->tables[i].state != VT_ERROR && c < v->tables[i].nchunks; c++)
            v->tasks[v->ntasks++] = (struct vtask){i, c};
    uint32_t jobs = v->opt->jobs < v->ntasks ? v->opt->jobs : v->ntasks;
    vworker *workers = calloc(jobs + 1, sizeof *workers);
    if (!workers) {
        error_set(err, SLUICE_FATAL, "out of memory");
        return EXIT_INTERNAL;
    }
    int rc = 0;
    uint32_t started = 0;
    for (; started < jobs && rc == 0; started++) {
        rc = vworker_open(&workers[started], v, err);
        if (rc == 0 && pthread_create(&workers[started].thread, NULL, worker_main,
                                      &workers[started]) != 0) {
            error_set(err, SLUICE_FATAL, "could not start a validate worker thread");
            rc = EXIT_INTERNAL;
        }
        if (rc != 0) {
            vworker_close(&workers[started]);
            atomic_store(&v->r->stop, 1);
        }
    }
    for (uint32_t i = 0; i < started; i++) {
        if (rc == 0 || i + 1 < started)
            pthread_join(workers[i].thread, NULL);
        vworker_close(&workers[i]);
    }
    free(workers);
    if (rc == 0 && atomic_load(&v->r->failed))
        rc = atomic_load(&v->r->failed);
    return rc;
}
