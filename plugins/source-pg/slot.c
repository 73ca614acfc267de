/*
 * The publication, the replication slot and the snapshot.
 *
 * snapshot_begin (main instance) fixes the snapshot the full load reads and the
 * LSN the stream starts from, so that the copy and the stream meet without a
 * gap or an overlap (PROTOCOL-FACTS 1.2):
 *   - no slot yet: CREATE_REPLICATION_SLOT <slot> LOGICAL pgoutput (SNAPSHOT
 *     'export'); its consistent_point is the position.
 *   - the slot exists: a temporary slot exports the snapshot instead, and the
 *     stream later starts the existing slot at the temporary slot's
 *     consistent_point, which skips exactly the transactions the snapshot
 *     already holds.
 *   - mode "full-load" (when the core says so): a plain exported snapshot, no
 *     slot and no publication at all.
 * After that the replication connection stays silent until stream_start: any
 * command on it would end the exported snapshot before the workers import it.
 *
 * snapshot_attach (worker instances) imports it into a REPEATABLE READ READ ONLY
 * transaction that stays open while the worker reads its chunks.
 *
 * The publication sluice creates is FOR TABLE the discovered tables, with
 * publish_via_partition_root, and carries a comment that marks it as sluice's,
 * so cleanup drops only what sluice made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_pg.h"

#define OURS_COMMENT "created by sluice"

const char *pg_mode(pgsrc *s)
{
    return s->host->setting ? s->host->setting(s->ctx, "mode") : NULL;
}

/* ---- the slot ---- */

sluice_status pg_slot_info_get(pgsrc *s, pg_slot_info *out, sluice_error *err)
{
    const char *params[] = {s->slot};
    PGresult *res = pg_exec(s, s->conn,
                            "SELECT slot_type = 'logical', coalesce(plugin, '') = 'pgoutput', "
                            "database IS NOT DISTINCT FROM current_database(), active, temporary, "
                            "coalesce(active_pid, 0), coalesce(confirmed_flush_lsn, '0/0'), "
                            "coalesce(database, '') "
                            "FROM pg_replication_slots WHERE slot_name = $1",
                            1, params, PGRES_TUPLES_OK, "look up the replication slot", err);
    if (!res)
        return SLUICE_FATAL;
    memset(out, 0, sizeof *out);
    if (PQntuples(res) == 1) {
        out->exists = 1;
        out->logical = PQgetvalue(res, 0, 0)[0] == 't';
        out->pgoutput = PQgetvalue(res, 0, 1)[0] == 't';
        out->this_db = PQgetvalue(res, 0, 2)[0] == 't';
        out->active = PQgetvalue(res, 0, 3)[0] == 't';
        out->temporary = PQgetvalue(res, 0, 4)[0] == 't';
        out->active_pid = (int)strtol(PQgetvalue(res, 0, 5), NULL, 10);
        if (!pgo_lsn_parse(PQgetvalue(res, 0, 6), &out->confirmed_flush))
            out->confirmed_flush = 0;
        snprintf(out->database, sizeof out->database, "%s", PQgetvalue(res, 0, 7));
    }
    PQclear(res);
    return SLUICE_OK;
}

sluice_status pg_slot_usable(pgsrc *s, const pg_slot_info *si, sluice_error *err)
{
    if (!si->logical || !si->pgoutput) {
        s->host->error(err, SLUICE_FATAL, "replication slot \"%s\" is not a pgoutput logical slot",
                       s->slot);
        s->host->error_detail(err, "A slot of that name exists on server \"%s\", but it %s.",
                              s->server,
                              !si->logical ? "is a physical slot" : "uses another output plugin");
        s->host->error_hint(err, "Set option slot to a name no other consumer uses.");
        return SLUICE_FATAL;
    }
    if (!si->this_db) {
        s->host->error(err, SLUICE_FATAL, "replication slot \"%s\" belongs to another database",
                       s->slot);
        s->host->error_detail(err, "A logical slot decodes one database; this one was created in "
                                   "database \"%s\", and the source is database \"%s\".",
                              si->database, PQdb(s->conn));
        s->host->error_hint(err, "Set option slot to a name no other consumer uses.");
        return SLUICE_FATAL;
    }
    if (si->active) {
        /* RETRY: after a kill -9 the dead run's walsender holds the slot for a moment
           until it notices; the core tries again with backoff, and a consumer that
           really is there still gets this message in the end. */
        s->host->error(err, SLUICE_RETRY, "replication slot \"%s\" is in use", s->slot);
        s->host->error_detail(err, "Process %d on server \"%s\" is streaming from it.",
                              si->active_pid, s->server);
        s->host->error_hint(err, "Stop the other consumer (perhaps another run of this pipeline), "
                                 "or set option slot to another name.");
        return SLUICE_RETRY;
    }
    return SLUICE_OK;
}

