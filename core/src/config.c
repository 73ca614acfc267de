/*
 * The pipeline file: runs it in the Lua sandbox, checks the shape of the table
 * it returns and copies it into a pipeline_config. Lua does not record where a
 * table field was written, so lines come from a small tokenizer over the file
 * text (see "where keys are written").
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "lua_sandbox.h"
#include "mapping_lua.h"
#include "options.h"
#include "report.h"
#include "type_rules.h"

#define PIPELINE_FILE_MAX ((size_t)16 << 20) /* bytes; a pipeline file is a few KiB */
#define NO_SPAN ((span){0, 0, 0})

static const char *const top_keys[] = {"name",     "source",   "target",  "transforms",
                                       "mode",     "settings", "mappings", "type_rules"};
static const char *const modes[] = {"full-load", "full-load-and-cdc", "cdc-only"};
#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ==== reading the file ==== */

static char *read_pipeline_file(const char *path, size_t *len, sluice_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        error_set(err, SLUICE_FATAL, "could not open pipeline file \"%s\": %s", path,
                  strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        error_set(err, SLUICE_FATAL, "could not read pipeline file \"%s\": %s", path,
                  strerror(EISDIR));
        return NULL;
    }
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (used == cap) {
            char *grown = cap < PIPELINE_FILE_MAX ? realloc(buf, cap * 2) : NULL;
            if (!grown) {
                free(buf);
                buf = NULL;
                errno = cap < PIPELINE_FILE_MAX ? ENOMEM : EFBIG;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + used, cap - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0) {
                free(buf);
                buf = NULL;
            }
            break;
        }
        used += (size_t)n;
    }
    int saved = errno;
    close(fd);
    if (!buf)
        error_set(err, SLUICE_FATAL, "could not read pipeline file \"%s\": %s", path,
                  strerror(saved));
    *len = used;
    return buf;
}

/* ==== where keys are written: a tokenizer that knows comments and strings ==== */

typedef enum tkind {
    T_NAME,
    T_STRING,
    T_EQ,      /* a single '=' */
    T_LBRACE,
    T_RBRACE,
    T_LBRACKET,
    T_RBRACKET,
    T_SEP,     /* ',' or ';' */
    T_OTHER
} tkind;

typedef struct token {
    tkind kind;
    int line;
    int depth;     /* '{' not yet closed before it; for a brace, the depth outside it */
    const char *s; /* names: the name; strings: the text between the quotes */
    size_t len;
} token;

typedef struct scan {
    token *t;
    size_t n, cap;
} scan;

/* A table constructor's tokens: strictly between open and close. */
typedef struct span {
    size_t open, close;
    int ok;
} span;

static int scan_push(scan *sc, tkind kind, int line, int depth, const char *s, size_t len)
{
    if (sc->n == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 256;
        token *grown = realloc(sc->t, cap * sizeof *grown);
        if (!grown)
            return -1;
        sc->t = grown;
        sc->cap = cap;
    }
    sc->t[sc->n++] = (token){kind, line, depth, s, len};
    return 0;
}

/* At "[" (or "[=="...), the level of a long bracket "[==[", or -1. */
static int long_bracket_level(const char *p, const char *end)
{
    int level = 0;
    for (p++; p < end && *p == '='; p++)
        level++;
    return p < end && *p == '[' ? level : -1;
}

/* Skips past the "]==]" closing a long bracket of this level; counts lines. */
static const char *skip_long(const char *p, const char *end, int level, int *line)
{
    for (; p < end; p++) {
        if (*p == '\n')
            (*line)++;
        if (*p != ']')
            continue;
        const char *q = p + 1;
        int eq = 0;
        while (q < end && *q == '=')
            q++, eq++;
        if (eq == level && q < end && *q == ']')
            return q + 1;
    }
    return end;
}

/* Skips a quoted string starting after its quote; returns the closing quote. */
static const char *skip_quoted(const char *p, const char *end, char quote, int *line)
{
    while (p < end && *p != quote && *p != '\n') {
        if (*p == '\\' && p + 1 < end) {
            p++;
            if (*p == 'z') /* \z skips the following white space, newlines too */
                while (p + 1 < end && isspace((unsigned char)p[1]))
                    if (*++p == '\n')
                        (*line)++;
            if (*p == '\n')
                (*line)++;
        }
        p++;
    }
    return p;
}

/* Skips a comment starting after its "--". */
static const char *skip_comment(const char *p, const char *end, int *line)
{
    int level = p < end && *p == '[' ? long_bracket_level(p, end) : -1;
    if (level >= 0)
        return skip_long(p + level + 2, end, level, line);
    while (p < end && *p != '\n')
        p++;
    return p;
}

