/*
 * The top-level fields of sampled documents (table mode, and the type of
 * _id in document mode): names in the order first seen, each with one type
 * merged over the documents. int and long together are long; null and
 * undefined carry no type and give way to any other; any other two types are
 * "mixed" (a jsonb column holds them all, each value exact).
 */
#include <stdlib.h>
#include <string.h>

#include "mgconv.h"

const char *mg_merge_type(const char *seen, const char *now)
{
    if (!seen || strcmp(seen, now) == 0)
        return now;
    int seen_none = strcmp(seen, "null") == 0 || strcmp(seen, "undefined") == 0;
    int now_none = strcmp(now, "null") == 0 || strcmp(now, "undefined") == 0;
    if (seen_none || now_none)
        return now_none ? seen : now;
    int ints = (strcmp(seen, "int") == 0 || strcmp(seen, "long") == 0) &&
               (strcmp(now, "int") == 0 || strcmp(now, "long") == 0);
    return ints ? "long" : "mixed";
}

int mg_fields_find(const mg_fields *f, const char *name, size_t len)
{
    for (uint32_t k = 0; k < f->n; k++)
        if (strlen(f->v[k].name) == len && memcmp(f->v[k].name, name, len) == 0)
            return (int)k;
    return -1;
}

int mg_fields_add(mg_fields *f, const char *name, size_t len, const char *type)
{
    int k = mg_fields_find(f, name, len);
    if (k >= 0) {
        f->v[k].type = mg_merge_type(f->v[k].type, type);
        return 0;
    }
    if (f->n == f->cap) {
        uint32_t cap = f->cap ? f->cap * 2 : 16;
        mg_field *more = realloc(f->v, cap * sizeof *more);
        if (!more)
            return -1;
        f->v = more;
        f->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, name, len);
    copy[len] = '\0';
    f->v[f->n++] = (mg_field){copy, type};
    return 0;
}

int mg_fields_add_document(mg_fields *f, const bson_t *doc)
{
    bson_iter_t it;
    if (!bson_iter_init(&it, doc))
        return -1;
    while (bson_iter_next(&it))
        if (mg_fields_add(f, bson_iter_key(&it), bson_iter_key_len(&it),
                          mg_type_name(bson_iter_type(&it))) != 0)
            return -1;
    return 0;
}

void mg_fields_free(mg_fields *f)
{
    for (uint32_t k = 0; k < f->n; k++)
        free(f->v[k].name);
    free(f->v);
    memset(f, 0, sizeof *f);
}
