/*
 * Type rules: reading a rule table from Lua, matching a source type name
 * against its patterns, and the plan hook that retypes a target column. The
 * module files are found and run by type_rules_load.c.
 */
#include "type_rules.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "host.h"
#include "mapping_plan.h"
#include "options.h"
#include "report.h"

#define TYPE_NAME_MAX 256

static const char *const fields[] = {"type", "value", "zero_date", "time_zone", "error"};
#define NFIELDS (sizeof fields / sizeof fields[0])

type_rules *type_rules_new(const char *name)
{
    type_rules *rs = calloc(1, sizeof *rs);
    if (rs && !(rs->name = strdup(name))) {
        free(rs);
        rs = NULL;
    }
    return rs;
}

static void rule_clear(type_rule *r)
{
    free(r->key);
    free(r->type);
    free(r->error);
    free(r->zero_value);
    free(r->where);
    tz_free(r->zone);
    memset(r, 0, sizeof *r);
}

void type_rules_free(type_rules *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n; i++)
        rule_clear(&rs->rules[i]);
    free(rs->rules);
    free(rs->name);
    free(rs);
}

char *type_rules_normalize(const char *s, size_t len, char *out, size_t size)
{
    size_t n = 0;
    int space = 0;
    for (size_t i = 0; i < len && n + 2 < size; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (isspace(ch)) {
            space = 1;
            continue;
        }
        /* "numeric (18, 2)" and "numeric(18,2)" are one type; "tinyint(1) unsigned" keeps its space */
        if (space && n > 0 && out[n - 1] != '(' && out[n - 1] != ',' && !strchr("(,)", ch))
            out[n++] = ' ';
        space = 0;
        out[n++] = (char)tolower(ch);
    }
    out[n] = '\0';
    char *z = strstr(out, " zerofill"); /* MySQL display padding: no meaning for the value */
    if (z && (z[9] == '\0' || z[9] == ' '))
        memmove(z, z + 9, strlen(z + 9) + 1);
    return out;
}

/* ---- patterns ---- */

/* Checks a normalized key: {name} captures, never two in a row. Counts them. */
static int check_key(const char *key, int *captures, int *literal, char *why, size_t size)
{
    *captures = *literal = 0;
    for (const char *p = key; *p; p++) {
        if (*p == '}') {
            snprintf(why, size, "a \"}\" without its \"{\"");
            return -1;
        }
        if (*p != '{') {
            (*literal)++;
            continue;
        }
        const char *close = strchr(p, '}');
        size_t n = close ? (size_t)(close - p - 1) : 0;
        for (size_t i = 1; close && i <= n; i++)
            if (!isalnum((unsigned char)p[i]) && p[i] != '_')
                close = NULL;
        if (!close || n == 0) {
            snprintf(why, size, "a parameter is written {name}, with letters, digits or _");
            return -1;
        }
        if (close[1] == '{') {
            snprintf(why, size, "two parameters need something between them");
            return -1;
        }
        if (++*captures > TYPE_RULES_MAX_CAPTURES) {
            snprintf(why, size, "at most %d parameters", TYPE_RULES_MAX_CAPTURES);
            return -1;
        }
        p = close;
    }
    return 0;
}

/* The position of capture `name` (len bytes) in key, or -1. */
static int capture_index(const char *key, const char *name, size_t len)
{
    int i = 0;
    for (const char *p = strchr(key, '{'); p; p = strchr(p + 1, '{'), i++)
        if (strncmp(p + 1, name, len) == 0 && p[1 + len] == '}')
            return i;
    return -1;
}

/* A parameter matches an integer ("40", "-2"). */
static int match_pattern(const char *pat, const char *s, char caps[][TYPE_RULES_CAPTURE_MAX])
{
    int ncap = 0;
    while (*pat) {
        if (*pat != '{') {
            if (*pat++ != *s++)
                return 0;
            continue;
        }
        size_t k = 0;
        char *cap = caps[ncap++];
        if (*s == '-')
            cap[k++] = *s++;
        if (!isdigit((unsigned char)*s))
            return 0;
        while (isdigit((unsigned char)*s) && k + 1 < TYPE_RULES_CAPTURE_MAX)
            cap[k++] = *s++;
        cap[k] = '\0';
        if (isdigit((unsigned char)*s))
            return 0;
        pat = strchr(pat, '}') + 1;
    }
    return *s == '\0';
}

