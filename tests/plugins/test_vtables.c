/*
 * The generator and capture plugins driven through their vtables, loaded with
 * dlopen, without the runner, with the core's own host table (corehost.c).
 * Usage: test_corehost generator|capture|pipeline PLUGIN_DIR WORK_DIR
 *   generator  options, discover, snapshot, chunks, stream, positions, acks
 *   capture    journal records, flush/commit boundaries, torn-tail recovery, fail_at
 *   pipeline   generator -> capture with a simulated kill -9 and restart; the
 *              journal it leaves is what plugins_tools_diff checks with the tools
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expect.h"
#include "testhost.h"
#include "gen_model.h"
#include "journal.h"
#include "replay.h"
#include "unit.h"

/* The plugin's last log line contains `words` (when the host can tell). */
static void check_log(const sluice_context *ctx, const char *words)
{
    if (th_last_log(ctx))
        CHECK_CONTAINS(th_last_log(ctx), words);
}

/* ---- loading ---- */

typedef struct loaded {
    void *handle;
    const sluice_plugin *plugin;
} loaded;

static int load(const char *dir, const char *name, loaded *out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.so", dir, name);
    out->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!out->handle) {
        fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
        return -1;
    }
    sluice_plugin_abi_fn abi = (sluice_plugin_abi_fn)dlsym(out->handle, SLUICE_PLUGIN_ABI_SYMBOL);
    sluice_plugin_init_fn init =
        (sluice_plugin_init_fn)dlsym(out->handle, SLUICE_PLUGIN_INIT_SYMBOL);
    CHECK(abi && init);
    if (!abi || !init)
        return -1;
    CHECK(abi()->header.major == SLUICE_ABI_MAJOR);
    CHECK_STR(abi()->magic, SLUICE_ABI_MAGIC);
    out->plugin = init(th_host());
    CHECK_STR(out->plugin->name, name);
    return 0;
}

/* A config struct filled from the declared defaults, then "name", "value" pairs. */
static void *make_config(const sluice_plugin *p, const char *const *kv)
{
    const sluice_options *opts = p->options;
    char *cfg = calloc(1, opts->config_size);
    for (uint32_t i = 0; i < opts->count; i++) {
        const sluice_option *o =
            (const sluice_option *)((const char *)opts->options + (size_t)i * opts->option_size);
        const char *v = o->default_value;
        for (const char *const *k = kv; k && *k; k += 2)
            if (strcmp(k[0], o->name) == 0)
                v = k[1];
        if (o->type == SLUICE_OPTION_INT)
            *(int64_t *)(cfg + o->offset) = v ? strtoll(v, NULL, 10) : 0;
        else if (o->type == SLUICE_OPTION_BOOL)
            *(int *)(cfg + o->offset) = v && strcmp(v, "true") == 0;
        else if (o->type == SLUICE_OPTION_STRING)
            *(const char **)(cfg + o->offset) = v;
    }
    for (const char *const *k = kv; k && *k; k += 2) { /* every override must be declared */
        int found = 0;
        for (uint32_t i = 0; i < opts->count; i++)
            found |= strcmp(opts->options[i].name, k[0]) == 0;
        CHECK(found);
    }
    return cfg;
}

/* An open plugin instance with its config and context. */
typedef struct inst {
    const sluice_plugin *plugin;
    void *config;
    sluice_context *ctx;
    void *self;
} inst;

static sluice_status open_inst(const loaded *l, const char *const *kv, inst *in, sluice_error *err)
{
    in->plugin = l->plugin;
    in->config = make_config(l->plugin, kv);
    in->ctx = th_context_new(l->plugin->name);
    in->self = NULL;
    th_error_init(err);
    const sluice_source_vtable *sv = l->plugin->vtable;
    const sluice_sink_vtable *kv2 = l->plugin->vtable;
    if (l->plugin->kind == SLUICE_KIND_SOURCE)
        return sv->open(th_host(), in->ctx, in->config, &in->self, err);
    return kv2->open(th_host(), in->ctx, in->config, &in->self, err);
}

static void close_inst(inst *in)
{
    if (in->self) {
        if (in->plugin->kind == SLUICE_KIND_SOURCE)
            ((const sluice_source_vtable *)in->plugin->vtable)->close(in->self);
        else
            ((const sluice_sink_vtable *)in->plugin->vtable)->close(in->self);
    }
    th_context_free(in->ctx);
    free(in->config);
    in->self = NULL;
}

/* ---- rendering events as journal records (independent of capture.c) ---- */

static void render_value(jbuf *b, const sluice_value *v)
{
    jbuf_putc(b, '\t');
    if (v->kind == SLUICE_VALUE_INT)
        jbuf_put_int(b, v->u.i);
    else if (v->kind == SLUICE_VALUE_TEXT)
        jbuf_put_escaped(b, v->u.bytes, v->len);
    else if (v->kind == SLUICE_VALUE_UNCHANGED)
        jbuf_puts(b, "\\U");
    else
        jbuf_puts(b, "\\N");
}

static void render_event(jbuf *b, const sluice_event *e)
{
    static const char kinds[] = " IUDTXBC";
    jbuf_putc(b, kinds[e->op]);
    if (e->op == SLUICE_OP_BEGIN || e->op == SLUICE_OP_COMMIT) {
        jbuf_putc(b, '\t');
        jbuf_put_uint(b, e->xid);
        if (e->op == SLUICE_OP_COMMIT) {
            jbuf_putc(b, '\t');
            jbuf_put_hex(b, e->position->bytes, e->position->len);
        }
    } else {
        jbuf_putc(b, '\t');
        jbuf_put(b, e->table->schema.ptr, e->table->schema.len);
        jbuf_putc(b, '.');
        jbuf_put(b, e->table->name.ptr, e->table->name.len);
        if (e->op != SLUICE_OP_INSERT)
            render_value(b, &e->old_row[0]);
        for (uint32_t c = 0; e->new_row && c < e->table->ncolumns; c++)
            render_value(b, &e->new_row[c]);
    }
    jbuf_putc(b, '\n');
}

