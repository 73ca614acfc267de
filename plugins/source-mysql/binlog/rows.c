/* Rows events (WRITE / UPDATE / DELETE, v1, v2 and MariaDB's compressed ones):
   the header and bitmaps, then one row image after the other on demand. */
#include "mybl_int.h"

#include <stdlib.h>
#include <string.h>

static int compressed(uint8_t t)
{
    return t >= MYBL_WRITE_ROWS_COMPRESSED_V1 && t <= MYBL_DELETE_ROWS_COMPRESSED_V2;
}

static int v2(uint8_t t)
{
    return (t >= MYBL_WRITE_ROWS_V2 && t <= MYBL_DELETE_ROWS_V2) ||
           (t >= MYBL_WRITE_ROWS_COMPRESSED_V2 && t <= MYBL_DELETE_ROWS_COMPRESSED_V2);
}

static mybl_row_op op_of(uint8_t t)
{
    static const mybl_row_op ops[3] = {MYBL_OP_INSERT, MYBL_OP_UPDATE, MYBL_OP_DELETE};
    if (t >= MYBL_WRITE_ROWS_V1 && t <= MYBL_DELETE_ROWS_V1)
        return ops[t - MYBL_WRITE_ROWS_V1];
    if (t >= MYBL_WRITE_ROWS_V2 && t <= MYBL_DELETE_ROWS_V2)
        return ops[t - MYBL_WRITE_ROWS_V2];
    if (t >= MYBL_WRITE_ROWS_COMPRESSED_V1 && t <= MYBL_DELETE_ROWS_COMPRESSED_V1)
        return ops[t - MYBL_WRITE_ROWS_COMPRESSED_V1];
    return ops[t - MYBL_WRITE_ROWS_COMPRESSED_V2];
}

static int grow_rows(mybl_decoder *dec, uint32_t ncols)
{
    if (ncols <= dec->cap_cols)
        return 0;
    mybl_value *b = realloc(dec->before.values, ncols * sizeof *b);
    if (b)
        dec->before.values = b;
    mybl_value *a = realloc(dec->after.values, ncols * sizeof *a);
    if (a)
        dec->after.values = a;
    if (!a || !b)
        return -1;
    dec->cap_cols = ncols;
    return 0;
}

int bl_rows_begin(mybl_decoder *dec, const mybl_where *w0, mybl_rd *r, mybl_event *ev,
                  mybl_error *err)
{
    mybl_where w = *w0;
    uint8_t dflt = v2(ev->type) ? 10 : 8;
    uint8_t ph = dec->have_fde && dec->post_header[ev->type - 1] ? dec->post_header[ev->type - 1]
                                                                  : dflt;
    uint64_t id, flags, extra, ncols;
    size_t idlen = ph == 6 ? 4 : 6;
    if (ph != 6 && ph != dflt)
        return bl_fail(err, &w, "its post-header is %u bytes, not %u", ph, dflt);
    if (rd_le(r, idlen, &id) || rd_le(r, 2, &flags))
        return bl_fail(err, &w, "the event is shorter than its post-header");
    if (v2(ev->type) && (rd_le(r, 2, &extra) || extra < 2 || rd_skip(r, extra - 2)))
        return bl_fail(err, &w, "the extra row data overruns the event");
    const mybl_table *t = mybl_table_by_id(dec, id);
    w.table = t;
    if (rd_lenenc(r, &ncols) != 0 || ncols == 0 || ncols > 4096)
        return bl_fail(err, &w, "the column count is missing, 0 or over 4096");
    if (!t)
        return bl_fail(err, &w, "no TABLE_MAP came before it for table id %llu",
                       (unsigned long long)id);
    if (ncols != t->ncols)
        return bl_fail(err, &w, "it has %llu columns but its TABLE_MAP has %u",
                       (unsigned long long)ncols, t->ncols);
    size_t bits = (ncols + 7) / 8;
    const uint8_t *present, *after = NULL;
    mybl_row_op op = op_of(ev->type);
    if (rd_bytes(r, bits, &present) ||
        (op == MYBL_OP_UPDATE && rd_bytes(r, bits, &after)))
        return bl_fail(err, &w, "the column bitmap overruns the event");
    if (grow_rows(dec, (uint32_t)ncols) != 0)
        return bl_fail(err, &w, "out of memory");
    dec->rows = *r;
    if (compressed(ev->type)) {
        if (bl_inflate(dec, &w, r->p, rd_left(r), err) != 0)
            return -1;
        const uint8_t *d = (const uint8_t *)dec->inflated.data;
        dec->rows = (mybl_rd){d, d + dec->inflated.len};
    }
    dec->where = w;
    dec->rtable = t;
    dec->rop = (uint8_t)op;
    dec->ncols = (uint32_t)ncols;
    dec->present = present;
    dec->present_after = after ? after : present;
    ev->u.rows.table = t;
    ev->u.rows.op = op;
    ev->u.rows.flags = (uint16_t)flags;
    ev->u.rows.ncols = (uint32_t)ncols;
    return 0;
}

