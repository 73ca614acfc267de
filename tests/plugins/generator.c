/*
 * generator: a deterministic test source. Tables gen.t1..gen.tN with columns
 * id (key), n1, s1, n2, s2, ...; a snapshot that reflects the state after
 * `history` transactions, then a change stream of `txns` transactions whose
 * content gen_model.c defines. generator-expect prints the state it leads to.
 *
 * Positions are 8-byte big-endian transaction numbers, printed "txn/17"
 * (position_parse also takes "17"). The snapshot stands at txn/<history>;
 * the COMMIT of transaction k carries txn/k.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include <sluice/sluice.h>

#include "gen_model.h"

typedef struct gen_config {
    int64_t tables;
    int64_t rows;
    int64_t columns;
    int wide;
    int special_text;
    int64_t txns;
    int64_t ops_per_txn;
    int64_t history;
    int64_t seed;
    int idle;
    int64_t chunk_rows;
    int64_t fail_at_row;
    const char *ack_log;
} gen_config;

#define OPT(name, type, def, desc, member) \
    {name, type, 0, def, NULL, desc, offsetof(gen_config, member)}

static const sluice_option gen_options[] = {
    OPT("tables", SLUICE_OPTION_INT, "2", "number of tables gen.t1 .. gen.tN", tables),
    OPT("rows", SLUICE_OPTION_INT, "1000", "rows each table starts with (ids 1..rows)", rows),
    OPT("columns", SLUICE_OPTION_INT, "4", "columns: id, then n1, s1, n2, s2 ... (up to 64)",
        columns),
    OPT("wide", SLUICE_OPTION_BOOL, "false", "long texts and at least 16 columns", wide),
    OPT("special_text", SLUICE_OPTION_BOOL, "false",
        "some texts end in tab, backslash, newline and a UTF-8 letter", special_text),
    OPT("txns", SLUICE_OPTION_INT, "100", "change transactions in the stream", txns),
    OPT("ops_per_txn", SLUICE_OPTION_INT, "3", "inserts, updates and deletes per transaction",
        ops_per_txn),
    OPT("history", SLUICE_OPTION_INT, "0",
        "transactions already committed when the snapshot is taken", history),
    OPT("seed", SLUICE_OPTION_INT, "0", "seed of every generated value", seed),
    OPT("idle", SLUICE_OPTION_BOOL, "false",
        "after the last transaction wait forever (AGAIN) instead of ending the stream", idle),
    OPT("chunk_rows", SLUICE_OPTION_INT, "0", "ids per full-load chunk; 0: one chunk per table",
        chunk_rows),
    OPT("fail_at_row", SLUICE_OPTION_INT, "0",
        "read_chunk fails once this many rows were produced; 0: never", fail_at_row),
    OPT("ack_log", SLUICE_OPTION_STRING, NULL,
        "append every acknowledged position to this file (tests check acks never pass the "
        "target's checkpoint)", ack_log),
};

/* Where the change stream stands: inside transaction next_txn, at phase. */
typedef enum stream_phase { PHASE_BEGIN, PHASE_OPS, PHASE_COMMIT } stream_phase;

typedef struct stream_cursor {
    int started;
    uint64_t next_txn;
    uint32_t next_op;
    stream_phase phase;
} stream_cursor;

/* The chunk read_chunk is in the middle of. */
typedef struct chunk_cursor {
    int active;
    uint64_t source_id;
    uint32_t index;
    uint32_t table;
    int64_t next_id, last_id;
} chunk_cursor;

typedef struct generator {
    const sluice_host *host;
    sluice_context *ctx;
    gen_config cfg;
    gen_model model;
    gen_state snap;               /* state after `history` transactions */
    const sluice_table **tables;  /* by table number - 1, from discover */
    chunk_cursor chunk;
    uint64_t rows_produced;       /* snapshot rows this instance made (fail_at_row) */
    stream_cursor stream;
    uint64_t horizon;             /* highest position handed out: snapshot, start or commit */
    uint64_t acked;
    char text[GEN_TEXT_MAX];
} generator;

