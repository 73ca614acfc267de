/*
 * `sluice validate`: source against target, table by table, through the
 * pipeline's mapping. The files:
 *
 *   cli_validate.c       options, set-up, exit status
 *   validate_run.c       the chunks of every table on --jobs workers, rate limit
 *   validate_chunks.c    key-range chunks: the source's boundaries as filters, per side
 *   validate_canon.c     a value's comparable form (after the type rules, per type)
 *   validate_rows.c      a chunk's rows from either side, keyed and sorted
 *   validate_compare.c   two sorted row sets merged: the keys that differ
 *   validate_recheck.c   differing keys read again (CDC catching up), and --repair
 *   validate_report.c    the report, text or JSON
 */
#ifndef SLUICE_VALIDATE_H
#define SLUICE_VALIDATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "arena.h"
#include "host.h"
#include "runner.h"

typedef struct validate_options {
    const char *path;
    const char *table_pattern;   /* --table: schema.table with % wildcards, or NULL */
    int json;                    /* --format json */
    uint64_t chunk_rows;         /* --chunk-rows */
    uint32_t jobs;               /* --jobs */
    uint64_t max_rows_per_second; /* --max-rows-per-second; 0: no limit */
    uint32_t max_keys;           /* --max-keys: differing keys listed per table */
    uint32_t rechecks;           /* --rechecks: rounds of reading differing keys again */
    uint32_t recheck_wait_ms;    /* --recheck-wait: before the first round (doubles) */
    int repair;                  /* --repair */
    const char *state_dir;       /* --state-dir (repair takes the run's lock) */
} validate_options;

typedef enum diff_kind {
    DIFF_MISSING = 1, /* at the source, not at the target */
    DIFF_EXTRA = 2,   /* at the target, not at the source */
    DIFF_VALUES = 3   /* at both, some columns differ */
} diff_kind;

/* One key that differs; strings are the target's columns' comparable text. */
typedef struct vdiff {
    char **key;          /* nkeys values */
    diff_kind kind;
    uint32_t *columns;   /* DIFF_VALUES: the target columns that differ */
    uint32_t ncolumns;
} vdiff;

typedef enum vtable_state { VT_MATCH = 0, VT_MISMATCH = 1, VT_ERROR = 2 } vtable_state;

/* A selected table: what to compare and what was found. */
typedef struct vtable {
    const sluice_table *source;
    const sluice_table *target;     /* the main chain's output table */
    const table_plan *plan;         /* NULL without mapping rules */
    uint32_t nkeys;
    uint32_t *skeys, *tkeys;        /* key columns: source index and target index, pairwise */
    int in_database;                /* both sides can hash chunks where the rows are */
    sluice_bound_list bounds;       /* chunk i: keys from bound i-1 up to bound i */
    uint32_t nchunks;

    pthread_mutex_t lock;           /* guards what follows */
    vtable_state state;
    sluice_error error;             /* VT_ERROR: why */
    uint64_t source_rows, target_rows;
    uint32_t chunks_hashed;         /* chunks whose hashes matched in the databases */
    vdiff *diffs;
    uint32_t ndiffs, diffs_cap;
    int diffs_truncated;            /* more than validate_diff_limit: the rest dropped */
    uint32_t first_pass_keys;       /* keys that differed before the rechecks */
    uint32_t repaired;              /* keys --repair rewrote */
    int64_t started_us, elapsed_us;
} vtable;

/* Everything one worker thread owns: its instances and its chain. */
typedef struct vworker {
    struct validation *v;
    plugin_instance src, sink;
    transform_chain chain;
    int src_open, sink_open, chain_open;
    sluice_batch *batch;
    pthread_t thread;
} vworker;

typedef struct validation {
    runner *r;
    const validate_options *opt;
    vtable *tables;
    uint32_t ntables;
    sluice_position checkpoint;     /* the target's, read before any chunk */
    char checkpoint_text[128];
    /* the chunks of every table, taken by the workers in order */
    struct vtask { uint32_t table, chunk; } *tasks;
    uint32_t ntasks;
    atomic_uint next_task;
    /* --max-rows-per-second: the time the next chunk may start */
    pthread_mutex_t rate_lock;
    int64_t rate_next_us;
    int64_t started_us;
} validation;

