/*
 * Full load: MaxFullLoadSubTasks lanes, each a reader thread (its own source
 * instance, attached to the main instance's snapshot) and a writer thread (its
 * own sink instance and transforms) joined by a bounded queue. Lanes take
 * chunks from one shared list; a table is marked loaded in progress.json only
 * after every chunk's finish_table returned, so a restart reloads exactly the
 * tables that were not durably finished.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter_eval.h"
#include "mapping.h"
#include "partition_chunks.h"
#include "range_chunks.h"
#include "runner.h"
#include "sequences.h"

/* Core-private batch flag: the reader gave up on this chunk; discard it. */
#define BATCH_ABORTED 0x80000000u

typedef struct load_table {
    const sluice_table *table;
    uint32_t progress_index; /* into r->prog.tables (an array that may move as it grows) */
    int32_t stat;
    sluice_chunk_list chunks; /* empty: one chunk, the whole table */
    uint32_t nchunks;
    uint32_t native_format; /* SLUICE_NATIVE_*: the form both sides agreed on (ABI 1.3) */
    atomic_uint chunks_done;
    atomic_int failed;
    const table_plan *plan;   /* the mapping's plan (its filters go to the source), or NULL */
    const map_table_settings *ranges_rule; /* DMS parallel-load ranges splitting it, or NULL */
    range_chunks ranges;      /* their chunks' filters (the plan's included) */
    int ranges_in_core;       /* the source predates their ops (ABI 1.4): the core applies them */
    const map_table_settings *partitions_rule; /* DMS parallel-load by partitions, or NULL */
    sluice_partition_list partition_list;      /* the source's list_partitions (ABI 1.4) */
    partition_chunks parts;   /* the partitions each chunk reads */
} load_table;

typedef struct load_work {
    load_table *lt;
    uint32_t chunk;
} load_work;

typedef struct load_plan {
    runner *r;
    load_table *tables;
    uint32_t ntables;
    load_work *work;
    uint32_t nwork;
    atomic_uint next;
} load_plan;

/*
 * A lane: a reader thread (the source fills a batch, then the lane's chain maps
 * it while its rows are still in the cache) and a writer thread (the sink). The
 * chain lives as long as the lane: the batches' events point at its output
 * tables until the writer is done with them.
 */
typedef struct lane {
    load_plan *plan;
    batch_queue full, free;
    sluice_batch **batches;
    const sluice_table **outs; /* per batch: its table as the sink sees it, on the last */
    unsigned nbatches;
    transform_chain chain;
    int chain_open;
    sluice_catalog *versions; /* the reader's new table versions (sluice_chunk.catalog) */
    pthread_t reader, writer;
} lane;

static load_table *table_of(load_plan *plan, const sluice_table *t)
{
    for (uint32_t i = 0; i < plan->ntables; i++)
        if (plan->tables[i].table->id == t->id)
            return &plan->tables[i];
    return NULL;
}

static void table_where(const sluice_table *t, char *buf, size_t size)
{
    snprintf(buf, size, "table \"%.*s.%.*s\"", (int)t->schema.len, t->schema.ptr,
             (int)t->name.len, t->name.ptr);
}

/* A table failed: its error is reported and counted; the other tables go on. */
static void table_failed(load_plan *plan, load_table *lt, const sluice_error *err, int fatal_code)
{
    runner *r = plan->r;
    if (atomic_exchange(&lt->failed, 1) == 0) {
        report_error(err);
        atomic_store(&r->stats->tables[lt->stat].state, TABLE_ERROR);
        atomic_fetch_add(&r->stats->tables[lt->stat].errors, 1);
        atomic_fetch_add(&r->table_errors, 1);
        stats_set_text(r->stats, r->stats->last_error, sizeof r->stats->last_error, err->message);
    }
    if (err->status == SLUICE_FATAL)
        runner_fail(r, fatal_code, NULL);
}

/*
 * A range chunk the source did not filter: the core drops the rows outside
 * it (and the plan's filtered-out rows with them), here where the chunk is
 * known, and marks the batch filtered. Values in a native form cannot be
 * judged, and passing them would copy them into every chunk.
 */
