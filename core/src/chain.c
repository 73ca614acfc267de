#include "chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sluice_status chain_open(transform_chain *c, loaded_plugin *const *plugins,
                         void *const *configs, size_t n, const instance_env *env,
                         sluice_error *err)
{
    memset(c, 0, sizeof *c);
    if (n == 0)
        return SLUICE_OK;
    c->steps = calloc(n, sizeof *c->steps);
    c->outputs = catalog_new();
    if (!c->steps || !c->outputs)
        return error_set(err, SLUICE_FATAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        sluice_status st = instance_open(&c->steps[i], plugins[i], configs[i], env, err);
        if (st != SLUICE_OK)
            return st;
        c->nsteps++;
    }
    return SLUICE_OK;
}

void chain_close(transform_chain *c)
{
    for (size_t i = 0; i < c->nsteps; i++)
        instance_close(&c->steps[i]);
    free(c->steps);
    free(c->by_id);
    free(c->source_of);
    catalog_free(c->outputs);
    memset(c, 0, sizeof *c);
}

static int ensure_ids(transform_chain *c, uint32_t id)
{
    if (id < c->nids)
        return 0;
    uint32_t n = id + 16;
    const sluice_table **a = realloc(c->by_id, n * sizeof *a);
    if (a)
        c->by_id = a;
    const sluice_table **b = realloc(c->source_of, n * sizeof *b);
    if (b)
        c->source_of = b;
    if (!a || !b)
        return -1;
    memset(c->by_id + c->nids, 0, (n - c->nids) * sizeof *a);
    memset(c->source_of + c->nids, 0, (n - c->nids) * sizeof *b);
    c->nids = n;
    return 0;
}

sluice_status chain_table(transform_chain *c, const sluice_table *source,
                          const sluice_table **out, sluice_error *err)
{
    if (c->nsteps == 0) {
        *out = source;
        return SLUICE_OK;
    }
    if (ensure_ids(c, source->id) != 0)
        return error_set(err, SLUICE_FATAL, "out of memory");
    if (c->source_of[source->id] == source) {
        *out = c->by_id[source->id];
        return SLUICE_OK;
    }
    sluice_table *t = catalog_copy_table(c->outputs, source);
    if (!t)
        return error_set(err, SLUICE_FATAL, "out of memory");
    char where[300];
    snprintf(where, sizeof where, "table \"%.*s.%.*s\"", (int)source->schema.len,
             source->schema.ptr, (int)source->name.len, source->name.ptr);
    for (size_t i = 0; i < c->nsteps; i++) {
        plugin_instance *step = &c->steps[i];
        sluice_status st = INVOKE(step, transform, map_schema, where, err, step->handle, t, err);
        if (st != SLUICE_OK)
            return st;
    }
    c->by_id[source->id] = t;
    c->source_of[source->id] = source;
    *out = t;
    return SLUICE_OK;
}

/* Resolves (and on first sight maps) every table the batch names. */
static sluice_status resolve_tables(transform_chain *c, sluice_batch *b, sluice_error *err)
{
    const sluice_table *out;
    for (uint32_t i = 0; i < b->nevents; i++) {
        sluice_event *e = sluice_batch_event(b, i);
        if (e->table && chain_table(c, e->table, &out, err) != SLUICE_OK)
            return err->status;
    }
    if (b->table && chain_table(c, b->table, &out, err) != SLUICE_OK)
        return err->status;
    return SLUICE_OK;
}

sluice_status chain_map(transform_chain *c, sluice_batch *b, sluice_error *err)
{
    if (c->nsteps == 0)
        return SLUICE_OK;
    /* map_schema runs before the table's first map_batch */
    sluice_status st = resolve_tables(c, b, err);
    for (size_t i = 0; st == SLUICE_OK && i < c->nsteps; i++) {
        plugin_instance *step = &c->steps[i];
        st = INVOKE(step, transform, map_batch, NULL, err, step->handle, b, err);
    }
    if (st != SLUICE_OK)
        return st;
    for (uint32_t i = 0; i < b->nevents; i++) {
        sluice_event *e = sluice_batch_event(b, i);
        if (e->table)
            e->table = c->by_id[e->table->id];
    }
    if (b->table)
        b->table = c->by_id[b->table->id];
    return SLUICE_OK;
}
