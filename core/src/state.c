#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

static char *join(const char *dir, const char *file)
{
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, file);
    return p;
}

int state_paths_init(state_paths *p, const char *dir, sluice_error *err)
{
    p->dir = strdup(dir);
    p->progress = join(dir, "progress.json");
    p->status = join(dir, "status.json");
    p->lock = join(dir, "lock");
    if (!p->dir || !p->progress || !p->status || !p->lock) {
        state_paths_free(p);
        return error_set(err, SLUICE_FATAL, "out of memory"), -1;
    }
    return 0;
}

void state_paths_free(state_paths *p)
{
    free(p->dir);
    free(p->progress);
    free(p->status);
    free(p->lock);
    memset(p, 0, sizeof *p);
}

static int make_dirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *s = buf + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    return mkdir(buf, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

int state_open(const state_paths *p, sluice_error *err)
{
    if (make_dirs(p->dir) != 0) {
        error_set(err, SLUICE_FATAL, "could not create state directory \"%s\": %s", p->dir,
                  strerror(errno));
        error_hint(err, "Set StateDir in the pipeline's settings to a writable folder.");
        return -1;
    }
    int fd = open(p->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        error_set(err, SLUICE_FATAL, "could not open file \"%s\": %s", p->lock, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        error_set(err, SLUICE_FATAL, "state directory \"%s\" is in use", p->dir);
        error_detail(err, "Another sluice process holds the lock on \"%s\".", p->lock);
        error_hint(err, "Stop the other run of this pipeline, or give this one its own "
                        "StateDir.");
        return -1;
    }
    return fd;
}

static int fsync_dir_of(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int write_file_atomic(const char *path, const char *data, size_t len, sluice_error *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        goto fail;
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            goto fail;
        }
        done += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0 || fsync_dir_of(path) != 0)
        goto fail;
    return 0;
fail:
    error_set(err, SLUICE_FATAL, "could not write file \"%s\": %s", path, strerror(errno));
    unlink(tmp);
    return -1;
}

char *read_file(const char *path, size_t *len, sluice_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int saved = errno;
        if (saved != ENOENT)
            error_set(err, SLUICE_FATAL, "could not open file \"%s\": %s", path, strerror(saved));
        errno = saved;
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *grown = realloc(buf, cap * 2 + 1);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        error_set(err, SLUICE_FATAL, "out of memory reading \"%s\"", path);
        errno = ENOMEM;
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

void hex_encode(const uint8_t *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hex_decode(const char *hex, uint8_t *out, size_t max, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > max)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return 0;
}

/* ---- progress ---- */

table_progress *progress_table(progress *pr, const char *name)
{
    for (uint32_t i = 0; i < pr->ntables; i++)
        if (strcmp(pr->tables[i].name, name) == 0)
            return &pr->tables[i];
    table_progress *grown = realloc(pr->tables, (pr->ntables + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    pr->tables = grown;
    table_progress *t = &pr->tables[pr->ntables];
    memset(t, 0, sizeof *t);
    if (!(t->name = strdup(name)))
        return NULL;
    pr->ntables++;
    return t;
}

void progress_free(progress *pr)
{
    for (uint32_t i = 0; i < pr->ntables; i++)
        free(pr->tables[i].name);
    free(pr->tables);
    free(pr->mode);
    memset(pr, 0, sizeof *pr);
}

static int progress_bad(const state_paths *p, sluice_error *err, const char *what)
{
    error_set(err, SLUICE_FATAL, "invalid state file \"%s\"", p->progress);
    error_detail(err, "%s", what);
    error_hint(err, "The file is written by sluice only. If it was edited or damaged, restore "
                    "it, or remove the state directory to start the pipeline over.");
    return -1;
}

int progress_load(const state_paths *p, progress *pr, sluice_error *err)
{
    memset(pr, 0, sizeof *pr);
    size_t len;
    char *text = read_file(p->progress, &len, err);
    if (!text)
        return errno == ENOENT ? 0 : -1;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    free(text);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return progress_bad(p, err, root ? "The top level is not an object." : jerr.text);
    }
    const char *mode = json_string_value(json_object_get(root, "mode"));
    pr->mode = mode ? strdup(mode) : NULL;
    pr->full_load_done = json_is_true(json_object_get(root, "full_load_done"));
    const char *snap = json_string_value(json_object_get(root, "snapshot_position"));
    size_t snap_len = 0;
    if (snap && hex_decode(snap, pr->snapshot.bytes, sizeof pr->snapshot.bytes, &snap_len) != 0) {
        json_decref(root);
        return progress_bad(p, err, "snapshot_position is not hexadecimal.");
    }
    pr->snapshot.len = (uint32_t)snap_len;
    const char *name;
    json_t *t;
    json_object_foreach(json_object_get(root, "tables"), name, t)
    {
        table_progress *tp = progress_table(pr, name);
        if (!tp)
            break;
        const char *state = json_string_value(json_object_get(t, "state"));
        tp->loaded = state && strcmp(state, "loaded") == 0;
        tp->started = tp->loaded || (state && strcmp(state, "loading") == 0);
        tp->rows = (uint64_t)json_integer_value(json_object_get(t, "rows"));
    }
    json_decref(root);
    return 0;
}

int progress_save(const state_paths *p, const progress *pr, sluice_error *err)
{
    json_t *root = json_object(), *tables = json_object();
    char hex[2 * SLUICE_POSITION_MAX + 1];
    hex_encode(pr->snapshot.bytes, pr->snapshot.len, hex);
    json_object_set_new(root, "mode", json_string(pr->mode ? pr->mode : ""));
    json_object_set_new(root, "snapshot_position", json_string(hex));
    json_object_set_new(root, "full_load_done", json_boolean(pr->full_load_done));
    for (uint32_t i = 0; i < pr->ntables; i++) {
        const table_progress *tp = &pr->tables[i];
        const char *state = tp->loaded ? "loaded" : tp->started ? "loading" : "queued";
        json_object_set_new(tables, tp->name,
                            json_pack("{s:s, s:I}", "state", state, "rows", (json_int_t)tp->rows));
    }
    json_object_set_new(root, "tables", tables);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text)
        return error_set(err, SLUICE_FATAL, "out of memory"), -1;
    int rc = write_file_atomic(p->progress, text, strlen(text), err);
    free(text);
    return rc;
}
