/* `sluice check`: the plugins' check callbacks, and the mapping's findings. */
#include "check_core.h"

#include <stdlib.h>
#include <string.h>

#include "mapping_plan.h"
#include "runner.h"

/* An info finding for a plugin without a check callback (one built before ABI 1.6). */
static sluice_status no_checks(const loaded_plugin *p, const char *kind, unsigned minor,
                               sluice_findings *f, sluice_error *err)
{
    sluice_error e;
    error_init(&e);
    error_set(&e, SLUICE_OK, "plugin \"%s\" does not offer checks", p->info.name);
    error_detail(&e, "Its %s vtable (ABI 1.%u) has no check callback (ABI 1.6), so sluice "
                     "cannot tell before a run what the %s lacks.",
                 kind, minor, kind);
    error_hint(&e, "Run the pipeline against a test copy first, or use a version of the plugin "
                   "that offers checks.");
    if (findings_add(f, SLUICE_SEVERITY_INFO, NULL, &e) != 0)
        return error_set(err, SLUICE_FATAL, "out of memory");
    return SLUICE_OK;
}

sluice_status check_plugin_source(plugin_instance *pi, sluice_findings *f, sluice_error *err)
{
    const sluice_source_vtable *vt = &pi->plugin->vt.source;
    if (!SLUICE_HAS(vt, sluice_source_vtable, check))
        return no_checks(pi->plugin, "source", vt->header.minor, f, err);
    return INVOKE_ONCE(pi, source, check, NULL, err, pi->handle, f, err);
}

int check_sink_has_checks(const loaded_plugin *sink, sluice_findings *f, sluice_error *err)
{
    const sluice_sink_vtable *vt = &sink->vt.sink;
    if (SLUICE_HAS(vt, sluice_sink_vtable, check))
        return 1;
    return no_checks(sink, "sink", vt->header.minor, f, err) == SLUICE_OK ? 0 : -1;
}

sluice_status check_plugin_sink(plugin_instance *pi, const check_targets *targets,
                                sluice_prep_mode mode, sluice_findings *f, sluice_error *err)
{
    return INVOKE_ONCE(pi, sink, check, NULL, err, pi->handle, targets->tables, targets->n, mode,
                       f, err);
}

static void table_name(const sluice_table *t, char *buf, size_t size)
{
    snprintf(buf, size, "%.*s.%.*s", (int)t->schema.len, t->schema.ptr, (int)t->name.len,
             t->name.ptr);
}

static int has_key(const sluice_table *t)
{
    for (uint32_t i = 0; i < t->ncolumns; i++)
        if (sluice_table_column(t, i)->flags & SLUICE_COLUMN_KEY)
            return 1;
    return 0;
}

/* A table no column of which is a key: the target gets none, and in change capture
   sink-pg finds rows by the replica identity alone. */
static int keyless(sluice_findings *f, const sluice_table *source, const char *mode)
{
    char name[600];
    table_name(source, name, sizeof name);
    int cdc = mode && strcmp(mode, "full-load") != 0;
    sluice_error e;
    error_init(&e);
    error_set(&e, SLUICE_OK, "table \"%s\" has no primary key", name);
    error_detail(&e, "Its target table gets none either, so nothing there keeps a row from "
                     "existing twice.%s",
                 cdc ? " Change capture then finds the row an UPDATE or DELETE changed by every "
                       "column of its replica identity, one row at a time, which is slow on a "
                       "large table; without a replica identity it cannot find it at all."
                     : "");
    error_hint(&e, "Add a primary key to the source table, or give the target one with a "
                   "define-primary-key rule in the mappings.");
    return findings_add_error(f, "mapping", SLUICE_SEVERITY_WARNING, name, &e);
}

/* Type rules whose values do not all arrive as they were: zero dates replaced. */
static int lossy_columns(sluice_findings *f, const table_plan *p)
{
    char name[600];
    table_name(p->source, name, sizeof name);
    for (uint32_t k = 0; k < p->target->ncolumns; k++) {
        const plan_column *pc = &p->columns[k];
        if (pc->source < 0 || (pc->policy.zero_date != VP_ZERO_NULL &&
                               pc->policy.zero_date != VP_ZERO_VALUE))
            continue;
        const sluice_column *c = sluice_table_column(p->source, (uint32_t)pc->source);
        sluice_error e;
        error_init(&e);
        error_set(&e, SLUICE_OK, "column \"%.*s\" of table \"%s\" (%.*s): zero dates become %s",
                  (int)c->name.len, c->name.ptr, name, (int)c->source_type.len,
                  c->source_type.ptr,
                  pc->policy.zero_date == VP_ZERO_NULL ? "NULL" : pc->policy.zero_value);
        error_detail(&e, "Its type rule says zero_date = \"%s\": a date like 0000-00-00 or "
                         "2020-00-15 does not reach the target as it is.",
                     pc->policy.zero_date == VP_ZERO_NULL ? "null" : pc->policy.zero_value);
        error_hint(&e, "To refuse such rows instead, override the rule with zero_date = "
                       "\"error\" in the pipeline's type_rules.");
        if (findings_add_error(f, "mapping", SLUICE_SEVERITY_WARNING, name, &e) != 0)
            return -1;
    }
    return 0;
}

int check_mapping(runner *r, sluice_findings *f, check_targets *targets, sluice_error *err)
{
    targets->tables = calloc(r->ntables + 1, sizeof *targets->tables);
    if (!targets->tables)
        return error_set(err, SLUICE_FATAL, "out of memory"), EXIT_INTERNAL;
    for (uint32_t i = 0; i < r->ntables; i++) {
        const sluice_table *source = r->tables[i], *target;
        sluice_error e;
        error_init(&e);
        char name[600];
        table_name(source, name, sizeof name);
        int rc;
        if (chain_table(&r->main_chain, source, &target, &e) != SLUICE_OK) {
            /* refused (a type without a rule): `run` would stop here, before any slot */
            rc = findings_add_error(f, "mapping", SLUICE_SEVERITY_BLOCKING, name, &e);
        } else {
            targets->tables[targets->n++] = target;
            const table_plan *p = chain_plan(&r->main_chain, source);
            rc = p ? lossy_columns(f, p) : 0;
            if (rc == 0 && !has_key(target))
                rc = keyless(f, source, r->cfg->mode);
        }
        if (rc != 0)
            return error_set(err, SLUICE_FATAL, "out of memory"), EXIT_INTERNAL;
    }
    return 0;
}
