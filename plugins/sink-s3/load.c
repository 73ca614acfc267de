/*
 * Full load: each lane instance writes its chunk's rows into LOAD files of the
 * table's folder, numbered from the table's shared counter (naming.c), rolled
 * at maxFileSize, and finished (uploaded whole or its multipart completed) at
 * finish_table, which is what makes them durable before the core marks the
 * table loaded. A new version of the table met during the load (a SCHEMA event,
 * ABI 1.8) closes the file: the next one starts with the new columns.
 */
#include <stdlib.h>
#include <string.h>

#include "sinks3.h"

typedef struct prep_state {
    sbuf prefix;
    int delete_all;
    uint32_t max_number;
    uint64_t deleted;
    sbuf doomed; /* keys to delete, one a line */
} prep_state;

static sluice_status prep_key(sinks3 *s, const char *key, void *arg, sluice_error *err)
{
    prep_state *p = arg;
    if (p->delete_all) {
        p->deleted++;
        sb_printf(&p->doomed, "%s\n", key);
        return p->doomed.failed ? s3_oom(s, err) : SLUICE_OK;
    }
    const char *name = key + p->prefix.len;
    unsigned n;
    if (strncmp(name, "LOAD", 4) == 0 && sscanf(name + 4, "%8X", &n) == 1 && n > p->max_number)
        p->max_number = n;
    return SLUICE_OK;
}

sluice_status s3_prepare_table(sinks3 *s, const sluice_table *t, sluice_prep_mode mode,
                               sluice_error *err)
{
    prep_state p = {.delete_all = mode != SLUICE_PREP_DO_NOTHING};
    s3_table_prefix(s, t, &p.prefix);
    if (!sb_cstr(&p.prefix))
        return s3_oom(s, err);
    /* DROP_AND_CREATE and TRUNCATE_BEFORE_LOAD empty the table's folder (LOAD and change
       files: a new load starts a new history); DO_NOTHING keeps it and numbers on. */
    sluice_status st = s3_list(s, p.prefix.data, prep_key, &p, err);
    if (st == SLUICE_OK && p.deleted)
        st = sb_cstr(&p.doomed) ? s3_delete_keys(s, p.doomed.data, err) : s3_oom(s, err);
    if (st == SLUICE_OK) {
        s3_load_numbers_reset(p.prefix.data, p.max_number);
        if (p.deleted)
            s->host->log(s->ctx, SLUICE_LOG_INFO, "removed %llu objects under \"%s\"",
                         (unsigned long long)p.deleted, p.prefix.data);
    }
    sb_free(&p.prefix);
    sb_free(&p.doomed);
    return st;
}

static sluice_status open_file(sinks3 *s, const sluice_table *t, sluice_error *err)
{
    sbuf prefix = {0}, key = {0};
    s3_table_prefix(s, t, &prefix);
    if (!sb_cstr(&prefix))
        return s3_oom(s, err);
    uint32_t n = s3_load_number_next(prefix.data);
    s3_load_key(s, t, n, &key);
    sluice_status st = sb_cstr(&key) && n ? s3_upload_begin(s, &s->load, key.data, err)
                                          : s3_oom(s, err);
    sb_free(&prefix);
    sb_free(&key);
    if (st != SLUICE_OK)
        return st;
    s->load_open = 1;
    s->load_table = t;
    sb_reset(&s->row);
    s->fmt->header(s, t, s->cfg.include_op_for_full_load, &s->row);
    return s->row.len ? s3_upload_write(s, &s->load, s->row.data, s->row.len, err) : SLUICE_OK;
}

static sluice_status close_file(sinks3 *s, sluice_error *err)
{
    if (!s->load_open)
        return SLUICE_OK;
    sluice_status st = s3_upload_finish(s, &s->load, err);
    if (st == SLUICE_OK)
        s->load_open = 0;
    return st;
}

sluice_status s3_write_rows(sinks3 *s, const sluice_batch *b, sluice_error *err)
{
    sluice_status st = SLUICE_OK;
    char ts[40];
    const char *tsp = NULL;
    if (s->cfg.timestamp_column_name && *s->cfg.timestamp_column_name) {
        /* DMS: in a full load, the time the row was transferred */
        s3_format_timestamp(s3_now_us(), ts, sizeof ts);
        tsp = ts;
    }
    char op = s->cfg.include_op_for_full_load ? 'I' : 0;
    for (uint32_t i = 0; i < b->nevents && st == SLUICE_OK; i++) {
        const sluice_event *e = sluice_batch_event(b, i);
        if (e->op == SLUICE_OP_SCHEMA) { /* ABI 1.8: the rows after it have more columns */
            st = close_file(s, err);
            continue;
        }
        if (e->op != SLUICE_OP_INSERT || !e->new_row)
            continue;
        const sluice_table *t = e->table ? e->table : b->table;
        if (s->load_open && s->load_table != t &&
            (t->schema.len != s->load_table->schema.len ||
             t->name.len != s->load_table->name.len ||
             memcmp(t->schema.ptr, s->load_table->schema.ptr, t->schema.len) != 0 ||
             memcmp(t->name.ptr, s->load_table->name.ptr, t->name.len) != 0))
            st = close_file(s, err);
        if (st == SLUICE_OK && !s->load_open)
            st = open_file(s, t, err);
        s->load_table = t;
        if (st != SLUICE_OK)
            break;
        sb_reset(&s->row);
        s->fmt->row(s, t, op, tsp, e->new_row, &s->row);
        if (s->row.failed)
            return s3_oom(s, err);
        st = s3_upload_write(s, &s->load, s->row.data, s->row.len, err);
        s->load.rows++;
        if (st == SLUICE_OK && s->load.raw_bytes >= (uint64_t)s->cfg.max_file_size * 1024)
            st = close_file(s, err); /* maxFileSize: the next row opens the next LOAD file */
    }
    if (st == SLUICE_RETRY) {
        /* The core would call again with the same batch, and rows already taken into the
           file would be written twice: the requests were retried already, so fail the
           table instead (a restart loads it again). */
        err->status = st = SLUICE_ERROR;
    }
    return st;
}

sluice_status s3_finish_table(sinks3 *s, const sluice_table *t, sluice_error *err)
{
    (void)t;
    sluice_status st = close_file(s, err);
    if (st == SLUICE_OK)
        s->load_table = NULL;
    return st;
}
