/*
 * source-pg: the PostgreSQL source. This header is shared by its files, one
 * job each (docs/source-pg.md has the user's view):
 *   plugin.c    options, descriptor, open/close, positions
 *   conn.c      connections, server names, libpq errors, quoting
 *   strbuf.c    quoted identifiers appended to plugins/common's sbuf
 *   prereq.c    prerequisite checks, before anything is created
 *   check.c     ABI 1.6 check: sluice check's findings (prereq.c's and more)
 *   catalog.c   discover: tables, columns, keys, replica identity
 *   indexes.c   discover: secondary indexes (ABI 1.2)
 *   sequences.c read_sequences: sequences and their values (ABI 1.2)
 *   types.c     PostgreSQL type -> canonical type
 *   slot.c      publication, slot, snapshot_begin/attach, cleanup
 *   copy.c      split_table and the full-load COPY reader
 *   copytext.c  COPY text fields -> bytes
 *   copybin.c   the binary COPY stream parser (no libpq: unit tests and fuzzing)
 *   copynative.c ABI 1.3 native_format, and binary COPY rows -> NATIVE values
 *   partitions.c ABI 1.4 list_partitions, and what a partition chunk reads
 *   filters.c   chunk filters -> the full-load query's WHERE
 *   relmap.c    RELATION messages -> tables (and reshapes)
 *   stream.c    START_REPLICATION, stream_read, ack, feedback, heartbeat
 *   usage.c     ABI 1.5 log_usage: the slot's retained WAL and spilled bytes
 *   validate.c  ABI 1.6 validate_bounds and validate_hash, for `sluice validate`
 */
#ifndef SOURCE_PG_H
#define SOURCE_PG_H

#include <libpq-fe.h>
#include <stdint.h>

#include <sluice/sluice.h>

#include "parse.h"
#include "sbuf.h"

#include "copybin.h"
#include "pgoutput.h"

/* The options, as the core fills them (strings are core-owned). */
typedef struct pg_config {
    const char *conninfo;
    const char *slot;
    const char *publication;
    const char *schemas;
    int64_t heartbeat_interval_ms;
    int64_t status_interval_ms;
    const char *copy_format;
} pg_config;

/* What a column was discovered as: the stream's RELATION messages are compared with it. */
typedef struct pg_column {
    uint32_t type_oid;
    int32_t typmod;
} pg_column;

/* A discovered table: the catalog's table plus what only the source needs. */
typedef struct pg_table {
    const sluice_table *table; /* the newest version (table_reshape makes new ones) */
    uint32_t oid;
    char relkind;   /* 'r' or 'p' */
    char replident; /* 'd', 'f', 'i' or 'n' */
    int has_pk;
    int int_key;    /* the single integer primary-key column, or -1 */
    pg_column *cols;
    uint32_t ncols;
} pg_table;

/* What the stream knows about a relation id from its last RELATION message. */
typedef struct pg_rel {
    uint32_t relid;
    int table;          /* index into pgsrc.tables; -1: not a selected table */
    uint32_t ncols;
    uint8_t *key;       /* per column: part of the replica identity */
    int schema_pending; /* the table was reshaped; its SCHEMA event is not sent yet */
    int warned;
} pg_rel;

/* The change stream's state (main instance only). */
typedef struct pg_stream {
    int started;
    pgo_decoder dec;
    pg_rel *rels;
    size_t nrels, caprels;
    char *pending;       /* a CopyData message not fully emitted yet (PQfreemem it) */
    pgo_msg msg;         /* ... decoded: views into `pending` */
    uint32_t progress;   /* TRUNCATE: relations of `msg` already emitted */
    int in_txn;
    uint32_t xid;
    int64_t begin_time_us;
    uint64_t acked;      /* the highest position the core acknowledged */
    uint64_t horizon;    /* the highest position handed out (start or a COMMIT) */
    int64_t last_status_us;
    int64_t last_heartbeat_us;
} pg_stream;

/* COPY of one chunk in progress (worker instances). */
typedef struct pg_copy {
    int active;
    uint64_t source_id;
    uint32_t index;
    int filtered;  /* the query applies the chunk's filters: batches are FILTERED */
    /* FORMAT binary (ABI 1.3 native values): the stream's parser, and bytes of it
       not turned into rows yet (a row cut between messages, or a full batch) */
    int binary;
    pgb_parser parser;
    pgb_field *fields;
    uint8_t *carry;
    size_t carry_len, carry_cap;
    int carry_short; /* carry ends in an incomplete row: parse it only with more */
    int ended;       /* the trailer was seen */
} pg_copy;

