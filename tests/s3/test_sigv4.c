/*
 * s3_sigv4_vectors: the requests sink-s3 sends, signed by libcurl's SigV4, as a
 * local listener receives them.
 *  1. AWS's published SigV4 test suite (get-vanilla, get-vanilla-query-order-key-case,
 *     post-vanilla, post-vanilla-query): the Authorization header must be AWS's, byte
 *     for byte. These requests leave our x-amz-content-sha256 out, as the suite does.
 *  2. S3 requests the sink really makes (PutObject with an awkward key, ListObjectsV2,
 *     CreateMultipartUpload, UploadPart): each is written to the file given as argv[1]
 *     (one JSON object per line) for botocore_verify.py, which recomputes the signature
 *     with python3-botocore's S3SigV4Auth (test s3_sigv4_botocore).
 */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "s3http.h"
#include "testhost.h"
#include "unit.h"

typedef struct listener {
    int fd, port;
    char request[65536]; /* the last request received, headers and body */
    size_t len;
    pthread_t thread;
    int stop;
} listener;

static size_t header_end(const char *p, size_t n)
{
    for (size_t i = 0; i + 3 < n; i++)
        if (memcmp(p + i, "\r\n\r\n", 4) == 0)
            return i + 4;
    return 0;
}

/* Serves one request per connection: reads it whole, answers 200 with no body. */
static void *serve(void *arg)
{
    listener *l = arg;
    while (!l->stop) {
        int c = accept(l->fd, NULL, NULL);
        if (c < 0)
            break;
        size_t n = 0, hend = 0, want = 0;
        for (;;) {
            ssize_t r = read(c, l->request + n, sizeof l->request - 1 - n);
            if (r <= 0)
                break;
            n += (size_t)r;
            l->request[n] = 0;
            if (!hend && (hend = header_end(l->request, n))) {
                const char *cl = strcasestr(l->request, "\r\nContent-Length:");
                want = hend + (cl && cl < l->request + hend ? strtoul(cl + 17, NULL, 10) : 0);
            }
            if (hend && n >= want)
                break;
        }
        l->len = n;
        const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        if (write(c, ok, sizeof ok - 1) < 0)
            perror("write");
        close(c);
    }
    return NULL;
}

static int listener_start(listener *l)
{
    memset(l, 0, sizeof *l);
    l->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(l->fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(l->fd, 8) != 0 ||
        getsockname(l->fd, (struct sockaddr *)&a, &al) != 0)
        return -1;
    l->port = ntohs(a.sin_port);
    return pthread_create(&l->thread, NULL, serve, l);
}

/* The value of header `name` in the captured request, into buf. */
static const char *header(const listener *l, const char *name, char *buf, size_t size)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\r\n%s:", name);
    const char *p = strcasestr(l->request, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    size_t n = strcspn(p, "\r");
    snprintf(buf, size, "%.*s", (int)n, p);
    return buf;
}

