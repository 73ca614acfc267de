/*
 * The host API table handed to plugins, and the objects behind its handles:
 * contexts (log prefix, cancellation, settings, counters), the table catalog,
 * batches with their arenas, and chunk lists.
 */
#include "host.h"
#include "mapping.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "findings.h"
#include "partition_chunks.h"
#include "report.h"
#include "stats.h"

/* ---- contexts ---- */

static void host_log(sluice_context *ctx, sluice_log_level level, const char *fmt, ...)
{
    char prefix[160];
    snprintf(prefix, sizeof prefix, "%s \"%s\"", ctx ? ctx->kind_name : "plugin",
             ctx ? ctx->plugin_name : "?");
    va_list ap;
    va_start(ap, fmt);
    report_vlog(level, prefix, fmt, ap);
    va_end(ap);
}

static int host_cancelled(sluice_context *ctx)
{
    return ctx && ctx->cancel_flag && atomic_load(ctx->cancel_flag);
}

static void host_count(sluice_context *ctx, const char *counter, uint64_t n)
{
    if (ctx && ctx->stats)
        stats_plugin_count(ctx->stats, ctx->plugin_name, counter, n);
}

static const char *host_setting(sluice_context *ctx, const char *name)
{
    if (!ctx || !ctx->setting)
        return NULL;
    return ctx->setting(ctx->setting_owner, name);
}

/* ---- the catalog ---- */

/* Every table carries a pointer back to the catalog that owns its strings. */
typedef struct table_box {
    sluice_catalog *owner;
    arena *strings;
    uint32_t index_capacity; /* of table.indexes, which lives in `strings` */
    sluice_table table;
} table_box;

#define BOX_OF(t) ((table_box *)((char *)(t) - offsetof(table_box, table)))

typedef struct catalog_impl {
    sluice_catalog pub;
    arena strings;
} catalog_impl;

sluice_catalog *catalog_new(void)
{
    catalog_impl *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    arena_init(&c->strings, 16 * 1024);
    return &c->pub;
}

static void catalog_free_box(table_box *b)
{
    free(b->table.columns);
    free(b);
}

void catalog_free(sluice_catalog *c)
{
    if (!c)
        return;
    for (uint32_t i = 0; i < c->nall; i++)
        catalog_free_box(BOX_OF(c->all[i]));
    free(c->all);
    free(c->tables);
    arena_free(&((catalog_impl *)c)->strings);
    free(c);
}

static int grow(void **array, uint32_t *capacity, uint32_t need, size_t elem)
{
    if (need <= *capacity)
        return 0;
    uint32_t cap = *capacity ? *capacity * 2 : 16;
    while (cap < need)
        cap *= 2;
    void *p = realloc(*array, (size_t)cap * elem);
    if (!p)
        return -1;
    *array = p;
    *capacity = cap;
    return 0;
}

sluice_catalog *catalog_for_versions(const sluice_catalog *base)
{
    sluice_catalog *c = catalog_new();
    if (!c || (base->ntables &&
               grow((void **)&c->tables, &c->capacity, base->ntables, sizeof *c->tables) != 0)) {
        catalog_free(c);
        return NULL;
    }
    if (base->ntables)
        memcpy(c->tables, base->tables, base->ntables * sizeof *c->tables);
    c->ntables = base->ntables;
    return c;
}

static sluice_str copy_str(arena *a, sluice_str s)
{
    char *p = arena_strndup(a, s.ptr ? s.ptr : "", s.ptr ? s.len : 0);
    return (sluice_str){p, p ? s.len : 0};
}

