/*
 * Running a table's plan on one event, in C: the row filter (a failing row
 * becomes SKIP), the projection to the target's columns (pointer copies into
 * new row arrays in the batch arena), and the values of added columns.
 */
#include "plan_exec.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "filter_eval.h"
#include "host.h"

static const char *operation_name(uint32_t op, int snapshot)
{
    if (snapshot)
        return "LOAD";
    return op == SLUICE_OP_INSERT ? "INSERT" : op == SLUICE_OP_UPDATE ? "UPDATE" : "DELETE";
}

/* "2026-11-21 10:00:00.123456+00" */
static size_t format_time(int64_t us, char *buf, size_t size)
{
    time_t secs = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
    int64_t frac = us - (int64_t)secs * 1000000;
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
    return n + (size_t)snprintf(buf + n, size - n, ".%06" PRId64 "+00", frac);
}

/* Appends one term's text to buf; 1 when the term is NULL (the whole value is). */
static int term_text(const map_term *term, int32_t column, const sluice_value *row,
                     const plan_meta *meta, const sluice_table *source, uint32_t op,
                     char *buf, size_t size, size_t *len)
{
    char tmp[128];
    const char *s = tmp;
    size_t n = 0;
    switch (term->kind) {
    case MAP_TERM_CONSTANT: s = term->text; n = strlen(s); break;
    case MAP_TERM_COLUMN: {
        const sluice_value *v = &row[column];
        if (v->kind == SLUICE_VALUE_INT)
            n = (size_t)snprintf(tmp, sizeof tmp, "%" PRId64, v->u.i);
        else if (v->kind == SLUICE_VALUE_TEXT)
            s = v->u.bytes, n = v->len;
        else
            return 1; /* NULL (or unchanged): NULL, as || gives in SQL */
        break;
    }
    case MAP_TERM_OPERATION:
        s = operation_name(op, meta->snapshot);
        n = strlen(s);
        break;
    case MAP_TERM_COMMIT_TIME:
        if (meta->snapshot || !meta->commit_time_us)
            return 1;
        n = format_time(meta->commit_time_us, tmp, sizeof tmp);
        break;
    case MAP_TERM_TRANSACTION_ID:
        if (meta->snapshot)
            return 1;
        n = (size_t)snprintf(tmp, sizeof tmp, "%" PRIu64, meta->xid);
        break;
    case MAP_TERM_POSITION:
        if (meta->snapshot || !meta->position || !meta->position->len || !meta->format_position)
            return 1;
        n = meta->format_position(meta->position, tmp, sizeof tmp);
        break;
    case MAP_TERM_BEFORE_IMAGE: return 1; /* only in plan_column.before: added_value copies it */
    case MAP_TERM_SCHEMA_NAME: s = source->schema.ptr, n = source->schema.len; break;
    case MAP_TERM_TABLE_NAME: s = source->name.ptr, n = source->name.len; break;
    }
    if (*len + n > size)
        n = size - *len; /* never happens for sane constants; values are cut, not overrun */
    memcpy(buf + *len, s, n);
    *len += n;
    return 0;
}

static int added_value(sluice_batch *b, const table_plan *p, const plan_column *pc,
                       const sluice_value *row, const sluice_value *old, const plan_meta *meta,
                       uint32_t op, sluice_value *out)
{
    const map_transform *tr = pc->added;
    if (pc->before.kind == MAP_TERM_BEFORE_IMAGE) {
        /* the old row of an update, as the source sent it: inserts, full-load rows
           and columns the source did not send (not in its replica identity) are NULL */
        *out = (sluice_value){.kind = SLUICE_VALUE_NULL};
        if (old && op == SLUICE_OP_UPDATE && !meta->snapshot &&
            old[pc->term_columns[0]].kind != SLUICE_VALUE_UNCHANGED)
            *out = old[pc->term_columns[0]];
        return 0;
    }
    if (tr->nterms == 0 && !tr->value) { /* neither: NULL, as DMS leaves it */
        out->kind = SLUICE_VALUE_NULL;
        return 0;
    }
    if (tr->nterms == 0) /* value = "constant" */
        return host_api()->set_text(b, out, tr->value, strlen(tr->value));
    char buf[4096];
    size_t len = 0;
    for (uint32_t k = 0; k < tr->nterms; k++)
        if (term_text(&tr->terms[k], pc->term_columns[k], row, meta, p->source, op, buf,
                      sizeof buf, &len)) {
            out->kind = SLUICE_VALUE_NULL;
            return 0;
        }
    return host_api()->set_text(b, out, buf, len);
}

