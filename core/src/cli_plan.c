/*
 * sluice plan PIPELINE: a dry run. It loads the plugins and checks every option
 * as `run` does, opens the source, discovers and plans the tables, and with
 * --sample reads a few rows of each; then prints. It writes nothing anywhere:
 * no snapshot (so no slot and no publication), no sink instance (the target is
 * not contacted), no state directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plan_print.h"
#include "runner.h"

#define SAMPLE_MAX 10000

static void plan_usage(FILE *out)
{
    fprintf(out,
            "usage: sluice plan [--sample N] [--format text|json] PIPELINE.lua\n"
            "\n"
            "Shows what the pipeline would make of each selected source table: the target\n"
            "table, the column mapping (renamed, retyped, removed and added columns), the\n"
            "key, the row filter and the CREATE TABLE for the target (PostgreSQL).\n"
            "It reads the source's catalog and nothing else: no slot, no publication, no\n"
            "state directory; the target is not contacted.\n"
            "\n"
            "options:\n"
            "  --sample N            also read the first N rows of each table (1 to %d)\n"
            "                        and show them as the mapping makes them\n"
            "  --format FORMAT       text (default) or json\n"
            "  --log-format FORMAT   plain (default) or json, for log lines on stderr\n"
            "  --verbose             also log debug lines\n",
            SAMPLE_MAX);
}

typedef struct plan_args {
    const char *path;
    uint32_t sample; /* 0: no sample */
    int json;
} plan_args;


/* -1 when the arguments are good, else the exit code. */
static int parse_args(int argc, char **argv, plan_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int common = cli_common_option(argc, argv, &i);
        if (common < 0)
            return EXIT_USAGE;
        if (common)
            continue;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            plan_usage(stdout);
            return EXIT_OK;
        } else if (strcmp(arg, "--sample") == 0 || strcmp(arg, "--format") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error("option \"%s\" needs a value", arg,
                                       "Run \"sluice plan --help\" for the options.");
            const char *v = argv[++i];
            if (arg[2] == 's') {
                char *end;
                long n = strtol(v, &end, 10);
                if (!*v || *end || n < 1 || n > SAMPLE_MAX)
                    return cli_usage_error("invalid value for --sample: \"%s\"", v,
                                           "Give a number of rows from 1 to 10000.");
                a->sample = (uint32_t)n;
            } else if (strcmp(v, "json") == 0 || strcmp(v, "text") == 0) {
                a->json = v[0] == 'j';
            } else {
                return cli_usage_error("invalid value for --format: \"%s\"", v,
                                       "Use --format text or --format json.");
            }
        } else {
            int rc = cli_pipeline_arg("plan", arg, &a->path);
            if (rc >= 0)
                return rc;
        }
    }
    return cli_need_pipeline("plan", a->path);
}

static int is_plugin(const loaded_plugin *p, const char *name)
{
    return p && strcmp(p->info.name, name) == 0;
}

/* The opening steps of a run, up to the plans, minus everything that writes. */
static int open_pipeline(runner *r, sluice_error *err)
{
    run_options opts = {NULL, NULL, 0, NULL};
    r->no_state = 1;
    return runner_open_reading(r, &opts, err);
}

/* Every selected table: its output table, its plan, and the sample if asked. */
static int plan_tables(runner *r, const plan_args *a, plan_table *tables, sluice_error *err)
{
    for (uint32_t i = 0; i < r->ntables; i++) {
        plan_table *t = &tables[i];
        t->source = r->tables[i];
        if (chain_table(&r->main_chain, t->source, &t->target, err) != SLUICE_OK)
            return EXIT_TRANSFORM;
        t->plan = chain_plan(&r->main_chain, t->source);
        if (!a->sample)
            continue;
        t->sampled = 1;
        int rc = plan_sample_read(r, &r->main_chain, t->source, t->target, a->sample,
                                  &t->sample, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int plan_pipeline(pipeline_config *cfg, const plan_args *a)
{
    runner r;
    runner_init(&r, cfg);
    sluice_error err;
    error_init(&err);
    plan_table *tables = NULL;
    const char **names = NULL;
    int rc = open_pipeline(&r, &err);
    if (rc == 0) {
        tables = calloc(r.ntables + 1, sizeof *tables);
        names = calloc(r.ntransforms + 1, sizeof *names);
        rc = tables && names ? plan_tables(&r, a, tables, &err)
                             : (error_set(&err, SLUICE_FATAL, "out of memory"), EXIT_INTERNAL);
    }
    if (rc == 0) {
        for (size_t i = 0; i < r.ntransforms; i++)
            names[i] = r.transforms[i]->info.name;
        plan_doc doc = {.pipeline = cfg->name,
                        .mode = cfg->mode,
                        .source_plugin = r.source->info.name,
                        .target_plugin = r.sink->info.name,
                        .transforms = names,
                        .ntransforms = r.ntransforms,
                        /* PostgreSQL names the source's types as the target would */
                        .pg_names = is_plugin(r.source, "source-pg") &&
                                    is_plugin(r.sink, "sink-pg"),
                        .tables = tables,
                        .ntables = r.ntables};
        int printed = a->json ? plan_print_json(stdout, &doc) : plan_print_text(stdout, &doc);
        if (printed != 0 || fflush(stdout) != 0) {
            error_set(&err, SLUICE_FATAL, "could not print the plan");
            rc = EXIT_INTERNAL;
        }
    }
    if (rc != 0)
        report_error(&err);
    for (uint32_t i = 0; tables && i < r.ntables; i++)
        plan_sample_free(&tables[i].sample);
    free(tables);
    free(names);
    runner_teardown(&r);
    return rc;
}

int cli_plan(int argc, char **argv)
{
    plan_args a = {NULL, 0, 0};
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    pipeline_config *cfg = cli_load_pipeline(a.path);
    if (!cfg)
        return EXIT_CONFIG;
    rc = plan_pipeline(cfg, &a);
    config_free(cfg);
    return rc;
}
