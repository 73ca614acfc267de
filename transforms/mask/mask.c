/*
 * mask: a transform that masks or hashes the values of chosen columns.
 *
 * The `columns` option selects columns by schema.table.column patterns
 * (pattern.h). Method "hmac-sha256" (the default) replaces a value by the hex
 * HMAC-SHA256 of its canonical text under a secret `key`: the same value gives
 * the same hash in every table and every run, so hashed keys still join and
 * updates and deletes still find their rows. "redact" writes a fixed string,
 * "null" writes NULL. NULL stays NULL and UNCHANGED (unchanged TOAST) stays
 * UNCHANGED. docs/transforms.md is the user's documentation.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/sluice.h>

#include "pattern.h"
#include "sha256.h"

#define PLUGIN_NAME "mask"
#define PLUGIN_VERSION "1.0.0"

/* ---- options ---- */

typedef struct mask_config {
    const char *columns;
    const char *method;
    const char *key;
    int64_t length;
    const char *replacement;
} mask_config;

static const sluice_option option_list[] = {
    {"columns", SLUICE_OPTION_STRING, SLUICE_OPTION_REQUIRED, NULL, NULL,
     "columns to mask: schema.table.column patterns, % for any run of characters, _ for one, "
     "! to exclude (\"public.users.email, %.%.ssn\")",
     offsetof(mask_config, columns)},
    {"method", SLUICE_OPTION_STRING, 0, "hmac-sha256", "hmac-sha256|redact|null",
     "hmac-sha256: hex HMAC of the value under key; redact: the replacement text; null: NULL",
     offsetof(mask_config, method)},
    {"key", SLUICE_OPTION_STRING, SLUICE_OPTION_SECRET, NULL, NULL,
     "the HMAC key (required for hmac-sha256); give it with env \"NAME\" or file \"/path\"",
     offsetof(mask_config, key)},
    {"length", SLUICE_OPTION_INT, 0, NULL, NULL,
     "hmac-sha256: keep the first 1..64 hex digits of the hash (default all 64)",
     offsetof(mask_config, length)},
    {"replacement", SLUICE_OPTION_STRING, 0, NULL, NULL,
     "redact: the text every value becomes (default \"****\")",
     offsetof(mask_config, replacement)},
};

static const sluice_options options = {SLUICE_HEADER_INIT(sluice_options), sizeof(sluice_option),
                                       sizeof option_list / sizeof option_list[0], option_list,
                                       sizeof(mask_config)};

/* ---- state ---- */

typedef enum mask_method { METHOD_HMAC, METHOD_REDACT, METHOD_NULL } mask_method;

static const char *const method_names[] = {"hmac-sha256", "redact", "null"};

#define DEFAULT_REPLACEMENT "****"

/* What the plugin does to one table (by id), decided in map_schema. */
typedef struct table_plan {
    int mapped;
    uint32_t ncolumns;
    uint32_t nmasked;
    uint32_t *masked; /* indexes of the masked columns */
    char *display;    /* "schema.table" as map_schema saw it, for messages */
    char **names;     /* the masked columns' names, for messages */
} table_plan;

typedef struct mask_state {
    const sluice_host *host;
    sluice_context *ctx;
    mask_method method;
    mask_patterns patterns;
    hmac_sha256_key key;
    size_t length;       /* hex digits of the hash */
    char *replacement;   /* redact */
    size_t replacement_len;
    table_plan *plans;   /* by table id */
    uint32_t nplans;
} mask_state;

static void plan_clear(table_plan *p)
{
    for (uint32_t i = 0; i < p->nmasked; i++)
        free(p->names[i]);
    free(p->names);
    free(p->masked);
    free(p->display);
    memset(p, 0, sizeof *p);
}

static void mask_close(void *instance)
{
    mask_state *s = instance;
    if (!s)
        return;
    for (uint32_t i = 0; i < s->nplans; i++)
        plan_clear(&s->plans[i]);
    free(s->plans);
    mask_patterns_free(&s->patterns);
    free(s->replacement);
    memset(&s->key, 0, sizeof s->key);
    free(s);
}

