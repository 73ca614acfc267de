/*
 * sluice canonical data model: positions, table schemas, values, change events
 * and batches. DESIGN.md, "The canonical data model", is the long form.
 *
 * Ownership: the core owns every table, batch, event and value. A plugin
 * borrows them for the duration of one call and copies what it must keep.
 * Tables stay valid from discover() until the plugin instance is closed.
 * Strings are length-delimited (sluice_str); binary data and NULs survive.
 */
#ifndef SLUICE_TYPES_H
#define SLUICE_TYPES_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sluice_str {
    const char *ptr;
    size_t len;
} sluice_str;

/*
 * A position in the source's log: opaque, ordered bytes (PostgreSQL LSN, MySQL
 * GTID set or file:offset, MongoDB resume token). Only the source compares and
 * prints positions (source vtable position_compare / position_format).
 */
#define SLUICE_POSITION_MAX 496
typedef struct sluice_position {
    uint32_t len; /* 0: no position */
    uint8_t bytes[SLUICE_POSITION_MAX];
} sluice_position;

/* Canonical types: the intermediate types every value is carried as. */
typedef enum sluice_type {
    SLUICE_TYPE_UNKNOWN = 0,
    SLUICE_TYPE_BOOL,
    SLUICE_TYPE_INT16,
    SLUICE_TYPE_INT32,
    SLUICE_TYPE_INT64,
    SLUICE_TYPE_UINT64,
    SLUICE_TYPE_FLOAT32,
    SLUICE_TYPE_FLOAT64,
    SLUICE_TYPE_DECIMAL, /* exact decimal text; precision/scale in the column */
    SLUICE_TYPE_TEXT,
    SLUICE_TYPE_BYTES,
    SLUICE_TYPE_DATE,
    SLUICE_TYPE_TIME,
    SLUICE_TYPE_TIMESTAMP,
    SLUICE_TYPE_TIMESTAMPTZ,
    SLUICE_TYPE_INTERVAL,
    SLUICE_TYPE_UUID,
    SLUICE_TYPE_JSON,
    SLUICE_TYPE_ARRAY, /* element type in sluice_column.element_type */
    SLUICE_TYPE_ENUM,  /* carried as its label text */
    SLUICE_TYPE_SOURCE_NATIVE /* text, with the source's type name in source_type */
} sluice_type;

/* sluice_column.flags */
#define SLUICE_COLUMN_NULLABLE 0x1u
#define SLUICE_COLUMN_KEY 0x2u              /* part of the primary key */
#define SLUICE_COLUMN_REPLICA_IDENTITY 0x4u /* sent as the old key of updates/deletes */

typedef struct sluice_column {
    sluice_str name;
    sluice_str source_type; /* as the source spells it: "numeric(18,2)" */
    uint32_t type;          /* sluice_type */
    uint32_t flags;         /* SLUICE_COLUMN_* */
    int32_t precision;      /* decimal precision or length limit; -1 when none */
    int32_t scale;          /* decimal scale; -1 when none */
    uint32_t element_type;  /* for SLUICE_TYPE_ARRAY */
} sluice_column;

/* sluice_index.flags (since 1.2) */
#define SLUICE_INDEX_UNIQUE 0x1u     /* no two rows share the key */
#define SLUICE_INDEX_EXPRESSION 0x2u /* a key is an expression (its columns entry is empty) */
#define SLUICE_INDEX_PARTIAL 0x4u    /* it covers only the rows a predicate selects */

/*
 * A secondary index of a table (since 1.2): any index but the primary key's,
 * for a sink that builds it after the load. `columns` names the key columns
 * in key order; an expression key has an empty name. `source_definition` is
 * the source's own DDL for it (PostgreSQL: pg_get_indexdef), which alone says
 * what expressions, predicates, sort orders or operator classes it has; empty
 * when the source has none. Add indexes with host->index_add.
 */
typedef struct sluice_index {
    sluice_str name;
    sluice_str method;   /* access method as the source names it: "btree", "hash", "gin" */
    uint32_t flags;      /* SLUICE_INDEX_* */
    uint32_t ncolumns;
    sluice_str *columns;
    sluice_str source_definition;
} sluice_index;

