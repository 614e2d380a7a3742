/* HTTP tests: rate-limit pacing, the attempt observer, custom poll schedules, seeded jitter, and the
 * classification table on downloads. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static modellix_task *attach(fixture *f, const char *id, const char *status)
{
    assert_int_equal(mock_server_put_task(f->m, id, FX_SLUG, status, 1), 0);
    modellix_task *t;
    assert_int_equal(modellix_task_attach(&t, f->c, id), MODELLIX_OK);
    return t;
}

/* A 200 answer for `id` that says the rate limit is used up until `reset_in` seconds from now. */
static void exhaust_rate_limit(fixture *f, const char *id, int reset_in)
{
    static char headers[160], body[160];
    snprintf(headers, sizeof headers, "X-RateLimit-Limit: 60\nX-RateLimit-Remaining: 0\nX-RateLimit-Reset: %lld\n",
             (long long)time(NULL) + reset_in);
    snprintf(body, sizeof body, "{\"code\":0,\"message\":\"success\",\"data\":{\"status\":\"processing\",\"task_id\":\"%s\"}}",
             id);
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_TASK;
    flt.kind = MOCK_FAULT_STATUS;
    flt.status = 200;
    flt.headers = headers;
    flt.body = body;
    flt.count = 1;
    fx_fault_full(f, &flt);
}

static void test_pacing_waits_for_the_window(void **state)
{
    fixture *f = *state;
    modellix_task *t = attach(f, "task-rl-1", "processing");
    /* a reset 3 s ahead in whole Unix seconds leaves 2 to 3 s of window once the answer arrives: at
       least 900 ms of it are still ahead after the first poll, however slow the machine (valgrind) */
    exhaust_rate_limit(f, "task-rl-1", 3);
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    int64_t t0 = fx_ms();
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK); /* waits for the reset instead of drawing a 429 */
    int64_t waited = fx_ms() - t0;
    printf("# paced for %lld ms\n", (long long)waited);
    assert_true(waited >= 900);
    assert_non_null(strstr(f->log, "pacing GET"));
    assert_int_equal(mock_server_count_status(f->m, MOCK_ROUTE_TASK, 429), 0);
    modellix_task_free(t);
}

static void test_pacing_past_the_deadline_sends_nothing(void **state)
{
    fixture *f = *state;
    fx_opts o = {.fast_retries = 1, .call_timeout_ms = 500};
    fx_client(f, &o);
    modellix_task *t = attach(f, "task-rl-2", "processing");
    exhaust_rate_limit(f, "task-rl-2", 30);
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    int64_t before = fx_requests(f, MOCK_ROUTE_TASK);
    assert_int_equal(modellix_task_poll(t), MODELLIX_ERATELIMIT);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), before);
    assert_non_null(strstr(modellix_client_errmsg(f->c), "not sent"));
    /* a paid submission is held back the same way: nothing sent, nothing charged */
    modellix_task *s;
    assert_int_equal(modellix_task_submit(&s, f->c, FX_SLUG, FX_BODY), MODELLIX_ERATELIMIT);
    assert_int_equal(fx_tasks_created(f), 0);
    modellix_task_free(t);
}

typedef struct seen {
    int n;
    int32_t op[16], fault[16], status[16], number[16];
    int64_t delay[16], default_delay[16];
} seen;

static void observe(const modellix_attempt *a, int64_t delay, void *ud)
{
    seen *s = ud;
    if (s->n >= 16)
        return;
    s->op[s->n] = modellix_attempt_operation(a);
    s->fault[s->n] = modellix_attempt_fault(a);
    s->status[s->n] = modellix_attempt_http_status(a);
    s->number[s->n] = modellix_attempt_number(a);
    s->default_delay[s->n] = modellix_attempt_default_delay_ms(a);
    s->delay[s->n++] = delay;
}

static int freed;
static void count_free(void *ud)
{
    (void)ud;
    freed++;
}

