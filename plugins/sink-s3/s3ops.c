/*
 * The S3 operations the sink uses, over s3_call: objects, listing, multipart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks3.h"

sluice_status s3_put(sinks3 *s, const char *key, const void *data, size_t len,
                     const char *content_type, const char *what, sluice_error *err)
{
    s3_request q = {.method = "PUT", .key = key, .body = data, .body_len = len,
                    .content_type = content_type};
    s3_response r = {0};
    sluice_status st = s3_call(&s->s3, &q, &r, 0, what, err);
    sb_free(&r.body);
    if (st == SLUICE_OK)
        s->host->count(s->ctx, "bytes_uploaded", len);
    return st;
}

sluice_status s3_get(sinks3 *s, const char *key, sbuf *out, int *found, sluice_error *err)
{
    s3_request q = {.method = "GET", .key = key};
    s3_response r = {0};
    sluice_status st = s3_call(&s->s3, &q, &r, 404, "could not read object", err);
    *found = st == SLUICE_OK && r.status != 404;
    sb_reset(out);
    if (*found)
        sb_put(out, r.body.data, r.body.len);
    sb_free(&r.body);
    return st;
}

sluice_status s3_delete(sinks3 *s, const char *key, sluice_error *err)
{
    s3_request q = {.method = "DELETE", .key = key};
    s3_response r = {0};
    sluice_status st = s3_call(&s->s3, &q, &r, 404, "could not delete object", err);
    sb_free(&r.body);
    return st;
}

static void xml_escape(sbuf *out, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (p[i]) {
        case '&': sb_puts(out, "&amp;"); break;
        case '<': sb_puts(out, "&lt;"); break;
        case '>': sb_puts(out, "&gt;"); break;
        case '"': sb_puts(out, "&quot;"); break;
        case '\'': sb_puts(out, "&apos;"); break;
        default: sb_putc(out, p[i]);
        }
    }
}

/* One DeleteObjects request (S3 requires its Content-MD5, which s3_call sends) for up
   to 1000 keys; Quiet: the answer lists only the keys that failed. */
static sluice_status delete_batch(sinks3 *s, const sbuf *xml, sluice_error *err)
{
    s3_request q = {.method = "POST", .query = "delete=", .body = xml->data,
                    .body_len = xml->len, .content_type = "application/xml"};
    s3_response r = {0};
    sbuf key = {0}, code = {0};
    sluice_status st = s3_call(&s->s3, &q, &r, 0, "could not delete objects", err);
    const char *at = st == SLUICE_OK && sb_cstr(&r.body) ? strstr(r.body.data, "<Error>") : NULL;
    if (at) {
        const char *k = at, *c = at;
        s3_xml_text(r.body.data, "Key", &key, &k);
        s3_xml_text(r.body.data, "Code", &code, &c);
        st = s->host->error(err, SLUICE_FATAL, "could not delete object \"%s\": %s",
                            key.len ? key.data : "?", code.len ? code.data : "error");
        s->host->error_detail(err, "DeleteObjects at endpoint \"%s\", bucket \"%s\".",
                              s->s3.endpoint, s->s3.bucket);
    }
    sb_free(&r.body);
    sb_free(&key);
    sb_free(&code);
    return st;
}

sluice_status s3_delete_keys(sinks3 *s, const char *keys, sluice_error *err)
{
    sbuf xml = {0};
    sluice_status st = SLUICE_OK;
    uint32_t n = 0;
    for (const char *p = keys; st == SLUICE_OK;) {
        size_t len = strcspn(p, "\n");
        if (len) {
            if (!n)
                sb_puts(&xml, "<Delete><Quiet>true</Quiet>");
            sb_puts(&xml, "<Object><Key>");
            xml_escape(&xml, p, len);
            sb_puts(&xml, "</Key></Object>");
            n++;
        }
        p += len + (p[len] == '\n');
        if (n && (n == 1000 || !*p)) {
            sb_puts(&xml, "</Delete>");
            st = sb_cstr(&xml) ? delete_batch(s, &xml, err) : s3_oom(s, err);
            sb_reset(&xml);
            n = 0;
        }
        if (!*p)
            break;
    }
    sb_free(&xml);
    return st;
}

