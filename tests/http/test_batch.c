/* HTTP tests: many tasks at once - the submission queue bounded by max_in_flight, the stop after an
 * unknown outcome, background watching, completion callbacks, and a whole batch driven only by an
 * external poll() loop. */
#include "harness.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct counter {
    int done;
    int succeeded;
} counter;

static void on_done(modellix_task *t, void *ud)
{
    counter *k = ud;
    /* the application's pointer rides on the task */
    assert_non_null(modellix_task_user_data(t));
    k->done++;
    if (modellix_task_status(t) == MODELLIX_TASK_SUCCESS)
        k->succeeded++;
}

static int64_t fast_polls(int64_t age_ms, int32_t polls, void *ud)
{
    (void)age_ms;
    (void)polls;
    (void)ud;
    return 50;
}

static modellix_client *batch_client(fixture *f, int32_t max_in_flight, int continue_on_unknown, counter *k)
{
    modellix_options *o;
    modellix_client *c;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(o, FX_KEY), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(o, mock_server_url(f->m)), MODELLIX_OK);
    assert_int_equal(modellix_options_set_max_in_flight(o, max_in_flight), MODELLIX_OK);
    assert_int_equal(modellix_options_set_continue_on_unknown(o, continue_on_unknown), MODELLIX_OK);
    assert_int_equal(modellix_options_set_poll_schedule(o, fast_polls, NULL, NULL), MODELLIX_OK);
    if (k)
        assert_int_equal(modellix_options_set_task_callback(o, on_done, k, NULL), MODELLIX_OK);
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_OK);
    modellix_options_free(o);
    return c;
}

static void test_queue_respects_the_team_limit(void **state)
{
    fixture *f = *state;
    enum { N = 10 };
    mock_server_set_max_running(f->m, 3); /* the team's concurrency limit: a 4th running task gets 429 */
    counter k = {0, 0};
    modellix_client *c = batch_client(f, 3, 0, &k);
    modellix_task *ts[N];
    for (int i = 0; i < N; i++) {
        assert_int_equal(modellix_task_submit_async(&ts[i], c, FX_SLUG, "{\"prompt\":\"q\",\"mock_duration_ms\":150}"),
                         MODELLIX_OK);
        assert_int_equal(modellix_task_set_user_data(ts[i], &ts[i]), MODELLIX_OK);
        assert_ptr_equal(modellix_task_user_data(ts[i]), &ts[i]);
        assert_null(modellix_task_id(ts[i]));
        assert_int_equal(modellix_task_status(ts[i]), MODELLIX_TASK_SUBMITTING);
    }
    assert_int_equal(modellix_task_submit_state(ts[N - 1]), MODELLIX_SUBMIT_QUEUED);
    assert_int_equal(modellix_task_poll(ts[0]), MODELLIX_ESTATE); /* handled in the background */
    assert_int_equal(modellix_client_wait_all(c, ts, N, 30000), MODELLIX_OK);
    for (int i = 0; i < N; i++) {
        assert_int_equal(modellix_task_status(ts[i]), MODELLIX_TASK_SUCCESS);
        assert_int_equal(modellix_task_submit_state(ts[i]), MODELLIX_SUBMIT_ACCEPTED);
        assert_true(modellix_task_done(ts[i]));
    }
    assert_int_equal(k.done, N);
    assert_int_equal(k.succeeded, N);
    assert_int_equal(fx_tasks_created(f), N);
    /* queued submissions waited instead of drawing 429s */
    assert_int_equal(mock_server_count_status(f->m, MOCK_ROUTE_SUBMIT, 429), 0);
    int64_t requests = fx_requests(f, MOCK_ROUTE_ANY);
    int64_t conns = mock_server_counter(f->m, MOCK_CTR_CONNECTIONS, MOCK_ROUTE_ANY);
    printf("# %d tasks: %lld requests over %lld connections\n", N, (long long)requests, (long long)conns);
    /* every submission has a connection of its own (money rule); polls reuse theirs */
    assert_true(conns <= N + 4);
    assert_true(requests > 2 * conns);
    for (int i = 0; i < N; i++)
        modellix_task_free(ts[i]);
    modellix_client_free(c);
}

/* Far more exchanges due at once than the engine's 64 handle slots: the rest wait at the gate and
 * all complete; a wait that times out with exchanges still waiting at the gate leaves them cleanly. */
