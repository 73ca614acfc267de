/*
 * mybl: a decoder for MariaDB / MySQL binary log events (docs/mysql-binlog.md).
 *
 * Pure: no libmariadb, no I/O, no global state. Feed it one whole event at a
 * time (common header first, checksum included) as the server sends it: from
 * mariadb_rpl_fetch (ev->raw_data + 1, raw_data_size - 1: skip the OK byte), a
 * raw COM_BINLOG_DUMP packet (the same, after the 0x00 byte) or a binlog file
 * (after its 4-byte magic, event after event). It keeps what the stream needs
 * across events: the checksum algorithm and post-header lengths of the last
 * FORMAT_DESCRIPTION, the current file name, and the TABLE_MAP cache.
 *
 *     mybl_decoder *dec = mybl_new();
 *     mybl_event ev; mybl_error err;
 *     if (mybl_feed_event(dec, bytes, len, &ev, &err) != 0) fail(&err);
 *     if (mybl_is_rows(ev.type)) {
 *         const mybl_row *before, *after;
 *         while ((rc = mybl_next_row(dec, &before, &after, &err)) == 1) ...
 *     }
 *
 * Lifetime: strings in an event point into the bytes fed (keep them until the
 * next feed) or into the decoder (inflated compressed events); rows and their
 * values stay valid until the next mybl_next_row or mybl_feed_event. A table
 * map stays valid until a TABLE_MAP with its table id replaces it or a
 * FORMAT_DESCRIPTION (start of a binlog file) clears the cache.
 *
 * Safety: every length and offset is checked against the event; malformed
 * bytes give -1 and an error naming the event type, its position, the table
 * and the column, never a read outside the bytes fed.
 */
#ifndef SLUICE_MYBL_H
#define SLUICE_MYBL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mybl_decoder mybl_decoder;

/* ---- event types (MySQL's numbering; 160+ are MariaDB's) ---- */
enum {
    MYBL_QUERY = 2,
    MYBL_STOP = 3,
    MYBL_ROTATE = 4,
    MYBL_INTVAR = 5,
    MYBL_RAND = 13,
    MYBL_USER_VAR = 14,
    MYBL_FORMAT_DESCRIPTION = 15,
    MYBL_XID = 16,
    MYBL_TABLE_MAP = 19,
    MYBL_WRITE_ROWS_V1 = 23,
    MYBL_UPDATE_ROWS_V1 = 24,
    MYBL_DELETE_ROWS_V1 = 25,
    MYBL_HEARTBEAT = 27,
    MYBL_ROWS_QUERY = 29,
    MYBL_WRITE_ROWS_V2 = 30,
    MYBL_UPDATE_ROWS_V2 = 31,
    MYBL_DELETE_ROWS_V2 = 32,
    MYBL_MYSQL_GTID = 33,
    MYBL_MYSQL_ANONYMOUS_GTID = 34,
    MYBL_PREVIOUS_GTIDS = 35,
    MYBL_PARTIAL_UPDATE_ROWS = 39,
    MYBL_TRANSACTION_PAYLOAD = 40,
    MYBL_HEARTBEAT_V2 = 41,
    MYBL_ANNOTATE_ROWS = 160,
    MYBL_BINLOG_CHECKPOINT = 161,
    MYBL_MARIADB_GTID = 162,
    MYBL_GTID_LIST = 163,
    MYBL_START_ENCRYPTION = 164,
    MYBL_QUERY_COMPRESSED = 165,
    MYBL_WRITE_ROWS_COMPRESSED_V1 = 166,
    MYBL_UPDATE_ROWS_COMPRESSED_V1 = 167,
    MYBL_DELETE_ROWS_COMPRESSED_V1 = 168,
    MYBL_WRITE_ROWS_COMPRESSED_V2 = 169,
    MYBL_UPDATE_ROWS_COMPRESSED_V2 = 170,
    MYBL_DELETE_ROWS_COMPRESSED_V2 = 171
};

/* ---- column type codes as TABLE_MAP writes them ---- */
enum {
    MYBL_T_DECIMAL = 0, MYBL_T_TINY = 1, MYBL_T_SHORT = 2, MYBL_T_LONG = 3, MYBL_T_FLOAT = 4,
    MYBL_T_DOUBLE = 5, MYBL_T_NULL = 6, MYBL_T_TIMESTAMP = 7, MYBL_T_LONGLONG = 8,
    MYBL_T_INT24 = 9, MYBL_T_DATE = 10, MYBL_T_TIME = 11, MYBL_T_DATETIME = 12,
    MYBL_T_YEAR = 13, MYBL_T_NEWDATE = 14, MYBL_T_VARCHAR = 15, MYBL_T_BIT = 16,
    MYBL_T_TIMESTAMP2 = 17, MYBL_T_DATETIME2 = 18, MYBL_T_TIME2 = 19, MYBL_T_JSON = 245,
    MYBL_T_NEWDECIMAL = 246, MYBL_T_ENUM = 247, MYBL_T_SET = 248, MYBL_T_TINY_BLOB = 249,
    MYBL_T_MEDIUM_BLOB = 250, MYBL_T_LONG_BLOB = 251, MYBL_T_BLOB = 252,
    MYBL_T_VAR_STRING = 253, MYBL_T_STRING = 254, MYBL_T_GEOMETRY = 255
};

