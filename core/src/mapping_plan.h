/*
 * A table's plan: what the mapping rules make of one source table, computed
 * once per table version (mapping_plan.c) and executed per row in C
 * (plan_exec.c). Declarative rules never run Lua at row time.
 */
#ifndef SLUICE_MAPPING_PLAN_H
#define SLUICE_MAPPING_PLAN_H

#include "mapping.h"
#include "value_policy.h"

typedef struct plan_column {
    int32_t source;              /* index of the source column it carries, or -1 */
    const map_transform *added;  /* add-column: the rule whose terms make the value */
    int32_t *term_columns;       /* added: per term, the source index of a COLUMN term */
    map_term before;             /* add-before-image-columns: kind BEFORE_IMAGE, the value is
                                    old_row[term_columns[0]]; else kind 0 */
    value_policy policy;         /* the type rule's per-value work (type_rules.h) */
} plan_column;

/* target[dst .. dst+len) = source[src .. src+len): one memmove of an in-place projection */
typedef struct plan_run {
    uint32_t dst, src, len;
} plan_run;

typedef struct table_plan {
    const sluice_table *source;
    sluice_table *target;        /* the output table (in the plans' catalog) */
    plan_column *columns;        /* target->ncolumns */
    sluice_filter *filters;      /* on source columns; values point into the rules */
    uint32_t nfilters;
    sluice_str *filter_values;   /* storage for filters[].values */
    int passthrough;             /* same columns in the same order: rows pass untouched */
    int values_untouched;        /* no column added or retyped: native values may pass */
    int has_policies;            /* some column has a value policy to run */
    int32_t *sources;            /* per target column, columns[i].source */
    plan_run *runs;              /* in place: the moves, as runs of adjacent columns */
    uint32_t nruns;
    int in_place;                /* projection only drops columns: done in the row's own array */
} table_plan;

/* Builds the plan of a source table into out (a catalog for the output tables).
   Returns 0, or -1 with err naming the rule and the table. */
int table_plan_build(const mapping *m, sluice_catalog *out, const sluice_table *source,
               table_plan **plan, sluice_error *err);
void table_plan_free(table_plan *p);

/* The canonical type a target type name stands for ("numeric(18,2)" → DECIMAL 18,2);
   SOURCE_NATIVE for names it does not know. */
sluice_type plan_type_of(const char *name, int32_t *precision, int32_t *scale);

#endif
