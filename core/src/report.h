/*
 * Logging and error reports for the core: plain lines or JSON lines on stderr,
 * errors as message / detail / hint (PostgreSQL's ereport style). Every line
 * passes through secret_redact() first, so a secret never reaches the log.
 */
#ifndef SLUICE_REPORT_H
#define SLUICE_REPORT_H

#include <stdarg.h>
#include <sluice/sluice.h>

typedef enum log_format { LOG_FORMAT_PLAIN = 0, LOG_FORMAT_JSON = 1 } log_format;

void report_set_format(log_format format);
void report_set_min_level(sluice_log_level level);
log_format report_format(void);

/* A log line: "info: ..." or {"level":"info","message":...}. */
void report_log(sluice_log_level level, const char *fmt, ...) SLUICE_PRINTF(2, 3);
void report_vlog(sluice_log_level level, const char *prefix, const char *fmt, va_list ap);

/* Prints an error record: "error: msg\ndetail: ...\nhint: ...". */
void report_error(const sluice_error *err);

/* Filling error records (the same functions the host API hands to plugins). */
sluice_status error_set(sluice_error *err, sluice_status status, const char *fmt, ...)
    SLUICE_PRINTF(3, 4);
void error_detail(sluice_error *err, const char *fmt, ...) SLUICE_PRINTF(2, 3);
void error_hint(sluice_error *err, const char *fmt, ...) SLUICE_PRINTF(2, 3);
void error_init(sluice_error *err);
/* Puts "context: " in front of the message, e.g. `sink "pg", in the apply callback`. */
void error_prefix(sluice_error *err, const char *fmt, ...) SLUICE_PRINTF(2, 3);

#endif