/* Differing keys kept per table: the report lists --max-keys, rechecks read them all. */
#define VALIDATE_DIFF_LIMIT 100000u

/* ---- validate_chunks.c ---- */
/* The table's key pairs and whether its chunks may be hashed in the databases;
   0, or -1 with err (a table without a key, a key the mapping does not carry). */
int vtable_prepare(validation *v, vtable *t, sluice_error *err);
/* Chunk `index` of t for one side: the filters (key range; the source's also the
   plan's), built into a. For the target, `table` is the worker's output table. */
int vchunk_build(const vtable *t, uint32_t index, int target_side, const sluice_table *table,
                 arena *a, sluice_chunk *chunk);
/* A chunk of the given keys only (nkeys values each, comparable text): the same
   filters with key IN (...) (one key a chunk for a key of several columns). */
int vchunk_keys(const vtable *t, char *const *const *keys, uint32_t n, int target_side,
                const sluice_table *table, arena *a, sluice_chunk *chunk);

/* ---- validate_canon.c ---- */
/* The comparable text of value v of column c into a (NULL for SQL NULL): the canonical
   text with the spellings that mean the same value made one (see docs/validate.md). */
const char *vcanon(arena *a, const sluice_column *c, const sluice_value *v, uint32_t *len);

/* ---- validate_rows.c ---- */
typedef struct vrow {
    const char **values; /* per target column; NULL: SQL NULL */
    uint32_t *lens;
} vrow;
typedef struct vrows {
    arena mem;
    vrow *rows;
    uint32_t n, cap;
} vrows;
void vrows_init(vrows *s);
void vrows_free(vrows *s);
/* Reads the chunk at the source through w's chain (source chunk) or at the target
   (target chunk), appends the rows and sorts them by key. 0, or an exit code with err. */
/* Reads the source's rows of chunk batch by batch, filtered and mapped through the
   worker's chain, and hands each batch (b->table: the target table) to `each`;
   stops at its first non-zero return. 0, or an exit code with err filled. */
int vsource_batches(vworker *w, const vtable *t, const sluice_chunk *chunk,
                    int (*each)(sluice_batch *b, void *ctx, sluice_error *err), void *ctx,
                    sluice_error *err);
int vrows_read_source(vworker *w, const vtable *t, const sluice_chunk *chunk, vrows *out,
                      sluice_error *err);
int vrows_read_target(vworker *w, const vtable *t, const sluice_chunk *chunk, vrows *out,
                      sluice_error *err);
/* Orders two rows by key (as the sort does). */
int vrow_key_cmp(const vtable *t, const vrow *a, const vrow *b);

/* ---- validate_compare.c ---- */
/* Merges two key-sorted row sets; adds each differing key to t (under its lock). */
void vcompare(vtable *t, const sluice_table *target, const vrows *src, const vrows *tgt);
void vdiffs_free(vtable *t);

/* ---- validate_run.c ---- */
/* Compares every chunk of every table on opt->jobs workers. 0, or an exit code. */
int validate_chunks(validation *v, sluice_error *err);
/* Opens a worker's instances and chain (0, or an exit code with err); closes them. */
int vworker_open(vworker *w, validation *v, sluice_error *err);
void vworker_close(vworker *w);
/* Reads a chunk at the target, then at the source, and compares the rows into t
   (adding their counts to t's when count is set). 0, or an exit code with err. */
int vcompare_rows(vworker *w, vtable *t, const sluice_table *out, const sluice_chunk *sc,
                  const sluice_chunk *tc, int count, sluice_error *err);
/* --max-rows-per-second: waits until `rows` more rows may be read. */
void validate_rate_take(validation *v, uint64_t rows);

/* ---- validate_recheck.c ---- */
/* Reads the differing keys again, up to opt->rechecks rounds, keeping only those that
   still differ; with opt->repair then rewrites them at the target and checks again. */
int validate_recheck(validation *v, vworker *w, sluice_error *err);

/* ---- validate_report.c ---- */
int validate_print(FILE *out, const validation *v);

#endif
