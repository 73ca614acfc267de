/*
 * pgoutput.h: a pure decoder for PostgreSQL 15 logical replication bytes.
 *
 * Two layers, both pure (no libpq, no I/O, no allocation, no global state):
 *
 *  1. The CopyBoth envelope (PROTOCOL-FACTS 1.4): pgo_parse_copy() splits one
 *     CopyData buffer from PQgetCopyData into 'w' XLogData (whose payload is a
 *     pgoutput message) or 'k' primary keepalive. pgo_encode_standby_status()
 *     writes the 34-byte 'r' standby status update we send back.
 *
 *  2. pgoutput messages (PROTOCOL-FACTS 1.5), proto_version 1 and 2 with
 *     streaming 'on': pgo_decode() turns one message into a pgo_msg. Every
 *     string, tuple and byte run in the result is a view into the caller's
 *     input buffer (zero copy): keep the buffer alive (do not PQfreemem it)
 *     while you look at the pgo_msg, and copy what you must keep.
 *
 * Typical streaming loop:
 *
 *     pgo_decoder dec;
 *     pgo_decoder_init(&dec, 2);
 *     ... n = PQgetCopyData(conn, &buf, 1) ...
 *     pgo_copy_msg cm; pgo_msg m; pgo_error err;
 *     if (pgo_parse_copy(buf, n, &cm, &err) != PGO_OK) fail(err.msg);
 *     if (cm.kind == PGO_COPY_XLOGDATA &&
 *         pgo_decode(&dec, cm.data, cm.len, &m, &err) != PGO_OK) fail(err.msg);
 *     switch (m.type) { case PGO_MSG_INSERT: iterate m.u.change.newtup ... }
 *
 * Safety: every read is bounds-checked. A truncated or malformed input (short
 * buffer, negative or oversized length, unknown type or tag byte, string
 * without its NUL, column count that disagrees with the RELATION, bytes left
 * over at the end, stream messages out of order) returns a negative
 * pgo_status and fills pgo_error with a one-line message naming the message,
 * the field and the byte offset. The decoder never reads outside [buf, buf+len).
 * A failed pgo_decode leaves the decoder unchanged, but the stream is then
 * out of step: treat the replication connection as broken and start over
 * (new connection, fresh decoder).
 *
 * Integers on the wire are big-endian. LSNs are uint64. Times are signed
 * microseconds since 2000-01-01 UTC (PostgreSQL epoch); convert them with
 * pgo_time_to_unix_us().
 */
#ifndef SLUICE_PGOUTPUT_H
#define SLUICE_PGOUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- results and errors ---- */

typedef enum pgo_status {
    PGO_OK = 0,
    PGO_ERR_TRUNCATED = -1, /* the buffer ends before the field does (or a string's NUL) */
    PGO_ERR_MALFORMED = -2, /* a bad value: negative length or count, bad tag or flag byte */
    PGO_ERR_UNKNOWN_TYPE = -3, /* unknown message type byte (also proto 3's two-phase ones) */
    PGO_ERR_TRAILING = -4,  /* bytes left over after a complete message */
    PGO_ERR_NCOLS = -5,     /* tuple column count differs from the RELATION's */
    PGO_ERR_STATE = -6,     /* message not allowed here: S inside a stream, E outside, ... */
    PGO_ERR_ARG = -7        /* bad argument from the caller (NULL, unsupported proto) */
} pgo_status;

#define PGO_ERROR_MSG_MAX 200

typedef struct pgo_error {
    pgo_status code;
    size_t offset;                /* byte offset into the decoded buffer */
    char msg[PGO_ERROR_MSG_MAX];  /* e.g. "pgoutput INSERT: tuple column 3: text length -5 is
                                     negative at byte 19"; always NUL-terminated */
} pgo_error;

/* A short, stable name for a status ("truncated", "malformed", ...). */
const char *pgo_status_name(pgo_status s);

/* ---- views into the input buffer ---- */

/*
 * A length-delimited view. For strings decoded from the wire (names, prefixes)
 * ptr[len] is the NUL the server sent, so ptr is also a valid C string.
 */
