/* Unit tests: the poll schedule on a virtual clock (the library's hooks, called as the engine calls
 * them, through bench/sched_sim.c), the learned schedule and its statistics, their export and import
 * (hostile input), the task-aware callback and the parsing of data.duration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sched_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The official CLI: a poll at once, then every 2 s. */
static void cli(int64_t d, sim_result *r)
{
    int64_t k = d <= 0 ? 0 : (d + 1999) / 2000;
    r->requests = 1 + k;
    r->detect_ms = 2000 * k;
}

static modellix_client *client(void)
{
    modellix_client *c = sim_client(NULL);
    assert_non_null(c);
    return c;
}

static sim_result run(modellix_client *c, const char *slug, int64_t d, int report)
{
    sim_result r;
    assert_int_equal(sim_task(c, slug, d, report, &r), MODELLIX_OK);
    assert_true(r.detect_ms >= d);
    return r;
}

/* Up to 20 s of age the default polls exactly when the CLI does: the same delay and the same number
   of requests at every duration (10 ms steps), including a task done at submit (one request, no delay). */
static void test_default_is_cli_to_20s(void **state)
{
    (void)state;
    modellix_client *c = client();
    for (int64_t d = 0; d <= 20000; d += 10) {
        sim_result a = run(c, NULL, d, 1), b;
        cli(d, &b);
        assert_int_equal(a.detect_ms, b.detect_ms);
        assert_int_equal(a.requests, b.requests);
    }
    sim_result r = run(c, NULL, 0, 1);
    assert_int_equal(r.requests, 1);
    assert_int_equal(r.detect_ms, 0);
    /* a first poll that failed within the same millisecond (no answer: polls still 0) is not repeated
       at once: the next is due on the grid, 2 s */
    modellix_task *t = mx_task_new(c);
    assert_non_null(t);
    t->born_ms = 1000;
    assert_int_equal(mx_sched_next_delay(c, t, 1000), 0);
    t->next_poll_ms = 1000;
    assert_int_equal(mx_sched_next_delay(c, t, 1000), 2000);
    modellix_task_free(t);
    modellix_client_free(c);
}

/* 0..600 s: per 2 s duration bucket, the mean delay is the CLI's up to 20 s, and after that at most
   10 % of the bucket's end, with fewer requests than the CLI in every bucket past 24 s; no single
   delay over max(2 s, 11 % of the duration) or 11 s; over the classes 20-30, 30-120 and 120-600 s the
   mean delay is at most 5.5 % of the class's middle duration. */
static void test_default_bounds_to_600s(void **state)
{
    (void)state;
    modellix_client *c = client();
    static const int64_t cls[][2] = {{20000, 30000}, {30000, 120000}, {120000, 600000}};
    double cls_sum[3] = {0}, cls_n[3] = {0};
    for (int64_t b = 0; b < 600000; b += 2000) {
        double sum = 0, sum_cli = 0, req = 0, req_cli = 0;
        int n = 0;
        for (int64_t d = b + 25; d < b + 2000; d += 50, n++) {
            sim_result a = run(c, NULL, d, 1), k;
            cli(d, &k);
            int64_t delay = a.detect_ms - d;
            int64_t bound = d / 100 * 11 > 2000 ? d / 100 * 11 : 2000;
            assert_true(delay <= bound && delay <= 11000);
            sum += (double)delay;
            sum_cli += (double)(k.detect_ms - d);
            req += (double)a.requests;
            req_cli += (double)k.requests;
            for (int i = 0; i < 3; i++)
                if (d >= cls[i][0] && d < cls[i][1]) {
                    cls_sum[i] += (double)delay;
                    cls_n[i]++;
                }
        }
        if (b + 2000 <= 20000) {
            assert_true(sum == sum_cli && req == req_cli);
        } else {
            assert_true(sum / n <= 0.1 * (double)(b + 2000));
            if (b >= 24000)
                assert_true(req < req_cli);
        }
    }
    for (int i = 0; i < 3; i++)
        assert_true(cls_sum[i] / cls_n[i] <= 0.055 * (double)(cls[i][0] + cls[i][1]) / 2);
    modellix_client_free(c);
}

/* The populations: images 3-10 s (as many requests as the CLI: its schedule there), videos
   30-120 s (under 70 % of the CLI's requests). */
