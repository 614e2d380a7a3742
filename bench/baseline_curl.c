/* baseline_curl.c - the exchanges of bench/throughput.c done with raw libcurl multi + jansson, as a
 * straightforward application would write them without libmodellix: the yardstick for libmodellix's
 * exchange throughput and CPU per exchange.
 *
 * usage: baseline_curl MOCK|URL [N] [n=N] [inflight=256] [poll_ms=10] [fresh=1] [host_conns=16]
 *                      [maxconnects=32] [repeats=1] [limit_s=600]
 *
 *   MOCK, URL, N, inflight, repeats, limit_s   as for throughput.
 *   poll_ms      delay between a task's accepted submission (or non-terminal poll) and its next poll;
 *                default 10 ms = libmodellix's effective delay when its schedule returns 1 ms (the
 *                library clamps schedule values to at least 10 ms).
 *   fresh        1 (default): CURLOPT_FRESH_CONNECT on every POST, as libmodellix does (money
 *                safety: a paid submission never rides a reused connection); 0: POSTs reuse
 *                keep-alive connections like the GETs.
 *   host_conns, maxconnects   CURLMOPT_MAX_HOST_CONNECTIONS and CURLMOPT_MAXCONNECTS; the defaults
 *                are libmodellix's (lib/exchange.c), so both programs run the same connection limits.
 *
 * One run: at most `inflight` tasks between submit and terminal at once (the same concurrency as
 * libmodellix's max_in_flight); each task: POST /api/v1/bytedance/seedream-4.5-t2i with
 * {"prompt":...} and Authorization: Bearer, data.task_id parsed with jansson, then
 * GET /api/v1/tasks/{id} every poll_ms until data.status is "success" (or "failed"). One
 * curl_multi_perform / curl_multi_poll loop; easy handles are pooled and reused (with their
 * connections) without curl_easy_reset. Output as throughput's (RESULT / MEDIAN lines). Exits 0. */
#include "bench_util.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBMIT_PATH "/api/v1/bytedance/seedream-4.5-t2i"
#define BODY "{\"prompt\":\"a red fox in the snow\"}"
#define KEY "bench-key-0123456789abcdef"
#define UA "baseline_curl/1.0"

enum { T_QUEUED = 0, T_SUBMITTING, T_WAITING, T_POLLING, T_SUCCESS, T_FAILED };

typedef struct btask {
    int state;
    char *poll_url;
} btask;

typedef struct xfer {
    CURL *easy;
    size_t task;
    int is_post;
    char *buf;
    size_t len, cap;
} xfer;

typedef struct due_poll {
    size_t task;
    double due;
} due_poll;

typedef struct bench {
    const char *base;
    size_t n;
    long inflight, poll_ms, fresh;
    CURLM *multi;
    struct curl_slist *get_hdrs, *post_hdrs;
    btask *tasks;
    xfer **pool;
    size_t npool, cappool;
    due_poll *fifo; /* the constant delay keeps due times in order: a ring buffer is a timer queue */
    size_t fhead, flen;
    size_t next_submit, active, finished, success;
    long long submits, polls, errors;
    char submit_url[320];
} bench;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    if (x->len + len + 1 > x->cap) {
        size_t cap = x->cap ? x->cap : 1024;
        while (cap < x->len + len + 1)
            cap *= 2;
        if (cap > (size_t)16 << 20)
            return 0;
        char *b = realloc(x->buf, cap);
        if (!b)
            return 0;
        x->buf = b;
        x->cap = cap;
    }
    memcpy(x->buf + x->len, p, len);
    x->len += len;
    return len;
}

static xfer *xfer_get(bench *b)
{
    if (b->npool)
        return b->pool[--b->npool];
    xfer *x = calloc(1, sizeof *x);
    if (!x || !(x->easy = curl_easy_init())) {
        free(x);
        return NULL;
    }
    /* options that never change are set once per handle */
    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, (char *)x);
    curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(x->easy, CURLOPT_USERAGENT, UA);
    curl_easy_setopt(x->easy, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http");
    return x;
}