typedef struct pgo_str {
    const char *ptr;
    size_t len;
} pgo_str;

/* ---- layer 1: the CopyBoth envelope ---- */

typedef enum pgo_copy_kind {
    PGO_COPY_XLOGDATA = 'w',  /* carries one pgoutput message */
    PGO_COPY_KEEPALIVE = 'k'  /* primary keepalive; answer it when reply_requested */
} pgo_copy_kind;

#define PGO_XLOGDATA_HEADER_LEN 25  /* 'w' + 3 x Int64: data offset of a payload */
#define PGO_KEEPALIVE_LEN 18        /* 'k' + 2 x Int64 + Byte1 */
#define PGO_STANDBY_STATUS_LEN 34   /* 'r' + 4 x Int64 + Byte1 */

typedef struct pgo_copy_msg {
    char kind;             /* pgo_copy_kind */
    uint64_t wal_start;    /* 'w' only: dataStart. 0/0 for R and Y messages: never use it
                              as a position (PROTOCOL-FACTS 1.4) */
    uint64_t wal_end;      /* 'w' and 'k' */
    int64_t send_time;     /* 'w' and 'k': PostgreSQL-epoch µs */
    bool reply_requested;  /* 'k' only */
    const uint8_t *data;   /* 'w' only: the pgoutput message, inside the input buffer */
    size_t len;            /* 'w' only: its length (may be 0: pgo_decode reports truncation) */
} pgo_copy_msg;

/*
 * Parse one CopyData buffer. 'w' needs at least the 25-byte header; 'k' must be
 * exactly 18 bytes and its reply flag 0 or 1. Error offsets count from buf[0].
 */
pgo_status pgo_parse_copy(const void *buf, size_t len, pgo_copy_msg *out, pgo_error *err);

/*
 * Write the 'r' standby status update into buf: write, flush and apply LSNs,
 * the client clock now_pg_us (PostgreSQL-epoch µs; pgo_time_from_unix_us) and
 * whether we ask the server to reply at once. Returns the bytes written
 * (PGO_STANDBY_STATUS_LEN), or 0 when buf is NULL or cap is too small.
 * Send it with PQputCopyData + PQflush.
 */
size_t pgo_encode_standby_status(void *buf, size_t cap, uint64_t write_lsn, uint64_t flush_lsn,
                                 uint64_t apply_lsn, int64_t now_pg_us, bool reply_requested);

/* ---- layer 2: pgoutput messages ---- */

typedef enum pgo_msg_type {
    PGO_MSG_BEGIN = 'B',
    PGO_MSG_COMMIT = 'C',
    PGO_MSG_ORIGIN = 'O',
    PGO_MSG_RELATION = 'R',
    PGO_MSG_TYPE = 'Y',
    PGO_MSG_INSERT = 'I',
    PGO_MSG_UPDATE = 'U',
    PGO_MSG_DELETE = 'D',
    PGO_MSG_TRUNCATE = 'T',
    PGO_MSG_MESSAGE = 'M',
    PGO_MSG_STREAM_START = 'S',
    PGO_MSG_STREAM_STOP = 'E',
    PGO_MSG_STREAM_COMMIT = 'c',
    PGO_MSG_STREAM_ABORT = 'A'
} pgo_msg_type;

/* The message's name for logs and errors: "INSERT", "STREAM COMMIT"; "unknown" otherwise. */
const char *pgo_msg_type_name(int type);

/* Tuple column kinds, as the wire spells them. */
typedef enum pgo_value_kind {
    PGO_VALUE_NULL = 'n',      /* SQL NULL, or "not sent" for the non-key columns of a 'K'
                                  old-key tuple (PROTOCOL-FACTS 1.5) */
    PGO_VALUE_UNCHANGED = 'u', /* unchanged out-of-line TOAST: keep the target's value;
                                  never NULL (maps to SLUICE_VALUE_UNCHANGED) */
    PGO_VALUE_TEXT = 't',      /* the type's text output */
    PGO_VALUE_BINARY = 'b'     /* the type's send() format (binary 'true') */
} pgo_value_kind;

