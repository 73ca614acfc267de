/*
 * Findings of `sluice check`: what the source, the mapping and the target
 * report, each with a severity, a scope, the table it is about and an error
 * record's message / detail / hint. Plugins add theirs with host->finding_add
 * (ABI 1.6) into the list the core hands to their check callback; the core
 * adds its own with findings_addf. Printed grouped by severity, or as JSON.
 */
#ifndef SLUICE_FINDINGS_H
#define SLUICE_FINDINGS_H

#include <stdio.h>
#include <sluice/sluice.h>

typedef struct finding {
    sluice_severity severity;
    const char *scope; /* "source", "target" or "mapping" (static strings) */
    char *table;       /* "schema.name" or NULL */
    char *message, *detail, *hint;
} finding;

struct sluice_findings {
    finding *items;
    uint32_t count, capacity;
    const char *scope; /* what findings_add records as the scope of the next ones */
    int failed;        /* out of memory once: the list is incomplete */
};

void findings_init(sluice_findings *f);
void findings_free(sluice_findings *f);
/* host->finding_add: copies the record's message, detail and hint. 0 or -1. */
int findings_add(sluice_findings *f, sluice_severity severity, const char *table,
                 const sluice_error *finding);
/* The core's own: fills a record from err (see error_set / error_detail / error_hint). */
int findings_add_error(sluice_findings *f, const char *scope, sluice_severity severity,
                       const char *table, const sluice_error *err);
/* Findings of severity sev. */
uint32_t findings_count(const sluice_findings *f, sluice_severity severity);
const char *severity_name(sluice_severity severity);

/* Text, grouped by severity (blocking first), each finding like an error report; or a
   JSON array of {severity, scope, table, message, detail, hint}. Secrets redacted.
   0, or -1 when writing failed. */
int findings_print_text(FILE *out, const sluice_findings *f);
int findings_print_json(FILE *out, const sluice_findings *f);

#endif
