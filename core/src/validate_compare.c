/*
 * Two key-sorted row sets of one chunk merged like a merge join: a key on one
 * side only is missing or extra at the target, a key on both with a column
 * whose comparable text differs is a row that differs, with those columns.
 */
#include "validate.h"

#include <stdlib.h>
#include <string.h>

static char *dup_value(const char *p, uint32_t n)
{
    return p ? strndup(p, n) : strdup("NULL"); /* a key is never NULL; a guard only */
}

static void vdiff_free(const vtable *t, vdiff *d)
{
    for (uint32_t k = 0; d->key && k < t->nkeys; k++)
        free(d->key[k]);
    free(d->key);
    free(d->columns);
    memset(d, 0, sizeof *d);
}

/* Adds one differing key to t (the caller holds t->lock). */
static int add_diff(vtable *t, const vrow *row, diff_kind kind, const uint32_t *cols,
                    uint32_t ncols)
{
    if (t->ndiffs >= VALIDATE_DIFF_LIMIT) {
        t->diffs_truncated = 1;
        return 0;
    }
    if (t->ndiffs == t->diffs_cap) {
        uint32_t cap = t->diffs_cap ? t->diffs_cap * 2 : 16;
        vdiff *more = realloc(t->diffs, cap * sizeof *more);
        if (!more)
            return -1;
        t->diffs = more;
        t->diffs_cap = cap;
    }
    vdiff *d = &t->diffs[t->ndiffs];
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->key = calloc(t->nkeys, sizeof *d->key);
    int ok = d->key != NULL;
    for (uint32_t k = 0; ok && k < t->nkeys; k++)
        ok = (d->key[k] = dup_value(row->values[t->tkeys[k]], row->lens[t->tkeys[k]])) != NULL;
    if (ok && ncols && (ok = (d->columns = malloc(ncols * sizeof *d->columns)) != NULL)) {
        memcpy(d->columns, cols, ncols * sizeof *cols);
        d->ncolumns = ncols;
    }
    if (!ok) {
        vdiff_free(t, d);
        return -1;
    }
    t->ndiffs++;
    return 0;
}

static int same_value(const vrow *a, const vrow *b, uint32_t c)
{
    if (!a->values[c] || !b->values[c])
        return !a->values[c] && !b->values[c];
    return a->lens[c] == b->lens[c] && memcmp(a->values[c], b->values[c], a->lens[c]) == 0;
}

void vcompare(vtable *t, const sluice_table *target, const vrows *src, const vrows *tgt)
{
    uint32_t *cols = malloc((target->ncolumns + 1) * sizeof *cols);
    uint32_t i = 0, j = 0;
    pthread_mutex_lock(&t->lock);
    int oom = !cols;
    while (!oom && (i < src->n || j < tgt->n)) {
        int c = i == src->n ? 1 : j == tgt->n ? -1 : vrow_key_cmp(t, &src->rows[i], &tgt->rows[j]);
        if (c < 0) {
            oom = add_diff(t, &src->rows[i++], DIFF_MISSING, NULL, 0) != 0;
        } else if (c > 0) {
            oom = add_diff(t, &tgt->rows[j++], DIFF_EXTRA, NULL, 0) != 0;
        } else {
            uint32_t n = 0;
            for (uint32_t col = 0; col < target->ncolumns; col++)
                if (!same_value(&src->rows[i], &tgt->rows[j], col))
                    cols[n++] = col;
            if (n)
                oom = add_diff(t, &src->rows[i], DIFF_VALUES, cols, n) != 0;
            i++;
            j++;
        }
    }
    if (oom && t->state != VT_ERROR) {
        t->state = VT_ERROR;
        error_set(&t->error, SLUICE_FATAL, "out of memory while comparing rows");
    }
    pthread_mutex_unlock(&t->lock);
    free(cols);
}

void vdiffs_free(vtable *t)
{
    for (uint32_t i = 0; i < t->ndiffs; i++)
        vdiff_free(t, &t->diffs[i]);
    free(t->diffs);
    t->diffs = NULL;
    t->ndiffs = t->diffs_cap = 0;
}
