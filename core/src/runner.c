/*
 * runner_run: loads the plugins, checks every option, opens the state
 * directory, discovers the tables, then runs the phases the mode asks for:
 * full load (fullload.c) and change capture (cdc.c), while the main thread
 * refreshes the status file and the progress display.
 */
#include "runner.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "mapping.h"
#include "mapping_plan.h"
#include "options.h"
#include "status.h"
#include "type_rules.h"

/* ---- shared helpers ---- */

void runner_fail(runner *r, int exit_code, const sluice_error *err)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&r->failed, &expected, exit_code) && err) {
        report_error(err);
        stats_set_text(r->stats, r->stats->last_error, sizeof r->stats->last_error,
                       err->message);
    } else if (err && err->status == SLUICE_FATAL) {
        report_error(err); /* a later failure: still worth seeing */
    }
    atomic_store(&r->stop, 1);
}

int exit_code_for(sluice_kind kind)
{
    return kind == SLUICE_KIND_SOURCE ? EXIT_SOURCE
           : kind == SLUICE_KIND_SINK ? EXIT_TARGET
                                      : EXIT_TRANSFORM;
}

void position_text(const runner *r, const sluice_position *p, char *buf, size_t size)
{
    if (!p->len) {
        snprintf(buf, size, "(none)");
        return;
    }
    r->source->vt.source.position_format(p, buf, size);
}

int32_t runner_stat_index(const runner *r, const sluice_table *t)
{
    return t && t->id < r->nids ? r->stat_of_id[t->id] : -1;
}

/* ---- signals ---- */

static atomic_int *stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    if (stop_flag && atomic_exchange(stop_flag, 1)) {
        static const char msg[] = "sluice: stopping at once (second signal)\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)ignored;
        _exit(EXIT_KILLED);
    }
    static const char msg[] = "sluice: stopping after the current batch; "
                              "signal again to stop at once\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
}

