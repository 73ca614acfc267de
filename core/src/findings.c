/* The findings list of `sluice check`, and its two printed forms. */
#include "findings.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"

void findings_init(sluice_findings *f)
{
    memset(f, 0, sizeof *f);
    f->scope = "source";
}

static void finding_free(finding *x)
{
    free(x->table);
    free(x->message);
    free(x->detail);
    free(x->hint);
}

void findings_free(sluice_findings *f)
{
    for (uint32_t i = 0; i < f->count; i++)
        finding_free(&f->items[i]);
    free(f->items);
    memset(f, 0, sizeof *f);
}

/* A redacted copy, NULL for an empty string (secrets never reach the list). */
static char *copy_text(const char *s, int *bad)
{
    if (!s || !s[0])
        return NULL;
    char *c = secret_redact_dup(s);
    if (!c)
        *bad = 1;
    return c;
}

static int add(sluice_findings *f, const char *scope, sluice_severity severity, const char *table,
               const sluice_error *e)
{
    if (!f || !e || severity < SLUICE_SEVERITY_INFO || severity > SLUICE_SEVERITY_BLOCKING)
        return -1;
    if (f->count == f->capacity) {
        uint32_t cap = f->capacity ? f->capacity * 2 : 16;
        finding *items = realloc(f->items, cap * sizeof *items);
        if (!items)
            return f->failed = 1, -1;
        f->items = items;
        f->capacity = cap;
    }
    int bad = 0;
    finding x = {severity, scope, copy_text(table, &bad),
                 copy_text(e->message[0] ? e->message : "(no message)", &bad),
                 copy_text(e->detail, &bad), copy_text(e->hint, &bad)};
    if (bad) {
        finding_free(&x);
        return f->failed = 1, -1;
    }
    f->items[f->count++] = x;
    return 0;
}

int findings_add(sluice_findings *f, sluice_severity severity, const char *table,
                 const sluice_error *finding)
{
    return add(f, f ? f->scope : NULL, severity, table, finding);
}

int findings_add_error(sluice_findings *f, const char *scope, sluice_severity severity,
                       const char *table, const sluice_error *err)
{
    return add(f, scope, severity, table, err);
}

uint32_t findings_count(const sluice_findings *f, sluice_severity severity)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->count; i++)
        n += f->items[i].severity == severity;
    return n;
}

const char *severity_name(sluice_severity severity)
{
    switch (severity) {
    case SLUICE_SEVERITY_BLOCKING: return "blocking";
    case SLUICE_SEVERITY_WARNING: return "warning";
    case SLUICE_SEVERITY_INFO: return "info";
    }
    return "?";
}

static const sluice_severity order[] = {SLUICE_SEVERITY_BLOCKING, SLUICE_SEVERITY_WARNING,
                                        SLUICE_SEVERITY_INFO};

int findings_print_text(FILE *out, const sluice_findings *f)
{
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        uint32_t n = findings_count(f, order[k]);
        if (!n)
            continue;
        fprintf(out, "== %s (%u)\n\n", severity_name(order[k]), n);
        for (uint32_t i = 0; i < f->count; i++) {
            const finding *x = &f->items[i];
            if (x->severity != order[k])
                continue;
            fprintf(out, "%s: [%s] %s\n", severity_name(x->severity), x->scope, x->message);
            if (x->detail)
                fprintf(out, "detail: %s\n", x->detail);
            if (x->hint)
                fprintf(out, "hint: %s\n", x->hint);
            fputc('\n', out);
        }
    }
    fprintf(out, "%u blocking, %u warning%s, %u info\n", findings_count(f, SLUICE_SEVERITY_BLOCKING),
            findings_count(f, SLUICE_SEVERITY_WARNING),
            findings_count(f, SLUICE_SEVERITY_WARNING) == 1 ? "" : "s",
            findings_count(f, SLUICE_SEVERITY_INFO));
    return ferror(out) ? -1 : 0;
}

static json_t *text_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

int findings_print_json(FILE *out, const sluice_findings *f)
{
    json_t *arr = json_array();
    for (size_t k = 0; arr && k < sizeof order / sizeof order[0]; k++)
        for (uint32_t i = 0; i < f->count; i++) {
            const finding *x = &f->items[i];
            if (x->severity != order[k])
                continue;
            json_t *o = json_object();
            json_object_set_new(o, "severity", json_string(severity_name(x->severity)));
            json_object_set_new(o, "scope", json_string(x->scope));
            json_object_set_new(o, "table", text_or_null(x->table));
            json_object_set_new(o, "message", json_string(x->message));
            json_object_set_new(o, "detail", text_or_null(x->detail));
            json_object_set_new(o, "hint", text_or_null(x->hint));
            json_array_append_new(arr, o);
        }
    int rc = arr ? json_dumpf(arr, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : -1;
    json_decref(arr);
    if (rc == 0)
        fputc('\n', out);
    return rc != 0 || ferror(out) ? -1 : 0;
}
