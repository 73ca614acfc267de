#include "metrics_text.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

typedef struct text {
    char *data;
    size_t len, cap;
    int failed;
} text;

static void add(text *t, const char *fmt, ...) SLUICE_PRINTF(2, 3);
static void add(text *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap + (size_t)n + 1) * 2;
        char *grown = realloc(t->data, cap);
        if (!grown) {
            t->failed = 1;
            return;
        }
        t->data = grown;
        t->cap = cap;
    }
}

/* A label value: backslash, double quote and line feed escaped, as the format says. */
static void add_label(text *t, const char *name, const char *value)
{
    add(t, "%s=\"", name);
    for (const char *p = value ? value : ""; *p; p++) {
        if (*p == '\\')
            add(t, "\\\\");
        else if (*p == '"')
            add(t, "\\\"");
        else if (*p == '\n')
            add(t, "\\n");
        else
            add(t, "%c", *p);
    }
    add(t, "\"");
}

static void family(text *t, const char *name, const char *type, const char *help)
{
    add(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{pipeline="p"[,table="t"]} value */
static void sample(text *t, const stats *s, const char *name, const char *table, double value)
{
    add(t, "%s{", name);
    add_label(t, "pipeline", s->pipeline);
    if (table) {
        add(t, ",");
        add_label(t, "table", table);
    }
    /* counts as integers, durations to the microsecond */
    if (value == (double)(int64_t)value && value < 9e15 && value > -9e15)
        add(t, "} %" PRId64 "\n", (int64_t)value);
    else
        add(t, "} %.6f\n", value);
}

typedef struct table_metric {
    const char *name, *type, *help;
    size_t offset; /* of the atomic counter in table_stats */
} table_metric;

#define TABLE_METRIC(n, type, help, field) {n, type, help, offsetof(table_stats, field)}

static const table_metric table_metrics[] = {
    TABLE_METRIC("sluice_table_rows_estimated", "gauge",
                 "Rows the source estimated the table holds when the run started.",
                 estimated_rows),
    TABLE_METRIC("sluice_table_rows_read_total", "counter",
                 "Full load: rows the source read from the table.", rows_read),
    TABLE_METRIC("sluice_table_rows_loaded_total", "counter",
                 "Full load: rows the sink wrote to the target table.", rows_loaded),
    TABLE_METRIC("sluice_table_inserts_total", "counter", "Change capture: inserts applied.",
                 inserts),
    TABLE_METRIC("sluice_table_updates_total", "counter", "Change capture: updates applied.",
                 updates),
    TABLE_METRIC("sluice_table_deletes_total", "counter", "Change capture: deletes applied.",
                 deletes),
    TABLE_METRIC("sluice_table_truncates_total", "counter", "Change capture: truncates applied.",
                 truncates),
    TABLE_METRIC("sluice_table_ddl_total", "counter",
                 "Change capture: schema changes (DDL) applied.", ddl),
    TABLE_METRIC("sluice_table_errors_total", "counter",
                 "Failures of the table (its load or its changes stopped).", errors),
};

static void table_families(text *t, stats *s)
{
    for (size_t m = 0; m < sizeof table_metrics / sizeof table_metrics[0]; m++) {
        const table_metric *tm = &table_metrics[m];
        family(t, tm->name, tm->type, tm->help);
        for (uint32_t i = 0; i < s->ntables; i++) {
            atomic_uint_fast64_t *v = (atomic_uint_fast64_t *)((char *)&s->tables[i] + tm->offset);
            sample(t, s, tm->name, s->tables[i].name, (double)atomic_load(v));
        }
    }
    family(t, "sluice_table_loaded", "gauge",
           "1 when the table's full load is complete (or it streams changes), else 0.");
    for (uint32_t i = 0; i < s->ntables; i++) {
        int state = atomic_load(&s->tables[i].state);
        sample(t, s, "sluice_table_loaded", s->tables[i].name,
               state == TABLE_LOADED || state == TABLE_STREAMING);
    }
}

static void pipeline_families(text *t, stats *s)
{
    family(t, "sluice_pipeline_info", "gauge",
           "Always 1; the labels say the pipeline's mode and current phase.");
    add(t, "sluice_pipeline_info{");
    add_label(t, "pipeline", s->pipeline);
    add(t, ",");
    add_label(t, "mode", s->mode);
    add(t, ",");
    add_label(t, "phase", s->phase);
    add(t, "} 1\n");
    family(t, "sluice_start_time_seconds", "gauge",
           "When the run started, seconds since the epoch.");
    sample(t, s, "sluice_start_time_seconds", NULL, (double)s->started_us / 1e6);

    load_totals lt = stats_load_totals(s);
    family(t, "sluice_full_load_tables", "gauge", "Tables the pipeline moves.");
    sample(t, s, "sluice_full_load_tables", NULL, lt.tables);
    family(t, "sluice_full_load_tables_loaded", "gauge", "Tables whose full load is complete.");
    sample(t, s, "sluice_full_load_tables_loaded", NULL, lt.tables_loaded);
    family(t, "sluice_full_load_rows_estimated", "gauge",
           "Rows the source estimated for all tables when the run started.");
    sample(t, s, "sluice_full_load_rows_estimated", NULL, (double)lt.rows_estimated);
    family(t, "sluice_full_load_rows_loaded_total", "counter",
           "Full load: rows written to the target, all tables.");
    sample(t, s, "sluice_full_load_rows_loaded_total", NULL, (double)lt.rows_loaded);

    /* Latencies appear once the first transaction was captured / committed. */
    double src = stats_source_latency(s), tgt = stats_target_latency(s);
    family(t, "sluice_source_latency_seconds", "gauge",
           "Change capture: from the last captured transaction's commit at the source to its "
           "capture by sluice.");
    if (src >= 0)
        sample(t, s, "sluice_source_latency_seconds", NULL, src);
    family(t, "sluice_target_latency_seconds", "gauge",
           "Change capture: from the last applied transaction's commit at the source to its "
           "commit at the target.");
    if (tgt >= 0)
        sample(t, s, "sluice_target_latency_seconds", NULL, tgt);
    double lag = stats_target_lag(s);
    family(t, "sluice_target_lag_seconds", "gauge",
           "Change capture: how far the target is behind now: 0 when every captured "
           "transaction is applied, else the time since the source commit of the oldest one "
           "not yet applied.");
    if (lag >= 0)
        sample(t, s, "sluice_target_lag_seconds", NULL, lag);
    int64_t applied = atomic_load(&s->last_commit_source_us);
    family(t, "sluice_last_applied_commit_timestamp_seconds", "gauge",
           "Source commit time of the last transaction committed at the target, seconds since "
           "the epoch (time() minus this is how far the target is behind now).");
    if (applied)
        sample(t, s, "sluice_last_applied_commit_timestamp_seconds", NULL, (double)applied / 1e6);

    family(t, "sluice_queue_depth_batches", "gauge",
           "Batches read from the source and waiting for a sink, all lanes.");
    sample(t, s, "sluice_queue_depth_batches", NULL, (double)atomic_load(&s->queued_batches));

    int64_t retained = atomic_load(&s->source_retained_bytes);
    int64_t spilled = atomic_load(&s->source_spilled_bytes);
    family(t, "sluice_source_retained_bytes", "gauge",
           "Log the source server keeps for this pipeline (PostgreSQL: WAL held by the slot).");
    if (retained >= 0)
        sample(t, s, "sluice_source_retained_bytes", NULL, (double)retained);
    family(t, "sluice_source_spilled_bytes_total", "counter",
           "Bytes the source server spilled to disk decoding large transactions for this "
           "pipeline (PostgreSQL 14+: the slot's spill_bytes).");
    if (spilled >= 0)
        sample(t, s, "sluice_source_spilled_bytes_total", NULL, (double)spilled);
}

static void plugin_families(text *t, stats *s)
{
    family(t, "sluice_rows_rejected_total", "counter",
           "Rows a plugin's error policy set aside (recorded instead of applied).");
    for (uint32_t i = 0; i < s->ncounters; i++) {
        if (strcmp(s->counters[i].name, "rows_rejected") != 0)
            continue;
        add(t, "sluice_rows_rejected_total{");
        add_label(t, "pipeline", s->pipeline);
        add(t, ",");
        add_label(t, "plugin", s->counters[i].plugin);
        add(t, "} %" PRIuFAST64 "\n", atomic_load(&s->counters[i].value));
    }
    family(t, "sluice_plugin_counter_total", "counter",
           "The plugins' own counters (as in the status file), by plugin and name.");
    for (uint32_t i = 0; i < s->ncounters; i++) {
        add(t, "sluice_plugin_counter_total{");
        add_label(t, "pipeline", s->pipeline);
        add(t, ",");
        add_label(t, "plugin", s->counters[i].plugin);
        add(t, ",");
        add_label(t, "counter", s->counters[i].name);
        add(t, "} %" PRIuFAST64 "\n", atomic_load(&s->counters[i].value));
    }
}

char *metrics_text(stats *s, size_t *len)
{
    text t = {NULL, 0, 0, 0};
    uint64_t rss, peak;
    memory_usage(&rss, &peak); /* reads /proc: outside the lock */
    pthread_mutex_lock(&s->lock);
    pipeline_families(&t, s);
    table_families(&t, s);
    plugin_families(&t, s);
    pthread_mutex_unlock(&s->lock);
    family(&t, "sluice_resident_memory_bytes", "gauge", "Resident memory of the sluice process.");
    sample(&t, s, "sluice_resident_memory_bytes", NULL, (double)rss);
    if (t.failed || !t.data) {
        free(t.data);
        return NULL;
    }
    *len = t.len;
    return t.data;
}