/* A view: into the bytes fed or into the decoder. Not NUL-terminated. */
typedef struct mybl_str {
    const char *ptr;
    size_t len;
} mybl_str;

/* message / detail / hint, like sluice_error (copy them into one with host->error). */
typedef struct mybl_error {
    char message[256];
    char detail[512];
    char hint[256];
} mybl_error;

/* ---- caller-supplied column facts (information_schema) ----
   TABLE_MAP does not say everything: without binlog_row_metadata=FULL it has
   no signedness or charset, and MariaDB's UUID / INET6 / INET4 look like
   BINARY(n) in it. A hint set for db.table applies to every TABLE_MAP of it
   (a later call replaces it). */
#define MYBL_HINT_UNSIGNED 0x01u /* integer column is UNSIGNED */
#define MYBL_HINT_BINARY 0x02u   /* string column holds bytes (BINARY, VARBINARY, BLOB) */
#define MYBL_HINT_TEXT 0x04u     /* string column holds UTF-8 text */
#define MYBL_HINT_UUID 0x08u     /* MariaDB UUID: 16 bytes in its record order */
#define MYBL_HINT_INET6 0x10u    /* MariaDB INET6: 16 bytes */
#define MYBL_HINT_INET4 0x20u    /* MariaDB INET4: 4 bytes */
#define MYBL_HINT_LATIN1 0x40u   /* string column is latin1 text (converted to UTF-8) */

/* ---- table maps ---- */

typedef struct mybl_column {
    uint8_t type;       /* MYBL_T_*, as TABLE_MAP has it */
    uint8_t real_type;  /* STRING's real type: STRING, ENUM or SET; else = type */
    uint16_t meta;      /* the type's metadata, decoded (see mybl_column_*) */
    uint16_t meta2;     /* second metadata number: STRING max bytes, NEWDECIMAL scale,
                           BIT bytes */
    uint8_t nullable;
    uint8_t is_unsigned;   /* from SIGNEDNESS or a hint */
    uint8_t key;           /* in the primary key (optional metadata) */
    uint8_t geometry_type;
    uint32_t collation;    /* 0 when unknown; 63 = binary */
    uint32_t hint;         /* MYBL_HINT_* */
    mybl_str name;         /* empty without binlog_row_metadata=FULL */
    uint32_t nlabels;      /* ENUM / SET labels (binlog_row_metadata=FULL) */
    mybl_str *labels;
} mybl_column;

typedef struct mybl_table {
    uint64_t table_id;
    uint16_t flags;
    mybl_str db;
    mybl_str name;
    uint32_t ncols;
    mybl_column *cols;
    int has_names;      /* optional metadata had COLUMN_NAME */
    int has_signedness; /* optional metadata had SIGNEDNESS */
    int has_charsets;   /* optional metadata had DEFAULT_/COLUMN_CHARSET */
} mybl_table;

/* The cached TABLE_MAP for table_id, or NULL. */
const mybl_table *mybl_table_by_id(const mybl_decoder *dec, uint64_t table_id);

/* ---- values ---- */

typedef enum mybl_value_kind {
    MYBL_V_ABSENT = 0, /* not in this image (binlog_row_image MINIMAL / NOBLOB) */
    MYBL_V_NULL = 1,
    MYBL_V_INT = 2,    /* i: signed integer */
    MYBL_V_UINT = 3,   /* u: unsigned integer */
    MYBL_V_TEXT = 4,   /* s: canonical text (UTF-8 for character columns) */
    MYBL_V_BYTES = 5   /* s: raw bytes (binary strings, BLOB, GEOMETRY) */
} mybl_value_kind;

/* mybl_value.flags */
#define MYBL_VF_ENUM_INDEX 0x01u  /* ENUM without labels: text is the 1-based index */
#define MYBL_VF_SET_BITS 0x02u    /* SET without labels: text is the bitmask */
#define MYBL_VF_ZERO_DATE 0x04u   /* a zero or partly zero date ('0000-00-00 ...') */
#define MYBL_VF_CHARSET 0x08u     /* text in a charset the decoder does not convert
                                     (collation in the column): bytes as stored */
#define MYBL_VF_JSON 0x10u        /* MySQL binary JSON decoded to JSON text */

