/*
 * Change files. apply() formats each change into its table's buffer and marks,
 * at each COMMIT, how much of every buffer belongs to committed transactions.
 * flush() writes a "roll" when one is due (cdcMaxBatchInterval seconds since the
 * oldest unwritten commit, a table's buffer at cdcMinFileSize KB, or the stream
 * ending or stopping): one object per table with committed changes, named by the
 * position range (naming.c), then the checkpoint object (checkpoint.c). A table
 * whose columns change (a SCHEMA event's new version) gets a new buffer, so a roll
 * may hold several files of one table, one per column layout, numbered. Until a
 * roll, flush reports nothing new, so the source keeps the changes and a crash
 * loses nothing: they are streamed again from the checkpoint.
 */
#include <stdlib.h>
#include <string.h>

#include "sinks3.h"

static int same_name(const cdc_table *ct, const sluice_table *t)
{
    return strlen(ct->schema) == t->schema.len && strlen(ct->name) == t->name.len &&
           memcmp(ct->schema, t->schema.ptr, t->schema.len) == 0 &&
           memcmp(ct->name, t->name.ptr, t->name.len) == 0;
}

/* Same columns, by name, in the same order: a CSV file holds one layout. */
static int same_layout(const sluice_table *a, const sluice_table *b)
{
    if (a->ncolumns != b->ncolumns)
        return 0;
    for (uint32_t i = 0; i < a->ncolumns; i++) {
        const sluice_str *x = &sluice_table_column(a, i)->name;
        const sluice_str *y = &sluice_table_column(b, i)->name;
        if (x->len != y->len || memcmp(x->ptr, y->ptr, x->len) != 0)
            return 0;
    }
    return 1;
}

/* The buffer that takes rows of table version t. A new version with other columns
   closes the table's buffer that holds rows (it is written as a file of its own at the
   next roll) and starts a new one, so no file mixes two column layouts. */
static cdc_table *table_state(sinks3 *s, const sluice_table *t)
{
    for (uint32_t i = 0; i < s->ntables; i++) {
        cdc_table *ct = &s->tables[i];
        if (ct->closed || !same_name(ct, t))
            continue;
        if (ct->table == t || !ct->data.len || same_layout(ct->table, t)) {
            ct->table = t;
            return ct;
        }
        ct->closed = 1;
        break;
    }
    if (s->ntables == s->cap_tables) {
        uint32_t cap = s->cap_tables ? s->cap_tables * 2 : 16;
        cdc_table *n = realloc(s->tables, cap * sizeof *n);
        if (!n)
            return NULL;
        s->tables = n;
        s->cap_tables = cap;
    }
    cdc_table *ct = &s->tables[s->ntables];
    memset(ct, 0, sizeof *ct);
    ct->schema = strndup(t->schema.ptr, t->schema.len);
    ct->name = strndup(t->name.ptr, t->name.len);
    ct->table = t;
    if (!ct->schema || !ct->name) {
        free(ct->schema);
        free(ct->name);
        return NULL;
    }
    s->ntables++;
    return ct;
}

static char op_letter(const sinks3 *s, uint32_t op)
{
    switch (op) {
    case SLUICE_OP_INSERT: return 'I';
    case SLUICE_OP_UPDATE: return s->cfg.cdc_inserts_only ? 0 : 'U';
    case SLUICE_OP_DELETE:
        return s->cfg.cdc_inserts_only || s->cfg.cdc_inserts_and_updates ? 0 : 'D';
    default: return 0;
    }
}

static int has_unchanged(const sluice_table *t, const sluice_value *v)
{
    for (uint32_t i = 0; i < t->ncolumns; i++)
        if (v[i].kind == SLUICE_VALUE_UNCHANGED)
            return 1;
    return 0;
}

