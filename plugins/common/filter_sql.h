/* filter_sql: a chunk's row filters (ABI 1.3, row comparisons 1.4) as a SQL
   WHERE clause for a source's full-load query, in the source's quoting. */
#ifndef SLUICE_PLUGIN_FILTER_SQL_H
#define SLUICE_PLUGIN_FILTER_SQL_H

#include <sluice/plugin.h>

#include "sbuf.h"

typedef struct sql_quoting {
    void (*ident)(sbuf *b, const char *name, size_t len);   /* a quoted column name */
    void (*literal)(sbuf *b, const char *text, size_t len); /* a string literal */
    int row_comparisons; /* writes ROW_* filters as ("a", "b") <= ('1', 'x') */
} sql_quoting;

/* 1 when every filter of the chunk can be written (there is at least one). */
int filter_sql_pushable(const sluice_chunk *chunk, const sql_quoting *q);
/* Appends the filters: " WHERE (...) AND (...)" when first, else " AND (...)"; groups
   AND-ed, the conditions of a group OR-ed. Values are literals the server casts to
   the column's type, as a WHERE clause typed by hand. 1 when it wrote them; 0 and
   nothing unless filter_sql_pushable (the core then applies them all). */
int filter_sql(sbuf *b, const sluice_chunk *chunk, int first, const sql_quoting *q);

#endif
