/*
 * ABI 1.6 validate_bounds, for `sluice validate`: the key of every n-th row in
 * key order (ROW_NUMBER() over the primary key, MariaDB 10.2+ and MySQL 8),
 * so each chunk of validate reads one key range through the key's index. Keys
 * whose text the server prints differently from their canonical text (binary
 * strings, floats, bits) are not cut: such a table is one chunk.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "source_mysql.h"

static int cuttable(uint32_t type)
{
    switch (type) {
    case SLUICE_TYPE_INT16: case SLUICE_TYPE_INT32: case SLUICE_TYPE_INT64:
    case SLUICE_TYPE_UINT64: case SLUICE_TYPE_DECIMAL: case SLUICE_TYPE_TEXT:
    case SLUICE_TYPE_DATE: case SLUICE_TYPE_TIMESTAMP:
        return 1;
    default:
        return 0;
    }
}

sluice_status my_validate_bounds(void *instance, const sluice_table *table, uint64_t rows,
                                 sluice_bound_list *out, sluice_error *err)
{
    mysrc *s = instance;
    sbuf keys = {0}, b = {0};
    uint32_t nkeys = 0;
    for (uint32_t i = 0; i < table->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(table, i);
        if (!(c->flags & SLUICE_COLUMN_KEY))
            continue;
        if (!cuttable(c->type)) {
            free(sb_take(&keys));
            return SLUICE_OK;
        }
        if (nkeys++)
            sb_put(&keys, ", ", 2);
        my_buf_ident(&keys, c->name.ptr, c->name.len);
    }
    char *k = sb_take(&keys);
    if (!k)
        return nkeys ? my_oom(s, err) : SLUICE_OK;
    sb_printf(&b, "SELECT * FROM (SELECT %s, ROW_NUMBER() OVER (ORDER BY %s) AS sluice_rn FROM ",
              k, k);
    free(k);
    my_buf_ident(&b, table->schema.ptr, table->schema.len);
    sb_put(&b, ".", 1);
    my_buf_ident(&b, table->name.ptr, table->name.len);
    sb_printf(&b, ") AS r WHERE sluice_rn %% %" PRIu64 " = 1 AND sluice_rn > 1 ORDER BY sluice_rn",
              rows < 1 ? 1 : rows);
    char *sql = sb_take(&b);
    if (!sql)
        return my_oom(s, err);
    MYSQL_RES *r = my_query(s, s->conn, sql, "cut the table into chunks by its key", err);
    free(sql);
    if (!r)
        return err->status == SLUICE_FATAL ? (err->status = SLUICE_ERROR) : err->status;
    sluice_str *values = calloc(nkeys, sizeof *values);
    sluice_status st = values ? SLUICE_OK : my_oom(s, err);
    MYSQL_ROW row;
    while (st == SLUICE_OK && (row = mysql_fetch_row(r))) {
        unsigned long *len = mysql_fetch_lengths(r);
        for (uint32_t c = 0; c < nkeys; c++)
            values[c] = (sluice_str){row[c] ? row[c] : "", row[c] ? len[c] : 0};
        if (s->host->bound_add(out, values, nkeys) != 0)
            st = my_oom(s, err);
    }
    free(values);
    mysql_free_result(r);
    return st;
}
