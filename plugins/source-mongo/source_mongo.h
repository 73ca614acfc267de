/*
 * source-mongo: the MongoDB source (docs/source-mongo.md has the user's view).
 * Files, one job each:
 *   plugin.c    options, descriptor, open/close
 *   conn.c      the client from the URI, the server's name without credentials,
 *               libmongoc errors as sluice errors, commands
 *   prereq.c    what change streams need (a replica set or sharded cluster),
 *               for open() and for check
 *   check.c     `sluice check` (ABI 1.6): version, change stream access, oplog
 *               window, collection sizes
 *   catalog.c   discover: databases as schemas, collections as tables; a
 *               collection created while streaming
 *   shape.c     a collection's columns from sampled fields; new fields as a
 *               new table version (table mode)
 *   rows.c      a document as a row of its table (document or table mode)
 *   read.c      snapshot_begin, split_table and read_chunk (the full load)
 *   filters.c   a chunk's filters on _id as a MongoDB filter
 *   validate.c  `sluice validate` (ABI 1.7): _id chunk boundaries
 *   position.c  positions: cluster time, upsert horizon, resume token
 *   stream.c    change streams as transactions of change events
 * BSON to canonical text is the mgconv library (convert/).
 */
#ifndef SOURCE_MONGO_H
#define SOURCE_MONGO_H

#include <mongoc/mongoc.h>
#include <stdint.h>

#include <sluice/sluice.h>

#include "mgconv.h"

/* The options, as the core fills them (strings are core-owned). */
typedef struct mg_config {
    const char *uri;
    const char *nesting_level; /* "none" (document mode) or "one" (table mode) */
    int64_t docs_to_investigate;
    int update_description;
    int64_t max_await_ms;
} mg_config;

/* The column that holds an update's description (option update_description):
   its source type marks it, so instances without the collection list (full
   load lanes) know it too. */
#define MG_UPDATE_COLUMN "_update_description"
#define MG_UPDATE_TYPE "updateDescription"

/* A discovered collection (or one created while streaming). */
typedef struct mg_coll {
    char *db, *name;
    const sluice_table *table; /* its current version */
    int schema_pending;        /* a SCHEMA event goes out before its next change */
} mg_coll;

/* A collection renamed in the stream: changes under the new name go to the old table. */
typedef struct mg_alias {
    char *db, *name;
    uint32_t coll;
} mg_alias;

/* Which source transaction events belong to: a multi-document transaction's
   (its session and number), or a lone event's (its cluster time). */
typedef struct mg_txn {
    int multi;
    int64_t number;
    uint8_t lsid[16];
    uint32_t lsid_len;
    uint32_t t, i;
} mg_txn;

typedef struct mg_stream {
    mongoc_change_stream_t *cs;
    int started;
    uint32_t horizon_t, horizon_i; /* events up to here may already be loaded */
    uint32_t last_t, last_i;      /* the cluster time of the last position sent */
    sluice_position sent;          /* the last COMMIT position handed out */
    int64_t last_commit_us;        /* wall clock of the last COMMIT handed out */
    bson_t *pending;               /* an event read but not yet emitted (batch full) */
    int open;                      /* a BEGIN went out without its COMMIT */
    mg_txn open_txn;               /* whose: a multi-document transaction, or one event */
    sluice_position open_end;      /* the open transaction's last event taken: its COMMIT's */
    int64_t open_time_us;
    mg_alias *aliases;
    uint32_t naliases;
    char **unknown;                /* namespaces skipped (warned once) */
    uint32_t nunknown;
} mg_stream;

typedef struct mgsrc {
    const sluice_host *host;
    sluice_context *ctx;
    mg_config cfg;
    char *uri_text;
    mongoc_client_t *client;
    char server[256];       /* host list for messages: never the credentials */
    int replicated;         /* a replica set member or mongos: change streams work */
    int mongos;             /* a mongos: no oplog of its own to look at */
    char topology[192];     /* what hello said, for messages: "a standalone server", ... */
    int table_mode;         /* nestingLevel "one": a column per top-level field */
    sluice_catalog *catalog; /* discover's: new tables and table versions while streaming */
    mg_coll *colls;
    uint32_t ncolls;
    /* the full-load read in progress */
    mongoc_cursor_t *cursor;
    uint64_t read_id;
    uint32_t read_index;
    int read_filtered;      /* the server applies every filter of the chunk read */
    const sluice_table *read_table; /* the version of the chunk's table read now */
    bson_t *held;           /* a document with new fields: the next batch opens with it */
    sbuf buf;             /* scratch for values */
    mg_stream stream;
} mgsrc;