typedef struct sluice_table {
    sluice_header header;
    uint32_t id;          /* the core's index for this table; stable within a run */
    uint32_t ncolumns;
    sluice_str schema;
    sluice_str name;
    uint32_t column_size; /* sizeof(sluice_column) as the core built the array */
    uint32_t flags;       /* reserved, 0 */
    sluice_column *columns;
    uint64_t source_id;      /* the source's own identifier (PostgreSQL relation OID) */
    uint64_t estimated_rows; /* 0 when unknown; drives progress bars and chunking */

    /* since 1.2: secondary indexes (read nindexes with sluice_table_nindexes()) */
    uint32_t nindexes;
    uint32_t index_size;  /* sizeof(sluice_index) as the core built the array */
    sluice_index *indexes;
} sluice_table;

/*
 * A value: NULL, canonical text bytes, a 64-bit integer (fast path for integer
 * types), "unchanged" (the source did not send it, e.g. unchanged TOAST), or
 * the source's native binary form when source and sink speak the same one and
 * the plan leaves the column as it is (native_format in the batch says which).
 */
typedef enum sluice_value_kind {
    SLUICE_VALUE_NULL = 0,
    SLUICE_VALUE_TEXT = 1,
    SLUICE_VALUE_INT = 2,
    SLUICE_VALUE_UNCHANGED = 3,
    SLUICE_VALUE_NATIVE = 4
} sluice_value_kind;

typedef struct sluice_value {
    uint32_t kind; /* sluice_value_kind */
    uint32_t len;  /* bytes of TEXT / NATIVE */
    union {
        const char *bytes; /* TEXT / NATIVE: points into the batch arena */
        int64_t i;         /* INT */
    } u;
} sluice_value;

typedef enum sluice_op {
    SLUICE_OP_INSERT = 1,  /* new_row; snapshot rows are inserts too */
    SLUICE_OP_UPDATE = 2,  /* new_row, and old_row when the source sends the old key/row */
    SLUICE_OP_DELETE = 3,  /* old_row: the old key or row */
    SLUICE_OP_TRUNCATE = 4,
    SLUICE_OP_SCHEMA = 5,  /* table now has a new shape; table points at the new version.
                              It opens a batch: a batch holds one version of a table */
    SLUICE_OP_BEGIN = 6,   /* a source transaction starts: xid, commit_time */
    SLUICE_OP_COMMIT = 7,  /* it ends: xid, commit_time, position */
    SLUICE_OP_SKIP = 8     /* dropped by a transform; sinks ignore it */
} sluice_op;

typedef struct sluice_event {
    uint32_t op;                 /* sluice_op */
    uint32_t flags;              /* reserved, 0 */
    const sluice_table *table;   /* NULL for BEGIN / COMMIT */
    sluice_value *new_row;       /* table->ncolumns values, or NULL */
    sluice_value *old_row;       /* table->ncolumns values, or NULL */
    uint64_t xid;                /* source transaction id (BEGIN / COMMIT) */
    int64_t commit_time_us;      /* microseconds since the Unix epoch (BEGIN / COMMIT) */
    sluice_position *position;   /* COMMIT: where the transaction ends in the log */
} sluice_event;

typedef enum sluice_batch_kind {
    SLUICE_BATCH_SNAPSHOT = 1, /* rows of one table from a consistent snapshot */
    SLUICE_BATCH_CHANGES = 2   /* change events in commit order, with BEGIN / COMMIT */
} sluice_batch_kind;

/* sluice_batch.flags */
#define SLUICE_BATCH_LAST 0x1u /* set by the source: the chunk (or bounded stream) has ended */
#define SLUICE_BATCH_FILTERED 0x2u /* since 1.3, set by the source: the chunk's filters hold */

/*
 * A batch: a run of events. A change batch may end inside a transaction; the
 * rest follows in the next batch, and a sink keeps the transaction open until
 * its COMMIT arrives. Walk events with sluice_batch_event(), which honours
 * event_size, so an older plugin walks a newer core's events correctly.
 */
typedef struct sluice_batch {
    sluice_header header;
    uint32_t kind;          /* sluice_batch_kind */
    uint32_t flags;         /* SLUICE_BATCH_* */
    const sluice_table *table; /* SNAPSHOT batches: the table */
    uint32_t nevents;
    uint32_t event_size;    /* sizeof(sluice_event) as the core built the array */
    sluice_event *events;
    uint32_t capacity;      /* events the batch can hold */
    uint32_t native_format; /* 0, or the sink/source pair's native value format id */
    void *core;             /* the core's private state; do not touch */
} sluice_batch;

static inline sluice_event *sluice_batch_event(const sluice_batch *b, uint32_t i)
{
    return (sluice_event *)((char *)b->events + (size_t)i * b->event_size);
}