static void test_more_exchanges_than_handle_slots(void **state)
{
    fixture *f = *state;
    enum { N = 300 };
    counter k = {0, 0};
    modellix_client *c = batch_client(f, N, 0, &k);
    static modellix_task *ts[N];
    for (int i = 0; i < N; i++) {
        assert_int_equal(modellix_task_submit_async(&ts[i], c, FX_SLUG, "{\"prompt\":\"g\",\"mock_duration_ms\":100}"),
                         MODELLIX_OK);
        assert_int_equal(modellix_task_set_user_data(ts[i], &ts[i]), MODELLIX_OK);
    }
    assert_int_equal(modellix_client_wait_all(c, ts, N, 60000), MODELLIX_OK);
    assert_int_equal(k.succeeded, N);
    assert_int_equal(fx_tasks_created(f), N);

    /* every poll stalls for 5 s: 300 polls fall due, 64 go out, the rest wait at the gate */
    modellix_task *again[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(modellix_task_attach(&again[i], c, modellix_task_id(ts[i])), MODELLIX_OK);
    mock_fault stall = {.route = MOCK_ROUTE_TASK, .kind = MOCK_FAULT_STALL, .stall_ms = 5000};
    fx_fault_full(f, &stall);
    int64_t t0 = fx_ms();
    assert_int_equal(modellix_client_wait_all(c, again, N, 300), MODELLIX_ETIMEOUT);
    assert_true(fx_ms() - t0 < 2000);
    for (int i = 0; i < N; i++) {
        assert_int_equal(modellix_task_status(again[i]), MODELLIX_TASK_UNKNOWN);
        modellix_task_free(again[i]);
        modellix_task_free(ts[i]);
    }
    modellix_client_free(c);
}

static void test_unknown_outcome_stops_the_queue(void **state)
{
    fixture *f = *state;
    enum { N = 5 };
    for (int pass = 0; pass < 2; pass++) {
        mock_server_reset_counters(f->m);
        mock_server_clear_faults(f->m);
        mock_fault flt = {0};
        flt.route = MOCK_ROUTE_SUBMIT;
        flt.kind = MOCK_FAULT_STATUS;
        flt.status = 503;
        flt.skip = 1;  /* the second submission */
        flt.count = 1;
        flt.after_create = 1;
        fx_fault_full(f, &flt);
        modellix_client *c = batch_client(f, 1, pass, NULL);
        modellix_task *ts[N];
        for (int i = 0; i < N; i++)
            assert_int_equal(modellix_task_submit_async(&ts[i], c, FX_SLUG,
                                                        "{\"prompt\":\"u\",\"mock_duration_ms\":50}"),
                             MODELLIX_OK);
        int rc = modellix_client_wait_all(c, ts, N, 20000);
        assert_int_equal(rc, MODELLIX_EOUTCOME_UNKNOWN);
        assert_int_equal(modellix_task_submit_state(ts[0]), MODELLIX_SUBMIT_ACCEPTED);
        assert_int_equal(modellix_task_status(ts[0]), MODELLIX_TASK_SUCCESS);
        assert_int_equal(modellix_task_submit_state(ts[1]), MODELLIX_SUBMIT_UNKNOWN);
        assert_int_equal(modellix_task_errcode(ts[1]), MODELLIX_EOUTCOME_UNKNOWN);
        for (int i = 2; i < N; i++) {
            if (pass == 0) {
                /* by default nothing more is sent after an unknown outcome */
                assert_int_equal(modellix_task_submit_state(ts[i]), MODELLIX_SUBMIT_SKIPPED);
                assert_int_equal(modellix_task_errcode(ts[i]), MODELLIX_ECANCELED);
                assert_true(modellix_task_done(ts[i]));
            } else {
                assert_int_equal(modellix_task_status(ts[i]), MODELLIX_TASK_SUCCESS);
            }
        }
        assert_int_equal(fx_tasks_created(f), pass == 0 ? 2 : N);
        assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), pass == 0 ? 2 : N);
        for (int i = 0; i < N; i++)
            modellix_task_free(ts[i]);
        modellix_client_free(c);
    }
}

typedef struct order {
    int n;
    int32_t states[8];
} order;

static void record_order(modellix_task *t, void *ud)
{
    order *o = ud;
    if (o->n < 8)
        o->states[o->n++] = modellix_task_submit_state(t);
}

