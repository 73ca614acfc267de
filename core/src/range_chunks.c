/*
 * parallel-load ranges → per-chunk filters. The conditions of segment k repeat
 * every lower boundary (c > b1 AND c > b2 ...) instead of only the previous
 * one: with ascending boundaries that is DMS's b(k) < c <= b(k+1), and with
 * boundaries out of order it still puts every row in exactly one segment.
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

int range_chunks_build(range_chunks *rc, const map_table_settings *ts, const sluice_table *t,
                       const sluice_filter *base, uint32_t nbase, sluice_error *err)
{
    memset(rc, 0, sizeof *rc);
    uint32_t col, n = ts->nboundaries;
    if (ts->ncolumns != 1 || n == 0) { /* mapping_json.c refuses these */
        error_set(err, SLUICE_FATAL, "%s: rule %s: parallel-load ranges need one column",
                  ts->where, ts->id);
        return -1;
    }
    if (column_index(t, ts->columns[0], &col) != 0) {
        error_set(err, SLUICE_FATAL,
                  "%s: rule %s: parallel-load ranges column \"%s\" is not a column of %.*s.%.*s",
                  ts->where, ts->id, ts->columns[0], (int)t->schema.len, t->schema.ptr,
                  (int)t->name.len, t->name.ptr);
        error_hint(err, "Name the column as the source names it (case matters).");
        return -1;
    }
    uint32_t group = 0; /* the range's groups come after the base's */
    for (uint32_t i = 0; i < nbase; i++)
        if (base[i].group >= group)
            group = base[i].group + 1;
    rc->count = n + 1;
    rc->filters = calloc(rc->count, sizeof *rc->filters);
    rc->nfilters = calloc(rc->count, sizeof *rc->nfilters);
    rc->values = calloc(n, sizeof *rc->values);
    if (!rc->filters || !rc->nfilters || !rc->values)
        goto oom;
    for (uint32_t i = 0; i < n; i++)
        rc->values[i] = (sluice_str){ts->boundaries[i], strlen(ts->boundaries[i])};
    for (uint32_t k = 0; k <= n; k++) {
        /* k lower bounds, an upper bound but for the last, IS NULL in the first */
        uint32_t count = nbase + k + (k < n) + (k == 0);
        sluice_filter *f = calloc(count, sizeof *f);
        if (!f)
            goto oom;
        rc->filters[k] = f;
        rc->nfilters[k] = count;
        if (nbase)
            memcpy(f, base, nbase * sizeof *f);
        f += nbase;
        for (uint32_t j = 0; j < k; j++)
            *f++ = (sluice_filter){col, SLUICE_FILTER_GT, group + j, 1, &rc->values[j]};
        if (k < n)
            *f++ = (sluice_filter){col, SLUICE_FILTER_LE, group + k, 1, &rc->values[k]};
        if (k == 0) /* a NULL satisfies no comparison: the first segment takes it */
            *f++ = (sluice_filter){col, SLUICE_FILTER_NULL, group, 0, NULL};
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
    memset(rc, 0, sizeof *rc);
}
