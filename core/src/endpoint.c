#include "endpoint.h"

#include <string.h>
#include <time.h>

sluice_status instance_open(plugin_instance *pi, const loaded_plugin *p, const void *config,
                            const instance_env *env, sluice_error *err)
{
    memset(pi, 0, sizeof *pi);
    pi->plugin = p;
    pi->retry_limit = env->retry_limit > 0 ? env->retry_limit : 1;
    pi->ctx.plugin_name = p->info.name;
    pi->ctx.kind_name = plugin_kind_name(p->info.kind);
    pi->ctx.cancel_flag = env->cancel_flag;
    pi->ctx.setting = env->setting;
    pi->ctx.setting_owner = env->setting_owner;
    pi->ctx.stats = env->stats;
    pi->ctx.mapping = env->mapping;
    /* open has the same signature in every kind's vtable */
    sluice_status (*open)(const sluice_host *, sluice_context *, const void *, void **,
                          sluice_error *) =
        p->info.kind == SLUICE_KIND_SOURCE ? p->vt.source.open
        : p->info.kind == SLUICE_KIND_SINK ? p->vt.sink.open
                                           : p->vt.transform.open;
    sluice_status st;
    int attempt = 0;
    do {
        error_init(err);
        pi->handle = NULL;
        st = open(host_api(), &pi->ctx, config, &pi->handle, err);
    } while (st == SLUICE_RETRY && retry_wait(pi, ++attempt, err));
    if (st == SLUICE_OK && !pi->handle)
        pi->handle = pi; /* a plugin without instance state; never dereferenced by us */
    return call_context(pi, "open", NULL, st, err);
}

void instance_close(plugin_instance *pi)
{
    if (!pi->plugin || !pi->handle)
        return;
    void (*close)(void *) = pi->plugin->info.kind == SLUICE_KIND_SOURCE ? pi->plugin->vt.source.close
                            : pi->plugin->info.kind == SLUICE_KIND_SINK
                                ? pi->plugin->vt.sink.close
                                : pi->plugin->vt.transform.close;
    close(pi->handle);
    pi->handle = NULL;
}

int retry_wait(const plugin_instance *pi, int attempt, const sluice_error *why)
{
    if (attempt >= pi->retry_limit)
        return 0;
    if (pi->ctx.cancel_flag && atomic_load(pi->ctx.cancel_flag))
        return 0;
    long ms = 100L << (attempt < 6 ? attempt - 1 : 5); /* 100 ms doubling to 3.2 s */
    report_log(SLUICE_LOG_WARNING,
               "%s \"%s\" reported a transient failure%s%s%s%s%s; try %d of %d in %ld ms",
               pi->ctx.kind_name, pi->ctx.plugin_name, why->message[0] ? ": " : "",
               why->message, why->detail[0] ? " (" : "", why->detail,
               why->detail[0] ? ")" : "", attempt + 1, pi->retry_limit, ms);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return 1;
}

static sluice_status add_context(const plugin_instance *pi, const char *callback,
                                 const char *where, sluice_status st, sluice_error *err,
                                 int keep_retry)
{
    if (st == SLUICE_OK || st == SLUICE_AGAIN)
        return st;
    if (st == SLUICE_RETRY && !keep_retry) /* retries used up: the failure stands */
        st = SLUICE_ERROR;
    if ((unsigned)st > SLUICE_FATAL) {
        error_set(err, SLUICE_FATAL, "returned an invalid status %d", (int)st);
        st = SLUICE_FATAL;
    }
    if (!err->message[0])
        error_set(err, st, "failed without an error message");
    err->status = st;
    if (where && where[0])
        error_prefix(err, "%s \"%s\", in the %s callback, %s", pi->ctx.kind_name,
                     pi->ctx.plugin_name, callback, where);
    else
        error_prefix(err, "%s \"%s\", in the %s callback", pi->ctx.kind_name,
                     pi->ctx.plugin_name, callback);
    return st;
}

sluice_status call_context(const plugin_instance *pi, const char *callback, const char *where,
                           sluice_status st, sluice_error *err)
{
    return add_context(pi, callback, where, st, err, 0);
}

sluice_status call_context_once(const plugin_instance *pi, const char *callback,
                                const char *where, sluice_status st, sluice_error *err)
{
    return add_context(pi, callback, where, st, err, 1);
}