/* The punctuation we care about; anything else is T_OTHER. */
static tkind punct_kind(const char *p, const char *end, size_t *len)
{
    char next = p + 1 < end ? p[1] : '\0';
    *len = 1;
    switch (*p) {
    case '=':
        if (next == '=')
            return *len = 2, T_OTHER;
        return T_EQ;
    case '~':
    case '<':
    case '>':
        if (next == '=')
            *len = 2;
        return T_OTHER;
    case '{': return T_LBRACE;
    case '}': return T_RBRACE;
    case '[': return T_LBRACKET;
    case ']': return T_RBRACKET;
    case ',':
    case ';': return T_SEP;
    }
    return T_OTHER;
}

/* Adds the token at p and returns where the next one may start. */
static const char *scan_one(scan *sc, const char *p, const char *end, int *line, int *depth,
                            int *failed)
{
    const char *start = p;
    size_t len;
    if (*p == '[' && long_bracket_level(p, end) >= 0) {
        int level = long_bracket_level(p, end), first = *line;
        const char *after = skip_long(p + level + 2, end, level, line);
        *failed |= scan_push(sc, T_STRING, first, *depth, p + level + 2, 0);
        return after;
    }
    if (*p == '"' || *p == '\'') {
        int first = *line;
        const char *close = skip_quoted(p + 1, end, *p, line);
        *failed |= scan_push(sc, T_STRING, first, *depth, p + 1, (size_t)(close - p - 1));
        return close < end ? close + 1 : close;
    }
    if (isalpha((unsigned char)*p) || *p == '_') {
        while (p < end && (isalnum((unsigned char)*p) || *p == '_'))
            p++;
        *failed |= scan_push(sc, T_NAME, *line, *depth, start, (size_t)(p - start));
        return p;
    }
    if (isdigit((unsigned char)*p) || (*p == '.' && p + 1 < end && isdigit((unsigned char)p[1]))) {
        /* Numbers, with exponents like 1e-5 and hex like 0x1p4. */
        for (p++; p < end && (isalnum((unsigned char)*p) || *p == '.' ||
                              ((*p == '-' || *p == '+') && strchr("eEpP", p[-1])));)
            p++;
        *failed |= scan_push(sc, T_OTHER, *line, *depth, start, (size_t)(p - start));
        return p;
    }
    tkind kind = punct_kind(p, end, &len);
    if (kind == T_RBRACE && *depth > 0)
        (*depth)--;
    *failed |= scan_push(sc, kind, *line, *depth, p, len);
    if (kind == T_LBRACE)
        (*depth)++;
    return p + len;
}

/* Tokenizes the whole file; 0, or -1 when out of memory. */
static int scan_text(scan *sc, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    int line = 1, depth = 0, failed = 0;
    if (p < end && *p == '#') /* a "#!" first line, as lua.c allows */
        while (p < end && *p != '\n')
            p++;
    while (p < end && !failed) {
        if (*p == '\n') {
            line++;
            p++;
        } else if (isspace((unsigned char)*p)) {
            p++;
        } else if (*p == '-' && p + 1 < end && p[1] == '-') {
            p = skip_comment(p + 2, end, &line);
        } else {
            p = scan_one(sc, p, end, &line, &depth, &failed);
        }
    }
    return failed ? -1 : 0;
}

static int token_is(const token *t, tkind kind, const char *s)
{
    return t->kind == kind && (s == NULL || (t->len == strlen(s) && memcmp(t->s, s, t->len) == 0));
}

/* If a key `name =` or `["name"] =` starts at token i, the index of its '='; else 0. */
static size_t key_eq_at(const scan *sc, size_t i, const char *name)
{
    const token *t = sc->t;
    if (i + 1 < sc->n && token_is(&t[i], T_NAME, name) && t[i + 1].kind == T_EQ &&
        !(i > 0 && token_is(&t[i - 1], T_NAME, "local")))
        return i + 1;
    if (i + 3 < sc->n && t[i].kind == T_LBRACKET && token_is(&t[i + 1], T_STRING, name) &&
        t[i + 2].kind == T_RBRACKET && t[i + 3].kind == T_EQ)
        return i + 3;
    return 0;
}

/* The shallowest (then first) key `name` in tokens [from, to), only at depth when
   depth >= 0; sc->n when absent. */
static size_t find_key(const scan *sc, size_t from, size_t to, const char *name, int depth)
{
    size_t best = sc->n;
    for (size_t i = from; i < to && i < sc->n; i++)
        if ((depth < 0 || sc->t[i].depth == depth) && key_eq_at(sc, i, name) &&
            (best == sc->n || sc->t[i].depth < sc->t[best].depth))
            best = i;
    return best;
}