/* ---- positions ---- */

static void pos_set(sluice_position *p, uint64_t txn)
{
    p->len = 8;
    for (int i = 7; i >= 0; i--) {
        p->bytes[i] = (uint8_t)(txn & 0xff);
        txn >>= 8;
    }
}

static int pos_get(const sluice_position *p, uint64_t *txn)
{
    if (p->len != 8)
        return -1;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p->bytes[i];
    *txn = v;
    return 0;
}

static int gen_position_compare(const sluice_position *a, const sluice_position *b)
{
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->bytes, b->bytes, n);
    if (c != 0)
        return c;
    return a->len < b->len ? -1 : (a->len > b->len);
}

static size_t gen_position_format(const sluice_position *p, char *buf, size_t size)
{
    uint64_t txn;
    int n;
    if (size == 0)
        return 0;
    if (pos_get(p, &txn) == 0)
        n = snprintf(buf, size, "txn/%" PRIu64, txn);
    else
        n = snprintf(buf, size, "invalid(%u bytes)", (unsigned)p->len);
    if (n < 0)
        n = 0;
    return (size_t)n < size ? (size_t)n : size - 1;
}

/* Digits only, all of them, no overflow. */
static int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

/* Needs no instance and so has no host table: fills the error record itself. */
static sluice_status gen_position_parse(const char *text, sluice_position *out, sluice_error *err)
{
    uint64_t txn;
    const char *digits = strncmp(text, "txn/", 4) == 0 ? text + 4 : text;
    if (parse_u64(digits, &txn) == 0) {
        pos_set(out, txn);
        return SLUICE_OK;
    }
    err->status = SLUICE_ERROR;
    snprintf(err->message, sizeof err->message, "invalid generator position: \"%s\"", text);
    snprintf(err->detail, sizeof err->detail,
             "A generator position is a transaction number, written as txn/17 or 17.");
    err->hint[0] = '\0';
    return SLUICE_ERROR;
}

/* ---- open / close ---- */

static void params_of(const gen_config *c, gen_params *p)
{
    gen_params_default(p);
    p->tables = c->tables;
    p->rows = c->rows;
    p->columns = c->columns;
    p->txns = c->txns;
    p->ops_per_txn = c->ops_per_txn;
    p->history = c->history;
    p->seed = c->seed;
    p->wide = c->wide;
    p->special_text = c->special_text;
}

static sluice_status bad_option(const sluice_host *host, sluice_error *err, const char *name,
                                long long value, const char *rule)
{
    host->error(err, SLUICE_FATAL, "invalid value for option \"%s\": %lld", name, value);
    host->error_detail(err, "Option %s %s.", name, rule);
    host->error_hint(err, "Change %s in the source section of the pipeline.", name);
    return SLUICE_FATAL;
}

static sluice_status check_config(const sluice_host *host, const gen_config *c, sluice_error *err)
{
    gen_params p;
    gen_problem problem;
    params_of(c, &p);
    if (gen_params_check(&p, &problem) != 0)
        return bad_option(host, err, problem.option, problem.value, problem.rule);
    if (c->chunk_rows < 0)
        return bad_option(host, err, "chunk_rows", c->chunk_rows, "must be zero or more");
    if (c->fail_at_row < 0)
        return bad_option(host, err, "fail_at_row", c->fail_at_row, "must be zero or more");
    return SLUICE_OK;
}

static sluice_status gen_open(const sluice_host *host, sluice_context *ctx, const void *config,
                              void **instance, sluice_error *err)
{
    const gen_config *cfg = config;
    sluice_status st = check_config(host, cfg, err);
    if (st != SLUICE_OK)
        return st;
    generator *g = calloc(1, sizeof *g);
    if (!g)
        return host->error(err, SLUICE_FATAL, "out of memory");
    g->host = host;
    g->ctx = ctx;
    g->cfg = *cfg;
    gen_params p;
    params_of(cfg, &p);
    gen_model_init(&g->model, &p);
    if (gen_state_build(&g->model, (uint64_t)p.history, &g->snap) != 0) {
        free(g);
        return host->error(err, SLUICE_FATAL, "out of memory");
    }
    host->log(ctx, SLUICE_LOG_DEBUG,
              "generator: %u tables of %" PRId64 " rows, %u columns, %" PRId64
              " transactions of %" PRId64 " ops, history %" PRId64 ", seed %" PRId64,
              g->model.ntables, p.rows, g->model.ncols, p.txns, p.ops_per_txn, p.history, p.seed);
    *instance = g;
    return SLUICE_OK;
}

