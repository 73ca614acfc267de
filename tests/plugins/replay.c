/* Journal replay and exactly-once checks (replay.h). */
#define _GNU_SOURCE /* twalk_r, tdestroy */
#include "replay.h"

#include <errno.h>
#include <search.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS (64 + 8)

/* A row: its key (escaped first value) and every value joined by tabs. */
typedef struct rrow {
    char *key;
    int numeric;
    long long num;
    char *line;
} rrow;

typedef struct rtable {
    char *name;
    void *rows; /* tsearch tree of rrow */
    unsigned long long nrows, snapshot, inserts, updates, deletes, truncates;
} rtable;

typedef struct replay {
    const char *name;
    FILE *err;
    unsigned long long line;
    rtable *tables;
    size_t ntables;
    int in_txn;
    char *txn_xid;
    unsigned long long txn_line;
    char *last_position;     /* hex of the previous COMMIT */
    unsigned long long last_commit_line, commits;
    int oom;
} replay;

/* Reports a failed check; returns 1 for `return fail(...)`. */
static int fail(replay *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(replay *r, const char *fmt, ...)
{
    va_list ap;
    fprintf(r->err, "capture-replay: %s:%llu: ", r->name, r->line);
    va_start(ap, fmt);
    vfprintf(r->err, fmt, ap);
    va_end(ap);
    fputc('\n', r->err);
    return 1;
}

static int out_of_memory(replay *r)
{
    r->oom = 1;
    fprintf(r->err, "capture-replay: out of memory\n");
    return 2;
}

/* ---- rows ---- */

static int parse_key(const char *s, long long *out)
{
    char *end;
    if (!*s)
        return 0;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return *end == '\0' && errno == 0;
}

static int cmp_row(const void *a, const void *b)
{
    const rrow *x = a, *y = b;
    if (x->numeric && y->numeric)
        return x->num < y->num ? -1 : (x->num > y->num);
    if (x->numeric != y->numeric)
        return x->numeric ? -1 : 1;
    return strcmp(x->key, y->key);
}

static void free_row(void *p)
{
    rrow *row = p;
    free(row->key);
    free(row->line);
    free(row);
}

static rrow probe_of(const char *key)
{
    rrow probe = {(char *)key, 0, 0, NULL};
    probe.numeric = parse_key(key, &probe.num);
    return probe;
}

static rrow *row_find(rtable *t, const char *key)
{
    rrow probe = probe_of(key);
    rrow **found = tfind(&probe, &t->rows, cmp_row);
    return found ? *found : NULL;
}

/* Joins fields[0..n) with tabs into a new string. */
static char *join_fields(char **fields, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(fields[i]) + 1;
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(fields[i]);
        if (i)
            *p++ = '\t';
        memcpy(p, fields[i], k);
        p += k;
    }
    *p = '\0';
    return s;
}

/* Adds a row whose key is values[0]; the caller checked it is absent. */
static int row_add(replay *r, rtable *t, char **values, size_t n)
{
    rrow *row = calloc(1, sizeof *row);
    if (!row || !(row->key = strdup(values[0])) || !(row->line = join_fields(values, n))) {
        if (row)
            free_row(row);
        return out_of_memory(r);
    }
    row->numeric = parse_key(row->key, &row->num);
    if (!tsearch(row, &t->rows, cmp_row)) {
        free_row(row);
        return out_of_memory(r);
    }
    t->nrows++;
    return 0;
}

static void row_remove(rtable *t, rrow *row)
{
    tdelete(row, &t->rows, cmp_row);
    free_row(row);
    t->nrows--;
}

static void table_clear(rtable *t)
{
    tdestroy(t->rows, free_row);
    t->rows = NULL;
    t->nrows = 0;
}

static rtable *table_get(replay *r, const char *name)
{
    for (size_t i = 0; i < r->ntables; i++)
        if (strcmp(r->tables[i].name, name) == 0)
            return &r->tables[i];
    rtable *more = realloc(r->tables, (r->ntables + 1) * sizeof *more);
    if (!more)
        return NULL;
    r->tables = more;
    rtable *t = &r->tables[r->ntables];
    memset(t, 0, sizeof *t);
    if (!(t->name = strdup(name)))
        return NULL;
    r->ntables++;
    return t;
}

/* ---- records ---- */

/* Splits a line in place at tabs. Returns the number of fields, or 0 when too many. */
static size_t split(char *line, char **fields)
{
    size_t n = 0;
    for (char *p = line;; p++) {
        if (n == MAX_FIELDS)
            return 0;
        fields[n++] = p;
        p = strchr(p, '\t');
        if (!p)
            return n;
        *p = '\0';
    }
}

static int need_fields(replay *r, char kind, size_t n, size_t min)
{
    if (n >= min)
        return 0;
    return fail(r, "%c record has %zu fields, needs at least %zu", kind, n, min);
}

