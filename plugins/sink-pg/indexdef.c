#include "indexdef.h"

#include <string.h>
#include <strings.h>

#include "sqltext.h"

typedef struct cursor {
    const char *p, *end;
} cursor;

/* Consumes `word` when the text continues with it. */
static int eat(cursor *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return 0;
    c->p += n;
    return 1;
}

/* A quoted ("a""b") or bare identifier token; 0 when there is none. */
static int ident(cursor *c, sluice_str *out)
{
    const char *start = c->p;
    if (c->p < c->end && *c->p == '"') {
        for (c->p++; c->p < c->end; c->p++) {
            if (*c->p != '"')
                continue;
            if (c->p + 1 < c->end && c->p[1] == '"') {
                c->p++;
                continue;
            }
            c->p++;
            *out = (sluice_str){start, (size_t)(c->p - start)};
            return 1;
        }
        return 0; /* no closing quote */
    }
    while (c->p < c->end && *c->p != ' ' && *c->p != '.' && *c->p != '"' && *c->p != '(' &&
           *c->p != '\0')
        c->p++;
    *out = (sluice_str){start, (size_t)(c->p - start)};
    return out->len > 0;
}

int indexdef_parse(sluice_str def, indexdef *out)
{
    memset(out, 0, sizeof *out);
    if (!def.ptr || memchr(def.ptr, '\0', def.len))
        return -1;
    cursor c = {def.ptr, def.ptr + def.len};
    if (!eat(&c, "CREATE "))
        return -1;
    out->unique = eat(&c, "UNIQUE ");
    if (!eat(&c, "INDEX ") || !ident(&c, &out->name) || !eat(&c, " ON "))
        return -1;
    eat(&c, "ONLY "); /* a partitioned table's own index; the target table is a plain one */
    if (!ident(&c, &out->schema) || !eat(&c, ".") || !ident(&c, &out->table) ||
        !eat(&c, " USING ") || c.p == c.end)
        return -1;
    out->rest = (sluice_str){c.p, (size_t)(c.end - c.p)};
    return 0;
}

int indexdef_ident_is(sluice_str token, sluice_str name)
{
    if (token.len == 0 || token.ptr[0] != '"')
        return token.len == name.len && memcmp(token.ptr, name.ptr, name.len) == 0;
    size_t j = 0;
    for (size_t i = 1; i + 1 < token.len; i++) { /* between the outer quotes */
        if (token.ptr[i] == '"')
            i++; /* "" stands for one quote */
        if (j >= name.len || name.ptr[j] != token.ptr[i])
            return 0;
        j++;
    }
    return j == name.len;
}

static void put_head(sbuf *out, int unique, sluice_str name, const char *qtable)
{
    sb_puts(out, unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
    sql_put_ident(out, name.ptr, name.len);
    sb_puts(out, " ON ");
    sb_puts(out, qtable);
}

int indexdef_rewrite(sbuf *out, const indexdef *d, sluice_str name, const char *qtable)
{
    if (memchr(name.ptr, '\0', name.len))
        return -1;
    put_head(out, d->unique, name, qtable);
    sb_puts(out, " USING ");
    sb_put(out, d->rest.ptr, d->rest.len);
    return 0;
}

static const char *const builtin_methods[] = {"btree", "hash", "gist", "gin", "spgist", "brin"};

int indexdef_from_columns(sbuf *out, const sluice_index *ix, const char *qtable)
{
    const char *method = NULL;
    for (size_t i = 0; i < sizeof builtin_methods / sizeof builtin_methods[0]; i++)
        if (ix->method.len == strlen(builtin_methods[i]) &&
            strncasecmp(ix->method.ptr, builtin_methods[i], ix->method.len) == 0)
            method = builtin_methods[i];
    if ((ix->method.len && !method) || ix->ncolumns == 0 || memchr(ix->name.ptr, '\0', ix->name.len))
        return -1;
    for (uint32_t i = 0; i < ix->ncolumns; i++)
        if (ix->columns[i].len == 0 || memchr(ix->columns[i].ptr, '\0', ix->columns[i].len))
            return -1;
    put_head(out, (ix->flags & SLUICE_INDEX_UNIQUE) != 0, ix->name, qtable);
    if (method)
        sb_printf(out, " USING %s", method);
    sb_puts(out, " (");
    for (uint32_t i = 0; i < ix->ncolumns; i++) {
        if (i)
            sb_puts(out, ", ");
        sql_put_ident(out, ix->columns[i].ptr, ix->columns[i].len);
    }
    sb_putc(out, ')');
    return 0;
}
