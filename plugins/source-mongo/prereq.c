/*
 * What the server must be. Change streams exist only on replica sets and
 * sharded clusters (hello says which: setName, or msg "isdbgrid" from a
 * mongos). One code path for two callers: open() in the change-capture modes
 * (out NULL: the blocking finding is the error, before anything is loaded)
 * and `sluice check` (check.c: every finding to the host's list). Missing
 * privileges show up as the server's own Unauthorized error on the first
 * command that needs them (mg_fail's hint); check.c asks for them up front.
 */
#include <stdio.h>
#include <string.h>

#include "source_mongo.h"

sluice_status mg_report(mgsrc *s, sluice_findings *out, sluice_severity severity,
                        const char *table, sluice_error *err)
{
    if (!out) /* opening: a blocking finding is the error; the others do not stop it */
        return severity == SLUICE_SEVERITY_BLOCKING ? (err->status = SLUICE_FATAL) : SLUICE_OK;
    if (s->host->finding_add(out, severity, table, err) != 0)
        return mg_oom(s, err);
    err->status = SLUICE_OK;
    err->message[0] = err->detail[0] = err->hint[0] = '\0';
    return SLUICE_OK;
}

sluice_status mg_hello(mgsrc *s, sluice_error *err)
{
    bson_t *cmd = BCON_NEW("hello", BCON_INT32(1)), reply;
    sluice_status st = mg_command(s, "admin", cmd, &reply, "reach the server", err);
    bson_destroy(cmd);
    if (st != SLUICE_OK) {
        bson_destroy(&reply);
        return st;
    }
    bson_iter_t it;
    int set = bson_iter_init_find(&it, &reply, "setName") && BSON_ITER_HOLDS_UTF8(&it);
    if (set)
        snprintf(s->topology, sizeof s->topology, "a member of replica set \"%s\"",
                 bson_iter_utf8(&it, NULL));
    int mongos = bson_iter_init_find(&it, &reply, "msg") && BSON_ITER_HOLDS_UTF8(&it) &&
                 strcmp(bson_iter_utf8(&it, NULL), "isdbgrid") == 0;
    if (mongos)
        snprintf(s->topology, sizeof s->topology, "a mongos of a sharded cluster");
    else if (!set)
        snprintf(s->topology, sizeof s->topology, "a standalone server");
    bson_destroy(&reply);
    s->replicated = set || mongos;
    s->mongos = mongos;
    s->host->log(s->ctx, SLUICE_LOG_DEBUG, "connected to server \"%s\" (%s)", s->server,
                 s->topology);
    return SLUICE_OK;
}

sluice_status mg_check_cdc(mgsrc *s, sluice_findings *out, sluice_error *err)
{
    if (s->replicated)
        return SLUICE_OK;
    s->host->error(err, SLUICE_FATAL, "change capture needs a replica set or a sharded cluster");
    s->host->error_detail(err, "Server \"%s\" is a standalone server: its hello reply has no "
                               "setName, and change streams need the oplog of a replica set.",
                          s->server);
    s->host->error_hint(err, "Start mongod with --replSet NAME and run rs.initiate() (a "
                             "one-member replica set is enough), or use mode \"full-load\".");
    return mg_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
}