/* ---- the publication ---- */

/* ", "-joined quoted names of the listed tables (all of them when list is NULL). */
static char *table_list(pgsrc *s, PGresult *list)
{
    sbuf b = {0};
    uint32_t n = list ? (uint32_t)PQntuples(list) : s->ntables;
    sb_put(&b, "", 0);
    for (uint32_t i = 0; i < n; i++) {
        const pg_table *pt =
            list ? pg_table_by_oid(s, (uint32_t)strtoul(PQgetvalue(list, (int)i, 0), NULL, 10))
                 : &s->tables[i];
        if (!pt)
            continue;
        const sluice_table *t = pt->table;
        if (b.len)
            sb_put(&b, ", ", 2);
        pg_buf_ident(&b, t->schema.ptr, t->schema.len);
        sb_put(&b, ".", 1);
        pg_buf_ident(&b, t->name.ptr, t->name.len);
    }
    return sb_take(&b);
}

static sluice_status run(pgsrc *s, const char *sql, const char *what, sluice_error *err)
{
    PGresult *res = pg_exec(s, s->conn, sql, 0, NULL, PGRES_COMMAND_OK, what, err);
    if (!res)
        return SLUICE_FATAL;
    PQclear(res);
    return SLUICE_OK;
}

/* Runs "<head><tables><tail>" for the listed tables. */
static sluice_status run_with_tables(pgsrc *s, PGresult *list, const char *head,
                                     const char *tail, const char *what, sluice_error *err)
{
    char *tables = table_list(s, list);
    if (!tables)
        return pg_oom(s, err);
    size_t n = strlen(head) + strlen(tables) + strlen(tail) + 1;
    char *sql = malloc(n);
    sluice_status st = sql ? SLUICE_OK : pg_oom(s, err);
    if (sql) {
        snprintf(sql, n, "%s%s%s", head, tables, tail);
        st = run(s, sql, what, err);
    }
    free(sql);
    free(tables);
    return st;
}

static sluice_status create_publication(pgsrc *s, const char *pub, sluice_error *err)
{
    char *slot = pg_quote_ident(s->slot, strlen(s->slot));
    char head[256], tail[512];
    if (!slot)
        return pg_oom(s, err);
    /* one implicit transaction: the publication never exists without its mark */
    snprintf(head, sizeof head, "CREATE PUBLICATION %s FOR TABLE ", pub);
    snprintf(tail, sizeof tail,
             " WITH (publish_via_partition_root = true); COMMENT ON PUBLICATION %s IS "
             "'" OURS_COMMENT " for slot %s; sluice cleanup drops it'",
             pub, slot);
    free(slot);
    sluice_status st = run_with_tables(s, NULL, head, tail, "create the publication", err);
    if (st == SLUICE_OK)
        s->host->log(s->ctx, SLUICE_LOG_INFO, "created publication \"%s\" for %u tables",
                     s->publication, s->ntables);
    return st;
}

/* Our own publication: add the selected tables it lacks. */
static sluice_status complete_publication(pgsrc *s, const char *pub, sluice_error *err)
{
    char *oids = pg_table_oids(s);
    if (!oids)
        return pg_oom(s, err);
    const char *params[] = {s->publication, oids};
    PGresult *res = pg_exec(s, s->conn,
                            "SELECT c.oid FROM unnest($2::oid[]) c(oid) WHERE NOT EXISTS "
                            "(SELECT 1 FROM pg_publication_rel r JOIN pg_publication p "
                            "ON p.oid = r.prpubid WHERE p.pubname = $1 AND r.prrelid = c.oid)",
                            2, params, PGRES_TUPLES_OK, "read the publication's tables", err);
    free(oids);
    if (!res)
        return SLUICE_FATAL;
    sluice_status st = SLUICE_OK;
    if (PQntuples(res) > 0) {
        char head[256];
        snprintf(head, sizeof head, "ALTER PUBLICATION %s ADD TABLE ", pub);
        st = run_with_tables(s, res, head, "", "add tables to the publication", err);
        if (st == SLUICE_OK)
            s->host->log(s->ctx, SLUICE_LOG_INFO, "added %d tables to publication \"%s\"",
                         PQntuples(res), s->publication);
    }
    PQclear(res);
    return st;
}

