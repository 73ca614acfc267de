/*
 * Per-row Lua functions: a chain's own Lua state, the factories bound per
 * table version, and the per-row calls (rowfn.h). The state's stack keeps the
 * message handler at 1 and the row handle at 2. A run of rows enters Lua once
 * (one lua_pcall of run_rows, the functions fetched from the registry once);
 * each row then costs two pushes, lua_call, and two stores and an exchange for
 * the watchdog: no hook is set on the row path (lua_watchdog.h says why).
 */
#include "rowfn.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_sandbox.h"
#include "report.h"
#include "rowfn_row.h"

#define HANDLER 1
#define ROW 2

struct rowfn_state {
    lua_State *L;
    const mapping *m;
    int *refs;         /* per rule of m: its factory in the registry, or LUA_NOREF */
    rowfn_row *row;    /* the handle at stack index ROW */
    watch_slot *watch; /* the state's time budgets */
};

typedef struct bound_fn {
    int ref;              /* the row function in the registry */
    const map_rule *rule; /* for messages */
    int32_t column;       /* add-column fn: the target column its result fills; else -1 */
} bound_fn;

struct rowfn_table {
    rowfn_state *s;
    uint64_t got, used; /* columns the functions read / touched so far (prefetch) */
    const sluice_table *target;
    char table[256]; /* "sales.orders", source names, for messages */
    uint32_t n;
    bound_fn fns[];
};

/* row-function rules, and add-column rules with a fn (whose result is the value) */
static int is_row_function(const map_rule *r)
{
    return r->kind == MAP_RULE_TRANSFORMATION &&
           (r->u.tr.action == MAP_ROW_FUNCTION || r->u.tr.has_fn);
}

/* "... (table sales.orders, row-function mappings[3])" after a message. */
static void add_context(sluice_error *err, const char *table, const map_rule *r)
{
    char ctx[400];
    snprintf(ctx, sizeof ctx, " (table %s, %s %s)", table, mapping_action_name(r->u.tr.action),
             r->id);
    size_t used = strnlen(err->message, sizeof err->message - 1);
    snprintf(err->message + used, sizeof err->message - used, "%s", ctx);
}

/* Under sandbox_call (ud: the state; arg: the table the file returned):
   every row-function rule's fn, and the row handle. */
static int collect(lua_State *L)
{
    rowfn_state *s = lua_touserdata(L, 1);
    const mapping *m = s->m;
    int list = lua_type(L, 2) == LUA_TTABLE && lua_getfield(L, 2, "mappings") == LUA_TTABLE
                   ? lua_gettop(L)
                   : 0;
    for (size_t i = 0; i < m->nrules; i++) {
        const map_rule *r = &m->rules[i];
        if (!is_row_function(r))
            continue;
        if (!list || lua_rawgeti(L, list, r->u.tr.lua_index) != LUA_TTABLE ||
            lua_getfield(L, -1, "fn") != LUA_TFUNCTION)
            return luaL_error(L, "%s: %s: \"fn\" is not a function when the file runs again",
                              r->where, r->id);
        s->refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);
        lua_pop(L, 1);
    }
    s->row = rowfn_row_new(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "sluice.rowhandle");
    return 0;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? strndup(path, (size_t)(slash == path ? 1 : slash - path)) : strdup(".");
}

