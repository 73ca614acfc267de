/*
 * Sequence lists: what a source's read_sequences (ABI 1.2) reports through
 * host->sequence_add, and what the core hands to a sink's set_sequences.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "host.h"

void sequence_list_init(sluice_sequence_list *l)
{
    memset(l, 0, sizeof *l);
}

void sequence_list_free(sluice_sequence_list *l)
{
    if (l->strings) {
        arena_free(l->strings);
        free(l->strings);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

static sluice_str copy_str(arena *a, sluice_str s)
{
    char *p = arena_strndup(a, s.ptr ? s.ptr : "", s.ptr ? s.len : 0);
    return (sluice_str){p, p ? s.len : 0};
}

sluice_sequence *sequence_list_add(sluice_sequence_list *l, sluice_str schema, sluice_str name,
                                   int64_t last_value, int is_called)
{
    if (!l || !name.ptr || name.len == 0)
        return NULL;
    if (!l->strings) {
        if (!(l->strings = malloc(sizeof(arena))))
            return NULL;
        arena_init(l->strings, 4096);
    }
    if (l->count == l->capacity) {
        uint32_t cap = l->capacity ? l->capacity * 2 : 32;
        sluice_sequence *more = realloc(l->items, (size_t)cap * sizeof *more);
        if (!more)
            return NULL;
        l->items = more;
        l->capacity = cap;
    }
    sluice_sequence *q = &l->items[l->count];
    memset(q, 0, sizeof *q);
    q->schema = copy_str(l->strings, schema);
    q->name = copy_str(l->strings, name);
    if (!q->schema.ptr || !q->name.ptr)
        return NULL;
    q->last_value = last_value;
    q->is_called = is_called != 0;
    q->increment = 1;
    l->count++;
    return q;
}
