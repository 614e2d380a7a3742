/* memory.c - heap bytes per in-flight task of libmodellix.
 *
 * usage: memory MOCK|URL [N] [n=10000] [inflight=10000] [first_poll_ms=10] [limit_s=600]
 *
 *   MOCK      path of modellix-mock, started here as `modellix-mock --port 0 --duration-ms 600000
 *             --max-running 0` (tasks stay pending for 10 minutes, no team limit) and stopped by its
 *             PID at the end; or URL of a loopback mock started with those flags.
 *   N         tasks (default 10000), all submitted with modellix_task_submit_async() and
 *             max_in_flight = inflight (default 10000), so every one of them is in flight at once.
 *
 * The client is driven from a poll() loop (modellix_client_backend_fd / _timeout / _step) until
 * every submission is ACCEPTED and every task has been polled once. The poll schedule is
 * first_poll_ms before the first poll and 1 h after it, so that at the measuring point no exchange
 * is in flight: each task is an idle, watched, in-flight task, as it is for most of its life.
 *
 * Heap in use is glibc's mallinfo2() (uordblks + hblkhd, all arenas), read:
 *   H0  after modellix_global_init() and the bench's own arrays, before the client exists
 *   H1  after modellix_client_new() (client with no task)
 *   H2  with all N tasks accepted and polled once                      <- the measuring point
 *   H3  after modellix_task_free() of every task (the client is still alive)
 *   H4  after modellix_client_free()
 * and reported per task: (H2 - H0) / N (the figure of the goal, <= 2 KiB), split into the task
 * objects themselves (H2 - H3) / N and what the client keeps after its tasks are gone (H3 - H1) / N
 * (idle easy handles of its pool, cached connections, timer-heap capacity). Peak RSS (ru_maxrss) is
 * printed too. Under valgrind --tool=massif the program also writes detailed massif snapshots at H0
 * and H2 (files memory.massif.h0 / .h2 in $MEMORY_SNAPSHOT_DIR, default the current directory);
 * bench/memory.sh compares them and lists the top allocation sites. Always exits 0. */
#include "bench_util.h"

#include <malloc.h>
#include <modellix/loop.h>
#include <modellix/modellix.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef BENCH_HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

#define SLUG "bytedance/seedream-4.5-t2i"
#define BODY "{\"prompt\":\"a red fox in the snow\"}"
#define KEY "bench-key-0123456789abcdef"

typedef struct sched_state {
    int64_t first_ms;
    size_t accepted; /* calls with polls == 0: once per accepted submission */
    size_t polled;   /* calls with polls == 1: once per task after its first (non-terminal) poll */
} sched_state;

static int64_t schedule(int64_t age_ms, int32_t polls, void *ud)
{
    sched_state *s = ud;
    (void)age_ms;
    if (polls == 0) {
        s->accepted++;
        return s->first_ms;
    }
    if (polls == 1)
        s->polled++;
    return 3600000; /* 1 h: no second poll during the measurement */
}

static long long heap_now(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (long long)(mi.uordblks + mi.hblkhd);
}

static void snapshot(const char *name)
{
#ifdef BENCH_HAVE_VALGRIND_H
    if (RUNNING_ON_VALGRIND) {
        const char *dir = getenv("MEMORY_SNAPSHOT_DIR");
        char cmd[600];
        snprintf(cmd, sizeof cmd, "detailed_snapshot %s/memory.massif.%s", dir && *dir ? dir : ".", name);
        if (VALGRIND_MONITOR_COMMAND(cmd) != 0)
            fprintf(stderr, "memory: the valgrind tool does not take snapshots (run it under massif)\n");
    }
#else
    (void)name;
#endif
}

