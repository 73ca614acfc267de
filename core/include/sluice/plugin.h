/*
 * sluice plugin ABI: the host API table, option declarations, the source, sink
 * and transform vtables, the plugin descriptor and the two entry points.
 *
 * A plugin exports exactly two functions (see SLUICE_PLUGIN_DEFINE below):
 *   const sluice_abi_block *sluice_plugin_abi(void);
 *       returns a constant block: magic, ABI major/minor, size. The loader calls
 *       it first and compares the major alone before touching anything else.
 *   const sluice_plugin *sluice_plugin_init(const sluice_host *host);
 *       receives the host API table and returns the plugin's descriptor (kind,
 *       name, version, options, vtable). Keep the host pointer for later calls.
 *
 * Threads: one plugin instance (what open() returns) is used by one thread at a
 * time. The core may open several instances of the same plugin at once (parallel
 * full load) and from different threads, so plugins keep no global mutable state.
 * The host API may be called from any thread.
 *
 * Members are grouped by the ABI minor that added them. A member added after
 * 1.0 may be absent (the struct's size says so) or NULL: test with SLUICE_HAS.
 */
#ifndef SLUICE_PLUGIN_H
#define SLUICE_PLUGIN_H

#include "abi.h"
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sluice_context sluice_context; /* one per plugin instance, opaque */
typedef struct sluice_catalog sluice_catalog; /* the core's table registry, opaque */
typedef struct sluice_chunk_list sluice_chunk_list; /* split_table's output, opaque */
typedef struct sluice_partition_list sluice_partition_list; /* list_partitions' output (1.4) */

/* host->partition_add flags (since 1.4) */
#define SLUICE_PARTITION_LEAF 0x1u /* holds rows itself (no sub-partitions) */
typedef struct sluice_sequence_list sluice_sequence_list; /* read_sequences' output, opaque (1.2) */
typedef struct sluice_findings sluice_findings; /* check()'s output, opaque (1.6) */

/* How much a finding of check() matters (since 1.6). */
typedef enum sluice_severity {
    SLUICE_SEVERITY_INFO = 1,     /* worth knowing: versions, sizes, what exists */
    SLUICE_SEVERITY_WARNING = 2,  /* the run works, but look first: data replaced at the
                                     target, log retained, a slow start */
    SLUICE_SEVERITY_BLOCKING = 3  /* the run would fail, or lose changes */
} sluice_severity;
typedef struct sluice_bound_list sluice_bound_list; /* validate_bounds' output, opaque (1.7) */

/* A source's log_usage() figures (since 1.5); -1 where the source cannot tell. */
typedef struct sluice_log_usage {
    sluice_header header;
    int64_t retained_bytes; /* log the server keeps for this pipeline (PostgreSQL: WAL
                               from the slot's restart_lsn to the current WAL position) */
    int64_t spilled_bytes;  /* bytes the server spilled to disk while decoding large
                               transactions for us, a running total (PostgreSQL 14+:
                               pg_stat_replication_slots.spill_bytes) */
} sluice_log_usage;

/*
 * `sluice validate` (since 1.7): the row count and a hash of the rows of a chunk
 * (its filters applied), computed where the rows are, so they need not travel.
 * Two sides' hashes compare only when both are in the same method; a plugin that
 * cannot hash a chunk sets method SLUICE_HASH_NONE and the core compares rows.
 */
#define SLUICE_HASH_NONE 0u
#define SLUICE_HASH_PG_ROW_TEXT 1u /* PostgreSQL: count(*) and the sum, as numeric text, of
                                      hashtextextended(ROW(every column, in table order)::text,
                                      0) under source-pg's output settings (DateStyle ISO, YMD;
                                      IntervalStyle postgres; TimeZone UTC;
                                      extra_float_digits 1; bytea_output hex) */
typedef struct sluice_range_hash {
    sluice_header header;
    uint32_t method;  /* SLUICE_HASH_*: what digest holds; NONE: could not hash */
    uint32_t reserved;
    uint64_t rows;    /* rows of the chunk */
    char digest[96];  /* NUL-terminated */
} sluice_range_hash;