static sluice_status open_fail(mask_state *s, sluice_status st)
{
    mask_close(s);
    return st;
}

static sluice_status mask_open(const sluice_host *host, sluice_context *ctx, const void *config,
                               void **instance, sluice_error *err)
{
    const mask_config *cfg = config;
    mask_state *s = calloc(1, sizeof *s);
    if (!s)
        return host->error(err, SLUICE_FATAL, "out of memory");
    s->host = host;
    s->ctx = ctx;

    const char *method = cfg->method ? cfg->method : "hmac-sha256";
    if (strcmp(method, "hmac-sha256") == 0)
        s->method = METHOD_HMAC;
    else if (strcmp(method, "redact") == 0)
        s->method = METHOD_REDACT;
    else if (strcmp(method, "null") == 0)
        s->method = METHOD_NULL;
    else { /* the core checks the choices; this is for a core that does not */
        host->error(err, SLUICE_FATAL, "unknown mask method \"%s\"", method);
        host->error_detail(err, "The mask transform knows the methods \"hmac-sha256\", "
                                "\"redact\" and \"null\".");
        host->error_hint(err, "Set method to one of them.");
        return open_fail(s, SLUICE_FATAL);
    }

    mask_pattern_error perr;
    if (mask_patterns_parse(cfg->columns, &s->patterns, &perr) != 0) {
        if (!perr.message[0])
            return open_fail(s, host->error(err, SLUICE_FATAL, "out of memory"));
        host->error(err, SLUICE_FATAL, "%s", perr.message);
        host->error_detail(err, "%s", perr.detail);
        host->error_hint(err, "%s", perr.hint);
        return open_fail(s, SLUICE_FATAL);
    }

    if (s->method == METHOD_HMAC) {
        if (!cfg->key || !cfg->key[0]) {
            host->error(err, SLUICE_FATAL, "method \"hmac-sha256\" needs a key");
            host->error_detail(err, cfg->key ? "Option \"key\" is empty."
                                             : "Option \"key\" is not set.");
            host->error_hint(err, "Add key = env \"NAME\" or key = file \"/path\" to the "
                                  "transform's section, with a long random secret; keep it to "
                                  "hash the same values the same way in later runs.");
            return open_fail(s, SLUICE_FATAL);
        }
        if (cfg->length < 0 || cfg->length > 2 * SHA256_DIGEST) {
            host->error(err, SLUICE_FATAL,
                        "option \"length\" must be between 1 and %d, not %" PRId64,
                        2 * SHA256_DIGEST, cfg->length);
            host->error_detail(err, "A SHA-256 hash has %d hex digits; length keeps the first "
                                    "ones.",
                               2 * SHA256_DIGEST);
            host->error_hint(err, "Leave length out to keep all %d.", 2 * SHA256_DIGEST);
            return open_fail(s, SLUICE_FATAL);
        }
        s->length = cfg->length > 0 ? (size_t)cfg->length : 2 * SHA256_DIGEST;
        hmac_sha256_prepare(&s->key, cfg->key, strlen(cfg->key));
    } else {
        const char *unused = cfg->key ? "key" : cfg->length ? "length" : NULL;
        if (unused) {
            host->error(err, SLUICE_FATAL, "option \"%s\" is not used by method \"%s\"", unused,
                        method_names[s->method]);
            host->error_detail(err, "Only method \"hmac-sha256\" uses options \"key\" and "
                                    "\"length\".");
            host->error_hint(err, "Remove \"%s\", or set method = \"hmac-sha256\".", unused);
            return open_fail(s, SLUICE_FATAL);
        }
    }
    if (s->method != METHOD_REDACT && cfg->replacement) {
        host->error(err, SLUICE_FATAL, "option \"replacement\" is not used by method \"%s\"",
                    method_names[s->method]);
        host->error_detail(err, "Only method \"redact\" uses option \"replacement\".");
        host->error_hint(err, "Remove \"replacement\", or set method = \"redact\".");
        return open_fail(s, SLUICE_FATAL);
    }
    if (s->method == METHOD_REDACT) {
        s->replacement = strdup(cfg->replacement ? cfg->replacement : DEFAULT_REPLACEMENT);
        if (!s->replacement)
            return open_fail(s, host->error(err, SLUICE_FATAL, "out of memory"));
        s->replacement_len = strlen(s->replacement);
    }
    *instance = s;
    return SLUICE_OK;
}

