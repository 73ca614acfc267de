/*
 * The Prometheus text exposition (format 0.0.4) of a pipeline's statistics,
 * served at /metrics by metrics_http.c.
 */
#ifndef SLUICE_METRICS_TEXT_H
#define SLUICE_METRICS_TEXT_H

#include <stddef.h>

#include "stats.h"

/* The whole document, built under the stats lock and returned as one malloc'ed
   string (*len bytes), so no lock is held while it is sent. NULL when out of memory. */
char *metrics_text(stats *s, size_t *len);

#endif
