/*
 * Prerequisites of change capture, each its own finding with what, where and
 * how to fix it. One code path for two callers: opening the change stream
 * (snapshot_begin, stream_start: out is NULL, and the first blocking finding
 * stops it as an error, before sluice creates anything on the server, so a
 * failed check leaves no slot or publication behind) and `sluice check`
 * (check.c: out is the host's list, and every finding goes there).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_pg.h"

/* A name as the user would type it in SQL: quoted only when it must be. */
static void sql_name(const char *name, char *buf, size_t size)
{
    int plain = (name[0] >= 'a' && name[0] <= 'z') || name[0] == '_';
    for (const char *p = name; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
    if (plain) {
        snprintf(buf, size, "%s", name);
        return;
    }
    char *q = pg_quote_ident(name, strlen(name));
    snprintf(buf, size, "%s", q ? q : name);
    free(q);
}

/* schema.table for SQL in a hint. */
static void sql_table(const char *schema, const char *table, char *buf, size_t size)
{
    char a[200], b[200];
    sql_name(schema, a, sizeof a);
    sql_name(table, b, sizeof b);
    snprintf(buf, size, "%s.%s", a, b);
}

sluice_status pg_report(pgsrc *s, sluice_findings *out, sluice_severity severity,
                        const char *table, sluice_error *err)
{
    if (!out) /* opening: a blocking finding is the error; the others do not stop it */
        return severity == SLUICE_SEVERITY_BLOCKING ? (err->status = SLUICE_FATAL) : SLUICE_OK;
    if (s->host->finding_add(out, severity, table, err) != 0)
        return pg_oom(s, err);
    err->status = SLUICE_OK;
    err->message[0] = err->detail[0] = err->hint[0] = '\0';
    return SLUICE_OK;
}

sluice_status pg_check_wal_level(pgsrc *s, sluice_findings *out, sluice_error *err)
{
    PGresult *res = pg_exec(s, s->conn, "SELECT current_setting('wal_level')", 0, NULL,
                            PGRES_TUPLES_OK, "read wal_level", err);
    if (!res)
        return SLUICE_FATAL;
    const char *level = PQgetvalue(res, 0, 0);
    if (strcmp(level, "logical") == 0) {
        PQclear(res);
        return SLUICE_OK;
    }
    s->host->error(err, SLUICE_FATAL, "logical decoding requires wal_level \"logical\"");
    s->host->error_detail(err, "Server \"%s\" has wal_level \"%s\".", s->server, level);
    s->host->error_hint(err, "Set wal_level = logical in postgresql.conf and restart the server.");
    PQclear(res);
    return pg_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
}

sluice_status pg_check_replication_role(pgsrc *s, sluice_findings *out, sluice_error *err)
{
    PGresult *res = pg_exec(s, s->conn,
                            "SELECT rolreplication OR rolsuper, rolname FROM pg_roles "
                            "WHERE rolname = current_user",
                            0, NULL, PGRES_TUPLES_OK, "read the role's attributes", err);
    if (!res)
        return SLUICE_FATAL;
    if (PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't') {
        PQclear(res);
        return SLUICE_OK;
    }
    const char *role = PQntuples(res) == 1 ? PQgetvalue(res, 0, 1) : PQuser(s->conn);
    char name[200];
    sql_name(role, name, sizeof name);
    s->host->error(err, SLUICE_FATAL, "role \"%s\" lacks the REPLICATION attribute", role);
    s->host->error_detail(err, "Change capture reads the log of server \"%s\" through a "
                               "replication slot, which only superusers and roles with the "
                               "REPLICATION attribute may use.",
                          s->server);
    s->host->error_hint(err, "As a superuser, run ALTER ROLE %s WITH REPLICATION, or connect as "
                             "a role that has it.",
                        name);
    PQclear(res);
    return pg_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
}

sluice_status pg_check_free_slot(pgsrc *s, int needed, sluice_findings *out, sluice_error *err)
{
    PGresult *res = pg_exec(s, s->conn,
                            "SELECT current_setting('max_replication_slots')::int, count(*), "
                            "coalesce(string_agg(slot_name, ', ' ORDER BY slot_name), '') "
                            "FROM pg_replication_slots",
                            0, NULL, PGRES_TUPLES_OK, "count the replication slots", err);
    if (!res)
        return SLUICE_FATAL;
    long max = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    long used = strtol(PQgetvalue(res, 0, 1), NULL, 10);
    if (used + needed <= max) {
        PQclear(res);
        return SLUICE_OK;
    }
    s->host->error(err, SLUICE_FATAL, "all replication slots are in use");
    s->host->error_detail(err, "Server \"%s\" has max_replication_slots = %ld, and %ld slot%s "
                               "exist%s%s%s.",
                          s->server, max, used, used == 1 ? "" : "s", used == 1 ? "s" : "",
                          used ? ": " : "", PQgetvalue(res, 0, 2));
    s->host->error_hint(err, "Drop a slot that is no longer needed with SELECT "
                             "pg_drop_replication_slot('name'), or raise max_replication_slots "
                             "in postgresql.conf and restart the server.");
    PQclear(res);
    return pg_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
}

/* Tables (and leaf partitions) whose changes logical decoding cannot capture fully:
   unlogged, or without a replica identity that names the changed row. */
static const char identity_sql[] =
    "WITH sel AS (SELECT unnest($1::oid[]) AS oid), "
    "rels AS (SELECT oid FROM sel UNION SELECT t.relid FROM sel, pg_partition_tree(sel.oid) t) "
    "SELECT n.nspname, c.relname, c.relpersistence, c.relreplident "
    "FROM rels JOIN pg_class c ON c.oid = rels.oid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'r' AND (c.relpersistence = 'u' OR c.relreplident = 'n' "
    "  OR (c.relreplident = 'd' AND NOT EXISTS "
    "      (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)) "
    "  OR (c.relreplident = 'i' AND NOT EXISTS "
    "      (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident))) "
    "ORDER BY c.relpersistence = 'u' DESC, 1, 2";

static void more_tables(pgsrc *s, PGresult *res, sluice_error *err, const char *first_detail)
{
    int n = PQntuples(res);
    if (n == 1) {
        s->host->error_detail(err, "%s", first_detail);
        return;
    }
    char list[1024];
    size_t len = 0;
    for (int i = 1; i < n && len < sizeof list - 64; i++) {
        int k = snprintf(list + len, sizeof list - len, "%s\"%s.%s\"", i > 1 ? ", " : "",
                         PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
        len += k > 0 ? (size_t)k : 0;
        if (len >= sizeof list) {
            len = sizeof list - 1;
            break;
        }
    }
    s->host->error_detail(err, "%s %d more table%s ha%s the same problem: %s.", first_detail,
                          n - 1, n == 2 ? "" : "s", n == 2 ? "s" : "ve", list);
}

/* The finding for row i of identity_sql; with_more: name the other rows in the detail
   (the open path's one error), else each row is its own finding (sluice check). */
static void identity_finding(pgsrc *s, PGresult *res, int i, int with_more, char *name,
                             size_t size, sluice_error *err)
{
    const char *schema = PQgetvalue(res, i, 0), *table = PQgetvalue(res, i, 1);
    char sql[420], detail[1024];
    sql_table(schema, table, sql, sizeof sql);
    snprintf(name, size, "%s.%s", schema, table);
    if (PQgetvalue(res, i, 2)[0] == 'u') {
        s->host->error(err, SLUICE_FATAL, "cannot capture changes of unlogged table \"%s.%s\"",
                       schema, table);
        snprintf(detail, sizeof detail, "Changes of unlogged tables are not written to the "
                                        "write-ahead log, so logical decoding cannot see them.");
        s->host->error_hint(err, "Run ALTER TABLE %s SET LOGGED, or move the table out of the "
                                 "schemas option.",
                            sql);
    } else {
        char ident = PQgetvalue(res, i, 3)[0];
        s->host->error(err, SLUICE_FATAL, "table \"%s.%s\" has no primary key and no REPLICA "
                                          "IDENTITY FULL",
                       schema, table);
        snprintf(detail, sizeof detail,
                 "Its replica identity is %s, so the log would not say which row an UPDATE or "
                 "DELETE changed, and PostgreSQL refuses those statements on a published table "
                 "without one.",
                 ident == 'n' ? "NOTHING" : ident == 'i' ? "an index that no longer exists"
                                                         : "DEFAULT (the primary key)");
        s->host->error_hint(err, "Add a primary key to the table, or run ALTER TABLE %s REPLICA "
                                 "IDENTITY FULL.",
                            sql);
    }
    if (with_more)
        more_tables(s, res, err, detail);
    else
        s->host->error_detail(err, "%s", detail);
}

sluice_status pg_check_identity(pgsrc *s, sluice_findings *out, sluice_error *err)
{
    char *oids = pg_table_oids(s);
    if (!oids)
        return pg_oom(s, err);
    const char *params[] = {oids};
    PGresult *res = pg_exec(s, s->conn, identity_sql, 1, params, PGRES_TUPLES_OK,
                            "read the tables' replica identity", err);
    free(oids);
    if (!res)
        return SLUICE_FATAL;
    sluice_status st = SLUICE_OK;
    for (int i = 0; st == SLUICE_OK && i < PQntuples(res); i++) {
        char name[420];
        identity_finding(s, res, i, !out, name, sizeof name, err);
        st = pg_report(s, out, SLUICE_SEVERITY_BLOCKING, name, err);
    }
    PQclear(res);
    return st;
}

sluice_status pg_publication_state(pgsrc *s, int *exists, int *ours, sluice_error *err)
{
    const char *params[] = {s->publication};
    PGresult *res = pg_exec(s, s->conn,
                            "SELECT coalesce(obj_description(oid, 'pg_publication'), '') "
                            "LIKE 'created by sluice%' FROM pg_publication WHERE pubname = $1",
                            1, params, PGRES_TUPLES_OK, "look up the publication", err);
    if (!res)
        return SLUICE_FATAL;
    *exists = PQntuples(res) == 1;
    *ours = *exists && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return SLUICE_OK;
}

/* Selected tables the publication leaves out, wholly or partly (row filter, column list). */
static const char uncovered_sql[] =
    "SELECT n.nspname, c.relname, pt.tablename IS NOT NULL "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_publication_tables pt ON pt.pubname = $1 "
    "  AND pt.schemaname = n.nspname AND pt.tablename = c.relname "
    "WHERE c.oid = ANY ($2::oid[]) AND (pt.tablename IS NULL OR pt.rowfilter IS NOT NULL "
    "  OR cardinality(pt.attnames) < (SELECT count(*) FROM pg_attribute a "
    "     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)) "
    "ORDER BY 1, 2";

static sluice_status check_operations(pgsrc *s, sluice_findings *out, sluice_error *err)
{
    const char *params[] = {s->publication};
    PGresult *res = pg_exec(s, s->conn,
                            "SELECT concat_ws(', ', CASE WHEN NOT pubinsert THEN 'insert' END, "
                            "CASE WHEN NOT pubupdate THEN 'update' END, "
                            "CASE WHEN NOT pubdelete THEN 'delete' END, "
                            "CASE WHEN NOT pubtruncate THEN 'truncate' END), pubviaroot "
                            "FROM pg_publication WHERE pubname = $1",
                            1, params, PGRES_TUPLES_OK, "read the publication", err);
    if (!res)
        return SLUICE_FATAL;
    char name[200];
    sql_name(s->publication, name, sizeof name);
    const char *missing = PQntuples(res) ? PQgetvalue(res, 0, 0) : "";
    int viaroot = PQntuples(res) && PQgetvalue(res, 0, 1)[0] == 't';
    int partitioned = 0;
    for (uint32_t i = 0; i < s->ntables; i++)
        partitioned |= s->tables[i].relkind == 'p';
    sluice_status st = SLUICE_OK;
    if (missing[0]) {
        st = s->host->error(err, SLUICE_FATAL, "publication \"%s\" does not publish every kind "
                                               "of change",
                            s->publication);
        s->host->error_detail(err, "It leaves out: %s. Those changes would be lost.", missing);
        s->host->error_hint(err, "Run ALTER PUBLICATION %s SET (publish = 'insert, update, "
                                 "delete, truncate').",
                            name);
    } else if (partitioned && !viaroot) {
        st = s->host->error(err, SLUICE_FATAL, "publication \"%s\" does not publish partitioned "
                                               "tables through their root",
                            s->publication);
        s->host->error_detail(err, "sluice moves a partitioned table as one table, so its "
                                   "changes must arrive under the root table's name.");
        s->host->error_hint(err, "Run ALTER PUBLICATION %s SET (publish_via_partition_root = "
                                 "true).",
                            name);
    }
    PQclear(res);
    return st == SLUICE_OK ? st : pg_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
}

sluice_status pg_check_publication(pgsrc *s, sluice_findings *out, sluice_error *err)
{
    int exists, ours;
    sluice_status st = pg_publication_state(s, &exists, &ours, err);
    if (st != SLUICE_OK || !exists || ours)
        return st; /* ours: pg_ensure_publication adds what is missing */
    if ((st = check_operations(s, out, err)) != SLUICE_OK)
        return st;
    char *oids = pg_table_oids(s);
    if (!oids)
        return pg_oom(s, err);
    const char *params[] = {s->publication, oids};
    PGresult *res = pg_exec(s, s->conn, uncovered_sql, 2, params, PGRES_TUPLES_OK,
                            "read the publication's tables", err);
    free(oids);
    if (!res)
        return SLUICE_FATAL;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return SLUICE_OK;
    }
    const char *schema = PQgetvalue(res, 0, 0), *table = PQgetvalue(res, 0, 1);
    int partly = PQgetvalue(res, 0, 2)[0] == 't';
    char pub[200], sql[420], detail[1024], name[420];
    sql_name(s->publication, pub, sizeof pub);
    sql_table(schema, table, sql, sizeof sql);
    snprintf(name, sizeof name, "%s.%s", schema, table);
    s->host->error(err, SLUICE_FATAL, "publication \"%s\" does not %sinclude table \"%s.%s\"",
                   s->publication, partly ? "fully " : "", schema, table);
    snprintf(detail, sizeof detail,
             "The publication exists and sluice did not create it, so sluice uses it as it is; "
             "%s of the table would be lost.",
             partly ? "the rows or columns its row filter or column list leaves out"
                    : "the changes");
    more_tables(s, res, err, detail);
    if (partly)
        s->host->error_hint(err, "Run ALTER PUBLICATION %s SET TABLE ... without a row filter or "
                                 "column list for %s, or set option publication to a name "
                                 "sluice may create.",
                            pub, sql);
    else
        s->host->error_hint(err, "Run ALTER PUBLICATION %s ADD TABLE %s, or set option "
                                 "publication to a name sluice may create.",
                            pub, sql);
    PQclear(res);
    return pg_report(s, out, SLUICE_SEVERITY_BLOCKING, name, err);
}

sluice_status pg_check_cdc(pgsrc *s, int new_slots, sluice_findings *out, sluice_error *err)
{
    sluice_status st;
    if ((st = pg_check_wal_level(s, out, err)) != SLUICE_OK ||
        (st = pg_check_replication_role(s, out, err)) != SLUICE_OK ||
        (st = pg_check_identity(s, out, err)) != SLUICE_OK ||
        (st = pg_check_publication(s, out, err)) != SLUICE_OK ||
        (st = pg_check_publication_rights(s, out, err)) != SLUICE_OK ||
        (st = pg_check_select(s, out, err)) != SLUICE_OK ||
        (st = pg_check_walsender(s, out, err)) != SLUICE_OK)
        return st;
    return new_slots ? pg_check_free_slot(s, new_slots, out, err) : SLUICE_OK;
}