typedef enum sluice_kind {
    SLUICE_KIND_SOURCE = 1,
    SLUICE_KIND_SINK = 2,
    SLUICE_KIND_TRANSFORM = 3
} sluice_kind;

typedef enum sluice_log_level {
    SLUICE_LOG_DEBUG = 0,
    SLUICE_LOG_INFO = 1,
    SLUICE_LOG_WARNING = 2,
    SLUICE_LOG_ERROR = 3
} sluice_log_level;

/* ---- options: a plugin declares them; the core validates and fills them ---- */

typedef enum sluice_option_type {
    SLUICE_OPTION_STRING = 1, /* const char * (NUL-terminated, core-owned), NULL when unset */
    SLUICE_OPTION_INT = 2,    /* int64_t */
    SLUICE_OPTION_BOOL = 3,   /* int: 0 or 1 */
    SLUICE_OPTION_DOUBLE = 4  /* double */
} sluice_option_type;

#define SLUICE_OPTION_REQUIRED 0x1u /* the pipeline must set it */
#define SLUICE_OPTION_SECRET 0x2u   /* never printed; give it with env "NAME" or file "/path" */

typedef struct sluice_option {
    const char *name;          /* the key in the pipeline's source/target table */
    uint32_t type;             /* sluice_option_type */
    uint32_t flags;            /* SLUICE_OPTION_* */
    const char *default_value; /* as the user would write it ("5432", "true"), or NULL */
    const char *choices;       /* STRING only: allowed values "a|b|c", or NULL for any */
    const char *description;   /* one line for `sluice plugins --describe` */
    size_t offset;             /* where the value goes in the plugin's config struct */
} sluice_option;

typedef struct sluice_options {
    sluice_header header;
    uint32_t option_size; /* sizeof(sluice_option) as the plugin built the array */
    uint32_t count;
    const sluice_option *options;
    size_t config_size;   /* sizeof the plugin's config struct; the core zeroes and fills it */
} sluice_options;

/* ---- the host API: everything a plugin may ask of the core ---- */

