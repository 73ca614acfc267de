/*
 * One S3 request: URL, SigV4 through libcurl, our payload hash and MD5,
 * retries with backoff, and the error's S3 code and message for the caller.
 */
#include "s3http.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int s3_client_init(s3_client *c, const sluice_host *host, sluice_context *ctx)
{
    c->host = host;
    c->ctx = ctx;
    if (!c->service)
        c->service = "s3";
    c->curl = curl_easy_init();
    return c->curl ? 0 : -1;
}

static void wipe_free(char *s)
{
    if (s) { /* secrets: do not leave them in freed memory */
        memset(s, 0, strlen(s));
        free(s);
    }
}

void s3_client_free(s3_client *c)
{
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->endpoint);
    free(c->region);
    free(c->bucket);
    wipe_free(c->userpwd);
    wipe_free(c->token_hdr);
    memset(c, 0, sizeof *c);
}

void s3_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(data ? data : "", len, md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void s3_md5_base64(const void *data, size_t len, char out[25])
{
    unsigned char md[16];
    unsigned int n = 0;
    EVP_Digest(data ? data : "", len, md, &n, EVP_md5(), NULL);
    EVP_EncodeBlock((unsigned char *)out, md, 16);
}

void s3_uri_encode(sbuf *out, const char *src, size_t len, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)src[i];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~' || (keep_slash && ch == '/')) {
            sb_putc(out, (char)ch);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            sb_put(out, e, 3);
        }
    }
}