static sluice_table *table_new(sluice_catalog *c, uint32_t ncolumns)
{
    table_box *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->owner = c;
    b->strings = &((catalog_impl *)c)->strings;
    b->table.header = (sluice_header)SLUICE_HEADER_INIT(sluice_table);
    b->table.column_size = sizeof(sluice_column);
    b->table.index_size = sizeof(sluice_index);
    b->table.ncolumns = ncolumns;
    b->table.columns = calloc(ncolumns ? ncolumns : 1, sizeof(sluice_column));
    if (!b->table.columns ||
        grow((void **)&c->all, &c->all_capacity, c->nall + 1, sizeof *c->all) != 0) {
        free(b->table.columns);
        free(b);
        return NULL;
    }
    for (uint32_t i = 0; i < ncolumns; i++)
        b->table.columns[i].precision = b->table.columns[i].scale = -1;
    c->all[c->nall++] = &b->table;
    return &b->table;
}

static sluice_table *host_table_add(sluice_catalog *c, sluice_str schema, sluice_str name,
                                    uint32_t ncolumns)
{
    if (!c || !name.ptr || ncolumns == 0 ||
        grow((void **)&c->tables, &c->capacity, c->ntables + 1, sizeof *c->tables) != 0)
        return NULL;
    sluice_table *t = table_new(c, ncolumns);
    if (!t)
        return NULL;
    arena *a = BOX_OF(t)->strings;
    t->schema = copy_str(a, schema);
    t->name = copy_str(a, name);
    t->id = c->ntables;
    c->tables[c->ntables++] = t;
    return t;
}

static int host_column_set(sluice_table *t, uint32_t index, sluice_str name,
                           sluice_str source_type, sluice_type type, uint32_t flags)
{
    if (!t || index >= t->ncolumns || !name.ptr)
        return -1;
    arena *a = BOX_OF(t)->strings;
    sluice_column *col = sluice_table_column(t, index);
    col->name = copy_str(a, name);
    col->source_type = copy_str(a, source_type);
    col->type = type;
    col->flags = flags;
    return col->name.ptr ? 0 : -1;
}

static sluice_table *host_table_reshape(sluice_catalog *c, const sluice_table *old,
                                        uint32_t ncolumns)
{
    if (!c || !old || old->id >= c->ntables || ncolumns == 0)
        return NULL;
    sluice_table *t = table_new(c, ncolumns);
    if (!t)
        return NULL;
    t->id = old->id;
    t->schema = old->schema;
    t->name = old->name;
    t->source_id = old->source_id;
    t->estimated_rows = old->estimated_rows;
    c->tables[old->id] = t; /* older versions stay valid in c->all until the catalog goes */
    return t;
}

static int host_table_rename(sluice_table *t, sluice_str schema, sluice_str name)
{
    if (!t || !name.ptr)
        return -1;
    arena *a = BOX_OF(t)->strings;
    t->schema = copy_str(a, schema);
    t->name = copy_str(a, name);
    return t->name.ptr ? 0 : -1;
}

/* Secondary indexes (since 1.2): the array and its strings live in the catalog's arena,
   so nothing is freed per table; a full array is copied into one twice its size. */
static int host_index_add(sluice_table *t, sluice_str name, sluice_str method, uint32_t flags,
                          const sluice_str *columns, uint32_t ncolumns, sluice_str definition)
{
    if (!t || !name.ptr || name.len == 0 || (ncolumns && !columns))
        return -1;
    table_box *b = BOX_OF(t);
    arena *a = b->strings;
    if (t->nindexes == b->index_capacity) {
        uint32_t cap = b->index_capacity ? b->index_capacity * 2 : 4;
        sluice_index *more = arena_alloc(a, (size_t)cap * sizeof *more);
        if (!more)
            return -1;
        if (t->nindexes)
            memcpy(more, t->indexes, (size_t)t->nindexes * sizeof *more);
        t->indexes = more;
        b->index_capacity = cap;
    }
    sluice_index ix = {copy_str(a, name), copy_str(a, method), flags, ncolumns,
                       arena_alloc(a, (size_t)(ncolumns ? ncolumns : 1) * sizeof(sluice_str)),
                       copy_str(a, definition)};
    if (!ix.name.ptr || !ix.method.ptr || !ix.columns || !ix.source_definition.ptr)
        return -1;
    for (uint32_t i = 0; i < ncolumns; i++)
        if (!(ix.columns[i] = copy_str(a, columns[i])).ptr)
            return -1;
    t->indexes[t->nindexes++] = ix;
    return 0;
}

