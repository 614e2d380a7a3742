/* throughput.c - "many tasks" exchange throughput of libmodellix against a standalone mock.
 *
 * usage: throughput MOCK|URL [N] [n=N] [inflight=256] [poll_ms=1] [repeats=1] [limit_s=600]
 *
 *   MOCK      path of the modellix-mock program: started here as
 *             `modellix-mock --port 0 --duration-ms 0 --max-running 0` (tasks finish at once, no
 *             team limit), its first stdout line is the base URL, and it is stopped by its PID at
 *             the end. Or URL: an already running loopback mock started with those flags.
 *   N         tasks per run (default 1000).
 *   inflight  modellix_options_set_max_in_flight (default 256; the option allows up to 10000).
 *   poll_ms   what the custom poll schedule returns for every poll (default 1 ms; libmodellix clamps
 *             schedule values to at least 10 ms, so the effective delay is max(poll_ms, 10)).
 *   repeats   runs, each with a new client against the same mock; the median is reported.
 *   limit_s   wall-clock limit of one run (the wait_all timeout).
 *
 * One run: modellix_task_submit_async() for all N tasks (POST /api/v1/bytedance/seedream-4.5-t2i),
 * then modellix_client_wait_all(). Exchanges are HTTP requests as counted by the mock
 * (GET /_mock/counters before and after: requests on the submit and task routes). Prints exchanges
 * per second, tasks per second, wall time, client CPU time per exchange, and how many tasks did not
 * end SUCCESS. One "RESULT" line per run and one "MEDIAN" line (key=value pairs). Always exits 0. */
#include "bench_util.h"

#include <modellix/loop.h>
#include <modellix/modellix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLUG "bytedance/seedream-4.5-t2i"
#define BODY "{\"prompt\":\"a red fox in the snow\"}"
#define KEY "bench-key-0123456789abcdef"

static int64_t poll_constant(int64_t age_ms, int32_t polls, void *ud)
{
    (void)age_ms;
    (void)polls;
    return *(const int64_t *)ud;
}

typedef struct run_result {
    double wall_s, cpu_s;
    int64_t exchanges, submits, polls, connections;
    size_t not_success;
    int rc;
} run_result;

static int one_run(const char *url, size_t n, int32_t inflight, int64_t *poll_ms, long limit_s, run_result *res)
{
    memset(res, 0, sizeof *res);
    modellix_options *o = NULL;
    modellix_client *c = NULL;
    modellix_task **tasks = calloc(n, sizeof *tasks);
    if (!tasks || modellix_options_new(&o) != MODELLIX_OK || modellix_options_set_api_key(o, KEY) != MODELLIX_OK ||
        modellix_options_set_base_url(o, url) != MODELLIX_OK ||
        modellix_options_set_max_in_flight(o, inflight) != MODELLIX_OK ||
        modellix_options_set_poll_schedule(o, poll_constant, poll_ms, NULL) != MODELLIX_OK ||
        modellix_options_set_random_seed(o, 1) != MODELLIX_OK || modellix_client_new(&c, o) != MODELLIX_OK) {
        fprintf(stderr, "throughput: cannot set up the client\n");
        modellix_options_free(o);
        free(tasks);
        return -1;
    }
    modellix_options_free(o);

    bu_counters before, after;
    if (bu_mock_counters(url, &before) != 0) {
        modellix_client_free(c);
        free(tasks);
        return -1;
    }
    double t0 = bu_now_s(), c0 = bu_cpu_s();
    size_t queued = 0;
    for (; queued < n; queued++) {
        if (modellix_task_submit_async(&tasks[queued], c, SLUG, BODY) != MODELLIX_OK) {
            fprintf(stderr, "throughput: submit_async: %s\n", modellix_client_errmsg(c));
            break;
        }
    }
    res->rc = modellix_client_wait_all(c, tasks, queued, (int64_t)limit_s * 1000);
    double t1 = bu_now_s(), c1 = bu_cpu_s();
    if (bu_mock_counters(url, &after) != 0)
        memset(&after, 0, sizeof after);

    for (size_t i = 0; i < n; i++)
        if (!tasks[i] || modellix_task_status(tasks[i]) != MODELLIX_TASK_SUCCESS)
            res->not_success++;
    if (res->not_success) {
        for (size_t i = 0; i < queued; i++)
            if (modellix_task_status(tasks[i]) != MODELLIX_TASK_SUCCESS) {
                fprintf(stderr, "throughput: e.g. task %zu: status %d, submit state %d: %s\n", i,
                        (int)modellix_task_status(tasks[i]), (int)modellix_task_submit_state(tasks[i]),
                        modellix_task_errmsg(tasks[i]));
                break;
            }
    }
    for (size_t i = 0; i < queued; i++)
        modellix_task_free(tasks[i]);
    modellix_client_free(c);
    free(tasks);

    res->wall_s = t1 - t0;
    res->cpu_s = c1 - c0;
    res->submits = after.req_submit - before.req_submit;
    res->polls = after.req_task - before.req_task;
    res->exchanges = res->submits + res->polls;
    res->connections = after.connections - before.connections;
    return 0;
}

