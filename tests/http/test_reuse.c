/* HTTP tests: paid submissions on reused connections (issue 15, deliverable 1).
 *
 * Submissions share keep-alive connections like every other request. What makes that safe is that
 * a POST's body leaves through a read callback whose seek callback refuses to rewind once any byte
 * left (lib/exchange.c on_read/on_seek): libcurl then fails the attempt instead of sending the
 * request again on a fresh connection when a reused one dies before answering. Each test checks
 * what the mock counted: tasks created, submit requests, connections. */
#include "harness.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t connections(fixture *f)
{
    return mock_server_counter(f->m, MOCK_CTR_CONNECTIONS, MOCK_ROUTE_ANY);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t fast_polls(int64_t age_ms, int32_t polls, void *ud)
{
    (void)age_ms, (void)polls, (void)ud;
    return 50;
}

/* A client that sends a whole batch at once and polls every 50 ms. */
static modellix_client *batch_client(fixture *f)
{
    modellix_options *o;
    modellix_client *c;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(o, FX_KEY), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(o, mock_server_url(f->m)), MODELLIX_OK);
    assert_int_equal(modellix_options_set_max_in_flight(o, 1000), MODELLIX_OK);
    assert_int_equal(modellix_options_set_poll_schedule(o, fast_polls, NULL, NULL), MODELLIX_OK);
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_OK);
    modellix_options_free(o);
    return c;
}

static void submit_ok(fixture *f)
{
    modellix_task *t = NULL;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_non_null(modellix_task_id(t));
    modellix_task_free(t);
}

/* Blocking submits one after the other share one connection; a batch shares at most the gate's
   connections. Nothing is sent twice. */
static void test_submits_reuse_connections(void **state)
{
    fixture *f = *state;
    enum { N = 30, B = 100 };
    for (int i = 0; i < N; i++)
        submit_ok(f);
    assert_int_equal(fx_tasks_created(f), N);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), N);
    printf("# %d blocking submits over %lld connections\n", N, (long long)connections(f));
    assert_true(connections(f) <= 2); /* 1.0: one fresh connection each, N */

    mock_server_reset_counters(f->m);
    modellix_client *c = batch_client(f);
    modellix_task *ts[B];
    for (int i = 0; i < B; i++)
        assert_int_equal(modellix_task_submit_async(&ts[i], c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(modellix_client_wait_all(c, ts, B, 30000), MODELLIX_OK);
    for (int i = 0; i < B; i++) {
        assert_int_equal(modellix_task_status(ts[i]), MODELLIX_TASK_SUCCESS);
        modellix_task_free(ts[i]);
    }
    modellix_client_free(c);
    assert_int_equal(fx_tasks_created(f), B);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), B);
    printf("# %d async submits + their polls over %lld connections\n", B, (long long)connections(f));
    /* at most the gate's 16 at once; a connection the server or curl closed may be replaced */
    assert_true(connections(f) <= 16 + 1);
}

/* The server reads the whole POST on a reused connection, creates the task, and closes without
   answering. libcurl would send it again on a new connection (a second charged task); the refused
   rewind makes the outcome unknown instead: exactly one task, one submit request. */
static void test_reused_connection_dies_after_post(void **state)
{
    fixture *f = *state;
    submit_ok(f); /* opens the connection the next submit reuses */
    assert_int_equal(connections(f), 1);
    fx_fault_charged(f, MOCK_ROUTE_SUBMIT, MOCK_FAULT_RESET_BEFORE, 0, 1);

    modellix_task *t = (modellix_task *)1;
    int64_t t0 = fx_ms();
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_EOUTCOME_UNKNOWN);
    int64_t took = fx_ms() - t0;
    assert_null(t);
    assert_int_equal(fx_tasks_created(f), 2);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 2); /* not re-sent */
    assert_int_equal(mock_server_count_status(f->m, MOCK_ROUTE_SUBMIT, 0), 1);
    /* it went out on the reused connection. libcurl 7.88 then wanted to send it again: it opened a
       new connection (Curl_retry_request), and only there, about to send, asked to rewind the body
       (state.rewindbeforesend), was refused and gave up; nothing went out on that connection */
    sleep_ms(100); /* the mock counts a connection when its thread accepts it */
    assert_int_equal(connections(f), 2);
    assert_int_equal(modellix_client_errcode(f->c), MODELLIX_EOUTCOME_UNKNOWN);
    const char *msg = modellix_client_errmsg(f->c);
    assert_non_null(strstr(msg, "not sent again"));
    assert_true(took < 2000); /* failed at once, not at a time-out */
    fx_assert_no_key(f, msg);

    /* the client goes on: the next submit opens a new connection */
    submit_ok(f);
    assert_int_equal(fx_tasks_created(f), 3);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 3);
    assert_true(connections(f) <= 3);
}