/* The '}' closing the '{' at open. */
static size_t matching_brace(const scan *sc, size_t open)
{
    for (size_t j = open + 1; j < sc->n; j++)
        if (sc->t[j].kind == T_RBRACE && sc->t[j].depth == sc->t[open].depth)
            return j;
    return sc->n;
}

/* The constructor assigned to variable name before token `before` (`local src = {`). */
static span variable_span(const scan *sc, size_t before, const token *name)
{
    char word[128];
    if (name->len >= sizeof word)
        return NO_SPAN;
    memcpy(word, name->s, name->len);
    word[name->len] = '\0';
    for (size_t i = before; i-- > 0;)
        if (i + 2 < sc->n && token_is(&sc->t[i], T_NAME, word) && sc->t[i + 1].kind == T_EQ &&
            sc->t[i + 2].kind == T_LBRACE)
            return (span){i + 2, matching_brace(sc, i + 2), 1};
    return NO_SPAN;
}

/* The table written at token v: a constructor, or a variable holding one. */
static span value_span(const scan *sc, size_t v)
{
    if (v >= sc->n)
        return NO_SPAN;
    if (sc->t[v].kind == T_LBRACE)
        return (span){v, matching_brace(sc, v), 1};
    int plain_name = sc->t[v].kind == T_NAME &&
                     (v + 1 >= sc->n || sc->t[v + 1].kind == T_SEP ||
                      sc->t[v + 1].kind == T_RBRACE || token_is(&sc->t[v + 1], T_NAME, NULL));
    return plain_name ? variable_span(sc, v, &sc->t[v]) : NO_SPAN;
}

/* The table the file returns: after its last top-level `return`. */
static span return_span(const scan *sc, int *line)
{
    for (size_t i = sc->n; i-- > 0;)
        if (sc->t[i].depth == 0 && token_is(&sc->t[i], T_NAME, "return")) {
            *line = sc->t[i].line;
            return value_span(sc, i + 1);
        }
    *line = 0;
    return NO_SPAN;
}

/* Where key is written as a field of the constructor sp (not of a table inside it). */
static size_t key_in(const scan *sc, span sp, const char *key)
{
    if (!sp.ok)
        return sc->n;
    return find_key(sc, sp.open + 1, sp.close, key, sc->t[sp.open].depth + 1);
}

/* The k-th (from 1) item of the list constructor sp: its first token, or sc->n. */
static size_t list_item(const scan *sc, span sp, size_t k)
{
    if (!sp.ok)
        return sc->n;
    int depth = sc->t[sp.open].depth + 1;
    size_t item = 1;
    for (size_t i = sp.open + 1; i < sp.close; i++) {
        if (sc->t[i].depth != depth)
            continue;
        if (item == k)
            return i;
        if (sc->t[i].kind == T_SEP)
            item++;
    }
    return sc->n;
}

/* ==== converting the returned table ==== */

/* One conversion: state shared by the steps. Problems are collected and the
   earliest in the file is reported, so the message matches what users read first. */
typedef struct conv {
    pipeline_config *cfg;
    const char *path;
    scan sc;
    span top;          /* the returned table's constructor, if found */
    int table_line;    /* line of the `return` */
    int problem_line;  /* -1: no problem yet */
    char message[SLUICE_ERROR_MESSAGE_MAX];
    char detail[SLUICE_ERROR_DETAIL_MAX];
    char hint[SLUICE_ERROR_HINT_MAX];
} conv;

/* Records a problem at line unless an earlier one is already recorded; returns
   whether it did (so a detail can be added to it). */
static int problem(conv *c, int line, const char *hint, const char *fmt, ...) SLUICE_PRINTF(4, 5);
static int problem(conv *c, int line, const char *hint, const char *fmt, ...)
{
    unsigned at = line > 0 ? (unsigned)line : UINT_MAX; /* unknown lines sort last */
    if (c->problem_line >= 0 && at >= (c->problem_line > 0 ? (unsigned)c->problem_line : UINT_MAX))
        return 0;
    int w = line > 0 ? snprintf(c->message, sizeof c->message, "%s:%d: ", c->path, line)
                     : snprintf(c->message, sizeof c->message, "%s: ", c->path);
    if (w >= 0 && (size_t)w < sizeof c->message) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->message + w, sizeof c->message - (size_t)w, fmt, ap);
        va_end(ap);
    }
    snprintf(c->hint, sizeof c->hint, "%s", hint ? hint : "");
    c->detail[0] = '\0';
    c->problem_line = line > 0 ? line : 0;
    return 1;
}

