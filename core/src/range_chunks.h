/*
 * AWS DMS parallel-load "ranges" as full-load chunks: segment k of a table is
 * the rows its boundaries put there, said as chunk filters (ABI 1.3; a range
 * of several columns as 1.4 row comparisons) so the source can push them
 * into its query (or the core applies them).
 */
#ifndef SLUICE_RANGE_CHUNKS_H
#define SLUICE_RANGE_CHUNKS_H

#include <sluice/sluice.h>

#include "mapping_settings.h"

typedef struct range_chunks {
    uint32_t count;            /* segments: nboundaries + 1; 0: not split by ranges */
    sluice_filter **filters;   /* per segment: the base filters, then the range's */
    uint32_t *nfilters;
    uint32_t nbase;            /* the base filters, first in every segment */
    int row_ops;               /* the range's filters use ABI 1.4 row comparisons */
    sluice_str *values;        /* the boundaries, row-major, pointing into the settings */
    uint32_t *columns;         /* the range's column indexes, most significant first */
    uint32_t ncolumns;
} range_chunks;

/*
 * Builds the segments of table t by ts, each carrying the nbase base filters
 * (the mapping plan's; their values are borrowed) and its range conditions in
 * groups after the base's. Every row lands in exactly one segment even when
 * the boundaries are not ascending, and a NULL in a range column puts the row
 * in segment 0. With one column c: segment 0 is c IS NULL OR c <= b1;
 * segment k is c > b1 AND ... AND c > bk AND c <= b(k+1); the last is c > every
 * boundary. With several columns the same with row comparisons, (a, b) <= (x, y),
 * segment 0 adding a IS NULL OR b IS NULL to its upper bound and the others
 * requiring each column NOT NULL (a row comparison can hold with a NULL in a
 * column after the one that decides it).
 * 0, or -1 with err naming the rule (a column t lacks).
 */
int range_chunks_build(range_chunks *rc, const map_table_settings *ts, const sluice_table *t,
                       const sluice_filter *base, uint32_t nbase, sluice_error *err);
void range_chunks_free(range_chunks *rc);

#endif
