/*
 * Runs: row changes of one table, one operation and one set of columns,
 * gathered within the open target transaction and sent as one multi-row
 * statement (batchsql.c). One statement per row change made the target's
 * backend the bottleneck of change apply; one per run costs a fraction.
 *
 * What may not change is the result, so a run only holds rows that give the
 * same result whatever order the statement applies them in, and runs only
 * move where nothing can tell:
 *
 *   - a table keeps its own order: its run is sent before any other change of
 *     it that does not join the run (another operation or column set, a key
 *     already in the run, a row that goes alone), and before TRUNCATE, schema
 *     changes, the checkpoint and COMMIT (pipe.c flushes before those);
 *   - an UPDATE or DELETE whose key is already in the run closes the run first,
 *     so a later change of a row always sees the earlier one;
 *   - a key-changing UPDATE goes alone (the rows of one statement could pass
 *     each other's keys in any order), so do UPDATEs of a table with another
 *     unique index or an exclusion constraint, and UPDATE / DELETE of a table
 *     found by its replica identity (ctid, one row at a time);
 *   - runs of different tables may overtake each other, but only between
 *     tables with no foreign keys (either side), user triggers or rules at the
 *     target ("ordered" otherwise): an ordered table's change waits for every
 *     run before it, and its run goes before any later change of another table.
 *     All of it is in one target transaction, so no reader sees the order.
 *
 * The rows borrow the batch's events, so every apply() call sends its runs
 * before it returns (its final sync flushes them). Rows a statement cannot
 * carry (a NUL byte, a missing value, a native one) go alone through
 * sp_send_row, which reports or rejects them exactly as before.
 *
 * error_policy = record: a run goes under the window's savepoint like a row.
 * When the target rejects the statement, pipe.c rolls it back and sends its
 * rows again one by one, each under its own savepoint, so exactly the bad row
 * is recorded. Runs end at each source COMMIT there (apply.c), so a rejected
 * row's COMMIT position is known as it would be for a single-row statement.
 */
#include <stdlib.h>
#include <string.h>

#include "sinkpg.h"
#include "sqltext.h"

#define RUN_ROWS 1000u             /* rows in one statement */
#define RUN_BYTES ((size_t)4 << 20) /* about this much value text in one statement */
#define KEY_SLOTS 2048u            /* open addressing, at most half full (RUN_ROWS) */

typedef struct sp_run {
    sp_op op;
    uint8_t *mask;       /* the columns its statement writes */
    sp_entry *rows;
    uint32_t n, cap;
    size_t bytes;
    uint32_t *keys;      /* UPDATE / DELETE: row index + 1 per slot, 0 empty */
    uint32_t *hashes;
} sp_run;

struct sp_batch {
    sp_tinfo *info;      /* per table slot */
    sp_run *runs;
    uint32_t nslots;
    uint32_t *pending;   /* slots with rows, in the order their runs began */
    uint32_t npending;
    sp_entry **sent;     /* rows of the statements sent since the last sync */
    uint32_t nsent, sent_cap;
    int flushing;
};

static struct sp_batch *batch_of(sinkpg *s, uint32_t slot)
{
    struct sp_batch *b = s->pipe.batch;
    if (!b && !(b = s->pipe.batch = calloc(1, sizeof *b)))
        return NULL;
    if (slot < b->nslots)
        return b;
    uint32_t n = slot + 8;
    sp_tinfo *info = realloc(b->info, n * sizeof *info);
    if (info)
        b->info = info;
    sp_run *runs = realloc(b->runs, n * sizeof *runs);
    if (runs)
        b->runs = runs;
    uint32_t *pending = realloc(b->pending, n * sizeof *pending);
    if (pending)
        b->pending = pending;
    if (!info || !runs || !pending)
        return NULL;
    memset(b->info + b->nslots, 0, (n - b->nslots) * sizeof *info);
    memset(b->runs + b->nslots, 0, (n - b->nslots) * sizeof *runs);
    b->nslots = n;
    return b;
}

