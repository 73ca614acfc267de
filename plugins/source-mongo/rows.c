/*
 * A document as a row of its table (document mode, like AWS DMS's): column 0
 * is _id, the key, in the form of its sampled type (scalar, or JSON when the
 * type is a document, an array or mixed); column 1, doc, is the whole
 * document as relaxed Extended JSON (mgconv.h).
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

int mg_row(mgsrc *s, sluice_batch *b, const sluice_table *t, const bson_t *doc,
           sluice_value *row)
{
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, "_id") && mg_key(s, b, t, &it, row) != 0)
        return -1;
    if (t->ncolumns < 2)
        return 0;
    s->buf.len = 0;
    if (mg_json_document(&s->buf, doc) != 0)
        return -1;
    return s->host->set_text(b, &row[1], s->buf.data, s->buf.len);
}