sluice_status rowfn_open(rowfn_state **out, const mapping *m, sluice_error *err)
{
    *out = NULL;
    if (!m || !m->nrow_functions || !m->script)
        return SLUICE_OK;
    rowfn_state *s = calloc(1, sizeof *s);
    char *dir = dir_of(m->script_path);
    if (s)
        s->refs = calloc(m->nrules, sizeof *s->refs);
    if (!s || !dir || !s->refs || !(s->L = sandbox_new(dir))) {
        free(dir);
        rowfn_close(s);
        return error_set(err, SLUICE_FATAL, "out of memory");
    }
    free(dir);
    s->m = m;
    for (size_t i = 0; i < m->nrules; i++)
        s->refs[i] = LUA_NOREF;
    lua_State *L = s->L;
    int n = sandbox_run(L, m->script, m->script_len, m->script_path, err);
    if (n >= 0) {
        sandbox_budget_off(L);
        int rc = n > 0 ? sandbox_call(L, collect, s, -n, m->script_path, err) : -1;
        if (n == 0)
            error_set(err, SLUICE_FATAL, "%s: the file returned nothing", m->script_path);
        lua_settop(L, 0);
        if (rc == 0 && !(s->watch = sandbox_watch(L))) {
            error_set(err, SLUICE_FATAL, "cannot start the Lua watchdog thread");
            rc = -1;
        }
        if (rc == 0) {
            /* Rows make short-lived strings (text gets): what generational GC is
               for; it runs 1/3 fewer GC instructions per row than incremental. */
            lua_gc(L, LUA_GCGEN, 0, 0);
            sandbox_push_handler(L);
            lua_getfield(L, LUA_REGISTRYINDEX, "sluice.rowhandle");
            *out = s;
            return SLUICE_OK;
        }
    }
    error_prefix(err, "row functions");
    rowfn_close(s);
    return SLUICE_FATAL;
}

void rowfn_close(rowfn_state *s)
{
    if (!s)
        return;
    sandbox_close(s->L);
    free(s->refs);
    free(s);
}

/* Under lua_pcall (source, target, factory): calls the factory with the table
   handle; returns true and the row function's registry ref, or false and
   what the factory returned instead. */
static int call_factory(lua_State *L)
{
    const sluice_table *source = lua_touserdata(L, 1), *target = lua_touserdata(L, 2);
    lua_settop(L, 3);
    rowfn_push_table(L, source, target);
    lua_call(L, 1, 1);
    int fn = lua_type(L, -1) == LUA_TFUNCTION;
    lua_pushboolean(L, fn);
    lua_insert(L, -2);
    if (fn)
        lua_pushinteger(L, luaL_ref(L, LUA_REGISTRYINDEX));
    return 2;
}

/* The target index of the column an add-column rule adds; -1 for a row-function. */
static int32_t added_column(const table_plan *p, const map_transform *tr)
{
    for (uint32_t c = 0; tr->has_fn && c < p->target->ncolumns; c++)
        if (p->columns[c].added == tr)
            return (int32_t)c;
    return -1;
}

sluice_status rowfn_bind(rowfn_state *s, const table_plan *p, rowfn_table **out,
                         sluice_error *err)
{
    *out = NULL;
    const mapping *m = s->m;
    uint32_t n = 0;
    for (size_t i = 0; i < m->nrules; i++)
        n += is_row_function(&m->rules[i]) &&
             mapping_like(m->rules[i].u.tr.schema, p->source->schema.ptr, p->source->schema.len) &&
             mapping_like(m->rules[i].u.tr.table, p->source->name.ptr, p->source->name.len);
    if (n == 0)
        return SLUICE_OK;
    rowfn_table *t = calloc(1, sizeof *t + n * sizeof t->fns[0]);
    if (!t)
        return error_set(err, SLUICE_FATAL, "out of memory");
    t->s = s;
    t->target = p->target;
    snprintf(t->table, sizeof t->table, "%.*s.%.*s", (int)p->source->schema.len,
             p->source->schema.ptr, (int)p->source->name.len, p->source->name.ptr);
    lua_State *L = s->L;
    for (size_t i = 0; i < m->nrules; i++) {
        const map_rule *r = &m->rules[i];
        if (!is_row_function(r) ||
            !mapping_like(r->u.tr.schema, p->source->schema.ptr, p->source->schema.len) ||
            !mapping_like(r->u.tr.table, p->source->name.ptr, p->source->name.len))
            continue;
        lua_pushcfunction(L, call_factory);
        lua_pushlightuserdata(L, (void *)p->source);
        lua_pushlightuserdata(L, (void *)p->target);
        lua_rawgeti(L, LUA_REGISTRYINDEX, s->refs[i]);
        watchdog_begin(s->watch, SANDBOX_FACTORY_MS);
        int status = lua_pcall(L, 3, 2, HANDLER);
        watchdog_end(s->watch);
        if (status != LUA_OK) {
            sandbox_error(L, status, m->script_path, err);
            add_context(err, t->table, r);
        } else if (lua_toboolean(L, -2)) {
            t->fns[t->n].rule = r;
            t->fns[t->n].column = added_column(p, &r->u.tr);
            t->fns[t->n++].ref = (int)lua_tointeger(L, -1);
            lua_settop(L, ROW);
            continue;
        } else if (lua_isnil(L, -1)) { /* the factory says: not for this table */
            lua_settop(L, ROW);
            continue;
        } else {
            error_set(err, SLUICE_FATAL, "%s: %s: fn returned %s, not the row function",
                      r->where, r->id, luaL_typename(L, -1));
            add_context(err, t->table, r);
            error_hint(err, "fn is called once per table with a table handle and returns "
                            "function(row) ... end (or nil to leave the table alone).");
        }
        lua_settop(L, ROW);
        rowfn_unbind(t);
        return SLUICE_FATAL;
    }
    if (t->n == 0) {
        free(t);
        return SLUICE_OK;
    }
    *out = t;
    return SLUICE_OK;
}

