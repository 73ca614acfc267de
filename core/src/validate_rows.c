/*
 * A chunk's rows from either side, as `sluice validate` compares them: the
 * source's through the mapping chain (so after the type rules, in the target
 * table's columns), the target's through the sink's validate_read; each value
 * in its comparable form (validate_canon.c), the rows sorted by key in the
 * core, so neither side's collation decides the order the merge sees.
 */
#define _GNU_SOURCE
#include "validate.h"

#include "filter_eval.h"

#include <stdlib.h>
#include <string.h>

void vrows_init(vrows *s)
{
    memset(s, 0, sizeof *s);
    arena_init(&s->mem, 256 * 1024);
}

void vrows_free(vrows *s)
{
    arena_free(&s->mem);
    free(s->rows);
    memset(s, 0, sizeof *s);
}

static int numeric_type(uint32_t type)
{
    return type == SLUICE_TYPE_INT16 || type == SLUICE_TYPE_INT32 || type == SLUICE_TYPE_INT64 ||
           type == SLUICE_TYPE_UINT64 || type == SLUICE_TYPE_DECIMAL;
}

/* Two decimal texts as numbers (validate_canon.c's form: no '+', no leading zeros). */
static int numeric_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int na = an && a[0] == '-', nb = bn && b[0] == '-';
    if (na != nb)
        return na ? -1 : 1;
    size_t ia = strcspn(a, "."), ib = strcspn(b, ".");
    int c;
    if (ia != ib)
        c = ia < ib ? -1 : 1;
    else {
        c = memcmp(a, b, an < bn ? an : bn);
        if (c == 0 && an != bn)
            c = an < bn ? -1 : 1;
    }
    return na ? -c : c;
}

static int value_cmp(uint32_t type, const char *a, uint32_t an, const char *b, uint32_t bn)
{
    if (!a || !b)
        return a ? 1 : b ? -1 : 0;
    if (numeric_type(type))
        return numeric_cmp(a, an, b, bn);
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : an < bn ? -1 : an > bn;
}

int vrow_key_cmp(const vtable *t, const vrow *a, const vrow *b)
{
    for (uint32_t k = 0; k < t->nkeys; k++) {
        uint32_t c = t->tkeys[k];
        int r = value_cmp(sluice_table_column(t->target, c)->type, a->values[c], a->lens[c],
                          b->values[c], b->lens[c]);
        if (r)
            return r;
    }
    return 0;
}

static int sort_cmp(const void *a, const void *b, void *ctx)
{
    return vrow_key_cmp(ctx, a, b);
}

/* Copies the row's values, in their comparable form, into s. */
static int keep_row(vrows *s, const sluice_table *out, const sluice_value *row)
{
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 1024;
        vrow *more = realloc(s->rows, cap * sizeof *more);
        if (!more)
            return -1;
        s->rows = more;
        s->cap = cap;
    }
    vrow *r = &s->rows[s->n];
    r->values = arena_alloc(&s->mem, out->ncolumns * sizeof *r->values + 1);
    r->lens = arena_alloc(&s->mem, out->ncolumns * sizeof *r->lens + 1);
    if (!r->values || !r->lens)
        return -1;
    for (uint32_t c = 0; c < out->ncolumns; c++)
        r->values[c] = vcanon(&s->mem, sluice_table_column(out, c), &row[c], &r->lens[c]);
    s->n++;
    return 0;
}

static int keep_batch(vrows *s, const sluice_batch *b, const sluice_table *out, sluice_error *err)
{
    for (uint32_t i = 0; i < b->nevents; i++) {
        const sluice_event *e = sluice_batch_event(b, i);
        if (e->op != SLUICE_OP_INSERT || !e->new_row)
            continue; /* SKIP: a filter or a transform dropped it */
        if (keep_row(s, e->table ? e->table : out, e->new_row) != 0) {
            error_set(err, SLUICE_FATAL, "out of memory");
            return EXIT_INTERNAL;
        }
    }
    return 0;
}

static void chunk_where(const sluice_table *t, char *buf, size_t size)
{
    snprintf(buf, size, "table \"%.*s.%.*s\"", (int)t->schema.len, t->schema.ptr,
             (int)t->name.len, t->name.ptr);
}

/* On a batch the source did not filter (SLUICE_BATCH_FILTERED unset): rows outside
   the chunk's filters (its key range, the plan's) become SLUICE_OP_SKIP. */
