/*
 * sink-pg: the internal interface between the plugin's files.
 *
 *   plugin.c      options, descriptor, open/close/get_checkpoint/flush/cleanup
 *   conn.c        connecting (conninfo), libpq errors as sluice errors
 *   tables.c      the target tables this instance has met: names, shapes, statements
 *   pgtypes.c     column types from canonical types (no server)
 *   ddl.c         prepare_table (create / truncate / keep) and schema changes
 *   copy.c        write_rows / finish_table: COPY text into one table at a time
 *   native.c      ABI 1.3 native values: PostgreSQL's binary form, in binary COPY
 *   pipe.c        statements sent in libpq pipeline mode, results checked in order
 *   stmt.c        INSERT / UPDATE / DELETE statements per column set, and their values
 *   batch.c       runs of row changes sent as one multi-row statement each
 *   batchsql.c    the target's column types, and the multi-row statements' text and values
 *   apply.c       change batches: source transactions grouped into target transactions
 *   checkpoint.c  the checkpoint table: read at start, written with every commit
 *   errors.c      error_policy = record: rejected rows kept for the errors table
 *   indexes.c     secondary indexes: planned at CREATE, built in table_loaded (ABI 1.2)
 *   indexdef.c    their DDL text; sequences.c set_sequences (ABI 1.2)
 *   sqltext.c     quoting and COPY escaping (the byte buffer, sbuf, is plugins/common's)
 *   check.c       ABI 1.6 check: sluice check's findings about the target
 *   validate.c    ABI 1.7 validate_read / validate_hash / validate_repair (`sluice validate`)
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
    const char *error_policy; /* "stop" (or NULL) or "record" */
    const char *errors_table;
    int64_t error_threshold;  /* record: rejected rows per table before FATAL; 0: no limit */
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
    int prepared;        /* exists on the connection (a PREPARE skipped after an error does not) */
    int multi;           /* takes one text array per parameter: many rows (batch.c) */
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
    /* error_policy = record: rejected rows of this table, for error_threshold */
    int64_t rejected;     /* recorded at the target (as counted) plus kept since */
    int rejected_known;   /* `rejected` was counted in the open transaction */
} sp_table;

/* ---- pipeline mode (pipe.c) ---- */

typedef enum sp_item_kind {
    ITEM_COMMAND = 0, /* BEGIN, COMMIT, TRUNCATE ... */
    ITEM_PREPARE,
    ITEM_ROW,
    ITEM_CHECKPOINT,
    ITEM_GUARD,       /* record: the savepoint before a window's rows, and its release */
    ITEM_UNGUARD,
    ITEM_SAVEPOINT,   /* record, after a rejected row: around each row of the window */
    ITEM_RELEASE,
    ITEM_REJECTED,    /* record: a row of the errors table */
    ITEM_BATCH        /* a multi-row statement: the rows of a run (batch.c) */
} sp_item_kind;

/* Where a row change comes from: its source transaction, or none (full load). */
typedef struct sp_origin {
    uint64_t xid; /* the source's transaction id */
    uint64_t seq; /* this instance's number for the source transaction; 0: full load */
} sp_origin;

/* A row change waiting in a run, or sent in a multi-row statement (batch.c). */
typedef struct sp_entry {
    const sluice_event *event; /* valid during the apply call */
    uint64_t xid, seq;         /* its sp_origin */
} sp_entry;

/* What one queued statement was, to name it when its result is an error. */
typedef struct sp_item {
    uint8_t kind;  /* sp_item_kind */
    uint8_t op;    /* sp_op for ROW and PREPARE */
    uint32_t slot; /* table slot, or UINT32_MAX */
    uint64_t xid;  /* source transaction */
    const char *command; /* ITEM_COMMAND: a static string */
    /* ROW: what to send again when an earlier row was rejected (record) */
    uint64_t seq;
    const sluice_event *event;
    uint32_t stmt; /* PREPARE: the statement's index in its table */
    uint8_t guarded; /* ROW: under the window's savepoint (sent again if it is rolled back) */
    uint8_t framed;  /* queued ROW: to be sent again with a savepoint of its own */
    uint32_t missing; /* ROW, BATCH: rows found missing; counted once the window stands */
    /* BATCH: its rows, in order (kept by batch.c until the sync is read) */
    const sp_entry *entries;
    uint32_t nentries;
} sp_item;

/* A source COMMIT seen while rows of its transaction may still be unchecked. */
typedef struct sp_seen_commit {
    uint64_t seq;
    const sluice_position *position; /* the event's: valid during the apply call */
} sp_seen_commit;