static modellix_client *client_with(fixture *f, modellix_retry_policy *p, modellix_attempt_fn fn, void *ud,
                                    modellix_poll_fn sched, uint64_t seed)
{
    modellix_options *o;
    modellix_client *c;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(o, FX_KEY), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(o, mock_server_url(f->m)), MODELLIX_OK);
    if (p)
        assert_int_equal(modellix_options_set_retry_policy(o, p), MODELLIX_OK);
    if (fn)
        assert_int_equal(modellix_options_set_attempt_callback(o, fn, ud, count_free), MODELLIX_OK);
    if (sched)
        assert_int_equal(modellix_options_set_poll_schedule(o, sched, ud, count_free), MODELLIX_OK);
    assert_int_equal(modellix_options_set_random_seed(o, seed), MODELLIX_OK);
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_OK);
    modellix_options_free(o);
    return c;
}

static void test_attempt_observer(void **state)
{
    fixture *f = *state;
    seen s = {0};
    freed = 0;
    modellix_retry_policy *p;
    assert_int_equal(modellix_retry_policy_new_custom(&p, fx_fast_policy, NULL, NULL), MODELLIX_OK);
    modellix_client *c = client_with(f, p, observe, &s, NULL, 1);
    modellix_retry_policy_free(p);

    /* an unknown-outcome submit: seen once, and not retried */
    fx_fault_charged(f, MOCK_ROUTE_SUBMIT, MOCK_FAULT_STATUS, 503, 1);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, FX_BODY), MODELLIX_EOUTCOME_UNKNOWN);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.op[0], MODELLIX_OP_SUBMIT);
    assert_int_equal(s.fault[0], MODELLIX_FAULT_UNKNOWN);
    assert_int_equal(s.status[0], 503);
    assert_int_equal(s.delay[0], -1);

    /* a poll: two transient failures retried, then success */
    assert_int_equal(mock_server_put_task(f->m, "task-obs", FX_SLUG, "processing", 1), 0);
    assert_int_equal(modellix_task_attach(&t, c, "task-obs"), MODELLIX_OK);
    fx_fault(f, MOCK_ROUTE_TASK, "GET", MOCK_FAULT_STATUS, 502, 1);
    fx_fault(f, MOCK_ROUTE_TASK, "GET", MOCK_FAULT_STATUS, 429, 1);
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.op[1], MODELLIX_OP_POLL);
    assert_int_equal(s.fault[1], MODELLIX_FAULT_UNKNOWN);
    assert_int_equal(s.number[1], 1);
    assert_int_equal(s.delay[1], 5);
    assert_int_equal(s.fault[2], MODELLIX_FAULT_THROTTLED);
    assert_int_equal(s.number[2], 2);

    /* a rejected poll: seen, never retried */
    fx_fault(f, MOCK_ROUTE_TASK, "GET", MOCK_FAULT_STATUS, 404, 1);
    assert_int_equal(modellix_task_poll(t), MODELLIX_ENOTFOUND);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.fault[3], MODELLIX_FAULT_REJECTED);
    assert_int_equal(s.delay[3], -1);
    modellix_task_free(t);
    modellix_client_free(c);
    assert_int_equal(freed, 1);
}

static int64_t every_50ms(int64_t age_ms, int32_t polls, void *ud)
{
    (void)age_ms;
    (void)polls;
    (void)ud;
    return 50;
}

static void test_custom_poll_schedule(void **state)
{
    fixture *f = *state;
    freed = 0;
    modellix_client *c = client_with(f, NULL, NULL, NULL, every_50ms, 0);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, "{\"prompt\":\"x\",\"mock_duration_ms\":600}"), MODELLIX_OK);
    int64_t t0 = fx_ms();
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    int64_t took = fx_ms() - t0;
    int64_t polls = fx_requests(f, MOCK_ROUTE_TASK);
    printf("# custom schedule: %lld polls, detected after %lld ms\n", (long long)polls, (long long)took);
    assert_true(polls >= 5);  /* the default schedule would have polled once, at 2 s */
    assert_true(took < 1900);
    modellix_task_free(t);
    modellix_client_free(c);
    assert_int_equal(freed, 1);
}

/* A client seeded with `seed`, with the default policy cut to 2 attempts: `polls` polls of a running task
 * whose first answer each time is a 500, so each poll draws one retry delay (waited for) from the client's
 * random source, and the observer records it with the default policy's own draw. */
