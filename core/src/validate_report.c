/* The report of `sluice validate`: per table, for people or as JSON. */
#include "validate.h"

#include <jansson.h>
#include <string.h>

static const char *state_name(vtable_state s)
{
    return s == VT_MATCH ? "match" : s == VT_MISMATCH ? "mismatch" : "error";
}

static const char *kind_text(diff_kind k)
{
    return k == DIFF_MISSING ? "missing" : k == DIFF_EXTRA ? "extra" : "differs";
}

static void name_of(const sluice_table *t, char *buf, size_t size)
{
    snprintf(buf, size, "%.*s.%.*s", (int)t->schema.len, t->schema.ptr, (int)t->name.len,
             t->name.ptr);
}

static uint32_t listed(const validation *v, const vtable *t)
{
    return t->ndiffs < v->opt->max_keys ? t->ndiffs : v->opt->max_keys;
}

static void print_key(FILE *out, const vtable *t, const vdiff *d)
{
    for (uint32_t k = 0; k < t->nkeys; k++) {
        const sluice_column *c = sluice_table_column(t->target, t->tkeys[k]);
        fprintf(out, "%s%.*s=%s", k ? ", " : "", (int)c->name.len, c->name.ptr, d->key[k]);
    }
}

static int print_text(FILE *out, const validation *v)
{
    uint32_t n[3] = {0, 0, 0};
    for (uint32_t i = 0; i < v->ntables; i++)
        n[v->tables[i].state]++;
    fprintf(out, "validate %s: %u tables: %u match, %u mismatch, %u error\n", v->r->cfg->name,
            v->ntables, n[VT_MATCH], n[VT_MISMATCH], n[VT_ERROR]);
    for (uint32_t i = 0; i < v->ntables; i++) {
        const vtable *t = &v->tables[i];
        char src[300], tgt[300];
        name_of(t->source, src, sizeof src);
        if (t->target)
            name_of(t->target, tgt, sizeof tgt);
        fprintf(out, "  %-8s %s", state_name(t->state), src);
        if (t->target && strcmp(src, tgt) != 0)
            fprintf(out, " -> %s", tgt);
        if (t->state == VT_ERROR) {
            fprintf(out, ": %s\n", t->error.message);
            if (*t->error.detail)
                fprintf(out, "           detail: %s\n", t->error.detail);
            if (*t->error.hint)
                fprintf(out, "           hint: %s\n", t->error.hint);
            continue;
        }
        fprintf(out, ": rows %llu at the source, %llu at the target; %u chunks (%u hashed in "
                "the databases); %.2f s\n",
                (unsigned long long)t->source_rows, (unsigned long long)t->target_rows,
                t->nchunks, t->chunks_hashed, (double)t->elapsed_us / 1e6);
        if (t->first_pass_keys != t->ndiffs)
            fprintf(out, "           %u keys differed at first, %u after reading them again\n",
                    t->first_pass_keys, t->ndiffs);
        if (t->repaired)
            fprintf(out, "           repaired %u keys\n", t->repaired);
        if (t->ndiffs)
            fprintf(out, "           %u%s keys differ\n", t->ndiffs,
                    t->diffs_truncated ? "+" : "");
        for (uint32_t d = 0; d < listed(v, t); d++) {
            const vdiff *dd = &t->diffs[d];
            fprintf(out, "           ");
            print_key(out, t, dd);
            if (dd->kind == DIFF_MISSING)
                fprintf(out, ": missing at the target\n");
            else if (dd->kind == DIFF_EXTRA)
                fprintf(out, ": at the target only\n");
            else {
                fprintf(out, ": columns differ:");
                for (uint32_t c = 0; c < dd->ncolumns; c++) {
                    const sluice_column *col = sluice_table_column(t->target, dd->columns[c]);
                    fprintf(out, "%s %.*s", c ? "," : "", (int)col->name.len, col->name.ptr);
                }
                fprintf(out, "\n");
            }
        }
    }
    return ferror(out) ? -1 : 0;
}

