/*
 * The full load. There is no snapshot to share: MongoDB's snapshot reads end
 * after minSnapshotHistoryWindowInSeconds (300 s by default), too short for a
 * large load. So, as PROTOCOL-FACTS 3.3 (b) plans: snapshot_begin records
 * the cluster time first, the lanes then read each collection with majority
 * read concern, and change capture starts at the recorded time; the events
 * that overlap the load are applied as upserts (stream.c), so the target
 * converges to the source.
 *
 * A large collection is split into _id ranges ({"_id": {"$gte": a, "$lt": b}},
 * the bounds as canonical Extended JSON, so each keeps its exact BSON type).
 * Ranges compare within one type only (MongoDB's type bracketing), so a
 * collection whose smallest and largest _id differ in type is not split.
 * read_chunk streams a chunk with a cursor: the server sends it in batches,
 * so memory stays bounded whatever the collection's size. The chunk's filters
 * on _id (validate's ranges and keys, filters.c) go into the find as well.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_mongo.h"

sluice_status mg_snapshot_begin(void *instance, sluice_position *at, sluice_snapshot *snapshot,
                                sluice_error *err)
{
    mgsrc *s = instance;
    memset(snapshot, 0, sizeof *snapshot);
    at->len = 0;
    if (!s->replicated) /* full-load only (open refused the CDC modes) */
        return SLUICE_OK;
    mg_pos p = {0};
    sluice_status st = mg_operation_time(s, &p.t, &p.i, err);
    if (st != SLUICE_OK)
        return st;
    if (mg_pos_set(at, &p) != 0)
        return mg_oom(s, err);
    snprintf(snapshot->token, sizeof snapshot->token, "%u.%u", p.t, p.i);
    s->host->log(s->ctx, SLUICE_LOG_INFO,
                 "full load of server \"%s\" starts at cluster time %u.%u; changes from there "
                 "on are applied as upserts once it is done",
                 s->server, p.t, p.i);
    return SLUICE_OK;
}

sluice_status mg_snapshot_attach(void *instance, const sluice_snapshot *snapshot,
                                 sluice_error *err)
{
    (void)instance, (void)snapshot, (void)err; /* nothing to join: see the comment above */
    return SLUICE_OK;
}

/* ---- split_table ---- */

sluice_status mg_id_at(mgsrc *s, mongoc_collection_t *c, int64_t rank, bson_t *out,
                           int *found, sluice_error *err)
{
    bson_t *opts = BCON_NEW("projection", "{", "_id", BCON_INT32(1), "}", "sort", "{", "_id",
                            BCON_INT32(rank < 0 ? -1 : 1), "}", "skip",
                            BCON_INT64(rank < 0 ? 0 : rank), "limit", BCON_INT64(1));
    bson_t filter = BSON_INITIALIZER;
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, &filter, opts, NULL);
    bson_destroy(opts);
    const bson_t *doc;
    bson_iter_t it;
    *found = 0;
    if (mongoc_cursor_next(cur, &doc) && bson_iter_init_find(&it, doc, "_id")) {
        bson_init(out);
        *found = bson_append_iter(out, "v", 1, &it);
        if (!*found)
            bson_destroy(out);
    }
    bson_error_t e;
    sluice_status st = SLUICE_OK;
    if (mongoc_cursor_error(cur, &e)) {
        st = mg_fail(s, err, &e, "could not find the _id range of collection \"%s\"",
                     mongoc_collection_get_name(c));
        if (*found)
            bson_destroy(out);
        *found = 0;
    }
    mongoc_cursor_destroy(cur);
    return st;
}

int mg_id_class(const bson_t *v)
{
    bson_iter_t it;
    if (!bson_iter_init_find(&it, v, "v"))
        return -1;
    bson_type_t t = bson_iter_type(&it);
    int number = t == BSON_TYPE_INT32 || t == BSON_TYPE_INT64 || t == BSON_TYPE_DOUBLE ||
                 t == BSON_TYPE_DECIMAL128;
    return number ? 1000 : (int)t;
}

