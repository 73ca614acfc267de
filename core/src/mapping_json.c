/*
 * AWS DMS table-mapping JSON documents, loaded unchanged into the rule list.
 * The vocabulary is DMS's (docs.aws.amazon.com/dms/latest/userguide/
 * CHAP_Tasks.CustomizingTasks.TableMapping.html and the pages it links):
 *
 *   selection       object-locator {schema-name, table-name, table-type},
 *                   rule-action include | exclude | explicit, filters, load-order
 *   transformation  rule-target schema | table | column, object-locator
 *                   {schema-name, table-name, column-name}, rule-action, value,
 *                   old-value, expression, data-type, primary-key-def,
 *                   before-image-def (add-before-image-columns); the data-masking
 *                   rule-actions (CHAP_Tasks.CustomizingTasks.TableMapping.
 *                   SelectionTransformation.Masking.html) with "value" the
 *                   masking character of data-masking-digits-mask
 *   table-settings  object-locator, parallel-load, lob-settings
 *
 * Filter operators are DMS's (eq, noteq, lte, ste, gte, between, notbetween,
 * null, notnull) plus the ones sluice's Lua mappings also know (lt, gt, ne,
 * le, ge, in with a "value" list). Whatever sluice cannot honour is an error
 * naming the rule, never silently dropped. JSON null counts as absent, as the
 * DMS console writes "old-value": null.
 */
#include "mapping_json.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mapping_settings.h"
#include "options.h"
#include "report.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

typedef struct loader {
    mapping *m;
    mapping_settings *settings; /* where table-settings go (a scratch list when not kept) */
    int keep_settings;          /* 0: table-settings that change behaviour are refused */
    const char *where;
    char id[200];   /* stored in the rule: "3", or "3 (rule-name)" when the name differs */
    char rule[220]; /* in messages: "rule 3 (name)", or "rules[2]" before the id is known */
    sluice_error *err;
} loader;

static int fail(loader *ld, const char *hint, const char *fmt, ...) SLUICE_PRINTF(3, 4);
static int fail(loader *ld, const char *hint, const char *fmt, ...)
{
    char msg[SLUICE_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    error_set(ld->err, SLUICE_FATAL, "%s: %s: %s", ld->where, ld->rule, msg);
    if (hint)
        error_hint(ld->err, "%s", hint);
    return -1;
}

static int oom(loader *ld)
{
    return fail(ld, NULL, "out of memory");
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* A number as the shortest text that reads back the same (0.1, not 0.1000000000000000055). */
static void real_text(double d, char *buf, size_t size)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

/* A string or a number as text (values are canonical text); NULL for other types. */
static char *scalar_text(const json_t *v)
{
    char buf[64];
    if (json_is_string(v))
        return strndup(json_string_value(v), json_string_length(v));
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return strdup(buf);
    }
    if (json_is_real(v)) {
        real_text(json_real_value(v), buf, sizeof buf);
        return strdup(buf);
    }
    return NULL;
}

/* obj.key as text: NULL when absent or null; -1 on a wrong type. in names the
   enclosing object in messages ("object-locator"), NULL for the rule itself. */
static int text_of(loader *ld, const json_t *obj, const char *key, const char *in, char **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) && !json_is_number(v))
        return fail(ld, NULL, "\"%s\"%s%s must be a string, not %s", key, in ? " in " : "",
                    in ? in : "", type_name(v));
    return (*out = scalar_text(v)) ? 0 : oom(ld);
}

/* obj.key as an object: NULL when absent or null; -1 on a wrong type. */
static int object_of(loader *ld, const json_t *obj, const char *key, json_t **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return fail(ld, NULL, "\"%s\" must be an object, not %s", key, type_name(v));
    *out = v;
    return 0;
}

/* A non-negative whole number given as a number or as digits ("100000"). */
static int count_of(loader *ld, const json_t *obj, const char *key, const char *in, long *out)
{
    const json_t *v = json_object_get(obj, key);
    *out = -1;
    if (!v || json_is_null(v) || (json_is_string(v) && !json_string_value(v)[0]))
        return 0; /* "" too: the DMS documentation writes "scale": "" for strings */
    if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 1L << 30) {
        *out = (long)json_integer_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        long n = strtol(s, &end, 10);
        if (*s >= '0' && *s <= '9' && *end == '\0' && errno == 0 && n <= 1L << 30) {
            *out = n;
            return 0;
        }
    }
    return fail(ld, NULL, "\"%s\" in %s must be a whole number, not %s", key, in, type_name(v));
}

/* A list of strings or numbers; -1 on anything else. */
static int text_list(loader *ld, const json_t *v, const char *key, char ***out, uint32_t *n)
{
    if (!json_is_array(v))
        return fail(ld, NULL, "\"%s\" must be a list, not %s", key, type_name(v));
    *out = calloc(json_array_size(v) + 1, sizeof **out);
    if (!*out)
        return oom(ld);
    size_t i;
    const json_t *item;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item) && !json_is_number(item))
            return fail(ld, NULL, "\"%s\"[%zu] must be a string, not %s", key, i,
                        type_name(item));
        if (!((*out)[(*n)++] = scalar_text(item)))
            return oom(ld);
    }
    return 0;
}

/* Every key of obj must be one of keys; an unknown one names the nearest. */
static int check_keys(loader *ld, const json_t *obj, const char *const *keys, size_t nkeys,
                      const char *what)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        size_t i = 0;
        while (i < nkeys && strcmp(key, keys[i]) != 0)
            i++;
        if (i < nkeys)
            continue;
        const char *near = options_nearest(key, keys, nkeys);
        char hint[600];
        if (near) {
            snprintf(hint, sizeof hint, "Did you mean \"%s\"?", near);
        } else {
            char list[500];
            options_join(keys, nkeys, list, sizeof list);
            snprintf(hint, sizeof hint, "Known keys are %s.", list);
        }
        return fail(ld, hint, "unknown key \"%s\" in %s", key, what);
    }
    return 0;
}

