/*
 * The mask transform's column selection: a comma-separated list of
 * schema.table.column patterns.
 *
 *   public.users.email, %.%.ssn, !audit.%.%
 *
 * - Each pattern has exactly three dot-separated names: schema, table, column.
 * - In a bare name, % matches any run of characters (also none) and _ any one
 *   character (byte), as in SQL LIKE, AWS DMS selection rules and the
 *   pipeline's mappings; everything else matches itself, case-sensitively.
 * - A name in double quotes matches literally (no wildcard) and may hold dots,
 *   commas, spaces, % and _ ("" is a quote): "sales"."order.items"."e-mail".
 * - A pattern starting with ! excludes: a column is selected when some plain
 *   pattern matches it and no ! pattern does, whatever the order.
 * - Spaces around patterns are ignored.
 */
#ifndef MASK_PATTERN_H
#define MASK_PATTERN_H

#include <stddef.h>

typedef struct mask_name {
    char *text;
    size_t len;
    int literal; /* quoted: % is an ordinary character */
} mask_name;

typedef struct mask_pattern {
    mask_name part[3]; /* schema, table, column */
    int exclude;
} mask_pattern;

typedef struct mask_patterns {
    mask_pattern *items;
    size_t n;
    size_t nincludes;
} mask_patterns;

/* Why parsing failed, in the ereport style (no final period on message). */
typedef struct mask_pattern_error {
    char message[256];
    char detail[512];
    char hint[512];
} mask_pattern_error;

/* 0, or -1 with *err filled (message empty: out of memory). */
int mask_patterns_parse(const char *text, mask_patterns *out, mask_pattern_error *err);
void mask_patterns_free(mask_patterns *p);

/* 1 when the column is selected (see above). */
int mask_patterns_match(const mask_patterns *p, const char *schema, size_t schema_len,
                        const char *table, size_t table_len, const char *column,
                        size_t column_len);

/* One name against one pattern name; exposed for the unit test. */
int mask_name_match(const mask_name *pat, const char *s, size_t len);

#endif