static void gen_close(void *instance)
{
    generator *g = instance;
    if (!g)
        return;
    gen_state_free(&g->snap);
    free(g->tables);
    free(g);
}

/* ---- discover ---- */

static sluice_status add_columns(generator *g, sluice_table *t, sluice_error *err)
{
    static const sluice_str bigint = {"bigint", 6}, text = {"text", 4};
    char name[16];
    for (uint32_t c = 0; c < g->model.ncols; c++) {
        size_t n = gen_column_name(c, name, sizeof name);
        uint32_t flags = c == 0   ? SLUICE_COLUMN_KEY | SLUICE_COLUMN_REPLICA_IDENTITY
                         : c >= 3 ? SLUICE_COLUMN_NULLABLE
                                  : 0;
        int is_text = gen_column_is_text(c);
        if (g->host->column_set(t, c, (sluice_str){name, n}, is_text ? text : bigint,
                                is_text ? SLUICE_TYPE_TEXT : SLUICE_TYPE_INT64, flags) != 0)
            return g->host->error(err, SLUICE_FATAL, "could not add column \"%s\"", name);
    }
    return SLUICE_OK;
}

static sluice_status gen_discover(void *instance, sluice_catalog *catalog, sluice_error *err)
{
    generator *g = instance;
    const sluice_table **tables = calloc(g->model.ntables, sizeof *tables);
    if (!tables)
        return g->host->error(err, SLUICE_FATAL, "out of memory");
    for (uint32_t i = 0; i < g->model.ntables; i++) {
        char name[24] = "t";
        size_t n = 1 + gen_format_int(i + 1, name + 1);
        sluice_table *t = g->host->table_add(catalog, (sluice_str){"gen", 3},
                                             (sluice_str){name, n}, g->model.ncols);
        sluice_status st = t ? add_columns(g, t, err)
                             : g->host->error(err, SLUICE_FATAL, "could not add table \"gen.%s\"",
                                              name);
        if (st != SLUICE_OK) {
            free(tables);
            return st;
        }
        t->source_id = i + 1; /* the table number, for read_chunk */
        t->estimated_rows = (uint64_t)gen_state_max_id(&g->model, &g->snap, i + 1);
        tables[i] = t;
    }
    free(g->tables);
    g->tables = tables;
    return SLUICE_OK;
}

/* ---- rows ---- */

/* Fills a row of values for (table, id) at the given versions. */
static int fill_row(generator *g, sluice_batch *b, sluice_value *row, uint32_t table, int64_t id,
                    uint64_t ver, uint64_t s1ver, int s1_unchanged)
{
    gen_value v;
    for (uint32_t c = 0; c < g->model.ncols; c++) {
        if (c == 2 && s1_unchanged) {
            row[c].kind = SLUICE_VALUE_UNCHANGED;
            continue;
        }
        gen_value_at(&g->model, table, id, c, c == 2 ? s1ver : ver, &v, g->text);
        if (v.kind == GEN_INT) {
            row[c].kind = SLUICE_VALUE_INT;
            row[c].u.i = v.i;
        } else if (v.kind == GEN_TEXT && g->host->set_text(b, &row[c], g->text, v.len) != 0) {
            return -1;
        }
    }
    return 0;
}

/* "ids LO-HI", as split_table writes them. */
static int parse_bounds(sluice_str s, int64_t *lo, int64_t *hi)
{
    char buf[64];
    long long a, b;
    char tail;
    if (s.len >= sizeof buf)
        return -1;
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = '\0';
    if (sscanf(buf, "ids %lld-%lld%c", &a, &b, &tail) != 2 || a < 1 || b < a)
        return -1;
    *lo = a;
    *hi = b;
    return 0;
}