typedef struct sp_pipe {
    int active;       /* in pipeline mode */
    sp_item *items;   /* queued since the last sync, in order */
    uint32_t nitems, cap;
    uint32_t nrows;   /* ROW items among them */
    int guarded;      /* record: the window's savepoint is open */
    int framed;       /* record: after a rejected row, each row gets its own savepoint */
    uint32_t window;  /* record: rows in a guarded window before a sync; 0: SP_PIPE_WINDOW */
    sp_item *queue;   /* record: rows to send again after a rejected one, in order */
    uint32_t qhead, nqueue;
    sp_seen_commit *commits; /* record: COMMITs after the rows queued (see errors.c) */
    uint32_t ncommits, commits_cap;
    struct sp_batch *batch;  /* runs not sent yet, and those sent since the sync (batch.c) */
} sp_pipe;

/* A rejected row waiting to be written to the errors table (errors.c). */
typedef struct sp_rejected {
    uint32_t slot;       /* its table */
    uint8_t op;          /* sp_op */
    uint8_t positioned;  /* position is known (CDC: once its source COMMIT is seen) */
    uint64_t xid, seq;   /* seq 0: full load, no source transaction */
    sluice_position position;
    char *new_row;       /* JSON, or NULL */
    char *old_key;       /* JSON, or NULL */
    char *sqlstate, *message, *detail; /* detail and sqlstate may be NULL */
} sp_rejected;

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
    int copy_native;       /* it is FORMAT binary, of NATIVE values (native.c) */
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

    /* error_policy = record (errors.c) */
    int record;
    char *et_schema, *et_name, *et_qname; /* the errors table */
    int et_ready;          /* it exists */
    int threshold_hit;     /* the last failure was error_threshold: FATAL even in a load */
    sp_rejected *rejected; /* kept until the transaction they belong to commits */
    uint32_t nrejected, rejected_cap;
    uint64_t src_seq;      /* numbers the source transactions (sp_origin.seq) */
    uint64_t rejected_total; /* rows kept as rejected by this instance */
    uint64_t reject_warnings;

    int ck_ready;          /* the checkpoint table exists */
    int ck_locked;         /* this session holds the checkpoint key's advisory lock */
    char *ck_qname;        /* "schema"."table" of the checkpoint table */

    /* sluice validate (validate.c) */
    PGconn *validate_conn; /* the connection the output settings were set on */
    PGresult *validate_res; /* validate_read's rows, handed out over several calls */
    int validate_row;

    /* scratch buffers reused across calls */
    sbuf sql, vals;
    const char **params;
    size_t *offsets;       /* of each parameter's text in vals; SIZE_MAX for NULL */
    uint32_t params_cap;
} sinkpg;

/* ---- check.c: ABI 1.6 ---- */

/* `sluice check`: privileges, existing tables and what mode would do to them, a
   checkpoint to resume from. Only reads. */
sluice_status sp_check(sinkpg *s, const sluice_table *const *tables, uint32_t n,
                       sluice_prep_mode mode, sluice_findings *out, sluice_error *err);

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
/* Whether relation schema.name exists at the target: 1 or 0, or -1 with err set
   (status st; display names the relation in the message). */
int sp_table_exists(sinkpg *s, const char *schema, const char *name, const char *display,
                    sluice_status st, sluice_error *err);
/* A query with text parameters; returns the result (caller clears) or NULL with err set. */
PGresult *sp_query(sinkpg *s, sluice_error *err, sluice_status st, const char *sql, int nparams,
                   const char *const *values, const char *what);
/* Scrubs the password out of a message (in place). */
void sp_scrub(const sinkpg *s, char *text);
/* The target's server as "host:port" for messages (never the conninfo). */
void sp_server_name(const sinkpg *s, char *buf, size_t size);

/* ---- validate.c: ABI 1.6 ---- */

sluice_status sp_validate_read(void *instance, const sluice_chunk *chunk, sluice_batch *batch,
                               sluice_error *err);
sluice_status sp_validate_hash(void *instance, const sluice_chunk *chunk, sluice_range_hash *out,
                               sluice_error *err);
sluice_status sp_validate_repair(void *instance, const sluice_batch *batch, sluice_error *err);

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
/* A new table version in a full load's batch: adds the columns the target lacks. */
sluice_status sp_load_schema_change(sinkpg *s, sp_table *tt, const sluice_table *t,
                                    sluice_error *err);
/* CREATE SCHEMA when it does not exist (checks first: CREATE needs a privilege). */
sluice_status sp_ensure_schema(sinkpg *s, const char *schema, sluice_status st,
                               sluice_error *err);

/* ---- copy.c ---- */

sluice_status sp_write_rows(sinkpg *s, const sluice_batch *b, sluice_error *err);
sluice_status sp_finish_table(sinkpg *s, const sluice_table *t, sluice_error *err);
/* Abandons a COPY in progress (its rows are not committed). */
void sp_copy_abort(sinkpg *s);

