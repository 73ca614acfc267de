/*
 * ABI 1.6 check: what `sluice check` reports about a PostgreSQL source. In the
 * change-capture modes, the prerequisites of prereq.c (the same code the open
 * path runs, here reporting every finding) and what would hold a run back:
 * walsenders, the slot, transactions a new slot waits for, WAL kept by other
 * slots. In every mode: the server, SELECT privileges, the largest tables and
 * the columns with large values. Everything here only reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_pg.h"

/* Rows read per large-value column to sample its sizes. */
#define LOB_SAMPLE_ROWS 1000

/* A query with the selected tables' oids as $1; NULL with err filled. */
static PGresult *with_oids(pgsrc *s, const char *sql, const char *what, sluice_error *err)
{
    char *oids = pg_table_oids(s);
    if (!oids) {
        pg_oom(s, err);
        return NULL;
    }
    const char *params[] = {oids};
    PGresult *res = pg_exec(s, s->conn, sql, 1, params, PGRES_TUPLES_OK, what, err);
    free(oids);
    return res;
}

static sluice_status server_info(pgsrc *s, int cdc, sluice_findings *out, sluice_error *err)
{
    PGresult *res = pg_exec(s, s->conn,
                            "SELECT current_setting('server_version'), "
                            "current_setting('wal_level'), "
                            "current_setting('max_replication_slots'), "
                            "current_setting('max_wal_senders'), "
                            "current_setting('max_slot_wal_keep_size'), "
                            "current_setting('wal_sender_timeout'), "
                            "current_setting('max_slot_wal_keep_size')::text <> '-1'",
                            0, NULL, PGRES_TUPLES_OK, "read the server's settings", err);
    if (!res)
        return SLUICE_FATAL;
    s->host->error(err, SLUICE_OK, "server \"%s\" runs PostgreSQL %s", s->server,
                   PQgetvalue(res, 0, 0));
    s->host->error_detail(err, "wal_level = %s, max_replication_slots = %s, max_wal_senders = "
                               "%s, max_slot_wal_keep_size = %s, wal_sender_timeout = %s.",
                          PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3),
                          PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 5));
    sluice_status st = pg_report(s, out, SLUICE_SEVERITY_INFO, NULL, err);
    if (st == SLUICE_OK && cdc && PQgetvalue(res, 0, 6)[0] == 't') {
        s->host->error(err, SLUICE_OK, "the server may invalidate the replication slot: "
                                       "max_slot_wal_keep_size = %s",
                       PQgetvalue(res, 0, 4));
        s->host->error_detail(err, "Server \"%s\" drops WAL a slot still needs once the slot "
                                   "keeps more than that; the slot is then lost and the tables "
                                   "must be loaded again. A long full load or a stopped "
                                   "pipeline can reach it.",
                              s->server);
        s->host->error_hint(err, "Keep max_slot_wal_keep_size = -1, or large enough for the "
                                 "WAL written during the full load and the longest stop.");
        st = pg_report(s, out, SLUICE_SEVERITY_WARNING, NULL, err);
    }
    PQclear(res);
    return st;
}

