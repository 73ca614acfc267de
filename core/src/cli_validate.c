/*
 * sluice validate PIPELINE: the source against the target, table by table,
 * through the pipeline's mapping (validate.h has the files). Without --repair
 * it writes nothing and takes no lock, so it may run while the pipeline runs;
 * with --repair it takes the pipeline's state-directory lock and the sink's
 * checkpoint lock, so no run applies changes while it rewrites rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "validate.h"

static void validate_usage(FILE *out)
{
    fprintf(out,
            "usage: sluice validate [OPTIONS] PIPELINE.lua\n"
            "\n"
            "Compares every selected table at the source with the target, through the\n"
            "pipeline's mapping: in key-ordered chunks, each hashed in the database where\n"
            "both sides can (PostgreSQL to PostgreSQL, values left as they are), else read\n"
            "and compared value by value after the type rules. Keys that differ are read\n"
            "again (change capture may still be on its way) and reported only if they\n"
            "still differ.\n"
            "\n"
            "options:\n"
            "  --table PATTERN           only tables matching schema.table (%% and _ wildcards;\n"
            "                            a pattern without a dot matches the table name)\n"
            "  --format FORMAT           text (default) or json\n"
            "  --chunk-rows N            rows per chunk (default 10000)\n"
            "  --jobs N                  chunks compared at once (default 2)\n"
            "  --max-rows-per-second N   read at most about N rows a second per side\n"
            "                            (default 0: no limit)\n"
            "  --max-keys N              differing keys listed per table (default 20)\n"
            "  --rechecks N              rounds of reading differing keys again (default 3)\n"
            "  --recheck-wait MS         wait before the first round, doubling (default 1000)\n"
            "  --repair                  give each differing key the source's row at the\n"
            "                            target, then check it again; stop the pipeline's\n"
            "                            run first (see docs/validate.md)\n"
            "  --state-dir DIR           the pipeline's state directory (--repair locks it)\n"
            "  --log-format FORMAT       plain (default) or json, for log lines on stderr\n"
            "  --verbose                 also log debug lines\n"
            "\n"
            "exit status: 0 every table matches, %d some table differs, %d some table could\n"
            "not be compared; other codes as `sluice --help` lists.\n",
            EXIT_FOUND, EXIT_TABLE_ERRORS);
}

static int number(const char *opt, const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (!*v || *end || v[0] == '-' || n < min || n > max) {
        char hint[200];
        snprintf(hint, sizeof hint, "Give %s a whole number from %llu to %llu.", opt,
                 (unsigned long long)min, (unsigned long long)max);
        char fmt[100];
        snprintf(fmt, sizeof fmt, "invalid value for %s: \"%%s\"", opt);
        return cli_usage_error(fmt, v, hint);
    }
    *out = n;
    return -1;
}

/* -1 when the arguments are good, else the exit code. */
static int parse_args(int argc, char **argv, validate_options *o)
{
    static const char *const valued[] = {"--table", "--format", "--chunk-rows", "--jobs",
                                         "--max-rows-per-second", "--max-keys", "--rechecks",
                                         "--recheck-wait", "--state-dir"};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int common = cli_common_option(argc, argv, &i);
        if (common < 0)
            return EXIT_USAGE;
        if (common)
            continue;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            validate_usage(stdout);
            return EXIT_OK;
        }
        if (strcmp(arg, "--repair") == 0) {
            o->repair = 1;
            continue;
        }
        size_t k = 0;
        while (k < sizeof valued / sizeof valued[0] && strcmp(arg, valued[k]) != 0)
            k++;
        if (k < sizeof valued / sizeof valued[0]) {
            if (i + 1 >= argc)
                return cli_usage_error("option \"%s\" needs a value", arg,
                                       "Run \"sluice validate --help\" for the options.");
            const char *v = argv[++i];
            uint64_t n = 0;
            int rc = -1;
            if (strcmp(arg, "--table") == 0)
                o->table_pattern = v;
            else if (strcmp(arg, "--state-dir") == 0)
                o->state_dir = v;
            else if (strcmp(arg, "--format") == 0) {
                if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0)
                    return cli_usage_error("invalid value for --format: \"%s\"", v,
                                           "Use --format text or --format json.");
                o->json = v[0] == 'j';
            } else if (strcmp(arg, "--chunk-rows") == 0) {
                if ((rc = number(arg, v, 1, 100000000, &n)) < 0)
                    o->chunk_rows = n;
            } else if (strcmp(arg, "--jobs") == 0) {
                if ((rc = number(arg, v, 1, 64, &n)) < 0)
                    o->jobs = (uint32_t)n;
            } else if (strcmp(arg, "--max-rows-per-second") == 0) {
                if ((rc = number(arg, v, 0, UINT64_C(1000000000000), &n)) < 0)
                    o->max_rows_per_second = n;
            } else if (strcmp(arg, "--max-keys") == 0) {
                if ((rc = number(arg, v, 0, VALIDATE_DIFF_LIMIT, &n)) < 0)
                    o->max_keys = (uint32_t)n;
            } else if (strcmp(arg, "--rechecks") == 0) {
                if ((rc = number(arg, v, 0, 20, &n)) < 0)
                    o->rechecks = (uint32_t)n;
            } else if ((rc = number(arg, v, 0, 600000, &n)) < 0) { /* --recheck-wait */
                o->recheck_wait_ms = (uint32_t)n;
            }
            if (rc >= 0)
                return rc;
        } else {
            int rc = cli_pipeline_arg("validate", arg, &o->path);
            if (rc >= 0)
                return rc;
        }
    }
    return cli_need_pipeline("validate", o->path);
}

