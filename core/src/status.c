#include "status.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "secret.h"
#include "state.h"

void memory_usage(uint64_t *rss, uint64_t *peak)
{
    *rss = *peak = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return;
    char line[256];
    unsigned long long kb;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
            *rss = kb * 1024;
        else if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
            *peak = kb * 1024;
    }
    fclose(f);
}

static json_t *table_json(table_stats *t)
{
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "name",
                     t->name ? t->name : "", "state", table_state_name(atomic_load(&t->state)),
                     "estimated_rows", (json_int_t)atomic_load(&t->estimated_rows), "rows_read",
                     (json_int_t)atomic_load(&t->rows_read), "rows_loaded",
                     (json_int_t)atomic_load(&t->rows_loaded), "inserts",
                     (json_int_t)atomic_load(&t->inserts), "updates",
                     (json_int_t)atomic_load(&t->updates), "deletes",
                     (json_int_t)atomic_load(&t->deletes), "truncates",
                     (json_int_t)atomic_load(&t->truncates), "ddl",
                     (json_int_t)atomic_load(&t->ddl), "errors",
                     (json_int_t)atomic_load(&t->errors));
}

char *status_json(stats *s)
{
    uint64_t rss, peak;
    memory_usage(&rss, &peak);
    json_t *tables = json_array(), *counters = json_object();
    pthread_mutex_lock(&s->lock);
    for (uint32_t i = 0; i < s->ntables; i++)
        json_array_append_new(tables, table_json(&s->tables[i]));
    for (uint32_t i = 0; i < s->ncounters; i++) {
        json_t *group = json_object_get(counters, s->counters[i].plugin);
        if (!group) {
            group = json_object();
            json_object_set_new(counters, s->counters[i].plugin, group);
        }
        json_object_set_new(group, s->counters[i].name,
                            json_integer((json_int_t)atomic_load(&s->counters[i].value)));
    }
    double source_latency = stats_source_latency(s), target_latency = stats_target_latency(s);
    double target_lag = stats_target_lag(s);
    load_totals lt = stats_load_totals(s);
    int64_t retained = atomic_load(&s->source_retained_bytes);
    int64_t spilled = atomic_load(&s->source_spilled_bytes);
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:I, s:f, s:f, s:s, s:s, s:o, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I}, "
        "s:I, s:o, s:o, s:{s:I, s:I}, s:o, s:o}",
        "pipeline", s->pipeline, "mode", s->mode, "phase", s->phase, "pid",
        (json_int_t)getpid(), "started_at", s->started_us / 1e6, "updated_at", now_us() / 1e6,
        "source_position", s->source_position, "committed_position", s->committed_position,
        /* lag_seconds (the first figure, kept for readers of older files) = target latency */
        "lag_seconds", target_latency >= 0 ? json_real(target_latency) : json_null(),
        "source_latency_seconds", source_latency >= 0 ? json_real(source_latency) : json_null(),
        "target_latency_seconds", target_latency >= 0 ? json_real(target_latency) : json_null(),
        "target_lag_seconds", target_lag >= 0 ? json_real(target_lag) : json_null(),
        "full_load", "tables", (json_int_t)lt.tables, "tables_loaded",
        (json_int_t)lt.tables_loaded, "rows_estimated", (json_int_t)lt.rows_estimated,
        "rows_loaded", (json_int_t)lt.rows_loaded, "queue_depth_batches",
        (json_int_t)atomic_load(&s->queued_batches), "source_retained_bytes",
        retained >= 0 ? json_integer(retained) : json_null(), "source_spilled_bytes",
        spilled >= 0 ? json_integer(spilled) : json_null(), "memory", "rss_bytes",
        (json_int_t)rss, "peak_rss_bytes", (json_int_t)peak, "tables", tables,
        "plugin_counters", counters);
    if (s->last_error[0])
        json_object_set_new(root, "last_error", json_string(s->last_error));
    pthread_mutex_unlock(&s->lock);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    return text;
}