void rowfn_unbind(rowfn_table *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->n; i++)
        luaL_unref(t->s->L, LUA_REGISTRYINDEX, t->fns[i].ref);
    free(t);
}

#define AHEAD 2       /* rows: texts are prefetched AHEAD rows ahead, slots twice as far */
#define TEXT_LINES 8  /* cache lines of one text prefetched at most */

/* A row event of the batch whose values can be indexed by column (bounds only:
   a later row is not projected yet, so a target index may name another source
   column; a prefetch of the wrong value costs a little, never a wrong read). */
static const sluice_value *row_at(const sluice_batch *b, uint32_t i, uint32_t *ncolumns)
{
    if (i >= b->nevents)
        return NULL;
    const sluice_event *f = sluice_batch_event(b, i);
    if ((f->op != SLUICE_OP_INSERT && f->op != SLUICE_OP_UPDATE) || !f->table || !f->new_row)
        return NULL;
    *ncolumns = f->table->ncolumns;
    return f->new_row;
}

/*
 * By the time the chain maps a batch (several MB, filled by the source before)
 * its rows have left the cache: the first row:get of a row waited ~300 ns for
 * its value and pushing a text ~250 ns more (perf, bench/RESULTS.md
 * "Mappings"). So fetch, for rows still to come, what the functions touched in
 * earlier rows: the value slots 2*AHEAD rows ahead, and the texts they point to
 * AHEAD rows ahead (their slots were fetched AHEAD rows ago). What is left is
 * the TLB miss (a row is a new 4 KiB page; the prefetch waits for its walk).
 */
static void prefetch_ahead(const rowfn_table *t, const sluice_batch *b, const sluice_event *e)
{
    if (!t->used || b->event_size == 0 || (const char *)e < (const char *)b->events)
        return;
    uint32_t i = (uint32_t)(((const char *)e - (const char *)b->events) / b->event_size), n;
    const sluice_value *far = row_at(b, i + 2 * AHEAD, &n);
    for (uint64_t m = t->used; far && m; m &= m - 1) {
        uint32_t c = (uint32_t)__builtin_ctzll(m);
        if (c < n)
            __builtin_prefetch(&far[c]);
    }
    const sluice_value *near = row_at(b, i + AHEAD, &n);
    for (uint64_t m = t->got; near && m; m &= m - 1) {
        uint32_t c = (uint32_t)__builtin_ctzll(m);
        if (c >= n || near[c].kind != SLUICE_VALUE_TEXT)
            continue;
        uint32_t len = near[c].len < TEXT_LINES * 64 ? near[c].len : TEXT_LINES * 64;
        for (uint32_t off = 0; off < len; off += 64)
            __builtin_prefetch(near[c].u.bytes + off);
    }
}