/* "tinyint(4) unsigned" → "tinyint unsigned", "enum('a','b')" → "enum"; -1 without "(...)". */
static int base_name(const char *s, char *out, size_t size)
{
    const char *open = strchr(s, '(');
    if (!open)
        return -1;
    const char *p = open + 1;
    int depth = 1;
    char quote = 0;
    for (; *p && depth; p++) {
        if (quote)
            quote = *p == quote ? 0 : quote; /* '' reads as two quoted runs: same result */
        else if (*p == '\'' || *p == '"')
            quote = *p;
        else
            depth += (*p == '(') - (*p == ')');
    }
    if (depth)
        return -1;
    snprintf(out, size, "%.*s%s", (int)(open - s), s, p);
    return 0;
}

static const type_rule *find_literal(const type_rules *rs, const char *name)
{
    for (size_t i = 0; i < rs->n; i++)
        if (rs->rules[i].captures == 0 && strcmp(rs->rules[i].key, name) == 0)
            return &rs->rules[i];
    return NULL;
}

const type_rule *type_rules_match(const type_rules *rs, const char *source_type,
                                  char captures[][TYPE_RULES_CAPTURE_MAX])
{
    char norm[TYPE_NAME_MAX], base[TYPE_NAME_MAX];
    type_rules_normalize(source_type, strlen(source_type), norm, sizeof norm);
    const type_rule *r = find_literal(rs, norm);
    if (r)
        return r;
    char caps[TYPE_RULES_MAX_CAPTURES][TYPE_RULES_CAPTURE_MAX];
    for (size_t i = 0; i < rs->n; i++) {
        const type_rule *c = &rs->rules[i];
        if (c->captures == 0 || !match_pattern(c->key, norm, caps))
            continue;
        if (!r || c->literal > r->literal || (c->literal == r->literal && strcmp(c->key, r->key) < 0)) {
            r = c;
            memcpy(captures, caps, sizeof caps);
        }
    }
    if (r)
        return r;
    if (base_name(norm, base, sizeof base) == 0 && (r = find_literal(rs, base)))
        return r;
    return find_literal(rs, "*");
}

int type_rules_substitute(const type_rule *r, char captures[][TYPE_RULES_CAPTURE_MAX],
                          char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = r->type; *p; p++) {
        const char *piece = p;
        size_t len = 1;
        if (*p == '{') {
            const char *close = strchr(p, '}');
            int i = close ? capture_index(r->key, p + 1, (size_t)(close - p - 1)) : -1;
            if (i < 0)
                return -1;
            piece = captures[i];
            len = strlen(piece);
            p = close;
        }
        if (n + len >= size)
            return -1;
        memcpy(out + n, piece, len);
        n += len;
    }
    out[n] = '\0';
    return 0;
}

/* ---- reading a rule table ---- */

/* Line of the first quoted key at or after line `from` in text, else 0. */
static int line_of(const char *text, const char *key, int from)
{
    size_t klen = strlen(key);
    int line = 1;
    for (const char *p = text; text && *p; p++) {
        if (*p == '\n')
            line++;
        else if (line >= from && (*p == '"' || *p == '\'') && strncmp(p + 1, key, klen) == 0 &&
                 p[1 + klen] == *p)
            return line;
    }
    return 0;
}

typedef struct reader {
    const char *path, *text;
    int line;
    sluice_error *err;
} reader;

static int fail(const reader *rd, const char *key, const char *hint, const char *fmt, ...)
    SLUICE_PRINTF(4, 5);
