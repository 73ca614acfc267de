/* sluice run PIPELINE: load the pipeline file and hand it to the runner. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "exitcodes.h"
#include "report.h"
#include "runner.h"

static void run_usage(FILE *out)
{
    fprintf(out,
            "usage: sluice run [OPTIONS] PIPELINE.lua\n"
            "\n"
            "Runs a pipeline: full load, change capture, or both, as its mode says.\n"
            "A stopped or killed run resumes where the target's checkpoint stands.\n"
            "\n"
            "options:\n"
            "  --until POSITION      stop change capture once POSITION is committed\n"
            "  --state-dir DIR       state directory (default: settings.StateDir, or\n"
            "                        ./.sluice/<pipeline name>)\n"
            "  --progress            draw progress bars even when stderr is not a terminal\n"
            "  --no-progress         never draw progress bars (log lines instead)\n"
            "  --metrics-listen HOST:PORT\n"
            "                        serve Prometheus metrics at http://HOST:PORT/metrics\n"
            "                        (default: settings.MetricsListen, or none); port 0\n"
            "                        picks a free port, which the log names\n"
            "  --log-format FORMAT   plain (default) or json: one JSON object per line\n"
            "  --verbose             also log debug lines\n"
            "\n"
            "SIGINT or SIGTERM stops after the current batch, commits what was applied\n"
            "and exits 0; a second signal stops at once (exit 130), still safe to rerun.\n");
}

int cli_usage_error(const char *fmt, const char *arg, const char *hint)
{
    sluice_error err;
    error_init(&err);
    error_set(&err, SLUICE_FATAL, fmt, arg);
    error_hint(&err, "%s", hint);
    report_error(&err);
    return EXIT_USAGE;
}

int cli_pipeline_arg(const char *command, const char *arg, const char **path)
{
    char hint[96];
    snprintf(hint, sizeof hint, "Run \"sluice %s --help\" for the options.", command);
    if (arg[0] == '-')
        return cli_usage_error("unrecognized option \"%s\"", arg, hint);
    if (*path)
        return cli_usage_error("unexpected argument \"%s\": give one pipeline file", arg, hint);
    *path = arg;
    return -1;
}

int cli_need_pipeline(const char *command, const char *path)
{
    char hint[64];
    snprintf(hint, sizeof hint, "Run \"sluice %s --help\".", command);
    return path ? -1 : cli_usage_error("%s", "no pipeline file given", hint);
}

int cli_common_option(int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    if (strcmp(arg, "--verbose") == 0 || strcmp(arg, "-v") == 0) {
        report_set_min_level(SLUICE_LOG_DEBUG);
        return 1;
    }
    if (strcmp(arg, "--log-format") != 0 && strncmp(arg, "--log-format=", 13) != 0)
        return 0;
    const char *value = arg[12] == '=' ? arg + 13 : (*i + 1 < argc ? argv[++*i] : "");
    if (strcmp(value, "json") == 0)
        report_set_format(LOG_FORMAT_JSON);
    else if (strcmp(value, "plain") == 0)
        report_set_format(LOG_FORMAT_PLAIN);
    else {
        sluice_error err;
        error_init(&err);
        error_set(&err, SLUICE_FATAL, "unrecognized log format: \"%s\"", value);
        error_hint(&err, "Use --log-format plain or --log-format json.");
        report_error(&err);
        return -1;
    }
    return 1;
}


static void cleanup_usage(FILE *out)
{
    fprintf(out,
            "usage: sluice cleanup [--state-dir DIR] PIPELINE.lua\n"
            "\n"
            "Drops what the pipeline created on its servers (for PostgreSQL: the replication\n"
            "slot and the publication it made; the sink's checkpoint table) and forgets\n"
            "its full-load progress, so a finished migration leaves no WAL-retaining slot\n"
            "behind. The next `sluice run` starts from scratch.\n");
}

int cli_pipeline_args(int argc, char **argv, run_options *opts, const char **path,
                      const char *command, void (*usage)(FILE *), int allow_run_options)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int common = cli_common_option(argc, argv, &i);
        if (common < 0)
            return EXIT_USAGE;
        if (common)
            continue;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--state-dir") == 0 && i + 1 < argc) {
            opts->state_dir = argv[++i];
        } else if (allow_run_options && strcmp(a, "--until") == 0 && i + 1 < argc) {
            opts->until = argv[++i];
        } else if (allow_run_options && strcmp(a, "--progress") == 0) {
            opts->progress_tty = 1;
        } else if (allow_run_options && strcmp(a, "--no-progress") == 0) {
            opts->progress_tty = 0;
        } else if (allow_run_options && strcmp(a, "--metrics-listen") == 0 && i + 1 < argc) {
            opts->metrics_listen = argv[++i];
        } else {
            int rc = cli_pipeline_arg(command, a, path);
            if (rc >= 0)
                return rc;
        }
    }
    return cli_need_pipeline(command, *path);
}

pipeline_config *cli_load_pipeline(const char *path)
{
    sluice_error err;
    error_init(&err);
    pipeline_config *cfg = config_load(path, &err);
    if (!cfg)
        report_error(&err);
    return cfg;
}

int cli_with_pipeline(const char *path, const run_options *opts,
                      int (*action)(pipeline_config *, const run_options *))
{
    pipeline_config *cfg = cli_load_pipeline(path);
    if (!cfg)
        return EXIT_CONFIG;
    int rc = action(cfg, opts);
    config_free(cfg);
    return rc;
}

int cli_cleanup(int argc, char **argv)
{
    run_options opts = {NULL, NULL, -1, NULL};
    const char *path = NULL;
    int rc = cli_pipeline_args(argc, argv, &opts, &path, "cleanup", cleanup_usage, 0);
    return rc >= 0 ? rc : cli_with_pipeline(path, &opts, runner_cleanup);
}

int cli_run(int argc, char **argv)
{
    run_options opts = {NULL, NULL, -1, NULL};
    const char *path = NULL;
    int rc = cli_pipeline_args(argc, argv, &opts, &path, "run", run_usage, 1);
    return rc >= 0 ? rc : cli_with_pipeline(path, &opts, runner_run);
}
