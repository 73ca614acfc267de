/* A minimal fake host API table for plugin unit tests (fakehost.h). */
#include "testhost.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- contexts ---- */

#define FAKE_COUNTERS 16

struct sluice_context {
    char name[64];
    char last_log[1024];
    int cancelled;
    struct {
        char name[32];
        uint64_t value;
    } counters[FAKE_COUNTERS];
};

const char *th_name(void) { return "a FAKE host table (tests/plugins/fakehost.c)"; }

sluice_context *th_context_new(const char *plugin_name)
{
    sluice_context *ctx = calloc(1, sizeof *ctx);
    if (ctx)
        snprintf(ctx->name, sizeof ctx->name, "%s", plugin_name);
    return ctx;
}

void th_context_free(sluice_context *ctx) { free(ctx); }
const char *th_last_log(const sluice_context *ctx) { return ctx->last_log; }
void th_cancel(sluice_context *ctx) { ctx->cancelled = 1; }

uint64_t th_counter(const sluice_context *ctx, const char *name)
{
    for (int i = 0; i < FAKE_COUNTERS; i++)
        if (strcmp(ctx->counters[i].name, name) == 0)
            return ctx->counters[i].value;
    return 0;
}

static void fake_log(sluice_context *ctx, sluice_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warning", "error"};
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (ctx)
        snprintf(ctx->last_log, sizeof ctx->last_log, "%s", line);
    if (level >= SLUICE_LOG_INFO)
        fprintf(stderr, "[fake host] %s: %s: %s\n", ctx ? ctx->name : "?",
                names[level <= SLUICE_LOG_ERROR ? level : SLUICE_LOG_ERROR], line);
}

static sluice_status fake_error(sluice_error *err, sluice_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->status = status;
    return status;
}

static void fake_error_detail(sluice_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof err->detail, fmt, ap);
    va_end(ap);
}

static void fake_error_hint(sluice_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}

void th_error_init(sluice_error *err)
{
    memset(err, 0, sizeof *err);
    err->header = (sluice_header)SLUICE_HEADER_INIT(sluice_error);
}

static int fake_cancelled(sluice_context *ctx) { return ctx && ctx->cancelled; }

static void fake_count(sluice_context *ctx, const char *counter, uint64_t n)
{
    for (int i = 0; ctx && i < FAKE_COUNTERS; i++) {
        if (!ctx->counters[i].name[0])
            snprintf(ctx->counters[i].name, sizeof ctx->counters[i].name, "%s", counter);
        if (strcmp(ctx->counters[i].name, counter) == 0) {
            ctx->counters[i].value += n;
            return;
        }
    }
}

static const char *fake_setting(sluice_context *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return NULL;
}

/* ---- the catalog ---- */

struct sluice_catalog {
    sluice_table **tables;
    uint32_t n;
};

sluice_catalog *th_catalog_new(void) { return calloc(1, sizeof(sluice_catalog)); }
uint32_t th_catalog_count(const sluice_catalog *c) { return c->n; }
sluice_table *th_catalog_table(const sluice_catalog *c, uint32_t i) { return c->tables[i]; }

static sluice_str dup_str(sluice_str s)
{
    char *p = malloc(s.len + 1);
    if (p) {
        if (s.len)
            memcpy(p, s.ptr, s.len);
        p[s.len] = '\0';
    }
    return (sluice_str){p, p ? s.len : 0};
}

static void free_table(sluice_table *t)
{
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        free((void *)t->columns[i].name.ptr);
        free((void *)t->columns[i].source_type.ptr);
    }
    free(t->columns);
    free((void *)t->schema.ptr);
    free((void *)t->name.ptr);
    free(t);
}

void th_catalog_free(sluice_catalog *c)
{
    if (!c)
        return;
    for (uint32_t i = 0; i < c->n; i++)
        free_table(c->tables[i]);
    free(c->tables);
    free(c);
}

static sluice_table *fake_table_add(sluice_catalog *c, sluice_str schema, sluice_str name,
                                    uint32_t ncolumns)
{
    if (!c || !name.ptr || ncolumns == 0)
        return NULL;
    sluice_table **more = realloc(c->tables, (c->n + 1) * sizeof *more);
    sluice_table *t = calloc(1, sizeof *t);
    if (more)
        c->tables = more;
    if (!more || !t || !(t->columns = calloc(ncolumns, sizeof *t->columns))) {
        free(t);
        return NULL;
    }
    t->header = (sluice_header)SLUICE_HEADER_INIT(sluice_table);
    t->id = c->n;
    t->ncolumns = ncolumns;
    t->column_size = sizeof(sluice_column);
    t->schema = dup_str(schema);
    t->name = dup_str(name);
    c->tables[c->n++] = t;
    return t;
}

static int fake_column_set(sluice_table *t, uint32_t index, sluice_str name,
                           sluice_str source_type, sluice_type type, uint32_t flags)
{
    if (!t || index >= t->ncolumns || !name.ptr)
        return -1;
    sluice_column *col = &t->columns[index];
    free((void *)col->name.ptr);
    free((void *)col->source_type.ptr);
    col->name = dup_str(name);
    col->source_type = dup_str(source_type);
    col->type = type;
    col->flags = flags;
    col->precision = col->scale = -1;
    return 0;
}

static sluice_table *fake_table_reshape(sluice_catalog *c, const sluice_table *old,
                                        uint32_t ncolumns)
{
    return fake_table_add(c, old->schema, old->name, ncolumns);
}

static int fake_table_rename(sluice_table *t, sluice_str schema, sluice_str name)
{
    free((void *)t->schema.ptr);
    free((void *)t->name.ptr);
    t->schema = dup_str(schema);
    t->name = dup_str(name);
    return 0;
}