/* {"_id": {"$gte": lo, "$lt": hi}} (either may be absent) as canonical Extended JSON */
static sluice_status add_range(mgsrc *s, sluice_chunk_list *out, const bson_t *lo,
                               const bson_t *hi, sluice_error *err)
{
    bson_t filter = BSON_INITIALIZER, range;
    bson_iter_t it;
    BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &range);
    if (lo && bson_iter_init_find(&it, lo, "v"))
        bson_append_iter(&range, "$gte", 4, &it);
    if (hi && bson_iter_init_find(&it, hi, "v"))
        bson_append_iter(&range, "$lt", 3, &it);
    bson_append_document_end(&filter, &range);
    size_t len;
    char *json = bson_as_canonical_extended_json(&filter, &len);
    bson_destroy(&filter);
    int rc = json ? s->host->chunk_add(out, (sluice_str){json, len}) : -1;
    bson_free(json);
    return rc == 0 ? SLUICE_OK : mg_oom(s, err);
}

sluice_status mg_split_table(void *instance, const sluice_table *table, uint32_t want,
                             sluice_chunk_list *out, sluice_error *err)
{
    mgsrc *s = instance;
    if (want < 2 || table->estimated_rows < want)
        return SLUICE_OK;
    char db[256], name[256];
    snprintf(db, sizeof db, "%.*s", (int)table->schema.len, table->schema.ptr);
    snprintf(name, sizeof name, "%.*s", (int)table->name.len, table->name.ptr);
    mongoc_collection_t *c = mongoc_client_get_collection(s->client, db, name);
    bson_t first, last, *cuts = calloc(want, sizeof *cuts);
    int has_first = 0, has_last = 0;
    uint32_t ncuts = 0;
    sluice_status st = cuts ? mg_id_at(s, c, 0, &first, &has_first, err) : mg_oom(s, err);
    if (st == SLUICE_OK && has_first)
        st = mg_id_at(s, c, -1, &last, &has_last, err);
    if (st == SLUICE_OK && has_last && mg_id_class(&first) == mg_id_class(&last)) {
        uint64_t step = table->estimated_rows / want;
        for (uint32_t k = 1; k < want && st == SLUICE_OK; k++) {
            int found;
            st = mg_id_at(s, c, (int64_t)(step * k), &cuts[ncuts], &found, err);
            if (st != SLUICE_OK || !found)
                break;
            /* a cut must lie above the previous one and be of the same type */
            int same = ncuts ? bson_equal(&cuts[ncuts], &cuts[ncuts - 1])
                             : bson_equal(&cuts[ncuts], &first);
            if (same || mg_id_class(&cuts[ncuts]) != mg_id_class(&first))
                bson_destroy(&cuts[ncuts]);
            else
                ncuts++;
        }
    }
    for (uint32_t k = 0; k <= ncuts && ncuts && st == SLUICE_OK; k++)
        st = add_range(s, out, k ? &cuts[k - 1] : NULL, k < ncuts ? &cuts[k] : NULL, err);
    if (st == SLUICE_OK && ncuts)
        s->host->log(s->ctx, SLUICE_LOG_DEBUG, "collection \"%s.%s\" split into %u _id ranges",
                     db, name, ncuts + 1);
    for (uint32_t k = 0; k < ncuts; k++)
        bson_destroy(&cuts[k]);
    free(cuts);
    if (has_first)
        bson_destroy(&first);
    if (has_last)
        bson_destroy(&last);
    mongoc_collection_destroy(c);
    return st;
}

/* ---- read_chunk ---- */

void mg_read_end(mgsrc *s)
{
    if (s->cursor)
        mongoc_cursor_destroy(s->cursor); /* kills the server's cursor when unfinished */
    s->cursor = NULL;
    if (s->held)
        bson_destroy(s->held);
    s->held = NULL;
}

