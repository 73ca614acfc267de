/*
 * Secondary indexes (ABI 1.2), built after the load.
 *
 * prepare_table runs on the main instance; the chunks are loaded by lane
 * instances, and table_loaded runs on whichever of them finished the table's
 * last chunk. So the plan travels through the target: when prepare_table
 * creates a table (DROP_AND_CREATE, or a table that was missing), it records
 * the table's CREATE INDEX statements in the pending-index table, in the same
 * transaction as the CREATE TABLE; table_loaded runs them and deletes them, in
 * one transaction. A table that DO_NOTHING or TRUNCATE_BEFORE_LOAD kept gets
 * no index from sluice, and a crash between the two leaves the plan for the
 * next run, which reloads the table and then builds its indexes once.
 *
 * Which statement: a PostgreSQL definition (pg_get_indexdef) moved onto the
 * target table when the table keeps its source name (a transform did not
 * rename it; the schema option only moves it) and its key columns exist;
 * else, for an index of plain key columns, CREATE INDEX on those columns;
 * else the index is left out with a warning.
 */
#include <stdlib.h>
#include <string.h>

#include "indexdef.h"
#include "sinkpg.h"
#include "sqltext.h"

#define PENDING_TABLE "sluice_pending_index"

static int same_str(sluice_str a, sluice_str b)
{
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

static int has_column(const sluice_table *t, sluice_str name)
{
    for (uint32_t i = 0; i < t->ncolumns; i++)
        if (same_str(sluice_table_column(t, i)->name, name))
            return 1;
    return 0;
}

/* The first key column the table lacks, or NULL. */
static const sluice_str *missing_column(const sluice_table *t, const sluice_index *ix)
{
    for (uint32_t i = 0; i < ix->ncolumns; i++)
        if (ix->columns[i].len && !has_column(t, ix->columns[i]))
            return &ix->columns[i];
    return NULL;
}

/* The index's statement into out; 0, or -1 after a warning saying why it is left out. */
static int index_statement(sinkpg *s, const sp_table *tt, const sluice_table *t,
                           const sluice_index *ix, sbuf *out)
{
    const char *why;
    const sluice_str *gone = missing_column(t, ix);
    indexdef d;
    sb_reset(out);
    if (gone) {
        s->host->log(s->ctx, SLUICE_LOG_WARNING,
                     "index \"%.*s\" of table \"%s\" is not built at the target: its key column "
                     "\"%.*s\" is not in the target table",
                     (int)ix->name.len, ix->name.ptr, tt->display, (int)gone->len, gone->ptr);
        return -1;
    }
    if (indexdef_parse(ix->source_definition, &d) == 0 &&
        indexdef_ident_is(d.schema, t->schema) && indexdef_ident_is(d.table, t->name))
        return indexdef_rewrite(out, &d, ix->name, tt->qname);
    if (ix->flags & (SLUICE_INDEX_EXPRESSION | SLUICE_INDEX_PARTIAL))
        why = ix->source_definition.len
                  ? "it has expressions or a predicate, and the table was renamed"
                  : "it has expressions or a predicate, and the source gave no definition";
    else if (indexdef_from_columns(out, ix, tt->qname) == 0)
        return 0;
    else
        why = "its access method or key columns cannot be written for PostgreSQL";
    s->host->log(s->ctx, SLUICE_LOG_WARNING,
                 "index \"%.*s\" of table \"%s\" is not built at the target: %s",
                 (int)ix->name.len, ix->name.ptr, tt->display, why);
    return -1;
}

static sluice_status pending_qname(sinkpg *s, sbuf *q, sluice_error *err)
{
    sql_put_qualified(q, s->ck_schema, strlen(s->ck_schema), PENDING_TABLE,
                      strlen(PENDING_TABLE));
    return sb_cstr(q) ? SLUICE_OK : sp_oom(s, err);
}

/* 1 when the pending-index table exists, 0 when not, -1 with err set. */
static int pending_exists(sinkpg *s, const char *qname, sluice_error *err)
{
    PGresult *res = sp_query(s, err, SLUICE_ERROR,
                             "SELECT pg_catalog.to_regclass($1) IS NOT NULL", 1, &qname,
                             "could not look up the pending-index table");
    if (!res)
        return -1;
    int exists = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return exists;
}

sluice_status sp_indexes_record(sinkpg *s, const sp_table *tt, const sluice_table *t,
                                sluice_error *err)
{
    sbuf q = {0}, sql = {0}, stmt = {0};
    sluice_status st = pending_qname(s, &q, err);
    uint32_t n = sluice_table_nindexes(t), planned = 0;
    int exists = st == SLUICE_OK ? pending_exists(s, q.data, err) : -1;
    if (exists < 0)
        st = err->status;
    if (st == SLUICE_OK && n > 0 && !exists) {
        st = sp_ensure_schema(s, s->ck_schema, SLUICE_ERROR, err);
        sb_printf(&sql, "CREATE TABLE IF NOT EXISTS %s (table_schema text NOT NULL, "
                        "table_name text NOT NULL, index_name text NOT NULL, statement text "
                        "NOT NULL, PRIMARY KEY (table_schema, table_name, index_name))",
                  q.data);
        if (st == SLUICE_OK)
            st = sb_cstr(&sql) ? sp_command(s, err, SLUICE_ERROR, sql.data,
                                            "could not create the pending-index table")
                               : sp_oom(s, err);
        exists = st == SLUICE_OK;
    }
    const char *params[4] = {tt->schema, tt->name, NULL, NULL};
    if (st == SLUICE_OK && exists) { /* a plan from an earlier creation is out of date */
        sb_reset(&sql);
        sb_printf(&sql, "DELETE FROM %s WHERE table_schema = $1 AND table_name = $2", q.data);
        PGresult *res = sb_cstr(&sql) ? sp_query(s, err, SLUICE_ERROR, sql.data, 2, params,
                                                 "could not clear the pending-index table")
                                      : NULL;
        st = res ? SLUICE_OK : sql.failed ? sp_oom(s, err) : err->status;
        PQclear(res);
    }
    sb_reset(&sql);
    sb_printf(&sql, "INSERT INTO %s VALUES ($1, $2, $3, $4)", q.data);
    for (uint32_t i = 0; i < n && st == SLUICE_OK; i++) {
        const sluice_index *ix = sluice_table_index(t, i);
        if (index_statement(s, tt, t, ix, &stmt) != 0)
            continue;
        char *name = strndup(ix->name.ptr, ix->name.len);
        params[2] = name;
        params[3] = sb_cstr(&stmt);
        PGresult *res = name && params[3] && sb_cstr(&sql)
                            ? sp_query(s, err, SLUICE_ERROR, sql.data, 4, params,
                                       "could not record an index to build")
                            : NULL;
        st = res ? SLUICE_OK : (!name || !params[3] || sql.failed) ? sp_oom(s, err) : err->status;
        PQclear(res);
        free(name);
        planned++;
    }
    if (st == SLUICE_OK && planned)
        s->host->log(s->ctx, SLUICE_LOG_DEBUG, "table \"%s\": %u indexes to build after the load",
                     tt->display, planned);
    sb_free(&q);
    sb_free(&sql);
    sb_free(&stmt);
    return st;
}

/* Runs the table's pending statements and forgets them; inside the open transaction. */
static sluice_status build(sinkpg *s, const sp_table *tt, const char *qname, sluice_error *err)
{
    sbuf sql = {0};
    const char *params[2] = {tt->schema, tt->name};
    sb_printf(&sql, "SELECT index_name, statement FROM %s WHERE table_schema = $1 AND "
                    "table_name = $2 ORDER BY index_name FOR UPDATE",
              qname);
    PGresult *res = sb_cstr(&sql) ? sp_query(s, err, SLUICE_ERROR, sql.data, 2, params,
                                             "could not read the pending-index table")
                                  : NULL;
    sluice_status st = res ? SLUICE_OK : sql.failed ? sp_oom(s, err) : err->status;
    for (int r = 0; res && r < PQntuples(res) && st == SLUICE_OK; r++) {
        char what[400];
        snprintf(what, sizeof what, "could not create index \"%s\" on table \"%s\"",
                 PQgetvalue(res, r, 0), tt->display);
        int64_t started = sp_now_us();
        st = sp_command(s, err, SLUICE_ERROR, PQgetvalue(res, r, 1), what);
        if (st == SLUICE_OK)
            s->host->log(s->ctx, SLUICE_LOG_INFO, "built index \"%s\" on table \"%s\" in %.1f s",
                         PQgetvalue(res, r, 0), tt->display,
                         (double)(sp_now_us() - started) / 1e6);
    }
    PQclear(res);
    sb_reset(&sql);
    sb_printf(&sql, "DELETE FROM %s WHERE table_schema = $1 AND table_name = $2", qname);
    if (st == SLUICE_OK) {
        res = sb_cstr(&sql) ? sp_query(s, err, SLUICE_ERROR, sql.data, 2, params,
                                       "could not clear the pending-index table")
                            : NULL;
        st = res ? SLUICE_OK : sql.failed ? sp_oom(s, err) : err->status;
        PQclear(res);
    }
    sb_free(&sql);
    return st;
}

sluice_status sp_table_loaded(sinkpg *s, const sluice_table *t, sluice_error *err)
{
    if (s->txn_open || s->copy_table) {
        s->host->error(err, SLUICE_FATAL, "cannot build indexes while rows are being written");
        s->host->error_detail(err, "A COPY or a target transaction is open on this instance.");
        return SLUICE_FATAL;
    }
    sluice_status st = sp_ensure_connected(s, err);
    sp_table *tt = st == SLUICE_OK ? sp_table_for(s, t, err) : NULL;
    if (!tt)
        return err->status;
    sbuf q = {0};
    if ((st = pending_qname(s, &q, err)) != SLUICE_OK)
        return st;
    int exists = pending_exists(s, q.data, err);
    if (exists <= 0) {
        sb_free(&q);
        return exists < 0 ? err->status : SLUICE_OK; /* no table was created with indexes */
    }
    st = sp_command(s, err, SLUICE_ERROR, "BEGIN", "could not begin a transaction");
    if (st == SLUICE_OK)
        st = build(s, tt, q.data, err);
    if (st == SLUICE_OK)
        st = sp_command(s, err, SLUICE_ERROR, "COMMIT", "could not commit the new indexes");
    else if (!sp_connection_lost(s))
        PQclear(PQexec(s->conn, "ROLLBACK"));
    sb_free(&q);
    return st;
}

sluice_status sp_indexes_cleanup(sinkpg *s, sluice_error *err)
{
    sbuf q = {0}, sql = {0};
    sluice_status st = pending_qname(s, &q, err);
    if (st == SLUICE_OK) {
        sb_printf(&sql, "DROP TABLE IF EXISTS %s", q.data);
        st = sb_cstr(&sql) ? sp_command(s, err, SLUICE_ERROR, sql.data,
                                        "could not drop the pending-index table")
                           : sp_oom(s, err);
    }
    sb_free(&q);
    sb_free(&sql);
    return st;
}
