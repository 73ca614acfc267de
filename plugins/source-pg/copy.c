/*
 * The full load: split_table cuts a table into ranges of its integer key, or of
 * ctid blocks when it has none; read_chunk runs COPY (SELECT ... WHERE range)
 * TO STDOUT under the snapshot and turns its text rows into values. The COPY
 * stays open across calls, one batch at a time.
 *
 * When the core agreed on SLUICE_NATIVE_PG_BINARY for the chunk (ABI 1.3),
 * the COPY is FORMAT binary and its rows become NATIVE values (copynative.c);
 * the snapshot, the ranges and the SELECT stay the same.
 *
 * A chunk limited to partitions (ABI 1.4, DMS parallel-load by partitions)
 * reads each of them FROM ONLY the partition (partitions.c), UNION ALL.
 *
 * Chunk bounds are a WHERE clause fragment; the first chunk is open below and
 * the last open above, so rows outside the ranges seen at split time (the
 * split does not run under the snapshot) still land in exactly one chunk.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_pg.h"

/* ---- split_table ---- */

static sluice_status add_bounds(pgsrc *s, sluice_chunk_list *out, const char *text,
                                sluice_error *err)
{
    if (s->host->chunk_add(out, (sluice_str){text, strlen(text)}) != 0)
        return pg_oom(s, err);
    return SLUICE_OK;
}

/* `want` ranges of [lo, hi] cut at lo + k * step; expr is the column or ctid. */
static sluice_status add_ranges(pgsrc *s, sluice_chunk_list *out, const char *expr, __int128 lo,
                                __int128 hi, uint32_t want, int tid, sluice_error *err)
{
    __int128 span = hi - lo + 1, step = (span + want - 1) / want;
    char prev[64] = "", cut[64], bounds[300];
    sluice_status st = SLUICE_OK;
    for (uint32_t k = 1; k < want && st == SLUICE_OK; k++) {
        __int128 at = lo + step * k;
        if (at > hi)
            break;
        if (tid)
            snprintf(cut, sizeof cut, "'(%" PRId64 ",0)'::tid", (int64_t)at);
        else
            snprintf(cut, sizeof cut, "%" PRId64, (int64_t)at);
        if (prev[0])
            snprintf(bounds, sizeof bounds, "%s >= %s AND %s < %s", expr, prev, expr, cut);
        else
            snprintf(bounds, sizeof bounds, "%s < %s", expr, cut);
        st = add_bounds(s, out, bounds, err);
        snprintf(prev, sizeof prev, "%s", cut);
    }
    if (st == SLUICE_OK && prev[0]) {
        snprintf(bounds, sizeof bounds, "%s >= %s", expr, prev);
        st = add_bounds(s, out, bounds, err);
    }
    return st;
}

static sluice_status split_by_key(pgsrc *s, const pg_table *pt, const char *qualified,
                                  uint32_t want, sluice_chunk_list *out, sluice_error *err)
{
    const sluice_column *key = sluice_table_column(pt->table, (uint32_t)pt->int_key);
    char *col = pg_quote_ident(key->name.ptr, key->name.len);
    size_t n = (col ? strlen(col) * 2 : 0) + strlen(qualified) + 64;
    char *sql = col ? malloc(n) : NULL;
    if (!sql) {
        free(col);
        return pg_oom(s, err);
    }
    snprintf(sql, n, "SELECT min(%s), max(%s) FROM %s", col, col, qualified);
    PGresult *res = pg_exec(s, s->conn, sql, 0, NULL, PGRES_TUPLES_OK, "find the key range", err);
    free(sql);
    sluice_status st = res ? SLUICE_OK : SLUICE_FATAL;
    int64_t lo, hi;
    if (res && !PQgetisnull(res, 0, 0) &&
        parse_int64(PQgetvalue(res, 0, 0), strlen(PQgetvalue(res, 0, 0)), &lo) == 0 &&
        parse_int64(PQgetvalue(res, 0, 1), strlen(PQgetvalue(res, 0, 1)), &hi) == 0 && hi > lo)
        st = add_ranges(s, out, col, lo, hi, want, 0, err);
    PQclear(res);
    free(col);
    return st;
}

