/*
 * Rules → a table's plan. Rules match the SOURCE names (as in AWS DMS), and
 * the name actions of every matching rule apply in rule order, so "lowercase
 * every table" followed by "add prefix x_ to public.%" yields x_orders.
 */
#include "mapping_plan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "report.h"
#include "type_rules.h"
#include "value_mask.h"

static int str_eq(sluice_str s, const char *c)
{
    return strlen(c) == s.len && memcmp(s.ptr, c, s.len) == 0;
}

static int like(const char *pattern, sluice_str s)
{
    return pattern && mapping_like(pattern, s.ptr, s.len);
}

/* The name after one name action; a new string, or NULL when out of memory. */
static char *rename_one(const map_transform *t, const char *name)
{
    size_t n = strlen(name);
    size_t v = t->value ? strlen(t->value) : 0;
    size_t o = t->old_value ? strlen(t->old_value) : 0;
    char *out = malloc(n + v + 1);
    if (!out)
        return NULL;
    switch (t->action) {
    case MAP_RENAME: strcpy(out, t->value); break;
    case MAP_TO_LOWERCASE:
    case MAP_TO_UPPERCASE:
        for (size_t i = 0; i <= n; i++) /* ASCII only: other letters stay as they are */
            out[i] = (char)(t->action == MAP_TO_LOWERCASE ? tolower((unsigned char)name[i])
                                                          : toupper((unsigned char)name[i]));
        break;
    case MAP_ADD_PREFIX: snprintf(out, n + v + 1, "%s%s", t->value, name); break;
    case MAP_ADD_SUFFIX: snprintf(out, n + v + 1, "%s%s", name, t->value); break;
    case MAP_REMOVE_PREFIX:
        strcpy(out, n >= v && memcmp(name, t->value, v) == 0 ? name + v : name);
        break;
    case MAP_REMOVE_SUFFIX:
        strcpy(out, name);
        if (n >= v && memcmp(name + n - v, t->value, v) == 0)
            out[n - v] = '\0';
        break;
    case MAP_REPLACE_PREFIX:
        if (n >= o && memcmp(name, t->old_value, o) == 0)
            snprintf(out, n + v + 1, "%s%s", t->value, name + o);
        else
            strcpy(out, name);
        break;
    case MAP_REPLACE_SUFFIX:
        if (n >= o && memcmp(name + n - o, t->old_value, o) == 0)
            snprintf(out, n + v + 1, "%.*s%s", (int)(n - o), name, t->value);
        else
            strcpy(out, name);
        break;
    default: strcpy(out, name); break;
    }
    return out;
}

static int is_name_action(map_action a)
{
    return a <= MAP_REPLACE_SUFFIX;
}

/* Applies every matching name rule of `target` kind to *name (a malloc'ed string). */
static int apply_names(const mapping *m, map_target target, const sluice_table *t,
                       sluice_str column, char **name)
{
    for (size_t i = 0; i < m->nrules; i++) {
        const map_rule *r = &m->rules[i];
        const map_transform *tr = &r->u.tr;
        if (r->kind != MAP_RULE_TRANSFORMATION || tr->target != target ||
            !is_name_action(tr->action) || !like(tr->schema, t->schema))
            continue;
        if (target != MAP_TARGET_SCHEMA && !like(tr->table, t->name))
            continue;
        if (target == MAP_TARGET_COLUMN && !like(tr->column, column))
            continue;
        char *renamed = rename_one(tr, *name);
        if (!renamed)
            return -1;
        free(*name);
        *name = renamed;
    }
    return 0;
}

