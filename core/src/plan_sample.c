/* Sample rows for `sluice plan` (plan_sample.h). */
#include "plan_sample.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plan_sample_free(plan_sample *s)
{
    for (size_t i = 0; s->values && i < (size_t)s->nrows * s->ncolumns; i++)
        free(s->values[i]);
    free(s->values);
    free(s->lens);
    free(s->refused);
    memset(s, 0, sizeof *s);
}

/* Copies one value out of the batch (which is reused); 0, or -1 when out of memory. */
static int keep_value(const sluice_value *v, char **out, uint32_t *len)
{
    char num[32];
    const char *bytes = NULL;
    size_t n = 0;
    if (v->kind == SLUICE_VALUE_TEXT) {
        bytes = v->u.bytes;
        n = v->len;
    } else if (v->kind == SLUICE_VALUE_INT) {
        n = (size_t)snprintf(num, sizeof num, "%" PRId64, v->u.i);
        bytes = num;
    } else {
        return 0; /* NULL; the chunk asks for no native form, and snapshots send every value */
    }
    if (!(*out = malloc(n + 1)))
        return -1;
    memcpy(*out, bytes, n);
    (*out)[n] = '\0';
    *len = (uint32_t)n;
    return 0;
}

/* The rows of a mapped batch the filters kept, until the sample is full. */
static int keep_rows(plan_sample *s, const sluice_batch *b, uint32_t want)
{
    for (uint32_t i = 0; i < b->nevents && s->nrows < want; i++) {
        const sluice_event *e = sluice_batch_event(b, i);
        if (e->op != SLUICE_OP_INSERT || !e->new_row)
            continue; /* SKIP: a filter or a transform dropped it */
        size_t base = (size_t)s->nrows * s->ncolumns;
        for (uint32_t c = 0; c < s->ncolumns; c++)
            if (keep_value(&e->new_row[c], &s->values[base + c], &s->lens[base + c]) != 0)
                return -1;
        s->nrows++;
    }
    return 0;
}

int plan_sample_read(runner *r, transform_chain *chain, const sluice_table *source,
                     const sluice_table *out, uint32_t want, plan_sample *s, sluice_error *err)
{
    memset(s, 0, sizeof *s);
    s->ncolumns = out->ncolumns;
    s->values = calloc((size_t)want * out->ncolumns + 1, sizeof *s->values);
    s->lens = calloc((size_t)want * out->ncolumns + 1, sizeof *s->lens);
    /* one row a batch: a row the mapping refuses fails its whole batch, and the rows
       before it are worth showing; a sample is small, so the calls cost nothing */
    sluice_batch *b = batch_new(SLUICE_BATCH_SNAPSHOT, 1, (size_t)r->set.batch_bytes);
    if (!s->values || !s->lens || !b) {
        batch_free(b);
        error_set(err, SLUICE_FATAL, "out of memory");
        return EXIT_INTERNAL;
    }
    /* An instance of its own: a source may finish an abandoned read when it moves
       on to another table (source-pg drains its COPY); closing drops it instead. */
    plugin_instance src;
    if (instance_open(&src, r->source, r->source_config, &r->env, err) != SLUICE_OK) {
        batch_free(b);
        return EXIT_SOURCE;
    }
    const table_plan *plan = chain_plan(chain, source);
    sluice_chunk chunk = {.header = SLUICE_HEADER_INIT(sluice_chunk),
                          .table = source,
                          .index = 0,
                          .count = 1,
                          .bounds = {"", 0},
                          .native_format = SLUICE_NATIVE_NONE, /* values as canonical text */
                          .nfilters = plan ? plan->nfilters : 0,
                          .filter_size = sizeof(sluice_filter),
                          .filters = plan ? plan->filters : NULL};
    char where[300];
    snprintf(where, sizeof where, "table \"%.*s.%.*s\"", (int)source->schema.len,
             source->schema.ptr, (int)source->name.len, source->name.ptr);
    int rc = 0;
    while (s->nrows < want && !atomic_load(&r->stop)) {
        batch_reset(b);
        b->kind = SLUICE_BATCH_SNAPSHOT;
        b->table = source;
        sluice_status st = INVOKE(&src, source, read_chunk, where, err, src.handle, &chunk, b,
                                  err);
        if (st == SLUICE_AGAIN)
            continue;
        if (st != SLUICE_OK) {
            rc = EXIT_SOURCE;
            break;
        }
        int last = (b->flags & SLUICE_BATCH_LAST) != 0;
        st = chain_map(chain, b, err);
        if (st == SLUICE_ERROR) { /* a row the run would fail the table for: show why */
            if (!(s->refused = strdup(err->message)))
                rc = EXIT_INTERNAL;
            break;
        }
        if (st != SLUICE_OK) {
            rc = EXIT_TRANSFORM;
            break;
        }
        if (keep_rows(s, b, want) != 0) {
            error_set(err, SLUICE_FATAL, "out of memory");
            rc = EXIT_INTERNAL;
            break;
        }
        if (last)
            break;
    }
    batch_free(b);
    instance_close(&src);
    return rc;
}
