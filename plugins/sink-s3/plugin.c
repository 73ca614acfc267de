/*
 * sink-s3: the options (AWS DMS's S3 endpoint setting names where DMS has one),
 * open/close and the vtable; sinks3.h says which file does what.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sinks3.h"

#define OPT(name, type, flags, def, desc, member) \
    {name, type, flags, def, NULL, desc, offsetof(sinks3_config, member)}
#define OPT_CHOICE(name, def, choices, desc, member) \
    {name, SLUICE_OPTION_STRING, 0, def, choices, desc, offsetof(sinks3_config, member)}
#define STR SLUICE_OPTION_STRING
#define INT SLUICE_OPTION_INT
#define BOOL SLUICE_OPTION_BOOL

static const sluice_option s3_options[] = {
    OPT("bucketName", STR, SLUICE_OPTION_REQUIRED, NULL, "the bucket to write to", bucket_name),
    OPT("bucketFolder", STR, 0, NULL,
        "folder in the bucket; tables go to bucketFolder/schema/table/", bucket_folder),
    OPT("endpoint", STR, 0, NULL,
        "endpoint URL, e.g. http://127.0.0.1:9000; default https://s3.<region>.amazonaws.com",
        endpoint),
    OPT("region", STR, 0, NULL, "signing region; default AWS_REGION, AWS_DEFAULT_REGION or "
        "us-east-1", region),
    OPT_CHOICE("addressing", "auto", "auto|path|virtual",
               "path: endpoint/bucket/key; virtual: bucket.endpoint/key; auto: virtual for "
               "amazonaws.com, else path",
               addressing),
    OPT("access_key_id", STR, SLUICE_OPTION_SECRET, NULL,
        "access key id; default the AWS_ACCESS_KEY_ID variable", access_key_id),
    OPT("secret_access_key", STR, SLUICE_OPTION_SECRET, NULL,
        "secret access key; default the AWS_SECRET_ACCESS_KEY variable", secret_access_key),
    OPT("session_token", STR, SLUICE_OPTION_SECRET, NULL,
        "session token for temporary credentials; default AWS_SESSION_TOKEN", session_token),
    OPT_CHOICE("dataFormat", "csv", "csv|jsonl", "file format: csv (as DMS) or jsonl (JSON Lines)",
               data_format),
    OPT_CHOICE("compressionType", "NONE", "NONE|GZIP", "GZIP: gzip every object (.gz)",
               compression_type),
    OPT("csvDelimiter", STR, 0, ",", "CSV field delimiter", csv_delimiter),
    OPT("csvRowDelimiter", STR, 0, "\n", "CSV row delimiter", csv_row_delimiter),
    OPT("csvNullValue", STR, 0, "", "CSV text of NULL (an empty string is written \"\")",
        csv_null_value),
    OPT("useCsvNoSupValue", BOOL, 0, "false",
        "write csvNoSupValue for values the source did not send (unchanged TOAST)",
        use_csv_no_sup_value),
    OPT("csvNoSupValue", STR, 0, NULL, "the text for useCsvNoSupValue", csv_no_sup_value),
    OPT("includeOpForFullLoad", BOOL, 0, "false", "full-load files get the Op column (I) too",
        include_op_for_full_load),
    OPT("addColumnName", BOOL, 0, "false", "CSV files begin with a line of column names",
        add_column_name),
    OPT("timestampColumnName", STR, 0, NULL,
        "add a column of this name: commit time in change files, transfer time in full load",
        timestamp_column_name),
    OPT("cdcInsertsOnly", BOOL, 0, "false", "change files hold only inserts", cdc_inserts_only),
    OPT("cdcInsertsAndUpdates", BOOL, 0, "false", "change files hold only inserts and updates",
        cdc_inserts_and_updates),
    OPT("cdcMaxBatchInterval", INT, 0, "60",
        "seconds after which pending changes are written (0: at every flush)",
        cdc_max_batch_interval),
    OPT("cdcMinFileSize", INT, 0, "32000",
        "KB of a table's pending changes that make a change file be written", cdc_min_file_size),
    OPT("maxFileSize", INT, 0, "1048576", "KB (before compression) at which a LOAD file ends",
        max_file_size),
    OPT("datePartitionEnabled", BOOL, 0, "false",
        "change files in date folders of their first commit (UTC)", date_partition_enabled),
    OPT_CHOICE("datePartitionSequence", "YYYYMMDD", "YYYYMMDD|YYYYMMDDHH|YYYYMM|MMYYYYDD|DDMMYYYY",
               "order of the date folders", date_partition_sequence),
    OPT_CHOICE("datePartitionDelimiter", "SLASH", "SLASH|UNDERSCORE|DASH|NONE",
               "what separates the date parts", date_partition_delimiter),
    OPT("checkpoint_key", STR, 0, NULL,
        "name of the checkpoint object bucketFolder/_sluice/<key>.json; default the pipeline name",
        checkpoint_key),
    OPT("part_size", INT, 0, "8388608", "bytes per multipart part; objects above it are multipart",
        part_size),
    OPT("max_retries", INT, 0, "5",
        "tries after the first for a request failing with 5xx, a timeout or a lost connection",
        max_retries),
    OPT("request_timeout", INT, 0, "300", "seconds a request may take", request_timeout),
    OPT("connect_timeout", INT, 0, "10", "seconds to wait for a connection", connect_timeout),
};

sluice_status s3_oom(sinks3 *s, sluice_error *err)
{
    return s->host->error(err, SLUICE_FATAL, "out of memory");
}

int64_t s3_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t s3_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static sluice_status bad_option(sinks3 *s, sluice_error *err, const char *name, const char *why,
                                const char *hint)
{
    s->host->error(err, SLUICE_FATAL, "invalid value for option \"%s\"", name);
    s->host->error_detail(err, "%s", why);
    s->host->error_hint(err, "%s", hint);
    return SLUICE_FATAL;
}

/* Keeps a copy of an option string (the core's are only lent for open). */
static const char *keep(sinks3 *s, const char *v)
{
    if (!v || s->nowned >= (int)(sizeof s->owned / sizeof s->owned[0]))
        return v ? NULL : NULL;
    char *c = strdup(v);
    if (c)
        s->owned[s->nowned++] = c;
    return c;
}

