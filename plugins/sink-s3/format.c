/*
 * The value layer under every format: the text of a value. Formats (csv.c,
 * jsonl.c; Parquet later) decide how to quote it and how a row looks.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "sinks3.h"

void s3_value_text(sinks3 *s, const sluice_value *v, sbuf *out)
{
    (void)s;
    if (v->kind == SLUICE_VALUE_INT)
        sb_put_int(out, v->u.i);
    else if (v->kind == SLUICE_VALUE_TEXT || v->kind == SLUICE_VALUE_NATIVE)
        sb_put(out, v->u.bytes, v->len);
}

void s3_format_timestamp(int64_t us, char *buf, size_t size)
{
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf, size, "%s.%06" PRId64, day, us % 1000000);
}