/* ---- native.c: ABI 1.3 ---- */

/* `offered` when the target's column types are the source's exactly, else NONE. */
uint32_t sp_native_format(sinkpg *s, const sluice_table *t, uint32_t offered);
/* The binary COPY header (signature, flags, no extension). */
void sp_native_header(sbuf *out);
/* A row of NATIVE or NULL values as a binary COPY tuple: -1 when done, -2 when out of
   memory, else the index of a value of another kind. */
int sp_native_put_row(sbuf *out, const sluice_value *row, uint32_t ncolumns);
/* A native batch's rows as text, the target converting them, for the rows one by one
   of error_policy = record; rows it cannot read are recorded as rejected (op SKIP). */
typedef struct sp_text_rows {
    sluice_batch batch; /* the batch with the events below */
    sluice_event *events;
    sluice_value *values;
    sbuf text;
} sp_text_rows;
sluice_status sp_native_as_text(sinkpg *s, sp_table *tt, const sluice_batch *b,
                                sp_text_rows *tr, sluice_error *err);
void sp_text_rows_free(sp_text_rows *tr);

/* ---- pipe.c ---- */

sluice_status sp_pipe_enter(sinkpg *s, sluice_error *err);
/* Queues an item; the statement must have been sent just before. */
sluice_status sp_pipe_push(sinkpg *s, sp_item item, sluice_error *err);
/* A parameterless command in the pipeline (BEGIN, COMMIT, TRUNCATE ...). */
sluice_status sp_pipe_command(sinkpg *s, const char *sql, const char *label, uint32_t slot,
                              sluice_error *err);
/*
 * Syncs, checks every queued result in order, leaves pipeline mode. With
 * error_policy = record, a row the target rejects is recorded (errors.c), the
 * rows are rolled back to a savepoint before it, and those of them that were
 * not rejected are sent again; it returns once every queued row is settled.
 */
sluice_status sp_pipe_finish(sinkpg *s, sluice_error *err);
/* Record: sp_pipe_finish when rows are queued, before anything but rows is queued. */
sluice_status sp_pipe_settle(sinkpg *s, sluice_error *err);
/* Record: what goes before a row (the window's savepoint, or the row's own) and after it. */
sluice_status sp_pipe_row_begin(sinkpg *s, uint32_t slot, const sp_origin *o, sluice_error *err);
sluice_status sp_pipe_row_end(sinkpg *s, uint32_t slot, const sp_origin *o, sluice_error *err);
/* After a failure: reads and drops every queued result, leaves pipeline mode. */
void sp_pipe_drain(sinkpg *s);
/* Queued statements past which apply syncs, to bound memory on both sides. */
#define SP_PIPE_WINDOW 2000u
/*
 * Record, rows one by one after a refused COPY: a smaller window, as a
 * rejected row is certain there and costs re-running its window's rows
 * before it; the transaction is one batch, short, so its savepoints are few.
 */
#define SP_FALLBACK_WINDOW 256u
void sp_pipe_free(sp_pipe *p);

/* ---- stmt.c ---- */

/*
 * Sends one row change (prepares its statement first when new). With
 * error_policy = record the row goes under a savepoint (pipe.c), and a value
 * no statement can carry (a NUL byte) is recorded as rejected here.
 */
sluice_status sp_send_row(sinkpg *s, sp_table *tt, const sluice_event *e, const sp_origin *o,
                          sluice_error *err);
/* The statement for (op, mask, multi), found or prepared in the pipeline; NULL with err set. */
sp_stmt *sp_statement(sinkpg *s, sp_table *tt, sp_op op, const uint8_t *mask, int multi,
                      const sp_origin *o, sluice_error *err);
/* The value that finds the row for key column i (the old key when the source sent it). */
const sluice_value *sp_key_value(const sp_table *tt, const sluice_event *e, uint32_t i);
/* The row's operation. */
sp_op sp_op_of(const sluice_event *e);

/* ---- batch.c, batchsql.c: multi-row statements ---- */

/*
 * A row change of the open source transaction: joins its table's run (sent
 * later as one statement with the run's other rows), or goes out as a single
 * statement after whatever must precede it.
 */
sluice_status sp_batch_row(sinkpg *s, sp_table *tt, const sluice_event *e, const sp_origin *o,
                           sluice_error *err);
/* Sends every pending run, in the order required (pipe.c calls it before a sync or command). */
sluice_status sp_batch_flush(sinkpg *s, sluice_error *err);
/* Rows waiting in runs. */
int sp_batch_pending(const sinkpg *s);
/* The sync was read: forgets the rows of the multi-row statements sent before it. */
void sp_batch_sent(sinkpg *s);
/* After a failure: drops pending runs unsent. */
void sp_batch_discard(sinkpg *s);
void sp_batch_free(sp_pipe *p);