static sluice_status split_by_blocks(pgsrc *s, const pg_table *pt, uint32_t want,
                                     sluice_chunk_list *out, sluice_error *err)
{
    char oid[16];
    snprintf(oid, sizeof oid, "%u", pt->oid);
    const char *params[] = {oid};
    PGresult *res = pg_exec(s, s->conn,
                            "SELECT pg_relation_size($1::oid) / "
                            "current_setting('block_size')::int8",
                            1, params, PGRES_TUPLES_OK, "read the table's size", err);
    if (!res)
        return SLUICE_FATAL;
    int64_t pages = 0;
    parse_int64(PQgetvalue(res, 0, 0), strlen(PQgetvalue(res, 0, 0)), &pages);
    PQclear(res);
    if (pages < 2)
        return SLUICE_OK;
    if ((int64_t)want > pages)
        want = (uint32_t)pages;
    return add_ranges(s, out, "ctid", 0, pages - 1, want, 1, err);
}

sluice_status pg_split_table(void *instance, const sluice_table *table, uint32_t want,
                             sluice_chunk_list *out, sluice_error *err)
{
    pgsrc *s = instance;
    pg_table *pt = pg_table_by_oid(s, (uint32_t)table->source_id);
    if (!pt || want < 2)
        return SLUICE_OK;
    char *qualified = pg_qualified(pt->table);
    if (!qualified)
        return pg_oom(s, err);
    sluice_status st = SLUICE_OK;
    if (pt->int_key >= 0)
        st = split_by_key(s, pt, qualified, want, out, err);
    else if (pt->relkind == 'r') /* ctids repeat across partitions: those stay whole */
        st = split_by_blocks(s, pt, want, out, err);
    free(qualified);
    return st;
}

/* ---- read_chunk ---- */

/* Reads (and drops) what is left of an abandoned COPY so the connection is usable. */
void pg_copy_reset(pgsrc *s)
{
    pg_copy *c = &s->copy;
    if (!c->active || !s->conn)
        return;
    char *buf;
    int n;
    while ((n = PQgetCopyData(s->conn, &buf, 0)) > 0)
        PQfreemem(buf);
    PGresult *res;
    while ((res = PQgetResult(s->conn)))
        PQclear(res);
    c->active = 0;
    c->carry_len = 0;
}

void pg_copy_free(pgsrc *s)
{
    free(s->copy.carry);
    free(s->copy.fields);
    s->copy.carry = NULL;
    s->copy.fields = NULL;
    s->copy.carry_len = s->copy.carry_cap = 0;
}

/* SELECT "a", "b" FROM from [WHERE bounds AND filters]; 1 in *filtered when they were added */
static void select_sql(sbuf *b, const sluice_chunk *chunk, const char *from, int *filtered)
{
    const sluice_table *t = chunk->table;
    sb_printf(b, "SELECT ");
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const sluice_column *col = sluice_table_column(t, i);
        if (i)
            sb_put(b, ", ", 2);
        pg_buf_ident(b, col->name.ptr, col->name.len);
    }
    sb_printf(b, " FROM %s", from);
    if (chunk->bounds.len)
        sb_printf(b, " WHERE (%.*s)", (int)chunk->bounds.len, chunk->bounds.ptr);
    *filtered = pg_filter_sql(b, chunk, chunk->bounds.len == 0);
}

/* COPY (SELECT "a", "b" FROM [ONLY] "s"."t" [WHERE bounds]) TO STDOUT, or for a chunk
   of partitions (ABI 1.4) one SELECT per partition, UNION ALL */
static char *copy_sql(const sluice_chunk *chunk, char **from, uint32_t nfrom, int binary,
                      int *filtered)
{
    sbuf b = {0};
    sb_printf(&b, "COPY (");
    for (uint32_t i = 0; i < nfrom; i++) {
        if (i)
            sb_printf(&b, " UNION ALL ");
        select_sql(&b, chunk, from[i], filtered);
    }
    sb_printf(&b, ") TO STDOUT%s", binary ? " (FORMAT binary)" : "");
    return sb_take(&b);
}

