/*
 * sink-pg: the internal interface between the plugin's files.
 *
 *   plugin.c      options, descriptor, open/close/get_checkpoint/flush/cleanup
 *   conn.c        connecting (conninfo), libpq errors as sluice errors
 *   tables.c      the target tables this instance has met: names, shapes, statements
 *   pgtypes.c     column types from canonical types (no server)
 *   ddl.c         prepare_table (create / truncate / keep) and schema changes
 *   copy.c        write_rows / finish_table: COPY text into one table at a time
 *   pipe.c        statements sent in libpq pipeline mode, results checked in order
 *   stmt.c        INSERT / UPDATE / DELETE statements per column set, and their values
 *   apply.c       change batches: source transactions grouped into target transactions
 *   checkpoint.c  the checkpoint table: read at start, written with every commit
 *   sqltext.c     quoting and COPY escaping; sbuf.c the byte buffer
 */
#ifndef SINKPG_H
#define SINKPG_H

#include <libpq-fe.h>
#include <stdint.h>

#include <sluice/sluice.h>

#include "sbuf.h"

/* The options, filled by the core (plugin.c declares them). */
typedef struct sinkpg_config {
    const char *conninfo;
    const char *schema;
    const char *checkpoint_table;
    const char *checkpoint_key;
    int64_t max_group_rows;
    int64_t max_group_ms;
    int64_t connect_timeout;
} sinkpg_config;

/* ---- tables and their prepared statements (tables.c, stmt.c) ---- */

typedef enum sp_op { SP_INSERT = 0, SP_UPDATE = 1, SP_DELETE = 2 } sp_op;

/* A prepared statement for one operation and one set of columns. */
typedef struct sp_stmt {
    sp_op op;
    uint8_t *mask;       /* columns in the INSERT list / UPDATE SET list (bit per column) */
    char name[48];       /* sluice_<table>_<generation>_<n>: unique and deterministic */
    uint32_t nparams;
    int32_t *param_cols; /* per parameter: column index; ~index: the column's old key value */
} sp_stmt;

/* A target table this instance has met, by its target schema and name. */
typedef struct sp_table {
    char *schema, *name;  /* target names (schema option applied), NUL-free */
    char *qname;          /* "schema"."name", quoted */
    char *display;        /* schema.name, for messages */
    uint32_t slot;        /* index in the instance's table list */
    const sluice_table *seen; /* the last sluice table found to be this one: a fast path */
    /* The last shape seen (prepare_table, a row event or a SCHEMA event). */
    const sluice_table *shape;
    char **columns;       /* copies of its column names; NULL while unknown */
    uint32_t ncolumns;
    int32_t *keys;        /* columns that find a row: KEY, else REPLICA_IDENTITY */
    uint32_t nkeys;
    int full_identity;    /* keys are the replica identity, not a primary key */
    /* Statements prepared on this connection for the current shape. */
    sp_stmt *stmts;
    uint32_t nstmts, cap;
    uint32_t generation;  /* bumps when the statements are dropped */
} sp_table;

/* ---- pipeline mode (pipe.c) ---- */

typedef enum sp_item_kind {
    ITEM_COMMAND = 0, /* BEGIN, COMMIT, TRUNCATE ... */
    ITEM_PREPARE,
    ITEM_ROW,
    ITEM_CHECKPOINT
} sp_item_kind;

/* What one queued statement was, to name it when its result is an error. */
typedef struct sp_item {
    uint8_t kind;  /* sp_item_kind */
    uint8_t op;    /* sp_op for ROW and PREPARE */
    uint32_t slot; /* table slot, or UINT32_MAX */
    uint64_t xid;  /* source transaction */
    const char *command; /* ITEM_COMMAND: a static string */
} sp_item;

typedef struct sp_pipe {
    int active;       /* in pipeline mode */
    sp_item *items;   /* queued since the last sync, in order */
    uint32_t nitems, cap;
} sp_pipe;

/* ---- the instance ---- */

typedef struct sinkpg {
    const sluice_host *host;
    sluice_context *ctx;
    sinkpg_config cfg;  /* strings below are our own copies */
    char *conninfo;     /* secret: never logged */
    char *schema;       /* target schema override, or NULL */
    char *ck_schema, *ck_name, *ck_key;
    PGconn *conn;
    char *password;     /* what libpq used, only to scrub it from messages */

    sp_table **tables;
    uint32_t ntables;

    /* full load: the COPY in progress (copy.c) */
    sp_table *copy_table;
    uint64_t copy_rows;
    sbuf copy_buf;

    /* change apply (apply.c) */
    int broken;            /* an apply failed: the target transaction is gone */
    int txn_open;          /* a target transaction is open */
    int src_open;          /* inside a source transaction (BEGIN seen, no COMMIT yet) */
    int has_pending;       /* the open target transaction holds complete source transactions */
    int commit_requested;  /* flush came while a source transaction was open */
    int unreported;        /* `committed` is newer than what flush reported */
    uint64_t xid;
    uint64_t group_rows;
    int64_t group_started_us;
    uint64_t missing_warnings;
    sluice_position pending;   /* the last COMMIT in the open target transaction */
    sluice_position committed; /* the last one committed at the target */
    sp_pipe pipe;

    int ck_ready;          /* the checkpoint table exists */
    int ck_locked;         /* this session holds the checkpoint key's advisory lock */
    char *ck_qname;        /* "schema"."table" of the checkpoint table */

    /* scratch buffers reused across calls */
    sbuf sql, vals;
    const char **params;
    size_t *offsets;       /* of each parameter's text in vals; SIZE_MAX for NULL */
    uint32_t params_cap;
} sinkpg;

