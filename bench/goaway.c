/* goaway.c - what an edge's HTTP/2 GOAWAY costs a batch of paid submissions, with and without
 * modellix_options_set_api_http1 (API requests over HTTP/1.1): N tasks through Debian's nginx
 * (tests/h2/nginx_edge.c; TLS, HTTP/2 by ALPN) in front of the standalone mock, nginx ending each
 * client connection after `keepalive` requests (keepalive_requests; nginx's default is 1000): with
 * GOAWAY over HTTP/2, with "Connection: close" in the last answer over HTTP/1.1.
 *
 * usage: goaway MOCK [n=2000] [keepalive=1000] [inflight=0] [poll_ms=10] [h1=2] [repeats=1]
 *
 *   MOCK      path of the modellix-mock program (started here with --duration-ms 0 --max-running 0,
 *             stopped at the end) or the URL of one already running so on loopback.
 *   inflight  modellix_options_set_max_in_flight (0: the library's default, 3).
 *   poll_ms   the poll schedule's delay (every poll), so that a run is short.
 *   h1        0: the default (HTTP/2), 1: modellix_options_set_api_http1, 2: both, in turn.
 *
 * One run: a new edge (its access log holds that run only), a new client (continue_on_unknown = 1,
 * so the batch goes on after an unknown outcome), N x modellix_task_submit_async(), one
 * modellix_client_wait_all(). Prints per run: accepted, unknown, other; what the mock created and
 * how many submit requests it received (equal unless one reached it twice); "excess" (created
 * beyond accepted + unknown: a submission charged twice or an id lost, must be 0); "unknown_free"
 * (unknown submissions the server never took: the certainty GOAWAY costs); the TLS connections and
 * the requests by method and protocol from the edge's log; the wall time. Always exits 0 once the
 * mock and nginx could be started (bench/README.md). */
#include "bench_util.h"
#include "nginx_edge.h"

#include <modellix/modellix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLUG "bytedance/seedream-4.5-t2i"
#define BODY "{\"prompt\":\"a red fox in the snow\"}"
#define KEY "bench-key-0123456789abcdef"

static int64_t poll_delay_ms = 10;

static int64_t fixed_polls(int64_t age_ms, int32_t polls, void *ud)
{
    (void)age_ms, (void)polls, (void)ud;
    return poll_delay_ms;
}

static modellix_client *new_client(const nginx_edge *e, long inflight, int h1)
{
    modellix_options *o = NULL;
    modellix_client *c = NULL;
    int ok = modellix_options_new(&o) == MODELLIX_OK && modellix_options_set_api_key(o, KEY) == MODELLIX_OK &&
             modellix_options_set_base_url(o, e->url) == MODELLIX_OK &&
             modellix_options_set_ca_file(o, e->ca_file) == MODELLIX_OK &&
             (inflight <= 0 || modellix_options_set_max_in_flight(o, (int32_t)inflight) == MODELLIX_OK) &&
             modellix_options_set_continue_on_unknown(o, 1) == MODELLIX_OK &&
             modellix_options_set_api_http1(o, h1) == MODELLIX_OK &&
             modellix_options_set_poll_schedule(o, fixed_polls, NULL, NULL) == MODELLIX_OK &&
             modellix_client_new(&c, o) == MODELLIX_OK;
    modellix_options_free(o);
    if (!ok)
        fprintf(stderr, "goaway: cannot set up the client\n");
    return ok ? c : NULL;
}