static void problem_detail(conv *c, const char *text)
{
    snprintf(c->detail, sizeof c->detail, "%s", text);
}

/* Raises a Lua memory error: sandbox_call reports it; cfg frees what was made. */
static char *lstrdup(lua_State *L, const char *s)
{
    char *copy = strdup(s);
    if (!copy)
        luaL_error(L, "out of memory");
    return copy;
}

/* "a string", "an integer", "a secret": what a Lua value is, for messages. */
static const char *type_phrase(lua_State *L, int idx)
{
    if (sandbox_secret(L, idx, NULL))
        return "a secret";
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER: return lua_isinteger(L, idx) ? "an integer" : "a float";
    case LUA_TSTRING: return "a string";
    case LUA_TBOOLEAN: return "a boolean";
    case LUA_TTABLE: return "a table";
    case LUA_TFUNCTION: return "a function";
    case LUA_TNIL: return "nil";
    case LUA_TTHREAD: return "a coroutine";
    }
    return "a userdata";
}

/* "[1]" or "of type boolean": a key that is not a name, for messages. */
static void describe_key(lua_State *L, int idx, char *buf, size_t size)
{
    if (lua_isinteger(L, idx))
        snprintf(buf, size, "[%lld]", (long long)lua_tointeger(L, idx));
    else
        snprintf(buf, size, "with a key that is %s", type_phrase(L, idx));
}

/* Pushes t[key] (raw: a metatable in the script must not run code here). */
static int raw_field(lua_State *L, int t, const char *key)
{
    lua_pushstring(L, key);
    return lua_rawget(L, t);
}

/* A new zeroed value at the end of s; s owns it at once, so nothing leaks on error. */
static config_value *append_value(lua_State *L, config_section *s)
{
    size_t n = s->nvalues;
    if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) { /* capacity doubles: 4, 8, 16, ... */
        config_value *grown = realloc(s->values, (n ? 2 * n : 4) * sizeof *grown);
        if (!grown)
            luaL_error(L, "out of memory");
        s->values = grown;
    }
    config_value *v = &s->values[s->nvalues++];
    memset(v, 0, sizeof *v);
    return v;
}

/* Fills v from the Lua value at idx; returns -1 for types a section cannot hold. */
static int set_value(lua_State *L, int idx, config_value *v)
{
    char num[64];
    size_t len;
    const char *secret = sandbox_secret(L, idx, &len);
    switch (secret ? LUA_TSTRING : lua_type(L, idx)) {
    case LUA_TSTRING:
        v->type = CONFIG_STRING;
        v->secret = secret != NULL;
        v->text = lstrdup(L, secret ? secret : lua_tostring(L, idx));
        return 0;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            v->type = CONFIG_INT;
            v->i = (int64_t)lua_tointeger(L, idx);
            v->d = (double)v->i;
            snprintf(num, sizeof num, "%lld", (long long)v->i);
        } else {
            v->type = CONFIG_DOUBLE;
            v->d = (double)lua_tonumber(L, idx);
            snprintf(num, sizeof num, "%.14g", v->d);
        }
        v->text = lstrdup(L, num);
        return 0;
    case LUA_TBOOLEAN:
        v->type = CONFIG_BOOL;
        v->i = lua_toboolean(L, idx);
        v->text = lstrdup(L, v->i ? "true" : "false");
        return 0;
    case LUA_TTABLE:
        v->type = CONFIG_TABLE;
        v->text = lstrdup(L, "table");
        return 0;
    }
    return -1;
}

/* How a section is read: what to call it and what it may hold. */
typedef struct section_kind {
    const char *title;        /* "the source table", "transform 2" */
    const char *plugin_hint;  /* hint when "plugin" is missing; NULL: no plugin key */
    int scalars_only;         /* settings: no nested tables */
} section_kind;

/* The "plugin" key of a section: a plain string. */
static void read_plugin(conv *c, lua_State *L, const section_kind *k, int line,
                        config_section *out)
{
    if (lua_type(L, -1) == LUA_TSTRING && !sandbox_secret(L, -1, NULL)) {
        out->plugin = lstrdup(L, lua_tostring(L, -1));
        return;
    }
    problem(c, line, NULL, "\"plugin\" in %s must be a string, not %s", k->title,
            type_phrase(L, -1));
}

