/*
 * discover: the tables of the selected schemas (ordinary and partitioned;
 * partitions arrive as their root), their columns in order, keys and replica
 * identity. Also builds a new version of a table when the stream's RELATION
 * message shows a new shape.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_pg.h"


static const char missing_schemas_sql[] =
    SCHEMAS_CTE "SELECT s.nspname FROM s WHERE NOT EXISTS "
                "(SELECT 1 FROM pg_namespace n WHERE n.nspname = s.nspname) ORDER BY 1";

/* Estimated rows: reltuples, summed over the leaves of a partitioned table; a
   never-analyzed table (reltuples -1) is guessed at 100 bytes a row. */
static const char tables_sql[] =
    SCHEMAS_CTE
    "SELECT c.oid, n.nspname, c.relname, c.relkind, c.relreplident, "
    "  EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), "
    "  CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(greatest(p.reltuples, 0)), 0)::int8 "
    "         FROM pg_partition_tree(c.oid) t JOIN pg_class p ON p.oid = t.relid WHERE t.isleaf) "
    "       WHEN c.reltuples >= 0 THEN c.reltuples::int8 "
    "       ELSE (pg_relation_size(c.oid) / 100)::int8 END "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname IN (SELECT nspname FROM s) AND c.relkind IN ('r', 'p') "
    "  AND NOT c.relispartition AND c.relpersistence <> 't' "
    "ORDER BY n.nspname, c.relname";

/* Same order as tables_sql, so both results are walked together. */
static const char columns_sql[] =
    SCHEMAS_CTE
    "SELECT c.oid, a.attname, format_type(a.atttypid, a.atttypmod), a.atttypid, a.atttypmod, "
    "  NOT a.attnotnull, coalesce(a.attnum = ANY (pk.indkey::int2[]), false), "
    "  coalesce(a.attnum = ANY (ri.indkey::int2[]), false) "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
    "LEFT JOIN pg_index pk ON pk.indrelid = c.oid AND pk.indisprimary "
    "LEFT JOIN pg_index ri ON ri.indrelid = c.oid AND ri.indisreplident "
    "WHERE n.nspname IN (SELECT nspname FROM s) AND c.relkind IN ('r', 'p') "
    "  AND NOT c.relispartition AND c.relpersistence <> 't' "
    "ORDER BY n.nspname, c.relname, a.attnum";

static const char type_sql[] =
    "SELECT typtype, typcategory, typelem, typbasetype, typtypmod FROM pg_type WHERE oid = $1";

/* ---- type lookups for types.c, cached for one discover or reshape ---- */

typedef struct type_cache {
    pgsrc *s;
    pg_typeinfo *items;
    size_t n, cap;
    int failed;
} type_cache;

static int lookup_type(void *ctx, uint32_t oid, pg_typeinfo *out)
{
    type_cache *tc = ctx;
    for (size_t i = 0; i < tc->n; i++)
        if (tc->items[i].oid == oid) {
            *out = tc->items[i];
            return 0;
        }
    char num[16];
    snprintf(num, sizeof num, "%u", oid);
    const char *params[] = {num};
    PGresult *res = PQexecParams(tc->s->conn, type_sql, 1, NULL, params, NULL, NULL, 0);
    int ok = res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    if (ok) {
        out->oid = oid;
        out->typtype = PQgetvalue(res, 0, 0)[0];
        out->typcategory = PQgetvalue(res, 0, 1)[0];
        out->typelem = (uint32_t)strtoul(PQgetvalue(res, 0, 2), NULL, 10);
        out->basetype = (uint32_t)strtoul(PQgetvalue(res, 0, 3), NULL, 10);
        out->typtypmod = (int32_t)strtol(PQgetvalue(res, 0, 4), NULL, 10);
    } else if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        tc->failed = 1; /* the connection broke; the caller reports it */
    }
    PQclear(res);
    if (!ok)
        return -1;
    if (tc->n == tc->cap) {
        size_t cap = tc->cap ? tc->cap * 2 : 16;
        pg_typeinfo *more = realloc(tc->items, cap * sizeof *more);
        if (!more)
            return 0; /* still a good answer, just not cached */
        tc->items = more;
        tc->cap = cap;
    }
    tc->items[tc->n++] = *out;
    return 0;
}

/* ---- discover ---- */

pg_table *pg_table_by_oid(pgsrc *s, uint32_t oid)
{
    for (uint32_t i = 0; i < s->ntables; i++)
        if (s->tables[i].oid == oid)
            return &s->tables[i];
    return NULL;
}