/* Replays journal text; returns its output (malloc'd) or NULL when a check failed. */
static char *replay_text(const char *text, size_t len, char *errbuf, size_t errsize)
{
    char *out = NULL;
    size_t outlen = 0;
    FILE *in = len ? fmemopen((void *)text, len, "r") : fopen("/dev/null", "r");
    FILE *o = open_memstream(&out, &outlen);
    FILE *e = fmemopen(errbuf, errsize, "w");
    journal_scan scan;
    journal_scan_buffer(text, len, &scan);
    replay_options opts = {0, 1, 1, scan.safe_end}; /* strict: these journals end cleanly */
    memset(errbuf, 0, errsize);
    int rc = replay_run(in, "journal", o, e, &opts);
    fclose(in);
    fclose(o);
    fclose(e);
    if (rc != 0) {
        free(out);
        return NULL;
    }
    return out;
}

static char *expected_state(const gen_params *p, uint64_t upto)
{
    gen_model *m = malloc(sizeof *m);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    gen_model_init(m, p);
    CHECK(gen_expect_write(m, upto, f) == 0);
    fclose(f);
    free(m);
    return out;
}

static void check_state(const char *what, const jbuf *journal, const gen_params *p, uint64_t upto)
{
    char err[1024];
    char *got = replay_text(journal->data, journal->len, err, sizeof err);
    char *want = expected_state(p, upto);
    int same = got && strcmp(got, want) == 0;
    printf("%s: %s\n", what, same ? "replayed state equals generator-expect" : "MISMATCH");
    if (!got)
        fprintf(stderr, "%s", err);
    CHECK(same);
    free(got);
    free(want);
}

/* ================= generator ================= */

#define GEN_OPTS(...)                                                                   \
    (const char *const[])                                                               \
    {                                                                                   \
        __VA_ARGS__, NULL                                                               \
    }

static const sluice_source_vtable *gvt(const inst *g) { return g->plugin->vtable; }

static void check_generator_options(const loaded *l)
{
    sluice_error err;
    inst g;
    CHECK(open_inst(l, GEN_OPTS("rows", "-1"), &g, &err) == SLUICE_FATAL);
    CHECK_STR(err.message, "invalid value for option \"rows\": -1");
    CHECK_CONTAINS(err.detail, "must be between 0");
    CHECK_CONTAINS(err.hint, "rows");
    close_inst(&g);
    CHECK(open_inst(l, GEN_OPTS("txns", "5", "history", "6"), &g, &err) == SLUICE_FATAL);
    CHECK_CONTAINS(err.message, "\"history\"");
    close_inst(&g);
    CHECK(open_inst(l, GEN_OPTS("columns", "65"), &g, &err) == SLUICE_FATAL);
    close_inst(&g);
    CHECK(open_inst(l, GEN_OPTS("chunk_rows", "-2"), &g, &err) == SLUICE_FATAL);
    close_inst(&g);
    const sluice_source_vtable *vt = l->plugin->vtable;
    CHECK(l->plugin->kind == SLUICE_KIND_SOURCE);
    CHECK(SLUICE_HAS(vt, sluice_source_vtable, cleanup));
    CHECK(vt->open && vt->close && vt->discover && vt->read_chunk && vt->position_compare &&
          vt->position_format && vt->snapshot_begin && vt->snapshot_attach && vt->split_table &&
          vt->stream_start && vt->stream_read && vt->ack && vt->position_parse);
}

static void check_positions(const loaded *l)
{
    const sluice_source_vtable *vt = l->plugin->vtable;
    sluice_position a, b;
    sluice_error err;
    char buf[64];
    th_error_init(&err);
    CHECK(vt->position_parse("txn/17", &a, &err) == SLUICE_OK);
    CHECK(vt->position_parse("17", &b, &err) == SLUICE_OK);
    CHECK(vt->position_compare(&a, &b) == 0);
    CHECK(vt->position_format(&a, buf, sizeof buf) == 6);
    CHECK_STR(buf, "txn/17");
    CHECK(vt->position_parse("256", &b, &err) == SLUICE_OK);
    CHECK(vt->position_compare(&a, &b) < 0 && vt->position_compare(&b, &a) > 0);
    CHECK(vt->position_parse("txn/x", &b, &err) == SLUICE_ERROR);
    CHECK_STR(err.message, "invalid generator position: \"txn/x\"");
    CHECK(vt->position_format(&a, buf, 4) == 3);
    CHECK_STR(buf, "txn");
}

