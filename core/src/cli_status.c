/* sluice status [PIPELINE.lua | STATE_DIR | NAME]: what the status file says. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <dirent.h>

#include "cli.h"
#include "config.h"
#include "exitcodes.h"
#include "report.h"
#include "state.h"

static void status_usage(FILE *out)
{
    fprintf(out, "usage: sluice status [--json] [PIPELINE.lua | STATE_DIR | NAME]\n"
                 "\n"
                 "Shows the status file of a pipeline: phase, positions, lag and per-table\n"
                 "counters. Without an argument, the only pipeline under ./.sluice.\n"
                 "  --json   print the status file as it is\n");
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Works out the state directory the argument names. */
static int resolve_dir(const char *arg, char *dir, size_t size, sluice_error *err)
{
    if (!arg) {
        snprintf(dir, size, ".sluice");
        return 0; /* the single pipeline below, found by the caller */
    }
    size_t n = strlen(arg);
    if (n > 4 && strcmp(arg + n - 4, ".lua") == 0) {
        pipeline_config *cfg = config_load(arg, err);
        if (!cfg)
            return -1;
        const config_value *v = config_find(&cfg->settings, "StateDir");
        if (v && v->type == CONFIG_STRING)
            snprintf(dir, size, "%s", v->text);
        else
            snprintf(dir, size, ".sluice/%s", cfg->name);
        config_free(cfg);
        return 0;
    }
    if (is_dir(arg))
        snprintf(dir, size, "%s", arg);
    else
        snprintf(dir, size, ".sluice/%s", arg);
    return 0;
}

static void print_bytes(const char *label, json_t *v)
{
    if (json_is_integer(v))
        printf("%s%.1f MiB\n", label, (double)json_integer_value(v) / 1048576.0);
}

/* Full-load progress, latencies, queue and the source's retained log: what
   /metrics shows too. Figures a status file from an older sluice lacks are skipped. */
static void print_flow(json_t *root)
{
    json_t *fl = json_object_get(root, "full_load");
    if (json_is_object(fl)) {
        json_int_t est = json_integer_value(json_object_get(fl, "rows_estimated"));
        json_int_t rows = json_integer_value(json_object_get(fl, "rows_loaded"));
        printf("full load: %lld of %lld tables, %lld rows of about %lld (%d%%)\n",
               (long long)json_integer_value(json_object_get(fl, "tables_loaded")),
               (long long)json_integer_value(json_object_get(fl, "tables")), (long long)rows,
               (long long)est, est > 0 ? (int)(rows >= est ? 100 : rows * 100 / est) : 0);
    }
    json_t *src = json_object_get(root, "source_latency_seconds");
    json_t *tgt = json_object_get(root, "target_latency_seconds");
    if (!json_is_object(fl) && !tgt) /* an older status file: lag_seconds only */
        tgt = json_object_get(root, "lag_seconds");
    if (json_is_number(src))
        printf("latency:   %.3f s source commit to capture\n", json_number_value(src));
    if (json_is_number(tgt))
        printf("%s%.3f s source commit to target commit\n",
               json_is_number(src) ? "           " : "latency:   ", json_number_value(tgt));
    json_t *lag = json_object_get(root, "target_lag_seconds");
    if (json_is_number(lag))
        printf("lag:       %.3f s behind the source (0: every captured transaction applied)\n",
               json_number_value(lag));
    json_t *queue = json_object_get(root, "queue_depth_batches");
    if (json_is_integer(queue))
        printf("queue:     %lld batches waiting for the sink\n",
               (long long)json_integer_value(queue));
    print_bytes("retained:  ", json_object_get(root, "source_retained_bytes"));
    print_bytes("spilled:   ", json_object_get(root, "source_spilled_bytes"));
}

