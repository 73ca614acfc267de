/*
 * The watchdog thread (lua_watchdog.h). One for the process, started with the
 * first watched state and joined when the last one goes, so nothing is left
 * running (or leaked) at exit.
 *
 * Memory ordering, per slot (w->started is the only word both sides write):
 * - The calling thread stores the budget (relaxed), then the start stamp
 *   (release); the watchdog loads the stamp (acquire) and then the budget, so
 *   it never pairs a stamp with an older call's budget (a newer call's is
 *   possible, and harmless: the compare-exchange below checks the stamp).
 * - The watchdog only arms a call through compare-exchange stamp -> STOPPED,
 *   and does so and calls lua_sethook inside `lock`. The caller ends a call
 *   with an exchange stamp -> 0: one of the two read-modify-writes wins. If
 *   the caller's exchange returns STOPPED, the watchdog's exchange came first;
 *   taking and dropping `lock` then waits until its lua_sethook is done (the
 *   unlock/lock pair orders it before ours), so clearing the hook cannot be
 *   overtaken and the next call never starts with a stale stop hook.
 * - Two calls with the same stamp began in the same ms (stamps never go
 *   back), so whichever the compare-exchange arms has run over its budget.
 * - lua_sethook from another thread: Lua documents it as safe to call
 *   asynchronously; it writes the hook fields and the running frames' trap
 *   flags, which the VM declares volatile sig_atomic_t and rereads on jumps
 *   and calls. It also walks the frame list (L->ci, ->previous) while the VM
 *   runs: a frame the VM leaves during that walk could be freed by a GC step
 *   at the same moment. We accept that for a call that has already overrun
 *   its budget by seconds and is about to fail its table, as lua.c accepts it
 *   from a signal handler.
 * - The list and slots are only touched under `lock`; watchdog_remove unlinks
 *   under it, so the watchdog never sees a closed state.
 */
#include "lua_watchdog.h"

#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_cond_t wake;    /* CLOCK_MONOTONIC; made once, never destroyed */
static int wake_ok;
static watch_slot *slots;      /* under lock */
static int running;            /* under lock: a thread of this generation runs */
static uintptr_t generation;   /* under lock: a thread runs while it is its own */
static pthread_t thread;       /* under lock */

/* Arms every call that has run longer than its budget. Under lock. */
static void check(uint64_t now)
{
    for (watch_slot *w = slots; w; w = w->next) {
        uint64_t s = atomic_load_explicit(&w->started, memory_order_acquire);
        if (s == 0 || s == WATCH_STOPPED || now < s ||
            now - s < atomic_load_explicit(&w->budget, memory_order_relaxed))
            continue;
        if (atomic_compare_exchange_strong_explicit(&w->started, &s, WATCH_STOPPED,
                                                    memory_order_acq_rel, memory_order_acquire))
            lua_sethook(w->L, w->stop, LUA_MASKCOUNT, 1);
    }
}

/* A thread leaves when the last slot goes (the generation moves on), even if
   a new first slot has started the next thread meanwhile. */
static void *watch(void *arg)
{
    uintptr_t mine = (uintptr_t)arg;
    pthread_mutex_lock(&lock);
    while (generation == mine) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += WATCHDOG_TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&wake, &lock, &until);
        if (generation == mine)
            check(watchdog_now_ms());
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void make_wake(void)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    wake_ok = pthread_cond_init(&wake, &attr) == 0;
    pthread_condattr_destroy(&attr);
}

/* Under lock. */
static int start(void)
{
    pthread_once(&once, make_wake);
    if (!wake_ok || pthread_create(&thread, NULL, watch, (void *)generation) != 0)
        return -1;
    running = 1;
    return 0;
}

int watchdog_add(watch_slot *w, lua_State *L, lua_Hook stop)
{
    atomic_init(&w->started, 0);
    atomic_init(&w->budget, 0);
    w->L = L;
    w->stop = stop;
    pthread_mutex_lock(&lock);
    int rc = running ? 0 : start();
    if (rc == 0) {
        w->next = slots;
        slots = w;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

void watchdog_remove(watch_slot *w)
{
    pthread_mutex_lock(&lock);
    watch_slot **p = &slots;
    while (*p && *p != w)
        p = &(*p)->next;
    if (*p)
        *p = w->next;
    int last = running && !slots;
    pthread_t t = thread;
    if (last) {
        running = 0;
        generation++;
        pthread_cond_broadcast(&wake);
    }
    pthread_mutex_unlock(&lock);
    if (last)
        pthread_join(t, NULL);
}

int watchdog_end_slow(watch_slot *w)
{
    pthread_mutex_lock(&lock); /* the watchdog's lua_sethook is over */
    pthread_mutex_unlock(&lock);
    lua_sethook(w->L, NULL, 0, 0);
    return 1;
}