static void test_default_requests(void **state)
{
    (void)state;
    modellix_client *c = client();
    double img = 0, img_cli = 0, vid = 0, vid_cli = 0;
    for (int64_t d = 3000; d < 10000; d += 7) {
        sim_result k;
        cli(d, &k);
        img += (double)run(c, NULL, d, 1).requests;
        img_cli += (double)k.requests;
    }
    for (int64_t d = 30000; d < 120000; d += 97) {
        sim_result k;
        cli(d, &k);
        vid += (double)run(c, NULL, d, 1).requests;
        vid_cli += (double)k.requests;
    }
    assert_true(img <= img_cli);
    assert_true(vid < 0.7 * vid_cli);
    modellix_client_free(c);
}

/* After 5 finished tasks of a model: <= 2.5 requests per task and a mean delay <= 5 % of the mean
   duration + 0.3 s, for models whose durations vary by +-15 % around 3 s .. 10 min, learning from
   data.duration; from the polls alone (no data.duration), <= 3.5 requests and 10 % + 0.3 s. Until 5
   durations are known, the default schedule. */
static void test_learned_bounds(void **state)
{
    (void)state;
    const int64_t medians[] = {3000, 8000, 30000, 60000, 120000, 300000, 600000};
    for (int report = 0; report <= 1; report++)
        for (size_t i = 0; i < sizeof medians / sizeof medians[0]; i++) {
            modellix_client *c = client();
            mx_rng rng;
            mx_rng_seed(&rng, 99 + i);
            int64_t m = medians[i], lo = m * 85 / 100, spread = m * 30 / 100;
            for (int k = 0; k < 5; k++) {
                modellix_task *t = mx_task_new(c);
                assert_non_null(t);
                t->slug = mx_strdup("bytedance/seedance");
                t->submitted = 1;
                t->state = MX_TS_WATCHING; /* accepted */
                /* the default (the first poll at once) until 5 durations are known: from the polls
                   alone a task gives the two ends of the window it finished in */
                int64_t s0[MX_SCHED_SAMPLES];
                int32_t known = mx_sched_samples(c, "bytedance/seedance", s0);
                assert_true(known >= (report ? k : 0) && known <= 2 * k);
                if (known < MX_SCHED_LEARN_MIN)
                    assert_int_equal(mx_sched_next_delay(c, t, t->born_ms), 0);
                else
                    assert_true(mx_sched_next_delay(c, t, t->born_ms) >= lo * 9 / 10);
                modellix_task_free(t);
                run(c, "bytedance/seedance", lo + mx_rng_upto(&rng, spread), report);
            }
            int64_t s[MX_SCHED_SAMPLES];
            assert_true(mx_sched_samples(c, "bytedance/seedance", s) >= MX_SCHED_LEARN_MIN);
            double req = 0, delay = 0, dur = 0;
            const int n = 300;
            for (int k = 0; k < n; k++) {
                int64_t d = lo + mx_rng_upto(&rng, spread);
                sim_result r = run(c, "bytedance/seedance", d, report);
                req += (double)r.requests;
                delay += (double)(r.detect_ms - d);
                dur += (double)d;
            }
            printf("# learned median %lld ms, duration reported %d: %.2f requests, delay %.0f ms (limit %.0f)\n",
                   (long long)m, report, req / n, delay / n, 0.05 * dur / n + 300);
            if (report) {
                assert_true(req / n <= 2.5);
                assert_true(delay / n <= 0.05 * dur / n + 300);
            } else {
                /* from the polls alone, 5 durations known within a poll gap place the range less
                   well: a weaker bound (bench/README.md) */
                assert_true(req / n <= 3.5);
                assert_true(delay / n <= 0.1 * dur / n + 300);
            }
            modellix_client_free(c);
        }
}

/* What a finished task teaches: data.duration inside the window in which it finished; else the
   window's middle when narrow, its ends when as wide as the default's gaps; nothing from a wider
   window or an attached task; and from the polls alone nothing once 5 durations are known. */