/* name must be one of names: else an error naming the nearest. */
static int unknown_word(loader *ld, const char *lead, const char *what, const char *name,
                        const char *const *names, size_t n)
{
    char list[600], hint[700];
    options_join(names, n, list, sizeof list);
    const char *near = options_nearest(name, names, n);
    if (near)
        snprintf(hint, sizeof hint, "Did you mean \"%s\"? Valid values are %s.", near, list);
    else
        snprintf(hint, sizeof hint, "Valid values are %s.", list);
    return fail(ld, hint, "%sunknown %s \"%s\"", lead, what, name);
}

/* ---- selection rules ---- */

static const char *const filter_op_names[] = {"eq",      "noteq",      "lte",  "ste",
                                              "gte",     "between",    "notbetween",
                                              "null",    "notnull",    "lt",   "gt",
                                              "ne",      "le",         "ge",   "in"};

static map_condition *add_condition(map_filter *f, sluice_filter_op op)
{
    map_condition *a = realloc(f->conditions, (f->nconditions + 1) * sizeof *a);
    if (!a)
        return NULL;
    f->conditions = a;
    map_condition *c = &a[f->nconditions++];
    memset(c, 0, sizeof *c);
    c->op = op;
    return c;
}

/* A condition taking one value (key) into c. */
static int one_value(loader *ld, const json_t *cond, const char *key, map_condition *c)
{
    char *v;
    if (text_of(ld, cond, key, "a filter condition", &v) != 0)
        return -1;
    if (!v)
        return 0;
    char **a = realloc(c->values, (c->nvalues + 1) * sizeof *a);
    if (!a) {
        free(v);
        return oom(ld);
    }
    c->values = a;
    a[c->nvalues++] = v;
    return 0;
}

static int read_condition(loader *ld, const json_t *cond, map_filter *f)
{
    static const char *const keys[] = {"filter-operator", "value", "start-value", "end-value"};
    if (!json_is_object(cond))
        return fail(ld, NULL, "filter on \"%s\": a filter condition must be an object, not %s",
                    f->column, type_name(cond));
    if (check_keys(ld, cond, keys, NELEMS(keys), "a filter condition") != 0)
        return -1;
    char *name;
    if (text_of(ld, cond, "filter-operator", "a filter condition", &name) != 0)
        return -1;
    if (!name)
        return fail(ld, "Write {\"filter-operator\": \"eq\", \"value\": \"...\"}.",
                    "filter on \"%s\": a condition has no \"filter-operator\"", f->column);
    int notbetween = strcmp(name, "notbetween") == 0;
    sluice_filter_op op = notbetween ? SLUICE_FILTER_BETWEEN : mapping_filter_op(name);
    if (!op) {
        char lead[300];
        snprintf(lead, sizeof lead, "filter on \"%s\": ", f->column);
        int rc = unknown_word(ld, lead, "filter-operator", name, filter_op_names,
                              NELEMS(filter_op_names));
        free(name);
        return rc;
    }
    const json_t *value = json_object_get(cond, "value");
    int has_value = value && !json_is_null(value);
    int has_range = json_object_get(cond, "start-value") || json_object_get(cond, "end-value");
    int rc = 0;
    if (op == SLUICE_FILTER_NULL || op == SLUICE_FILTER_NOT_NULL) {
        if (has_value || has_range)
            rc = fail(ld, NULL, "filter on \"%s\": %s takes no value", f->column, name);
        else if (!add_condition(f, op))
            rc = oom(ld);
    } else if (op == SLUICE_FILTER_BETWEEN) {
        /* notbetween is outside the range, ends excluded: < start OR > end, two
           conditions of this filter, which are OR-ed anyway */
        map_condition *lo = add_condition(f, notbetween ? SLUICE_FILTER_LT : op);
        map_condition *hi = lo && notbetween ? add_condition(f, SLUICE_FILTER_GT) : lo;
        if (notbetween && hi)
            lo = hi - 1; /* add_condition may have moved the array */
        if (!hi)
            rc = oom(ld);
        else if (has_value)
            rc = fail(ld, "Give \"start-value\" and \"end-value\".",
                      "filter on \"%s\": %s takes \"start-value\" and \"end-value\", not \"value\"",
                      f->column, name);
        else if (one_value(ld, cond, "start-value", lo) != 0 ||
                 one_value(ld, cond, "end-value", hi) != 0)
            rc = -1;
        else if (lo->nvalues + (notbetween ? hi->nvalues : 0) != 2)
            rc = fail(ld, "Give \"start-value\" and \"end-value\".",
                      "filter on \"%s\": %s needs \"start-value\" and \"end-value\"", f->column,
                      name);
    } else if (has_range) {
        rc = fail(ld, "Give one \"value\".",
                  "filter on \"%s\": %s takes \"value\", not \"start-value\"/\"end-value\"",
                  f->column, name);
    } else if (op == SLUICE_FILTER_IN) {
        map_condition *c = add_condition(f, op);
        if (!c)
            rc = oom(ld);
        else if (!has_value || (json_is_array(value) && json_array_size(value) == 0))
            rc = fail(ld, "Write \"value\": [\"a\", \"b\"].",
                      "filter on \"%s\": in needs a non-empty \"value\" list", f->column);
        else
            rc = text_list(ld, value, "value", &c->values, &c->nvalues);
    } else {
        map_condition *c = add_condition(f, op);
        if (!c)
            rc = oom(ld);
        else if (one_value(ld, cond, "value", c) != 0)
            rc = -1;
        else if (c->nvalues != 1)
            rc = fail(ld, "Give the value to compare with: \"value\": \"100\".",
                      "filter on \"%s\": %s needs a \"value\"", f->column, name);
    }
    free(name);
    return rc;
}