/* "name=value&..." of the ListObjectsV2 query, sorted by name as SigV4 needs. */
static void list_query(sbuf *q, const char *prefix, const char *token)
{
    if (token) {
        sb_puts(q, "continuation-token=");
        s3_uri_encode(q, token, strlen(token), 0);
        sb_putc(q, '&');
    }
    sb_puts(q, "list-type=2&prefix=");
    s3_uri_encode(q, prefix, strlen(prefix), 0);
}

sluice_status s3_list(sinks3 *s, const char *prefix, s3_key_fn fn, void *arg, sluice_error *err)
{
    sbuf query = {0}, key = {0}, token = {0};
    sluice_status st = SLUICE_OK;
    int more = 1;
    while (st == SLUICE_OK && more) {
        sb_reset(&query);
        list_query(&query, prefix, token.len ? token.data : NULL);
        if (!sb_cstr(&query)) {
            st = s3_oom(s, err);
            break;
        }
        s3_request q = {.method = "GET", .query = query.data};
        s3_response r = {0};
        st = s3_call(&s->s3, &q, &r, 0, "could not list objects", err);
        const char *xml = st == SLUICE_OK ? sb_cstr(&r.body) : NULL;
        if (xml) {
            /* Keys are inside <Contents>; the only other <Key> S3 sends is none. */
            const char *at = xml;
            while (st == SLUICE_OK && s3_xml_text(xml, "Key", &key, &at) == 0)
                st = fn(s, key.data, arg, err);
            more = strstr(xml, "<IsTruncated>true</IsTruncated>") != NULL &&
                   s3_xml_text(xml, "NextContinuationToken", &token, NULL) == 0;
        }
        sb_free(&r.body);
    }
    sb_free(&query);
    sb_free(&key);
    sb_free(&token);
    return st;
}

sluice_status s3_check_bucket(sinks3 *s, sluice_error *err)
{
    /* A one-key listing checks the endpoint, the credentials and the bucket at once. */
    s3_request q = {.method = "GET", .query = "list-type=2&max-keys=1"};
    s3_response r = {0};
    sluice_status st = s3_call(&s->s3, &q, &r, 0, "could not list the bucket", err);
    sb_free(&r.body);
    return st;
}

sluice_status s3_mpu_create(sinks3 *s, const char *key, const char *content_type, char *id,
                            size_t idsize, sluice_error *err)
{
    s3_request q = {.method = "POST", .key = key, .query = "uploads=",
                    .content_type = content_type};
    s3_response r = {0};
    sbuf t = {0};
    sluice_status st = s3_call(&s->s3, &q, &r, 0, "could not start a multipart upload", err);
    if (st == SLUICE_OK) {
        if (!sb_cstr(&r.body) || s3_xml_text(r.body.data, "UploadId", &t, NULL) != 0 ||
            t.len >= idsize) {
            st = s->host->error(err, SLUICE_FATAL, "could not start a multipart upload");
            s->host->error_detail(err, "The answer for object \"%s\" holds no UploadId.", key);
        } else {
            snprintf(id, idsize, "%s", t.data);
        }
    }
    sb_free(&t);
    sb_free(&r.body);
    return st;
}

static void upload_query(sbuf *q, uint32_t part, const char *id)
{
    if (part)
        sb_printf(q, "partNumber=%u&", part);
    sb_puts(q, "uploadId=");
    s3_uri_encode(q, id, strlen(id), 0);
}

sluice_status s3_mpu_part(sinks3 *s, s3_client *c, const char *key, const char *id, uint32_t part,
                          const void *data, size_t len, char *etag, size_t etagsize,
                          sluice_error *err)
{
    sbuf query = {0};
    upload_query(&query, part, id);
    if (!sb_cstr(&query))
        return s3_oom(s, err);
    s3_request q = {.method = "PUT", .key = key, .query = query.data, .body = data,
                    .body_len = len};
    s3_response r = {0};
    sluice_status st = s3_call(c, &q, &r, 0, "could not upload a part", err);
    if (st == SLUICE_OK) {
        snprintf(etag, etagsize, "%s", r.etag);
        s->host->count(s->ctx, "bytes_uploaded", len);
    }
    sb_free(&r.body);
    sb_free(&query);
    return st;
}

