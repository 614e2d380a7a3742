/* HTTP tests: one 429 whose X-RateLimit-Reset is in an unexpected unit (epoch milliseconds) or
 * absurd must not hold later calls back (issue 12, item 7). Each case times the calls and counts
 * what the mock received. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static modellix_task *attach(fixture *f, const char *id)
{
    assert_int_equal(mock_server_put_task(f->m, id, FX_SLUG, "processing", 1), 0);
    modellix_task *t;
    assert_int_equal(modellix_task_attach(&t, f->c, id), MODELLIX_OK);
    return t;
}

/* One 429 on the next status query, saying the budget is spent until `reset`. */
static void throttle_once(fixture *f, const char *reset)
{
    static char headers[200];
    snprintf(headers, sizeof headers, "X-RateLimit-Limit: 60\nX-RateLimit-Remaining: 0\nX-RateLimit-Reset: %s\n", reset);
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_TASK;
    flt.kind = MOCK_FAULT_STATUS;
    flt.status = 429;
    flt.headers = headers;
    flt.count = 1;
    fx_fault_full(f, &flt);
}

/* The 429's reset, `ahead_ms` from now, written as `reset`: the retried query goes out once the
   window is over (not an hour later), and the next call goes out at once. */
static void check_prompt_after(fixture *f, const char *id, const char *reset, int64_t ahead_ms)
{
    modellix_task *t = attach(f, id);
    mock_server_reset_counters(f->m);
    throttle_once(f, reset);
    int64_t t0 = fx_ms();
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    int64_t first = fx_ms() - t0;
    printf("# %s: reset %s (%lld ms ahead): first call %lld ms\n", id, reset, (long long)ahead_ms, (long long)first);
    assert_true(first >= ahead_ms - 300 && first <= ahead_ms + 1500);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), 2);
    assert_int_equal(mock_server_count_status(f->m, MOCK_ROUTE_TASK, 429), 1);
    t0 = fx_ms();
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    int64_t second = fx_ms() - t0;
    printf("# %s: next call %lld ms\n", id, (long long)second);
    assert_true(second < 300);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), 3);
    modellix_task_free(t);
}

static void test_reset_in_epoch_milliseconds(void **state)
{
    fixture *f = *state;
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)(wall_ms() + 1000));
    check_prompt_after(f, "task-pace-ms", v, 1000);
}

static void test_reset_in_epoch_seconds(void **state)
{
    fixture *f = *state;
    char v[32];
    int64_t now = wall_ms();
    snprintf(v, sizeof v, "%lld", (long long)(now / 1000 + 2));
    check_prompt_after(f, "task-pace-s", v, (now / 1000 + 2) * 1000 - now);
}

static void test_reset_in_seconds_from_now(void **state)
{
    fixture *f = *state;
    check_prompt_after(f, "task-pace-delta", "1", 1000);
}

/* An absurd reset (about the year 5000) holds calls back for at most a minute: a call whose
   deadline is nearer fails at once, unsent, and says for how long. */
static void test_absurd_reset_is_bounded(void **state)
{
    fixture *f = *state;
    fx_opts o = {.fast_retries = 1, .call_timeout_ms = 2000};
    fx_client(f, &o);
    modellix_task *t = attach(f, "task-pace-absurd");
    mock_server_reset_counters(f->m);
    throttle_once(f, "99999999999999999");
    int64_t t0 = fx_ms();
    assert_int_equal(modellix_task_poll(t), MODELLIX_ERATELIMIT);
    assert_true(fx_ms() - t0 < 500);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), 1);
    const char *m = strstr(modellix_client_errmsg(f->c), "used up for the next ");
    assert_non_null(m);
    long long wait = atoll(m + strlen("used up for the next "));
    printf("# absurd reset: held back for %lld ms\n", wait);
    assert_true(wait > 55000 && wait <= 60000);
    assert_non_null(strstr(modellix_client_errmsg(f->c), "not sent"));
    /* the next call is held back the same (bounded) way: nothing sent */
    assert_int_equal(modellix_task_poll(t), MODELLIX_ERATELIMIT);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), 1);
    modellix_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reset_in_epoch_milliseconds, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_reset_in_epoch_seconds, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_reset_in_seconds_from_now, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_absurd_reset_is_bounded, fx_test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("pace", tests, fx_setup, fx_teardown);
}
