/* testhost.h over the core's own host table (core/src/host.c, in sluice_core). */
#include <stdatomic.h>
#include <stdlib.h>

#include "host.h"
#include "report.h"
#include "testhost.h"

const char *th_name(void) { return "the core's host table (core/src/host.c)"; }
const sluice_host *th_host(void) { return host_api(); }

/* A context with its own stop flag. */
typedef struct core_context {
    sluice_context pub;
    atomic_int stop;
} core_context;

sluice_context *th_context_new(const char *plugin_name)
{
    core_context *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->pub.plugin_name = plugin_name;
    c->pub.kind_name = "plugin";
    c->pub.cancel_flag = &c->stop;
    return &c->pub;
}

void th_context_free(sluice_context *ctx) { free(ctx); }
const char *th_last_log(const sluice_context *ctx) { (void)ctx; return NULL; }

uint64_t th_counter(const sluice_context *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return UINT64_MAX;
}

void th_cancel(sluice_context *ctx) { atomic_store(&((core_context *)ctx)->stop, 1); }

sluice_catalog *th_catalog_new(void) { return catalog_new(); }
void th_catalog_free(sluice_catalog *c) { catalog_free(c); }
uint32_t th_catalog_count(const sluice_catalog *c) { return c->ntables; }
sluice_table *th_catalog_table(const sluice_catalog *c, uint32_t i) { return c->tables[i]; }

sluice_batch *th_batch_new(sluice_batch_kind kind, uint32_t capacity, size_t byte_budget)
{
    return batch_new(kind, capacity, byte_budget);
}

void th_batch_reset(sluice_batch *b) { batch_reset(b); }
void th_batch_free(sluice_batch *b) { batch_free(b); }

sluice_chunk_list *th_chunks_new(void) { return calloc(1, sizeof(sluice_chunk_list)); }
uint32_t th_chunks_count(const sluice_chunk_list *l) { return l->count; }
sluice_str th_chunks_bound(const sluice_chunk_list *l, uint32_t i) { return l->bounds[i]; }

void th_chunks_free(sluice_chunk_list *l)
{
    if (!l)
        return;
    chunk_list_free(l);
    free(l);
}

void th_error_init(sluice_error *err) { error_init(err); }
