/*
 * source-pg driven directly through its vtable with the core's own host table
 * (the `sluice cleanup` command does not exist yet, and the core does not tell
 * plugins the mode yet, so these paths are tested here):
 *   1. mode "full-load": an exported snapshot without slot or publication; a
 *      worker attached to it reads the table as of the snapshot.
 *   2. change capture: snapshot_begin creates the slot and a publication marked
 *      as sluice's; cleanup drops both.
 *   3. a publication sluice did not create: cleanup drops the slot, keeps it.
 *   4. positions: format, parse, compare.
 * Usage: test_vtable PLUGIN.so CONNINFO SLOT PUBLICATION
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "host.h"
#include "report.h"
#include "source_pg.h"
#include "unit.h"

static const sluice_source_vtable *vt;
static const sluice_host *host;
static const char *conninfo, *slot_name, *pub_name;
static PGconn *check;

static const char *mode_setting;
static const char *setting(void *owner, const char *name)
{
    (void)owner;
    return strcmp(name, "mode") == 0 ? mode_setting : NULL;
}

static sluice_context ctx = {.plugin_name = "source-pg", .kind_name = "source", .setting = setting};

static void *open_source(const char *publication)
{
    pg_config cfg = {conninfo, slot_name, publication, "public", 0, 10000, "text"};
    sluice_error err;
    error_init(&err);
    void *inst = NULL;
    if (vt->open(host, &ctx, &cfg, &inst, &err) != SLUICE_OK) {
        fprintf(stderr, "open: %s (%s)\n", err.message, err.detail);
        return NULL;
    }
    return inst;
}

static long count(const char *sql)
{
    PGresult *res = PQexec(check, sql);
    long n = PQresultStatus(res) == PGRES_TUPLES_OK ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : -1;
    PQclear(res);
    return n;
}

static long slots(void)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '%s'",
             slot_name);
    return count(sql);
}

static long publications(const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_publication WHERE pubname = '%s'", name);
    return count(sql);
}

static sluice_status begin(void *inst, sluice_position *at, sluice_snapshot *snap)
{
    sluice_error err;
    error_init(&err);
    sluice_status st = vt->snapshot_begin(inst, at, snap, &err);
    if (st != SLUICE_OK)
        fprintf(stderr, "snapshot_begin: %s (%s)\n", err.message, err.detail);
    return st;
}

/* Reads table t whole through a worker attached to snap; returns the rows read. */
static long read_all(const sluice_snapshot *snap, const sluice_table *t)
{
    void *w = open_source(pub_name);
    sluice_error err;
    error_init(&err);
    if (!w || vt->snapshot_attach(w, snap, &err) != SLUICE_OK) {
        fprintf(stderr, "attach: %s\n", err.message);
        vt->close(w);
        return -1;
    }
    sluice_batch *b = batch_new(SLUICE_BATCH_SNAPSHOT, 64, 1 << 16);
    sluice_chunk chunk = {.header = SLUICE_HEADER_INIT(sluice_chunk), .table = t, .index = 0, .count = 1, .bounds = {"", 0}};
    long rows = 0;
    for (;;) {
        batch_reset(b);
        if (vt->read_chunk(w, &chunk, b, &err) != SLUICE_OK) {
            fprintf(stderr, "read_chunk: %s\n", err.message);
            rows = -1;
            break;
        }
        rows += b->nevents;
        if (b->flags & SLUICE_BATCH_LAST)
            break;
    }
    batch_free(b);
    vt->close(w);
    return rows;
}

