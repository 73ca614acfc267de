#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *table_state_name(table_state s)
{
    static const char *const names[] = {"queued", "loading", "loaded", "streaming", "error"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

stats *stats_new(const char *pipeline, const char *mode)
{
    stats *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->lock, NULL);
    s->pipeline = strdup(pipeline ? pipeline : "");
    s->mode = strdup(mode ? mode : "");
    snprintf(s->phase, sizeof s->phase, "starting");
    s->started_us = now_us();
    atomic_init(&s->source_retained_bytes, -1);
    atomic_init(&s->source_spilled_bytes, -1);
    return s;
}

void stats_free(stats *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->ntables; i++)
        free(s->tables[i].name);
    for (uint32_t i = 0; i < s->ncounters; i++) {
        free(s->counters[i].plugin);
        free(s->counters[i].name);
    }
    free(s->tables);
    free(s->counters);
    free(s->pipeline);
    free(s->mode);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

uint32_t stats_add_table(stats *s, const char *schema, size_t schema_len, const char *name,
                         size_t name_len, uint64_t estimated_rows)
{
    pthread_mutex_lock(&s->lock);
    table_stats *grown = realloc(s->tables, (s->ntables + 1) * sizeof *grown);
    uint32_t index = s->ntables;
    if (grown) {
        s->tables = grown;
        table_stats *t = &s->tables[s->ntables++];
        memset(t, 0, sizeof *t);
        size_t size = schema_len + name_len + 2;
        t->name = malloc(size);
        if (t->name)
            snprintf(t->name, size, "%.*s%s%.*s", (int)schema_len, schema,
                     schema_len ? "." : "", (int)name_len, name);
        atomic_store(&t->estimated_rows, estimated_rows);
    }
    pthread_mutex_unlock(&s->lock);
    return index;
}

void stats_set_phase(stats *s, const char *phase)
{
    stats_set_text(s, s->phase, sizeof s->phase, phase);
}

void stats_set_text(stats *s, char *field, size_t size, const char *value)
{
    pthread_mutex_lock(&s->lock);
    snprintf(field, size, "%s", value);
    pthread_mutex_unlock(&s->lock);
}

void stats_plugin_count(stats *s, const char *plugin, const char *counter, uint64_t n)
{
    pthread_mutex_lock(&s->lock);
    for (uint32_t i = 0; i < s->ncounters; i++) {
        plugin_counter *c = &s->counters[i];
        if (strcmp(c->plugin, plugin) == 0 && strcmp(c->name, counter) == 0) {
            atomic_fetch_add(&c->value, n);
            pthread_mutex_unlock(&s->lock);
            return;
        }
    }
    if (s->ncounters == s->counters_capacity) {
        uint32_t cap = s->counters_capacity ? s->counters_capacity * 2 : 8;
        plugin_counter *grown = realloc(s->counters, cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&s->lock);
            return;
        }
        s->counters = grown;
        s->counters_capacity = cap;
    }
    plugin_counter *c = &s->counters[s->ncounters++];
    c->plugin = strdup(plugin);
    c->name = strdup(counter);
    atomic_init(&c->value, n);
    pthread_mutex_unlock(&s->lock);
}

load_totals stats_load_totals(stats *s)
{
    load_totals t = {0, 0, 0, 0};
    for (uint32_t i = 0; i < s->ntables; i++) {
        table_stats *ts = &s->tables[i];
        int state = atomic_load(&ts->state);
        t.tables++;
        t.tables_loaded += state == TABLE_LOADED || state == TABLE_STREAMING;
        t.rows_estimated += atomic_load(&ts->estimated_rows);
        t.rows_loaded += atomic_load(&ts->rows_loaded);
    }
    return t;
}

static double latency(int64_t from_us, int64_t to_us)
{
    if (!from_us || !to_us)
        return -1;
    /* the clocks of two machines: a source ahead of us reads as no delay */
    return to_us > from_us ? (double)(to_us - from_us) / 1e6 : 0.0;
}

double stats_source_latency(stats *s)
{
    return latency(atomic_load(&s->last_capture_source_us), atomic_load(&s->last_capture_us));
}

double stats_target_lag(stats *s)
{
    int64_t captured = atomic_load(&s->last_capture_source_us);
    int64_t applied = atomic_load(&s->last_commit_source_us);
    if (!captured)
        return -1;
    if (captured <= applied)
        return 0.0;
    int64_t from = atomic_load(&s->pending_from_us);
    return latency(from > applied ? from : applied, now_us());
}

double stats_target_latency(stats *s)
{
    return latency(atomic_load(&s->last_commit_source_us),
                   atomic_load(&s->last_commit_target_us));
}
