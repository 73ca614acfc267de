#include "pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYNTAX_HINT                                                                        \
    "Write each pattern as schema.table.column, with % for any run of characters and _ for " \
    "one, and separate patterns with commas: \"public.users.email, %.%.ssn\". Put a name in " \
    "double quotes to match it literally (\"my.schema\".users.email)."

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The pattern as written, from start to the next comma (or the end), trimmed. */
static void pattern_text(const char *start, char *out, size_t size)
{
    const char *end = strchr(start, ',');
    if (!end)
        end = start + strlen(start);
    while (end > start && is_space(end[-1]))
        end--;
    size_t n = (size_t)(end - start);
    if (n > 200) { /* keep messages short */
        snprintf(out, size, "%.200s...", start);
        return;
    }
    snprintf(out, size, "%.*s", (int)n, start);
}

static int fail(mask_pattern_error *err, const char *start, const char *what, const char *detail)
{
    char shown[220];
    pattern_text(start, shown, sizeof shown);
    snprintf(err->message, sizeof err->message, "invalid columns pattern \"%s\": %s", shown, what);
    snprintf(err->detail, sizeof err->detail, "%s", detail);
    snprintf(err->hint, sizeof err->hint, "%s", SYNTAX_HINT);
    return -1;
}

static int oom(mask_pattern_error *err)
{
    err->message[0] = '\0';
    return -1;
}

/* One name at *pp into *name; advances *pp. 0, or -1 with err filled. */
static int parse_name(const char **pp, const char *start, mask_name *name,
                      mask_pattern_error *err)
{
    const char *p = *pp;
    size_t cap = strlen(p) + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return oom(err);
    if (*p == '"') {
        p++;
        for (;;) {
            if (*p == '\0') {
                free(buf);
                return fail(err, start, "unterminated quoted name",
                            "A name that starts with a double quote must end with one; write "
                            "\"\" for a quote inside it.");
            }
            if (*p == '"' && p[1] == '"') {
                buf[len++] = '"';
                p += 2;
            } else if (*p == '"') {
                p++;
                break;
            } else {
                buf[len++] = *p++;
            }
        }
        if (len == 0) {
            free(buf);
            return fail(err, start, "empty name", "A quoted name (\"\") must not be empty.");
        }
        name->literal = 1;
    } else {
        while (*p && *p != '.' && *p != ',' && *p != '"' && !is_space(*p))
            buf[len++] = *p++;
        if (len == 0) {
            free(buf);
            return fail(err, start, "empty name",
                        "Every one of schema, table and column needs a name or %.");
        }
        if (*p == '"') {
            free(buf);
            return fail(err, start, "misplaced double quote",
                        "Quotes enclose a whole name: \"name\", not na\"me\".");
        }
        name->literal = 0;
    }
    buf[len] = '\0';
    name->text = buf;
    name->len = len;
    *pp = p;
    return 0;
}

static void pattern_free(mask_pattern *pat)
{
    for (int i = 0; i < 3; i++)
        free(pat->part[i].text);
    memset(pat, 0, sizeof *pat);
}

/* One pattern at *pp (after spaces); advances *pp past it. */
static int parse_pattern(const char **pp, mask_pattern *pat, mask_pattern_error *err)
{
    const char *start = *pp, *p = *pp;
    memset(pat, 0, sizeof *pat);
    if (*p == '!') {
        pat->exclude = 1;
        p++;
        while (is_space(*p))
            p++;
    }
    mask_name names[8];
    int n = 0;
    for (;;) {
        mask_name name;
        if (parse_name(&p, start, &name, err) != 0) {
            for (int i = 0; i < n; i++)
                free(names[i].text);
            return -1;
        }
        if (n < 8)
            names[n] = name;
        else
            free(name.text);
        n++;
        if (*p != '.')
            break;
        p++;
    }
    int keep = n < 8 ? n : 8;
    if (n != 3) {
        for (int i = 0; i < keep; i++)
            free(names[i].text);
        char detail[200];
        snprintf(detail, sizeof detail,
                 "A pattern names a column as schema.table.column (three names); this one has "
                 "%d.",
                 n);
        return fail(err, start, n < 3 ? "too few names" : "too many names", detail);
    }
    memcpy(pat->part, names, sizeof pat->part);
    while (is_space(*p))
        p++;
    if (*p != ',' && *p != '\0') {
        pattern_free(pat);
        return fail(err, start, "expected \",\" after the column name",
                    "Names within a pattern are joined by \".\" without spaces, and patterns "
                    "are separated by \",\".");
    }
    *pp = p;
    return 0;
}