static int read_filter(loader *ld, const json_t *item, map_filter *f)
{
    static const char *const keys[] = {"filter-type", "column-name", "filter-conditions"};
    if (!json_is_object(item))
        return fail(ld, NULL, "a filter must be an object, not %s", type_name(item));
    if (check_keys(ld, item, keys, NELEMS(keys), "a filter") != 0)
        return -1;
    char *type;
    if (text_of(ld, item, "filter-type", "a filter", &type) != 0)
        return -1;
    int source = !type || strcmp(type, "source") == 0;
    if (!source) {
        int rc = fail(ld, "DMS filters are \"filter-type\": \"source\".",
                      "unknown filter-type \"%s\"", type);
        free(type);
        return rc;
    }
    free(type);
    if (text_of(ld, item, "column-name", "a filter", &f->column) != 0)
        return -1;
    if (!f->column)
        return fail(ld, "Name the column: \"column-name\": \"...\".",
                    "a filter has no \"column-name\"");
    const json_t *conds = json_object_get(item, "filter-conditions");
    if (!json_is_array(conds) || json_array_size(conds) == 0)
        return fail(ld,
                    "Write \"filter-conditions\": [{\"filter-operator\": \"eq\", "
                    "\"value\": \"...\"}].",
                    "filter on \"%s\": \"filter-conditions\" must be a non-empty list", f->column);
    size_t i;
    const json_t *cond;
    json_array_foreach(conds, i, cond)
        if (read_condition(ld, cond, f) != 0)
            return -1;
    return 0;
}

static int read_filters(loader *ld, const json_t *rule, map_selection *s)
{
    const json_t *list = json_object_get(rule, "filters");
    if (!list || json_is_null(list))
        return 0;
    if (!json_is_array(list))
        return fail(ld, NULL, "\"filters\" must be a list, not %s", type_name(list));
    if (json_array_size(list) && s->action == MAP_EXCLUDE)
        return fail(ld, "Filters choose the rows of included tables: use them on an include rule.",
                    "an exclude rule has filters (DMS applies filters only to include rules)");
    s->filters = calloc(json_array_size(list) + 1, sizeof *s->filters);
    if (!s->filters)
        return oom(ld);
    size_t i;
    const json_t *item;
    json_array_foreach(list, i, item)
        if (read_filter(ld, item, &s->filters[s->nfilters++]) != 0)
            return -1;
    return 0;
}

static int read_selection(loader *ld, const json_t *rule)
{
    /* load-order only orders DMS's table initialisation; the data moved is the
       same, so it is accepted and ignored */
    static const char *const keys[] = {"rule-type",   "rule-id", "rule-name", "object-locator",
                                       "rule-action", "filters", "load-order"};
    static const char *const locator_keys[] = {"schema-name", "table-name", "table-type"};
    static const char *const actions[] = {"include", "exclude", "explicit"};
    if (check_keys(ld, rule, keys, NELEMS(keys), "a selection rule") != 0)
        return -1;
    const json_t *order = json_object_get(rule, "load-order");
    if (order && !json_is_null(order) && !json_is_string(order) && !json_is_integer(order))
        return fail(ld, NULL, "\"load-order\" must be a number, not %s", type_name(order));
    char *action, *type = NULL;
    if (text_of(ld, rule, "rule-action", NULL, &action) != 0)
        return -1;
    if (!action)
        return fail(ld, "Selection rules are \"include\", \"exclude\" or \"explicit\".",
                    "a selection rule has no \"rule-action\"");
    map_select_action a = strcmp(action, "include") == 0    ? MAP_INCLUDE
                          : strcmp(action, "exclude") == 0  ? MAP_EXCLUDE
                          : strcmp(action, "explicit") == 0 ? MAP_EXPLICIT
                                                            : 0;
    if (!a) {
        int rc = unknown_word(ld, "", "selection rule-action", action, actions, NELEMS(actions));
        free(action);
        return rc;
    }
    free(action);
    json_t *loc;
    if (object_of(ld, rule, "object-locator", &loc) != 0)
        return -1;
    if (!loc)
        return fail(ld,
                    "Write \"object-locator\": {\"schema-name\": \"...\", "
                    "\"table-name\": \"%\"}.",
                    "a selection rule has no \"object-locator\"");
    if (check_keys(ld, loc, locator_keys, NELEMS(locator_keys), "object-locator") != 0 ||
        text_of(ld, loc, "table-type", "object-locator", &type) != 0)
        return -1;
    if (type && strcmp(type, "table") != 0) {
        int rc = fail(ld, "sluice moves tables; remove \"table-type\" or set it to \"table\".",
                      "table-type \"%s\" is not supported (views cannot be replicated)", type);
        free(type);
        return rc;
    }
    free(type);
    map_rule *r = mapping_add(ld->m, MAP_RULE_SELECTION, ld->id, ld->where);
    if (!r)
        return oom(ld);
    map_selection *s = &r->u.sel;
    s->action = a;
    if (text_of(ld, loc, "schema-name", "object-locator", &s->schema) != 0 ||
        text_of(ld, loc, "table-name", "object-locator", &s->table) != 0)
        return -1;
    if (!s->schema)
        return fail(ld, "Name the schema (a pattern: \"%\" for all).",
                    "\"object-locator\" has no \"schema-name\"");
    if (!s->table && !(s->table = strdup("%")))
        return oom(ld);
    return read_filters(ld, rule, s);
}

/* ---- data types: DMS names to PostgreSQL names ---- */

static const char *const dms_types[] = {
    "boolean", "bytes",  "blob",  "date",  "time",  "datetime", "int1",  "int2",
    "int4",    "int8",   "uint1", "uint2", "uint4", "uint8",    "numeric", "real4",
    "real8",   "string", "wstring", "clob", "nclob"};

/* {"type": "numeric", "precision": 10, "scale": 2} -> "numeric(10,2)" (the PostgreSQL
   target types DMS itself uses, except uint8: numeric(20,0), since bigint overflows). */
