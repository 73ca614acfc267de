/*
 * sink-pg: writes to a PostgreSQL target. This file holds the options, the
 * descriptor and the vtable; sinkpg.h says which file does what.
 */
#include <stdlib.h>
#include <string.h>

#include "sinkpg.h"

#define OPT(name, type, flags, def, desc, member) \
    {name, type, flags, def, NULL, desc, offsetof(sinkpg_config, member)}
#define OPT_CHOICE(name, def, choices, desc, member) \
    {name, SLUICE_OPTION_STRING, 0, def, choices, desc, offsetof(sinkpg_config, member)}

static const sluice_option sp_options[] = {
    OPT("conninfo", SLUICE_OPTION_STRING, SLUICE_OPTION_REQUIRED | SLUICE_OPTION_SECRET, NULL,
        "libpq connection string or postgresql:// URI of the target; PG* variables apply",
        conninfo),
    OPT("schema", SLUICE_OPTION_STRING, 0, NULL,
        "put every table in this schema instead of the source's schema", schema),
    OPT("checkpoint_table", SLUICE_OPTION_STRING, 0, "sluice.sluice_checkpoint",
        "schema.table holding each pipeline's committed source position", checkpoint_table),
    OPT("checkpoint_key", SLUICE_OPTION_STRING, 0, "default",
        "this pipeline's row in the checkpoint table; pipelines sharing a target need their own",
        checkpoint_key),
    OPT("max_group_rows", SLUICE_OPTION_INT, 0, "50000",
        "commit at the next source COMMIT once a target transaction holds this many changes; 0: "
        "no limit",
        max_group_rows),
    OPT("max_group_ms", SLUICE_OPTION_INT, 0, "0",
        "commit at the next source COMMIT once a target transaction is this old; 0: at flush only",
        max_group_ms),
    OPT("connect_timeout", SLUICE_OPTION_INT, 0, "10",
        "seconds to wait for a connection unless conninfo or PGCONNECT_TIMEOUT says; 0: no limit",
        connect_timeout),
    OPT_CHOICE("error_policy", "stop", "stop|record",
               "a row the target rejects: stop (the table fails, or CDC stops), or record it in "
               "errors_table and go on",
               error_policy),
    OPT("errors_table", SLUICE_OPTION_STRING, 0, "sluice.sluice_errors",
        "schema.table where error_policy = record writes rejected rows", errors_table),
    OPT("error_threshold", SLUICE_OPTION_INT, 0, "1000",
        "error_policy = record: stop (FATAL) when a table has more recorded rejected rows; 0: "
        "no limit",
        error_threshold),
};

static sluice_status bad_option(const sluice_host *host, sluice_error *err, const char *name,
                                long long value)
{
    host->error(err, SLUICE_FATAL, "invalid value for option \"%s\": %lld", name, value);
    host->error_detail(err, "Option %s must be zero or more.", name);
    host->error_hint(err, "Change %s in the target section of the pipeline.", name);
    return SLUICE_FATAL;
}

static sluice_status check_config(const sluice_host *host, const sinkpg_config *c,
                                  sluice_error *err)
{
    if (c->max_group_rows < 0)
        return bad_option(host, err, "max_group_rows", c->max_group_rows);
    if (c->max_group_ms < 0)
        return bad_option(host, err, "max_group_ms", c->max_group_ms);
    if (c->connect_timeout < 0)
        return bad_option(host, err, "connect_timeout", c->connect_timeout);
    if (c->error_threshold < 0)
        return bad_option(host, err, "error_threshold", c->error_threshold);
    if (c->error_policy && strcmp(c->error_policy, "stop") != 0 &&
        strcmp(c->error_policy, "record") != 0) { /* the core checks choices; a host may not */
        host->error(err, SLUICE_FATAL, "invalid value for option \"error_policy\": \"%s\"",
                    c->error_policy);
        host->error_hint(err, "Set error_policy to \"stop\" or \"record\".");
        return SLUICE_FATAL;
    }
    if (!c->conninfo) { /* the core checks it is set; an empty string still means libpq defaults */
        host->error(err, SLUICE_FATAL, "option \"conninfo\" is required");
        return SLUICE_FATAL;
    }
    if (c->schema && !*c->schema) {
        host->error(err, SLUICE_FATAL, "option \"schema\" must not be empty");
        host->error_hint(err, "Leave schema out to keep each table's source schema.");
        return SLUICE_FATAL;
    }
    return SLUICE_OK;
}

static void sp_close(void *instance)
{
    sinkpg *s = instance;
    if (!s)
        return;
    /* Closing the connection rolls back whatever is open there: an unfinished COPY, an
       uncommitted group of transactions. Nothing that was not flushed survives. */
    PQclear(s->validate_res);
    if (s->conn)
        PQfinish(s->conn);
    sp_errors_free(s); /* before the tables: it resets their counts */
    sp_tables_free(s);
    sp_pipe_free(&s->pipe);
    sb_free(&s->copy_buf);
    sb_free(&s->sql);
    sb_free(&s->vals);
    free(s->params);
    free(s->offsets);
    if (s->password) /* do not leave it in freed memory */
        memset(s->password, 0, strlen(s->password));
    free(s->password);
    if (s->conninfo)
        memset(s->conninfo, 0, strlen(s->conninfo));
    free(s->conninfo);
    free(s->schema);
    free(s->ck_schema);
    free(s->ck_name);
    free(s->ck_key);
    free(s->ck_qname);
    free(s);
}

