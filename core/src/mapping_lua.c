/*
 * mappings = { ... } in a pipeline file: a list of rules, each a table with
 * `rule` naming what it does in the AWS DMS vocabulary:
 *
 *   { rule = "include", schema = "public", table = "%",
 *     filters = { { column = "region", eq = "EU" }, { column = "n", between = { 1, 9 } } } }
 *   { rule = "rename", target = "table", schema = "public", table = "users", value = "app_users" }
 *   { table_mappings_json = "dms.json" }   -- or table_mappings_json "dms.json"
 *   { rule = "row-function", schema = "s", table = "t", fn = function(t) ... end }
 *   { rule = "add-column", ..., column = "c", data_type = "text", fn = function(t) ... end }
 *   { rule = "add-before-image-columns", schema = "s", table = "t", filter = "all" }
 *
 * docs/mappings.md is the reference. Every problem names the rule's line.
 */
#include "mapping_lua.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapping_json.h"
#include "mapping_settings.h"
#include "report.h"

typedef struct reader {
    lua_State *L;
    mapping *m;
    const char *dir;
    char where[300]; /* "pipeline.lua:12" */
    char id[32];     /* "mappings[3]" */
    sluice_error *err;
} reader;

static int fail(reader *rd, const char *hint, const char *fmt, ...) SLUICE_PRINTF(3, 4);
static int fail(reader *rd, const char *hint, const char *fmt, ...)
{
    char msg[SLUICE_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    error_set(rd->err, SLUICE_FATAL, "%s: rule %s: %s", rd->where, rd->id, msg);
    if (hint)
        error_hint(rd->err, "%s", hint);
    return -1;
}

/* A string or number field as text (NULL when absent); -1 on a wrong type. */
static int text_field(reader *rd, int t, const char *key, char **out)
{
    lua_State *L = rd->L;
    *out = NULL;
    lua_pushstring(L, key);
    int type = lua_rawget(L, t);
    if (type == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    if (type != LUA_TSTRING && type != LUA_TNUMBER) {
        lua_pop(L, 1);
        return fail(rd, NULL, "\"%s\" must be a string, not a %s", key, lua_typename(L, type));
    }
    *out = strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
    return *out ? 0 : fail(rd, NULL, "out of memory");
}

/* A list of strings/numbers at the top of the stack. */
static int string_list(reader *rd, const char *key, char ***out, uint32_t *n)
{
    lua_State *L = rd->L;
    int t = lua_gettop(L);
    if (lua_type(L, t) != LUA_TTABLE)
        return fail(rd, NULL, "\"%s\" must be a list", key);
    lua_Integer len = (lua_Integer)lua_rawlen(L, t);
    *out = calloc(len > 0 ? (size_t)len : 1, sizeof **out);
    if (!*out)
        return fail(rd, NULL, "out of memory");
    for (lua_Integer i = 1; i <= len; i++) {
        int type = lua_rawgeti(L, t, i);
        if (type != LUA_TSTRING && type != LUA_TNUMBER) {
            lua_pop(L, 1);
            return fail(rd, NULL, "\"%s\"[%lld] must be a string or a number", key, (long long)i);
        }
        (*out)[(*n)++] = strdup(lua_tostring(L, -1));
        lua_pop(L, 1);
        if (!(*out)[*n - 1])
            return fail(rd, NULL, "out of memory");
    }
    return 0;
}

static const char *const filter_keys = "eq, ne, lt, lte, gt, gte, between, in, null, notnull";

/* { column = "c", eq = 1, ... }: one filter; several operators in it are OR-ed. */
static int read_filter(reader *rd, int t, map_filter *f)
{
    lua_State *L = rd->L;
    if (text_field(rd, t, "column", &f->column) != 0)
        return -1;
    if (!f->column)
        return fail(rd, "Write { column = \"name\", eq = value }.", "a filter names no column");
    lua_pushnil(L);
    while (lua_next(L, t) != 0) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            return fail(rd, NULL, "filter on \"%s\": keys must be names", f->column);
        const char *key = lua_tostring(L, -1);
        if (strcmp(key, "column") == 0)
            continue;
        sluice_filter_op op = mapping_filter_op(key);
        if (!op) {
            char hint[160];
            snprintf(hint, sizeof hint, "Operators are %s.", filter_keys);
            lua_pop(L, 1);
            return fail(rd, hint, "filter on \"%s\": unknown operator \"%s\"", f->column, key);
        }
        map_condition *a = realloc(f->conditions, (f->nconditions + 1) * sizeof *a);
        if (!a) {
            lua_pop(L, 1);
            return fail(rd, NULL, "out of memory");
        }
        f->conditions = a;
        map_condition *c = &a[f->nconditions++];
        memset(c, 0, sizeof *c);
        c->op = op;
        lua_pushvalue(L, -1);
        lua_rawget(L, t);
        int rc = 0;
        if (op == SLUICE_FILTER_NULL || op == SLUICE_FILTER_NOT_NULL) {
            if (lua_type(L, -1) != LUA_TBOOLEAN || !lua_toboolean(L, -1))
                rc = fail(rd, NULL, "filter on \"%s\": write %s = true", f->column, key);
        } else if (op == SLUICE_FILTER_BETWEEN || op == SLUICE_FILTER_IN) {
            rc = string_list(rd, key, &c->values, &c->nvalues);
            if (rc == 0 && op == SLUICE_FILTER_BETWEEN && c->nvalues != 2)
                rc = fail(rd, NULL, "filter on \"%s\": between takes { low, high }", f->column);
            if (rc == 0 && op == SLUICE_FILTER_IN && c->nvalues == 0)
                rc = fail(rd, NULL, "filter on \"%s\": in takes a non-empty list", f->column);
        } else if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) {
            c->values = calloc(1, sizeof *c->values);
            if (c->values && (c->values[0] = strdup(lua_tostring(L, -1))))
                c->nvalues = 1;
            else
                rc = fail(rd, NULL, "out of memory");
        } else {
            rc = fail(rd, NULL, "filter on \"%s\": %s takes a string or a number", f->column, key);
        }
        lua_pop(L, 1);
        if (rc != 0) {
            lua_pop(L, 1);
            return -1;
        }
    }
    return 0;
}