/* ---- conn.c ---- */

/* The client from the URI (validated first); fills s->server. */
sluice_status mg_connect(mgsrc *s, sluice_error *err);
/* A failed libmongoc call: the message from fmt, the detail from e, the status
   and hint from what the error means (unreachable, unauthorized, ...). */
sluice_status mg_fail(mgsrc *s, sluice_error *err, const bson_error_t *e, const char *fmt, ...)
    SLUICE_PRINTF(4, 5);
sluice_status mg_oom(mgsrc *s, sluice_error *err);
/* Runs a command on database db; reply is initialised either way (destroy it). */
sluice_status mg_command(mgsrc *s, const char *db, const bson_t *cmd, bson_t *reply,
                         const char *what, sluice_error *err);
/* The operationTime of a command reply on admin (a replica set's current cluster time). */
sluice_status mg_operation_time(mgsrc *s, uint32_t *t, uint32_t *i, sluice_error *err);
/* The mode the core runs ("full-load", ...), or NULL when the core does not say. */
const char *mg_mode(mgsrc *s);

/* ---- prereq.c ---- */

/* Reads hello: s->replicated, s->mongos, s->topology. */
sluice_status mg_hello(mgsrc *s, sluice_error *err);
/* The prerequisites of change capture (a replica set or sharded cluster), each
   a finding for `out`, or (out NULL) the blocking one as the error. */
sluice_status mg_check_cdc(mgsrc *s, sluice_findings *out, sluice_error *err);
/* Hands the finding in err to out (NULL: a blocking one becomes the error,
   status FATAL; others return OK). */
sluice_status mg_report(mgsrc *s, sluice_findings *out, sluice_severity severity,
                        const char *table, sluice_error *err);

/* ---- check.c ---- */

/* ABI 1.6 check: what `sluice check` reports (docs/check.md). */
sluice_status mg_check(void *instance, sluice_findings *out, sluice_error *err);

/* ---- validate.c ---- */

/* ABI 1.7 validate_bounds: the _id of every rows-th document in _id order. */
sluice_status mg_validate_bounds(void *instance, const sluice_table *table, uint64_t rows,
                                 sluice_bound_list *out, sluice_error *err);

/* ---- filters.c ---- */

/* Appends to `and` (a BSON array under construction, next index *n) the
   chunk's filters on _id it can say as MongoDB conditions; 1 when that was
   every filter of the chunk (the batch is then SLUICE_BATCH_FILTERED). */
int mg_chunk_filters(const sluice_chunk *chunk, bson_t *and, uint32_t *n);
/* The BSON value of canonical text `text` for the _id column of t (its sampled
   type: objectId, int / long, string) as field "v" of out; 0, or -1 when the
   column's type cannot be said or the text is not of it. */
int mg_id_from_text(const sluice_table *t, const char *text, size_t len, bson_t *out);

/* ---- catalog.c ---- */

sluice_status mg_discover(void *instance, sluice_catalog *catalog, sluice_error *err);
/* The collection discovered as db.name (renames followed), or NULL. */
mg_coll *mg_coll_find(mgsrc *s, const char *db, uint32_t dblen, const char *name,
                      uint32_t namelen);

/* The collection db.name added while streaming (the first event of it is ev);
   *out stays NULL when it is not selected or not a user collection. */
sluice_status mg_coll_created(mgsrc *s, const mg_event *ev, mg_coll **out, sluice_error *err);

/* ---- shape.c ---- */

/* Adds table db.name to the catalog with the columns of the sampled fields f
   (_id among them, or not: then text): _id, then doc or (table mode) the other
   fields, then the update description column when asked for. */
sluice_table *mg_table_make(mgsrc *s, sluice_catalog *catalog, const char *db,
                            const char *name, const mg_fields *f);
/* Reads a sample of the collection (docsToInvestigate documents; only _id in
   document mode) into f. */
