/*
 * The rule list: storage, the vocabulary (DMS names), wildcard matching and
 * table selection.
 */
#include "mapping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapping_settings.h"
#include "report.h"

mapping *mapping_new(void)
{
    return calloc(1, sizeof(mapping));
}

static void free_strings(char **v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_rule(map_rule *r)
{
    free(r->id);
    free(r->where);
    if (r->kind == MAP_RULE_SELECTION) {
        map_selection *s = &r->u.sel;
        free(s->schema);
        free(s->table);
        for (uint32_t i = 0; i < s->nfilters; i++) {
            map_filter *f = &s->filters[i];
            free(f->column);
            for (uint32_t k = 0; k < f->nconditions; k++)
                free_strings(f->conditions[k].values, f->conditions[k].nvalues);
            free(f->conditions);
        }
        free(s->filters);
    } else {
        map_transform *t = &r->u.tr;
        free(t->schema);
        free(t->table);
        free(t->column);
        free(t->value);
        free(t->old_value);
        free(t->data_type);
        free(t->suffix);
        for (uint32_t i = 0; i < t->nterms; i++)
            free(t->terms[i].text);
        free(t->terms);
        free_strings(t->key_columns, t->nkey_columns);
    }
}

void mapping_free(mapping *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nrules; i++)
        free_rule(&m->rules[i]);
    free(m->rules);
    mapping_settings_free(m->settings);
    free(m->script_path);
    free(m->script);
    free(m);
}

map_rule *mapping_add(mapping *m, map_rule_kind kind, const char *id, const char *where)
{
    if (m->nrules == m->capacity) {
        size_t n = m->capacity ? m->capacity * 2 : 8;
        map_rule *a = realloc(m->rules, n * sizeof *a);
        if (!a)
            return NULL;
        m->rules = a;
        m->capacity = n;
    }
    map_rule *r = &m->rules[m->nrules];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->id = strdup(id ? id : "");
    r->where = strdup(where ? where : "");
    if (!r->id || !r->where) {
        free(r->id);
        free(r->where);
        return NULL;
    }
    m->nrules++;
    if (kind == MAP_RULE_SELECTION)
        m->has_selection = 1;
    return r;
}

int mapping_like(const char *p, const char *s, size_t len)
{
    /* iterative with one backtrack point: linear for patterns of single % runs */
    size_t i = 0;
    const char *star = NULL;
    size_t star_i = 0;
    while (i < len) {
        if (*p == '%') {
            star = ++p;
            star_i = i;
        } else if (*p && (*p == '_' || *p == s[i])) {
            p++;
            i++;
        } else if (star) {
            p = star;
            i = ++star_i;
        } else {
            return 0;
        }
    }
    while (*p == '%')
        p++;
    return *p == '\0';
}

static int matches(const map_selection *s, sluice_str schema, sluice_str name)
{
    return mapping_like(s->schema, schema.ptr, schema.len) &&
           mapping_like(s->table, name.ptr, name.len);
}

const map_selection *mapping_selection_for(const mapping *m, sluice_str schema, sluice_str name)
{
    const map_selection *decides = NULL;
    for (size_t i = 0; m && i < m->nrules; i++)
        if (m->rules[i].kind == MAP_RULE_SELECTION && matches(&m->rules[i].u.sel, schema, name))
            decides = &m->rules[i].u.sel;
    return decides;
}

int mapping_selects(const mapping *m, sluice_str schema, sluice_str name)
{
    if (!m || !m->has_selection)
        return 1;
    const map_selection *s = mapping_selection_for(m, schema, name);
    return s && s->action != MAP_EXCLUDE;
}

static int missing(const map_rule *r, const char *what, const char *hint, sluice_error *err)
{
    error_set(err, SLUICE_FATAL, "%s: rule %s: %s needs %s", r->where, r->id,
              mapping_action_name(r->u.tr.action), what);
    error_hint(err, "%s", hint);
    return -1;
}