/* The server closed the kept-alive connection after its previous answer (an idle time-out): the
   next submit goes out on a new connection, once, and succeeds. */
static void test_connection_dead_before_post(void **state)
{
    fixture *f = *state;
    enum { ROUNDS = 5 };
    for (int i = 0; i < ROUNDS; i++) {
        mock_fault flt = {0};
        flt.route = MOCK_ROUTE_SUBMIT;
        flt.method = "POST";
        flt.kind = MOCK_FAULT_CLOSE_AFTER;
        flt.count = 1;
        fx_fault_full(f, &flt);
        submit_ok(f);           /* answered, then its connection is closed by the server */
        sleep_ms(20);
        submit_ok(f);           /* must not fail, must not be sent twice */
        mock_server_clear_faults(f->m);
    }
    assert_int_equal(fx_tasks_created(f), 2 * ROUNDS);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 2 * ROUNDS);
    assert_int_equal(mock_server_count_status(f->m, MOCK_ROUTE_SUBMIT, 200), 2 * ROUNDS);
    /* each close cost one new connection, no more: the first round's two submits used two, each
       later round's first submit reused the connection the previous round's second one opened */
    assert_int_equal(connections(f), ROUNDS + 1);
    assert_int_equal(mock_server_counter(f->m, MOCK_CTR_FAULTS_APPLIED, MOCK_ROUTE_SUBMIT), ROUNDS);
}

/* Issue 12 item 4: a cancel requested while no call runs is kept for the next blocking call (1.0
   semantics, client.h), which returns MODELLIX_ECANCELED at once. Nothing was sent, so that submit
   must say so, not MODELLIX_EOUTCOME_UNKNOWN (1.0 read "was it sent" from the pooled handle's
   CURLINFO_REQUEST_SIZE, left over from the previous submit). */
static void test_cancel_before_send(void **state)
{
    fixture *f = *state;
    submit_ok(f); /* leaves a pooled handle whose last request had a size */
    assert_int_equal(modellix_client_cancel(f->c), MODELLIX_OK);
    modellix_task *t = (modellix_task *)1;
    int64_t t0 = fx_ms();
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_ECANCELED);
    assert_true(fx_ms() - t0 < 100);
    assert_null(t);
    assert_int_equal(modellix_client_errcode(f->c), MODELLIX_ECANCELED);
    assert_null(strstr(modellix_client_errmsg(f->c), "unknown"));
    assert_int_equal(fx_tasks_created(f), 1);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 1);
    /* the cancel was consumed: the next submit is sent, once */
    submit_ok(f);
    assert_int_equal(fx_tasks_created(f), 2);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 2);
    /* an async submission is not a blocking call: the queue does not take a cancel for itself */
    assert_int_equal(modellix_client_cancel(f->c), MODELLIX_OK);
    assert_int_equal(modellix_task_submit_async(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_ECANCELED); /* the wait takes it */
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    assert_int_equal(fx_tasks_created(f), 3);
    modellix_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_submits_reuse_connections, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_reused_connection_dies_after_post, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_connection_dead_before_post, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_cancel_before_send, fx_test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("reuse", tests, fx_setup, fx_teardown);
}
