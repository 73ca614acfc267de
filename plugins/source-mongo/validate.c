/*
 * ABI 1.7 validate_bounds, for `sluice validate`: the _id of every n-th
 * document in _id order, read with one cursor over the _id index (only _id
 * sent back), as canonical text the way the full load writes the key. Each
 * chunk then reads one _id range (filters.c). Cut only when every _id of the
 * collection is of one class (its smallest and largest are: MongoDB orders
 * by type first) and every boundary reads back as the column's type
 * (objectId, int / long, string); otherwise the collection is one chunk.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_mongo.h"

typedef struct bounds {
    char **text;
    size_t *len;
    uint32_t n, cap;
} bounds;

static void bounds_free(bounds *b)
{
    for (uint32_t i = 0; i < b->n; i++)
        free(b->text[i]);
    free(b->text);
    free(b->len);
}

static int bounds_add(bounds *b, const char *text, size_t len)
{
    if (b->n == b->cap) {
        uint32_t cap = b->cap ? b->cap * 2 : 16;
        char **t = realloc(b->text, cap * sizeof *t);
        if (t)
            b->text = t;
        size_t *l = realloc(b->len, cap * sizeof *l);
        if (l)
            b->len = l;
        if (!t || !l)
            return -1;
        b->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, text, len);
    copy[len] = '\0';
    b->text[b->n] = copy;
    b->len[b->n++] = len;
    return 0;
}

/* The key's canonical text of the _id at it, when it reads back as the
   column's type in the same class; 0, 1 when it does not, -1 out of memory. */
static int key_text(mgsrc *s, const sluice_table *t, const bson_iter_t *it, bounds *b)
{
    int64_t i = 0;
    s->buf.len = 0;
    int kind = mg_value(&s->buf, it, 0, &i);
    if (kind < 0)
        return -1;
    if (kind == MG_NULL)
        return 1;
    if (kind == MG_INT) {
        s->buf.len = 0;
        sb_printf(&s->buf, "%" PRId64, i);
    }
    const char *text = sb_cstr(&s->buf);
    if (!text)
        return -1;
    bson_t back, orig = BSON_INITIALIZER;
    if (mg_id_from_text(t, text, s->buf.len, &back) != 0) {
        bson_destroy(&orig);
        return 1;
    }
    bson_append_iter(&orig, "v", 1, it);
    int same = mg_id_class(&back) == mg_id_class(&orig);
    bson_destroy(&back);
    bson_destroy(&orig);
    if (!same)
        return 1;
    return bounds_add(b, text, s->buf.len);
}

/* Every rows-th _id of c in _id order (not the first) into b; *cut 0 when
   one does not read back as the column's type. */
static sluice_status read_bounds(mgsrc *s, const sluice_table *t, mongoc_collection_t *c,
                                 uint64_t rows, bounds *b, int *cut, sluice_error *err)
{
    bson_t filter = BSON_INITIALIZER;
    bson_t *opts = BCON_NEW("projection", "{", "_id", BCON_INT32(1), "}", "sort", "{", "_id",
                            BCON_INT32(1), "}");
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, &filter, opts, NULL);
    bson_destroy(opts);
    const bson_t *doc;
    bson_iter_t it;
    sluice_status st = SLUICE_OK;
    *cut = 1;
    for (uint64_t k = 0; *cut && st == SLUICE_OK && mongoc_cursor_next(cur, &doc); k++) {
        if (k == 0 || k % rows != 0 || !bson_iter_init_find(&it, doc, "_id"))
            continue;
        int rc = key_text(s, t, &it, b);
        if (rc < 0)
            st = mg_oom(s, err);
        else if (rc > 0)
            *cut = 0;
    }
    bson_error_t e;
    if (st == SLUICE_OK && mongoc_cursor_error(cur, &e))
        st = mg_fail(s, err, &e, "could not read the _id order of collection \"%.*s.%.*s\"",
                     (int)t->schema.len, t->schema.ptr, (int)t->name.len, t->name.ptr);
    mongoc_cursor_destroy(cur);
    return st;
}

sluice_status mg_validate_bounds(void *instance, const sluice_table *table, uint64_t rows,
                                 sluice_bound_list *out, sluice_error *err)
{
    mgsrc *s = instance;
    char db[256], name[256];
    snprintf(db, sizeof db, "%.*s", (int)table->schema.len, table->schema.ptr);
    snprintf(name, sizeof name, "%.*s", (int)table->name.len, table->name.ptr);
    mongoc_collection_t *c = mongoc_client_get_collection(s->client, db, name);
    bson_t first, last;
    int has_first = 0, has_last = 0, cut = 0;
    bounds b = {0};
    sluice_status st = mg_id_at(s, c, 0, &first, &has_first, err);
    if (st == SLUICE_OK && has_first)
        st = mg_id_at(s, c, -1, &last, &has_last, err);
    if (st == SLUICE_OK && has_last && mg_id_class(&first) == mg_id_class(&last))
        st = read_bounds(s, table, c, rows < 1 ? 1 : rows, &b, &cut, err);
    for (uint32_t i = 0; st == SLUICE_OK && cut && i < b.n; i++)
        if (s->host->bound_add(out, &(sluice_str){b.text[i], b.len[i]}, 1) != 0)
            st = mg_oom(s, err);
    if (st == SLUICE_OK && !cut)
        s->host->log(s->ctx, SLUICE_LOG_DEBUG, "collection \"%s.%s\" is compared as one chunk: "
                     "its _ids are not all of one type its key column can say", db, name);
    bounds_free(&b);
    if (has_first)
        bson_destroy(&first);
    if (has_last)
        bson_destroy(&last);
    mongoc_collection_destroy(c);
    if (st == SLUICE_FATAL) /* this table is in error, not the whole validate */
        err->status = st = SLUICE_ERROR;
    return st;
}