int status_write(stats *s, const char *path, sluice_error *err)
{
    char *text = status_json(s);
    if (!text)
        return error_set(err, SLUICE_ERROR, "out of memory"), -1;
    /* The status file is a place users paste into tickets: redact it like the log. */
    char *clean = secret_redact_dup(text);
    int rc = clean ? write_file_atomic(path, clean, strlen(clean), err)
                   : (error_set(err, SLUICE_ERROR, "out of memory"), -1);
    free(clean);
    free(text);
    return rc;
}

/* ---- progress display ---- */

void progress_view_init(progress_view *v, int tty)
{
    memset(v, 0, sizeof *v);
    v->tty = tty;
    v->last_us = monotonic_us();
}

void progress_view_free(progress_view *v) { free(v->last_rows); }

static void format_eta(char *buf, size_t size, double seconds)
{
    if (seconds < 0 || seconds > 99 * 3600)
        snprintf(buf, size, "--:--");
    else
        snprintf(buf, size, "%d:%02d:%02d", (int)seconds / 3600, (int)seconds / 60 % 60,
                 (int)seconds % 60);
}

/* One table's line: name, bar, percent, rows, rate, ETA. */
static void table_line(char *buf, size_t size, table_stats *t, double rate, int bar)
{
    uint64_t rows = atomic_load(&t->rows_loaded), total = atomic_load(&t->estimated_rows);
    int state = atomic_load(&t->state);
    double frac = state == TABLE_LOADED ? 1.0 : total ? (double)rows / (double)total : 0.0;
    if (frac > 1.0)
        frac = 1.0;
    char eta[32], bars[32];
    format_eta(eta, sizeof eta, rate > 0 && total > rows ? (double)(total - rows) / rate : -1);
    int filled = (int)(frac * 20);
    for (int i = 0; i < 20; i++)
        bars[i] = i < filled ? '#' : '-';
    bars[20] = '\0';
    if (bar)
        snprintf(buf, size, "%-32.32s [%s] %3d%% %12llu rows %10.0f rows/s ETA %s  %s", t->name,
                 bars, (int)(frac * 100), (unsigned long long)rows, rate, eta,
                 table_state_name(state));
    else
        snprintf(buf, size, "full load: table \"%s\" %s, %llu of about %llu rows (%d%%), "
                 "%.0f rows/s, ETA %s", t->name, table_state_name(state),
                 (unsigned long long)rows, (unsigned long long)total, (int)(frac * 100), rate,
                 eta);
}

void progress_view_update(progress_view *v, stats *s, int final)
{
    int64_t now = monotonic_us();
    double seconds = (double)(now - v->last_us) / 1e6;
    if (v->nlast != s->ntables) {
        free(v->last_rows);
        v->last_rows = calloc(s->ntables ? s->ntables : 1, sizeof *v->last_rows);
        v->nlast = v->last_rows ? s->ntables : 0;
    }
    int log_now = final || now - v->last_log_us >= 10000000;
    if (!v->tty && !log_now)
        return;
    if (v->tty && v->lines_drawn)
        fprintf(stderr, "\033[%dA", v->lines_drawn);
    v->lines_drawn = 0;
    for (uint32_t i = 0; i < v->nlast; i++) {
        table_stats *t = &s->tables[i];
        uint64_t rows = atomic_load(&t->rows_loaded);
        double rate = seconds > 0 ? (double)(rows - v->last_rows[i]) / seconds : 0;
        v->last_rows[i] = rows;
        int state = atomic_load(&t->state);
        if (state != TABLE_LOADING && !(v->tty && state == TABLE_LOADED))
            continue;
        char line[512];
        table_line(line, sizeof line, t, rate, v->tty);
        if (v->tty) {
            fprintf(stderr, "\033[2K%s\n", line);
            v->lines_drawn++;
        } else {
            report_log(SLUICE_LOG_INFO, "%s", line);
        }
    }
    if (log_now)
        v->last_log_us = now;
    v->last_us = now;
}