/* --table: schema.table, or a table name in any schema; % and _ are wildcards. */
static int table_wanted(const char *pattern, const sluice_table *t)
{
    if (!pattern)
        return 1;
    const char *dot = strchr(pattern, '.');
    if (!dot)
        return mapping_like(pattern, t->name.ptr, t->name.len);
    char *schema = strndup(pattern, (size_t)(dot - pattern));
    int yes = schema && mapping_like(schema, t->schema.ptr, t->schema.len) &&
              mapping_like(dot + 1, t->name.ptr, t->name.len);
    free(schema);
    return yes;
}

/* Plugins, the source's tables, the mapping, the target; as `run` opens them. */
static int open_pipeline(runner *r, validation *v, sluice_error *err)
{
    run_options opts = {NULL, v->opt->state_dir, 0, NULL};
    r->no_state = !v->opt->repair; /* a plain validate runs beside the pipeline's run */
    int rc = runner_open_reading(r, &opts, err);
    if (rc != 0)
        return rc;
    if (instance_open(&r->main_sink, r->sink, r->sink_config, &r->env, err) != SLUICE_OK)
        return EXIT_TARGET;
    if (v->opt->repair) { /* sink-pg: also takes the checkpoint's lock, held till the end */
        if (INVOKE(&r->main_sink, sink, get_checkpoint, NULL, err, r->main_sink.handle,
                   &v->checkpoint, err) != SLUICE_OK)
            return EXIT_TARGET;
        if (v->checkpoint.len)
            position_text(r, &v->checkpoint, v->checkpoint_text, sizeof v->checkpoint_text);
    }
    return 0;
}

