/*
 * The Lua sandbox for pipeline files. Following linit.c's advice we open only
 * the libraries we want (base, string, table, math, utf8) and take away what
 * reaches the outside world. Limits: a capped allocator, a count hook while
 * the pipeline file runs, and the watchdog's stop hook for later calls
 * (lua_watchdog.h). Our own errors carry a detail and a hint next to the Lua
 * message (see pending_*).
 */
#include "lua_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "lua_smallalloc.h"
#include "lua_watchdog.h"
#include "options.h"
#include "report.h"
#include "secret.h"

#define SECRET_TYPE "sluice.secret" /* registry name of the secrets' metatable */
#define HOOK_EVERY 1000             /* instructions between two budget checks */
#define TRACE_MAX 1024

/* Everything one state needs on the C side; it is the allocator's ud. */
typedef struct sandbox {
    size_t mem_used, mem_limit;
    int mem_exceeded;          /* an allocation was refused */
    small_pool pool;           /* the state's small blocks (lua_smallalloc.h) */
    uint64_t instructions;     /* counted by the hook since the run began */
    struct timespec started;
    int exhausted;             /* the time budget ran out: every instruction raises */
    watch_slot watch;          /* sandbox_watch: calls with a time budget */
    int watched;
    const char *what;          /* "pipeline file" or "row function", for messages */
    char *base_dir;            /* for file "relative/path" */
    /* The last error we raised, with the detail and hint Lua errors cannot carry. */
    char pending_message[SLUICE_ERROR_MESSAGE_MAX];
    char pending_detail[SLUICE_ERROR_DETAIL_MAX];
    char pending_hint[SLUICE_ERROR_HINT_MAX];
    char traceback[TRACE_MAX]; /* Lua frames of the last error, one per line */
    int trace_frames;
} sandbox;

/* Globals a pipeline file cannot have, and what to use instead when there is something. */
static const struct {
    const char *name, *instead;
} unavailable[] = {
    {"io", "Read a secret from a file with file \"/path\"."},
    {"os", "Read environment variables with env \"NAME\"."},
    {"package", NULL},
    {"debug", NULL},
    {"coroutine", NULL},
    {"load", NULL},
    {"loadfile", NULL},
    {"dofile", NULL},
    {"require", NULL},
    {"collectgarbage", NULL},
    {"warn", NULL},
};

static sandbox *sandbox_of(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

/* ---- memory cap ---- */

static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    sandbox *sb = ud;
    if (ptr == NULL)
        osize = 0; /* then osize only says what kind of object Lua makes */
    if (nsize == 0) {
        if (ptr)
            small_realloc(&sb->pool, ptr, osize, 0);
        sb->mem_used -= osize;
        return NULL;
    }
    if (nsize > osize && sb->mem_used + (nsize - osize) > sb->mem_limit) {
        sb->mem_exceeded = 1;
        return NULL;
    }
    void *p = small_realloc(&sb->pool, ptr, osize, nsize);
    if (p)
        sb->mem_used = sb->mem_used - osize + nsize;
    return p;
}

/* Everything runs under lua_pcall, so this is a bug; say so instead of a bare abort. */
static int on_panic(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "sluice: unprotected error in the Lua sandbox: %s\n", msg ? msg : "?");
    return 0;
}

/* ---- raising errors with a detail and a hint ---- */

/*
 * Raises "where: message" and remembers detail and hint, which sandbox_run
 * attaches when this error is the one that ends the run. where is NULL for the
 * caller's position (level 1) or a ready "file:line: " prefix.
 */
static int raise_full(lua_State *L, const char *where, const char *detail, const char *hint,
                      const char *fmt, ...) SLUICE_PRINTF(5, 6);
