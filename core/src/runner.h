/*
 * The runner: source → bounded queue → transforms → sink on separate threads,
 * in batches, with the checkpoint protocol of DESIGN.md: the sink reports the
 * position it committed durably; the source is acknowledged only up to it; at
 * start the sink's last committed position is where the source resumes.
 */
#ifndef SLUICE_RUNNER_H
#define SLUICE_RUNNER_H

#include <pthread.h>
#include <stdatomic.h>

#include "chain.h"
#include "config.h"
#include "endpoint.h"
#include "exitcodes.h"
#include "loader.h"
#include "metrics_http.h"
#include "queue.h"
#include "settings.h"
#include "state.h"
#include "stats.h"

typedef struct run_options {
    const char *until;      /* --until POSITION, or NULL */
    const char *state_dir;  /* --state-dir, or NULL */
    int progress_tty;       /* -1 auto, 0 never, 1 always */
    const char *metrics_listen; /* --metrics-listen HOST:PORT, or NULL */
} run_options;

typedef struct runner {
    pipeline_config *cfg;
    settings set;
    void *settings_block;
    char **plugin_dirs;
    loaded_plugin *source, *sink;
    loaded_plugin **transforms;
    void *source_config, *sink_config;
    void **transform_configs;
    size_t ntransforms;
    instance_env env;

    stats *stats;
    metrics_server *metrics; /* the /metrics endpoint, when asked for */
    state_paths paths;
    int lock_fd;
    int no_state;        /* set before runner_setup_plugins: open no state directory
                            (`sluice plan` creates and locks nothing) */
    progress prog;
    pthread_mutex_t prog_lock;

    atomic_int stop;     /* stop gracefully: set by a signal, a failure or the end */
    atomic_int failed;   /* the exit code of the first failure, 0 while none */
    atomic_int table_errors;

    plugin_instance main_source; /* discovers, holds the snapshot, streams */
    plugin_instance main_sink;   /* checkpoint, table preparation, applies changes */
    transform_chain main_chain;  /* the main sink's transforms */
    sluice_catalog *catalog;
    const sluice_table **tables; /* the selected tables */
    uint32_t ntables;
    int32_t *stat_of_id;         /* catalog id -> index in tables/stats, -1 when not selected */
    uint32_t nids;

    sluice_snapshot snapshot;
    int have_snapshot;
    sluice_position until;
    sluice_position cdc_start;   /* CdcStartPosition, parsed; len 0 when unset */
} runner;

/* Runs the pipeline; returns the process exit code. */
int runner_run(pipeline_config *cfg, const run_options *opts);
/* `sluice cleanup`: the plugins' cleanup callbacks (slot, publication, checkpoint
   table), then forgets the full-load progress. Returns the exit code. */
int runner_cleanup(pipeline_config *cfg, const run_options *opts);

/* The set-up every command that works on a pipeline shares (runner.c):
   runner_init, then runner_setup_plugins (settings, plugins, their options, the
   state directory and its lock; 0 or an exit code, err filled), and at the end
   runner_teardown, which closes and frees whatever was opened. */
void runner_init(runner *r, pipeline_config *cfg);
int runner_setup_plugins(runner *r, const run_options *opts, sluice_error *err);
void runner_teardown(runner *r);
/* After opening r->main_source: discovers its tables and keeps the selected ones
   (0, or -1 with err filled); then every selected table's mapping plan is checked
   (0, or EXIT_CONFIG naming the rule). */
int runner_discover(runner *r, sluice_error *err);
/* The opened main source's discover into a new catalog; on a transient failure the
   source instance is opened anew (its connection may be what failed) and asked
   again, within the retry limit. NULL with err. */
sluice_catalog *runner_source_catalog(runner *r, sluice_error *err);
int runner_check_plans(runner *r, sluice_error *err);
/* The opening steps of a run up to the plans and the mapping chain, with nothing
   written (sluice plan, sluice validate): plugins, the source, discovery, the
   plans checked, r->main_chain. 0, or an exit code with err filled. */
int runner_open_reading(runner *r, const run_options *opts, sluice_error *err);

/* Shared by the phases (runner.c). */
void runner_fail(runner *r, int exit_code, const sluice_error *err);
int exit_code_for(sluice_kind kind);
void position_text(const runner *r, const sluice_position *p, char *buf, size_t size);
int32_t runner_stat_index(const runner *r, const sluice_table *t);
/* A table the source added to its catalog while streaming (its SCHEMA event
   comes first): selected when the mapping selects it. Its index, or -1. */
int32_t runner_table_created(runner *r, const sluice_table *t);
/* After a reconnect: points the selected tables at the fresh catalog's, by name;
   selects tables new to it. -1 with err when a selected table is gone. */
int runner_rebind_tables(runner *r, const sluice_catalog *fresh, sluice_error *err);

/* The phases. */
int run_full_load(runner *r);     /* fullload.c; 0 when every table loaded */
int run_cdc(runner *r, const sluice_position *from); /* cdc.c */

/* Signals: first SIGINT/SIGTERM sets *flag; a second one exits at once. */
void signals_install(atomic_int *flag);

#endif
