/*
 * Replays a capture journal (journal.h) into tables keyed by their first
 * value, refusing anything that shows a change lost, applied twice or out of
 * order, then prints the final state: one line per row, sorted by table name
 * (strcmp) and key (numerically when both keys are integers):
 *   schema.table<TAB>v1<TAB>v2...      (values escaped as in the journal)
 */
#ifndef REPLAY_H
#define REPLAY_H

#include <stdio.h>

typedef struct replay_options {
    int summary;        /* print per-table counts instead of the rows */
    int strict;         /* an unfinished write at the end is an error, not a warning */
    int has_limit;      /* the input ends, as far as the target is concerned, ... */
    unsigned long long limit; /* ... at this offset: just after the last P, L or C record */
} replay_options;

/*
 * A journal a crash left behind may end in an unfinished write: records after
 * the last safe record (P, L or C), which the capture sink cuts off when it next
 * opens the journal. With has_limit, those bytes are ignored with a warning
 * (or refused with strict); journal_scan_fd() finds the limit.
 *
 * Reads `in` (named `name` in messages). Problems go to `err` as
 * "NAME:LINE: message". Returns 0 when the journal is sound, 1 when a check
 * failed, 2 when it could not be read or memory ran out.
 */
int replay_run(FILE *in, const char *name, FILE *out, FILE *err, const replay_options *o);

#endif
