/*
 * ABI 1.5 log_usage: what the server keeps for our slot, for the metrics. The
 * query runs on the normal connection (the replication one is busy streaming),
 * the same one the heartbeat uses.
 */
#include <stdlib.h>

#include "source_pg.h"

sluice_status pg_log_usage(void *instance, sluice_log_usage *out, sluice_error *err)
{
    pgsrc *s = instance;
    if (!s->conn)
        return SLUICE_OK; /* not connected: the figures stay unknown */
    /* A standby (PostgreSQL 16 decodes there) has no current WAL insert position:
       what it replayed is how far its WAL goes. spill_bytes came with 14. */
    const char *sql =
        PQserverVersion(s->conn) >= 140000
            ? "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
              "ELSE pg_current_wal_lsn() END) - s.restart_lsn, "
              "(SELECT t.spill_bytes FROM pg_stat_replication_slots t "
              "WHERE t.slot_name = s.slot_name) "
              "FROM pg_replication_slots s WHERE s.slot_name = $1"
            : "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
              "ELSE pg_current_wal_lsn() END) - s.restart_lsn, NULL "
              "FROM pg_replication_slots s WHERE s.slot_name = $1";
    const char *params[] = {s->slot};
    PGresult *res = pg_exec(s, s->conn, sql, 1, params, PGRES_TUPLES_OK,
                            "read the replication slot's retained WAL", err);
    if (!res) {
        err->status = SLUICE_ERROR; /* only a figure is missing: the stream goes on */
        return SLUICE_ERROR;
    }
    if (PQntuples(res) == 1) {
        if (!PQgetisnull(res, 0, 0))
            out->retained_bytes = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        if (!PQgetisnull(res, 0, 1))
            out->spilled_bytes = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    }
    PQclear(res);
    return SLUICE_OK;
}