/* ---- map_schema: which columns of a table, and their output types ---- */

static char *str_dup(sluice_str s)
{
    char *p = malloc(s.len + 1);
    if (p) {
        memcpy(p, s.ptr, s.len);
        p[s.len] = '\0';
    }
    return p;
}

static table_plan *plan_for(mask_state *s, uint32_t id)
{
    if (id >= s->nplans) {
        uint32_t n = id + 16;
        table_plan *p = realloc(s->plans, n * sizeof *p);
        if (!p)
            return NULL;
        memset(p + s->nplans, 0, (n - s->nplans) * sizeof *p);
        s->plans = p;
        s->nplans = n;
    }
    return &s->plans[id];
}

/* Bytes every masked value of the method has (hmac, redact). */
static size_t output_width(const mask_state *s)
{
    return s->method == METHOD_HMAC ? s->length : s->replacement_len;
}

static sluice_status mask_map_schema(void *instance, sluice_table *t, sluice_error *err)
{
    mask_state *s = instance;
    const sluice_host *h = s->host;
    table_plan *plan = plan_for(s, t->id);
    if (!plan)
        return h->error(err, SLUICE_FATAL, "out of memory");
    plan_clear(plan);
    plan->ncolumns = t->ncolumns;
    plan->display = malloc(t->schema.len + t->name.len + 2);
    plan->masked = calloc(t->ncolumns ? t->ncolumns : 1, sizeof *plan->masked);
    plan->names = calloc(t->ncolumns ? t->ncolumns : 1, sizeof *plan->names);
    if (!plan->display || !plan->masked || !plan->names)
        return h->error(err, SLUICE_FATAL, "out of memory");
    snprintf(plan->display, t->schema.len + t->name.len + 2, "%.*s.%.*s", (int)t->schema.len,
             t->schema.ptr, (int)t->name.len, t->name.ptr);

    for (uint32_t i = 0; i < t->ncolumns; i++) {
        sluice_column *c = sluice_table_column(t, i);
        if (!mask_patterns_match(&s->patterns, t->schema.ptr, t->schema.len, t->name.ptr,
                                 t->name.len, c->name.ptr, c->name.len))
            continue;
        if (s->method != METHOD_HMAC &&
            (c->flags & (SLUICE_COLUMN_KEY | SLUICE_COLUMN_REPLICA_IDENTITY))) {
            h->error(err, SLUICE_ERROR,
                     "cannot mask key column \"%.*s\" of table \"%s\" with method \"%s\"",
                     (int)c->name.len, c->name.ptr, plan->display, method_names[s->method]);
            h->error_detail(err, "Every row would get the same key, so updates and deletes could "
                                 "not find their rows at the target.");
            h->error_hint(err, "Hash key columns with method \"hmac-sha256\", which keeps them "
                               "distinct and joinable, or leave the column out with a \"!\" "
                               "pattern (\"!%s.%.*s\").",
                          plan->display, (int)c->name.len, c->name.ptr);
            return SLUICE_ERROR;
        }
        if (s->method == METHOD_NULL) {
            if (h->column_set(t, i, c->name, c->source_type, (sluice_type)c->type,
                              c->flags | SLUICE_COLUMN_NULLABLE) != 0)
                return h->error(err, SLUICE_FATAL, "out of memory");
        } else if (!(c->type == SLUICE_TYPE_TEXT &&
                     (c->precision < 0 || (size_t)c->precision >= output_width(s)))) {
            /* the masked text would not fit the column's own type: make it text */
            if (h->column_set(t, i, c->name, (sluice_str){"text", 4}, SLUICE_TYPE_TEXT,
                              c->flags) != 0)
                return h->error(err, SLUICE_FATAL, "out of memory");
            c = sluice_table_column(t, i);
            c->precision = -1;
            c->scale = -1;
            c->element_type = 0;
        }
        if (s->method == METHOD_HMAC && s->length < 32 &&
            (c->flags & (SLUICE_COLUMN_KEY | SLUICE_COLUMN_REPLICA_IDENTITY)))
            h->log(s->ctx, SLUICE_LOG_WARNING,
                   "key column \"%.*s\" of table \"%s\" is hashed to %zu hex digits; different "
                   "keys may collide and overwrite each other's rows",
                   (int)c->name.len, c->name.ptr, plan->display, s->length);
        plan->names[plan->nmasked] = str_dup(c->name);
        if (!plan->names[plan->nmasked])
            return h->error(err, SLUICE_FATAL, "out of memory");
        plan->masked[plan->nmasked++] = i;
    }
    plan->mapped = 1;
    if (plan->nmasked > 0)
        h->log(s->ctx, SLUICE_LOG_DEBUG, "table \"%s\": %u column(s) masked with %s",
               plan->display, plan->nmasked, method_names[s->method]);
    return SLUICE_OK;
}

