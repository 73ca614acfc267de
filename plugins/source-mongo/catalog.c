/*
 * discover: every database but admin, local and config is a schema; its
 * collections (not views, not system.*) are tables whose columns come from a
 * sample of their documents (shape.c). A collection created while streaming
 * is added to the same catalog when its first change arrives.
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

static int user_database(const char *db)
{
    return strcmp(db, "admin") != 0 && strcmp(db, "local") != 0 && strcmp(db, "config") != 0;
}

/* Samples db.name (and, for a collection created while streaming, the document
   of its first change too) and adds its table; *out is the new entry. */
static sluice_status add_collection(mgsrc *s, sluice_catalog *catalog, const char *db,
                                    const char *name, const bson_t *also, mg_coll **out,
                                    sluice_error *err)
{
    mongoc_collection_t *c = mongoc_client_get_collection(s->client, db, name);
    mg_fields f = {0};
    sluice_status st = mg_sample(s, c, db, &f, err);
    if (st == SLUICE_OK && also && mg_fields_add_document(&f, also) != 0)
        st = mg_oom(s, err);
    bson_error_t e;
    int64_t rows = st == SLUICE_OK ? mongoc_collection_estimated_document_count(c, NULL, NULL,
                                                                                 NULL, &e)
                                   : 0;
    mongoc_collection_destroy(c);
    mg_coll *slot = st == SLUICE_OK ? realloc(s->colls, (s->ncolls + 1) * sizeof *s->colls)
                                    : NULL;
    if (st == SLUICE_OK && !slot)
        st = mg_oom(s, err);
    if (st != SLUICE_OK) {
        mg_fields_free(&f);
        return st;
    }
    s->colls = slot;
    mg_coll *mc = &s->colls[s->ncolls];
    memset(mc, 0, sizeof *mc);
    mc->db = strdup(db);
    mc->name = strdup(name);
    sluice_table *t = mc->db && mc->name ? mg_table_make(s, catalog, db, name, &f) : NULL;
    mg_fields_free(&f);
    if (!t) {
        free(mc->db);
        free(mc->name);
        return s->host->error(err, SLUICE_FATAL, "could not add table \"%s.%s\"", db, name);
    }
    t->source_id = (uint64_t)s->ncolls + 1;
    t->estimated_rows = rows > 0 ? (uint64_t)rows : 0;
    mc->table = t;
    s->ncolls++;
    if (out)
        *out = mc;
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
            st = add_collection(s, catalog, db, *n, NULL, NULL, err);
    bson_strfreev(names);
    return st;
}

sluice_status mg_discover(void *instance, sluice_catalog *catalog, sluice_error *err)
{
    mgsrc *s = instance;
    s->catalog = catalog; /* new tables and table versions while streaming */
    bson_error_t e;
    char **dbs = mongoc_client_get_database_names_with_opts(s->client, NULL, &e);
    if (!dbs)
        return mg_fail(s, err, &e, "could not list the databases of server \"%s\"", s->server);
    sluice_status st = SLUICE_OK;
    for (char **d = dbs; *d && st == SLUICE_OK; d++)
        if (user_database(*d))
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

sluice_status mg_coll_created(mgsrc *s, const mg_event *ev, mg_coll **out, sluice_error *err)
{
    *out = NULL;
    char db[256], name[256];
    snprintf(db, sizeof db, "%.*s", (int)ev->db.len, ev->db.ptr);
    snprintf(name, sizeof name, "%.*s", (int)ev->coll.len, ev->coll.ptr);
    if (!s->catalog || !user_database(db) || strncmp(name, "system.", 7) == 0 ||
        !selected(s, db, name))
        return SLUICE_OK;
    /* the event's document (or key) types the columns when the sample finds
       nothing: the collection may be gone again, or hold other documents now */
    bson_t key = BSON_INITIALIZER;
    if (!ev->has_full && ev->has_key)
        bson_append_iter(&key, "_id", 3, &ev->key);
    sluice_status st = add_collection(s, s->catalog, db, name, ev->has_full ? &ev->full : &key,
                                      out, err);
    bson_destroy(&key);
    if (st != SLUICE_OK)
        return st;
    (*out)->schema_pending = 1; /* its SCHEMA event makes the table at the target */
    s->host->log(s->ctx, SLUICE_LOG_INFO,
                 "collection \"%s.%s\" was created while streaming: captured from its first "
                 "change",
                 db, name);
    return SLUICE_OK;
}
