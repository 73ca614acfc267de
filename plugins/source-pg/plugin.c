/*
 * source-pg: options, the descriptor, open/close and positions. A position is
 * an LSN as 8 big-endian bytes, printed like PostgreSQL ("16/B374D848").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_pg.h"

#define OPT(name, type, flags, def, choices, desc, member) \
    {name, type, flags, def, choices, desc, offsetof(pg_config, member)}

static const sluice_option pg_options[] = {
    OPT("conninfo", SLUICE_OPTION_STRING, SLUICE_OPTION_REQUIRED | SLUICE_OPTION_SECRET, NULL,
        NULL, "libpq connection string or URI; PG* environment variables apply", conninfo),
    OPT("slot", SLUICE_OPTION_STRING, 0, "sluice", NULL,
        "logical replication slot: used when it exists, created otherwise", slot),
    OPT("publication", SLUICE_OPTION_STRING, 0, "sluice", NULL,
        "publication: used as it is when it exists, created for the tables otherwise",
        publication),
    OPT("schemas", SLUICE_OPTION_STRING, 0, "public", NULL,
        "comma-separated schemas whose tables are moved", schemas),
    OPT("heartbeat_interval_ms", SLUICE_OPTION_INT, 0, "0", NULL,
        "while streaming, write a logical message this often so an idle slot advances; 0: off",
        heartbeat_interval_ms),
    OPT("status_interval_ms", SLUICE_OPTION_INT, 0, "10000", NULL,
        "send the server a standby status update at least this often", status_interval_ms),
    OPT("copy_format", SLUICE_OPTION_STRING, 0, "auto", "auto|text",
        "COPY format of the full load: auto is binary for tables the sink takes in "
        "PostgreSQL's binary form, text elsewhere; text is text everywhere", copy_format),
};

/* ---- positions ---- */

void pg_pos_set(sluice_position *p, uint64_t lsn)
{
    p->len = 8;
    for (int i = 7; i >= 0; i--) {
        p->bytes[i] = (uint8_t)(lsn & 0xff);
        lsn >>= 8;
    }
}

int pg_pos_get(const sluice_position *p, uint64_t *lsn)
{
    if (!p || p->len != 8)
        return -1;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p->bytes[i];
    *lsn = v;
    return 0;
}

static int pg_position_compare(const sluice_position *a, const sluice_position *b)
{
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->bytes, b->bytes, n);
    if (c != 0)
        return c;
    return a->len < b->len ? -1 : (a->len > b->len);
}

static size_t pg_position_format(const sluice_position *p, char *buf, size_t size)
{
    uint64_t lsn;
    size_t n;
    if (size == 0)
        return 0;
    if (pg_pos_get(p, &lsn) == 0) {
        n = pgo_lsn_format(lsn, buf, size);
    } else {
        int k = snprintf(buf, size, "invalid(%u bytes)", (unsigned)p->len);
        n = k < 0 ? 0 : (size_t)k;
    }
    return n < size ? n : size - 1;
}

/* Needs no instance and so has no host table: fills the error record itself. */
static sluice_status pg_position_parse(const char *text, sluice_position *out, sluice_error *err)
{
    uint64_t lsn;
    if (pgo_lsn_parse(text, &lsn)) {
        pg_pos_set(out, lsn);
        return SLUICE_OK;
    }
    err->status = SLUICE_ERROR;
    snprintf(err->message, sizeof err->message, "invalid PostgreSQL LSN: \"%s\"", text);
    snprintf(err->detail, sizeof err->detail,
             "An LSN is two hexadecimal numbers separated by a slash, as "
             "pg_current_wal_lsn() prints it.");
    snprintf(err->hint, sizeof err->hint, "Write it like 0/16B3748.");
    return SLUICE_ERROR;
}

/* ---- open / close ---- */

static sluice_status bad_option(const sluice_host *host, sluice_error *err, const char *name,
                                const char *value, const char *rule, const char *hint)
{
    host->error(err, SLUICE_FATAL, "invalid value for option \"%s\": \"%s\"", name, value);
    host->error_detail(err, "%s", rule);
    host->error_hint(err, "%s", hint);
    return SLUICE_FATAL;
}

/* PostgreSQL's own rule for slot names, checked here so the error names the option. */
static int valid_slot_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 63)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

static sluice_status check_config(const sluice_host *host, const pg_config *c, sluice_error *err)
{
    char num[32];
    if (!valid_slot_name(c->slot))
        return bad_option(host, err, "slot", c->slot,
                          "Replication slot names have 1 to 63 characters, each a lower-case "
                          "letter, a digit or the underscore.",
                          "Choose a name like sluice_orders.");
    if (!c->publication[0] || strlen(c->publication) > 63)
        return bad_option(host, err, "publication", c->publication,
                          "A publication name has 1 to 63 bytes.", "Choose a shorter name.");
    if (!c->schemas[0])
        return bad_option(host, err, "schemas", c->schemas,
                          "At least one schema is needed.", "Set schemas = \"public\".");
    if (c->status_interval_ms <= 0) {
        snprintf(num, sizeof num, "%lld", (long long)c->status_interval_ms);
        return bad_option(host, err, "status_interval_ms", num, "It must be 1 or more.",
                          "Keep it well below the server's wal_sender_timeout (60 s by "
                          "default); 10000 is a good value.");
    }
    if (c->heartbeat_interval_ms < 0) {
        snprintf(num, sizeof num, "%lld", (long long)c->heartbeat_interval_ms);
        return bad_option(host, err, "heartbeat_interval_ms", num, "It must be 0 or more.",
                          "Set it to 0 to turn heartbeats off.");
    }
    return SLUICE_OK;
}

