/*
 * AWS DMS parallel-load "ranges" as full-load chunks: segment k of a table is
 * the rows its boundaries put there, said as ABI 1.3 chunk filters so the
 * source can push them into its query (or the core applies them).
 */
#ifndef SLUICE_RANGE_CHUNKS_H
#define SLUICE_RANGE_CHUNKS_H

#include <sluice/sluice.h>

#include "mapping_settings.h"

typedef struct range_chunks {
    uint32_t count;            /* segments: nboundaries + 1; 0: not split by ranges */
    sluice_filter **filters;   /* per segment: the base filters, then the range's */
    uint32_t *nfilters;
    sluice_str *values;        /* the boundaries, pointing into the settings */
} range_chunks;

/*
 * Builds the segments of table t by ts (single-column ranges), each carrying
 * the nbase base filters (the mapping plan's; their values are borrowed) and
 * its range conditions in groups after the base's. Segment 0 is
 * c IS NULL OR c <= b1; segment k is c > b1 AND ... AND c > bk AND
 * c <= b(k+1); the last is c > every boundary. Every row lands in exactly one
 * segment even when the boundaries are not ascending in the column's order.
 * 0, or -1 with err naming the rule (a column t lacks).
 */
int range_chunks_build(range_chunks *rc, const map_table_settings *ts, const sluice_table *t,
                       const sluice_filter *base, uint32_t nbase, sluice_error *err);
void range_chunks_free(range_chunks *rc);

#endif
