/*
 * Per-table counters and states, plugin counters and the pipeline's positions:
 * what progress bars, log lines and the JSON status file show. Counters are
 * atomics so the hot path never takes a lock.
 */
#ifndef SLUICE_STATS_H
#define SLUICE_STATS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef enum table_state {
    TABLE_QUEUED = 0,
    TABLE_LOADING,
    TABLE_LOADED,
    TABLE_STREAMING,
    TABLE_ERROR
} table_state;

const char *table_state_name(table_state s);

typedef struct table_stats {
    char *name;               /* "schema.table" */
    _Atomic int state;        /* table_state */
    atomic_uint_fast64_t estimated_rows;
    atomic_uint_fast64_t rows_read;   /* full load: rows the source produced */
    atomic_uint_fast64_t rows_loaded; /* full load: rows the sink wrote */
    atomic_uint_fast64_t inserts, updates, deletes, truncates, ddl, errors;
    _Atomic int64_t load_started_us, load_finished_us;
} table_stats;

typedef struct plugin_counter {
    char *plugin, *name;
    atomic_uint_fast64_t value;
} plugin_counter;

typedef struct stats {
    pthread_mutex_t lock;     /* guards the arrays' shape and the text fields, not counters */
    char *pipeline, *mode;
    char phase[32];           /* "starting", "full-load", "cdc", "stopping", "done", "failed" */
    char source_position[128];    /* last position read from the source, printable */
    char committed_position[128]; /* last position the sink committed durably */
    char last_error[512];
    int64_t started_us;
    _Atomic int64_t last_commit_source_us; /* commit time at the source of the last applied txn */
    _Atomic int64_t last_commit_target_us; /* when we committed it */
    /* The same two clocks at capture: the commit time at the source of the last
       transaction the reader took from the source, and when it did. */
    _Atomic int64_t last_capture_source_us, last_capture_us;
    /* The commit time at the source of the first transaction captured after the
       target had applied everything before it: where the target's lag starts. */
    _Atomic int64_t pending_from_us;
    atomic_int_fast64_t queued_batches; /* filled batches waiting for a sink, all lanes */
    _Atomic int64_t source_retained_bytes, source_spilled_bytes; /* log_usage(); -1 unknown */
    table_stats *tables;
    uint32_t ntables;
    plugin_counter *counters;
    uint32_t ncounters, counters_capacity;
} stats;

stats *stats_new(const char *pipeline, const char *mode);
void stats_free(stats *s);
/* Adds a table (before the runner starts); returns its index. */
uint32_t stats_add_table(stats *s, const char *schema, size_t schema_len, const char *name,
                         size_t name_len, uint64_t estimated_rows);
void stats_set_phase(stats *s, const char *phase);
void stats_set_text(stats *s, char *field, size_t size, const char *value);
void stats_plugin_count(stats *s, const char *plugin, const char *counter, uint64_t n);

/* Full-load progress summed over the tables. */
typedef struct load_totals {
    uint32_t tables, tables_loaded;
    uint64_t rows_estimated, rows_loaded;
} load_totals;
/* Call with s->lock held (the tables array must not grow meanwhile). */
load_totals stats_load_totals(stats *s);
/* Seconds from the source's commit to capture / to our target commit; -1 before the
   first transaction. */
double stats_source_latency(stats *s);
double stats_target_latency(stats *s);
/* How far the target is behind now: 0 when every captured transaction is applied,
   else the time since the source commit of the oldest one not applied (a little
   more at most); -1 before the first capture. */
double stats_target_lag(stats *s);

int64_t now_us(void);      /* wall clock, microseconds since the epoch */
int64_t monotonic_us(void);

#endif
