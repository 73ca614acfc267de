/* Row filters (sluice_filter lists, grouped) evaluated on canonical values. */
#ifndef SLUICE_FILTER_EVAL_H
#define SLUICE_FILTER_EVAL_H

#include <sluice/sluice.h>

/* 1 when the row passes: every group has a condition that holds. A value the
   source did not send (unchanged, native) or, with keys_only (a delete's old
   key), a non-key column cannot be judged, and its group passes. */
int filter_row(const sluice_filter *filters, uint32_t n, const sluice_table *t,
               const sluice_value *row, int keys_only);

#endif
