/*
 * Column types at the target. A column keeps the type the source names when
 * the target knows that name and it holds the column's canonical type (so a
 * PostgreSQL source's "numeric(18,2)", "text[]" or an existing enum come over
 * verbatim); otherwise the canonical type decides (MySQL "tinyint(1)" whose
 * canonical type is bool becomes boolean). ddl.c asks the server; the rules
 * here need none.
 */
#ifndef SINKPG_PGTYPES_H
#define SINKPG_PGTYPES_H

#include <sluice/types.h>

#include "sbuf.h"

/*
 * The target type for a column from its canonical type alone, into b.
 * Returns 0, or -1 when the canonical type says nothing (UNKNOWN).
 */
int pgtype_fallback(const sluice_column *c, sbuf *b);

/* What the server says a type name resolves to (domains: their base type). */
typedef struct pgtype_info {
    char typname[64];  /* pg_type.typname of the base type: "int8", "numeric", "_text" */
    char category;     /* pg_type.typcategory: 'N', 'S', 'A', ... */
    char typtype;      /* pg_type.typtype of the named type: 'b', 'e', 'd', ... */
} pgtype_info;

/* True when a resolved type holds the column's canonical type without loss. */
int pgtype_accepts(const sluice_column *c, const pgtype_info *t);

/* The canonical type's name for messages: "int64", "decimal", ... */
const char *pgtype_canonical_name(uint32_t type);

#endif
