/*
 * mask.so driven through its vtable with the core's own host table: option
 * errors word for word, the output schema map_schema makes, and what map_batch
 * does to every kind of value in snapshot and change batches.
 * Usage: test_mask_plugin PATH/TO/mask.so
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "testhost.h"
#include "unit.h"

static const sluice_plugin *plugin;
static const sluice_transform_vtable *vt;
static const sluice_host *host;
static sluice_context *ctx;

/* HMAC-SHA256 under "k3y", from Python's hmac module. */
#define H_42 "ce2d7caed289663313ba19a67f407a6399386128229b71b5677998b370082fdb"
#define H_ABC "43a5f36326285bd6d00ccd617af1b215ec82e47364baa3c52f495872d17eaf0f"
#define H_MINUS7 "501d30148a0f3afc785b3d7c265222eb3f5aea57a3513eea5d0bb233fc9d7d33"
#define H_MIN64 "de67acfb0b4fb67014fb24865ccc6336fb619e6ad75371012896c3540a8c4c3e"
#define H_CODE "3a0f6a2ade79f2263ac9cfa8f58e69ef5ef6dcddd0117401788f083ba5fdc514"
#define H_ARRAY "9ce98ace774eaa7272ac49d95dc63bfbfac65487b783afe74bc6688ad25f813b"

/* ---- a config block filled the way the core fills it ---- */

static void *make_config(const char *const *kv)
{
    const sluice_options *o = plugin->options;
    void *block = calloc(1, o->config_size);
    for (uint32_t i = 0; i < o->count; i++) {
        const sluice_option *opt =
            (const sluice_option *)((const char *)o->options + (size_t)i * o->option_size);
        const char *value = opt->default_value;
        for (const char *const *p = kv; *p; p += 2)
            if (strcmp(p[0], opt->name) == 0)
                value = p[1];
        if (!value)
            continue;
        char *slot = (char *)block + opt->offset;
        if (opt->type == SLUICE_OPTION_STRING) {
            memcpy(slot, &value, sizeof value);
        } else if (opt->type == SLUICE_OPTION_INT) {
            int64_t x = strtoll(value, NULL, 10);
            memcpy(slot, &x, sizeof x);
        }
    }
    return block;
}

static sluice_status open_with(const char *const *kv, void **instance, sluice_error *err)
{
    void *cfg = make_config(kv);
    th_error_init(err);
    *instance = NULL;
    sluice_status st = vt->open(host, ctx, cfg, instance, err);
    free(cfg); /* the plugin copies what it keeps */
    return st;
}

static void expect_open_error(const char *const *kv, const char *message, const char *detail,
                              const char *hint_part)
{
    void *inst;
    sluice_error err;
    sluice_status st = open_with(kv, &inst, &err);
    CHECK(st == SLUICE_FATAL);
    if (st == SLUICE_OK) {
        vt->close(inst);
        return;
    }
    CHECK_STR(err.message, message);
    CHECK_STR(err.detail, detail);
    CHECK_CONTAINS(err.hint, hint_part);
}

