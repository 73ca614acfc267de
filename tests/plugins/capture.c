/*
 * capture: a test sink that writes everything it receives to a journal file
 * (format in journal.h), so capture-replay can check it for exactly-once.
 *
 * Durability follows a real transactional target:
 *   - change records are buffered; flush() appends every complete transaction
 *     (up to the last COMMIT seen) in one write, fsyncs and reports its position;
 *   - snapshot rows are buffered per table and instance (past 1 MB in an
 *     unlinked spill file, so memory stays bounded); finish_table() appends
 *     them with their L record under one lock and fsyncs;
 *   - prepare_table() is written at once (like DDL that commits by itself).
 * Every append is one write() under flock, so several instances may share one
 * journal. At open, a torn tail (anything after the last P, L or C record) is
 * cut off, as a crash would have lost it on a real target.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <sluice/sluice.h>

#include "journal.h"

typedef struct cap_config {
    const char *path;
    int discard; /* option "null" */
    int64_t fail_at;
    int fail_fatal;
    int64_t retry_at;
    const char *retry_marker;
    int64_t delay_ms;
    int fsync;
} cap_config;

#define OPT(name, type, def, desc, member) \
    {name, type, 0, def, NULL, desc, offsetof(cap_config, member)}

static const sluice_option cap_options[] = {
    {"path", SLUICE_OPTION_STRING, SLUICE_OPTION_REQUIRED, NULL, NULL,
     "the journal file (ignored with null = true)", offsetof(cap_config, path)},
    OPT("null", SLUICE_OPTION_BOOL, "false", "discard everything (still walks every row)",
        discard),
    OPT("fail_at", SLUICE_OPTION_INT, "0", "the Nth apply/write_rows call fails; 0: never",
        fail_at),
    OPT("fail_fatal", SLUICE_OPTION_BOOL, "false", "fail_at fails with FATAL instead of ERROR",
        fail_fatal),
    OPT("retry_at", SLUICE_OPTION_INT, "0",
        "the Nth apply call reports a lost connection (RETRY), once: see retry_marker", retry_at),
    OPT("retry_marker", SLUICE_OPTION_STRING, NULL,
        "file created when retry_at fires, so a reopened sink does not fire again", retry_marker),
    OPT("delay_ms", SLUICE_OPTION_INT, "0", "sleep this long in every apply/write_rows call",
        delay_ms),
    OPT("fsync", SLUICE_OPTION_BOOL, "true", "fsync the journal after every durable write",
        fsync),
};

/* Past this many buffered bytes, a table's snapshot rows go to a spill file. */
#define SPILL_AT (1u << 20)

/* Snapshot rows of one table, held until finish_table: in memory, then spilled. */
typedef struct table_load {
    jbuf name;       /* escaped "schema.table" */
    jbuf rows;       /* the newest rows */
    int spill_fd;    /* older rows, in an unlinked file next to the journal; -1: none */
    uint64_t spilled;
} table_load;

typedef struct capture {
    const sluice_host *host;
    sluice_context *ctx;
    cap_config cfg;
    char *path;
    int fd;                      /* -1 with null = true */
    jbuf pending;                /* change records not flushed yet */
    size_t committed_len;        /* bytes of pending up to the end of the last C */
    int in_txn;
    sluice_position last_commit; /* the last COMMIT apply saw */
    int unreported;              /* last_commit is newer than what flush reported */
    sluice_position checkpoint;  /* the journal's last C: at open, then after each flush */
    table_load *loads;
    size_t nloads;
    int64_t calls;               /* apply + write_rows calls, for fail_at */
    int broken;                  /* retry_at fired: this instance's "connection" is gone */
    uint64_t digest;             /* null mode: a sum over every value, so none is skipped */
} capture;

/* ---- file helpers ---- */