sluice_status pg_ensure_publication(pgsrc *s, int *created, sluice_error *err)
{
    int exists, ours;
    *created = 0;
    sluice_status st = pg_publication_state(s, &exists, &ours, err);
    if (st != SLUICE_OK || (exists && !ours))
        return st; /* a user's publication: pg_check_publication vetted it */
    char *pub = pg_quote_ident(s->publication, strlen(s->publication));
    if (!pub)
        return pg_oom(s, err);
    st = exists ? complete_publication(s, pub, err) : create_publication(s, pub, err);
    *created = !exists && st == SLUICE_OK;
    free(pub);
    return st;
}

sluice_status pg_drop_publication(pgsrc *s, sluice_error *err)
{
    char *pub = pg_quote_ident(s->publication, strlen(s->publication));
    if (!pub)
        return pg_oom(s, err);
    char sql[256];
    snprintf(sql, sizeof sql, "DROP PUBLICATION IF EXISTS %s", pub);
    free(pub);
    return run(s, sql, "drop the publication", err);
}

/* ---- snapshot_begin ---- */

/* Mode full-load: a snapshot exported by this transaction, which stays open. */
static sluice_status plain_snapshot(pgsrc *s, sluice_position *at, sluice_snapshot *snap,
                                    sluice_error *err)
{
    sluice_status st = run(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                           "begin the snapshot transaction", err);
    if (st != SLUICE_OK)
        return st;
    PGresult *res = pg_exec(s, s->conn,
                            "SELECT pg_export_snapshot(), CASE WHEN pg_is_in_recovery() "
                            "THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END",
                            0, NULL, PGRES_TUPLES_OK, "export a snapshot", err);
    if (!res)
        return SLUICE_FATAL;
    uint64_t lsn = 0;
    pgo_lsn_parse(PQgetvalue(res, 0, 1), &lsn);
    snprintf(snap->token, sizeof snap->token, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    pg_pos_set(at, lsn);
    return SLUICE_OK;
}

/* CREATE_REPLICATION_SLOT on the replication connection; fills lsn and the snapshot name. */
static sluice_status create_slot(pgsrc *s, const char *name, int temporary, uint64_t *lsn,
                                 sluice_snapshot *snap, sluice_error *err)
{
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE_REPLICATION_SLOT %s%s LOGICAL pgoutput (SNAPSHOT '%s')",
             name, temporary ? " TEMPORARY" : "", snap ? "export" : "nothing");
    PGresult *res = pg_exec(s, s->repl, sql, 0, NULL, PGRES_TUPLES_OK,
                            "create the replication slot", err);
    if (!res)
        return SLUICE_FATAL;
    int ok = PQnfields(res) >= 3 && PQntuples(res) == 1 &&
             pgo_lsn_parse(PQgetvalue(res, 0, 1), lsn) && (!snap || !PQgetisnull(res, 0, 2));
    if (ok && snap)
        snprintf(snap->token, sizeof snap->token, "%s", PQgetvalue(res, 0, 2));
    PQclear(res);
    if (!ok)
        return s->host->error(err, SLUICE_FATAL, "unexpected answer to CREATE_REPLICATION_SLOT");
    if (!temporary)
        s->host->log(s->ctx, SLUICE_LOG_INFO, "created replication slot \"%s\"", name);
    return SLUICE_OK;
}

sluice_status pg_create_slot(pgsrc *s, sluice_snapshot *snap, uint64_t *lsn, sluice_error *err)
{
    return create_slot(s, s->slot, 0, lsn, snap, err);
}

