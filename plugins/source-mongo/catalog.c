/*
 * discover: every database but admin, local and config is a schema; its
 * collections (not views, not system.*) are tables of two columns, _id (the
 * key) and doc (jsonb). The type of _id comes from a sample of sample_size
 * documents: one BSON type (int and long together are long), or "mixed"
 * (jsonb) when they differ; an empty collection gets "string" (text), which
 * holds any ObjectId, number or string key later inserted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_mongo.h"

static int selected(mgsrc *s, const char *db, const char *coll)
{
    if (!SLUICE_HAS(s->host, sluice_host, table_selected))
        return 1;
    return s->host->table_selected(s->ctx, (sluice_str){db, strlen(db)},
                                   (sluice_str){coll, strlen(coll)});
}

static const char *merge_type(const char *seen, const char *now)
{
    if (!seen || strcmp(seen, now) == 0)
        return now;
    int ints = (strcmp(seen, "int") == 0 || strcmp(seen, "long") == 0) &&
               (strcmp(now, "int") == 0 || strcmp(now, "long") == 0);
    return ints ? "long" : "mixed";
}

static sluice_status id_type(mgsrc *s, mongoc_collection_t *c, const char *db,
                             const char **type, sluice_error *err)
{
    bson_t *opts = BCON_NEW("projection", "{", "_id", BCON_INT32(1), "}", "limit",
                            BCON_INT64(s->cfg.sample_size));
    bson_t filter = BSON_INITIALIZER;
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, &filter, opts, NULL);
    bson_destroy(opts);
    const bson_t *doc;
    const char *seen = NULL;
    bson_iter_t it;
    while (mongoc_cursor_next(cur, &doc))
        if (bson_iter_init_find(&it, doc, "_id"))
            seen = merge_type(seen, mg_type_name(bson_iter_type(&it)));
    bson_error_t e;
    sluice_status st = SLUICE_OK;
    if (mongoc_cursor_error(cur, &e))
        st = mg_fail(s, err, &e, "could not read collection \"%s.%s\"", db,
                     mongoc_collection_get_name(c));
    mongoc_cursor_destroy(cur);
    *type = seen ? seen : "string";
    return st;
}

static sluice_status add_collection(mgsrc *s, sluice_catalog *catalog, const char *db,
                                    const char *name, sluice_error *err)
{
    mongoc_collection_t *c = mongoc_client_get_collection(s->client, db, name);
    const char *type;
    sluice_status st = id_type(s, c, db, &type, err);
    bson_error_t e;
    int64_t rows = st == SLUICE_OK ? mongoc_collection_estimated_document_count(c, NULL, NULL,
                                                                                 NULL, &e)
                                   : 0;
    mongoc_collection_destroy(c);
    if (st != SLUICE_OK)
        return st;
    mg_coll *slot = realloc(s->colls, (s->ncolls + 1) * sizeof *s->colls);
    if (!slot)
        return mg_oom(s, err);
    s->colls = slot;
    mg_coll *mc = &s->colls[s->ncolls];
    mc->db = strdup(db);
    mc->name = strdup(name);
    sluice_table *t = s->host->table_add(catalog, (sluice_str){db, strlen(db)},
                                         (sluice_str){name, strlen(name)}, 2);
    if (!mc->db || !mc->name || !t ||
        s->host->column_set(t, 0, (sluice_str){"_id", 3}, (sluice_str){type, strlen(type)},
                            mg_canonical_type(type),
                            SLUICE_COLUMN_KEY | SLUICE_COLUMN_REPLICA_IDENTITY) != 0 ||
        s->host->column_set(t, 1, (sluice_str){"doc", 3}, (sluice_str){"object", 6},
                            SLUICE_TYPE_JSON, 0) != 0) {
        free(mc->db);
        free(mc->name);
        return s->host->error(err, SLUICE_FATAL, "could not add table \"%s.%s\"", db, name);
    }
    t->source_id = (uint64_t)s->ncolls + 1;
    t->estimated_rows = rows > 0 ? (uint64_t)rows : 0;
    mc->table = t;
    s->ncolls++;
    return SLUICE_OK;
}

static sluice_status add_database(mgsrc *s, sluice_catalog *catalog, const char *db,
                                  sluice_error *err)
{
    mongoc_database_t *d = mongoc_client_get_database(s->client, db);
    /* views cannot be watched, and their rows belong to their collections */
    bson_t *opts = BCON_NEW("filter", "{", "type", BCON_UTF8("collection"), "}");
    bson_error_t e;
    char **names = mongoc_database_get_collection_names_with_opts(d, opts, &e);
    bson_destroy(opts);
    mongoc_database_destroy(d);
    if (!names)
        return mg_fail(s, err, &e, "could not list the collections of database \"%s\"", db);
    sluice_status st = SLUICE_OK;
    for (char **n = names; *n && st == SLUICE_OK; n++)
        if (strncmp(*n, "system.", 7) != 0 && selected(s, db, *n))
            st = add_collection(s, catalog, db, *n, err);
    bson_strfreev(names);
    return st;
}

sluice_status mg_discover(void *instance, sluice_catalog *catalog, sluice_error *err)
{
    mgsrc *s = instance;
    bson_error_t e;
    char **dbs = mongoc_client_get_database_names_with_opts(s->client, NULL, &e);
    if (!dbs)
        return mg_fail(s, err, &e, "could not list the databases of server \"%s\"", s->server);
    sluice_status st = SLUICE_OK;
    for (char **d = dbs; *d && st == SLUICE_OK; d++)
        if (strcmp(*d, "admin") != 0 && strcmp(*d, "local") != 0 && strcmp(*d, "config") != 0)
            st = add_database(s, catalog, *d, err);
    bson_strfreev(dbs);
    return st;
}

mg_coll *mg_coll_find(mgsrc *s, const char *db, uint32_t dblen, const char *name,
                      uint32_t namelen)
{
    for (uint32_t i = 0; i < s->stream.naliases; i++) {
        const mg_alias *a = &s->stream.aliases[i];
        if (strlen(a->db) == dblen && memcmp(a->db, db, dblen) == 0 &&
            strlen(a->name) == namelen && memcmp(a->name, name, namelen) == 0)
            return &s->colls[a->coll];
    }
    for (uint32_t i = 0; i < s->ncolls; i++) {
        const mg_coll *c = &s->colls[i];
        if (strlen(c->db) == dblen && memcmp(c->db, db, dblen) == 0 &&
            strlen(c->name) == namelen && memcmp(c->name, name, namelen) == 0)
            return &s->colls[i];
    }
    return NULL;
}