const sp_tinfo *sp_batch_info(const sinkpg *s, const sp_table *tt)
{
    const struct sp_batch *b = s->pipe.batch;
    return b && tt->slot < b->nslots ? &b->info[tt->slot] : NULL;
}

int sp_batch_pending(const sinkpg *s)
{
    return s->pipe.batch && s->pipe.batch->npending;
}

/* ---- keys in a run ---- */

static int is_text(const sluice_value *v) { return v->kind == SLUICE_VALUE_TEXT; }

static int same_value(const sluice_value *a, const sluice_value *b)
{
    if (a->kind != b->kind)
        return 0;
    if (a->kind == SLUICE_VALUE_INT)
        return a->u.i == b->u.i;
    return !is_text(a) || (a->len == b->len && memcmp(a->u.bytes, b->u.bytes, a->len) == 0);
}

static uint32_t key_hash(const sp_table *tt, const sluice_event *e)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (uint32_t k = 0; k < tt->nkeys; k++) {
        const sluice_value *v = sp_key_value(tt, e, (uint32_t)tt->keys[k]);
        const unsigned char *p = v->kind == SLUICE_VALUE_INT ? (const unsigned char *)&v->u.i
                                                             : (const unsigned char *)v->u.bytes;
        size_t n = v->kind == SLUICE_VALUE_INT ? sizeof v->u.i : v->len;
        h = (h ^ v->kind) * 1099511628211u;
        for (size_t i = 0; i < n; i++)
            h = (h ^ p[i]) * 1099511628211u;
    }
    return (uint32_t)(h ^ h >> 32);
}

static int same_key(const sp_table *tt, const sluice_event *a, const sluice_event *b)
{
    for (uint32_t k = 0; k < tt->nkeys; k++) {
        uint32_t col = (uint32_t)tt->keys[k];
        if (!same_value(sp_key_value(tt, a, col), sp_key_value(tt, b, col)))
            return 0;
    }
    return 1;
}

/* Whether the run already holds e's key (its row in *slot then); -1 when out of memory. */
static int key_seen(const sp_table *tt, sp_run *run, const sluice_event *e, uint32_t *slot,
                    uint32_t *hash)
{
    if (!run->keys) {
        run->keys = calloc(KEY_SLOTS, sizeof *run->keys);
        run->hashes = malloc(KEY_SLOTS * sizeof *run->hashes);
        if (!run->keys || !run->hashes)
            return -1;
    }
    *hash = key_hash(tt, e);
    for (uint32_t i = *hash & (KEY_SLOTS - 1);; i = (i + 1) & (KEY_SLOTS - 1)) {
        if (!run->keys[i]) {
            *slot = i;
            return 0;
        }
        if (run->hashes[i] == *hash && same_key(tt, run->rows[run->keys[i] - 1].event, e)) {
            *slot = run->keys[i] - 1;
            return 1;
        }
    }
}

/* ---- which rows a statement can carry ---- */

static int plain(const sluice_value *v, int null_ok)
{
    if (v->kind == SLUICE_VALUE_INT || (null_ok && v->kind == SLUICE_VALUE_NULL))
        return 1;
    return is_text(v) && !memchr(v->u.bytes, '\0', v->len);
}

/*
 * Whether the row may join a run; fills its mask. Everything else goes alone
 * through sp_send_row, whose checks and messages stay the only ones.
 */
