/*
 * A plugin instance (what a plugin's open() returned) with its context, and
 * the wrapper every plugin call goes through: it retries RETRY with backoff and
 * adds the context to whatever the plugin reported, so a plugin never formats
 * its own location: `sink "capture", in the apply callback: ...`.
 */
#ifndef SLUICE_ENDPOINT_H
#define SLUICE_ENDPOINT_H

#include <stdatomic.h>
#include <sluice/sluice.h>

#include "host.h"
#include "loader.h"
#include "report.h"

typedef struct plugin_instance {
    const loaded_plugin *plugin;
    void *handle;        /* what open() returned; NULL when closed */
    sluice_context ctx;
    int retry_limit;
} plugin_instance;

/* The parts of a context every instance of a run shares. */
typedef struct instance_env {
    atomic_int *cancel_flag;
    const char *(*setting)(void *owner, const char *name);
    void *setting_owner;
    stats *stats;
    int retry_limit;
    const struct mapping *mapping; /* the pipeline's selection rules, or NULL */
} instance_env;

sluice_status instance_open(plugin_instance *pi, const loaded_plugin *p, const void *config,
                            const instance_env *env, sluice_error *err);
void instance_close(plugin_instance *pi);

/* Waits before try number `attempt` (1, 2, ...), logging why (the failure's
   message); 0 when the retries are used up. */
int retry_wait(const plugin_instance *pi, int attempt, const sluice_error *why);

/* Adds context to err when st is not OK/AGAIN; returns st (RETRY, its retries
   used up, becomes ERROR). */
sluice_status call_context(const plugin_instance *pi, const char *callback, const char *where,
                           sluice_status st, sluice_error *err);
/* The same, but RETRY stays RETRY: for calls whose failure the caller recovers from
   as a whole (a lost connection in the change stream restarts the stream). */
sluice_status call_context_once(const plugin_instance *pi, const char *callback,
                                const char *where, sluice_status st, sluice_error *err);

/*
 * INVOKE(pi, vtable member, callback name, where, err, args...): calls
 * pi->plugin->vt.<kind>.<cb>(args) with retries and context.
 */
#define INVOKE(pi, kind, cb, where, err, ...)                                        \
    ({                                                                               \
        sluice_status st_;                                                           \
        int attempt_ = 0;                                                            \
        do {                                                                         \
            error_init(err);                                                         \
            st_ = (sluice_status)(pi)->plugin->vt.kind.cb(__VA_ARGS__);              \
        } while (st_ == SLUICE_RETRY && retry_wait((pi), ++attempt_, (err)));       \
        call_context((pi), #cb, (where), st_, (err));                                \
    })

/* INVOKE without the retry loop; a RETRY is returned to the caller. */
#define INVOKE_ONCE(pi, kind, cb, where, err, ...)                                   \
    ({                                                                               \
        error_init(err);                                                             \
        call_context_once((pi), #cb, (where),                                        \
                          (sluice_status)(pi)->plugin->vt.kind.cb(__VA_ARGS__), (err)); \
    })

#endif