static void option_errors(void)
{
    expect_open_error((const char *[]){"columns", "%.%.email", NULL},
                      "method \"hmac-sha256\" needs a key", "Option \"key\" is not set.",
                      "Add key = env \"NAME\" or key = file \"/path\"");
    expect_open_error((const char *[]){"columns", "%.%.email", "key", "", NULL},
                      "method \"hmac-sha256\" needs a key", "Option \"key\" is empty.",
                      "Add key = env \"NAME\"");
    expect_open_error((const char *[]){"columns", "%.%.email", "key", "k", "length", "65", NULL},
                      "option \"length\" must be between 1 and 64, not 65",
                      "A SHA-256 hash has 64 hex digits; length keeps the first ones.",
                      "Leave length out to keep all 64.");
    expect_open_error((const char *[]){"columns", "%.%.email", "key", "k", "length", "-3", NULL},
                      "option \"length\" must be between 1 and 64, not -3",
                      "A SHA-256 hash has 64 hex digits; length keeps the first ones.",
                      "Leave length out");
    expect_open_error((const char *[]){"columns", "%.%.email", "method", "redact", "key", "k",
                                       NULL},
                      "option \"key\" is not used by method \"redact\"",
                      "Only method \"hmac-sha256\" uses options \"key\" and \"length\".",
                      "Remove \"key\", or set method = \"hmac-sha256\".");
    expect_open_error((const char *[]){"columns", "%.%.email", "method", "null", "length", "8",
                                       NULL},
                      "option \"length\" is not used by method \"null\"",
                      "Only method \"hmac-sha256\" uses options \"key\" and \"length\".",
                      "Remove \"length\"");
    expect_open_error((const char *[]){"columns", "%.%.email", "key", "k", "replacement", "x",
                                       NULL},
                      "option \"replacement\" is not used by method \"hmac-sha256\"",
                      "Only method \"redact\" uses option \"replacement\".",
                      "Remove \"replacement\", or set method = \"redact\".");
    expect_open_error((const char *[]){"columns", "public.users.email, users.email", "key", "k",
                                       NULL},
                      "invalid columns pattern \"users.email\": too few names",
                      "A pattern names a column as schema.table.column (three names); this one "
                      "has 2.",
                      "Write each pattern as schema.table.column");
    expect_open_error((const char *[]){"columns", "%.%.x", "method", "scramble", NULL},
                      "unknown mask method \"scramble\"",
                      "The mask transform knows the methods \"hmac-sha256\", \"redact\" and "
                      "\"null\".",
                      "Set method to one of them.");
}

/* ---- tables ---- */

enum { C_ID, C_EMAIL, C_CODE, C_N, C_NOTE, C_TAGS, C_GONE, NCOLS };

static sluice_table *users_table(sluice_catalog *cat)
{
    static const struct {
        const char *name, *type;
        sluice_type t;
        uint32_t flags;
        int32_t precision;
    } cols[NCOLS] = {
        {"id", "bigint", SLUICE_TYPE_INT64, SLUICE_COLUMN_KEY | SLUICE_COLUMN_REPLICA_IDENTITY, -1},
        {"email", "text", SLUICE_TYPE_TEXT, 0, -1},
        {"code", "character varying(8)", SLUICE_TYPE_TEXT, 0, 8},
        {"n", "integer", SLUICE_TYPE_INT32, 0, -1},
        {"note", "text", SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE, -1},
        {"tags", "text[]", SLUICE_TYPE_ARRAY, SLUICE_COLUMN_NULLABLE, -1},
        {"gone", "text", SLUICE_TYPE_TEXT, SLUICE_COLUMN_NULLABLE, -1},
    };
    sluice_table *t = host->table_add(cat, (sluice_str){"public", 6}, (sluice_str){"users", 5},
                                      NCOLS);
    for (uint32_t i = 0; i < NCOLS; i++) {
        host->column_set(t, i, (sluice_str){cols[i].name, strlen(cols[i].name)},
                         (sluice_str){cols[i].type, strlen(cols[i].type)}, cols[i].t,
                         cols[i].flags);
        sluice_table_column(t, i)->precision = cols[i].precision;
        if (cols[i].t == SLUICE_TYPE_ARRAY)
            sluice_table_column(t, i)->element_type = SLUICE_TYPE_TEXT;
    }
    return t;
}

static sluice_table *orders_table(sluice_catalog *cat)
{
    sluice_table *t = host->table_add(cat, (sluice_str){"sales", 5}, (sluice_str){"orders", 6}, 2);
    host->column_set(t, 0, (sluice_str){"user_id", 7}, (sluice_str){"text", 4}, SLUICE_TYPE_TEXT,
                     SLUICE_COLUMN_KEY);
    host->column_set(t, 1, (sluice_str){"email", 5}, (sluice_str){"text", 4}, SLUICE_TYPE_TEXT,
                     0);
    return t;
}

