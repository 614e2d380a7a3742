/* wan.c - submit -> accepted and submit -> result over a slow link: the standalone mock behind
 * bench/latency_proxy (every chunk held `delay_ms` in each direction, so each round trip costs
 * 2 x delay_ms more), for 1, 10 and 100 tasks. HTTP/1.1 (plain: the loopback mock).
 *
 * usage: wan MOCK [delay_ms=50] [duration_ms=0] [repeats=3] [edge=0|1] [tls13=0|1]
 *
 *   MOCK        path of the modellix-mock program (started here, stopped at the end) or the URL of
 *               one already running on loopback with --max-running 0.
 *   duration_ms the mock's task duration (0: tasks are finished when submitted; what is measured
 *               is then the library's own delays: connections, round trips, the first poll).
 *   edge=1      HTTPS and HTTP/2: Debian's nginx (tests/h2/nginx_edge.c; $MX_NGINX, $MX_TEST_CERTS)
 *               between the proxy and the mock, the client trusting the test CA: the link carries
 *               TLS handshakes and HTTP/2 as it would to a real edge.
 *   tls13=1     the edge offers TLS 1.3 too (nginx 1.22's default protocols leave it out: TLS 1.2).
 *
 * One run: a new client (default schedule and retry policy, max_in_flight = N, seed 1) pointed at
 * the proxy, N x modellix_task_submit_async() at t0, then the client is driven with its backend
 * descriptor (loop.h) until every task is done. For each task: when it was first seen accepted and
 * when done (SUCCESS), from t0. Prints the medians and maxima over the tasks (median of `repeats`
 * runs), the TCP connections the proxy forwarded and the requests the mock counted. Only 1.0 calls
 * are used, so the same file builds against 1.0.0 for the "before" column. */
#include "bench_util.h"
#include "latency_proxy.h"
#include "nginx_edge.h"

#include <modellix/loop.h>
#include <modellix/modellix.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLUG "bytedance/seedream-4.5-t2i"
#define BODY "{\"prompt\":\"a red fox in the snow\"}"
#define KEY "bench-key-0123456789abcdef"

typedef struct figures {
    double acc_med, acc_max, res_med, res_max;
    int64_t conns, requests;
    size_t failed;
} figures;

static const char *ca_file; /* edge=1: the test CA */

