/* A bump allocator: many small allocations, freed or reused all at once. */
#ifndef SLUICE_ARENA_H
#define SLUICE_ARENA_H

#include <stddef.h>

typedef struct arena_block arena_block;
typedef struct arena {
    arena_block *first;   /* blocks in allocation order */
    arena_block *current; /* the block being filled */
    size_t block_size;    /* size of a normal block */
    size_t used;          /* bytes handed out since the last reset */
} arena;

void arena_init(arena *a, size_t block_size);
/* 16-byte aligned memory, or NULL when out of memory. */
void *arena_alloc(arena *a, size_t size);
char *arena_strndup(arena *a, const char *s, size_t len);
/* Forgets every allocation but keeps the blocks for reuse. */
void arena_reset(arena *a);
void arena_free(arena *a);

#endif