/* discover + the expected catalog */
static sluice_catalog *discover(inst *g, uint32_t ntables, uint32_t ncols)
{
    sluice_error err;
    sluice_catalog *cat = th_catalog_new();
    th_error_init(&err);
    CHECK(gvt(g)->discover(g->self, cat, &err) == SLUICE_OK);
    CHECK(th_catalog_count(cat) == ntables);
    if (th_catalog_count(cat) == 0)
        return cat;
    sluice_table *t = th_catalog_table(cat, 0);
    CHECK(t->ncolumns == ncols && t->source_id == 1 && t->estimated_rows > 0);
    CHECK(strncmp(t->schema.ptr, "gen", 3) == 0 && strncmp(t->name.ptr, "t1", 2) == 0);
    CHECK(t->columns[0].flags & SLUICE_COLUMN_KEY);
    CHECK(t->columns[0].type == SLUICE_TYPE_INT64);
    CHECK(strcmp(t->columns[0].source_type.ptr, "bigint") == 0);
    if (ncols > 2)
        CHECK(t->columns[2].type == SLUICE_TYPE_TEXT && strcmp(t->columns[2].name.ptr, "s1") == 0);
    return cat;
}

/* Reads one chunk to its end into journal records; returns the rows read. */
static long read_chunk_all(inst *g, const sluice_chunk *chunk, sluice_batch *b, jbuf *journal)
{
    sluice_error err;
    long rows = 0;
    for (int guard = 0; guard < 1000000; guard++) {
        th_batch_reset(b);
        th_error_init(&err);
        sluice_status st = gvt(g)->read_chunk(g->self, chunk, b, &err);
        CHECK(st == SLUICE_OK);
        if (st != SLUICE_OK) {
            fprintf(stderr, "read_chunk: %s\n", err.message);
            break;
        }
        for (uint32_t i = 0; i < b->nevents; i++) {
            sluice_event *e = sluice_batch_event(b, i);
            jbuf_puts(journal, "S\tgen.");
            jbuf_put(journal, e->table->name.ptr, e->table->name.len);
            for (uint32_t c = 0; c < e->table->ncolumns; c++)
                render_value(journal, &e->new_row[c]);
            jbuf_putc(journal, '\n');
        }
        rows += b->nevents;
        if (b->flags & SLUICE_BATCH_LAST)
            break;
    }
    jbuf_puts(journal, "L\tgen.");
    jbuf_put(journal, chunk->table->name.ptr, chunk->table->name.len);
    jbuf_putc(journal, '\n');
    return rows;
}

/* The snapshot of every table, chunked as split_table says. */
static void read_snapshot(inst *g, sluice_catalog *cat, uint32_t want, jbuf *journal)
{
    sluice_batch *b = th_batch_new(SLUICE_BATCH_SNAPSHOT, 7, 1 << 20);
    sluice_error err;
    for (uint32_t i = 0; i < th_catalog_count(cat); i++) {
        sluice_table *t = th_catalog_table(cat, i);
        sluice_chunk_list *chunks = th_chunks_new();
        th_error_init(&err);
        CHECK(gvt(g)->split_table(g->self, t, want, chunks, &err) == SLUICE_OK);
        uint32_t n = th_chunks_count(chunks);
        for (uint32_t k = 0; k < (n ? n : 1); k++) {
            sluice_chunk chunk = {.header = SLUICE_HEADER_INIT(sluice_chunk), .table = t, .index = k, .count = n ? n : 1, .bounds = n ? th_chunks_bound(chunks, k) : (sluice_str){"", 0}};
            read_chunk_all(g, &chunk, b, journal);
        }
        th_chunks_free(chunks);
    }
    th_batch_free(b);
}

/* Tracks the shape of the stream: BEGIN, ops_per_txn ops, COMMIT k, in order. */
typedef struct stream_check {
    uint64_t next_txn;
    int64_t ops_per_txn;
    int in_txn;
    int64_t ops;
    long bad, splits, unchanged, updates;
} stream_check;

static void check_event(stream_check *s, const sluice_event *e)
{
    uint64_t k = s->next_txn;
    switch (e->op) {
    case SLUICE_OP_BEGIN:
        s->bad += s->in_txn || e->xid != gen_txn_xid(k) || e->commit_time_us < 1700000000000000 /* 2023: a wall-clock time */;
        s->in_txn = 1;
        s->ops = 0;
        break;
    case SLUICE_OP_COMMIT:
        s->bad += !s->in_txn || s->ops != s->ops_per_txn || e->xid != gen_txn_xid(k) ||
                  e->position->len != 8 || e->position->bytes[7] != (uint8_t)k;
        s->in_txn = 0;
        s->next_txn++;
        break;
    case SLUICE_OP_UPDATE:
        s->updates++;
        s->unchanged += e->table->ncolumns > 2 && e->new_row[2].kind == SLUICE_VALUE_UNCHANGED;
        s->bad += !e->old_row || e->old_row[0].kind != SLUICE_VALUE_INT ||
                  e->old_row[0].u.i != e->new_row[0].u.i;
        s->ops++;
        break;
    default:
        s->bad += !s->in_txn;
        s->ops++;
        break;
    }
}

/* Streams to the end (LAST), checking the shape; returns batches read. */
static long read_stream(inst *g, uint32_t capacity, size_t budget, jbuf *journal, stream_check *s)
{
    sluice_batch *b = th_batch_new(SLUICE_BATCH_CHANGES, capacity, budget);
    sluice_error err;
    long batches = 0;
    for (int guard = 0; guard < 1000000; guard++) {
        th_batch_reset(b);
        th_error_init(&err);
        sluice_status st = gvt(g)->stream_read(g->self, b, &err);
        CHECK(st == SLUICE_OK);
        if (st != SLUICE_OK)
            break;
        batches++;
        for (uint32_t i = 0; i < b->nevents; i++) {
            check_event(s, sluice_batch_event(b, i));
            render_event(journal, sluice_batch_event(b, i));
        }
        s->splits += s->in_txn;
        if (b->flags & SLUICE_BATCH_LAST)
            break;
    }
    th_batch_free(b);
    return batches;
}