/* Change capture streams over one walsender connection. */
sluice_status pg_check_walsender(pgsrc *s, sluice_findings *out, sluice_error *err)
{
    if (s->repl)
        return SLUICE_OK; /* ours is open already: one is ours */
    PGresult *res = pg_exec(s, s->conn,
                            "SELECT current_setting('max_wal_senders')::int, count(*) "
                            "FROM pg_stat_activity WHERE backend_type = 'walsender'",
                            0, NULL, PGRES_TUPLES_OK, "count the walsenders", err);
    if (!res)
        return SLUICE_FATAL;
    long max = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    long used = strtol(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    if (used < max)
        return SLUICE_OK;
    s->host->error(err, SLUICE_FATAL, "no walsender is free for change capture");
    s->host->error_detail(err, "Server \"%s\" has max_wal_senders = %ld, and %ld walsender%s "
                               "%s running.",
                          s->server, max, used, used == 1 ? "" : "s", used == 1 ? "is" : "are");
    s->host->error_hint(err, "Raise max_wal_senders in postgresql.conf and restart the server, "
                             "or stop a replication connection that is no longer needed.");
    return pg_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
}

/* Our slot: reused when it exists (usable), created otherwise. */
static sluice_status own_slot(pgsrc *s, int *exists, sluice_findings *out, sluice_error *err)
{
    pg_slot_info si;
    sluice_status st = pg_slot_info_get(s, &si, err);
    if (st != SLUICE_OK)
        return st;
    *exists = si.exists;
    if (!si.exists)
        return SLUICE_OK;
    if (pg_slot_usable(s, &si, err) != SLUICE_OK) /* in use, another plugin or database */
        return pg_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
    s->host->error(err, SLUICE_OK, "replication slot \"%s\" exists", s->slot);
    s->host->error_detail(err, "The run uses it as it is: change capture continues from the "
                               "target's checkpoint, and a new full load takes its snapshot "
                               "with a temporary slot.");
    s->host->error_hint(err, "To start afresh, run sluice cleanup first.");
    return pg_report(s, out, SLUICE_SEVERITY_INFO, NULL, err);
}

/* A new publication FOR TABLE needs CREATE on the database and ownership of each table. */
sluice_status pg_check_publication_rights(pgsrc *s, sluice_findings *out, sluice_error *err)
{
    int exists, ours;
    sluice_status st = pg_publication_state(s, &exists, &ours, err);
    if (st != SLUICE_OK || exists)
        return st;
    PGresult *res = with_oids(
        s,
        "SELECT has_database_privilege(current_database(), 'CREATE'), "
        "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user), "
        "(SELECT count(*) FROM pg_class c WHERE c.oid = ANY ($1::oid[]) "
        "   AND NOT pg_has_role(c.relowner, 'USAGE')), "
        "(SELECT coalesce(string_agg(format('%I.%I', n.nspname, c.relname), ', ' "
        "   ORDER BY n.nspname, c.relname), '') FROM (SELECT * FROM pg_class c "
        "   WHERE c.oid = ANY ($1::oid[]) AND NOT pg_has_role(c.relowner, 'USAGE') "
        "   ORDER BY c.relname LIMIT 5) c JOIN pg_namespace n ON n.oid = c.relnamespace), "
        "current_user, current_database()",
        "read the rights a publication needs", err);
    if (!res)
        return SLUICE_FATAL;
    int create = PQgetvalue(res, 0, 0)[0] == 't', super = PQgetvalue(res, 0, 1)[0] == 't';
    long foreign = strtol(PQgetvalue(res, 0, 2), NULL, 10);
    const char *role = PQgetvalue(res, 0, 4), *db = PQgetvalue(res, 0, 5);
    if (!super && !create) {
        s->host->error(err, SLUICE_FATAL, "role \"%s\" cannot create publication \"%s\"", role,
                       s->publication);
        s->host->error_detail(err, "Creating a publication needs the CREATE privilege on "
                                   "database \"%s\".",
                              db);
        s->host->error_hint(err, "Run GRANT CREATE ON DATABASE %s TO %s, or create the "
                                 "publication yourself and name it in option publication.",
                            db, role);
        st = pg_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
    }
    if (st == SLUICE_OK && !super && foreign > 0) {
        s->host->error(err, SLUICE_FATAL, "role \"%s\" cannot add %ld selected table%s to "
                                          "publication \"%s\"",
                       role, foreign, foreign == 1 ? "" : "s", s->publication);
        s->host->error_detail(err, "Only a table's owner may add it to a publication; the role "
                                   "does not own %s.",
                              PQgetvalue(res, 0, 3));
        s->host->error_hint(err, "Connect as the tables' owner or a superuser, or have one "
                                 "create the publication FOR TABLE them and name it in option "
                                 "publication.");
        st = pg_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
    }
    PQclear(res);
    return st;
}

/* Transactions with a transaction id: a new logical slot waits until each has ended. */
static sluice_status open_transactions(pgsrc *s, sluice_findings *out, sluice_error *err)
{
    PGresult *res = pg_exec(
        s, s->conn,
        "SELECT pid, coalesce(datname, ''), coalesce(usename, ''), coalesce(state, ''), "
        "date_trunc('second', now() - xact_start)::text "
        "FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() "
        "ORDER BY xact_start",
        0, NULL, PGRES_TUPLES_OK, "read the open transactions", err);
    if (!res)
        return SLUICE_FATAL;
    sluice_status st = SLUICE_OK;
    for (int i = 0; st == SLUICE_OK && i < PQntuples(res); i++) {
        const char *pid = PQgetvalue(res, i, 0);
        s->host->error(err, SLUICE_OK, "transaction of process %s has been open for %s", pid,
                       PQgetvalue(res, i, 4));
        s->host->error_detail(err, "Process %s (user \"%s\", database \"%s\", state \"%s\") "
                                   "holds a transaction id. Creating the replication slot waits "
                                   "until every such transaction has ended, so the run cannot "
                                   "start before this one does.",
                              pid, PQgetvalue(res, i, 2), PQgetvalue(res, i, 1),
                              PQgetvalue(res, i, 3));
        s->host->error_hint(err, "Let it finish, or end it with SELECT pg_terminate_backend(%s).",
                            pid);
        st = pg_report(s, out, SLUICE_SEVERITY_WARNING, NULL, err);
    }
    PQclear(res);
    return st;
}

/* Other slots and the WAL they keep: an inactive one keeps it until it is dropped. */
static sluice_status other_slots(pgsrc *s, sluice_findings *out, sluice_error *err)
{
    const char *params[] = {s->slot};
    PGresult *res = pg_exec(
        s, s->conn,
        "SELECT slot_name, slot_type, coalesce(database, ''), active, "
        "coalesce(((CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
        "  ELSE pg_current_wal_lsn() END) - restart_lsn)::bigint, 0), "
        "pg_size_pretty(coalesce((CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
        "  ELSE pg_current_wal_lsn() END) - restart_lsn, 0)) "
        "FROM pg_replication_slots WHERE slot_name <> $1 AND NOT temporary ORDER BY 1",
        1, params, PGRES_TUPLES_OK, "read the replication slots", err);
    if (!res)
        return SLUICE_FATAL;
    sluice_status st = SLUICE_OK;
    for (int i = 0; st == SLUICE_OK && i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 0), *size = PQgetvalue(res, i, 5);
        int active = PQgetvalue(res, i, 3)[0] == 't';
        s->host->error(err, SLUICE_OK, "%s replication slot \"%s\" retains %s of WAL",
                       active ? "active" : "inactive", name, size);
        s->host->error_detail(err, "A %s slot%s%s%s on server \"%s\" keeps %s bytes of WAL%s.",
                              PQgetvalue(res, i, 1), PQgetvalue(res, i, 2)[0] ? " of database \""
                                                                              : "",
                              PQgetvalue(res, i, 2), PQgetvalue(res, i, 2)[0] ? "\"" : "",
                              s->server, PQgetvalue(res, i, 4),
                              active ? "" : ", and more as the server writes, while nothing "
                                            "reads from it; it also uses one of the "
                                            "max_replication_slots");
        if (!active)
            s->host->error_hint(err, "If nothing needs it any more, drop it with SELECT "
                                     "pg_drop_replication_slot('%s').",
                                name);
        st = pg_report(s, out, active ? SLUICE_SEVERITY_INFO : SLUICE_SEVERITY_WARNING, NULL,
                       err);
    }
    PQclear(res);
    return st;
}