int main(int argc, char **argv)
{
    bu_no_proxy();
    if (argc < 2) {
        fprintf(stderr, "usage: memory MOCK|URL [N] [n=10000] [inflight=10000] [first_poll_ms=10] [limit_s=600]\n");
        return 0;
    }
    long n = bu_arg_count(argc, argv, 10000);
    long inflight = bu_arg_long(argc, argv, 2, "inflight", 10000);
    long first = bu_arg_long(argc, argv, 2, "first_poll_ms", 10);
    long limit_s = bu_arg_long(argc, argv, 2, "limit_s", 600);
    if (n < 1 || n > 100000 || inflight < 1 || inflight > 10000 || first < 10 || first > 60000 || limit_s < 1 ||
        limit_s > 3600) {
        fprintf(stderr, "memory: argument out of range\n");
        return 0;
    }
    if (modellix_global_init() <= 0) {
        fprintf(stderr, "memory: modellix_global_init failed\n");
        return 0;
    }
    static const char *const flags[] = {"--duration-ms", "600000", "--max-running", "0", NULL};
    bu_mock m;
    if (bu_mock_start(&m, argv[1], flags) != 0) {
        modellix_global_cleanup();
        return 0;
    }
    modellix_task **tasks = calloc((size_t)n, sizeof *tasks);
    sched_state ss = {first, 0, 0};
    modellix_options *o = NULL;
    modellix_client *c = NULL;
    if (!tasks || modellix_options_new(&o) != MODELLIX_OK || modellix_options_set_api_key(o, KEY) != MODELLIX_OK ||
        modellix_options_set_base_url(o, m.url) != MODELLIX_OK ||
        modellix_options_set_max_in_flight(o, (int32_t)inflight) != MODELLIX_OK ||
        modellix_options_set_poll_schedule(o, schedule, &ss, NULL) != MODELLIX_OK ||
        modellix_options_set_random_seed(o, 1) != MODELLIX_OK) {
        fprintf(stderr, "memory: cannot set up the options\n");
        goto end;
    }
    bu_counters before, after;
    if (bu_mock_counters(m.url, &before) != 0)
        goto end;

    long long h0 = heap_now();
    snapshot("h0");
    if (modellix_client_new(&c, o) != MODELLIX_OK) {
        fprintf(stderr, "memory: cannot create the client\n");
        goto end;
    }
    long long h1 = heap_now();

    double t0 = bu_now_s(), deadline = t0 + (double)limit_s;
    size_t queued = 0;
    for (; queued < (size_t)n; queued++)
        if (modellix_task_submit_async(&tasks[queued], c, SLUG, BODY) != MODELLIX_OK) {
            fprintf(stderr, "memory: submit_async: %s\n", modellix_client_errmsg(c));
            break;
        }
    size_t active = 0;
    int timed_out = 0;
    while (ss.accepted < queued || ss.polled < queued) {
        double now = bu_now_s();
        if (now > deadline) {
            timed_out = 1;
            break;
        }
        int64_t tmo = modellix_client_backend_timeout(c);
        if (tmo < 0 || tmo > 100)
            tmo = 100;
        struct pollfd p = {modellix_client_backend_fd(c), POLLIN, 0};
        poll(&p, 1, (int)tmo);
        if (modellix_client_step(c, &active) != MODELLIX_OK)
            break;
    }
    double t1 = bu_now_s();
    size_t accepted = 0, finished = 0;
    for (size_t i = 0; i < queued; i++) {
        if (modellix_task_submit_state(tasks[i]) == MODELLIX_SUBMIT_ACCEPTED)
            accepted++;
        if (modellix_task_done(tasks[i]))
            finished++;
    }
    long long h2 = heap_now();
    long rss = bu_maxrss_kib();
    snapshot("h2");
    if (bu_mock_counters(m.url, &after) != 0)
        memset(&after, 0, sizeof after);

    for (size_t i = 0; i < queued; i++)
        modellix_task_free(tasks[i]);
    long long h3 = heap_now();
    modellix_client_free(c);
    c = NULL;
    long long h4 = heap_now();

    double nn = (double)n;
    printf("memory: libmodellix %s, mock %s (%s), N=%ld tasks, max_in_flight=%ld\n", modellix_version_string(), m.url,
           m.pid > 0 ? "started here" : "external", n, inflight);
    printf("driven for %.2f s: %zu of %zu submissions ACCEPTED, %zu tasks polled once, %zu done (should be 0), "
           "%zu active%s\n",
           t1 - t0, accepted, queued, ss.polled, finished, active, timed_out ? ", TIME LIMIT REACHED" : "");
    printf("mock: %lld submits, %lld polls, %lld connections\n", (long long)(after.req_submit - before.req_submit),
           (long long)(after.req_task - before.req_task), (long long)(after.connections - before.connections));
    if (h2 == 0)
        printf("mallinfo2 reads 0: the allocator is replaced (valgrind); see the massif figures instead\n");
    printf("heap in use (mallinfo2 uordblks+hblkhd): H0 %lld, H1 (client) %lld, H2 (%ld in flight) %lld, "
           "H3 (tasks freed) %lld, H4 (client freed) %lld bytes\n",
           h0, h1, n, h2, h3, h4);
    printf("per in-flight task: (H2-H0)/N = %.0f bytes  [goal <= 2048: %s]\n", (double)(h2 - h0) / nn,
           h2 == 0 ? "n/a" : (double)(h2 - h0) / nn <= 2048 ? "MET" : "missed");
    printf("  of which task objects (H2-H3)/N = %.0f bytes, kept by the client after its tasks are freed "
           "(H3-H1)/N = %.0f bytes, empty client (H1-H0) = %lld bytes, left after client_free (H4-H0) = %lld\n",
           (double)(h2 - h3) / nn, (double)(h3 - h1) / nn, h1 - h0, h4 - h0);
    printf("peak RSS (ru_maxrss) with %ld tasks in flight: %ld KiB (%.0f bytes per task)\n", n, rss,
           (double)rss * 1024.0 / nn);
    printf("RESULT prog=memory tasks=%ld max_in_flight=%ld accepted=%zu polled=%zu done=%zu timed_out=%d "
           "h0=%lld h1=%lld h2=%lld h3=%lld h4=%lld bytes_per_task=%.1f task_object_bytes=%.1f "
           "client_kept_bytes_per_task=%.1f maxrss_kib=%ld\n",
           n, inflight, accepted, ss.polled, finished, timed_out, h0, h1, h2, h3, h4, (double)(h2 - h0) / nn,
           (double)(h2 - h3) / nn, (double)(h3 - h1) / nn, rss);
end:
    modellix_client_free(c);
    modellix_options_free(o);
    free(tasks);
    bu_mock_stop(&m);
    modellix_global_cleanup();
    return 0;
}