static void set_pos(sluice_position *p, uint64_t v)
{
    p->len = 8;
    for (int i = 7; i >= 0; i--, v >>= 8)
        p->bytes[i] = (uint8_t)v;
}

/* Snapshot at history, then the stream; the result must be generator-expect's. */
static void check_generator_run(const loaded *l, const char *const *kv, const gen_params *p,
                                uint32_t capacity, size_t budget)
{
    inst g;
    sluice_error err;
    CHECK(open_inst(l, kv, &g, &err) == SLUICE_OK);
    gen_model *m = malloc(sizeof *m);
    gen_model_init(m, p);
    sluice_catalog *cat = discover(&g, m->ntables, m->ncols);
    sluice_position at;
    sluice_snapshot snap;
    CHECK(gvt(&g)->snapshot_begin(g.self, &at, &snap, &err) == SLUICE_OK);
    CHECK(at.len == 8 && at.bytes[7] == (uint8_t)p->history);
    jbuf journal = {0};
    read_snapshot(&g, cat, 4, &journal);
    check_state("  snapshot", &journal, p, (uint64_t)p->history);

    CHECK(gvt(&g)->stream_start(g.self, &at, &err) == SLUICE_OK);
    stream_check s = {(uint64_t)p->history + 1, p->ops_per_txn, 0, 0, 0, 0, 0, 0};
    long batches = read_stream(&g, capacity, budget, &journal, &s);
    printf("  stream: %ld batches, %ld ended inside a transaction, %ld of %ld updates "
           "with s1 unchanged\n",
           batches, s.splits, s.unchanged, s.updates);
    CHECK(s.bad == 0);
    CHECK(s.next_txn == (uint64_t)p->txns + 1);
    CHECK(s.splits > 0);
    CHECK(m->ncols < 3 || labs(s.unchanged - s.updates / 5) <= 1); /* every 5th update */
    check_state("  snapshot + stream", &journal, p, (uint64_t)p->txns);

    /* After the end: an empty batch, still LAST. */
    sluice_batch *b = th_batch_new(SLUICE_BATCH_CHANGES, 8, 1 << 20);
    CHECK(gvt(&g)->stream_read(g.self, b, &err) == SLUICE_OK);
    CHECK(b->nevents == 0 && (b->flags & SLUICE_BATCH_LAST));
    th_batch_free(b);

    /* Acks up to what was sent; beyond is refused. */
    sluice_position pos;
    set_pos(&pos, (uint64_t)p->txns);
    CHECK(gvt(&g)->ack(g.self, &pos, &err) == SLUICE_OK);
    char acked[64];
    snprintf(acked, sizeof acked, "acknowledged txn/%lld", (long long)p->txns);
    check_log(g.ctx, acked);
    pos.len = 0;
    CHECK(gvt(&g)->ack(g.self, &pos, &err) == SLUICE_OK);
    set_pos(&pos, (uint64_t)p->txns + 1);
    CHECK(gvt(&g)->ack(g.self, &pos, &err) == SLUICE_FATAL);
    CHECK_CONTAINS(err.message, "was never sent");
    jbuf_free(&journal);
    th_catalog_free(cat);
    free(m);
    close_inst(&g);
}

static void check_generator_runs(const loaded *l)
{
    gen_params p;
    gen_params_default(&p);
    p.tables = 3, p.rows = 100, p.columns = 5, p.txns = 60, p.ops_per_txn = 4, p.history = 10;
    p.seed = 11;
    printf("generator: 3 tables, history 10, chunks of 30 rows, batches of 7 events\n");
    check_generator_run(l,
                        GEN_OPTS("tables", "3", "rows", "100", "columns", "5", "txns", "60",
                                 "ops_per_txn", "4", "history", "10", "seed", "11",
                                 "chunk_rows", "30"),
                        &p, 7, 1 << 20);
    gen_params_default(&p);
    p.wide = 1, p.special_text = 1, p.rows = 50, p.txns = 40, p.ops_per_txn = 3;
    printf("generator: wide rows, special text, batches limited to 8 kB\n");
    check_generator_run(l,
                        GEN_OPTS("wide", "true", "special_text", "true", "rows", "50", "txns",
                                 "40", "chunk_rows", "1000"),
                        &p, 1000, 8192);
}

