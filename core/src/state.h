/*
 * The state directory (default ./.sluice/<pipeline>): files written atomically
 * (write to a temporary file, fsync, rename, fsync the directory), so a kill -9
 * at any moment leaves either the old or the new version.
 *
 *   <dir>/progress.json  per-table full-load progress and the snapshot position
 *   <dir>/status.json    the live status read by `sluice status`
 *   <dir>/lock           held (flock) while a run owns the directory
 */
#ifndef SLUICE_STATE_H
#define SLUICE_STATE_H

#include <sluice/sluice.h>

typedef struct state_paths {
    char *dir;
    char *progress; /* progress.json */
    char *status;   /* status.json */
    char *lock;     /* lock */
} state_paths;

int state_paths_init(state_paths *p, const char *dir, sluice_error *err);
void state_paths_free(state_paths *p);

/* Creates the directory (and parents); takes the run lock. Returns the lock fd or -1. */
int state_open(const state_paths *p, sluice_error *err);

int write_file_atomic(const char *path, const char *data, size_t len, sluice_error *err);
/* Reads a whole file; NULL with errno ENOENT when absent, or fills err. */
char *read_file(const char *path, size_t *len, sluice_error *err);

/* ---- full-load progress ---- */
typedef struct table_progress {
    char *name;    /* "schema.table" */
    int loaded;    /* finished and durable at the target */
    int started;   /* a load was begun (the target may hold part of it) */
    uint64_t rows;
} table_progress;

typedef struct progress {
    char *mode;
    sluice_position snapshot;  /* where the full load's snapshot stands in the log */
    int full_load_done;
    table_progress *tables;
    uint32_t ntables;
} progress;

/* Loads progress.json; an absent file gives an empty progress. */
int progress_load(const state_paths *p, progress *pr, sluice_error *err);
int progress_save(const state_paths *p, const progress *pr, sluice_error *err);
table_progress *progress_table(progress *pr, const char *name); /* finds or adds */
void progress_free(progress *pr);

void hex_encode(const uint8_t *bytes, size_t len, char *out); /* out: 2*len+1 */
int hex_decode(const char *hex, uint8_t *out, size_t max, size_t *len);

#endif