static sluice_status io_error(capture *c, sluice_error *err, const char *what)
{
    int e = errno;
    c->host->error(err, SLUICE_FATAL, "could not %s journal \"%s\": %s", what, c->path,
                   strerror(e));
    return SLUICE_FATAL;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One locked append of whole records, then fsync when asked: the unit of durability. */
static sluice_status append_durably(capture *c, const char *p, size_t n, sluice_error *err)
{
    if (n == 0)
        return SLUICE_OK;
    if (flock(c->fd, LOCK_EX) != 0)
        return io_error(c, err, "lock");
    int failed = write_all(c->fd, p, n) != 0 || (c->cfg.fsync && fsync(c->fd) != 0);
    int e = errno;
    flock(c->fd, LOCK_UN);
    errno = e;
    return failed ? io_error(c, err, "write") : SLUICE_OK;
}

/* A new file's directory entry must be durable too. */
static void fsync_parent(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

/* ---- snapshot rows: memory, then a spill file ---- */

static void load_reset(table_load *load)
{
    load->rows.len = 0;
    if (load->spill_fd >= 0)
        close(load->spill_fd);
    load->spill_fd = -1;
    load->spilled = 0;
}

/* Moves the buffered rows to the spill file, creating it (unlinked) first. */
static sluice_status spill(capture *c, table_load *load, sluice_error *err)
{
    if (load->spill_fd < 0) {
        size_t n = strlen(c->path) + sizeof ".load-XXXXXX";
        char *tmpl = malloc(n);
        if (!tmpl)
            return c->host->error(err, SLUICE_FATAL, "out of memory");
        snprintf(tmpl, n, "%s.load-XXXXXX", c->path);
        load->spill_fd = mkstemp(tmpl);
        if (load->spill_fd >= 0)
            unlink(tmpl); /* nothing to clean up after a crash */
        free(tmpl);
        if (load->spill_fd < 0)
            return io_error(c, err, "create a spill file for");
    }
    if (write_all(load->spill_fd, load->rows.data, load->rows.len) != 0)
        return io_error(c, err, "spill rows of");
    load->spilled += load->rows.len;
    load->rows.len = 0;
    return SLUICE_OK;
}

/* Copies the spill file to the journal; the caller holds the lock. */
static int copy_spill(capture *c, table_load *load)
{
    char *buf = malloc(SPILL_AT);
    uint64_t done = 0;
    int failed = !buf;
    while (!failed && done < load->spilled) {
        size_t want = load->spilled - done < SPILL_AT ? (size_t)(load->spilled - done) : SPILL_AT;
        ssize_t got = pread(load->spill_fd, buf, want, (off_t)done);
        if (got < 0 && errno == EINTR)
            continue;
        failed = got <= 0 || write_all(c->fd, buf, (size_t)got) != 0;
        done += got > 0 ? (uint64_t)got : 0;
    }
    free(buf);
    return failed ? -1 : 0;
}

/* Appends a finished table's rows and its L record under one lock, durably. */
static sluice_status append_load(capture *c, table_load *load, sluice_error *err)
{
    if (flock(c->fd, LOCK_EX) != 0)
        return io_error(c, err, "lock");
    int failed = (load->spilled && copy_spill(c, load) != 0) ||
                 write_all(c->fd, load->rows.data, load->rows.len) != 0 ||
                 (c->cfg.fsync && fsync(c->fd) != 0);
    int e = errno;
    flock(c->fd, LOCK_UN);
    errno = e;
    return failed ? io_error(c, err, "write") : SLUICE_OK;
}

/* Cuts a torn tail and reads the last committed position, under the lock. */
static sluice_status recover_journal(capture *c, sluice_error *err)
{
    journal_scan scan;
    if (flock(c->fd, LOCK_EX) != 0)
        return io_error(c, err, "lock");
    int failed = journal_scan_fd(c->fd, &scan) != 0;
    if (!failed && scan.safe_end < scan.size)
        failed = ftruncate(c->fd, (off_t)scan.safe_end) != 0 || fsync(c->fd) != 0;
    int e = errno;
    flock(c->fd, LOCK_UN);
    errno = e;
    if (failed)
        return io_error(c, err, "recover");
    if (scan.problem[0]) {
        c->host->error(err, SLUICE_FATAL, "journal \"%s\" is damaged", c->path);
        c->host->error_detail(err, "At %s.", scan.problem);
        return SLUICE_FATAL;
    }
    if (scan.safe_end < scan.size)
        c->host->log(c->ctx, SLUICE_LOG_WARNING,
                     "removed %" PRIu64 " bytes of an incomplete write from journal \"%s\"",
                     scan.size - scan.safe_end, c->path);
    c->checkpoint.len = scan.has_commit ? scan.position_len : 0;
    memcpy(c->checkpoint.bytes, scan.position, c->checkpoint.len);
    return SLUICE_OK;
}

/* ---- open / close ---- */

static sluice_status bad_option(const sluice_host *host, sluice_error *err, const char *name,
                                long long value)
{
    host->error(err, SLUICE_FATAL, "invalid value for option \"%s\": %lld", name, value);
    host->error_detail(err, "Option %s must be zero or more.", name);
    host->error_hint(err, "Change %s in the target section of the pipeline.", name);
    return SLUICE_FATAL;
}

static sluice_status check_config(const sluice_host *host, const cap_config *cfg,
                                  sluice_error *err)
{
    if (cfg->fail_at < 0)
        return bad_option(host, err, "fail_at", cfg->fail_at);
    if (cfg->delay_ms < 0)
        return bad_option(host, err, "delay_ms", cfg->delay_ms);
    if (!cfg->discard && (!cfg->path || !cfg->path[0])) { /* the core checks it is set */
        host->error(err, SLUICE_FATAL, "option \"path\" must not be empty");
        host->error_hint(err, "Set path = \"/some/dir/journal.txt\" in the target section, "
                              "or null = true to discard everything.");
        return SLUICE_FATAL;
    }
    return SLUICE_OK;
}

static void cap_close(void *instance)
{
    capture *c = instance;
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    for (size_t i = 0; i < c->nloads; i++) {
        load_reset(&c->loads[i]);
        jbuf_free(&c->loads[i].name);
        jbuf_free(&c->loads[i].rows);
    }
    free(c->loads);
    jbuf_free(&c->pending);
    free(c->path);
    free(c);
}

static sluice_status open_journal(capture *c, sluice_error *err)
{
    int existed = access(c->path, F_OK) == 0;
    c->fd = open(c->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (c->fd < 0)
        return io_error(c, err, "open");
    if (!existed && c->cfg.fsync)
        fsync_parent(c->path);
    return recover_journal(c, err);
}

static sluice_status cap_open(const sluice_host *host, sluice_context *ctx, const void *config,
                              void **instance, sluice_error *err)
{
    const cap_config *cfg = config;
    sluice_status st = check_config(host, cfg, err);
    if (st != SLUICE_OK)
        return st;
    capture *c = calloc(1, sizeof *c);
    if (!c)
        return host->error(err, SLUICE_FATAL, "out of memory");
    c->host = host;
    c->ctx = ctx;
    c->cfg = *cfg;
    c->cfg.path = NULL; /* core-owned; we keep our own copy */
    c->fd = -1;
    if (!cfg->discard) {
        c->path = strdup(cfg->path);
        st = c->path ? open_journal(c, err) : host->error(err, SLUICE_FATAL, "out of memory");
        if (st != SLUICE_OK) {
            cap_close(c);
            return st;
        }
    }
    *instance = c;
    return SLUICE_OK;
}

static sluice_status cap_get_checkpoint(void *instance, sluice_position *committed,
                                        sluice_error *err)
{
    capture *c = instance;
    (void)err;
    *committed = c->checkpoint;
    return SLUICE_OK;
}

/* ---- records ---- */

static void put_table(jbuf *b, const sluice_table *t)
{
    jbuf_put_escaped(b, t->schema.ptr, t->schema.len);
    jbuf_putc(b, '.');
    jbuf_put_escaped(b, t->name.ptr, t->name.len);
}

static void put_value(jbuf *b, const sluice_value *v)
{
    switch (v->kind) {
    case SLUICE_VALUE_INT:
        jbuf_put_int(b, v->u.i);
        break;
    case SLUICE_VALUE_TEXT:
    case SLUICE_VALUE_NATIVE:
        jbuf_put_escaped(b, v->u.bytes, v->len);
        break;
    case SLUICE_VALUE_UNCHANGED:
        jbuf_put(b, "\\U", 2);
        break;
    default:
        jbuf_put(b, "\\N", 2);
        break;
    }
}

static void put_row(jbuf *b, const sluice_value *row, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        jbuf_putc(b, '\t');
        put_value(b, &row[i]);
    }
}

/* "<kind>\t<table>": the start of every table record. */
static void put_head(jbuf *b, char kind, const sluice_table *t)
{
    jbuf_putc(b, kind);
    jbuf_putc(b, '\t');
    put_table(b, t);
}

static int has_value(const sluice_value *v)
{
    return v->kind == SLUICE_VALUE_INT || v->kind == SLUICE_VALUE_TEXT ||
           v->kind == SLUICE_VALUE_NATIVE;
}

/* The old key of an update or delete: old_row's first value, else new_row's. */
static const sluice_value *old_key(const sluice_event *e)
{
    if (e->old_row && has_value(&e->old_row[0]))
        return &e->old_row[0];
    if (e->new_row && has_value(&e->new_row[0]))
        return &e->new_row[0];
    return NULL;
}

/* ---- fail_at and delay_ms ---- */

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Sleeps and fails as configured; SLUICE_OK to go on. */
static sluice_status call_hooks(capture *c, const char *callback, sluice_error *err)
{
    if (c->cfg.delay_ms > 0)
        sleep_ms(c->cfg.delay_ms);
    c->calls++;
    if (c->cfg.fail_at <= 0 || c->calls != c->cfg.fail_at)
        return SLUICE_OK;
    sluice_status st = c->cfg.fail_fatal ? SLUICE_FATAL : SLUICE_ERROR;
    c->host->error(err, st, "capture failed in %s as configured", callback);
    c->host->error_detail(err, "Option fail_at is %" PRId64 ": call %" PRId64
                               " of apply and write_rows fails.",
                          c->cfg.fail_at, c->calls);
    c->host->error_hint(err, "Set fail_at = 0 to accept every batch.");
    return st;
}

/* retry_at: a lost connection, once per marker file. The instance stays broken,
   like a dead connection, until the core opens a new one. */
static sluice_status lost_connection(capture *c, const char *callback, sluice_error *err)
{
    if (!c->broken) {
        if (c->cfg.retry_at <= 0 || c->calls != c->cfg.retry_at || !c->cfg.retry_marker)
            return SLUICE_OK;
        FILE *f = fopen(c->cfg.retry_marker, "wx"); /* fails when it exists: fired before */
        if (!f)
            return SLUICE_OK;
        fclose(f);
        c->broken = 1;
    }
    c->host->error(err, SLUICE_RETRY, "capture lost its connection in %s (simulated)", callback);
    c->host->error_detail(err, "Option retry_at is %" PRId64 ".", c->cfg.retry_at);
    return SLUICE_RETRY;
}

/* Null mode: touch every value so the work cannot be skipped. */
static void digest_row(capture *c, const sluice_value *row, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        c->digest += row[i].kind == SLUICE_VALUE_INT ? (uint64_t)row[i].u.i : row[i].len;
}

/* ---- full load ---- */

static table_load *find_load(capture *c, const sluice_table *t)
{
    jbuf name = {0};
    put_table(&name, t);
    table_load *found = NULL;
    for (size_t i = 0; i < c->nloads && !found; i++)
        if (c->loads[i].name.len == name.len &&
            memcmp(c->loads[i].name.data, name.data, name.len) == 0)
            found = &c->loads[i];
    if (!found && !name.failed) {
        table_load *more = realloc(c->loads, (c->nloads + 1) * sizeof *more);
        if (more) {
            c->loads = more;
            found = &c->loads[c->nloads++];
            found->name = name;
            memset(&found->rows, 0, sizeof found->rows);
            found->spill_fd = -1;
            found->spilled = 0;
            return found;
        }
    }
    jbuf_free(&name);
    return found;
}

static sluice_status cap_prepare_table(void *instance, const sluice_table *table,
                                       sluice_prep_mode mode, sluice_error *err)
{
    capture *c = instance;
    if (c->cfg.discard)
        return SLUICE_OK;
    table_load *load = find_load(c, table);
    if (!load)
        return c->host->error(err, SLUICE_FATAL, "out of memory");
    load_reset(load); /* a new load starts over */
    jbuf rec = {0};
    put_head(&rec, 'P', table);
    jbuf_putc(&rec, '\t');
    jbuf_put_uint(&rec, (uint64_t)mode);
    jbuf_putc(&rec, '\n');
    sluice_status st = rec.failed ? c->host->error(err, SLUICE_FATAL, "out of memory")
                                  : append_durably(c, rec.data, rec.len, err);
    jbuf_free(&rec);
    return st;
}

static sluice_status cap_write_rows(void *instance, const sluice_batch *batch, sluice_error *err)
{
    capture *c = instance;
    sluice_status st = call_hooks(c, "write_rows", err);
    if (st != SLUICE_OK)
        return st;
    uint64_t rows = 0;
    for (uint32_t i = 0; i < batch->nevents; i++) {
        const sluice_event *e = sluice_batch_event(batch, i);
        const sluice_table *t = e->table ? e->table : batch->table;
        if (e->op != SLUICE_OP_INSERT || !t || !e->new_row)
            continue;
        rows++;
        if (c->cfg.discard) {
            digest_row(c, e->new_row, t->ncolumns);
            continue;
        }
        table_load *load = find_load(c, t);
        if (!load)
            return c->host->error(err, SLUICE_FATAL, "out of memory");
        put_head(&load->rows, 'S', t);
        put_row(&load->rows, e->new_row, t->ncolumns);
        jbuf_putc(&load->rows, '\n');
        if (load->rows.failed)
            return c->host->error(err, SLUICE_FATAL, "out of memory");
        if (load->rows.len >= SPILL_AT && (st = spill(c, load, err)) != SLUICE_OK)
            return st;
    }
    c->host->count(c->ctx, "rows", rows);
    return SLUICE_OK;
}

static sluice_status cap_finish_table(void *instance, const sluice_table *table,
                                      sluice_error *err)
{
    capture *c = instance;
    if (c->cfg.discard)
        return SLUICE_OK;
    table_load *load = find_load(c, table);
    if (!load)
        return c->host->error(err, SLUICE_FATAL, "out of memory");
    put_head(&load->rows, 'L', table);
    jbuf_putc(&load->rows, '\n');
    sluice_status st = load->rows.failed ? c->host->error(err, SLUICE_FATAL, "out of memory")
                                         : append_load(c, load, err);
    load_reset(load);
    jbuf_free(&load->rows);
    return st;
}

/* ---- changes ---- */

static sluice_status out_of_txn(capture *c, const sluice_event *e, sluice_error *err)
{
    c->host->error(err, SLUICE_FATAL, "change event outside a transaction");
    c->host->error_detail(err, "An event of kind %u arrived without a BEGIN before it.",
                          (unsigned)e->op);
    return SLUICE_FATAL;
}

static void record_commit(capture *c, const sluice_event *e)
{
    jbuf *b = &c->pending;
    jbuf_put(b, "C\t", 2);
    jbuf_put_uint(b, e->xid);
    jbuf_putc(b, '\t');
    if (e->position)
        jbuf_put_hex(b, e->position->bytes, e->position->len);
    jbuf_putc(b, '\n');
    c->committed_len = b->len;
    c->last_commit = e->position ? *e->position : (sluice_position){0};
    c->unreported = 1;
}

/* A row change, as its journal record. */
static sluice_status record_change(capture *c, const sluice_event *e, sluice_error *err)
{
    static const char kinds[] = {[SLUICE_OP_INSERT] = 'I', [SLUICE_OP_UPDATE] = 'U',
                                 [SLUICE_OP_DELETE] = 'D', [SLUICE_OP_TRUNCATE] = 'T',
                                 [SLUICE_OP_SCHEMA] = 'X'};
    jbuf *b = &c->pending;
    const sluice_value *key = old_key(e);
    if (!e->table)
        return c->host->error(err, SLUICE_FATAL, "change event without a table");
    if ((e->op == SLUICE_OP_INSERT || e->op == SLUICE_OP_UPDATE) && !e->new_row)
        return c->host->error(err, SLUICE_FATAL, "insert or update without a new row");
    if ((e->op == SLUICE_OP_UPDATE || e->op == SLUICE_OP_DELETE) && !key)
        return c->host->error(err, SLUICE_FATAL, "update or delete without a key");
    put_head(b, kinds[e->op], e->table);
    if (e->op == SLUICE_OP_UPDATE || e->op == SLUICE_OP_DELETE) {
        jbuf_putc(b, '\t');
        put_value(b, key);
    }
    if (e->op == SLUICE_OP_INSERT || e->op == SLUICE_OP_UPDATE)
        put_row(b, e->new_row, e->table->ncolumns);
    if (e->op == SLUICE_OP_SCHEMA) {
        jbuf_putc(b, '\t');
        jbuf_put_uint(b, e->table->ncolumns);
    }
    jbuf_putc(b, '\n');
    return SLUICE_OK;
}

static sluice_status record_event(capture *c, const sluice_event *e, sluice_error *err)
{
    switch (e->op) {
    case SLUICE_OP_SKIP:
        return SLUICE_OK;
    case SLUICE_OP_BEGIN:
        if (c->in_txn) {
            c->host->error(err, SLUICE_FATAL, "transaction %" PRIu64 " began inside another",
                           e->xid);
            c->host->error_detail(err, "The previous transaction had no COMMIT.");
            return SLUICE_FATAL;
        }
        c->in_txn = 1;
        jbuf_put(&c->pending, "B\t", 2);
        jbuf_put_uint(&c->pending, e->xid);
        jbuf_putc(&c->pending, '\n');
        return SLUICE_OK;
    case SLUICE_OP_COMMIT:
        if (!c->in_txn)
            return out_of_txn(c, e, err);
        c->in_txn = 0;
        record_commit(c, e);
        return SLUICE_OK;
    case SLUICE_OP_INSERT:
    case SLUICE_OP_UPDATE:
    case SLUICE_OP_DELETE:
    case SLUICE_OP_TRUNCATE:
    case SLUICE_OP_SCHEMA:
        return c->in_txn ? record_change(c, e, err) : out_of_txn(c, e, err);
    default:
        return c->host->error(err, SLUICE_FATAL, "unknown event kind %u", (unsigned)e->op);
    }
}

/* Null mode: only transaction state, commit positions and a digest of the rows. */
static void discard_event(capture *c, const sluice_event *e)
{
    if (e->op == SLUICE_OP_BEGIN)
        c->in_txn = 1;
    else if (e->op == SLUICE_OP_COMMIT) {
        c->in_txn = 0;
        c->last_commit = e->position ? *e->position : (sluice_position){0};
        c->unreported = 1;
    } else if (e->table && e->new_row)
        digest_row(c, e->new_row, e->table->ncolumns);
}

static sluice_status cap_apply(void *instance, const sluice_batch *batch, sluice_error *err)
{
    capture *c = instance;
    sluice_status st = call_hooks(c, "apply", err);
    if (st == SLUICE_OK)
        st = lost_connection(c, "apply", err);
    if (st != SLUICE_OK)
        return st;
    /* A failed batch leaves no trace, so the core may retry it. */
    size_t len = c->pending.len, committed = c->committed_len;
    int in_txn = c->in_txn, unreported = c->unreported;
    sluice_position last = c->last_commit;
    for (uint32_t i = 0; i < batch->nevents && st == SLUICE_OK; i++) {
        const sluice_event *e = sluice_batch_event(batch, i);
        if (c->cfg.discard)
            discard_event(c, e);
        else
            st = record_event(c, e, err);
    }
    if (st == SLUICE_OK && c->pending.failed)
        st = c->host->error(err, SLUICE_FATAL, "out of memory");
    if (st != SLUICE_OK) {
        c->pending.len = len < c->pending.len ? len : c->pending.len;
        c->committed_len = committed;
        c->in_txn = in_txn;
        c->unreported = unreported;
        c->last_commit = last;
        return st;
    }
    c->host->count(c->ctx, "events", batch->nevents);
    return SLUICE_OK;
}

static sluice_status cap_flush(void *instance, sluice_position *committed, sluice_error *err)
{
    capture *c = instance;
    committed->len = 0;
    if (c->broken)
        return lost_connection(c, "flush", err);
    if (!c->unreported)
        return SLUICE_OK;
    if (!c->cfg.discard) {
        sluice_status st = append_durably(c, c->pending.data, c->committed_len, err);
        if (st != SLUICE_OK)
            return st;
        jbuf_consume(&c->pending, c->committed_len);
        c->committed_len = 0;
    }
    c->checkpoint = c->last_commit;
    c->unreported = 0;
    *committed = c->last_commit;
    return SLUICE_OK;
}

static sluice_status cap_cleanup(void *instance, sluice_error *err)
{
    capture *c = instance;
    (void)err;
    c->host->log(c->ctx, SLUICE_LOG_INFO, "nothing to clean up: the journal is the data");
    return SLUICE_OK;
}

/* ---- the descriptor ---- */

static const sluice_sink_vtable cap_vtable = {
    .header = SLUICE_HEADER_INIT(sluice_sink_vtable),
    .open = cap_open,
    .close = cap_close,
    .get_checkpoint = cap_get_checkpoint,
    .prepare_table = cap_prepare_table,
    .write_rows = cap_write_rows,
    .finish_table = cap_finish_table,
    .apply = cap_apply,
    .flush = cap_flush,
    .cleanup = cap_cleanup,
};

static const sluice_options cap_option_table = {
    .header = SLUICE_HEADER_INIT(sluice_options),
    .option_size = sizeof(sluice_option),
    .count = sizeof cap_options / sizeof cap_options[0],
    .options = cap_options,
    .config_size = sizeof(cap_config),
};

static const sluice_plugin cap_plugin = {
    .header = SLUICE_HEADER_INIT(sluice_plugin),
    .kind = SLUICE_KIND_SINK,
    .name = "capture",
    .version = "1.0.0",
    .description = "test sink: a durable journal of everything received (capture-replay reads it)",
    .options = &cap_option_table,
    .vtable = &cap_vtable,
};

SLUICE_PLUGIN_ABI_DEFINE()

SLUICE_EXPORT const sluice_plugin *sluice_plugin_init(const sluice_host *host)
{
    (void)host; /* open() receives the host again; nothing global is kept */
    return &cap_plugin;
}