static void xfer_put(bench *b, xfer *x)
{
    if (b->npool == b->cappool) {
        size_t cap = b->cappool ? b->cappool * 2 : 64;
        xfer **p = realloc(b->pool, cap * sizeof *p);
        if (!p) {
            curl_easy_cleanup(x->easy);
            free(x->buf);
            free(x);
            return;
        }
        b->pool = p;
        b->cappool = cap;
    }
    b->pool[b->npool++] = x;
}

static void task_end(bench *b, size_t i, int ok)
{
    b->tasks[i].state = ok ? T_SUCCESS : T_FAILED;
    b->active--;
    b->finished++;
    if (ok)
        b->success++;
}

static int start(bench *b, size_t i, int post)
{
    xfer *x = xfer_get(b);
    if (!x)
        return -1;
    x->task = i;
    x->is_post = post;
    x->len = 0;
    CURL *h = x->easy;
    if (post) {
        curl_easy_setopt(h, CURLOPT_URL, b->submit_url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, b->post_hdrs);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, BODY);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)(sizeof BODY - 1));
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, b->fresh ? 1L : 0L);
        b->tasks[i].state = T_SUBMITTING;
        b->submits++;
    } else {
        curl_easy_setopt(h, CURLOPT_URL, b->tasks[i].poll_url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, b->get_hdrs);
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 0L);
        b->tasks[i].state = T_POLLING;
        b->polls++;
    }
    if (curl_multi_add_handle(b->multi, h) != CURLM_OK) {
        xfer_put(b, x);
        return -1;
    }
    return 0;
}

static void schedule_poll(bench *b, size_t i, double now)
{
    b->tasks[i].state = T_WAITING;
    size_t at = (b->fhead + b->flen) % b->n;
    b->fifo[at].task = i;
    b->fifo[at].due = now + (double)b->poll_ms / 1000.0;
    b->flen++;
}

static const char *data_string(json_t *root, const char *field)
{
    json_t *v = json_object_get(json_object_get(root, "data"), field);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 200)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.'))
            return 0;
    return 1;
}

static void complete(bench *b, CURLMsg *m)
{
    xfer *x = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
    long status = 0;
    curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(b->multi, m->easy_handle);
    size_t i = x->task;
    int ok = m->data.result == CURLE_OK && status == 200;
    json_t *root = NULL;
    if (ok) {
        json_error_t err;
        root = json_loadb(x->buf, x->len, 0, &err);
    }
    double now = bu_now_s();
    if (x->is_post) {
        const char *id = root ? data_string(root, "task_id") : NULL;
        if (id && id_ok(id)) {
            size_t need = strlen(b->base) + strlen("/api/v1/tasks/") + strlen(id) + 1;
            b->tasks[i].poll_url = malloc(need);
            if (b->tasks[i].poll_url) {
                snprintf(b->tasks[i].poll_url, need, "%s/api/v1/tasks/%s", b->base, id);
                schedule_poll(b, i, now);
            } else {
                b->errors++;
                task_end(b, i, 0);
            }
        } else {
            b->errors++;
            task_end(b, i, 0);
        }
    } else {
        const char *st = root ? data_string(root, "status") : NULL;
        if (st && strcmp(st, "success") == 0) {
            task_end(b, i, 1);
        } else if (!st || strcmp(st, "failed") == 0) {
            if (!st)
                b->errors++;
            task_end(b, i, 0);
        } else {
            schedule_poll(b, i, now);
        }
    }
    json_decref(root);
    xfer_put(b, x);
}

typedef struct run_result {
    double wall_s, cpu_s;
    long long exchanges, submits, polls, connections, local_exchanges;
    size_t not_success;
    int timed_out;
} run_result;