static sluice_status start_read(mgsrc *s, const sluice_chunk *chunk, sluice_error *err)
{
    mg_read_end(s);
    const sluice_table *t = chunk->table;
    char db[256], name[256];
    snprintf(db, sizeof db, "%.*s", (int)t->schema.len, t->schema.ptr);
    snprintf(name, sizeof name, "%.*s", (int)t->name.len, t->name.ptr);
    bson_t *filter, and = BSON_INITIALIZER;
    bson_error_t e;
    uint32_t nand = 0;
    /* the full load's _id range, and the chunk's filters the server can apply */
    s->read_filtered = mg_chunk_filters(chunk, &and, &nand);
    if (chunk->bounds.len) {
        filter = bson_new_from_json((const uint8_t *)chunk->bounds.ptr,
                                    (ssize_t)chunk->bounds.len, &e);
        if (!filter) {
            bson_destroy(&and);
            return s->host->error(err, SLUICE_FATAL, "invalid _id range for collection "
                                  "\"%s.%s\": %s", db, name, e.message);
        }
    } else {
        filter = bson_new();
    }
    if (nand) {
        if (!bson_empty(filter)) {
            bson_t *both = bson_new();
            char key[16];
            const char *k;
            bson_uint32_to_string(nand++, &k, key, sizeof key);
            BSON_APPEND_DOCUMENT(&and, k, filter);
            bson_destroy(filter);
            filter = both;
        }
        BSON_APPEND_ARRAY(filter, "$and", &and);
    }
    bson_destroy(&and);
    bson_t *opts = s->replicated ? BCON_NEW("readConcern", "{", "level", BCON_UTF8("majority"),
                                            "}")
                                 : bson_new();
    mongoc_collection_t *c = mongoc_client_get_collection(s->client, db, name);
    s->cursor = mongoc_collection_find_with_opts(c, filter, opts, NULL);
    mongoc_collection_destroy(c); /* the cursor keeps what it needs */
    bson_destroy(filter);
    bson_destroy(opts);
    s->read_id = t->source_id;
    s->read_index = chunk->index;
    s->read_table = t;
    return s->cursor ? SLUICE_OK : mg_oom(s, err);
}

/* Table mode, with a core or sink before ABI 1.8: the load cannot add a column
   to the table it is loading, so a field the sample did not show stops the
   table rather than lose the field's values. */
static sluice_status field_not_sampled(mgsrc *s, const sluice_table *t, const bson_t *doc,
                                       sluice_error *err)
{
    const char *field = mg_new_field(s, t, doc);
    bson_iter_t it;
    s->buf.len = 0;
    if (bson_iter_init_find(&it, doc, "_id"))
        mg_json_value(&s->buf, &it);
    const char *id = sb_cstr(&s->buf);
    s->host->error(err, SLUICE_ERROR,
                   "collection \"%.*s.%.*s\" has a field \"%s\" that is not a column of its "
                   "table", (int)t->schema.len, t->schema.ptr, (int)t->name.len, t->name.ptr,
                   field ? field : "?");
    s->host->error_detail(err, "Table mode (nestingLevel \"one\") made the columns from the "
                          "fields of %lld sampled documents (docsToInvestigate); the document "
                          "with _id %s has this field too, and the target plugin cannot add a "
                          "column during a full load (it was built for a sluice before ABI 1.8).",
                          (long long)s->cfg.docs_to_investigate, id ? id : "?");
    s->host->error_hint(err, "Rebuild the target plugin against this sluice, set "
                        "docsToInvestigate to 0 to sample every document of the collection, or "
                        "use nestingLevel \"none\" (the whole document in a jsonb column).");
    return SLUICE_ERROR;
}

