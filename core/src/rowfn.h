/*
 * Per-row Lua functions (mapping rule "row-function", docs/mappings.md):
 * what the declarative rules cannot say. Each consumer thread (one
 * transform_chain) owns a Lua state of its own, in which the pipeline file
 * runs again, so every rule's fn exists there: Lua functions cannot move
 * between states. A rule's fn is a factory, called once per table version with
 * a table handle (column names to indexes); the function it returns runs on
 * every inserted or updated row, on the target row after the declarative plan,
 * with one reused row handle (rowfn_row.c). Errors name script, line, table
 * and rule; each call has a time budget (the watchdog, lua_watchdog.h), the
 * state a memory cap.
 */
#ifndef SLUICE_ROWFN_H
#define SLUICE_ROWFN_H

#include "mapping.h"
#include "mapping_plan.h"

typedef struct rowfn_state rowfn_state; /* one chain's Lua state */
typedef struct rowfn_table rowfn_table; /* one table version's row functions */

/* *out is NULL when the mapping has no row function. */
sluice_status rowfn_open(rowfn_state **out, const mapping *m, sluice_error *err);
void rowfn_close(rowfn_state *s);

/* Calls the factories of the rules matching the plan's source table; *out is
   NULL when none matches or every factory returned nil. */
sluice_status rowfn_bind(rowfn_state *s, const table_plan *p, rowfn_table **out,
                         sluice_error *err);
void rowfn_unbind(rowfn_table *t);

/* Runs the functions on the new rows of the inserts and updates among events
   [from, to) of b that the plan has projected to t's target table, in one
   protected call; a dropped row becomes SLUICE_OP_SKIP. Other events pass. */
sluice_status rowfn_events(rowfn_table *t, sluice_batch *b, uint32_t from, uint32_t to,
                           int snapshot, sluice_error *err);

#endif
