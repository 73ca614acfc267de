/*
 * ABI 1.3 native values: a table whose columns all have a binary send/recv
 * form that means the same in another database is offered as
 * SLUICE_NATIVE_PG_BINARY, and read with COPY ... (FORMAT binary) into
 * NATIVE values (the field bytes as they are).
 *
 * Not every binary form travels. Some carry the OIDs of this database: an
 * array names its element type, a composite its fields' types (a user type's
 * OID differs between databases, so the target would refuse them), and the
 * reg* types are OIDs themselves (regclass names a table by its number).
 * So a type qualifies when it has send and receive functions and is a
 * built-in base or multirange type (fixed OIDs), an enum (sent as its label),
 * a domain or a range whose underlying types qualify; composites, pseudo-types,
 * and other types of extensions or users do not (text carries those).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_pg.h"

/* The first type reached from $1 (column types, through domains, element and
   range subtypes) that does not qualify; no row when all do. 16384 is
   FirstNormalObjectId: OIDs below it are the built-in ones. */
static const char unfit_sql[] =
    "WITH RECURSIVE t(oid) AS ("
    "  SELECT unnest($1::pg_catalog.oid[]) "
    "  UNION "
    "  SELECT x.o FROM t JOIN pg_catalog.pg_type y ON y.oid = t.oid, LATERAL (VALUES "
    "    (nullif(y.typbasetype, 0)), (nullif(y.typelem, 0)), "
    "    ((SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid = y.oid))) x(o) "
    "  WHERE x.o IS NOT NULL) "
    "SELECT coalesce(pg_catalog.format_type(t.oid, NULL), t.oid::text) "
    "FROM t LEFT JOIN pg_catalog.pg_type y ON y.oid = t.oid "
    "WHERE y.oid IS NULL OR y.typsend::pg_catalog.oid = 0 "
    "   OR y.typreceive::pg_catalog.oid = 0 OR y.typtype NOT IN ('b', 'd', 'e', 'r', 'm') "
    "   OR (y.typtype IN ('b', 'm') AND y.oid >= 16384) "
    "   OR (y.typnamespace = 'pg_catalog'::pg_catalog.regnamespace AND y.typname ~ '^_?reg') "
    "LIMIT 1";

uint32_t pg_native_format(void *instance, const sluice_table *table)
{
    pgsrc *s = instance;
    pg_table *pt = pg_table_by_oid(s, (uint32_t)table->source_id);
    if (strcmp(s->cfg.copy_format, "text") == 0 || !pt || !s->conn || s->copy.active)
        return SLUICE_NATIVE_NONE;
    sbuf oids = {0};
    sb_put(&oids, "{", 1);
    for (uint32_t i = 0; i < pt->ncols; i++)
        sb_printf(&oids, "%s%u", i ? "," : "", pt->cols[i].type_oid);
    sb_put(&oids, "}", 1);
    char *list = sb_take(&oids);
    if (!list)
        return SLUICE_NATIVE_NONE;
    const char *params[] = {list};
    PGresult *res = PQexecParams(s->conn, unfit_sql, 1, NULL, params, NULL, NULL, 0);
    free(list);
    uint32_t format = SLUICE_NATIVE_NONE;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        s->host->log(s->ctx, SLUICE_LOG_DEBUG,
                     "could not check the binary forms of table \"%.*s.%.*s\": %s",
                     (int)table->schema.len, table->schema.ptr, (int)table->name.len,
                     table->name.ptr, PQresultErrorMessage(res));
    else if (PQntuples(res) > 0)
        s->host->log(s->ctx, SLUICE_LOG_DEBUG,
                     "table \"%.*s.%.*s\" is read as text: type %s has no portable binary form",
                     (int)table->schema.len, table->schema.ptr, (int)table->name.len,
                     table->name.ptr, PQgetvalue(res, 0, 0));
    else
        format = SLUICE_NATIVE_PG_BINARY;
    PQclear(res);
    return format;
}

/* ---- rows ---- */

static sluice_status bad_stream(pgsrc *s, const sluice_table *t, const char *why,
                                sluice_error *err)
{
    s->host->error(err, SLUICE_FATAL, "unexpected binary COPY data from table \"%.*s.%.*s\"",
                   (int)t->schema.len, t->schema.ptr, (int)t->name.len, t->name.ptr);
    s->host->error_detail(err, "%s.", why);
    s->host->error_hint(err, "Set copy_format = \"text\" in the source to read it as text, "
                             "and report the problem.");
    return SLUICE_FATAL;
}

