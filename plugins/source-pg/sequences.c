/*
 * read_sequences (ABI 1.2): every sequence of the selected schemas, its
 * definition (for a sink that must create it) and its current value. A
 * sequence's value is not transactional: reading it inside the full load's
 * snapshot transaction still gives the value it has now.
 */
#include <stdlib.h>
#include <string.h>

#include "source_pg.h"

static const char sequences_sql[] =
    SCHEMAS_CTE
    "SELECT n.nspname, c.relname, t.typname, q.seqincrement, q.seqmin, q.seqmax, q.seqstart, "
    "  q.seqcycle "
    "FROM pg_sequence q JOIN pg_class c ON c.oid = q.seqrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = q.seqtypid "
    "WHERE n.nspname IN (SELECT nspname FROM s) AND c.relpersistence <> 't' "
    "ORDER BY 1, 2";

/* Values are read this many sequences to a query (UNION ALL). */
#define VALUES_PER_QUERY 200

static sluice_str str_of(const char *s) { return (sluice_str){s, strlen(s)}; }

static sluice_type type_of(const char *typname)
{
    return strcmp(typname, "int2") == 0   ? SLUICE_TYPE_INT16
           : strcmp(typname, "int4") == 0 ? SLUICE_TYPE_INT32
                                          : SLUICE_TYPE_INT64;
}

/* "SELECT 0, last_value, is_called FROM a UNION ALL ..." for rows [first, first + n) of
   defs; the first column says which row (UNION ALL promises no order). */
static char *values_sql(const PGresult *defs, int first, int n)
{
    sbuf b = {0};
    for (int i = first; i < first + n; i++) {
        const char *schema = PQgetvalue(defs, i, 0), *name = PQgetvalue(defs, i, 1);
        sb_printf(&b, "%sSELECT %d, last_value, is_called FROM ",
                  i > first ? " UNION ALL " : "", i - first);
        pg_buf_ident(&b, schema, strlen(schema));
        sb_put(&b, ".", 1);
        pg_buf_ident(&b, name, strlen(name));
    }
    return sb_take(&b);
}

/* Adds rows [first, first + n) of defs with their values. */
static sluice_status add_some(pgsrc *s, sluice_sequence_list *out, const PGresult *defs,
                              int first, int n, sluice_error *err)
{
    char *sql = values_sql(defs, first, n);
    if (!sql)
        return pg_oom(s, err);
    PGresult *vals = pg_exec(s, s->conn, sql, 0, NULL, PGRES_TUPLES_OK,
                             "read the values of the sequences", err);
    free(sql);
    if (!vals) {
        s->host->error_hint(err, "The source user needs the SELECT privilege on every sequence "
                                 "of the selected schemas: GRANT SELECT ON ALL SEQUENCES IN "
                                 "SCHEMA ... TO that user.");
        return SLUICE_FATAL;
    }
    sluice_status st = SLUICE_OK;
    for (int i = 0; i < PQntuples(vals) && st == SLUICE_OK; i++) {
        int d = first + atoi(PQgetvalue(vals, i, 0));
        if (d < first || d >= first + n)
            continue;
        const char *schema = PQgetvalue(defs, d, 0), *name = PQgetvalue(defs, d, 1);
        sluice_sequence *q = s->host->sequence_add(out, str_of(schema), str_of(name),
                                                   strtoll(PQgetvalue(vals, i, 1), NULL, 10),
                                                   PQgetvalue(vals, i, 2)[0] == 't');
        if (!q) {
            st = pg_oom(s, err);
            break;
        }
        q->flags = SLUICE_SEQUENCE_DEFINED |
                   (PQgetvalue(defs, d, 7)[0] == 't' ? SLUICE_SEQUENCE_CYCLE : 0);
        q->type = type_of(PQgetvalue(defs, d, 2));
        q->increment = strtoll(PQgetvalue(defs, d, 3), NULL, 10);
        q->min_value = strtoll(PQgetvalue(defs, d, 4), NULL, 10);
        q->max_value = strtoll(PQgetvalue(defs, d, 5), NULL, 10);
        q->start_value = strtoll(PQgetvalue(defs, d, 6), NULL, 10);
    }
    PQclear(vals);
    return st;
}

sluice_status pg_read_sequences(void *instance, sluice_sequence_list *out, sluice_error *err)
{
    pgsrc *s = instance;
    if (!SLUICE_HAS(s->host, sluice_host, sequence_add))
        return s->host->error(err, SLUICE_FATAL, "sluice has no host function sequence_add");
    const char *params[] = {s->schemas};
    PGresult *defs = pg_exec(s, s->conn, sequences_sql, 1, params, PGRES_TUPLES_OK,
                             "list the sequences", err);
    if (!defs)
        return SLUICE_FATAL;
    sluice_status st = SLUICE_OK;
    int rows = PQntuples(defs);
    for (int first = 0; first < rows && st == SLUICE_OK; first += VALUES_PER_QUERY)
        st = add_some(s, out, defs, first,
                      rows - first < VALUES_PER_QUERY ? rows - first : VALUES_PER_QUERY, err);
    PQclear(defs);
    if (st == SLUICE_OK)
        s->host->log(s->ctx, SLUICE_LOG_DEBUG, "read %d sequences in schemas \"%s\"", rows,
                     s->schemas);
    return st;
}
