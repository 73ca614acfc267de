/*
 * source-mysql: options, the descriptor, open/close. The CDC modes check their
 * prerequisites in open(), so a server that cannot stream is refused before
 * anything is loaded; the stream itself is stream.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_mysql.h"

#define OPT(name, type, flags, def, choices, desc, member) \
    {name, type, flags, def, choices, desc, offsetof(my_config, member)}

static const sluice_option my_options[] = {
    OPT("host", SLUICE_OPTION_STRING, 0, "localhost", NULL,
        "server host name or address (localhost: the Unix socket)", host),
    OPT("port", SLUICE_OPTION_INT, 0, "3306", NULL, "server TCP port", port),
    OPT("user", SLUICE_OPTION_STRING, SLUICE_OPTION_REQUIRED, NULL, NULL, "user name", user),
    OPT("password", SLUICE_OPTION_STRING, SLUICE_OPTION_SECRET, NULL, NULL,
        "password; give it with env \"NAME\" or file \"/path\"", password),
    OPT("databases", SLUICE_OPTION_STRING, SLUICE_OPTION_REQUIRED, NULL, NULL,
        "comma-separated databases whose tables are moved (each is a schema at the target)",
        databases),
    OPT("socket", SLUICE_OPTION_STRING, 0, NULL, NULL,
        "Unix socket path, for host = \"localhost\"", socket),
    OPT("server_id", SLUICE_OPTION_INT, 0, "4243", NULL,
        "replica id the binlog reader registers as: unique among servers and readers", server_id),
    OPT("connect_timeout", SLUICE_OPTION_INT, 0, "10", NULL,
        "seconds to wait for a connection; 0: the client library's default", connect_timeout),
    OPT("snapshot_lock_wait_ms", SLUICE_OPTION_INT, 0, "10000", NULL,
        "longest time commits stay blocked while the full-load lanes join the snapshot",
        snapshot_lock_wait_ms),
    OPT("heartbeat_interval_ms", SLUICE_OPTION_INT, 0, "1000", NULL,
        "how often an idle server sends a binlog heartbeat; a stream silent for 5 of them "
        "(at least 30 s) is taken as lost",
        heartbeat_interval_ms),
};

/* ---- open / close ---- */

static sluice_status bad_option(const sluice_host *host, sluice_error *err, const char *name,
                                const char *value, const char *rule, const char *hint)
{
    host->error(err, SLUICE_FATAL, "invalid value for option \"%s\": \"%s\"", name, value);
    host->error_detail(err, "%s", rule);
    host->error_hint(err, "%s", hint);
    return SLUICE_FATAL;
}

static sluice_status check_config(const sluice_host *host, const my_config *c, sluice_error *err)
{
    char num[32];
    if (c->port < 0 || c->port > 65535) {
        snprintf(num, sizeof num, "%lld", (long long)c->port);
        return bad_option(host, err, "port", num, "A port is a number from 1 to 65535.",
                          "MySQL and MariaDB listen on 3306 by default.");
    }
    if (c->server_id < 1 || c->server_id > 4294967295LL) {
        snprintf(num, sizeof num, "%lld", (long long)c->server_id);
        return bad_option(host, err, "server_id", num,
                          "A server id is a number from 1 to 4294967295.",
                          "Choose one that no server or other binlog reader uses.");
    }
    if (c->heartbeat_interval_ms < 1 || c->heartbeat_interval_ms > 3600000) {
        snprintf(num, sizeof num, "%lld", (long long)c->heartbeat_interval_ms);
        return bad_option(host, err, "heartbeat_interval_ms", num,
                          "It is a number of milliseconds from 1 to 3600000.",
                          "Leave it at its default (1000).");
    }
    if (c->snapshot_lock_wait_ms < 0 || c->connect_timeout < 0) {
        snprintf(num, sizeof num, "%lld",
                 (long long)(c->connect_timeout < 0 ? c->connect_timeout
                                                    : c->snapshot_lock_wait_ms));
        return bad_option(host, err,
                          c->connect_timeout < 0 ? "connect_timeout" : "snapshot_lock_wait_ms",
                          num, "It must be 0 or more.", "Leave it at its default.");
    }
    const char *d = c->databases;
    int any = 0;
    for (; d && *d; d++)
        any |= *d != ',' && *d != ' ';
    if (!any)
        return bad_option(host, err, "databases", c->databases ? c->databases : "",
                          "At least one database is needed.",
                          "Set databases = \"shop\" (several: \"shop,crm\").");
    return SLUICE_OK;
}