char *pg_table_oids(pgsrc *s)
{
    size_t cap = 3 + (size_t)s->ntables * 11, n = 0;
    char *p = malloc(cap);
    if (!p)
        return NULL;
    p[n++] = '{';
    for (uint32_t i = 0; i < s->ntables; i++)
        n += (size_t)snprintf(p + n, cap - n, "%s%u", i ? "," : "", s->tables[i].oid);
    p[n++] = '}';
    p[n] = '\0';
    return p;
}

static sluice_status check_schemas(pgsrc *s, sluice_error *err)
{
    const char *params[] = {s->schemas};
    PGresult *res = pg_exec(s, s->conn, missing_schemas_sql, 1, params, PGRES_TUPLES_OK,
                            "list the schemas", err);
    if (!res)
        return SLUICE_FATAL;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return SLUICE_OK;
    }
    s->host->error(err, SLUICE_FATAL, "schema \"%s\" does not exist", PQgetvalue(res, 0, 0));
    s->host->error_detail(err, "Option schemas names it, but database \"%s\" on server \"%s\" "
                               "has no schema of that name.",
                          PQdb(s->conn), s->server);
    s->host->error_hint(err, "Correct option schemas: a comma-separated list of schema names "
                             "as stored, so a mixed-case schema is written Sales, not \"Sales\".");
    PQclear(res);
    return SLUICE_FATAL;
}

static uint32_t replica_flags(char replident, int is_pk, int is_ri)
{
    switch (replident) {
    case 'f': return SLUICE_COLUMN_REPLICA_IDENTITY;
    case 'd': return is_pk ? SLUICE_COLUMN_REPLICA_IDENTITY : 0;
    case 'i': return is_ri ? SLUICE_COLUMN_REPLICA_IDENTITY : 0;
    default: return 0;
    }
}

static void set_canonical(sluice_table *t, uint32_t i, const pg_canonical *c)
{
    sluice_column *col = sluice_table_column(t, i);
    col->precision = c->precision;
    col->scale = c->scale;
    col->element_type = c->type == SLUICE_TYPE_ARRAY ? (uint32_t)c->element : 0;
}

/* The single integer key column, or -1. */
static int int_key_of(const sluice_table *t)
{
    int key = -1;
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        if (!(c->flags & SLUICE_COLUMN_KEY))
            continue;
        if (key >= 0 || !pg_type_is_int((sluice_type)c->type))
            return -1;
        key = (int)i;
    }
    return key;
}

/* Adds the table of tables row r with its columns, cols rows [first, first + n). */
static sluice_status add_table(pgsrc *s, sluice_catalog *catalog, PGresult *tabs, int r,
                               PGresult *cols, int first, int n, type_cache *tc,
                               sluice_error *err)
{
    const char *schema = PQgetvalue(tabs, r, 1), *name = PQgetvalue(tabs, r, 2);
    pg_table *pt = &s->tables[s->ntables];
    memset(pt, 0, sizeof *pt);
    pt->oid = (uint32_t)strtoul(PQgetvalue(tabs, r, 0), NULL, 10);
    pt->relkind = PQgetvalue(tabs, r, 3)[0];
    pt->replident = PQgetvalue(tabs, r, 4)[0];
    pt->has_pk = PQgetvalue(tabs, r, 5)[0] == 't';
    sluice_table *t = s->host->table_add(catalog, (sluice_str){schema, strlen(schema)},
                                         (sluice_str){name, strlen(name)}, (uint32_t)n);
    pt->cols = calloc((size_t)n, sizeof *pt->cols);
    if (!t || !pt->cols) {
        free(pt->cols);
        return s->host->error(err, SLUICE_FATAL, "could not add table \"%s.%s\"", schema, name);
    }
    for (int i = 0; i < n; i++) {
        int row = first + i;
        const char *cname = PQgetvalue(cols, row, 1), *ctype = PQgetvalue(cols, row, 2);
        pg_column *pc = &pt->cols[i];
        pc->type_oid = (uint32_t)strtoul(PQgetvalue(cols, row, 3), NULL, 10);
        pc->typmod = (int32_t)strtol(PQgetvalue(cols, row, 4), NULL, 10);
        int is_pk = PQgetvalue(cols, row, 6)[0] == 't';
        uint32_t flags = (PQgetvalue(cols, row, 5)[0] == 't' ? SLUICE_COLUMN_NULLABLE : 0) |
                         (is_pk ? SLUICE_COLUMN_KEY : 0) |
                         replica_flags(pt->replident, is_pk, PQgetvalue(cols, row, 7)[0] == 't');
        pg_canonical c;
        pg_map_type(pc->type_oid, pc->typmod, lookup_type, tc, &c);
        if (tc->failed) {
            free(pt->cols);
            return pg_fail(s, err, SLUICE_FATAL, s->conn, NULL, "could not look up column types");
        }
        if (s->host->column_set(t, (uint32_t)i, (sluice_str){cname, strlen(cname)},
                                (sluice_str){ctype, strlen(ctype)}, c.type, flags) != 0) {
            free(pt->cols);
            return s->host->error(err, SLUICE_FATAL, "could not add column \"%s\"", cname);
        }
        set_canonical(t, (uint32_t)i, &c);
    }
    pt->ncols = (uint32_t)n;
    t->source_id = pt->oid;
    const char *est = PQgetvalue(tabs, r, 6);
    t->estimated_rows = est[0] == '-' ? 0 : strtoull(est, NULL, 10);
    pt->int_key = int_key_of(t);
    pt->table = t;
    s->ntables++;
    return SLUICE_OK;
}