static void one_run(const bu_mock *m, uint16_t mock_port, long n, long keepalive, long inflight, int h1)
{
    nginx_edge e;
    memset(&e, 0, sizeof e);
    edge_opts eo = {.upstream_port = mock_port, .keepalive_requests = (int)keepalive};
    if (nginx_edge_start(&e, &eo) != 0) {
        fprintf(stderr, "goaway: cannot start nginx (MX_NGINX, MX_TEST_CERTS)\n");
        return;
    }
    modellix_client *c = new_client(&e, inflight, h1);
    modellix_task **t = calloc((size_t)n, sizeof *t);
    bu_counters before = {0}, after = {0};
    if (!c || !t || bu_mock_counters(m->url, &before) != 0) {
        modellix_client_free(c);
        free(t);
        nginx_edge_stop(&e);
        return;
    }
    double t0 = bu_now_s();
    long made = 0;
    while (made < n && modellix_task_submit_async(&t[made], c, SLUG, BODY) == MODELLIX_OK)
        made++;
    int rc = modellix_client_wait_all(c, t, (size_t)made, 1800000);
    double wall = bu_now_s() - t0;
    long accepted = 0, unknown = 0, other = 0;
    for (long i = 0; i < made; i++) {
        if (modellix_task_id(t[i]))
            accepted++;
        else if (modellix_task_errcode(t[i]) == MODELLIX_EOUTCOME_UNKNOWN)
            unknown++;
        else
            other++;
        modellix_task_free(t[i]);
    }
    modellix_client_free(c); /* closes the connections: nginx has logged every request by then */
    free(t);
    bu_mock_counters(m->url, &after);
    int64_t created = after.tasks_created - before.tasks_created;
    int64_t submits = after.req_submit - before.req_submit;
    int64_t excess = created - (accepted + unknown);
    int64_t unknown_free = accepted + unknown - created;
    edge_log l = {0};
    for (int tries = 0; tries < 100; tries++) { /* nginx writes a line as each request ends */
        if (nginx_edge_read_log(&e, &l) != 0 || (int64_t)l.requests >= after.req_any - before.req_any)
            break;
        struct timespec ts = {0, 20000000L};
        nanosleep(&ts, NULL);
    }
    printf("RESULT version=%s api_http1=%d tasks=%ld keepalive=%ld inflight=%ld wait_all=%d accepted=%ld "
           "unknown=%ld other=%ld created=%lld submit_requests=%lld excess=%lld unknown_free=%lld "
           "unknown_per_1000=%.1f tls_connections=%zu h2_connections=%zu resumed=%zu posts=%zu posts_h2=%zu gets=%zu "
           "gets_h2=%zu wall_s=%.2f\n",
           modellix_version_string(), h1, made, keepalive, inflight, rc, accepted, unknown, other, (long long)created,
           (long long)submits, (long long)(excess > 0 ? excess : 0), (long long)(unknown_free > 0 ? unknown_free : 0),
           made ? 1000.0 * (double)unknown / (double)made : 0.0, l.connections, l.h2_connections, l.resumed, l.posts,
           l.posts_h2, l.gets, l.gets_h2, wall);
    fflush(stdout);
    nginx_edge_stop(&e);
}

int main(int argc, char **argv)
{
    bu_no_proxy();
    if (argc < 2) {
        fprintf(stderr, "usage: goaway MOCK|URL [n=2000] [keepalive=1000] [inflight=0] [poll_ms=10] [h1=2] "
                        "[repeats=1]\n");
        return 2;
    }
    long n = bu_arg_long(argc, argv, 2, "n", 2000);
    long keepalive = bu_arg_long(argc, argv, 2, "keepalive", 1000);
    long inflight = bu_arg_long(argc, argv, 2, "inflight", 0);
    long h1 = bu_arg_long(argc, argv, 2, "h1", 2);
    long repeats = bu_arg_long(argc, argv, 2, "repeats", 1);
    poll_delay_ms = bu_arg_long(argc, argv, 2, "poll_ms", 10);
    if (n < 1 || n > 100000)
        n = 2000;
    if (keepalive < 1)
        keepalive = 1000;
    if (repeats < 1 || repeats > 50)
        repeats = 1;
    const char *flags[] = {"--duration-ms", "0", "--max-running", "0", NULL};
    bu_mock m;
    if (modellix_global_init() < 0 || bu_mock_start(&m, argv[1], flags) != 0)
        return 1;
    const char *port = strrchr(m.url, ':');
    uint16_t mock_port = port ? (uint16_t)atoi(port + 1) : 0;
    printf("# libmodellix %s: %ld tasks through nginx (HTTPS, HTTP/2 by ALPN), GOAWAY after %ld requests per "
           "connection, max_in_flight %ld (0: the default), polls every %lld ms, %ld run(s) per mode\n",
           modellix_version_string(), n, keepalive, inflight, (long long)poll_delay_ms, repeats);
    for (long r = 0; r < repeats && mock_port; r++)
        for (int mode = 0; mode <= 1; mode++)
            if (h1 == 2 || h1 == mode)
                one_run(&m, mock_port, n, keepalive, inflight, mode);
    bu_mock_stop(&m);
    modellix_global_cleanup();
    return 0;
}