static void test_observation(void **state)
{
    (void)state;
    modellix_client *c = client();
    int64_t s[MX_SCHED_SAMPLES];
    modellix_task *t = mx_task_new(c);
    assert_non_null(t);
    t->slug = mx_strdup("alibaba/qwen-image-plus");
    t->born_ms = 1000;
    t->status = MODELLIX_TASK_PENDING;
    /* not submitted here (attached): nothing */
    t->status = MODELLIX_TASK_SUCCESS;
    t->info.duration_ms = 5000;
    mx_sched_observe(c, t, 7000);
    assert_int_equal(mx_sched_samples(c, "alibaba/qwen-image-plus", s), 0);
    assert_null(c->sched);

    t->submitted = 1;
    t->state = MX_TS_WATCHING; /* accepted */
    t->status = MODELLIX_TASK_PROCESSING;
    mx_sched_running(t, 5000); /* running at age 4000 */
    t->status = MODELLIX_TASK_SUCCESS;
    t->info.duration_ms = 4500; /* in (4000, 6000]: taken */
    mx_sched_observe(c, t, 7000);
    assert_int_equal(mx_sched_samples(c, "alibaba/qwen-image-plus", s), 1);
    assert_int_equal(s[0], 4500);

    t->status = MODELLIX_TASK_PROCESSING;
    mx_sched_running(t, 5000);
    t->status = MODELLIX_TASK_FAILED;
    t->info.duration_ms = 150; /* far outside (4000, 6000], a window as narrow as the default's gaps:
                                  both its ends */
    mx_sched_observe(c, t, 7000);
    assert_int_equal(mx_sched_samples(c, "alibaba/qwen-image-plus", s), 3);
    assert_int_equal(s[1], 4000);
    assert_int_equal(s[2], 6000);

    t->status = MODELLIX_TASK_PROCESSING;
    mx_sched_running(t, 5000); /* running at 4000, done at 60000: too wide */
    t->status = MODELLIX_TASK_SUCCESS;
    t->info.duration_ms = -1;
    mx_sched_observe(c, t, 61000);
    assert_int_equal(mx_sched_samples(c, "alibaba/qwen-image-plus", s), 3);

    t->status = MODELLIX_TASK_PROCESSING;
    mx_sched_running(t, 5000); /* running at 4000, done at 6000 */
    t->status = MODELLIX_TASK_SUCCESS;
    mx_sched_observe(c, t, 7000);
    assert_int_equal(mx_sched_samples(c, "alibaba/qwen-image-plus", s), 5);
    /* 5 known: from now on only data.duration teaches (a window seen under the learned schedule is
       not taken) */
    t->status = MODELLIX_TASK_PROCESSING;
    mx_sched_running(t, 5000);
    t->status = MODELLIX_TASK_SUCCESS;
    mx_sched_observe(c, t, 7000);
    assert_int_equal(mx_sched_samples(c, "alibaba/qwen-image-plus", s), 5);
    t->status = MODELLIX_TASK_PROCESSING;
    mx_sched_running(t, 5000);
    t->status = MODELLIX_TASK_SUCCESS;
    t->info.duration_ms = 5200;
    mx_sched_observe(c, t, 7000);
    assert_int_equal(mx_sched_samples(c, "alibaba/qwen-image-plus", s), 6);
    assert_int_equal(s[5], 5200);
    /* a window within 2 x (5 % + 0.3 s): its middle */
    free(t->slug);
    t->slug = mx_strdup("alibaba/other");
    t->status = MODELLIX_TASK_PROCESSING;
    mx_sched_running(t, 6000);
    t->status = MODELLIX_TASK_SUCCESS;
    t->info.duration_ms = -1;
    mx_sched_observe(c, t, 7000);
    assert_int_equal(mx_sched_samples(c, "alibaba/other", s), 1);
    assert_int_equal(s[0], 5500);
    modellix_task_free(t);
    modellix_client_free(c);
}

/* At most 64 models (the least recently observed goes) and the last 16 durations of each. */
static void test_bounded(void **state)
{
    (void)state;
    modellix_client *c = client();
    char slug[64];
    int64_t s[MX_SCHED_SAMPLES];
    for (int i = 0; i < 100; i++) {
        snprintf(slug, sizeof slug, "p/m%d", i);
        run(c, slug, 1000 + i, 1);
    }
    run(c, "p/m50", 1500, 1); /* m50 becomes the most recent */
    for (int i = 0; i < 100; i++) {
        snprintf(slug, sizeof slug, "p/m%d", i);
        assert_int_equal(mx_sched_samples(c, slug, s), i < 36 ? 0 : i == 50 ? 2 : 1);
    }
    run(c, "p/new", 700, 1); /* evicts m36, the least recent */
    assert_int_equal(mx_sched_samples(c, "p/m36", s), 0);
    assert_int_equal(mx_sched_samples(c, "p/m50", s), 2);
    assert_int_equal(mx_sched_samples(c, "p/new", s), 1);
    for (int k = 0; k < 40; k++)
        run(c, "p/many", 1000 + 10 * k, 1);
    assert_int_equal(mx_sched_samples(c, "p/many", s), MX_SCHED_SAMPLES);
    for (int k = 0; k < MX_SCHED_SAMPLES; k++)
        assert_int_equal(s[k], 1000 + 10 * (40 - MX_SCHED_SAMPLES + k));
    modellix_client_free(c);
}