/* What batch.c knows of a target table (batchsql.c looks it up once per shape). */
typedef struct sp_tinfo {
    const sluice_table *shape; /* looked up for this shape; NULL: not yet */
    int usable;        /* every column found at the target: multi-row statements can be built */
    int ordered;       /* foreign keys, triggers or rules: its changes never move across others */
    int update_ok;     /* no unique index or exclusion constraint but the primary key */
    char **types;      /* per column: its target type, schema-qualified, without typmod */
    uint32_t ncolumns;
} sp_tinfo;

/* Fills info for tt's current shape (a query: the pipeline must be idle). */
sluice_status sp_tinfo_lookup(sinkpg *s, sp_table *tt, sp_tinfo *info, sluice_error *err);
void sp_tinfo_clear(sp_tinfo *info);
/* The SQL text of a multi-row statement (st->param_cols filled as in build_sql). */
void sp_multi_sql(sbuf *q, const sp_table *tt, const sp_tinfo *info, sp_stmt *st);
/* stmt.c: "INSERT INTO t (a, b" for the statement's columns, filling its param_cols. */
void sp_insert_head(sbuf *q, const sp_table *tt, sp_stmt *st);
/* Each parameter of st as a text array literal over the rows, into s->params. */
sluice_status sp_multi_params(sinkpg *s, sp_table *tt, const sp_stmt *st, const sp_entry *rows,
                              uint32_t n, sluice_error *err);
/* The table info batch.c keeps for tt (NULL when none). */
const sp_tinfo *sp_batch_info(const sinkpg *s, const sp_table *tt);

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

/* ---- errors.c: error_policy = record ---- */

/* Why a row was rejected: the server's fields, or ours for a value refused before sending. */
typedef struct sp_why {
    const char *sqlstate, *message, *detail; /* sqlstate and detail may be NULL */
} sp_why;

/* Splits the errors_table option; at open. */
sluice_status sp_errors_init(sinkpg *s, sluice_error *err);
/* Creates the errors table when it is missing. */
sluice_status sp_errors_ensure(sinkpg *s, sluice_status st, sluice_error *err);
/* Deletes the table's recorded rows (a reload starts from nothing); in the open transaction. */
sluice_status sp_errors_purge(sinkpg *s, const sp_table *tt, sluice_error *err);
/* True when the policy is record and the server's error is about the row's data. */
int sp_rejectable(const sinkpg *s, const PGresult *res);
/* Keeps a rejected row for the errors table; FATAL past error_threshold. The pipeline is idle. */
sluice_status sp_reject(sinkpg *s, sp_table *tt, const sluice_event *e, const sp_origin *o,
                        const sp_why *why, sluice_error *err);
/* A source COMMIT: gives its position to the rows of its transaction, now or when found. */
sluice_status sp_errors_commit_seen(sinkpg *s, uint64_t seq, const sluice_position *pos,
                                    sluice_error *err);
/* Queues the kept rows' INSERTs into the errors table (settles the pipeline first). */
sluice_status sp_errors_send(sinkpg *s, sluice_error *err);
/* The transaction ended (committed or not): forget kept rows and counts. */
void sp_errors_reset(sinkpg *s);
void sp_errors_free(sinkpg *s);
void sp_errors_display(const sinkpg *s, char *buf, size_t size);

/* ---- indexes.c, sequences.c: ABI 1.2 ---- */

/* prepare_table created the table: record its indexes to build once it is loaded
   (in the transaction that created it). */
sluice_status sp_indexes_record(sinkpg *s, const sp_table *tt, const sluice_table *t,
                                sluice_error *err);
/* table_loaded: builds the table's recorded indexes and forgets them. */
sluice_status sp_table_loaded(sinkpg *s, const sluice_table *t, sluice_error *err);
/* cleanup: drops the pending-index table. */
sluice_status sp_indexes_cleanup(sinkpg *s, sluice_error *err);
sluice_status sp_set_sequences(sinkpg *s, const sluice_sequence *seqs, uint32_t n,
                               uint32_t sequence_size, sluice_error *err);

/* ---- small shared helpers ---- */

/*
 * A "schema.table" option (a name without a dot goes into schema sluice): its
 * parts and the quoted name, all allocated. FATAL for an empty part.
 */
sluice_status sp_table_option(sinkpg *s, const char *option, const char *value, char **schema,
                              char **name, char **qname, sluice_error *err);

/* Makes room for n parameters in the scratch arrays; -1 when out of memory. */
int sp_params_reserve(sinkpg *s, uint32_t n);
int64_t sp_now_us(void);
sluice_status sp_oom(sinkpg *s, sluice_error *err);

#endif