static int raise_full(lua_State *L, const char *where, const char *detail, const char *hint,
                      const char *fmt, ...)
{
    sandbox *sb = sandbox_of(L);
    char text[SLUICE_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (where)
        lua_pushstring(L, where);
    else
        luaL_where(L, 1);
    lua_pushstring(L, text);
    lua_concat(L, 2);
    snprintf(sb->pending_message, sizeof sb->pending_message, "%s", lua_tostring(L, -1));
    snprintf(sb->pending_detail, sizeof sb->pending_detail, "%s", detail ? detail : "");
    snprintf(sb->pending_hint, sizeof sb->pending_hint, "%s", hint ? hint : "");
    return lua_error(L);
}

/* ---- time budget ---- */

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void budget_hook(lua_State *L, lua_Debug *ar)
{
    sandbox *sb = sandbox_of(L);
    sb->instructions += HOOK_EVERY;
    if (!sb->exhausted && sb->instructions <= SANDBOX_INSTRUCTION_LIMIT &&
        seconds_since(&sb->started) <= SANDBOX_SECONDS_LIMIT)
        return;
    if (!sb->exhausted) {
        /* From now on every instruction raises, so a script cannot pcall its way on. */
        sb->exhausted = 1;
        lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
    }
    char where[LUA_IDSIZE + 32] = "";
    if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
        snprintf(where, sizeof where, "%s:%d: ", ar->short_src, ar->currentline);
    char detail[256];
    snprintf(detail, sizeof detail,
             "A pipeline file may run for at most %d seconds and %llu Lua instructions.",
             SANDBOX_SECONDS_LIMIT, (unsigned long long)SANDBOX_INSTRUCTION_LIMIT);
    raise_full(L, where, detail, "Look for a loop that never ends.",
               "pipeline file ran for too long");
}

/* The watchdog sets this hook (count 1) on a call that ran over its budget:
   every instruction raises from then on, so pcall cannot go on. */
static void stop_hook(lua_State *L, lua_Debug *ar)
{
    sandbox *sb = sandbox_of(L);
    sb->exhausted = 1;
    unsigned ms = atomic_load_explicit(&sb->watch.budget, memory_order_relaxed);
    char where[LUA_IDSIZE + 32] = "";
    if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
        snprintf(where, sizeof where, "%s:%d: ", ar->short_src, ar->currentline);
    char detail[256];
    snprintf(detail, sizeof detail,
             "A row function may run for at most %u ms per row (its factory %u ms per table).",
             SANDBOX_ROW_MS, SANDBOX_FACTORY_MS);
    raise_full(L, where, detail, "Look for a loop that never ends.", "%s ran longer than %u ms",
               sb->what, ms);
}

watch_slot *sandbox_watch(lua_State *L)
{
    sandbox *sb = sandbox_of(L);
    if (!sb->watched && watchdog_add(&sb->watch, L, stop_hook) == 0)
        sb->watched = 1;
    sb->what = "row function";
    return sb->watched ? &sb->watch : NULL;
}

static void budget_start(lua_State *L)
{
    sandbox *sb = sandbox_of(L);
    sb->instructions = 0;
    sb->exhausted = 0;
    clock_gettime(CLOCK_MONOTONIC, &sb->started);
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, HOOK_EVERY);
}

void sandbox_budget_off(lua_State *L)
{
    lua_sethook(L, NULL, 0, 0);
}

/* ---- secrets ---- */

/* A secret's userdata: where it came from and its value, never visible to Lua. */
typedef struct secret_box {
    const char *kind; /* "env" or "file" (static) */
    size_t name_len, value_len;
    char data[];      /* name NUL value NUL */
} secret_box;

static secret_box *check_secret(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, SECRET_TYPE);
}

static const char *box_name(const secret_box *b) { return b->data; }
static const char *box_value(const secret_box *b) { return b->data + b->name_len + 1; }

/* Pushes a new secret and registers its value for redaction. */
static void push_secret(lua_State *L, const char *kind, const char *name, const char *value,
                        size_t len)
{
    size_t name_len = strlen(name);
    secret_box *b = lua_newuserdatauv(L, sizeof *b + name_len + 1 + len + 1, 0);
    b->kind = kind;
    b->name_len = name_len;
    b->value_len = len;
    memcpy(b->data, name, name_len + 1);
    memcpy(b->data + name_len + 1, value, len);
    b->data[name_len + 1 + len] = '\0';
    luaL_setmetatable(L, SECRET_TYPE);
    secret_register(value, len);
}

const char *sandbox_secret(lua_State *L, int idx, size_t *len)
{
    secret_box *b = luaL_testudata(L, idx, SECRET_TYPE);
    if (!b)
        return NULL;
    if (len)
        *len = b->value_len;
    return box_value(b);
}

static int secret_tostring(lua_State *L)
{
    secret_box *b = check_secret(L, 1);
    lua_pushfstring(L, "<secret %s %s>", b->kind, box_name(b));
    return 1;
}

