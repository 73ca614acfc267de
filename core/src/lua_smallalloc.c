/* Small blocks for Lua states (lua_smallalloc.h). */
#include "lua_smallalloc.h"

#include <stdlib.h>
#include <string.h>

#define SLAB_BYTES (64 * 1024)

#if defined(__SANITIZE_ADDRESS__)
#define POOLED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOLED 0
#endif
#endif
#ifndef POOLED
#define POOLED 1
#endif

typedef struct small_slab {
    struct small_slab *next;
    max_align_t align[];
} small_slab;

static int is_small(size_t n)
{
    return POOLED && n > 0 && n <= SMALL_MAX;
}

static size_t class_of(size_t n)
{
    return (n - 1) / SMALL_STEP;
}

static void *pool_alloc(small_pool *pool, size_t n)
{
    size_t k = class_of(n);
    void *p = pool->free[k];
    if (p) {
        memcpy(&pool->free[k], p, sizeof(void *)); /* the next free block */
        return p;
    }
    size_t bytes = (k + 1) * SMALL_STEP;
    if ((size_t)(pool->end - pool->next) < bytes) {
        small_slab *s = malloc(SLAB_BYTES);
        if (!s)
            return NULL;
        s->next = pool->slabs;
        pool->slabs = s;
        pool->next = (char *)s->align;
        pool->end = (char *)s + SLAB_BYTES;
    }
    p = pool->next;
    pool->next += bytes;
    return p;
}

static void pool_free(small_pool *pool, void *p, size_t n)
{
    size_t k = class_of(n);
    memcpy(p, &pool->free[k], sizeof(void *));
    pool->free[k] = p;
}

void *small_realloc(small_pool *pool, void *ptr, size_t osize, size_t nsize)
{
    if (!ptr)
        return is_small(nsize) ? pool_alloc(pool, nsize) : malloc(nsize);
    if (nsize == 0) {
        if (is_small(osize))
            pool_free(pool, ptr, osize);
        else
            free(ptr);
        return NULL;
    }
    if (!is_small(osize) && !is_small(nsize))
        return realloc(ptr, nsize);
    if (is_small(osize) && is_small(nsize) && class_of(osize) == class_of(nsize))
        return ptr;
    void *p = is_small(nsize) ? pool_alloc(pool, nsize) : malloc(nsize);
    if (!p)
        return NULL; /* Lua keeps the old block */
    memcpy(p, ptr, osize < nsize ? osize : nsize);
    if (is_small(osize))
        pool_free(pool, ptr, osize);
    else
        free(ptr);
    return p;
}

void small_pool_release(small_pool *pool)
{
    for (small_slab *s = pool->slabs, *next; s; s = next) {
        next = s->next;
        free(s);
    }
    memset(pool, 0, sizeof *pool);
}
