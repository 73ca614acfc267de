/*
 * The table-settings list: storage and lookup. Reading it is mapping_json.c's job.
 */
#include "mapping_settings.h"

#include <stdlib.h>
#include <string.h>

mapping_settings *mapping_settings_new(void)
{
    return calloc(1, sizeof(mapping_settings));
}

static void free_strings(char **v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void mapping_settings_free(mapping_settings *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        map_table_settings *t = &s->items[i];
        free(t->id);
        free(t->where);
        free(t->schema);
        free(t->table);
        free_strings(t->columns, t->ncolumns);
        free_strings(t->boundaries, t->nboundaries * t->ncolumns);
        free_strings(t->partitions, t->npartitions);
        free_strings(t->subpartitions, t->nsubpartitions);
    }
    free(s->items);
    free(s);
}

map_table_settings *mapping_settings_add(mapping_settings *s, const char *id, const char *where)
{
    if (s->n == s->capacity) {
        size_t n = s->capacity ? s->capacity * 2 : 4;
        map_table_settings *a = realloc(s->items, n * sizeof *a);
        if (!a)
            return NULL;
        s->items = a;
        s->capacity = n;
    }
    map_table_settings *t = &s->items[s->n];
    memset(t, 0, sizeof *t);
    t->id = strdup(id ? id : "");
    t->where = strdup(where ? where : "");
    if (!t->id || !t->where) {
        free(t->id);
        free(t->where);
        return NULL;
    }
    s->n++;
    return t;
}

const map_table_settings *mapping_settings_for(const mapping_settings *s, sluice_str schema,
                                               sluice_str name)
{
    const map_table_settings *found = NULL;
    for (size_t i = 0; s && i < s->n; i++)
        if (s->items[i].schema && s->items[i].table &&
            mapping_like(s->items[i].schema, schema.ptr, schema.len) &&
            mapping_like(s->items[i].table, name.ptr, name.len))
            found = &s->items[i];
    return found;
}