/* One key = value of a section (key at -2, value at -1). */
static void read_entry(conv *c, lua_State *L, const section_kind *k, span sp,
                       config_section *out)
{
    const char *key = lua_tostring(L, -2);
    size_t at = key_in(&c->sc, sp, key);
    int line = at < c->sc.n ? c->sc.t[at].line : out->line;
    if (k->plugin_hint && strcmp(key, "plugin") == 0) {
        read_plugin(c, L, k, line, out);
        return;
    }
    size_t len;
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
    if (s && strlen(s) != len) {
        problem(c, line, NULL, "value of \"%s\" in %s contains a NUL byte", key, k->title);
        return;
    }
    if (k->scalars_only && lua_type(L, -1) == LUA_TTABLE) {
        problem(c, line, NULL, "setting \"%s\" must be a string, number or boolean, not a table",
                key);
        return;
    }
    config_value *v = append_value(L, out);
    v->key = lstrdup(L, key);
    v->line = line;
    if (set_value(L, lua_gettop(L), v) != 0)
        problem(c, line, NULL, "\"%s\" in %s must be a string, number, boolean or table, not %s",
                key, k->title, type_phrase(L, -1));
}

static int value_order(const void *a, const void *b)
{
    const config_value *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* Copies the section table at idx into out. */
static void read_section(conv *c, lua_State *L, int idx, const section_kind *k, span sp,
                         config_section *out)
{
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            read_entry(c, L, k, sp, out);
        } else {
            char what[96];
            describe_key(L, -2, what, sizeof what);
            problem(c, out->line, "Write every entry as name = value.",
                    "unexpected entry %s in %s", what, k->title);
        }
        lua_pop(L, 1);
    }
    if (out->nvalues > 1)
        qsort(out->values, out->nvalues, sizeof *out->values, value_order);
    if (k->plugin_hint && !out->plugin)
        problem(c, out->line, k->plugin_hint, "missing \"plugin\" in %s", k->title);
}

/* ---- top-level keys ---- */

/* Line of a top-level key: in the returned constructor, else anywhere, else the return. */
static int top_line(conv *c, const char *key)
{
    size_t at = key_in(&c->sc, c->top, key);
    if (at >= c->sc.n)
        at = find_key(&c->sc, 0, c->sc.n, key, -1);
    return at < c->sc.n ? c->sc.t[at].line : c->table_line;
}

/* The constructor of a top-level table value (source = { ... }). */
static span top_value_span(conv *c, const char *key)
{
    size_t at = key_in(&c->sc, c->top, key);
    if (at >= c->sc.n)
        at = find_key(&c->sc, 0, c->sc.n, key, -1);
    return at < c->sc.n ? value_span(&c->sc, key_eq_at(&c->sc, at, key) + 1) : NO_SPAN;
}

/* Phase 1: every key must be one we know (t at index 2). */
static void check_keys(conv *c, lua_State *L)
{
    lua_pushnil(L);
    while (lua_next(L, 2) != 0) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            char what[96];
            describe_key(L, -1, what, sizeof what);
            problem(c, c->table_line, "Write every entry as name = value, e.g. source = { ... }.",
                    "unexpected entry %s in the pipeline table", what);
            continue;
        }
        const char *key = lua_tostring(L, -1);
        size_t i = 0;
        while (i < NELEMS(top_keys) && strcmp(key, top_keys[i]) != 0)
            i++;
        if (i < NELEMS(top_keys))
            continue;
        const char *near = options_nearest(key, top_keys, NELEMS(top_keys));
        char hint[128] = "";
        if (near)
            snprintf(hint, sizeof hint, "Did you mean \"%s\"?", near);
        problem(c, top_line(c, key), near ? hint : NULL,
                "unrecognized key \"%s\" in the pipeline table", key);
    }
}

static void valid_modes_hint(char *buf, size_t size, const char *near)
{
    char list[128];
    options_join(modes, NELEMS(modes), list, sizeof list);
    if (near)
        snprintf(buf, size, "Did you mean \"%s\"? Valid modes are %s.", near, list);
    else
        snprintf(buf, size, "Valid modes are %s.", list);
}

static void read_mode(conv *c, lua_State *L)
{
    char hint[256];
    int line = top_line(c, "mode");
    if (raw_field(L, 2, "mode") == LUA_TNIL) {
        valid_modes_hint(hint, sizeof hint, NULL);
        problem(c, c->table_line, hint, "missing \"mode\" in the pipeline table");
    } else if (lua_type(L, -1) != LUA_TSTRING || sandbox_secret(L, -1, NULL)) {
        valid_modes_hint(hint, sizeof hint, NULL);
        problem(c, line, hint, "\"mode\" must be a string, not %s", type_phrase(L, -1));
    } else {
        const char *mode = lua_tostring(L, -1);
        for (size_t i = 0; i < NELEMS(modes); i++)
            if (strcmp(mode, modes[i]) == 0)
                c->cfg->mode = lstrdup(L, mode);
        if (!c->cfg->mode) {
            valid_modes_hint(hint, sizeof hint, options_nearest(mode, modes, NELEMS(modes)));
            problem(c, line, hint, "unrecognized mode: \"%s\"", mode);
        }
    }
    lua_pop(L, 1);
}

