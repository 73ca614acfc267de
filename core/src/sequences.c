/*
 * Sequences (ABI 1.2): the source reports its sequences and their current
 * values (read_sequences), the sink sets them at the target (set_sequences).
 * Done at the end of a full load and by `sluice sync-sequences`, the cutover
 * step that is easy to forget: without it the first insert at the target
 * collides with a key the source already used.
 */
#include "sequences.h"

#include <stdio.h>
#include <string.h>

static int unsupported(const loaded_plugin *p, const sluice_header *vt, const char *callback,
                       const char *does, sluice_error *err)
{
    error_set(err, SLUICE_FATAL, "%s plugin \"%s\" cannot %s", plugin_kind_name(p->info.kind),
              p->info.name, does);
    if (vt->major == 1 && vt->minor < 2)
        error_detail(err, "Its vtable was built for ABI %u.%u; the %s callback came with ABI 1.2.",
                     (unsigned)vt->major, (unsigned)vt->minor, callback);
    else
        error_detail(err, "It does not provide the optional %s callback.", callback);
    error_hint(err, "Set the sequences at the target by hand (PostgreSQL: setval()), or use "
                    "a plugin version that supports them.");
    return SEQUENCES_UNSUPPORTED;
}

/* 0 when the source can read and the sink can set sequences; else SEQUENCES_UNSUPPORTED. */
static int check_support(const loaded_plugin *source, const loaded_plugin *sink,
                         sluice_error *err)
{
    if (!SLUICE_HAS(&source->vt.source, sluice_source_vtable, read_sequences))
        return unsupported(source, &source->vt.source.header, "read_sequences",
                           "read sequences", err);
    if (!SLUICE_HAS(&sink->vt.sink, sluice_sink_vtable, set_sequences))
        return unsupported(sink, &sink->vt.sink.header, "set_sequences", "set sequences", err);
    return 0;
}

int sequences_sync(plugin_instance *src, plugin_instance *sink, uint32_t *count,
                   sluice_error *err)
{
    *count = 0;
    if (check_support(src->plugin, sink->plugin, err) != 0)
        return SEQUENCES_UNSUPPORTED;
    sluice_sequence_list list;
    sequence_list_init(&list);
    int rc = 0;
    if (INVOKE(src, source, read_sequences, NULL, err, src->handle, &list, err) != SLUICE_OK)
        rc = EXIT_SOURCE;
    else if (list.count > 0 &&
             INVOKE(sink, sink, set_sequences, NULL, err, sink->handle, list.items, list.count,
                    (uint32_t)sizeof(sluice_sequence), err) != SLUICE_OK)
        rc = EXIT_TARGET;
    if (rc == 0)
        *count = list.count;
    sequence_list_free(&list);
    return rc;
}

void sequences_after_load(runner *r)
{
    sluice_error err;
    error_init(&err);
    uint32_t n;
    int rc = sequences_sync(&r->main_source, &r->main_sink, &n, &err);
    if (rc == SEQUENCES_UNSUPPORTED) {
        report_log(SLUICE_LOG_DEBUG, "sequences not copied: %s", err.message);
    } else if (rc != 0) {
        char hint[SLUICE_ERROR_HINT_MAX];
        snprintf(hint, sizeof hint, "%s", err.hint);
        error_hint(&err, "%s%sThe tables are loaded: fix the cause, then run \"sluice "
                         "sync-sequences %s\".",
                   hint, hint[0] ? " " : "", r->cfg->path);
        report_error(&err);
        stats_set_text(r->stats, r->stats->last_error, sizeof r->stats->last_error,
                       err.message);
        atomic_fetch_add(&r->table_errors, 1);
    } else if (n > 0) {
        report_log(SLUICE_LOG_INFO, "full load: %u sequences set at the target", n);
    }
}

int runner_sync_sequences(pipeline_config *cfg, const run_options *opts)
{
    runner r;
    runner_init(&r, cfg);
    sluice_error err;
    error_init(&err);
    uint32_t n = 0;
    int rc = runner_setup_plugins(&r, opts, &err);
    if (rc == 0 && check_support(r.source, r.sink, &err) != 0)
        rc = EXIT_PLUGIN; /* before connecting anywhere */
    if (rc == 0 && instance_open(&r.main_source, r.source, r.source_config, &r.env, &err) !=
                       SLUICE_OK)
        rc = EXIT_SOURCE;
    if (rc == 0 &&
        instance_open(&r.main_sink, r.sink, r.sink_config, &r.env, &err) != SLUICE_OK)
        rc = EXIT_TARGET;
    if (rc == 0)
        rc = sequences_sync(&r.main_source, &r.main_sink, &n, &err);
    if (rc != 0)
        report_error(&err);
    else
        report_log(SLUICE_LOG_INFO, "pipeline \"%s\": %u sequences set at the target", cfg->name,
                   n);
    runner_teardown(&r);
    return rc;
}