/* A value through its column's type rule policy; -1 when refused (meta->error) or out of memory. */
static int policy_value(sluice_batch *b, const table_plan *p, uint32_t i, sluice_value *v,
                        const plan_meta *meta)
{
    char why[256];
    const char *hint = NULL;
    int rc = value_policy_apply(&p->columns[i].policy, b, v, why, sizeof why, &hint);
    if (rc > 0 && meta->error)
        value_policy_reject(meta->error, p->source,
                            sluice_table_column(p->source,
                                                (uint32_t)(p->columns[i].source >= 0
                                                               ? p->columns[i].source
                                                               : p->columns[i].term_columns[0]))
                                ->name,
                            v, why, hint);
    return rc == 0 ? 0 : -1;
}

/* The target row of a source row: pointer copies and added values (old: the
   event's source old row, for before images). */
static sluice_value *project(sluice_batch *b, const table_plan *p, sluice_value *row,
                             const sluice_value *old, const plan_meta *meta, uint32_t op,
                             int with_added)
{
    uint32_t n = p->target->ncolumns;
    sluice_value *out = p->in_place ? (sluice_value *)row
                                    : host_api()->alloc(b, (size_t)n * sizeof *out);
    if (!out)
        return NULL;
    if (p->in_place && !p->has_policies) { /* renames, drops and retypes: moves only */
        for (uint32_t r = 0; r < p->nruns; r++) /* in order: a run never reads what one wrote */
            memmove(&out[p->runs[r].dst], &row[p->runs[r].src],
                    p->runs[r].len * sizeof *out);
        return out;
    }
    for (uint32_t i = 0; i < n; i++) {
        const plan_column *pc = &p->columns[i];
        if (pc->source >= 0) {
            out[i] = row[pc->source];
            if (p->has_policies && value_policy_active(&pc->policy) &&
                policy_value(b, p, i, &out[i], meta) != 0)
                return NULL;
        } else if (!with_added)
            out[i] = (sluice_value){.kind = SLUICE_VALUE_NULL};
        else if (added_value(b, p, pc, row, old, meta, op, &out[i]) != 0 ||
                 (p->has_policies && value_policy_active(&pc->policy) &&
                  out[i].kind != SLUICE_VALUE_NULL && policy_value(b, p, i, &out[i], meta) != 0))
            return NULL;
    }
    return out;
}

int plan_event(const table_plan *p, sluice_batch *b, sluice_event *e, const plan_meta *meta)
{
    if (e->op != SLUICE_OP_INSERT && e->op != SLUICE_OP_UPDATE && e->op != SLUICE_OP_DELETE) {
        e->table = p->target;
        return 0;
    }
    if (p->nfilters && !meta->filtered) {
        int pass = e->op == SLUICE_OP_DELETE
                       ? !e->old_row || filter_row(p->filters, p->nfilters, p->source, e->old_row, 1)
                       : !e->new_row || filter_row(p->filters, p->nfilters, p->source, e->new_row, 0);
        if (!pass) {
            e->op = SLUICE_OP_SKIP;
            return 0;
        }
    }
    if (!p->passthrough) {
        /* the new row first: its before images read the old row's source shape */
        if (e->new_row && !(e->new_row = project(b, p, e->new_row, e->old_row, meta, e->op, 1)))
            return -1;
        if (e->old_row && !(e->old_row = project(b, p, e->old_row, NULL, meta, e->op, 0)))
            return -1;
    }
    e->table = p->target;
    return 0;
}