static void json_string(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

/* Writes the captured request: {"name", "line", "headers": [[k, v]...], "body_hex"}. */
static void dump(FILE *f, const char *name, const listener *l)
{
    size_t hend = header_end(l->request, l->len);
    const char *line_end = strstr(l->request, "\r\n");
    fprintf(f, "{\"name\": ");
    json_string(f, name, strlen(name));
    fprintf(f, ", \"line\": ");
    json_string(f, l->request, (size_t)(line_end - l->request));
    fprintf(f, ", \"headers\": [");
    const char *p = line_end + 2;
    int first = 1;
    while (p < l->request + hend - 2) {
        const char *e = strstr(p, "\r\n");
        const char *colon = memchr(p, ':', (size_t)(e - p));
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        fprintf(f, "%s[", first ? "" : ", ");
        json_string(f, p, (size_t)(colon - p));
        fprintf(f, ", ");
        json_string(f, v, (size_t)(e - v));
        fprintf(f, "]");
        first = 0;
        p = e + 2;
    }
    fprintf(f, "], \"body_hex\": \"");
    for (size_t i = hend; i < l->len; i++)
        fprintf(f, "%02x", (unsigned char)l->request[i]);
    fprintf(f, "\"}\n");
}

static const char suite_prefix[] =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=";

static void suite_case(s3_client *c, listener *l, const char *name, const char *method,
                       const char *query, const char *signature)
{
    s3_response r = {0};
    sluice_error err;
    th_error_init(&err);
    s3_request q = {.method = method, .query = query, .no_bucket = 1};
    sluice_status st = s3_call(c, &q, &r, 0, name, &err);
    CHECK(st == SLUICE_OK);
    char auth[512], want[512];
    snprintf(want, sizeof want, "%s%s", suite_prefix, signature);
    CHECK_STR(header(l, "Authorization", auth, sizeof auth), want);
    printf("%s: %s\n", name, strcmp(auth, want) == 0 ? "matches AWS's signature" : "MISMATCH");
    sb_free(&r.body);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_sigv4 CAPTURE.jsonl\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    listener l;
    if (listener_start(&l) != 0) {
        perror("listener");
        return 1;
    }
    sluice_context *ctx = th_context_new("sink-s3");
    char connect_to[128];
    snprintf(connect_to, sizeof connect_to, "::127.0.0.1:%d", l.port);
    struct curl_slist *ct = curl_slist_append(NULL, connect_to);

    /* 1. The AWS SigV4 test suite: host example.amazonaws.com, service "service". */
    s3_client c = {0};
    c.service = "service";
    s3_client_init(&c, th_host(), ctx);
    c.endpoint = strdup("http://example.amazonaws.com");
    c.region = strdup("us-east-1");
    c.bucket = strdup("unused");
    c.userpwd = strdup("AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    c.fixed_date = "20150830T123600Z";
    c.connect_to = ct;
    c.no_payload_hash = 1;
    c.timeout_s = 10;
    c.connect_timeout_s = 5;
    suite_case(&c, &l, "get-vanilla", "GET", NULL,
               "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    suite_case(&c, &l, "get-vanilla-query-order-key-case", "GET", "Param1=value1&Param2=value2",
               "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    suite_case(&c, &l, "post-vanilla", "POST", NULL,
               "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
    suite_case(&c, &l, "post-vanilla-query", "POST", "Param1=value1",
               "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11");
    s3_client_free(&c);

    /* 2. Requests as the sink makes them, for botocore: region eu-west-1, service s3,
       path-style and virtual-host, real clock. */
    FILE *out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    for (int path_style = 1; path_style >= 0; path_style--) {
        s3_client s = {0};
        s3_client_init(&s, th_host(), ctx);
        s.endpoint = strdup("http://s3.eu-west-1.amazonaws.com");
        s.region = strdup("eu-west-1");
        s.bucket = strdup("sluice-bkt");
        s.path_style = path_style;
        s.userpwd = strdup("AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        s.connect_to = ct;
        s.timeout_s = 10;
        s.connect_timeout_s = 5;
        static const char body[] = "I,1,\"a,b\",\n";
        struct {
            const char *name;
            s3_request q;
        } cases[] = {
            {"put-object", {.method = "PUT", .key = "sluice/dir/a b+c=d\xc3\xa9.csv", .body = body,
                            .body_len = sizeof body - 1, .content_type = "text/csv"}},
            {"list-objects", {.method = "GET", .query = "list-type=2&max-keys=1000&prefix=sluice%2Fdir%2F"}},
            {"create-multipart", {.method = "POST", .key = "sluice/big.csv", .query = "uploads=",
                                  .content_type = "text/csv"}},
            {"upload-part", {.method = "PUT", .key = "sluice/big.csv",
                             .query = "partNumber=1&uploadId=abc%2Bdef", .body = body,
                             .body_len = sizeof body - 1}},
            {"head-bucket", {.method = "HEAD"}},
            {"delete-object", {.method = "DELETE", .key = "sluice/_sluice/x.json"}},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            s3_response r = {0};
            sluice_error err;
            th_error_init(&err);
            CHECK(s3_call(&s, &cases[i].q, &r, 0, cases[i].name, &err) == SLUICE_OK);
            char auth[512], hash[128], want[65];
            CHECK(header(&l, "Authorization", auth, sizeof auth) != NULL);
            CHECK(strstr(auth, "x-amz-content-sha256") != NULL);
            s3_sha256_hex(cases[i].q.body, cases[i].q.body_len, want);
            CHECK_STR(header(&l, "x-amz-content-sha256", hash, sizeof hash), want);
            char name[64];
            snprintf(name, sizeof name, "%s-%s", cases[i].name, path_style ? "path" : "vhost");
            dump(out, name, &l);
            sb_free(&r.body);
        }
        s3_client_free(&s);
    }
    fclose(out);
    l.stop = 1;
    shutdown(l.fd, SHUT_RDWR);
    close(l.fd);
    pthread_join(l.thread, NULL);
    curl_slist_free_all(ct);
    th_context_free(ctx);
    curl_global_cleanup();
    return unit_done();
}