static void check_generator_edges(const loaded *l)
{
    inst g;
    sluice_error err;
    sluice_batch *b = th_batch_new(SLUICE_BATCH_CHANGES, 10, 1 << 20);
    sluice_position pos;

    /* idle: AGAIN forever after the last transaction, never LAST */
    CHECK(open_inst(l, GEN_OPTS("txns", "3", "idle", "true"), &g, &err) == SLUICE_OK);
    sluice_catalog *cat = discover(&g, 2, 4);
    CHECK(gvt(&g)->stream_read(g.self, b, &err) == SLUICE_FATAL); /* before stream_start */
    CHECK_CONTAINS(err.message, "before stream_start");
    pos.len = 0;
    CHECK(gvt(&g)->stream_start(g.self, &pos, &err) == SLUICE_OK);
    int again = 0, last = 0;
    for (int i = 0; i < 10; i++) {
        th_batch_reset(b);
        sluice_status st = gvt(&g)->stream_read(g.self, b, &err);
        again += st == SLUICE_AGAIN;
        last |= (b->flags & SLUICE_BATCH_LAST) != 0;
    }
    CHECK(again >= 5 && !last);
    set_pos(&pos, 4);
    CHECK(gvt(&g)->stream_start(g.self, &pos, &err) == SLUICE_FATAL);
    CHECK_CONTAINS(err.message, "beyond the end");
    sluice_snapshot snap = {"gen-snapshot-7"};
    CHECK(gvt(&g)->snapshot_attach(g.self, &snap, &err) == SLUICE_FATAL);
    CHECK_CONTAINS(err.detail, "gen-snapshot-0");
    snprintf(snap.token, sizeof snap.token, "gen-snapshot-0");
    CHECK(gvt(&g)->snapshot_attach(g.self, &snap, &err) == SLUICE_OK);
    CHECK(gvt(&g)->cleanup(g.self, &err) == SLUICE_OK);
    th_catalog_free(cat);
    close_inst(&g);

    /* fail_at_row: an ERROR once that many rows were produced */
    CHECK(open_inst(l, GEN_OPTS("rows", "100", "fail_at_row", "25"), &g, &err) == SLUICE_OK);
    cat = discover(&g, 2, 4);
    sluice_chunk chunk = {.header = SLUICE_HEADER_INIT(sluice_chunk), .table = th_catalog_table(cat, 0), .index = 0, .count = 1, .bounds = {"", 0}};
    long rows = 0;
    sluice_status st = SLUICE_OK;
    for (int i = 0; i < 10 && st == SLUICE_OK; i++) {
        th_batch_reset(b);
        b->kind = SLUICE_BATCH_SNAPSHOT;
        th_error_init(&err);
        st = gvt(&g)->read_chunk(g.self, &chunk, b, &err);
        rows += st == SLUICE_OK ? b->nevents : 0;
    }
    CHECK(st == SLUICE_ERROR && rows == 20);
    CHECK_STR(err.message, "generator failed after 25 rows as configured");
    CHECK_CONTAINS(err.hint, "fail_at_row = 0");
    th_catalog_free(cat);
    close_inst(&g);
    th_batch_free(b);
}

static int run_generator(const char *dir)
{
    loaded l;
    if (load(dir, "generator", &l) != 0)
        return 1;
    check_generator_options(&l);
    check_positions(&l);
    check_generator_runs(&l);
    check_generator_edges(&l);
    return 0;
}

/* ================= capture ================= */

static const sluice_sink_vtable *svt(const inst *c) { return c->plugin->vtable; }

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text = NULL;
    size_t len = 0;
    if (!f)
        return strdup("");
    FILE *m = open_memstream(&text, &len);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, m);
    fclose(f);
    fclose(m);
    return text;
}

static void append_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* A one-table catalog: gen.t1 (id bigint key, s1 text). */
static sluice_table *test_table(sluice_catalog *cat)
{
    const sluice_host *h = th_host();
    sluice_table *t = h->table_add(cat, (sluice_str){"gen", 3}, (sluice_str){"t1", 2}, 2);
    h->column_set(t, 0, (sluice_str){"id", 2}, (sluice_str){"bigint", 6}, SLUICE_TYPE_INT64,
                  SLUICE_COLUMN_KEY);
    h->column_set(t, 1, (sluice_str){"s1", 2}, (sluice_str){"text", 4}, SLUICE_TYPE_TEXT, 0);
    return t;
}

static void add_row(sluice_batch *b, sluice_op op, const sluice_table *t, int64_t id,
                    const char *text)
{
    sluice_event *e = th_host()->emit(b, op, t, op == SLUICE_OP_UPDATE);
    if (e->old_row) {
        e->old_row[0].kind = SLUICE_VALUE_INT;
        e->old_row[0].u.i = id;
    }
    if (e->new_row) {
        e->new_row[0].kind = SLUICE_VALUE_INT;
        e->new_row[0].u.i = id;
        if (text)
            th_host()->set_text(b, &e->new_row[1], text, strlen(text));
        else
            e->new_row[1].kind = SLUICE_VALUE_UNCHANGED;
    }
}

static void add_mark(sluice_batch *b, sluice_op op, uint64_t xid)
{
    sluice_event *e = th_host()->emit(b, op, NULL, 0);
    e->xid = xid;
    if (op == SLUICE_OP_COMMIT)
        set_pos(e->position, xid);
}

static void check_capture_options(const loaded *l)
{
    inst c;
    sluice_error err;
    CHECK(open_inst(l, NULL, &c, &err) == SLUICE_FATAL);
    CHECK_STR(err.message, "option \"path\" must not be empty");
    CHECK(err.hint[0] != '\0');
    close_inst(&c);
    CHECK(open_inst(l, GEN_OPTS("null", "true", "delay_ms", "-1"), &c, &err) == SLUICE_FATAL);
    CHECK_CONTAINS(err.message, "\"delay_ms\"");
    close_inst(&c);
    CHECK(open_inst(l, GEN_OPTS("path", "/nonexistent/dir/j.txt"), &c, &err) == SLUICE_FATAL);
    CHECK_CONTAINS(err.message, "could not open journal \"/nonexistent/dir/j.txt\"");
    close_inst(&c);
    const sluice_sink_vtable *vt = l->plugin->vtable;
    CHECK(l->plugin->kind == SLUICE_KIND_SINK);
    CHECK(SLUICE_HAS(vt, sluice_sink_vtable, cleanup));
}