int mapping_check_transform(const map_rule *r, sluice_error *err)
{
    const map_transform *t = &r->u.tr;
    switch (t->action) {
    case MAP_RENAME:
    case MAP_ADD_PREFIX:
    case MAP_ADD_SUFFIX:
    case MAP_REMOVE_PREFIX:
    case MAP_REMOVE_SUFFIX:
        if (!t->value || !t->value[0])
            return missing(r, "a value", "Give the new name or the affix as value.", err);
        break;
    case MAP_REPLACE_PREFIX:
    case MAP_REPLACE_SUFFIX:
        if (!t->value || !t->old_value || !t->old_value[0])
            return missing(r, "value and old_value", "old_value is replaced by value.", err);
        break;
    case MAP_ADD_COLUMN:
        if (!t->column || !t->data_type) /* no expression or value: NULL, as in DMS */
            return missing(r, "column and data_type",
                           "For example column = \"op\", data_type = \"text\", "
                           "expression = \"$AR_H_OPERATION\".",
                           err);
        if (t->has_fn && (t->value || t->nterms))
            return missing(r, "fn alone", "The function's result is the value: leave value "
                           "and expression out.", err);
        break;
    case MAP_CHANGE_DATA_TYPE:
        if (!t->data_type)
            return missing(r, "data_type", "Name the target type: data_type = \"numeric(20,2)\".",
                           err);
        break;
    case MAP_DEFINE_PRIMARY_KEY:
        if (!t->nkey_columns)
            return missing(r, "columns", "List the key columns: columns = { \"a\", \"b\" }.",
                           err);
        break;
    case MAP_MASK_DIGITS:
        if (!t->value || !t->value[0])
            return missing(r, "a value (the masking character)",
                           "Give one printable ASCII character: value = \"#\".", err);
        if (strlen(t->value) != 1 || t->value[0] <= ' ' || t->value[0] > '~') {
            error_set(err, SLUICE_FATAL, "%s: rule %s: data-masking-digits-mask: the masking "
                      "character must be one printable ASCII character, not \"%s\"", r->where,
                      r->id, t->value);
            error_hint(err, "As in AWS DMS: one character from ! to ~ (not a space), such as "
                       "\"#\" or \"*\".");
            return -1;
        }
        break;
    case MAP_MASK_RANDOMIZE:
    case MAP_MASK_HASH:
        if (t->value) {
            error_set(err, SLUICE_FATAL, "%s: rule %s: %s takes no value", r->where, r->id,
                      mapping_action_name(t->action));
            error_hint(err, "Remove the value; only data-masking-digits-mask has one (the "
                       "masking character).");
            return -1;
        }
        break;
    default: break;
    }
    int column_rule = t->action == MAP_REMOVE_COLUMN || t->action == MAP_INCLUDE_COLUMN ||
                      t->action == MAP_ADD_COLUMN || t->action == MAP_CHANGE_DATA_TYPE ||
                      t->action == MAP_ADD_BEFORE_IMAGE || MAP_IS_MASK(t->action);
    if ((column_rule || t->target == MAP_TARGET_COLUMN) && !t->column)
        return missing(r, "a column", "Name the column (a pattern): column = \"%\".", err);
    if (column_rule && t->target != MAP_TARGET_COLUMN) {
        error_set(err, SLUICE_FATAL, "%s: rule %s: %s applies to columns, not to a %s",
                  r->where, r->id, mapping_action_name(t->action),
                  t->target == MAP_TARGET_TABLE ? "table" : "schema");
        error_hint(err, "Set target = \"column\" (rule-target \"column\").");
        return -1;
    }
    return 0;
}

int mapping_check(const mapping *m, sluice_error *err)
{
    for (size_t i = 0; i < m->nrules; i++) {
        const map_rule *r = &m->rules[i];
        if (r->kind == MAP_RULE_SELECTION && r->u.sel.action == MAP_EXPLICIT &&
            (strchr(r->u.sel.schema, '%') || strchr(r->u.sel.table, '%'))) {
            error_set(err, SLUICE_FATAL, "%s: rule %s: an explicit selection names one table",
                      r->where, r->id);
            error_detail(err, "It has the pattern \"%s.%s\".", r->u.sel.schema, r->u.sel.table);
            error_hint(err, "Use rule-action \"include\" for wildcards.");
            return -1;
        }
        if (r->kind == MAP_RULE_TRANSFORMATION && r->u.tr.action == MAP_ADD_COLUMN &&
            r->u.tr.column && strchr(r->u.tr.column, '%')) {
            error_set(err, SLUICE_FATAL, "%s: rule %s: add-column needs one column name",
                      r->where, r->id);
            error_detail(err, "It has the pattern \"%s\".", r->u.tr.column);
            error_hint(err, "Name the new column without %%.");
            return -1;
        }
    }
    return 0;
}

