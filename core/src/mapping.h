/*
 * Table mappings: which tables a pipeline moves (selection rules, with row
 * filters) and how their names, columns and types change on the way
 * (transformation rules). The model is AWS DMS's table-mapping document, so a
 * rule read from Lua (`mappings`, mapping_lua.c) and one read from a DMS JSON
 * file (mapping_json.c) are the same thing. The rules are read once and are
 * immutable after; mapping_plan.c turns them into a per-table plan that
 * plan_exec.c runs in C, row by row.
 */
#ifndef SLUICE_MAPPING_H
#define SLUICE_MAPPING_H

#include <stddef.h>
#include <sluice/sluice.h>

typedef enum map_select_action {
    MAP_INCLUDE = 1,
    MAP_EXCLUDE = 2,
    MAP_EXPLICIT = 3 /* DMS "explicit": include, and no wildcards allowed */
} map_select_action;

/* One condition of a filter: op and its values (canonical text). */
typedef struct map_condition {
    sluice_filter_op op;
    char **values;
    uint32_t nvalues;
} map_condition;

/* The filter on one column: its conditions are OR-ed; filters are AND-ed. */
typedef struct map_filter {
    char *column;
    map_condition *conditions;
    uint32_t nconditions;
} map_filter;

typedef struct map_selection {
    map_select_action action;
    char *schema;   /* pattern with % and _ wildcards */
    char *table;    /* pattern */
    map_filter *filters;
    uint32_t nfilters;
} map_selection;

typedef enum map_target {
    MAP_TARGET_SCHEMA = 1,
    MAP_TARGET_TABLE = 2,
    MAP_TARGET_COLUMN = 3
} map_target;

typedef enum map_action {
    MAP_RENAME = 1,
    MAP_TO_LOWERCASE,
    MAP_TO_UPPERCASE,
    MAP_ADD_PREFIX,
    MAP_REMOVE_PREFIX,
    MAP_REPLACE_PREFIX,
    MAP_ADD_SUFFIX,
    MAP_REMOVE_SUFFIX,
    MAP_REPLACE_SUFFIX,
    MAP_REMOVE_COLUMN,
    MAP_INCLUDE_COLUMN,
    MAP_ADD_COLUMN,
    MAP_CHANGE_DATA_TYPE,
    MAP_DEFINE_PRIMARY_KEY,
    MAP_ROW_FUNCTION, /* Lua only: a per-row function (rowfn.h); never from DMS JSON */
    MAP_ADD_BEFORE_IMAGE, /* add-before-image-columns: BI_<column> per matching column */
    MAP_MASK_DIGITS,      /* data-masking-digits-mask: each digit becomes value[0] */
    MAP_MASK_RANDOMIZE,   /* data-masking-digits-randomize: each digit a random digit */
    MAP_MASK_HASH         /* data-masking-hash-mask: the SHA-256 of the value, in hex */
} map_action;

/* 1 for the data-masking actions (value_mask.h runs them, in the plan's value policy). */
#define MAP_IS_MASK(a) ((a) == MAP_MASK_DIGITS || (a) == MAP_MASK_RANDOMIZE || (a) == MAP_MASK_HASH)

/* add-before-image-columns column-filter: which source columns get a BI_ column. */
typedef enum map_bi_filter {
    MAP_BI_PK_ONLY = 0, /* the default: key columns */
    MAP_BI_NON_LOB,     /* every column but LOBs (text, bytea, json, xml) */
    MAP_BI_ALL
} map_bi_filter;

/* What an added column holds: a constant, a piece of source metadata, a column. */
typedef enum map_term_kind {
    MAP_TERM_CONSTANT = 1,
    MAP_TERM_COLUMN,          /* another column of the row, by source name */
    MAP_TERM_OPERATION,       /* "INSERT" / "UPDATE" / "DELETE"; "LOAD" in a full load */
    MAP_TERM_COMMIT_TIME,     /* source commit timestamp (timestamptz text) */
    MAP_TERM_TRANSACTION_ID,  /* source transaction id */
    MAP_TERM_POSITION,        /* source log position, printable */
    MAP_TERM_SCHEMA_NAME,     /* source schema */
    MAP_TERM_TABLE_NAME,      /* source table */
    MAP_TERM_BEFORE_IMAGE     /* a column's value before an update (the event's old row) */
} map_term_kind;