static const char *env_or(const char *v, const char *a, const char *b)
{
    if (v && *v)
        return v;
    const char *e = a ? getenv(a) : NULL;
    if (e && *e)
        return e;
    e = b ? getenv(b) : NULL;
    return e && *e ? e : NULL;
}

static sluice_status check_config(sinks3 *s, sluice_error *err)
{
    sinks3_config *c = &s->cfg;
    if (!c->csv_delimiter || !*c->csv_delimiter)
        return bad_option(s, err, "csvDelimiter", "It is empty.", "Set csvDelimiter to \",\" or "
                          "another character.");
    if (!c->csv_row_delimiter || !*c->csv_row_delimiter)
        return bad_option(s, err, "csvRowDelimiter", "It is empty.", "Set csvRowDelimiter to "
                          "\"\\n\".");
    if (c->part_size < 5242880 || c->part_size > 5368709120LL)
        return bad_option(s, err, "part_size", "S3 parts are 5 MiB (5242880) to 5 GiB.",
                          "Set part_size within those bounds.");
    if (c->cdc_max_batch_interval < 0 || c->cdc_min_file_size < 0 || c->max_file_size < 1 ||
        c->max_retries < 0 || c->request_timeout < 0 || c->connect_timeout < 0)
        return bad_option(s, err,
                          c->cdc_max_batch_interval < 0 ? "cdcMaxBatchInterval"
                          : c->cdc_min_file_size < 0    ? "cdcMinFileSize"
                          : c->max_file_size < 1        ? "maxFileSize"
                          : c->max_retries < 0          ? "max_retries"
                                                        : "request_timeout",
                          "It is below its minimum (0; maxFileSize 1).", "Raise it.");
    if (c->cdc_inserts_only && c->cdc_inserts_and_updates)
        return bad_option(s, err, "cdcInsertsOnly",
                          "cdcInsertsOnly and cdcInsertsAndUpdates are both set.",
                          "Set only one of them, as with DMS.");
    return SLUICE_OK;
}