void signals_install(atomic_int *flag)
{
    stop_flag = flag;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* ---- set-up ---- */

static int load_settings(runner *r, sluice_error *err)
{
    const sluice_options *opts = settings_options();
    r->settings_block = options_fill(opts, &r->cfg->settings, r->cfg->path, "settings", err);
    if (!r->settings_block)
        return -1;
    memcpy(&r->set, r->settings_block, sizeof r->set);
    if (r->set.max_full_load_subtasks <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        r->set.max_full_load_subtasks = cpus > 2 ? cpus : 2;
    }
    struct {
        const char *name;
        int64_t value, min, max;
    } limits[] = {
        {"MaxFullLoadSubTasks", r->set.max_full_load_subtasks, 1, 256},
        {"BatchRows", r->set.batch_rows, 1, 1 << 20},
        {"BatchBytes", r->set.batch_bytes, 4096, (int64_t)1 << 32},
        {"QueueDepth", r->set.queue_depth, 1, 1024},
        {"FlushIntervalMs", r->set.flush_interval_ms, 1, 3600000},
        {"StatusIntervalMs", r->set.status_interval_ms, 10, 3600000},
        {"RetryLimit", r->set.retry_limit, 1, 1000},
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        if (limits[i].value >= limits[i].min && limits[i].value <= limits[i].max)
            continue;
        const config_value *v = config_find(&r->cfg->settings, limits[i].name);
        error_set(err, SLUICE_FATAL, "%s:%d: setting \"%s\" is out of range: %lld", r->cfg->path,
                  v ? v->line : 0, limits[i].name, (long long)limits[i].value);
        error_hint(err, "Use a value from %lld to %lld.", (long long)limits[i].min,
                   (long long)limits[i].max);
        return -1;
    }
    return 0;
}

static int load_plugin(runner *r, const config_section *s, sluice_kind kind, loaded_plugin **out,
                       void **config, sluice_error *err)
{
    *out = plugin_load(s->plugin, kind, r->plugin_dirs, err);
    if (!*out)
        return EXIT_PLUGIN;
    char what[200];
    snprintf(what, sizeof what, "%s plugin \"%s\"", plugin_kind_name(kind), (*out)->info.name);
    if ((*out)->options.count == 0 && (*out)->options.config_size == 0) {
        /* no declared options: any key is a mistake */
        static const sluice_options none = {SLUICE_HEADER_INIT(sluice_options),
                                            sizeof(sluice_option), 0, NULL, 0};
        *config = options_fill(&none, s, r->cfg->path, what, err);
    } else {
        *config = options_fill(&(*out)->options, s, r->cfg->path, what, err);
    }
    return *config ? 0 : EXIT_CONFIG;
}

/* The callbacks a mode needs beyond the loader's required ones. */
static int check_mode_callbacks(runner *r, sluice_error *err)
{
    const sluice_source_vtable *v = &r->source->vt.source;
    const char *mode = r->cfg->mode;
    const char *missing = NULL;
    int cdc = strcmp(mode, "full-load") != 0;
    if (cdc && !v->stream_start)
        missing = "stream_start";
    else if (cdc && !v->stream_read)
        missing = "stream_read";
    else if (cdc && !v->ack)
        missing = "ack";
    else if (strcmp(mode, "full-load-and-cdc") == 0 && !v->snapshot_begin)
        missing = "snapshot_begin";
    if (!missing)
        return 0;
    error_set(err, SLUICE_FATAL, "source plugin \"%s\" cannot run in mode \"%s\"",
              r->source->info.name, mode);
    error_detail(err, "The mode needs the %s callback, which the plugin does not provide.",
                 missing);
    error_hint(err, "Use mode \"full-load\", or a source plugin that supports change capture.");
    return -1;
}

/* Parses a position the user gave (what: "--until", "CdcStartPosition"). */
static int parse_position(runner *r, const char *what, const char *text, sluice_position *out,
                          sluice_error *err)
{
    if (!text || !text[0])
        return 0;
    if (!r->source->vt.source.position_parse) {
        error_set(err, SLUICE_FATAL, "source plugin \"%s\" cannot parse positions",
                  r->source->info.name);
        error_detail(err, "%s needs the position_parse callback, which the plugin lacks.", what);
        return -1;
    }
    if (r->source->vt.source.position_parse(text, out, err) != SLUICE_OK) {
        error_prefix(err, "invalid %s position", what);
        return -1;
    }
    return 0;
}

static int open_state(runner *r, const run_options *opts, sluice_error *err)
{
    char dir[4096];
    if (opts->state_dir)
        snprintf(dir, sizeof dir, "%s", opts->state_dir);
    else if (r->set.state_dir)
        snprintf(dir, sizeof dir, "%s", r->set.state_dir);
    else
        snprintf(dir, sizeof dir, ".sluice/%s", r->cfg->name);
    if (state_paths_init(&r->paths, dir, err) != 0)
        return -1;
    r->lock_fd = state_open(&r->paths, err);
    if (r->lock_fd < 0)
        return -1;
    return progress_load(&r->paths, &r->prog, err);
}

/* Makes room for catalog ids below n (new ids unselected, -1). 0, or -1 when out
   of memory. */
static int grow_ids(runner *r, uint32_t n)
{
    if (n <= r->nids)
        return 0;
    int32_t *ids = realloc(r->stat_of_id, n * sizeof *ids);
    if (!ids)
        return -1;
    r->stat_of_id = ids;
    for (uint32_t id = r->nids; id < n; id++)
        r->stat_of_id[id] = -1;
    r->nids = n;
    return 0;
}

/* Selects t (its id stat_of_id[t->id] is -1) when the mapping selects it. */
static int32_t select_table(runner *r, const sluice_table *t)
{
    if (!mapping_selects(r->cfg->mapping, t->schema, t->name))
        return -1;
    const sluice_table **tables = realloc(r->tables, (r->ntables + 1) * sizeof *tables);
    if (!tables)
        return -1;
    r->tables = tables;
    r->stat_of_id[t->id] = (int32_t)r->ntables;
    r->tables[r->ntables++] = t;
    stats_add_table(r->stats, t->schema.ptr, t->schema.len, t->name.ptr, t->name.len,
                    t->estimated_rows);
    return r->stat_of_id[t->id];
}

int32_t runner_table_created(runner *r, const sluice_table *t)
{
    if (!t || t->id < r->nids || grow_ids(r, t->id + 1) != 0)
        return runner_stat_index(r, t);
    int32_t i = select_table(r, t);
    if (i >= 0)
        atomic_store(&r->stats->tables[i].state, TABLE_STREAMING);
    if (i >= 0)
        report_log(SLUICE_LOG_INFO, "table \"%.*s.%.*s\" was created at the source while "
                                    "streaming: its changes are captured from its creation",
                   (int)t->schema.len, t->schema.ptr, (int)t->name.len, t->name.ptr);
    return i;
}

static int same_name(const sluice_table *a, const sluice_table *b)
{
    return a->schema.len == b->schema.len && a->name.len == b->name.len &&
           memcmp(a->schema.ptr, b->schema.ptr, a->schema.len) == 0 &&
           memcmp(a->name.ptr, b->name.ptr, a->name.len) == 0;
}

int runner_rebind_tables(runner *r, const sluice_catalog *fresh, sluice_error *err)
{
    /* the fresh catalog may number the tables otherwise (a table created while
       streaming was appended to the old one): match them by name */
    const sluice_table **was = malloc((r->ntables ? r->ntables : 1) * sizeof *was);
    if (!was || grow_ids(r, fresh->ntables) != 0) {
        free(was);
        return error_set(err, SLUICE_FATAL, "out of memory"), -1;
    }
    memcpy(was, r->tables, r->ntables * sizeof *was);
    uint32_t nwas = r->ntables, found = 0;
    for (uint32_t id = 0; id < r->nids; id++)
        r->stat_of_id[id] = -1;
    for (uint32_t id = 0; id < fresh->ntables; id++) {
        const sluice_table *now = fresh->tables[id];
        for (uint32_t i = 0; i < nwas && r->stat_of_id[id] < 0; i++)
            if (same_name(was[i], now)) {
                r->stat_of_id[id] = (int32_t)i;
                r->tables[i] = now;
                found++;
            }
    }
    for (uint32_t id = 0; id < fresh->ntables; id++)
        if (r->stat_of_id[id] < 0 && select_table(r, fresh->tables[id]) >= 0)
            report_log(SLUICE_LOG_WARNING,
                       "table \"%s\" appeared while reconnecting: its changes from the "
                       "checkpoint on are captured; rows it had before are not",
                       r->stats->tables[r->stat_of_id[id]].name);
    if (found == nwas) {
        free(was);
        return 0;
    }
    uint32_t gone = 0;
    while (gone < nwas && r->tables[gone] == was[gone])
        gone++; /* a table no fresh one replaced */
    error_set(err, SLUICE_FATAL, "the source's tables changed while reconnecting");
    error_detail(err, "Table \"%s\" (and %u more) is no longer offered by the source: it was "
                      "dropped or renamed at the source.",
                 gone < nwas ? r->stats->tables[gone].name : "?", nwas - found - 1);
    error_hint(err, "Reload the table under its new name (a new pipeline, or sluice cleanup and "
                    "a new full load); a dropped table's target table stays as it is.");
    free(was);
    return -1;
}

sluice_catalog *runner_source_catalog(runner *r, sluice_error *err)
{
    plugin_instance *src = &r->main_source;
    for (int attempt = 0;;) {
        sluice_catalog *c = catalog_new();
        if (!c) {
            error_set(err, SLUICE_FATAL, "out of memory");
            return NULL;
        }
        sluice_status st = INVOKE_ONCE(src, source, discover, NULL, err, src->handle, c, err);
        if (st == SLUICE_OK)
            return c;
        catalog_free(c);
        if (st != SLUICE_RETRY || !retry_wait(src, ++attempt, err))
            return NULL;
        /* the failure may be the instance's own connection: a new instance, not the
           same call on it again */
        instance_close(src);
        if (instance_open(src, r->source, r->source_config, &r->env, err) != SLUICE_OK)
            return NULL;
    }
}

/* Discovers the source's tables and picks the ones this pipeline moves. */
int runner_discover(runner *r, sluice_error *err)
{
    r->catalog = runner_source_catalog(r, err);
    if (!r->catalog)
        return -1;
    if (grow_ids(r, r->catalog->ntables) != 0)
        return error_set(err, SLUICE_FATAL, "out of memory"), -1;
    for (uint32_t id = 0; id < r->nids; id++)
        select_table(r, r->catalog->tables[id]); /* a source before ABI 1.3 offers every table */
    report_log(SLUICE_LOG_INFO, "source \"%s\": %u tables selected", r->source->info.name,
               r->ntables);
    if (r->ntables == 0) {
        error_set(err, SLUICE_FATAL, "no tables to move");
        if (r->cfg->mapping && r->cfg->mapping->has_selection) {
            error_detail(err, "The selection rules of the mappings select none of the %u "
                              "tables source plugin \"%s\" offers.",
                         r->nids, r->source->info.name);
            error_hint(err, "Check the schema and table patterns of the include rules "
                            "(names are case-sensitive; %% matches any run of characters).");
        } else {
            error_detail(err, "Source plugin \"%s\" reported no tables.", r->source->info.name);
            error_hint(err, "Check the source's options (database, schemas).");
        }
        return -1;
    }
    return 0;
}

int runner_setup_plugins(runner *r, const run_options *opts, sluice_error *err)
{
    if (load_settings(r, err) != 0)
        return EXIT_CONFIG;
    r->plugin_dirs = loader_search_path(r->set.plugin_path);
    int rc = load_plugin(r, &r->cfg->source, SLUICE_KIND_SOURCE, &r->source, &r->source_config,
                         err);
    if (rc == 0)
        rc = load_plugin(r, &r->cfg->target, SLUICE_KIND_SINK, &r->sink, &r->sink_config, err);
    r->transforms = calloc(r->cfg->ntransforms + 1, sizeof *r->transforms);
    r->transform_configs = calloc(r->cfg->ntransforms + 1, sizeof *r->transform_configs);
    for (size_t i = 0; rc == 0 && i < r->cfg->ntransforms; i++) {
        rc = load_plugin(r, &r->cfg->transforms[i], SLUICE_KIND_TRANSFORM, &r->transforms[i],
                         &r->transform_configs[i], err);
        if (r->transforms[i]) /* loaded, even if its options were refused: teardown unloads it */
            r->ntransforms = i + 1;
    }
    if (rc != 0)
        return rc;
    if (type_rules_attach(r->cfg, r->set.type_rules, r->source->info.name, r->sink->info.name,
                          err) != 0)
        return EXIT_CONFIG;
    if (check_mode_callbacks(r, err) != 0)
        return EXIT_PLUGIN;
    if (parse_position(r, opts->until ? "--until" : "StopAtPosition",
                       opts->until ? opts->until : r->set.stop_at_position, &r->until, err) != 0 ||
        parse_position(r, "CdcStartPosition", r->set.cdc_start_position, &r->cdc_start, err) != 0)
        return EXIT_CONFIG;
    if (!r->no_state && open_state(r, opts, err) != 0)
        return EXIT_STATE;
    r->env = (instance_env){.cancel_flag = &r->stop,
                            .setting = settings_lookup,
                            .setting_owner = r->cfg,
                            .stats = r->stats,
                            .retry_limit = (int)r->set.retry_limit,
                            .mapping = r->cfg->mapping};
    return 0;
}

/* Every selected table's mapping plan, before anything is created: a rule that
   cannot apply to a table is a configuration error, not a table failure. */
int runner_check_plans(runner *r, sluice_error *err)
{
    if (!r->cfg->mapping)
        return 0;
    sluice_catalog *scratch = catalog_new();
    if (!scratch)
        return error_set(err, SLUICE_FATAL, "out of memory"), EXIT_CONFIG;
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < r->ntables; i++) {
        table_plan *p;
        rc = table_plan_build(r->cfg->mapping, scratch, r->tables[i], &p, err) ? EXIT_CONFIG : 0;
        table_plan_free(p);
    }
    catalog_free(scratch);
    return rc;
}

