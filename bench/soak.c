/* soak.c - 10 000 tasks through faults: nothing lost, nothing charged twice, memory flat.
 *
 * usage: soak MOCK|URL [rounds=10] [per_round=1000] [inflight=256] [warmup=3] [limit_s=900]
 *
 * MOCK is the path of modellix-mock (started here with --duration-ms 50 --max-running 0 and stopped
 * by its PID) or the URL of a loopback mock started with those flags. Each round submits per_round
 * tasks with modellix_task_submit_async() and waits for all of them, after arming about 10 % faults
 * through the mock's control interface:
 *   submit: 429 with Retry-After 0 (throttled: retried), 500 after the task was created (outcome
 *           unknown: must NOT be re-sent), a connection reset after the task was created (unknown);
 *   poll:   503, a reset before any answer, garbage (one answer in 7 over a stretch of the round):
 *           all retried, then ridden out by the watch.
 * The client continues after unknown outcomes (modellix_options_set_continue_on_unknown), retries
 * quickly (5 ms) and polls every 20 ms, so the run measures the machinery, not the waiting.
 *
 * It prints, per round and in total: tasks accepted / unknown / rejected, terminal successes,
 * tasks the service created (the mock's counter), duplicates = created - (accepted + unknown)
 * (every unknown outcome here is a task the mock created), lost ids = accepted tasks that ended
 * without an id or without a final state, and heap in use plus RSS after each round with the
 * growth from the end of the warm-up rounds (default 3: pools, caches and the allocator's arenas
 * reach their working size). Goals: 0 lost, 0 duplicates, RSS growth after warm-up under 1 MiB.
 * Always exits 0: a benchmark prints figures. */
#include "bench_util.h"

#include <curl/curl.h>
#include <malloc.h>
#include <modellix/modellix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLUG "bytedance/seedream-4.5-t2i"
#define KEY "soak-key-0123456789abcdef"

static int64_t every_20ms(int64_t age_ms, int32_t polls, void *ud)
{
    (void)age_ms;
    (void)polls;
    (void)ud;
    return 20;
}

static int64_t fast_retry(const modellix_attempt *a, void *ud)
{
    (void)ud;
    return modellix_attempt_number(a) >= 4 ? -1 : 5;
}

/* POST a JSON document to the mock's control interface. */
static int control(const char *url, const char *path, const char *json)
{
    char full[512];
    snprintf(full, sizeof full, "%s%s", url, path);
    CURL *h = curl_easy_init();
    if (!h)
        return -1;
    curl_easy_setopt(h, CURLOPT_URL, full);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    FILE *sink = fopen("/dev/null", "w");
    if (sink)
        curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    if (sink)
        fclose(sink);
    return rc == CURLE_OK && status / 100 == 2 ? 0 : -1;
}

/* About 10 % of a round's ~3 requests per task become faults. */
static int arm_faults(const char *url, long per_round)
{
    long n = per_round / 10 > 0 ? per_round / 10 : 1;
    size_t cap = 4096 + (size_t)(n / 2) * 96, len;
    char *json = malloc(cap);
    if (!json)
        return -1;
    len = (size_t)snprintf(json, cap,
             "["
             "{\"route\":\"submit\",\"kind\":\"status\",\"status\":429,\"headers\":\"Retry-After: 0\\n\",\"count\":%ld},"
             "{\"route\":\"submit\",\"kind\":\"status\",\"status\":500,\"after_create\":1,\"count\":%ld,\"skip\":%ld},"
             "{\"route\":\"submit\",\"kind\":\"reset_before\",\"after_create\":1,\"count\":%ld,\"skip\":%ld},"
             "{\"route\":\"task\",\"kind\":\"status\",\"status\":503,\"count\":%ld},"
             "{\"route\":\"task\",\"kind\":\"reset_before\",\"count\":%ld,\"skip\":%ld}",
             n, n / 4, per_round / 3, n / 4, per_round / 2, n, n, per_round);
    /* The mock matches faults in order, and a fault still skipping lets the request through before a
       later one sees it: so these garbage faults, each skipping 6 polls and striking the 7th, take
       turns once the faults before them are used up, one poll in 7 over a stretch of the round. */
    for (long k = 0; k < n / 2 && len < cap; k++)
        len += (size_t)snprintf(json + len, cap - len, ",{\"route\":\"task\",\"kind\":\"garbage\",\"count\":1,\"skip\":6}");
    if (len + 2 > cap) {
        free(json);
        return -1;
    }
    memcpy(json + len, "]", 2);
    int rc = control(url, "/_mock/faults", json);
    free(json);
    return rc;
}