static int one_run(const char *url, size_t n, long inflight, long poll_ms, long fresh, long host_conns,
                   long maxconnects, long limit_s, run_result *res)
{
    memset(res, 0, sizeof *res);
    bench b;
    memset(&b, 0, sizeof b);
    b.base = url;
    b.n = n;
    b.inflight = inflight;
    b.poll_ms = poll_ms;
    b.fresh = fresh;
    snprintf(b.submit_url, sizeof b.submit_url, "%s%s", url, SUBMIT_PATH);
    b.tasks = calloc(n, sizeof *b.tasks);
    b.fifo = calloc(n, sizeof *b.fifo);
    b.multi = curl_multi_init();
    b.get_hdrs = curl_slist_append(NULL, "Authorization: Bearer " KEY);
    b.post_hdrs = curl_slist_append(NULL, "Authorization: Bearer " KEY);
    if (b.post_hdrs)
        b.post_hdrs = curl_slist_append(b.post_hdrs, "Content-Type: application/json");
    if (b.post_hdrs)
        b.post_hdrs = curl_slist_append(b.post_hdrs, "Expect:");
    int rc = -1;
    if (!b.tasks || !b.fifo || !b.multi || !b.get_hdrs || !b.post_hdrs) {
        fprintf(stderr, "baseline_curl: out of memory\n");
        goto out;
    }
    curl_multi_setopt(b.multi, CURLMOPT_MAX_HOST_CONNECTIONS, host_conns);
    curl_multi_setopt(b.multi, CURLMOPT_MAXCONNECTS, maxconnects);

    bu_counters before, after;
    if (bu_mock_counters(url, &before) != 0)
        goto out;
    double t0 = bu_now_s(), c0 = bu_cpu_s();
    double deadline = t0 + (double)limit_s;
    while (b.finished < n) {
        double now = bu_now_s();
        if (now > deadline) {
            res->timed_out = 1;
            break;
        }
        while (b.active < (size_t)inflight && b.next_submit < n) {
            size_t i = b.next_submit++;
            b.active++;
            if (start(&b, i, 1) != 0) {
                b.errors++;
                task_end(&b, i, 0);
            }
        }
        while (b.flen && b.fifo[b.fhead].due <= now) {
            size_t i = b.fifo[b.fhead].task;
            b.fhead = (b.fhead + 1) % n;
            b.flen--;
            if (start(&b, i, 0) != 0) {
                b.errors++;
                task_end(&b, i, 0);
            }
        }
        int running = 0;
        curl_multi_perform(b.multi, &running);
        CURLMsg *m;
        int q, progressed = 0;
        while ((m = curl_multi_info_read(b.multi, &q))) {
            if (m->msg == CURLMSG_DONE) {
                complete(&b, m);
                progressed = 1;
            }
        }
        if (progressed)
            continue;
        now = bu_now_s();
        double wait = b.flen ? b.fifo[b.fhead].due - now : 1.0;
        if (wait > 1.0)
            wait = 1.0;
        if (wait < 0)
            wait = 0;
        curl_multi_poll(b.multi, NULL, 0, (int)(wait * 1000.0 + 0.999), NULL);
    }
    double t1 = bu_now_s(), c1 = bu_cpu_s();
    if (bu_mock_counters(url, &after) != 0)
        memset(&after, 0, sizeof after);
    res->wall_s = t1 - t0;
    res->cpu_s = c1 - c0;
    res->submits = after.req_submit - before.req_submit;
    res->polls = after.req_task - before.req_task;
    res->exchanges = res->submits + res->polls;
    res->connections = after.connections - before.connections;
    res->local_exchanges = b.submits + b.polls;
    res->not_success = n - b.success;
    rc = 0;
out:
    /* in-flight transfers (only after a timeout) are abandoned with their handles */
    for (size_t i = 0; i < b.npool; i++) {
        curl_easy_cleanup(b.pool[i]->easy);
        free(b.pool[i]->buf);
        free(b.pool[i]);
    }
    free(b.pool);
    if (b.multi)
        curl_multi_cleanup(b.multi);
    curl_slist_free_all(b.get_hdrs);
    curl_slist_free_all(b.post_hdrs);
    for (size_t i = 0; b.tasks && i < n; i++)
        free(b.tasks[i].poll_url);
    free(b.tasks);
    free(b.fifo);
    return rc;
}