/* ---- map_batch ---- */

typedef struct batch_work {
    mask_state *s;
    sluice_batch *b;
    const char *redacted; /* the replacement, copied into the batch once */
    uint64_t count;
} batch_work;

static sluice_status native_error(mask_state *s, const table_plan *plan, uint32_t k,
                                  uint32_t format, sluice_error *err)
{
    const sluice_host *h = s->host;
    h->error(err, SLUICE_ERROR,
             "cannot mask column \"%s\" of table \"%s\": the value is in a native binary form",
             plan->names[k], plan->display);
    h->error_detail(err, "The mask transform works on canonical values; this batch carries "
                         "values in native format %u, which sluice should never hand to a "
                         "pipeline with transforms. No value of this batch was written.",
                    format);
    h->error_hint(err, "This is a bug in sluice or in the source plugin; please report it.");
    return SLUICE_ERROR;
}

static sluice_status mask_value(batch_work *w, const table_plan *plan, uint32_t k,
                                sluice_value *v, sluice_error *err)
{
    mask_state *s = w->s;
    const sluice_host *h = s->host;
    const char *bytes;
    size_t len;
    char digits[24];
    switch (v->kind) {
    case SLUICE_VALUE_NULL:
    case SLUICE_VALUE_UNCHANGED:
        return SLUICE_OK;
    case SLUICE_VALUE_TEXT:
        bytes = v->u.bytes;
        len = v->len;
        break;
    case SLUICE_VALUE_INT: /* the same text as the canonical path would carry */
        len = (size_t)snprintf(digits, sizeof digits, "%" PRId64, v->u.i);
        bytes = digits;
        break;
    case SLUICE_VALUE_NATIVE:
        return native_error(s, plan, k, w->b->native_format, err);
    default:
        h->error(err, SLUICE_ERROR, "cannot mask column \"%s\" of table \"%s\": unknown value "
                                    "kind %u",
                 plan->names[k], plan->display, v->kind);
        h->error_detail(err, "This version of the mask transform knows value kinds 0 to 4.");
        h->error_hint(err, "Use a mask transform built for this sluice release.");
        return SLUICE_ERROR;
    }
    switch (s->method) {
    case METHOD_HMAC: {
        uint8_t mac[SHA256_DIGEST];
        char hex[2 * SHA256_DIGEST];
        hmac_sha256_prepared(&s->key, bytes, len, mac);
        hex_encode(mac, sizeof mac, hex);
        if (h->set_text(w->b, v, hex, s->length) != 0)
            return h->error(err, SLUICE_FATAL, "out of memory");
        break;
    }
    case METHOD_REDACT:
        if (!w->redacted) {
            char *copy = h->alloc(w->b, s->replacement_len ? s->replacement_len : 1);
            if (!copy)
                return h->error(err, SLUICE_FATAL, "out of memory");
            memcpy(copy, s->replacement, s->replacement_len);
            w->redacted = copy;
        }
        v->kind = SLUICE_VALUE_TEXT;
        v->len = (uint32_t)s->replacement_len;
        v->u.bytes = w->redacted;
        break;
    case METHOD_NULL:
        v->kind = SLUICE_VALUE_NULL;
        v->len = 0;
        v->u.bytes = NULL;
        break;
    }
    w->count++;
    return SLUICE_OK;
}