/* ---- conn.c ---- */

sluice_status sp_connect(sinkpg *s, sluice_error *err);
/* Reconnects a broken connection (only between transactions). SLUICE_RETRY when it cannot. */
sluice_status sp_ensure_connected(sinkpg *s, sluice_error *err);
int sp_connection_lost(const sinkpg *s);
/*
 * Fills err for a failed statement: message "<what>: <server message>", the
 * server's detail and context, and its hint or one of ours. res may be NULL
 * (then the connection's message). extra: a sentence for the detail, or NULL.
 */
sluice_status sp_report(sinkpg *s, sluice_error *err, sluice_status st, const PGresult *res,
                        const char *what, const char *extra);
/* A command without results through the extended protocol; SLUICE_OK or the error. */
sluice_status sp_command(sinkpg *s, sluice_error *err, sluice_status st, const char *sql,
                         const char *what);
/* A query with text parameters; returns the result (caller clears) or NULL with err set. */
PGresult *sp_query(sinkpg *s, sluice_error *err, sluice_status st, const char *sql, int nparams,
                   const char *const *values, const char *what);
/* Scrubs the password out of a message (in place). */
void sp_scrub(const sinkpg *s, char *text);
/* The target's server as "host:port" for messages (never the conninfo). */
void sp_server_name(const sinkpg *s, char *buf, size_t size);

/* ---- tables.c ---- */

/* The target table for a sluice table (schema option applied); NULL with err set. */
sp_table *sp_table_for(sinkpg *s, const sluice_table *t, sluice_error *err);
/* Remembers t as the table's shape; drops the statements if the columns changed. */
sluice_status sp_table_set_shape(sinkpg *s, sp_table *tt, const sluice_table *t, sluice_error *err);
/* Forgets every prepared statement of the table (DEALLOCATE; outside pipeline mode). */
void sp_table_drop_statements(sinkpg *s, sp_table *tt);
void sp_tables_free(sinkpg *s);

/* ---- ddl.c ---- */

sluice_status sp_prepare_table(sinkpg *s, const sluice_table *t, sluice_prep_mode mode,
                               sluice_error *err);
/* A SCHEMA event: ALTER the target table to the new shape (inside the open transaction). */
sluice_status sp_schema_change(sinkpg *s, sp_table *tt, const sluice_table *t, sluice_error *err);
/* CREATE SCHEMA when it does not exist (checks first: CREATE needs a privilege). */
sluice_status sp_ensure_schema(sinkpg *s, const char *schema, sluice_status st,
                               sluice_error *err);

/* ---- copy.c ---- */

sluice_status sp_write_rows(sinkpg *s, const sluice_batch *b, sluice_error *err);
sluice_status sp_finish_table(sinkpg *s, const sluice_table *t, sluice_error *err);
/* Abandons a COPY in progress (its rows are not committed). */
void sp_copy_abort(sinkpg *s);

/* ---- pipe.c ---- */

sluice_status sp_pipe_enter(sinkpg *s, sluice_error *err);
/* Queues an item; the statement must have been sent just before. */
sluice_status sp_pipe_push(sinkpg *s, sp_item item, sluice_error *err);
/* A parameterless command in the pipeline (BEGIN, COMMIT, TRUNCATE ...). */
sluice_status sp_pipe_command(sinkpg *s, const char *sql, const char *label, uint32_t slot,
                              sluice_error *err);
/* Syncs, checks every queued result in order, leaves pipeline mode. */
sluice_status sp_pipe_finish(sinkpg *s, sluice_error *err);
/* Queued statements past which apply syncs, to bound memory on both sides. */
#define SP_PIPE_WINDOW 2000u
void sp_pipe_free(sp_pipe *p);

/* ---- stmt.c ---- */

/* Sends one row change (prepares its statement first when new). */
sluice_status sp_send_row(sinkpg *s, sp_table *tt, const sluice_event *e, sluice_error *err);

/* ---- apply.c ---- */

sluice_status sp_apply(sinkpg *s, const sluice_batch *b, sluice_error *err);
sluice_status sp_flush(sinkpg *s, sluice_position *committed, sluice_error *err);

/* ---- checkpoint.c ---- */

/* Splits the checkpoint_table option and keeps the names; at open. */
sluice_status sp_checkpoint_init(sinkpg *s, sluice_error *err);
/* Creates the checkpoint table when it is missing (in the open transaction, if any). */
sluice_status sp_checkpoint_ensure(sinkpg *s, sluice_error *err);
/* Takes the checkpoint key's advisory lock for this session (waits for a previous one). */
sluice_status sp_checkpoint_lock(sinkpg *s, sluice_error *err);
sluice_status sp_checkpoint_read(sinkpg *s, sluice_position *out, sluice_error *err);
/* Queues the checkpoint upsert for `pos` in the pipeline (same transaction as the data). */
sluice_status sp_checkpoint_send(sinkpg *s, const sluice_position *pos, sluice_error *err);
sluice_status sp_checkpoint_cleanup(sinkpg *s, sluice_error *err);
/* "sluice.sluice_checkpoint": for messages */
void sp_checkpoint_display(const sinkpg *s, char *buf, size_t size);

/* ---- small shared helpers ---- */

/* Makes room for n parameters in the scratch arrays; -1 when out of memory. */
int sp_params_reserve(sinkpg *s, uint32_t n);
int64_t sp_now_us(void);
sluice_status sp_oom(sinkpg *s, sluice_error *err);

#endif
