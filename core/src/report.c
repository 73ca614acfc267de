/* Log lines and error reports on stderr, plain or JSON, always redacted. */
#include "report.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "secret.h"

static log_format current_format = LOG_FORMAT_PLAIN;
static sluice_log_level min_level = SLUICE_LOG_INFO;
static pthread_mutex_t output_lock = PTHREAD_MUTEX_INITIALIZER;

void report_set_format(log_format format) { current_format = format; }
void report_set_min_level(sluice_log_level level) { min_level = level; }
log_format report_format(void) { return current_format; }

static const char *level_name(sluice_log_level level)
{
    switch (level) {
    case SLUICE_LOG_DEBUG: return "debug";
    case SLUICE_LOG_INFO: return "info";
    case SLUICE_LOG_WARNING: return "warning";
    case SLUICE_LOG_ERROR: return "error";
    }
    return "log";
}

static void timestamp(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* Writes one JSON line with the given string fields (NULL or empty ones left out). */
static void write_json_line(const char *const *keys, const char *const *values, size_t n)
{
    json_t *obj = json_object();
    for (size_t i = 0; i < n; i++)
        if (values[i] && values[i][0])
            json_object_set_new(obj, keys[i], json_string(values[i]));
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text) {
        fprintf(stderr, "%s\n", text);
        free(text);
    }
    json_decref(obj);
}

void report_vlog(sluice_log_level level, const char *prefix, const char *fmt, va_list ap)
{
    if (level < min_level)
        return;
    char raw[4096], line[4096], ts[40];
    int n = 0;
    if (prefix && prefix[0])
        n = snprintf(raw, sizeof raw, "%s: ", prefix);
    vsnprintf(raw + n, sizeof raw - (size_t)n, fmt, ap);
    secret_redact(raw, line, sizeof line);
    timestamp(ts, sizeof ts);

    pthread_mutex_lock(&output_lock);
    if (current_format == LOG_FORMAT_JSON) {
        const char *keys[] = {"time", "level", "message"};
        const char *values[] = {ts, level_name(level), line};
        write_json_line(keys, values, 3);
    } else {
        fprintf(stderr, "%s %s: %s\n", ts, level_name(level), line);
    }
    fflush(stderr);
    pthread_mutex_unlock(&output_lock);
}

void report_log(sluice_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_vlog(level, NULL, fmt, ap);
    va_end(ap);
}

void report_error(const sluice_error *err)
{
    char message[SLUICE_ERROR_MESSAGE_MAX], detail[SLUICE_ERROR_DETAIL_MAX],
        hint[SLUICE_ERROR_HINT_MAX];
    secret_redact(err->message[0] ? err->message : "unknown error", message, sizeof message);
    secret_redact(err->detail, detail, sizeof detail);
    secret_redact(err->hint, hint, sizeof hint);

    pthread_mutex_lock(&output_lock);
    if (current_format == LOG_FORMAT_JSON) {
        char ts[40];
        timestamp(ts, sizeof ts);
        const char *keys[] = {"time", "level", "message", "detail", "hint"};
        const char *values[] = {ts, "error", message, detail, hint};
        write_json_line(keys, values, 5);
    } else {
        fprintf(stderr, "error: %s\n", message);
        if (detail[0])
            fprintf(stderr, "detail: %s\n", detail);
        if (hint[0])
            fprintf(stderr, "hint: %s\n", hint);
    }
    fflush(stderr);
    pthread_mutex_unlock(&output_lock);
}

void error_init(sluice_error *err)
{
    memset(err, 0, sizeof *err);
    err->header = (sluice_header)SLUICE_HEADER_INIT(sluice_error);
}

sluice_status error_set(sluice_error *err, sluice_status status, const char *fmt, ...)
{
    va_list ap;
    err->status = status;
    err->detail[0] = err->hint[0] = '\0';
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return status;
}

void error_detail(sluice_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof err->detail, fmt, ap);
    va_end(ap);
}

void error_hint(sluice_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}

void error_prefix(sluice_error *err, const char *fmt, ...)
{
    char prefix[256], old[SLUICE_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    old[sizeof old - 1] = '\0';
    size_t n = strlen(prefix);
    if (n > sizeof err->message - 3)
        n = sizeof err->message - 3;
    memcpy(err->message, prefix, n);
    memcpy(err->message + n, ": ", 2);
    /* truncation of a long message is acceptable; it stays one line */
    size_t room = sizeof err->message - n - 3;
    size_t len = strnlen(old, room);
    memcpy(err->message + n + 2, old, len);
    err->message[n + 2 + len] = '\0';
}
