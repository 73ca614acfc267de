/*
 * An object being written: bytes go through gzip when asked, collect in
 * memory, and leave in parts of part_size once the object outgrows one part
 * (multipart upload); a small object is one PutObject. A full part is hashed and
 * sent on a thread of its own while the next one fills, so memory stays about two
 * parts whatever the object's size.
 */
#include <stdlib.h>
#include <string.h>

#include "sinks3.h"

sluice_status s3_upload_begin(sinks3 *s, s3_upload *u, const char *key, sluice_error *err)
{
    memset(u, 0, sizeof *u);
    u->key = strdup(key);
    if (!u->key)
        return s3_oom(s, err);
    u->gzip = s->gzip;
    if (u->gzip) {
        /* windowBits 15 + 16: a gzip wrapper; zlib writes mtime 0, so the same rows give
           the same bytes on a replay */
        if (deflateInit2(&u->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return s3_oom(s, err);
        u->z_open = 1;
    }
    return SLUICE_OK;
}

static const char *content_type(const sinks3 *s)
{
    return s->gzip ? "application/gzip" : s->fmt->content_type;
}

static void *part_thread(void *arg)
{
    s3_part_job *j = arg;
    j->st = s3_mpu_part(j->s, &j->client, j->u->key, j->u->upload_id, j->number, j->buf.data,
                        j->buf.len, j->etag, sizeof j->etag, &j->err);
    return NULL;
}

/* Sends the job's part on a thread (here when no thread can start). */
static void part_launch(s3_upload *u)
{
    s3_part_job *j = &u->job;
    j->retry = 0;
    j->threaded = pthread_create(&j->thread, NULL, part_thread, j) == 0;
    if (!j->threaded)
        part_thread(j);
    j->running = 1;
}

/* Waits for the part in flight and records its ETag. On failure its error becomes err
   and the part is kept: the next send_parts (a retried finish) sends it again. */
static sluice_status part_wait(sinks3 *s, s3_upload *u, sluice_error *err)
{
    s3_part_job *j = &u->job;
    if (!j->running)
        return SLUICE_OK;
    if (j->threaded)
        pthread_join(j->thread, NULL);
    j->running = j->threaded = 0;
    if (j->st != SLUICE_OK) {
        j->retry = 1;
        *err = j->err;
        return j->st;
    }
    u->nparts++;
    sb_printf(&u->etags, "%s\n", j->etag);
    return u->etags.failed ? s3_oom(s, err) : SLUICE_OK;
}

/* Starts sending pending[0..n) as the next part; pending keeps the rest. The buffers
   are swapped, so only the rest (less than one write) is copied. */
static sluice_status part_start(sinks3 *s, s3_upload *u, size_t n, sluice_error *err)
{
    s3_part_job *j = &u->job;
    if (!j->client.curl) {
        j->client = s->s3;
        j->client.curl = curl_easy_init();
        if (!j->client.curl)
            return s3_oom(s, err);
    }
    sbuf part = u->pending;
    u->pending = j->buf;
    sb_reset(&u->pending);
    sb_put(&u->pending, part.data + n, part.len - n);
    if (u->pending.failed) {
        j->buf = part;
        return s3_oom(s, err);
    }
    part.len = n;
    j->buf = part;
    j->s = s;
    j->u = u;
    j->number = u->nparts + 1;
    j->err = *err;
    part_launch(u);
    return SLUICE_OK;
}

/* Sends full parts while pending holds more than one; `last` sends the rest too and
   waits for it. At most one part is in flight besides the one being filled. */
static sluice_status send_parts(sinks3 *s, s3_upload *u, int last, sluice_error *err)
{
    size_t part = (size_t)s->cfg.part_size;
    sluice_status st = SLUICE_OK;
    if (u->job.retry) { /* a part that failed: again, before any later one */
        part_launch(u);
        st = part_wait(s, u, err);
    }
    while (st == SLUICE_OK && (u->pending.len > part || (last && u->pending.len))) {
        size_t n = u->pending.len > part ? part : u->pending.len;
        if (!u->upload_id[0])
            st = s3_mpu_create(s, u->key, content_type(s), u->upload_id, sizeof u->upload_id,
                               err);
        if (st == SLUICE_OK)
            st = part_wait(s, u, err);
        if (st == SLUICE_OK)
            st = part_start(s, u, n, err);
    }
    if (st == SLUICE_OK && last)
        st = part_wait(s, u, err);
    return st;
}

static sluice_status deflate_into(sinks3 *s, s3_upload *u, const void *data, size_t len,
                                  int flush, sluice_error *err)
{
    u->z.next_in = (Bytef *)data;
    u->z.avail_in = (uInt)len;
    int rc;
    do {
        if (sb_reserve(&u->pending, 65536) != 0)
            return s3_oom(s, err);
        u->z.next_out = (Bytef *)u->pending.data + u->pending.len;
        u->z.avail_out = 65536;
        rc = deflate(&u->z, flush);
        u->pending.len += 65536 - u->z.avail_out;
    } while (u->z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    return SLUICE_OK;
}

sluice_status s3_upload_write(sinks3 *s, s3_upload *u, const void *data, size_t len,
                              sluice_error *err)
{
    u->raw_bytes += len;
    if (u->gzip) {
        sluice_status st = deflate_into(s, u, data, len, Z_NO_FLUSH, err);
        if (st != SLUICE_OK)
            return st;
    } else {
        sb_put(&u->pending, data, len);
        if (u->pending.failed)
            return s3_oom(s, err);
    }
    return u->pending.len > (size_t)s->cfg.part_size ? send_parts(s, u, 0, err) : SLUICE_OK;
}

static void upload_free(s3_upload *u)
{
    if (u->job.running && u->job.threaded)
        pthread_join(u->job.thread, NULL);
    if (u->job.client.curl)
        curl_easy_cleanup(u->job.client.curl); /* the rest of the client is s->s3's */
    sb_free(&u->job.buf);
    if (u->z_open)
        deflateEnd(&u->z);
    free(u->key);
    sb_free(&u->pending);
    sb_free(&u->etags);
    memset(u, 0, sizeof *u);
}

sluice_status s3_upload_finish(sinks3 *s, s3_upload *u, sluice_error *err)
{
    sluice_status st = SLUICE_OK;
    if (u->gzip && !u->z_done) { /* once: a retried finish must not deflate again */
        st = deflate_into(s, u, NULL, 0, Z_FINISH, err);
        u->z_done = st == SLUICE_OK;
    }
    if (st == SLUICE_OK && !u->upload_id[0]) {
        st = s3_put(s, u->key, u->pending.data, u->pending.len, content_type(s),
                    "could not upload object", err);
    } else if (st == SLUICE_OK) {
        st = send_parts(s, u, 1, err);
        if (st == SLUICE_OK && sb_cstr(&u->etags))
            st = s3_mpu_complete(s, u->key, u->upload_id, u->etags.data, err);
        if (st == SLUICE_OK)
            u->upload_id[0] = 0;
        if (st == SLUICE_OK)
            s->host->count(s->ctx, "multipart_uploads", 1);
    }
    if (st == SLUICE_OK) {
        s->host->count(s->ctx, "objects_written", 1);
        upload_free(u);
    }
    return st;
}

void s3_upload_discard(sinks3 *s, s3_upload *u)
{
    if (u->job.running && u->job.threaded) /* its answer no longer matters */
        pthread_join(u->job.thread, NULL);
    u->job.running = 0;
    if (u->upload_id[0] && u->key) {
        sluice_error err;
        memset(&err, 0, sizeof err);
        if (s3_mpu_abort(s, u->key, u->upload_id, &err) != SLUICE_OK)
            s->host->log(s->ctx, SLUICE_LOG_WARNING, "multipart upload of \"%s\" left behind: %s",
                         u->key, err.message); /* the next start removes it */
    }
    upload_free(u);
}
