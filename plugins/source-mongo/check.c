/*
 * ABI 1.6 check: what `sluice check` reports about a MongoDB source. In the
 * change-capture modes the prerequisites of prereq.c (the code open() runs),
 * whether the user may open a change stream, and how much time the oplog
 * holds; in every mode the server, the largest selected collections and
 * those of large documents, from the server's $collStats. Everything here
 * only reads: a change stream opened and closed again, finds and aggregates.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_mongo.h"

/* Collections listed by size; and the average document size from which a
   collection's documents are called large. */
#define LARGEST_COLLECTIONS 5
#define LARGE_DOCUMENT_BYTES (64 * 1024)
/* An oplog holding less than this is reported as short. */
#define SHORT_OPLOG_SECONDS (24 * 3600)

typedef struct coll_size {
    const mg_coll *c;
    int64_t size, count, storage;
} coll_size;

static sluice_status server_info(mgsrc *s, sluice_findings *out, sluice_error *err)
{
    bson_t *cmd = BCON_NEW("buildInfo", BCON_INT32(1)), reply;
    sluice_status st = mg_command(s, "admin", cmd, &reply, "read the server's version", err);
    bson_destroy(cmd);
    bson_iter_t it;
    char version[64] = "(unknown version)";
    if (st == SLUICE_OK && bson_iter_init_find(&it, &reply, "version") &&
        BSON_ITER_HOLDS_UTF8(&it))
        snprintf(version, sizeof version, "%s", bson_iter_utf8(&it, NULL));
    bson_destroy(&reply);
    if (st != SLUICE_OK)
        return st;
    s->host->error(err, SLUICE_OK, "server \"%s\" runs MongoDB %s", s->server, version);
    s->host->error_detail(err, "It is %s.", s->topology);
    return mg_report(s, out, SLUICE_SEVERITY_INFO, NULL, err);
}

/* Opens a change stream over the cluster, as change capture will, and closes it. */
static sluice_status change_stream_access(mgsrc *s, sluice_findings *out, sluice_error *err)
{
    bson_t pipeline = BSON_INITIALIZER;
    mongoc_change_stream_t *cs = mongoc_client_watch(s->client, &pipeline, NULL);
    bson_destroy(&pipeline);
    bson_error_t e;
    const bson_t *reply;
    int failed = mongoc_change_stream_error_document(cs, &e, &reply);
    mongoc_change_stream_destroy(cs);
    if (!failed)
        return SLUICE_OK;
    sluice_status st = mg_fail(s, err, &e, "cannot open a change stream on server \"%s\"",
                               s->server);
    if (st == SLUICE_RETRY) /* unreachable: nothing can be checked */
        return st;
    return mg_report(s, out, SLUICE_SEVERITY_BLOCKING, NULL, err);
}

/* The ts of the oldest (dir 1) or newest (dir -1) oplog entry; *found 0 when none. */
static int oplog_end(mgsrc *s, int dir, uint32_t *t, int *found, bson_error_t *e)
{
    mongoc_collection_t *c = mongoc_client_get_collection(s->client, "local", "oplog.rs");
    bson_t filter = BSON_INITIALIZER;
    bson_t *opts = BCON_NEW("projection", "{", "ts", BCON_INT32(1), "}", "sort", "{",
                            "$natural", BCON_INT32(dir), "}", "limit", BCON_INT64(1));
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, &filter, opts, NULL);
    bson_destroy(opts);
    const bson_t *doc;
    bson_iter_t it;
    uint32_t inc;
    *found = 0;
    if (mongoc_cursor_next(cur, &doc) && bson_iter_init_find(&it, doc, "ts") &&
        BSON_ITER_HOLDS_TIMESTAMP(&it)) {
        bson_iter_timestamp(&it, t, &inc);
        *found = 1;
    }
    int ok = !mongoc_cursor_error(cur, e);
    mongoc_cursor_destroy(cur);
    mongoc_collection_destroy(c);
    return ok;
}