static int range_filter(const sluice_chunk *chunk, const sluice_filter *filters, uint32_t n,
                        int in_core, sluice_batch *b, sluice_error *err)
{
    if ((b->flags & SLUICE_BATCH_FILTERED) && !in_core)
        return 0;
    if (b->native_format != SLUICE_NATIVE_NONE) {
        error_set(err, SLUICE_ERROR,
                  "parallel-load ranges: the source sent a chunk in native form unfiltered");
        error_hint(err, "Remove the table's parallel-load ranges; the source then splits it.");
        return -1;
    }
    for (uint32_t i = 0; i < b->nevents; i++) {
        sluice_event *e = sluice_batch_event(b, i);
        if (e->new_row && e->op != SLUICE_OP_SKIP &&
            !filter_row(filters, n, chunk->table, e->new_row, 0))
            e->op = SLUICE_OP_SKIP;
    }
    b->flags |= SLUICE_BATCH_FILTERED;
    return 0;
}

/* The batch's rows: its events but a SCHEMA event that opens it (ABI 1.8). */
static uint32_t batch_rows(const sluice_batch *b)
{
    return b->nevents && sluice_batch_event(b, 0)->op == SLUICE_OP_SCHEMA ? b->nevents - 1
                                                                          : b->nevents;
}

static unsigned batch_index(const lane *ln, const sluice_batch *b)
{
    unsigned i = 0;
    while (i + 1 < ln->nbatches && ln->batches[i] != b)
        i++;
    return i;
}

/* The lane's chain on a batch the source just filled (its rows are warm), and
   on the table's last batch the table the sink finishes. */
static int map_batch(lane *ln, load_table *lt, sluice_batch *b, sluice_error *err)
{
    if (!ln->chain_open) {
        error_set(err, SLUICE_FATAL, "the lane's mapping chain did not open");
        return -1;
    }
    const sluice_table *out = lt->table;
    /* the version the source read last: a new one when it met new columns (ABI 1.8) */
    const sluice_table *version = b->table ? b->table : lt->table;
    if (chain_map(&ln->chain, b, err) != SLUICE_OK ||
        ((b->flags & SLUICE_BATCH_LAST) && chain_table(&ln->chain, version, &out, err) != SLUICE_OK))
        return -1;
    ln->outs[batch_index(ln, b)] = out;
    return 0;
}

static void *reader_main(void *arg)
{
    lane *ln = arg;
    runner *r = ln->plan->r;
    plugin_instance src;
    sluice_error err;
    if (instance_open(&src, r->source, r->source_config, &r->env, &err) != SLUICE_OK) {
        runner_fail(r, EXIT_SOURCE, &err);
        queue_close(&ln->full);
        return NULL;
    }
    if (r->have_snapshot &&
        INVOKE(&src, source, snapshot_attach, NULL, &err, src.handle, &r->snapshot, &err) !=
            SLUICE_OK) {
        runner_fail(r, EXIT_SOURCE, &err);
        goto done;
    }
    for (;;) {
        unsigned i = atomic_fetch_add(&ln->plan->next, 1);
        if (i >= ln->plan->nwork || atomic_load(&r->stop))
            break;
        load_work *w = &ln->plan->work[i];
        load_table *lt = w->lt;
        sluice_chunk chunk = {.header = SLUICE_HEADER_INIT(sluice_chunk),
                              .table = lt->table,
                              .index = w->chunk,
                              .count = lt->nchunks,
                              .bounds = {"", 0},
                              .native_format = lt->native_format,
                              .nfilters = lt->plan ? lt->plan->nfilters : 0,
                              .filter_size = sizeof(sluice_filter),
                              .filters = lt->plan ? lt->plan->filters : NULL,
                              .catalog = ln->versions};
        if (lt->chunks.count)
            chunk.bounds = lt->chunks.bounds[w->chunk];
        if (lt->ranges.count && !lt->ranges_in_core) {
            chunk.nfilters = lt->ranges.nfilters[w->chunk];
            chunk.filters = lt->ranges.filters[w->chunk];
        }
        if (lt->parts.count) {
            chunk.npartitions = lt->parts.npartitions[w->chunk];
            chunk.partitions = lt->parts.partitions[w->chunk];
        }
        char where[300];
        table_where(lt->table, where, sizeof where);
        atomic_store(&r->stats->tables[lt->stat].state, TABLE_LOADING);
        for (;;) {
            sluice_batch *b = queue_pop(&ln->free);
            batch_reset(b);
            b->kind = SLUICE_BATCH_SNAPSHOT;
            b->table = lt->table;
            if (atomic_load(&lt->failed) || atomic_load(&r->stop)) {
                b->flags = BATCH_ABORTED;
                queue_push(&ln->full, b);
                break;
            }
            sluice_status st = INVOKE(&src, source, read_chunk, where, &err, src.handle, &chunk,
                                      b, &err);
            if (st == SLUICE_AGAIN)
                st = SLUICE_OK; /* nothing this time; the loop asks again */
            if (st == SLUICE_OK && lt->ranges.count &&
                range_filter(&chunk, lt->ranges.filters[w->chunk], lt->ranges.nfilters[w->chunk],
                             lt->ranges_in_core, b, &err) != 0)
                st = SLUICE_ERROR;
            if (st != SLUICE_OK) {
                table_failed(ln->plan, lt, &err, EXIT_SOURCE);
                b->flags = BATCH_ABORTED;
                queue_push(&ln->full, b);
                break;
            }
            atomic_fetch_add(&r->stats->tables[lt->stat].rows_read, batch_rows(b));
            if (map_batch(ln, lt, b, &err) != 0) {
                table_failed(ln->plan, lt, &err, EXIT_TRANSFORM);
                b->flags = BATCH_ABORTED;
                queue_push(&ln->full, b);
                break;
            }
            int last = b->flags & SLUICE_BATCH_LAST;
            queue_push(&ln->full, b);
            if (last)
                break;
        }
    }
done:
    instance_close(&src);
    queue_close(&ln->full);
    return NULL;
}

