/*
 * set_sequences (ABI 1.2): the source's sequence values set at the target
 * with setval(), in one transaction. A sequence the target lacks is created
 * first, with the source's definition when it came with one (type, increment,
 * bounds, start, cycle); the schema option moves sequences like tables.
 * Sequences sink-pg creates are standalone: no column default uses them.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sinkpg.h"
#include "sqltext.h"

static const char relkind_sql[] =
    "SELECT c.relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
    "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2";

static const char *type_name(uint32_t type)
{
    return type == SLUICE_TYPE_INT16 ? "smallint" : type == SLUICE_TYPE_INT32 ? "integer"
                                                                             : "bigint";
}

/* CREATE SEQUENCE for q at qname into sql. */
static void create_sql(sbuf *sql, const char *qname, const sluice_sequence *q)
{
    sb_printf(sql, "CREATE SEQUENCE IF NOT EXISTS %s", qname);
    if (!(q->flags & SLUICE_SEQUENCE_DEFINED))
        return;
    sb_printf(sql,
              " AS %s INCREMENT BY %" PRId64 " MINVALUE %" PRId64 " MAXVALUE %" PRId64
              " START WITH %" PRId64 " %s",
              type_name(q->type), q->increment, q->min_value, q->max_value, q->start_value,
              (q->flags & SLUICE_SEQUENCE_CYCLE) ? "CYCLE" : "NO CYCLE");
}

/* Sets one sequence (creating it when missing); inside the open transaction. */
static sluice_status set_one(sinkpg *s, const sluice_sequence *q, int *created,
                             sluice_error *err)
{
    sluice_str schema = s->schema ? (sluice_str){s->schema, strlen(s->schema)} : q->schema;
    char *nsp = strndup(schema.ptr, schema.len), *name = strndup(q->name.ptr, q->name.len);
    sbuf qname = {0}, display = {0}, sql = {0};
    sluice_status st = SLUICE_OK;
    if (!nsp || !name)
        st = sp_oom(s, err);
    else if (strlen(nsp) != schema.len || strlen(name) != q->name.len)
        st = s->host->error(err, SLUICE_ERROR, "cannot name a sequence \"%s.%s\" at the target",
                            nsp, name); /* a NUL byte: PostgreSQL names cannot hold one */
    if (st == SLUICE_OK) {
        sql_put_qualified(&qname, nsp, strlen(nsp), name, strlen(name));
        sb_printf(&display, "%s.%s", nsp, name);
        if (!sb_cstr(&qname) || !sb_cstr(&display))
            st = sp_oom(s, err);
    }
    char what[600];
    PGresult *res = NULL;
    if (st == SLUICE_OK) {
        const char *params[2] = {nsp, name};
        snprintf(what, sizeof what, "could not look up sequence \"%s\"", display.data);
        res = sp_query(s, err, SLUICE_ERROR, relkind_sql, 2, params, what);
        st = res ? SLUICE_OK : err->status;
    }
    if (st == SLUICE_OK && PQntuples(res) > 0 && PQgetvalue(res, 0, 0)[0] != 'S') {
        s->host->error(err, SLUICE_ERROR, "cannot set sequence \"%s\": it is not a sequence at "
                                          "the target", display.data);
        s->host->error_detail(err, "The target has a relation of that name of another kind.");
        s->host->error_hint(err, "Rename or drop the target's relation, or set this sequence "
                                 "by hand.");
        st = SLUICE_ERROR;
    } else if (st == SLUICE_OK && PQntuples(res) == 0) {
        st = sp_ensure_schema(s, nsp, SLUICE_ERROR, err);
        create_sql(&sql, qname.data, q);
        snprintf(what, sizeof what, "could not create sequence \"%s\"", display.data);
        if (st == SLUICE_OK)
            st = sb_cstr(&sql) ? sp_command(s, err, SLUICE_ERROR, sql.data, what) : sp_oom(s, err);
        if (st == SLUICE_OK) {
            s->host->log(s->ctx, SLUICE_LOG_INFO, "created sequence \"%s\"", display.data);
            (*created)++;
        }
    }
    PQclear(res);
    if (st == SLUICE_OK) {
        char value[32];
        snprintf(value, sizeof value, "%" PRId64, q->last_value);
        const char *params[3] = {qname.data, value, q->is_called ? "true" : "false"};
        snprintf(what, sizeof what, "could not set sequence \"%s\" to %s", display.data, value);
        res = sp_query(s, err, SLUICE_ERROR,
                       "SELECT pg_catalog.setval($1::regclass, $2::bigint, $3::boolean)", 3,
                       params, what);
        st = res ? SLUICE_OK : err->status;
        PQclear(res);
    }
    free(nsp);
    free(name);
    sb_free(&qname);
    sb_free(&display);
    sb_free(&sql);
    return st;
}

sluice_status sp_set_sequences(sinkpg *s, const sluice_sequence *seqs, uint32_t n,
                               uint32_t sequence_size, sluice_error *err)
{
    if (s->txn_open || s->copy_table) {
        s->host->error(err, SLUICE_FATAL, "cannot set sequences while rows are being written");
        s->host->error_detail(err, "A COPY or a target transaction is open on this instance.");
        return SLUICE_FATAL;
    }
    sluice_status st = sp_ensure_connected(s, err);
    if (st == SLUICE_OK)
        st = sp_command(s, err, SLUICE_ERROR, "BEGIN", "could not begin a transaction");
    int created = 0;
    for (uint32_t i = 0; i < n && st == SLUICE_OK; i++)
        st = set_one(s, sluice_sequence_at(seqs, sequence_size, i), &created, err);
    if (st == SLUICE_OK)
        st = sp_command(s, err, SLUICE_ERROR, "COMMIT", "could not commit the sequences");
    else if (!sp_connection_lost(s))
        PQclear(PQexec(s->conn, "ROLLBACK"));
    if (st == SLUICE_OK)
        s->host->log(s->ctx, SLUICE_LOG_INFO, "set %u sequences (%d created)", n, created);
    return st;
}