static int pg_type(loader *ld, const json_t *dt, char **out)
{
    static const char *const keys[] = {"type", "precision", "scale", "length"};
    static const struct {
        const char *dms, *pg;
    } plain[] = {
        {"boolean", "boolean"}, {"bytes", "bytea"},   {"blob", "bytea"},
        {"date", "date"},       {"time", "time"},     {"int1", "smallint"},
        {"int2", "smallint"},   {"int4", "integer"},  {"int8", "bigint"},
        {"uint1", "smallint"},  {"uint2", "integer"}, {"uint4", "bigint"},
        {"uint8", "numeric(20,0)"}, {"real4", "real"}, {"real8", "double precision"},
        {"clob", "text"},       {"nclob", "text"},
    };
    if (!json_is_object(dt))
        return fail(ld, "Write \"data-type\": {\"type\": \"int8\"}.",
                    "\"data-type\" must be an object, not %s", type_name(dt));
    char *type;
    long precision, scale, length;
    if (check_keys(ld, dt, keys, NELEMS(keys), "data-type") != 0 ||
        text_of(ld, dt, "type", "data-type", &type) != 0)
        return -1;
    if (!type)
        return fail(ld, "Write \"data-type\": {\"type\": \"int8\"}.",
                    "\"data-type\" has no \"type\"");
    if (count_of(ld, dt, "precision", "data-type", &precision) != 0 ||
        count_of(ld, dt, "scale", "data-type", &scale) != 0 ||
        count_of(ld, dt, "length", "data-type", &length) != 0) {
        free(type);
        return -1;
    }
    char buf[64] = "";
    int rc = 0;
    for (size_t i = 0; i < NELEMS(plain) && !buf[0]; i++)
        if (strcasecmp(type, plain[i].dms) == 0)
            snprintf(buf, sizeof buf, "%s", plain[i].pg);
    if (buf[0]) {
        /* done */
    } else if (strcasecmp(type, "datetime") == 0) {
        long p = scale >= 0 ? scale : precision; /* DMS's own example gives precision */
        if (p > 6)
            rc = fail(ld, "Use a precision of 6 or less.",
                      "datetime with %ld fractional digits: PostgreSQL timestamps hold 6", p);
        else if (p >= 0)
            snprintf(buf, sizeof buf, "timestamp(%ld)", p);
        else
            snprintf(buf, sizeof buf, "timestamp");
    } else if (strcasecmp(type, "numeric") == 0) {
        if (precision < 0 && scale >= 0)
            rc = fail(ld, "Give \"precision\" with \"scale\".",
                      "numeric has a scale but no precision");
        else if (precision == 0 || precision > 1000)
            rc = fail(ld, "PostgreSQL numeric precision is 1 to 1000.",
                      "numeric precision %ld is out of range", precision);
        else if (scale > precision)
            rc = fail(ld, "The scale is at most the precision.",
                      "numeric scale %ld is larger than its precision %ld", scale, precision);
        else if (precision > 0)
            snprintf(buf, sizeof buf, "numeric(%ld,%ld)", precision, scale > 0 ? scale : 0);
        else
            snprintf(buf, sizeof buf, "numeric");
    } else if (strcasecmp(type, "string") == 0 || strcasecmp(type, "wstring") == 0) {
        if (length == 0)
            rc = fail(ld, "Give a length of 1 or more, or none for text.", "%s length 0", type);
        else if (length > 0 && length <= 10485760) /* PostgreSQL's varchar limit */
            snprintf(buf, sizeof buf, "varchar(%ld)", length);
        else
            snprintf(buf, sizeof buf, "text");
    } else if (strcasecmp(type, "set") == 0 || strcasecmp(type, "list") == 0 ||
               strcasecmp(type, "map") == 0 || strcasecmp(type, "tuple") == 0) {
        rc = fail(ld, "Use a scalar type such as \"string\".",
                  "data-type \"%s\" (a Cassandra collection) has no PostgreSQL column type", type);
    } else {
        rc = unknown_word(ld, "", "data-type", type, dms_types, NELEMS(dms_types));
    }
    free(type);
    if (rc == 0 && !(*out = strdup(buf)))
        rc = oom(ld);
    return rc;
}

/* ---- transformation rules ---- */

static const char *const target_names[] = {"schema", "table", "column", "table-tablespace",
                                           "index-tablespace"};

static const char *const action_names[] = {
    "rename",          "remove-column",    "convert-lowercase",  "convert-uppercase",
    "add-prefix",      "remove-prefix",    "replace-prefix",     "add-suffix",
    "remove-suffix",   "replace-suffix",   "define-primary-key", "change-data-type",
    "add-column",      "include-column",   "add-before-image-columns",
    "data-masking-digits-mask", "data-masking-digits-randomize", "data-masking-hash-mask"};

/* sluice honours every rule-action DMS has: an unknown one names the nearest. */
static int refuse_action(loader *ld, const char *action)
{
    return unknown_word(ld, "", "rule-action", action, action_names, NELEMS(action_names));
}

/* The JSON spellings of what mapping_check_transform() asks for, so the hint
   names the key the user writes. */
static int check_json_shape(loader *ld, const map_transform *t, const char *action)
{
    switch (t->action) {
    case MAP_RENAME:
    case MAP_ADD_PREFIX:
    case MAP_ADD_SUFFIX:
    case MAP_REMOVE_PREFIX:
    case MAP_REMOVE_SUFFIX:
        if (!t->value || !t->value[0])
            return fail(ld, "Give the new name or the affix as \"value\".", "%s needs a \"value\"",
                        action);
        break;
    case MAP_REPLACE_PREFIX:
    case MAP_REPLACE_SUFFIX:
        if (!t->value || !t->old_value || !t->old_value[0])
            return fail(ld, "\"old-value\" is replaced by \"value\".",
                        "%s needs \"value\" and \"old-value\"", action);
        break;
    case MAP_CHANGE_DATA_TYPE:
        if (!t->data_type)
            return fail(ld, "Write \"data-type\": {\"type\": \"int8\"}.",
                        "change-data-type needs a \"data-type\"");
        break;
    case MAP_ADD_COLUMN:
        if (!t->column)
            return fail(ld, "Name the new column in \"value\".",
                        "add-column needs a \"value\" (the new column's name)");
        if (!t->data_type)
            return fail(ld, "Write \"data-type\": {\"type\": \"string\", \"length\": 50}.",
                        "add-column needs a \"data-type\"");
        break; /* without an expression the column is NULL, as in DMS */
    case MAP_DEFINE_PRIMARY_KEY:
        if (!t->nkey_columns)
            return fail(ld, "Write \"primary-key-def\": {\"name\": \"pk\", \"columns\": [\"a\"]}.",
                        "define-primary-key needs \"primary-key-def\" with \"columns\"");
        if (t->target != MAP_TARGET_TABLE)
            return fail(ld, "Set \"rule-target\": \"table\".",
                        "define-primary-key applies to tables");
        break;
    case MAP_MASK_DIGITS:
        if (!t->value || !t->value[0])
            return fail(ld, "Give the masking character: \"value\": \"#\".",
                        "data-masking-digits-mask needs a \"value\" (the masking character)");
        break; /* what the character may be: mapping_check_transform() */
    default: break;
    }
    int column_rule = t->action == MAP_REMOVE_COLUMN || t->action == MAP_INCLUDE_COLUMN ||
                      t->action == MAP_ADD_COLUMN || t->action == MAP_CHANGE_DATA_TYPE ||
                      t->action == MAP_ADD_BEFORE_IMAGE || MAP_IS_MASK(t->action);
    if (column_rule && t->target != MAP_TARGET_COLUMN)
        return fail(ld, "Set \"rule-target\": \"column\".", "%s applies to columns", action);
    if (t->target == MAP_TARGET_COLUMN && !t->column)
        return fail(ld, "Name the column in \"object-locator\": \"column-name\": \"%\" for all.",
                    "a column rule needs \"column-name\" in \"object-locator\"");
    return 0;
}