static int read_filters(reader *rd, int item, map_selection *s)
{
    lua_State *L = rd->L;
    lua_pushliteral(L, "filters");
    int type = lua_rawget(L, item);
    int rc = 0;
    if (type == LUA_TTABLE) {
        int list = lua_gettop(L);
        lua_Integer n = (lua_Integer)lua_rawlen(L, list);
        s->filters = calloc(n > 0 ? (size_t)n : 1, sizeof *s->filters);
        if (!s->filters)
            rc = fail(rd, NULL, "out of memory");
        for (lua_Integer i = 1; rc == 0 && i <= n; i++) {
            if (lua_rawgeti(L, list, i) != LUA_TTABLE)
                rc = fail(rd, "Write filters = { { column = \"name\", eq = value }, ... }.",
                          "filters[%lld] must be a table", (long long)i);
            else
                rc = read_filter(rd, lua_gettop(L), &s->filters[s->nfilters++]);
            lua_pop(L, 1);
        }
    } else if (type != LUA_TNIL) {
        rc = fail(rd, "Write filters = { { column = \"name\", eq = value }, ... }.",
                  "\"filters\" must be a list of tables");
    }
    lua_pop(L, 1);
    return rc;
}

/* Every key of the rule must be one the rule understands. */
static int check_keys(reader *rd, int item, const char *const *allowed, const char *rule)
{
    lua_State *L = rd->L;
    lua_pushnil(L);
    while (lua_next(L, item) != 0) {
        lua_pop(L, 1);
        const char *key = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        int ok = 0;
        for (size_t i = 0; key && allowed[i]; i++)
            ok |= strcmp(allowed[i], key) == 0;
        if (!ok) {
            char hint[300] = "A rule of this kind takes:";
            for (size_t i = 0; allowed[i]; i++)
                snprintf(hint + strlen(hint), sizeof hint - strlen(hint), "%s %s",
                         i ? "," : "", allowed[i]);
            snprintf(hint + strlen(hint), sizeof hint - strlen(hint), ".");
            int rc = fail(rd, hint, "unknown key %s%s%s in a \"%s\" rule", key ? "\"" : "",
                          key ? key : "(not a name)", key ? "\"" : "", rule);
            lua_pop(L, 1);
            return rc;
        }
    }
    return 0;
}