/* One parsed tuple as an INSERT: its bytes copied once into the batch, the values
   pointing into that copy. */
static sluice_status emit_row(pgsrc *s, const sluice_table *t, sluice_batch *b,
                              const uint8_t *start, size_t used, sluice_error *err)
{
    sluice_event *e = s->host->emit(b, SLUICE_OP_INSERT, t, 0);
    char *copy = e ? s->host->alloc(b, used) : NULL;
    if (!copy)
        return pg_oom(s, err);
    memcpy(copy, start, used);
    const pgb_field *f = s->copy.fields;
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        if (f[i].len < 0)
            continue; /* NULL: emit left it so */
        sluice_value *v = &e->new_row[i];
        v->kind = SLUICE_VALUE_NATIVE;
        v->len = (uint32_t)f[i].len;
        v->u.bytes = copy + (f[i].data - start);
    }
    return SLUICE_OK;
}

/* Rows from data[0 .. n) until the batch fills; *done: bytes consumed. */
static sluice_status parse_rows(pgsrc *s, const sluice_table *t, sluice_batch *b,
                                const uint8_t *data, size_t n, size_t *done, sluice_error *err)
{
    pg_copy *c = &s->copy;
    size_t pos = 0;
    *done = 0;
    c->carry_short = 0;
    while (pos < n) {
        if (b->nevents > 0 && s->host->batch_full(b))
            break;
        size_t used;
        pgb_status ps = pgb_next(&c->parser, data + pos, n - pos, &used, c->fields);
        if (ps == PGB_MORE) {
            c->carry_short = 1;
            break;
        }
        if (ps == PGB_BAD)
            return bad_stream(s, t, c->parser.error, err);
        if (ps == PGB_END) {
            c->ended = 1;
        } else {
            sluice_status st = emit_row(s, t, b, data + pos, used, err);
            if (st != SLUICE_OK)
                return st;
        }
        pos += used;
    }
    *done = pos;
    return SLUICE_OK;
}

static int carry_add(pg_copy *c, const uint8_t *p, size_t n)
{
    if (c->carry_len + n > c->carry_cap) {
        size_t cap = c->carry_cap ? c->carry_cap : 64 * 1024;
        while (cap < c->carry_len + n)
            cap *= 2;
        uint8_t *more = realloc(c->carry, cap);
        if (!more)
            return -1;
        c->carry = more;
        c->carry_cap = cap;
    }
    memcpy(c->carry + c->carry_len, p, n);
    c->carry_len += n;
    return 0;
}

/* Parses the carried bytes; what is left of them moves to the front. */
static sluice_status parse_carry(pgsrc *s, const sluice_table *t, sluice_batch *b,
                                 sluice_error *err)
{
    pg_copy *c = &s->copy;
    size_t done;
    sluice_status st = parse_rows(s, t, b, c->carry, c->carry_len, &done, err);
    if (st == SLUICE_OK) {
        memmove(c->carry, c->carry + done, c->carry_len - done);
        c->carry_len -= done;
    }
    return st;
}

sluice_status pg_copy_binary_carry(pgsrc *s, const sluice_table *t, sluice_batch *b,
                                   sluice_error *err)
{
    pg_copy *c = &s->copy;
    if (c->carry_len == 0 || c->carry_short)
        return SLUICE_OK;
    return parse_carry(s, t, b, err);
}

sluice_status pg_copy_binary_data(pgsrc *s, const sluice_table *t, sluice_batch *b,
                                  const uint8_t *data, size_t n, sluice_error *err)
{
    pg_copy *c = &s->copy;
    if (c->carry_len > 0) { /* after an incomplete row: parse it with the new bytes */
        if (carry_add(c, data, n) != 0)
            return pg_oom(s, err);
        return parse_carry(s, t, b, err);
    }
    size_t done;
    sluice_status st = parse_rows(s, t, b, data, n, &done, err);
    if (st == SLUICE_OK && done < n && carry_add(c, data + done, n - done) != 0)
        return pg_oom(s, err);
    return st;
}