sluice_status mg_sample(mgsrc *s, mongoc_collection_t *c, const char *db, mg_fields *f,
                        sluice_error *err);
/* The column of top-level field name (not _id, not the update description),
   or -1; the search starts at column `from` (>= 1), where it usually is. */
int mg_field_column(const sluice_table *t, const char *name, size_t len, uint32_t from);
/* The index of the update description column of t, or -1. */
int mg_update_column(const sluice_table *t);
/* The first top-level field of doc that is not a column of t, or NULL (always
   NULL in document mode). */
const char *mg_new_field(const mgsrc *s, const sluice_table *t, const bson_t *doc);
/* *out: a new version of table old, made in catalog, with a column for each
   field of doc it lacks (typed by doc's value). */
sluice_status mg_widen(mgsrc *s, sluice_catalog *catalog, const sluice_table *old,
                       const bson_t *doc, const sluice_table **out, sluice_error *err);
/* The stream's: c's table widened for doc in discover's catalog; its SCHEMA event
   goes out before c's next change. */
sluice_status mg_reshape(mgsrc *s, mg_coll *c, const bson_t *doc, sluice_error *err);

/* ---- rows.c ---- */

/* The canonical type of a column of this BSON type name ("mixed": json). */
sluice_type mg_canonical_type(const char *bson_type);
/* Fills row (t->ncolumns values) from the document, and the update
   description column from update (NULL: NULL); 0, 1 when the document has a
   field that is not a column (its value is not in the row), -1 when out of
   memory. */
int mg_row(mgsrc *s, sluice_batch *b, const sluice_table *t, const bson_t *doc,
           const bson_t *update, sluice_value *row);
/* Sets the key column (_id) of row from the value at it; -1 when out of memory. */
int mg_key(mgsrc *s, sluice_batch *b, const sluice_table *t, const bson_iter_t *it,
           sluice_value *row);

/* ---- read.c ---- */

sluice_status mg_snapshot_begin(void *instance, sluice_position *at, sluice_snapshot *snapshot,
                                sluice_error *err);
sluice_status mg_snapshot_attach(void *instance, const sluice_snapshot *snapshot,
                                 sluice_error *err);
sluice_status mg_read_chunk(void *instance, const sluice_chunk *chunk, sluice_batch *batch,
                            sluice_error *err);
sluice_status mg_split_table(void *instance, const sluice_table *table, uint32_t want,
                             sluice_chunk_list *out, sluice_error *err);
void mg_read_end(mgsrc *s);
/* The _id at the given rank in _id order (ascending, or descending when rank
   < 0) as field "v" of *out (initialised when *found). */
sluice_status mg_id_at(mgsrc *s, mongoc_collection_t *c, int64_t rank, bson_t *out,
                       int *found, sluice_error *err);
/* The class MongoDB orders field "v" of an _id by (all numbers one class): a
   range of _ids holds one class when its ends do. */
int mg_id_class(const bson_t *v);

/* ---- position.c ---- */

/* A position: the cluster time of its event, the upsert horizon, and the resume
   token (NULL: none, start at the cluster time). */
typedef struct mg_pos {
    uint32_t t, i, horizon_t, horizon_i;
    const uint8_t *token; /* BSON of the token document, into the position */
    uint32_t token_len;
} mg_pos;

int mg_pos_set(sluice_position *p, const mg_pos *in);
int mg_pos_get(const sluice_position *p, mg_pos *out);
/* The cluster time a resume token's _data starts with (KeyString 0x82: t, i); -1 if none. */
int mg_token_time(const bson_t *token, uint32_t *t, uint32_t *i);
int mg_position_compare(const sluice_position *a, const sluice_position *b);
size_t mg_position_format(const sluice_position *p, char *buf, size_t size);
sluice_status mg_position_parse(const char *text, sluice_position *out, sluice_error *err);

/* ---- stream.c ---- */

sluice_status mg_stream_start(void *instance, const sluice_position *from, sluice_error *err);
sluice_status mg_stream_read(void *instance, sluice_batch *batch, sluice_error *err);
sluice_status mg_ack(void *instance, const sluice_position *committed, sluice_error *err);
void mg_stream_close(mgsrc *s);

#endif