static int col_is(const sluice_table *t, uint32_t i, const char *source_type, sluice_type type)
{
    const sluice_column *c = sluice_table_column(t, i);
    return c->type == (uint32_t)type && c->source_type.len == strlen(source_type) &&
           memcmp(c->source_type.ptr, source_type, c->source_type.len) == 0;
}

/* ---- values ---- */

static void set_int(sluice_value *v, int64_t i)
{
    v->kind = SLUICE_VALUE_INT;
    v->u.i = i;
}

static void set_text(sluice_batch *b, sluice_value *v, const char *s)
{
    host->set_text(b, v, s, strlen(s));
}

static int text_is(const sluice_value *v, const char *s)
{
    return v->kind == SLUICE_VALUE_TEXT && v->len == strlen(s) &&
           memcmp(v->u.bytes, s, v->len) == 0;
}

#define CHECK_TEXT(v, s)                                                                    \
    do {                                                                                    \
        const sluice_value *v_ = (v);                                                       \
        if (text_is(v_, s)) {                                                               \
            unit_passed++;                                                                  \
        } else {                                                                            \
            unit_failed++;                                                                  \
            fprintf(stderr, "%s:%d: %s: got kind %u \"%.*s\", expected \"%s\"\n", __FILE__, \
                    __LINE__, #v, v_->kind, v_->kind == SLUICE_VALUE_TEXT ? (int)v_->len : 0, \
                    v_->kind == SLUICE_VALUE_TEXT ? v_->u.bytes : "", s);                   \
        }                                                                                   \
    } while (0)

/* A users row: id, email, code, n, note, tags, gone (NULL). */
static void users_row(sluice_batch *b, sluice_value *row, int64_t id, const char *email)
{
    set_int(&row[C_ID], id);
    set_text(b, &row[C_EMAIL], email);
    set_text(b, &row[C_CODE], "ABC");
    set_int(&row[C_N], -7);
    set_text(b, &row[C_NOTE], "keep");
    set_text(b, &row[C_TAGS], "{x,y}");
}

/* ---- hmac-sha256 ---- */