/*
 * The last chunk of a table is durable: the sink's table_loaded (ABI 1.2: secondary
 * indexes), on this lane's instance, which only this thread uses; then record the
 * table as loaded. `out` is the table as the sink sees it.
 */
static void chunk_finished(load_plan *plan, load_table *lt, plugin_instance *sink,
                           const sluice_table *out)
{
    runner *r = plan->r;
    if (atomic_fetch_add(&lt->chunks_done, 1) + 1 < lt->nchunks || atomic_load(&lt->failed))
        return;
    sluice_error err;
    error_init(&err);
    if (SLUICE_HAS(&r->sink->vt.sink, sluice_sink_vtable, table_loaded)) {
        char where[300];
        table_where(lt->table, where, sizeof where);
        if (INVOKE(sink, sink, table_loaded, where, &err, sink->handle, out, &err) != SLUICE_OK) {
            table_failed(plan, lt, &err, EXIT_TARGET);
            return;
        }
    }
    table_stats *ts = &r->stats->tables[lt->stat];
    atomic_store(&ts->state, TABLE_LOADED);
    atomic_store(&ts->load_finished_us, now_us());
    pthread_mutex_lock(&r->prog_lock);
    table_progress *tp = &r->prog.tables[lt->progress_index];
    tp->loaded = 1;
    tp->rows = atomic_load(&ts->rows_loaded);
    int rc = progress_save(&r->paths, &r->prog, &err);
    pthread_mutex_unlock(&r->prog_lock);
    if (rc != 0)
        runner_fail(r, EXIT_STATE, &err);
    else
        report_log(SLUICE_LOG_INFO, "full load: table \"%s\" loaded, %llu rows", ts->name,
                   (unsigned long long)atomic_load(&ts->rows_loaded));
}

static void write_batch(lane *ln, plugin_instance *sink, sluice_batch *b)
{
    load_plan *plan = ln->plan;
    runner *r = plan->r;
    load_table *lt = table_of(plan, b->table);
    if (!lt || (b->flags & BATCH_ABORTED) || atomic_load(&lt->failed) || atomic_load(&r->failed))
        return;
    const sluice_table *source_table = b->table;
    char where[300];
    table_where(source_table, where, sizeof where);
    sluice_error err;
    error_init(&err);
    uint32_t rows = batch_rows(b);
    if (b->nevents && INVOKE(sink, sink, write_rows, where, &err, sink->handle, b, &err) != SLUICE_OK) {
        table_failed(plan, lt, &err, EXIT_TARGET);
        return;
    }
    atomic_fetch_add(&r->stats->tables[lt->stat].rows_loaded, rows);
    if (!(b->flags & SLUICE_BATCH_LAST))
        return;
    const sluice_table *out = ln->outs[batch_index(ln, b)]; /* map_batch set it */
    if (INVOKE(sink, sink, finish_table, where, &err, sink->handle, out, &err) != SLUICE_OK) {
        table_failed(plan, lt, &err, EXIT_TARGET);
        return;
    }
    chunk_finished(plan, lt, sink, out);
}

