/*
 * mgconv: BSON values to sluice's canonical text (docs/source-mongo.md,
 * "Types"). No sluice host is needed, so the conversion is tested on its own
 * (tests/mongo/convert_test.c) with documents libbson builds.
 *
 * Two forms:
 *   - JSON: relaxed Extended JSON v2 (what mongoexport writes), with the types
 *     JSON has no exact form for kept as their Extended JSON wrappers, so no
 *     value changes: {"$oid": ...}, {"$numberDecimal": "..."} (exact digits),
 *     {"$date": "...Z"} (milliseconds), {"$binary": ...}, {"$timestamp": ...},
 *     {"$minKey": 1}. 32- and 64-bit integers are plain JSON numbers (exact in
 *     jsonb, which stores numbers as numeric); doubles are the shortest text
 *     that reads back the same double.
 *   - scalar: a top-level field in a column of its own type: integers in the
 *     INT fast path, ObjectId as 24 hex digits, dates as timestamptz text with
 *     milliseconds, binary as \x hex, Decimal128 as its exact decimal text,
 *     null and undefined as NULL; documents, arrays and the legacy types
 *     (regex, timestamp, minKey, ...) as their JSON.
 */
#ifndef MGCONV_H
#define MGCONV_H

#include <bson/bson.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h" /* plugins/common: the buffer the text is written to */


/* What a value became. */
typedef enum mg_kind { MG_NULL = 0, MG_TEXT = 1, MG_INT = 2 } mg_kind;

/* Appends the value at `it` as relaxed Extended JSON; -1 when out of memory. */
int mg_json_value(sbuf *b, const bson_iter_t *it);
/* Appends the whole document as relaxed Extended JSON; -1 on out of memory or bad BSON. */
int mg_json_document(sbuf *b, const bson_t *doc);

/* The value at `it` as a column value: as_json puts any value in its JSON form
   (a jsonb column); otherwise the scalar form above. MG_TEXT appends to b,
   MG_INT sets *i; -1 when out of memory. */
int mg_value(sbuf *b, const bson_iter_t *it, int as_json, int64_t *i);

/* The type's name as MongoDB's $type spells it ("objectId", "long", ...). */
const char *mg_type_name(bson_type_t t);

/* Helpers the conversion uses, for the plugin's own messages and tests. */
void mg_double_text(double d, char *buf, size_t size);       /* shortest round trip */
void mg_date_text(int64_t ms, char *buf, size_t size);       /* 2024-01-02 03:04:05.123+00 */
int mg_date_iso(int64_t ms, char *buf, size_t size);         /* 2024-01-02T03:04:05.123Z; -1
                                                                outside years 1970-9999 */

/* ---- fields of sampled documents (fields.c) ---- */

/* A top-level field: its name and the type merged over the documents seen. */
typedef struct mg_field {
    char *name;
    const char *type; /* static: mg_type_name()'s, or "mixed" */
} mg_field;

typedef struct mg_fields {
    mg_field *v;
    uint32_t n, cap;
} mg_fields;

/* The type of a field seen as `seen` and now as `now`: int and long together
   are long; null and undefined give way to any other type; otherwise "mixed". */
const char *mg_merge_type(const char *seen, const char *now);
/* The index of the field, or -1. */
int mg_fields_find(const mg_fields *f, const char *name, size_t len);
/* Adds the field or merges its type; -1 when out of memory. */
int mg_fields_add(mg_fields *f, const char *name, size_t len, const char *type);
/* Every top-level field of doc; -1 when out of memory or bad BSON. */
int mg_fields_add_document(mg_fields *f, const bson_t *doc);
void mg_fields_free(mg_fields *f);

/* ---- change events (event.c) ---- */

typedef enum mg_op {
    MG_OP_OTHER = 0, /* an operation type this source does not act on */
    MG_OP_INSERT, MG_OP_UPDATE, MG_OP_REPLACE, MG_OP_DELETE,
    MG_OP_DROP, MG_OP_RENAME, MG_OP_DROP_DATABASE, MG_OP_INVALIDATE
} mg_op;

typedef struct mg_str {
    const char *ptr;
    uint32_t len;
} mg_str;

/* A change event as the server documents it (db.watch() output), read in
   place: pointers into the event's BSON. */
typedef struct mg_event {
    mg_op op;
    mg_str op_name;       /* operationType as sent */
    bson_t token;         /* _id: the resume token (a static view) */
    uint32_t t, i;        /* clusterTime */
    int64_t wall_ms;      /* wallTime (6.0+), else clusterTime's seconds; ms */
    mg_str db, coll;      /* ns */
    mg_str to_db, to_coll; /* rename: the new name */
    int has_key;
    bson_iter_t key;      /* documentKey._id */
    int has_full;
    bson_t full;          /* fullDocument (a static view) when has_full */
    int has_update;
    bson_t update;        /* updateDescription (a static view) when has_update */
    int in_txn;           /* part of a multi-document transaction: lsid and txnNumber */
    int64_t txn_number;   /* txnNumber */
    const uint8_t *lsid;  /* lsid.id, the session's UUID bytes */
    uint32_t lsid_len;
} mg_event;

/* Reads ev into *out; -1 with a reason in why (static text) when it lacks what
   its operation needs. */
int mg_event_read(const bson_t *ev, mg_event *out, const char **why);
#endif