int mask_patterns_parse(const char *text, mask_patterns *out, mask_pattern_error *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    const char *p = text ? text : "";
    size_t cap = 1;
    for (const char *q = p; *q; q++)
        cap += *q == ',';
    out->items = calloc(cap, sizeof *out->items);
    if (!out->items)
        return oom(err);
    for (size_t index = 1;; index++) {
        while (is_space(*p))
            p++;
        if (*p == ',' || *p == '\0') {
            if (*p == '\0' && index == 1) {
                snprintf(err->message, sizeof err->message, "option \"columns\" names no columns");
                snprintf(err->detail, sizeof err->detail, "The value is empty.");
                snprintf(err->hint, sizeof err->hint, "%s", SYNTAX_HINT);
            } else {
                snprintf(err->message, sizeof err->message,
                         "option \"columns\" has an empty pattern");
                snprintf(err->detail, sizeof err->detail,
                         "Pattern %zu of the list is empty (two commas in a row, or a comma at "
                         "the start or the end).",
                         index);
                snprintf(err->hint, sizeof err->hint, "%s", SYNTAX_HINT);
            }
            mask_patterns_free(out);
            return -1;
        }
        mask_pattern *pat = &out->items[out->n];
        if (parse_pattern(&p, pat, err) != 0) {
            mask_patterns_free(out);
            return -1;
        }
        out->n++;
        out->nincludes += !pat->exclude;
        if (*p == '\0')
            break;
        p++; /* the comma */
    }
    if (out->nincludes == 0) {
        snprintf(err->message, sizeof err->message,
                 "option \"columns\" has no pattern that selects a column");
        snprintf(err->detail, sizeof err->detail,
                 "Every pattern starts with \"!\", which only excludes columns that other "
                 "patterns select.");
        snprintf(err->hint, sizeof err->hint,
                 "Add the columns to mask, as in \"%%.%%.%%, !public.users.id\".");
        mask_patterns_free(out);
        return -1;
    }
    return 0;
}

void mask_patterns_free(mask_patterns *p)
{
    for (size_t i = 0; i < p->n; i++)
        pattern_free(&p->items[i]);
    free(p->items);
    memset(p, 0, sizeof *p);
}

int mask_name_match(const mask_name *pat, const char *s, size_t len)
{
    if (pat->literal)
        return pat->len == len && memcmp(pat->text, s, len) == 0;
    /* % any run, _ one byte (as SQL LIKE and the pipeline's mappings); backtracks to the last %. */
    size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;
    while (si < len) {
        if (pi < pat->len && pat->text[pi] == '%') {
            star = pi++;
            mark = si;
        } else if (pi < pat->len && (pat->text[pi] == '_' || pat->text[pi] == s[si])) {
            pi++;
            si++;
        } else if (star != (size_t)-1) {
            pi = star + 1;
            si = ++mark;
        } else {
            return 0;
        }
    }
    while (pi < pat->len && pat->text[pi] == '%')
        pi++;
    return pi == pat->len;
}

int mask_patterns_match(const mask_patterns *p, const char *schema, size_t schema_len,
                        const char *table, size_t table_len, const char *column,
                        size_t column_len)
{
    int selected = 0;
    for (size_t i = 0; i < p->n; i++) {
        const mask_pattern *pat = &p->items[i];
        if ((selected && !pat->exclude))
            continue;
        if (mask_name_match(&pat->part[0], schema, schema_len) &&
            mask_name_match(&pat->part[1], table, table_len) &&
            mask_name_match(&pat->part[2], column, column_len)) {
            if (pat->exclude)
                return 0;
            selected = 1;
        }
    }
    return selected;
}