int main(int argc, char **argv)
{
    bu_no_proxy();
    if (argc < 2) {
        fprintf(stderr, "usage: throughput MOCK|URL [N] [n=N] [inflight=256] [poll_ms=1] [repeats=1] [limit_s=600]\n");
        return 0;
    }
    long n = bu_arg_count(argc, argv, 1000);
    long inflight = bu_arg_long(argc, argv, 2, "inflight", 256);
    long poll = bu_arg_long(argc, argv, 2, "poll_ms", 1);
    long repeats = bu_arg_long(argc, argv, 2, "repeats", 1);
    long limit_s = bu_arg_long(argc, argv, 2, "limit_s", 600);
    if (n < 1 || n > 1000000 || inflight < 1 || inflight > 10000 || poll < 0 || repeats < 1 || repeats > 100 ||
        limit_s < 1 || limit_s > 3600) {
        fprintf(stderr, "throughput: argument out of range\n");
        return 0;
    }
    int64_t poll_ms = poll;

    if (modellix_global_init() <= 0) {
        fprintf(stderr, "throughput: modellix_global_init failed\n");
        return 0;
    }
    static const char *const flags[] = {"--duration-ms", "0", "--max-running", "0", NULL};
    bu_mock m;
    if (bu_mock_start(&m, argv[1], flags) != 0) {
        modellix_global_cleanup();
        return 0;
    }
    printf("throughput: libmodellix %s, mock %s (%s), N=%ld, max_in_flight=%ld, poll schedule %ld ms "
           "(effective %ld ms), %ld run(s)\n",
           modellix_version_string(), m.url, m.pid > 0 ? "started here" : "external", n, inflight, poll,
           poll < 10 ? 10L : poll, repeats);
    printf("%4s %9s %10s %11s %10s %9s %9s %12s %10s %11s\n", "run", "wall_s", "exchanges", "exchanges/s",
           "tasks/s", "submits", "polls", "connections", "cpu_us/ex", "not_success");

    bu_runs runs;
    int runs_ok = bu_runs_init(&runs, repeats) == 0;
    for (long r = 0; runs_ok && r < repeats; r++) {
        run_result res;
        if (one_run(m.url, (size_t)n, (int32_t)inflight, &poll_ms, limit_s, &res) != 0)
            break;
        double xps = res.wall_s > 0 ? (double)res.exchanges / res.wall_s : 0;
        double tps = res.wall_s > 0 ? (double)n / res.wall_s : 0;
        double cpu_us = res.exchanges > 0 ? res.cpu_s * 1e6 / (double)res.exchanges : 0;
        printf("%4ld %9.3f %10lld %11.0f %10.0f %9lld %9lld %12lld %10.1f %11zu%s\n", r + 1, res.wall_s,
               (long long)res.exchanges, xps, tps, (long long)res.submits, (long long)res.polls,
               (long long)res.connections, cpu_us, res.not_success,
               res.rc == MODELLIX_OK ? "" : "  (wait_all did not return OK)");
        printf("RESULT prog=throughput run=%ld tasks=%ld max_in_flight=%ld poll_ms=%ld wall_s=%.4f exchanges=%lld "
               "submits=%lld polls=%lld connections=%lld exchanges_per_s=%.1f tasks_per_s=%.1f cpu_s=%.4f "
               "cpu_us_per_exchange=%.2f not_success=%zu wait_rc=%d\n",
               r + 1, n, inflight, poll, res.wall_s, (long long)res.exchanges, (long long)res.submits,
               (long long)res.polls, (long long)res.connections, xps, tps, res.cpu_s, cpu_us, res.not_success,
               res.rc);
        fflush(stdout);
        bu_runs_add(&runs, res.wall_s, xps, tps, cpu_us, res.not_success);
    }
    bu_runs_print(&runs, "prog=throughput", n, inflight);
    bu_runs_free(&runs);
    bu_mock_stop(&m);
    modellix_global_cleanup();
    return 0;
}
