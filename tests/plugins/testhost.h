/*
 * What the plugin vtable tests need from a host: corehost.c implements it over
 * the core's own host table (core/src/host.c, from sluice_core).
 */
#ifndef TESTHOST_H
#define TESTHOST_H

#include <sluice/sluice.h>

/* Which host this is, for the test's output. */
const char *th_name(void);
const sluice_host *th_host(void);

/* A plugin context. */
sluice_context *th_context_new(const char *plugin_name);
void th_context_free(sluice_context *ctx);
/* The last line the plugin logged, or NULL when this host cannot tell. */
const char *th_last_log(const sluice_context *ctx);
/* A plugin counter's value, or UINT64_MAX when this host cannot tell. */
uint64_t th_counter(const sluice_context *ctx, const char *name);
void th_cancel(sluice_context *ctx);

sluice_catalog *th_catalog_new(void);
void th_catalog_free(sluice_catalog *c);
uint32_t th_catalog_count(const sluice_catalog *c);
sluice_table *th_catalog_table(const sluice_catalog *c, uint32_t i);

/* A batch holding up to capacity events and about byte_budget arena bytes. */
sluice_batch *th_batch_new(sluice_batch_kind kind, uint32_t capacity, size_t byte_budget);
void th_batch_reset(sluice_batch *b);
void th_batch_free(sluice_batch *b);

sluice_chunk_list *th_chunks_new(void);
uint32_t th_chunks_count(const sluice_chunk_list *l);
sluice_str th_chunks_bound(const sluice_chunk_list *l, uint32_t i);
void th_chunks_free(sluice_chunk_list *l);

void th_error_init(sluice_error *err);

#endif