/* Table mode: doc has fields the table lacks. It becomes a column in a new
   version of the table (in the chunk's catalog, ABI 1.8) whose SCHEMA event
   opens a batch, so a batch holding rows of the old version ends first: doc
   is held for the next one. 1 when the batch ended, 0 when doc goes on. */
static int new_version(mgsrc *s, const sluice_chunk *chunk, sluice_batch *b, const bson_t *doc,
                       sluice_status *st, sluice_error *err)
{
    sluice_catalog *catalog = sluice_chunk_catalog(chunk);
    if (!catalog) {
        *st = field_not_sampled(s, s->read_table, doc, err);
        return 1;
    }
    if (b->nevents > 0) {
        s->held = bson_copy(doc);
        *st = s->held ? SLUICE_OK : mg_oom(s, err);
        return 1;
    }
    const sluice_table *t;
    if ((*st = mg_widen(s, catalog, s->read_table, doc, &t, err)) != SLUICE_OK)
        return 1;
    if (!s->host->emit(b, SLUICE_OP_SCHEMA, t, 0)) {
        *st = mg_oom(s, err);
        return 1;
    }
    s->read_table = b->table = t;
    return 0;
}

/* A document as the batch's next row, in the version read now. */
static sluice_status put_document(mgsrc *s, sluice_batch *b, const bson_t *doc, sluice_error *err)
{
    const sluice_table *t = s->read_table;
    sluice_event *e = s->host->emit(b, SLUICE_OP_INSERT, t, 0);
    int rc = e ? mg_row(s, b, t, doc, NULL, e->new_row) : -1;
    if (rc < 0)
        return mg_oom(s, err);
    if (rc > 0) /* mg_new_field said no: cannot happen */
        return field_not_sampled(s, t, doc, err);
    return SLUICE_OK;
}

sluice_status mg_read_chunk(void *instance, const sluice_chunk *chunk, sluice_batch *b,
                            sluice_error *err)
{
    mgsrc *s = instance;
    const sluice_table *t = chunk->table;
    sluice_status st;
    if (!s->cursor || s->read_id != t->source_id || s->read_index != chunk->index) {
        if ((st = start_read(s, chunk, err)) != SLUICE_OK)
            return st;
    }
    b->table = s->read_table;
    if (s->read_filtered)
        b->flags |= SLUICE_BATCH_FILTERED;
    uint32_t before = b->nevents;
    if (s->held) { /* the last batch ended before it: its new version opens this one */
        bson_t *doc = s->held;
        s->held = NULL;
        st = SLUICE_OK;
        if (!new_version(s, chunk, b, doc, &st, err))
            st = put_document(s, b, doc, err);
        bson_destroy(doc);
        if (st != SLUICE_OK)
            return st;
    }
    const bson_t *doc;
    for (;;) {
        if (b->nevents > 0 && s->host->batch_full(b))
            break;
        if (s->host->cancelled(s->ctx))
            break;
        if (!mongoc_cursor_next(s->cursor, &doc)) {
            bson_error_t e;
            if (mongoc_cursor_error(s->cursor, &e)) {
                st = mg_fail(s, err, &e, "could not read collection \"%.*s.%.*s\"",
                             (int)t->schema.len, t->schema.ptr, (int)t->name.len, t->name.ptr);
                mg_read_end(s);
                return st;
            }
            mg_read_end(s);
            b->flags |= SLUICE_BATCH_LAST;
            break;
        }
        if (mg_new_field(s, s->read_table, doc) && new_version(s, chunk, b, doc, &st, err)) {
            if (st != SLUICE_OK)
                return st;
            break;
        }
        if ((st = put_document(s, b, doc, err)) != SLUICE_OK)
            return st;
    }
    uint32_t rows = b->nevents - before;
    if (rows && sluice_batch_event(b, before)->op == SLUICE_OP_SCHEMA)
        rows--;
    if (rows)
        s->host->count(s->ctx, "snapshot_rows", rows);
    return SLUICE_OK;
}