static const struct {
    const char *name;
    sluice_type type;
} type_names[] = {
    {"boolean", SLUICE_TYPE_BOOL},         {"bool", SLUICE_TYPE_BOOL},
    {"smallint", SLUICE_TYPE_INT16},       {"int2", SLUICE_TYPE_INT16},
    {"integer", SLUICE_TYPE_INT32},        {"int", SLUICE_TYPE_INT32},
    {"int4", SLUICE_TYPE_INT32},           {"bigint", SLUICE_TYPE_INT64},
    {"int8", SLUICE_TYPE_INT64},           {"real", SLUICE_TYPE_FLOAT32},
    {"float4", SLUICE_TYPE_FLOAT32},       {"double precision", SLUICE_TYPE_FLOAT64},
    {"float8", SLUICE_TYPE_FLOAT64},       {"numeric", SLUICE_TYPE_DECIMAL},
    {"decimal", SLUICE_TYPE_DECIMAL},      {"text", SLUICE_TYPE_TEXT},
    {"varchar", SLUICE_TYPE_TEXT},         {"character varying", SLUICE_TYPE_TEXT},
    {"char", SLUICE_TYPE_TEXT},            {"character", SLUICE_TYPE_TEXT},
    {"bytea", SLUICE_TYPE_BYTES},          {"date", SLUICE_TYPE_DATE},
    {"time", SLUICE_TYPE_TIME},            {"timestamp", SLUICE_TYPE_TIMESTAMP},
    {"timestamptz", SLUICE_TYPE_TIMESTAMPTZ}, {"timestamp with time zone", SLUICE_TYPE_TIMESTAMPTZ},
    {"timestamp without time zone", SLUICE_TYPE_TIMESTAMP}, {"interval", SLUICE_TYPE_INTERVAL},
    {"uuid", SLUICE_TYPE_UUID},            {"json", SLUICE_TYPE_JSON},
    {"jsonb", SLUICE_TYPE_JSON},
};

sluice_type plan_type_of(const char *name, int32_t *precision, int32_t *scale)
{
    *precision = *scale = -1;
    size_t len = strcspn(name, "(");
    while (len && name[len - 1] == ' ')
        len--;
    const char *paren = strchr(name, '(');
    if (paren) {
        char *end;
        long p = strtol(paren + 1, &end, 10);
        *precision = (int32_t)p;
        if (*end == ',')
            *scale = (int32_t)strtol(end + 1, NULL, 10);
    }
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (strlen(type_names[i].name) == len && strncasecmp(type_names[i].name, name, len) == 0)
            return type_names[i].type;
    return SLUICE_TYPE_SOURCE_NATIVE;
}

static int rule_matches_table(const map_transform *tr, const sluice_table *t)
{
    return like(tr->schema, t->schema) && like(tr->table, t->name);
}

static int32_t source_index(const sluice_table *t, const char *name)
{
    for (uint32_t i = 0; i < t->ncolumns; i++)
        if (str_eq(sluice_table_column(t, i)->name, name))
            return (int32_t)i;
    return -1;
}

void table_plan_free(table_plan *p)
{
    if (!p)
        return;
    if (p->columns && p->target)
        for (uint32_t i = 0; i < p->target->ncolumns; i++)
            free(p->columns[i].term_columns);
    free(p->columns);
    free(p->sources);
    free(p->runs);
    free(p->filters);
    free(p->filter_values);
    free(p);
}

/* What the plan makes of each column, before the output table is built. */
typedef struct draft {
    char **names;     /* per source column, then per added column */
    const char **types; /* change-data-type's type name, or NULL */
    int *keep;
    const map_transform **added;
    int32_t *before;  /* per added column: the source column of a before image, or -1 */
    const map_transform **masks; /* per source column: the data-masking rule, or NULL */
    uint32_t nadded;
    const map_transform *key; /* define-primary-key */
} draft;

static void draft_free(draft *d, uint32_t n)
{
    for (uint32_t i = 0; d->names && i < n; i++)
        free(d->names[i]);
    free(d->names);
    free(d->types);
    free(d->keep);
    free(d->added);
    free(d->before);
    free(d->masks);
}

static int plan_fail(const map_rule *r, const sluice_table *t, sluice_error *err, const char *what)
{
    error_set(err, SLUICE_FATAL, "%s: rule %s on table \"%.*s.%.*s\": %s", r->where, r->id,
              (int)t->schema.len, t->schema.ptr, (int)t->name.len, t->name.ptr, what);
    return -1;
}

static const map_rule *rule_of(const mapping *m, const map_transform *tr)
{
    for (size_t i = 0; i < m->nrules; i++)
        if (&m->rules[i].u.tr == tr)
            return &m->rules[i];
    return NULL;
}

/* DMS counts text, bytea, json and xml as LOBs (CLOB/NCLOB/BLOB). */
static int is_lob(const sluice_column *c)
{
    return (c->type == SLUICE_TYPE_TEXT && c->precision < 0) || c->type == SLUICE_TYPE_BYTES ||
           c->type == SLUICE_TYPE_JSON ||
           (c->type == SLUICE_TYPE_SOURCE_NATIVE && str_eq(c->source_type, "xml"));
}