static void free_tables(pgsrc *s)
{
    for (uint32_t i = 0; i < s->ntables; i++)
        free(s->tables[i].cols);
    free(s->tables);
    s->tables = NULL;
    s->ntables = 0;
}

/* The pipeline's selection rules (ABI 1.3); an older core selects afterwards. */
static int selected(pgsrc *s, const char *schema, const char *name)
{
    if (!SLUICE_HAS(s->host, sluice_host, table_selected))
        return 1;
    return s->host->table_selected(s->ctx, (sluice_str){schema, strlen(schema)},
                                   (sluice_str){name, strlen(name)});
}

static sluice_status add_tables(pgsrc *s, sluice_catalog *catalog, PGresult *tabs,
                                PGresult *cols, sluice_error *err)
{
    type_cache tc = {s, NULL, 0, 0, 0};
    int ntabs = PQntuples(tabs), ncols = PQntuples(cols), c = 0;
    sluice_status st = SLUICE_OK;
    s->tables = calloc(ntabs ? (size_t)ntabs : 1, sizeof *s->tables);
    if (!s->tables)
        return pg_oom(s, err);
    for (int r = 0; r < ntabs && st == SLUICE_OK; r++) {
        const char *oid = PQgetvalue(tabs, r, 0);
        int first = c;
        while (c < ncols && strcmp(PQgetvalue(cols, c, 0), oid) == 0)
            c++;
        if (c == first) /* a table without columns has nothing to move */
            continue;
        if (!selected(s, PQgetvalue(tabs, r, 1), PQgetvalue(tabs, r, 2)))
            continue; /* not in the catalog, so neither in the publication */
        st = add_table(s, catalog, tabs, r, cols, first, c - first, &tc, err);
    }
    free(tc.items);
    return st;
}

sluice_status pg_discover(void *instance, sluice_catalog *catalog, sluice_error *err)
{
    pgsrc *s = instance;
    sluice_status st = check_schemas(s, err);
    if (st != SLUICE_OK)
        return st;
    const char *params[] = {s->schemas};
    PGresult *tabs = pg_exec(s, s->conn, tables_sql, 1, params, PGRES_TUPLES_OK,
                             "list the tables", err);
    if (!tabs)
        return SLUICE_FATAL;
    PGresult *cols = pg_exec(s, s->conn, columns_sql, 1, params, PGRES_TUPLES_OK,
                             "list the columns", err);
    if (!cols) {
        PQclear(tabs);
        return SLUICE_FATAL;
    }
    free_tables(s);
    s->catalog = catalog;
    st = add_tables(s, catalog, tabs, cols, err);
    PQclear(tabs);
    PQclear(cols);
    if (st == SLUICE_OK)
        st = pg_discover_indexes(s, err);
    if (st != SLUICE_OK)
        return st;
    s->host->log(s->ctx, SLUICE_LOG_DEBUG, "discovered %u tables in schemas \"%s\"", s->ntables,
                 s->schemas);
    return SLUICE_OK;
}

/* ---- a new shape from a RELATION message ---- */

static const char column_sql[] =
    "SELECT format_type($2::oid, $3::int4), NOT a.attnotnull, "
    "  coalesce(a.attnum = ANY (pk.indkey::int2[]), false) "
    "FROM (SELECT 1) one LEFT JOIN pg_attribute a "
    "  ON a.attrelid = $1::oid AND a.attname = $4 AND NOT a.attisdropped "
    "LEFT JOIN pg_index pk ON pk.indrelid = $1::oid AND pk.indisprimary";

