/*
 * s3http: one S3 request over libcurl, signed with SigV4 (CURLOPT_AWS_SIGV4),
 * with the payload hash (x-amz-content-sha256) and Content-MD5 computed here,
 * and retries with exponential backoff on 5xx, timeouts and connection errors.
 *
 * libcurl 7.88.1 signs the query string as given and does not send the payload
 * hash itself (PROTOCOL-FACTS.md 4.1), so callers pass queries already sorted,
 * percent-encoded and with "name=" for flags, and s3_call adds the hash.
 */
#ifndef SINK_S3_HTTP_H
#define SINK_S3_HTTP_H

#include <curl/curl.h>

#include "sbuf.h"
#include "sluice/plugin.h"

typedef struct s3_client {
    CURL *curl;
    char *endpoint;   /* scheme://host[:port], no trailing slash */
    char *region;
    char *bucket;
    int path_style;   /* 1: endpoint/bucket/key; 0: bucket.host/key */
    char *userpwd;    /* "ACCESS:SECRET" for libcurl: a secret, never logged */
    char *token_hdr;  /* "x-amz-security-token: ..." or NULL: a secret */
    int max_retries;  /* tries after the first on transient failures */
    long timeout_s, connect_timeout_s;
    long backoff_ms;  /* first backoff; doubles up to backoff_max_ms */
    long backoff_max_ms;
    const char *fixed_date; /* tests: "20150830T123600Z" sent as X-Amz-Date */
    const char *service;    /* "s3" (tests: "service" for the AWS suite) */
    struct curl_slist *connect_to; /* tests: CURLOPT_CONNECT_TO, not owned */
    int no_payload_hash;    /* tests: leave x-amz-content-sha256 out (AWS suite) */
    const sluice_host *host;
    sluice_context *ctx;
    uint64_t retried;       /* requests that needed another try */
} s3_client;

typedef struct s3_request {
    const char *method;   /* GET PUT POST DELETE HEAD */
    const char *key;      /* raw object key (encoded here), NULL: the bucket itself */
    const char *query;    /* sorted, encoded, without '?'; NULL or "" for none */
    const void *body;
    size_t body_len;
    const char *content_type;
    int no_bucket;        /* tests: request the endpoint's own path "key" */
} s3_request;

typedef struct s3_response {
    long status;          /* HTTP status, 0 when no answer */
    sbuf body;
    char etag[128];
    char code[64];        /* S3 error code from the XML body, e.g. "NoSuchBucket" */
    char message[256];
} s3_response;

int s3_client_init(s3_client *c, const sluice_host *host, sluice_context *ctx);
void s3_client_free(s3_client *c);

/* Sends the request, retrying transient failures. SLUICE_OK on 2xx, and on HTTP status
   also_ok when not 0 (404: "not there" is an answer; r->status says which). Otherwise fills err: RETRY after the retries ran out
   on a transient failure, FATAL on a permanent one; `what` says what was being done:
   "could not upload object". Free r->body with sb_free. */
sluice_status s3_call(s3_client *c, const s3_request *q, s3_response *r, long also_ok,
                      const char *what, sluice_error *err);

/* Percent-encodes src as SigV4 wants (unreserved kept; '/' kept when keep_slash). */
void s3_uri_encode(sbuf *out, const char *src, size_t len, int keep_slash);
/* The text of the first <tag>...</tag> after *from in xml (XML entities decoded), or -1. */
int s3_xml_text(const char *xml, const char *tag, sbuf *out, const char **from);

/* hex SHA-256 (65 bytes with NUL) and base64 MD5 (25 bytes with NUL) of data. */
void s3_sha256_hex(const void *data, size_t len, char out[65]);
void s3_md5_base64(const void *data, size_t len, char out[25]);

#endif