static sluice_status start_chunk(generator *g, const sluice_chunk *chunk, uint32_t table,
                                 sluice_error *err)
{
    chunk_cursor *c = &g->chunk;
    c->active = 1;
    c->source_id = chunk->table->source_id;
    c->index = chunk->index;
    c->table = table;
    c->next_id = 1;
    c->last_id = gen_state_max_id(&g->model, &g->snap, table);
    if (chunk->bounds.len && parse_bounds(chunk->bounds, &c->next_id, &c->last_id) != 0) {
        c->active = 0;
        g->host->error(err, SLUICE_FATAL, "invalid chunk bounds: \"%.*s\"",
                       (int)chunk->bounds.len, chunk->bounds.ptr);
        g->host->error_detail(err, "Generator chunks are written \"ids LO-HI\".");
        return SLUICE_FATAL;
    }
    return SLUICE_OK;
}

static uint32_t table_number(const generator *g, const sluice_table *t)
{
    if (!t || t->source_id < 1 || t->source_id > g->model.ntables)
        return 0;
    return (uint32_t)t->source_id;
}

static sluice_status row_limit_reached(generator *g, sluice_error *err)
{
    g->host->error(err, SLUICE_ERROR, "generator failed after %" PRId64 " rows as configured",
                   g->cfg.fail_at_row);
    g->host->error_detail(err, "Option fail_at_row is %" PRId64 "; the next row was id %" PRId64
                               " of table \"gen.t%u\".",
                          g->cfg.fail_at_row, g->chunk.next_id, g->chunk.table);
    g->host->error_hint(err, "Set fail_at_row = 0 to read every row.");
    return SLUICE_ERROR;
}

/* Emits the live rows of the current chunk until it ends or the batch is full. */
static sluice_status emit_rows(generator *g, const sluice_chunk *chunk, sluice_batch *b,
                               sluice_error *err)
{
    chunk_cursor *c = &g->chunk;
    int64_t fail_at = g->cfg.fail_at_row;
    uint64_t ver = 0, s1ver = 0;
    for (; c->next_id <= c->last_id; c->next_id++) {
        if (!gen_state_live(&g->model, &g->snap, c->table, c->next_id))
            continue;
        if (fail_at > 0 && g->rows_produced >= (uint64_t)fail_at)
            return row_limit_reached(g, err);
        if (g->host->batch_full(b))
            return SLUICE_OK;
        sluice_event *e = g->host->emit(b, SLUICE_OP_INSERT, chunk->table, 0);
        if (!e)
            return SLUICE_OK;
        gen_state_versions(&g->model, &g->snap, c->table, c->next_id, &ver, &s1ver);
        if (fill_row(g, b, e->new_row, c->table, c->next_id, ver, s1ver, 0) != 0)
            return g->host->error(err, SLUICE_FATAL, "out of memory in the batch");
        g->rows_produced++;
    }
    c->active = 0;
    b->flags |= SLUICE_BATCH_LAST;
    return SLUICE_OK;
}

static sluice_status gen_read_chunk(void *instance, const sluice_chunk *chunk, sluice_batch *b,
                                    sluice_error *err)
{
    generator *g = instance;
    uint32_t table = table_number(g, chunk->table);
    if (!table)
        return g->host->error(err, SLUICE_FATAL, "table is not a generator table");
    chunk_cursor *c = &g->chunk;
    if (!c->active || c->source_id != chunk->table->source_id || c->index != chunk->index) {
        sluice_status st = start_chunk(g, chunk, table, err);
        if (st != SLUICE_OK)
            return st;
    }
    if (!b->table)
        b->table = chunk->table;
    uint32_t before = b->nevents;
    sluice_status st = emit_rows(g, chunk, b, err);
    if (b->nevents > before)
        g->host->count(g->ctx, "snapshot_rows", b->nevents - before);
    return st;
}