sluice_status pg_snapshot_begin(void *instance, sluice_position *at, sluice_snapshot *snap,
                                sluice_error *err)
{
    pgsrc *s = instance;
    const char *mode = pg_mode(s);
    if (mode && strcmp(mode, "full-load") == 0)
        return plain_snapshot(s, at, snap, err);
    pg_slot_info si = {0};
    sluice_status st = pg_check_cdc(s, 1, NULL, err);
    if (st == SLUICE_OK)
        st = pg_slot_info_get(s, &si, err);
    if (st == SLUICE_OK && si.exists)
        st = pg_slot_usable(s, &si, err);
    int created = 0;
    if (st == SLUICE_OK)
        st = pg_ensure_publication(s, &created, err);
    if (st == SLUICE_OK)
        st = pg_connect(s, 1, &s->repl, err);
    uint64_t lsn = 0;
    if (st == SLUICE_OK && si.exists) {
        char temp[64];
        snprintf(temp, sizeof temp, "sluice_snapshot_%d", PQbackendPID(s->repl));
        st = create_slot(s, temp, 1, &lsn, snap, err);
        s->repl_temp_slot = 1;
    } else if (st == SLUICE_OK) {
        st = create_slot(s, s->slot, 0, &lsn, snap, err);
    }
    if (st != SLUICE_OK) {
        if (s->repl)
            PQfinish(s->repl);
        s->repl = NULL;
        s->repl_temp_slot = 0;
        sluice_error ignored;
        if (created && pg_drop_publication(s, &ignored) == SLUICE_OK)
            s->host->log(s->ctx, SLUICE_LOG_INFO, "dropped publication \"%s\" again",
                         s->publication);
        return st;
    }
    pg_pos_set(at, lsn);
    s->host->log(s->ctx, SLUICE_LOG_DEBUG, "exported snapshot \"%s\"%s", snap->token,
                 si.exists ? " from a temporary slot (the slot exists)" : "");
    return SLUICE_OK;
}

/* ---- snapshot_attach ---- */

sluice_status pg_snapshot_attach(void *instance, const sluice_snapshot *snap, sluice_error *err)
{
    pgsrc *s = instance;
    char token[SLUICE_SNAPSHOT_TOKEN_MAX];
    snprintf(token, sizeof token, "%.*s", (int)strnlen(snap->token, sizeof snap->token),
             snap->token);
    char *lit = pg_quote_literal(token);
    if (!lit)
        return pg_oom(s, err);
    size_t n = strlen(lit) + 128;
    char *sql = malloc(n);
    if (!sql) {
        free(lit);
        return pg_oom(s, err);
    }
    snprintf(sql, n, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT %s",
             lit);
    PGresult *res = PQexec(s->conn, sql);
    free(sql);
    free(lit);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        pg_fail(s, err, SLUICE_FATAL, s->conn, res, "could not attach to snapshot \"%s\"", token);
        PQclear(res);
        return SLUICE_FATAL;
    }
    PQclear(res);
    return SLUICE_OK;
}

/* ---- cleanup ---- */

sluice_status pg_cleanup(void *instance, sluice_error *err)
{
    pgsrc *s = instance;
    pg_slot_info si;
    sluice_status st = pg_slot_info_get(s, &si, err);
    if (st != SLUICE_OK)
        return st;
    if (si.exists && si.active) {
        s->host->error(err, SLUICE_FATAL, "cannot drop replication slot \"%s\": it is in use",
                       s->slot);
        s->host->error_detail(err, "Process %d on server \"%s\" is streaming from it.",
                              si.active_pid, s->server);
        s->host->error_hint(err, "Stop the pipeline first.");
        return SLUICE_FATAL;
    }
    if (si.exists) {
        const char *params[] = {s->slot};
        PGresult *res = pg_exec(s, s->conn, "SELECT pg_drop_replication_slot($1)", 1, params,
                                PGRES_TUPLES_OK, "drop the replication slot", err);
        if (!res)
            return SLUICE_FATAL;
        PQclear(res);
        s->host->log(s->ctx, SLUICE_LOG_INFO, "dropped replication slot \"%s\"", s->slot);
    }
    int exists, ours;
    if ((st = pg_publication_state(s, &exists, &ours, err)) != SLUICE_OK)
        return st;
    if (exists && !ours) {
        s->host->log(s->ctx, SLUICE_LOG_INFO, "kept publication \"%s\": sluice did not create it",
                     s->publication);
    } else if (exists) {
        if ((st = pg_drop_publication(s, err)) != SLUICE_OK)
            return st;
        s->host->log(s->ctx, SLUICE_LOG_INFO, "dropped publication \"%s\"", s->publication);
    }
    return SLUICE_OK;
}