/* The tables to compare, each prepared (a table that cannot be is an error of its own). */
static int pick_tables(runner *r, validation *v, sluice_error *err)
{
    v->tables = calloc(r->ntables + 1, sizeof *v->tables);
    if (!v->tables)
        return error_set(err, SLUICE_FATAL, "out of memory"), EXIT_INTERNAL;
    for (uint32_t i = 0; i < r->ntables; i++) {
        if (!table_wanted(v->opt->table_pattern, r->tables[i]))
            continue;
        vtable *t = &v->tables[v->ntables++];
        pthread_mutex_init(&t->lock, NULL);
        t->source = r->tables[i];
        error_init(&t->error);
        if (chain_table(&r->main_chain, t->source, &t->target, err) != SLUICE_OK)
            return EXIT_TRANSFORM;
        t->plan = chain_plan(&r->main_chain, t->source);
        if (vtable_prepare(v, t, &t->error) != 0) {
            if (t->error.status == SLUICE_FATAL) {
                *err = t->error;
                return EXIT_SOURCE;
            }
            t->state = VT_ERROR;
        }
    }
    if (v->ntables == 0) {
        error_set(err, SLUICE_FATAL, "no table to validate");
        error_detail(err, "%s", v->opt->table_pattern
                                    ? "No table the pipeline selects matches --table."
                                    : "The pipeline selects no table at the source.");
        error_hint(err, "Check the pipeline's selection rules and the --table pattern.");
        return EXIT_CONFIG;
    }
    return 0;
}

static void settle_states(validation *v)
{
    for (uint32_t i = 0; i < v->ntables; i++) {
        vtable *t = &v->tables[i];
        if (t->state != VT_ERROR)
            t->state = t->ndiffs || t->diffs_truncated ? VT_MISMATCH : VT_MATCH;
    }
}

static int validate_pipeline(pipeline_config *cfg, const validate_options *opt)
{
    runner r;
    runner_init(&r, cfg);
    signals_install(&r.stop);
    validation v = {.r = &r, .opt = opt, .started_us = monotonic_us()};
    pthread_mutex_init(&v.rate_lock, NULL);
    sluice_error err;
    error_init(&err);
    int rc = open_pipeline(&r, &v, &err);
    if (rc == 0)
        rc = pick_tables(&r, &v, &err);
    if (rc == 0)
        rc = validate_chunks(&v, &err);
    int any = 0;
    for (uint32_t i = 0; rc == 0 && i < v.ntables; i++) {
        v.tables[i].first_pass_keys = v.tables[i].ndiffs;
        any |= v.tables[i].ndiffs > 0;
    }
    if (rc == 0 && any) { /* a worker of its own reads the differing keys again */
        vworker w;
        rc = vworker_open(&w, &v, &err);
        if (rc == 0)
            rc = validate_recheck(&v, &w, &err);
        vworker_close(&w);
    }
    if (rc == 0 && atomic_load(&r.stop)) {
        error_set(&err, SLUICE_FATAL, "validate was interrupted");
        error_hint(&err, "Run it again; it writes nothing unless --repair is given.");
        rc = EXIT_KILLED;
    }
    if (rc == 0) {
        settle_states(&v);
        if (validate_print(stdout, &v) != 0 || fflush(stdout) != 0) {
            error_set(&err, SLUICE_FATAL, "could not print the report");
            rc = EXIT_INTERNAL;
        }
    }
    if (rc != 0 && *err.message)
        report_error(&err);
    int mismatch = 0, errors = 0;
    for (uint32_t i = 0; i < v.ntables; i++) {
        mismatch |= v.tables[i].state == VT_MISMATCH;
        errors |= v.tables[i].state == VT_ERROR;
        vdiffs_free(&v.tables[i]);
        bound_list_free(&v.tables[i].bounds);
        free(v.tables[i].skeys);
        free(v.tables[i].tkeys);
        pthread_mutex_destroy(&v.tables[i].lock);
    }
    free(v.tables);
    free(v.tasks);
    pthread_mutex_destroy(&v.rate_lock);
    runner_teardown(&r);
    if (rc != 0)
        return rc;
    return errors ? EXIT_TABLE_ERRORS : mismatch ? EXIT_FOUND : EXIT_OK;
}

int cli_validate(int argc, char **argv)
{
    validate_options o = {.chunk_rows = 10000, .jobs = 2, .max_keys = 20, .rechecks = 3,
                          .recheck_wait_ms = 1000};
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    pipeline_config *cfg = cli_load_pipeline(o.path);
    if (!cfg)
        return EXIT_CONFIG;
    rc = validate_pipeline(cfg, &o);
    config_free(cfg);
    return rc;
}
