/*
 * Object keys, as AWS DMS names them:
 *   <bucketFolder>/<schema>/<table>/LOAD00000001.csv   full load, hexadecimal counter
 *   <bucketFolder>/<schema>/<table>/[<date folders>/]<yyyyMMdd-HHmmssffff>-<from>-<to>.csv
 *                                                      change files
 * A change file is named by the commit time of its first transaction (so names
 * sort in commit order, as DMS's do) and by the source position range it holds:
 * <from> and <to> are 16 hex digits of SHA-256 of the checkpoint position before
 * it and of its last commit's position. The same range gives the same name.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sinks3.h"

static void put_path_part(sbuf *out, const char *p, size_t n)
{
    /* a '/' inside a schema or table name would make another folder level */
    for (size_t i = 0; i < n; i++)
        sb_putc(out, p[i] == '/' ? '_' : p[i]);
}

void s3_table_prefix(const sinks3 *s, const sluice_table *t, sbuf *out)
{
    if (*s->folder) {
        sb_puts(out, s->folder);
        sb_putc(out, '/');
    }
    put_path_part(out, t->schema.ptr, t->schema.len);
    sb_putc(out, '/');
    put_path_part(out, t->name.ptr, t->name.len);
    sb_putc(out, '/');
}

static void put_extension(const sinks3 *s, sbuf *out)
{
    sb_printf(out, ".%s%s", s->fmt->extension, s->gzip ? ".gz" : "");
}

void s3_load_key(const sinks3 *s, const sluice_table *t, uint32_t number, sbuf *out)
{
    s3_table_prefix(s, t, out);
    sb_printf(out, "LOAD%08X", number);
    put_extension(s, out);
}

static void position_hash(const sluice_position *p, char out[17])
{
    char hex[65];
    s3_sha256_hex(p->bytes, p->len, hex);
    memcpy(out, hex, 16);
    out[16] = 0;
}

/* datePartitionSequence and datePartitionDelimiter, as DMS spells them. */
static void put_date_folders(const sinks3 *s, const struct tm *tm, sbuf *out)
{
    const char *seq = s->cfg.date_partition_sequence ? s->cfg.date_partition_sequence
                                                     : "YYYYMMDD";
    const char *dl = s->cfg.date_partition_delimiter ? s->cfg.date_partition_delimiter : "SLASH";
    const char *sep = strcmp(dl, "UNDERSCORE") == 0 ? "_"
                      : strcmp(dl, "DASH") == 0     ? "-"
                      : strcmp(dl, "NONE") == 0     ? ""
                                                    : "/";
    char y[16], m[16], d[16], h[16];
    snprintf(y, sizeof y, "%04d", tm->tm_year + 1900);
    snprintf(m, sizeof m, "%02d", tm->tm_mon + 1);
    snprintf(d, sizeof d, "%02d", tm->tm_mday);
    snprintf(h, sizeof h, "%02d", tm->tm_hour);
    const char *parts[4] = {y, m, d, NULL};
    if (strcmp(seq, "YYYYMMDDHH") == 0)
        parts[3] = h;
    else if (strcmp(seq, "YYYYMM") == 0)
        parts[2] = NULL;
    else if (strcmp(seq, "MMYYYYDD") == 0)
        parts[0] = m, parts[1] = y;
    else if (strcmp(seq, "DDMMYYYY") == 0)
        parts[0] = d, parts[2] = y;
    for (int i = 0; i < 4 && parts[i]; i++) {
        if (i)
            sb_puts(out, sep);
        sb_puts(out, parts[i]);
    }
    sb_putc(out, '/');
}

void s3_cdc_key(const sinks3 *s, const cdc_table *ct, int64_t commit_us,
                const sluice_position *from, const sluice_position *to, uint32_t segment,
                sbuf *out)
{
    if (*s->folder) {
        sb_puts(out, s->folder);
        sb_putc(out, '/');
    }
    put_path_part(out, ct->schema, strlen(ct->schema));
    sb_putc(out, '/');
    put_path_part(out, ct->name, strlen(ct->name));
    sb_putc(out, '/');
    time_t secs = (time_t)(commit_us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    if (s->cfg.date_partition_enabled)
        put_date_folders(s, &tm, out);
    char stamp[32], f[17], t[17];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    position_hash(from, f);
    position_hash(to, t);
    sb_printf(out, "%s%04" PRId64 "-%s-%s", stamp, (commit_us % 1000000) / 100, f, t);
    if (segment) /* zero-padded: names sort in layout order */
        sb_printf(out, "-%03u", segment);
    put_extension(s, out);
}

/*
 * LOAD file numbers. The core loads the chunks of one table on several lane
 * instances at once and does not say which chunk a batch belongs to, so the
 * instances of this process draw a table's numbers from one counter. This is
 * the plugin's only shared state: a mutex-guarded list of (table folder, last
 * number), freed when the last instance closes.
 */
typedef struct load_counter {
    struct load_counter *next;
    uint32_t last;
    char prefix[];
} load_counter;

static pthread_mutex_t counters_lock = PTHREAD_MUTEX_INITIALIZER;
static load_counter *counters;
static int counters_refs;

static load_counter *counter_find(const char *prefix, int create)
{
    for (load_counter *c = counters; c; c = c->next)
        if (strcmp(c->prefix, prefix) == 0)
            return c;
    if (!create)
        return NULL;
    load_counter *c = calloc(1, sizeof *c + strlen(prefix) + 1);
    if (!c)
        return NULL;
    strcpy(c->prefix, prefix);
    c->next = counters;
    counters = c;
    return c;
}

void s3_load_numbers_reset(const char *table_prefix, uint32_t after)
{
    pthread_mutex_lock(&counters_lock);
    load_counter *c = counter_find(table_prefix, 1);
    if (c)
        c->last = after;
    pthread_mutex_unlock(&counters_lock);
}

uint32_t s3_load_number_next(const char *table_prefix)
{
    pthread_mutex_lock(&counters_lock);
    load_counter *c = counter_find(table_prefix, 1);
    uint32_t n = c ? ++c->last : 0;
    pthread_mutex_unlock(&counters_lock);
    return n;
}

void s3_load_numbers_ref(int delta)
{
    pthread_mutex_lock(&counters_lock);
    counters_refs += delta;
    if (counters_refs == 0) {
        while (counters) {
            load_counter *next = counters->next;
            free(counters);
            counters = next;
        }
    }
    pthread_mutex_unlock(&counters_lock);
}
