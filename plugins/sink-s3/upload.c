/*
 * An object being written: bytes go through gzip when asked, collect in
 * memory, and leave in parts of part_size once the object outgrows one part
 * (multipart upload); a small object is one PutObject. Memory stays about one
 * part whatever the object's size.
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

/* Sends full parts while pending holds more than one; `last` sends the rest too. */
static sluice_status send_parts(sinks3 *s, s3_upload *u, int last, sluice_error *err)
{
    size_t part = (size_t)s->cfg.part_size;
    size_t off = 0;
    sluice_status st = SLUICE_OK;
    while (st == SLUICE_OK && (u->pending.len - off > part || (last && u->pending.len > off))) {
        size_t n = u->pending.len - off > part ? part : u->pending.len - off;
        if (!u->upload_id[0])
            st = s3_mpu_create(s, u->key, content_type(s), u->upload_id, sizeof u->upload_id,
                               err);
        char etag[128];
        if (st == SLUICE_OK)
            st = s3_mpu_part(s, u->key, u->upload_id, u->nparts + 1, u->pending.data + off, n,
                             etag, sizeof etag, err);
        if (st == SLUICE_OK) {
            u->nparts++;
            sb_printf(&u->etags, "%s\n", etag);
            off += n;
        }
    }
    if (off) {
        memmove(u->pending.data, u->pending.data + off, u->pending.len - off);
        u->pending.len -= off;
    }
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
    if (u->upload_id[0] && u->key) {
        sluice_error err;
        memset(&err, 0, sizeof err);
        if (s3_mpu_abort(s, u->key, u->upload_id, &err) != SLUICE_OK)
            s->host->log(s->ctx, SLUICE_LOG_WARNING, "multipart upload of \"%s\" left behind: %s",
                         u->key, err.message); /* the next start removes it */
    }
    upload_free(u);
}
