/* tls_handshake.c - what a new TLS connection costs over a slow link, with and without the session
 * of an earlier connection (the library's share handle, lib/exchange.c), for TLS 1.2 and 1.3, over
 * HTTP/1.1 and HTTP/2.
 *
 * usage: tls_handshake MOCK [delay_ms=50] [conns=10]
 *
 * The mock (started here; $MX_NGINX, $MX_TEST_CERTS) behind Debian's nginx (tests/h2/nginx_edge.c),
 * which ends every connection after one request (keepalive_requests 1: "Connection: close" over
 * HTTP/1.1, GOAWAY over HTTP/2), behind bench/latency_proxy (delay_ms each way). `conns` requests
 * one after the other, each on an easy handle of its own in one multi handle, as the library makes
 * downloads and as its pool hands out handles that never connected before: "own" leaves each handle
 * libcurl's default session cache of its own (1.0.x; what this libcurl does without a share),
 * "shared" gives them one share handle with CURL_LOCK_DATA_SSL_SESSION (1.1). Per connection:
 * CURLINFO_APPCONNECT_TIME_T - CURLINFO_CONNECT_TIME_T (the TLS handshake) and the request's total
 * time; nginx's $ssl_session_reused says which connections resumed. Raw libcurl, the library's own
 * settings (verification on, the test CA, HTTP/2 when nginx offers it). */
#include "bench_util.h"
#include "latency_proxy.h"
#include "nginx_edge.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CONNS 100

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)ud;
    return size * n;
}

typedef struct row {
    double hs_first_ms, hs_later_ms, total_later_ms; /* medians over the later connections */
    size_t connections, resumed;
    int failed;
} row;

static int measure(const char *url, const char *ca, CURLSH *share, long conns, row *out)
{
    double hs[MAX_CONNS], total[MAX_CONNS];
    CURLM *m = curl_multi_init();
    if (!m)
        return -1;
    out->failed = 0;
    for (long i = 0; i < conns; i++) {
        CURL *e = curl_easy_init();
        if (!e)
            return -1;
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_CAINFO, ca);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
        if (share)
            curl_easy_setopt(e, CURLOPT_SHARE, share);
        curl_multi_add_handle(m, e);
        int running = 1;
        while (running) {
            curl_multi_perform(m, &running);
            if (running)
                curl_multi_poll(m, NULL, 0, 100, NULL);
        }
        CURLMsg *msg;
        int q;
        while ((msg = curl_multi_info_read(m, &q)))
            if (msg->msg == CURLMSG_DONE && msg->data.result != CURLE_OK)
                out->failed++;
        curl_off_t conn_us = 0, app_us = 0, tot_us = 0;
        curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &conn_us);
        curl_easy_getinfo(e, CURLINFO_APPCONNECT_TIME_T, &app_us);
        curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &tot_us);
        hs[i] = (double)(app_us - conn_us) / 1000.0;
        total[i] = (double)tot_us / 1000.0;
        curl_multi_remove_handle(m, e);
        curl_easy_cleanup(e);
    }
    curl_multi_cleanup(m);
    out->hs_first_ms = hs[0];
    out->hs_later_ms = bu_median(hs + 1, (size_t)conns - 1);
    out->total_later_ms = bu_median(total + 1, (size_t)conns - 1);
    return 0;
}

int main(int argc, char **argv)
{
    bu_no_proxy();
    signal(SIGPIPE, SIG_IGN); /* the latency proxy write()s to connections their peer may have closed */
    if (argc < 2) {
        fprintf(stderr, "usage: tls_handshake MOCK [delay_ms=50] [conns=10]\n");
        return 2;
    }
    long delay = bu_arg_long(argc, argv, 2, "delay_ms", 50);
    long conns = bu_arg_long(argc, argv, 2, "conns", 10);
    if (conns < 2 || conns > MAX_CONNS)
        conns = 10;
    const char *flags[] = {"--max-running", "0", NULL};
    bu_mock mock;
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK || bu_mock_start(&mock, argv[1], flags) != 0)
        return 1;
    const char *port = strrchr(mock.url, ':');
    uint16_t upstream = port ? (uint16_t)atoi(port + 1) : 0;
    printf("# %s, +%ld ms each way (RTT +%ld ms), %ld connections one after the other, medians over all "
           "but the first\n",
           curl_version(), delay, 2 * delay, conns);
    printf("# %-7s %-8s %-6s %6s %8s %13s %13s %14s\n", "tls", "http", "cache", "conns", "resumed", "first_hs_ms",
           "later_hs_ms", "later_total_ms");
    static const char *const tls[] = {"TLSv1.2", "TLSv1.3"};
    int rc = 0;
    for (size_t t = 0; t < 2 && rc == 0; t++)
        for (int h1 = 1; h1 >= 0 && rc == 0; h1--)
            for (int shared = 0; shared <= 1 && rc == 0; shared++) {
                nginx_edge edge;
                edge_opts eo = {.upstream_port = upstream, .keepalive_requests = 1, .tls_protocols = tls[t],
                                .http1_only = h1};
                if (!upstream || nginx_edge_start(&edge, &eo) != 0) {
                    fprintf(stderr, "tls_handshake: cannot start nginx (MX_NGINX, MX_TEST_CERTS)\n");
                    rc = 1;
                    break;
                }
                lp_proxy *px = lp_start(edge.port, (int)delay);
                CURLSH *sh = shared ? curl_share_init() : NULL;
                if (sh)
                    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
                char url[96];
                snprintf(url, sizeof url, "https://127.0.0.1:%u/api/v1/models", px ? (unsigned)lp_port(px) : 0);
                row r = {0};
                edge_log l = {0};
                int ok = px && (!shared || sh) && measure(url, edge.ca_file, sh, conns, &r) == 0;
                /* nginx writes a request's line when it ends: allow it a moment */
                for (int i = 0; ok && i < 100; i++) {
                    ok = nginx_edge_read_log(&edge, &l) == 0;
                    if (l.requests >= (size_t)conns)
                        break;
                    struct timespec ts = {0, 20000000L};
                    nanosleep(&ts, NULL);
                }
                if (!ok) {
                    fprintf(stderr, "tls_handshake: measurement failed\n");
                    rc = 1;
                } else {
                    printf("RESULT tls=%s http=%s cache=%s conns=%zu resumed=%zu first_hs_ms=%.1f later_hs_ms=%.1f "
                           "later_total_ms=%.1f failed=%d\n",
                           l.tls, h1 ? "1.1" : "2", shared ? "shared" : "own", l.connections, l.resumed,
                           r.hs_first_ms, r.hs_later_ms, r.total_later_ms, r.failed);
                    fflush(stdout);
                }
                if (sh)
                    curl_share_cleanup(sh);
                if (px)
                    lp_stop(px);
                nginx_edge_stop(&edge);
            }
    bu_mock_stop(&mock);
    curl_global_cleanup();
    return rc;
}