static sluice_status change(sinks3 *s, const sluice_event *e, int64_t commit_us,
                            sluice_error *err)
{
    char op = op_letter(s, e->op);
    const sluice_value *row = e->op == SLUICE_OP_DELETE ? e->old_row : e->new_row;
    if (!op || !row || !e->table)
        return SLUICE_OK;
    cdc_table *ct = table_state(s, e->table);
    if (!ct)
        return s3_oom(s, err);
    char ts[40];
    const char *tsp = NULL;
    if (s->cfg.timestamp_column_name && *s->cfg.timestamp_column_name) {
        /* DMS: in change files, the source commit time */
        s3_format_timestamp(commit_us, ts, sizeof ts);
        tsp = ts;
    }
    /* a delete's old row is the key alone under PostgreSQL's default replica identity:
       the rest is unsent too, but that is the normal case, not worth a warning */
    int unsent = e->op == SLUICE_OP_UPDATE && has_unchanged(e->table, row);
    if (!s->unchanged_warned && unsent &&
        !(s->cfg.use_csv_no_sup_value && s->cfg.csv_no_sup_value) && s->fmt == &s3_format_csv) {
        s->unchanged_warned = 1;
        s->host->log(s->ctx, SLUICE_LOG_WARNING,
                     "table \"%s.%s\": the source did not send some values of an update "
                     "(unchanged TOAST); they are written as csvNullValue, as DMS does. Set "
                     "useCsvNoSupValue and csvNoSupValue to tell them from NULL",
                     ct->schema, ct->name);
    }
    if (unsent)
        s->host->count(s->ctx, "unchanged_values_rows", 1);
    s->fmt->row(s, e->table, op, tsp, row, &ct->data);
    if (ct->data.failed)
        return s3_oom(s, err);
    ct->rows++;
    ct->dirty = 1;
    return SLUICE_OK;
}

static void commit(sinks3 *s, const sluice_event *e, int64_t commit_us)
{
    for (uint32_t i = 0; i < s->ntables; i++) {
        cdc_table *ct = &s->tables[i];
        if (!ct->dirty)
            continue;
        ct->dirty = 0;
        if (!ct->committed_len)
            ct->first_commit_us = commit_us;
        ct->committed_len = ct->data.len;
        ct->committed_rows = ct->rows;
    }
    if (e->position)
        s->last_commit = *e->position;
    s->last_commit_us = commit_us;
    if (!s->pending_since_us)
        s->pending_since_us = s3_mono_us();
    s->in_txn = 0;
}

sluice_status s3_apply(sinks3 *s, const sluice_batch *b, sluice_error *err)
{
    for (uint32_t i = 0; i < b->nevents; i++) {
        const sluice_event *e = sluice_batch_event(b, i);
        sluice_status st = SLUICE_OK;
        switch (e->op) {
        case SLUICE_OP_BEGIN:
            s->in_txn = 1;
            s->last_commit_us = e->commit_time_us ? e->commit_time_us : s3_now_us();
            break;
        case SLUICE_OP_INSERT:
        case SLUICE_OP_UPDATE:
        case SLUICE_OP_DELETE:
            st = change(s, e, s->last_commit_us ? s->last_commit_us : s3_now_us(), err);
            break;
        case SLUICE_OP_COMMIT:
            commit(s, e, e->commit_time_us ? e->commit_time_us : s->last_commit_us);
            break;
        case SLUICE_OP_TRUNCATE:
            /* DMS's CSV has no row for it; say so rather than drop it unseen */
            s->host->count(s->ctx, "truncates_not_written", 1);
            s->host->log(s->ctx, SLUICE_LOG_WARNING,
                         "table \"%.*s.%.*s\" was truncated at the source; change files have "
                         "no operation for that",
                         (int)e->table->schema.len, e->table->schema.ptr,
                         (int)e->table->name.len, e->table->name.ptr);
            break;
        default: /* SCHEMA: later rows carry the new shape; SKIP: dropped by a transform */
            break;
        }
        if (st != SLUICE_OK)
            return st;
    }
    if (b->flags & SLUICE_BATCH_LAST)
        s->stream_ended = 1;
    return SLUICE_OK;
}

static int roll_due(sinks3 *s)
{
    if (s->stream_ended || s->host->cancelled(s->ctx) || s->cfg.cdc_max_batch_interval == 0)
        return 1;
    if (s3_mono_us() - s->pending_since_us >= s->cfg.cdc_max_batch_interval * 1000000)
        return 1;
    for (uint32_t i = 0; i < s->ntables; i++)
        if (s->tables[i].committed_len >= (size_t)s->cfg.cdc_min_file_size * 1024)
            return 1;
    return 0;
}

/* 0 when the roll holds one column layout of the table of buffer i, else its number
   (1, 2, ...) among the table's buffers with committed rows, oldest layout first. */