/* A name is used in paths (the state folder), so it is kept to safe characters. */
static int name_char_ok(char ch, int first)
{
    return isalnum((unsigned char)ch) || ch == '_' || ch == '-' || (ch == '.' && !first);
}

/* Default name: the file name without ".lua", other characters made '-'. */
static char *default_name(lua_State *L, const char *path)
{
    const char *base = strrchr(path, '/');
    char *name = lstrdup(L, base ? base + 1 : path);
    size_t len = strlen(name);
    if (len > 4 && strcmp(name + len - 4, ".lua") == 0)
        name[len -= 4] = '\0';
    for (size_t i = 0; i < len; i++)
        if (!name_char_ok(name[i], i == 0))
            name[i] = '-';
    return name;
}

static void read_name(conv *c, lua_State *L)
{
    int line = top_line(c, "name");
    int type = raw_field(L, 2, "name");
    const char *name = type == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    if (type == LUA_TNIL) {
        c->cfg->name = default_name(L, c->path);
    } else if (!name || sandbox_secret(L, -1, NULL)) {
        problem(c, line, NULL, "\"name\" must be a string, not %s", type_phrase(L, -1));
    } else {
        int ok = name[0] != '\0';
        for (size_t i = 0; name[i]; i++)
            ok &= name_char_ok(name[i], i == 0);
        if (ok)
            c->cfg->name = lstrdup(L, name);
        else if (problem(c, line, NULL, "invalid pipeline name: \"%s\"", name)) {
            problem_detail(c, "A name may hold letters, digits, \"-\", \"_\" and \".\", and "
                              "may not begin with \".\"; it names the state folder.");
        }
    }
    lua_pop(L, 1);
}

/* source / target / settings: a table at the top level. */
static void read_top_section(conv *c, lua_State *L, const char *key, const section_kind *k,
                             const char *missing_hint, config_section *out)
{
    out->line = top_line(c, key);
    int type = raw_field(L, 2, key);
    if (type == LUA_TTABLE) {
        read_section(c, L, lua_gettop(L), k, top_value_span(c, key), out);
    } else if (type != LUA_TNIL) {
        char hint[256];
        snprintf(hint, sizeof hint, "Write %s = { %s... }.", key,
                 k->plugin_hint ? "plugin = \"...\", " : "");
        problem(c, out->line, hint, "\"%s\" must be a table, not %s", key, type_phrase(L, -1));
    } else if (missing_hint) {
        problem(c, c->table_line, missing_hint, "missing \"%s\" in the pipeline table", key);
    }
    lua_pop(L, 1);
}

/* transforms = { { plugin = ... }, ... } (the list at the top of the stack). */
static void read_transform_list(conv *c, lua_State *L, int line, span sp)
{
    static const char list_hint[] = "transforms is a list: transforms = { { plugin = \"...\" }, ... }.";
    int list = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, list);
    lua_pushnil(L);
    while (lua_next(L, list) != 0) { /* only 1..n may be there */
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > n) {
            char what[96];
            if (lua_type(L, -1) == LUA_TSTRING)
                snprintf(what, sizeof what, "\"%s\"", lua_tostring(L, -1));
            else
                describe_key(L, -1, what, sizeof what);
            problem(c, line, list_hint, "unexpected entry %s in transforms", what);
        }
    }
    c->cfg->transforms = calloc(n > 0 ? (size_t)n : 1, sizeof *c->cfg->transforms);
    if (!c->cfg->transforms)
        luaL_error(L, "out of memory");
    for (lua_Integer i = 1; i <= n; i++) {
        config_section *t = &c->cfg->transforms[c->cfg->ntransforms++];
        size_t at = list_item(&c->sc, sp, (size_t)i);
        span item = at < c->sc.n ? value_span(&c->sc, at) : NO_SPAN;
        t->line = item.ok ? c->sc.t[item.open].line : at < c->sc.n ? c->sc.t[at].line : line;
        char title[32];
        snprintf(title, sizeof title, "transform %lld", (long long)i);
        section_kind k = {title, "Name the transform's plugin: plugin = \"...\".", 0};
        if (lua_rawgeti(L, list, i) == LUA_TTABLE)
            read_section(c, L, lua_gettop(L), &k, item, t);
        else
            problem(c, t->line, list_hint, "%s must be a table, not %s", title, type_phrase(L, -1));
        lua_pop(L, 1);
    }
}

