/*
 * JSON Lines: one object per row, {"Op": "I", "<timestampColumnName>": "...",
 * "column": value, ...}. Integers are numbers, every other value a string
 * (canonical text), NULL is null, and a column the source did not send
 * (unchanged TOAST) is left out of the object, so it cannot pass for a value.
 */
#include <stdio.h>
#include <string.h>

#include "sinks3.h"

static void json_str(const char *p, size_t n, sbuf *out)
{
    sb_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == '"' || ch == '\\') {
            sb_putc(out, '\\');
            sb_putc(out, (char)ch);
        } else if (ch == '\n') {
            sb_puts(out, "\\n");
        } else if (ch == '\r') {
            sb_puts(out, "\\r");
        } else if (ch == '\t') {
            sb_puts(out, "\\t");
        } else if (ch < 0x20) {
            sb_printf(out, "\\u%04x", ch);
        } else {
            sb_putc(out, (char)ch);
        }
    }
    sb_putc(out, '"');
}

static void jsonl_header(const sinks3 *s, const sluice_table *t, int with_op, sbuf *out)
{
    (void)s, (void)t, (void)with_op, (void)out; /* every line names its columns */
}

static void jsonl_row(sinks3 *s, const sluice_table *t, char op, const char *ts,
                      const sluice_value *values, sbuf *out)
{
    (void)s;
    const char *sep = "";
    sb_putc(out, '{');
    if (op) {
        sb_printf(out, "\"Op\":\"%c\"", op);
        sep = ",";
    }
    if (ts) {
        sb_puts(out, sep);
        json_str(s->cfg.timestamp_column_name, strlen(s->cfg.timestamp_column_name), out);
        sb_putc(out, ':');
        json_str(ts, strlen(ts), out);
        sep = ",";
    }
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_value *v = &values[i];
        if (v->kind == SLUICE_VALUE_UNCHANGED)
            continue;
        const sluice_column *c = sluice_table_column(t, i);
        sb_puts(out, sep);
        sep = ",";
        json_str(c->name.ptr, c->name.len, out);
        sb_putc(out, ':');
        if (v->kind == SLUICE_VALUE_NULL)
            sb_puts(out, "null");
        else if (v->kind == SLUICE_VALUE_INT)
            sb_put_int(out, v->u.i);
        else
            json_str(v->u.bytes, v->len, out);
    }
    sb_puts(out, "}\n");
}

const s3_format s3_format_jsonl = {"json", "application/x-ndjson", jsonl_header, jsonl_row};