typedef struct sluice_host {
    sluice_header header;
    /* since 1.0 */
    void (*log)(sluice_context *ctx, sluice_log_level level, const char *fmt, ...)
        SLUICE_PRINTF(3, 4);
    /* Sets err's status and message and returns the status: `return host->error(...)`. */
    sluice_status (*error)(sluice_error *err, sluice_status status, const char *fmt, ...)
        SLUICE_PRINTF(3, 4);
    void (*error_detail)(sluice_error *err, const char *fmt, ...) SLUICE_PRINTF(2, 3);
    void (*error_hint)(sluice_error *err, const char *fmt, ...) SLUICE_PRINTF(2, 3);
    /* Non-zero once the pipeline is stopping; long calls should return soon after. */
    int (*cancelled)(sluice_context *ctx);
    /* Adds n to a named counter of this plugin, shown in the status file. */
    void (*count)(sluice_context *ctx, const char *counter, uint64_t n);
    /* A pipeline setting (settings table) as text, or NULL: e.g. "MaxFullLoadSubTasks".
       Names that give facts of the pipeline: "mode" ("full-load", "full-load-and-cdc",
       "cdc-only"), "pipeline" (its name) and, since 1.6, "command": "check" while
       `sluice check` runs (open() then must not refuse what check() reports), else NULL. */
    const char *(*setting)(sluice_context *ctx, const char *name);

    /* Catalog: discover() adds tables; strings are copied. NULL on bad arguments. */
    sluice_table *(*table_add)(sluice_catalog *catalog, sluice_str schema, sluice_str name,
                               uint32_t ncolumns);
    int (*column_set)(sluice_table *table, uint32_t index, sluice_str name,
                      sluice_str source_type, sluice_type type, uint32_t flags);
    /* A new version of a table's shape (for SLUICE_OP_SCHEMA); same id, new columns.
       Its SCHEMA event is the first event of a batch: the core maps a batch's events
       of one table through one version. */
    sluice_table *(*table_reshape)(sluice_catalog *catalog, const sluice_table *table,
                                   uint32_t ncolumns);
    /* Transforms: rename a table of the output schema. */
    int (*table_rename)(sluice_table *table, sluice_str schema, sluice_str name);

    /* Batches: append an event with its row arrays (all values NULL), or NULL when full. */
    sluice_event *(*emit)(sluice_batch *batch, sluice_op op, const sluice_table *table,
                          int with_old_row);
    /* Memory that lives as long as the batch. */
    void *(*alloc)(sluice_batch *batch, size_t size);
    /* Copies bytes into the batch and makes v a TEXT value of them. */
    int (*set_text)(sluice_batch *batch, sluice_value *v, const char *bytes, size_t len);
    int (*batch_full)(const sluice_batch *batch);

    /* Full-load planning: add one chunk; bounds are copied. */
    int (*chunk_add)(sluice_chunk_list *list, sluice_str bounds);

    /* since 1.2 */
    /* discover(): adds a secondary index to a table it added (see sluice_index); every
       string is copied. columns: ncolumns key column names, an empty one for an
       expression key. 0, or -1 on bad arguments. */
    int (*index_add)(sluice_table *table, sluice_str name, sluice_str method, uint32_t flags,
                     const sluice_str *columns, uint32_t ncolumns, sluice_str source_definition);
    /* read_sequences(): adds a sequence with its current value; strings are copied. Returns
       the entry, to fill in its definition (valid until the next sequence_add), or NULL. */
    sluice_sequence *(*sequence_add)(sluice_sequence_list *list, sluice_str schema,
                                     sluice_str name, int64_t last_value, int is_called);

    /* since 1.3 */
    /* discover(): 1 when the pipeline's selection rules select this table, else 0. A
       source skips the others early (no catalog queries, not in its publication); the
       core drops unselected tables from the catalog in any case. */
    int (*table_selected)(sluice_context *ctx, sluice_str schema, sluice_str name);

    /* since 1.4 */
    /* list_partitions(): adds one partition of the table; strings are copied. name: how
       chunks name it (sluice_chunk.partitions) and users in DMS partitions-list; parent:
       the partition it is a sub-partition of, empty for the table's own partitions;
       flags: SLUICE_PARTITION_*. 0, or -1 when out of memory. */
    int (*partition_add)(sluice_partition_list *list, sluice_str name, sluice_str parent,
                         uint32_t flags);

    /* since 1.6 */
    /* check(): reports one finding in the words of an error record: its message, detail
       and hint, filled with host->error / error_detail / error_hint (its status is not
       read). table: the "schema.name" it is about, or NULL. 0, or -1 when out of memory. */
    int (*finding_add)(sluice_findings *out, sluice_severity severity, const char *table,
                       const sluice_error *finding);

    /* since 1.7 */
    /* validate_bounds(): adds one chunk boundary, the values (canonical text) of the
       table's key columns, in table order, of the first row of a chunk; copied.
       0, or -1 when out of memory. */
    int (*bound_add)(sluice_bound_list *list, const sluice_str *values, uint32_t n);
} sluice_host;

/* ---- the vtables ---- */

/*
 * A source. Lifecycle: open → discover → (snapshot_begin | snapshot_attach) →
 * read_chunk… → stream_start → stream_read… / ack… → close.
 */