int runner_open_reading(runner *r, const run_options *opts, sluice_error *err)
{
    int rc = runner_setup_plugins(r, opts, err);
    if (rc != 0)
        return rc;
    if (instance_open(&r->main_source, r->source, r->source_config, &r->env, err) != SLUICE_OK)
        return EXIT_SOURCE;
    if (runner_discover(r, err) != 0)
        return EXIT_SOURCE;
    if ((rc = runner_check_plans(r, err)) != 0)
        return rc;
    if (chain_open(&r->main_chain, r->cfg->mapping, r->source->vt.source.position_format,
                   r->transforms, r->transform_configs, r->ntransforms, &r->env,
                   err) != SLUICE_OK)
        return EXIT_TRANSFORM;
    return 0;
}

/* The /metrics endpoint (--metrics-listen wins over setting MetricsListen), before
   any server is contacted so a port in use fails at once. */
static int start_metrics(runner *r, const run_options *opts, sluice_error *err)
{
    const char *addr = opts->metrics_listen ? opts->metrics_listen : r->set.metrics_listen;
    if (!addr || !addr[0])
        return 0;
    r->metrics = metrics_server_start(addr, r->stats, err);
    return r->metrics ? 0 : -1;
}

static int setup(runner *r, const run_options *opts, sluice_error *err)
{
    int rc = runner_setup_plugins(r, opts, err);
    if (rc != 0)
        return rc;
    if (start_metrics(r, opts, err) != 0)
        return EXIT_CONFIG;
    if (instance_open(&r->main_source, r->source, r->source_config, &r->env, err) != SLUICE_OK)
        return EXIT_SOURCE;
    if (runner_discover(r, err) != 0)
        return EXIT_SOURCE;
    if (instance_open(&r->main_sink, r->sink, r->sink_config, &r->env, err) != SLUICE_OK)
        return EXIT_TARGET;
    if (chain_open(&r->main_chain, r->cfg->mapping, r->source->vt.source.position_format,
                   r->transforms, r->transform_configs, r->ntransforms, &r->env,
                   err) != SLUICE_OK)
        return EXIT_TRANSFORM;
    return runner_check_plans(r, err);
}

