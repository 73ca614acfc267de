/*
 * Small blocks for a Lua state's allocator: per-size-class free lists carved
 * from 64 KiB slabs. A per-row function makes and frees a few strings per row;
 * through malloc and free that was ~300 instructions a row (callgrind,
 * bench/RESULTS.md "Mappings"), a free-list push or pop is a few. Blocks
 * return to the lists, and the slabs to malloc when the state closes. Under
 * AddressSanitizer every block goes to malloc, so it still sees each one.
 */
#ifndef SLUICE_LUA_SMALLALLOC_H
#define SLUICE_LUA_SMALLALLOC_H

#include <stddef.h>

#define SMALL_MAX 256  /* larger blocks go to malloc */
#define SMALL_STEP 16  /* size classes: 16, 32, ... SMALL_MAX */

typedef struct small_pool {
    void *free[SMALL_MAX / SMALL_STEP]; /* per class, a list linked through the blocks */
    struct small_slab *slabs;           /* every slab, for small_pool_release */
    char *next, *end;                   /* the unused rest of the newest slab */
} small_pool;

/* The realloc of lua_Alloc for size <= SMALL_MAX blocks and malloc for others:
   ptr NULL allocates, nsize 0 frees (osize is the block's size, as Lua says). */
void *small_realloc(small_pool *pool, void *ptr, size_t osize, size_t nsize);
/* Frees the slabs; every block is gone with them (after lua_close). */
void small_pool_release(small_pool *pool);

#endif
