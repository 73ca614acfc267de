/*
 * The transforms of one consumer thread, in pipeline order, with the output
 * schema each source table has after them. With no transforms the output
 * table is the source table itself and map_batch does nothing.
 */
#ifndef SLUICE_CHAIN_H
#define SLUICE_CHAIN_H

#include "endpoint.h"

typedef struct transform_chain {
    plugin_instance *steps;
    size_t nsteps;
    sluice_catalog *outputs;      /* copies of the tables the transforms rewrote */
    const sluice_table **by_id;   /* output table for a source table id */
    const sluice_table **source_of; /* the source table version each output was made from */
    uint32_t nids;
} transform_chain;

sluice_status chain_open(transform_chain *c, loaded_plugin *const *plugins,
                         void *const *configs, size_t n, const instance_env *env,
                         sluice_error *err);
void chain_close(transform_chain *c);
/* The output table for a source table (version), made with map_schema on first use. */
sluice_status chain_table(transform_chain *c, const sluice_table *source,
                          const sluice_table **out, sluice_error *err);
/* Runs map_batch through every step, then points events at the output tables. */
sluice_status chain_map(transform_chain *c, sluice_batch *b, sluice_error *err);

#endif
