/*
 * sink-s3: writes to an S3-compatible object store in AWS DMS's S3 layout.
 *   plugin.c     options, open/close, the vtable
 *   s3http.c     one signed request with retries (s3http.h)
 *   s3ops.c      S3 operations: put, get, delete, list, multipart, bucket check
 *   upload.c     an object being written: gzip, parts, multipart upload
 *   format.c     the format layer; csv.c and jsonl.c fill it
 *   naming.c     object keys; LOAD file numbers shared by a table's lanes
 *   checkpoint.c the checkpoint object and start-of-run cleanup
 *   load.c       full load: prepare_table, write_rows, finish_table
 *   cdc.c        change files: apply, flush
 */
#ifndef SINK_S3_H
#define SINK_S3_H

#include <pthread.h>
#include <stdint.h>
#include <zlib.h>

#include "s3http.h"

/* The options, filled by the core (names follow AWS DMS's S3 endpoint settings). */
typedef struct sinks3_config {
    const char *endpoint;
    const char *region;
    const char *bucket_name;
    const char *bucket_folder;
    const char *addressing;
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;
    const char *data_format;
    const char *compression_type;
    const char *csv_delimiter;
    const char *csv_row_delimiter;
    const char *csv_null_value;
    const char *csv_no_sup_value;
    int use_csv_no_sup_value;
    int include_op_for_full_load;
    int add_column_name;
    const char *timestamp_column_name;
    int cdc_inserts_only;
    int cdc_inserts_and_updates;
    int64_t cdc_max_batch_interval; /* seconds */
    int64_t cdc_min_file_size;      /* KB */
    int64_t max_file_size;          /* KB, full load */
    int date_partition_enabled;
    const char *date_partition_sequence;
    const char *date_partition_delimiter;
    const char *checkpoint_key;
    int64_t part_size;              /* bytes per multipart part */
    int64_t max_retries;
    int64_t request_timeout;        /* seconds */
    int64_t connect_timeout;        /* seconds */
} sinks3_config;

/* ---- formats ---- */

struct sinks3;
typedef struct s3_format {
    const char *extension;    /* "csv", "json" */
    const char *content_type;
    /* Appends a header line (CSV addColumnName) for the table, or nothing. */
    void (*header)(const struct sinks3 *s, const sluice_table *t, int with_op, sbuf *out);
    /* Appends one row. op: 'I', 'U', 'D', or 0 for no Op column. ts: the timestamp
       column's text or NULL. */
    void (*row)(struct sinks3 *s, const sluice_table *t, char op, const char *ts,
                const sluice_value *values, sbuf *out);
} s3_format;

extern const s3_format s3_format_csv;
extern const s3_format s3_format_jsonl;

/* ---- an object being written ---- */

/* A part on its way on a thread of its own (upload.c), so the next part is formatted
   while this one is hashed and sent; its own curl handle, the client's settings. */
typedef struct s3_part_job {
    struct sinks3 *s;
    struct s3_upload *u;
    s3_client client;    /* shares the strings of s->s3; only curl is its own */
    sbuf buf;            /* the part's bytes */
    uint32_t number;
    char etag[128];
    sluice_status st;
    sluice_error err;
    int running;         /* buf is being sent: part_wait collects the answer */
    int threaded;        /* on `thread` (else it was sent inline) */
    int retry;           /* buf failed to go: send it again first */
    pthread_t thread;
} s3_part_job;

typedef struct s3_upload {
    char *key;
    sbuf pending;        /* encoded bytes not yet sent */
    s3_part_job job;     /* the part in flight */
    z_stream z;
    int gzip, z_open, z_done;
    char upload_id[256]; /* multipart, once started */
    uint32_t nparts;
    sbuf etags;          /* the parts' ETags, one a line */
    uint64_t raw_bytes, rows;
} s3_upload;

/* ---- a table's CDC buffer ---- */

typedef struct cdc_table {
    char *schema, *name;      /* as the sink writes them */
    const sluice_table *table;
    sbuf data;                /* formatted rows, uncompressed */
    size_t committed_len;     /* data[0..committed_len) belongs to committed transactions */
    uint64_t committed_rows, rows;
    int64_t first_commit_us;  /* commit time of the first committed row since the last file */
    int dirty;                /* touched by the open transaction */
    int closed;               /* an older column layout of its table: takes no more rows */
} cdc_table;

typedef struct sinks3 {
    const sluice_host *host;
    sluice_context *ctx;
    sinks3_config cfg;        /* the core's strings are copied into owned[] */
    char *owned[40];
    int nowned;
    s3_client s3;
    const s3_format *fmt;
    int gzip;
    char *folder;             /* bucketFolder without slashes at the ends, "" when none */
    char *ck_key;             /* the checkpoint object's key */
    char *ck_copy_key;        /* its copy, written after it: ck_key + ".copy" */
    char *pipeline;

    /* full load: the file this instance is writing */
    const sluice_table *load_table;
    s3_upload load;
    int load_open;
    int64_t load_started_us;

    /* change capture */
    cdc_table *tables;
    uint32_t ntables, cap_tables;
    sluice_position checkpoint; /* the last position written to the checkpoint object */
    sluice_position last_commit; /* the last COMMIT applied */
    int64_t last_commit_us;
    int64_t pending_since_us;    /* monotonic time the oldest unwritten commit arrived */
    int in_txn;
    int stream_ended;            /* a batch had SLUICE_BATCH_LAST: write everything now */
    int unchanged_warned;
    sbuf row;                    /* scratch */
} sinks3;

