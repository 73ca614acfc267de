/*
 * A document as a row of its table. Column 0 is _id, the key, in the form of
 * its sampled type (scalar, or JSON when the type is a document, an array or
 * mixed). Document mode: column 1, doc, is the whole document as relaxed
 * Extended JSON (mgconv.h). Table mode: each top-level field in its column,
 * in the column's form (a jsonb column takes any value as JSON; another takes
 * the value's scalar form, whatever its type: the target refuses what the
 * column cannot hold, as a row error); a field the document lacks is NULL.
 * The update description column, when there is one, holds the
 * updateDescription of an update event as relaxed Extended JSON.
 */
#include <string.h>
#include <strings.h>

#include "source_mongo.h"

static const struct {
    const char *name;
    sluice_type type;
} canonical[] = {
    {"double", SLUICE_TYPE_FLOAT64},   {"string", SLUICE_TYPE_TEXT},
    {"object", SLUICE_TYPE_JSON},      {"array", SLUICE_TYPE_JSON},
    {"binData", SLUICE_TYPE_BYTES},    {"objectId", SLUICE_TYPE_TEXT},
    {"bool", SLUICE_TYPE_BOOL},        {"date", SLUICE_TYPE_TIMESTAMPTZ},
    {"int", SLUICE_TYPE_INT32},        {"long", SLUICE_TYPE_INT64},
    {"decimal", SLUICE_TYPE_DECIMAL},  {"mixed", SLUICE_TYPE_JSON},
};

sluice_type mg_canonical_type(const char *bson_type)
{
    for (size_t n = 0; n < sizeof canonical / sizeof canonical[0]; n++)
        if (strcasecmp(bson_type, canonical[n].name) == 0)
            return canonical[n].type;
    return SLUICE_TYPE_TEXT; /* the legacy types: their Extended JSON text */
}

static int set_value(mgsrc *s, sluice_batch *b, const sluice_column *col, const bson_iter_t *it,
                     sluice_value *v)
{
    int64_t i = 0;
    s->buf.len = 0;
    int kind = mg_value(&s->buf, it, col->type == SLUICE_TYPE_JSON, &i);
    if (kind < 0)
        return -1;
    if (kind == MG_NULL) {
        v->kind = SLUICE_VALUE_NULL;
    } else if (kind == MG_INT) {
        v->kind = SLUICE_VALUE_INT;
        v->u.i = i;
    } else if (s->host->set_text(b, v, s->buf.data ? s->buf.data : "", s->buf.len) != 0) {
        return -1;
    }
    return 0;
}

int mg_key(mgsrc *s, sluice_batch *b, const sluice_table *t, const bson_iter_t *it,
           sluice_value *row)
{
    return set_value(s, b, sluice_table_column(t, 0), it, &row[0]);
}

/* Table mode: the fields of doc into their columns; 1 when one has no column. */
static int table_fields(mgsrc *s, sluice_batch *b, const sluice_table *t, const bson_t *doc,
                        sluice_value *row)
{
    bson_iter_t it;
    uint32_t next = 1;
    int missing = 0;
    if (!bson_iter_init(&it, doc))
        return -1;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        if (strcmp(k, "_id") == 0)
            continue;
        int i = mg_field_column(t, k, bson_iter_key_len(&it), next);
        if (i < 0) {
            missing = 1;
            continue;
        }
        if (set_value(s, b, sluice_table_column(t, (uint32_t)i), &it, &row[i]) != 0)
            return -1;
        next = (uint32_t)i + 1;
    }
    return missing;
}

static int set_json(mgsrc *s, sluice_batch *b, const bson_t *doc, sluice_value *v)
{
    s->buf.len = 0;
    if (mg_json_document(&s->buf, doc) != 0)
        return -1;
    return s->host->set_text(b, v, s->buf.data, s->buf.len);
}

int mg_row(mgsrc *s, sluice_batch *b, const sluice_table *t, const bson_t *doc,
           const bson_t *update, sluice_value *row)
{
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, "_id") && mg_key(s, b, t, &it, row) != 0)
        return -1;
    if (t->ncolumns < 2)
        return 0;
    int update_column = mg_update_column(t);
    int missing = 0;
    if (s->table_mode)
        missing = table_fields(s, b, t, doc, row);
    else if (update_column != 1 && set_json(s, b, doc, &row[1]) != 0)
        return -1;
    if (missing < 0 ||
        (update_column >= 0 && update && set_json(s, b, update, &row[update_column]) != 0))
        return -1;
    return missing;
}
