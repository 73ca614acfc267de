/*
 * source-mongo: the MongoDB source (docs/source-mongo.md has the user's view).
 * Files, one job each:
 *   plugin.c    options, descriptor, open/close
 *   conn.c      the client from the URI, the server's name without credentials,
 *               libmongoc errors as sluice errors, commands
 *   prereq.c    what change streams need (a replica set or sharded cluster)
 *   catalog.c   discover: databases as schemas, collections as tables
 *   rows.c      a document as a row of its table: _id and the document
 *   read.c      snapshot_begin, split_table and read_chunk (the full load)
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
    int64_t sample_size;
    int64_t max_await_ms;
} mg_config;

/* A discovered collection. */
typedef struct mg_coll {
    char *db, *name;
    const sluice_table *table;
} mg_coll;

/* A collection renamed in the stream: changes under the new name go to the old table. */
typedef struct mg_alias {
    char *db, *name;
    uint32_t coll;
} mg_alias;

typedef struct mg_stream {
    mongoc_change_stream_t *cs;
    int started;
    uint32_t horizon_t, horizon_i; /* events up to here may already be loaded */
    uint32_t last_t, last_i;      /* the cluster time of the last position sent */
    sluice_position sent;          /* the last COMMIT position handed out */
    int64_t last_commit_us;        /* wall clock of the last COMMIT handed out */
    bson_t *pending;               /* an event read but not yet emitted (batch full) */
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
    mg_coll *colls;
    uint32_t ncolls;
    /* the full-load read in progress */
    mongoc_cursor_t *cursor;
    uint64_t read_id;
    uint32_t read_index;
    mg_buf buf;             /* scratch for values */
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

/* Reads hello; refuses change capture on a standalone server. */
sluice_status mg_check_server(mgsrc *s, int cdc, sluice_error *err);

/* ---- catalog.c ---- */

sluice_status mg_discover(void *instance, sluice_catalog *catalog, sluice_error *err);
/* The collection discovered as db.name (renames followed), or NULL. */
mg_coll *mg_coll_find(mgsrc *s, const char *db, uint32_t dblen, const char *name,
                      uint32_t namelen);

/* ---- rows.c ---- */

/* The canonical type of a column of this BSON type name ("mixed": json). */
sluice_type mg_canonical_type(const char *bson_type);
/* Fills row (t->ncolumns values) from the document; 0, or -1 when out of memory. */
int mg_row(mgsrc *s, sluice_batch *b, const sluice_table *t, const bson_t *doc,
           sluice_value *row);
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