static void xml_decode(sbuf *out, const char *p, size_t n)
{
    static const struct { const char *ent; char ch; } ents[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    for (size_t i = 0; i < n; i++) {
        int done = 0;
        if (p[i] == '&')
            for (size_t k = 0; k < sizeof ents / sizeof ents[0] && !done; k++) {
                size_t el = strlen(ents[k].ent);
                if (i + el <= n && memcmp(p + i, ents[k].ent, el) == 0) {
                    sb_putc(out, ents[k].ch);
                    i += el - 1;
                    done = 1;
                }
            }
        if (!done)
            sb_putc(out, p[i]);
    }
}

int s3_xml_text(const char *xml, const char *tag, sbuf *out, const char **from)
{
    char open[80], close[80];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *start = strstr(from && *from ? *from : xml, open);
    if (!start)
        return -1;
    start += strlen(open);
    const char *end = strstr(start, close);
    if (!end)
        return -1;
    sb_reset(out);
    xml_decode(out, start, (size_t)(end - start));
    sb_cstr(out);
    if (from)
        *from = end + strlen(close);
    return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    sb_put(arg, p, size * n);
    return ((sbuf *)arg)->failed ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    s3_response *r = arg;
    size_t len = size * n;
    if (len > 5 && strncasecmp(p, "ETag:", 5) == 0) {
        const char *v = p + 5;
        while (*v == ' ')
            v++;
        size_t vl = len - (size_t)(v - p);
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
            vl--;
        snprintf(r->etag, sizeof r->etag, "%.*s", (int)vl, v);
    }
    return len;
}

static int build_url(const s3_client *c, const s3_request *q, sbuf *url)
{
    const char *ep = c->endpoint;
    const char *hostpart = strstr(ep, "://");
    if (q->no_bucket || c->path_style) {
        sb_puts(url, ep);
        if (!q->no_bucket) {
            sb_putc(url, '/');
            sb_puts(url, c->bucket);
        }
    } else { /* virtual host: scheme://bucket.host */
        sb_put(url, ep, (size_t)(hostpart + 3 - ep));
        sb_puts(url, c->bucket);
        sb_putc(url, '.');
        sb_puts(url, hostpart + 3);
    }
    if (q->key) {
        sb_putc(url, '/');
        s3_uri_encode(url, q->key, strlen(q->key), 1);
    } else if (!c->path_style || q->no_bucket) {
        sb_putc(url, '/');
    }
    if (q->query && *q->query) {
        sb_putc(url, '?');
        sb_puts(url, q->query);
    }
    return sb_cstr(url) ? 0 : -1;
}

/* One try. Returns the curl code; the response holds status, body and ETag. */
static CURLcode send_once(s3_client *c, const s3_request *q, const char *url, s3_response *r,
                          char *curl_msg)
{
    CURL *h = c->curl;
    curl_easy_reset(h);
    sb_reset(&r->body);
    r->status = 0;
    r->etag[0] = r->code[0] = r->message[0] = 0;
    curl_msg[0] = 0;

    char sigv4[160], hdr[200];
    snprintf(sigv4, sizeof sigv4, "aws:amz:%s:%s", c->region, c->service);
    struct curl_slist *hl = NULL;
    char hash[65];
    s3_sha256_hex(q->body, q->body_len, hash);
    snprintf(hdr, sizeof hdr, "x-amz-content-sha256: %s", hash);
    if (!c->no_payload_hash)
        hl = curl_slist_append(hl, hdr);
    if (q->body_len) {
        char md5[25];
        s3_md5_base64(q->body, q->body_len, md5);
        snprintf(hdr, sizeof hdr, "Content-MD5: %s", md5);
        hl = curl_slist_append(hl, hdr);
    }
    /* No "Name:" removal lines: libcurl 7.88.1 signs them as empty headers and then
       leaves them out of the request, so the server's signature would differ. */
    const char *type = q->content_type;
    if (!type && q->body_len)
        type = "application/octet-stream"; /* not libcurl's form-urlencoded default */
    if (type) {
        snprintf(hdr, sizeof hdr, "Content-Type: %s", type);
        hl = curl_slist_append(hl, hdr);
    }
    if (c->fixed_date) {
        snprintf(hdr, sizeof hdr, "X-Amz-Date: %s", c->fixed_date);
        hl = curl_slist_append(hl, hdr);
    }
    if (c->token_hdr)
        hl = curl_slist_append(hl, c->token_hdr);

    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4);
    curl_easy_setopt(h, CURLOPT_USERPWD, c->userpwd ? c->userpwd : ":");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_msg);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->connect_timeout_s);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "sluice-sink-s3/1.0");
    if (c->connect_to)
        curl_easy_setopt(h, CURLOPT_CONNECT_TO, c->connect_to);
    if (strcmp(q->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(q->method, "PUT") == 0 || strcmp(q->method, "POST") == 0) {
        /* From memory: libcurl knows the length and sends it whole on each try. */
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body ? q->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
    } else if (strcmp(q->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
    }
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hl);
    if (rc == CURLE_OK && r->status >= 300 && r->body.len) {
        sbuf t = {0};
        if (sb_cstr(&r->body) && s3_xml_text(r->body.data, "Code", &t, NULL) == 0)
            snprintf(r->code, sizeof r->code, "%s", t.data);
        if (sb_cstr(&r->body) && s3_xml_text(r->body.data, "Message", &t, NULL) == 0)
            snprintf(r->message, sizeof r->message, "%s", t.data);
        sb_free(&t);
    }
    if (!sb_cstr(&r->body))
        return CURLE_OUT_OF_MEMORY;
    return rc;
}

static int transient_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