/* ---- vocabulary ---- */

static const struct {
    const char *name;
    sluice_filter_op op;
} filter_ops[] = {
    {"eq", SLUICE_FILTER_EQ},         {"noteq", SLUICE_FILTER_NE},
    {"ne", SLUICE_FILTER_NE},         {"lt", SLUICE_FILTER_LT},
    {"ste", SLUICE_FILTER_LE},        {"lte", SLUICE_FILTER_LE},
    {"le", SLUICE_FILTER_LE},         {"gt", SLUICE_FILTER_GT},
    {"gte", SLUICE_FILTER_GE},        {"ge", SLUICE_FILTER_GE},
    {"between", SLUICE_FILTER_BETWEEN}, {"null", SLUICE_FILTER_NULL},
    {"notnull", SLUICE_FILTER_NOT_NULL}, {"in", SLUICE_FILTER_IN},
};

sluice_filter_op mapping_filter_op(const char *name)
{
    for (size_t i = 0; i < sizeof filter_ops / sizeof filter_ops[0]; i++)
        if (strcmp(filter_ops[i].name, name) == 0)
            return filter_ops[i].op;
    return 0;
}

static const char *const action_names[] = {
    [MAP_RENAME] = "rename",
    [MAP_TO_LOWERCASE] = "convert-lowercase",
    [MAP_TO_UPPERCASE] = "convert-uppercase",
    [MAP_ADD_PREFIX] = "add-prefix",
    [MAP_REMOVE_PREFIX] = "remove-prefix",
    [MAP_REPLACE_PREFIX] = "replace-prefix",
    [MAP_ADD_SUFFIX] = "add-suffix",
    [MAP_REMOVE_SUFFIX] = "remove-suffix",
    [MAP_REPLACE_SUFFIX] = "replace-suffix",
    [MAP_REMOVE_COLUMN] = "remove-column",
    [MAP_INCLUDE_COLUMN] = "include-column",
    [MAP_ADD_COLUMN] = "add-column",
    [MAP_CHANGE_DATA_TYPE] = "change-data-type",
    [MAP_DEFINE_PRIMARY_KEY] = "define-primary-key",
    [MAP_ADD_BEFORE_IMAGE] = "add-before-image-columns", /* row-function: read apart */
    [MAP_MASK_DIGITS] = "data-masking-digits-mask",
    [MAP_MASK_RANDOMIZE] = "data-masking-digits-randomize",
    [MAP_MASK_HASH] = "data-masking-hash-mask",
};

map_action mapping_action(const char *name)
{
    for (size_t i = 1; i < sizeof action_names / sizeof action_names[0]; i++)
        if (action_names[i] && strcmp(action_names[i], name) == 0)
            return (map_action)i;
    return 0;
}

const char *mapping_action_name(map_action a)
{
    if (a == MAP_ROW_FUNCTION)
        return "row-function";
    return a > 0 && (size_t)a < sizeof action_names / sizeof action_names[0] && action_names[a]
               ? action_names[a]
               : "?";
}

map_target mapping_target(const char *name)
{
    if (strcmp(name, "schema") == 0)
        return MAP_TARGET_SCHEMA;
    if (strcmp(name, "table") == 0)
        return MAP_TARGET_TABLE;
    if (strcmp(name, "column") == 0)
        return MAP_TARGET_COLUMN;
    return 0;
}

/* ---- add-column expressions: 'text' || $COLUMN || $AR_H_OPERATION ... ---- */

static const struct {
    const char *name; /* after the $ */
    map_term_kind kind;
} metadata[] = {
    {"AR_H_OPERATION", MAP_TERM_OPERATION},
    {"AR_H_COMMIT_TIMESTAMP", MAP_TERM_COMMIT_TIME},
    {"AR_H_TIMESTAMP", MAP_TERM_COMMIT_TIME},
    {"AR_H_TRANSACTION_ID", MAP_TERM_TRANSACTION_ID},
    {"AR_H_STREAM_POSITION", MAP_TERM_POSITION},
    {"AR_H_CHANGE_SEQ", MAP_TERM_POSITION},
    {"AR_M_SOURCE_SCHEMA", MAP_TERM_SCHEMA_NAME},
    {"AR_M_SOURCE_TABLE_NAME", MAP_TERM_TABLE_NAME},
};