typedef struct sluice_source_vtable {
    sluice_header header;
    /* since 1.0, required */
    sluice_status (*open)(const sluice_host *host, sluice_context *ctx, const void *config,
                          void **instance, sluice_error *err);
    void (*close)(void *instance);
    /* Add every table the source offers to the catalog (the core selects among them). */
    sluice_status (*discover)(void *instance, sluice_catalog *catalog, sluice_error *err);
    /* Read the next rows of a chunk into an empty SNAPSHOT batch; set SLUICE_BATCH_LAST at its end. */
    sluice_status (*read_chunk)(void *instance, const sluice_chunk *chunk, sluice_batch *batch,
                                sluice_error *err);
    /* <0, 0, >0 like memcmp. Must not need an instance. */
    int (*position_compare)(const sluice_position *a, const sluice_position *b);
    /* Printable form into buf (NUL-terminated); returns its length. */
    size_t (*position_format)(const sluice_position *p, char *buf, size_t size);

    /* since 1.0, optional */
    /* Fix a consistent snapshot and say where in the log it stands. */
    sluice_status (*snapshot_begin)(void *instance, sluice_position *at, sluice_snapshot *snapshot,
                                    sluice_error *err);
    /* Make this (worker) instance read under another instance's snapshot. */
    sluice_status (*snapshot_attach)(void *instance, const sluice_snapshot *snapshot,
                                     sluice_error *err);
    /* Split a large table into up to `want` chunks with chunk_add (none added: one chunk). */
    sluice_status (*split_table)(void *instance, const sluice_table *table, uint32_t want,
                                 sluice_chunk_list *out, sluice_error *err);
    /* Stream changes committed after `from` (len 0: from where the source stands now). */
    sluice_status (*stream_start)(void *instance, const sluice_position *from, sluice_error *err);
    /* Fill an empty CHANGES batch; SLUICE_AGAIN when there is nothing yet. */
    sluice_status (*stream_read)(void *instance, sluice_batch *batch, sluice_error *err);
    /* Everything up to `committed` is durable at the target; the log may be released. */
    sluice_status (*ack)(void *instance, const sluice_position *committed, sluice_error *err);
    /* Parse the printable form (for --until). */
    sluice_status (*position_parse)(const char *text, sluice_position *out, sluice_error *err);

    /* since 1.1, optional */
    /* Drop what the source created on the server (slot, publication): `sluice cleanup`. */
    sluice_status (*cleanup)(void *instance, sluice_error *err);

    /* since 1.2, optional */
    /* Add every sequence the source offers, with its current value, through
       host->sequence_add: at the end of a full load and for `sluice sync-sequences`. */
    sluice_status (*read_sequences)(void *instance, sluice_sequence_list *out, sluice_error *err);

    /* since 1.3, optional */
    /* The native value format (SLUICE_NATIVE_*) read_chunk can produce for this table, or
       SLUICE_NATIVE_NONE. The core asks the sink too and sets chunk->native_format when
       both agree and the plan leaves the table's values as they are. */
    uint32_t (*native_format)(void *instance, const sluice_table *table);

    /* since 1.4, optional */
    /* Every partition of a partitioned table, at every level, parents before their
       sub-partitions, with host->partition_add; none added: not partitioned. read_chunk
       must then honour sluice_chunk_partitions() (PostgreSQL: FROM ONLY the partition;
       MySQL: FROM t PARTITION (p)). */
    sluice_status (*list_partitions)(void *instance, const sluice_table *table,
                                     sluice_partition_list *out, sluice_error *err);

    /* since 1.5, optional */
    /* What the source's server keeps on our behalf, for metrics; called on the streaming
       instance between stream_read calls, a few times a minute. A figure the source
       cannot tell stays -1 (the core sets both before the call). */
    sluice_status (*log_usage)(void *instance, sluice_log_usage *out, sluice_error *err);

    /* since 1.6, optional */
    /* `sluice check`: after discover, report with host->finding_add everything the
       pipeline's mode needs of the source and does not find (settings, privileges,
       tables change capture cannot follow), and what is worth knowing first (sizes, log
       kept, long transactions). It only reads: nothing is created or changed. A failure
       to look (a lost connection) returns an error as usual. */
    sluice_status (*check)(void *instance, sluice_findings *out, sluice_error *err);

    /* since 1.7, optional: `sluice validate` */
    /* Cuts the table into chunks of about `rows` rows in key order: adds, with
       host->bound_add, the key of every `rows`-th row (ascending; the first row's is left
       out), so chunk i holds the keys from boundary i (inclusive) to boundary i+1. Keys
       are the columns flagged SLUICE_COLUMN_KEY, in table order; none added: one chunk. */
    sluice_status (*validate_bounds)(void *instance, const sluice_table *table, uint64_t rows,
                                     sluice_bound_list *out, sluice_error *err);
    /* The row count and hash of the chunk's rows (every filter applied), computed at the
       source; out->method SLUICE_HASH_NONE when it cannot (the core then reads rows). */
    sluice_status (*validate_hash)(void *instance, const sluice_chunk *chunk,
                                   sluice_range_hash *out, sluice_error *err);
} sluice_source_vtable;

