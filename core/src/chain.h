/*
 * What one consumer thread does between source and sink: the pipeline's
 * mapping plans (mapping_plan.h: selection filters, renames, projections,
 * added columns), then its transform plugins in pipeline order, with the
 * output schema each source table has after them. With neither, the output
 * table is the source table itself and chain_map does nothing.
 */
#ifndef SLUICE_CHAIN_H
#define SLUICE_CHAIN_H

#include "endpoint.h"
#include "mapping.h"
#include "mapping_plan.h"
#include "plan_exec.h"

typedef struct transform_chain {
    const mapping *mapping;       /* NULL: no mapping rules */
    table_plan **plans;           /* by source table id */
    sluice_catalog *planned;      /* the plans' output tables */
    plan_meta meta;               /* the open source transaction, for added columns */
    plugin_instance *steps;
    size_t nsteps;
    sluice_catalog *outputs;      /* copies of the tables the transforms rewrote */
    const sluice_table **by_id;   /* output table for a source table id */
    const sluice_table **source_of; /* the source table version each output was made from */
    uint32_t nids;
    struct rowfn_state *rowfn;    /* per-row Lua functions: this chain's Lua state (rowfn.h) */
    struct rowfn_table **rows;    /* by source table id: its bound row functions, or NULL */
} transform_chain;

/* format_position prints positions for $AR_H_STREAM_POSITION (the source's own). */
sluice_status chain_open(transform_chain *c, const mapping *m,
                         size_t (*format_position)(const sluice_position *, char *, size_t),
                         loaded_plugin *const *plugins, void *const *configs, size_t n,
                         const instance_env *env, sluice_error *err);
void chain_close(transform_chain *c);
/* The output table for a source table (version), planned and mapped on first use. */
sluice_status chain_table(transform_chain *c, const sluice_table *source,
                          const sluice_table **out, sluice_error *err);
/* The plan of a source table (NULL without mapping rules); chain_table first. */
const table_plan *chain_plan(const transform_chain *c, const sluice_table *source);
/* Runs the plans, then map_batch through every step, then points events at the
   output tables. */
sluice_status chain_map(transform_chain *c, sluice_batch *b, sluice_error *err);

#endif