/* primary-key-def {name, origin, columns} -> key_columns. The name is not kept:
   the sink names the key itself. */
static int read_key(loader *ld, const json_t *rule, map_transform *t)
{
    static const char *const keys[] = {"name", "origin", "columns"};
    json_t *def;
    char *origin;
    if (object_of(ld, rule, "primary-key-def", &def) != 0)
        return -1;
    if (!def)
        return 0;
    if (t->action != MAP_DEFINE_PRIMARY_KEY)
        return fail(ld, "Remove it, or use rule-action define-primary-key.",
                    "\"primary-key-def\" goes with define-primary-key, not %s",
                    mapping_action_name(t->action));
    if (check_keys(ld, def, keys, NELEMS(keys), "primary-key-def") != 0 ||
        text_of(ld, def, "origin", "primary-key-def", &origin) != 0)
        return -1;
    if (origin && strcmp(origin, "primary-key") != 0) {
        int rc = strcmp(origin, "unique-index") == 0
                     ? fail(ld, "Use \"origin\": \"primary-key\" (the key sluice applies "
                                "changes by).",
                            "origin \"unique-index\" is not supported (sluice defines a "
                            "primary key)")
                     : fail(ld, "Valid values are \"primary-key\" and \"unique-index\".",
                            "unknown primary-key-def origin \"%s\"", origin);
        free(origin);
        return rc;
    }
    free(origin);
    const json_t *cols = json_object_get(def, "columns");
    if (!cols || json_is_null(cols))
        return 0;
    return text_list(ld, cols, "columns", &t->key_columns, &t->nkey_columns);
}

/* before-image-def {column-prefix (default "BI_"), column-suffix (default ""),
   column-filter (default "pk-only")}, as DMS defines it for add-before-image-columns. */
static int read_before_image(loader *ld, const json_t *rule, map_transform *t)
{
    static const char *const keys[] = {"column-prefix", "column-suffix", "column-filter"};
    static const char *const filters[] = {"pk-only", "non-lob", "all"};
    json_t *def;
    char *filter = NULL;
    if (object_of(ld, rule, "before-image-def", &def) != 0)
        return -1;
    if (t->action != MAP_ADD_BEFORE_IMAGE) {
        if (!def)
            return 0;
        return fail(ld, "Remove it, or use rule-action add-before-image-columns.",
                    "\"before-image-def\" goes with add-before-image-columns, not %s",
                    mapping_action_name(t->action));
    }
    free(t->value); /* DMS has no "value" here: the prefix takes its place */
    t->value = NULL;
    if (def && (check_keys(ld, def, keys, NELEMS(keys), "before-image-def") != 0 ||
                text_of(ld, def, "column-prefix", "before-image-def", &t->value) != 0 ||
                text_of(ld, def, "column-suffix", "before-image-def", &t->suffix) != 0 ||
                text_of(ld, def, "column-filter", "before-image-def", &filter) != 0))
        return -1;
    int rc = 0;
    if (filter && strcmp(filter, "pk-only") != 0) {
        if (strcmp(filter, "non-lob") == 0)
            t->bi_filter = MAP_BI_NON_LOB;
        else if (strcmp(filter, "all") == 0)
            t->bi_filter = MAP_BI_ALL;
        else
            rc = unknown_word(ld, "", "before-image-def column-filter", filter, filters,
                              NELEMS(filters));
    }
    free(filter);
    if (rc == 0 && ((!t->value && !(t->value = strdup("BI_"))) ||
                    (!t->suffix && !(t->suffix = strdup(""))) ||
                    (!t->column && !(t->column = strdup("%")))))
        return oom(ld);
    return rc;
}