static int joinable(const sp_table *tt, const sp_tinfo *info, const sluice_event *e, sp_op op,
                    uint8_t *mask)
{
    if (!info->usable || info->ncolumns != tt->ncolumns)
        return 0;
    if (op != SP_INSERT && (tt->full_identity || tt->nkeys == 0))
        return 0;
    if (op == SP_UPDATE && !info->update_ok)
        return 0;
    memset(mask, 0, (tt->ncolumns + 7) / 8);
    if (op != SP_DELETE) {
        if (!e->new_row)
            return 0;
        int any = 0;
        for (uint32_t i = 0; i < tt->ncolumns; i++) {
            const sluice_value *v = &e->new_row[i];
            if (op == SP_UPDATE && v->kind == SLUICE_VALUE_UNCHANGED)
                continue; /* left out of the SET list, as in the single-row statement */
            if (!plain(v, 1))
                return 0;
            mask[i / 8] |= (uint8_t)(1u << (i % 8));
            any = 1;
        }
        if (!any)
            return 0;
    }
    for (uint32_t k = 0; op != SP_INSERT && k < tt->nkeys; k++) {
        uint32_t col = (uint32_t)tt->keys[k];
        const sluice_value *v = sp_key_value(tt, e, col);
        if (!v || !plain(v, 0))
            return 0;
        /* a key-changing update: the new key differs from the old one the source sent */
        if (op == SP_UPDATE && e->new_row[col].kind != SLUICE_VALUE_UNCHANGED &&
            !same_value(v, &e->new_row[col]))
            return 0;
    }
    return 1;
}

static size_t row_bytes(const sp_table *tt, const sluice_event *e)
{
    size_t n = 0;
    const sluice_value *row = e->new_row ? e->new_row : e->old_row;
    for (uint32_t i = 0; row && i < tt->ncolumns; i++)
        n += (is_text(&row[i]) ? row[i].len : 0) + 8;
    return n;
}

/* ---- sending ---- */

static sluice_status keep_sent(sinkpg *s, struct sp_batch *b, sp_entry *rows, sluice_error *err)
{
    if (b->nsent == b->sent_cap) {
        uint32_t cap = b->sent_cap ? b->sent_cap * 2 : 16;
        sp_entry **more = realloc(b->sent, cap * sizeof *more);
        if (!more) {
            free(rows);
            return sp_oom(s, err);
        }
        b->sent = more;
        b->sent_cap = cap;
    }
    b->sent[b->nsent++] = rows;
    return SLUICE_OK;
}

/* Sends the slot's run: one row alone, several as one statement. */
static sluice_status send_run(sinkpg *s, struct sp_batch *b, uint32_t slot, sluice_error *err)
{
    sp_run *run = &b->runs[slot];
    sp_table *tt = s->tables[slot];
    uint32_t n = run->n;
    run->n = 0;
    run->bytes = 0;
    if (run->keys)
        memset(run->keys, 0, KEY_SLOTS * sizeof *run->keys);
    if (n == 0)
        return SLUICE_OK;
    sp_origin o = {run->rows[0].xid, run->rows[0].seq};
    sluice_status st = sp_pipe_enter(s, err);
    if (st != SLUICE_OK)
        return st;
    if (n == 1)
        return sp_send_row(s, tt, run->rows[0].event, &o, err);
    sp_stmt *stmt = sp_statement(s, tt, run->op, run->mask, 1, &o, err);
    if (!stmt)
        return err->status ? err->status : SLUICE_FATAL;
    st = sp_multi_params(s, tt, stmt, run->rows, n, err);
    if (st == SLUICE_OK && s->record)
        st = sp_pipe_row_begin(s, slot, &o, err);
    if (st != SLUICE_OK)
        return st;
    if (!PQsendQueryPrepared(s->conn, stmt->name, (int)stmt->nparams, s->params, NULL, NULL, 0))
        return sp_report(s, err, SLUICE_FATAL, NULL, "could not send a statement", NULL);
    /* the rows go with the item (a rejected statement's rows are sent again one by one) */
    sp_entry *rows = run->rows;
    run->rows = NULL;
    run->cap = 0;
    if ((st = keep_sent(s, b, rows, err)) != SLUICE_OK)
        return st;
    st = sp_pipe_push(s, (sp_item){.kind = ITEM_BATCH, .op = (uint8_t)run->op, .slot = slot,
                                   .xid = o.xid, .seq = o.seq, .entries = rows, .nentries = n,
                                   .guarded = (uint8_t)s->pipe.guarded},
                      err);
    if (st == SLUICE_OK && s->record)
        st = sp_pipe_row_end(s, slot, &o, err);
    s->host->count(s->ctx, "batched_rows", n);
    return st;
}