/* The chunk's FROM items: its partitions, or the table (ONLY keeps inheritance
   children out, each a table of its own; a partitioned table has no rows of its
   own, so it is read whole). */
sluice_status pg_chunk_from(pgsrc *s, const sluice_chunk *chunk, char ***from, uint32_t *n,
                            sluice_error *err)
{
    uint32_t np;
    if (sluice_chunk_partitions(chunk, &np))
        return pg_partition_from(s, chunk, from, n, err);
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRIu64, chunk->table->source_id);
    const char *params[] = {oid};
    PGresult *res = pg_exec(s, s->conn, "SELECT relkind FROM pg_class WHERE oid = $1::oid", 1,
                            params, PGRES_TUPLES_OK, "look up the table", err);
    if (!res)
        return SLUICE_FATAL;
    int only = !(PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 'p');
    PQclear(res);
    char *qualified = pg_qualified(chunk->table);
    *from = calloc(1, sizeof **from);
    size_t len = qualified ? strlen(qualified) + 6 : 0;
    char *item = qualified && *from ? malloc(len) : NULL;
    if (!item) {
        free(qualified);
        free(*from);
        *from = NULL;
        return pg_oom(s, err);
    }
    snprintf(item, len, "%s%s", only ? "ONLY " : "", qualified);
    free(qualified);
    (*from)[0] = item;
    *n = 1;
    return SLUICE_OK;
}

static sluice_status start_copy(pgsrc *s, const sluice_chunk *chunk, sluice_error *err)
{
    pg_copy_reset(s);
    pg_copy *c = &s->copy;
    c->binary = sluice_chunk_native_format(chunk) == SLUICE_NATIVE_PG_BINARY;
    if (c->binary) {
        uint32_t n = chunk->table->ncolumns;
        free(c->fields);
        c->fields = malloc((n ? n : 1) * sizeof *c->fields);
        if (!c->fields)
            return pg_oom(s, err);
        pgb_init(&c->parser, n);
        c->carry_len = 0;
        c->carry_short = 0;
        c->ended = 0;
    }
    char **from;
    uint32_t nfrom;
    sluice_status st = pg_chunk_from(s, chunk, &from, &nfrom, err);
    if (st != SLUICE_OK)
        return st;
    char *sql = copy_sql(chunk, from, nfrom, c->binary, &c->filtered);
    pg_free_strings(from, nfrom);
    if (!sql)
        return pg_oom(s, err);
    PGresult *res = PQexec(s->conn, sql);
    free(sql);
    if (!res || PQresultStatus(res) != PGRES_COPY_OUT) {
        pg_fail(s, err, SLUICE_FATAL, s->conn, res, "could not read table \"%.*s.%.*s\"",
                (int)chunk->table->schema.len, chunk->table->schema.ptr,
                (int)chunk->table->name.len, chunk->table->name.ptr);
        PQclear(res);
        return SLUICE_FATAL;
    }
    PQclear(res);
    s->copy.active = 1;
    s->copy.source_id = chunk->table->source_id;
    s->copy.index = chunk->index;
    return SLUICE_OK;
}

static sluice_status bad_row(pgsrc *s, const sluice_table *t, const char *why, sluice_error *err)
{
    s->host->error(err, SLUICE_FATAL, "unexpected COPY row from table \"%.*s.%.*s\"",
                   (int)t->schema.len, t->schema.ptr, (int)t->name.len, t->name.ptr);
    s->host->error_detail(err, "%s", why);
    return SLUICE_FATAL;
}