static int is_local_or_ip(const char *hostpart)
{
    if (strncmp(hostpart, "localhost", 9) == 0 || *hostpart == '[')
        return 1;
    for (const char *p = hostpart; *p && *p != ':' && *p != '/'; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.'))
            return 0;
    return 1;
}

static sluice_status setup_client(sinks3 *s, sluice_error *err)
{
    sinks3_config *c = &s->cfg;
    s3_client *cl = &s->s3;
    const char *region = env_or(c->region, "AWS_REGION", "AWS_DEFAULT_REGION");
    cl->region = strdup(region ? region : "us-east-1");
    if (c->endpoint && *c->endpoint) {
        if (strncmp(c->endpoint, "http://", 7) != 0 && strncmp(c->endpoint, "https://", 8) != 0)
            return bad_option(s, err, "endpoint", "It must begin with http:// or https://.",
                              "Write the endpoint as a URL, e.g. \"https://s3.example.com\".");
        cl->endpoint = strdup(c->endpoint);
    } else {
        size_t n = strlen(cl->region ? cl->region : "") + 40;
        cl->endpoint = malloc(n);
        if (cl->endpoint)
            snprintf(cl->endpoint, n, "https://s3.%s.amazonaws.com", cl->region);
    }
    cl->bucket = strdup(c->bucket_name);
    if (!cl->region || !cl->endpoint || !cl->bucket)
        return s3_oom(s, err);
    for (size_t n = strlen(cl->endpoint); n > 8 && cl->endpoint[n - 1] == '/'; n--)
        cl->endpoint[n - 1] = 0;
    const char *hostpart = strstr(cl->endpoint, "://") + 3;
    if (strcmp(c->addressing, "path") == 0)
        cl->path_style = 1;
    else if (strcmp(c->addressing, "virtual") == 0)
        cl->path_style = 0;
    else /* auto; a bucket name with dots breaks TLS names as a subdomain */
        cl->path_style = is_local_or_ip(hostpart) || !strstr(hostpart, "amazonaws.com") ||
                         strchr(c->bucket_name, '.') != NULL;
    const char *id = env_or(c->access_key_id, "AWS_ACCESS_KEY_ID", NULL);
    const char *secret = env_or(c->secret_access_key, "AWS_SECRET_ACCESS_KEY", NULL);
    const char *token = env_or(c->session_token, "AWS_SESSION_TOKEN", NULL);
    if (!id || !secret) {
        s->host->error(err, SLUICE_FATAL, "no S3 credentials for bucket \"%s\"", c->bucket_name);
        s->host->error_detail(err, "Neither %s nor the AWS_%s variable is set.",
                              !id ? "access_key_id" : "secret_access_key",
                              !id ? "ACCESS_KEY_ID" : "SECRET_ACCESS_KEY");
        s->host->error_hint(err, "Set access_key_id and secret_access_key in the target section "
                                 "with env \"NAME\" or file \"/path\", or export "
                                 "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.");
        return SLUICE_FATAL;
    }
    size_t n = strlen(id) + strlen(secret) + 2;
    cl->userpwd = malloc(n);
    if (!cl->userpwd)
        return s3_oom(s, err);
    snprintf(cl->userpwd, n, "%s:%s", id, secret);
    if (token) {
        n = strlen(token) + 32;
        cl->token_hdr = malloc(n);
        if (!cl->token_hdr)
            return s3_oom(s, err);
        snprintf(cl->token_hdr, n, "x-amz-security-token: %s", token);
    }
    cl->max_retries = (int)c->max_retries;
    cl->timeout_s = (long)c->request_timeout;
    cl->connect_timeout_s = (long)c->connect_timeout;
    return SLUICE_OK;
}

static sluice_status setup_names(sinks3 *s, sluice_error *err)
{
    const char *f = s->cfg.bucket_folder ? s->cfg.bucket_folder : "";
    while (*f == '/')
        f++;
    size_t n = strlen(f);
    while (n && f[n - 1] == '/')
        n--;
    s->folder = strndup(f, n);
    const char *pipeline = s->host->setting(s->ctx, "pipeline");
    s->pipeline = strdup(pipeline ? pipeline : "");
    const char *key = s->cfg.checkpoint_key && *s->cfg.checkpoint_key ? s->cfg.checkpoint_key
                                                                      : s->pipeline;
    if (!s->folder || !s->pipeline)
        return s3_oom(s, err);
    if (!*key)
        return bad_option(s, err, "checkpoint_key", "It is empty and the pipeline has no name.",
                          "Set checkpoint_key to a name of this pipeline.");
    sbuf k = {0};
    if (*s->folder)
        sb_printf(&k, "%s/", s->folder);
    sb_printf(&k, "_sluice/%s.json", key);
    s->ck_key = sb_take(&k);
    if (s->ck_key)
        sb_printf(&k, "%s.copy", s->ck_key);
    s->ck_copy_key = sb_take(&k);
    return s->ck_key && s->ck_copy_key ? SLUICE_OK : s3_oom(s, err);
}

static void s3_close(void *instance)
{
    sinks3 *s = instance;
    if (!s)
        return;
    /* What was not flushed is dropped: an unfinished LOAD file's multipart upload is
       aborted, pending changes are streamed again from the checkpoint. */
    if (s->load_open)
        s3_upload_discard(s, &s->load);
    s3_cdc_free(s);
    sb_free(&s->row);
    s3_client_free(&s->s3);
    for (int i = 0; i < s->nowned; i++)
        free(s->owned[i]);
    free(s->folder);
    free(s->ck_key);
    free(s->ck_copy_key);
    free(s->pipeline);
    s3_load_numbers_ref(-1);
    free(s);
}

static sluice_status s3_open(const sluice_host *host, sluice_context *ctx, const void *config,
                             void **instance, sluice_error *err)
{
    sinks3 *s = calloc(1, sizeof *s);
    if (!s)
        return host->error(err, SLUICE_FATAL, "out of memory");
    s->host = host;
    s->ctx = ctx;
    s3_load_numbers_ref(1);
    const sinks3_config *cfg = config;
    s->cfg = *cfg;
    /* copies of the strings kept past open; secrets go straight into the client */
    s->cfg.bucket_folder = keep(s, cfg->bucket_folder);
    s->cfg.data_format = keep(s, cfg->data_format ? cfg->data_format : "csv");
    s->cfg.addressing = keep(s, cfg->addressing ? cfg->addressing : "auto");
    s->cfg.csv_delimiter = keep(s, cfg->csv_delimiter ? cfg->csv_delimiter : ",");
    s->cfg.csv_row_delimiter = keep(s, cfg->csv_row_delimiter ? cfg->csv_row_delimiter : "\n");
    s->cfg.csv_null_value = keep(s, cfg->csv_null_value ? cfg->csv_null_value : "");
    s->cfg.csv_no_sup_value = keep(s, cfg->csv_no_sup_value);
    s->cfg.timestamp_column_name = keep(s, cfg->timestamp_column_name);
    s->cfg.date_partition_sequence = keep(s, cfg->date_partition_sequence);
    s->cfg.date_partition_delimiter = keep(s, cfg->date_partition_delimiter);
    s->cfg.compression_type = keep(s, cfg->compression_type ? cfg->compression_type : "NONE");
    s->cfg.endpoint = s->cfg.region = s->cfg.access_key_id = s->cfg.secret_access_key = NULL;
    s->cfg.session_token = NULL;
    s->cfg.bucket_name = cfg->bucket_name; /* used during open only, then from the client */
    sluice_status st = check_config(s, err);
    if (st == SLUICE_OK && !cfg->bucket_name)
        st = bad_option(s, err, "bucketName", "It is not set.", "Name the target bucket.");
    s->fmt = s->cfg.data_format && strcmp(s->cfg.data_format, "jsonl") == 0 ? &s3_format_jsonl
                                                                          : &s3_format_csv;
    s->gzip = s->cfg.compression_type && strcmp(s->cfg.compression_type, "GZIP") == 0;
    if (st == SLUICE_OK) {
        sinks3_config lent = *cfg; /* setup_client reads the secrets from the core's copy */
        sinks3_config mine = s->cfg;
        s->cfg = lent;
        s->cfg.addressing = mine.addressing;
        st = s3_client_init(&s->s3, host, ctx) == 0 ? setup_client(s, err) : s3_oom(s, err);
        s->cfg = mine;
    }
    s->cfg.bucket_name = NULL;
    if (st == SLUICE_OK)
        st = setup_names(s, err);
    if (st == SLUICE_OK)
        st = s3_check_bucket(s, err); /* endpoint, credentials and bucket, at once */
    if (st != SLUICE_OK) {
        s3_close(s);
        return st;
    }
    *instance = s;
    return SLUICE_OK;
}

/* Aborts the unfinished multipart uploads of an earlier run: those under bucketFolder/.
   Without a bucketFolder the sink cannot tell its uploads from others', so it leaves them.
   A server that cannot list or abort them costs storage, not data: logged, not fatal. */
static sluice_status abort_old_uploads(sinks3 *s, sluice_error *err)
{
    if (!*s->folder) {
        s->host->log(s->ctx, SLUICE_LOG_INFO,
                     "no bucketFolder: unfinished multipart uploads of earlier runs are not "
                     "aborted, since other writers' uploads in the bucket look the same");
        return SLUICE_OK;
    }
    sbuf prefix = {0};
    sb_printf(&prefix, "%s/", s->folder);
    if (!sb_cstr(&prefix))
        return s3_oom(s, err);
    uint32_t aborted = 0;
    sluice_error mine = *err;
    sluice_status st = s3_mpu_abort_all(s, prefix.data, &aborted, &mine);
    if (aborted)
        s->host->log(s->ctx, SLUICE_LOG_INFO, "aborted %u unfinished multipart uploads under \"%s\"",
                     aborted, prefix.data);
    if (st == SLUICE_FATAL) {
        s->host->log(s->ctx, SLUICE_LOG_WARNING,
                     "unfinished multipart uploads under \"%s\" were not cleaned up: %s (%s)",
                     prefix.data, mine.message, mine.detail);
        st = SLUICE_OK;
    } else if (st != SLUICE_OK) {
        *err = mine;
    }
    sb_free(&prefix);
    return st;
}

static sluice_status s3_get_checkpoint(void *instance, sluice_position *committed,
                                       sluice_error *err)
{
    sinks3 *s = instance;
    /* the main instance, before any lane starts: clean up after an earlier run */
    sluice_status st = s3_checkpoint_read(s, committed, err);
    if (st == SLUICE_OK)
        st = abort_old_uploads(s, err);
    if (st == SLUICE_OK)
        s->checkpoint = *committed;
    return st;
}

static sluice_status s3_prepare(void *instance, const sluice_table *table, sluice_prep_mode mode,
                                sluice_error *err)
{
    return s3_prepare_table(instance, table, mode, err);
}

static sluice_status s3_write(void *instance, const sluice_batch *batch, sluice_error *err)
{
    return s3_write_rows(instance, batch, err);
}

static sluice_status s3_finish(void *instance, const sluice_table *table, sluice_error *err)
{
    return s3_finish_table(instance, table, err);
}

static sluice_status s3_apply_cb(void *instance, const sluice_batch *batch, sluice_error *err)
{
    return s3_apply(instance, batch, err);
}

static sluice_status s3_flush_cb(void *instance, sluice_position *committed, sluice_error *err)
{
    return s3_flush(instance, committed, err);
}

static sluice_status s3_cleanup(void *instance, sluice_error *err)
{
    return s3_checkpoint_cleanup(instance, err);
}

static const sluice_sink_vtable s3_vtable = {
    .header = SLUICE_HEADER_INIT(sluice_sink_vtable),
    .open = s3_open,
    .close = s3_close,
    .get_checkpoint = s3_get_checkpoint,
    .prepare_table = s3_prepare,
    .write_rows = s3_write,
    .finish_table = s3_finish,
    .apply = s3_apply_cb,
    .flush = s3_flush_cb,
    .cleanup = s3_cleanup,
};

static const sluice_options s3_option_table = {
    .header = SLUICE_HEADER_INIT(sluice_options),
    .option_size = sizeof(sluice_option),
    .count = sizeof s3_options / sizeof s3_options[0],
    .options = s3_options,
    .config_size = sizeof(sinks3_config),
};

static const sluice_plugin s3_plugin = {
    .header = SLUICE_HEADER_INIT(sluice_plugin),
    .kind = SLUICE_KIND_SINK,
    .name = "sink-s3",
    .version = "1.0.0",
    .description = "S3-compatible object store in AWS DMS's S3 layout: LOAD files, change "
                   "files, a checkpoint object",
    .options = &s3_option_table,
    .vtable = &s3_vtable,
};

SLUICE_PLUGIN_ABI_DEFINE()

SLUICE_EXPORT const sluice_plugin *sluice_plugin_init(const sluice_host *host)
{
    (void)host; /* open() receives the host again */
    curl_global_init(CURL_GLOBAL_DEFAULT); /* once per process; later calls do nothing */
    return &s3_plugin;
}