static void collect_default_delays(fixture *f, uint64_t seed, int polls, seen *s)
{
    modellix_retry_policy *p;
    assert_int_equal(modellix_retry_policy_new_default(&p), MODELLIX_OK);
    assert_int_equal(modellix_retry_policy_set_max_attempts(p, 2), MODELLIX_OK);
    modellix_client *c = client_with(f, p, observe, s, NULL, seed);
    modellix_retry_policy_free(p);
    modellix_task *t;
    static int serial;
    char id[64];
    snprintf(id, sizeof id, "task-seed-%llu-%d", (unsigned long long)seed, ++serial);
    assert_int_equal(mock_server_put_task(f->m, id, FX_SLUG, "processing", 1), 0);
    assert_int_equal(modellix_task_attach(&t, c, id), MODELLIX_OK);
    for (int i = 0; i < polls; i++) {
        fx_fault(f, MOCK_ROUTE_TASK, "GET", MOCK_FAULT_STATUS, 500, 1);
        assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    }
    modellix_task_free(t);
    modellix_client_free(c);
}

static int same_delays(const seen *a, const seen *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (a->delay[i] != b->delay[i] || a->default_delay[i] != b->default_delay[i])
            return 0;
    return 1;
}

/* The jitter is real and comes from the seed: one seed gives the same delays in two clients, another
 * seed gives other delays, and within one client's run the delays are not all alike (each draw
 * advances the random source). Removing the jitter, or seeding from the clock whatever the option
 * says, fails this test. */
static void test_seeded_jitter_is_reproducible(void **state)
{
    fixture *f = *state;
    enum { POLLS = 4 };
    seen a = {0}, b = {0}, other = {0};
    collect_default_delays(f, 42, POLLS, &a);
    collect_default_delays(f, 42, POLLS, &b);
    collect_default_delays(f, 4242, POLLS, &other);
    assert_int_equal(a.n, POLLS);
    assert_int_equal(other.n, POLLS);
    int varied = 0, below_ceiling = 0;
    for (int i = 0; i < POLLS; i++) {
        printf("# seed 42: %lld ms (default %lld), seed 4242: %lld ms (default %lld)\n", (long long)a.delay[i],
               (long long)a.default_delay[i], (long long)other.delay[i], (long long)other.default_delay[i]);
        assert_int_equal(a.number[i], 1);
        /* full jitter under the first ceiling (500 ms) */
        assert_true(a.delay[i] >= 0 && a.delay[i] <= 500);
        assert_true(a.default_delay[i] >= 0 && a.default_delay[i] <= 500);
        if (i > 0 && (a.delay[i] != a.delay[0] || a.default_delay[i] != a.default_delay[0]))
            varied = 1;
        if (a.delay[i] < 500 || a.default_delay[i] < 500)
            below_ceiling = 1;
    }
    assert_true(same_delays(&a, &b));
    assert_false(same_delays(&a, &other));
    assert_true(varied);
    assert_true(below_ceiling);
}

static void test_download_retries(void **state)
{
    fixture *f = *state;
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, "{\"prompt\":\"d\",\"mock_duration_ms\":50}"), MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    uint8_t *data;
    size_t len;
    /* unknown (5xx) and throttled (429) are retried for a GET of a file */
    fx_fault(f, MOCK_ROUTE_FILE, "GET", MOCK_FAULT_STATUS, 503, 1);
    fx_fault(f, MOCK_ROUTE_FILE, "GET", MOCK_FAULT_STATUS, 429, 1);
    mock_server_reset_counters(f->m);
    assert_int_equal(modellix_task_download_mem(t, 0, 0, &data, &len), MODELLIX_OK);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_FILE), 3);
    modellix_free(data);
    /* rejected (403) is not retried by the policy: only the one refresh of an expired URL follows */
    mock_server_reset_counters(f->m);
    fx_fault(f, MOCK_ROUTE_FILE, "GET", MOCK_FAULT_STATUS, 403, 2);
    assert_int_equal(modellix_task_download_mem(t, 0, 0, &data, &len), MODELLIX_EAUTH);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_FILE), 2);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), 1);
    modellix_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pacing_waits_for_the_window, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_pacing_past_the_deadline_sends_nothing, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_attempt_observer, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_custom_poll_schedule, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_seeded_jitter_is_reproducible, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_download_retries, fx_test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("retry", tests, fx_setup, fx_teardown);
}