static void *writer_main(void *arg)
{
    lane *ln = arg;
    runner *r = ln->plan->r;
    plugin_instance sink;
    sluice_error err;
    int ok = instance_open(&sink, r->sink, r->sink_config, &r->env, &err) == SLUICE_OK;
    if (!ok)
        runner_fail(r, EXIT_TARGET, &err);
    /* Keep draining even after a failure so the reader never blocks forever. */
    sluice_batch *b;
    while ((b = queue_pop(&ln->full))) {
        if (ok)
            write_batch(ln, &sink, b);
        queue_push(&ln->free, b);
    }
    instance_close(&sink);
    return NULL;
}

static int lane_start(lane *ln, load_plan *plan)
{
    runner *r = plan->r;
    memset(ln, 0, sizeof *ln);
    ln->plan = plan;
    ln->nbatches = (unsigned)r->set.queue_depth + 2;
    ln->batches = calloc(ln->nbatches, sizeof *ln->batches);
    ln->outs = calloc(ln->nbatches, sizeof *ln->outs);
    if (!ln->batches || !ln->outs || queue_init(&ln->full, ln->nbatches) != 0 ||
        queue_init(&ln->free, ln->nbatches) != 0)
        return -1;
    queue_set_gauge(&ln->full, &r->stats->queued_batches);
    for (unsigned i = 0; i < ln->nbatches; i++) {
        ln->batches[i] = batch_new(SLUICE_BATCH_SNAPSHOT, (uint32_t)r->set.batch_rows,
                                   (size_t)r->set.batch_bytes);
        if (!ln->batches[i])
            return -1;
        queue_push(&ln->free, ln->batches[i]);
    }
    /* a sink built before 1.8 would not expect a SCHEMA event in a full load's batch */
    if (r->sink->vt.sink.header.minor >= 8 && !(ln->versions = catalog_for_versions(r->catalog)))
        return -1;
    sluice_error err;
    if (chain_open(&ln->chain, r->cfg->mapping, r->source->vt.source.position_format,
                   r->transforms, r->transform_configs, r->ntransforms, &r->env,
                   &err) != SLUICE_OK) {
        runner_fail(r, EXIT_TRANSFORM, &err); /* the reader aborts every batch */
        chain_close(&ln->chain);
    } else {
        ln->chain_open = 1;
    }
    if (pthread_create(&ln->writer, NULL, writer_main, ln) != 0)
        goto no_threads;
    if (pthread_create(&ln->reader, NULL, reader_main, ln) != 0) {
        queue_close(&ln->full);
        pthread_join(ln->writer, NULL);
        goto no_threads;
    }
    return 0;
no_threads:
    if (ln->chain_open)
        chain_close(&ln->chain);
    ln->chain_open = 0;
    return -1;
}

static void lane_finish(lane *ln)
{
    pthread_join(ln->reader, NULL);
    pthread_join(ln->writer, NULL);
    if (ln->chain_open)
        chain_close(&ln->chain); /* no batch points at its tables any more */
    for (unsigned i = 0; i < ln->nbatches; i++)
        batch_free(ln->batches[i]);
    free(ln->batches);
    free(ln->outs);
    catalog_free(ln->versions); /* after the chain and batches: they point at its versions */
    queue_destroy(&ln->full);
    queue_destroy(&ln->free);
}

/* The table's DMS parallel-load rule, when its mapping has one that splits it. */
static const map_table_settings *parallel_rule(const runner *r, const sluice_table *t)
{
    const mapping *m = r->cfg->mapping;
    const map_table_settings *ts =
        m && m->settings ? mapping_settings_for(m->settings, t->schema, t->name) : NULL;
    return ts && ts->parallel != MAP_PARALLEL_NONE ? ts : NULL;
}

/* Logs which partitions each chunk of lt reads. */
static void log_partition_chunks(const load_table *lt, const char *where, const char *type)
{
    const map_table_settings *ts = lt->partitions_rule;
    report_log(SLUICE_LOG_INFO, "full load: %s in %u chunks by parallel-load %s (rule %s)", where,
               lt->nchunks, type, ts->id);
    for (uint32_t k = 0; k < lt->parts.count; k++) {
        char names[600];
        size_t n = 0;
        names[0] = '\0';
        for (uint32_t i = 0; i < lt->parts.npartitions[k] && n + 8 < sizeof names; i++)
            n += (size_t)snprintf(names + n, sizeof names - n, "%s\"%.*s\"", i ? ", " : "",
                                  (int)lt->parts.partitions[k][i].len,
                                  lt->parts.partitions[k][i].ptr);
        report_log(SLUICE_LOG_INFO, "full load: %s chunk %u of %u reads partition%s %s", where,
                   k + 1, lt->nchunks, lt->parts.npartitions[k] > 1 ? "s" : "", names);
    }
}