/* One instance. The main instance discovers, snapshots, splits and streams;
   a worker attaches to the snapshot and reads chunks. */
typedef struct pgsrc {
    const sluice_host *host;
    sluice_context *ctx;
    pg_config cfg;      /* strings below are our own copies */
    char *conninfo, *slot, *publication, *schemas;
    PGconn *conn;       /* normal connection */
    PGconn *repl;       /* replication connection (main instance) */
    int repl_temp_slot; /* repl holds a temporary snapshot slot: reopen it for streaming */
    char server[300];   /* "host:port" for messages */
    sluice_catalog *catalog;
    pg_table *tables;
    uint32_t ntables;
    pg_copy copy;
    pg_stream stream;
} pgsrc;

/* ---- strbuf.c (the buffer itself is plugins/common's sbuf) ---- */

/* Appends a quoted identifier. */
void pg_buf_ident(sbuf *b, const char *name, size_t len);

/* ---- filters.c ---- */

/* Appends the chunk's row filters as SQL: " WHERE (...) AND (...)" when first, else
   " AND (...)". 1 when it added them (the batch is then SLUICE_BATCH_FILTERED); 0 when
   there are none or one it does not know (the core then applies them all). */
int pg_filter_sql(sbuf *b, const sluice_chunk *chunk, int first);

/* ---- partitions.c: ABI 1.4 ---- */

/* list_partitions: a declaratively partitioned table's partitions, every level. */
sluice_status pg_list_partitions(void *instance, const sluice_table *table,
                                 sluice_partition_list *out, sluice_error *err);
/* What a chunk limited to partitions reads, as FROM items: ONLY "s"."p" for a leaf,
   "s"."p" for a sub-partitioned one; *items is n malloc'ed strings (free with
   pg_free_strings). Fails naming a partition the table no longer has. */
sluice_status pg_partition_from(pgsrc *s, const sluice_chunk *chunk, char ***items, uint32_t *n,
                                sluice_error *err);
void pg_free_strings(char **v, uint32_t n);

/* ---- conn.c ---- */

/* Opens a connection from the conninfo option; replication=database when asked. */
sluice_status pg_connect(pgsrc *s, int replication, PGconn **out, sluice_error *err);
void pg_set_server(pgsrc *s, PGconn *c);
/* SLUICE_RETRY when a failure on c looks transient (the connection is gone, the
   server is starting up, shutting down or restarting), else SLUICE_FATAL. The
   core then reconnects and resumes from the target's checkpoint. */
sluice_status pg_transient(PGconn *c, const PGresult *res);
/* A failed call: message from fmt, detail from the server or libpq. Returns status. */
sluice_status pg_fail(pgsrc *s, sluice_error *err, sluice_status status, PGconn *c,
                      const PGresult *res, const char *fmt, ...) SLUICE_PRINTF(6, 7);
/* Runs sql with text parameters; NULL after filling err when the result is not `expect`. */
PGresult *pg_exec(pgsrc *s, PGconn *c, const char *sql, int nparams, const char *const *params,
                  ExecStatusType expect, const char *what, sluice_error *err);
/* A quoted identifier ("my ""table"""), malloc'ed; NULL when out of memory. */
char *pg_quote_ident(const char *name, size_t len);
/* "schema"."name" of a table, malloc'ed. */
char *pg_qualified(const sluice_table *t);
/* A single-quoted literal for replication commands ('it''s'), malloc'ed. */
char *pg_quote_literal(const char *text);
int64_t pg_now_us(void);
sluice_status pg_oom(pgsrc *s, sluice_error *err);

/* ---- prereq.c ---- */

/* Checks for change capture. Each reports its finding (filled into err) through
   pg_report: with out NULL (opening the stream) a blocking finding returns
   SLUICE_FATAL with err as the error, the first one stops; with out the host's list
   (`sluice check`) every finding goes there and the checks go on. A failed query
   returns its error either way. */
sluice_status pg_report(pgsrc *s, sluice_findings *out, sluice_severity severity,
                        const char *table, sluice_error *err);