sluice_table *catalog_new_shape(sluice_catalog *c, const sluice_table *src, uint32_t ncolumns)
{
    sluice_table *t = table_new(c, ncolumns);
    if (!t)
        return NULL;
    arena *a = BOX_OF(t)->strings;
    t->id = src->id;
    t->schema = copy_str(a, src->schema);
    t->name = copy_str(a, src->name);
    t->source_id = src->source_id;
    t->estimated_rows = src->estimated_rows;
    return t;
}

sluice_table *catalog_copy_table(sluice_catalog *c, const sluice_table *src)
{
    sluice_table *t = catalog_new_shape(c, src, src->ncolumns);
    if (!t)
        return NULL;
    arena *a = BOX_OF(t)->strings;
    for (uint32_t i = 0; i < src->ncolumns; i++) {
        const sluice_column *from = sluice_table_column(src, i);
        sluice_column *to = sluice_table_column(t, i);
        *to = *from;
        to->name = copy_str(a, from->name);
        to->source_type = copy_str(a, from->source_type);
    }
    for (uint32_t i = 0; i < sluice_table_nindexes(src); i++) {
        const sluice_index *ix = sluice_table_index(src, i);
        if (host_index_add(t, ix->name, ix->method, ix->flags, ix->columns, ix->ncolumns,
                           ix->source_definition) != 0)
            return NULL; /* the half-made copy is freed with the catalog */
    }
    return t;
}

/* ---- batches ---- */

typedef struct batch_impl {
    sluice_batch pub;
    arena data;
} batch_impl;

#define IMPL(b) ((batch_impl *)(b)->core)

sluice_batch *batch_new(sluice_batch_kind kind, uint32_t capacity, size_t byte_budget)
{
    batch_impl *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->pub.header = (sluice_header)SLUICE_HEADER_INIT(sluice_batch);
    b->pub.kind = kind;
    b->pub.capacity = capacity;
    b->pub.event_size = sizeof(sluice_event);
    b->pub.events = calloc(capacity ? capacity : 1, sizeof(sluice_event));
    b->pub.core = b;
    if (!b->pub.events) {
        free(b);
        return NULL;
    }
    arena_init(&b->data, byte_budget / 4);
    return &b->pub;
}

void batch_reset(sluice_batch *b)
{
    b->nevents = 0;
    b->flags = 0;
    b->table = NULL;
    b->native_format = 0;
    arena_reset(&IMPL(b)->data);
}

void batch_free(sluice_batch *b)
{
    if (!b)
        return;
    arena_free(&IMPL(b)->data);
    free(b->events);
    free(IMPL(b));
}

size_t batch_bytes(const sluice_batch *b) { return IMPL(b)->data.used; }

static void *host_alloc(sluice_batch *b, size_t size) { return arena_alloc(&IMPL(b)->data, size); }

/* A batch is full when its events or its bytes reach their budget. */
static int host_batch_full(const sluice_batch *b)
{
    return b->nevents >= b->capacity || IMPL(b)->data.used >= IMPL(b)->data.block_size * 4;
}

static sluice_value *new_row(sluice_batch *b, uint32_t n)
{
    sluice_value *row = arena_alloc(&IMPL(b)->data, (size_t)n * sizeof *row);
    if (row)
        memset(row, 0, (size_t)n * sizeof *row);
    return row;
}