static int add_term(map_term **terms, uint32_t *n, map_term_kind kind, const char *text,
                    size_t len)
{
    map_term *a = realloc(*terms, (*n + 1) * sizeof *a);
    if (!a)
        return -1;
    *terms = a;
    a[*n].kind = kind;
    a[*n].text = NULL;
    if (text) {
        a[*n].text = strndup(text, len);
        if (!a[*n].text)
            return -1;
    }
    (*n)++;
    return 0;
}

static int is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || (unsigned char)c >= 0x80;
}

/* One term at *pp: a quoted string, a number, or $NAME. */
static int parse_term(const char **pp, map_term **terms, uint32_t *n, char *why, size_t whysize)
{
    const char *p = *pp;
    if (*p == '\'') {
        char *buf = malloc(strlen(p) + 1);
        size_t len = 0;
        if (!buf)
            return -1;
        for (p++;; p++) {
            if (*p == '\0') {
                free(buf);
                snprintf(why, whysize, "a quoted string is not closed");
                return -1;
            }
            if (*p == '\'' && p[1] == '\'') { /* '' is one quote, as in SQL */
                buf[len++] = '\'';
                p++;
            } else if (*p == '\'') {
                p++;
                break;
            } else {
                buf[len++] = *p;
            }
        }
        int rc = add_term(terms, n, MAP_TERM_CONSTANT, buf, len);
        free(buf);
        *pp = p;
        return rc;
    }
    if ((*p >= '0' && *p <= '9') || *p == '-') {
        const char *start = p++;
        while ((*p >= '0' && *p <= '9') || *p == '.')
            p++;
        *pp = p;
        return add_term(terms, n, MAP_TERM_CONSTANT, start, (size_t)(p - start));
    }
    if (*p == '$') {
        const char *start = ++p;
        while (is_name_char(*p))
            p++;
        size_t len = (size_t)(p - start);
        *pp = p;
        if (len == 0) {
            snprintf(why, whysize, "$ must be followed by a column name");
            return -1;
        }
        for (size_t i = 0; i < sizeof metadata / sizeof metadata[0]; i++)
            if (strlen(metadata[i].name) == len && memcmp(metadata[i].name, start, len) == 0)
                return add_term(terms, n, metadata[i].kind, NULL, 0);
        if (len > 3 && (memcmp(start, "AR_", 3) == 0)) {
            snprintf(why, whysize, "the header $%.*s is not supported (supported: "
                     "$AR_H_OPERATION, $AR_H_COMMIT_TIMESTAMP, $AR_H_TIMESTAMP, "
                     "$AR_H_TRANSACTION_ID, $AR_H_STREAM_POSITION, $AR_H_CHANGE_SEQ, "
                     "$AR_M_SOURCE_SCHEMA, $AR_M_SOURCE_TABLE_NAME)", (int)len, start);
            return -1;
        }
        return add_term(terms, n, MAP_TERM_COLUMN, start, len);
    }
    snprintf(why, whysize, "unsupported expression at \"%.20s\" (supported: 'text', numbers, "
             "$COLUMN, $AR_H_... headers, joined with ||)", p);
    return -1;
}

int mapping_term_parse(const char *expr, map_term **terms, uint32_t *nterms, char *why,
                       size_t whysize)
{
    const char *p = expr;
    *terms = NULL;
    *nterms = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (parse_term(&p, terms, nterms, why, whysize) != 0)
            goto fail;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return 0;
        if (p[0] != '|' || p[1] != '|') {
            snprintf(why, whysize, "unsupported expression at \"%.20s\" (terms are joined "
                     "with ||)", p);
            goto fail;
        }
        p += 2;
    }
fail:
    for (uint32_t i = 0; i < *nterms; i++)
        free((*terms)[i].text);
    free(*terms);
    *terms = NULL;
    *nterms = 0;
    return -1;
}
