/* Running a table's plan on the events of a batch (plan_exec.c). */
#ifndef SLUICE_PLAN_EXEC_H
#define SLUICE_PLAN_EXEC_H

#include "mapping_plan.h"

/* What added columns may show of the event's transaction. */
typedef struct plan_meta {
    int snapshot;                     /* a full-load row */
    int filtered;                     /* the source applied the filters already */
    uint64_t xid;                     /* of the open source transaction */
    int64_t commit_time_us;
    const sluice_position *position;  /* where it commits, when known */
    size_t (*format_position)(const sluice_position *p, char *buf, size_t size);
    sluice_error *error;              /* where a value policy's row error goes (may be NULL) */
} plan_meta;

/* Filters, projects and completes one row event in place, and points it at the
   target table; a row the filters reject becomes SLUICE_OP_SKIP. 0, or -1 when
   the batch is out of memory or a value policy refuses a value (then
   meta->error holds the row error, status SLUICE_ERROR). */
int plan_event(const table_plan *p, sluice_batch *b, sluice_event *e, const plan_meta *meta);

#endif