static void my_close(void *instance)
{
    mysrc *s = instance;
    if (!s)
        return;
    my_stream_close(s);
    my_read_end(s);
    my_lock_release(s);
    if (s->conn)
        mysql_close(s->conn);
    for (uint32_t i = 0; i < s->ntables; i++) {
        free(s->tables[i].read_as);
        free(s->tables[i].bits);
        free(s->tables[i].sig);
    }
    free(s->tables);
    if (s->password)
        memset(s->password, 0, strlen(s->password));
    free(s->hostname);
    free(s->user);
    free(s->password);
    free(s->databases);
    free(s->socket);
    free(s);
}

static char *dup_or_null(const char *v, int *failed)
{
    if (!v)
        return NULL;
    char *d = strdup(v);
    if (!d)
        *failed = 1;
    return d;
}

static sluice_status my_open(const sluice_host *host, sluice_context *ctx, const void *config,
                             void **instance, sluice_error *err)
{
    my_config c = *(const my_config *)config;
    if (!c.host)
        c.host = "localhost";
    sluice_status st = check_config(host, &c, err);
    if (st != SLUICE_OK)
        return st;
    mysrc *s = calloc(1, sizeof *s);
    if (!s)
        return host->error(err, SLUICE_FATAL, "out of memory");
    s->host = host;
    s->ctx = ctx;
    s->cfg = c;
    int failed = 0;
    s->hostname = dup_or_null(c.host, &failed);
    s->user = dup_or_null(c.user, &failed);
    s->password = dup_or_null(c.password, &failed);
    s->databases = dup_or_null(c.databases, &failed);
    s->socket = dup_or_null(c.socket, &failed);
    if (failed) {
        my_close(s);
        return host->error(err, SLUICE_FATAL, "out of memory");
    }
    /* the core's strings are not ours to keep */
    s->cfg.host = s->hostname;
    s->cfg.user = s->user;
    s->cfg.password = s->password;
    s->cfg.databases = s->databases;
    s->cfg.socket = s->socket;
    if (s->socket && strcmp(s->hostname, "localhost") == 0)
        snprintf(s->server, sizeof s->server, "%s", s->socket);
    else
        snprintf(s->server, sizeof s->server, "%s:%lld", s->hostname, (long long)c.port);
    st = my_connect(s, &s->conn, err);
    if (st != SLUICE_OK) {
        my_close(s);
        return st;
    }
    host->log(ctx, SLUICE_LOG_DEBUG, "connected to server \"%s\" (%s)", s->server, s->version);
    const char *mode = my_mode(s);
    const char *command = host->setting ? host->setting(ctx, "command") : NULL;
    if (mode && strcmp(mode, "full-load") != 0 && !(command && strcmp(command, "check") == 0)) {
        /* the prerequisites first: they tell what to fix on the server meanwhile
           (`sluice check` reports them all instead, from its check callback) */
        st = my_check_cdc(s, NULL, err);
        if (st != SLUICE_OK) {
            my_close(s);
            return st;
        }
    }
    *instance = s;
    return SLUICE_OK;
}

/* ---- the descriptor ---- */

static const sluice_source_vtable my_vtable = {
    .header = SLUICE_HEADER_INIT(sluice_source_vtable),
    .open = my_open,
    .close = my_close,
    .discover = my_discover,
    .read_chunk = my_read_chunk,
    .position_compare = my_position_compare,
    .position_format = my_position_format,
    .snapshot_begin = my_snapshot_begin,
    .snapshot_attach = my_snapshot_attach,
    .split_table = my_split_table,
    .validate_bounds = my_validate_bounds,
    .stream_start = my_stream_start,
    .stream_read = my_stream_read,
    .ack = my_ack,
    .position_parse = my_position_parse,
    .check = my_check,
};

static const sluice_options my_option_table = {
    .header = SLUICE_HEADER_INIT(sluice_options),
    .option_size = sizeof(sluice_option),
    .count = sizeof my_options / sizeof my_options[0],
    .options = my_options,
    .config_size = sizeof(my_config),
};

static const sluice_plugin my_plugin = {
    .header = SLUICE_HEADER_INIT(sluice_plugin),
    .kind = SLUICE_KIND_SOURCE,
    .name = "source-mysql",
    .version = "0.1.0",
    .description = "MySQL / MariaDB: consistent full load at an exact binlog position, "
                   "then change capture from the binary log",
    .options = &my_option_table,
    .vtable = &my_vtable,
};

SLUICE_PLUGIN_ABI_DEFINE()

SLUICE_EXPORT const sluice_plugin *sluice_plugin_init(const sluice_host *host)
{
    (void)host; /* open() receives the host again; nothing global is kept */
    /* once, before lanes call mysql_init from several threads at a time */
    if (mysql_library_init(0, NULL, NULL) != 0)
        return NULL;
    return &my_plugin;
}