/* Full load, then a transaction spread over two apply calls. */
static void check_capture_journal(const loaded *l, const char *path)
{
    inst c;
    sluice_error err;
    sluice_position pos;
    sluice_catalog *cat = th_catalog_new();
    sluice_table *t = test_table(cat);
    sluice_batch *b = th_batch_new(SLUICE_BATCH_SNAPSHOT, 16, 1 << 20);
    unlink(path);
    CHECK(open_inst(l, GEN_OPTS("path", path), &c, &err) == SLUICE_OK);
    CHECK(svt(&c)->get_checkpoint(c.self, &pos, &err) == SLUICE_OK && pos.len == 0);
    CHECK(svt(&c)->prepare_table(c.self, t, SLUICE_PREP_TRUNCATE, &err) == SLUICE_OK);
    add_row(b, SLUICE_OP_INSERT, t, 1, "one\ttab");
    add_row(b, SLUICE_OP_INSERT, t, 2, "two");
    CHECK(svt(&c)->write_rows(c.self, b, &err) == SLUICE_OK);
    char *text = read_file(path);
    CHECK_STR(text, "P\tgen.t1\t1\n"); /* rows wait for finish_table */
    free(text);
    CHECK(svt(&c)->finish_table(c.self, t, &err) == SLUICE_OK);

    th_batch_reset(b);
    b->kind = SLUICE_BATCH_CHANGES;
    add_mark(b, SLUICE_OP_BEGIN, 5);
    add_row(b, SLUICE_OP_UPDATE, t, 1, NULL);
    CHECK(svt(&c)->apply(c.self, b, &err) == SLUICE_OK);
    CHECK(svt(&c)->flush(c.self, &pos, &err) == SLUICE_OK && pos.len == 0); /* open txn */
    th_batch_reset(b);
    add_row(b, SLUICE_OP_DELETE, t, 2, NULL);
    add_row(b, SLUICE_OP_INSERT, t, 3, "three");
    add_mark(b, SLUICE_OP_COMMIT, 5);
    add_mark(b, SLUICE_OP_BEGIN, 6);
    add_row(b, SLUICE_OP_INSERT, t, 4, "four");
    CHECK(svt(&c)->apply(c.self, b, &err) == SLUICE_OK);
    CHECK(svt(&c)->flush(c.self, &pos, &err) == SLUICE_OK);
    CHECK(pos.len == 8 && pos.bytes[7] == 5);
    CHECK(svt(&c)->flush(c.self, &pos, &err) == SLUICE_OK && pos.len == 0); /* nothing new */
    text = read_file(path);
    CHECK_STR(text, "P\tgen.t1\t1\nS\tgen.t1\t1\tone\\ttab\nS\tgen.t1\t2\ttwo\nL\tgen.t1\n"
                    "B\t5\nU\tgen.t1\t1\t1\t\\U\nD\tgen.t1\t2\nI\tgen.t1\t3\tthree\n"
                    "C\t5\t0000000000000005\n");
    free(text);

    /* A change outside a transaction is refused and leaves no trace. */
    th_batch_reset(b);
    add_mark(b, SLUICE_OP_COMMIT, 6);
    add_row(b, SLUICE_OP_INSERT, t, 9, "nine");
    CHECK(svt(&c)->apply(c.self, b, &err) == SLUICE_FATAL);
    CHECK_STR(err.message, "change event outside a transaction");
    close_inst(&c); /* transaction 6 was never flushed: gone */
    text = read_file(path);
    CHECK(strstr(text, "B\t6") == NULL);
    free(text);

    /* Restart: the checkpoint is the last commit. */
    CHECK(open_inst(l, GEN_OPTS("path", path), &c, &err) == SLUICE_OK);
    CHECK(svt(&c)->get_checkpoint(c.self, &pos, &err) == SLUICE_OK);
    CHECK(pos.len == 8 && pos.bytes[7] == 5);
    close_inst(&c);
    th_batch_free(b);
    th_catalog_free(cat);
}

/* A torn tail (a crash in the middle of a write) is cut at open. */
static void check_capture_recovery(const loaded *l, const char *path)
{
    inst c;
    sluice_error err;
    sluice_position pos;
    char *before = read_file(path);
    append_file(path, "B\t6\nI\tgen.t1\t4\tfo");
    CHECK(open_inst(l, GEN_OPTS("path", path), &c, &err) == SLUICE_OK);
    check_log(c.ctx, "removed 17 bytes of an incomplete write");
    CHECK(svt(&c)->get_checkpoint(c.self, &pos, &err) == SLUICE_OK && pos.bytes[7] == 5);
    close_inst(&c);
    char *after = read_file(path);
    CHECK_STR(after, before);
    free(after);
    append_file(path, "S\tgen.t2\t1\tx\n"); /* a table load without its L */
    CHECK(open_inst(l, GEN_OPTS("path", path), &c, &err) == SLUICE_OK);
    close_inst(&c);
    after = read_file(path);
    CHECK_STR(after, before);
    free(after);
    append_file(path, "B\t6\nC\t6\tzz\n");
    CHECK(open_inst(l, GEN_OPTS("path", path), &c, &err) == SLUICE_FATAL);
    CHECK_CONTAINS(err.message, "is damaged");
    close_inst(&c);
    free(before);
}