static int read_transformation(loader *ld, const json_t *rule)
{
    static const char *const keys[] = {"rule-type",     "rule-id",        "rule-name",
                                       "rule-target",   "object-locator", "rule-action",
                                       "value",         "old-value",      "expression",
                                       "data-type",     "primary-key-def", "before-image-def"};
    static const char *const locator_keys[] = {"schema-name", "table-name", "column-name",
                                               "data-type", "table-tablespace-name",
                                               "index-tablespace-name"};
    if (check_keys(ld, rule, keys, NELEMS(keys), "a transformation rule") != 0)
        return -1;
    char *action_name = NULL, *target_name = NULL, *expression = NULL, *value = NULL;
    int rc = -1;
    map_action action = 0;
    map_target target = 0;
    json_t *loc;
    if (text_of(ld, rule, "rule-action", NULL, &action_name) != 0 ||
        text_of(ld, rule, "rule-target", NULL, &target_name) != 0)
        goto out;
    if (!action_name) {
        fail(ld, "Say what the rule does: \"rule-action\": \"rename\", ...",
             "a transformation rule has no \"rule-action\"");
        goto out;
    }
    if (!(action = mapping_action(action_name))) {
        refuse_action(ld, action_name);
        goto out;
    }
    if (!target_name) {
        fail(ld, "Add \"rule-target\": \"schema\", \"table\" or \"column\".",
             "a transformation rule has no \"rule-target\"");
        goto out;
    }
    if (!(target = mapping_target(target_name))) {
        if (strcmp(target_name, "table-tablespace") == 0 ||
            strcmp(target_name, "index-tablespace") == 0)
            fail(ld, "Remove the rule; tables and indexes go to the target's default tablespace.",
                 "rule-target %s is not supported (sluice does not place tables or indexes "
                 "in tablespaces)", target_name);
        else
            unknown_word(ld, "", "rule-target", target_name, target_names, NELEMS(target_names));
        goto out;
    }
    if (object_of(ld, rule, "object-locator", &loc) != 0)
        goto out;
    if (!loc) {
        fail(ld, "Write \"object-locator\": {\"schema-name\": \"...\", \"table-name\": \"...\"}.",
             "a transformation rule has no \"object-locator\"");
        goto out;
    }
    if (check_keys(ld, loc, locator_keys, NELEMS(locator_keys), "object-locator") != 0)
        goto out;
    if (json_object_get(loc, "data-type")) {
        fail(ld, "Name the columns with \"column-name\" (a pattern) instead.",
             "selecting columns by \"data-type\" in \"object-locator\" is not supported");
        goto out;
    }
    if (json_object_get(loc, "table-tablespace-name") ||
        json_object_get(loc, "index-tablespace-name")) {
        fail(ld, "Remove it; it only goes with the tablespace rule-targets.",
             "a %s rule has a tablespace name in \"object-locator\"", target_name);
        goto out;
    }
    map_rule *r = mapping_add(ld->m, MAP_RULE_TRANSFORMATION, ld->id, ld->where);
    if (!r) {
        oom(ld);
        goto out;
    }
    map_transform *t = &r->u.tr;
    t->action = action;
    t->target = target;
    if (text_of(ld, loc, "schema-name", "object-locator", &t->schema) != 0 ||
        (target != MAP_TARGET_SCHEMA &&
         text_of(ld, loc, "table-name", "object-locator", &t->table) != 0) ||
        text_of(ld, loc, "column-name", "object-locator", &t->column) != 0 ||
        text_of(ld, rule, "value", NULL, &value) != 0 ||
        text_of(ld, rule, "old-value", NULL, &t->old_value) != 0 ||
        text_of(ld, rule, "expression", NULL, &expression) != 0)
        goto out;
    if (action == MAP_ADD_COLUMN) {
        /* DMS names the new column in value; the model keeps it in column */
        if (t->column) {
            fail(ld, "Name the new column in \"value\" and leave \"column-name\" out.",
                 "add-column has a \"column-name\" in \"object-locator\"");
            goto out;
        }
        t->column = value;
    } else {
        t->value = value;
    }
    value = NULL;
    if (!t->schema) {
        fail(ld, "Name the schema (a pattern: \"%\" for all).",
             "\"object-locator\" has no \"schema-name\"");
        goto out;
    }
    if (target != MAP_TARGET_SCHEMA && !t->table && !(t->table = strdup("%"))) {
        oom(ld);
        goto out;
    }
    if (target != MAP_TARGET_COLUMN && action != MAP_ADD_COLUMN && t->column) {
        fail(ld, "Set \"rule-target\": \"column\", or leave \"column-name\" out.",
             "a %s rule has a \"column-name\"", target_name);
        goto out;
    }
    if (expression) {
        char why[300];
        if (action != MAP_ADD_COLUMN) {
            fail(ld, "Remove it; expressions fill columns that add-column adds.",
                 "\"expression\" goes with add-column, not %s", action_name);
            goto out;
        }
        if (mapping_term_parse(expression, &t->terms, &t->nterms, why, sizeof why) != 0) {
            fail(ld, "sluice evaluates 'text', numbers, $COLUMN and the $AR_H_/$AR_M_ headers, "
                     "joined with ||; SQLite functions are not supported.",
                 "expression \"%s\": %s", expression, why);
            goto out;
        }
    }
    const json_t *dt = json_object_get(rule, "data-type");
    if (dt && !json_is_null(dt)) {
        if (action != MAP_ADD_COLUMN && action != MAP_CHANGE_DATA_TYPE) {
            fail(ld, "Remove it, or use change-data-type.",
                 "\"data-type\" goes with add-column and change-data-type, not %s", action_name);
            goto out;
        }
        if (pg_type(ld, dt, &t->data_type) != 0)
            goto out;
    }
    if (read_before_image(ld, rule, t) != 0)
        goto out;
    if (read_key(ld, rule, t) != 0 || check_json_shape(ld, t, action_name) != 0)
        goto out;
    rc = mapping_check_transform(r, ld->err);
out:
    free(action_name);
    free(target_name);
    free(expression);
    free(value);
    return rc;
}

/* ---- table-settings rules ---- */

static int read_ranges(loader *ld, const json_t *pl, map_table_settings *ts)
{
    const json_t *cols = json_object_get(pl, "columns");
    const json_t *bounds = json_object_get(pl, "boundaries");
    if (!json_is_array(cols) || json_array_size(cols) == 0 || json_array_size(cols) > 10)
        return fail(ld, "List 1 to 10 columns: \"columns\": [\"id\"].",
                    "parallel-load ranges needs \"columns\", a list of 1 to 10 names");
    if (text_list(ld, cols, "columns", &ts->columns, &ts->ncolumns) != 0)
        return -1;
    if (!json_is_array(bounds) || json_array_size(bounds) == 0)
        return fail(ld, "Write \"boundaries\": [[\"1000\"], [\"2000\"]].",
                    "parallel-load ranges needs \"boundaries\", a non-empty list of value lists");
    ts->boundaries = calloc(json_array_size(bounds) * ts->ncolumns + 1, sizeof *ts->boundaries);
    if (!ts->boundaries)
        return oom(ld);
    size_t i, k;
    const json_t *row, *v;
    json_array_foreach(bounds, i, row) {
        if (!json_is_array(row) || json_array_size(row) != ts->ncolumns)
            return fail(ld, "Give one value per column, in the order of \"columns\".",
                        "boundaries[%zu] must be a list of %u values", i, ts->ncolumns);
        ts->nboundaries++;
        json_array_foreach(row, k, v) {
            char **slot = &ts->boundaries[i * ts->ncolumns + k];
            if (!json_is_string(v) && !json_is_number(v))
                return fail(ld, NULL, "boundaries[%zu][%zu] must be a string, not %s", i, k,
                            type_name(v));
            if (!(*slot = scalar_text(v)))
                return oom(ld);
        }
    }
    return 0;
}

