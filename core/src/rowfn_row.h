/* The handles row functions see (rowfn_row.c): the row, and the table. */
#ifndef SLUICE_ROWFN_ROW_H
#define SLUICE_ROWFN_ROW_H

#include <lua.h>
#include <sluice/sluice.h>

/* The one row handle of a state, rebound to each row (nothing is allocated per row). */
typedef struct rowfn_row {
    sluice_batch *batch;       /* set() copies values into its arena */
    sluice_value *values;      /* the target row; NULL between calls */
    const sluice_table *table; /* the target table */
    const char *op;            /* "INSERT", "UPDATE" or "LOAD" */
    int dropped;               /* row:drop() was called */
    uint64_t got, set;         /* columns (bit c, c < 64) get / set touched: prefetch hints */
    const void *handle;        /* the Lua table methods must be called on */
} rowfn_row;

#define ROWFN_BIT(c) ((c) < 64 ? (uint64_t)1 << (c) : 0)

/* Pushes a new row handle (a table) and returns its C side. Raises on out of
   memory (call under pcall). */
rowfn_row *rowfn_row_new(lua_State *L);

/* Pushes the table handle a factory receives: { schema, name (source),
   target_schema, target_name, columns = { target names }, column = f }. */
void rowfn_push_table(lua_State *L, const sluice_table *source, const sluice_table *target);

#endif
