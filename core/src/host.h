/*
 * The host API table handed to plugins, and the core-side objects behind its
 * opaque handles: plugin contexts, the table catalog, batches and chunk lists.
 */
#ifndef SLUICE_HOST_H
#define SLUICE_HOST_H

#include <stdatomic.h>
#include <sluice/sluice.h>

/* The one host API table (static, valid for the life of the process). */
const sluice_host *host_api(void);

/* ---- contexts: one per plugin instance ---- */
typedef struct stats stats; /* stats.h */
struct sluice_context {
    const char *plugin_name;    /* for log lines: `source "generator"` */
    const char *kind_name;      /* "source", "sink", "transform" */
    atomic_int *cancel_flag;    /* the runner's stop flag; NULL: never cancelled */
    const char *(*setting)(void *owner, const char *name); /* pipeline settings lookup */
    void *setting_owner;
    stats *stats;               /* plugin counters go here; may be NULL */
    const struct mapping *mapping; /* selection rules for table_selected; NULL: all */
};

/* ---- the catalog: tables discovered by a source ---- */
struct sluice_catalog {
    sluice_table **tables; /* by id */
    uint32_t ntables;
    uint32_t capacity;
    /* every table version ever made (reshape keeps old versions valid until free) */
    sluice_table **all;
    uint32_t nall, all_capacity;
};
sluice_catalog *catalog_new(void);
void catalog_free(sluice_catalog *c);
/* A catalog for new versions of base's tables (one reader's, e.g. a full-load lane's):
   its tables are base's, borrowed, until table_reshape makes a version it owns. */
sluice_catalog *catalog_for_versions(const sluice_catalog *base);
/* A deep copy of a table (for a transform's output schema); freed with the catalog. */
sluice_table *catalog_copy_table(sluice_catalog *c, const sluice_table *t);
/* A table with t's id, names and estimates but ncolumns unset columns and no indexes
   (a mapping plan's output, filled with the host API's column_set and index_add). */
sluice_table *catalog_new_shape(sluice_catalog *c, const sluice_table *t, uint32_t ncolumns);

/* ---- batches ---- */
/* A batch is full at `capacity` events or once its values use about byte_budget bytes. */
sluice_batch *batch_new(sluice_batch_kind kind, uint32_t capacity, size_t byte_budget);
void batch_reset(sluice_batch *b);   /* empty it for reuse; keeps its memory */
void batch_free(sluice_batch *b);
size_t batch_bytes(const sluice_batch *b); /* arena bytes in use, for memory accounting */

/* ---- chunk lists (split_table output) ---- */
struct sluice_chunk_list {
    sluice_str *bounds;
    uint32_t count, capacity;
};
void chunk_list_free(sluice_chunk_list *l);

/* ---- bound lists (validate_bounds output, ABI 1.6) ---- */
struct sluice_bound_list {
    sluice_str *values;  /* count boundaries of nkeys values each, row-major; copies */
    uint32_t nkeys;      /* set by the first bound_add; every later one must match */
    uint32_t count, capacity;
};
void bound_list_free(sluice_bound_list *l);

/* ---- sequence lists (read_sequences output, seqlist.c) ---- */
struct sluice_sequence_list {
    sluice_sequence *items; /* count entries of sizeof(sluice_sequence) */
    uint32_t count, capacity;
    void *strings;          /* the arena holding their names */
};
void sequence_list_init(sluice_sequence_list *l);
void sequence_list_free(sluice_sequence_list *l);
/* host->sequence_add */
sluice_sequence *sequence_list_add(sluice_sequence_list *l, sluice_str schema, sluice_str name,
                                   int64_t last_value, int is_called);

#endif