static void check_capture_failures(const loaded *l, const char *path)
{
    inst c;
    sluice_error err;
    sluice_position pos;
    sluice_catalog *cat = th_catalog_new();
    sluice_table *t = test_table(cat);
    sluice_batch *b = th_batch_new(SLUICE_BATCH_CHANGES, 16, 1 << 20);
    add_mark(b, SLUICE_OP_BEGIN, 7);
    add_row(b, SLUICE_OP_INSERT, t, 7, "seven");
    add_mark(b, SLUICE_OP_COMMIT, 7);
    unlink(path);
    CHECK(open_inst(l, GEN_OPTS("path", path, "fail_at", "2", "fsync", "false"), &c, &err) ==
          SLUICE_OK);
    CHECK(svt(&c)->apply(c.self, b, &err) == SLUICE_OK);
    CHECK(svt(&c)->apply(c.self, b, &err) == SLUICE_ERROR); /* left no trace */
    CHECK_STR(err.message, "capture failed in apply as configured");
    CHECK_CONTAINS(err.detail, "call 2");
    CHECK(svt(&c)->flush(c.self, &pos, &err) == SLUICE_OK && pos.bytes[7] == 7);
    close_inst(&c);
    CHECK(open_inst(l, GEN_OPTS("path", path, "fail_at", "1", "fail_fatal", "true"), &c, &err) ==
          SLUICE_OK);
    CHECK(svt(&c)->apply(c.self, b, &err) == SLUICE_FATAL);
    close_inst(&c);
    char *text = read_file(path);
    CHECK_STR(text, "B\t7\nI\tgen.t1\t7\tseven\nC\t7\t0000000000000007\n");
    free(text);

    /* null: nothing written, positions still reported */
    CHECK(open_inst(l, GEN_OPTS("null", "true", "delay_ms", "1"), &c, &err) == SLUICE_OK);
    CHECK(svt(&c)->apply(c.self, b, &err) == SLUICE_OK);
    CHECK(svt(&c)->flush(c.self, &pos, &err) == SLUICE_OK && pos.bytes[7] == 7);
    CHECK(th_counter(c.ctx, "events") == 3 || th_counter(c.ctx, "events") == UINT64_MAX);
    close_inst(&c);
    th_batch_free(b);
    th_catalog_free(cat);
}

/* Megabytes of snapshot rows go through a spill file and arrive whole. */
static void check_capture_spill(const loaded *l, const char *path)
{
    inst c;
    sluice_error err;
    sluice_catalog *cat = th_catalog_new();
    sluice_table *t = test_table(cat);
    sluice_batch *b = th_batch_new(SLUICE_BATCH_SNAPSHOT, 1000, 1 << 22);
    const char *filler = "a text of some sixty bytes, to make a few megabytes quickly";
    unlink(path);
    CHECK(open_inst(l, GEN_OPTS("path", path, "fsync", "false"), &c, &err) == SLUICE_OK);
    for (int64_t id = 1; id <= 40000;) {
        th_batch_reset(b);
        for (int i = 0; i < 1000; i++, id++)
            add_row(b, SLUICE_OP_INSERT, t, id, filler);
        CHECK(svt(&c)->write_rows(c.self, b, &err) == SLUICE_OK);
    }
    char *text = read_file(path);
    CHECK_STR(text, ""); /* nothing before finish_table */
    free(text);
    CHECK(svt(&c)->finish_table(c.self, t, &err) == SLUICE_OK);
    close_inst(&c);
    text = read_file(path);
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    CHECK(lines == 40001);
    CHECK(strncmp(text, "S\tgen.t1\t1\t", 11) == 0);
    CHECK(strstr(text, "S\tgen.t1\t40000\ta text of some sixty bytes, to make a few megabytes "
                       "quickly\nL\tgen.t1\n") != NULL);
    char msg[256];
    char *state = replay_text(text, strlen(text), msg, sizeof msg);
    CHECK(state != NULL);
    free(state);
    free(text);
    th_batch_free(b);
    th_catalog_free(cat);
}

static int run_capture(const char *dir, const char *work)
{
    loaded l;
    char path[1024];
    if (load(dir, "capture", &l) != 0)
        return 1;
    snprintf(path, sizeof path, "%s/journal.txt", work);
    check_capture_options(&l);
    check_capture_journal(&l, path);
    check_capture_recovery(&l, path);
    check_capture_failures(&l, path);
    check_capture_spill(&l, path);
    return 0;
}

/* ================= pipeline ================= */

/* Must match plugins_tools_diff's generator-expect arguments in CMakeLists.txt. */
#define PIPE_OPTS                                                                          \
    GEN_OPTS("tables", "3", "rows", "200", "columns", "6", "txns", "150", "ops_per_txn", "4", \
             "history", "20", "seed", "7", "special_text", "true", "chunk_rows", "64")

static void pipe_params(gen_params *p)
{
    gen_params_default(p);
    p->tables = 3, p->rows = 200, p->columns = 6, p->txns = 150, p->ops_per_txn = 4;
    p->history = 20, p->seed = 7, p->special_text = 1;
}

static void full_load(inst *g, inst *c, sluice_catalog *cat)
{
    sluice_error err;
    sluice_batch *b = th_batch_new(SLUICE_BATCH_SNAPSHOT, 50, 1 << 20);
    for (uint32_t i = 0; i < th_catalog_count(cat); i++) {
        sluice_table *t = th_catalog_table(cat, i);
        sluice_chunk_list *chunks = th_chunks_new();
        CHECK(svt(c)->prepare_table(c->self, t, SLUICE_PREP_TRUNCATE, &err) == SLUICE_OK);
        CHECK(gvt(g)->split_table(g->self, t, 8, chunks, &err) == SLUICE_OK);
        CHECK(th_chunks_count(chunks) == 4);
        for (uint32_t k = 0; k < th_chunks_count(chunks); k++) {
            sluice_chunk chunk = {.header = SLUICE_HEADER_INIT(sluice_chunk), .table = t, .index = k, .count = th_chunks_count(chunks), .bounds = th_chunks_bound(chunks, k)};
            do {
                th_batch_reset(b);
                CHECK(gvt(g)->read_chunk(g->self, &chunk, b, &err) == SLUICE_OK);
                CHECK(svt(c)->write_rows(c->self, b, &err) == SLUICE_OK);
            } while (!(b->flags & SLUICE_BATCH_LAST));
        }
        CHECK(svt(c)->finish_table(c->self, t, &err) == SLUICE_OK);
        th_chunks_free(chunks);
    }
    th_batch_free(b);
}