static void read_transforms(conv *c, lua_State *L)
{
    int line = top_line(c, "transforms");
    int type = raw_field(L, 2, "transforms");
    if (type == LUA_TTABLE)
        read_transform_list(c, L, line, top_value_span(c, "transforms"));
    else if (type != LUA_TNIL)
        problem(c, line, "Write transforms = { { plugin = \"...\" }, ... }.",
                "\"transforms\" must be a table, not %s", type_phrase(L, -1));
    lua_pop(L, 1);
}

static char *dir_of(const char *path);

/* mappings = { rule, ... } (or one table_mappings_json "file"): read into rules. */
static void read_mappings(conv *c, lua_State *L)
{
    int line = top_line(c, "mappings");
    int type = raw_field(L, 2, "mappings");
    if (type != LUA_TTABLE) {
        if (type != LUA_TNIL)
            problem(c, line, "Write mappings = { { rule = \"include\", schema = \"public\" }, ... }.",
                    "\"mappings\" must be a table, not %s", type_phrase(L, -1));
        lua_pop(L, 1);
        return;
    }
    int list = lua_gettop(L);
    if (raw_field(L, list, "table_mappings_json") != LUA_TNIL) { /* one rule, not a list */
        lua_pop(L, 1);
        lua_createtable(L, 1, 0);
        lua_pushvalue(L, list);
        lua_rawseti(L, -2, 1);
        lua_replace(L, list);
    } else {
        lua_pop(L, 1);
    }
    size_t n = lua_rawlen(L, list);
    span sp = top_value_span(c, "mappings");
    int *lines = calloc(n + 1, sizeof *lines);
    c->cfg->mapping = mapping_new();
    if (!lines || !c->cfg->mapping) {
        free(lines);
        luaL_error(L, "out of memory");
    }
    for (size_t k = 1; k <= n; k++) {
        size_t at = list_item(&c->sc, sp, k);
        lines[k - 1] = at < c->sc.n ? c->sc.t[at].line : line;
    }
    sluice_error err;
    error_init(&err);
    int bad_line = 0;
    char *dir = dir_of(c->path);
    if (mapping_from_lua(L, list, lines, c->path, dir ? dir : ".", c->cfg->mapping, &bad_line,
                         &err) != 0) {
        /* the message already names file and line: keep it whole */
        if (problem(c, bad_line ? bad_line : line, err.hint[0] ? err.hint : NULL, "%s",
                    err.message)) {
            memmove(c->message, err.message, strlen(err.message) + 1);
            if (err.detail[0])
                problem_detail(c, err.detail);
        }
    }
    free(dir);
    free(lines);
    lua_pop(L, 1);
}

/* type_rules = { ["tinyint(1)"] = { type = "smallint" } }: entries over the module's. */
static void read_type_rules(conv *c, lua_State *L)
{
    int line = top_line(c, "type_rules");
    int type = raw_field(L, 2, "type_rules");
    if (type != LUA_TTABLE) {
        if (type != LUA_TNIL)
            problem(c, line, "Write type_rules = { [\"tinyint(1)\"] = { type = \"smallint\" } }.",
                    "\"type_rules\" must be a table, not %s", type_phrase(L, -1));
        lua_pop(L, 1);
        return;
    }
    sluice_error err;
    error_init(&err);
    size_t len;
    char *text = read_pipeline_file(c->path, &len, &err); /* for the lines of the entries */
    if (!(c->cfg->type_rules = type_rules_new(c->path))) {
        free(text);
        luaL_error(L, "out of memory");
    }
    if (type_rules_read(L, -1, c->path, text, line, c->cfg->type_rules, &err) != 0 &&
        problem(c, line, err.hint[0] ? err.hint : NULL, "%s", err.message))
        memmove(c->message, err.message, strlen(err.message) + 1); /* names file and line */
    free(text);
    lua_pop(L, 1);
}

static const section_kind source_kind = {
    "the source table", "Name the plugin that reads the data, e.g. plugin = \"source-pg\".", 0};
static const section_kind target_kind = {
    "the target table", "Name the plugin that writes the data, e.g. plugin = \"sink-pg\".", 0};
static const section_kind settings_kind = {"the settings table", NULL, 1};

/* Runs under sandbox_call: (conv, returned table). */
static int convert(lua_State *L)
{
    conv *c = lua_touserdata(L, 1);
    check_keys(c, L);
    if (c->problem_line >= 0)
        return 0;
    read_name(c, L);
    read_mode(c, L);
    read_top_section(c, L, "source", &source_kind,
                     "Add source = { plugin = \"...\", ... } naming the plugin that reads the data.",
                     &c->cfg->source);
    read_top_section(c, L, "target", &target_kind,
                     "Add target = { plugin = \"...\", ... } naming the plugin that writes the data.",
                     &c->cfg->target);
    read_transforms(c, L);
    read_top_section(c, L, "settings", &settings_kind, NULL, &c->cfg->settings);
    read_mappings(c, L);
    read_type_rules(c, L);
    return 0;
}