static int fail(const reader *rd, const char *key, const char *hint, const char *fmt, ...)
{
    char text[SLUICE_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    int line = key ? line_of(rd->text, key, rd->line) : 0;
    if (!line)
        line = rd->line;
    char where[64] = "";
    if (line > 0)
        snprintf(where, sizeof where, ":%d", line);
    if (key)
        error_set(rd->err, SLUICE_FATAL, "%s%s: type rule \"%s\": %s", rd->path, where, key, text);
    else
        error_set(rd->err, SLUICE_FATAL, "%s%s: %s", rd->path, where, text);
    if (hint)
        error_hint(rd->err, "%s", hint);
    return -1;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static int looks_like_date(const char *s)
{
    size_t n = strlen(s);
    return n >= 10 && isdigit((unsigned char)s[0]) && s[4] == '-' && s[7] == '-' &&
           !value_policy_zero_date(s, n);
}

/* One entry's fields (the value table at the top of the stack) into r. */
static int read_fields(lua_State *L, const reader *rd, const char *key, type_rule *r)
{
    int t = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, t) != 0) {
        const char *name = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        size_t f = 0;
        while (name && f < NFIELDS && strcmp(name, fields[f]) != 0)
            f++;
        if (!name || f == NFIELDS) {
            char hint[160] = "Fields are type, value, zero_date, time_zone and error.";
            const char *near = name ? options_nearest(name, fields, NFIELDS) : NULL;
            if (near)
                snprintf(hint, sizeof hint, "Did you mean \"%s\"?", near);
            lua_pop(L, 2);
            return fail(rd, key, hint, "unknown field %s%s%s", name ? "\"" : "",
                        name ? name : "(not a name)", name ? "\"" : "");
        }
        if (lua_type(L, -1) != LUA_TSTRING) {
            const char *got = luaL_typename(L, -1);
            lua_pop(L, 2);
            return fail(rd, key, NULL, "\"%s\" must be a string, not %s", fields[f], got);
        }
        const char *v = lua_tostring(L, -1);
        char why[256];
        int bad = 0;
        switch (f) {
        case 0: bad = !(r->type = strdup(v)); break;
        case 1:
            if (!(r->policy.convert = (uint8_t)value_policy_convert(v)))
                bad = fail(rd, key, "Values are int_to_bool, set_to_array and unsigned.",
                           "unknown value policy \"%s\"", v);
            break;
        case 2:
            if (strcmp(v, "null") == 0)
                r->policy.zero_date = VP_ZERO_NULL;
            else if (strcmp(v, "error") == 0)
                r->policy.zero_date = VP_ZERO_ERROR;
            else if (looks_like_date(v) && (r->zero_value = strdup(v)))
                r->policy.zero_date = VP_ZERO_VALUE;
            else
                bad = fail(rd, key, "Write zero_date = \"null\", \"error\" or a date such as "
                           "\"1970-01-01 00:00:00\".", "zero_date \"%s\" is not null, error or a "
                           "date", v);
            break;
        case 3:
            if (!(r->zone = tz_load(v, why, sizeof why)))
                bad = fail(rd, key, "Name a zone of the tz database (\"Europe/Berlin\"), \"UTC\" "
                           "or an offset (\"+05:30\").", "time_zone: %s", why);
            break;
        case 4: bad = !(r->error = strdup(v)); break;
        }
        lua_pop(L, 1);
        if (bad) {
            lua_pop(L, 1);
            return bad < 0 ? -1 : fail(rd, key, NULL, "out of memory");
        }
    }
    r->policy.zero_value = r->zero_value;
    r->policy.zone = r->zone;
    if (r->type && r->error)
        return fail(rd, key, "Keep one of them.", "a rule has a type or an error, not both");
    for (const char *p = r->type ? strchr(r->type, '{') : NULL; p; p = strchr(p + 1, '{')) {
        const char *close = strchr(p, '}');
        if (!close || capture_index(r->key, p + 1, (size_t)(close - p - 1)) < 0)
            return fail(rd, key, "Name a parameter of the key, as in [\"varchar({n})\"] = "
                        "{ type = \"varchar({n})\" }.", "type \"%s\" uses a parameter the key "
                        "does not capture", r->type);
    }
    return 0;
}

static type_rule *slot_for(type_rules *rs, const char *key)
{
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->rules[i].key, key) == 0) {
            rule_clear(&rs->rules[i]);
            return &rs->rules[i];
        }
    type_rule *grown = realloc(rs->rules, (rs->n + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    rs->rules = grown;
    memset(&rs->rules[rs->n], 0, sizeof *grown);
    return &rs->rules[rs->n++];
}

int type_rules_read(lua_State *L, int idx, const char *path, const char *text, int line,
                    type_rules *rs, sluice_error *err)
{
    reader rd = {path, text, line, err};
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            const char *got = luaL_typename(L, -2);
            lua_pop(L, 2);
            return fail(&rd, NULL, "Key every rule by a source type name: "
                        "[\"tinyint(1)\"] = { type = \"boolean\" }.",
                        "type rules are keyed by source type names, not by %s", got);
        }
        const char *written = lua_tostring(L, -2);
        char key[TYPE_NAME_MAX], why[128];
        type_rules_normalize(written, strlen(written), key, sizeof key);
        type_rule r = {0};
        if (lua_type(L, -1) != LUA_TTABLE) {
            const char *got = luaL_typename(L, -1);
            int rc = fail(&rd, written, "Write [\"name\"] = { type = \"...\" }.",
                          "must be a table, not %s", got);
            lua_pop(L, 2);
            return rc;
        }
        if (!key[0] || check_key(key, &r.captures, &r.literal, why, sizeof why) != 0) {
            int rc = fail(&rd, written, "Write parameters as {name}: [\"varchar({n})\"].",
                          "%s", key[0] ? why : "an empty source type");
            lua_pop(L, 2);
            return rc;
        }
        char where[4200];
        int at = line_of(text, written, line);
        snprintf(where, sizeof where, "%s:%d", path, at ? at : line);
        if (!(r.key = strdup(key)) || !(r.where = strdup(where)) ||
            read_fields(L, &rd, written, &r) != 0) {
            if (!r.key || !r.where)
                fail(&rd, NULL, NULL, "out of memory");
            rule_clear(&r);
            lua_pop(L, 2);
            return -1;
        }
        type_rule *slot = slot_for(rs, key);
        if (!slot) {
            rule_clear(&r);
            lua_pop(L, 2);
            return fail(&rd, NULL, NULL, "out of memory");
        }
        *slot = r;
        lua_pop(L, 1);
    }
    return 0;
}