static void drop_unfiltered(sluice_batch *b, const sluice_chunk *chunk)
{
    uint32_t n;
    const sluice_filter *f = sluice_chunk_filters(chunk, &n);
    for (uint32_t i = 0; n && i < b->nevents; i++) {
        sluice_event *e = sluice_batch_event(b, i);
        if (e->op == SLUICE_OP_INSERT && e->new_row &&
            !filter_row(f, n, chunk->table, e->new_row, 0))
            e->op = SLUICE_OP_SKIP;
    }
}

int vsource_batches(vworker *w, const vtable *t, const sluice_chunk *chunk,
                    int (*each)(sluice_batch *b, void *ctx, sluice_error *err), void *ctx,
                    sluice_error *err)
{
    const sluice_table *target;
    if (chain_table(&w->chain, t->source, &target, err) != SLUICE_OK)
        return EXIT_TRANSFORM;
    char where[300];
    chunk_where(t->source, where, sizeof where);
    sluice_batch *b = w->batch;
    for (;;) {
        if (atomic_load(&w->v->r->stop)) {
            error_set(err, SLUICE_ERROR, "validate was interrupted");
            return EXIT_TABLE_ERRORS;
        }
        batch_reset(b);
        b->kind = SLUICE_BATCH_SNAPSHOT;
        b->table = t->source;
        sluice_status st = INVOKE(&w->src, source, read_chunk, where, err, w->src.handle, chunk,
                                  b, err);
        if (st == SLUICE_AGAIN)
            continue;
        if (st != SLUICE_OK)
            return EXIT_SOURCE;
        int last = (b->flags & SLUICE_BATCH_LAST) != 0;
        if (!(b->flags & SLUICE_BATCH_FILTERED))
            drop_unfiltered(b, chunk);
        st = chain_map(&w->chain, b, err); /* the plan's filters too, unless the source did */
        if (st != SLUICE_OK)
            return EXIT_TRANSFORM;
        b->table = target;
        int rc = each(b, ctx, err);
        if (rc != 0 || last)
            return rc;
    }
}

static int keep_source_batch(sluice_batch *b, void *out, sluice_error *err)
{
    return keep_batch(out, b, b->table, err);
}

int vrows_read_source(vworker *w, const vtable *t, const sluice_chunk *chunk, vrows *out,
                      sluice_error *err)
{
    int rc = vsource_batches(w, t, chunk, keep_source_batch, out, err);
    if (rc != 0)
        return rc;
    if (out->n > 1)
        qsort_r(out->rows, out->n, sizeof *out->rows, sort_cmp, (void *)t);
    return 0;
}

int vrows_read_target(vworker *w, const vtable *t, const sluice_chunk *chunk, vrows *out,
                      sluice_error *err)
{
    runner *r = w->v->r;
    if (!SLUICE_HAS(&r->sink->vt.sink, sluice_sink_vtable, validate_read)) {
        error_set(err, SLUICE_FATAL, "sink \"%s\" cannot read rows back for validate",
                  r->sink->info.name);
        error_detail(err, "Its vtable has no validate_read (plugin ABI 1.6).");
        error_hint(err, "Use a sink that implements validate_read, such as sink-pg.");
        return EXIT_PLUGIN;
    }
    char where[300];
    chunk_where(chunk->table, where, sizeof where);
    sluice_batch *b = w->batch;
    for (;;) {
        if (atomic_load(&r->stop)) {
            error_set(err, SLUICE_ERROR, "validate was interrupted");
            return EXIT_TABLE_ERRORS;
        }
        batch_reset(b);
        b->kind = SLUICE_BATCH_SNAPSHOT;
        b->table = chunk->table;
        sluice_status st = INVOKE(&w->sink, sink, validate_read, where, err, w->sink.handle,
                                  chunk, b, err);
        if (st == SLUICE_AGAIN)
            continue;
        if (st != SLUICE_OK)
            return EXIT_TARGET;
        int rc = keep_batch(out, b, chunk->table, err);
        if (rc != 0)
            return rc;
        if (b->flags & SLUICE_BATCH_LAST)
            break;
    }
    if (out->n > 1)
        qsort_r(out->rows, out->n, sizeof *out->rows, sort_cmp, (void *)t);
    return 0;
}
