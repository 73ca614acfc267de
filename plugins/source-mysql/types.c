/*
 * MySQL / MariaDB column types (information_schema.COLUMNS: DATA_TYPE and
 * COLUMN_TYPE) to canonical types, and how the text protocol's field of each
 * is read. The type rules (transforms/types/mysql_to_pg.lua) key on
 * COLUMN_TYPE; the canonical type here is what a value is without them.
 */
#include <stdlib.h>
#include <string.h>

#include "source_mysql.h"

/* The first and second integers inside the parentheses of "decimal(18,2)". */
static void params(const char *column_type, int32_t *a, int32_t *b)
{
    *a = *b = -1;
    const char *p = strchr(column_type, '(');
    if (!p || !(p[1] >= '0' && p[1] <= '9'))
        return;
    char *end;
    *a = (int32_t)strtol(p + 1, &end, 10);
    if (*end == ',')
        *b = (int32_t)strtol(end + 1, NULL, 10);
}

static int is(const char *data_type, const char *name) { return strcmp(data_type, name) == 0; }

void my_map_type(const char *column_type, const char *data_type, int is_json, my_canonical *out)
{
    int uns = strstr(column_type, "unsigned") != NULL;
    int32_t a, b;
    params(column_type, &a, &b);
    memset(out, 0, sizeof *out);
    out->precision = out->scale = -1;
    out->read_as = MY_READ_TEXT;
    sluice_type t = SLUICE_TYPE_SOURCE_NATIVE;
    if (is(data_type, "tinyint") || is(data_type, "year")) {
        t = SLUICE_TYPE_INT16;
        out->read_as = MY_READ_INT;
    } else if (is(data_type, "smallint")) {
        t = uns ? SLUICE_TYPE_INT32 : SLUICE_TYPE_INT16;
        out->read_as = MY_READ_INT;
    } else if (is(data_type, "mediumint")) {
        t = SLUICE_TYPE_INT32;
        out->read_as = MY_READ_INT;
    } else if (is(data_type, "int") || is(data_type, "integer")) {
        t = uns ? SLUICE_TYPE_INT64 : SLUICE_TYPE_INT32;
        out->read_as = MY_READ_INT;
    } else if (is(data_type, "bigint")) {
        t = uns ? SLUICE_TYPE_UINT64 : SLUICE_TYPE_INT64;
        out->read_as = uns ? MY_READ_TEXT : MY_READ_INT; /* 2^64-1 is no int64 */
    } else if (is(data_type, "decimal") || is(data_type, "numeric")) {
        t = SLUICE_TYPE_DECIMAL;
        out->precision = a;
        out->scale = a >= 0 ? (b >= 0 ? b : 0) : -1;
    } else if (is(data_type, "float")) {
        t = SLUICE_TYPE_FLOAT32;
    } else if (is(data_type, "double") || is(data_type, "real")) {
        t = SLUICE_TYPE_FLOAT64;
    } else if (is(data_type, "bit")) {
        out->read_as = MY_READ_BITS; /* n binary digits, as bit(n) reads them */
        out->bits = a > 0 ? a : 1;
        out->precision = out->bits;
    } else if (is(data_type, "date")) {
        t = SLUICE_TYPE_DATE;
    } else if (is(data_type, "datetime") || is(data_type, "timestamp")) {
        t = SLUICE_TYPE_TIMESTAMP; /* timestamp: read in the session's UTC */
        out->precision = a >= 0 ? a : 0;
    } else if (is(data_type, "time")) {
        t = SLUICE_TYPE_TIME;
        out->precision = a >= 0 ? a : 0;
    } else if (is(data_type, "char") || is(data_type, "varchar")) {
        t = SLUICE_TYPE_TEXT;
        out->precision = a;
    } else if (is(data_type, "tinytext") || is(data_type, "text") ||
               is(data_type, "mediumtext") || is(data_type, "longtext")) {
        t = is_json ? SLUICE_TYPE_JSON : SLUICE_TYPE_TEXT;
    } else if (is(data_type, "json")) {
        t = SLUICE_TYPE_JSON;
    } else if (is(data_type, "enum")) {
        t = SLUICE_TYPE_ENUM;
    } else if (is(data_type, "binary") || is(data_type, "varbinary") ||
               is(data_type, "tinyblob") || is(data_type, "blob") ||
               is(data_type, "mediumblob") || is(data_type, "longblob")) {
        t = SLUICE_TYPE_BYTES;
        out->read_as = MY_READ_BYTES;
    } else if (is(data_type, "geometry") || is(data_type, "point") ||
               is(data_type, "linestring") || is(data_type, "polygon") ||
               is(data_type, "multipoint") || is(data_type, "multilinestring") ||
               is(data_type, "multipolygon") || is(data_type, "geometrycollection") ||
               is(data_type, "geomcollection")) {
        t = SLUICE_TYPE_BYTES; /* the server's internal form: SRID + WKB */
        out->read_as = MY_READ_BYTES;
    } else if (is(data_type, "uuid")) {
        t = SLUICE_TYPE_UUID;
    }
    /* set, inet4, inet6 and anything newer: SOURCE_NATIVE, as the server prints it */
    out->type = t;
}

/* The DATA_TYPE of a COLUMN_TYPE: its first word, without parameters, lower case. */
static void data_type_of(const char *column_type, size_t len, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < size; i++) {
        char c = column_type[i];
        if (c == '(' || c == ' ')
            break;
        out[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[n] = '\0';
}

int my_table_layout(const sluice_table *t, my_table *out)
{
    memset(out, 0, sizeof *out);
    out->int_key = -1;
    out->table = t;
    uint32_t n = t->ncolumns ? t->ncolumns : 1;
    out->read_as = calloc(n, 1);
    out->bits = calloc(n, sizeof *out->bits);
    if (!out->read_as || !out->bits) {
        my_table_layout_free(out);
        return -1;
    }
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_column *col = sluice_table_column(t, i);
        char ctype[256], dtype[64];
        size_t len = col->source_type.len < sizeof ctype - 1 ? col->source_type.len
                                                             : sizeof ctype - 1;
        memcpy(ctype, col->source_type.ptr, len);
        ctype[len] = '\0';
        data_type_of(ctype, len, dtype, sizeof dtype);
        my_canonical c;
        my_map_type(ctype, dtype, 0, &c);
        out->read_as[i] = (uint8_t)c.read_as;
        out->bits[i] = c.bits;
    }
    return 0;
}

void my_table_layout_free(my_table *t)
{
    free(t->read_as);
    free(t->bits);
    t->read_as = NULL;
    t->bits = NULL;
}
