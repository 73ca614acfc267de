/*
 * The /metrics endpoint on libmicrohttpd (DESIGN.md, Dependencies): its own
 * thread, a few connections at a time, each bounded in memory and time. We bind
 * the socket ourselves, for errors that say which address and why.
 */
#include "metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "metrics_text.h"
#include "report.h"

#define REQUEST_MAX 8192    /* request line and headers; a scrape sends a few hundred */
#define CONNECTION_S 5      /* an idle connection is dropped after this */
#define CONNECTIONS 4       /* at a time */

struct metrics_server {
    stats *stats;
    int listen_fd;          /* MHD closes it when it stops */
    struct MHD_Daemon *daemon;
    char address[300];
};

/* ---- the address ---- */

/* Splits "host:port" or "[v6]:port" into its parts; 0 or -1 with err filled. */
static int split_address(const char *addr, char *host, size_t hsize, char *port, size_t psize,
                         sluice_error *err)
{
    const char *colon, *h = addr;
    size_t hlen;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        colon = close && close[1] == ':' ? close + 1 : NULL;
        h = addr + 1;
        hlen = close ? (size_t)(close - h) : 0;
    } else {
        colon = strrchr(addr, ':');
        hlen = colon ? (size_t)(colon - addr) : 0;
    }
    const char *p = colon ? colon + 1 : "";
    int port_ok = p[0] && strlen(p) <= 5 && strspn(p, "0123456789") == strlen(p) &&
                  atoi(p) <= 65535;
    if (!colon || hlen == 0 || hlen >= hsize || !port_ok || strlen(p) >= psize) {
        error_set(err, SLUICE_FATAL, "invalid metrics address: \"%s\"", addr);
        error_detail(err, "The address must be HOST:PORT, with a port from 0 to 65535.");
        error_hint(err, "For example --metrics-listen 127.0.0.1:9187, or [::1]:9187 for IPv6.");
        return -1;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    snprintf(port, psize, "%s", p);
    return 0;
}

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return 0;
}

/* Binds and listens on the first address the host resolves to. */
static int bind_address(metrics_server *m, const char *addr, sluice_error *err)
{
    char host[256], port[8];
    if (split_address(addr, host, sizeof host, port, sizeof port, err) != 0)
        return -1;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        error_set(err, SLUICE_FATAL, "could not resolve metrics address \"%s\": %s", addr,
                  gai_strerror(gai));
        error_hint(err, "Give an IP address or a resolvable host name, e.g. 127.0.0.1:9187.");
        return -1;
    }
    int fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    res->ai_protocol);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 8) != 0) {
        int e = errno;
        error_set(err, SLUICE_FATAL, "could not listen for metrics on \"%s\": %s", addr,
                  strerror(e));
        if (e == EADDRINUSE)
            error_detail(err, "Another process (or another sluice run) uses that port.");
        error_hint(err, e == EADDRNOTAVAIL
                            ? "Give an address of this machine, e.g. 127.0.0.1:9187."
                            : "Choose another port with --metrics-listen or setting "
                              "MetricsListen, or stop what uses it.");
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned bound_port = 0;
    if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0) {
        const void *a = bound.ss_family == AF_INET6
                            ? (const void *)&((struct sockaddr_in6 *)&bound)->sin6_addr
                            : (const void *)&((struct sockaddr_in *)&bound)->sin_addr;
        inet_ntop(bound.ss_family, a, ip, sizeof ip);
        bound_port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                       : ((struct sockaddr_in *)&bound)->sin_port);
    }
    snprintf(m->address, sizeof m->address, bound.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
             ip, bound_port);
    if (!is_loopback(res->ai_addr))
        report_log(SLUICE_LOG_WARNING, "the metrics endpoint %s is reachable from other "
                   "machines and has no authentication", m->address);
    freeaddrinfo(res);
    m->listen_fd = fd;
    return 0;
}

/* ---- one request ---- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             const char *allow, char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req)
{
    (void)version, (void)upload, (void)upload_size, (void)req;
    metrics_server *m = cls;
    static const char plain[] = "text/plain; charset=utf-8";
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, plain, "GET, HEAD",
                     (char *)"only GET is served\n", 19, MHD_RESPMEM_PERSISTENT);
    if (strcmp(url, "/metrics") != 0) /* MHD hands the path without the query */
        return reply(c, MHD_HTTP_NOT_FOUND, plain, NULL,
                     (char *)"not found: the metrics are at /metrics\n", 40,
                     MHD_RESPMEM_PERSISTENT);
    size_t len = 0;
    char *body = metrics_text(m->stats, &len);
    if (!body)
        return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, plain, NULL, (char *)"out of memory\n",
                     14, MHD_RESPMEM_PERSISTENT);
    return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", NULL, body, len,
                 MHD_RESPMEM_MUST_FREE);
}

/* ---- start and stop ---- */

metrics_server *metrics_server_start(const char *addr, stats *s, sluice_error *err)
{
    metrics_server *m = calloc(1, sizeof *m);
    if (!m)
        return error_set(err, SLUICE_FATAL, "out of memory"), NULL;
    m->stats = s;
    m->listen_fd = -1;
    if (bind_address(m, addr, err) != 0) {
        free(m);
        return NULL;
    }
    m->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL, answer, m,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)m->listen_fd, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)REQUEST_MAX, MHD_OPTION_END);
    if (!m->daemon) {
        error_set(err, SLUICE_FATAL, "could not start the metrics server on %s", m->address);
        error_hint(err, "Run without --metrics-listen, or report this with the log.");
        close(m->listen_fd);
        free(m);
        return NULL;
    }
    report_log(SLUICE_LOG_INFO, "serving metrics at http://%s/metrics", m->address);
    return m;
}

const char *metrics_server_address(const metrics_server *m) { return m->address; }

void metrics_server_stop(metrics_server *m)
{
    if (!m)
        return;
    MHD_stop_daemon(m->daemon); /* joins its thread, closes its connections and socket */
    free(m);
}