/* Sends the pending runs that must go before a change of `slot` (all of them: UINT32_MAX). */
static sluice_status flush_before(sinkpg *s, struct sp_batch *b, uint32_t slot, sluice_error *err)
{
    if (b->flushing)
        return SLUICE_OK; /* a row sent alone while flushing settled the pipeline: go on */
    b->flushing = 1;
    int all = slot == UINT32_MAX || b->info[slot].ordered;
    uint32_t kept = 0;
    sluice_status st = SLUICE_OK;
    for (uint32_t i = 0; i < b->npending; i++) {
        uint32_t y = b->pending[i];
        if (st == SLUICE_OK && y != slot && (all || b->info[y].ordered))
            st = send_run(s, b, y, err);
        else if (st == SLUICE_OK)
            b->pending[kept++] = y;
    }
    b->npending = st == SLUICE_OK ? kept : 0;
    b->flushing = 0;
    return st;
}

/* Sends the slot's own run now. */
static sluice_status flush_slot(sinkpg *s, struct sp_batch *b, uint32_t slot, sluice_error *err)
{
    if (b->runs[slot].n == 0)
        return SLUICE_OK;
    for (uint32_t i = 0; i < b->npending; i++)
        if (b->pending[i] == slot) {
            memmove(b->pending + i, b->pending + i + 1, (b->npending - i - 1) * sizeof *b->pending);
            b->npending--;
            break;
        }
    b->flushing = 1;
    sluice_status st = send_run(s, b, slot, err);
    b->flushing = 0;
    return st;
}

sluice_status sp_batch_flush(sinkpg *s, sluice_error *err)
{
    struct sp_batch *b = s->pipe.batch;
    return b && b->npending ? flush_before(s, b, UINT32_MAX, err) : SLUICE_OK;
}

static sluice_status append(sinkpg *s, struct sp_batch *b, sp_table *tt, const sluice_event *e,
                            sp_op op, const uint8_t *mask, const sp_origin *o, sluice_error *err)
{
    sp_run *run = &b->runs[tt->slot];
    size_t masklen = (tt->ncolumns + 7) / 8;
    size_t bytes = row_bytes(tt, e);
    sluice_status st = SLUICE_OK;
    if (run->n && (run->op != op || memcmp(run->mask, mask, masklen) != 0 ||
                   run->n >= RUN_ROWS || run->bytes + bytes > RUN_BYTES))
        st = flush_slot(s, b, tt->slot, err);
    uint32_t kslot = 0, hash = 0;
    if (st == SLUICE_OK && op != SP_INSERT) {
        int seen = key_seen(tt, run, e, &kslot, &hash);
        if (seen < 0)
            return sp_oom(s, err);
        if (seen && op == SP_UPDATE && !s->record && !b->info[tt->slot].ordered) {
            /*
             * The same row again, with the same columns: its values replace the
             * earlier ones, the state both updates in order leave. A row updated
             * at every source transaction (a counter, pgbench's branches) would
             * otherwise end a run each time and pile up row versions in the one
             * target transaction. Not under record, where the earlier update may
             * be the one rejected, nor with triggers (ordered), which would see
             * one update instead of two.
             */
            run->bytes += bytes - row_bytes(tt, run->rows[kslot].event);
            run->rows[kslot] = (sp_entry){e, o->xid, o->seq};
            s->host->count(s->ctx, "updates_merged", 1);
            return SLUICE_OK;
        }
        if (seen && (st = flush_slot(s, b, tt->slot, err)) == SLUICE_OK &&
            key_seen(tt, run, e, &kslot, &hash) != 0)
            return sp_oom(s, err); /* the run is empty now: only memory can fail */
    }
    if (st != SLUICE_OK)
        return st;
    if (run->n == 0) {
        uint8_t *m = realloc(run->mask, masklen ? masklen : 1);
        if (!m)
            return sp_oom(s, err);
        run->mask = m;
        memcpy(run->mask, mask, masklen);
        run->op = op;
        b->pending[b->npending++] = tt->slot;
    }
    if (run->n == run->cap) {
        uint32_t cap = run->cap ? run->cap * 2 : 64;
        sp_entry *more = realloc(run->rows, cap * sizeof *more);
        if (!more)
            return sp_oom(s, err);
        run->rows = more;
        run->cap = cap;
    }
    run->rows[run->n] = (sp_entry){e, o->xid, o->seq};
    if (op != SP_INSERT) {
        run->keys[kslot] = run->n + 1;
        run->hashes[kslot] = hash;
    }
    run->n++;
    run->bytes += bytes;
    return SLUICE_OK;
}