static inline sluice_column *sluice_table_column(const sluice_table *t, uint32_t i)
{
    return (sluice_column *)((char *)t->columns + (size_t)i * t->column_size);
}

/* The table's secondary indexes; 0 when the core that built the table predates 1.2. */
static inline uint32_t sluice_table_nindexes(const sluice_table *t)
{
    return t->header.size >= offsetof(sluice_table, indexes) + sizeof(t->indexes) ? t->nindexes
                                                                                  : 0;
}

static inline const sluice_index *sluice_table_index(const sluice_table *t, uint32_t i)
{
    return (const sluice_index *)((const char *)t->indexes + (size_t)i * t->index_size);
}

/*
 * Native value formats (since 1.3): a source and a sink that speak the same
 * binary form may pass values in it (SLUICE_VALUE_NATIVE) when the plan leaves
 * a table's values as they are. The core agrees on one per table.
 */
#define SLUICE_NATIVE_NONE 0u
#define SLUICE_NATIVE_PG_BINARY 1u /* PostgreSQL's binary send/recv form of the column's
                                      own type: the field bytes of COPY ... (FORMAT binary) */

/*
 * A row filter condition (since 1.3), from the pipeline's selection rules.
 * A row passes when, for every group, at least one condition of that group
 * holds (conditions of one group are OR-ed, groups AND-ed, like the filters of
 * an AWS DMS selection rule). Values are canonical text. A NULL column value
 * satisfies only SLUICE_FILTER_NULL.
 */
typedef enum sluice_filter_op {
    SLUICE_FILTER_EQ = 1,       /* values[0] */
    SLUICE_FILTER_NE = 2,       /* values[0] */
    SLUICE_FILTER_LT = 3,       /* values[0] */
    SLUICE_FILTER_LE = 4,       /* values[0] */
    SLUICE_FILTER_GT = 5,       /* values[0] */
    SLUICE_FILTER_GE = 6,       /* values[0] */
    SLUICE_FILTER_BETWEEN = 7,  /* values[0] <= v <= values[1] */
    SLUICE_FILTER_NULL = 8,     /* no values */
    SLUICE_FILTER_NOT_NULL = 9, /* no values */
    SLUICE_FILTER_IN = 10,      /* any of values[0 .. nvalues-1] */
    /* since 1.4: row comparisons, SQL's (c1, c2, ...) < (v1, v2, ...) over the
       filter's columns (sluice_filter_columns()) and as many values: compared
       column by column, the first unequal pair decides; a NULL met before that
       makes the comparison fail (SQL's NULL: the row does not pass) */
    SLUICE_FILTER_ROW_LT = 11,
    SLUICE_FILTER_ROW_LE = 12,
    SLUICE_FILTER_ROW_GT = 13,
    SLUICE_FILTER_ROW_GE = 14
} sluice_filter_op;

typedef struct sluice_filter {
    uint32_t column;  /* index into the table's columns; a row comparison's first */
    uint32_t op;      /* sluice_filter_op */
    uint32_t group;   /* conditions with the same group are OR-ed */
    uint32_t nvalues;
    const sluice_str *values;

    /* since 1.4 (read with sluice_filter_columns()) */
    uint32_t ncolumns;      /* a row comparison's columns, most significant first; */
    uint32_t reserved;      /* 0 */
    const uint32_t *columns; /* 0 / NULL for the single-column ops */
} sluice_filter;

/* A chunk of one table for a full-load worker. */
typedef struct sluice_chunk {
    sluice_header header;
    const sluice_table *table;
    uint32_t index;  /* 0 .. count-1 */
    uint32_t count;  /* chunks of this table */
    sluice_str bounds; /* the source's own description from split_table; empty: whole table */

    /* since 1.3 (read with sluice_chunk_native_format() and sluice_chunk_filters()) */
    uint32_t native_format; /* SLUICE_NATIVE_*: the form values may take; NONE: canonical */
    uint32_t nfilters;      /* row filters the source may apply (a WHERE clause); when it */
    uint32_t filter_size;   /* does, it sets SLUICE_BATCH_FILTERED on every batch of the */
    const sluice_filter *filters; /* chunk, otherwise the core applies them */

    /* since 1.4 (read with sluice_chunk_partitions()) */
    uint32_t npartitions;   /* read only the rows of these partitions of the table (each */
    uint32_t reserved;      /* with its own sub-partitions), named as the source's */
    const sluice_str *partitions; /* list_partitions named them; none: the whole table */

    /* since 1.8 (read with sluice_chunk_catalog()) */
    struct sluice_catalog *catalog; /* for new versions of `table` met while reading it: a
                                       source whose rows can bring columns the table lacks
                                       (a schemaless source) makes one with host->table_reshape
                                       on this catalog, puts its SCHEMA event first in a batch
                                       and sets the batch's table to it, as in change capture.
                                       NULL when the sink cannot take that (built before 1.8) */
} sluice_chunk;