static int one_run(const char *mock_url, lp_proxy *px, size_t n, figures *out)
{
    char url[64];
    snprintf(url, sizeof url, "%s://127.0.0.1:%u", ca_file ? "https" : "http", (unsigned)lp_port(px));
    modellix_options *o = NULL;
    modellix_client *c = NULL;
    modellix_task **t = calloc(n, sizeof *t);
    double *acc = calloc(n, sizeof *acc), *res = calloc(n, sizeof *res);
    if (!t || !acc || !res || modellix_options_new(&o) != MODELLIX_OK || modellix_options_set_api_key(o, KEY) != MODELLIX_OK ||
        modellix_options_set_base_url(o, url) != MODELLIX_OK ||
        modellix_options_set_max_in_flight(o, (int32_t)n) != MODELLIX_OK ||
        modellix_options_set_random_seed(o, 1) != MODELLIX_OK ||
        (ca_file && modellix_options_set_ca_file(o, ca_file) != MODELLIX_OK) || modellix_client_new(&c, o) != MODELLIX_OK) {
        fprintf(stderr, "wan: cannot set up the client\n");
        modellix_options_free(o);
        free(t);
        free(acc);
        free(res);
        return -1;
    }
    modellix_options_free(o);
    bu_counters before, after;
    int64_t conns0 = lp_connections(px);
    if (bu_mock_counters(mock_url, &before) != 0)
        return -1;
    double t0 = bu_now_s();
    for (size_t i = 0; i < n; i++) {
        if (modellix_task_submit_async(&t[i], c, SLUG, BODY) != MODELLIX_OK) {
            fprintf(stderr, "wan: submit_async: %s\n", modellix_client_errmsg(c));
            return -1;
        }
        acc[i] = res[i] = -1;
    }
    size_t left = n;
    struct pollfd p = {modellix_client_backend_fd(c), POLLIN, 0};
    while (left && bu_now_s() - t0 < 120) {
        int64_t w = modellix_client_backend_timeout(c);
        poll(&p, 1, w < 0 || w > 100 ? 100 : (int)w);
        size_t active;
        if (modellix_client_step(c, &active) != MODELLIX_OK)
            break;
        double now = bu_now_s() - t0;
        left = 0;
        for (size_t i = 0; i < n; i++) {
            if (acc[i] < 0 && modellix_task_submit_state(t[i]) == MODELLIX_SUBMIT_ACCEPTED)
                acc[i] = now;
            if (res[i] < 0 && modellix_task_done(t[i]))
                res[i] = now;
            if (res[i] < 0)
                left++;
        }
    }
    out->failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (modellix_task_status(t[i]) != MODELLIX_TASK_SUCCESS)
            out->failed++;
        if (acc[i] < 0)
            acc[i] = 1e9;
        if (res[i] < 0)
            res[i] = 1e9;
    }
    out->acc_med = bu_median(acc, n);
    out->res_med = bu_median(res, n);
    out->acc_max = out->res_max = 0;
    for (size_t i = 0; i < n; i++) {
        out->acc_max = acc[i] > out->acc_max ? acc[i] : out->acc_max;
        out->res_max = res[i] > out->res_max ? res[i] : out->res_max;
    }
    for (size_t i = 0; i < n; i++)
        modellix_task_free(t[i]);
    modellix_client_free(c);
    out->conns = lp_connections(px) - conns0;
    if (bu_mock_counters(mock_url, &after) == 0)
        out->requests = after.req_any - before.req_any;
    free(t);
    free(acc);
    free(res);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    bu_no_proxy();
    if (argc < 2) {
        fprintf(stderr, "usage: wan MOCK|URL [delay_ms=50] [duration_ms=0] [repeats=3] [edge=0|1] [tls13=0|1]\n");
        return 2;
    }
    long delay = bu_arg_long(argc, argv, 2, "delay_ms", 50);
    long duration = bu_arg_long(argc, argv, 2, "duration_ms", 0);
    long repeats = bu_arg_long(argc, argv, 2, "repeats", 3);
    long use_edge = bu_arg_long(argc, argv, 2, "edge", 0);
    long tls13 = bu_arg_long(argc, argv, 2, "tls13", 0);
    if (repeats < 1 || repeats > 50)
        repeats = 3;
    char dur[32];
    snprintf(dur, sizeof dur, "%ld", duration);
    const char *flags[] = {"--duration-ms", dur, "--max-running", "0", NULL};
    bu_mock m;
    if (modellix_global_init() < 0 || bu_mock_start(&m, argv[1], flags) != 0)
        return 1;
    const char *port = strrchr(m.url, ':');
    nginx_edge edge;
    memset(&edge, 0, sizeof edge);
    uint16_t target = port ? (uint16_t)atoi(port + 1) : 0;
    if (use_edge) {
        edge_opts eo = {.upstream_port = target, .tls_protocols = tls13 ? "TLSv1.2 TLSv1.3" : NULL};
        if (!target || nginx_edge_start(&edge, &eo) != 0) {
            fprintf(stderr, "wan: cannot start nginx (MX_NGINX, MX_TEST_CERTS)\n");
            bu_mock_stop(&m);
            return 1;
        }
        ca_file = edge.ca_file;
        target = edge.port;
    }
    lp_proxy *px = target ? lp_start(target, (int)delay) : NULL;
    if (!px) {
        fprintf(stderr, "wan: cannot start the latency proxy\n");
        if (use_edge)
            nginx_edge_stop(&edge);
        bu_mock_stop(&m);
        return 1;
    }
    printf("# libmodellix %s, %s, +%ld ms each way (RTT +%ld ms), task duration %ld ms, median of %ld runs\n",
           modellix_version_string(), use_edge ? "HTTPS through nginx (HTTP/2 when negotiated)" : "HTTP/1.1", delay,
           2 * delay, duration, repeats);
    printf("# %5s %14s %14s %14s %14s %6s %8s %6s\n", "tasks", "accepted_med", "accepted_max", "result_med",
           "result_max", "conns", "requests", "failed");
    static const size_t sizes[] = {1, 10, 100};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        double am[50], ax[50], rm[50], rx[50];
        figures f = {0};
        long ok = 0;
        for (long r = 0; r < repeats; r++) {
            if (one_run(m.url, px, sizes[s], &f) != 0)
                break;
            am[ok] = f.acc_med;
            ax[ok] = f.acc_max;
            rm[ok] = f.res_med;
            rx[ok] = f.res_max;
            ok++;
        }
        if (!ok)
            continue;
        qsort(am, (size_t)ok, sizeof *am, cmp_double);
        qsort(ax, (size_t)ok, sizeof *ax, cmp_double);
        qsort(rm, (size_t)ok, sizeof *rm, cmp_double);
        qsort(rx, (size_t)ok, sizeof *rx, cmp_double);
        printf("RESULT version=%s edge=%ld tasks=%zu accepted_med_ms=%.0f accepted_max_ms=%.0f result_med_ms=%.0f "
               "result_max_ms=%.0f conns=%lld requests=%lld failed=%zu\n",
               modellix_version_string(), use_edge, sizes[s], am[ok / 2] * 1000, ax[ok / 2] * 1000, rm[ok / 2] * 1000,
               rx[ok / 2] * 1000, (long long)f.conns, (long long)f.requests, f.failed);
        fflush(stdout);
    }
    lp_stop(px);
    if (use_edge) {
        edge_log el = {0};
        if (nginx_edge_read_log(&edge, &el) == 0)
            printf("# nginx saw %zu requests (%zu over HTTP/2, %s) on %zu TLS connections (%zu resumed a session)\n",
                   el.requests, el.h2_requests, el.tls, el.connections, el.resumed);
        nginx_edge_stop(&edge);
    }
    bu_mock_stop(&m);
    modellix_global_cleanup();
    return 0;
}
