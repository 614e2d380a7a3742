/* nginx_edge.h - Debian's nginx on loopback as a TLS + HTTP/2 edge in front of the mock, for tests:
 * a non-daemon process with its configuration, pid, logs and temporary files in a directory of its
 * own, on a free port, proxying to the mock over kept-alive HTTP/1.1 connections. Its access log has
 * one line per request: "<connection serial> <protocol> <method> <uri> <status> <r|.> <TLS version>",
 * so a test counts the TLS connections a client opened, sees that every request went over HTTP/2,
 * and which connections resumed a TLS session ("r", $ssl_session_reused). Sessions are resumable as
 * at a production edge: a shared session cache and session tickets. */
#ifndef MODELLIX_TEST_NGINX_EDGE_H
#define MODELLIX_TEST_NGINX_EDGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct nginx_edge {
    pid_t pid;
    char *dir;       /* the edge's directory (removed by nginx_edge_stop) */
    uint16_t port;
    char url[64];    /* "https://127.0.0.1:PORT" */
    char ca_file[512];
} nginx_edge;

typedef struct edge_opts {
    uint16_t upstream_port; /* the mock's */
    int keepalive_requests; /* requests per client connection before nginx sends GOAWAY; 0 = 1000 */
    int body_preread;       /* http2_body_preread_size (bytes; 0 = 65536, nginx's default). Below 65535
                               nginx refuses (RST_STREAM(REFUSED_STREAM), "client sent stream with data
                               before settings were acknowledged") a request with a body that a client
                               sends before it acknowledged nginx's SETTINGS */
    int reset_bad_upstream; /* 1 = when the upstream fails (nginx's 502), reset the client's stream
                               (error_page 502 -> return 444: over HTTP/2, RST_STREAM on that stream
                               only) instead of answering 502 */
    const char *tls_protocols; /* nginx's ssl_protocols, e.g. "TLSv1.2 TLSv1.3"; NULL = nginx's default,
                                  which in Debian 12's nginx 1.22 leaves TLS 1.3 out (TLS 1.2 is
                                  negotiated) */
    int http1_only;            /* 1 = no HTTP/2 (ALPN offers HTTP/1.1 only): each connection ends with
                                  "Connection: close" and a TLS close_notify after keepalive_requests */
    int file_host;             /* 1 = the edge is the file host too: the mock's result URLs in its
                                  answers are rewritten to the edge's (sub_filter), so downloads go
                                  through it over TLS */
} edge_opts;

/* Start nginx (path in $MX_NGINX, the test CA and server certificate in $MX_TEST_CERTS). Returns 0, or
   -1 with the reason printed as a TAP comment. */
int nginx_edge_start(nginx_edge *e, const edge_opts *o);
void nginx_edge_stop(nginx_edge *e);

/* What the access log says so far (nginx writes each line when the request ends). */
typedef struct edge_log {
    size_t requests;
    size_t h2_requests;      /* over HTTP/2.0 */
    size_t connections;      /* distinct connection serials */
    size_t status_5xx;
    size_t status_444;       /* requests nginx ended without an answer (over HTTP/2: RST_STREAM) */
    size_t file_requests;    /* requests for /files/ (downloads) */
    size_t file_h2;          /* of them over HTTP/2 */
    size_t resumed;          /* connections on which nginx logged a resumed TLS session */
    int first_resumed;       /* the first connection (lowest serial) resumed one: 1, else 0 */
    char tls[16];            /* the TLS version of the last request logged ("TLSv1.3") */
    size_t posts, posts_h2;  /* POST requests, and those over HTTP/2 */
    size_t gets, gets_h2;    /* GET requests, and those over HTTP/2 */
    size_t h2_connections;   /* connections that carried a request over HTTP/2 */
} edge_log;

/* How many lines of nginx's error log contain `needle` (0 when there is no log). */
size_t nginx_edge_error_log_count(nginx_edge *e, const char *needle);
int nginx_edge_read_log(nginx_edge *e, edge_log *out);
/* The same once nginx has written a line for each of the `want` requests (it writes a line when a
   request ends, a moment after the answer): reads again every 20 ms for up to 2 s, then gives what it
   has. Returns 0, or -1 when the log cannot be read. */
int nginx_edge_read_log_settled(nginx_edge *e, edge_log *out, int64_t want);

#endif
