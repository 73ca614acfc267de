/*
 * What a running pipeline shows: the JSON status file (read by `sluice status`),
 * progress bars on a terminal, plain progress lines otherwise.
 */
#ifndef SLUICE_STATUS_H
#define SLUICE_STATUS_H

#include <sluice/sluice.h>

#include "stats.h"

/* Builds the status document; the caller frees it. */
char *status_json(stats *s);
int status_write(stats *s, const char *path, sluice_error *err);

typedef struct progress_view {
    int tty;            /* draw bars (stderr is a terminal) or log lines */
    int lines_drawn;    /* bar lines on screen, to redraw in place */
    int64_t last_log_us;
    int64_t last_us;    /* for rates */
    uint64_t *last_rows;
    uint32_t nlast;
} progress_view;

void progress_view_init(progress_view *v, int tty);
/* Draws the full-load progress (bars or, at most every 10 s, log lines). */
void progress_view_update(progress_view *v, stats *s, int final);
void progress_view_free(progress_view *v);

/* Peak and current resident memory of this process, from /proc/self/status. */
void memory_usage(uint64_t *rss, uint64_t *peak);

#endif
