/*
 * Key-range chunks for `sluice validate`. The source cuts a table by its key
 * (validate_bounds, ABI 1.6); chunk i is then the rows whose key is at least
 * boundary i-1 and below boundary i, said as chunk filters (ABI 1.3; a key of
 * several columns as 1.4 row comparisons) on each side's own columns, so each
 * side reads only that range through its key index. A side that orders keys
 * differently (a text key under another collation) may put a row in another
 * chunk than the other side does; the rechecks read such keys one by one, so
 * that costs time, not a false mismatch.
 */
#include "validate.h"

#include <stdlib.h>
#include <string.h>

/* The target column that carries source column scol, or -1. */
static int32_t carrier(const runner *r, const vtable *t, uint32_t scol)
{
    if (!t->plan) /* no mapping rules: the output table is the source table's shape */
        return r->ntransforms == 0 || t->target->ncolumns == t->source->ncolumns
                   ? (int32_t)scol : -1;
    for (uint32_t c = 0; c < t->plan->target->ncolumns; c++)
        if (t->plan->sources[c] == (int32_t)scol && !t->plan->columns[c].added)
            return (int32_t)c;
    return -1;
}

static int no_key(const vtable *t, const char *why, const char *hint, sluice_error *err)
{
    error_set(err, SLUICE_ERROR, "cannot validate table \"%.*s.%.*s\": %s",
              (int)t->source->schema.len, t->source->schema.ptr, (int)t->source->name.len,
              t->source->name.ptr, why);
    error_hint(err, "%s", hint);
    return -1;
}

int vtable_prepare(validation *v, vtable *t, sluice_error *err)
{
    runner *r = v->r;
    uint32_t n = 0;
    for (uint32_t c = 0; c < t->source->ncolumns; c++)
        n += (sluice_table_column(t->source, c)->flags & SLUICE_COLUMN_KEY) != 0;
    if (n == 0)
        return no_key(t, "it has no primary key",
                      "validate finds rows by their key; give the table a primary key at the "
                      "source (or leave it out with --table).",
                      err);
    t->skeys = calloc(n, sizeof *t->skeys);
    t->tkeys = calloc(n, sizeof *t->tkeys);
    if (!t->skeys || !t->tkeys) {
        error_set(err, SLUICE_FATAL, "out of memory");
        return -1;
    }
    for (uint32_t c = 0; c < t->source->ncolumns; c++) {
        const sluice_column *col = sluice_table_column(t->source, c);
        if (!(col->flags & SLUICE_COLUMN_KEY))
            continue;
        int32_t tc = carrier(r, t, c);
        if (tc < 0) {
            char why[300];
            snprintf(why, sizeof why, "the mapping does not carry its key column \"%.*s\" to "
                     "the target", (int)col->name.len, col->name.ptr);
            return no_key(t, why, "Keep the key columns in the mapping, or leave the table out "
                          "with --table.", err);
        }
        t->skeys[t->nkeys] = c;
        t->tkeys[t->nkeys++] = (uint32_t)tc;
    }
    t->in_database = r->ntransforms == 0 &&
                     (!t->plan || (t->plan->passthrough && t->plan->values_untouched)) &&
                     SLUICE_HAS(&r->source->vt.source, sluice_source_vtable, validate_hash) &&
                     SLUICE_HAS(&r->sink->vt.sink, sluice_sink_vtable, validate_hash);
    report_log(SLUICE_LOG_DEBUG, "validate: table \"%.*s.%.*s\": chunks %s", (int)t->source->schema.len,
               t->source->schema.ptr, (int)t->source->name.len, t->source->name.ptr,
               t->in_database ? "hashed in the databases first" : "compared row by row");
    t->nchunks = 1;
    if (SLUICE_HAS(&r->source->vt.source, sluice_source_vtable, validate_bounds)) {
        char where[300];
        snprintf(where, sizeof where, "table \"%.*s.%.*s\"", (int)t->source->schema.len,
                 t->source->schema.ptr, (int)t->source->name.len, t->source->name.ptr);
        if (INVOKE(&r->main_source, source, validate_bounds, where, err, r->main_source.handle,
                   t->source, v->opt->chunk_rows, &t->bounds, err) != SLUICE_OK)
            return -1;
        if (t->bounds.count > 0 && t->bounds.nkeys != t->nkeys) {
            error_set(err, SLUICE_ERROR, "the source gave chunk boundaries of %u columns for "
                      "table \"%.*s.%.*s\", whose key has %u", t->bounds.nkeys,
                      (int)t->source->schema.len, t->source->schema.ptr,
                      (int)t->source->name.len, t->source->name.ptr, t->nkeys);
            return -1;
        }
        t->nchunks = t->bounds.count + 1;
    }
    return 0;
}

