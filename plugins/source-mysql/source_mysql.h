/*
 * source-mysql: the MySQL / MariaDB source. This header is shared by its
 * files, one job each (docs/source-mysql.md has the user's view):
 *   plugin.c    options, descriptor, open/close, the refusal of CDC modes
 *   position.c  binlog positions: bytes, printable form, parsing
 *   conn.c      connections, session settings, client errors, quoting, SQL text
 *   prereq.c    prerequisite checks (binary log, row format, ids, privileges)
 *   check.c     ABI 1.6 check: sluice check's findings (prereq.c's and more)
 *   catalog.c   discover: tables, columns, primary keys
 *   types.c     COLUMN_TYPE -> canonical type, and how values are read
 *   snapshot.c  snapshot_begin / snapshot_attach: one snapshot for every lane
 *   read.c      split_table and the full-load reader (streamed rows)
 *   values.c    text-protocol fields -> canonical values
 *   validate.c  ABI 1.6 validate_bounds: key-range chunks for `sluice validate`
 *   filters.c   the pipeline's row filters as SQL
 *   rpl.c       the binlog transport: a replica connection read by a thread
 *   stream.c    change capture: binlog events -> transactions of change events
 *   shape.c     table maps against the catalog: schema changes, DDL statements
 * The binlog decoder (binlog/, mybl.h) is a separate library.
 */
#ifndef SOURCE_MYSQL_H
#define SOURCE_MYSQL_H

#include <mysql.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <sluice/sluice.h>

#include "parse.h"
#include "sbuf.h"

#include "mybl.h"

/* The options, as the core fills them (strings are core-owned). */
typedef struct my_config {
    const char *host;
    int64_t port;
    const char *user;
    const char *password;
    const char *databases;
    const char *socket;
    int64_t server_id;
    int64_t connect_timeout;
    int64_t snapshot_lock_wait_ms;
    int64_t heartbeat_interval_ms;
} my_config;

/* How read.c turns a text-protocol field of a column into a value. */
typedef enum my_read_as {
    MY_READ_TEXT = 0,  /* the bytes as they are (UTF-8 text, numbers, dates) */
    MY_READ_INT,       /* signed integer: the INT fast path */
    MY_READ_BYTES,     /* binary: \x hex */
    MY_READ_BITS       /* BIT(n): the server sends bytes; n binary digits */
} my_read_as;

/* A discovered table: the catalog's table plus what only the source needs. */
typedef struct my_table {
    const sluice_table *table;
    int int_key;          /* the single integer primary-key column, or -1 */
    int key_unsigned;
    uint8_t *read_as;     /* my_read_as per column */
    int32_t *bits;        /* BIT(n): n per column, else 0 */
    /* change capture (shape.c): the last TABLE_MAP's column types, to see a change */
    uint32_t sig_ncols;
    uint64_t *sig;        /* per column: type, metadata, signedness (shape.c) */
    int schema_pending;   /* a new version whose SCHEMA event is still to go out */
    int warned;
} my_table;

/* One raw binlog event, as the server sent it (after the OK byte). */
typedef struct my_rawev {
    struct my_rawev *next;
    size_t len;
    uint8_t data[];
} my_rawev;

/* The binlog transport (rpl.c): a replica connection and the thread reading it. */
typedef struct my_reader {
    MYSQL *conn;
    struct st_mariadb_rpl *rpl;
    pthread_t thread;
    int started, sync_ready;
    pthread_mutex_t mu;
    pthread_cond_t more, room;
    my_rawev *head, *tail;
    size_t count, bytes;
    int stop, done;
    unsigned err_no;       /* why the thread ended (0: stopped) */
    char err_text[512];
    char sqlstate[6];
} my_reader;

/* A table renamed in the stream: changes under the new name go to the old table. */
typedef struct my_alias {
    char db[65], name[65];
    uint32_t table; /* index in tables */
} my_alias;

/* The change stream (stream.c). */
typedef struct my_stream {
    int started;
    my_reader rd;
    mybl_decoder *dec;
    my_rawev *cur;          /* the event being turned into sluice events */
    mybl_event ev;
    int fed;                /* cur was fed to the decoder; ev is its result */
    int row_pending;        /* before/after hold a row not yet emitted */
    const mybl_row *before, *after;
    uint64_t cur_table_id;  /* the rows event's table, resolved: */
    int cur_table;          /* index in tables, or -1 to skip */
    char file[256];         /* the binlog file of the next event */
    uint64_t next_pos;
    /* the open transaction */
    int in_txn, begun, standalone, txn_done;
    uint32_t gtid_domain, gtid_server;
    uint64_t gtid_seq;
    int64_t begin_us;
    char gtid_state[200];   /* the GTID position after the last commit */
    int64_t last_commit_emit_us;
    sluice_position acked, horizon;
    my_alias *aliases;
    uint32_t naliases;
    MYSQL *meta;            /* catalog lookups while streaming */
} my_stream;