/* ---- the status thread ---- */

typedef struct monitor {
    runner *r;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int done;
    progress_view view;
} monitor;

static void monitor_tick(monitor *m, int final)
{
    sluice_error err;
    error_init(&err);
    if (status_write(m->r->stats, m->r->paths.status, &err) != 0 && final)
        report_error(&err);
    progress_view_update(&m->view, m->r->stats, final);
}

static void *monitor_main(void *arg)
{
    monitor *m = arg;
    pthread_mutex_lock(&m->lock);
    while (!m->done) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        int64_t ns = deadline.tv_nsec + m->r->set.status_interval_ms * 1000000LL;
        deadline.tv_sec += ns / 1000000000LL;
        deadline.tv_nsec = ns % 1000000000LL;
        pthread_cond_timedwait(&m->wake, &m->lock, &deadline);
        if (!m->done) {
            pthread_mutex_unlock(&m->lock);
            monitor_tick(m, 0);
            pthread_mutex_lock(&m->lock);
        }
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

static void monitor_stop(monitor *m)
{
    pthread_mutex_lock(&m->lock);
    m->done = 1;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->thread, NULL);
    monitor_tick(m, 1);
    progress_view_free(&m->view);
}

/* ---- the phases in order ---- */

static const sluice_position *cdc_start(runner *r, const sluice_position *checkpoint)
{
    if (checkpoint->len)
        return checkpoint;
    if (r->prog.snapshot.len)
        return &r->prog.snapshot; /* right after the full load's snapshot */
    return &r->cdc_start;         /* cdc-only: the user's start, or len 0: from now */
}