static sluice_status mask_row(batch_work *w, const table_plan *plan, sluice_value *row,
                              sluice_error *err)
{
    if (!row)
        return SLUICE_OK;
    for (uint32_t k = 0; k < plan->nmasked; k++) {
        sluice_status st = mask_value(w, plan, k, &row[plan->masked[k]], err);
        if (st != SLUICE_OK)
            return st;
    }
    return SLUICE_OK;
}

static sluice_status mask_map_batch(void *instance, sluice_batch *b, sluice_error *err)
{
    mask_state *s = instance;
    const sluice_host *h = s->host;
    batch_work w = {s, b, NULL, 0};
    sluice_status st = SLUICE_OK;
    for (uint32_t i = 0; i < b->nevents && st == SLUICE_OK; i++) {
        sluice_event *e = sluice_batch_event(b, i);
        if (!e->table || (e->op != SLUICE_OP_INSERT && e->op != SLUICE_OP_UPDATE &&
                          e->op != SLUICE_OP_DELETE))
            continue;
        const table_plan *plan = e->table->id < s->nplans ? &s->plans[e->table->id] : NULL;
        if (!plan || !plan->mapped) {
            h->error(err, SLUICE_FATAL, "table \"%.*s.%.*s\" reached map_batch before map_schema",
                     (int)e->table->schema.len, e->table->schema.ptr, (int)e->table->name.len,
                     e->table->name.ptr);
            h->error_detail(err, "The mask transform decides in map_schema which columns of a "
                                 "table it masks, so it cannot pass a row it has no plan for.");
            h->error_hint(err, "This is a bug in sluice; please report it.");
            return SLUICE_FATAL;
        }
        if (plan->nmasked == 0)
            continue;
        if (e->table->ncolumns != plan->ncolumns) {
            h->error(err, SLUICE_ERROR,
                     "table \"%s\" has %u columns in this batch, but %u when its columns to "
                     "mask were chosen",
                     plan->display, e->table->ncolumns, plan->ncolumns);
            h->error_detail(err, "A row of an older or newer shape of the table would be masked "
                                 "by the wrong column positions; it is not passed on.");
            h->error_hint(err, "This is a bug in sluice; please report it.");
            return SLUICE_ERROR;
        }
        st = mask_row(&w, plan, e->new_row, err);
        if (st == SLUICE_OK)
            st = mask_row(&w, plan, e->old_row, err);
    }
    if (st == SLUICE_OK && w.count > 0)
        h->count(s->ctx, "values_masked", w.count);
    return st;
}

/* ---- descriptor and entry points ---- */

static const sluice_transform_vtable vtable = {
    SLUICE_HEADER_INIT(sluice_transform_vtable), mask_open, mask_close, mask_map_schema,
    mask_map_batch};

static const sluice_plugin descriptor = {
    SLUICE_HEADER_INIT(sluice_plugin), SLUICE_KIND_TRANSFORM, PLUGIN_NAME, PLUGIN_VERSION,
    "masks or hashes (HMAC-SHA256) the values of chosen columns, deterministically", &options,
    &vtable};

SLUICE_PLUGIN_ABI_DEFINE()

SLUICE_EXPORT const sluice_plugin *sluice_plugin_init(const sluice_host *host)
{
    (void)host; /* each instance gets the host in open() */
    return &descriptor;
}
