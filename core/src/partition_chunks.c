/*
 * Partition lists (what a source's list_partitions reports) and the chunks a
 * DMS parallel-load partition rule makes of them. Every leaf partition ends
 * up in exactly one chunk: the named ones are checked not to overlap, and the
 * rest of the table is one more chunk of the leaves none of them covers.
 */
#include "partition_chunks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static int grow_to(void **p, uint32_t n, size_t size)
{
    void *q = realloc(*p, (size_t)n * size);
    if (!q)
        return -1;
    *p = q;
    return 0;
}

static int copy_str(sluice_str *out, sluice_str s)
{
    char *p = malloc(s.len + 1);
    if (!p)
        return -1;
    if (s.len)
        memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    *out = (sluice_str){p, s.len};
    return 0;
}

int partition_list_add(sluice_partition_list *l, sluice_str name, sluice_str parent,
                       uint32_t flags)
{
    if (!l || (!name.ptr && name.len) || (!parent.ptr && parent.len))
        return -1;
    if (l->count == l->capacity) {
        uint32_t n = l->capacity ? l->capacity * 2 : 8;
        if (grow_to((void **)&l->names, n, sizeof *l->names) != 0 ||
            grow_to((void **)&l->parents, n, sizeof *l->parents) != 0 ||
            grow_to((void **)&l->flags, n, sizeof *l->flags) != 0)
            return -1;
        l->capacity = n;
    }
    if (copy_str(&l->names[l->count], name) != 0)
        return -1;
    if (copy_str(&l->parents[l->count], parent) != 0) {
        free((void *)l->names[l->count].ptr);
        return -1;
    }
    l->flags[l->count++] = flags;
    return 0;
}

void partition_list_free(sluice_partition_list *l)
{
    for (uint32_t i = 0; i < l->count; i++) {
        free((void *)l->names[i].ptr);
        free((void *)l->parents[i].ptr);
    }
    free(l->names);
    free(l->parents);
    free(l->flags);
    memset(l, 0, sizeof *l);
}

static int same(sluice_str a, const char *b, size_t blen)
{
    return a.len == blen && memcmp(a.ptr, b, blen) == 0;
}

static int64_t find(const sluice_partition_list *l, const char *name, size_t len)
{
    for (uint32_t i = 0; i < l->count; i++)
        if (same(l->names[i], name, len))
            return i;
    return -1;
}

/* Whether partition i is partition a or lies below it. */
static int within(const sluice_partition_list *l, uint32_t i, uint32_t a)
{
    for (uint32_t hops = 0; hops <= l->count; hops++) {
        if (i == a)
            return 1;
        int64_t p = find(l, l->parents[i].ptr, l->parents[i].len);
        if (p < 0 || l->parents[i].len == 0)
            return 0;
        i = (uint32_t)p;
    }
    return 0; /* a cycle: the source's list is broken; treat as unrelated */
}

/* Appends a chunk of n partitions (pointers into l). */
static int add_chunk(partition_chunks *pc, sluice_str *parts, uint32_t n)
{
    if (grow_to((void **)&pc->partitions, pc->count + 1, sizeof *pc->partitions) != 0 ||
        grow_to((void **)&pc->npartitions, pc->count + 1, sizeof *pc->npartitions) != 0)
        return -1;
    pc->partitions[pc->count] = parts;
    pc->npartitions[pc->count++] = n;
    return 0;
}

static int one_chunk(partition_chunks *pc, sluice_str name)
{
    sluice_str *p = malloc(sizeof *p);
    if (!p)
        return -1;
    *p = name;
    if (add_chunk(pc, p, 1) != 0) {
        free(p);
        return -1;
    }
    return 0;
}

/* The partitions of l as "a", "b", ... for a message. */
static void list_names(const sluice_partition_list *l, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < l->count && n + 8 < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s\"%.*s\"", i ? ", " : "",
                              (int)l->names[i].len, l->names[i].ptr);
    if (n >= size)
        memcpy(buf + size - 4, "...", 4);
}

