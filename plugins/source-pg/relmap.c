/*
 * RELATION messages: the stream names tables by relation id and describes each
 * once per session, and again whenever its shape changes (ADD/DROP/ALTER
 * COLUMN, a new replica identity, TRUNCATE). We keep the last description per
 * relid (sorted, for bsearch on every change) and compare it with the table's
 * current version; a different shape becomes a new version (host
 * table_reshape) whose SCHEMA event goes out before the table's next change.
 */
#include <stdlib.h>
#include <string.h>

#include "source_pg.h"

static int cmp_rel(const void *key, const void *item)
{
    uint32_t a = *(const uint32_t *)key, b = ((const pg_rel *)item)->relid;
    return a < b ? -1 : a > b;
}

pg_rel *pg_rel_find(pg_stream *st, uint32_t relid)
{
    return st->nrels ? bsearch(&relid, st->rels, st->nrels, sizeof *st->rels, cmp_rel) : NULL;
}

static pg_rel *rel_insert(pg_stream *st, uint32_t relid)
{
    if (st->nrels == st->caprels) {
        size_t cap = st->caprels ? st->caprels * 2 : 32;
        pg_rel *more = realloc(st->rels, cap * sizeof *more);
        if (!more)
            return NULL;
        st->rels = more;
        st->caprels = cap;
    }
    size_t at = 0;
    while (at < st->nrels && st->rels[at].relid < relid)
        at++;
    memmove(&st->rels[at + 1], &st->rels[at], (st->nrels - at) * sizeof *st->rels);
    st->nrels++;
    pg_rel *r = &st->rels[at];
    memset(r, 0, sizeof *r);
    r->relid = relid;
    r->table = -1;
    return r;
}

/* Same columns, in the same order, of the same types, with the same identity. */
static int same_shape(const pg_table *pt, const pgo_relation *rel)
{
    if (rel->ncols != pt->ncols)
        return 0;
    pgo_relcol_iter it;
    pgo_relcol rc;
    uint32_t i = 0;
    pgo_relcol_iter_init(&it, rel);
    while (pgo_relcol_next(&it, &rc)) {
        const sluice_column *c = sluice_table_column(pt->table, i);
        int identity = (c->flags & SLUICE_COLUMN_REPLICA_IDENTITY) != 0;
        if (c->name.len != rc.name.len || memcmp(c->name.ptr, rc.name.ptr, rc.name.len) != 0 ||
            pt->cols[i].type_oid != rc.type_oid || pt->cols[i].typmod != rc.typmod ||
            identity != ((rc.flags & PGO_RELCOL_KEY) != 0))
            return 0;
        i++;
    }
    return 1;
}

sluice_status pg_rel_update(pgsrc *s, const pgo_relation *rel, sluice_error *err)
{
    pg_stream *st = &s->stream;
    pg_rel *r = pg_rel_find(st, rel->relid);
    if (!r && !(r = rel_insert(st, rel->relid)))
        return pg_oom(s, err);
    uint8_t *key = realloc(r->key, rel->ncols ? rel->ncols : 1);
    if (!key)
        return pg_oom(s, err);
    r->key = key;
    r->ncols = rel->ncols;
    pgo_relcol_iter it;
    pgo_relcol rc;
    uint32_t i = 0;
    pgo_relcol_iter_init(&it, rel);
    while (i < rel->ncols && pgo_relcol_next(&it, &rc))
        key[i++] = (rc.flags & PGO_RELCOL_KEY) != 0;
    pg_table *pt = pg_table_by_oid(s, rel->relid);
    r->table = pt ? (int)(pt - s->tables) : -1;
    if (!pt || same_shape(pt, rel))
        return SLUICE_OK;
    sluice_status status = pg_catalog_reshape(s, pt, rel, err);
    if (status != SLUICE_OK)
        return status;
    r->schema_pending = 1;
    s->host->log(s->ctx, SLUICE_LOG_INFO, "table \"%.*s.%.*s\" changed shape: %u columns now",
                 (int)pt->table->schema.len, pt->table->schema.ptr, (int)pt->table->name.len,
                 pt->table->name.ptr, (unsigned)rel->ncols);
    return SLUICE_OK;
}

void pg_rels_free(pg_stream *st)
{
    for (size_t i = 0; i < st->nrels; i++)
        free(st->rels[i].key);
    free(st->rels);
    st->rels = NULL;
    st->nrels = st->caprels = 0;
}
