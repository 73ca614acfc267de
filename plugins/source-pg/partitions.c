/*
 * ABI 1.4 partitions: the partitions of a declaratively partitioned table
 * (pg_partition_tree, every level), named as a user names them in DMS
 * partitions-list (the relation's name, schema-qualified when it lives in
 * another schema than its table), and what a chunk limited to some of them
 * reads. A leaf is read with ONLY; a sub-partitioned partition (which has no
 * rows of its own) whole, with its sub-partitions.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_pg.h"

/* The tree below table $1 with each relation's name and FROM item. */
#define TREE_CTE                                                                             \
    "WITH r AS (SELECT oid, relnamespace FROM pg_class WHERE oid = $1::oid), "               \
    "t AS (SELECT p.relid, p.parentrelid, p.isleaf, p.level, "                               \
    "  CASE WHEN c.relnamespace = r.relnamespace THEN c.relname::text "                      \
    "       ELSE n.nspname || '.' || c.relname END AS name, "                                \
    "  format('%s%I.%I', CASE WHEN c.relkind = 'p' THEN '' ELSE 'ONLY ' END, n.nspname, "    \
    "         c.relname) AS from_item "                                                      \
    "  FROM r CROSS JOIN LATERAL pg_partition_tree(r.oid) p "                                \
    "  JOIN pg_class c ON c.oid = p.relid JOIN pg_namespace n ON n.oid = c.relnamespace) "

static const char list_sql[] =
    TREE_CTE "SELECT t.name, CASE WHEN t.level = 1 THEN '' ELSE coalesce(q.name, '') END, "
             "  t.isleaf "
             "FROM t LEFT JOIN t q ON q.relid = t.parentrelid "
             "WHERE t.level > 0 ORDER BY t.level, t.name";

static const char from_sql[] = TREE_CTE "SELECT from_item FROM t WHERE level > 0 AND name = $2";

sluice_status pg_list_partitions(void *instance, const sluice_table *table,
                                 sluice_partition_list *out, sluice_error *err)
{
    pgsrc *s = instance;
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRIu64, table->source_id);
    const char *params[] = {oid};
    PGresult *res = pg_exec(s, s->conn, list_sql, 1, params, PGRES_TUPLES_OK,
                            "list the table's partitions", err);
    if (!res)
        return SLUICE_FATAL;
    sluice_status st = SLUICE_OK;
    for (int i = 0; i < PQntuples(res) && st == SLUICE_OK; i++) {
        const char *name = PQgetvalue(res, i, 0), *parent = PQgetvalue(res, i, 1);
        uint32_t flags = PQgetvalue(res, i, 2)[0] == 't' ? SLUICE_PARTITION_LEAF : 0;
        if (s->host->partition_add(out, (sluice_str){name, strlen(name)},
                                   (sluice_str){parent, strlen(parent)}, flags) != 0)
            st = pg_oom(s, err);
    }
    PQclear(res);
    return st;
}

void pg_free_strings(char **v, uint32_t n)
{
    for (uint32_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

sluice_status pg_partition_from(pgsrc *s, const sluice_chunk *chunk, char ***items, uint32_t *n,
                                sluice_error *err)
{
    uint32_t np;
    const sluice_str *parts = sluice_chunk_partitions(chunk, &np);
    *items = NULL;
    *n = 0;
    char **v = calloc(np ? np : 1, sizeof *v);
    if (!v)
        return pg_oom(s, err);
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRIu64, chunk->table->source_id);
    for (uint32_t i = 0; i < np; i++) {
        char *name = strndup(parts[i].ptr, parts[i].len);
        const char *params[] = {oid, name};
        PGresult *res = name ? pg_exec(s, s->conn, from_sql, 2, params, PGRES_TUPLES_OK,
                                       "look up a partition", err)
                             : NULL;
        int found = res && PQntuples(res) == 1;
        if (found && !(v[i] = strdup(PQgetvalue(res, 0, 0))))
            found = 0, pg_oom(s, err);
        else if (res && !found)
            s->host->error(err, SLUICE_FATAL,
                           "partition \"%s\" of table \"%.*s.%.*s\" does not exist", name,
                           (int)chunk->table->schema.len, chunk->table->schema.ptr,
                           (int)chunk->table->name.len, chunk->table->name.ptr);
        else if (!name)
            pg_oom(s, err);
        if (res && !found && PQntuples(res) == 0)
            s->host->error_detail(err, "It was a partition when the full load was planned; it "
                                       "was detached or dropped since.");
        PQclear(res);
        free(name);
        if (!found) {
            pg_free_strings(v, np);
            return SLUICE_FATAL;
        }
    }
    *items = v;
    *n = np;
    return SLUICE_OK;
}
