/*
 * A chunk's row filters on _id (ABI 1.3: `sluice validate`'s key ranges and
 * keys, a pipeline's filters) as MongoDB conditions, so a chunk reads only
 * its documents through the _id index. Only what keeps its meaning is said:
 * conditions on _id alone in their group, with values that read back as the
 * _id's sampled type (objectId, int / long, string, compared by MongoDB as
 * the core compares their canonical text: hex and UTF-8 bytes, numbers). The
 * core applies every filter itself unless all of them were said here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "source_mongo.h"

static int type_is(const sluice_column *c, const char *name)
{
    return c->source_type.len == strlen(name) &&
           memcmp(c->source_type.ptr, name, c->source_type.len) == 0;
}

int mg_id_from_text(const sluice_table *t, const char *text, size_t len, bson_t *out)
{
    const sluice_column *c = sluice_table_column(t, 0);
    char buf[32];
    bson_init(out);
    if (type_is(c, "objectId") && len == 24 && bson_oid_is_valid(text, len)) {
        bson_oid_t oid;
        memcpy(buf, text, 24);
        buf[24] = '\0';
        bson_oid_init_from_string(&oid, buf);
        if (BSON_APPEND_OID(out, "v", &oid))
            return 0;
    } else if ((type_is(c, "long") || type_is(c, "int")) && len > 0 && len < sizeof buf) {
        memcpy(buf, text, len);
        buf[len] = '\0';
        char *end;
        errno = 0;
        long long v = strtoll(buf, &end, 10);
        if (errno == 0 && *end == '\0' && BSON_APPEND_INT64(out, "v", v))
            return 0;
    } else if (type_is(c, "string") && bson_utf8_validate(text, len, false)) {
        if (bson_append_utf8(out, "v", 1, text, (int)len))
            return 0;
    }
    bson_destroy(out);
    return -1;
}

/* Appends the value of text (as the _id's type) under key; -1 when it cannot. */
static int append_id(const sluice_table *t, bson_t *doc, const char *key, const sluice_str *text)
{
    bson_t v;
    bson_iter_t it;
    if (mg_id_from_text(t, text->ptr, text->len, &v) != 0)
        return -1;
    int ok = bson_iter_init_find(&it, &v, "v") && bson_append_iter(doc, key, -1, &it);
    bson_destroy(&v);
    return ok ? 0 : -1;
}

/* {"_id": {op: value, ...}} of filter f into cond; -1 when it cannot be said. */
static int condition(const sluice_table *t, const sluice_filter *f, bson_t *cond)
{
    static const char *const ops[] = {
        [SLUICE_FILTER_EQ] = "$eq", [SLUICE_FILTER_LT] = "$lt", [SLUICE_FILTER_LE] = "$lte",
        [SLUICE_FILTER_GT] = "$gt", [SLUICE_FILTER_GE] = "$gte",
    };
    bson_t range, list;
    int rc = 0;
    BSON_APPEND_DOCUMENT_BEGIN(cond, "_id", &range);
    switch (f->op) {
    case SLUICE_FILTER_EQ: case SLUICE_FILTER_LT: case SLUICE_FILTER_LE:
    case SLUICE_FILTER_GT: case SLUICE_FILTER_GE:
        rc = f->nvalues >= 1 ? append_id(t, &range, ops[f->op], &f->values[0]) : -1;
        break;
    case SLUICE_FILTER_BETWEEN:
        rc = f->nvalues >= 2 && append_id(t, &range, "$gte", &f->values[0]) == 0
                 ? append_id(t, &range, "$lte", &f->values[1])
                 : -1;
        break;
    case SLUICE_FILTER_IN:
        BSON_APPEND_ARRAY_BEGIN(&range, "$in", &list);
        for (uint32_t i = 0; i < f->nvalues && rc == 0; i++) {
            char key[16];
            const char *k;
            bson_uint32_to_string(i, &k, key, sizeof key);
            rc = append_id(t, &list, k, &f->values[i]);
        }
        bson_append_array_end(&range, &list);
        break;
    default:
        rc = -1;
    }
    bson_append_document_end(cond, &range);
    return rc;
}

static int alone_in_group(const sluice_chunk *chunk, uint32_t n, uint32_t i)
{
    uint32_t group = sluice_filter_at(chunk, i)->group;
    for (uint32_t j = 0; j < n; j++)
        if (j != i && sluice_filter_at(chunk, j)->group == group)
            return 0;
    return 1;
}

int mg_chunk_filters(const sluice_chunk *chunk, bson_t *and, uint32_t *n)
{
    uint32_t nf, ncols;
    if (!sluice_chunk_filters(chunk, &nf) || nf == 0)
        return 0;
    int all = 1;
    for (uint32_t i = 0; i < nf; i++) {
        const sluice_filter *f = sluice_filter_at(chunk, i);
        bson_t cond = BSON_INITIALIZER;
        if (sluice_filter_columns(chunk, f, &ncols)[0] == 0 && ncols == 1 &&
            alone_in_group(chunk, nf, i) &&
            condition(chunk->table, f, &cond) == 0) {
            char key[16];
            const char *k;
            bson_uint32_to_string((*n)++, &k, key, sizeof key);
            BSON_APPEND_DOCUMENT(and, k, &cond);
        } else {
            all = 0;
        }
        bson_destroy(&cond);
    }
    return all;
}
