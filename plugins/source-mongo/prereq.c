/*
 * What the server must be. Change streams exist only on replica sets and
 * sharded clusters (hello says which: setName, or msg "isdbgrid" from a
 * mongos), so a CDC mode on a standalone server is refused at open, before
 * anything is loaded. Missing privileges show up as the server's own
 * Unauthorized error on the first command that needs them (mg_fail's hint).
 */
#include <string.h>

#include "source_mongo.h"

sluice_status mg_check_server(mgsrc *s, int cdc, sluice_error *err)
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
    int mongos = bson_iter_init_find(&it, &reply, "msg") && BSON_ITER_HOLDS_UTF8(&it) &&
                 strcmp(bson_iter_utf8(&it, NULL), "isdbgrid") == 0;
    bson_destroy(&reply);
    s->replicated = set || mongos;
    s->host->log(s->ctx, SLUICE_LOG_DEBUG, "connected to server \"%s\" (%s)", s->server,
                 set ? "replica set" : mongos ? "mongos" : "standalone");
    if (cdc && !s->replicated) {
        s->host->error(err, SLUICE_FATAL,
                       "change capture needs a replica set or a sharded cluster");
        s->host->error_detail(err, "Server \"%s\" is a standalone server: its hello reply has "
                                   "no setName, and change streams need the oplog of a "
                                   "replica set.",
                              s->server);
        s->host->error_hint(err, "Start mongod with --replSet NAME and run rs.initiate() (a "
                                 "one-member replica set is enough), or use mode "
                                 "\"full-load\".");
        return SLUICE_FATAL;
    }
    return SLUICE_OK;
}
