/* `sluice plan`'s output: per table, as text for a person or as one JSON document. */
#ifndef SLUICE_PLAN_PRINT_H
#define SLUICE_PLAN_PRINT_H

#include <stdio.h>

#include "mapping_plan.h"
#include "plan_sample.h"

typedef struct plan_table {
    const sluice_table *source;
    const sluice_table *target; /* after the plan and the transforms */
    const table_plan *plan;     /* NULL without mapping rules */
    int sampled;                /* --sample given: sample holds what was read */
    plan_sample sample;
} plan_table;

typedef struct plan_doc {
    const char *pipeline, *mode;
    const char *source_plugin, *target_plugin;
    const char *const *transforms; /* their plugin names, in pipeline order */
    size_t ntransforms;
    int pg_names;                  /* both ends PostgreSQL: source type names carry over */
    plan_table *tables;
    uint32_t ntables;
} plan_doc;

/* 0, or -1 when out of memory. */
int plan_print_text(FILE *out, const plan_doc *d);
int plan_print_json(FILE *out, const plan_doc *d);

#endif