/* The chunk's agreed native format; NONE when the core that built it predates 1.3. */
static inline uint32_t sluice_chunk_native_format(const sluice_chunk *c)
{
    return c->header.size >= offsetof(sluice_chunk, native_format) + sizeof(c->native_format)
               ? c->native_format
               : SLUICE_NATIVE_NONE;
}

/* The catalog for new versions of the chunk's table; NULL before 1.8, or when the sink
   cannot take SCHEMA events during a full load. */
static inline struct sluice_catalog *sluice_chunk_catalog(const sluice_chunk *c)
{
    return c->header.size >= offsetof(sluice_chunk, catalog) + sizeof(c->catalog) ? c->catalog
                                                                                : NULL;
}

/* The chunk's row filters (*n of them, walk with sluice_filter_at()); none before 1.3. */
static inline const sluice_filter *sluice_chunk_filters(const sluice_chunk *c, uint32_t *n)
{
    int has = c->header.size >= offsetof(sluice_chunk, filters) + sizeof(c->filters);
    *n = has ? c->nfilters : 0;
    return has ? c->filters : NULL;
}

static inline const sluice_filter *sluice_filter_at(const sluice_chunk *c, uint32_t i)
{
    return (const sluice_filter *)((const char *)c->filters + (size_t)i * c->filter_size);
}

/* The columns a filter of chunk c compares (*n of them): a row comparison's
   (since 1.4), else the one column. */
static inline const uint32_t *sluice_filter_columns(const sluice_chunk *c, const sluice_filter *f,
                                                    uint32_t *n)
{
    if (c->filter_size >= offsetof(sluice_filter, columns) + sizeof(f->columns) && f->columns &&
        f->ncolumns) {
        *n = f->ncolumns;
        return f->columns;
    }
    *n = 1;
    return &f->column;
}

/* The partitions chunk c is limited to (*n of them); none before 1.4. */
static inline const sluice_str *sluice_chunk_partitions(const sluice_chunk *c, uint32_t *n)
{
    int has = c->header.size >= offsetof(sluice_chunk, partitions) + sizeof(c->partitions);
    *n = has ? c->npartitions : 0;
    return has && c->npartitions ? c->partitions : NULL;
}

/* sluice_sequence.flags (since 1.2) */
#define SLUICE_SEQUENCE_DEFINED 0x1u /* type, increment, bounds and start below are set */
#define SLUICE_SEQUENCE_CYCLE 0x2u   /* it wraps around at its bound */

/*
 * A sequence and its current value (since 1.2), as read_sequences reports it
 * and set_sequences receives it. last_value and is_called mean what they mean
 * to PostgreSQL's setval(): with is_called the next value is last_value plus
 * the increment, without it last_value itself. The definition is for a sink
 * that creates a sequence missing at the target. Walk an array of them with
 * sluice_sequence_at(), which honours the element size.
 */
typedef struct sluice_sequence {
    sluice_str schema;
    sluice_str name;
    int64_t last_value;
    uint32_t is_called;   /* 0 or 1 */
    uint32_t flags;       /* SLUICE_SEQUENCE_* */
    uint32_t type;        /* SLUICE_TYPE_INT16, _INT32 or _INT64; with SLUICE_SEQUENCE_DEFINED */
    uint32_t reserved;    /* 0 */
    int64_t increment;
    int64_t min_value;
    int64_t max_value;
    int64_t start_value;
} sluice_sequence;

static inline const sluice_sequence *sluice_sequence_at(const sluice_sequence *seqs,
                                                        uint32_t sequence_size, uint32_t i)
{
    return (const sluice_sequence *)((const char *)seqs + (size_t)i * sequence_size);
}

/* A consistent snapshot another instance of the same source can attach to. */
#define SLUICE_SNAPSHOT_TOKEN_MAX 256
typedef struct sluice_snapshot {
    char token[SLUICE_SNAPSHOT_TOKEN_MAX]; /* e.g. PostgreSQL's exported snapshot name */
} sluice_snapshot;

#ifdef __cplusplus
}
#endif
#endif
