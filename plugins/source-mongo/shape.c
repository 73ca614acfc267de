/*
 * A collection's columns. Document mode (nestingLevel "none", like AWS DMS's):
 * _id, the key, and doc, the whole document. Table mode (nestingLevel "one"):
 * _id and a column per top-level field seen in a sample of docsToInvestigate
 * documents, typed by the BSON types seen (mg_merge_type: a field of several
 * types is "mixed", jsonb); nested documents and arrays are jsonb values.
 *
 * A change whose document has a field that is not yet a column makes a new
 * version of the table (host table_reshape) with a column for each new field,
 * typed by that value; its SCHEMA event goes out before the change, as the
 * first event of a batch (stream.c), and the target adds the columns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_mongo.h"

sluice_status mg_sample(mgsrc *s, mongoc_collection_t *c, const char *db, mg_fields *f,
                        sluice_error *err)
{
    bson_t *opts = s->table_mode ? bson_new()
                                 : BCON_NEW("projection", "{", "_id", BCON_INT32(1), "}");
    if (s->cfg.docs_to_investigate > 0)
        BSON_APPEND_INT64(opts, "limit", s->cfg.docs_to_investigate);
    bson_t filter = BSON_INITIALIZER;
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, &filter, opts, NULL);
    bson_destroy(opts);
    const bson_t *doc;
    int failed = 0;
    while (!failed && mongoc_cursor_next(cur, &doc))
        failed = mg_fields_add_document(f, doc) != 0;
    bson_error_t e;
    sluice_status st = failed ? mg_oom(s, err) : SLUICE_OK;
    if (st == SLUICE_OK && mongoc_cursor_error(cur, &e))
        st = mg_fail(s, err, &e, "could not read collection \"%s.%s\"", db,
                     mongoc_collection_get_name(c));
    mongoc_cursor_destroy(cur);
    return st;
}

static int is_update_column(const sluice_column *c)
{
    return c->source_type.len == strlen(MG_UPDATE_TYPE) &&
           memcmp(c->source_type.ptr, MG_UPDATE_TYPE, c->source_type.len) == 0;
}

int mg_update_column(const sluice_table *t)
{
    for (uint32_t i = t->ncolumns; i-- > 1;) /* last, unless fields were added since */
        if (is_update_column(sluice_table_column(t, i)))
            return (int)i;
    return -1;
}

static int set_field_column(mgsrc *s, sluice_table *t, uint32_t i, const char *name,
                            const char *type)
{
    return s->host->column_set(t, i, (sluice_str){name, strlen(name)},
                               (sluice_str){type, strlen(type)}, mg_canonical_type(type),
                               SLUICE_COLUMN_NULLABLE);
}

sluice_table *mg_table_make(mgsrc *s, sluice_catalog *catalog, const char *db,
                            const char *name, const mg_fields *f)
{
    int id = mg_fields_find(f, "_id", 3);
    uint32_t fields = s->table_mode ? f->n - (id >= 0) : 1;
    uint32_t n = 1 + fields + (s->cfg.update_description ? 1 : 0);
    sluice_table *t = s->host->table_add(catalog, (sluice_str){db, strlen(db)},
                                         (sluice_str){name, strlen(name)}, n);
    if (!t)
        return NULL;
    /* an empty sample: text holds any ObjectId, number or string key inserted later */
    const char *id_type = id >= 0 ? f->v[id].type : "string";
    int failed = s->host->column_set(t, 0, (sluice_str){"_id", 3},
                                     (sluice_str){id_type, strlen(id_type)},
                                     mg_canonical_type(id_type),
                                     SLUICE_COLUMN_KEY | SLUICE_COLUMN_REPLICA_IDENTITY) != 0;
    uint32_t i = 1;
    if (!s->table_mode)
        failed |= s->host->column_set(t, i++, (sluice_str){"doc", 3}, (sluice_str){"object", 6},
                                      SLUICE_TYPE_JSON, 0) != 0;
    for (uint32_t k = 0; s->table_mode && k < f->n; k++)
        if ((int)k != id)
            failed |= set_field_column(s, t, i++, f->v[k].name, f->v[k].type) != 0;
    if (s->cfg.update_description)
        failed |= set_field_column(s, t, i, MG_UPDATE_COLUMN, MG_UPDATE_TYPE) != 0;
    return failed ? NULL : t;
}