static int need_txn(replay *r, char kind, int inside)
{
    if (r->in_txn == inside)
        return 0;
    if (inside)
        return fail(r, "%c record outside a transaction (no BEGIN before it)", kind);
    return fail(r, "%c record inside the transaction begun at line %llu", kind, r->txn_line);
}

static int rec_prepare(replay *r, rtable *t, char **f, size_t n)
{
    if (need_fields(r, 'P', n, 3) || need_txn(r, 'P', 0))
        return 1;
    if (strcmp(f[2], "1") == 0 || strcmp(f[2], "2") == 0)
        table_clear(t);
    return 0;
}

static int rec_insert(replay *r, rtable *t, char kind, char **f, size_t n)
{
    if (need_fields(r, kind, n, 3) || need_txn(r, kind, kind == 'I'))
        return 1;
    if (row_find(t, f[2]))
        return fail(r, "%s of key %s into table %s: the key is already there (applied twice?)",
                    kind == 'S' ? "snapshot row" : "insert", f[2], t->name);
    if (kind == 'S')
        t->snapshot++;
    else
        t->inserts++;
    return row_add(r, t, f + 2, n - 2);
}

/* New values, "\U" keeping the old value in the same place. */
static int merge_update(replay *r, rtable *t, rrow *old, char **f, size_t n)
{
    char *copy = strdup(old->line);
    char *oldv[MAX_FIELDS];
    if (!copy)
        return out_of_memory(r);
    size_t nold = split(copy, oldv);
    char **newv = f + 3;
    size_t nnew = n - 3;
    for (size_t i = 0; i < nnew; i++)
        if (strcmp(newv[i], "\\U") == 0 && i < nold)
            newv[i] = oldv[i];
    if (strcmp(newv[0], old->key) != 0 && row_find(t, newv[0])) {
        free(copy);
        return fail(r, "update of key %s in table %s to key %s: that key is already there",
                    old->key, t->name, newv[0]);
    }
    row_remove(t, old);
    int rc = row_add(r, t, newv, nnew);
    free(copy);
    return rc;
}

static int rec_update(replay *r, rtable *t, char **f, size_t n)
{
    if (need_fields(r, 'U', n, 4) || need_txn(r, 'U', 1))
        return 1;
    rrow *old = row_find(t, f[2]);
    if (!old)
        return fail(r, "update of key %s in table %s: no such row (lost insert or double delete?)",
                    f[2], t->name);
    t->updates++;
    return merge_update(r, t, old, f, n);
}

static int rec_delete(replay *r, rtable *t, char **f, size_t n)
{
    if (need_fields(r, 'D', n, 3) || need_txn(r, 'D', 1))
        return 1;
    rrow *old = row_find(t, f[2]);
    if (!old)
        return fail(r, "delete of key %s in table %s: no such row (lost insert or double delete?)",
                    f[2], t->name);
    t->deletes++;
    row_remove(t, old);
    return 0;
}

/* Records that name a table in field 1. */
static int rec_table(replay *r, char kind, char **f, size_t n)
{
    if (need_fields(r, kind, n, 2))
        return 1;
    rtable *t = table_get(r, f[1]);
    if (!t)
        return out_of_memory(r);
    switch (kind) {
    case 'P': return rec_prepare(r, t, f, n);
    case 'S':
    case 'I': return rec_insert(r, t, kind, f, n);
    case 'U': return rec_update(r, t, f, n);
    case 'D': return rec_delete(r, t, f, n);
    case 'L': return need_txn(r, 'L', 0);
    case 'T':
        if (need_txn(r, 'T', 1))
            return 1;
        t->truncates++;
        table_clear(t);
        return 0;
    default: /* 'X': the journal keeps no schema, so only its place is checked */
        return need_fields(r, 'X', n, 3) || need_txn(r, 'X', 1);
    }
}

static int rec_begin(replay *r, char **f, size_t n)
{
    if (need_fields(r, 'B', n, 2))
        return 1;
    if (r->in_txn)
        return fail(r, "BEGIN of xid %s before the COMMIT of xid %s begun at line %llu "
                       "(partial transaction)",
                    f[1], r->txn_xid, r->txn_line);
    free(r->txn_xid);
    if (!(r->txn_xid = strdup(f[1])))
        return out_of_memory(r);
    r->in_txn = 1;
    r->txn_line = r->line;
    return 0;
}

/* Positions are hex of opaque ordered bytes: string order is byte order. */
static int rec_commit(replay *r, char **f, size_t n)
{
    if (need_fields(r, 'C', n, 3))
        return 1;
    if (!r->in_txn)
        return fail(r, "COMMIT of xid %s without a BEGIN", f[1]);
    if (strcmp(f[1], r->txn_xid) != 0)
        return fail(r, "COMMIT of xid %s ends the transaction of xid %s begun at line %llu", f[1],
                    r->txn_xid, r->txn_line);
    if (r->last_position && strcmp(f[2], r->last_position) <= 0)
        return fail(r, "commit position %s is not after the previous commit's %s at line %llu "
                       "(out of order or applied twice)",
                    f[2], r->last_position, r->last_commit_line);
    free(r->last_position);
    if (!(r->last_position = strdup(f[2])))
        return out_of_memory(r);
    r->last_commit_line = r->line;
    r->in_txn = 0;
    r->commits++;
    return 0;
}

