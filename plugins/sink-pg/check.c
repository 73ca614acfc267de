/*
 * ABI 1.6 check: what `sluice check` reports about a PostgreSQL target. The
 * server; whether the role may create what the run creates (target schemas
 * and tables, the checkpoint table); what prepare_table would do to the
 * tables that exist (TargetTablePrepMode); a checkpoint the run would resume
 * from. Everything here only reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinkpg.h"
#include "sqltext.h"

static sluice_status report(sinkpg *s, sluice_findings *out, sluice_severity severity,
                            const char *table, sluice_error *err)
{
    if (s->host->finding_add(out, severity, table, err) != 0)
        return sp_oom(s, err);
    return SLUICE_OK;
}

static sluice_status server(sinkpg *s, sluice_findings *out, sluice_error *err)
{
    PGresult *res = sp_query(s, err, SLUICE_FATAL,
                             "SELECT current_setting('server_version'), current_user, "
                             "current_database()",
                             0, NULL, "could not read the target server's version");
    if (!res)
        return err->status;
    char name[300];
    sp_server_name(s, name, sizeof name);
    s->host->error(err, SLUICE_OK, "target server \"%s\" runs PostgreSQL %s", name,
                   PQgetvalue(res, 0, 0));
    s->host->error_detail(err, "Connected as role \"%s\" to database \"%s\".",
                          PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
    PQclear(res);
    return report(s, out, SLUICE_SEVERITY_INFO, NULL, err);
}

/* Creating in a schema needs CREATE on it, or on the database when it must be made. */
static sluice_status schema_rights(sinkpg *s, const char *schema, const char *why,
                                   sluice_findings *out, sluice_error *err)
{
    const char *params[] = {schema};
    PGresult *res = sp_query(
        s, err, SLUICE_FATAL,
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1), "
        "CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) "
        "THEN pg_catalog.has_schema_privilege($1, 'CREATE') "
        "ELSE pg_catalog.has_database_privilege(current_database(), 'CREATE') END, "
        "current_user, current_database()",
        1, params, "could not read the role's privileges at the target");
    if (!res)
        return err->status;
    sluice_status st = SLUICE_OK;
    if (PQgetvalue(res, 0, 1)[0] != 't') {
        int exists = PQgetvalue(res, 0, 0)[0] == 't';
        const char *role = PQgetvalue(res, 0, 2), *db = PQgetvalue(res, 0, 3);
        sbuf q = {0};
        sql_put_ident(&q, exists ? schema : db, strlen(exists ? schema : db));
        s->host->error(err, SLUICE_FATAL, "role \"%s\" cannot create %s", role,
                       exists ? "tables in the target schema" : "the target schema");
        if (exists)
            s->host->error_detail(err, "The run creates %s in schema \"%s\", which needs the "
                                       "CREATE privilege on it.",
                                  why, schema);
        else
            s->host->error_detail(err, "Schema \"%s\" does not exist; the run creates it for "
                                       "%s, which needs the CREATE privilege on database "
                                       "\"%s\".",
                                  schema, why, db);
        s->host->error_hint(err, "Run GRANT CREATE ON %s %s TO %s, or create %s for the role.",
                            exists ? "SCHEMA" : "DATABASE", sb_cstr(&q) ? q.data : "?", role,
                            exists ? "the tables" : "the schema");
        sb_free(&q);
        st = report(s, out, SLUICE_SEVERITY_BLOCKING, schema, err);
    }
    PQclear(res);
    return st;
}

/* Target schemas, each once, in the tables' order. */
static sluice_status target_schemas(sinkpg *s, sluice_findings *out, sluice_error *err)
{
    sluice_status st = SLUICE_OK;
    for (uint32_t i = 0; st == SLUICE_OK && i < s->ntables; i++) {
        int seen = 0;
        for (uint32_t j = 0; j < i && !seen; j++)
            seen = strcmp(s->tables[j]->schema, s->tables[i]->schema) == 0;
        if (!seen)
            st = schema_rights(s, s->tables[i]->schema, "the target tables", out, err);
    }
    return st;
}

static const char table_sql[] =
    "SELECT c.reltuples::bigint, pg_catalog.pg_size_pretty(pg_catalog.pg_total_relation_size("
    "c.oid)), pg_catalog.pg_has_role(c.relowner, 'USAGE'), c.relkind "
    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = $1 AND c.relname = $2";