int type_rules_merge(type_rules *rs, const type_rules *over)
{
    for (size_t i = 0; over && i < over->n; i++) {
        const type_rule *o = &over->rules[i];
        type_rule r = *o;
        char why[128];
        r.key = strdup(o->key);
        r.type = dup_or_null(o->type);
        r.error = dup_or_null(o->error);
        r.zero_value = dup_or_null(o->zero_value);
        r.where = strdup(o->where);
        r.zone = o->zone ? tz_load(tz_name(o->zone), why, sizeof why) : NULL;
        r.policy.zero_value = r.zero_value;
        r.policy.zone = r.zone;
        type_rule *slot = NULL;
        if (!r.key || !r.where || (o->type && !r.type) || (o->error && !r.error) ||
            (o->zero_value && !r.zero_value) || (o->zone && !r.zone) ||
            !(slot = slot_for(rs, r.key))) {
            rule_clear(&r);
            return -1;
        }
        *slot = r;
    }
    return 0;
}

int type_rules_identity(const type_rules *rs)
{
    for (size_t i = 0; rs && i < rs->n; i++)
        if (rs->rules[i].type || rs->rules[i].error || value_policy_active(&rs->rules[i].policy))
            return 0;
    return 1;
}

/* ---- the plan hook ---- */

/* The canonical type of a target type name; "text[]" is an array of text. */
static sluice_type canonical(const char *name, int32_t *precision, int32_t *scale,
                             uint32_t *element)
{
    size_t n = strlen(name);
    *element = 0;
    if (n > 2 && strcmp(name + n - 2, "[]") == 0) {
        char base[TYPE_NAME_MAX];
        snprintf(base, sizeof base, "%.*s", (int)(n - 2), name);
        *element = plan_type_of(base, precision, scale);
        return SLUICE_TYPE_ARRAY;
    }
    return plan_type_of(name, precision, scale);
}

int type_rules_column(const type_rules *rs, const sluice_table *t, const sluice_column *from,
                      sluice_table *target, uint32_t k, value_policy *policy, int *untouched,
                      sluice_error *err)
{
    memset(policy, 0, sizeof *policy);
    if (!rs)
        return 0;
    char source_type[TYPE_NAME_MAX], name[TYPE_NAME_MAX];
    char caps[TYPE_RULES_MAX_CAPTURES][TYPE_RULES_CAPTURE_MAX];
    snprintf(source_type, sizeof source_type, "%.*s", (int)from->source_type.len,
             from->source_type.ptr);
    const type_rule *r = type_rules_match(rs, source_type, caps);
    if (!r)
        return 0;
    if (r->error || (r->type && type_rules_substitute(r, caps, name, sizeof name) != 0)) {
        error_set(err, SLUICE_FATAL, "%s: type rule \"%s\": table \"%.*s.%.*s\", column \"%.*s\" "
                  "(%s): %s", r->where, r->key, (int)t->schema.len, t->schema.ptr,
                  (int)t->name.len, t->name.ptr, (int)from->name.len, from->name.ptr,
                  source_type, r->error ? r->error : "the target type name is too long");
        error_hint(err, "Give the type a rule in the pipeline, e.g. type_rules = { [\"%s\"] = "
                   "{ type = \"text\" } }, or leave the column out with a remove-column rule.",
                   r->key);
        return -1;
    }
    *policy = r->policy;
    if (r->type) {
        int32_t precision, scale;
        uint32_t element;
        sluice_type type = canonical(name, &precision, &scale, &element);
        sluice_column *col = sluice_table_column(target, k);
        if (strcmp(name, source_type) != 0 || type != col->type || precision != col->precision ||
            scale != col->scale || element != col->element_type)
            *untouched = 0; /* the same type under the same name keeps the native path */
        if (host_api()->column_set(target, k, col->name, (sluice_str){name, strlen(name)}, type,
                                   col->flags) != 0)
            return error_set(err, SLUICE_FATAL, "out of memory"), -1;
        col = sluice_table_column(target, k);
        col->precision = precision;
        col->scale = scale;
        col->element_type = element;
        if (type == SLUICE_TYPE_TEXT && precision > 0) /* varchar(n), char(n) */
            policy->max_chars = precision;
    }
    if (value_policy_active(policy))
        *untouched = 0;
    return 0;
}
