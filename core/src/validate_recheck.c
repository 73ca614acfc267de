/*
 * The keys a first pass found different are read again, by key, at the
 * target first and at the source second, after a wait that doubles each
 * round: a change that was on its way through change capture has arrived by
 * then, and the key matches. Only keys that differ in every round are
 * reported. With --repair, each of those gets the source's current row at the
 * target (or loses its target row when the source has none), through the
 * sink's validate_repair, and is then read again once more.
 */
#include "validate.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Keys read in one go: IN (...) of a one-column key; a key of several columns alone. */
#define KEYS_PER_READ 500u

static void wait_ms(validation *v, uint32_t ms)
{
    while (ms > 0 && !atomic_load(&v->r->stop)) {
        uint32_t step = ms > 100 ? 100 : ms;
        struct timespec ts = {0, (long)step * 1000000};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

/* The keys of `old` (from..from+n) read again at both sides and compared into t. */
static int reread(vworker *w, vtable *t, const vdiff *old, uint32_t n, sluice_error *err)
{
    const sluice_table *out;
    if (chain_table(&w->chain, t->source, &out, err) != SLUICE_OK)
        return EXIT_TRANSFORM;
    arena a;
    arena_init(&a, 4096);
    char *const **keys = arena_alloc(&a, (n + 1) * sizeof *keys);
    sluice_chunk sc, tc;
    int rc = 0;
    if (!keys) {
        rc = EXIT_INTERNAL;
    } else {
        for (uint32_t i = 0; i < n; i++)
            keys[i] = old[i].key;
        if (vchunk_keys(t, keys, n, 0, NULL, &a, &sc) != 0 ||
            vchunk_keys(t, keys, n, 1, out, &a, &tc) != 0)
            rc = EXIT_INTERNAL;
    }
    if (rc != 0)
        error_set(err, SLUICE_FATAL, "out of memory");
    else
        rc = vcompare_rows(w, t, out, &sc, &tc, 0, err);
    arena_free(&a);
    return rc;
}

/* One round over every differing key of t: they are replaced by those that still differ. */
static int recheck_table(vworker *w, vtable *t, sluice_error *err)
{
    pthread_mutex_lock(&t->lock);
    vtable old = *t; /* only diffs and ndiffs are used */
    t->diffs = NULL;
    t->ndiffs = t->diffs_cap = 0;
    t->diffs_truncated = 0;
    pthread_mutex_unlock(&t->lock);
    uint32_t step = t->nkeys == 1 ? KEYS_PER_READ : 1;
    int rc = 0;
    for (uint32_t i = 0; i < old.ndiffs && rc == 0; i += step)
        rc = reread(w, t, &old.diffs[i], old.ndiffs - i < step ? old.ndiffs - i : step, err);
    vdiffs_free(&old);
    return rc;
}

/* ---- --repair ---- */

/* Marks in found[] the keys of group that the batch's rows carry. */
static void mark_found(const vtable *t, const sluice_batch *b, const vdiff *group, uint32_t n,
                       uint8_t *found, arena *a)
{
    for (uint32_t i = 0; i < b->nevents; i++) {
        const sluice_event *e = sluice_batch_event(b, i);
        if (e->op != SLUICE_OP_INSERT || !e->new_row)
            continue;
        for (uint32_t g = 0; g < n; g++) {
            uint32_t k = 0;
            for (; k < t->nkeys; k++) {
                uint32_t c = t->tkeys[k], len;
                const char *v = vcanon(a, sluice_table_column(e->table, c), &e->new_row[c], &len);
                if (!v || strlen(group[g].key[k]) != len || memcmp(v, group[g].key[k], len) != 0)
                    break;
            }
            if (k == t->nkeys)
                found[g] = 1;
        }
    }
}

typedef struct repair_ctx {
    vworker *w;
    const vtable *t;
    const vdiff *group;
    uint32_t n;
    uint8_t *found;
    arena *a;
} repair_ctx;

static int repair_call(vworker *w, const sluice_batch *b, sluice_error *err);

/* A batch of the source's rows: noted as found, and written at the target. */
static int repair_batch(sluice_batch *b, void *ctx, sluice_error *err)
{
    repair_ctx *c = ctx;
    mark_found(c->t, b, c->group, c->n, c->found, c->a);
    return repair_call(c->w, b, err);
}

static int repair_call(vworker *w, const sluice_batch *b, sluice_error *err)
{
    return INVOKE(&w->sink, sink, validate_repair, "validate --repair", err, w->sink.handle, b,
                  err) == SLUICE_OK ? 0 : EXIT_TARGET;
}

/* The source's rows for these keys written at the target; keys the source lacks deleted. */
static int repair_group(vworker *w, vtable *t, const vdiff *group, uint32_t n, sluice_error *err)
{
    const sluice_table *out;
    if (chain_table(&w->chain, t->source, &out, err) != SLUICE_OK)
        return EXIT_TRANSFORM;
    arena a;
    arena_init(&a, 4096);
    char *const **keys = arena_alloc(&a, (n + 1) * sizeof *keys);
    uint8_t *found = arena_alloc(&a, n + 1);
    sluice_chunk sc;
    if (!keys || !found) {
        arena_free(&a);
        error_set(err, SLUICE_FATAL, "out of memory");
        return EXIT_INTERNAL;
    }
    memset(found, 0, n);
    for (uint32_t i = 0; i < n; i++)
        keys[i] = group[i].key;
    int rc = vchunk_keys(t, keys, n, 0, NULL, &a, &sc) == 0 ? 0 : EXIT_INTERNAL;
    if (rc != 0)
        error_set(err, SLUICE_FATAL, "out of memory");
    repair_ctx ctx = {w, t, group, n, found, &a};
    if (rc == 0)
        rc = vsource_batches(w, t, &sc, repair_batch, &ctx, err);
    sluice_batch *b = w->batch;
    /* keys the source does not have: their target rows go */
    batch_reset(b);
    b->kind = SLUICE_BATCH_SNAPSHOT;
    b->table = out;
    const sluice_host *host = host_api();
    for (uint32_t g = 0; rc == 0 && g < n; g++) {
        if (found[g])
            continue;
        sluice_event *e = host->emit(b, SLUICE_OP_DELETE, out, 1);
        for (uint32_t k = 0; e && k < t->nkeys; k++)
            if (host->set_text(b, &e->old_row[t->tkeys[k]], group[g].key[k],
                               strlen(group[g].key[k])) != 0)
                e = NULL;
        if (!e) {
            error_set(err, SLUICE_FATAL, "out of memory");
            rc = EXIT_INTERNAL;
        }
    }
    if (rc == 0 && b->nevents > 0)
        rc = repair_call(w, b, err);
    if (rc == 0) {
        pthread_mutex_lock(&t->lock);
        t->repaired += n;
        pthread_mutex_unlock(&t->lock);
    }
    arena_free(&a);
    return rc;
}

static int repair_table(vworker *w, vtable *t, sluice_error *err)
{
    runner *r = w->v->r;
    if (!SLUICE_HAS(&r->sink->vt.sink, sluice_sink_vtable, validate_repair)) {
        error_set(err, SLUICE_FATAL, "sink \"%s\" cannot repair rows", r->sink->info.name);
        error_detail(err, "Its vtable has no validate_repair (plugin ABI 1.6).");
        error_hint(err, "Run validate without --repair, or use a sink that implements it, "
                        "such as sink-pg.");
        return EXIT_PLUGIN;
    }
    uint32_t step = t->nkeys == 1 ? KEYS_PER_READ : 1;
    int rc = 0;
    for (uint32_t i = 0; i < t->ndiffs && rc == 0; i += step)
        rc = repair_group(w, t, &t->diffs[i], t->ndiffs - i < step ? t->ndiffs - i : step, err);
    return rc;
}

static int has_diffs(const vtable *t) { return t->state != VT_ERROR && t->ndiffs > 0; }

static void table_failed(validation *v, vtable *t, int rc, const sluice_error *err)
{
    t->state = VT_ERROR;
    t->error = *err;
    if (err->status == SLUICE_FATAL || rc == EXIT_PLUGIN || rc == EXIT_INTERNAL)
        runner_fail(v->r, rc, NULL);
}

int validate_recheck(validation *v, vworker *w, sluice_error *err)
{
    uint32_t wait = v->opt->recheck_wait_ms;
    for (uint32_t round = 0; round < v->opt->rechecks; round++) {
        int any = 0;
        for (uint32_t i = 0; i < v->ntables; i++)
            any |= has_diffs(&v->tables[i]);
        if (!any || atomic_load(&v->r->stop))
            break;
        wait_ms(v, wait);
        wait *= 2;
        for (uint32_t i = 0; i < v->ntables && !atomic_load(&v->r->stop); i++) {
            vtable *t = &v->tables[i];
            int64_t started = monotonic_us();
            int rc = has_diffs(t) ? recheck_table(w, t, err) : 0;
            if (rc != 0)
                table_failed(v, t, rc, err);
            t->elapsed_us += monotonic_us() - started;
        }
    }
    for (uint32_t i = 0; v->opt->repair && i < v->ntables && !atomic_load(&v->r->stop); i++) {
        vtable *t = &v->tables[i];
        if (!has_diffs(t))
            continue;
        int64_t started = monotonic_us();
        int rc = repair_table(w, t, err);
        if (rc == 0)
            rc = recheck_table(w, t, err); /* what the repair left different */
        if (rc != 0)
            table_failed(v, t, rc, err);
        t->elapsed_us += monotonic_us() - started;
    }
    int failed = atomic_load(&v->r->failed);
    return failed ? failed : 0;
}