/* add-before-image-columns: prefix + name + suffix for each source column the
   column pattern and the column-filter pick, in the source's column order. */
static int add_before_images(const sluice_table *t, const map_transform *tr, draft *d)
{
    for (uint32_t c = 0; c < t->ncolumns; c++) {
        const sluice_column *col = sluice_table_column(t, c);
        if (!like(tr->column, col->name) ||
            (tr->bi_filter == MAP_BI_PK_ONLY && !(col->flags & SLUICE_COLUMN_KEY)) ||
            (tr->bi_filter == MAP_BI_NON_LOB && is_lob(col)))
            continue;
        uint32_t k = t->ncolumns + d->nadded;
        size_t len = strlen(tr->value) + col->name.len + strlen(tr->suffix) + 1;
        if (!(d->names[k] = malloc(len)))
            return -1;
        snprintf(d->names[k], len, "%s%.*s%s", tr->value, (int)col->name.len, col->name.ptr,
                 tr->suffix);
        d->before[d->nadded] = (int32_t)c;
        d->added[d->nadded++] = tr;
    }
    return 0;
}

/* Columns: kept or not, names, types, added columns, the key rule. */
static int draft_columns(const mapping *m, const sluice_table *t, draft *d)
{
    uint32_t n = t->ncolumns;
    int includes = 0;
    size_t most = m->nrules * ((size_t)n + 1) + 1; /* a before-image rule adds up to n */
    d->names = calloc(n + most, sizeof *d->names);
    d->types = calloc(n + most, sizeof *d->types);
    d->keep = calloc(n + 1, sizeof *d->keep);
    d->added = calloc(most, sizeof *d->added);
    d->before = calloc(most, sizeof *d->before);
    d->masks = calloc(n + 1, sizeof *d->masks);
    if (!d->names || !d->types || !d->keep || !d->added || !d->before || !d->masks)
        return -1;
    for (size_t i = 0; i < m->nrules; i++) {
        const map_transform *tr = &m->rules[i].u.tr;
        if (m->rules[i].kind == MAP_RULE_TRANSFORMATION && tr->action == MAP_INCLUDE_COLUMN &&
            rule_matches_table(tr, t))
            includes = 1;
    }
    for (uint32_t c = 0; c < n; c++) {
        const sluice_column *col = sluice_table_column(t, c);
        d->keep[c] = !includes;
        if (!(d->names[c] = strndup(col->name.ptr, col->name.len)))
            return -1;
        if (apply_names(m, MAP_TARGET_COLUMN, t, col->name, &d->names[c]) != 0)
            return -1;
        for (size_t i = 0; i < m->nrules; i++) {
            const map_transform *tr = &m->rules[i].u.tr;
            if (m->rules[i].kind != MAP_RULE_TRANSFORMATION || !rule_matches_table(tr, t) ||
                tr->target != MAP_TARGET_COLUMN || !like(tr->column, col->name))
                continue;
            if (tr->action == MAP_INCLUDE_COLUMN)
                d->keep[c] = 1;
            else if (tr->action == MAP_REMOVE_COLUMN)
                d->keep[c] = 0;
            else if (tr->action == MAP_CHANGE_DATA_TYPE)
                d->types[c] = tr->data_type;
            else if (MAP_IS_MASK(tr->action))
                d->masks[c] = tr; /* the last one wins, as for change-data-type */
        }
    }
    for (size_t i = 0; i < m->nrules; i++) {
        const map_transform *tr = &m->rules[i].u.tr;
        if (m->rules[i].kind != MAP_RULE_TRANSFORMATION || !rule_matches_table(tr, t))
            continue;
        if (tr->action == MAP_ADD_COLUMN) {
            uint32_t k = n + d->nadded;
            d->before[d->nadded] = -1;
            d->added[d->nadded++] = tr;
            d->types[k] = tr->data_type;
            if (!(d->names[k] = strdup(tr->column)))
                return -1;
        } else if (tr->action == MAP_ADD_BEFORE_IMAGE) {
            if (add_before_images(t, tr, d) != 0)
                return -1;
        } else if (tr->action == MAP_DEFINE_PRIMARY_KEY) {
            d->key = tr;
        }
    }
    return 0;
}

static int in_key(const draft *d, const char *target_name, sluice_str source_name)
{
    for (uint32_t k = 0; d->key && k < d->key->nkey_columns; k++)
        if (strcmp(d->key->key_columns[k], target_name) == 0 ||
            str_eq(source_name, d->key->key_columns[k]))
            return 1;
    return 0;
}

