/* HTTP tests: waiting for one task, all, or any; deadlines; cancellation from another thread. */
#include "harness.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static modellix_task *submit_ms(fixture *f, int duration_ms)
{
    char body[200];
    snprintf(body, sizeof body, "{\"prompt\":\"wait test\",\"mock_duration_ms\":%d}", duration_ms);
    modellix_task *t = NULL;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, body), MODELLIX_OK);
    return t;
}

static void test_wait_deadline_keeps_task(void **state)
{
    fixture *f = *state;
    modellix_task *t = submit_ms(f, 2500);
    char id[128];
    snprintf(id, sizeof id, "%s", modellix_task_id(t));
    int64_t t0 = fx_ms();
    assert_int_equal(modellix_task_wait(t, 300), MODELLIX_ETIMEOUT);
    int64_t took = fx_ms() - t0;
    assert_true(took >= 290 && took < 2000);
    assert_int_equal(modellix_client_errcode(f->c), MODELLIX_ETIMEOUT);
    /* nothing is lost: same id, last known state, and a later wait finishes the job */
    assert_string_equal(modellix_task_id(t), id);
    int32_t st = modellix_task_status(t);
    assert_true(st == MODELLIX_TASK_PENDING || st == MODELLIX_TASK_PROCESSING);
    assert_int_equal(modellix_task_wait(t, 15000), MODELLIX_OK);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_SUCCESS);
    modellix_task_free(t);
    assert_int_equal(modellix_task_wait(NULL, 10), MODELLIX_EINVAL);
}

static void test_wait_all(void **state)
{
    fixture *f = *state;
    enum { N = 6 };
    modellix_task *ts[N + 1];
    for (int i = 0; i < N; i++)
        ts[i] = submit_ms(f, 100 + 150 * i);
    ts[N] = NULL; /* NULL entries are skipped */
    mock_server_reset_counters(f->m);
    assert_int_equal(modellix_client_wait_all(f->c, ts, N + 1, 20000), MODELLIX_OK);
    for (int i = 0; i < N; i++)
        assert_int_equal(modellix_task_status(ts[i]), MODELLIX_TASK_SUCCESS);
    /* polls share reused connections */
    int64_t polls = fx_requests(f, MOCK_ROUTE_TASK);
    int64_t conns = mock_server_counter(f->m, MOCK_CTR_CONNECTIONS, MOCK_ROUTE_ANY);
    assert_true(polls >= N);
    assert_true(conns < polls);
    for (int i = 0; i < N; i++)
        modellix_task_free(ts[i]);
}

static void test_wait_any(void **state)
{
    fixture *f = *state;
    modellix_task *ts[3];
    ts[0] = submit_ms(f, 3000);
    ts[1] = submit_ms(f, 100);
    ts[2] = submit_ms(f, 3000);
    size_t idx = 99;
    assert_int_equal(modellix_client_wait_any(f->c, ts, 3, 10000, &idx), MODELLIX_OK);
    assert_int_equal(idx, 1);
    assert_int_equal(modellix_task_status(ts[1]), MODELLIX_TASK_SUCCESS);
    /* an already finished task is reported at once */
    assert_int_equal(modellix_client_wait_any(f->c, ts, 3, 10000, &idx), MODELLIX_OK);
    assert_int_equal(idx, 1);
    assert_int_equal(modellix_client_wait_any(f->c, ts, 3, 10000, NULL), MODELLIX_EINVAL);
    modellix_task *none[2] = {NULL, NULL};
    assert_int_equal(modellix_client_wait_any(f->c, none, 2, 100, &idx), MODELLIX_EINVAL);
    for (int i = 0; i < 3; i++)
        modellix_task_free(ts[i]);
}

static void test_wait_rides_out_transient_errors(void **state)
{
    fixture *f = *state;
    modellix_task *t = submit_ms(f, 300);
    /* more 503s than one poll's retries: the wait still ends in success */
    fx_fault(f, MOCK_ROUTE_TASK, "GET", MOCK_FAULT_STATUS, 503, 6);
    assert_int_equal(modellix_task_wait(t, 20000), MODELLIX_OK);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_SUCCESS);
    assert_non_null(strstr(f->log, "polling again later"));
    modellix_task_free(t);
}