static int read_parallel_load(loader *ld, const json_t *pl, map_table_settings *ts)
{
    static const char *const keys[] = {"type", "partitions", "subpartitions", "columns",
                                       "boundaries", "number-of-partitions",
                                       "collection-count-from-metadata",
                                       "max-records-skip-per-page", "batch-size"};
    static const char *const types[] = {"partitions-auto", "subpartitions-auto",
                                        "partitions-list", "ranges", "none"};
    char *type;
    if (check_keys(ld, pl, keys, NELEMS(keys), "parallel-load") != 0 ||
        text_of(ld, pl, "type", "parallel-load", &type) != 0)
        return -1;
    if (!type)
        return fail(ld, "Write \"parallel-load\": {\"type\": \"ranges\", ...}.",
                    "\"parallel-load\" has no \"type\"");
    int rc = 0;
    if (strcmp(type, "ranges") == 0) {
        ts->parallel = MAP_PARALLEL_RANGES;
        rc = read_ranges(ld, pl, ts);
    } else if (strcmp(type, "partitions-auto") == 0) {
        ts->parallel = MAP_PARALLEL_PARTITIONS_AUTO;
    } else if (strcmp(type, "subpartitions-auto") == 0) {
        ts->parallel = MAP_PARALLEL_SUBPARTITIONS_AUTO;
    } else if (strcmp(type, "partitions-list") == 0) {
        const json_t *p = json_object_get(pl, "partitions");
        const json_t *sp = json_object_get(pl, "subpartitions");
        ts->parallel = MAP_PARALLEL_PARTITIONS_LIST;
        if (p && !json_is_null(p))
            rc = text_list(ld, p, "partitions", &ts->partitions, &ts->npartitions);
        if (rc == 0 && sp && !json_is_null(sp))
            rc = text_list(ld, sp, "subpartitions", &ts->subpartitions, &ts->nsubpartitions);
        if (rc == 0 && ts->npartitions + ts->nsubpartitions == 0)
            rc = fail(ld, "Name them: \"partitions\": [\"p1\", \"p2\"].",
                      "parallel-load partitions-list names no partitions");
    } else if (strcmp(type, "none") != 0) {
        rc = unknown_word(ld, "", "parallel-load type", type, types, NELEMS(types));
    }
    free(type);
    return rc;
}

/* lob-settings: sluice always moves LOBs whole, which is DMS's "unlimited";
   "none" defers to the task. Only "limited" (truncating) would differ. */
static int read_lob_settings(loader *ld, const json_t *lob)
{
    static const char *const keys[] = {"mode", "bulk-max-size"};
    static const char *const modes[] = {"limited", "unlimited", "none"};
    char *mode;
    long size;
    if (check_keys(ld, lob, keys, NELEMS(keys), "lob-settings") != 0 ||
        count_of(ld, lob, "bulk-max-size", "lob-settings", &size) != 0 ||
        text_of(ld, lob, "mode", "lob-settings", &mode) != 0)
        return -1;
    int rc = 0;
    if (!mode || strcmp(mode, "limited") == 0)
        rc = fail(ld, "Use \"mode\": \"unlimited\" (what sluice does) or remove \"lob-settings\".",
                  "limited LOB mode is not supported (it truncates LOBs; sluice moves them whole)");
    else if (strcmp(mode, "unlimited") != 0 && strcmp(mode, "none") != 0)
        rc = unknown_word(ld, "", "lob-settings mode", mode, modes, NELEMS(modes));
    free(mode);
    return rc;
}

/* What the full load honours: ranges (of any number of columns) and
   partitions (asked of the source when the load starts). DMS's segmentation
   settings for MongoDB and DocumentDB sources have no meaning for a SQL table. */
static int parallel_supported(loader *ld, const json_t *pl)
{
    static const char *const mongo[] = {"number-of-partitions", "collection-count-from-metadata",
                                        "max-records-skip-per-page", "batch-size"};
    for (size_t i = 0; i < NELEMS(mongo); i++)
        if (json_object_get(pl, mongo[i])) {
            fail(ld, "Remove it; split the table with \"type\": \"ranges\" or by its "
                     "partitions instead.",
                 "parallel-load \"%s\" is not supported", mongo[i]);
            error_detail(ld->err, "It sets DMS's automatic segmentation of MongoDB and Amazon "
                                  "DocumentDB collections, which sluice does not read.");
            return -1;
        }
    return 0;
}

static int read_table_settings(loader *ld, const json_t *rule)
{
    static const char *const keys[] = {"rule-type", "rule-id", "rule-name", "object-locator",
                                       "parallel-load", "lob-settings"};
    static const char *const locator_keys[] = {"schema-name", "table-name"};
    json_t *loc, *pl, *lob;
    if (check_keys(ld, rule, keys, NELEMS(keys), "a table-settings rule") != 0 ||
        object_of(ld, rule, "object-locator", &loc) != 0 ||
        object_of(ld, rule, "parallel-load", &pl) != 0 ||
        object_of(ld, rule, "lob-settings", &lob) != 0)
        return -1;
    if (!loc)
        return fail(ld,
                    "Write \"object-locator\": {\"schema-name\": \"...\", "
                    "\"table-name\": \"...\"}.",
                    "a table-settings rule has no \"object-locator\"");
    if (check_keys(ld, loc, locator_keys, NELEMS(locator_keys), "object-locator") != 0)
        return -1;
    if (lob && read_lob_settings(ld, lob) != 0)
        return -1;
    map_table_settings *ts = mapping_settings_add(ld->settings, ld->id, ld->where);
    if (!ts)
        return oom(ld);
    if (text_of(ld, loc, "schema-name", "object-locator", &ts->schema) != 0 ||
        text_of(ld, loc, "table-name", "object-locator", &ts->table) != 0)
        return -1;
    if (!ts->schema)
        return fail(ld, "Name the schema.", "\"object-locator\" has no \"schema-name\"");
    if (!ts->table && !(ts->table = strdup("%")))
        return oom(ld);
    if (pl && (parallel_supported(ld, pl) != 0 || read_parallel_load(ld, pl, ts) != 0))
        return -1;
    if (!ld->keep_settings && ts->parallel != MAP_PARALLEL_NONE) {
        fail(ld, "Remove \"parallel-load\" (or set its type to \"none\"); the table then loads "
                 "in one piece.",
             "table-settings are not supported yet");
        error_detail(ld->err, "parallel-load would split the full load of %s.%s; sluice does "
                              "not split a table's full load by these settings yet.",
                     ts->schema, ts->table);
        return -1;
    }
    return 0;
}