/* ---- snapshot ---- */

static void snapshot_token(const generator *g, char *buf, size_t size)
{
    snprintf(buf, size, "gen-snapshot-%" PRId64, g->cfg.history);
}

static sluice_status gen_snapshot_begin(void *instance, sluice_position *at,
                                        sluice_snapshot *snapshot, sluice_error *err)
{
    generator *g = instance;
    (void)err;
    uint64_t h = (uint64_t)g->cfg.history;
    pos_set(at, h);
    snapshot_token(g, snapshot->token, sizeof snapshot->token);
    if (h > g->horizon)
        g->horizon = h;
    g->host->log(g->ctx, SLUICE_LOG_DEBUG, "snapshot \"%s\" at txn/%" PRIu64, snapshot->token, h);
    return SLUICE_OK;
}

static sluice_status gen_snapshot_attach(void *instance, const sluice_snapshot *snapshot,
                                         sluice_error *err)
{
    generator *g = instance;
    char want[SLUICE_SNAPSHOT_TOKEN_MAX];
    snapshot_token(g, want, sizeof want);
    if (strncmp(snapshot->token, want, sizeof want) == 0)
        return SLUICE_OK;
    g->host->error(err, SLUICE_FATAL, "snapshot \"%.*s\" does not belong to this generator",
                   (int)strnlen(snapshot->token, sizeof snapshot->token), snapshot->token);
    g->host->error_detail(err, "This generator's snapshot is \"%s\" (option history).", want);
    g->host->error_hint(err, "Give every instance of the source the same options.");
    return SLUICE_FATAL;
}

/* Chunks of chunk_rows ids, made larger when that would exceed `want` chunks. */
static sluice_status gen_split_table(void *instance, const sluice_table *table, uint32_t want,
                                     sluice_chunk_list *out, sluice_error *err)
{
    generator *g = instance;
    uint32_t t = table_number(g, table);
    if (!t)
        return g->host->error(err, SLUICE_FATAL, "table is not a generator table");
    if (g->cfg.chunk_rows <= 0)
        return SLUICE_OK;
    int64_t max_id = gen_state_max_id(&g->model, &g->snap, t);
    int64_t per = g->cfg.chunk_rows;
    if (want > 0 && (max_id + per - 1) / per > (int64_t)want)
        per = (max_id + want - 1) / want;
    for (int64_t lo = 1; lo <= max_id; lo += per) {
        char bounds[64];
        int64_t hi = lo + per - 1 < max_id ? lo + per - 1 : max_id;
        int n = snprintf(bounds, sizeof bounds, "ids %" PRId64 "-%" PRId64, lo, hi);
        if (g->host->chunk_add(out, (sluice_str){bounds, (size_t)n}) != 0)
            return g->host->error(err, SLUICE_FATAL, "out of memory");
    }
    return SLUICE_OK;
}

/* ---- the change stream ---- */

static sluice_status gen_stream_start(void *instance, const sluice_position *from,
                                      sluice_error *err)
{
    generator *g = instance;
    uint64_t start = (uint64_t)g->cfg.history; /* len 0: where the "database" stands now */
    if (from && from->len && pos_get(from, &start) != 0) {
        g->host->error(err, SLUICE_FATAL, "invalid generator position");
        g->host->error_detail(err, "A generator position is 8 bytes; this one has %u.",
                              (unsigned)from->len);
        return SLUICE_FATAL;
    }
    if (start > (uint64_t)g->cfg.txns) {
        g->host->error(err, SLUICE_FATAL,
                       "position txn/%" PRIu64 " is beyond the end of the generated stream", start);
        g->host->error_detail(err, "The stream ends at txn/%" PRId64 " (option txns).",
                              g->cfg.txns);
        g->host->error_hint(err, "Use the same txns as the run that wrote the checkpoint.");
        return SLUICE_FATAL;
    }
    g->stream = (stream_cursor){1, start + 1, 0, PHASE_BEGIN};
    if (start > g->horizon)
        g->horizon = start;
    g->host->log(g->ctx, SLUICE_LOG_DEBUG, "streaming from txn/%" PRIu64, start);
    return SLUICE_OK;
}

