/*
 * discover: the base tables of the databases option (each database is a
 * schema), their columns in order with COLUMN_TYPE as the source type, and
 * primary keys. One query returns every column with its table's row
 * estimate; rows of a table come together, in column order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_mysql.h"

/* The databases option, names trimmed, as SQL literals: "'a', 'b'" into `in`
   and " UNION ALL SELECT 'a' UNION ALL SELECT 'b'" into `rows`. */
static void database_lists(mysrc *s, my_buf *in, my_buf *rows)
{
    const char *p = s->databases;
    int first = 1;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && end[-1] == ' ')
            end--;
        if (end > start) {
            if (!first)
                my_buf_add(in, ", ", 2);
            my_buf_literal(in, start, (size_t)(end - start));
            my_buf_addf(rows, " UNION ALL SELECT ");
            my_buf_literal(rows, start, (size_t)(end - start));
            first = 0;
        }
    }
}

static sluice_status check_databases(mysrc *s, my_buf *rows, sluice_error *err)
{
    my_buf b = {0};
    my_buf_addf(&b, "SELECT d.n FROM (SELECT NULL AS n%s) d WHERE d.n IS NOT NULL AND d.n NOT IN "
                    "(SELECT SCHEMA_NAME FROM information_schema.SCHEMATA) LIMIT 1",
                rows->data ? rows->data : "");
    char *sql = my_buf_take(&b);
    if (!sql)
        return my_oom(s, err);
    char missing[256];
    int found = 0;
    sluice_status st = my_query_value(s, s->conn, sql, missing, sizeof missing, &found,
                                      "look up the databases", err);
    free(sql);
    if (st != SLUICE_OK || !found)
        return st;
    s->host->error(err, SLUICE_FATAL, "database \"%s\" does not exist", missing);
    s->host->error_detail(err, "Option databases names it, but server \"%s\" has no database "
                               "of that name that user \"%s\" can see.",
                          s->server, s->user);
    s->host->error_hint(err, "Check option databases of the source, and that the user has "
                             "SELECT on the database (GRANT SELECT ON `%s`.* TO ...).",
                        missing);
    return SLUICE_FATAL;
}

static int selected(mysrc *s, const char *schema, const char *name)
{
    if (!SLUICE_HAS(s->host, sluice_host, table_selected))
        return 1;
    return s->host->table_selected(s->ctx, (sluice_str){schema, strlen(schema)},
                                   (sluice_str){name, strlen(name)});
}

typedef struct col_row {
    char **f;
    unsigned long *len;
} col_row;

enum { C_SCHEMA, C_TABLE, C_ROWS, C_NAME, C_TYPE, C_DATA_TYPE, C_NULLABLE, C_PK, C_JSON, C_N };

/* Adds the table whose columns are rows[0 .. n-1]. */
static sluice_status add_table(mysrc *s, sluice_catalog *catalog, col_row *rows, uint32_t n,
                               sluice_error *err)
{
    const char *schema = rows[0].f[C_SCHEMA], *name = rows[0].f[C_TABLE];
    my_table *mt = &s->tables[s->ntables];
    memset(mt, 0, sizeof *mt);
    sluice_table *t = s->host->table_add(catalog, (sluice_str){schema, strlen(schema)},
                                         (sluice_str){name, strlen(name)}, n);
    mt->read_as = calloc(n ? n : 1, 1);
    mt->bits = calloc(n ? n : 1, sizeof *mt->bits);
    if (!t || !mt->read_as || !mt->bits) {
        free(mt->read_as);
        free(mt->bits);
        return s->host->error(err, SLUICE_FATAL, "could not add table \"%s.%s\"", schema, name);
    }
    int key = -1, nkeys = 0;
    for (uint32_t i = 0; i < n; i++) {
        char **f = rows[i].f;
        my_canonical c;
        int is_json = f[C_JSON] && f[C_JSON][0] == '1';
        my_map_type(f[C_TYPE], f[C_DATA_TYPE], is_json, &c);
        const char *stype = is_json ? "json" : f[C_TYPE];
        int pk = f[C_PK] && strcmp(f[C_PK], "0") != 0;
        uint32_t flags = (strcmp(f[C_NULLABLE], "YES") == 0 ? SLUICE_COLUMN_NULLABLE : 0) |
                         (pk ? SLUICE_COLUMN_KEY | SLUICE_COLUMN_REPLICA_IDENTITY : 0);
        if (s->host->column_set(t, i, (sluice_str){f[C_NAME], rows[i].len[C_NAME]},
                                (sluice_str){stype, strlen(stype)}, c.type, flags) != 0) {
            free(mt->read_as);
            free(mt->bits);
            return s->host->error(err, SLUICE_FATAL, "could not add column \"%s\"", f[C_NAME]);
        }
        sluice_column *col = sluice_table_column(t, i);
        col->precision = c.precision;
        col->scale = c.scale;
        mt->read_as[i] = (uint8_t)c.read_as;
        mt->bits[i] = c.bits;
        if (pk) {
            nkeys++;
            key = (int)i;
            mt->key_unsigned = strstr(f[C_TYPE], "unsigned") != NULL;
        }
    }
    mt->int_key = nkeys == 1 && (s->tables[s->ntables].read_as[key] == MY_READ_INT ||
                                 sluice_table_column(t, (uint32_t)key)->type ==
                                     SLUICE_TYPE_UINT64)
                      ? key
                      : -1;
    t->source_id = (uint64_t)s->ntables + 1;
    t->estimated_rows = strtoull(rows[0].f[C_ROWS] ? rows[0].f[C_ROWS] : "0", NULL, 10);
    mt->table = t;
    s->ntables++;
    return SLUICE_OK;
}