/* The full-load query of one chunk in progress (mysql_use_result streams it). */
typedef struct my_read {
    MYSQL_RES *res;
    my_table layout;     /* how this chunk's columns are read */
    uint64_t source_id;
    uint32_t index;
} my_read;

/* The commit lock that lets every lane start its snapshot at one binlog
   position (snapshot.c), held by a thread of the main instance. */
typedef struct my_lock {
    MYSQL *conn;
    int held;              /* commits are blocked */
    int backup_stage;      /* by BACKUP STAGE BLOCK_COMMIT (MariaDB), not FLUSH TABLES */
    unsigned long id;      /* its connection id: names the lane registry */
    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    int stop;
    atomic_uint expected;  /* lanes to wait for */
} my_lock;

typedef struct mysrc {
    const sluice_host *host;
    sluice_context *ctx;
    my_config cfg;          /* strings below are our own copies */
    char *hostname, *user, *password, *databases, *socket;
    MYSQL *conn;
    char server[300];       /* "host:port" for messages */
    char version[96];
    int mariadb;
    unsigned long version_num; /* 101100 for 10.11.0 */
    my_table *tables;
    uint32_t ntables;
    atomic_uint chunks_known; /* tables + extra chunks from split_table (lock.expected) */
    my_read read;
    my_lock lock;
    int in_snapshot;
    int snapshot_off;          /* this lane's snapshot is not the main one's */
    char snapshot_detail[512]; /* ... why, for the error of its first chunk */
    sluice_catalog *catalog;   /* discover's, for new table versions while streaming */
    my_stream stream;
} mysrc;

/* ---- conn.c ---- */

/* Appends `name` quoted as an identifier (to plugins/common's sbuf). */
void my_buf_ident(sbuf *b, const char *name, size_t len);
/* Appends a single-quoted string literal (backslashes and quotes escaped). */
void my_buf_literal(sbuf *b, const char *text, size_t len);
/* A new connection with the session settings of every sluice connection. */
sluice_status my_connect(mysrc *s, MYSQL **out, sluice_error *err);
/* The same with a read timeout in seconds (0: none), for the binlog connection. */
sluice_status my_connect_timeout(mysrc *s, MYSQL **out, unsigned read_timeout,
                                 sluice_error *err);
/* A failed call on c: message from fmt, detail from the client library. */
sluice_status my_fail(mysrc *s, sluice_error *err, MYSQL *c, const char *fmt, ...)
    SLUICE_PRINTF(4, 5);
/* SLUICE_RETRY for errors that may pass (lost connection, server going away). */
sluice_status my_transient(MYSQL *c);
/* Runs sql; on failure fills err ("could not <what>") and returns non-OK. */
sluice_status my_exec(mysrc *s, MYSQL *c, const char *sql, const char *what, sluice_error *err);
/* Runs a query and stores its result; NULL after filling err. */
MYSQL_RES *my_query(mysrc *s, MYSQL *c, const char *sql, const char *what, sluice_error *err);
/* The first column of the first row as text (into buf), 0; -1 on no row; err on failure. */
sluice_status my_query_value(mysrc *s, MYSQL *c, const char *sql, char *buf, size_t size,
                             int *found, const char *what, sluice_error *err);
sluice_status my_oom(mysrc *s, sluice_error *err);
/* The mode the core runs ("full-load", ...), or NULL when the core does not say. */
const char *my_mode(mysrc *s);

/* ---- prereq.c ---- */

/* Everything change capture from the binary log needs, each its own finding (filled
   into err) reported through my_report: with out NULL (open) a blocking finding
   returns SLUICE_FATAL with err as the error, the first one stops; with out the host's
   list (`sluice check`) every finding goes there. A failed query returns its error. */
sluice_status my_report(mysrc *s, sluice_findings *out, sluice_severity severity,
                        const char *table, sluice_error *err);
sluice_status my_check_cdc(mysrc *s, sluice_findings *out, sluice_error *err);

/* ---- check.c: ABI 1.6 check ---- */

/* `sluice check`: my_check_cdc in the change-capture modes, plus the server, the
   largest tables, large-value columns and open transactions. Only reads. */
sluice_status my_check(void *instance, sluice_findings *out, sluice_error *err);

/* ---- catalog.c ---- */

sluice_status my_discover(void *instance, sluice_catalog *catalog, sluice_error *err);
/* 1 when db is one of the databases option's. */
int my_database_listed(mysrc *s, const char *db, size_t len);
/* A table created while streaming: added to the catalog like discover's, its
   index in tables into *index (-1: it is gone again). */
sluice_status my_discover_created(mysrc *s, MYSQL *conn, const char *db, const char *name,
                                  int *index, sluice_error *err);
my_table *my_table_by_id(mysrc *s, uint64_t source_id);

/* ---- types.c ---- */

typedef struct my_canonical {
    sluice_type type;
    int32_t precision, scale;
    my_read_as read_as;
    int32_t bits; /* BIT(n) */
} my_canonical;

