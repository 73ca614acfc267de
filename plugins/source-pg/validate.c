/*
 * ABI 1.6, for `sluice validate`: validate_bounds cuts a table into chunks by
 * its primary key (the key of every n-th row, read from the key's index), and
 * validate_hash counts and hashes a chunk's rows in the database, so the rows
 * themselves never cross the network. The hash is SLUICE_HASH_PG_ROW_TEXT:
 * the sum of hashtextextended() of each row's text, ROW(columns)::text, under
 * the output settings every connection of ours sets (conn.c), which sink-pg
 * computes the same way at the target.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "source_pg.h"

/* " FROM ONLY "s"."t"" (a partitioned table's partitions: without ONLY), as read_chunk
   reads it; 0 with err set, or when a chunk of several partitions needs a UNION. */
static int from_table(pgsrc *s, sbuf *b, const sluice_chunk *chunk, sluice_error *err)
{
    char **from;
    uint32_t n;
    if (pg_chunk_from(s, chunk, &from, &n, err) != SLUICE_OK)
        return 0;
    if (n == 1)
        sb_printf(b, " FROM %s", from[0]);
    pg_free_strings(from, n);
    return n == 1;
}

/* "k1", "k2": the key columns in table order; 0 when the table has none. */
static uint32_t key_list(sbuf *b, const sluice_table *t)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        if (!(c->flags & SLUICE_COLUMN_KEY))
            continue;
        if (n++)
            sb_put(b, ", ", 2);
        pg_buf_ident(b, c->name.ptr, c->name.len);
    }
    return n;
}

/* A query that failed on a live connection fails this table's validation, not all. */
static sluice_status table_failed(pgsrc *s, sluice_error *err)
{
    if (err->status == SLUICE_FATAL && PQstatus(s->conn) == CONNECTION_OK)
        err->status = SLUICE_ERROR;
    return err->status;
}

sluice_status pg_validate_bounds(void *instance, const sluice_table *table, uint64_t rows,
                                 sluice_bound_list *out, sluice_error *err)
{
    pgsrc *s = instance;
    sluice_chunk whole = {.header = SLUICE_HEADER_INIT(sluice_chunk), .table = table};
    if (rows < 1)
        rows = 1;
    sbuf keys = {0}, b = {0};
    uint32_t nkeys = key_list(&keys, table);
    char *k = sb_take(&keys);
    if (!k)
        return nkeys ? pg_oom(s, err) : SLUICE_OK;
    /* the key of rows rows+1, 2*rows+1, ...: an index-only scan of the key */
    sb_printf(&b, "SELECT * FROM (SELECT %s, row_number() OVER (ORDER BY %s) AS sluice_rn",
              k, k);
    free(k);
    if (!from_table(s, &b, &whole, err)) {
        free(sb_take(&b));
        return table_failed(s, err);
    }
    sb_printf(&b, ") AS r WHERE sluice_rn %% %" PRIu64 " = 1 AND sluice_rn > 1 "
                    "ORDER BY sluice_rn", rows);
    char *sql = sb_take(&b);
    if (!sql)
        return pg_oom(s, err);
    char what[400];
    snprintf(what, sizeof what, "cut table \"%.*s.%.*s\" into chunks by its key",
             (int)table->schema.len, table->schema.ptr, (int)table->name.len, table->name.ptr);
    PGresult *res = pg_exec(s, s->conn, sql, 0, NULL, PGRES_TUPLES_OK, what, err);
    free(sql);
    if (!res)
        return table_failed(s, err);
    sluice_str *values = calloc(nkeys, sizeof *values);
    sluice_status st = values ? SLUICE_OK : pg_oom(s, err);
    for (int r = 0; st == SLUICE_OK && r < PQntuples(res); r++) {
        for (uint32_t c = 0; c < nkeys; c++)
            values[c] = (sluice_str){PQgetvalue(res, r, (int)c),
                                     (size_t)PQgetlength(res, r, (int)c)};
        if (s->host->bound_add(out, values, nkeys) != 0)
            st = pg_oom(s, err);
    }
    free(values);
    PQclear(res);
    return st;
}

sluice_status pg_validate_hash(void *instance, const sluice_chunk *chunk, sluice_range_hash *out,
                               sluice_error *err)
{
    pgsrc *s = instance;
    const sluice_table *t = chunk->table;
    out->method = SLUICE_HASH_NONE;
    uint32_t np;
    if (sluice_chunk_partitions(chunk, &np))
        return SLUICE_OK; /* the core reads rows instead */
    sbuf b = {0};
    sb_printf(&b, "SELECT count(*), coalesce(sum(pg_catalog.hashtextextended(ROW(");
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        if (i)
            sb_put(&b, ", ", 2);
        pg_buf_ident(&b, c->name.ptr, c->name.len);
    }
    sb_printf(&b, ")::text, 0)), 0)");
    if (!from_table(s, &b, chunk, err)) {
        free(sb_take(&b));
        return table_failed(s, err);
    }
    uint32_t nf;
    if (sluice_chunk_filters(chunk, &nf) && nf && !pg_filter_sql(&b, chunk, 1)) {
        free(sb_take(&b));
        return SLUICE_OK; /* a filter it cannot say in SQL: rows instead */
    }
    char *sql = sb_take(&b);
    if (!sql)
        return pg_oom(s, err);
    char what[400];
    snprintf(what, sizeof what, "hash rows of table \"%.*s.%.*s\"", (int)t->schema.len,
             t->schema.ptr, (int)t->name.len, t->name.ptr);
    PGresult *res = pg_exec(s, s->conn, sql, 0, NULL, PGRES_TUPLES_OK, what, err);
    free(sql);
    if (!res)
        return table_failed(s, err);
    int64_t rows = 0;
    parse_int64(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), &rows);
    out->rows = (uint64_t)rows;
    snprintf(out->digest, sizeof out->digest, "%s", PQgetvalue(res, 0, 1));
    out->method = SLUICE_HASH_PG_ROW_TEXT;
    PQclear(res);
    return SLUICE_OK;
}