/* ---- batches: events plus a bump arena of malloc'd blocks ---- */

typedef struct block {
    struct block *next;
    size_t fill, size;
    max_align_t data[];
} block;

typedef struct fake_batch {
    sluice_batch pub;
    block *blocks;
    size_t used, budget;
} fake_batch;

sluice_batch *th_batch_new(sluice_batch_kind kind, uint32_t capacity, size_t byte_budget)
{
    fake_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->pub.header = (sluice_header)SLUICE_HEADER_INIT(sluice_batch);
    b->pub.kind = kind;
    b->pub.capacity = capacity;
    b->pub.event_size = sizeof(sluice_event);
    b->pub.events = calloc(capacity ? capacity : 1, sizeof(sluice_event));
    b->pub.core = b;
    b->budget = byte_budget;
    if (!b->pub.events) {
        free(b);
        return NULL;
    }
    return &b->pub;
}

void th_batch_reset(sluice_batch *pub)
{
    fake_batch *b = pub->core;
    while (b->blocks) {
        block *next = b->blocks->next;
        free(b->blocks);
        b->blocks = next;
    }
    b->used = 0;
    pub->nevents = 0;
    pub->flags = 0;
    pub->table = NULL;
}

void th_batch_free(sluice_batch *pub)
{
    if (!pub)
        return;
    th_batch_reset(pub);
    free(pub->events);
    free(pub->core);
}

static void *fake_alloc(sluice_batch *pub, size_t size)
{
    fake_batch *b = pub->core;
    size = (size + 15) & ~(size_t)15;
    if (!b->blocks || b->blocks->fill + size > b->blocks->size) {
        size_t want = size > 65536 ? size : 65536;
        block *nb = malloc(sizeof *nb + want);
        if (!nb)
            return NULL;
        nb->next = b->blocks;
        nb->fill = 0;
        nb->size = want;
        b->blocks = nb;
    }
    void *p = (char *)b->blocks->data + b->blocks->fill;
    b->blocks->fill += size;
    b->used += size;
    return p;
}

static int fake_batch_full(const sluice_batch *pub)
{
    const fake_batch *b = pub->core;
    return pub->nevents >= pub->capacity || b->used >= b->budget;
}

static sluice_value *new_row(sluice_batch *b, uint32_t n)
{
    sluice_value *row = fake_alloc(b, (size_t)n * sizeof *row);
    if (row)
        memset(row, 0, (size_t)n * sizeof *row);
    return row;
}

static sluice_event *fake_emit(sluice_batch *b, sluice_op op, const sluice_table *t,
                               int with_old_row)
{
    if (b->nevents >= b->capacity)
        return NULL;
    sluice_event *e = sluice_batch_event(b, b->nevents);
    memset(e, 0, sizeof *e);
    e->op = op;
    e->table = t;
    if (t && (op == SLUICE_OP_INSERT || op == SLUICE_OP_UPDATE) &&
        !(e->new_row = new_row(b, t->ncolumns)))
        return NULL;
    if (t && (with_old_row || op == SLUICE_OP_DELETE) && !(e->old_row = new_row(b, t->ncolumns)))
        return NULL;
    if (op == SLUICE_OP_COMMIT) {
        if (!(e->position = fake_alloc(b, sizeof *e->position)))
            return NULL;
        e->position->len = 0;
    }
    b->nevents++;
    return e;
}

static int fake_set_text(sluice_batch *b, sluice_value *v, const char *bytes, size_t len)
{
    char *p = fake_alloc(b, len ? len : 1);
    if (!p)
        return -1;
    memcpy(p, bytes, len);
    v->kind = SLUICE_VALUE_TEXT;
    v->len = (uint32_t)len;
    v->u.bytes = p;
    return 0;
}

/* ---- chunk lists ---- */

struct sluice_chunk_list {
    sluice_str *bounds;
    uint32_t n;
};

sluice_chunk_list *th_chunks_new(void) { return calloc(1, sizeof(sluice_chunk_list)); }
uint32_t th_chunks_count(const sluice_chunk_list *l) { return l->n; }
sluice_str th_chunks_bound(const sluice_chunk_list *l, uint32_t i) { return l->bounds[i]; }

void th_chunks_free(sluice_chunk_list *l)
{
    if (!l)
        return;
    for (uint32_t i = 0; i < l->n; i++)
        free((void *)l->bounds[i].ptr);
    free(l->bounds);
    free(l);
}

static int fake_chunk_add(sluice_chunk_list *l, sluice_str bounds)
{
    sluice_str *more = realloc(l->bounds, (l->n + 1) * sizeof *more);
    if (!more)
        return -1;
    l->bounds = more;
    l->bounds[l->n] = dup_str(bounds);
    if (!l->bounds[l->n].ptr)
        return -1;
    l->n++;
    return 0;
}

/* ---- the table ---- */

static const sluice_host fake_table = {
    .header = SLUICE_HEADER_INIT(sluice_host),
    .log = fake_log,
    .error = fake_error,
    .error_detail = fake_error_detail,
    .error_hint = fake_error_hint,
    .cancelled = fake_cancelled,
    .count = fake_count,
    .setting = fake_setting,
    .table_add = fake_table_add,
    .column_set = fake_column_set,
    .table_reshape = fake_table_reshape,
    .table_rename = fake_table_rename,
    .emit = fake_emit,
    .alloc = fake_alloc,
    .set_text = fake_set_text,
    .batch_full = fake_batch_full,
    .chunk_add = fake_chunk_add,
};

const sluice_host *th_host(void) { return &fake_table; }