static int rec_line(replay *r, char *line)
{
    char *f[MAX_FIELDS];
    size_t n = split(line, f);
    if (n == 0)
        return fail(r, "record has more than %d fields", MAX_FIELDS);
    if (strlen(f[0]) != 1)
        return fail(r, "unknown record kind \"%s\"", f[0]);
    switch (f[0][0]) {
    case 'B': return rec_begin(r, f, n);
    case 'C': return rec_commit(r, f, n);
    case 'P': case 'S': case 'L': case 'I': case 'U': case 'D': case 'T': case 'X':
        return rec_table(r, f[0][0], f, n);
    default:
        return fail(r, "unknown record kind \"%s\"", f[0]);
    }
}

/* ---- output ---- */

static int cmp_table(const void *a, const void *b)
{
    return strcmp(((const rtable *)a)->name, ((const rtable *)b)->name);
}

typedef struct print_ctx {
    FILE *out;
    const char *table;
} print_ctx;

static void print_row(const void *node, VISIT which, void *closure)
{
    if (which != postorder && which != leaf)
        return;
    const rrow *row = *(const rrow *const *)node;
    const print_ctx *pc = closure;
    fprintf(pc->out, "%s\t%s\n", pc->table, row->line);
}

static void print_state(replay *r, FILE *out, const replay_options *o)
{
    if (r->ntables > 1)
        qsort(r->tables, r->ntables, sizeof *r->tables, cmp_table);
    for (size_t i = 0; i < r->ntables; i++) {
        rtable *t = &r->tables[i];
        if (o->summary) {
            fprintf(out, "%s\trows=%llu\tsnapshot=%llu\tinserts=%llu\tupdates=%llu"
                         "\tdeletes=%llu\ttruncates=%llu\n",
                    t->name, t->nrows, t->snapshot, t->inserts, t->updates, t->deletes,
                    t->truncates);
        } else {
            print_ctx pc = {out, t->name};
            twalk_r(t->rows, print_row, &pc);
        }
    }
    if (o->summary)
        fprintf(out, "transactions=%llu\n", r->commits);
}

static void replay_free(replay *r)
{
    for (size_t i = 0; i < r->ntables; i++) {
        table_clear(&r->tables[i]);
        free(r->tables[i].name);
    }
    free(r->tables);
    free(r->txn_xid);
    free(r->last_position);
}

/* Counts what follows the limit: a torn write a restart of the sink cuts off. */
static int unfinished_tail(replay *r, FILE *in, const replay_options *o, char **line,
                           size_t *cap, ssize_t first)
{
    unsigned long long bytes = (unsigned long long)first, from = r->line + 1;
    ssize_t len;
    while ((len = getline(line, cap, in)) >= 0)
        bytes += (unsigned long long)len;
    if (o->strict) {
        r->line = from;
        return fail(r, "unfinished write at the end of the journal (%llu bytes after the last "
                       "commit, load or prepare record)",
                    bytes);
    }
    fprintf(r->err,
            "capture-replay: %s: ignoring an unfinished write at the end (%llu bytes from "
            "line %llu on); the capture sink drops it when it next opens the journal\n",
            r->name, bytes, from);
    return 0;
}

/* Reads every line up to the limit; 0, or the first check's result. */
static int read_all(replay *r, FILE *in, const replay_options *o)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long long offset = 0;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, in)) >= 0) {
        if (o->has_limit && offset + (unsigned long long)len > o->limit) {
            rc = unfinished_tail(r, in, o, &line, &cap, len);
            break;
        }
        offset += (unsigned long long)len;
        r->line++;
        if (len == 0 || line[len - 1] != '\n')
            rc = fail(r, "incomplete record (no newline at the end of the file)");
        else if (memchr(line, '\0', (size_t)len - 1))
            rc = fail(r, "record holds a NUL byte");
        else {
            line[len - 1] = '\0';
            rc = rec_line(r, line);
        }
    }
    free(line);
    if (rc == 0 && ferror(in)) {
        fprintf(r->err, "capture-replay: could not read %s: %s\n", r->name, strerror(errno));
        rc = 2;
    }
    if (rc == 0 && r->in_txn)
        rc = fail(r, "the transaction of xid %s begun at line %llu has no COMMIT "
                     "(partial transaction)",
                  r->txn_xid, r->txn_line);
    return rc;
}

int replay_run(FILE *in, const char *name, FILE *out, FILE *err, const replay_options *o)
{
    replay r;
    memset(&r, 0, sizeof r);
    r.name = name;
    r.err = err;
    int rc = read_all(&r, in, o);
    if (rc == 1 && r.oom)
        rc = 2;
    if (rc == 0)
        print_state(&r, out, o);
    replay_free(&r);
    return rc;
}