static void print_human(json_t *root)
{
    json_int_t pid = json_integer_value(json_object_get(root, "pid"));
    const char *phase = json_string_value(json_object_get(root, "phase"));
    int running = pid > 0 && kill((pid_t)pid, 0) == 0;
    int finished = phase && (strcmp(phase, "done") == 0 || strcmp(phase, "failed") == 0 ||
                             strcmp(phase, "stopped") == 0);
    printf("pipeline:  %s (mode %s)\n", json_string_value(json_object_get(root, "pipeline")),
           json_string_value(json_object_get(root, "mode")));
    printf("phase:     %s%s\n", phase ? phase : "?",
           !finished && !running ? " (process not running: killed?)" : "");
    printf("source:    %s\n", json_string_value(json_object_get(root, "source_position")));
    printf("committed: %s\n", json_string_value(json_object_get(root, "committed_position")));
    print_flow(root);
    json_t *mem = json_object_get(root, "memory");
    printf("memory:    %.1f MiB (peak %.1f MiB)\n",
           json_integer_value(json_object_get(mem, "rss_bytes")) / 1048576.0,
           json_integer_value(json_object_get(mem, "peak_rss_bytes")) / 1048576.0);
    const char *last_error = json_string_value(json_object_get(root, "last_error"));
    if (last_error)
        printf("error:     %s\n", last_error);
    printf("\n%-32s %-9s %12s %12s %10s %10s %10s %5s %6s\n", "table", "state", "rows",
           "of about", "inserts", "updates", "deletes", "ddl", "errors");
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(root, "tables"), i, t)
    {
        printf("%-32s %-9s %12lld %12lld %10lld %10lld %10lld %5lld %6lld\n",
               json_string_value(json_object_get(t, "name")),
               json_string_value(json_object_get(t, "state")),
               (long long)json_integer_value(json_object_get(t, "rows_loaded")),
               (long long)json_integer_value(json_object_get(t, "estimated_rows")),
               (long long)json_integer_value(json_object_get(t, "inserts")),
               (long long)json_integer_value(json_object_get(t, "updates")),
               (long long)json_integer_value(json_object_get(t, "deletes")),
               (long long)json_integer_value(json_object_get(t, "ddl")),
               (long long)json_integer_value(json_object_get(t, "errors")));
    }
}

int cli_status(int argc, char **argv)
{
    const char *arg = NULL;
    int raw = 0;
    for (int i = 1; i < argc; i++) {
        int common = cli_common_option(argc, argv, &i);
        if (common < 0)
            return EXIT_USAGE;
        if (common)
            continue;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            status_usage(stdout);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--json") == 0)
            raw = 1;
        else
            arg = argv[i];
    }
    sluice_error err;
    error_init(&err);
    char dir[4096], path[4200];
    if (resolve_dir(arg, dir, sizeof dir, &err) != 0) {
        report_error(&err);
        return EXIT_CONFIG;
    }
    snprintf(path, sizeof path, "%s/status.json", dir);
    if (!arg && !is_dir(dir)) {
        error_set(&err, SLUICE_FATAL, "no pipeline has run here");
        error_detail(&err, "There is no ./.sluice folder in the current directory.");
        error_hint(&err, "Give the pipeline file, its name, or its state directory.");
        report_error(&err);
        return EXIT_STATE;
    }
    if (!arg) {
        /* exactly one pipeline under .sluice: use it */
        DIR *d = opendir(dir);
        struct dirent *entry;
        char first[1024] = "";
        int count = 0;
        while (d && (entry = readdir(d))) {
            if (entry->d_name[0] == '.')
                continue;
            if (count++ == 0)
                snprintf(first, sizeof first, "%s", entry->d_name);
        }
        if (d)
            closedir(d);
        if (count != 1) {
            error_set(&err, SLUICE_FATAL, "%d pipelines have state under \"%s\"", count, dir);
            error_hint(&err, "Name one: sluice status NAME.");
            report_error(&err);
            return EXIT_USAGE;
        }
        if (snprintf(path, sizeof path, "%s/%s/status.json", dir, first) >= (int)sizeof path) {
            error_set(&err, SLUICE_FATAL, "state directory path is too long");
            report_error(&err);
            return EXIT_STATE;
        }
    }
    size_t len;
    char *text = read_file(path, &len, &err);
    if (!text) {
        if (errno == ENOENT) {
            error_set(&err, SLUICE_FATAL, "could not open file \"%s\": No such file or directory",
                      path);
            error_hint(&err, "The pipeline has not run yet, or its StateDir is elsewhere.");
        }
        report_error(&err);
        return EXIT_STATE;
    }
    if (raw) {
        fputs(text, stdout);
        putchar('\n');
        free(text);
        return EXIT_OK;
    }
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    free(text);
    if (!root) {
        error_set(&err, SLUICE_FATAL, "invalid status file \"%s\"", path);
        error_detail(&err, "%s at line %d.", jerr.text, jerr.line);
        report_error(&err);
        return EXIT_STATE;
    }
    print_human(root);
    json_decref(root);
    return EXIT_OK;
}
