/*
 * Time budgets for short Lua calls without a hook on the fast path. While a
 * count hook is set, Lua 5.4's VM traces every instruction (about 2 ns each,
 * bench/RESULTS.md "Mappings"), so a per-row function cannot afford one. A
 * call only stamps its start; one process-wide thread looks at the stamps
 * every few ms and sets a stop hook on a state whose call has run too long.
 */
#ifndef SLUICE_LUA_WATCHDOG_H
#define SLUICE_LUA_WATCHDOG_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include <lua.h>

#define WATCHDOG_TICK_MS 5 /* how often the thread looks; a budget is late by at most this */

/* One watched state: embed it, watchdog_add it, call watchdog_begin/end around calls. */
typedef struct watch_slot {
    _Atomic uint64_t started; /* ms (monotonic) the current call began; 0 idle, see .c */
    _Atomic uint32_t budget;  /* ms the current call may run */
    lua_State *L;
    lua_Hook stop;            /* set on L (count 1) when the call runs over */
    struct watch_slot *next;  /* the watchdog's list, under its lock */
} watch_slot;

#define WATCH_STOPPED UINT64_MAX /* started: the watchdog set the stop hook */

/* Watches L (starting the thread with the first slot). -1 when no thread can start. */
int watchdog_add(watch_slot *w, lua_State *L, lua_Hook stop);
/* Stops watching; the last slot out joins the thread (nothing runs at exit). */
void watchdog_remove(watch_slot *w);

/* CLOCK_MONOTONIC_COARSE: a vDSO read of a few ns, ms resolution is plenty. */
static inline uint64_t watchdog_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A call begins: two plain stores on x86 (the budget first, published by the
   release store of the stamp). */
static inline void watchdog_begin(watch_slot *w, uint32_t budget_ms)
{
    atomic_store_explicit(&w->budget, budget_ms, memory_order_relaxed);
    atomic_store_explicit(&w->started, watchdog_now_ms(), memory_order_release);
}

/* The call returned: 1 when the watchdog had set the stop hook (it is cleared
   here, so the next call runs without it), else 0. */
int watchdog_end_slow(watch_slot *w);
static inline int watchdog_end(watch_slot *w)
{
    if (atomic_exchange_explicit(&w->started, 0, memory_order_acq_rel) != WATCH_STOPPED)
        return 0;
    return watchdog_end_slow(w);
}

#endif