/* An answer that is no answer (not JSON) after every retry of one poll: the wait polls again later, as
 * for a 503, instead of giving up on a task that may well be running. */
static void test_wait_rides_out_garbage(void **state)
{
    fixture *f = *state;
    modellix_task *t = submit_ms(f, 300);
    fx_fault(f, MOCK_ROUTE_TASK, "GET", MOCK_FAULT_GARBAGE, 0, 6);
    assert_int_equal(modellix_task_wait(t, 20000), MODELLIX_OK);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_SUCCESS);
    assert_non_null(strstr(f->log, "not valid JSON"));
    assert_non_null(strstr(f->log, "polling again later"));
    modellix_task_free(t);
}

/* An answer about another task is a refusal, not a hiccup: the wait stops with EPROTOCOL. */
static void test_wait_stops_on_wrong_task(void **state)
{
    fixture *f = *state;
    modellix_task *t = submit_ms(f, 300);
    fx_fault(f, MOCK_ROUTE_TASK, "GET", MOCK_FAULT_WRONG_TASK_ID, 0, 0);
    assert_int_equal(modellix_task_wait(t, 20000), MODELLIX_EPROTOCOL);
    assert_int_equal(modellix_task_errcode(t), MODELLIX_EPROTOCOL);
    modellix_task_free(t);
}

static void test_wait_stops_on_hard_error(void **state)
{
    fixture *f = *state;
    modellix_task *ts[2];
    ts[0] = submit_ms(f, 200);
    assert_int_equal(modellix_task_attach(&ts[1], f->c, "task-does-not-exist"), MODELLIX_OK);
    assert_int_equal(modellix_client_wait_all(f->c, ts, 2, 10000), MODELLIX_ENOTFOUND);
    assert_int_equal(modellix_task_status(ts[0]), MODELLIX_TASK_SUCCESS);
    assert_int_equal(modellix_task_errcode(ts[1]), MODELLIX_ENOTFOUND);
    modellix_task_free(ts[0]);
    modellix_task_free(ts[1]);
}

typedef struct canceller {
    modellix_client *c;
    int64_t at;
} canceller;

static void *cancel_later(void *arg)
{
    canceller *k = arg;
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    k->at = fx_ms();
    modellix_client_cancel(k->c);
    return NULL;
}

static void test_cancel_from_another_thread(void **state)
{
    fixture *f = *state;
    modellix_task *t = submit_ms(f, 30000);
    canceller k = {f->c, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, cancel_later, &k), 0);
    assert_int_equal(modellix_task_wait(t, 60000), MODELLIX_ECANCELED);
    int64_t latency = fx_ms() - k.at;
    pthread_join(th, NULL);
    printf("# cancel latency: %lld ms\n", (long long)latency);
    /* the promise is 100 ms; the bound leaves room for a slow machine but stays far below the engine's
       1 s idle wake-up, so a cancel that is only noticed at the next wake-up fails */
    assert_true(latency < 200);
    /* the request is consumed: the next wait runs normally (and is cut by its own deadline) */
    assert_int_equal(modellix_task_wait(t, 100), MODELLIX_ETIMEOUT);
    /* a cancel with no call running is kept for the next call */
    assert_int_equal(modellix_client_cancel(f->c), MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 5000), MODELLIX_ECANCELED);
    assert_int_equal(modellix_client_cancel(NULL), MODELLIX_EINVAL);
    modellix_task_free(t);
}

static void test_tasks_of_another_client(void **state)
{
    fixture *f = *state;
    modellix_task *t = submit_ms(f, 100);
    modellix_client *other;
    modellix_options *o;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(o, FX_KEY), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(o, mock_server_url(f->m)), MODELLIX_OK);
    assert_int_equal(modellix_client_new(&other, o), MODELLIX_OK);
    modellix_options_free(o);
    assert_int_equal(modellix_client_wait_all(other, &t, 1, 1000), MODELLIX_EINVAL);
    modellix_client_free(other);
    modellix_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wait_deadline_keeps_task, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_wait_all, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_wait_any, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_wait_rides_out_transient_errors, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_wait_rides_out_garbage, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_wait_stops_on_wrong_task, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_wait_stops_on_hard_error, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_cancel_from_another_thread, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_tasks_of_another_client, fx_test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("wait", tests, fx_setup, fx_teardown);
}
