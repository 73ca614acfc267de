/*
 * The Lua sandbox that pipeline files run in: only the base (without load,
 * loadfile, dofile, collectgarbage, warn; setmetatable refuses __gc), string
 * (without dump), table, math and utf8 libraries; the env "NAME" and file
 * "/path" secret helpers; print routed to the log; undeclared globals are
 * errors; a memory cap (custom allocator) and time budgets (a count hook
 * while the file runs, the watchdog for row functions: lua_watchdog.h).
 */
#ifndef SLUICE_LUA_SANDBOX_H
#define SLUICE_LUA_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>
#include <sluice/sluice.h>

#include "lua_watchdog.h"

#define SANDBOX_MEMORY_LIMIT ((size_t)64 << 20) /* bytes one state may hold */
#define SANDBOX_INSTRUCTION_LIMIT 200000000ull  /* Lua instructions per run */
#define SANDBOX_SECONDS_LIMIT 10                /* wall-clock seconds per run */
#define SANDBOX_SECRET_FILE_MAX (1 << 20)       /* bytes file "/path" reads at most */
#define SANDBOX_ROW_MS 1000u                    /* wall-clock ms per row-function call */
#define SANDBOX_FACTORY_MS 10000u               /* per factory call (once per table) */

/*
 * A fresh sandboxed state. base_dir is where file "relative/path" is resolved
 * (the pipeline file's folder). NULL when out of memory.
 */
lua_State *sandbox_new(const char *base_dir);

/* Closes the state (NULL is fine). */
void sandbox_close(lua_State *L);

/*
 * Compiles text (never a binary chunk) under the chunk name "@path" and runs it
 * with the time budget, leaving its results on the stack. Returns how many, or
 * -1 with err filled (message "path:line: ...", detail with the traceback or an
 * explanation, hint when there is one).
 */
int sandbox_run(lua_State *L, const char *text, size_t len, const char *path, sluice_error *err);

/*
 * Calls f with two arguments, ud as a light userdata and the value at index arg,
 * and fills err if Lua raises (out of memory, mostly). Returns 0 or -1. Use it
 * for C code that walks results with the Lua API, so an allocation failure
 * never reaches lua_atpanic.
 */
int sandbox_call(lua_State *L, lua_CFunction f, void *ud, int arg, const char *path,
                 sluice_error *err);

/* Turns the time budget off (the state is kept for later calls with their own budgets). */
void sandbox_budget_off(lua_State *L);

/*
 * Many short calls into one state (per-row Lua functions, rowfn.c): push the
 * message handler once and pass its index to lua_pcall; sandbox_watch gives
 * the state's watchdog slot (NULL when no watchdog thread can start), and
 * each call goes between watchdog_begin(slot, ms) and watchdog_end(slot).
 * After a failed call, sandbox_error turns its error into err (the message
 * starts "path:line: ") and pops it.
 */
void sandbox_push_handler(lua_State *L);
watch_slot *sandbox_watch(lua_State *L);
void sandbox_error(lua_State *L, int status, const char *path, sluice_error *err);

/* Registry names of sluice.null and sluice.unchanged (the global `sluice` table). */
#define SANDBOX_NULL "sluice.null"
#define SANDBOX_UNCHANGED "sluice.unchanged"

/* When the value at idx is a secret (env/file), its value and length; else NULL. */
const char *sandbox_secret(lua_State *L, int idx, size_t *len);

#endif