/*
 * DMS parallel-load by partitions: the source lists the table's partitions
 * (ABI 1.4) and each chunk reads some of them. A table that is not partitioned,
 * or a source that cannot list partitions, loads in one chunk with
 * partitions-auto; partitions-list then cannot be honoured. 0, -1 when the
 * source failed, -2 when the rule cannot be honoured.
 */
static int plan_partitions(runner *r, load_table *lt, sluice_error *err)
{
    static const char *const types[] = {[MAP_PARALLEL_PARTITIONS_AUTO] = "partitions-auto",
                                        [MAP_PARALLEL_SUBPARTITIONS_AUTO] = "subpartitions-auto",
                                        [MAP_PARALLEL_PARTITIONS_LIST] = "partitions-list"};
    const map_table_settings *ts = lt->partitions_rule;
    const char *type = types[ts->parallel];
    char where[300];
    table_where(lt->table, where, sizeof where);
    if (!SLUICE_HAS(&r->source->vt.source, sluice_source_vtable, list_partitions)) {
        if (ts->parallel == MAP_PARALLEL_PARTITIONS_LIST) {
            error_set(err, SLUICE_FATAL, "%s: rule %s: parallel-load partitions-list cannot be "
                      "honoured: the source plugin cannot read one partition alone",
                      ts->where, ts->id);
            error_detail(err, "Plugin \"%s\" does not list partitions (ABI 1.4 "
                              "list_partitions), so sluice cannot tell which rows are in "
                              "which partition.", r->source->info.name);
            error_hint(err, "Use \"type\": \"ranges\" for %.*s.%.*s, or remove its "
                            "\"parallel-load\".", (int)lt->table->schema.len,
                       lt->table->schema.ptr, (int)lt->table->name.len, lt->table->name.ptr);
            return -2;
        }
        report_log(SLUICE_LOG_INFO, "full load: %s loads in one chunk: the source cannot list "
                   "partitions (parallel-load %s, rule %s)", where, type, ts->id);
        return 0;
    }
    plugin_instance *src = &r->main_source;
    if (INVOKE(src, source, list_partitions, where, err, src->handle, lt->table,
               &lt->partition_list, err) != SLUICE_OK)
        return -1;
    if (partition_chunks_build(&lt->parts, ts, &lt->partition_list, lt->table, err) != 0)
        return -2;
    if (lt->parts.count == 0) {
        report_log(SLUICE_LOG_INFO, "full load: %s is not partitioned: it loads in one chunk "
                   "(parallel-load %s, rule %s)", where, type, ts->id);
        return 0;
    }
    lt->nchunks = lt->parts.count;
    log_partition_chunks(lt, where, type);
    return 0;
}

/* Splits a large table into chunks: by the user's ranges or partitions, or the source's own
   split. 0, -1 when the source failed, -2 when a parallel-load rule cannot be honoured. */
static int plan_chunks(runner *r, load_table *lt, sluice_error *err)
{
    lt->nchunks = 1;
    const map_table_settings *rule = parallel_rule(r, lt->table);
    if (rule && rule->parallel != MAP_PARALLEL_RANGES) {
        lt->partitions_rule = rule;
        return plan_partitions(r, lt, err);
    }
    if ((lt->ranges_rule = rule)) {
        lt->nchunks = lt->ranges_rule->nboundaries + 1;
        report_log(SLUICE_LOG_INFO,
                   "full load: table \"%.*s.%.*s\" in %u chunks by parallel-load ranges "
                   "(rule %s)", (int)lt->table->schema.len, lt->table->schema.ptr,
                   (int)lt->table->name.len, lt->table->name.ptr, lt->nchunks,
                   lt->ranges_rule->id);
        return 0;
    }
    uint64_t est = lt->table->estimated_rows;
    uint64_t per = (uint64_t)r->set.full_load_chunk_rows;
    if (!r->source->vt.source.split_table || per == 0 || est <= per)
        return 0;
    uint64_t want = (est + per - 1) / per;
    if (want > 256)
        want = 256;
    char where[300];
    table_where(lt->table, where, sizeof where);
    plugin_instance *src = &r->main_source;
    if (INVOKE(src, source, split_table, where, err, src->handle, lt->table, (uint32_t)want,
               &lt->chunks, err) != SLUICE_OK)
        return -1;
    if (lt->chunks.count > 0)
        lt->nchunks = lt->chunks.count;
    return 0;
}

