/*
 * The full load: split_table cuts a table into ranges of its single integer
 * primary key (MIN and MAX read under the snapshot); read_chunk runs
 * SELECT cols FROM db.table [WHERE range AND the pipeline's filters] on the
 * lane's snapshot connection and streams the rows (mysql_use_result: the
 * client holds one row at a time, so memory stays bounded whatever the
 * table's size), one batch per call.
 *
 * The first range is open below and the last open above, so every row lands
 * in exactly one chunk.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_mysql.h"

/* ---- split_table ---- */

static int parse_i128(const char *p, __int128 *out)
{
    if (!p || !*p)
        return -1;
    int neg = *p == '-';
    __int128 v = 0;
    for (p += neg; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

static void i128_text(__int128 v, char *buf, size_t size)
{
    char tmp[48];
    size_t n = 0;
    int neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
    do {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u && n < sizeof tmp);
    size_t o = 0;
    if (neg && o + 1 < size)
        buf[o++] = '-';
    while (n && o + 1 < size)
        buf[o++] = tmp[--n];
    buf[o] = '\0';
}

static sluice_status add_bounds(mysrc *s, sluice_chunk_list *out, const char *text,
                                sluice_error *err)
{
    if (s->host->chunk_add(out, (sluice_str){text, strlen(text)}) != 0)
        return my_oom(s, err);
    return SLUICE_OK;
}

sluice_status my_split_table(void *instance, const sluice_table *table, uint32_t want,
                             sluice_chunk_list *out, sluice_error *err)
{
    mysrc *s = instance;
    my_table *mt = my_table_by_id(s, table->source_id);
    if (!mt || mt->int_key < 0 || want < 2)
        return SLUICE_OK;
    const sluice_column *key = sluice_table_column(table, (uint32_t)mt->int_key);
    sbuf b = {0}, col = {0};
    my_buf_ident(&col, key->name.ptr, key->name.len);
    char *k = sb_take(&col);
    if (!k)
        return my_oom(s, err);
    sb_printf(&b, "SELECT MIN(%s), MAX(%s) FROM ", k, k);
    my_buf_ident(&b, table->schema.ptr, table->schema.len);
    sb_put(&b, ".", 1);
    my_buf_ident(&b, table->name.ptr, table->name.len);
    char *sql = sb_take(&b);
    MYSQL_RES *r = sql ? my_query(s, s->conn, sql, "find the key range", err) : NULL;
    free(sql);
    if (!r) {
        free(k);
        return sql ? err->status : my_oom(s, err);
    }
    MYSQL_ROW row = mysql_fetch_row(r);
    __int128 lo, hi;
    sluice_status st = SLUICE_OK;
    uint32_t added = 0;
    if (row && parse_i128(row[0], &lo) == 0 && parse_i128(row[1], &hi) == 0 && hi > lo) {
        __int128 span = hi - lo + 1, step = (span + want - 1) / want;
        char prev[48] = "", cut[48], bounds[512];
        for (uint32_t i = 1; i < want && st == SLUICE_OK; i++) {
            __int128 at = lo + step * i;
            if (at > hi)
                break;
            i128_text(at, cut, sizeof cut);
            if (prev[0])
                snprintf(bounds, sizeof bounds, "%s >= %s AND %s < %s", k, prev, k, cut);
            else
                snprintf(bounds, sizeof bounds, "%s < %s", k, cut);
            st = add_bounds(s, out, bounds, err);
            added++;
            snprintf(prev, sizeof prev, "%s", cut);
        }
        if (st == SLUICE_OK && prev[0]) {
            snprintf(bounds, sizeof bounds, "%s >= %s", k, prev);
            st = add_bounds(s, out, bounds, err);
            added++;
        }
    }
    mysql_free_result(r);
    free(k);
    if (added > 1)
        atomic_fetch_add(&s->chunks_known, added - 1);
    return st;
}

/* ---- read_chunk ---- */

void my_read_end(mysrc *s)
{
    my_table_layout_free(&s->read.layout);
    if (!s->read.res)
        return;
    /* freeing an unfinished streamed result would read its rest: close instead */
    int finished = mysql_eof(s->read.res);
    mysql_free_result(s->read.res);
    s->read.res = NULL;
    if (!finished && s->conn) {
        mysql_close(s->conn);
        s->conn = NULL;
    }
}

static char *select_sql(const sluice_chunk *chunk)
{
    const sluice_table *t = chunk->table;
    sbuf b = {0};
    sb_printf(&b, "SELECT ");
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_column *col = sluice_table_column(t, i);
        if (i)
            sb_put(&b, ", ", 2);
        my_buf_ident(&b, col->name.ptr, col->name.len);
    }
    if (t->ncolumns == 0)
        sb_printf(&b, "1");
    sb_printf(&b, " FROM ");
    my_buf_ident(&b, t->schema.ptr, t->schema.len);
    sb_put(&b, ".", 1);
    my_buf_ident(&b, t->name.ptr, t->name.len);
    if (chunk->bounds.len)
        sb_printf(&b, " WHERE (%.*s)", (int)chunk->bounds.len, chunk->bounds.ptr);
    my_filter_sql(&b, chunk, chunk->bounds.len == 0);
    return sb_take(&b);
}

static sluice_status start_read(mysrc *s, const sluice_chunk *chunk, sluice_error *err)
{
    my_read_end(s);
    const sluice_table *t = chunk->table;
    if (!s->conn)
        return s->host->error(err, SLUICE_FATAL, "the snapshot connection was closed");
    char *sql = select_sql(chunk);
    if (!sql)
        return my_oom(s, err);
    int rc = mysql_real_query(s->conn, sql, strlen(sql));
    free(sql);
    MYSQL_RES *res = rc == 0 ? mysql_use_result(s->conn) : NULL;
    if (!res)
        return my_fail(s, err, s->conn, "could not read table \"%.*s.%.*s\"", (int)t->schema.len,
                       t->schema.ptr, (int)t->name.len, t->name.ptr);
    if (mysql_num_fields(res) != (t->ncolumns ? t->ncolumns : 1)) {
        mysql_free_result(res);
        return s->host->error(err, SLUICE_FATAL, "table \"%.*s.%.*s\" changed its columns",
                              (int)t->schema.len, t->schema.ptr, (int)t->name.len, t->name.ptr);
    }
    my_table_layout_free(&s->read.layout);
    if (my_table_layout(t, &s->read.layout) != 0) {
        mysql_free_result(res);
        return my_oom(s, err);
    }
    s->read.res = res;
    s->read.source_id = t->source_id;
    s->read.index = chunk->index;
    return SLUICE_OK;
}

sluice_status my_read_chunk(void *instance, const sluice_chunk *chunk, sluice_batch *b,
                            sluice_error *err)
{
    mysrc *s = instance;
    const sluice_table *t = chunk->table;
    sluice_status st;
    if (s->snapshot_off) {
        s->host->error(err, SLUICE_FATAL, "could not join the full load's snapshot");
        s->host->error_detail(err, "%s", s->snapshot_detail);
        s->host->error_hint(err, "Grant the source user RELOAD (GRANT RELOAD ON *.* TO ...) so "
                                 "commits can be held while the lanes start, raise option "
                                 "snapshot_lock_wait_ms, or set MaxFullLoadSubTasks = 1.");
        return SLUICE_FATAL;
    }
    if (!s->read.res || s->read.source_id != t->source_id || s->read.index != chunk->index) {
        if ((st = start_read(s, chunk, err)) != SLUICE_OK)
            return st;
    }
    const my_table *mt = &s->read.layout;
    if (!b->table)
        b->table = t;
    if (my_filters_pushable(chunk)) /* the SELECT applies them */
        b->flags |= SLUICE_BATCH_FILTERED;
    uint32_t before = b->nevents;
    for (;;) {
        if (b->nevents > 0 && s->host->batch_full(b))
            break;
        MYSQL_ROW row = mysql_fetch_row(s->read.res);
        if (!row) {
            if (mysql_errno(s->conn)) {
                st = my_fail(s, err, s->conn, "could not read table \"%.*s.%.*s\"",
                             (int)t->schema.len, t->schema.ptr, (int)t->name.len, t->name.ptr);
                mysql_free_result(s->read.res);
                s->read.res = NULL;
                return st;
            }
            mysql_free_result(s->read.res);
            s->read.res = NULL;
            b->flags |= SLUICE_BATCH_LAST;
            break;
        }
        unsigned long *lens = mysql_fetch_lengths(s->read.res);
        sluice_event *e = s->host->emit(b, SLUICE_OP_INSERT, t, 0);
        if (!e)
            return my_oom(s, err);
        for (uint32_t i = 0; i < t->ncolumns; i++)
            if (my_value(s->host, b, mt, i, row[i], lens[i], &e->new_row[i]) != 0)
                return my_oom(s, err);
    }
    if (b->nevents > before)
        s->host->count(s->ctx, "snapshot_rows", b->nevents - before);
    return SLUICE_OK;
}