/* One column of a tuple. data/len are set for TEXT and BINARY only (NULL/0 otherwise). */
typedef struct pgo_value {
    char kind;          /* pgo_value_kind */
    uint32_t len;       /* bytes at data; <= INT32_MAX */
    const char *data;   /* into the input buffer; not NUL-terminated */
} pgo_value;

/*
 * A TupleData block, already validated by pgo_decode: walking it with
 * pgo_tuple_next() cannot fail and never leaves the buffer.
 */
typedef struct pgo_tuple {
    uint16_t ncols;       /* 0 when the message has no such tuple */
    const uint8_t *cols;  /* the first column's kind byte */
    size_t len;           /* bytes of all columns */
} pgo_tuple;

typedef struct pgo_tuple_iter {
    const uint8_t *p, *end;
    uint32_t left;
} pgo_tuple_iter;

void pgo_tuple_iter_init(pgo_tuple_iter *it, const pgo_tuple *t);
/* The next column into *out; false after the last one. */
bool pgo_tuple_next(pgo_tuple_iter *it, pgo_value *out);
/* Fill up to cap values in column order; returns how many were written. */
size_t pgo_tuple_values(const pgo_tuple *t, pgo_value *out, size_t cap);

/* RELATION column: flags bit 1 = part of the replica identity key. */
#define PGO_RELCOL_KEY 0x1u

typedef struct pgo_relcol {
    uint8_t flags;     /* PGO_RELCOL_* */
    pgo_str name;
    uint32_t type_oid;
    int32_t typmod;    /* -1 when none */
} pgo_relcol;

/* REPLICA IDENTITY settings as the RELATION message spells them. */
#define PGO_REPLIDENT_DEFAULT 'd'
#define PGO_REPLIDENT_NOTHING 'n'
#define PGO_REPLIDENT_FULL 'f'
#define PGO_REPLIDENT_INDEX 'i'

typedef struct pgo_relation {
    uint32_t relid;
    pgo_str nspname;
    pgo_str relname;
    char replident;       /* PGO_REPLIDENT_* */
    uint16_t ncols;
    const uint8_t *cols;  /* the first column's flags byte; walk with pgo_relcol_next */
    size_t cols_len;
} pgo_relation;

typedef struct pgo_relcol_iter {
    const uint8_t *p, *end;
    uint32_t left;
} pgo_relcol_iter;

void pgo_relcol_iter_init(pgo_relcol_iter *it, const pgo_relation *r);
/* The next column into *out; false after the last one. Cannot fail (validated). */
bool pgo_relcol_next(pgo_relcol_iter *it, pgo_relcol *out);

/* INSERT, UPDATE and DELETE. */
typedef struct pgo_change {
    uint32_t relid;
    char old_kind;     /* 'K' old key, 'O' old full row (REPLICA IDENTITY FULL), 0: none */
    bool has_new;      /* INSERT and UPDATE: true; DELETE: false */
    pgo_tuple oldtup;  /* when old_kind != 0 */
    pgo_tuple newtup;  /* when has_new */
} pgo_change;

/* TRUNCATE options */
#define PGO_TRUNCATE_CASCADE 0x1u
#define PGO_TRUNCATE_RESTART_IDENTITY 0x2u

typedef struct pgo_truncate {
    uint32_t nrels;
    uint8_t options;        /* PGO_TRUNCATE_* */
    const uint8_t *relids;  /* nrels big-endian Int32; read with pgo_truncate_relid */
} pgo_truncate;

/* The i-th truncated relation OID; 0 when i >= nrels. */
uint32_t pgo_truncate_relid(const pgo_truncate *t, uint32_t i);

/* MESSAGE flags */
#define PGO_MESSAGE_TRANSACTIONAL 0x1u

