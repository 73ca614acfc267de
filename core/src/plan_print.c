/* Printing `sluice plan` (plan_print.h): aligned text, or JSON through jansson. */
#include "plan_print.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "plan_describe.h"
#include "value_mask.h"

/* ---- strings from the describing functions (which write to a FILE) ---- */

typedef struct mbuf {
    char *data;
    size_t len;
    FILE *f;
} mbuf;

static FILE *mb_open(mbuf *m)
{
    m->data = NULL;
    m->len = 0;
    m->f = open_memstream(&m->data, &m->len);
    return m->f;
}

/* The text written (malloc'ed), or NULL when out of memory. */
static char *mb_take(mbuf *m)
{
    if (!m->f)
        return NULL;
    int bad = ferror(m->f);
    fclose(m->f);
    m->f = NULL;
    if (bad) {
        free(m->data);
        return NULL;
    }
    return m->data;
}

static char *ident_str(sluice_str name)
{
    mbuf m;
    if (mb_open(&m))
        plan_put_ident(m.f, name.ptr, name.len);
    return mb_take(&m);
}

static char *qualified_str(const sluice_table *t)
{
    mbuf m;
    if (mb_open(&m)) {
        plan_put_ident(m.f, t->schema.ptr, t->schema.len);
        fputc('.', m.f);
        plan_put_ident(m.f, t->name.ptr, t->name.len);
    }
    return mb_take(&m);
}

static char *expression_str(const plan_colmap *e)
{
    mbuf m;
    if (mb_open(&m))
        plan_put_expression(m.f, e->added, e->before_of);
    return mb_take(&m);
}

/* The filter as text; *none set when the table has none. */
static char *filter_str(const table_plan *plan, int *none)
{
    mbuf m;
    if (mb_open(&m))
        *none = !plan_put_filter(m.f, plan);
    return mb_take(&m);
}

static char *ddl_str(const plan_doc *d, const plan_table *t, const plan_colmap *map, uint32_t n,
                     const char *indent)
{
    mbuf m;
    if (mb_open(&m))
        plan_put_ddl(m.f, t->target, map, n, d->pg_names, indent);
    return mb_take(&m);
}

/* The key's target column names, comma-separated. */
static char *key_str(const sluice_table *t)
{
    mbuf m;
    if (mb_open(&m)) {
        int k = 0;
        for (uint32_t i = 0; i < t->ncolumns; i++) {
            const sluice_column *c = sluice_table_column(t, i);
            if (!(c->flags & SLUICE_COLUMN_KEY))
                continue;
            if (k++)
                fputs(", ", m.f);
            plan_put_ident(m.f, c->name.ptr, c->name.len);
        }
        if (!k)
            fputs("none", m.f);
    }
    return mb_take(&m);
}

/* ---- text ---- */

/* One line of the column mapping, in four aligned fields and a note. */
typedef struct map_line {
    char *sname, *stype, *tname, *ttype, *note;
} map_line;

static void map_lines_free(map_line *l, uint32_t n)
{
    for (uint32_t i = 0; l && i < n; i++) {
        free(l[i].sname);
        free(l[i].stype);
        free(l[i].tname);
        free(l[i].ttype);
        free(l[i].note);
    }
    free(l);
}

static char *type_str(const sluice_column *c, const sluice_column *from, int pg_names, int source)
{
    char buf[256];
    if (source)
        plan_source_type(c, buf, sizeof buf);
    else
        plan_type_name(c, from, pg_names, buf, sizeof buf);
    return strdup(buf);
}

static map_line *map_lines(const plan_doc *d, const plan_colmap *map, uint32_t n)
{
    map_line *l = calloc(n + 1, sizeof *l);
    for (uint32_t i = 0; l && i < n; i++) {
        const plan_colmap *e = &map[i];
        l[i].sname = e->source ? ident_str(e->source->name) : strdup("");
        l[i].stype = e->source ? type_str(e->source, NULL, 0, 1) : strdup("");
        l[i].tname = e->target ? ident_str(e->target->name) : strdup("removed");
        l[i].ttype = e->target ? type_str(e->target, e->source, d->pg_names, 0) : strdup("");
        char masked[100];
        plan_mask_note(e, masked, sizeof masked);
        if (!e->source) {
            char *expr = e->added ? expression_str(e) : strdup("by a transform");
            size_t size = (expr ? strlen(expr) : 0) + sizeof masked + 16;
            if (expr && (l[i].note = malloc(size)))
                snprintf(l[i].note, size, "added: %s%s%s", expr, masked[0] ? ", " : "", masked);
            free(expr);
        } else {
            l[i].note = strdup(masked);
        }
        if (!l[i].sname || !l[i].stype || !l[i].tname || !l[i].ttype || !l[i].note) {
            map_lines_free(l, i + 1);
            return NULL;
        }
    }
    return l;
}