/* Table preparation before a full load (AWS DMS TargetTablePrepMode). */
typedef enum sluice_prep_mode {
    SLUICE_PREP_DO_NOTHING = 0,
    SLUICE_PREP_TRUNCATE = 1,
    SLUICE_PREP_DROP_AND_CREATE = 2
} sluice_prep_mode;

/*
 * A sink. Exactly-once: flush() commits applied whole transactions together
 * with their position, durably, and reports that position; get_checkpoint()
 * returns it at the next start.
 */
typedef struct sluice_sink_vtable {
    sluice_header header;
    /* since 1.0, required */
    sluice_status (*open)(const sluice_host *host, sluice_context *ctx, const void *config,
                          void **instance, sluice_error *err);
    void (*close)(void *instance); /* discards what was not flushed */
    /* The position of the last flushed transaction; len 0 when none. */
    sluice_status (*get_checkpoint)(void *instance, sluice_position *committed, sluice_error *err);
    sluice_status (*prepare_table)(void *instance, const sluice_table *table, sluice_prep_mode mode,
                                   sluice_error *err);
    /* Bulk-write a SNAPSHOT batch. Since 1.8 it may begin with a SCHEMA event: a source
       met a column the table lacked (sluice_chunk_catalog); the rows after it have the new
       version's shape. Add what the target lacks and drop nothing: other lanes load the
       same table, each with the versions it met. */
    sluice_status (*write_rows)(void *instance, const sluice_batch *batch, sluice_error *err);
    /* Make every row written for this table durable; the core then marks it loaded. */
    sluice_status (*finish_table)(void *instance, const sluice_table *table, sluice_error *err);
    /* Apply a CHANGES batch in order; a transaction may span batches. */
    sluice_status (*apply)(void *instance, const sluice_batch *batch, sluice_error *err);
    /* Commit every complete applied transaction with its position, durably; report it in
       *committed (len 0: nothing new). */
    sluice_status (*flush)(void *instance, sluice_position *committed, sluice_error *err);

    /* since 1.1, optional */
    /* Remove what the sink keeps for itself at the target (checkpoint table): `sluice cleanup`. */
    sluice_status (*cleanup)(void *instance, sluice_error *err);

    /* since 1.2, optional */
    /* The whole table is loaded: every chunk's finish_table returned. Called once per table,
       before the core marks it loaded, on the instance that finished its last chunk (not
       necessarily the one that prepared it): build what is best built after the load, such
       as secondary indexes. A failure fails the table. */
    sluice_status (*table_loaded)(void *instance, const sluice_table *table, sluice_error *err);
    /* Set the target's sequences to these values (read_sequences' output): n entries of
       sequence_size bytes each; walk them with sluice_sequence_at(). */
    sluice_status (*set_sequences)(void *instance, const sluice_sequence *seqs, uint32_t n,
                                   uint32_t sequence_size, sluice_error *err);

    /* since 1.3, optional */
    /* After prepare_table: `offered` (a SLUICE_NATIVE_* format the source can produce) if
       write_rows can take this table's values in that form, else SLUICE_NATIVE_NONE. */
    uint32_t (*native_format)(void *instance, const sluice_table *table, uint32_t offered);

    /* since 1.6, optional */
    /* `sluice check`: report with host->finding_add what the target lacks (privileges) and
       what prepare_table would do to tables that exist (mode: the pipeline's
       TargetTablePrepMode) and whether a checkpoint would be resumed. tables: the n tables
       prepare_table would get, as the mapping and transforms make them. It only reads:
       nothing is created or changed. */
    sluice_status (*check)(void *instance, const sluice_table *const *tables, uint32_t n,
                           sluice_prep_mode mode, sluice_findings *out, sluice_error *err);

    /* since 1.7, optional: `sluice validate` */
    /* Like a source's read_chunk, at the target: fill the empty SNAPSHOT batch with INSERT
       events for the rows of target table chunk->table that pass the chunk's filters (on
       its columns; the key ranges of validate), values in canonical text; set
       SLUICE_BATCH_LAST at the end. Called again until it has. Every filter must be
       applied: a sink that cannot applies none and returns SLUICE_ERROR. */
    sluice_status (*validate_read)(void *instance, const sluice_chunk *chunk,
                                   sluice_batch *batch, sluice_error *err);
    /* The row count and hash of the chunk's rows at the target, as the source's
       validate_hash; out->method SLUICE_HASH_NONE when it cannot. */
    sluice_status (*validate_hash)(void *instance, const sluice_chunk *chunk,
                                   sluice_range_hash *out, sluice_error *err);
    /* `sluice validate --repair`: in one target transaction, for each event of the batch
       (table batch->table): DELETE removes the row with old_row's key; INSERT replaces
       the row with new_row's key by new_row (removing it first when there). The
       checkpoint is left as it is. */
    sluice_status (*validate_repair)(void *instance, const sluice_batch *batch,
                                     sluice_error *err);
} sluice_sink_vtable;

