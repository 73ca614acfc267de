/*
 * The pipeline's `settings` table, checked with the same option machinery as
 * plugin options. Names follow AWS DMS task settings where DMS has one.
 */
#ifndef SLUICE_SETTINGS_H
#define SLUICE_SETTINGS_H

#include <stdint.h>
#include <sluice/sluice.h>

typedef struct settings {
    int64_t max_full_load_subtasks; /* MaxFullLoadSubTasks: tables (chunks) loaded at once */
    const char *target_table_prep_mode; /* TargetTablePrepMode */
    int64_t batch_rows;             /* BatchRows: events per batch */
    int64_t batch_bytes;            /* BatchBytes: value bytes per batch */
    int64_t queue_depth;            /* QueueDepth: batches between source and sink */
    int64_t full_load_chunk_rows;   /* FullLoadChunkRows: split tables larger than this */
    const char *state_dir;          /* StateDir */
    const char *plugin_path;        /* PluginPath */
    const char *stop_at_position;   /* StopAtPosition: end CDC after this position */
    const char *cdc_start_position; /* CdcStartPosition: cdc-only start without a checkpoint */
    int64_t flush_interval_ms;      /* FlushIntervalMs: commit at least this often in CDC */
    int64_t status_interval_ms;     /* StatusIntervalMs: status file and progress refresh */
    int64_t retry_limit;            /* RetryLimit: tries of a call that returns RETRY */
    const char *type_rules;         /* TypeRules: rule module name or path, or "none" */
    const char *metrics_listen;     /* MetricsListen: HOST:PORT of /metrics, NULL: none */
} settings;

const sluice_options *settings_options(void);
sluice_prep_mode settings_prep_mode(const settings *s);
/* The text of a setting as the user gave it (or its default), for host->setting(). */
const char *settings_lookup(void *owner, const char *name);

#endif