sluice_status pg_check_wal_level(pgsrc *s, sluice_findings *out, sluice_error *err);
sluice_status pg_check_replication_role(pgsrc *s, sluice_findings *out, sluice_error *err);
/* needed: slots a run would create (1 when ours does not exist yet) */
sluice_status pg_check_free_slot(pgsrc *s, int needed, sluice_findings *out, sluice_error *err);
sluice_status pg_check_identity(pgsrc *s, sluice_findings *out, sluice_error *err);
/* The publication exists: 1 and whether sluice created it; 0 when it does not exist. */
sluice_status pg_publication_state(pgsrc *s, int *exists, int *ours, sluice_error *err);
/* A publication sluice did not create must publish every selected table and operation. */
sluice_status pg_check_publication(pgsrc *s, sluice_findings *out, sluice_error *err);
/* All of the above that apply before a slot is made or used, and the three below:
   what `sluice check` calls blocking, `sluice run` checks before it creates anything. */
sluice_status pg_check_cdc(pgsrc *s, int new_slots, sluice_findings *out, sluice_error *err);

/* ---- check.c: ABI 1.6 check ---- */

/* A walsender free for the stream (not checked once our replication connection is open). */
sluice_status pg_check_walsender(pgsrc *s, sluice_findings *out, sluice_error *err);
/* The rights to create the publication (CREATE on the database, owning the tables),
   when it does not exist yet. */
sluice_status pg_check_publication_rights(pgsrc *s, sluice_findings *out, sluice_error *err);
/* SELECT on every selected table. */
sluice_status pg_check_select(pgsrc *s, sluice_findings *out, sluice_error *err);

/* `sluice check`: pg_check_cdc in the change-capture modes, plus what is worth knowing
   first (server, privileges, sizes, large values, transactions, slots). Only reads. */
sluice_status pg_check(void *instance, sluice_findings *out, sluice_error *err);

/* ---- catalog.c ---- */

/* The schemas of option schemas, trimmed: every catalog query takes the option as $1. */
#define SCHEMAS_CTE \
    "WITH s AS (SELECT btrim(x) AS nspname FROM unnest(string_to_array($1, ',')) x) "

sluice_status pg_discover(void *instance, sluice_catalog *catalog, sluice_error *err);
pg_table *pg_table_by_oid(pgsrc *s, uint32_t oid);
/* An array literal of the selected tables' OIDs ("{1,2,3}"), malloc'ed. */
char *pg_table_oids(pgsrc *s);
/* Fills a new version of a table for a RELATION's columns (relmap.c calls it). */
sluice_status pg_catalog_reshape(pgsrc *s, pg_table *pt, const pgo_relation *rel,
                                 sluice_error *err);

/* ---- indexes.c, sequences.c (ABI 1.2) ---- */

/* The selected tables' secondary indexes into the catalog (pg_discover calls it). */
sluice_status pg_discover_indexes(pgsrc *s, sluice_error *err);
/* read_sequences: every sequence of the selected schemas with its current value. */
sluice_status pg_read_sequences(void *instance, sluice_sequence_list *out, sluice_error *err);

/* ---- types.c ---- */

/* What types.c needs to know about a type, from pg_type. */
typedef struct pg_typeinfo {
    uint32_t oid;
    char typtype;       /* b, c, d, e, p, r, m */
    char typcategory;   /* 'A' for arrays */
    uint32_t typelem;   /* arrays: the element type */
    uint32_t basetype;  /* domains: the base type */
    int32_t typtypmod;  /* domains: the base type's typmod */
} pg_typeinfo;

typedef struct pg_canonical {
    sluice_type type;
    int32_t precision, scale;
    sluice_type element; /* arrays */
} pg_canonical;

/* Looks types up through `lookup` (a pg_type row by OID) and maps them. */
typedef int (*pg_type_lookup_fn)(void *ctx, uint32_t oid, pg_typeinfo *out);
void pg_map_type(uint32_t oid, int32_t typmod, pg_type_lookup_fn lookup, void *ctx,
                 pg_canonical *out);
int pg_type_is_int(sluice_type t);

/* ---- usage.c: ABI 1.5 ---- */

sluice_status pg_log_usage(void *instance, sluice_log_usage *out, sluice_error *err);

/* ---- validate.c: ABI 1.6 ---- */

