/*
 * sluice check PIPELINE: the pre-migration assessment. It opens the source and
 * the target as `run` does and asks each what the pipeline's mode needs of it
 * (ABI 1.6 check callbacks), plans every selected table to find types without
 * a rule and tables without a key, and prints the findings by severity. It
 * creates nothing: no slot, no publication, no table, no state directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_core.h"
#include "cli.h"
#include "findings.h"
#include "runner.h"

static void check_usage(FILE *out)
{
    fprintf(out,
            "usage: sluice check [--format text|json] PIPELINE.lua\n"
            "\n"
            "Connects to the source and the target and reports what would stop or surprise\n"
            "the pipeline, without creating anything: server settings and privileges the\n"
            "mode needs, tables without a primary key or replica identity, columns whose\n"
            "type has no rule, the largest tables and large-value columns, long-running\n"
            "transactions, replication slots and the log they keep, and target tables that\n"
            "TargetTablePrepMode would drop or truncate.\n"
            "Each finding is blocking, warning or info. Exit status %d when something\n"
            "blocks, 0 otherwise.\n"
            "\n"
            "options:\n"
            "  --format FORMAT       text (default) or json (an array of {severity, scope,\n"
            "                        table, message, detail, hint})\n"
            "  --log-format FORMAT   plain (default) or json, for log lines on stderr\n"
            "  --verbose             also log debug lines\n",
            EXIT_FOUND);
}

/* -1 when the arguments are good, else the exit code. */
static int parse_args(int argc, char **argv, const char **path, int *json)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int common = cli_common_option(argc, argv, &i);
        if (common < 0)
            return EXIT_USAGE;
        if (common)
            continue;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            check_usage(stdout);
            return EXIT_OK;
        } else if (strcmp(arg, "--format") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error("option \"%s\" needs a value", arg,
                                       "Run \"sluice check --help\" for the options.");
            const char *v = argv[++i];
            if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0)
                return cli_usage_error("invalid value for --format: \"%s\"", v,
                                       "Use --format text or --format json.");
            *json = v[0] == 'j';
        } else {
            int rc = cli_pipeline_arg("check", arg, path);
            if (rc >= 0)
                return rc;
        }
    }
    return cli_need_pipeline("check", *path);
}

/* The source's part: open, discover, its check callback. */
static int check_source(runner *r, sluice_findings *f, sluice_error *err)
{
    if (instance_open(&r->main_source, r->source, r->source_config, &r->env, err) != SLUICE_OK)
        return EXIT_SOURCE;
    if (runner_discover(r, err) != 0)
        return EXIT_SOURCE;
    f->scope = "source";
    return check_plugin_source(&r->main_source, f, err) == SLUICE_OK ? 0 : EXIT_SOURCE;
}

/* The target's part: open, its check callback with the tables it would prepare. */
static int check_target(runner *r, const check_targets *targets, sluice_findings *f,
                        sluice_error *err)
{
    f->scope = "target";
    int has = check_sink_has_checks(r->sink, f, err);
    if (has <= 0)
        return has == 0 ? 0 : EXIT_INTERNAL;
    if (instance_open(&r->main_sink, r->sink, r->sink_config, &r->env, err) != SLUICE_OK)
        return EXIT_TARGET;
    return check_plugin_sink(&r->main_sink, targets, settings_prep_mode(&r->set), f, err) ==
                   SLUICE_OK
               ? 0
               : EXIT_TARGET;
}

static int check_pipeline(pipeline_config *cfg, int json)
{
    runner r;
    runner_init(&r, cfg);
    r.no_state = 1;
    sluice_error err;
    error_init(&err);
    sluice_findings f;
    findings_init(&f);
    check_targets targets = {0};
    run_options opts = {NULL, NULL, 0, NULL};
    int rc = runner_setup_plugins(&r, &opts, &err);
    if (rc == 0)
        rc = check_source(&r, &f, &err);
    if (rc == 0 && chain_open(&r.main_chain, cfg->mapping, r.source->vt.source.position_format,
                              r.transforms, r.transform_configs, r.ntransforms, &r.env,
                              &err) != SLUICE_OK)
        rc = EXIT_TRANSFORM;
    if (rc == 0)
        rc = check_mapping(&r, &f, &targets, &err);
    if (rc == 0)
        rc = check_target(&r, &targets, &f, &err);
    if (rc == 0 && f.failed)
        rc = (error_set(&err, SLUICE_FATAL, "out of memory"), EXIT_INTERNAL);
    if (rc == 0) {
        int printed = json ? findings_print_json(stdout, &f) : findings_print_text(stdout, &f);
        if (printed != 0 || fflush(stdout) != 0)
            rc = (error_set(&err, SLUICE_FATAL, "could not print the findings"), EXIT_INTERNAL);
        else if (findings_count(&f, SLUICE_SEVERITY_BLOCKING))
            rc = EXIT_FOUND;
    }
    if (rc != 0 && rc != EXIT_FOUND)
        report_error(&err);
    free(targets.tables);
    findings_free(&f);
    runner_teardown(&r);
    return rc;
}

int cli_check(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    int rc = parse_args(argc, argv, &path, &json);
    if (rc >= 0)
        return rc;
    pipeline_config *cfg = cli_load_pipeline(path);
    if (!cfg)
        return EXIT_CONFIG;
    cfg->command = "check"; /* plugins open without refusing what check reports */
    rc = check_pipeline(cfg, json);
    config_free(cfg);
    return rc;
}