/* A column the table did not have: its type name, nullability and key from the catalog
   as it is now (the column may be gone again: then nullable, not a key). */
static sluice_status new_column(pgsrc *s, pg_table *pt, sluice_table *t, uint32_t i,
                                const pgo_relcol *rc, type_cache *tc, sluice_error *err)
{
    char relid[16], oid[16], typmod[16];
    snprintf(relid, sizeof relid, "%u", pt->oid);
    snprintf(oid, sizeof oid, "%u", rc->type_oid);
    snprintf(typmod, sizeof typmod, "%d", (int)rc->typmod);
    const char *params[] = {relid, oid, typmod, rc->name.ptr};
    PGresult *res = pg_exec(s, s->conn, column_sql, 4, params, PGRES_TUPLES_OK,
                            "look up a new column", err);
    if (!res)
        return SLUICE_FATAL;
    const char *type = PQgetvalue(res, 0, 0);
    uint32_t flags = (PQgetvalue(res, 0, 1)[0] != 'f' ? SLUICE_COLUMN_NULLABLE : 0) |
                     (PQgetvalue(res, 0, 2)[0] == 't' ? SLUICE_COLUMN_KEY : 0) |
                     ((rc->flags & PGO_RELCOL_KEY) ? SLUICE_COLUMN_REPLICA_IDENTITY : 0);
    pg_canonical c;
    pg_map_type(rc->type_oid, rc->typmod, lookup_type, tc, &c);
    int failed = s->host->column_set(t, i, (sluice_str){rc->name.ptr, rc->name.len},
                                     (sluice_str){type, strlen(type)}, c.type, flags) != 0;
    PQclear(res);
    if (failed)
        return pg_oom(s, err);
    set_canonical(t, i, &c);
    return SLUICE_OK;
}

/* The old version's column of the same name and type, or NULL. */
static const sluice_column *same_column(const pg_table *pt, const pgo_relcol *rc)
{
    for (uint32_t i = 0; i < pt->ncols; i++) {
        const sluice_column *c = sluice_table_column(pt->table, i);
        if (c->name.len == rc->name.len && memcmp(c->name.ptr, rc->name.ptr, c->name.len) == 0 &&
            pt->cols[i].type_oid == rc->type_oid && pt->cols[i].typmod == rc->typmod)
            return c;
    }
    return NULL;
}

sluice_status pg_catalog_reshape(pgsrc *s, pg_table *pt, const pgo_relation *rel,
                                 sluice_error *err)
{
    sluice_table *t = s->host->table_reshape(s->catalog, pt->table, rel->ncols);
    pg_column *cols = calloc(rel->ncols ? rel->ncols : 1, sizeof *cols);
    if (!t || !cols) {
        free(cols);
        return pg_oom(s, err);
    }
    type_cache tc = {s, NULL, 0, 0, 0};
    pgo_relcol_iter it;
    pgo_relcol rc;
    uint32_t i = 0;
    sluice_status st = SLUICE_OK;
    pgo_relcol_iter_init(&it, rel);
    while (st == SLUICE_OK && i < rel->ncols && pgo_relcol_next(&it, &rc)) {
        const sluice_column *old = same_column(pt, &rc);
        cols[i].type_oid = rc.type_oid;
        cols[i].typmod = rc.typmod;
        if (old) {
            uint32_t flags = (old->flags & ~SLUICE_COLUMN_REPLICA_IDENTITY) |
                             ((rc.flags & PGO_RELCOL_KEY) ? SLUICE_COLUMN_REPLICA_IDENTITY : 0);
            if (s->host->column_set(t, i, old->name, old->source_type, (sluice_type)old->type,
                                    flags) != 0)
                st = pg_oom(s, err);
            sluice_column *c = sluice_table_column(t, i);
            c->precision = old->precision;
            c->scale = old->scale;
            c->element_type = old->element_type;
        } else {
            st = new_column(s, pt, t, i, &rc, &tc, err);
        }
        i++;
    }
    free(tc.items);
    if (st != SLUICE_OK) {
        free(cols);
        return st;
    }
    free(pt->cols);
    pt->cols = cols;
    pt->ncols = rel->ncols;
    pt->table = t;
    pt->int_key = int_key_of(t);
    pt->replident = rel->replident;
    return SLUICE_OK;
}
