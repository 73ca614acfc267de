/*
 * The client: one per instance, from the uri option (TLS and authentication
 * options are libmongoc's own URI options, passed as they are). The URI holds
 * the password, so messages name the server by its host list alone, and any
 * text from libmongoc has the password masked before it is shown.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_mongo.h"

const char *mg_mode(mgsrc *s)
{
    return s->host->setting(s->ctx, "mode");
}

sluice_status mg_oom(mgsrc *s, sluice_error *err)
{
    return s->host->error(err, SLUICE_FATAL, "out of memory");
}

/* text with every occurrence of the URI's password replaced by ******** */
static void masked(const mgsrc *s, const char *text, char *out, size_t size)
{
    const char *pw = NULL;
    mongoc_uri_t *uri = mongoc_uri_new(s->cfg.uri);
    if (uri)
        pw = mongoc_uri_get_password(uri);
    size_t n = pw ? strlen(pw) : 0, o = 0;
    for (const char *p = text; *p && o + 1 < size;) {
        if (n >= 3 && strncmp(p, pw, n) == 0) {
            o += (size_t)snprintf(out + o, size - o, "********");
            if (o >= size)
                o = size - 1;
            p += n;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    if (uri)
        mongoc_uri_destroy(uri);
}

static void server_name(mgsrc *s, const mongoc_uri_t *uri)
{
    size_t o = 0;
    const char *srv = mongoc_uri_get_srv_hostname(uri);
    if (srv) {
        snprintf(s->server, sizeof s->server, "mongodb+srv://%s", srv);
        return;
    }
    for (const mongoc_host_list_t *h = mongoc_uri_get_hosts(uri); h && o < sizeof s->server;
         h = h->next)
        o += (size_t)snprintf(s->server + o, sizeof s->server - o, "%s%s", o ? "," : "",
                              h->host_and_port);
}

sluice_status mg_connect(mgsrc *s, sluice_error *err)
{
    bson_error_t e;
    mongoc_uri_t *uri = mongoc_uri_new_with_error(s->cfg.uri, &e);
    if (!uri) {
        char why[600];
        masked(s, e.message, why, sizeof why);
        s->host->error(err, SLUICE_FATAL, "invalid value for option \"uri\"");
        s->host->error_detail(err, "libmongoc could not parse the connection string: %s.", why);
        s->host->error_hint(err, "Write it as mongodb://user:password@host:27017/?replicaSet=rs0 "
                                 "(percent-encode special characters in the user and password).");
        return SLUICE_FATAL;
    }
    server_name(s, uri);
    if (!mongoc_uri_get_option_as_utf8(uri, MONGOC_URI_APPNAME, NULL))
        mongoc_uri_set_appname(uri, "sluice");
    s->client = mongoc_client_new_from_uri_with_error(uri, &e);
    mongoc_uri_destroy(uri);
    if (!s->client)
        return mg_fail(s, err, &e, "could not create a client for server \"%s\"", s->server);
    mongoc_client_set_error_api(s->client, MONGOC_ERROR_API_VERSION_2);
    return SLUICE_OK;
}

sluice_status mg_fail(mgsrc *s, sluice_error *err, const bson_error_t *e, const char *fmt, ...)
{
    char msg[600], why[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    masked(s, e->message, why, sizeof why);
    sluice_status st = SLUICE_FATAL;
    const char *hint = NULL;
    if (e->domain == MONGOC_ERROR_SERVER_SELECTION || e->domain == MONGOC_ERROR_STREAM) {
        st = SLUICE_RETRY;
        hint = "Check that the server is running and reachable, that the hosts and ports of "
               "option uri are right, and that its TLS options match the server's.";
    } else if (e->domain == MONGOC_ERROR_CLIENT && e->code == MONGOC_ERROR_CLIENT_AUTHENTICATE) {
        hint = "Check the user name, password and authSource of option uri.";
    } else if (e->code == 13 || e->code == 18) { /* Unauthorized, AuthenticationFailed */
        hint = "Grant the user the read role on the databases to move (readAnyDatabase for "
               "all), and for change capture find and changeStream on them.";
    }
    s->host->error(err, st, "%s", msg);
    s->host->error_detail(err, "Server \"%s\" reported: %s (error %u).", s->server, why,
                          (unsigned)e->code);
    if (hint)
        s->host->error_hint(err, "%s", hint);
    return st;
}

sluice_status mg_command(mgsrc *s, const char *db, const bson_t *cmd, bson_t *reply,
                         const char *what, sluice_error *err)
{
    bson_error_t e;
    if (!mongoc_client_command_simple(s->client, db, cmd, NULL, reply, &e))
        return mg_fail(s, err, &e, "could not %s", what);
    return SLUICE_OK;
}

sluice_status mg_operation_time(mgsrc *s, uint32_t *t, uint32_t *i, sluice_error *err)
{
    bson_t *cmd = BCON_NEW("ping", BCON_INT32(1)), reply;
    sluice_status st = mg_command(s, "admin", cmd, &reply, "read the cluster time", err);
    bson_destroy(cmd);
    bson_iter_t it;
    if (st == SLUICE_OK) {
        if (bson_iter_init_find(&it, &reply, "operationTime") && BSON_ITER_HOLDS_TIMESTAMP(&it)) {
            bson_iter_timestamp(&it, t, i);
        } else {
            s->host->error(err, SLUICE_FATAL, "server \"%s\" reports no cluster time",
                           s->server);
            s->host->error_detail(err, "Its reply to ping has no operationTime, which replica "
                                       "sets and sharded clusters send.");
            s->host->error_hint(err, "Change capture needs a replica set or a sharded cluster.");
            st = SLUICE_FATAL;
        }
    }
    bson_destroy(&reply);
    return st;
}