/* A transform: rewrites schemas once per table and batches in place. */
typedef struct sluice_transform_vtable {
    sluice_header header;
    /* since 1.0, required */
    sluice_status (*open)(const sluice_host *host, sluice_context *ctx, const void *config,
                          void **instance, sluice_error *err);
    void (*close)(void *instance);
    /* Rename or retype the table's output schema in place (host table_rename, column_set). */
    sluice_status (*map_schema)(void *instance, sluice_table *table, sluice_error *err);
    /* Rewrite values in place; set an event's op to SLUICE_OP_SKIP to drop it. */
    sluice_status (*map_batch)(void *instance, sluice_batch *batch, sluice_error *err);
} sluice_transform_vtable;

/* ---- the descriptor and the entry points ---- */

#define SLUICE_ABI_MAGIC "sluice-plugin"

typedef struct sluice_abi_block {
    sluice_header header; /* major/minor the plugin was built with; sizeof(sluice_abi_block) */
    char magic[16];       /* SLUICE_ABI_MAGIC */
} sluice_abi_block;

typedef struct sluice_plugin {
    sluice_header header;
    uint32_t kind;            /* sluice_kind */
    const char *name;         /* "source-pg": what pipelines name it by */
    const char *version;      /* the plugin's own version, "1.4.2" */
    const char *description;  /* one line */
    const sluice_options *options;
    const void *vtable;       /* sluice_source_vtable / _sink_ / _transform_ by kind */
} sluice_plugin;

typedef const sluice_abi_block *(*sluice_plugin_abi_fn)(void);
typedef const sluice_plugin *(*sluice_plugin_init_fn)(const sluice_host *host);

#define SLUICE_PLUGIN_ABI_SYMBOL "sluice_plugin_abi"
#define SLUICE_PLUGIN_INIT_SYMBOL "sluice_plugin_init"

/* Defines sluice_plugin_abi() for the ABI these headers describe. */
#define SLUICE_PLUGIN_ABI_DEFINE()                                             \
    SLUICE_EXPORT const sluice_abi_block *sluice_plugin_abi(void);             \
    SLUICE_EXPORT const sluice_abi_block *sluice_plugin_abi(void)              \
    {                                                                          \
        static const sluice_abi_block block = {                                \
            SLUICE_HEADER_INIT(sluice_abi_block), SLUICE_ABI_MAGIC};           \
        return &block;                                                         \
    }

SLUICE_EXPORT const sluice_abi_block *sluice_plugin_abi(void);
SLUICE_EXPORT const sluice_plugin *sluice_plugin_init(const sluice_host *host);

#ifdef __cplusplus
}
#endif
#endif