sluice_status pg_check_select(pgsrc *s, sluice_findings *out, sluice_error *err)
{
    PGresult *res = with_oids(s,
                              "SELECT n.nspname, c.relname, current_user FROM pg_class c "
                              "JOIN pg_namespace n ON n.oid = c.relnamespace "
                              "WHERE c.oid = ANY ($1::oid[]) AND NOT has_table_privilege(c.oid, "
                              "'SELECT') ORDER BY 1, 2",
                              "read the tables' privileges", err);
    if (!res)
        return SLUICE_FATAL;
    sluice_status st = SLUICE_OK;
    for (int i = 0; st == SLUICE_OK && i < PQntuples(res); i++) {
        char name[420], *qs = pg_quote_ident(PQgetvalue(res, i, 0), strlen(PQgetvalue(res, i, 0))),
                        *qt = pg_quote_ident(PQgetvalue(res, i, 1), strlen(PQgetvalue(res, i, 1)));
        snprintf(name, sizeof name, "%s.%s", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
        s->host->error(err, SLUICE_FATAL, "role \"%s\" may not read table \"%s\"",
                       PQgetvalue(res, i, 2), name);
        s->host->error_detail(err, "The full load reads every selected table with COPY, which "
                                   "needs the SELECT privilege.");
        s->host->error_hint(err, "Run GRANT SELECT ON %s.%s TO %s, or leave the table out of "
                                 "the selection.",
                            qs ? qs : "?", qt ? qt : "?", PQgetvalue(res, i, 2));
        free(qs);
        free(qt);
        st = pg_report(s, out, SLUICE_SEVERITY_BLOCKING, name, err);
    }
    PQclear(res);
    return st;
}

/* The five largest selected tables (a partitioned one with all its partitions). */
static sluice_status largest_tables(pgsrc *s, sluice_findings *out, sluice_error *err)
{
    PGresult *res = with_oids(
        s,
        "SELECT n.nspname, c.relname, pg_size_pretty(z.bytes), z.nrows, z.unknown "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, LATERAL "
        "(SELECT sum(pg_total_relation_size(p.oid))::bigint AS bytes, "
        "   sum(greatest(p.reltuples, 0))::bigint AS nrows, "
        "   coalesce(bool_or(p.reltuples < 0 AND p.relkind = 'r'), false) AS unknown "
        "   FROM pg_class p WHERE p.oid = c.oid "
        "   OR p.oid IN (SELECT t.relid FROM pg_partition_tree(c.oid) t)) z "
        "WHERE c.oid = ANY ($1::oid[]) ORDER BY z.bytes DESC, 1, 2 LIMIT 5",
        "read the tables' sizes", err);
    if (!res)
        return SLUICE_FATAL;
    sluice_status st = SLUICE_OK;
    for (int i = 0; st == SLUICE_OK && i < PQntuples(res); i++) {
        char name[420];
        snprintf(name, sizeof name, "%s.%s", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
        s->host->error(err, SLUICE_OK, "table \"%s\" takes %s", name, PQgetvalue(res, i, 2));
        if (PQgetvalue(res, i, 4)[0] == 't')
            s->host->error_detail(err, "Size number %d of the selected tables, with indexes and "
                                       "TOAST. It was never analyzed, so its row count is "
                                       "unknown.",
                                  i + 1);
        else
            s->host->error_detail(err, "Size number %d of the selected tables, with indexes and "
                                       "TOAST; about %s rows.",
                                  i + 1, PQgetvalue(res, i, 3));
        st = pg_report(s, out, SLUICE_SEVERITY_INFO, name, err);
    }
    PQclear(res);
    return st;
}

/* Columns whose values may be large (text, bytea, json, jsonb, xml, unbounded
   varchar), of the largest tables first: average and largest of a sample. */
static const char lob_sql[] =
    "SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), "
    "  c.reltuples::bigint "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
    "JOIN pg_type t ON t.oid = a.atttypid "
    "WHERE c.oid = ANY ($1::oid[]) AND c.relkind = 'r' AND has_table_privilege(c.oid, 'SELECT') "
    "  AND (t.typname IN ('text', 'bytea', 'json', 'jsonb', 'xml') "
    "       OR (t.typname = 'varchar' AND a.atttypmod < 0)) "
    "ORDER BY pg_total_relation_size(c.oid) DESC, 1, 2, a.attnum LIMIT 100";

static sluice_status lob_column(pgsrc *s, PGresult *cols, int i, sluice_findings *out,
                                sluice_error *err)
{
    const char *schema = PQgetvalue(cols, i, 0), *table = PQgetvalue(cols, i, 1),
               *column = PQgetvalue(cols, i, 2);
    sbuf q = {0};
    sb_printf(&q, "SELECT coalesce(avg(pg_column_size(x.v)), 0)::bigint, "
                    "coalesce(max(pg_column_size(x.v)), 0), count(x.v), "
                    "pg_size_pretty(coalesce(avg(pg_column_size(x.v)), 0)::bigint "
                    "* greatest($1::bigint, 0)), "
                    "pg_size_pretty(coalesce(max(pg_column_size(x.v)), 0)::bigint) FROM (SELECT ");
    pg_buf_ident(&q, column, strlen(column));
    sb_put(&q, " AS v FROM ", 11);
    pg_buf_ident(&q, schema, strlen(schema));
    sb_put(&q, ".", 1);
    pg_buf_ident(&q, table, strlen(table));
    sb_printf(&q, " LIMIT %d) x", LOB_SAMPLE_ROWS);
    char *sql = sb_take(&q);
    if (!sql)
        return pg_oom(s, err);
    const char *params[] = {PQgetvalue(cols, i, 4)};
    PGresult *res = pg_exec(s, s->conn, sql, 1, params, PGRES_TUPLES_OK,
                            "sample a column's value sizes", err);
    free(sql);
    if (!res)
        return SLUICE_FATAL;
    sluice_status st = SLUICE_OK;
    if (strtoll(PQgetvalue(res, 0, 2), NULL, 10) > 0) {
        char name[420];
        snprintf(name, sizeof name, "%s.%s", schema, table);
        s->host->error(err, SLUICE_OK, "column \"%s\" of table \"%s\" (%s) holds values of %s "
                                       "bytes on average",
                       column, name, PQgetvalue(cols, i, 3), PQgetvalue(res, 0, 0));
        if (PQgetvalue(cols, i, 4)[0] == '-') /* reltuples -1: never analyzed */
            s->host->error_detail(err, "Sizes as stored (after compression). Of %s sampled "
                                       "values the largest takes %s; the table was never "
                                       "analyzed, so its row count is unknown.",
                                  PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 4));
        else
            s->host->error_detail(err, "Sizes as stored (after compression). Of %s sampled "
                                       "values the largest takes %s; with about %s rows the "
                                       "column holds about %s.",
                                  PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 4),
                                  PQgetvalue(cols, i, 4), PQgetvalue(res, 0, 3));
        st = pg_report(s, out, SLUICE_SEVERITY_INFO, name, err);
    }
    PQclear(res);
    return st;
}