/* ---- the document ---- */

static const char *const rule_types[] = {"selection", "transformation", "table-settings"};

/* rule-id (string or number) and rule-name name the rule in every message. */
static int identify(loader *ld, const json_t *rule, size_t index)
{
    snprintf(ld->rule, sizeof ld->rule, "rules[%zu]", index);
    char *id, *name;
    if (text_of(ld, rule, "rule-id", NULL, &id) != 0)
        return -1;
    if (!id || !id[0]) {
        free(id);
        return fail(ld, "Give every rule a \"rule-id\": \"1\", \"2\", ...",
                    "a rule has no \"rule-id\"");
    }
    if (text_of(ld, rule, "rule-name", NULL, &name) != 0) {
        free(id);
        return -1;
    }
    if (name && name[0] && strcmp(name, id) != 0)
        snprintf(ld->id, sizeof ld->id, "%s (%s)", id, name);
    else
        snprintf(ld->id, sizeof ld->id, "%s", id);
    snprintf(ld->rule, sizeof ld->rule, "rule %s", ld->id);
    free(id);
    free(name);
    return 0;
}

static int read_rule(loader *ld, const json_t *rule, size_t index)
{
    snprintf(ld->rule, sizeof ld->rule, "rules[%zu]", index);
    if (!json_is_object(rule))
        return fail(ld, "Each rule is an object: {\"rule-type\": \"selection\", ...}.",
                    "must be an object, not %s", type_name(rule));
    if (identify(ld, rule, index) != 0)
        return -1;
    char *type;
    if (text_of(ld, rule, "rule-type", NULL, &type) != 0)
        return -1;
    int rc;
    if (!type)
        rc = fail(ld, "Rule types are \"selection\", \"transformation\" and \"table-settings\".",
                  "a rule has no \"rule-type\"");
    else if (strcmp(type, "selection") == 0)
        rc = read_selection(ld, rule);
    else if (strcmp(type, "transformation") == 0)
        rc = read_transformation(ld, rule);
    else if (strcmp(type, "table-settings") == 0)
        rc = read_table_settings(ld, rule);
    else
        rc = unknown_word(ld, "", "rule-type", type, rule_types, NELEMS(rule_types));
    free(type);
    return rc;
}

int mapping_json_load_text(mapping *m, mapping_settings *settings, const char *text, size_t len,
                           const char *where, sluice_error *err)
{
    /* not kept: still parsed (into a scratch list) so errors are the same */
    mapping_settings *scratch = settings ? NULL : mapping_settings_new();
    loader ld = {.m = m, .settings = settings ? settings : scratch, .keep_settings = !!settings,
                 .where = where, .err = err};
    if (!ld.settings)
        return error_set(err, SLUICE_FATAL, "out of memory"), -1;
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        error_set(err, SLUICE_FATAL, "%s:%d:%d: not valid JSON: %s", where, jerr.line,
                  jerr.column, jerr.text);
        error_hint(err, "A DMS table mapping is {\"rules\": [ ... ]}.");
        mapping_settings_free(scratch);
        return -1;
    }
    static const char *const top_keys[] = {"rules"};
    snprintf(ld.rule, sizeof ld.rule, "the document");
    int rc = 0;
    const json_t *rules = json_object_get(doc, "rules");
    if (!json_is_object(doc))
        rc = fail(&ld, "A DMS table mapping is {\"rules\": [ ... ]}.", "must be an object, not %s",
                  type_name(doc));
    else if (check_keys(&ld, doc, top_keys, NELEMS(top_keys), "the document") != 0)
        rc = -1;
    else if (!json_is_array(rules))
        rc = fail(&ld, "A DMS table mapping is {\"rules\": [ ... ]}.",
                  "\"rules\" must be a list");
    size_t i;
    const json_t *rule;
    if (rc == 0)
        json_array_foreach(rules, i, rule)
            if ((rc = read_rule(&ld, rule, i)) != 0)
                break;
    json_decref(doc);
    mapping_settings_free(scratch);
    return rc == 0 ? mapping_check(m, err) : -1;
}

int mapping_json_load_file(mapping *m, mapping_settings *settings, const char *path,
                           sluice_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        error_set(err, SLUICE_FATAL, "cannot read the table mapping %s: %s", path, strerror(errno));
        error_hint(err, "A relative path is relative to the pipeline file's folder.");
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            char *a = realloc(text, cap = cap ? cap * 2 : 65536);
            if (!a) {
                free(text);
                fclose(f);
                return error_set(err, SLUICE_FATAL, "out of memory reading %s", path), -1;
            }
            text = a;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    int rc = -1;
    if (bad)
        error_set(err, SLUICE_FATAL, "cannot read the table mapping %s", path);
    else
        rc = mapping_json_load_text(m, settings, text, len, path, err);
    free(text);
    return rc;
}

int mapping_from_json_text(mapping *m, const char *text, size_t len, const char *where,
                           sluice_error *err)
{
    return mapping_json_load_text(m, NULL, text, len, where, err);
}

int mapping_from_json_file(mapping *m, const char *path, sluice_error *err)
{
    return mapping_json_load_file(m, NULL, path, err);
}