/* One COPY text row (fields split at tabs, ending in a newline) as an INSERT event. */
static sluice_status emit_row(pgsrc *s, const sluice_table *t, sluice_batch *b, const char *row,
                              size_t len, sluice_error *err)
{
    if (len > 0 && row[len - 1] == '\n')
        len--;
    sluice_event *e = s->host->emit(b, SLUICE_OP_INSERT, t, 0);
    if (!e)
        return pg_oom(s, err);
    const char *p = row, *end = row + len;
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        if (p > end)
            return bad_row(s, t, "A row has fewer fields than the table has columns.", err);
        const char *f = p;
        const char *tab = memchr(f, '\t', (size_t)(end - f));
        size_t n = tab ? (size_t)(tab - f) : (size_t)(end - f);
        p = f + n + 1;
        sluice_value *v = &e->new_row[i];
        if (n == 2 && f[0] == '\\' && f[1] == 'N')
            continue; /* NULL: emit left it so */
        int has_escape = memchr(f, '\\', n) != NULL;
        if (!has_escape && pg_type_is_int((sluice_type)sluice_table_column(t, i)->type) &&
            parse_int64(f, n, &v->u.i) == 0) {
            v->kind = SLUICE_VALUE_INT;
            continue;
        }
        char *dst = s->host->alloc(b, n ? n : 1);
        if (!dst)
            return pg_oom(s, err);
        v->kind = SLUICE_VALUE_TEXT;
        v->len = (uint32_t)(has_escape ? pg_copy_unescape(f, n, dst) : (memcpy(dst, f, n), n));
        v->u.bytes = dst;
    }
    if (p <= end)
        return bad_row(s, t, "A row has more fields than the table has columns.", err);
    return SLUICE_OK;
}

sluice_status pg_read_chunk(void *instance, const sluice_chunk *chunk, sluice_batch *b,
                            sluice_error *err)
{
    pgsrc *s = instance;
    pg_copy *c = &s->copy;
    sluice_status st;
    if (!c->active || c->source_id != chunk->table->source_id || c->index != chunk->index) {
        if ((st = start_copy(s, chunk, err)) != SLUICE_OK)
            return st;
    }
    if (!b->table)
        b->table = chunk->table;
    if (c->binary)
        b->native_format = SLUICE_NATIVE_PG_BINARY;
    uint32_t before = b->nevents;
    if (c->filtered) /* the COPY query applies the chunk's filters */
        b->flags |= SLUICE_BATCH_FILTERED;
    if (c->binary && (st = pg_copy_binary_carry(s, chunk->table, b, err)) != SLUICE_OK)
        return st;
    for (;;) {
        if (b->nevents > 0 && s->host->batch_full(b))
            break;
        char *row;
        int n = PQgetCopyData(s->conn, &row, 0);
        if (n > 0) {
            if (c->binary)
                st = pg_copy_binary_data(s, chunk->table, b, (const uint8_t *)row, (size_t)n,
                                         err);
            else
                st = emit_row(s, chunk->table, b, row, (size_t)n, err);
            PQfreemem(row);
            if (st != SLUICE_OK)
                return st;
            continue;
        }
        PGresult *res = n == -1 ? PQgetResult(s->conn) : NULL;
        c->active = 0;
        if (res && PQresultStatus(res) == PGRES_COMMAND_OK && c->binary &&
            (!c->ended || c->carry_len > 0)) {
            PQclear(res);
            while ((res = PQgetResult(s->conn)))
                PQclear(res);
            return bad_row(s, chunk->table,
                           c->ended ? "Bytes follow the end of the binary COPY stream."
                                    : "The binary COPY stream ended inside a row or without "
                                      "its trailer.",
                           err);
        }
        if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
            pg_fail(s, err, SLUICE_FATAL, s->conn, res, "could not read table \"%.*s.%.*s\"",
                    (int)chunk->table->schema.len, chunk->table->schema.ptr,
                    (int)chunk->table->name.len, chunk->table->name.ptr);
            PQclear(res);
            return SLUICE_FATAL;
        }
        PQclear(res);
        while ((res = PQgetResult(s->conn)))
            PQclear(res);
        b->flags |= SLUICE_BATCH_LAST;
        break;
    }
    if (b->nevents > before)
        s->host->count(s->ctx, "snapshot_rows", b->nevents - before);
    return SLUICE_OK;
}
