/*
 * CSV as AWS DMS's S3 target writes it: Op (I/U/D) first in change files (and in
 * full-load files with includeOpForFullLoad), then the timestampColumnName column
 * when set, then the table's columns in order. csvDelimiter between fields,
 * csvRowDelimiter after each row. NULL is csvNullValue (default: an empty field);
 * an empty string is written "" so it differs from NULL. A field with the
 * delimiter, the row delimiter, a double quote, CR or LF, or equal to
 * csvNullValue is quoted, with its quotes doubled.
 */
#include <string.h>

#include "sinks3.h"

static int needs_quotes(const sinks3 *s, const char *p, size_t n)
{
    const char *delim = s->cfg.csv_delimiter, *null = s->cfg.csv_null_value;
    const char *rowd = s->cfg.csv_row_delimiter;
    if (n == 0)
        return 1;
    if (*null && strlen(null) == n && memcmp(p, null, n) == 0)
        return 1;
    size_t dl = strlen(delim), rl = strlen(rowd);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"' || p[i] == '\n' || p[i] == '\r')
            return 1;
        if (dl && i + dl <= n && memcmp(p + i, delim, dl) == 0)
            return 1;
        /* a csvRowDelimiter other than a line end ends the row where a reader looks */
        if (rl && i + rl <= n && memcmp(p + i, rowd, rl) == 0)
            return 1;
    }
    return 0;
}

static void field(const sinks3 *s, const char *p, size_t n, sbuf *out)
{
    if (!needs_quotes(s, p, n)) {
        sb_put(out, p, n);
        return;
    }
    sb_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"')
            sb_putc(out, '"');
        sb_putc(out, p[i]);
    }
    sb_putc(out, '"');
}

static void csv_header(const sinks3 *s, const sluice_table *t, int with_op, sbuf *out)
{
    if (!s->cfg.add_column_name)
        return;
    int first = 1;
    const char *d = s->cfg.csv_delimiter;
    if (with_op) {
        sb_puts(out, "Op");
        first = 0;
    }
    if (s->cfg.timestamp_column_name && *s->cfg.timestamp_column_name) {
        if (!first)
            sb_puts(out, d);
        field(s, s->cfg.timestamp_column_name, strlen(s->cfg.timestamp_column_name), out);
        first = 0;
    }
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        if (!first)
            sb_puts(out, d);
        field(s, c->name.ptr, c->name.len, out);
        first = 0;
    }
    sb_puts(out, s->cfg.csv_row_delimiter);
}

static void csv_row(sinks3 *s, const sluice_table *t, char op, const char *ts,
                    const sluice_value *values, sbuf *out)
{
    const char *d = s->cfg.csv_delimiter;
    int first = 1;
    if (op) {
        sb_putc(out, op);
        first = 0;
    }
    if (ts) {
        if (!first)
            sb_puts(out, d);
        sb_puts(out, ts);
        first = 0;
    }
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_value *v = &values[i];
        if (!first)
            sb_puts(out, d);
        first = 0;
        if (v->kind == SLUICE_VALUE_NULL) {
            sb_puts(out, s->cfg.csv_null_value);
        } else if (v->kind == SLUICE_VALUE_UNCHANGED) {
            /* DMS: a column the source did not log (PostgreSQL: unchanged TOAST) is
               csvNoSupValue with useCsvNoSupValue, else NULL */
            if (s->cfg.use_csv_no_sup_value && s->cfg.csv_no_sup_value)
                field(s, s->cfg.csv_no_sup_value, strlen(s->cfg.csv_no_sup_value), out);
            else
                sb_puts(out, s->cfg.csv_null_value);
        } else if (v->kind == SLUICE_VALUE_INT) {
            sb_put_int(out, v->u.i);
        } else {
            field(s, v->u.bytes, v->len, out);
        }
    }
    sb_puts(out, s->cfg.csv_row_delimiter);
}

const s3_format s3_format_csv = {"csv", "text/csv", csv_header, csv_row};