static int begin_snapshot(runner *r, sluice_error *err)
{
    plugin_instance *src = &r->main_source;
    if (!r->source->vt.source.snapshot_begin)
        return 0;
    sluice_position at;
    memset(&at, 0, sizeof at);
    if (INVOKE(src, source, snapshot_begin, NULL, err, src->handle, &at, &r->snapshot, err) !=
        SLUICE_OK)
        return -1;
    r->have_snapshot = 1;
    r->prog.snapshot = at;
    char text[128];
    position_text(r, &at, text, sizeof text);
    report_log(SLUICE_LOG_INFO, "snapshot taken at %s", text);
    return 0;
}

static int run_phases(runner *r)
{
    sluice_error err;
    error_init(&err);
    plugin_instance *sink = &r->main_sink;
    sluice_position checkpoint;
    memset(&checkpoint, 0, sizeof checkpoint);
    if (INVOKE(sink, sink, get_checkpoint, NULL, &err, sink->handle, &checkpoint, &err) !=
        SLUICE_OK) {
        runner_fail(r, EXIT_TARGET, &err);
        return -1;
    }
    const char *mode = r->cfg->mode;
    int wants_load = strcmp(mode, "cdc-only") != 0;
    int wants_cdc = strcmp(mode, "full-load") != 0;
    if (wants_load && !r->prog.full_load_done && !checkpoint.len) {
        if (wants_cdc) {
            /* A new snapshot: tables loaded under an older one must be loaded again. */
            for (uint32_t i = 0; i < r->prog.ntables; i++)
                r->prog.tables[i].loaded = 0;
        }
        free(r->prog.mode);
        r->prog.mode = strdup(mode);
        if (begin_snapshot(r, &err) != 0) {
            runner_fail(r, EXIT_SOURCE, &err);
            return -1;
        }
        if (run_full_load(r) != 0)
            return -1;
        r->prog.full_load_done = 1;
        if (progress_save(&r->paths, &r->prog, &err) != 0) {
            runner_fail(r, EXIT_STATE, &err);
            return -1;
        }
        report_log(SLUICE_LOG_INFO, "full load complete");
    } else if (wants_load) {
        for (uint32_t i = 0; i < r->ntables; i++)
            atomic_store(&r->stats->tables[i].state, TABLE_LOADED);
        report_log(SLUICE_LOG_INFO, "full load already complete; resuming after it");
    }
    if (!wants_cdc || atomic_load(&r->stop))
        return 0;
    return run_cdc(r, cdc_start(r, &checkpoint));
}