static void test_unknown_is_reported_before_the_skips(void **state)
{
    fixture *f = *state;
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_SUBMIT;
    flt.kind = MOCK_FAULT_STATUS;
    flt.status = 503;
    flt.count = 1;
    flt.after_create = 1;
    fx_fault_full(f, &flt);
    order o = {0, {0}};
    modellix_options *opts;
    modellix_client *c;
    assert_int_equal(modellix_options_new(&opts), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(opts, FX_KEY), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(opts, mock_server_url(f->m)), MODELLIX_OK);
    assert_int_equal(modellix_options_set_max_in_flight(opts, 1), MODELLIX_OK);
    assert_int_equal(modellix_options_set_task_callback(opts, record_order, &o, NULL), MODELLIX_OK);
    assert_int_equal(modellix_client_new(&c, opts), MODELLIX_OK);
    modellix_options_free(opts);
    modellix_task *ts[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(modellix_task_submit_async(&ts[i], c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(modellix_client_wait_all(c, ts, 3, 10000), MODELLIX_EOUTCOME_UNKNOWN);
    assert_int_equal(o.n, 3);
    assert_int_equal(o.states[0], MODELLIX_SUBMIT_UNKNOWN);
    assert_int_equal(o.states[1], MODELLIX_SUBMIT_SKIPPED);
    assert_int_equal(o.states[2], MODELLIX_SUBMIT_SKIPPED);
    for (int i = 0; i < 3; i++)
        modellix_task_free(ts[i]);
    modellix_client_free(c);
}

static void test_rejection_does_not_stop_the_queue(void **state)
{
    fixture *f = *state;
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_SUBMIT;
    flt.kind = MOCK_FAULT_STATUS;
    flt.status = 400;
    flt.count = 1;
    fx_fault_full(f, &flt);
    modellix_client *c = batch_client(f, 2, 0, NULL);
    modellix_task *ts[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(modellix_task_submit_async(&ts[i], c, FX_SLUG, "{\"prompt\":\"r\",\"mock_duration_ms\":50}"),
                         MODELLIX_OK);
    assert_int_equal(modellix_client_wait_all(c, ts, 3, 20000), MODELLIX_EHTTP);
    /* two are in flight at once, so either of the first two may meet the 400: exactly one does */
    int rejected = 0, succeeded = 0;
    for (int i = 0; i < 3; i++) {
        rejected += modellix_task_submit_state(ts[i]) == MODELLIX_SUBMIT_REJECTED;
        succeeded += modellix_task_status(ts[i]) == MODELLIX_TASK_SUCCESS;
    }
    assert_int_equal(rejected, 1);
    assert_int_equal(succeeded, 2);
    for (int i = 0; i < 3; i++)
        modellix_task_free(ts[i]);
    modellix_client_free(c);
}

static void test_external_event_loop(void **state)
{
    fixture *f = *state;
    enum { N = 20 };
    counter k = {0, 0};
    modellix_client *c = batch_client(f, 5, 0, &k);
    assert_true(modellix_client_backend_fd(c) >= 0);
    assert_int_equal(modellix_client_backend_fd(NULL), -1);
    size_t active = 99;
    assert_int_equal(modellix_client_step(c, &active), MODELLIX_OK);
    assert_int_equal(active, 0);
    modellix_task *ts[N];
    for (int i = 0; i < N; i++) {
        assert_int_equal(modellix_task_submit_async(&ts[i], c, FX_SLUG, "{\"prompt\":\"loop\",\"mock_duration_ms\":100}"),
                         MODELLIX_OK);
        assert_int_equal(modellix_task_set_user_data(ts[i], &ts[i]), MODELLIX_OK);
    }
    /* the application's own loop: poll() on the backend descriptor with the backend timeout */
    int64_t t0 = fx_ms();
    int steps = 0;
    do {
        struct pollfd p = {modellix_client_backend_fd(c), POLLIN, 0};
        int64_t tmo = modellix_client_backend_timeout(c);
        assert_true(tmo >= -1);
        poll(&p, 1, tmo < 0 || tmo > 1000 ? 1000 : (int)tmo);
        assert_int_equal(modellix_client_step(c, &active), MODELLIX_OK);
        steps++;
    } while (active > 0 && fx_ms() - t0 < 30000);
    printf("# %d tasks driven by an external loop in %d steps, %lld ms\n", N, steps, (long long)(fx_ms() - t0));
    assert_int_equal(active, 0);
    assert_int_equal(k.done, N);
    assert_int_equal(k.succeeded, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(modellix_task_status(ts[i]), MODELLIX_TASK_SUCCESS);
        modellix_task_free(ts[i]);
    }
    assert_int_equal(modellix_client_step(NULL, NULL), MODELLIX_EINVAL);
    modellix_client_free(c);
}

static void test_watch_and_free_queued(void **state)
{
    fixture *f = *state;
    modellix_client *c = batch_client(f, 1, 0, NULL);
    modellix_task *a, *b, *t;
    assert_int_equal(modellix_task_submit_async(&a, c, FX_SLUG, "{\"prompt\":\"a\",\"mock_duration_ms\":100}"), MODELLIX_OK);
    assert_int_equal(modellix_task_submit_async(&b, c, FX_SLUG, "{\"prompt\":\"b\",\"mock_duration_ms\":100}"), MODELLIX_OK);
    modellix_task_free(b); /* still queued: dropped unsent */
    assert_int_equal(modellix_task_wait(a, 10000), MODELLIX_OK);
    assert_int_equal(fx_tasks_created(f), 1);
    modellix_task_free(a);
    /* watch an attached task in the background, then wait for it */
    assert_int_equal(mock_server_put_task(f->m, "task-watch-1", FX_SLUG, "processing", 1), 0);
    assert_int_equal(modellix_task_attach(&t, c, "task-watch-1"), MODELLIX_OK);
    assert_int_equal(modellix_task_watch(t), MODELLIX_OK);
    assert_int_equal(modellix_task_poll(t), MODELLIX_ESTATE);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    assert_true(modellix_task_done(t));
    modellix_task_free(t);
    modellix_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_queue_respects_the_team_limit, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_more_exchanges_than_handle_slots, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_outcome_stops_the_queue, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_is_reported_before_the_skips, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_rejection_does_not_stop_the_queue, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_external_event_loop, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_watch_and_free_queued, fx_test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("batch", tests, fx_setup, fx_teardown);
}