/* Bytes that start a character: what a terminal shows as one column (mostly). */
static size_t width(const char *s, size_t len)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

static void pad(FILE *out, const char *s, size_t to)
{
    size_t w = width(s, strlen(s));
    fputs(s, out);
    for (; w < to; w++)
        fputc(' ', out);
}

static void print_columns(FILE *out, const map_line *l, uint32_t n)
{
    size_t w[4] = {0, 0, 0, 0};
    for (uint32_t i = 0; i < n; i++) {
        const char *f[4] = {l[i].sname, l[i].stype, l[i].tname, l[i].ttype};
        int removed = !l[i].ttype[0] && !l[i].note[0]; /* "removed" ends its line */
        for (int k = 0; k < (removed ? 2 : 4); k++)
            if (width(f[k], strlen(f[k])) > w[k])
                w[k] = width(f[k], strlen(f[k]));
    }
    fputs("  columns:\n", out);
    for (uint32_t i = 0; i < n; i++) {
        fputs("    ", out);
        pad(out, l[i].sname, w[0]);
        fputc(' ', out);
        pad(out, l[i].stype, w[1]);
        fputs(" -> ", out);
        if (!l[i].ttype[0] && !l[i].note[0]) {
            fprintf(out, "%s\n", l[i].tname);
            continue;
        }
        pad(out, l[i].tname, w[2]);
        fputc(' ', out);
        if (l[i].note[0]) {
            pad(out, l[i].ttype, w[3]);
            fprintf(out, "  %s\n", l[i].note);
        } else {
            fprintf(out, "%s\n", l[i].ttype);
        }
    }
}

/* A sample value on one line: control characters escaped, long values cut. */
#define CELL_MAX 50
static char *cell_text(const char *v, uint32_t len)
{
    if (!v)
        return strdup("NULL");
    mbuf m;
    if (!mb_open(&m))
        return NULL;
    size_t shown = 0;
    for (uint32_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)v[i];
        if ((ch & 0xC0) != 0x80 && shown++ == CELL_MAX) {
            fputs("...", m.f);
            break;
        }
        if (ch == '\n')
            fputs("\\n", m.f);
        else if (ch == '\t')
            fputs("\\t", m.f);
        else if (ch == '\r')
            fputs("\\r", m.f);
        else if (ch < 0x20 || ch == 0x7f)
            fprintf(m.f, "\\x%02x", ch);
        else
            fputc(ch, m.f);
    }
    return mb_take(&m);
}