void runner_teardown(runner *r)
{
    metrics_server_stop(r->metrics); /* it reads r->stats: stop it first */
    r->metrics = NULL;
    chain_close(&r->main_chain);
    instance_close(&r->main_sink);
    instance_close(&r->main_source);
    catalog_free(r->catalog);
    options_free(settings_options(), r->settings_block);
    if (r->source)
        options_free(&r->source->options, r->source_config);
    if (r->sink)
        options_free(&r->sink->options, r->sink_config);
    for (size_t i = 0; i < r->ntransforms; i++) {
        options_free(&r->transforms[i]->options, r->transform_configs[i]);
        plugin_unload(r->transforms[i]);
    }
    free(r->transforms);
    free(r->transform_configs);
    plugin_unload(r->source);
    plugin_unload(r->sink);
    loader_free_path(r->plugin_dirs);
    free(r->tables);
    free(r->stat_of_id);
    progress_free(&r->prog);
    if (r->lock_fd >= 0)
        close(r->lock_fd);
    state_paths_free(&r->paths);
    stats_free(r->stats);
    pthread_mutex_destroy(&r->prog_lock);
}

void runner_init(runner *r, pipeline_config *cfg)
{
    memset(r, 0, sizeof *r);
    r->cfg = cfg;
    r->lock_fd = -1;
    pthread_mutex_init(&r->prog_lock, NULL);
    r->stats = stats_new(cfg->name, cfg->mode);
    signals_install(&r->stop);
}