static json_t *error_json(const sluice_error *e)
{
    json_t *j = json_object();
    json_object_set_new(j, "message", json_string(e->message));
    if (*e->detail)
        json_object_set_new(j, "detail", json_string(e->detail));
    if (*e->hint)
        json_object_set_new(j, "hint", json_string(e->hint));
    return j;
}

static json_t *diff_json(const vtable *t, const vdiff *d)
{
    json_t *j = json_object(), *key = json_object(), *cols = json_array();
    for (uint32_t k = 0; k < t->nkeys; k++) {
        const sluice_column *c = sluice_table_column(t->target, t->tkeys[k]);
        json_object_setn_new(key, c->name.ptr, c->name.len, json_string(d->key[k]));
    }
    for (uint32_t c = 0; c < d->ncolumns; c++) {
        const sluice_column *col = sluice_table_column(t->target, d->columns[c]);
        json_array_append_new(cols, json_stringn(col->name.ptr, col->name.len));
    }
    json_object_set_new(j, "key", key);
    json_object_set_new(j, "kind", json_string(kind_text(d->kind)));
    json_object_set_new(j, "columns", cols);
    return j;
}

static json_t *table_json(const validation *v, const vtable *t)
{
    char name[300];
    json_t *j = json_object();
    name_of(t->source, name, sizeof name);
    json_object_set_new(j, "source", json_string(name));
    if (t->target) {
        name_of(t->target, name, sizeof name);
        json_object_set_new(j, "target", json_string(name));
    }
    json_object_set_new(j, "state", json_string(state_name(t->state)));
    json_object_set_new(j, "source_rows", json_integer((json_int_t)t->source_rows));
    json_object_set_new(j, "target_rows", json_integer((json_int_t)t->target_rows));
    json_object_set_new(j, "chunks", json_integer(t->nchunks));
    json_object_set_new(j, "chunks_hashed", json_integer(t->chunks_hashed));
    json_object_set_new(j, "differing_keys", json_integer(t->ndiffs));
    json_object_set_new(j, "differing_keys_truncated", json_boolean(t->diffs_truncated));
    json_object_set_new(j, "first_pass_keys", json_integer(t->first_pass_keys));
    json_object_set_new(j, "repaired", json_integer(t->repaired));
    json_object_set_new(j, "seconds", json_real((double)t->elapsed_us / 1e6));
    json_t *diffs = json_array();
    for (uint32_t d = 0; d < listed(v, t); d++)
        json_array_append_new(diffs, diff_json(t, &t->diffs[d]));
    json_object_set_new(j, "mismatches", diffs);
    if (t->state == VT_ERROR)
        json_object_set_new(j, "error", error_json(&t->error));
    return j;
}

static int print_json(FILE *out, const validation *v)
{
    json_t *doc = json_object(), *tables = json_array();
    uint32_t n[3] = {0, 0, 0};
    for (uint32_t i = 0; i < v->ntables; i++) {
        n[v->tables[i].state]++;
        json_array_append_new(tables, table_json(v, &v->tables[i]));
    }
    json_object_set_new(doc, "pipeline", json_string(v->r->cfg->name));
    json_object_set_new(doc, "state", json_string(n[VT_ERROR] ? "error" : n[VT_MISMATCH]
                                                                      ? "mismatch" : "match"));
    json_object_set_new(doc, "tables_match", json_integer(n[VT_MATCH]));
    json_object_set_new(doc, "tables_mismatch", json_integer(n[VT_MISMATCH]));
    json_object_set_new(doc, "tables_error", json_integer(n[VT_ERROR]));
    if (*v->checkpoint_text)
        json_object_set_new(doc, "target_checkpoint", json_string(v->checkpoint_text));
    json_object_set_new(doc, "seconds",
                        json_real((double)(monotonic_us() - v->started_us) / 1e6));
    json_object_set_new(doc, "tables", tables);
    int rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    fputc('\n', out);
    return rc == 0 && !ferror(out) ? 0 : -1;
}

int validate_print(FILE *out, const validation *v)
{
    return v->opt->json ? print_json(out, v) : print_text(out, v);
}