static void pg_close(void *instance)
{
    pgsrc *s = instance;
    if (!s)
        return;
    pg_stream_close(s);
    /* no pg_copy_reset: draining an unfinished COPY would read the rest of the table
       (sluice plan --sample stops early); closing the connection below ends it */
    s->copy.active = 0;
    pg_copy_free(s);
    if (s->repl)
        PQfinish(s->repl);
    if (s->conn)
        PQfinish(s->conn);
    for (uint32_t i = 0; i < s->ntables; i++)
        free(s->tables[i].cols);
    free(s->tables);
    free(s->conninfo);
    free(s->slot);
    free(s->publication);
    free(s->schemas);
    free(s);
}

static sluice_status pg_open(const sluice_host *host, sluice_context *ctx, const void *config,
                             void **instance, sluice_error *err)
{
    const pg_config *cfg = config;
    pg_config c = *cfg;
    if (!c.slot)
        c.slot = "sluice";
    if (!c.publication)
        c.publication = "sluice";
    if (!c.schemas)
        c.schemas = "public";
    if (!c.conninfo)
        c.conninfo = "";
    sluice_status st = check_config(host, &c, err);
    if (st != SLUICE_OK)
        return st;
    pgsrc *s = calloc(1, sizeof *s);
    if (!s)
        return host->error(err, SLUICE_FATAL, "out of memory");
    s->host = host;
    s->ctx = ctx;
    s->conninfo = strdup(c.conninfo);
    s->slot = strdup(c.slot);
    s->publication = strdup(c.publication);
    s->schemas = strdup(c.schemas);
    s->cfg = c;
    s->cfg.conninfo = s->conninfo; /* the core's strings are not ours to keep */
    s->cfg.slot = s->slot;
    s->cfg.publication = s->publication;
    s->cfg.schemas = s->schemas;
    /* a static string: the core's is not ours to keep */
    s->cfg.copy_format = c.copy_format && strcmp(c.copy_format, "text") == 0 ? "text" : "auto";
    if (!s->conninfo || !s->slot || !s->publication || !s->schemas) {
        pg_close(s);
        return host->error(err, SLUICE_FATAL, "out of memory");
    }
    st = pg_connect(s, 0, &s->conn, err);
    if (st != SLUICE_OK) {
        pg_close(s);
        return st;
    }
    host->log(ctx, SLUICE_LOG_DEBUG, "connected to server \"%s\", database \"%s\"", s->server,
              PQdb(s->conn));
    *instance = s;
    return SLUICE_OK;
}

/* ---- the descriptor ---- */

static const sluice_source_vtable pg_vtable = {
    .header = SLUICE_HEADER_INIT(sluice_source_vtable),
    .open = pg_open,
    .close = pg_close,
    .discover = pg_discover,
    .read_chunk = pg_read_chunk,
    .position_compare = pg_position_compare,
    .position_format = pg_position_format,
    .snapshot_begin = pg_snapshot_begin,
    .snapshot_attach = pg_snapshot_attach,
    .split_table = pg_split_table,
    .stream_start = pg_stream_start,
    .stream_read = pg_stream_read,
    .ack = pg_ack,
    .position_parse = pg_position_parse,
    .cleanup = pg_cleanup,
    .read_sequences = pg_read_sequences,
    .native_format = pg_native_format,
    .list_partitions = pg_list_partitions,
    .log_usage = pg_log_usage,
    .check = pg_check,
    .validate_bounds = pg_validate_bounds,
    .validate_hash = pg_validate_hash,
};

static const sluice_options pg_option_table = {
    .header = SLUICE_HEADER_INIT(sluice_options),
    .option_size = sizeof(sluice_option),
    .count = sizeof pg_options / sizeof pg_options[0],
    .options = pg_options,
    .config_size = sizeof(pg_config),
};

static const sluice_plugin pg_plugin = {
    .header = SLUICE_HEADER_INIT(sluice_plugin),
    .kind = SLUICE_KIND_SOURCE,
    .name = "source-pg",
    .version = "0.1.0",
    .description = "PostgreSQL: full load under an exported snapshot, then logical "
                   "replication (pgoutput)",
    .options = &pg_option_table,
    .vtable = &pg_vtable,
};

SLUICE_PLUGIN_ABI_DEFINE()

SLUICE_EXPORT const sluice_plugin *sluice_plugin_init(const sluice_host *host)
{
    (void)host; /* open() receives the host again; nothing global is kept */
    return &pg_plugin;
}