/* Calls a plugin's cleanup callback (ABI 1.1) on a fresh instance, if it has one. */
static int cleanup_plugin(runner *r, plugin_instance *pi, const loaded_plugin *p, void *config,
                          sluice_error *err)
{
    int has = p->info.kind == SLUICE_KIND_SOURCE
                  ? SLUICE_HAS(&p->vt.source, sluice_source_vtable, cleanup)
                  : SLUICE_HAS(&p->vt.sink, sluice_sink_vtable, cleanup);
    if (!has) {
        report_log(SLUICE_LOG_INFO, "%s \"%s\" has nothing to clean up (no cleanup callback)",
                   plugin_kind_name(p->info.kind), p->info.name);
        return 0;
    }
    if (instance_open(pi, p, config, &r->env, err) != SLUICE_OK)
        return -1;
    sluice_status st = p->info.kind == SLUICE_KIND_SOURCE
                           ? INVOKE(pi, source, cleanup, NULL, err, pi->handle, err)
                           : INVOKE(pi, sink, cleanup, NULL, err, pi->handle, err);
    return st == SLUICE_OK ? 0 : -1;
}

int runner_cleanup(pipeline_config *cfg, const run_options *opts)
{
    runner r;
    runner_init(&r, cfg);
    sluice_error err;
    error_init(&err);
    int rc = runner_setup_plugins(&r, opts, &err);
    if (rc == 0 && cleanup_plugin(&r, &r.main_source, r.source, r.source_config, &err) != 0)
        rc = EXIT_SOURCE;
    if (rc == 0 && cleanup_plugin(&r, &r.main_sink, r.sink, r.sink_config, &err) != 0)
        rc = EXIT_TARGET;
    if (rc == 0) {
        /* the pipeline starts over next time: forget its full-load progress */
        if (unlink(r.paths.progress) != 0 && errno != ENOENT) {
            error_set(&err, SLUICE_FATAL, "could not remove file \"%s\": %s", r.paths.progress,
                      strerror(errno));
            rc = EXIT_STATE;
        }
        unlink(r.paths.status);
    }
    if (rc != 0)
        report_error(&err);
    else
        report_log(SLUICE_LOG_INFO, "pipeline \"%s\" cleaned up; a new run starts from scratch",
                   cfg->name);
    runner_teardown(&r);
    return rc;
}

int runner_run(pipeline_config *cfg, const run_options *opts)
{
    runner r;
    runner_init(&r, cfg);

    sluice_error err;
    error_init(&err);
    int rc = setup(&r, opts, &err);
    if (rc != 0) {
        report_error(&err);
        runner_teardown(&r);
        return rc;
    }
    monitor m;
    memset(&m, 0, sizeof m);
    m.r = &r;
    pthread_mutex_init(&m.lock, NULL);
    pthread_cond_init(&m.wake, NULL);
    int tty = opts->progress_tty >= 0 ? opts->progress_tty : isatty(STDERR_FILENO);
    progress_view_init(&m.view, tty && report_format() == LOG_FORMAT_PLAIN);
    int monitoring = pthread_create(&m.thread, NULL, monitor_main, &m) == 0;

    run_phases(&r);
    int failed = atomic_load(&r.failed);
    int interrupted = atomic_load(&r.stop) && !failed;
    stats_set_phase(r.stats, failed ? "failed" : interrupted ? "stopped" : "done");
    if (monitoring)
        monitor_stop(&m);
    pthread_mutex_destroy(&m.lock);
    pthread_cond_destroy(&m.wake);

    rc = failed                                ? failed
         : atomic_load(&r.table_errors)        ? EXIT_TABLE_ERRORS
                                               : EXIT_OK;
    if (interrupted)
        report_log(SLUICE_LOG_INFO, "stopped by signal; what was committed stays committed; "
                                    "run again to resume");
    else if (rc == EXIT_OK)
        report_log(SLUICE_LOG_INFO, "pipeline \"%s\" done", cfg->name);
    runner_teardown(&r);
    return rc;
}