static long current_rss_kib(void)
{
    FILE *fp = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (fp) {
        if (fscanf(fp, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(fp);
    }
    return resident * 4;
}

static long heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (long)(mi.uordblks + mi.hblkhd);
}

typedef struct totals {
    long accepted, unknown, rejected, skipped, succeeded, failed, errors, lost;
} totals;

int main(int argc, char **argv)
{
    bu_no_proxy();
    if (argc < 2) {
        fprintf(stderr, "usage: %s MOCK|URL [rounds=10] [per_round=1000] [inflight=256] [warmup=3] [limit_s=900]\n",
                argv[0]);
        return 0;
    }
    long rounds = bu_arg_long(argc, argv, 2, "rounds", 10);
    long per_round = bu_arg_long(argc, argv, 2, "per_round", 1000);
    long inflight = bu_arg_long(argc, argv, 2, "inflight", 256);
    long limit_s = bu_arg_long(argc, argv, 2, "limit_s", 900);
    long warmup = bu_arg_long(argc, argv, 2, "warmup", 3);
    if (warmup < 1 || warmup > rounds)
        warmup = 1;
    if (rounds < 1 || per_round < 1 || inflight < 1 || inflight > 10000) {
        fprintf(stderr, "soak: bad arguments\n");
        return 0;
    }
    if (modellix_global_init() < 0)
        return 0;
    static const char *const flags[] = {"--duration-ms", "50", "--max-running", "0", NULL};
    bu_mock m;
    if (bu_mock_start(&m, argv[1], flags) != 0) {
        modellix_global_cleanup();
        return 0;
    }
    modellix_options *o = NULL;
    modellix_client *c = NULL;
    modellix_retry_policy *p = NULL;
    if (modellix_options_new(&o) != MODELLIX_OK || modellix_options_set_api_key(o, KEY) != MODELLIX_OK ||
        modellix_options_set_base_url(o, m.url) != MODELLIX_OK ||
        modellix_options_set_max_in_flight(o, (int32_t)inflight) != MODELLIX_OK ||
        modellix_options_set_continue_on_unknown(o, 1) != MODELLIX_OK ||
        modellix_options_set_poll_schedule(o, every_20ms, NULL, NULL) != MODELLIX_OK ||
        modellix_options_set_timeout_ms(o, 2000) != MODELLIX_OK ||
        modellix_retry_policy_new_custom(&p, fast_retry, NULL, NULL) != MODELLIX_OK ||
        modellix_options_set_retry_policy(o, p) != MODELLIX_OK || modellix_client_new(&c, o) != MODELLIX_OK) {
        fprintf(stderr, "soak: could not set up the client\n");
        goto out;
    }
    modellix_task **ts = calloc((size_t)per_round, sizeof *ts);
    if (!ts)
        goto out;
    printf("soak: libmodellix %s, mock %s, %ld rounds x %ld tasks, max_in_flight %ld, ~10%% faults\n",
           modellix_version_string(), m.url, rounds, per_round, inflight);
    printf("%5s %8s %7s %8s %9s %7s %7s %5s %10s %9s\n", "round", "accepted", "unknown", "rejected", "succeeded",
           "created", "dupl", "lost", "heap_KiB", "rss_KiB");
    totals all = {0};
    long created_all = 0, dup_all = 0, rss_warm = 0, heap_warm = 0, rss_last = 0, heap_last = 0;
    double t0 = bu_now_s();
    for (long r = 0; r < rounds && bu_now_s() - t0 < (double)limit_s; r++) {
        bu_counters before, after;
        if (bu_mock_counters(m.url, &before) != 0 || arm_faults(m.url, per_round) != 0) {
            fprintf(stderr, "soak: the mock's control interface did not answer\n");
            break;
        }
        char body[128];
        for (long i = 0; i < per_round; i++) {
            snprintf(body, sizeof body, "{\"prompt\":\"soak %ld/%ld\"}", r, i);
            if (modellix_task_submit_async(&ts[i], c, SLUG, body) != MODELLIX_OK)
                ts[i] = NULL;
        }
        int rc = modellix_client_wait_all(c, ts, (size_t)per_round, (limit_s + 1) * 1000);
        if (rc == MODELLIX_ETIMEOUT)
            fprintf(stderr, "soak: round %ld timed out\n", r);
        totals t = {0};
        for (long i = 0; i < per_round; i++) {
            modellix_task *k = ts[i];
            if (!k) {
                t.errors++;
                continue;
            }
            switch (modellix_task_submit_state(k)) {
            case MODELLIX_SUBMIT_ACCEPTED:
                t.accepted++;
                if (!modellix_task_id(k) || !modellix_task_done(k))
                    t.lost++; /* an accepted task must keep its id and reach an end */
                else if (modellix_task_status(k) == MODELLIX_TASK_SUCCESS)
                    t.succeeded++;
                else if (modellix_task_status(k) == MODELLIX_TASK_FAILED)
                    t.failed++;
                else if (t.errors++ < 3) /* polling failed for good: the id is kept, the error is on the task */
                    fprintf(stderr, "soak: round %ld: polling %s failed: %s\n", r, modellix_task_id(k),
                            modellix_task_errmsg(k));
                break;
            case MODELLIX_SUBMIT_UNKNOWN:
                t.unknown++;
                break;
            case MODELLIX_SUBMIT_REJECTED:
                t.rejected++;
                break;
            default:
                t.skipped++;
                t.lost++; /* nothing should be skipped or left unsent */
                break;
            }
            modellix_task_free(k);
            ts[i] = NULL;
        }
        bu_mock_counters(m.url, &after);
        long created = (long)(after.tasks_created - before.tasks_created);
        long dup = created - (t.accepted + t.unknown);
        long heap = heap_bytes() / 1024, rss = current_rss_kib();
        if (r == warmup - 1) {
            heap_warm = heap;
            rss_warm = rss;
        }
        heap_last = heap;
        rss_last = rss;
        printf("%5ld %8ld %7ld %8ld %9ld %7ld %7ld %5ld %10ld %9ld\n", r + 1, t.accepted, t.unknown, t.rejected,
               t.succeeded, created, dup, t.lost, heap, rss);
        all.accepted += t.accepted;
        all.unknown += t.unknown;
        all.rejected += t.rejected;
        all.succeeded += t.succeeded;
        all.failed += t.failed;
        all.errors += t.errors;
        all.lost += t.lost;
        created_all += created;
        dup_all += dup;
    }
    double wall = bu_now_s() - t0;
    long tasks = all.accepted + all.unknown + all.rejected;
    printf("\ntotal: %ld tasks in %.1f s: %ld accepted (%ld succeeded, %ld failed, %ld poll errors), %ld unknown, "
           "%ld rejected\n",
           tasks, wall, all.accepted, all.succeeded, all.failed, all.errors, all.unknown, all.rejected);
    printf("service created %ld tasks; duplicates %ld [goal 0: %s]; lost ids %ld [goal 0: %s]\n", created_all, dup_all,
           dup_all == 0 ? "MET" : "MISSED", all.lost, all.lost == 0 ? "MET" : "MISSED");
    printf("after %ld warm-up round(s): heap %+ld KiB, RSS %+ld KiB [goal RSS growth < 1024 KiB: %s]\n", warmup,
           heap_last - heap_warm, rss_last - rss_warm, rss_last - rss_warm < 1024 ? "MET" : "MISSED");
    printf("RESULT prog=soak tasks=%ld accepted=%ld succeeded=%ld unknown=%ld rejected=%ld poll_errors=%ld created=%ld "
           "duplicates=%ld lost=%ld heap_growth_kib=%ld rss_growth_kib=%ld wall_s=%.1f\n",
           tasks, all.accepted, all.succeeded, all.unknown, all.rejected, all.errors, created_all, dup_all, all.lost,
           heap_last - heap_warm, rss_last - rss_warm, wall);
    free(ts);
out:
    modellix_client_free(c);
    modellix_options_free(o);
    modellix_retry_policy_free(p);
    bu_mock_stop(&m);
    modellix_global_cleanup();
    return 0;
}
