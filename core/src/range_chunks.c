/*
 * parallel-load ranges → per-chunk filters. The conditions of segment k repeat
 * every lower boundary (c > b1 AND c > b2 ...) instead of only the previous
 * one: with ascending boundaries that is DMS's b(k) < c <= b(k+1), and with
 * boundaries out of order it still puts every row in exactly one segment.
 * Several columns compare as rows, (a, b) > (x, y), like SQL's row values.
 */
#include "range_chunks.h"

#include <stdlib.h>
#include <string.h>

#include "report.h"

static int column_index(const sluice_table *t, const char *name, uint32_t *index)
{
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        if (c->name.len == strlen(name) && memcmp(c->name.ptr, name, c->name.len) == 0) {
            *index = i;
            return 0;
        }
    }
    return -1;
}

static int missing_column(const map_table_settings *ts, const sluice_table *t, const char *name,
                          sluice_error *err)
{
    error_set(err, SLUICE_FATAL,
              "%s: rule %s: parallel-load ranges column \"%s\" is not a column of %.*s.%.*s",
              ts->where, ts->id, name, (int)t->schema.len, t->schema.ptr, (int)t->name.len,
              t->name.ptr);
    error_hint(err, "Name the column as the source names it (case matters).");
    return -1;
}

static sluice_filter cond(uint32_t col, sluice_filter_op op, uint32_t group, uint32_t nvalues,
                          const sluice_str *values)
{
    return (sluice_filter){.column = col, .op = op, .group = group, .nvalues = nvalues,
                           .values = values};
}

/* (the range's columns) op (values), a row comparison of ABI 1.4 */
static sluice_filter row_cond(const range_chunks *rc, sluice_filter_op op, uint32_t group,
                              const sluice_str *values)
{
    return (sluice_filter){.column = rc->columns[0], .op = op, .group = group,
                           .nvalues = rc->ncolumns, .values = values,
                           .ncolumns = rc->ncolumns, .columns = rc->columns};
}

/* Segment k of one column: k lower bounds, an upper bound but for the last, IS NULL in the first. */
static sluice_filter *one_column(const range_chunks *rc, sluice_filter *f, uint32_t k,
                                 uint32_t n, uint32_t group)
{
    uint32_t col = rc->columns[0];
    for (uint32_t j = 0; j < k; j++)
        *f++ = cond(col, SLUICE_FILTER_GT, group + j, 1, &rc->values[j]);
    if (k < n)
        *f++ = cond(col, SLUICE_FILTER_LE, group + k, 1, &rc->values[k]);
    if (k == 0) /* a NULL satisfies no comparison: the first segment takes it */
        *f++ = cond(col, SLUICE_FILTER_NULL, group, 0, NULL);
    return f;
}

/* Segment k of several columns: the same as row comparisons, with the NULLs
   in segment 0 and every other segment requiring each column NOT NULL. */
static sluice_filter *row(const range_chunks *rc, sluice_filter *f, uint32_t k, uint32_t n,
                          uint32_t group)
{
    uint32_t nc = rc->ncolumns;
    for (uint32_t j = 0; j < k; j++)
        *f++ = row_cond(rc, SLUICE_FILTER_ROW_GT, group + j, &rc->values[j * nc]);
    if (k < n)
        *f++ = row_cond(rc, SLUICE_FILTER_ROW_LE, group + k, &rc->values[k * nc]);
    for (uint32_t c = 0; c < nc; c++)
        *f++ = k == 0 ? cond(rc->columns[c], SLUICE_FILTER_NULL, group, 0, NULL)
                      : cond(rc->columns[c], SLUICE_FILTER_NOT_NULL, group + n + 1 + c, 0, NULL);
    return f;
}

int range_chunks_build(range_chunks *rc, const map_table_settings *ts, const sluice_table *t,
                       const sluice_filter *base, uint32_t nbase, sluice_error *err)
{
    memset(rc, 0, sizeof *rc);
    uint32_t n = ts->nboundaries, nc = ts->ncolumns;
    if (nc == 0 || n == 0) { /* mapping_json.c refuses these */
        error_set(err, SLUICE_FATAL, "%s: rule %s: parallel-load ranges need columns and "
                  "boundaries", ts->where, ts->id);
        return -1;
    }
    rc->columns = calloc(nc, sizeof *rc->columns);
    if (!rc->columns)
        goto oom;
    rc->ncolumns = nc;
    for (uint32_t c = 0; c < nc; c++)
        if (column_index(t, ts->columns[c], &rc->columns[c]) != 0) {
            range_chunks_free(rc);
            return missing_column(ts, t, ts->columns[c], err);
        }
    uint32_t group = 0; /* the range's groups come after the base's */
    for (uint32_t i = 0; i < nbase; i++)
        if (base[i].group >= group)
            group = base[i].group + 1;
    rc->count = n + 1;
    rc->nbase = nbase;
    rc->row_ops = nc > 1;
    rc->filters = calloc(rc->count, sizeof *rc->filters);
    rc->nfilters = calloc(rc->count, sizeof *rc->nfilters);
    rc->values = calloc((size_t)n * nc, sizeof *rc->values);
    if (!rc->filters || !rc->nfilters || !rc->values)
        goto oom;
    for (uint32_t i = 0; i < n * nc; i++)
        rc->values[i] = (sluice_str){ts->boundaries[i], strlen(ts->boundaries[i])};
    for (uint32_t k = 0; k <= n; k++) {
        uint32_t count = nbase + k + (k < n) + (nc == 1 ? (k == 0) : nc);
        sluice_filter *f = calloc(count, sizeof *f);
        if (!f)
            goto oom;
        rc->filters[k] = f;
        if (nbase)
            memcpy(f, base, nbase * sizeof *f);
        f += nbase;
        f = nc == 1 ? one_column(rc, f, k, n, group) : row(rc, f, k, n, group);
        rc->nfilters[k] = (uint32_t)(f - rc->filters[k]);
    }
    return 0;
oom:
    range_chunks_free(rc);
    error_set(err, SLUICE_FATAL, "out of memory");
    return -1;
}

void range_chunks_free(range_chunks *rc)
{
    for (uint32_t k = 0; rc->filters && k < rc->count; k++)
        free(rc->filters[k]);
    free(rc->filters);
    free(rc->nfilters);
    free(rc->values);
    free(rc->columns);
    memset(rc, 0, sizeof *rc);
}