/* The operations that would turn a secret into text or poke into it. */
static int secret_misuse(lua_State *L, const char *what, const char *detail, const char *hint)
{
    secret_box *b = luaL_testudata(L, 1, SECRET_TYPE);
    if (!b)
        b = luaL_testudata(L, 2, SECRET_TYPE); /* "x" .. secret */
    return raise_full(L, NULL, detail, hint, "cannot %s a secret (%s \"%s\")", what,
                      b ? b->kind : "?", b ? box_name(b) : "?");
}

static int secret_concat(lua_State *L)
{
    return secret_misuse(L, "concatenate",
                         "A secret can only be the whole value of an option, so that it never "
                         "ends up in a string that could be printed.",
                         "Give the secret its own option, e.g. password = env \"PGPASSWORD\", "
                         "instead of building a connection string.");
}

static int secret_index(lua_State *L)
{
    return secret_misuse(L, "index", "A secret has no fields or methods.", NULL);
}

static int secret_len(lua_State *L)
{
    return secret_misuse(L, "take the length of", "A secret's value cannot be inspected.", NULL);
}

/* Wipes the value before Lua frees the memory. */
static int secret_gc(lua_State *L)
{
    secret_box *b = check_secret(L, 1);
    explicit_bzero(b->data + b->name_len + 1, b->value_len);
    return 0;
}

static void make_secret_metatable(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"__tostring", secret_tostring}, {"__concat", secret_concat},
        {"__index", secret_index},       {"__newindex", secret_index},
        {"__len", secret_len},           {"__gc", secret_gc},
        {NULL, NULL},
    };
    luaL_newmetatable(L, SECRET_TYPE);
    luaL_setfuncs(L, methods, 0);
    lua_pushliteral(L, "secret");
    lua_setfield(L, -2, "__metatable"); /* getmetatable/setmetatable cannot reach it */
    lua_pop(L, 1);
}

/* env "NAME": the environment variable as a secret. */
static int lua_env(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    const char *value = getenv(name);
    if (!value) {
        char hint[512];
        snprintf(hint, sizeof hint,
                 "Set %s in the environment that runs sluice, or read the secret from a file "
                 "with file \"/path\".", name);
        return raise_full(L, NULL, NULL, hint, "environment variable \"%s\" is not set", name);
    }
    push_secret(L, "env", name, value, strlen(value));
    return 1;
}

/* The path file "path" reads: relative paths start at the pipeline file's folder. */
static void resolve_path(const sandbox *sb, const char *path, char *out, size_t size)
{
    if (path[0] == '/' || sb->base_dir == NULL)
        snprintf(out, size, "%s", path);
    else
        snprintf(out, size, "%s/%s", sb->base_dir, path);
}

/* Reads up to max bytes of path into buf; returns the length or -1 with errno set. */
static long read_small_file(const char *path, char *buf, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t used = 0;
    while (used < max) {
        ssize_t n = read(fd, buf + used, max - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    return (long)used;
}

/* file "/path": the file's contents, less one trailing newline, as a secret. */
static int lua_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char full[PATH_MAX];
    resolve_path(sandbox_of(L), path, full, sizeof full);
    /* Read into Lua-owned scratch memory: nothing leaks if a later call raises. */
    char *buf = lua_newuserdatauv(L, SANDBOX_SECRET_FILE_MAX + 1, 0);
    long n = read_small_file(full, buf, SANDBOX_SECRET_FILE_MAX + 1);
    if (n < 0)
        return raise_full(L, NULL, NULL, NULL, "could not read secret file \"%s\": %s", full,
                          strerror(errno));
    if (n > SANDBOX_SECRET_FILE_MAX)
        return raise_full(L, NULL, "A secret file may hold at most 1 MiB.", NULL,
                          "secret file \"%s\" is too large", full);
    size_t len = (size_t)n;
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    if (memchr(buf, '\0', len))
        return raise_full(L, NULL, "Secrets are text; the file holds a NUL byte.", NULL,
                          "secret file \"%s\" is not a text file", full);
    push_secret(L, "file", path, buf, len);
    explicit_bzero(buf, (size_t)n);
    return 1;
}

/* ---- print, and strict globals ---- */

/* print(...) goes to the log (redacted like every line), not to stdout. */
static int lua_print(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_where(L, 1);
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    report_log(SLUICE_LOG_INFO, "%s%s", lua_tostring(L, -2), lua_tostring(L, -1));
    return 0;
}

static const char *unavailable_instead(const char *name, int *found)
{
    for (size_t i = 0; i < sizeof unavailable / sizeof unavailable[0]; i++)
        if (strcmp(unavailable[i].name, name) == 0)
            return *found = 1, unavailable[i].instead;
    return *found = 0, NULL;
}

/* The global name nearest to name (the table is _G at index 1), for a hint. */
static const char *nearest_global(lua_State *L, const char *name)
{
    const char *names[128];
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
        if (lua_type(L, -2) == LUA_TSTRING && n < sizeof names / sizeof names[0])
            names[n++] = lua_tostring(L, -2); /* kept alive by _G */
        lua_pop(L, 1);
    }
    return options_nearest(name, names, n);
}