/* ==== loading ==== */

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* A "#!" first line (as lua.c allows) becomes a comment; the scanner skips it too. */
static void hide_shebang(char *text, size_t len)
{
    if (len == 0 || text[0] != '#')
        return;
    if (len > 1 && text[1] != '\n')
        text[0] = text[1] = '-';
    else
        text[0] = ' ';
}

static pipeline_config *config_new(const char *path)
{
    pipeline_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return NULL;
    cfg->path = strdup(path);
    if (!cfg->path) {
        free(cfg);
        return NULL;
    }
    return cfg;
}

/* Runs the file and converts what it returns; 0 or -1 with err set. */
static int run_and_convert(pipeline_config *cfg, const char *text, size_t len, conv *c,
                           sluice_error *err)
{
    lua_State *L = cfg->lua;
    int n = sandbox_run(L, text, len, cfg->path, err);
    if (n < 0)
        return -1;
    if (n == 0 || !lua_istable(L, -n)) {
        error_set(err, SLUICE_FATAL, "%s: pipeline file did not return a table", cfg->path);
        if (n == 0)
            error_detail(err, "It returned nothing.");
        else
            error_detail(err, "It returned %s.", type_phrase(L, -n));
        error_hint(err, "End the file with return { source = { ... }, target = { ... }, "
                        "mode = \"full-load\" }.");
        return -1;
    }
    if (sandbox_call(L, convert, c, -n, cfg->path, err))
        return -1;
    lua_pop(L, n);
    if (c->problem_line < 0)
        return 0;
    error_set(err, SLUICE_FATAL, "%s", c->message);
    if (c->detail[0])
        error_detail(err, "%s", c->detail);
    if (c->hint[0])
        error_hint(err, "%s", c->hint);
    return -1;
}

pipeline_config *config_load(const char *path, sluice_error *err)
{
    size_t len;
    char *text = read_pipeline_file(path, &len, err);
    if (!text)
        return NULL;
    hide_shebang(text, len);
    conv c = {.path = path, .problem_line = -1};
    pipeline_config *cfg = config_new(path);
    char *dir = dir_of(path);
    int rc = -1;
    if (!cfg || !dir || scan_text(&c.sc, text, len) != 0 || !(cfg->lua = sandbox_new(dir))) {
        error_set(err, SLUICE_FATAL, "out of memory");
    } else {
        c.cfg = cfg;
        c.top = return_span(&c.sc, &c.table_line);
        rc = run_and_convert(cfg, text, len, &c, err);
    }
    if (rc == 0 && cfg->mapping && cfg->mapping->nrow_functions) {
        /* row functions: each consumer thread runs this same text again (rowfn.c) */
        cfg->mapping->script = text;
        cfg->mapping->script_len = len;
        text = NULL;
        if (!(cfg->mapping->script_path = strdup(path))) {
            error_set(err, SLUICE_FATAL, "out of memory");
            rc = -1;
        }
    }
    free(c.sc.t);
    free(dir);
    free(text);
    if (rc != 0) {
        config_free(cfg);
        return NULL;
    }
    sandbox_close(cfg->lua); /* nothing left to run in it */
    cfg->lua = NULL;
    return cfg;
}

static void section_free(config_section *s)
{
    free(s->plugin);
    for (size_t i = 0; i < s->nvalues; i++) {
        if (s->values[i].secret && s->values[i].text)
            explicit_bzero(s->values[i].text, strlen(s->values[i].text));
        free(s->values[i].key);
        free(s->values[i].text);
    }
    free(s->values);
}

void config_free(pipeline_config *cfg)
{
    if (!cfg)
        return;
    section_free(&cfg->source);
    section_free(&cfg->target);
    section_free(&cfg->settings);
    for (size_t i = 0; i < cfg->ntransforms; i++)
        section_free(&cfg->transforms[i]);
    free(cfg->transforms);
    if (cfg->lua)
        sandbox_close(cfg->lua);
    mapping_free(cfg->mapping);
    type_rules_free(cfg->type_rules);
    free(cfg->path);
    free(cfg->name);
    free(cfg->mode);
    free(cfg);
}

const config_value *config_find(const config_section *s, const char *key)
{
    for (size_t i = 0; s && i < s->nvalues; i++)
        if (strcmp(s->values[i].key, key) == 0)
            return &s->values[i];
    return NULL;
}