static sluice_status large_values(pgsrc *s, sluice_findings *out, sluice_error *err)
{
    PGresult *cols = with_oids(s, lob_sql, "read the large-value columns", err);
    if (!cols)
        return SLUICE_FATAL;
    sluice_status st = SLUICE_OK;
    for (int i = 0; st == SLUICE_OK && i < PQntuples(cols); i++)
        st = lob_column(s, cols, i, out, err);
    PQclear(cols);
    return st;
}

sluice_status pg_check(void *instance, sluice_findings *out, sluice_error *err)
{
    pgsrc *s = instance;
    const char *mode = pg_mode(s);
    int cdc = !mode || strcmp(mode, "full-load") != 0;
    int slot_exists = 0;
    sluice_status st = server_info(s, cdc, out, err);
    if (st == SLUICE_OK && cdc)
        st = own_slot(s, &slot_exists, out, err);
    if (st == SLUICE_OK && cdc)
        st = pg_check_cdc(s, slot_exists ? 0 : 1, out, err);
    if (st == SLUICE_OK && cdc && !slot_exists)
        st = open_transactions(s, out, err);
    if (st == SLUICE_OK && cdc)
        st = other_slots(s, out, err);
    if (st == SLUICE_OK && !cdc) /* in the change-capture modes pg_check_cdc did */
        st = pg_check_select(s, out, err);
    if (st == SLUICE_OK)
        st = largest_tables(s, out, err);
    if (st == SLUICE_OK)
        st = large_values(s, out, err);
    return st;
}