static int64_t wall_clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int emit_begin(generator *g, sluice_batch *b, uint64_t txn)
{
    sluice_event *e = g->host->emit(b, SLUICE_OP_BEGIN, NULL, 0);
    if (!e)
        return 0;
    e->xid = gen_txn_xid(txn);
    e->commit_time_us = wall_clock_us();
    return 1;
}

static int emit_commit(generator *g, sluice_batch *b, uint64_t txn)
{
    sluice_event *e = g->host->emit(b, SLUICE_OP_COMMIT, NULL, 0);
    if (!e || !e->position)
        return 0;
    e->xid = gen_txn_xid(txn);
    e->commit_time_us = wall_clock_us();
    pos_set(e->position, txn);
    if (txn > g->horizon)
        g->horizon = txn;
    return 1;
}

/* One op as an event: 1 emitted, 0 batch full, -1 out of memory. */
static int emit_op(generator *g, sluice_batch *b, uint64_t txn, uint32_t j)
{
    static const sluice_op ops[] = {SLUICE_OP_INSERT, SLUICE_OP_UPDATE, SLUICE_OP_DELETE};
    gen_op op;
    gen_op_at(&g->model, txn, j, &op);
    const sluice_table *t = g->tables[op.table - 1];
    sluice_event *e = g->host->emit(b, ops[op.kind], t, op.kind == GEN_UPDATE);
    if (!e)
        return 0;
    if (op.kind != GEN_DELETE &&
        fill_row(g, b, e->new_row, op.table, op.id, op.version, op.version, op.s1_unchanged) != 0)
        return -1;
    if (e->old_row) { /* the old key only, like REPLICA IDENTITY DEFAULT */
        e->old_row[0].kind = SLUICE_VALUE_INT;
        e->old_row[0].u.i = op.id;
    }
    return 1;
}

/* Emits the next event of the stream: 1 emitted, 0 batch full, -1 out of memory. */
static int emit_next(generator *g, sluice_batch *b)
{
    stream_cursor *s = &g->stream;
    int r;
    switch (s->phase) {
    case PHASE_BEGIN:
        if ((r = emit_begin(g, b, s->next_txn)) == 1) {
            s->phase = PHASE_OPS;
            s->next_op = 0;
        }
        return r;
    case PHASE_OPS:
        if ((r = emit_op(g, b, s->next_txn, s->next_op)) == 1 &&
            ++s->next_op == (uint32_t)g->cfg.ops_per_txn)
            s->phase = PHASE_COMMIT;
        return r;
    default:
        if ((r = emit_commit(g, b, s->next_txn)) == 1) {
            s->next_txn++;
            s->phase = PHASE_BEGIN;
        }
        return r;
    }
}

static sluice_status stream_misuse(generator *g, sluice_error *err, const char *what)
{
    g->host->error(err, SLUICE_FATAL, "stream_read was called before %s", what);
    g->host->error_detail(err, "The generator needs %s to know where and what to stream.", what);
    return SLUICE_FATAL;
}

static sluice_status gen_stream_read(void *instance, sluice_batch *b, sluice_error *err)
{
    generator *g = instance;
    stream_cursor *s = &g->stream;
    if (!s->started)
        return stream_misuse(g, err, "stream_start");
    if (!g->tables)
        return stream_misuse(g, err, "discover");
    uint64_t first = s->next_txn;
    while (s->next_txn <= (uint64_t)g->cfg.txns) {
        if (b->nevents > 0 && g->host->batch_full(b))
            break;
        int r = emit_next(g, b);
        if (r < 0)
            return g->host->error(err, SLUICE_FATAL, "out of memory in the batch");
        if (r == 0 && b->nevents == 0)
            return g->host->error(err, SLUICE_FATAL, "the batch has no room for one event");
        if (r == 0)
            break;
    }
    if (s->next_txn > first)
        g->host->count(g->ctx, "txns", s->next_txn - first);
    if (s->next_txn <= (uint64_t)g->cfg.txns)
        return SLUICE_OK;
    if (!g->cfg.idle)
        b->flags |= SLUICE_BATCH_LAST;
    return b->nevents == 0 && g->cfg.idle ? SLUICE_AGAIN : SLUICE_OK;
}