static sluice_event *host_emit(sluice_batch *b, sluice_op op, const sluice_table *t,
                               int with_old_row)
{
    if (b->nevents >= b->capacity)
        return NULL;
    sluice_event *e = &b->events[b->nevents];
    memset(e, 0, sizeof *e);
    e->op = op;
    e->table = t;
    if (t && (op == SLUICE_OP_INSERT || op == SLUICE_OP_UPDATE)) {
        if (!(e->new_row = new_row(b, t->ncolumns)))
            return NULL;
    }
    if (t && (with_old_row || op == SLUICE_OP_DELETE)) {
        if (!(e->old_row = new_row(b, t->ncolumns)))
            return NULL;
    }
    if (op == SLUICE_OP_COMMIT) {
        if (!(e->position = arena_alloc(&IMPL(b)->data, sizeof *e->position)))
            return NULL;
        e->position->len = 0;
    }
    b->nevents++;
    return e;
}

static int host_set_text(sluice_batch *b, sluice_value *v, const char *bytes, size_t len)
{
    char *p = arena_alloc(&IMPL(b)->data, len ? len : 1);
    if (!p || len > UINT32_MAX)
        return -1;
    memcpy(p, bytes, len);
    v->kind = SLUICE_VALUE_TEXT;
    v->len = (uint32_t)len;
    v->u.bytes = p;
    return 0;
}

/* ---- chunk lists ---- */

static int host_chunk_add(sluice_chunk_list *l, sluice_str bounds)
{
    if (grow((void **)&l->bounds, &l->capacity, l->count + 1, sizeof *l->bounds) != 0)
        return -1;
    char *p = malloc(bounds.len + 1);
    if (!p)
        return -1;
    if (bounds.len)
        memcpy(p, bounds.ptr, bounds.len);
    p[bounds.len] = '\0';
    l->bounds[l->count++] = (sluice_str){p, bounds.len};
    return 0;
}

void chunk_list_free(sluice_chunk_list *l)
{
    for (uint32_t i = 0; i < l->count; i++)
        free((void *)l->bounds[i].ptr);
    free(l->bounds);
    memset(l, 0, sizeof *l);
}

/* ---- bound lists ---- */

static int host_bound_add(sluice_bound_list *l, const sluice_str *values, uint32_t n)
{
    if (!values || n == 0 || (l->count > 0 && n != l->nkeys))
        return -1;
    if (grow((void **)&l->values, &l->capacity, (l->count + 1) * n, sizeof *l->values) != 0)
        return -1;
    sluice_str *row = &l->values[(size_t)l->count * n];
    for (uint32_t i = 0; i < n; i++) {
        char *p = malloc(values[i].len + 1);
        if (!p) {
            while (i-- > 0)
                free((void *)row[i].ptr);
            return -1;
        }
        if (values[i].len)
            memcpy(p, values[i].ptr, values[i].len);
        p[values[i].len] = '\0';
        row[i] = (sluice_str){p, values[i].len};
    }
    l->nkeys = n;
    l->count++;
    return 0;
}

void bound_list_free(sluice_bound_list *l)
{
    for (size_t i = 0; i < (size_t)l->count * l->nkeys; i++)
        free((void *)l->values[i].ptr);
    free(l->values);
    memset(l, 0, sizeof *l);
}

/* ---- the table ---- */

static int host_table_selected(sluice_context *ctx, sluice_str schema, sluice_str name)
{
    return mapping_selects(ctx ? ctx->mapping : NULL, schema, name);
}

static const sluice_host host_table = {
    .header = SLUICE_HEADER_INIT(sluice_host),
    .log = host_log,
    .error = error_set,
    .error_detail = error_detail,
    .error_hint = error_hint,
    .cancelled = host_cancelled,
    .count = host_count,
    .setting = host_setting,
    .table_add = host_table_add,
    .column_set = host_column_set,
    .table_reshape = host_table_reshape,
    .table_rename = host_table_rename,
    .emit = host_emit,
    .alloc = host_alloc,
    .set_text = host_set_text,
    .batch_full = host_batch_full,
    .chunk_add = host_chunk_add,
    .index_add = host_index_add,
    .sequence_add = sequence_list_add,
    .table_selected = host_table_selected,
    .partition_add = partition_list_add,
    .finding_add = findings_add,
    .bound_add = host_bound_add,
};

const sluice_host *host_api(void) { return &host_table; }