sluice_status sp_batch_row(sinkpg *s, sp_table *tt, const sluice_event *e, const sp_origin *o,
                           sluice_error *err)
{
    struct sp_batch *b = batch_of(s, tt->slot);
    if (!b)
        return sp_oom(s, err);
    sp_tinfo *info = &b->info[tt->slot];
    sluice_status st = SLUICE_OK;
    if (info->shape != tt->shape) {
        st = sp_pipe_finish(s, err); /* the lookup needs the pipeline idle (finish sends runs) */
        if (st == SLUICE_OK)
            st = sp_tinfo_lookup(s, tt, info, err);
        if (st != SLUICE_OK)
            return st;
    }
    if ((st = flush_before(s, b, tt->slot, err)) != SLUICE_OK)
        return st;
    sp_op op = sp_op_of(e);
    uint8_t small[64];
    size_t masklen = (tt->ncolumns + 7) / 8;
    uint8_t *mask = masklen <= sizeof small ? small : malloc(masklen);
    if (!mask)
        return sp_oom(s, err);
    if (joinable(tt, info, e, op, mask)) {
        st = append(s, b, tt, e, op, mask, o, err);
    } else {
        st = flush_slot(s, b, tt->slot, err);
        if (st == SLUICE_OK)
            st = sp_pipe_enter(s, err);
        if (st == SLUICE_OK)
            st = sp_send_row(s, tt, e, o, err);
    }
    if (mask != small)
        free(mask);
    return st;
}

void sp_batch_sent(sinkpg *s)
{
    struct sp_batch *b = s->pipe.batch;
    if (!b)
        return;
    for (uint32_t i = 0; i < b->nsent; i++)
        free(b->sent[i]);
    b->nsent = 0;
}

void sp_batch_discard(sinkpg *s)
{
    struct sp_batch *b = s->pipe.batch;
    if (!b)
        return;
    for (uint32_t i = 0; i < b->npending; i++) {
        sp_run *run = &b->runs[b->pending[i]];
        run->n = 0;
        run->bytes = 0;
        if (run->keys)
            memset(run->keys, 0, KEY_SLOTS * sizeof *run->keys);
    }
    b->npending = 0;
    sp_batch_sent(s);
}

void sp_batch_free(sp_pipe *p)
{
    struct sp_batch *b = p->batch;
    if (!b)
        return;
    for (uint32_t i = 0; i < b->nslots; i++) {
        sp_tinfo_clear(&b->info[i]);
        free(b->runs[i].mask);
        free(b->runs[i].rows);
        free(b->runs[i].keys);
        free(b->runs[i].hashes);
    }
    for (uint32_t i = 0; i < b->nsent; i++)
        free(b->sent[i]);
    free(b->sent);
    free(b->info);
    free(b->runs);
    free(b->pending);
    free(b);
    p->batch = NULL;
}