typedef struct pgo_msg {
    char type;       /* pgo_msg_type */
    bool streamed;   /* a data message inside a stream block: xid came with it */
    uint32_t xid;    /* BEGIN, STREAM START/STOP/COMMIT/ABORT (STOP: the block's xid,
                        from the decoder), and streamed messages (there it may be a
                        subtransaction's xid); else 0 */
    union {
        struct {
            uint64_t final_lsn;   /* the commit's LSN */
            int64_t commit_time;  /* PostgreSQL-epoch µs */
        } begin;
        struct {                  /* COMMIT and STREAM COMMIT */
            uint8_t flags;        /* 0 on PG15 */
            uint64_t commit_lsn;
            uint64_t end_lsn;     /* confirm this as flushed once the txn is durable */
            int64_t commit_time;
        } commit;
        struct {
            uint64_t commit_lsn;
            pgo_str name;
        } origin;
        pgo_relation relation;
        struct {
            uint32_t oid;
            pgo_str nspname;
            pgo_str typname;
        } type;
        pgo_change change;        /* INSERT, UPDATE, DELETE */
        pgo_truncate truncate;
        struct {
            uint8_t flags;        /* PGO_MESSAGE_TRANSACTIONAL */
            uint64_t lsn;
            pgo_str prefix;
            pgo_str content;      /* raw bytes, not NUL-terminated; len may be 0 */
        } message;
        struct {
            bool first_segment;   /* first chunk of this xid */
        } stream_start;
        struct {
            uint32_t subxid;      /* == xid when the whole transaction aborts */
        } stream_abort;
    } u;
} pgo_msg;

/*
 * Optional column-count check: given a relid, return the column count of the
 * last RELATION you saw for it, or -1 when unknown (no check). Called from
 * pgo_decode for INSERT/UPDATE/DELETE tuples.
 */
typedef int (*pgo_ncols_fn)(void *ctx, uint32_t relid);

/*
 * Caller-owned decoder state. The only state is whether we are inside a
 * stream block (between STREAM START and STREAM STOP): there, data messages
 * carry an xid after their type byte. pgo_decode keeps it up to date.
 */
typedef struct pgo_decoder {
    int proto_version;      /* 1 or 2 */
    bool in_stream;         /* between 'S' and 'E' */
    uint32_t stream_xid;    /* the xid of the open stream block */
    pgo_ncols_fn ncols_fn;  /* optional, may be NULL */
    void *ncols_ctx;
} pgo_decoder;

/* Zero the decoder and set the protocol version (1 or 2). PGO_ERR_ARG otherwise. */
pgo_status pgo_decoder_init(pgo_decoder *dec, int proto_version);

/*
 * Decode one pgoutput message (the payload of a 'w'). On success fills *out
 * (views into buf) and updates dec->in_stream on 'S'/'E'. Stream ordering
 * rules checked: S only outside a block, E only inside, B/C/O/c/A only
 * outside, streaming messages only with proto 2. The whole buffer must be one
 * message. Error offsets count from buf[0]; add PGO_XLOGDATA_HEADER_LEN for an
 * offset into the CopyData. err may be NULL.
 */
pgo_status pgo_decode(pgo_decoder *dec, const void *buf, size_t len, pgo_msg *out,
                      pgo_error *err);

/* ---- LSNs and times ---- */

#define PGO_LSN_BUFSIZE 18 /* "FFFFFFFF/FFFFFFFF" + NUL */

/*
 * Format an LSN like PostgreSQL ("16/B374D848", upper-case hex, no padding).
 * Writes at most cap bytes, always NUL-terminated when cap > 0; returns the
 * length of the full text (as snprintf does).
 */
size_t pgo_lsn_format(uint64_t lsn, char *buf, size_t cap);

/*
 * Parse "X/Y" (1 to 8 hex digits each, either case, nothing else) into *out.
 * Returns true on success; false leaves *out unchanged.
 */
bool pgo_lsn_parse(const char *s, uint64_t *out);

/* The time from 1970-01-01 to 2000-01-01 UTC, in µs. */
#define PGO_EPOCH_OFFSET_US INT64_C(946684800000000)

/* PostgreSQL-epoch µs to Unix-epoch µs and back, saturating at the int64 range. */
int64_t pgo_time_to_unix_us(int64_t pg_us);
int64_t pgo_time_from_unix_us(int64_t unix_us);

#ifdef __cplusplus
}
#endif
#endif