static void hmac_method(void)
{
    void *m;
    sluice_error err;
    CHECK(open_with((const char *[]){"columns", "public.users.%, !public.users.note, sales.%.%",
                                     "key", "k3y", NULL},
                    &m, &err) == SLUICE_OK);
    sluice_catalog *src = th_catalog_new(), *out = th_catalog_new();
    sluice_table *users = users_table(src), *orders = orders_table(src);
    /* map_schema works on the core's copy, as chain.c does */
    sluice_table *u = catalog_copy_table(out, users), *o = catalog_copy_table(out, orders);
    CHECK(vt->map_schema(m, u, &err) == SLUICE_OK);
    CHECK(vt->map_schema(m, o, &err) == SLUICE_OK);
    CHECK(col_is(u, C_ID, "text", SLUICE_TYPE_TEXT));
    CHECK(sluice_table_column(u, C_ID)->flags ==
          (SLUICE_COLUMN_KEY | SLUICE_COLUMN_REPLICA_IDENTITY));
    CHECK(col_is(u, C_EMAIL, "text", SLUICE_TYPE_TEXT));
    CHECK(col_is(u, C_CODE, "text", SLUICE_TYPE_TEXT)); /* varchar(8) cannot hold 64 digits */
    CHECK(sluice_table_column(u, C_CODE)->precision == -1);
    CHECK(col_is(u, C_N, "text", SLUICE_TYPE_TEXT));
    CHECK(col_is(u, C_NOTE, "text", SLUICE_TYPE_TEXT)); /* excluded: as it was */
    CHECK(col_is(u, C_TAGS, "text", SLUICE_TYPE_TEXT));
    CHECK(sluice_table_column(u, C_TAGS)->element_type == 0);
    CHECK(col_is(users, C_N, "integer", SLUICE_TYPE_INT32)); /* the source table is untouched */

    /* a change batch between BEGIN and COMMIT: insert, update (old key as text), delete,
       an insert into another table, truncate */
    sluice_batch *b = th_batch_new(SLUICE_BATCH_CHANGES, 16, 1 << 16);
    host->emit(b, SLUICE_OP_BEGIN, NULL, 0);
    sluice_event *ins = host->emit(b, SLUICE_OP_INSERT, users, 0);
    users_row(b, ins->new_row, 42, "a@b.c");
    sluice_event *upd = host->emit(b, SLUICE_OP_UPDATE, users, 1);
    users_row(b, upd->new_row, INT64_MIN, "x");
    upd->new_row[C_EMAIL].kind = SLUICE_VALUE_UNCHANGED;
    set_text(b, &upd->old_row[C_ID], "42");
    sluice_event *del = host->emit(b, SLUICE_OP_DELETE, users, 0);
    set_int(&del->old_row[C_ID], 42);
    sluice_event *ord = host->emit(b, SLUICE_OP_INSERT, orders, 0);
    set_text(b, &ord->new_row[0], "42");
    set_text(b, &ord->new_row[1], "a@b.c");
    host->emit(b, SLUICE_OP_TRUNCATE, users, 0);
    host->emit(b, SLUICE_OP_COMMIT, NULL, 0);
    CHECK(vt->map_batch(m, b, &err) == SLUICE_OK);

    CHECK_TEXT(&ins->new_row[C_ID], H_42);       /* INT fast path: hashed over "42" */
    CHECK_TEXT(&ins->new_row[C_EMAIL], H_ABC);
    CHECK_TEXT(&ins->new_row[C_CODE], H_CODE);
    CHECK_TEXT(&ins->new_row[C_N], H_MINUS7);
    CHECK_TEXT(&ins->new_row[C_NOTE], "keep");
    CHECK_TEXT(&ins->new_row[C_TAGS], H_ARRAY);
    CHECK(ins->new_row[C_GONE].kind == SLUICE_VALUE_NULL);
    CHECK_TEXT(&upd->new_row[C_ID], H_MIN64);
    CHECK(upd->new_row[C_EMAIL].kind == SLUICE_VALUE_UNCHANGED);
    CHECK_TEXT(&upd->old_row[C_ID], H_42); /* TEXT "42" hashes like INT 42 */
    CHECK(upd->old_row[C_EMAIL].kind == SLUICE_VALUE_NULL);
    CHECK(upd->old_row[C_NOTE].kind == SLUICE_VALUE_NULL);
    CHECK_TEXT(&del->old_row[C_ID], H_42);
    CHECK(del->new_row == NULL);
    CHECK_TEXT(&ord->new_row[0], H_42);  /* the same value hashes the same in another table */
    CHECK_TEXT(&ord->new_row[1], H_ABC);

    /* a snapshot batch, and a value in native form: an ERROR, never passed on as it is */
    sluice_batch *s = th_batch_new(SLUICE_BATCH_SNAPSHOT, 4, 1 << 12);
    s->table = users;
    sluice_event *row = host->emit(s, SLUICE_OP_INSERT, users, 0);
    users_row(s, row->new_row, 7, "a@b.c");
    CHECK(vt->map_batch(m, s, &err) == SLUICE_OK);
    CHECK_TEXT(&row->new_row[C_EMAIL], H_ABC);
    th_batch_reset(s);
    s->table = users;
    s->native_format = SLUICE_NATIVE_PG_BINARY;
    row = host->emit(s, SLUICE_OP_INSERT, users, 0);
    users_row(s, row->new_row, 7, "a@b.c");
    row->new_row[C_EMAIL].kind = SLUICE_VALUE_NATIVE;
    th_error_init(&err);
    CHECK(vt->map_batch(m, s, &err) == SLUICE_ERROR);
    CHECK_STR(err.message, "cannot mask column \"email\" of table \"public.users\": the value is "
                           "in a native binary form");
    CHECK_CONTAINS(err.detail, "values in native format 1");
    CHECK_CONTAINS(err.hint, "This is a bug in sluice or in the source plugin");

    th_batch_free(s);
    th_batch_free(b);
    vt->close(m);
    th_catalog_free(out);
    th_catalog_free(src);
}