/* What run_rows works on; `at` and `fn` say where an error happened. */
typedef struct row_run {
    rowfn_table *t;
    sluice_batch *b;
    uint32_t at, to;
    uint32_t fn;
    int snapshot;
} row_run;

/* One row through the table's functions (on the stack from fns up). */
static void run_row(lua_State *L, row_run *x, sluice_event *e, int fns)
{
    rowfn_table *t = x->t;
    rowfn_state *s = t->s;
    rowfn_row *row = s->row;
    row->values = e->new_row;
    row->op = x->snapshot ? "LOAD" : e->op == SLUICE_OP_INSERT ? "INSERT" : "UPDATE";
    row->dropped = 0;
    row->got = row->set = 0;
    prefetch_ahead(t, x->b, e);
    for (x->fn = 0; x->fn < t->n; x->fn++) {
        int32_t column = t->fns[x->fn].column;
        lua_pushvalue(L, fns + (int)x->fn);
        lua_pushvalue(L, ROW);
        watchdog_begin(s->watch, SANDBOX_ROW_MS);
        lua_call(L, 1, 1);
        if (column >= 0) { /* add-column fn: the result goes in through row:set; nil is NULL */
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                lua_getfield(L, LUA_REGISTRYINDEX, SANDBOX_NULL);
            }
            lua_getfield(L, ROW, "set");
            lua_pushvalue(L, ROW);
            lua_pushinteger(L, (lua_Integer)column + 1);
            lua_rotate(L, -4, -1); /* set, row, column, result */
            lua_call(L, 3, 0);
            lua_pushnil(L); /* a value, never a drop */
        }
        watchdog_end(s->watch);
        int keep = !row->dropped && !(lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1));
        lua_settop(L, fns + (int)t->n - 1);
        if (!keep) {
            e->op = SLUICE_OP_SKIP;
            break;
        }
    }
    row->values = NULL;
    t->got |= row->got;
    t->used |= row->got | row->set;
}

/* The rows of a run, inside one protected call: a pcall per row cost ~150
   instructions (callgrind). Errors leave through lua_call to rowfn_events. */
static int run_rows(lua_State *L)
{
    row_run *x = lua_touserdata(L, 1); /* and the row handle at 2: ROW in this frame too */
    int fns = 3;
    luaL_checkstack(L, (int)x->t->n + 8, "row functions");
    for (uint32_t i = 0; i < x->t->n; i++)
        lua_rawgeti(L, LUA_REGISTRYINDEX, x->t->fns[i].ref);
    for (; x->at < x->to; x->at++) {
        sluice_event *e = sluice_batch_event(x->b, x->at);
        if ((e->op == SLUICE_OP_INSERT || e->op == SLUICE_OP_UPDATE) && e->new_row &&
            e->table == x->t->target)
            run_row(L, x, e, fns);
    }
    return 0;
}

sluice_status rowfn_events(rowfn_table *t, sluice_batch *b, uint32_t from, uint32_t to,
                           int snapshot, sluice_error *err)
{
    rowfn_state *s = t->s;
    lua_State *L = s->L;
    row_run x = {.t = t, .b = b, .at = from, .to = to, .snapshot = snapshot};
    s->row->batch = b;
    s->row->table = t->target;
    lua_pushcfunction(L, run_rows);
    lua_pushlightuserdata(L, &x);
    lua_pushvalue(L, ROW);
    int status = lua_pcall(L, 2, 0, HANDLER);
    if (status == LUA_OK)
        return SLUICE_OK;
    watchdog_end(s->watch); /* the call that failed may have been stamped */
    s->row->values = NULL;
    sandbox_error(L, status, s->m->script_path, err);
    add_context(err, t->table, t->fns[x.fn < t->n ? x.fn : 0].rule);
    lua_settop(L, ROW);
    return SLUICE_FATAL;
}