static int read_selection(reader *rd, int item, const char *rule)
{
    static const char *const keys[] = {"rule", "schema", "table", "filters", NULL};
    if (check_keys(rd, item, keys, rule) != 0)
        return -1;
    map_rule *r = mapping_add(rd->m, MAP_RULE_SELECTION, rd->id, rd->where);
    if (!r)
        return fail(rd, NULL, "out of memory");
    map_selection *s = &r->u.sel;
    s->action = strcmp(rule, "include") == 0   ? MAP_INCLUDE
                : strcmp(rule, "exclude") == 0 ? MAP_EXCLUDE
                                               : MAP_EXPLICIT;
    if (text_field(rd, item, "schema", &s->schema) != 0 ||
        text_field(rd, item, "table", &s->table) != 0)
        return -1;
    if (!s->schema)
        return fail(rd, "Name the schema (a pattern: schema = \"%\" for all).",
                    "a \"%s\" rule needs schema", rule);
    if (!s->table && !(s->table = strdup("%")))
        return fail(rd, NULL, "out of memory");
    return read_filters(rd, item, s);
}

/* The rule-target a rule applies to when it does not say. */
static map_target implied_target(map_action a, const map_transform *t)
{
    switch (a) {
    case MAP_REMOVE_COLUMN:
    case MAP_INCLUDE_COLUMN:
    case MAP_ADD_COLUMN:
    case MAP_CHANGE_DATA_TYPE:
    case MAP_MASK_DIGITS:
    case MAP_MASK_RANDOMIZE:
    case MAP_MASK_HASH: return MAP_TARGET_COLUMN;
    case MAP_DEFINE_PRIMARY_KEY: return MAP_TARGET_TABLE;
    default: return t->column ? MAP_TARGET_COLUMN : t->table ? MAP_TARGET_TABLE : MAP_TARGET_SCHEMA;
    }
}

/* add-column's fn: a factory like row-function's, whose row function returns
   the column's value; rowfn.c takes it from each thread's own run of the file. */
static int read_column_fn(reader *rd, int item, map_transform *t, uint32_t index)
{
    lua_pushliteral(rd->L, "fn");
    int type = lua_rawget(rd->L, item);
    lua_pop(rd->L, 1);
    if (type == LUA_TNIL)
        return 0;
    if (t->action != MAP_ADD_COLUMN)
        return fail(rd, "Use a row-function rule to run Lua on rows.",
                    "\"fn\" goes with add-column and row-function");
    if (type != LUA_TFUNCTION)
        return fail(rd, "Write fn = function(t) local c = t:column(\"name\") "
                        "return function(row) return ... end end (docs/mappings.md).",
                    "\"fn\" must be a function, not %s", lua_typename(rd->L, type));
    t->has_fn = 1;
    t->lua_index = index;
    rd->m->nrow_functions++;
    return 0;
}

/* { rule = "add-before-image-columns", schema = P, table = P, column = P,
     prefix = "BI_", suffix = "", filter = "pk-only" | "non-lob" | "all" } */
static int read_before_image(reader *rd, int item)
{
    static const char *const keys[] = {"rule",   "schema", "table",  "column",
                                       "prefix", "suffix", "filter", NULL};
    if (check_keys(rd, item, keys, "add-before-image-columns") != 0)
        return -1;
    map_rule *r = mapping_add(rd->m, MAP_RULE_TRANSFORMATION, rd->id, rd->where);
    if (!r)
        return fail(rd, NULL, "out of memory");
    map_transform *t = &r->u.tr;
    t->action = MAP_ADD_BEFORE_IMAGE;
    t->target = MAP_TARGET_COLUMN;
    char *filter = NULL;
    if (text_field(rd, item, "schema", &t->schema) != 0 ||
        text_field(rd, item, "table", &t->table) != 0 ||
        text_field(rd, item, "column", &t->column) != 0 ||
        text_field(rd, item, "prefix", &t->value) != 0 ||
        text_field(rd, item, "suffix", &t->suffix) != 0 ||
        text_field(rd, item, "filter", &filter) != 0)
        return -1;
    int rc = 0;
    if (filter && strcmp(filter, "non-lob") == 0)
        t->bi_filter = MAP_BI_NON_LOB;
    else if (filter && strcmp(filter, "all") == 0)
        t->bi_filter = MAP_BI_ALL;
    else if (filter && strcmp(filter, "pk-only") != 0)
        rc = fail(rd, "Filters are pk-only (the default), non-lob and all.",
                  "unknown filter \"%s\"", filter);
    free(filter);
    if (rc == 0 && !t->schema)
        rc = fail(rd, "Name the schema it applies to (a pattern: schema = \"%\" for all).",
                  "a \"add-before-image-columns\" rule needs schema");
    if (rc == 0 && ((!t->table && !(t->table = strdup("%"))) ||
                    (!t->column && !(t->column = strdup("%"))) ||
                    (!t->value && !(t->value = strdup("BI_"))) ||
                    (!t->suffix && !(t->suffix = strdup("")))))
        rc = fail(rd, NULL, "out of memory");
    return rc == 0 ? mapping_check_transform(r, rd->err) : -1;
}

