/*
 * Index DDL for the target (ABI 1.2 secondary indexes), pure text work with
 * no server, unit-tested in tests/pg/p2p: a PostgreSQL source's definition
 * (pg_get_indexdef) moved onto the target table, or a plain index built from
 * its key columns.
 */
#ifndef SINKPG_INDEXDEF_H
#define SINKPG_INDEXDEF_H

#include <sluice/types.h>

#include "sbuf.h"

/*
 * pg_get_indexdef()'s text, taken apart:
 *   CREATE [UNIQUE ]INDEX name ON [ONLY ]schema.table USING rest
 * Identifiers are as written (quoted or bare); rest is the access method and
 * everything after it (keys, INCLUDE, WITH, WHERE). Returns 0, or -1 when the
 * text does not have that shape (another source's DDL).
 */
typedef struct indexdef {
    int unique;
    sluice_str name, schema, table; /* raw tokens */
    sluice_str rest;
} indexdef;

int indexdef_parse(sluice_str def, indexdef *out);

/* True when a raw identifier token (quoted or bare) names exactly `name`. */
int indexdef_ident_is(sluice_str token, sluice_str name);

/* "CREATE [UNIQUE ]INDEX "name" ON qtable USING rest": the definition on another table. */
int indexdef_rewrite(sbuf *out, const indexdef *d, sluice_str name, const char *qtable);

/*
 * "CREATE [UNIQUE ]INDEX "name" ON qtable [USING method] ("c1", ...)" from the key
 * columns. The method is kept when it is one of PostgreSQL's built-in access methods
 * (any case); returns -1 (nothing written) for another one, or for an empty key column.
 */
int indexdef_from_columns(sbuf *out, const sluice_index *ix, const char *qtable);

#endif