/* What prepare_table would do to a table that exists. */
static sluice_status existing_table(sinkpg *s, const sp_table *tt, sluice_prep_mode mode,
                                    sluice_findings *out, sluice_error *err)
{
    const char *params[] = {tt->schema, tt->name};
    char what[400];
    snprintf(what, sizeof what, "could not look up table \"%s\"", tt->display);
    PGresult *res = sp_query(s, err, SLUICE_FATAL, table_sql, 2, params, what);
    if (!res)
        return err->status;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return SLUICE_OK;
    }
    char rows[64];
    long long n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    if (n < 0) /* never analyzed */
        snprintf(rows, sizeof rows, "an unknown number of rows (never analyzed)");
    else
        snprintf(rows, sizeof rows, "about %lld row%s", n, n == 1 ? "" : "s");
    int owner = PQgetvalue(res, 0, 2)[0] == 't';
    const char *size = PQgetvalue(res, 0, 1);
    sluice_severity sev = SLUICE_SEVERITY_WARNING;
    if (mode == SLUICE_PREP_DO_NOTHING) {
        sev = SLUICE_SEVERITY_INFO;
        s->host->error(err, SLUICE_OK, "target table \"%s\" exists and is kept", tt->display);
        s->host->error_detail(err, "TargetTablePrepMode is DO_NOTHING: the full load adds its "
                                   "rows to the %s it holds (%s); rows with the same key "
                                   "fail.",
                              rows, size);
    } else if (!owner) {
        sev = SLUICE_SEVERITY_BLOCKING;
        s->host->error(err, SLUICE_FATAL, "cannot %s target table \"%s\": the role does not own "
                                          "it",
                       mode == SLUICE_PREP_TRUNCATE ? "truncate" : "drop", tt->display);
        s->host->error_detail(err, "TargetTablePrepMode is %s, which needs the table's owner.",
                              mode == SLUICE_PREP_TRUNCATE ? "TRUNCATE_BEFORE_LOAD"
                                                           : "DROP_AND_CREATE");
        s->host->error_hint(err, "Connect to the target as the table's owner, or set "
                                 "TargetTablePrepMode = \"DO_NOTHING\".");
    } else {
        int trunc = mode == SLUICE_PREP_TRUNCATE;
        s->host->error(err, SLUICE_OK, "target table \"%s\" exists and would be %s", tt->display,
                       trunc ? "truncated" : "dropped and created again");
        s->host->error_detail(err, "TargetTablePrepMode is %s: the full load first %s, with %s "
                                   "(%s).",
                              trunc ? "TRUNCATE_BEFORE_LOAD" : "DROP_AND_CREATE",
                              trunc ? "empties it" : "drops it", rows, size);
        s->host->error_hint(err, "If its rows must stay, point the target elsewhere (option "
                                 "schema) or set TargetTablePrepMode = \"DO_NOTHING\".");
    }
    PQclear(res);
    return report(s, out, sev, tt->display, err);
}

/* A checkpoint of this pipeline's key: the run continues from it. */
static sluice_status checkpoint(sinkpg *s, sluice_findings *out, sluice_error *err)
{
    char table[300];
    sp_checkpoint_display(s, table, sizeof table);
    int exists = sp_table_exists(s, s->ck_schema, s->ck_name, table, SLUICE_FATAL, err);
    if (exists < 0)
        return err->status;
    if (!exists)
        return schema_rights(s, s->ck_schema, "the checkpoint table", out, err);
    sbuf q = {0};
    sb_printf(&q, "SELECT updated_at::text FROM %s WHERE key = $1", s->ck_qname);
    const char *params[] = {s->ck_key};
    char what[400];
    snprintf(what, sizeof what, "could not read the checkpoint table \"%s\"", table);
    PGresult *res = sb_cstr(&q) ? sp_query(s, err, SLUICE_FATAL, q.data, 1, params, what) : NULL;
    sb_free(&q);
    if (!res)
        return err->status ? err->status : sp_oom(s, err);
    sluice_status st = SLUICE_OK;
    if (PQntuples(res) == 1) {
        s->host->error(err, SLUICE_OK, "the target holds a checkpoint of this pipeline");
        s->host->error_detail(err, "Checkpoint table \"%s\" has key \"%s\", written at %s: "
                                   "change capture resumes from there.",
                              table, s->ck_key, PQgetvalue(res, 0, 0));
        s->host->error_hint(err, "To start afresh, run sluice cleanup first.");
        st = report(s, out, SLUICE_SEVERITY_INFO, NULL, err);
    }
    PQclear(res);
    return st;
}

sluice_status sp_check(sinkpg *s, const sluice_table *const *tables, uint32_t n,
                       sluice_prep_mode mode, sluice_findings *out, sluice_error *err)
{
    sluice_status st = sp_ensure_connected(s, err);
    if (st == SLUICE_OK)
        st = server(s, out, err);
    for (uint32_t i = 0; st == SLUICE_OK && i < n; i++)
        if (!sp_table_for(s, tables[i], err)) /* names only: nothing is sent */
            st = err->status;
    const char *run_mode = s->host->setting ? s->host->setting(s->ctx, "mode") : NULL;
    int loads = !run_mode || strcmp(run_mode, "cdc-only") != 0;
    if (st == SLUICE_OK)
        st = target_schemas(s, out, err);
    for (uint32_t i = 0; st == SLUICE_OK && loads && i < s->ntables; i++)
        st = existing_table(s, s->tables[i], mode, out, err);
    if (st == SLUICE_OK && (!run_mode || strcmp(run_mode, "full-load") != 0))
        st = checkpoint(s, out, err);
    return st;
}