/*
 * Whether the table's values reach the sink as the source produced them, so a
 * native form may pass through: no transform plugin, and the mapping's plan
 * neither adds nor retypes a column nor filters rows (the core's filters judge
 * canonical values only).
 */
static int values_untouched(const runner *r, const load_table *lt)
{
    return r->ntransforms == 0 &&
           (!lt->plan || (lt->plan->values_untouched && lt->plan->nfilters == 0)) &&
           !lt->ranges_in_core;
}

/*
 * ABI 1.3: the native value format for a prepared table, when its values stay
 * as they are and the source offers one the sink takes (asked after
 * prepare_table, which may have created the target table). `out` is the
 * table as the sink sees it.
 */
static uint32_t agree_native_format(runner *r, const load_table *lt, const sluice_table *out)
{
    plugin_instance *src = &r->main_source, *sink = &r->main_sink;
    if (!values_untouched(r, lt) ||
        !SLUICE_HAS(&r->source->vt.source, sluice_source_vtable, native_format) ||
        !SLUICE_HAS(&r->sink->vt.sink, sluice_sink_vtable, native_format))
        return SLUICE_NATIVE_NONE;
    uint32_t offered = r->source->vt.source.native_format(src->handle, lt->table);
    if (offered == SLUICE_NATIVE_NONE)
        return SLUICE_NATIVE_NONE;
    uint32_t agreed = r->sink->vt.sink.native_format(sink->handle, out, offered);
    return agreed == offered ? agreed : SLUICE_NATIVE_NONE;
}

/* Prepares the tables to load and lists their chunks. Returns -1 on failure. */
static int plan_load(runner *r, load_plan *plan)
{
    sluice_error err;
    error_init(&err);
    sluice_prep_mode mode = settings_prep_mode(&r->set);
    plan->tables = calloc(r->ntables ? r->ntables : 1, sizeof *plan->tables);
    if (!plan->tables)
        return -1;
    for (uint32_t i = 0; i < r->ntables; i++) /* every entry first: the array may move */
        if (!progress_table(&r->prog, r->stats->tables[i].name))
            return -1;
    for (uint32_t i = 0; i < r->ntables; i++) {
        table_stats *ts = &r->stats->tables[i];
        table_progress *tp = progress_table(&r->prog, ts->name);
        if (tp->loaded) {
            atomic_store(&ts->state, TABLE_LOADED);
            atomic_store(&ts->rows_loaded, tp->rows);
            continue;
        }
        if (tp->started && mode == SLUICE_PREP_DO_NOTHING) {
            error_set(&err, SLUICE_FATAL,
                      "cannot resume the full load of table \"%s\": it was partly loaded",
                      ts->name);
            error_detail(&err, "An earlier run stopped while loading it, and "
                               "TargetTablePrepMode is DO_NOTHING, so reloading it would "
                               "write its rows twice.");
            error_hint(&err, "Empty the table at the target, or set TargetTablePrepMode to "
                             "TRUNCATE_BEFORE_LOAD or DROP_AND_CREATE.");
            runner_fail(r, EXIT_CONFIG, &err);
            return -1;
        }
        load_table *lt = &plan->tables[plan->ntables++];
        lt->table = r->tables[i];
        lt->progress_index = (uint32_t)(tp - r->prog.tables);
        lt->stat = (int32_t)i;
        int planned = plan_chunks(r, lt, &err);
        if (planned != 0) {
            runner_fail(r, planned == -2 ? EXIT_CONFIG : EXIT_SOURCE, &err);
            return -1;
        }
        /* Recorded before preparing: a crash from here on means "reload this table". */
        tp->started = 1;
    }
    if (progress_save(&r->paths, &r->prog, &err) != 0) {
        runner_fail(r, EXIT_STATE, &err);
        return -1;
    }
    uint32_t nnative = 0;
    for (uint32_t i = 0; i < plan->ntables; i++) {
        load_table *lt = &plan->tables[i];
        char where[300];
        table_where(lt->table, where, sizeof where);
        plugin_instance *sink = &r->main_sink;
        const sluice_table *out;
        sluice_status st = chain_table(&r->main_chain, lt->table, &out, &err);
        lt->plan = chain_plan(&r->main_chain, lt->table);
        int code = st == SLUICE_OK ? EXIT_TARGET : EXIT_TRANSFORM; /* e.g. a row function's factory */
        if (st == SLUICE_OK && lt->ranges_rule &&
            range_chunks_build(&lt->ranges, lt->ranges_rule, lt->table,
                               lt->plan ? lt->plan->filters : NULL,
                               lt->plan ? lt->plan->nfilters : 0, &err) != 0) {
            st = err.status;
            code = EXIT_CONFIG;
        }
        /* a source before ABI 1.4 would not know row comparisons: it gets the plan's
           filters, and the core cuts the ranges itself */
        lt->ranges_in_core = lt->ranges.row_ops && r->source->vt.source.header.minor < 4;
        if (st == SLUICE_OK)
            st = INVOKE(sink, sink, prepare_table, where, &err, sink->handle, out, mode, &err);
        if (st != SLUICE_OK)
            table_failed(plan, lt, &err, code);
        else
            lt->native_format = agree_native_format(r, lt, out);
        if (lt->native_format != SLUICE_NATIVE_NONE) {
            nnative++;
            stats_plugin_count(r->stats, "core", "tables_native_format", 1);
            report_log(SLUICE_LOG_DEBUG, "full load: %s moves in native format %u", where,
                       lt->native_format);
        }
        plan->nwork += lt->nchunks;
    }
    if (plan->ntables)
        report_log(SLUICE_LOG_INFO, "full load: %u of %u tables move in their native binary form",
                   nnative, plan->ntables);
    plan->work = calloc(plan->nwork ? plan->nwork : 1, sizeof *plan->work);
    if (!plan->work)
        return -1;
    uint32_t n = 0;
    for (uint32_t i = 0; i < plan->ntables; i++)
        for (uint32_t c = 0; c < plan->tables[i].nchunks; c++)
            plan->work[n++] = (load_work){&plan->tables[i], c};
    return 0;
}