static int read_transformation(reader *rd, int item, const char *rule, map_action action,
                               uint32_t index)
{
    static const char *const keys[] = {"rule",      "target",     "schema",  "table",
                                       "column",    "value",      "old_value", "data_type",
                                       "expression", "columns",   "fn",      NULL};
    if (check_keys(rd, item, keys, rule) != 0)
        return -1;
    map_rule *r = mapping_add(rd->m, MAP_RULE_TRANSFORMATION, rd->id, rd->where);
    if (!r)
        return fail(rd, NULL, "out of memory");
    map_transform *t = &r->u.tr;
    t->action = action;
    char *target = NULL, *expression = NULL;
    if (text_field(rd, item, "schema", &t->schema) != 0 ||
        text_field(rd, item, "table", &t->table) != 0 ||
        text_field(rd, item, "column", &t->column) != 0 ||
        text_field(rd, item, "value", &t->value) != 0 ||
        text_field(rd, item, "old_value", &t->old_value) != 0 ||
        text_field(rd, item, "data_type", &t->data_type) != 0 ||
        text_field(rd, item, "target", &target) != 0 ||
        text_field(rd, item, "expression", &expression) != 0) {
        free(target);
        free(expression);
        return -1;
    }
    t->target = target ? mapping_target(target) : implied_target(action, t);
    int rc = 0;
    if (!t->target)
        rc = fail(rd, "Targets are schema, table and column.", "unknown target \"%s\"", target);
    free(target);
    if (rc == 0 && !t->schema)
        rc = fail(rd, "Name the schema it applies to (a pattern: schema = \"%\" for all).",
                  "a \"%s\" rule needs schema", rule);
    if (rc == 0 && t->target != MAP_TARGET_SCHEMA && !t->table && !(t->table = strdup("%")))
        rc = fail(rd, NULL, "out of memory");
    if (rc == 0 && expression) {
        char why[300];
        if (mapping_term_parse(expression, &t->terms, &t->nterms, why, sizeof why) != 0)
            rc = fail(rd, NULL, "expression \"%s\": %s", expression, why);
    }
    free(expression);
    if (rc == 0)
        rc = read_column_fn(rd, item, t, index);
    if (rc == 0) {
        lua_pushliteral(rd->L, "columns");
        if (lua_rawget(rd->L, item) != LUA_TNIL)
            rc = string_list(rd, "columns", &t->key_columns, &t->nkey_columns);
        lua_pop(rd->L, 1);
    }
    return rc == 0 ? mapping_check_transform(r, rd->err) : -1;
}

/* { rule = "row-function", schema = P, table = P, fn = function(t) ... end }:
   only checked here; each consumer thread takes fn from its own run of the
   file (rowfn.c), since a function cannot move between Lua states. */