/* The column of field name (not _id, not the update description), or -1; the
   search starts at `from`, where the next field usually is. */
int mg_field_column(const sluice_table *t, const char *name, size_t len, uint32_t from)
{
    uint32_t n = t->ncolumns;
    for (uint32_t k = 0; k + 1 < n; k++) {
        uint32_t i = 1 + (from - 1 + k) % (n - 1);
        const sluice_column *c = sluice_table_column(t, i);
        if (c->name.len == len && memcmp(c->name.ptr, name, len) == 0 && !is_update_column(c))
            return (int)i;
    }
    return -1;
}

const char *mg_new_field(const mgsrc *s, const sluice_table *t, const bson_t *doc)
{
    bson_iter_t it;
    if (!s->table_mode || !bson_iter_init(&it, doc))
        return NULL;
    uint32_t next = 1;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        if (strcmp(k, "_id") == 0)
            continue;
        int i = mg_field_column(t, k, bson_iter_key_len(&it), next);
        if (i < 0)
            return k;
        next = (uint32_t)i + 1;
    }
    return NULL;
}

sluice_status mg_widen(mgsrc *s, sluice_catalog *catalog, const sluice_table *old,
                       const bson_t *doc, const sluice_table **out, sluice_error *err)
{
    mg_fields f = {0};
    bson_iter_t it;
    if (!bson_iter_init(&it, doc))
        return s->host->error(err, SLUICE_FATAL, "invalid document in collection \"%.*s.%.*s\"",
                              (int)old->schema.len, old->schema.ptr, (int)old->name.len,
                              old->name.ptr);
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        size_t len = bson_iter_key_len(&it);
        if (strcmp(k, "_id") != 0 && mg_field_column(old, k, len, 1) < 0 &&
            mg_fields_add(&f, k, len, mg_type_name(bson_iter_type(&it))) != 0) {
            mg_fields_free(&f);
            return mg_oom(s, err);
        }
    }
    sluice_table *t = f.n ? s->host->table_reshape(catalog, old, old->ncolumns + f.n) : NULL;
    int failed = !t;
    for (uint32_t i = 0; !failed && i < old->ncolumns; i++) {
        const sluice_column *oc = sluice_table_column(old, i);
        failed = s->host->column_set(t, i, oc->name, oc->source_type, oc->type, oc->flags) != 0;
    }
    for (uint32_t k = 0; !failed && k < f.n; k++)
        failed = set_field_column(s, t, old->ncolumns + k, f.v[k].name, f.v[k].type) != 0;
    if (!failed)
        s->host->log(s->ctx, SLUICE_LOG_INFO,
                     "collection \"%.*s.%.*s\" has %u new field%s (\"%s\"%s): its table has %u "
                     "columns now",
                     (int)old->schema.len, old->schema.ptr, (int)old->name.len, old->name.ptr,
                     (unsigned)f.n, f.n == 1 ? "" : "s", f.v[0].name, f.n > 1 ? ", ..." : "",
                     t->ncolumns);
    mg_fields_free(&f);
    if (failed)
        return mg_oom(s, err);
    *out = t;
    return SLUICE_OK;
}

sluice_status mg_reshape(mgsrc *s, mg_coll *c, const bson_t *doc, sluice_error *err)
{
    if (!s->catalog)
        return s->host->error(err, SLUICE_FATAL, "collection \"%s.%s\" has a new field, and no "
                              "catalog is at hand", c->db, c->name);
    const sluice_table *t;
    sluice_status st = mg_widen(s, s->catalog, c->table, doc, &t, err);
    if (st != SLUICE_OK)
        return st;
    c->table = t;
    c->schema_pending = 1;
    return SLUICE_OK;
}