static uint32_t layout_segment(const sinks3 *s, uint32_t i)
{
    uint32_t before = 0, after = 0;
    for (uint32_t j = 0; j < s->ntables; j++) {
        const cdc_table *o = &s->tables[j];
        if (j == i || !o->committed_len || strcmp(o->schema, s->tables[i].schema) != 0 ||
            strcmp(o->name, s->tables[i].name) != 0)
            continue;
        if (j < i)
            before++;
        else
            after++;
    }
    return before || after ? before + 1 : 0;
}

static sluice_status write_file(sinks3 *s, cdc_table *ct, const char *key, sluice_error *err)
{
    s3_upload u;
    sluice_status st = s3_upload_begin(s, &u, key, err);
    if (st == SLUICE_OK) {
        sb_reset(&s->row);
        s->fmt->header(s, ct->table, 1, &s->row);
        if (s->row.len)
            st = s3_upload_write(s, &u, s->row.data, s->row.len, err);
    }
    if (st == SLUICE_OK)
        st = s3_upload_write(s, &u, ct->data.data, ct->committed_len, err);
    if (st == SLUICE_OK)
        st = s3_upload_finish(s, &u, err);
    if (st != SLUICE_OK)
        s3_upload_discard(s, &u);
    return st;
}

sluice_status s3_flush(sinks3 *s, sluice_position *committed, sluice_error *err)
{
    committed->len = 0;
    if (!s->last_commit.len ||
        (s->last_commit.len == s->checkpoint.len &&
         memcmp(s->last_commit.bytes, s->checkpoint.bytes, s->checkpoint.len) == 0) ||
        !roll_due(s))
        return SLUICE_OK;
    sbuf keys = {0}, key = {0};
    for (uint32_t i = 0; i < s->ntables; i++) {
        cdc_table *ct = &s->tables[i];
        if (!ct->committed_len)
            continue;
        s3_cdc_key(s, ct, ct->first_commit_us, &s->checkpoint, &s->last_commit,
                   layout_segment(s, i), &keys);
        sb_putc(&keys, '\n');
    }
    if (!sb_cstr(&keys))
        return s3_oom(s, err);
    sluice_status st = SLUICE_OK;
    if (keys.len) /* first say which objects this roll writes (checkpoint.c) */
        st = s3_checkpoint_write(s, &s->checkpoint, &keys, err);
    const char *k = keys.data;
    uint32_t files = 0;
    for (uint32_t i = 0; i < s->ntables && st == SLUICE_OK; i++) {
        cdc_table *ct = &s->tables[i];
        if (!ct->committed_len)
            continue;
        size_t n = strcspn(k, "\n");
        sb_reset(&key);
        sb_put(&key, k, n);
        k += n + 1;
        st = sb_cstr(&key) ? write_file(s, ct, key.data, err) : s3_oom(s, err);
        files++;
    }
    if (st == SLUICE_OK)
        st = s3_checkpoint_write(s, &s->last_commit, NULL, err);
    sb_free(&keys);
    sb_free(&key);
    if (st != SLUICE_OK)
        return st; /* the core reopens the sink, which removes this roll's objects */
    uint32_t kept = 0;
    for (uint32_t i = 0; i < s->ntables; i++) {
        cdc_table *ct = &s->tables[i];
        size_t rest = ct->data.len - ct->committed_len;
        if (ct->committed_len && rest)
            memmove(ct->data.data, ct->data.data + ct->committed_len, rest);
        ct->data.len = rest;
        ct->rows -= ct->committed_rows;
        ct->committed_len = 0;
        ct->committed_rows = 0;
        if (ct->closed && !rest) { /* an older layout, all written */
            free(ct->schema);
            free(ct->name);
            sb_free(&ct->data);
            continue;
        }
        s->tables[kept++] = *ct;
    }
    s->ntables = kept;
    s->checkpoint = s->last_commit;
    s->pending_since_us = 0;
    s->host->count(s->ctx, "change_files", files);
    *committed = s->checkpoint;
    return SLUICE_OK;
}

void s3_cdc_free(sinks3 *s)
{
    for (uint32_t i = 0; i < s->ntables; i++) {
        free(s->tables[i].schema);
        free(s->tables[i].name);
        sb_free(&s->tables[i].data);
    }
    free(s->tables);
    s->tables = NULL;
    s->ntables = s->cap_tables = 0;
}