static int print_sample(FILE *out, const plan_table *t)
{
    const plan_sample *s = &t->sample;
    if (s->nrows == 0) {
        if (s->refused)
            fprintf(out, "  sample: the mapping refused the first row: %s\n", s->refused);
        else
            fputs("  sample: no rows\n", out);
        return 0;
    }
    uint32_t nc = s->ncolumns;
    char **cells = calloc(((size_t)s->nrows + 1) * nc + 1, sizeof *cells);
    size_t *w = calloc(nc + 1, sizeof *w);
    int rc = cells && w ? 0 : -1;
    for (uint32_t c = 0; rc == 0 && c < nc; c++) {
        sluice_str name = sluice_table_column(t->target, c)->name;
        rc = (cells[c] = cell_text(name.ptr, (uint32_t)name.len)) ? 0 : -1;
    }
    for (size_t i = 0; rc == 0 && i < (size_t)s->nrows * nc; i++)
        rc = (cells[nc + i] = cell_text(s->values[i], s->lens[i])) ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < ((size_t)s->nrows + 1) * nc; i++)
        if (width(cells[i], strlen(cells[i])) > w[i % nc])
            w[i % nc] = width(cells[i], strlen(cells[i]));
    if (rc == 0) {
        fprintf(out, "  sample: %u row%s\n", s->nrows, s->nrows == 1 ? "" : "s");
        for (uint32_t r = 0; r <= s->nrows; r++) {
            fputs("    ", out);
            for (uint32_t c = 0; c < nc; c++) {
                if (c)
                    fputs(" | ", out);
                if (c + 1 < nc)
                    pad(out, cells[(size_t)r * nc + c], w[c]);
                else
                    fputs(cells[(size_t)r * nc + c], out);
            }
            fputc('\n', out);
            if (r == 0) {
                fputs("    ", out);
                for (uint32_t c = 0; c < nc; c++) {
                    fputs(c ? "-+-" : "", out);
                    for (size_t k = 0; k < w[c]; k++)
                        fputc('-', out);
                }
                fputc('\n', out);
            }
        }
    }
    if (rc == 0 && s->refused)
        fprintf(out, "    then the mapping refused a row: %s\n", s->refused);
    for (size_t i = 0; cells && i < ((size_t)s->nrows + 1) * nc; i++)
        free(cells[i]);
    free(cells);
    free(w);
    return rc;
}

static int print_table_text(FILE *out, const plan_doc *d, const plan_table *t)
{
    uint32_t n;
    plan_colmap *map = plan_column_map(t->source, t->plan, t->target, &n);
    map_line *lines = map ? map_lines(d, map, n) : NULL;
    char *src = qualified_str(t->source), *dst = qualified_str(t->target);
    char *key = key_str(t->target);
    int none = 1;
    char *filter = filter_str(t->plan, &none);
    char *ddl = map ? ddl_str(d, t, map, n, "    ") : NULL;
    int rc = lines && src && dst && key && filter && ddl ? 0 : -1;
    if (rc == 0) {
        fprintf(out, "table %s -> %s\n", src, dst);
        print_columns(out, lines, n);
        fprintf(out, "  key: %s\n", key);
        fprintf(out, "  filter: %s\n", none ? "none" : filter);
        fprintf(out, "  target DDL:\n    %s\n", ddl);
        if (t->sampled)
            rc = print_sample(out, t);
    }
    map_lines_free(lines, lines ? n : 0);
    free(map);
    free(src);
    free(dst);
    free(key);
    free(filter);
    free(ddl);
    return rc;
}

int plan_print_text(FILE *out, const plan_doc *d)
{
    fprintf(out, "pipeline \"%s\" (%s): %u table%s, from source \"%s\" to target \"%s\"\n",
            d->pipeline, d->mode, d->ntables, d->ntables == 1 ? "" : "s", d->source_plugin,
            d->target_plugin);
    if (d->ntransforms) {
        fputs("transforms after the mapping:", out);
        for (size_t i = 0; i < d->ntransforms; i++)
            fprintf(out, "%s %s", i ? "," : "", d->transforms[i]);
        fputc('\n', out);
    }
    for (uint32_t i = 0; i < d->ntables; i++) {
        fputc('\n', out);
        if (print_table_text(out, d, &d->tables[i]) != 0)
            return -1;
    }
    return 0;
}

/* ---- JSON ---- */

/* A JSON string of bytes that may not be UTF-8: invalid bytes become \xNN text. */
static json_t *jstr(const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    if (j)
        return j;
    mbuf m;
    if (!mb_open(&m))
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x80 || ch == 0)
            fprintf(m.f, "\\x%02x", ch);
        else
            fputc(ch, m.f);
    }
    char *text = mb_take(&m);
    j = text ? json_string(text) : NULL;
    free(text);
    return j;
}

static json_t *jname(sluice_str s)
{
    return jstr(s.ptr, s.len);
}

/* Takes a malloc'ed string (NULL: out of memory). */
static json_t *jtake(char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    free(s);
    return j;
}

static json_t *jtable(const sluice_table *t)
{
    return json_pack("{s:o,s:o}", "schema", jname(t->schema), "table", jname(t->name));
}

