/*
 * The /metrics endpoint: libmicrohttpd on its own thread answers GET /metrics
 * with metrics_text() and anything else with an error status. A few connections
 * at a time, each bounded in memory and time, so a slow or hostile client can
 * delay a scrape but never the pipeline.
 */
#ifndef SLUICE_METRICS_HTTP_H
#define SLUICE_METRICS_HTTP_H

#include <sluice/sluice.h>

#include "stats.h"

typedef struct metrics_server metrics_server;

/* Binds addr ("HOST:PORT", "[IPV6]:PORT"; port 0: any free port) and serves s's
   figures until metrics_server_stop. NULL with err filled when the address is
   malformed or cannot be bound. */
metrics_server *metrics_server_start(const char *addr, stats *s, sluice_error *err);
/* "HOST:PORT" actually bound (the real port when 0 was asked for). */
const char *metrics_server_address(const metrics_server *m);
/* Stops the thread, closes the sockets, frees m (NULL is fine). */
void metrics_server_stop(metrics_server *m);

#endif
