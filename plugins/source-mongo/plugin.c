/*
 * source-mongo: options, the descriptor, open/close. The CDC modes check in
 * open() that the server can stream changes, so a standalone server is refused
 * before anything is loaded (under `sluice check` the check callback reports it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_mongo.h"

#define OPT(name, type, flags, def, choices, desc, member) \
    {name, type, flags, def, choices, desc, offsetof(mg_config, member)}

static const sluice_option mg_options[] = {
    OPT("uri", SLUICE_OPTION_STRING, SLUICE_OPTION_REQUIRED | SLUICE_OPTION_SECRET, NULL, NULL,
        "MongoDB connection string (mongodb://user:pass@host/?replicaSet=rs0&tls=true...); "
        "give it with env \"NAME\" or file \"/path\"",
        uri),
    OPT("nestingLevel", SLUICE_OPTION_STRING, 0, "none", "none|one",
        "none: document mode (_id and the whole document as jsonb); one: table mode (a column "
        "per top-level field)", nesting_level),
    OPT("docsToInvestigate", SLUICE_OPTION_INT, 0, "1000", NULL,
        "documents sampled per collection to find its columns and their types (0: every "
        "document)", docs_to_investigate),
    OPT("update_description", SLUICE_OPTION_BOOL, 0, "false", NULL,
        "add a column _update_description (jsonb) holding the updateDescription of the "
        "update that last changed the row", update_description),
    OPT("max_await_ms", SLUICE_OPTION_INT, 0, "500", NULL,
        "longest wait of the change stream for new events before it reports none", max_await_ms),
};

static sluice_status bad_option(const sluice_host *host, sluice_error *err, const char *name,
                                long long value, const char *rule, const char *hint)
{
    host->error(err, SLUICE_FATAL, "invalid value for option \"%s\": \"%lld\"", name, value);
    host->error_detail(err, "%s", rule);
    host->error_hint(err, "%s", hint);
    return SLUICE_FATAL;
}

static sluice_status check_config(const sluice_host *host, const mg_config *c, sluice_error *err)
{
    if (c->docs_to_investigate < 0)
        return bad_option(host, err, "docsToInvestigate", (long long)c->docs_to_investigate,
                          "It is a number of documents, or 0 for all of them.",
                          "Leave it at 1000.");
    if (c->max_await_ms < 1 || c->max_await_ms > 60000)
        return bad_option(host, err, "max_await_ms", (long long)c->max_await_ms,
                          "It is a number of milliseconds from 1 to 60000.", "Leave it at 500.");
    return SLUICE_OK;
}

static void mg_close(void *instance)
{
    mgsrc *s = instance;
    if (!s)
        return;
    mg_stream_close(s);
    mg_read_end(s);
    if (s->client)
        mongoc_client_destroy(s->client);
    for (uint32_t i = 0; i < s->ncolls; i++) {
        free(s->colls[i].db);
        free(s->colls[i].name);
    }
    free(s->colls);
    sb_free(&s->buf);
    if (s->uri_text) /* it holds the password */
        memset(s->uri_text, 0, strlen(s->uri_text));
    free(s->uri_text);
    free(s);
}

static sluice_status mg_open(const sluice_host *host, sluice_context *ctx, const void *config,
                             void **instance, sluice_error *err)
{
    mg_config c = *(const mg_config *)config;
    sluice_status st = check_config(host, &c, err);
    if (st != SLUICE_OK)
        return st;
    mgsrc *s = calloc(1, sizeof *s);
    if (!s)
        return host->error(err, SLUICE_FATAL, "out of memory");
    s->host = host;
    s->ctx = ctx;
    s->cfg = c;
    s->uri_text = strdup(c.uri ? c.uri : "");
    if (!s->uri_text) {
        mg_close(s);
        return host->error(err, SLUICE_FATAL, "out of memory");
    }
    /* the core's strings are not ours to keep */
    s->cfg.uri = s->uri_text;
    s->table_mode = c.nesting_level && strcmp(c.nesting_level, "one") == 0;
    s->cfg.nesting_level = NULL; /* the core's string: table_mode says it */
    if ((st = mg_connect(s, err)) != SLUICE_OK) {
        mg_close(s);
        return st;
    }
    const char *mode = mg_mode(s);
    const char *command = host->setting ? host->setting(ctx, "command") : NULL;
    st = mg_hello(s, err);
    /* `sluice check` opens anyway: its check callback reports every lack */
    if (st == SLUICE_OK && mode && strcmp(mode, "full-load") != 0 &&
        !(command && strcmp(command, "check") == 0))
        st = mg_check_cdc(s, NULL, err);
    if (st != SLUICE_OK) {
        mg_close(s);
        return st;
    }
    *instance = s;
    return SLUICE_OK;
}

/* ---- the descriptor ---- */

static const sluice_source_vtable mg_vtable = {
    .header = SLUICE_HEADER_INIT(sluice_source_vtable),
    .open = mg_open,
    .close = mg_close,
    .discover = mg_discover,
    .read_chunk = mg_read_chunk,
    .position_compare = mg_position_compare,
    .position_format = mg_position_format,
    .snapshot_begin = mg_snapshot_begin,
    .snapshot_attach = mg_snapshot_attach,
    .split_table = mg_split_table,
    .stream_start = mg_stream_start,
    .stream_read = mg_stream_read,
    .ack = mg_ack,
    .position_parse = mg_position_parse,
    .check = mg_check,
    .validate_bounds = mg_validate_bounds,
};

static const sluice_options mg_option_table = {
    .header = SLUICE_HEADER_INIT(sluice_options),
    .option_size = sizeof(sluice_option),
    .count = sizeof mg_options / sizeof mg_options[0],
    .options = mg_options,
    .config_size = sizeof(mg_config),
};

static const sluice_plugin mg_plugin = {
    .header = SLUICE_HEADER_INIT(sluice_plugin),
    .kind = SLUICE_KIND_SOURCE,
    .name = "source-mongo",
    .version = "0.1.0",
    .description = "MongoDB: collections as tables of _id and the document (or a column per "
                   "field), full load, then change streams with resume tokens",
    .options = &mg_option_table,
    .vtable = &mg_vtable,
};

/* libmongoc logs to stderr by default; its messages reach sluice as errors instead */
static void quiet_log(mongoc_log_level_t level, const char *domain, const char *message,
                      void *data)
{
    (void)level, (void)domain, (void)message, (void)data;
}

SLUICE_PLUGIN_ABI_DEFINE()

SLUICE_EXPORT const sluice_plugin *sluice_plugin_init(const sluice_host *host)
{
    (void)host; /* open() receives the host again; nothing global is kept */
    mongoc_init(); /* once, before lanes create clients from several threads */
    mongoc_log_set_handler(quiet_log, NULL);
    return &mg_plugin;
}