/* Another key gives other hashes; length keeps the first digits. */
static void key_and_length(void)
{
    void *m;
    sluice_error err;
    CHECK(open_with((const char *[]){"columns", "%.%.email, %.%.id", "key", "other", "length",
                                     "12", NULL},
                    &m, &err) == SLUICE_OK);
    sluice_catalog *src = th_catalog_new(), *out = th_catalog_new();
    sluice_table *users = users_table(src);
    sluice_table *u = catalog_copy_table(out, users);
    CHECK(vt->map_schema(m, u, &err) == SLUICE_OK);
    CHECK(col_is(u, C_CODE, "character varying(8)", SLUICE_TYPE_TEXT)); /* not selected */
    sluice_batch *b = th_batch_new(SLUICE_BATCH_SNAPSHOT, 4, 1 << 12);
    b->table = users;
    sluice_event *row = host->emit(b, SLUICE_OP_INSERT, users, 0);
    users_row(b, row->new_row, 42, "a@b.c");
    CHECK(vt->map_batch(m, b, &err) == SLUICE_OK);
    CHECK_TEXT(&row->new_row[C_ID], "bbc9a7ab0cc3");
    CHECK_TEXT(&row->new_row[C_EMAIL], "1a66d141a42d");
    CHECK_TEXT(&row->new_row[C_CODE], "ABC");
    CHECK(row->new_row[C_N].kind == SLUICE_VALUE_INT && row->new_row[C_N].u.i == -7);
    th_batch_free(b);
    vt->close(m);
    th_catalog_free(out);
    th_catalog_free(src);
}

static void redact_method(void)
{
    void *m;
    sluice_error err;
    CHECK(open_with((const char *[]){"columns", "public.users.%", "method", "redact", NULL}, &m,
                    &err) == SLUICE_OK);
    sluice_catalog *src = th_catalog_new(), *out = th_catalog_new();
    sluice_table *users = users_table(src);
    sluice_table *u = catalog_copy_table(out, users);
    th_error_init(&err);
    CHECK(vt->map_schema(m, u, &err) == SLUICE_ERROR);
    CHECK_STR(err.message,
              "cannot mask key column \"id\" of table \"public.users\" with method \"redact\"");
    CHECK_STR(err.detail, "Every row would get the same key, so updates and deletes could not "
                          "find their rows at the target.");
    CHECK_CONTAINS(err.hint, "(\"!public.users.id\")");
    vt->close(m);

    CHECK(open_with((const char *[]){"columns", "public.users.%, !%.%.id", "method", "redact",
                                     NULL},
                    &m, &err) == SLUICE_OK);
    u = catalog_copy_table(out, users);
    CHECK(vt->map_schema(m, u, &err) == SLUICE_OK);
    CHECK(col_is(u, C_ID, "bigint", SLUICE_TYPE_INT64));
    CHECK(col_is(u, C_CODE, "character varying(8)", SLUICE_TYPE_TEXT)); /* "****" fits */
    CHECK(col_is(u, C_N, "text", SLUICE_TYPE_TEXT));
    sluice_batch *b = th_batch_new(SLUICE_BATCH_CHANGES, 4, 1 << 12);
    sluice_event *ins = host->emit(b, SLUICE_OP_INSERT, users, 0);
    users_row(b, ins->new_row, 42, "a@b.c");
    sluice_event *ins2 = host->emit(b, SLUICE_OP_INSERT, users, 0);
    users_row(b, ins2->new_row, 43, "b@b.c");
    ins2->new_row[C_EMAIL].kind = SLUICE_VALUE_UNCHANGED;
    CHECK(vt->map_batch(m, b, &err) == SLUICE_OK);
    CHECK(ins->new_row[C_ID].kind == SLUICE_VALUE_INT && ins->new_row[C_ID].u.i == 42);
    CHECK_TEXT(&ins->new_row[C_EMAIL], "****");
    CHECK_TEXT(&ins->new_row[C_N], "****");
    CHECK(ins->new_row[C_GONE].kind == SLUICE_VALUE_NULL);
    CHECK(ins2->new_row[C_EMAIL].kind == SLUICE_VALUE_UNCHANGED);
    CHECK_TEXT(&ins2->new_row[C_CODE], "****");
    th_batch_free(b);
    vt->close(m);

    /* a replacement longer than varchar(8): the column becomes text */
    CHECK(open_with((const char *[]){"columns", "%.%.code", "method", "redact", "replacement",
                                     "<redacted>", NULL},
                    &m, &err) == SLUICE_OK);
    u = catalog_copy_table(out, users);
    CHECK(vt->map_schema(m, u, &err) == SLUICE_OK);
    CHECK(col_is(u, C_CODE, "text", SLUICE_TYPE_TEXT));
    vt->close(m);
    th_catalog_free(out);
    th_catalog_free(src);
}