static int strict_index(lua_State *L)
{
    if (lua_type(L, 2) != LUA_TSTRING)
        return raise_full(L, NULL, NULL, NULL, "undeclared global variable of type %s",
                          luaL_typename(L, 2));
    const char *name = lua_tostring(L, 2);
    int found;
    const char *instead = unavailable_instead(name, &found);
    if (found)
        return raise_full(L, NULL,
                          "Pipeline files run in a sandbox without the io, os, package, debug "
                          "and coroutine libraries and without load, loadfile, dofile, "
                          "require and collectgarbage.",
                          instead, "\"%s\" is not available in a pipeline file", name);
    const char *near = nearest_global(L, name);
    char hint[256] = "";
    if (near)
        snprintf(hint, sizeof hint, "Did you mean \"%s\"?", near);
    return raise_full(L, NULL, NULL, near ? hint : NULL, "undeclared global variable \"%s\"",
                      name);
}

static int strict_newindex(lua_State *L)
{
    if (lua_type(L, 2) != LUA_TSTRING)
        return raise_full(L, NULL, NULL, NULL, "assignment to a global variable of type %s",
                          luaL_typename(L, 2));
    const char *name = lua_tostring(L, 2);
    char hint[256];
    snprintf(hint, sizeof hint, "Declare it with local: local %s = ...", name);
    return raise_full(L, NULL, "A pipeline file cannot create global variables.", hint,
                      "assignment to undeclared global variable \"%s\"", name);
}

/*
 * setmetatable without finalizers: Lua runs __gc with hooks off, so the time
 * budget could not stop one. An object is only marked for finalization when its
 * metatable has a __gc field at setmetatable time, so checking here is enough.
 * The rest is lbaselib.c's luaB_setmetatable, so messages keep their position.
 */
static int safe_setmetatable(lua_State *L)
{
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        int has_gc = lua_rawget(L, 2) != LUA_TNIL;
        lua_pop(L, 1);
        if (has_gc)
            return raise_full(L, NULL, "Finalizers would run outside the pipeline file's time "
                                       "budget.",
                              NULL, "__gc metamethods are not available in a pipeline file");
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* From here on reading or writing an unknown global is an error with a line number. */
static void make_globals_strict(lua_State *L)
{
    lua_pushglobaltable(L);
    lua_createtable(L, 0, 3);
    lua_pushcfunction(L, strict_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, strict_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
}

/* ---- building the state ---- */

static void open_libraries(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},          {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table},    {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8},    {NULL, NULL},
    };
    for (const luaL_Reg *lib = libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    static const char *const removed[] = {"load", "loadfile", "dofile", "collectgarbage", "warn"};
    for (size_t i = 0; i < sizeof removed / sizeof removed[0]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, removed[i]);
    }
    /* string.dump makes binary chunks; nothing here loads them, but keep it away. */
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
}

/* table_mappings_json "file.json": a mappings entry that loads an AWS DMS
   table-mapping document (read by the mapping engine, relative to the file). */
static int lua_table_mappings_json(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_createtable(L, 0, 1);
    lua_pushstring(L, path);
    lua_setfield(L, -2, "table_mappings_json");
    return 1;
}

/* sluice.null and sluice.unchanged: unique values, also kept in the registry
   under their names so C code compares against the originals. */
static int null_tostring(lua_State *L)
{
    lua_pushliteral(L, "sluice.null");
    return 1;
}

static int unchanged_tostring(lua_State *L)
{
    lua_pushliteral(L, "sluice.unchanged");
    return 1;
}