static int transient_status(const s3_response *r)
{
    return (r->status >= 500 && r->status != 501) || r->status == 429 || strcmp(r->code, "SlowDown") == 0 ||
           strcmp(r->code, "RequestTimeout") == 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The hint for a permanent S3 error, by its code. */
static void permanent_error(s3_client *c, const s3_request *q, const s3_response *r,
                            const char *what, sluice_error *err)
{
    const sluice_host *host = c->host;
    const char *code = r->code[0] ? r->code : "";
    if (strcmp(code, "NoSuchBucket") == 0 || (r->status == 404 && !q->key && !q->no_bucket)) {
        host->error(err, SLUICE_FATAL, "bucket \"%s\" does not exist", c->bucket);
        host->error_detail(err, "The endpoint \"%s\" answered HTTP %ld%s%s.", c->endpoint,
                           r->status, code[0] ? " " : "", code);
        host->error_hint(err, "Create the bucket, or correct bucketName in the target section "
                              "of the pipeline.");
        return;
    }
    host->error(err, SLUICE_FATAL, "%s: HTTP %ld%s%s", what, r->status, code[0] ? " " : "",
                code);
    host->error_detail(err, "%s %s%s%s at endpoint \"%s\", bucket \"%s\": %s", q->method,
                       q->key ? "object \"" : "", q->key ? q->key : "", q->key ? "\"" : "",
                       c->endpoint, c->bucket, r->message[0] ? r->message : "no message");
    if (strcmp(code, "InvalidAccessKeyId") == 0 || strcmp(code, "SignatureDoesNotMatch") == 0 ||
        strcmp(code, "InvalidToken") == 0 || strcmp(code, "ExpiredToken") == 0)
        host->error_hint(err, "Check the credentials: access_key_id and secret_access_key in the "
                              "target section, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.");
    else if (r->status == 403)
        host->error_hint(err, "Give these credentials s3:PutObject, s3:GetObject, "
                              "s3:DeleteObject and s3:ListBucket on the bucket.");
    else if (strcmp(code, "PermanentRedirect") == 0 ||
             strcmp(code, "AuthorizationHeaderMalformed") == 0)
        host->error_hint(err, "Set region to the bucket's region.");
}

sluice_status s3_call(s3_client *c, const s3_request *q, s3_response *r, long also_ok,
                      const char *what, sluice_error *err)
{
    const sluice_host *host = c->host;
    sbuf url = {0};
    if (build_url(c, q, &url) != 0) {
        sb_free(&url);
        return host->error(err, SLUICE_FATAL, "out of memory");
    }
    char curl_msg[CURL_ERROR_SIZE];
    long backoff = c->backoff_ms > 0 ? c->backoff_ms : 100;
    sluice_status st = SLUICE_OK;
    for (int attempt = 0;; attempt++) {
        CURLcode rc = send_once(c, q, url.data, r, curl_msg);
        int transient = 0;
        if (rc == CURLE_OUT_OF_MEMORY) {
            st = host->error(err, SLUICE_FATAL, "out of memory");
            break;
        }
        if (rc == CURLE_OK && r->status >= 200 && r->status < 300)
            break;
        if (rc == CURLE_OK && also_ok && r->status == also_ok)
            break;
        transient = rc != CURLE_OK ? transient_curl(rc) : transient_status(r);
        if (transient && attempt < c->max_retries && !host->cancelled(c->ctx)) {
            c->retried++;
            host->count(c->ctx, "retries", 1);
            host->log(c->ctx, SLUICE_LOG_WARNING, "%s %s: %s; retrying in %ld ms (%d of %d)",
                      q->method, q->key ? q->key : c->bucket,
                      rc != CURLE_OK ? (curl_msg[0] ? curl_msg : curl_easy_strerror(rc))
                                     : (r->code[0] ? r->code : "server error"),
                      backoff, attempt + 1, c->max_retries);
            sleep_ms(backoff);
            long max = c->backoff_max_ms > 0 ? c->backoff_max_ms : 5000;
            backoff = backoff * 2 > max ? max : backoff * 2;
            continue;
        }
        if (rc != CURLE_OK) {
            st = host->error(err, transient ? SLUICE_RETRY : SLUICE_FATAL,
                             "could not reach S3 endpoint \"%s\"", c->endpoint);
            host->error_detail(err, "%s for bucket \"%s\" failed after %d tries: %s.", q->method,
                               c->bucket, attempt + 1,
                               curl_msg[0] ? curl_msg : curl_easy_strerror(rc));
            host->error_hint(err, "Check that the endpoint URL is right and the server is up.");
        } else if (transient) {
            st = host->error(err, SLUICE_RETRY, "%s: HTTP %ld%s%s", what, r->status,
                             r->code[0] ? " " : "", r->code);
            host->error_detail(err, "The endpoint \"%s\" still failed after %d tries: %s.",
                               c->endpoint, attempt + 1,
                               r->message[0] ? r->message : "no message");
        } else {
            permanent_error(c, q, r, what, err);
            st = SLUICE_FATAL;
        }
        break;
    }
    sb_free(&url);
    return st;
}