static sluice_status oplog_not_checked(mgsrc *s, sluice_findings *out, sluice_error *err,
                                       const char *why)
{
    s->host->error(err, SLUICE_OK, "the oplog window of server \"%s\" was not checked",
                   s->server);
    s->host->error_detail(err, "%s Change capture resumes from its checkpoint only while the "
                               "oplog still holds it.", why);
    s->host->error_hint(err, "Look at it with rs.printReplicationInfo() on the members; it "
                             "should hold more than the full load and the longest pause of "
                             "sluice.");
    return mg_report(s, out, SLUICE_SEVERITY_INFO, NULL, err);
}

/* How much time the oplog holds: a pause of sluice longer than that loses the position. */
static sluice_status oplog_window(mgsrc *s, sluice_findings *out, sluice_error *err)
{
    if (s->mongos)
        return oplog_not_checked(s, out, err, "It is a mongos: each shard keeps its own oplog, "
                                              "which a mongos does not show.");
    uint32_t first = 0, last = 0;
    int has_first = 0, has_last = 0;
    bson_error_t e;
    if (!oplog_end(s, 1, &first, &has_first, &e) || !oplog_end(s, -1, &last, &has_last, &e)) {
        sluice_status st = mg_fail(s, err, &e, "could not read the oplog of server \"%s\"",
                                   s->server);
        if (st == SLUICE_RETRY)
            return st;
        char why[1600];
        snprintf(why, sizeof why, "Reading local.oplog.rs failed: %.1500s", err->detail);
        return oplog_not_checked(s, out, err, why);
    }
    if (!has_first || !has_last)
        return oplog_not_checked(s, out, err, "Its local.oplog.rs holds no entries.");
    uint32_t seconds = last >= first ? last - first : 0;
    int shrt = seconds < SHORT_OPLOG_SECONDS;
    s->host->error(err, SLUICE_OK, "the oplog of server \"%s\" holds %.1f hours of changes",
                   s->server, seconds / 3600.0);
    s->host->error_detail(err, "Its oldest entry is of cluster time %u, its newest of %u. Change "
                               "capture resumes from its checkpoint (and a full load's changes "
                               "are read from its start) only while the oplog still holds that "
                               "point; a pause longer than this loses it%s.",
                          first, last, shrt ? ", and it is less than a day" : "");
    if (shrt)
        s->host->error_hint(err, "Make the oplog larger (replSetResizeOplog) or set "
                                 "storage.oplogMinRetentionHours, so it holds more than the full "
                                 "load and the longest pause of sluice.");
    return mg_report(s, out, shrt ? SLUICE_SEVERITY_WARNING : SLUICE_SEVERITY_INFO, NULL, err);
}

/* storageStats of $collStats, summed over the shards (one document each). */
static int collection_size(mgsrc *s, coll_size *cs, bson_error_t *e)
{
    mongoc_collection_t *c = mongoc_client_get_collection(s->client, cs->c->db, cs->c->name);
    bson_t *pipeline = BCON_NEW("pipeline", "[", "{", "$collStats", "{", "storageStats", "{",
                                "}", "}", "}", "]");
    mongoc_cursor_t *cur = mongoc_collection_aggregate(c, MONGOC_QUERY_NONE, pipeline, NULL,
                                                       NULL);
    bson_destroy(pipeline);
    const bson_t *doc;
    bson_iter_t it, stats;
    while (mongoc_cursor_next(cur, &doc)) {
        if (!bson_iter_init_find(&it, doc, "storageStats") || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
            !bson_iter_recurse(&it, &stats))
            continue;
        while (bson_iter_next(&stats)) {
            const char *k = bson_iter_key(&stats);
            if (strcmp(k, "size") == 0)
                cs->size += bson_iter_as_int64(&stats);
            else if (strcmp(k, "count") == 0)
                cs->count += bson_iter_as_int64(&stats);
            else if (strcmp(k, "storageSize") == 0)
                cs->storage += bson_iter_as_int64(&stats);
        }
    }
    int ok = !mongoc_cursor_error(cur, e);
    mongoc_cursor_destroy(cur);
    mongoc_collection_destroy(c);
    return ok;
}