/* An added column's value: the concatenation of its terms (one term: that value). */
typedef struct map_term {
    map_term_kind kind;
    char *text;      /* CONSTANT: the value; COLUMN: the column name */
} map_term;

typedef struct map_transform {
    map_action action;
    map_target target;
    char *schema;    /* patterns selecting what the rule applies to */
    char *table;     /* NULL for schema rules */
    char *column;    /* column rules only */
    char *value;     /* rename / prefix / suffix / add-column: the new name or affix;
                        data-masking-digits-mask: the masking character */
    char *old_value; /* replace-prefix / replace-suffix: what is replaced */
    char *data_type; /* change-data-type / add-column: a target type name, "numeric(18,2)" */
    map_term *terms; /* add-column: what the column holds */
    uint32_t nterms;
    char **key_columns; /* define-primary-key */
    uint32_t nkey_columns;
    uint32_t lua_index; /* row-function, add-column fn: N of mappings[N], whose fn each chain takes */
    int has_fn;         /* add-column (Lua only): a row function returns the column's value */
    char *suffix;       /* add-before-image-columns: column-suffix (the prefix is in value) */
    map_bi_filter bi_filter; /* add-before-image-columns: column-filter */
} map_transform;

typedef enum map_rule_kind { MAP_RULE_SELECTION = 1, MAP_RULE_TRANSFORMATION = 2 } map_rule_kind;

typedef struct map_rule {
    map_rule_kind kind;
    char *id;       /* rule-id (JSON) or "mappings[N]" (Lua): errors name it */
    char *where;    /* "pipeline.lua:12" or "mappings.json", for messages */
    union {
        map_selection sel;
        map_transform tr;
    } u;
} map_rule;

typedef struct mapping {
    map_rule *rules;
    size_t nrules;
    size_t capacity;
    int has_selection; /* no selection rule at all: every table is selected */
    const struct type_rules *types; /* type rules for every column (type_rules.h); borrowed */
    struct mapping_settings *settings; /* DMS table-settings (mapping_settings.h); owned, or NULL */
    /* Row functions: each consumer thread runs the pipeline file again in its
       own Lua state (rowfn.c), from this copy of its text. */
    uint32_t nrow_functions;
    char *script_path;
    char *script;
    size_t script_len;
} mapping;

mapping *mapping_new(void);
void mapping_free(mapping *m);
/* Appends a zeroed rule of that kind (id, where copied); NULL when out of memory. */
map_rule *mapping_add(mapping *m, map_rule_kind kind, const char *id, const char *where);

/* Wildcard match like SQL LIKE and DMS patterns: % any run, _ one character. */
int mapping_like(const char *pattern, const char *text, size_t len);

/* 1 when the rules select schema.table: the last selection rule that matches
   decides (so an exclude after a broad include wins); none matching: not
   selected. With no selection rule at all, everything is selected. */
int mapping_selects(const mapping *m, sluice_str schema, sluice_str name);

/* The selection rule that decides for schema.table (its filters apply), or NULL. */
const map_selection *mapping_selection_for(const mapping *m, sluice_str schema, sluice_str name);

/* Checks that a transformation rule has what its action needs (value, data_type,
   columns, ...): 0, or -1 with err naming the rule. */
int mapping_check_transform(const map_rule *r, sluice_error *err);
/* Checks what the rules say against themselves (e.g. explicit with a wildcard). */
int mapping_check(const mapping *m, sluice_error *err);

/* Parsers: operator names of DMS filters ("eq", "ste", "between", ...). 0 when unknown. */
sluice_filter_op mapping_filter_op(const char *name);
/* rule-action names ("rename", "convert-lowercase", ...) and rule-target names. */
map_action mapping_action(const char *name);
map_target mapping_target(const char *name);
const char *mapping_action_name(map_action a);
/* "$AR_H_OPERATION"-style metadata names and the Lua spellings ("operation"). */
int mapping_term_parse(const char *expression, map_term **terms, uint32_t *nterms,
                       char *why, size_t whysize);

#endif