/* partitions-list: the named partitions (and subpartitions), checked. */
static int named_chunks(partition_chunks *pc, const map_table_settings *ts,
                        const sluice_partition_list *l, const sluice_table *t,
                        uint32_t *chosen, uint32_t *nchosen, sluice_error *err)
{
    uint32_t total = ts->npartitions + ts->nsubpartitions;
    for (uint32_t k = 0; k < total; k++) {
        const char *name = k < ts->npartitions ? ts->partitions[k]
                                                : ts->subpartitions[k - ts->npartitions];
        int64_t i = find(l, name, strlen(name));
        if (i < 0) {
            char names[400];
            list_names(l, names, sizeof names);
            error_set(err, SLUICE_FATAL,
                      "%s: rule %s: parallel-load partitions-list: \"%s\" is not a partition of "
                      "%.*s.%.*s", ts->where, ts->id, name, (int)t->schema.len, t->schema.ptr,
                      (int)t->name.len, t->name.ptr);
            if (l->count)
                error_detail(err, "Its partitions are %s.", names);
            else
                error_detail(err, "The table is not partitioned.");
            error_hint(err, "Name partitions as the source names them (case matters); a "
                            "partition in another schema than its table is written "
                            "schema.name.");
            return -1;
        }
        for (uint32_t c = 0; c < *nchosen; c++) {
            if (within(l, (uint32_t)i, chosen[c]) || within(l, chosen[c], (uint32_t)i)) {
                error_set(err, SLUICE_FATAL,
                          "%s: rule %s: parallel-load partitions-list names \"%s\" and \"%.*s\", "
                          "which overlap", ts->where, ts->id, name,
                          (int)l->names[chosen[c]].len, l->names[chosen[c]].ptr);
                error_detail(err, "One is a sub-partition of the other (or they are the same), "
                                  "so its rows would load twice.");
                error_hint(err, "Name each partition once, and not also its sub-partitions.");
                return -1;
            }
        }
        chosen[(*nchosen)++] = (uint32_t)i;
        if (one_chunk(pc, l->names[i]) != 0)
            return -2;
    }
    return 0;
}

int partition_chunks_build(partition_chunks *pc, const map_table_settings *ts,
                           const sluice_partition_list *l, const sluice_table *t,
                           sluice_error *err)
{
    memset(pc, 0, sizeof *pc);
    uint32_t *chosen = NULL, nchosen = 0;
    sluice_str *rest = NULL;
    uint32_t nrest = 0;
    if (ts->parallel == MAP_PARALLEL_PARTITIONS_LIST) {
        chosen = calloc(ts->npartitions + ts->nsubpartitions + 1, sizeof *chosen);
        if (!chosen)
            goto oom;
        int rc = named_chunks(pc, ts, l, t, chosen, &nchosen, err);
        if (rc == -2)
            goto oom;
        if (rc != 0)
            goto fail;
    }
    /* auto: every leaf a chunk; list: the leaves no named partition covers, one chunk */
    rest = calloc(l->count + 1, sizeof *rest);
    if (!rest)
        goto oom;
    for (uint32_t i = 0; i < l->count; i++) {
        if (!(l->flags[i] & SLUICE_PARTITION_LEAF))
            continue;
        int covered = 0;
        for (uint32_t c = 0; c < nchosen && !covered; c++)
            covered = within(l, i, chosen[c]);
        if (covered)
            continue;
        if (ts->parallel != MAP_PARALLEL_PARTITIONS_LIST) {
            if (one_chunk(pc, l->names[i]) != 0)
                goto oom;
        } else {
            rest[nrest++] = l->names[i];
        }
    }
    if (nrest) {
        if (add_chunk(pc, rest, nrest) != 0)
            goto oom;
    } else {
        free(rest);
    }
    free(chosen);
    return 0;
oom:
    error_set(err, SLUICE_FATAL, "out of memory");
fail:
    free(chosen);
    free(rest); /* never in pc when failing */
    partition_chunks_free(pc);
    return -1;
}

void partition_chunks_free(partition_chunks *pc)
{
    for (uint32_t i = 0; i < pc->count; i++)
        free(pc->partitions[i]);
    free(pc->partitions);
    free(pc->npartitions);
    memset(pc, 0, sizeof *pc);
}