static int by_size_desc(const void *a, const void *b)
{
    const coll_size *x = a, *y = b;
    return x->size < y->size ? 1 : x->size > y->size ? -1 : 0;
}

static sluice_status report_sizes(mgsrc *s, coll_size *sz, uint32_t n, sluice_findings *out,
                                  sluice_error *err)
{
    sluice_status st = SLUICE_OK;
    char name[520];
    for (uint32_t i = 0; i < n && st == SLUICE_OK; i++) {
        int64_t avg = sz[i].count ? sz[i].size / sz[i].count : 0;
        snprintf(name, sizeof name, "%s.%s", sz[i].c->db, sz[i].c->name);
        if (i < LARGEST_COLLECTIONS) {
            s->host->error(err, SLUICE_OK, "collection \"%s\" holds %" PRId64 " bytes", name,
                           sz[i].size);
            s->host->error_detail(err, "Size number %u of the selected collections: about "
                                       "%" PRId64 " documents of %" PRId64 " bytes on average, "
                                       "%" PRId64 " bytes on disk, as $collStats estimates them "
                                       "(storageStats: the storage engine's counts, not a scan).",
                                  i + 1, sz[i].count, avg, sz[i].storage);
            st = mg_report(s, out, SLUICE_SEVERITY_INFO, name, err);
        }
        if (st == SLUICE_OK && avg >= LARGE_DOCUMENT_BYTES) {
            s->host->error(err, SLUICE_OK, "collection \"%s\" holds large documents: %" PRId64
                                           " bytes on average", name, avg);
            s->host->error_detail(err, "$collStats reports about %" PRId64 " documents of %"
                                       PRId64 " bytes in all. Each document is one row (in "
                                       "document mode one jsonb value); a batch holds its rows "
                                       "in memory.", sz[i].count, sz[i].size);
            s->host->error_hint(err, "Lower the batch size if memory is short; values keep "
                                     "their size at the target (jsonb up to 255 MB).");
            st = mg_report(s, out, SLUICE_SEVERITY_INFO, name, err);
        }
    }
    return st;
}

/* The largest selected collections, and those of large documents. */
static sluice_status collection_sizes(mgsrc *s, sluice_findings *out, sluice_error *err)
{
    coll_size *sz = calloc(s->ncolls, sizeof *sz);
    if (!sz)
        return mg_oom(s, err);
    sluice_status st = SLUICE_OK;
    uint32_t n = 0;
    bson_error_t e;
    for (uint32_t i = 0; i < s->ncolls && st == SLUICE_OK; i++) {
        sz[n].c = &s->colls[i];
        if (collection_size(s, &sz[n], &e)) {
            n++;
            continue;
        }
        st = mg_fail(s, err, &e, "could not read the size of collection \"%s.%s\"",
                     s->colls[i].db, s->colls[i].name);
        if (st != SLUICE_RETRY)
            st = mg_report(s, out, SLUICE_SEVERITY_INFO, NULL, err);
    }
    qsort(sz, n, sizeof *sz, by_size_desc);
    if (st == SLUICE_OK)
        st = report_sizes(s, sz, n, out, err);
    free(sz);
    return st;
}

sluice_status mg_check(void *instance, sluice_findings *out, sluice_error *err)
{
    mgsrc *s = instance;
    const char *mode = mg_mode(s);
    int cdc = mode && strcmp(mode, "full-load") != 0;
    sluice_status st = server_info(s, out, err);
    if (st == SLUICE_OK && cdc)
        st = mg_check_cdc(s, out, err);
    if (st == SLUICE_OK && cdc && s->replicated)
        st = change_stream_access(s, out, err);
    if (st == SLUICE_OK && cdc && s->replicated)
        st = oplog_window(s, out, err);
    if (st == SLUICE_OK && s->ncolls)
        st = collection_sizes(s, out, err);
    return st;
}
