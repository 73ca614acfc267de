/*
 * `sluice plan` in words: what a table's plan does to each column, its row
 * filter as an expression, and the CREATE TABLE the mapped table stands for
 * (PostgreSQL spelling). Pure functions over the plan and the tables; nothing
 * here talks to a plugin.
 */
#ifndef SLUICE_PLAN_DESCRIBE_H
#define SLUICE_PLAN_DESCRIBE_H

#include <stdio.h>

#include "mapping_plan.h"

/* One line of the column mapping: a source column kept (renamed or retyped
   perhaps), a source column removed (target NULL), or an added column (source
   NULL, added its rule, or NULL when a transform made it). */
typedef struct plan_colmap {
    const sluice_column *source;
    const sluice_column *target;
    const map_transform *added;
    const sluice_column *before_of; /* add-before-image-columns: the source column */
    vp_mask mask;                   /* a data-masking rule's work on the values, or 0 */
    char mask_char;                 /* data-masking-digits-mask: the masking character */
} plan_colmap;

/* "masked: data-masking-digits-mask '#'" for a masked column, "" otherwise. */
void plan_mask_note(const plan_colmap *e, char *buf, size_t size);

/* The column mapping of source into target (the output table after the plan and
   the transforms); plan is NULL without mapping rules. Source columns in their
   order (kept or removed), then the added ones. A malloc'ed array, NULL when out
   of memory. */
plan_colmap *plan_column_map(const sluice_table *source, const table_plan *plan,
                             const sluice_table *target, uint32_t *n);

/* The target type the DDL gives c: its own type name when the plan set it (or
   both ends are PostgreSQL: pg_names), else the PostgreSQL name of its canonical
   type. from is the source column it carries, NULL for an added one. */
void plan_type_name(const sluice_column *c, const sluice_column *from, int pg_names, char *buf,
                    size_t size);

/* The source's type name, or the canonical type's when the source gives none. */
void plan_source_type(const sluice_column *c, char *buf, size_t size);

/* A name as a PostgreSQL identifier: bare when it may be, else "double-quoted". */
void plan_put_ident(FILE *out, const char *name, size_t len);

/* An added column's value as the rules wrote it: 'text' || $column || $AR_H_...;
   NULL when it has no terms; "Lua fn" for a fn; "before image of $c" when
   before_of (a source column) is given. */
void plan_put_expression(FILE *out, const map_transform *added, const sluice_column *before_of);

/* The plan's row filter, e.g. "Region" = 'EU' OR "Region" IN ('APAC'); nothing
   is written when it has none (returns 0, else 1). */
int plan_put_filter(FILE *out, const table_plan *plan);

/* CREATE TABLE schema.name (col type [NOT NULL], ..., PRIMARY KEY (...)); one
   column a line, each line after the first starting with indent. */
void plan_put_ddl(FILE *out, const sluice_table *target, const plan_colmap *map, uint32_t n,
                  int pg_names, const char *indent);

#endif
