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

/* The next name of the comma-separated databases option at *p, trimmed: 1 with
   *name and *len, 0 at the end. */
static int next_database(const char **p, const char **name, size_t *len)
{
    for (;;) {
        while (**p == ' ' || **p == ',')
            (*p)++;
        if (!**p)
            return 0;
        const char *start = *p;
        while (**p && **p != ',')
            (*p)++;
        const char *end = *p;
        while (end > start && end[-1] == ' ')
            end--;
        if (end > start) {
            *name = start;
            *len = (size_t)(end - start);
            return 1;
        }
    }
}

/* The databases option as SQL literals: "'a', 'b'" into `in` and
   " UNION ALL SELECT 'a' UNION ALL SELECT 'b'" into `rows`. */
static void database_lists(mysrc *s, sbuf *in, sbuf *rows)
{
    const char *p = s->databases, *name;
    size_t len;
    for (int first = 1; next_database(&p, &name, &len); first = 0) {
        if (!first)
            sb_put(in, ", ", 2);
        my_buf_literal(in, name, len);
        sb_printf(rows, " UNION ALL SELECT ");
        my_buf_literal(rows, name, len);
    }
}

static sluice_status check_databases(mysrc *s, sbuf *rows, sluice_error *err)
{
    sbuf b = {0};
    const char *names = sb_cstr(rows);
    sb_printf(&b, "SELECT d.n FROM (SELECT NULL AS n%s) d WHERE d.n IS NOT NULL AND d.n NOT IN "
              "(SELECT SCHEMA_NAME FROM information_schema.SCHEMATA) LIMIT 1",
              names ? names : "");
    char *sql = sb_take(&b);
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

/* The columns (C_*) of the base tables that `where` picks, in table and column
   order, or NULL with err. */
static MYSQL_RES *query_columns(mysrc *s, MYSQL *conn, const char *where, sluice_error *err)
{
    sbuf b = {0};
    /* MariaDB's JSON is LONGTEXT with a json_valid() check: report it as json */
    const char *json =
        s->mariadb ? "EXISTS (SELECT 1 FROM information_schema.CHECK_CONSTRAINTS k "
                     "WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME "
                     "AND k.CHECK_CLAUSE = CONCAT('json_valid(`', c.COLUMN_NAME, '`)'))"
                   : "0";
    sb_printf(&b,
              "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, COALESCE(t.TABLE_ROWS, 0), c.COLUMN_NAME, "
              "c.COLUMN_TYPE, LOWER(c.DATA_TYPE), c.IS_NULLABLE, "
              "COALESCE((SELECT MIN(k.SEQ_IN_INDEX) FROM information_schema.STATISTICS k "
              "  WHERE k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME "
              "  AND k.COLUMN_NAME = c.COLUMN_NAME AND k.INDEX_NAME = 'PRIMARY'), 0), %s "
              "FROM information_schema.COLUMNS c JOIN information_schema.TABLES t "
              "  ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME "
              "WHERE t.TABLE_TYPE = 'BASE TABLE' AND %s "
              "ORDER BY BINARY c.TABLE_SCHEMA, BINARY c.TABLE_NAME, c.ORDINAL_POSITION",
              json, where);
    char *sql = sb_take(&b);
    if (!sql) {
        my_oom(s, err);
        return NULL;
    }
    MYSQL_RES *res = my_query(s, conn, sql, "read the catalog", err);
    free(sql);
    return res;
}

sluice_status my_discover(void *instance, sluice_catalog *catalog, sluice_error *err)
{
    mysrc *s = instance;
    s->catalog = catalog; /* new tables and table versions while streaming (shape.c) */
    sbuf list = {0}, rows = {0};
    database_lists(s, &list, &rows);
    sluice_status st = rows.failed ? my_oom(s, err) : check_databases(s, &rows, err);
    free(sb_take(&rows));
    char *in = sb_take(&list);
    if (!in)
        return st != SLUICE_OK ? st : my_oom(s, err);
    sbuf where = {0};
    sb_printf(&where, "c.TABLE_SCHEMA IN (%s)", in);
    free(in);
    char *w = sb_take(&where);
    if (!w)
        return st != SLUICE_OK ? st : my_oom(s, err);
    MYSQL_RES *res = st == SLUICE_OK ? query_columns(s, s->conn, w, err) : NULL;
    free(w);
    if (!res)
        return st != SLUICE_OK ? st : err->status;
    st = add_tables(s, catalog, res, err);
    mysql_free_result(res);
    atomic_store(&s->chunks_known, s->ntables);
    return st;
}

int my_database_listed(mysrc *s, const char *db, size_t len)
{
    const char *p = s->databases, *name;
    size_t n;
    while (next_database(&p, &name, &n))
        if (n == len && memcmp(name, db, len) == 0)
            return 1;
    return 0;
}

sluice_status my_discover_created(mysrc *s, MYSQL *conn, const char *db, const char *name,
                                  int *index, sluice_error *err)
{
    *index = -1;
    sbuf where = {0};
    sb_printf(&where, "c.TABLE_SCHEMA = ");
    my_buf_literal(&where, db, strlen(db));
    sb_printf(&where, " AND c.TABLE_NAME = ");
    my_buf_literal(&where, name, strlen(name));
    char *w = sb_take(&where);
    if (!w)
        return my_oom(s, err);
    MYSQL_RES *res = query_columns(s, conn, w, err);
    free(w);
    if (!res)
        return err->status;
    uint64_t n = mysql_num_rows(res);
    my_table *grown = n ? realloc(s->tables, (s->ntables + 1) * sizeof *grown) : s->tables;
    sluice_status st = SLUICE_OK;
    if (!grown) {
        st = my_oom(s, err);
    } else if (n) { /* else dropped again since: nothing to capture */
        s->tables = grown;
        MYSQL_ROW row;
        col_row *rows = calloc(n, sizeof *rows);
        unsigned long *lens = calloc(n * C_N, sizeof *lens);
        for (uint64_t i = 0; rows && lens && (row = mysql_fetch_row(res)); i++) {
            rows[i].f = row;
            rows[i].len = memcpy(lens + i * C_N, mysql_fetch_lengths(res), C_N * sizeof *lens);
        }
        st = rows && lens ? add_table(s, s->catalog, rows, (uint32_t)n, err) : my_oom(s, err);
        if (st == SLUICE_OK)
            *index = (int)s->ntables - 1;
        free(rows);
        free(lens);
    }
    mysql_free_result(res);
    return st;
}

my_table *my_table_by_id(mysrc *s, uint64_t source_id)
{
    if (source_id == 0 || source_id > s->ntables)
        return NULL;
    return &s->tables[source_id - 1];
}