/* Refuses positions never handed out: an exactly-once check on the core. */
/* One line per acknowledgement, written before ack returns (a record of what
   the core let the source release). */
static int append_ack(const char *path, uint64_t txn)
{
    FILE *f = fopen(path, "a");
    if (!f)
        return -1;
    int rc = fprintf(f, "%" PRIu64 "\n", txn) < 0;
    return fclose(f) != 0 || rc ? -1 : 0;
}

static sluice_status gen_ack(void *instance, const sluice_position *committed, sluice_error *err)
{
    generator *g = instance;
    uint64_t txn;
    if (committed->len == 0) /* nothing committed yet */
        return SLUICE_OK;
    if (pos_get(committed, &txn) != 0) {
        g->host->error(err, SLUICE_FATAL, "invalid generator position in acknowledgement");
        g->host->error_detail(err, "A generator position is 8 bytes; this one has %u.",
                              (unsigned)committed->len);
        return SLUICE_FATAL;
    }
    if (txn > g->horizon) {
        g->host->error(err, SLUICE_FATAL, "acknowledged position txn/%" PRIu64 " was never sent",
                       txn);
        g->host->error_detail(err,
                              "The highest position this generator has handed out is txn/%" PRIu64
                              ".",
                              g->horizon);
        g->host->error_hint(err, "The core must acknowledge only positions a sink committed.");
        return SLUICE_FATAL;
    }
    if (txn > g->acked)
        g->acked = txn;
    if (g->cfg.ack_log && append_ack(g->cfg.ack_log, txn) != 0)
        return g->host->error(err, SLUICE_FATAL, "could not append to ack_log \"%s\": %s",
                              g->cfg.ack_log, strerror(errno));
    g->host->log(g->ctx, SLUICE_LOG_DEBUG, "acknowledged txn/%" PRIu64, txn);
    return SLUICE_OK;
}

static sluice_status gen_cleanup(void *instance, sluice_error *err)
{
    generator *g = instance;
    (void)err;
    g->host->log(g->ctx, SLUICE_LOG_INFO, "nothing to clean up: the generator keeps no state");
    return SLUICE_OK;
}

/* ---- the descriptor ---- */

static const sluice_source_vtable gen_vtable = {
    .header = SLUICE_HEADER_INIT(sluice_source_vtable),
    .open = gen_open,
    .close = gen_close,
    .discover = gen_discover,
    .read_chunk = gen_read_chunk,
    .position_compare = gen_position_compare,
    .position_format = gen_position_format,
    .snapshot_begin = gen_snapshot_begin,
    .snapshot_attach = gen_snapshot_attach,
    .split_table = gen_split_table,
    .stream_start = gen_stream_start,
    .stream_read = gen_stream_read,
    .ack = gen_ack,
    .position_parse = gen_position_parse,
    .cleanup = gen_cleanup,
};

static const sluice_options gen_option_table = {
    .header = SLUICE_HEADER_INIT(sluice_options),
    .option_size = sizeof(sluice_option),
    .count = sizeof gen_options / sizeof gen_options[0],
    .options = gen_options,
    .config_size = sizeof(gen_config),
};

static const sluice_plugin gen_plugin = {
    .header = SLUICE_HEADER_INIT(sluice_plugin),
    .kind = SLUICE_KIND_SOURCE,
    .name = "generator",
    .version = "1.0.0",
    .description = "deterministic test source: tables gen.t1.., a snapshot and a change stream",
    .options = &gen_option_table,
    .vtable = &gen_vtable,
};

SLUICE_PLUGIN_ABI_DEFINE()

SLUICE_EXPORT const sluice_plugin *sluice_plugin_init(const sluice_host *host)
{
    (void)host; /* open() receives the host again; nothing global is kept */
    return &gen_plugin;
}
