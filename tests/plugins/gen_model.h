/*
 * The generator's deterministic data model, shared by the generator plugin,
 * the generator-expect tool and the unit tests.
 *
 * Every row of every table has a "delete order" number D:
 *   initial row (t, id), id <= rows:  D = (id-1)*tables + (t-1)
 *   inserted row number e (0-based):   D = tables*rows + e, table e%tables+1,
 *                                      id = rows + e/tables + 1
 * Global op number g = (txn-1)*ops_per_txn + j (j: op within the txn) has kind
 * g%3 (insert, update, delete) and index i = g/3 among ops of its kind:
 *   insert i creates the row with D = tables*rows + i;
 *   delete i removes the row with D = i;
 *   update i rewrites the row with D = i + hash(seed, i) % max(tables*rows, 1)
 *     with version i+1; every 5th update (i%5 == 4) leaves s1 unchanged.
 * So every op hits a live row and no insert collides, with no bookkeeping; only
 * the last version of each updated row needs a table (gen_state).
 */
#ifndef GEN_MODEL_H
#define GEN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define GEN_MAX_COLUMNS 64
#define GEN_MAX_TABLES 100000
#define GEN_WIDE_MIN_COLUMNS 16
#define GEN_TEXT_MAX 512   /* longest text value, in bytes */
#define GEN_POOL_SIZE 4096 /* letters texts are cut from */
#define GEN_XID_BASE 1000

typedef struct gen_params {
    int64_t tables;
    int64_t rows;        /* initial rows per table */
    int64_t columns;     /* id, then n1, s1, n2, s2, ... */
    int64_t txns;
    int64_t ops_per_txn;
    int64_t history;     /* txns already committed when the snapshot is taken */
    int64_t seed;
    int wide;            /* long texts, at least GEN_WIDE_MIN_COLUMNS columns */
    int special_text;    /* some texts hold tab, newline, backslash and UTF-8 */
} gen_params;

/* The defaults the generator plugin declares. */
void gen_params_default(gen_params *p);

/* A parameter out of range: option name, its value and the rule it breaks. */
typedef struct gen_problem {
    const char *option;
    long long value;
    const char *rule; /* "must be zero or more" */
} gen_problem;

/* 0 when the parameters are usable, else -1 with *out filled. */
int gen_params_check(const gen_params *p, gen_problem *out);

typedef struct gen_model {
    gen_params p;
    uint32_t ntables;
    uint32_t ncols;       /* effective column count (wide raises it) */
    uint64_t tr;          /* tables * rows: initial rows in all tables */
    uint32_t text_base;   /* text length = base + hash % span */
    uint32_t text_span;
    char pool[GEN_POOL_SIZE];
} gen_model;

/* Checked parameters only (gen_params_check). */
void gen_model_init(gen_model *m, const gen_params *p);

/* ---- columns ---- */

/* "id", "n1", "s1", "n2", ...: writes a NUL-terminated name, returns its length. */
size_t gen_column_name(uint32_t col, char *buf, size_t size);
/* Column 0 and odd columns are integers, even columns from 2 on are text. */
static inline int gen_column_is_text(uint32_t col) { return col >= 2 && col % 2 == 0; }

/* ---- ops ---- */

typedef enum gen_op_kind { GEN_INSERT = 0, GEN_UPDATE = 1, GEN_DELETE = 2 } gen_op_kind;

typedef struct gen_op {
    gen_op_kind kind;
    uint32_t table;     /* 1-based */
    int64_t id;
    uint64_t version;   /* UPDATE: the row's new version; INSERT: 0 */
    int s1_unchanged;   /* UPDATE: s1 is sent as unchanged */
} gen_op;

/* Op j (0-based) of transaction txn (1-based). */
void gen_op_at(const gen_model *m, uint64_t txn, uint32_t j, gen_op *out);

/* Delete-order number of a row, and back. */
uint64_t gen_row_d(const gen_model *m, uint32_t table, int64_t id);
void gen_row_of_d(const gen_model *m, uint64_t d, uint32_t *table, int64_t *id);

/* The transaction id of a transaction. (Its commit time is the wall clock when the
   generator emits it, as a live database's would be, so lag figures make sense.) */
static inline uint64_t gen_txn_xid(uint64_t txn) { return GEN_XID_BASE + txn; }

/* ---- the state after a number of transactions ---- */

typedef struct gen_version {
    uint64_t d;
    uint64_t ver;   /* version of every column but s1 */
    uint64_t s1ver; /* version of s1 (unchanged updates leave it behind) */
} gen_version;

typedef struct gen_state {
    uint64_t txn;        /* state after this transaction */
    uint64_t ops;        /* global ops applied: txn * ops_per_txn */
    gen_version *v;      /* updated rows, sorted by d */
    size_t n;
} gen_state;

/* Computes the state after txn (0..txns) directly. 0, or -1 out of memory. */
int gen_state_build(const gen_model *m, uint64_t txn, gen_state *st);
void gen_state_free(gen_state *st);

/* Highest id table holds or held in this state (0: none). */
int64_t gen_state_max_id(const gen_model *m, const gen_state *st, uint32_t table);
/* Non-zero when the row exists in this state. */
int gen_state_live(const gen_model *m, const gen_state *st, uint32_t table, int64_t id);
/* The row's versions in this state (0, 0 when never updated). */
void gen_state_versions(const gen_model *m, const gen_state *st, uint32_t table, int64_t id,
                        uint64_t *ver, uint64_t *s1ver);

/* ---- values ---- */

typedef enum gen_value_kind { GEN_NULL = 0, GEN_INT = 1, GEN_TEXT = 2 } gen_value_kind;

typedef struct gen_value {
    gen_value_kind kind;
    int64_t i;    /* GEN_INT */
    size_t len;   /* GEN_TEXT: bytes written into the caller's buffer */
} gen_value;

/*
 * The value of column col of row (table, id) at version ver (the caller passes
 * s1ver for column 2). Text goes into buf (GEN_TEXT_MAX bytes).
 */
void gen_value_at(const gen_model *m, uint32_t table, int64_t id, uint32_t col, uint64_t ver,
                  gen_value *out, char *buf);

/* Decimal digits of v into buf (at least 21 bytes), no NUL; returns the length. */
size_t gen_format_int(int64_t v, char *buf);

#endif