static char *export_of(modellix_client *c)
{
    char *j = NULL;
    assert_int_equal(modellix_client_poll_stats_export(&j, c), MODELLIX_OK);
    assert_non_null(j);
    return j;
}

/* Export, import into another client, export again: the same text and the same schedule. */
static void test_round_trip(void **state)
{
    (void)state;
    modellix_client *a = client(), *b = client();
    char *empty = export_of(a);
    assert_string_equal(empty, "{\"version\":1,\"models\":[]}");
    modellix_free(empty);
    const int64_t d[] = {5000, 5200, 4900, 5100, 5050, 4950};
    for (size_t i = 0; i < 6; i++)
        run(a, "bytedance/seedream-4.5-t2i", d[i], 1);
    run(a, "text-to-video/alibaba/wan", 60000, 1);
    char *ja = export_of(a);
    assert_string_equal(ja, "{\"version\":1,\"models\":[{\"slug\":\"bytedance/seedream-4.5-t2i\",\"durations_ms\":"
                            "[5000,5200,4900,5100,5050,4950]},{\"slug\":\"text-to-video/alibaba/wan\","
                            "\"durations_ms\":[60000]}]}");
    assert_int_equal(modellix_client_poll_stats_import(b, ja), MODELLIX_OK);
    char *jb = export_of(b);
    assert_string_equal(ja, jb);
    /* the same learned schedule in both: a task of that model is first polled after 4.7 s, not at once,
       and at every age the next poll is due at the same time */
    modellix_task *ta = mx_task_new(a), *tb = mx_task_new(b);
    assert_non_null(ta);
    assert_non_null(tb);
    ta->slug = mx_strdup("bytedance/seedream-4.5-t2i");
    tb->slug = mx_strdup("bytedance/seedream-4.5-t2i");
    ta->born_ms = tb->born_ms = 0;
    assert_true(mx_sched_next_delay(b, tb, 0) > 4700);
    assert_int_equal(mx_sched_next_delay(a, ta, 0), mx_sched_next_delay(b, tb, 0));
    ta->next_poll_ms = tb->next_poll_ms = 1;
    for (int64_t now = 0; now < 20000; now += 100)
        assert_int_equal(mx_sched_next_delay(a, ta, now), mx_sched_next_delay(b, tb, now));
    modellix_task_free(ta);
    modellix_task_free(tb);
    modellix_free(ja);
    modellix_free(jb);
    char *out = (char *)"x";
    assert_int_equal(modellix_client_poll_stats_export(&out, NULL), MODELLIX_EINVAL);
    assert_null(out);
    assert_int_equal(modellix_client_poll_stats_export(NULL, a), MODELLIX_EINVAL);
    modellix_client_free(a);
    modellix_client_free(b);
}

