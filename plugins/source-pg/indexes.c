/*
 * discover, second part (ABI 1.2): the secondary indexes of the selected
 * tables, for a sink that builds them after the load. Left out: the primary
 * key's index (the key travels in the columns' flags); indexes of partitions
 * (a partition is not a table of its own here: the partitioned table's own
 * indexes are the ones that count); invalid indexes (a failed CREATE INDEX
 * CONCURRENTLY, or ON ONLY a partitioned table with partitions not attached);
 * and indexes behind exclusion constraints (the index alone is not the
 * constraint). Each index carries pg_get_indexdef(), which alone says what
 * its expressions, predicate, sort orders and operator classes are.
 */
#include <stdlib.h>
#include <string.h>

#include "source_pg.h"

/* One row per key column: expression keys have no attname. */
static const char indexes_sql[] =
    "SELECT i.indexrelid, i.indrelid, ic.relname, am.amname, i.indisunique, "
    "  i.indexprs IS NOT NULL, i.indpred IS NOT NULL, pg_get_indexdef(i.indexrelid), "
    "  a.attname "
    "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
    "JOIN pg_am am ON am.oid = ic.relam "
    "CROSS JOIN LATERAL generate_series(0, i.indnkeyatts - 1) k(n) "
    "LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k.n] "
    "  AND i.indkey[k.n] <> 0 "
    "WHERE i.indrelid = ANY ($1::oid[]) AND NOT i.indisprimary AND i.indisvalid "
    "  AND NOT i.indisexclusion "
    "ORDER BY i.indrelid, ic.relname, i.indexrelid, k.n";

static sluice_str str_of(const char *s) { return (sluice_str){s, strlen(s)}; }

/* Adds the index of rows [first, first + n) of res (its key columns in order). */
static sluice_status add_index(pgsrc *s, PGresult *res, int first, int n, sluice_str *keys,
                               sluice_error *err)
{
    pg_table *pt = pg_table_by_oid(s, (uint32_t)strtoul(PQgetvalue(res, first, 1), NULL, 10));
    if (!pt)
        return SLUICE_OK; /* not a selected table (cannot happen: the query asks for them) */
    uint32_t flags = (PQgetvalue(res, first, 4)[0] == 't' ? SLUICE_INDEX_UNIQUE : 0) |
                     (PQgetvalue(res, first, 5)[0] == 't' ? SLUICE_INDEX_EXPRESSION : 0) |
                     (PQgetvalue(res, first, 6)[0] == 't' ? SLUICE_INDEX_PARTIAL : 0);
    for (int i = 0; i < n; i++)
        keys[i] = PQgetisnull(res, first + i, 8) ? (sluice_str){"", 0}
                                                 : str_of(PQgetvalue(res, first + i, 8));
    const char *name = PQgetvalue(res, first, 2);
    /* discover's own tables: table_add handed them out writable */
    sluice_table *t = (sluice_table *)pt->table;
    if (s->host->index_add(t, str_of(name), str_of(PQgetvalue(res, first, 3)), flags, keys,
                           (uint32_t)n, str_of(PQgetvalue(res, first, 7))) != 0)
        return s->host->error(err, SLUICE_FATAL, "could not add index \"%s\"", name);
    return SLUICE_OK;
}

sluice_status pg_discover_indexes(pgsrc *s, sluice_error *err)
{
    if (!SLUICE_HAS(s->host, sluice_host, index_add) || s->ntables == 0)
        return SLUICE_OK; /* a core before ABI 1.2 has no place for them */
    char *oids = pg_table_oids(s);
    if (!oids)
        return pg_oom(s, err);
    const char *params[] = {oids};
    PGresult *res = pg_exec(s, s->conn, indexes_sql, 1, params, PGRES_TUPLES_OK,
                            "list the indexes", err);
    free(oids);
    if (!res)
        return SLUICE_FATAL;
    int rows = PQntuples(res);
    sluice_str *keys = calloc(rows ? (size_t)rows : 1, sizeof *keys);
    sluice_status st = keys ? SLUICE_OK : pg_oom(s, err);
    uint32_t count = 0;
    for (int r = 0; r < rows && st == SLUICE_OK;) {
        int first = r;
        while (r < rows && strcmp(PQgetvalue(res, r, 0), PQgetvalue(res, first, 0)) == 0)
            r++;
        st = add_index(s, res, first, r - first, keys, err);
        count++;
    }
    free(keys);
    PQclear(res);
    if (st == SLUICE_OK)
        s->host->log(s->ctx, SLUICE_LOG_DEBUG, "discovered %u secondary indexes", count);
    return st;
}