/* The value of an added column is built from these source columns. */
static int resolve_terms(const mapping *m, const sluice_table *t, const map_transform *tr,
                         plan_column *pc, sluice_error *err)
{
    pc->term_columns = calloc(tr->nterms + 1, sizeof *pc->term_columns);
    if (!pc->term_columns)
        return error_set(err, SLUICE_FATAL, "out of memory"), -1;
    for (uint32_t k = 0; k < tr->nterms; k++) {
        pc->term_columns[k] = -1;
        if (tr->terms[k].kind != MAP_TERM_COLUMN)
            continue;
        pc->term_columns[k] = source_index(t, tr->terms[k].text);
        if (pc->term_columns[k] < 0) {
            char what[300];
            snprintf(what, sizeof what, "add-column \"%s\" refers to $%s, which the table "
                     "does not have", tr->column, tr->terms[k].text);
            plan_fail(rule_of(m, tr), t, err, what);
            error_hint(err, "Name a column of the source table (names are case-sensitive).");
            return -1;
        }
    }
    return 0;
}

static int build_filters(const mapping *m, const sluice_table *t, table_plan *p,
                         sluice_error *err)
{
    const map_selection *s = mapping_selection_for(m, t->schema, t->name);
    if (!s || s->action == MAP_EXCLUDE || s->nfilters == 0)
        return 0;
    uint32_t nconds = 0, nvalues = 0;
    for (uint32_t f = 0; f < s->nfilters; f++)
        for (uint32_t c = 0; c < s->filters[f].nconditions; c++, nconds++)
            nvalues += s->filters[f].conditions[c].nvalues;
    p->filters = calloc(nconds, sizeof *p->filters);
    p->filter_values = calloc(nvalues + 1, sizeof *p->filter_values);
    if (!p->filters || !p->filter_values)
        return error_set(err, SLUICE_FATAL, "out of memory"), -1;
    sluice_str *v = p->filter_values;
    for (uint32_t f = 0; f < s->nfilters; f++) {
        const map_filter *mf = &s->filters[f];
        int32_t col = source_index(t, mf->column);
        if (col < 0) {
            const map_rule *r = NULL;
            for (size_t i = 0; i < m->nrules; i++)
                if (&m->rules[i].u.sel == s)
                    r = &m->rules[i];
            char what[300];
            snprintf(what, sizeof what, "the filter names column \"%s\", which the table "
                     "does not have", mf->column);
            plan_fail(r, t, err, what);
            error_hint(err, "Name a column of the source table (names are case-sensitive).");
            return -1;
        }
        for (uint32_t c = 0; c < mf->nconditions; c++) {
            const map_condition *mc = &mf->conditions[c];
            sluice_filter *out = &p->filters[p->nfilters++];
            out->column = (uint32_t)col;
            out->op = mc->op;
            out->group = f;
            out->nvalues = mc->nvalues;
            out->values = v;
            for (uint32_t k = 0; k < mc->nvalues; k++)
                *v++ = (sluice_str){mc->values[k], strlen(mc->values[k])};
        }
    }
    return 0;
}

/* Copies the indexes whose columns all survive, under their new names. */
static void copy_indexes(const sluice_table *src, sluice_table *out, const draft *d,
                         int renamed_columns)
{
    const sluice_host *h = host_api();
    for (uint32_t i = 0; i < sluice_table_nindexes(src); i++) {
        const sluice_index *ix = sluice_table_index(src, i);
        if (renamed_columns && (ix->flags & (SLUICE_INDEX_EXPRESSION | SLUICE_INDEX_PARTIAL)))
            continue; /* its definition names the old columns */
        sluice_str cols[64];
        int ok = ix->ncolumns <= 64;
        for (uint32_t k = 0; ok && k < ix->ncolumns; k++) {
            int32_t c = ix->columns[k].len ? -1 : -2;
            for (uint32_t j = 0; j < src->ncolumns; j++)
                if (sluice_table_column(src, j)->name.len == ix->columns[k].len &&
                    memcmp(sluice_table_column(src, j)->name.ptr, ix->columns[k].ptr,
                           ix->columns[k].len) == 0)
                    c = (int32_t)j;
            ok = c >= 0 && d->keep[c];
            if (ok)
                cols[k] = (sluice_str){d->names[c], strlen(d->names[c])};
        }
        if (ok)
            h->index_add(out, ix->name, ix->method, ix->flags, cols, ix->ncolumns,
                         renamed_columns ? (sluice_str){"", 0} : ix->source_definition);
    }
}