/* Hostile text: refused whole, with a message, and the statistics before it stay. */
static void test_import_hostile(void **state)
{
    (void)state;
    modellix_client *c = client();
    for (int i = 0; i < 6; i++)
        run(c, "bytedance/seedream-4.5-t2i", 5000 + i, 1);
    char *before = export_of(c);
    static const char *bad[] = {
        "",
        "{\"version\":1,\"models\":[{\"slug\":\"a/b\",\"durations_ms\":[1,2",   /* truncated */
        "{\"version\":1,\"models\":[]",
        "{\"version\":1,\"models\":[]} x",                                      /* trailing text */
        "[]",
        "{\"version\":2,\"models\":[]}",
        "{\"version\":\"1\",\"models\":[]}",
        "{\"version\":1}",
        "{\"version\":1,\"models\":{}}",
        "{\"version\":1,\"models\":[],\"extra\":0}",
        "{\"version\":1,\"version\":1,\"models\":[]}",                         /* duplicate key */
        "{\"version\":1,\"models\":[{\"slug\":\"a/b\",\"durations_ms\":[99999999999999999999]}]}",
        "{\"version\":1,\"models\":[{\"slug\":\"a/b\",\"durations_ms\":[1e400]}]}",
        "{\"version\":1,\"models\":[{\"slug\":\"a/b\",\"durations_ms\":[604800001]}]}",
        "{\"version\":1,\"models\":[{\"slug\":\"a/b\",\"durations_ms\":[-1]}]}",
        "{\"version\":1,\"models\":[{\"slug\":\"a/b\",\"durations_ms\":[1.5]}]}",
        "{\"version\":1,\"models\":[{\"slug\":\"a/b\",\"durations_ms\":[\"5\"]}]}",
        "{\"version\":1,\"models\":[{\"slug\":\"a/b\",\"durations_ms\":[]}]}",
        "{\"version\":1,\"models\":[{\"slug\":\"a/b\",\"durations_ms\":[[1]]}]}",
        "{\"version\":1,\"models\":[{\"slug\":\"a/b\",\"durations_ms\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}]}",
        "{\"version\":1,\"models\":[{\"slug\":7,\"durations_ms\":[1]}]}",
        "{\"version\":1,\"models\":[{\"slug\":\"ab\",\"durations_ms\":[1]}]}",
        "{\"version\":1,\"models\":[{\"slug\":\"a/b/c/d\",\"durations_ms\":[1]}]}",
        "{\"version\":1,\"models\":[{\"slug\":\" a/b\",\"durations_ms\":[1]}]}",
        "{\"version\":1,\"models\":[{\"slug\":\"a/b\\u0000x\",\"durations_ms\":[1]}]}",
        "{\"version\":1,\"models\":[{\"slug\":\"a/\\u202eb\",\"durations_ms\":[1]}]}",
        "{\"version\":1,\"models\":[{\"slug\":\"a/b\",\"durations_ms\":[1]},{\"slug\":\"a/b\",\"durations_ms\":[2]}]}",
        "{\"version\":1,\"models\":[{\"slug\":\"a/b\",\"durations_ms\":[1],\"x\":1}]}",
        "{\"version\":1,\"models\":[7]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(modellix_client_poll_stats_import(c, bad[i]), MODELLIX_EINVAL);
        assert_int_equal(modellix_client_errcode(c), MODELLIX_EINVAL);
        assert_true(strncmp(modellix_client_errmsg(c), "poll statistics", 15) == 0);
        char *now = export_of(c);
        assert_string_equal(now, before);
        modellix_free(now);
    }
    /* 65 models (one too many), then 64 (accepted) */
    size_t cap = 65 * 64 + 64;
    char *big = malloc(cap);
    assert_non_null(big);
    for (int count = 65; count >= 64; count--) {
        size_t len = (size_t)snprintf(big, cap, "{\"version\":1,\"models\":[");
        for (int i = 0; i < count; i++)
            len += (size_t)snprintf(big + len, cap - len, "%s{\"slug\":\"p/m%d\",\"durations_ms\":[%d]}", i ? "," : "",
                                    i, 1000 + i);
        snprintf(big + len, cap - len, "]}");
        assert_int_equal(modellix_client_poll_stats_import(c, big), count == 65 ? MODELLIX_EINVAL : MODELLIX_OK);
    }
    int64_t s[MX_SCHED_SAMPLES];
    assert_int_equal(mx_sched_samples(c, "p/m63", s), 1);
    assert_int_equal(s[0], 1063);
    assert_int_equal(mx_sched_samples(c, "bytedance/seedream-4.5-t2i", s), 0); /* replaced */
    free(big);
    /* nested 100 000 deep (under the size limit): refused by the parser's depth limit, no crash */
    char *deep = malloc(100001);
    assert_non_null(deep);
    memset(deep, '[', 100000);
    deep[100000] = '\0';
    assert_int_equal(modellix_client_poll_stats_import(c, deep), MODELLIX_EINVAL);
    free(deep);
    /* over 256 KiB, whatever it holds */
    size_t huge = 300 * 1024;
    char *h = malloc(huge + 1);
    assert_non_null(h);
    memset(h, ' ', huge);
    h[huge] = '\0';
    assert_int_equal(modellix_client_poll_stats_import(c, h), MODELLIX_ETOOLARGE);
    free(h);
    assert_int_equal(modellix_client_poll_stats_import(c, NULL), MODELLIX_EINVAL);
    assert_int_equal(modellix_client_poll_stats_import(NULL, "{}"), MODELLIX_EINVAL);
    assert_int_equal(mx_sched_samples(c, "p/m63", s), 1);
    modellix_free(before);
    modellix_client_free(c);
}

typedef struct seen {
    const modellix_task *task;
    int64_t age;
    int32_t polls, calls, freed;
    int64_t answer;
} seen;