sluice_status s3_mpu_complete(sinks3 *s, const char *key, const char *id, const char *etags,
                              sluice_error *err)
{
    sbuf query = {0}, xml = {0};
    upload_query(&query, 0, id);
    sb_puts(&xml, "<CompleteMultipartUpload>");
    uint32_t part = 0;
    for (const char *p = etags; *p;) {
        size_t n = strcspn(p, "\n");
        sb_printf(&xml, "<Part><PartNumber>%u</PartNumber><ETag>%.*s</ETag></Part>", ++part,
                  (int)n, p);
        p += n + (p[n] == '\n');
    }
    sb_puts(&xml, "</CompleteMultipartUpload>");
    if (!sb_cstr(&query) || !sb_cstr(&xml)) {
        sb_free(&query);
        sb_free(&xml);
        return s3_oom(s, err);
    }
    s3_request q = {.method = "POST", .key = key, .query = query.data, .body = xml.data,
                    .body_len = xml.len, .content_type = "application/xml"};
    s3_response r = {0};
    sluice_status st = s3_call(&s->s3, &q, &r, 0, "could not complete a multipart upload", err);
    /* S3 may answer 200 with an <Error> body when completing fails late. */
    if (st == SLUICE_OK && sb_cstr(&r.body) && strstr(r.body.data, "<Error>")) {
        st = s->host->error(err, SLUICE_RETRY, "could not complete a multipart upload");
        s->host->error_detail(err, "Object \"%s\": the server answered with an error.", key);
    }
    sb_free(&r.body);
    sb_free(&query);
    sb_free(&xml);
    return st;
}

sluice_status s3_mpu_abort(sinks3 *s, const char *key, const char *id, sluice_error *err)
{
    sbuf query = {0};
    upload_query(&query, 0, id);
    if (!sb_cstr(&query))
        return s3_oom(s, err);
    s3_request q = {.method = "DELETE", .key = key, .query = query.data};
    s3_response r = {0};
    sluice_status st = s3_call(&s->s3, &q, &r, 404, "could not abort a multipart upload", err);
    sb_free(&r.body);
    sb_free(&query);
    return st;
}

sluice_status s3_mpu_abort_all(sinks3 *s, const char *prefix, uint32_t *n, sluice_error *err)
{
    *n = 0;
    sbuf query = {0}, key = {0}, id = {0};
    sb_puts(&query, "prefix=");
    s3_uri_encode(&query, prefix, strlen(prefix), 0);
    sb_puts(&query, "&uploads=");
    if (!sb_cstr(&query))
        return s3_oom(s, err);
    s3_request q = {.method = "GET", .query = query.data};
    s3_response r = {0};
    sluice_status st = s3_call(&s->s3, &q, &r, 501, "could not list multipart uploads", err);
    if (st == SLUICE_OK && r.status == 501) /* s3rver 3.7.1 cannot list them */
        s->host->log(s->ctx, SLUICE_LOG_INFO, "the server cannot list multipart uploads (HTTP 501): "
                     "unfinished ones from an earlier run are left to the bucket's lifecycle rules");
    const char *xml = st == SLUICE_OK && r.status != 501 ? sb_cstr(&r.body) : NULL;
    for (const char *at = xml; xml && st == SLUICE_OK;) {
        const char *up = strstr(at, "<Upload>");
        if (!up)
            break;
        const char *k = up, *i = up;
        if (s3_xml_text(xml, "Key", &key, &k) != 0 || s3_xml_text(xml, "UploadId", &id, &i) != 0)
            break;
        /* only uploads under the prefix: a server that ignores the prefix is filtered */
        if (strncmp(key.data, prefix, strlen(prefix)) == 0) {
            st = s3_mpu_abort(s, key.data, id.data, err);
            (*n)++;
        }
        at = k > i ? k : i;
    }
    sb_free(&r.body);
    sb_free(&query);
    sb_free(&key);
    sb_free(&id);
    return st;
}