/* The source column a target column's value comes from: itself, or the one it
   is the before image of; -1 for an added column. */
static int32_t carried_column(const plan_column *pc)
{
    if (pc->source >= 0)
        return pc->source;
    return pc->before.kind == MAP_TERM_BEFORE_IMAGE ? pc->term_columns[0] : -1;
}

static int has_key(const sluice_table *t)
{
    for (uint32_t c = 0; c < t->ncolumns; c++)
        if (sluice_table_column(t, c)->flags & SLUICE_COLUMN_KEY)
            return 1;
    return 0;
}

/* Why a mask cannot go on column col of the target (NULL: it can). A key must
   mask the same way every time and stay different from other keys, or updates
   and deletes would miss their rows or hit another's. */
static const char *mask_refused(vp_mask mask, const sluice_column *col, int keyed, char *why,
                                size_t whysize, const char **hint)
{
    if (value_mask_refuses(mask, col, why, whysize)) {
        *hint = mask == VP_MASK_HASH && col->type == SLUICE_TYPE_TEXT
                    ? "Widen the column with a change-data-type rule, as the DMS documentation "
                      "does: \"data-type\": {\"type\": \"string\", \"length\": 64} (Lua: "
                      "data_type = \"varchar(64)\")."
                    : "Mask text columns, or make this one text first with a change-data-type "
                      "rule: \"data-type\": {\"type\": \"string\"} (Lua: data_type = \"text\").";
        return why;
    }
    if (mask == VP_MASK_RANDOMIZE && (col->flags & SLUICE_COLUMN_KEY)) {
        *hint = "Use data-masking-hash-mask, which masks a value the same way every time, or "
                "leave the key unmasked.";
        return "random digits in a key: updates and deletes would not find the row";
    }
    if (mask == VP_MASK_RANDOMIZE && !keyed) {
        *hint = "Give the table a key with define-primary-key, or use data-masking-hash-mask.";
        return "the table has no key, so updates and deletes find its rows by every column, "
               "and random digits would not match";
    }
    if (mask == VP_MASK_DIGITS && (col->flags & SLUICE_COLUMN_KEY)) {
        *hint = "Use data-masking-hash-mask, which keeps different keys different.";
        return "different keys would become one (\"A1\" and \"A2\" both become \"A#\")";
    }
    return NULL;
}

/* data-masking rules: the first step of their columns' value policies (and of
   the before images of those columns). Checked against the target column: the
   masked value must be one it holds. */
static int plan_masks(const mapping *m, const sluice_table *t, const draft *d, table_plan *p,
                      sluice_error *err)
{
    int keyed = has_key(p->target);
    char what[700], why[200];
    for (uint32_t k = 0; k < p->target->ncolumns; k++) {
        plan_column *pc = &p->columns[k];
        const sluice_column *col = sluice_table_column(p->target, k);
        int32_t c = carried_column(pc);
        if (c < 0 && pc->added) { /* an expression must not show what a rule masks */
            for (uint32_t j = 0; pc->term_columns && j < pc->added->nterms; j++) {
                int32_t tc = pc->term_columns[j];
                if (tc < 0 || !d->masks[tc])
                    continue;
                snprintf(what, sizeof what, "add-column \"%s\" reads $%s, which rule %s masks: "
                         "the added column would show its unmasked value", pc->added->column,
                         pc->added->terms[j].text, rule_of(m, d->masks[tc])->id);
                plan_fail(rule_of(m, pc->added), t, err, what);
                error_hint(err, "Leave $%s out of the expression.", pc->added->terms[j].text);
                return -1;
            }
            continue;
        }
        const map_transform *tr = c >= 0 ? d->masks[c] : NULL;
        if (!tr)
            continue;
        vp_mask mask = tr->action == MAP_MASK_DIGITS      ? VP_MASK_DIGITS
                       : tr->action == MAP_MASK_RANDOMIZE ? VP_MASK_RANDOMIZE
                                                          : VP_MASK_HASH;
        const char *hint = NULL;
        const char *no = mask_refused(mask, col, keyed, why, sizeof why, &hint);
        if (no) {
            snprintf(what, sizeof what, "%s cannot mask column \"%.*s\" of type %.*s: %s",
                     value_mask_name(mask), (int)col->name.len, col->name.ptr,
                     (int)col->source_type.len, col->source_type.ptr, no);
            plan_fail(rule_of(m, tr), t, err, what);
            error_hint(err, "%s", hint);
            return -1;
        }
        pc->policy.mask = (uint8_t)mask;
        pc->policy.mask_char = mask == VP_MASK_DIGITS ? tr->value[0] : 0;
        pc->policy.mask_type = col->type;
        p->passthrough = 0; /* the projection runs it, on values in canonical text */
        p->values_untouched = 0;
        p->has_policies = 1;
    }
    return 0;
}