static int64_t task_fn(const modellix_task *t, int64_t age_ms, int32_t polls, void *ud)
{
    seen *s = ud;
    s->task = t;
    s->age = age_ms;
    s->polls = polls;
    s->calls++;
    return s->answer;
}

static int64_t plain_fn(int64_t age_ms, int32_t polls, void *ud)
{
    (void)age_ms;
    (void)polls;
    ((seen *)ud)->calls++;
    return 777;
}

static void free_seen(void *ud)
{
    ((seen *)ud)->freed++;
}

/* The task-aware schedule: told the task, its age and answered polls; its answer clamped to
   10 ms .. 1 h; it replaces the learned schedule; the 1.0 setter replaces it (one setting). */
static void test_task_callback(void **state)
{
    (void)state;
    seen s = {.answer = 1234}, p = {0};
    modellix_options *o;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_poll_schedule_task(o, task_fn, &s, free_seen), MODELLIX_OK);
    modellix_client *c = sim_client(o);
    assert_non_null(c);
    modellix_task *t = mx_task_new(c);
    assert_non_null(t);
    t->born_ms = 500;
    t->polls = 3;
    assert_int_equal(mx_sched_next_delay(c, t, 2500), 1234);
    assert_ptr_equal(s.task, t);
    assert_int_equal(s.age, 2000);
    assert_int_equal(s.polls, 3);
    s.answer = 0;
    assert_int_equal(mx_sched_next_delay(c, t, 2500), 10);
    s.answer = INT64_MAX;
    assert_int_equal(mx_sched_next_delay(c, t, 2500), 3600000);
    modellix_task_free(t);
    /* learning still gathers, but the application decides */
    s.answer = 1000;
    for (int i = 0; i < 6; i++)
        assert_int_equal(run(c, "a/b", 5500, 1).requests, 6); /* polls at 1, 2, .. 6 s */
    int64_t samples[MX_SCHED_SAMPLES];
    assert_int_equal(mx_sched_samples(c, "a/b", samples), 6);
    assert_int_equal(s.calls, 3 + 6 * 6);
    modellix_client_free(c);
    assert_int_equal(s.freed, 0); /* the options still hold it */
    assert_int_equal(modellix_options_set_poll_schedule(o, plain_fn, &p, NULL), MODELLIX_OK);
    assert_int_equal(s.freed, 1);
    c = sim_client(o);
    assert_non_null(c);
    assert_int_equal(run(c, NULL, 1000, 1).requests, 2); /* 0.777 and 1.554 s: the plain one's */
    assert_int_equal(p.calls, 2);
    assert_int_equal(s.calls, 3 + 36);
    modellix_client_free(c);
    assert_int_equal(modellix_options_set_poll_schedule_task(NULL, task_fn, &s, NULL), MODELLIX_EINVAL);
    modellix_options_free(o);
}

/* data.duration: milliseconds; absent, negative, non-numeric or absurd is -1. */
static void test_duration_parse(void **state)
{
    (void)state;
    static const struct {
        const char *dur;
        int64_t want;
    } cases[] = {{"3500", 3500}, {"0", 0}, {"3500.7", 3500}, {"-5", -1}, {"\"3500\"", -1}, {"null", -1},
                 {"1e300", -1}, {"1099511627777", -1}, {"[1]", -1}, {NULL, -1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[256];
        if (cases[i].dur)
            snprintf(body, sizeof body, "{\"code\":0,\"data\":{\"status\":\"success\",\"task_id\":\"t-1\",\"duration\":%s}}",
                     cases[i].dur);
        else
            snprintf(body, sizeof body, "{\"code\":0,\"data\":{\"status\":\"success\",\"task_id\":\"t-1\"}}");
        mx_task_info info;
        mx_parse_report rep;
        assert_int_equal(mx_parse_task_response(body, strlen(body), "t-1", &info, &rep), MODELLIX_OK);
        assert_int_equal(info.duration_ms, cases[i].want);
        mx_task_info_free(&info);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_is_cli_to_20s),
        cmocka_unit_test(test_default_bounds_to_600s),
        cmocka_unit_test(test_default_requests),
        cmocka_unit_test(test_learned_bounds),
        cmocka_unit_test(test_observation),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_import_hostile),
        cmocka_unit_test(test_task_callback),
        cmocka_unit_test(test_duration_parse),
    };
    return cmocka_run_group_tests_name("schedule", tests, NULL, NULL);
}
