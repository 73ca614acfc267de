#include "chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "report.h"
#include "rowfn.h"

sluice_status chain_open(transform_chain *c, const mapping *m,
                         size_t (*format_position)(const sluice_position *, char *, size_t),
                         loaded_plugin *const *plugins, void *const *configs, size_t n,
                         const instance_env *env, sluice_error *err)
{
    memset(c, 0, sizeof *c);
    c->meta.format_position = format_position;
    if (m && (m->nrules || m->types)) {
        c->mapping = m;
        if (!(c->planned = catalog_new()))
            return error_set(err, SLUICE_FATAL, "out of memory");
        if (rowfn_open(&c->rowfn, m, err) != SLUICE_OK)
            return err->status;
    }
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
    for (uint32_t i = 0; c->rows && i < c->nids; i++)
        rowfn_unbind(c->rows[i]);
    free(c->rows);
    rowfn_close(c->rowfn);
    for (uint32_t i = 0; c->plans && i < c->nids; i++)
        table_plan_free(c->plans[i]);
    free(c->plans);
    free(c->by_id);
    free(c->source_of);
    catalog_free(c->outputs);
    catalog_free(c->planned);
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
    table_plan **p = realloc(c->plans, n * sizeof *p);
    if (p)
        c->plans = p;
    struct rowfn_table **rows = c->rowfn ? realloc(c->rows, n * sizeof *rows) : NULL;
    if (rows) {
        c->rows = rows;
        memset(c->rows + c->nids, 0, (n - c->nids) * sizeof *rows);
    }
    if (!a || !b || !p || (c->rowfn && !rows))
        return -1;
    memset(c->by_id + c->nids, 0, (n - c->nids) * sizeof *a);
    memset(c->source_of + c->nids, 0, (n - c->nids) * sizeof *b);
    memset(c->plans + c->nids, 0, (n - c->nids) * sizeof *p);
    c->nids = n;
    return 0;
}

static void table_where(const sluice_table *t, char *where, size_t size)
{
    snprintf(where, size, "table \"%.*s.%.*s\"", (int)t->schema.len, t->schema.ptr,
             (int)t->name.len, t->name.ptr);
}

sluice_status chain_table(transform_chain *c, const sluice_table *source,
                          const sluice_table **out, sluice_error *err)
{
    if (c->nsteps == 0 && !c->mapping) {
        *out = source;
        return SLUICE_OK;
    }
    if (ensure_ids(c, source->id) != 0)
        return error_set(err, SLUICE_FATAL, "out of memory");
    if (c->source_of[source->id] == source) {
        *out = c->by_id[source->id];
        return SLUICE_OK;
    }
    const sluice_table *mapped = source;
    if (c->mapping) { /* a new table, or a new version of it (schema change): plan again */
        table_plan *p;
        if (table_plan_build(c->mapping, c->planned, source, &p, err) != 0)
            return SLUICE_FATAL;
        table_plan_free(c->plans[source->id]);
        c->plans[source->id] = p;
        mapped = p->target;
        if (c->rowfn) { /* the factories run again for the new version */
            rowfn_unbind(c->rows[source->id]);
            c->rows[source->id] = NULL;
            if (rowfn_bind(c->rowfn, p, &c->rows[source->id], err) != SLUICE_OK)
                return err->status;
        }
    }
    if (c->nsteps) {
        sluice_table *t = catalog_copy_table(c->outputs, mapped);
        if (!t)
            return error_set(err, SLUICE_FATAL, "out of memory");
        char where[300];
        table_where(source, where, sizeof where);
        for (size_t i = 0; i < c->nsteps; i++) {
            plugin_instance *step = &c->steps[i];
            sluice_status st =
                INVOKE(step, transform, map_schema, where, err, step->handle, t, err);
            if (st != SLUICE_OK)
                return st;
        }
        mapped = t;
    }
    c->by_id[source->id] = mapped;
    c->source_of[source->id] = source;
    *out = mapped;
    return SLUICE_OK;
}

const table_plan *chain_plan(const transform_chain *c, const sluice_table *source)
{
    return c->mapping && source->id < c->nids ? c->plans[source->id] : NULL;
}

/* Runs the plans: filters, projections, added columns; events then name the
   plans' target tables. */
static sluice_status run_plans(transform_chain *c, sluice_batch *b, sluice_error *err)
{
    c->meta.snapshot = b->kind == SLUICE_BATCH_SNAPSHOT;
    c->meta.filtered = (b->flags & SLUICE_BATCH_FILTERED) != 0;
    error_init(err);
    c->meta.error = err; /* a value a type rule refuses fails the table (SLUICE_ERROR) */
    /* row functions run over runs of events of one table, entering Lua once a run */
    struct rowfn_table *run = NULL;
    uint32_t run_from = 0;
    for (uint32_t i = 0; i < b->nevents; i++) {
        sluice_event *e = sluice_batch_event(b, i);
        if (e->op == SLUICE_OP_BEGIN) { /* a transaction may span batches: keep it here */
            c->meta.xid = e->xid;
            c->meta.commit_time_us = e->commit_time_us;
            c->meta.position = NULL;
            continue;
        }
        if (!e->table || e->op == SLUICE_OP_SKIP)
            continue;
        uint32_t id = e->table->id;
        if (plan_event(c->plans[id], b, e, &c->meta) != 0)
            return err->status == SLUICE_ERROR ? SLUICE_ERROR
                                               : error_set(err, SLUICE_FATAL, "out of memory");
        struct rowfn_table *rows = c->rows ? c->rows[id] : NULL;
        if (rows && rows != run) {
            if (run && rowfn_events(run, b, run_from, i, c->meta.snapshot, err) != SLUICE_OK)
                return err->status;
            run = rows;
            run_from = i;
        }
    }
    if (run && rowfn_events(run, b, run_from, b->nevents, c->meta.snapshot, err) != SLUICE_OK)
        return err->status;
    if (b->table)
        b->table = c->plans[b->table->id]->target;
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
    if (c->nsteps == 0 && !c->mapping)
        return SLUICE_OK;
    /* the plan and map_schema come before the table's first row */
    sluice_status st = resolve_tables(c, b, err);
    if (st == SLUICE_OK && c->mapping)
        st = run_plans(c, b, err);
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