static int build_target(const mapping *m, sluice_catalog *out, const sluice_table *t,
                        const draft *d, table_plan *p, sluice_error *err)
{
    const sluice_host *h = host_api();
    uint32_t n = t->ncolumns, kept = 0, renamed = 0, retyped = 0;
    for (uint32_t c = 0; c < n; c++) {
        kept += d->keep[c] != 0;
        renamed |= !str_eq(sluice_table_column(t, c)->name, d->names[c]);
        retyped |= d->types[c] != NULL;
    }
    uint32_t total = kept + d->nadded;
    if (total == 0) {
        error_set(err, SLUICE_FATAL, "the mapping leaves table \"%.*s.%.*s\" without columns",
                  (int)t->schema.len, t->schema.ptr, (int)t->name.len, t->name.ptr);
        error_hint(err, "Check its remove-column and include-column rules.");
        return -1;
    }
    p->passthrough = kept == n && d->nadded == 0;
    p->values_untouched = d->nadded == 0 && !retyped;
    p->target = catalog_new_shape(out, t, total);
    p->columns = calloc(total, sizeof *p->columns);
    if (!p->target || !p->columns)
        return error_set(err, SLUICE_FATAL, "out of memory"), -1;
    uint32_t k = 0;
    for (uint32_t c = 0; c < n + d->nadded; c++) {
        if (c < n && !d->keep[c])
            continue;
        const sluice_column *from = c < n ? sluice_table_column(t, c) : NULL;
        int32_t before = c < n ? -1 : d->before[c - n];
        /* a before image has its column's type */
        const sluice_column *typed = before >= 0 ? sluice_table_column(t, (uint32_t)before) : from;
        sluice_str name = {d->names[c], strlen(d->names[c])};
        uint32_t flags = from ? from->flags : SLUICE_COLUMN_NULLABLE;
        if (d->key) {
            flags &= ~SLUICE_COLUMN_KEY;
            if (in_key(d, d->names[c], from ? from->name : (sluice_str){"", 0}))
                flags = (flags | SLUICE_COLUMN_KEY) & ~SLUICE_COLUMN_NULLABLE;
        }
        sluice_str type_name = typed ? typed->source_type : (sluice_str){"", 0};
        int32_t precision = typed ? typed->precision : -1, scale = typed ? typed->scale : -1;
        sluice_type type = typed ? (sluice_type)typed->type : SLUICE_TYPE_TEXT;
        if (d->types[c]) {
            type = plan_type_of(d->types[c], &precision, &scale);
            type_name = (sluice_str){d->types[c], strlen(d->types[c])};
        }
        if (h->column_set(p->target, k, name, type_name, type, flags) != 0)
            return error_set(err, SLUICE_FATAL, "out of memory"), -1;
        sluice_column *col = sluice_table_column(p->target, k);
        col->precision = precision;
        col->scale = scale;
        if (from) {
            col->element_type = d->types[c] ? 0 : from->element_type;
            p->columns[k].source = (int32_t)c;
            /* type rules, unless a change-data-type rule said what the column is */
            if (!d->types[c] && type_rules_column(m->types, t, from, p->target, k,
                                                  &p->columns[k].policy,
                                                  &p->values_untouched, err) != 0)
                return -1;
            if (value_policy_active(&p->columns[k].policy))
                p->passthrough = 0, p->has_policies = 1; /* the projection runs them */
        } else if (before >= 0) {
            col->element_type = typed->element_type;
            p->columns[k].source = -1;
            p->columns[k].added = d->added[c - n];
            p->columns[k].before.kind = MAP_TERM_BEFORE_IMAGE;
            if (!(p->columns[k].term_columns = malloc(sizeof *p->columns[k].term_columns)))
                return error_set(err, SLUICE_FATAL, "out of memory"), -1;
            p->columns[k].term_columns[0] = before;
            if (type_rules_column(m->types, t, typed, p->target, k, &p->columns[k].policy,
                                  &p->values_untouched, err) != 0)
                return -1;
            if (value_policy_active(&p->columns[k].policy))
                p->has_policies = 1;
        } else {
            p->columns[k].source = -1;
            p->columns[k].added = d->added[c - n];
            if (resolve_terms(m, t, p->columns[k].added, &p->columns[k], err) != 0)
                return -1;
        }
        k++;
    }
    if (d->key)
        for (uint32_t j = 0; j < d->key->nkey_columns; j++) {
            int found = 0;
            for (uint32_t c = 0; c < total; c++)
                found |= strcmp(sluice_table_column(p->target, c)->name.ptr,
                                d->key->key_columns[j]) == 0 &&
                         sluice_table_column(p->target, c)->name.len ==
                             strlen(d->key->key_columns[j]);
            if (!found) {
                char what[300];
                snprintf(what, sizeof what, "define-primary-key names column \"%s\", which "
                         "the mapped table does not have", d->key->key_columns[j]);
                plan_fail(rule_of(m, d->key), t, err, what);
                error_hint(err, "Name the key columns by their target names.");
                return -1;
            }
        }
    if (plan_masks(m, t, d, p, err) != 0)
        return -1;
    /* Without added columns, sources only increase with the target index (kept columns
       stay in order), so target i reads source >= i: the row's array can be compacted
       where it is. */
    p->in_place = d->nadded == 0;
    if (!(p->sources = malloc((size_t)total * sizeof *p->sources)))
        return error_set(err, SLUICE_FATAL, "out of memory"), -1;
    for (uint32_t c = 0; c < total; c++)
        p->sources[c] = p->columns[c].source;
    if (p->in_place && !(p->runs = calloc(total, sizeof *p->runs)))
        return error_set(err, SLUICE_FATAL, "out of memory"), -1;
    for (uint32_t c = 0; p->in_place && c < total; c++) {
        if (p->sources[c] == (int32_t)c)
            continue; /* stays where it is */
        plan_run *last = p->nruns ? &p->runs[p->nruns - 1] : NULL;
        if (last && last->dst + last->len == c && last->src + last->len == (uint32_t)p->sources[c])
            last->len++;
        else
            p->runs[p->nruns++] = (plan_run){c, (uint32_t)p->sources[c], 1};
    }
    copy_indexes(t, p->target, d, renamed || kept != n);
    return 0;
}