static json_t *jcolumns(const plan_doc *d, const plan_colmap *map, uint32_t n)
{
    json_t *a = json_array();
    for (uint32_t i = 0; a && i < n; i++) {
        const plan_colmap *e = &map[i];
        json_t *o = json_object();
        if (!o || json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
        int bad = 0;
        if (e->source) {
            bad |= json_object_set_new(o, "source", jname(e->source->name));
            bad |= json_object_set_new(o, "source_type", jtake(type_str(e->source, NULL, 0, 1)));
        }
        if (e->target) {
            bad |= json_object_set_new(o, "target", jname(e->target->name));
            bad |= json_object_set_new(o, "target_type",
                                       jtake(type_str(e->target, e->source, d->pg_names, 0)));
        } else {
            bad |= json_object_set_new(o, "removed", json_true());
        }
        if (!e->source)
            bad |= json_object_set_new(o, "added", e->added ? jtake(expression_str(e))
                                                            : json_string("by a transform"));
        if (e->mask)
            bad |= json_object_set_new(o, "masked", json_string(value_mask_name(e->mask)));
        if (e->mask == VP_MASK_DIGITS)
            bad |= json_object_set_new(o, "mask_character",
                                       json_stringn(&e->mask_char, 1));
        if (bad) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *jkey(const sluice_table *t)
{
    json_t *a = json_array();
    for (uint32_t i = 0; a && i < t->ncolumns; i++) {
        const sluice_column *c = sluice_table_column(t, i);
        if ((c->flags & SLUICE_COLUMN_KEY) && json_array_append_new(a, jname(c->name)) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *jsample(const plan_table *t)
{
    const plan_sample *s = &t->sample;
    json_t *cols = json_array(), *rows = json_array();
    int bad = !cols || !rows;
    for (uint32_t c = 0; !bad && c < s->ncolumns; c++)
        bad = json_array_append_new(cols, jname(sluice_table_column(t->target, c)->name)) != 0;
    for (uint32_t r = 0; !bad && r < s->nrows; r++) {
        json_t *row = json_array();
        bad = !row || json_array_append_new(rows, row) != 0;
        for (uint32_t c = 0; !bad && c < s->ncolumns; c++) {
            size_t i = (size_t)r * s->ncolumns + c;
            bad = json_array_append_new(row, s->values[i] ? jstr(s->values[i], s->lens[i])
                                                          : json_null()) != 0;
        }
    }
    if (bad) {
        json_decref(cols);
        json_decref(rows);
        return NULL;
    }
    json_t *o = json_pack("{s:o,s:o}", "columns", cols, "rows", rows);
    if (o && s->refused && json_object_set_new(o, "refused", jstr(s->refused,
                                                                   strlen(s->refused))) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *jplan_table(const plan_doc *d, const plan_table *t)
{
    uint32_t n;
    plan_colmap *map = plan_column_map(t->source, t->plan, t->target, &n);
    if (!map)
        return NULL;
    int none = 1;
    char *filter = filter_str(t->plan, &none);
    json_t *o = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "source", jtable(t->source), "target",
                          jtable(t->target), "columns", jcolumns(d, map, n), "key",
                          jkey(t->target), "filter",
                          !filter ? NULL : none ? json_null() : json_string(filter), "ddl",
                          jtake(ddl_str(d, t, map, n, "")));
    free(filter);
    free(map);
    if (o && t->sampled && json_object_set_new(o, "sample", jsample(t)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int plan_print_json(FILE *out, const plan_doc *d)
{
    json_t *tables = json_array(), *transforms = json_array();
    int bad = !tables || !transforms;
    for (size_t i = 0; !bad && i < d->ntransforms; i++)
        bad = json_array_append_new(transforms, json_string(d->transforms[i])) != 0;
    for (uint32_t i = 0; !bad && i < d->ntables; i++)
        bad = json_array_append_new(tables, jplan_table(d, &d->tables[i])) != 0;
    if (bad) {
        json_decref(tables);
        json_decref(transforms);
        return -1;
    }
    json_t *doc = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}", "pipeline", d->pipeline, "mode",
                            d->mode, "source_plugin", d->source_plugin, "target_plugin",
                            d->target_plugin, "transforms", transforms, "tables", tables);
    if (!doc)
        return -1;
    int rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 ? 0 : -1;
    fputc('\n', out);
    json_decref(doc);
    return rc;
}