/* Streams into the sink, flushing and acking every third batch, until LAST or
   until stop_after commits were applied (0: no limit). Returns the last flushed txn. */
static uint64_t stream_into(inst *g, inst *c, long stop_after)
{
    sluice_error err;
    sluice_position flushed = {0};
    sluice_batch *b = th_batch_new(SLUICE_BATCH_CHANGES, 9, 1 << 20);
    long commits = 0, n = 0;
    uint64_t last = 0;
    for (int done = 0; !done;) {
        th_batch_reset(b);
        CHECK(gvt(g)->stream_read(g->self, b, &err) == SLUICE_OK);
        CHECK(svt(c)->apply(c->self, b, &err) == SLUICE_OK);
        for (uint32_t i = 0; i < b->nevents; i++)
            commits += sluice_batch_event(b, i)->op == SLUICE_OP_COMMIT;
        done = (b->flags & SLUICE_BATCH_LAST) || (stop_after && commits >= stop_after);
        if (++n % 3 == 0 || (b->flags & SLUICE_BATCH_LAST)) {
            CHECK(svt(c)->flush(c->self, &flushed, &err) == SLUICE_OK);
            if (flushed.len) {
                CHECK(gvt(g)->ack(g->self, &flushed, &err) == SLUICE_OK);
                last = flushed.bytes[7] | (uint64_t)flushed.bytes[6] << 8;
            }
        }
    }
    th_batch_free(b);
    return last;
}

static int run_pipeline(const char *dir, const char *work)
{
    loaded gl, cl;
    char path[1024];
    sluice_error err;
    if (load(dir, "generator", &gl) != 0 || load(dir, "capture", &cl) != 0)
        return 1;
    snprintf(path, sizeof path, "%s/journal.txt", work);
    unlink(path);
    gen_params p;
    pipe_params(&p);

    /* First run: full load, then part of the stream, then "kill -9". */
    inst g, c;
    sluice_position at, cp;
    sluice_snapshot snap;
    CHECK(open_inst(&gl, PIPE_OPTS, &g, &err) == SLUICE_OK);
    CHECK(open_inst(&cl, GEN_OPTS("path", path), &c, &err) == SLUICE_OK);
    sluice_catalog *cat = discover(&g, 3, 6);
    CHECK(gvt(&g)->snapshot_begin(g.self, &at, &snap, &err) == SLUICE_OK);
    full_load(&g, &c, cat);
    CHECK(gvt(&g)->stream_start(g.self, &at, &err) == SLUICE_OK);
    uint64_t flushed = stream_into(&g, &c, 70);
    printf("pipeline: killed after flushing txn/%llu with more applied but not flushed\n",
           (unsigned long long)flushed);
    close_inst(&c); /* unflushed transactions are lost, as in a crash */
    close_inst(&g);
    th_catalog_free(cat);
    append_file(path, "B\t1999\nU\tgen.t1\t5\t5"); /* and a torn write */

    /* Restart from the sink's checkpoint. */
    CHECK(open_inst(&gl, PIPE_OPTS, &g, &err) == SLUICE_OK);
    CHECK(open_inst(&cl, GEN_OPTS("path", path), &c, &err) == SLUICE_OK);
    CHECK(svt(&c)->get_checkpoint(c.self, &cp, &err) == SLUICE_OK);
    CHECK(cp.len == 8 && cp.bytes[7] == (uint8_t)flushed);
    cat = discover(&g, 3, 6);
    CHECK(gvt(&g)->stream_start(g.self, &cp, &err) == SLUICE_OK);
    CHECK(stream_into(&g, &c, 0) == 150);
    close_inst(&c);
    close_inst(&g);
    th_catalog_free(cat);

    char *text = read_file(path);
    jbuf journal = {text, strlen(text), strlen(text) + 1, 0};
    check_state("pipeline journal", &journal, &p, 150);

    /* Negative control: the same commits applied twice must be caught. */
    jbuf twice = {0};
    const char *second_half = strstr(text, "C\t1090\t");
    second_half = second_half ? strchr(second_half, '\n') + 1 : text;
    jbuf_put(&twice, text, strlen(text));
    jbuf_put(&twice, second_half, strlen(second_half));
    char msg[1024];
    char *out = replay_text(twice.data, twice.len, msg, sizeof msg);
    printf("negative control (commits replayed): %s", msg);
    CHECK(out == NULL);
    CHECK_CONTAINS(msg, "applied twice");
    free(out);
    jbuf_free(&twice);
    jbuf_free(&journal);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_corehost generator|capture|pipeline PLUGIN_DIR WORK_DIR\n");
        return 2;
    }
    printf("note: this test drives the plugins through %s\n", th_name());
    if (mkdir(argv[3], 0755) != 0 && errno != EEXIST) {
        perror(argv[3]);
        return 2;
    }
    int rc = 2;
    if (strcmp(argv[1], "generator") == 0)
        rc = run_generator(argv[2]);
    else if (strcmp(argv[1], "capture") == 0)
        rc = run_capture(argv[2], argv[3]);
    else if (strcmp(argv[1], "pipeline") == 0)
        rc = run_pipeline(argv[2], argv[3]);
    if (rc != 0)
        return rc;
    return unit_done();
}