int main(int argc, char **argv)
{
    bu_no_proxy();
    if (argc < 2) {
        fprintf(stderr, "usage: baseline_curl MOCK|URL [N] [n=N] [inflight=256] [poll_ms=10] [fresh=1] "
                        "[host_conns=16] [maxconnects=32] [repeats=1] [limit_s=600]\n");
        return 0;
    }
    long n = bu_arg_count(argc, argv, 1000);
    long inflight = bu_arg_long(argc, argv, 2, "inflight", 256);
    long poll = bu_arg_long(argc, argv, 2, "poll_ms", 10);
    long fresh = bu_arg_long(argc, argv, 2, "fresh", 1);
    long host_conns = bu_arg_long(argc, argv, 2, "host_conns", 16);
    long maxconnects = bu_arg_long(argc, argv, 2, "maxconnects", 32);
    long repeats = bu_arg_long(argc, argv, 2, "repeats", 1);
    long limit_s = bu_arg_long(argc, argv, 2, "limit_s", 600);
    if (n < 1 || n > 1000000 || inflight < 1 || inflight > 10000 || poll < 0 || poll > 60000 || host_conns < 0 ||
        maxconnects < 0 || repeats < 1 || repeats > 100 || limit_s < 1 || limit_s > 3600) {
        fprintf(stderr, "baseline_curl: argument out of range\n");
        return 0;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "baseline_curl: curl_global_init failed\n");
        return 0;
    }
    static const char *const flags[] = {"--duration-ms", "0", "--max-running", "0", NULL};
    bu_mock m;
    if (bu_mock_start(&m, argv[1], flags) != 0) {
        curl_global_cleanup();
        return 0;
    }
    printf("baseline_curl: %s, mock %s (%s), N=%ld, in flight=%ld, poll every %ld ms, FRESH_CONNECT on POST=%s, "
           "max host connections %ld, connection cache %ld, %ld run(s)\n",
           curl_version(), m.url, m.pid > 0 ? "started here" : "external", n, inflight, poll, fresh ? "yes" : "no",
           host_conns, maxconnects, repeats);
    printf("%4s %9s %10s %11s %10s %9s %9s %12s %10s %11s\n", "run", "wall_s", "exchanges", "exchanges/s",
           "tasks/s", "submits", "polls", "connections", "cpu_us/ex", "not_success");

    bu_runs runs;
    int runs_ok = bu_runs_init(&runs, repeats) == 0;
    for (long r = 0; runs_ok && r < repeats; r++) {
        run_result res;
        if (one_run(m.url, (size_t)n, inflight, poll, fresh, host_conns, maxconnects, limit_s, &res) != 0)
            break;
        double xps = res.wall_s > 0 ? (double)res.exchanges / res.wall_s : 0;
        double tps = res.wall_s > 0 ? (double)n / res.wall_s : 0;
        double cpu_us = res.exchanges > 0 ? res.cpu_s * 1e6 / (double)res.exchanges : 0;
        printf("%4ld %9.3f %10lld %11.0f %10.0f %9lld %9lld %12lld %10.1f %11zu%s%s\n", r + 1, res.wall_s,
               res.exchanges, xps, tps, res.submits, res.polls, res.connections, cpu_us, res.not_success,
               res.timed_out ? "  (time limit)" : "",
               res.local_exchanges != res.exchanges ? "  (local count differs)" : "");
        printf("RESULT prog=baseline_curl fresh=%ld run=%ld tasks=%ld max_in_flight=%ld poll_ms=%ld wall_s=%.4f "
               "exchanges=%lld submits=%lld polls=%lld local_exchanges=%lld connections=%lld exchanges_per_s=%.1f "
               "tasks_per_s=%.1f cpu_s=%.4f cpu_us_per_exchange=%.2f not_success=%zu timed_out=%d\n",
               fresh, r + 1, n, inflight, poll, res.wall_s, res.exchanges, res.submits, res.polls,
               res.local_exchanges, res.connections, xps, tps, res.cpu_s, cpu_us, res.not_success, res.timed_out);
        fflush(stdout);
        bu_runs_add(&runs, res.wall_s, xps, tps, cpu_us, res.not_success);
    }
    char label[64];
    snprintf(label, sizeof label, "prog=baseline_curl fresh=%ld", fresh);
    bu_runs_print(&runs, label, n, inflight);
    bu_runs_free(&runs);
    bu_mock_stop(&m);
    curl_global_cleanup();
    return 0;
}