static void add_sentinel(lua_State *L, const char *field, const char *name, lua_CFunction str)
{
    lua_newuserdatauv(L, 0, 0);
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, str);
    lua_setfield(L, -2, "__tostring");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, name);
    lua_setfield(L, -2, field);
}

static void add_sluice_table(lua_State *L)
{
    lua_createtable(L, 0, 2);
    add_sentinel(L, "null", SANDBOX_NULL, null_tostring);
    add_sentinel(L, "unchanged", SANDBOX_UNCHANGED, unchanged_tostring);
    lua_setglobal(L, "sluice");
}

static void add_helpers(lua_State *L)
{
    make_secret_metatable(L);
    add_sluice_table(L);
    lua_register(L, "env", lua_env);
    lua_register(L, "file", lua_file);
    lua_register(L, "table_mappings_json", lua_table_mappings_json);
    lua_register(L, "print", lua_print);
    lua_register(L, "setmetatable", safe_setmetatable);
}

/* Runs under lua_pcall: an allocation failure while setting up is then an error. */
static int setup(lua_State *L)
{
    open_libraries(L);
    add_helpers(L);
    make_globals_strict(L);
    return 0;
}

lua_State *sandbox_new(const char *base_dir)
{
    sandbox *sb = calloc(1, sizeof *sb);
    if (!sb)
        return NULL;
    sb->mem_limit = SANDBOX_MEMORY_LIMIT;
    sb->what = "pipeline file";
    sb->base_dir = base_dir ? strdup(base_dir) : NULL;
    lua_State *L = lua_newstate(capped_alloc, sb);
    if (!L || (base_dir && !sb->base_dir)) {
        if (L)
            lua_close(L);
        small_pool_release(&sb->pool);
        free(sb->base_dir);
        free(sb);
        return NULL;
    }
    lua_atpanic(L, on_panic);
    lua_pushcfunction(L, setup);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        sandbox_close(L);
        return NULL;
    }
    return L;
}

void sandbox_close(lua_State *L)
{
    if (!L)
        return;
    sandbox *sb = sandbox_of(L);
    if (sb->watched)
        watchdog_remove(&sb->watch);
    lua_close(L); /* no Lua finalizers can run here: setmetatable refuses __gc */
    small_pool_release(&sb->pool);
    free(sb->base_dir);
    free(sb);
}

/* ---- running, and turning Lua errors into sluice errors ---- */

/* "in function 'f'" for one frame of a traceback. */
static void frame_name(const lua_Debug *ar, char *buf, size_t size)
{
    if (ar->namewhat[0] && strcmp(ar->namewhat, "global") == 0)
        snprintf(buf, size, "function '%s'", ar->name);
    else if (ar->namewhat[0])
        snprintf(buf, size, "%s '%s'", ar->namewhat, ar->name);
    else if (ar->what[0] == 'm')
        snprintf(buf, size, "main chunk");
    else
        snprintf(buf, size, "function <%s:%d>", ar->short_src, ar->linedefined);
}

/* Records the Lua frames of the error being raised (C frames say nothing useful). */
static void record_traceback(lua_State *L, sandbox *sb)
{
    lua_Debug ar;
    size_t used = 0;
    sb->traceback[0] = '\0';
    sb->trace_frames = 0;
    for (int level = 1; lua_getstack(L, level, &ar) && sb->trace_frames < 10; level++) {
        if (!lua_getinfo(L, "Sln", &ar) || ar.currentline <= 0)
            continue;
        char name[128];
        frame_name(&ar, name, sizeof name);
        int w = snprintf(sb->traceback + used, sizeof sb->traceback - used, "\n  %s:%d: in %s",
                         ar.short_src, ar.currentline, name);
        if (w < 0 || (size_t)w >= sizeof sb->traceback - used)
            break;
        used += (size_t)w;
        sb->trace_frames++;
    }
}

/* The message handler: makes the error a string and notes where it happened. */
static int message_handler(lua_State *L)
{
    sandbox *sb = sandbox_of(L);
    record_traceback(L, sb);
    if (lua_type(L, 1) == LUA_TSTRING)
        return 1;
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
        return 1;
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    return 1;
}