/* Adds `key op values` on the side's key columns: one column as a plain comparison
   (which every source pushes into its query), several as a row comparison. */
static void key_filter(sluice_filter *f, const vtable *t, int target_side, sluice_filter_op op,
                       uint32_t group, const sluice_str *values)
{
    const uint32_t *cols = target_side ? t->tkeys : t->skeys;
    memset(f, 0, sizeof *f);
    f->column = cols[0];
    f->group = group;
    f->values = values;
    f->nvalues = t->nkeys;
    if (t->nkeys == 1) {
        f->op = op == SLUICE_FILTER_ROW_GE ? SLUICE_FILTER_GE
                : op == SLUICE_FILTER_ROW_LT ? SLUICE_FILTER_LT
                : op == SLUICE_FILTER_ROW_LE ? SLUICE_FILTER_LE : op;
    } else {
        f->op = op;
        f->ncolumns = t->nkeys;
        f->columns = cols;
    }
}

/* The chunk's header and the plan's filters (source side), with room for `extra` more. */
static sluice_filter *chunk_start(const vtable *t, int target_side, const sluice_table *table,
                                  uint32_t extra, arena *a, sluice_chunk *chunk, uint32_t *group)
{
    uint32_t nbase = !target_side && t->plan ? t->plan->nfilters : 0;
    sluice_filter *f = arena_alloc(a, (nbase + extra + 1) * sizeof *f);
    if (!f)
        return NULL;
    *group = 0;
    for (uint32_t i = 0; i < nbase; i++) {
        f[i] = t->plan->filters[i];
        if (f[i].group >= *group)
            *group = f[i].group + 1;
    }
    *chunk = (sluice_chunk){.header = SLUICE_HEADER_INIT(sluice_chunk),
                            .table = target_side ? table : t->source,
                            .index = 0,
                            .count = 1,
                            .bounds = {"", 0},
                            .native_format = SLUICE_NATIVE_NONE, /* canonical text */
                            .nfilters = nbase,
                            .filter_size = sizeof(sluice_filter),
                            .filters = f};
    return f + nbase;
}

int vchunk_build(const vtable *t, uint32_t index, int target_side, const sluice_table *table,
                 arena *a, sluice_chunk *chunk)
{
    uint32_t group;
    sluice_filter *f = chunk_start(t, target_side, table, 2, a, chunk, &group);
    if (!f)
        return -1;
    uint32_t nk = t->bounds.nkeys;
    if (index > 0) {
        key_filter(f++, t, target_side, SLUICE_FILTER_ROW_GE, group++,
                   &t->bounds.values[(size_t)(index - 1) * nk]);
        chunk->nfilters++;
    }
    if (index + 1 < t->nchunks) {
        key_filter(f, t, target_side, SLUICE_FILTER_ROW_LT, group,
                   &t->bounds.values[(size_t)index * nk]);
        chunk->nfilters++;
    }
    chunk->index = index;
    chunk->count = t->nchunks;
    return 0;
}

int vchunk_keys(const vtable *t, char *const *const *keys, uint32_t n, int target_side,
                const sluice_table *table, arena *a, sluice_chunk *chunk)
{
    uint32_t group;
    uint32_t extra = t->nkeys == 1 ? 1 : 2;
    sluice_filter *f = chunk_start(t, target_side, table, extra, a, chunk, &group);
    if (!f)
        return -1;
    if (t->nkeys == 1) { /* key IN (k1, k2, ...) */
        sluice_str *values = arena_alloc(a, (n + 1) * sizeof *values);
        if (!values)
            return -1;
        for (uint32_t i = 0; i < n; i++)
            values[i] = (sluice_str){keys[i][0], strlen(keys[i][0])};
        memset(f, 0, sizeof *f);
        f->column = (target_side ? t->tkeys : t->skeys)[0];
        f->op = SLUICE_FILTER_IN;
        f->group = group;
        f->nvalues = n;
        f->values = values;
        chunk->nfilters++;
        return 0;
    }
    if (n != 1) /* a key of several columns: (k) >= v AND (k) <= v, one key a chunk */
        return -1;
    sluice_str *values = arena_alloc(a, t->nkeys * sizeof *values);
    if (!values)
        return -1;
    for (uint32_t i = 0; i < t->nkeys; i++)
        values[i] = (sluice_str){keys[0][i], strlen(keys[0][i])};
    key_filter(&f[0], t, target_side, SLUICE_FILTER_ROW_GE, group, values);
    key_filter(&f[1], t, target_side, SLUICE_FILTER_ROW_LE, group + 1, values);
    chunk->nfilters += 2;
    return 0;
}
