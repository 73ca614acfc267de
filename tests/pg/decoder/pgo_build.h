/*
 * pgo_build.h: a tiny big-endian byte builder for hand-made pgoutput and
 * CopyBoth messages, shared by the unit test and the corpus writer.
 */
#ifndef PGO_BUILD_H
#define PGO_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PGO_BUILD_MAX 8192

typedef struct bbuf {
    uint8_t b[PGO_BUILD_MAX];
    size_t n;
} bbuf;

static inline bbuf *b_u8(bbuf *m, unsigned v)
{
    if (m->n < PGO_BUILD_MAX)
        m->b[m->n++] = (uint8_t)v;
    return m;
}

static inline bbuf *b_u16(bbuf *m, unsigned v)
{
    b_u8(m, v >> 8);
    return b_u8(m, v);
}

static inline bbuf *b_u32(bbuf *m, uint32_t v)
{
    b_u16(m, v >> 16);
    return b_u16(m, v & 0xffff);
}

static inline bbuf *b_u64(bbuf *m, uint64_t v)
{
    b_u32(m, (uint32_t)(v >> 32));
    return b_u32(m, (uint32_t)v);
}

static inline bbuf *b_mem(bbuf *m, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b_u8(m, ((const uint8_t *)p)[i]);
    return m;
}

/* A NUL-terminated wire string. */
static inline bbuf *b_str(bbuf *m, const char *s)
{
    return b_mem(m, s, strlen(s) + 1);
}

/* Tuple columns. */
static inline bbuf *b_null(bbuf *m)
{
    return b_u8(m, 'n');
}

static inline bbuf *b_unch(bbuf *m)
{
    return b_u8(m, 'u');
}

static inline bbuf *b_text(bbuf *m, const char *s)
{
    b_u8(m, 't');
    b_u32(m, (uint32_t)strlen(s));
    return b_mem(m, s, strlen(s));
}

static inline bbuf *b_bin(bbuf *m, const void *p, uint32_t n)
{
    b_u8(m, 'b');
    b_u32(m, n);
    return b_mem(m, p, n);
}

#endif