static int read_row_function(reader *rd, int item, uint32_t index)
{
    static const char *const keys[] = {"rule", "schema", "table", "fn", NULL};
    if (check_keys(rd, item, keys, "row-function") != 0)
        return -1;
    map_rule *r = mapping_add(rd->m, MAP_RULE_TRANSFORMATION, rd->id, rd->where);
    if (!r)
        return fail(rd, NULL, "out of memory");
    map_transform *t = &r->u.tr;
    t->action = MAP_ROW_FUNCTION;
    t->target = MAP_TARGET_TABLE;
    t->lua_index = index;
    if (text_field(rd, item, "schema", &t->schema) != 0 ||
        text_field(rd, item, "table", &t->table) != 0)
        return -1;
    if (!t->schema)
        return fail(rd, "Name the schema it applies to (a pattern: schema = \"%\" for all).",
                    "a \"row-function\" rule needs schema");
    if (!t->table && !(t->table = strdup("%")))
        return fail(rd, NULL, "out of memory");
    lua_pushliteral(rd->L, "fn");
    int type = lua_rawget(rd->L, item);
    lua_pop(rd->L, 1);
    if (type != LUA_TFUNCTION)
        return fail(rd, "Write fn = function(t) local c = t:column(\"name\") "
                        "return function(row) ... end end (docs/mappings.md).",
                    "\"fn\" must be a function, not %s", lua_typename(rd->L, type));
    rd->m->nrow_functions++;
    return 0;
}

static int read_rule(reader *rd, int item, uint32_t index)
{
    char *json = NULL, *rule = NULL;
    if (text_field(rd, item, "table_mappings_json", &json) != 0)
        return -1;
    if (json) {
        char path[4096];
        if (json[0] == '/')
            snprintf(path, sizeof path, "%s", json);
        else
            snprintf(path, sizeof path, "%s/%s", rd->dir, json);
        free(json);
        static const char *const keys[] = {"table_mappings_json", NULL};
        if (check_keys(rd, item, keys, "table_mappings_json") != 0)
            return -1;
        /* its table-settings (parallel-load) are kept for the full load */
        if (!rd->m->settings && !(rd->m->settings = mapping_settings_new()))
            return fail(rd, NULL, "out of memory");
        return mapping_json_load_file(rd->m, rd->m->settings, path, rd->err);
    }
    if (text_field(rd, item, "rule", &rule) != 0)
        return -1;
    if (!rule)
        return fail(rd, "Say what the rule does: rule = \"include\", \"exclude\", \"rename\", ...",
                    "a mapping rule has no \"rule\" key");
    int rc;
    map_action action;
    if (strcmp(rule, "include") == 0 || strcmp(rule, "exclude") == 0 ||
        strcmp(rule, "explicit") == 0)
        rc = read_selection(rd, item, rule);
    else if (strcmp(rule, "row-function") == 0)
        rc = read_row_function(rd, item, index);
    else if (strcmp(rule, "add-before-image-columns") == 0)
        rc = read_before_image(rd, item);
    else if ((action = mapping_action(rule)) != 0)
        rc = read_transformation(rd, item, rule, action, index);
    else
        rc = fail(rd, "Rules are include, exclude, explicit, rename, convert-lowercase, "
                      "convert-uppercase, add-prefix, remove-prefix, replace-prefix, add-suffix, "
                      "remove-suffix, replace-suffix, remove-column, include-column, add-column, "
                      "change-data-type, define-primary-key, add-before-image-columns, "
                      "data-masking-digits-mask, data-masking-digits-randomize, "
                      "data-masking-hash-mask, row-function.",
                  "unknown rule \"%s\"", rule);
    free(rule);
    return rc;
}

int mapping_from_lua(lua_State *L, int list, const int *lines, const char *path, const char *dir,
                     mapping *m, int *bad_line, sluice_error *err)
{
    reader rd = {.L = L, .m = m, .dir = dir, .err = err};
    list = lua_absindex(L, list);
    lua_Integer n = (lua_Integer)lua_rawlen(L, list);
    for (lua_Integer i = 1; i <= n; i++) {
        int line = lines ? lines[i - 1] : 0;
        if (line > 0)
            snprintf(rd.where, sizeof rd.where, "%s:%d", path, line);
        else
            snprintf(rd.where, sizeof rd.where, "%s", path);
        snprintf(rd.id, sizeof rd.id, "mappings[%lld]", (long long)i);
        int rc;
        if (lua_rawgeti(L, list, i) != LUA_TTABLE)
            rc = fail(&rd, "Each entry of mappings is a table: { rule = \"include\", ... }.",
                      "must be a table, not %s", luaL_typename(L, -1));
        else
            rc = read_rule(&rd, lua_gettop(L), (uint32_t)i);
        lua_pop(L, 1);
        if (rc != 0) {
            *bad_line = line;
            return -1;
        }
    }
    return mapping_check(m, err);
}