static sluice_status sp_open(const sluice_host *host, sluice_context *ctx, const void *config,
                             void **instance, sluice_error *err)
{
    const sinkpg_config *cfg = config;
    sluice_status st = check_config(host, cfg, err);
    if (st != SLUICE_OK)
        return st;
    sinkpg *s = calloc(1, sizeof *s);
    if (!s)
        return host->error(err, SLUICE_FATAL, "out of memory");
    s->host = host;
    s->ctx = ctx;
    s->cfg = *cfg; /* the strings are the core's: keep copies */
    s->conninfo = strdup(cfg->conninfo);
    s->schema = cfg->schema ? strdup(cfg->schema) : NULL;
    s->record = cfg->error_policy && strcmp(cfg->error_policy, "record") == 0;
    if (!s->conninfo || (cfg->schema && !s->schema))
        st = sp_oom(s, err);
    if (st == SLUICE_OK)
        st = sp_checkpoint_init(s, err);
    if (st == SLUICE_OK)
        st = sp_errors_init(s, err);
    if (st == SLUICE_OK)
        st = sp_connect(s, err);
    s->cfg.conninfo = s->cfg.schema = s->cfg.checkpoint_table = s->cfg.checkpoint_key = NULL;
    s->cfg.error_policy = s->cfg.errors_table = NULL;
    if (st != SLUICE_OK) {
        sp_close(s);
        return st;
    }
    *instance = s;
    return SLUICE_OK;
}

static sluice_status sp_get_checkpoint(void *instance, sluice_position *committed,
                                       sluice_error *err)
{
    sinkpg *s = instance;
    sluice_status st = sp_checkpoint_read(s, committed, err);
    if (st == SLUICE_OK && s->record) /* before a change stream may need it */
        st = sp_errors_ensure(s, SLUICE_FATAL, err);
    if (st == SLUICE_OK) {
        s->committed = *committed;
        s->unreported = 0;
    }
    return st;
}

static sluice_status sp_prepare(void *instance, const sluice_table *table, sluice_prep_mode mode,
                                sluice_error *err)
{
    return sp_prepare_table(instance, table, mode, err);
}

static sluice_status sp_write(void *instance, const sluice_batch *batch, sluice_error *err)
{
    return sp_write_rows(instance, batch, err);
}

static sluice_status sp_finish(void *instance, const sluice_table *table, sluice_error *err)
{
    return sp_finish_table(instance, table, err);
}

static sluice_status sp_apply_cb(void *instance, const sluice_batch *batch, sluice_error *err)
{
    return sp_apply(instance, batch, err);
}

static sluice_status sp_flush_cb(void *instance, sluice_position *committed, sluice_error *err)
{
    return sp_flush(instance, committed, err);
}

static sluice_status sp_cleanup(void *instance, sluice_error *err)
{
    sinkpg *s = instance;
    sluice_status st = sp_ensure_connected(s, err);
    if (st == SLUICE_OK)
        st = sp_checkpoint_cleanup(s, err);
    return st == SLUICE_OK ? sp_indexes_cleanup(s, err) : st; /* ABI 1.2 */
}

/* ---- ABI 1.2: indexes.c, sequences.c ---- */

static sluice_status sp_table_loaded_cb(void *instance, const sluice_table *table,
                                        sluice_error *err)
{
    return sp_table_loaded(instance, table, err);
}

static sluice_status sp_set_sequences_cb(void *instance, const sluice_sequence *seqs, uint32_t n,
                                         uint32_t sequence_size, sluice_error *err)
{
    return sp_set_sequences(instance, seqs, n, sequence_size, err);
}

/* ---- ABI 1.3: native.c ---- */

static uint32_t sp_native_format_cb(void *instance, const sluice_table *table, uint32_t offered)
{
    return sp_native_format(instance, table, offered);
}

/* ---- ABI 1.6: check.c ---- */

static sluice_status sp_check_cb(void *instance, const sluice_table *const *tables, uint32_t n,
                                 sluice_prep_mode mode, sluice_findings *out, sluice_error *err)
{
    return sp_check(instance, tables, n, mode, out, err);
}

static const sluice_sink_vtable sp_vtable = {
    .header = SLUICE_HEADER_INIT(sluice_sink_vtable),
    .open = sp_open,
    .close = sp_close,
    .get_checkpoint = sp_get_checkpoint,
    .prepare_table = sp_prepare,
    .write_rows = sp_write,
    .finish_table = sp_finish,
    .apply = sp_apply_cb,
    .flush = sp_flush_cb,
    .cleanup = sp_cleanup,
    .table_loaded = sp_table_loaded_cb,
    .set_sequences = sp_set_sequences_cb,
    .native_format = sp_native_format_cb,
    .check = sp_check_cb,
    .validate_read = sp_validate_read,
    .validate_hash = sp_validate_hash,
    .validate_repair = sp_validate_repair,
};

static const sluice_options sp_option_table = {
    .header = SLUICE_HEADER_INIT(sluice_options),
    .option_size = sizeof(sluice_option),
    .count = sizeof sp_options / sizeof sp_options[0],
    .options = sp_options,
    .config_size = sizeof(sinkpg_config),
};

static const sluice_plugin sp_plugin = {
    .header = SLUICE_HEADER_INIT(sluice_plugin),
    .kind = SLUICE_KIND_SINK,
    .name = "sink-pg",
    .version = "1.0.0",
    .description = "PostgreSQL target: COPY for the full load, grouped transactions with the "
                   "checkpoint for CDC",
    .options = &sp_option_table,
    .vtable = &sp_vtable,
};

SLUICE_PLUGIN_ABI_DEFINE()

SLUICE_EXPORT const sluice_plugin *sluice_plugin_init(const sluice_host *host)
{
    (void)host; /* open() receives the host again; nothing global is kept */
    return &sp_plugin;
}