/* column_type: information_schema.COLUMNS.COLUMN_TYPE ("int(10) unsigned");
   data_type: DATA_TYPE ("int"); is_json: a MariaDB json_valid() column. */
void my_map_type(const char *column_type, const char *data_type, int is_json,
                 my_canonical *out);
/* How to read each column of t, from its source types alone (a lane instance
   has not discovered anything); -1 when out of memory. */
int my_table_layout(const sluice_table *t, my_table *out);
void my_table_layout_free(my_table *t);

/* ---- snapshot.c ---- */

sluice_status my_snapshot_begin(void *instance, sluice_position *at, sluice_snapshot *snapshot,
                                sluice_error *err);
sluice_status my_snapshot_attach(void *instance, const sluice_snapshot *snapshot,
                                 sluice_error *err);
/* Ends the lock thread and releases the lock (close, or a failed begin). */
void my_lock_release(mysrc *s);

/* ---- read.c / values.c / filters.c ---- */

sluice_status my_split_table(void *instance, const sluice_table *table, uint32_t want,
                             sluice_chunk_list *out, sluice_error *err);
sluice_status my_read_chunk(void *instance, const sluice_chunk *chunk, sluice_batch *batch,
                            sluice_error *err);
void my_read_end(mysrc *s);
/* One field of a row into v (NULL stays NULL); 0, or -1 when out of memory. */
int my_value(const sluice_host *host, sluice_batch *b, const my_table *t, uint32_t col,
             const char *field, unsigned long len, sluice_value *v);
/* A decoded binlog value of column col into v, spelled as my_value spells the
   full load's; 0, or -1 when out of memory. */
int my_binlog_value(const sluice_host *host, sluice_batch *b, const my_table *t, uint32_t col,
                    const mybl_value *mv, sluice_value *v);
/* Whether my_filter_sql can write every row filter of the chunk as SQL. */
int my_filters_pushable(const sluice_chunk *chunk);
/* validate.c: ABI 1.6 validate_bounds (`sluice validate`) */
sluice_status my_validate_bounds(void *instance, const sluice_table *table, uint64_t rows,
                                 sluice_bound_list *out, sluice_error *err);
/* Appends the chunk's row filters: " WHERE (...)" when first, else " AND (...)";
   nothing (0) unless my_filters_pushable. */
int my_filter_sql(sbuf *b, const sluice_chunk *chunk, int first);

/* ---- position.c ---- */

/* A binlog position: the file, the offset in it and the GTID position there
   (MariaDB domain-server-seq list or MySQL gtid_executed; may be empty). */
typedef struct my_pos {
    char file[256];
    uint64_t offset;
    char gtid[200];
} my_pos;

int my_pos_set(sluice_position *p, const my_pos *in);
int my_pos_get(const sluice_position *p, my_pos *out);
int my_position_compare(const sluice_position *a, const sluice_position *b);
size_t my_position_format(const sluice_position *p, char *buf, size_t size);
sluice_status my_position_parse(const char *text, sluice_position *out, sluice_error *err);

/* ---- rpl.c ---- */

sluice_status my_reader_start(mysrc *s, my_reader *rd, const char *file, uint64_t offset,
                              sluice_error *err);
/* The next raw event (the caller frees it), waiting up to wait_ms; NULL when none,
   with *ended set once the thread has ended (rd->err_no says why). */
my_rawev *my_reader_pop(my_reader *rd, int wait_ms, int *ended);
void my_reader_stop(my_reader *rd);

/* ---- stream.c ---- */

sluice_status my_stream_start(void *instance, const sluice_position *from, sluice_error *err);
sluice_status my_stream_read(void *instance, sluice_batch *batch, sluice_error *err);
sluice_status my_ack(void *instance, const sluice_position *committed, sluice_error *err);
void my_stream_close(mysrc *s);

/* ---- shape.c ---- */

/* MYBL_HINT_* for every column of t, from its source types; for mybl_set_table_hints. */
sluice_status my_table_hints(mysrc *s, const my_table *mt, sluice_error *err);
/* The table index of a TABLE_MAP's table (renames followed) into *index, or -1 when
   its changes are not captured. A selected table of the databases option that
   discovery did not see was created while streaming: it joins the catalog, and
   its SCHEMA event goes out before its first change. */
sluice_status my_stream_table(mysrc *s, const mybl_table *tm, int *index, sluice_error *err);
/* Compares the TABLE_MAP with the table's current version; a different shape
   becomes a new version (host table_reshape) with schema_pending set. */
sluice_status my_shape_check(mysrc *s, uint32_t index, const mybl_table *tm, sluice_error *err);
/* A DDL statement of the stream: TRUNCATE gives the table to truncate (*truncate,
   else -1); RENAME records an alias; others are logged. */
sluice_status my_ddl(mysrc *s, const mybl_str *db, const mybl_str *sql, int *truncate,
                     sluice_error *err);
void my_shape_free(mysrc *s);

#endif