static sluice_status add_tables(mysrc *s, sluice_catalog *catalog, MYSQL_RES *res,
                                sluice_error *err)
{
    uint64_t nrows = mysql_num_rows(res);
    col_row *rows = calloc(nrows ? nrows : 1, sizeof *rows);
    s->tables = calloc(nrows ? nrows : 1, sizeof *s->tables); /* at most one per column */
    if (!rows || !s->tables) {
        free(rows);
        return my_oom(s, err);
    }
    sluice_status st = SLUICE_OK;
    uint32_t n = 0;
    for (uint64_t i = 0; i < nrows && st == SLUICE_OK; i++) {
        MYSQL_ROW row = mysql_fetch_row(res);
        rows[i].f = row;
        rows[i].len = mysql_fetch_lengths(res);
        /* the lengths array is reused by the next fetch: keep a copy */
        unsigned long *lens = malloc(C_N * sizeof *lens);
        if (!lens) {
            st = my_oom(s, err);
            break;
        }
        memcpy(lens, rows[i].len, C_N * sizeof *lens);
        rows[i].len = lens;
        n++;
    }
    for (uint32_t i = 0; i < n && st == SLUICE_OK;) {
        uint32_t j = i;
        while (j < n && strcmp(rows[j].f[C_SCHEMA], rows[i].f[C_SCHEMA]) == 0 &&
               strcmp(rows[j].f[C_TABLE], rows[i].f[C_TABLE]) == 0)
            j++;
        if (selected(s, rows[i].f[C_SCHEMA], rows[i].f[C_TABLE]))
            st = add_table(s, catalog, rows + i, j - i, err);
        i = j;
    }
    for (uint32_t i = 0; i < n; i++)
        free(rows[i].len);
    free(rows);
    return st;
}

sluice_status my_discover(void *instance, sluice_catalog *catalog, sluice_error *err)
{
    mysrc *s = instance;
    s->catalog = catalog; /* new table versions while streaming (shape.c) */
    my_buf list = {0}, rows = {0};
    database_lists(s, &list, &rows);
    sluice_status st = rows.failed ? my_oom(s, err) : check_databases(s, &rows, err);
    free(my_buf_take(&rows));
    char *in = my_buf_take(&list);
    if (!in)
        return st != SLUICE_OK ? st : my_oom(s, err);
    my_buf b = {0};
    /* MariaDB's JSON is LONGTEXT with a json_valid() check: report it as json */
    const char *json =
        s->mariadb ? "EXISTS (SELECT 1 FROM information_schema.CHECK_CONSTRAINTS k "
                     "WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME "
                     "AND k.CHECK_CLAUSE = CONCAT('json_valid(`', c.COLUMN_NAME, '`)'))"
                   : "0";
    my_buf_addf(&b,
                "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, COALESCE(t.TABLE_ROWS, 0), c.COLUMN_NAME, "
                "c.COLUMN_TYPE, LOWER(c.DATA_TYPE), c.IS_NULLABLE, "
                "COALESCE((SELECT MIN(k.SEQ_IN_INDEX) FROM information_schema.STATISTICS k "
                "  WHERE k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME "
                "  AND k.COLUMN_NAME = c.COLUMN_NAME AND k.INDEX_NAME = 'PRIMARY'), 0), %s "
                "FROM information_schema.COLUMNS c JOIN information_schema.TABLES t "
                "  ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME "
                "WHERE t.TABLE_TYPE = 'BASE TABLE' AND c.TABLE_SCHEMA IN (%s) "
                "ORDER BY BINARY c.TABLE_SCHEMA, BINARY c.TABLE_NAME, c.ORDINAL_POSITION",
                json, in);
    free(in);
    char *sql = my_buf_take(&b);
    if (!sql)
        return my_oom(s, err);
    MYSQL_RES *res = st == SLUICE_OK ? my_query(s, s->conn, sql, "read the catalog", err) : NULL;
    free(sql);
    if (!res)
        return st != SLUICE_OK ? st : err->status;
    st = add_tables(s, catalog, res, err);
    mysql_free_result(res);
    atomic_store(&s->chunks_known, s->ntables);
    return st;
}

my_table *my_table_by_id(mysrc *s, uint64_t source_id)
{
    if (source_id == 0 || source_id > s->ntables)
        return NULL;
    return &s->tables[source_id - 1];
}