sluice_status pg_validate_bounds(void *instance, const sluice_table *table, uint64_t rows,
                                 sluice_bound_list *out, sluice_error *err);
sluice_status pg_validate_hash(void *instance, const sluice_chunk *chunk, sluice_range_hash *out,
                               sluice_error *err);

/* ---- slot.c ---- */

sluice_status pg_snapshot_begin(void *instance, sluice_position *at, sluice_snapshot *snapshot,
                                sluice_error *err);
sluice_status pg_snapshot_attach(void *instance, const sluice_snapshot *snapshot,
                                 sluice_error *err);
sluice_status pg_cleanup(void *instance, sluice_error *err);
/* Creates the publication when missing (or adds tables to ours); *created says whether
   this call created it. */
sluice_status pg_ensure_publication(pgsrc *s, int *created, sluice_error *err);
sluice_status pg_drop_publication(pgsrc *s, sluice_error *err);
/* The slot as pg_replication_slots shows it. */
typedef struct pg_slot_info {
    int exists;
    int logical, pgoutput, this_db, active, temporary;
    int active_pid;
    uint64_t confirmed_flush;
    char database[128];
} pg_slot_info;
sluice_status pg_slot_info_get(pgsrc *s, pg_slot_info *out, sluice_error *err);
/* CREATE_REPLICATION_SLOT <slot> on s->repl, exporting a snapshot into snap when given. */
sluice_status pg_create_slot(pgsrc *s, sluice_snapshot *snap, uint64_t *lsn, sluice_error *err);
/* Validates an existing slot for use by this pipeline. */
sluice_status pg_slot_usable(pgsrc *s, const pg_slot_info *si, sluice_error *err);
/* The mode the core runs ("full-load", ...), or NULL when the core does not say. */
const char *pg_mode(pgsrc *s);

/* ---- copy.c / copytext.c ---- */

sluice_status pg_split_table(void *instance, const sluice_table *table, uint32_t want,
                             sluice_chunk_list *out, sluice_error *err);
/* The chunk's FROM items (ONLY "s"."t", or its partitions): *n malloc'ed strings, freed
   with pg_free_strings. */
sluice_status pg_chunk_from(pgsrc *s, const sluice_chunk *chunk, char ***from, uint32_t *n,
                            sluice_error *err);
sluice_status pg_read_chunk(void *instance, const sluice_chunk *chunk, sluice_batch *batch,
                            sluice_error *err);
void pg_copy_reset(pgsrc *s);
/* Frees what pg_copy holds (at close). */
void pg_copy_free(pgsrc *s);

/* ---- copynative.c: ABI 1.3 ---- */

/* SLUICE_NATIVE_PG_BINARY when every column's type has a binary form that means the
   same in another database, else SLUICE_NATIVE_NONE (and for copy_format = "text"). */
uint32_t pg_native_format(void *instance, const sluice_table *table);
/* Turns what PQgetCopyData gave of a binary COPY into rows of b; keeps what is left. */
sluice_status pg_copy_binary_data(pgsrc *s, const sluice_table *t, sluice_batch *b,
                                  const uint8_t *data, size_t n, sluice_error *err);
/* Rows still kept from earlier data (a batch filled up): into b first. */
sluice_status pg_copy_binary_carry(pgsrc *s, const sluice_table *t, sluice_batch *b,
                                   sluice_error *err);
/* Unescapes one COPY text field of n bytes into out (room for n); returns its length. */
size_t pg_copy_unescape(const char *in, size_t n, char *out);

/* ---- relmap.c ---- */

pg_rel *pg_rel_find(pg_stream *st, uint32_t relid);
/* A RELATION message: record it, and reshape the table when its columns changed. */
sluice_status pg_rel_update(pgsrc *s, const pgo_relation *rel, sluice_error *err);
void pg_rels_free(pg_stream *st);

/* ---- stream.c ---- */

sluice_status pg_stream_start(void *instance, const sluice_position *from, sluice_error *err);
sluice_status pg_stream_read(void *instance, sluice_batch *batch, sluice_error *err);
sluice_status pg_ack(void *instance, const sluice_position *committed, sluice_error *err);
void pg_stream_close(pgsrc *s);

/* ---- positions (plugin.c) ---- */

void pg_pos_set(sluice_position *p, uint64_t lsn);
int pg_pos_get(const sluice_position *p, uint64_t *lsn);

#endif