static void report_memory(const sandbox *sb, const char *path, sluice_error *err)
{
    error_set(err, SLUICE_FATAL, "%s: %s exceeded its memory limit", path, sb->what);
    error_detail(err, "A %s may use at most %zu MiB of memory%s.", sb->what,
                 SANDBOX_MEMORY_LIMIT >> 20,
                 strcmp(sb->what, "pipeline file") ? " (one Lua state per thread)" : "");
    error_hint(err, "Look for a loop that keeps growing a table or a string.");
}

/* Whether msg starts with a Lua position, "chunk:12: ". */
static int has_location(const char *msg)
{
    /* Lua's chunk ids are at most LUA_IDSIZE long, so the position is near the start. */
    for (const char *c = strchr(msg, ':'); c && c - msg <= LUA_IDSIZE; c = strchr(c + 1, ':')) {
        const char *p = c + 1;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p > c + 1 && p[0] == ':' && p[1] == ' ')
            return 1;
    }
    return 0;
}

/* Fills err from the error a protected call left on the stack (and pops it). */
static void report_lua_error(lua_State *L, int status, const char *path, sluice_error *err)
{
    sandbox *sb = sandbox_of(L);
    const char *msg = lua_tostring(L, -1);
    if (sb->exhausted)
        msg = sb->pending_message; /* whatever happened after, the budget ended the run */
    else if (sb->mem_exceeded && (status == LUA_ERRMEM || status == LUA_ERRERR)) {
        report_memory(sb, path, err);
        lua_pop(L, 1);
        return;
    }
    if (!msg)
        msg = "unknown error";
    if (has_location(msg))
        error_set(err, SLUICE_FATAL, "%s", msg);
    else /* error(x, 0), error({}), a binary chunk: say which file at least */
        error_set(err, SLUICE_FATAL, "%s: %s", path, msg);
    if (strcmp(msg, sb->pending_message) == 0) {
        if (sb->pending_detail[0])
            error_detail(err, "%s", sb->pending_detail);
        if (sb->pending_hint[0])
            error_hint(err, "%s", sb->pending_hint);
    } else if (status == LUA_ERRRUN && sb->trace_frames > 1) {
        error_detail(err, "Traceback:%s", sb->traceback);
    }
    lua_pop(L, 1);
}

static void reset_errors(sandbox *sb)
{
    sb->pending_message[0] = sb->pending_detail[0] = sb->pending_hint[0] = '\0';
    sb->traceback[0] = '\0';
    sb->trace_frames = 0;
    sb->mem_exceeded = 0;
}

int sandbox_run(lua_State *L, const char *text, size_t len, const char *path, sluice_error *err)
{
    sandbox *sb = sandbox_of(L);
    char chunkname[PATH_MAX + 2];
    snprintf(chunkname, sizeof chunkname, "@%s", path);
    reset_errors(sb);
    int base = lua_gettop(L);
    lua_pushcfunction(L, message_handler);
    int status = luaL_loadbufferx(L, text, len, chunkname, "t");
    if (status == LUA_OK) {
        budget_start(L);
        status = lua_pcall(L, 0, LUA_MULTRET, base + 1);
    }
    if (status != LUA_OK) {
        report_lua_error(L, status, path, err);
        lua_settop(L, base);
        return -1;
    }
    lua_remove(L, base + 1);
    return lua_gettop(L) - base;
}

int sandbox_call(lua_State *L, lua_CFunction f, void *ud, int arg, const char *path,
                 sluice_error *err)
{
    sandbox *sb = sandbox_of(L);
    arg = lua_absindex(L, arg);
    int base = lua_gettop(L);
    reset_errors(sb);
    lua_pushcfunction(L, message_handler);
    lua_pushcfunction(L, f);
    lua_pushlightuserdata(L, ud);
    lua_pushvalue(L, arg);
    int status = lua_pcall(L, 2, 0, base + 1);
    if (status != LUA_OK)
        report_lua_error(L, status, path, err);
    lua_settop(L, base);
    return status == LUA_OK ? 0 : -1;
}

static int handler_entry(lua_State *L)
{
    return message_handler(L);
}

void sandbox_push_handler(lua_State *L)
{
    lua_pushcfunction(L, handler_entry);
}

void sandbox_error(lua_State *L, int status, const char *path, sluice_error *err)
{
    sandbox *sb = sandbox_of(L);
    report_lua_error(L, status, path, err);
    reset_errors(sb); /* the next call starts clean */
    sb->exhausted = 0;
}