/* A row function may rewrite any value, so the table's values travel in text. */
static int has_row_function(const mapping *m, const sluice_table *t)
{
    for (size_t i = 0; i < m->nrules; i++)
        if (m->rules[i].kind == MAP_RULE_TRANSFORMATION &&
            (m->rules[i].u.tr.action == MAP_ROW_FUNCTION || m->rules[i].u.tr.has_fn) &&
            rule_matches_table(&m->rules[i].u.tr, t))
            return 1;
    return 0;
}

int table_plan_build(const mapping *m, sluice_catalog *out, const sluice_table *source,
               table_plan **plan, sluice_error *err)
{
    *plan = NULL;
    table_plan *p = calloc(1, sizeof *p);
    draft d;
    memset(&d, 0, sizeof d);
    char *schema = strndup(source->schema.ptr, source->schema.len);
    char *name = strndup(source->name.ptr, source->name.len);
    int rc = -1;
    if (!p || !schema || !name || apply_names(m, MAP_TARGET_SCHEMA, source, source->name, &schema) ||
        apply_names(m, MAP_TARGET_TABLE, source, source->name, &name) ||
        draft_columns(m, source, &d) != 0) {
        error_set(err, SLUICE_FATAL, "out of memory");
    } else {
        p->source = source;
        if (build_target(m, out, source, &d, p, err) == 0 &&
            build_filters(m, source, p, err) == 0 &&
            host_api()->table_rename(p->target, (sluice_str){schema, strlen(schema)},
                                     (sluice_str){name, strlen(name)}) == 0)
            rc = 0;
        if (has_row_function(m, source))
            p->values_untouched = 0;
    }
    draft_free(&d, source->ncolumns + d.nadded);
    free(schema);
    free(name);
    if (rc != 0) {
        table_plan_free(p);
        return -1;
    }
    *plan = p;
    return 0;
}