static void null_method(void)
{
    void *m;
    sluice_error err;
    CHECK(open_with((const char *[]){"columns", "%.%.%", "method", "null", NULL}, &m, &err) ==
          SLUICE_OK);
    sluice_catalog *src = th_catalog_new(), *out = th_catalog_new();
    sluice_table *users = users_table(src);
    th_error_init(&err);
    CHECK(vt->map_schema(m, catalog_copy_table(out, users), &err) == SLUICE_ERROR);
    CHECK_STR(err.message,
              "cannot mask key column \"id\" of table \"public.users\" with method \"null\"");
    vt->close(m);

    CHECK(open_with((const char *[]){"columns", "%.%.email, %.%.n", "method", "null", NULL}, &m,
                    &err) == SLUICE_OK);
    sluice_table *u = catalog_copy_table(out, users);
    CHECK(vt->map_schema(m, u, &err) == SLUICE_OK);
    CHECK(col_is(u, C_EMAIL, "text", SLUICE_TYPE_TEXT));
    CHECK(sluice_table_column(u, C_EMAIL)->flags & SLUICE_COLUMN_NULLABLE);
    CHECK(col_is(u, C_N, "integer", SLUICE_TYPE_INT32)); /* NULL fits any type */
    CHECK(sluice_table_column(u, C_N)->flags & SLUICE_COLUMN_NULLABLE);
    CHECK(!(sluice_table_column(u, C_CODE)->flags & SLUICE_COLUMN_NULLABLE));
    sluice_batch *b = th_batch_new(SLUICE_BATCH_CHANGES, 4, 1 << 12);
    sluice_event *ins = host->emit(b, SLUICE_OP_INSERT, users, 0);
    users_row(b, ins->new_row, 42, "a@b.c");
    CHECK(vt->map_batch(m, b, &err) == SLUICE_OK);
    CHECK(ins->new_row[C_EMAIL].kind == SLUICE_VALUE_NULL);
    CHECK(ins->new_row[C_N].kind == SLUICE_VALUE_NULL);
    CHECK_TEXT(&ins->new_row[C_CODE], "ABC");
    CHECK(ins->new_row[C_ID].kind == SLUICE_VALUE_INT);
    th_batch_free(b);
    vt->close(m);
    th_catalog_free(out);
    th_catalog_free(src);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_mask_plugin PATH/TO/mask.so\n");
        return 2;
    }
    void *dl = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    host = th_host();
    sluice_plugin_init_fn init = (sluice_plugin_init_fn)dlsym(dl, SLUICE_PLUGIN_INIT_SYMBOL);
    plugin = init ? init(host) : NULL;
    if (!plugin || plugin->kind != SLUICE_KIND_TRANSFORM || strcmp(plugin->name, "mask") != 0) {
        fprintf(stderr, "%s is not the mask transform\n", argv[1]);
        return 1;
    }
    vt = plugin->vtable;
    ctx = th_context_new("mask");
    option_errors();
    hmac_method();
    key_and_length();
    redact_method();
    null_method();
    th_context_free(ctx);
    dlclose(dl);
    return unit_done();
}