static void plan_free(load_plan *plan)
{
    for (uint32_t i = 0; i < plan->ntables; i++) {
        chunk_list_free(&plan->tables[i].chunks);
        range_chunks_free(&plan->tables[i].ranges);
        partition_chunks_free(&plan->tables[i].parts);
        partition_list_free(&plan->tables[i].partition_list);
    }
    free(plan->tables);
    free(plan->work);
}

int run_full_load(runner *r)
{
    load_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.r = r;
    stats_set_phase(r->stats, "full-load");
    int rc = plan_load(r, &plan);
    if (rc == 0 && plan.nwork > 0) {
        uint32_t nlanes = (uint32_t)r->set.max_full_load_subtasks;
        if (nlanes > plan.nwork)
            nlanes = plan.nwork;
        report_log(SLUICE_LOG_INFO, "full load: %u tables in %u chunks, %u at a time",
                   plan.ntables, plan.nwork, nlanes);
        lane *lanes = calloc(nlanes, sizeof *lanes);
        uint32_t started = 0;
        while (lanes && started < nlanes && lane_start(&lanes[started], &plan) == 0)
            started++;
        if (started < nlanes) {
            sluice_error err;
            error_set(&err, SLUICE_FATAL, "could not start full-load worker threads");
            runner_fail(r, EXIT_INTERNAL, &err);
        }
        for (uint32_t i = 0; i < started; i++)
            lane_finish(&lanes[i]);
        free(lanes);
    }
    int complete = rc == 0 && !atomic_load(&r->failed);
    for (uint32_t i = 0; complete && i < r->ntables; i++)
        complete = progress_table(&r->prog, r->stats->tables[i].name)->loaded;
    if (!complete && !atomic_load(&r->stop) && !atomic_load(&r->table_errors)) {
        /* every table should have loaded or failed visibly; never end "done" silently */
        sluice_error err;
        error_set(&err, SLUICE_FATAL, "full load ended with tables neither loaded nor failed");
        runner_fail(r, EXIT_INTERNAL, &err);
    }
    plan_free(&plan);
    if (complete && !atomic_load(&r->stop))
        sequences_after_load(r); /* the main instances are idle now */
    return complete ? 0 : -1;
}
