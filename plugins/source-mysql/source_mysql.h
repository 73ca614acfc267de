/*
 * source-mysql: the MySQL / MariaDB source. This header is shared by its
 * files, one job each (docs/source-mysql.md has the user's view):
 *   plugin.c    options, descriptor, open/close, the refusal of CDC modes
 *   position.c  binlog positions: bytes, printable form, parsing
 *   conn.c      connections, session settings, client errors, quoting, SQL text
 *   prereq.c    prerequisite checks (binary log, row format, ids, privileges)
 *   catalog.c   discover: tables, columns, primary keys
 *   types.c     COLUMN_TYPE -> canonical type, and how values are read
 *   snapshot.c  snapshot_begin / snapshot_attach: one snapshot for every lane
 *   read.c      split_table and the full-load reader (streamed rows)
 *   values.c    text-protocol fields -> canonical values
 *   filters.c   the pipeline's row filters as SQL
 * The binlog decoder (binlog/) is a separate library, not used yet.
 */
#ifndef SOURCE_MYSQL_H
#define SOURCE_MYSQL_H

#include <mysql.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <sluice/sluice.h>

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
} my_table;

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
    int held;              /* FLUSH TABLES WITH READ LOCK succeeded */
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
} mysrc;

/* ---- conn.c ---- */

typedef struct my_buf {
    char *data;
    size_t len, cap;
    int failed;
} my_buf;

void my_buf_add(my_buf *b, const char *s, size_t n);
void my_buf_addf(my_buf *b, const char *fmt, ...) SLUICE_PRINTF(2, 3);
/* Appends `name` quoted as an identifier. */
void my_buf_ident(my_buf *b, const char *name, size_t len);
/* Appends a single-quoted string literal (backslashes and quotes escaped). */
void my_buf_literal(my_buf *b, const char *text, size_t len);
/* The string, owned by the caller; NULL (and freed) when anything failed. */
char *my_buf_take(my_buf *b);

/* A new connection with the session settings of every sluice connection. */
sluice_status my_connect(mysrc *s, MYSQL **out, sluice_error *err);
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

/* Everything change capture from the binary log needs, each with its own error. */
sluice_status my_check_cdc(mysrc *s, sluice_error *err);

/* ---- catalog.c ---- */

sluice_status my_discover(void *instance, sluice_catalog *catalog, sluice_error *err);
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
int my_parse_int64(const char *p, size_t n, int64_t *out);
/* Whether my_filter_sql can write every row filter of the chunk as SQL. */
int my_filters_pushable(const sluice_chunk *chunk);
/* Appends the chunk's row filters: " WHERE (...)" when first, else " AND (...)";
   nothing (0) unless my_filters_pushable. */
int my_filter_sql(my_buf *b, const sluice_chunk *chunk, int first);

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

#endif