static void test_full_load_mode(void)
{
    mode_setting = "full-load";
    void *inst = open_source(pub_name);
    CHECK(inst != NULL);
    if (!inst)
        return;
    sluice_catalog *cat = catalog_new();
    sluice_error err;
    error_init(&err);
    CHECK(vt->discover(inst, cat, &err) == SLUICE_OK && cat->ntables == 1);
    sluice_position at = {0};
    sluice_snapshot snap = {{0}};
    CHECK(begin(inst, &at, &snap) == SLUICE_OK && at.len == 8 && snap.token[0]);
    CHECK(slots() == 0);
    CHECK(publications(pub_name) == 0);
    PQclear(PQexec(check, "INSERT INTO t VALUES (1000, 'after the snapshot')"));
    CHECK(cat->ntables == 1 && read_all(&snap, cat->tables[0]) == 100);
    vt->close(inst);
    catalog_free(cat);
    PQclear(PQexec(check, "DELETE FROM t WHERE id = 1000"));
    mode_setting = NULL;
}

static void test_cleanup(const char *publication, int ours)
{
    void *inst = open_source(publication);
    CHECK(inst != NULL);
    if (!inst)
        return;
    sluice_catalog *cat = catalog_new();
    sluice_error err;
    error_init(&err);
    CHECK(vt->discover(inst, cat, &err) == SLUICE_OK);
    sluice_position at = {0};
    sluice_snapshot snap = {{0}};
    CHECK(begin(inst, &at, &snap) == SLUICE_OK);
    CHECK(slots() == 1);
    CHECK(publications(publication) == 1);
    CHECK(cat->ntables == 1 && read_all(&snap, cat->tables[0]) == 100);
    vt->close(inst);
    catalog_free(cat);
    CHECK(slots() == 1); /* the slot outlives the run */

    inst = open_source(publication);
    CHECK(inst && vt->cleanup(inst, &err) == SLUICE_OK);
    vt->close(inst);
    CHECK(slots() == 0);
    CHECK(publications(publication) == (ours ? 0 : 1));
}

static void test_positions(void)
{
    sluice_position a, b;
    sluice_error err;
    char buf[64];
    CHECK(vt->position_parse("16/B374D848", &a, &err) == SLUICE_OK && a.len == 8);
    CHECK(vt->position_format(&a, buf, sizeof buf) == 11 && strcmp(buf, "16/B374D848") == 0);
    CHECK(vt->position_parse("0/0", &b, &err) == SLUICE_OK);
    CHECK(vt->position_compare(&a, &b) > 0 && vt->position_compare(&b, &a) < 0);
    CHECK(vt->position_parse("1/0", &b, &err) == SLUICE_OK && vt->position_compare(&a, &b) > 0);
    CHECK(vt->position_parse("FFFFFFFF/FFFFFFFF", &b, &err) == SLUICE_OK &&
          vt->position_compare(&a, &b) < 0);
    CHECK(vt->position_parse("12", &b, &err) == SLUICE_ERROR &&
          strstr(err.message, "invalid PostgreSQL LSN: \"12\""));
    CHECK(vt->position_format(&a, buf, 5) == 4 && strcmp(buf, "16/B") == 0);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: test_vtable PLUGIN.so CONNINFO SLOT PUBLICATION\n");
        return 2;
    }
    conninfo = argv[2];
    slot_name = argv[3];
    pub_name = argv[4];
    void *dl = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    sluice_plugin_init_fn init = dl ? (sluice_plugin_init_fn)dlsym(dl, SLUICE_PLUGIN_INIT_SYMBOL)
                                    : NULL;
    if (!init) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], dlerror());
        return 2;
    }
    host = host_api();
    const sluice_plugin *p = init(host);
    vt = p->vtable;
    check = PQconnectdb(conninfo);
    if (PQstatus(check) != CONNECTION_OK) {
        fprintf(stderr, "cannot connect: %s", PQerrorMessage(check));
        return 2;
    }
    test_positions();
    test_full_load_mode();
    test_cleanup(pub_name, 1);
    char user_pub[128];
    snprintf(user_pub, sizeof user_pub, "%s_user", pub_name);
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE PUBLICATION %s FOR TABLE t", user_pub);
    PQclear(PQexec(check, sql));
    test_cleanup(user_pub, 0);
    PQfinish(check);
    dlclose(dl);
    return unit_done();
}
