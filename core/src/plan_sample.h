/*
 * `sluice plan --sample N`: the first N rows of a table read through the
 * source's read_chunk (one whole-table chunk with the plan's filters, no
 * snapshot) and mapped by the chain as a run would map them. Reading is all it
 * does: the rows are kept as text for printing and go nowhere else.
 */
#ifndef SLUICE_PLAN_SAMPLE_H
#define SLUICE_PLAN_SAMPLE_H

#include "runner.h"

typedef struct plan_sample {
    uint32_t ncolumns;   /* of the output table */
    uint32_t nrows;
    char **values;       /* nrows * ncolumns: canonical text (NUL-terminated), NULL for NULL */
    uint32_t *lens;
    char *refused;       /* the mapping refused a row (a value policy, a row function):
                            its error message; the rows before it are kept */
} plan_sample;

/* Reads up to want rows of source (a selected table of r's catalog) on a source
   instance of its own, mapped by chain to out (chain_table's output). 0 (also
   when the mapping refused a row: see refused), or the exit code with err filled. */
int plan_sample_read(runner *r, transform_chain *chain, const sluice_table *source,
                     const sluice_table *out, uint32_t want, plan_sample *s, sluice_error *err);
void plan_sample_free(plan_sample *s);

#endif