typedef struct mybl_value {
    uint8_t kind;   /* mybl_value_kind */
    uint8_t flags;  /* MYBL_VF_* */
    int64_t i;
    uint64_t u;
    mybl_str s;
} mybl_value;

typedef struct mybl_row {
    uint32_t ncols;
    mybl_value *values; /* ncols of them, in column order */
} mybl_row;

/* Text of any non-null value (INT / UINT printed, TEXT as is, BYTES as is):
   into buf, NUL-terminated, cut to size; returns the full length. */
size_t mybl_value_text(const mybl_value *v, char *buf, size_t size);

/* ---- events ---- */

typedef enum mybl_row_op { MYBL_OP_INSERT = 1, MYBL_OP_UPDATE = 2, MYBL_OP_DELETE = 3 } mybl_row_op;

typedef struct mybl_event {
    uint8_t type;
    const char *type_name;  /* "WRITE_ROWS_V1", "GTID(MariaDB)", "unknown" */
    uint32_t timestamp;
    uint32_t server_id;
    uint32_t size;          /* the whole event, checksum included */
    uint32_t next_pos;      /* log_pos: where the next event starts (0 for some artificial ones) */
    uint16_t flags;
    union {
        struct { uint64_t pos; mybl_str file; } rotate;  /* also HEARTBEAT: file, pos = next_pos */
        struct { uint16_t binlog_version; char server_version[51]; uint8_t checksum_alg; } fde;
        struct {
            uint32_t thread_id, exec_time;
            uint16_t error_code;
            mybl_str db, sql;
        } query;
        struct { uint64_t xid; } xid;
        struct {
            uint64_t seq_no, commit_id;
            uint32_t domain_id;
            uint8_t flags;    /* MYBL_GTID_* */
        } gtid;               /* MariaDB GTID: domain-server_id-seq_no; a transaction begins */
        struct { uint32_t count; mybl_str text; } gtid_list; /* "0-1-5,1-2-9"; PREVIOUS_GTIDS: MySQL set */
        struct { mybl_str text; } annotate;                  /* ANNOTATE_ROWS, ROWS_QUERY */
        struct { mybl_str file; } checkpoint;
        struct {
            uint8_t flags;
            uint8_t sid[16];
            int64_t gno, last_committed, sequence_number;
            mybl_str text; /* "uuid:gno" */
        } mysql_gtid;
        const mybl_table *table_map;
        struct {
            const mybl_table *table;
            mybl_row_op op;
            uint16_t flags;    /* bit 0: end of statement */
            uint32_t ncols;
            uint32_t nrows_hint; /* 0: count by iterating */
        } rows;
    } u;
} mybl_event;

/* MariaDB GTID flags */
#define MYBL_GTID_STANDALONE 0x01u   /* no XID follows: DDL or non-transactional */
#define MYBL_GTID_GROUP_COMMIT_ID 0x02u
#define MYBL_GTID_TRANSACTIONAL 0x04u
#define MYBL_GTID_DDL 0x20u

/* Checksum handling; the FORMAT_DESCRIPTION event sets it. Before the first
   one (an artificial ROTATE), AUTO accepts an event whose last 4 bytes are a
   matching CRC32 and otherwise takes it as unchecksummed. */
typedef enum mybl_checksum { MYBL_CHECKSUM_AUTO = -1, MYBL_CHECKSUM_OFF = 0, MYBL_CHECKSUM_CRC32 = 1 } mybl_checksum;

mybl_decoder *mybl_new(void);
void mybl_free(mybl_decoder *dec);
void mybl_set_checksum(mybl_decoder *dec, mybl_checksum alg);
/* Facts for db.table's columns (MYBL_HINT_* per column); 0, or -1 out of memory. */
int mybl_set_table_hints(mybl_decoder *dec, const char *db, const char *table, uint32_t ncols,
                         const uint32_t *hints);
/* The binlog file the next event belongs to (for messages); ROTATE updates it. */
void mybl_set_file(mybl_decoder *dec, const char *file);

/* Decode one event. 0, or -1 with err filled. */
int mybl_feed_event(mybl_decoder *dec, const void *bytes, size_t len, mybl_event *ev,
                    mybl_error *err);

/* The next row of the last rows event: 1 and the images (before: UPDATE and
   DELETE, after: WRITE and UPDATE, else NULL), 0 after the last row, -1 on
   malformed bytes (err filled). */
int mybl_next_row(mybl_decoder *dec, const mybl_row **before, const mybl_row **after,
                  mybl_error *err);

int mybl_is_rows(uint8_t type);
const char *mybl_event_name(uint8_t type);
const char *mybl_type_name(uint8_t type);

#ifdef __cplusplus
}
#endif
#endif