/* One row image: the null bitmap over the present columns, then the values. */
static int image(mybl_decoder *dec, const uint8_t *present, mybl_row *row, mybl_error *err)
{
    const mybl_table *t = dec->rtable;
    mybl_where w = dec->where;
    uint32_t npresent = 0;
    for (uint32_t i = 0; i < dec->ncols; i++)
        npresent += (present[i / 8] >> (i % 8)) & 1;
    const uint8_t *nulls;
    if (rd_bytes(&dec->rows, (npresent + 7) / 8, &nulls) != 0)
        return bl_fail(err, &w, "a row's null bitmap overruns the event");
    row->ncols = dec->ncols;
    for (uint32_t i = 0, k = 0; i < dec->ncols; i++) {
        mybl_value *v = &row->values[i];
        memset(v, 0, sizeof *v);
        if (!((present[i / 8] >> (i % 8)) & 1)) {
            v->kind = MYBL_V_ABSENT;
            continue;
        }
        int is_null = (nulls[k / 8] >> (k % 8)) & 1;
        k++;
        if (is_null) {
            v->kind = MYBL_V_NULL;
            continue;
        }
        w.column = (int)i;
        if (bl_value(dec, &w, &t->cols[i], &dec->rows, v, err) != 0)
            return -1;
    }
    return 0;
}

/* Values whose text is in dec->text carry its offset in i until the row is
   done (the buffer may move while it grows). */
static void fix_text(mybl_decoder *dec, mybl_row *row)
{
    for (uint32_t i = 0; i < row->ncols; i++) {
        mybl_value *v = &row->values[i];
        if ((v->kind == MYBL_V_TEXT || v->kind == MYBL_V_BYTES) && !v->s.ptr) {
            v->s.ptr = dec->text.data + v->i;
            v->i = 0;
        }
    }
}

int mybl_next_row(mybl_decoder *dec, const mybl_row **before, const mybl_row **after,
                  mybl_error *err)
{
    *before = *after = NULL;
    if (!dec->rtable || rd_left(&dec->rows) == 0)
        return 0;
    dec->text.len = 0;
    buf_add(&dec->text, "", 0);
    const uint8_t *start = dec->rows.p;
    int rc = 0;
    if (dec->rop == MYBL_OP_INSERT) {
        rc = image(dec, dec->present, &dec->after, err);
    } else {
        rc = image(dec, dec->present, &dec->before, err);
        if (rc == 0 && dec->rop == MYBL_OP_UPDATE) {
            if (rd_left(&dec->rows) == 0)
                rc = bl_fail(err, &dec->where, "an UPDATE row has no after image");
            else
                rc = image(dec, dec->present_after, &dec->after, err);
        }
    }
    if (rc == 0 && dec->rows.p == start) /* else the rest would repeat forever */
        rc = bl_fail(err, &dec->where, "a row image takes no bytes (no column present)");
    if (rc == 0 && dec->text.failed)
        rc = bl_fail(err, &dec->where, "out of memory");
    if (rc != 0) {
        dec->rtable = NULL; /* the rest of the event cannot be trusted */
        return -1;
    }
    if (dec->rop != MYBL_OP_INSERT) {
        fix_text(dec, &dec->before);
        *before = &dec->before;
    }
    if (dec->rop != MYBL_OP_DELETE) {
        fix_text(dec, &dec->after);
        *after = &dec->after;
    }
    return 1;
}