sluice_status s3_oom(sinks3 *s, sluice_error *err);
int64_t s3_now_us(void);      /* wall clock */
int64_t s3_mono_us(void);

/* s3ops.c */
sluice_status s3_put(sinks3 *s, const char *key, const void *data, size_t len,
                     const char *content_type, const char *what, sluice_error *err);
/* *found = 0 on 404. The body goes to out. */
sluice_status s3_get(sinks3 *s, const char *key, sbuf *out, int *found, sluice_error *err);
sluice_status s3_delete(sinks3 *s, const char *key, sluice_error *err);
/* Deletes the keys of a newline-separated list with DeleteObjects, 1000 a request. */
sluice_status s3_delete_keys(sinks3 *s, const char *keys, sluice_error *err);
/* Calls fn for every key under prefix; fn returns non-zero to stop with its status. */
typedef sluice_status (*s3_key_fn)(sinks3 *s, const char *key, void *arg, sluice_error *err);
sluice_status s3_list(sinks3 *s, const char *prefix, s3_key_fn fn, void *arg, sluice_error *err);
sluice_status s3_check_bucket(sinks3 *s, sluice_error *err);
sluice_status s3_mpu_create(sinks3 *s, const char *key, const char *content_type, char *id,
                            size_t idsize, sluice_error *err);
/* c: s->s3, or a part job's own client on its thread */
sluice_status s3_mpu_part(sinks3 *s, s3_client *c, const char *key, const char *id, uint32_t part,
                          const void *data, size_t len, char *etag, size_t etagsize,
                          sluice_error *err);
sluice_status s3_mpu_complete(sinks3 *s, const char *key, const char *id, const char *etags,
                              sluice_error *err);
sluice_status s3_mpu_abort(sinks3 *s, const char *key, const char *id, sluice_error *err);
/* Aborts the unfinished multipart uploads under prefix; returns how many in *n. */
sluice_status s3_mpu_abort_all(sinks3 *s, const char *prefix, uint32_t *n, sluice_error *err);

/* upload.c */
sluice_status s3_upload_begin(sinks3 *s, s3_upload *u, const char *key, sluice_error *err);
sluice_status s3_upload_write(sinks3 *s, s3_upload *u, const void *data, size_t len,
                              sluice_error *err);
sluice_status s3_upload_finish(sinks3 *s, s3_upload *u, sluice_error *err);
void s3_upload_discard(sinks3 *s, s3_upload *u); /* aborts a started multipart upload */

/* naming.c */
void s3_table_prefix(const sinks3 *s, const sluice_table *t, sbuf *out);
void s3_load_key(const sinks3 *s, const sluice_table *t, uint32_t number, sbuf *out);
/* segment: 0, or 1, 2, ... for the files of one table's column layouts in one roll */
void s3_cdc_key(const sinks3 *s, const cdc_table *ct, int64_t commit_us,
                const sluice_position *from, const sluice_position *to, uint32_t segment,
                sbuf *out);
/* LOAD file numbers: one counter per table folder for every instance of the process. */
void s3_load_numbers_reset(const char *table_prefix, uint32_t after);
uint32_t s3_load_number_next(const char *table_prefix);
void s3_load_numbers_ref(int delta);
void s3_format_timestamp(int64_t us, char *buf, size_t size); /* yyyy-MM-dd HH:mm:ss.SSSSSS */

/* checkpoint.c */
sluice_status s3_checkpoint_read(sinks3 *s, sluice_position *out, sluice_error *err);
/* Writes {position, pending}: pending lists keys about to be written that it does not cover. */
sluice_status s3_checkpoint_write(sinks3 *s, const sluice_position *pos, const sbuf *pending,
                                  sluice_error *err);
sluice_status s3_checkpoint_cleanup(sinks3 *s, sluice_error *err);

/* load.c */
sluice_status s3_prepare_table(sinks3 *s, const sluice_table *t, sluice_prep_mode mode,
                               sluice_error *err);
sluice_status s3_write_rows(sinks3 *s, const sluice_batch *b, sluice_error *err);
sluice_status s3_finish_table(sinks3 *s, const sluice_table *t, sluice_error *err);

/* cdc.c */
sluice_status s3_apply(sinks3 *s, const sluice_batch *b, sluice_error *err);
sluice_status s3_flush(sinks3 *s, sluice_position *committed, sluice_error *err);
void s3_cdc_free(sinks3 *s);

/* values: the text of a value for the formats */
void s3_value_text(sinks3 *s, const sluice_value *v, sbuf *out);

#endif
