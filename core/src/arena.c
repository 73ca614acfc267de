#include "arena.h"

#include <stdlib.h>
#include <string.h>

struct arena_block {
    arena_block *next;
    size_t size; /* usable bytes after the header */
    size_t fill;
    max_align_t data[];
};

void arena_init(arena *a, size_t block_size)
{
    memset(a, 0, sizeof *a);
    a->block_size = block_size ? block_size : 64 * 1024;
}

static arena_block *block_new(size_t size)
{
    arena_block *b = malloc(sizeof *b + size);
    if (b) {
        b->next = NULL;
        b->size = size;
        b->fill = 0;
    }
    return b;
}

void *arena_alloc(arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    /* Reuse kept blocks after a reset before asking malloc for more. */
    while (a->current && a->current->fill + size > a->current->size && a->current->next) {
        a->current = a->current->next;
        a->current->fill = 0;
    }
    if (!a->current || a->current->fill + size > a->current->size) {
        arena_block *b = block_new(size > a->block_size ? size : a->block_size);
        if (!b)
            return NULL;
        if (a->current) {
            b->next = a->current->next;
            a->current->next = b;
        } else {
            a->first = b;
        }
        a->current = b;
    }
    void *p = (char *)a->current->data + a->current->fill;
    a->current->fill += size;
    a->used += size;
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t len)
{
    char *p = arena_alloc(a, len + 1);
    if (p) {
        if (len)
            memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

void arena_reset(arena *a)
{
    a->current = a->first;
    if (a->current)
        a->current->fill = 0;
    a->used = 0;
}

void arena_free(arena *a)
{
    arena_block *b = a->first;
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->first = a->current = NULL;
    a->used = 0;
}
