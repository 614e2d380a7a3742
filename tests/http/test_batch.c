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

/* The engine's gate: at most 16 API exchanges (curl's connections to the API host) hold a curl handle;
 * the others wait without one. The library says so at DEBUG level, once per exchange that waits. */
static int gated_lines;
static void count_gated(int32_t level, const char *message, void *ud)
{
    (void)level;
    (void)ud;
    assert_null(strstr(message, FX_KEY));
    if (strstr(message, "waiting for one of the 16 connections"))
        gated_lines++;
}

static modellix_client *gate_client_at(fixture *f, const char *base_url, int64_t call_timeout_ms,
                                       modellix_retry_fn retry)
{
    modellix_options *o;
    modellix_client *c;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(o, FX_KEY), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(o, base_url ? base_url : mock_server_url(f->m)), MODELLIX_OK);
    assert_int_equal(modellix_options_set_max_in_flight(o, 1000), MODELLIX_OK);
    assert_int_equal(modellix_options_set_poll_schedule(o, fast_polls, NULL, NULL), MODELLIX_OK);
    assert_int_equal(modellix_options_set_call_timeout_ms(o, call_timeout_ms), MODELLIX_OK);
    assert_int_equal(modellix_options_set_log_callback(o, count_gated, NULL, NULL), MODELLIX_OK);
    assert_int_equal(modellix_options_set_log_level(o, MODELLIX_LOG_DEBUG), MODELLIX_OK);
    if (retry) {
        modellix_retry_policy *p;
        assert_int_equal(modellix_retry_policy_new_custom(&p, retry, NULL, NULL), MODELLIX_OK);
        assert_int_equal(modellix_options_set_retry_policy(o, p), MODELLIX_OK);
        modellix_retry_policy_free(p);
    }
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_OK);
    modellix_options_free(o);
    return c;
}

static modellix_client *gate_client(fixture *f, int64_t call_timeout_ms, modellix_retry_fn retry)
{
    return gate_client_at(f, NULL, call_timeout_ms, retry);
}

/* Far more exchanges due at once than there are connections: the rest wait at the gate and all
 * complete; a wait that times out with exchanges still at the gate removes them, and the gate keeps
 * working for the next ones. */
static void test_gate_many_exchanges(void **state)
{
    fixture *f = *state;
    enum { N = 300 };
    modellix_client *c = gate_client(f, 30000, NULL);
    static modellix_task *ts[N], *again[N];
    gated_lines = 0;
    for (int i = 0; i < N; i++)
        assert_int_equal(modellix_task_submit_async(&ts[i], c, FX_SLUG, "{\"prompt\":\"g\",\"mock_duration_ms\":100}"),
                         MODELLIX_OK);
    assert_int_equal(modellix_client_wait_all(c, ts, N, 60000), MODELLIX_OK);
    for (int i = 0; i < N; i++)
        assert_int_equal(modellix_task_status(ts[i]), MODELLIX_TASK_SUCCESS);
    assert_int_equal(fx_tasks_created(f), N);
    printf("# %d tasks: %d exchanges waited at the gate\n", N, gated_lines);
    assert_true(gated_lines >= N - 16); /* 300 submissions at once: 16 go out, the others wait */

    /* every poll stalls for 5 s: 300 polls fall due, 16 go out, the rest wait at the gate */
    for (int i = 0; i < N; i++)
        assert_int_equal(modellix_task_attach(&again[i], c, modellix_task_id(ts[i])), MODELLIX_OK);
    mock_fault stall = {.route = MOCK_ROUTE_TASK, .kind = MOCK_FAULT_STALL, .stall_ms = 5000};
    fx_fault_full(f, &stall);
    int64_t t0 = fx_ms();
    assert_int_equal(modellix_client_wait_all(c, again, N, 300), MODELLIX_ETIMEOUT);
    assert_true(fx_ms() - t0 < 2000);
    for (int i = 0; i < N; i++) {
        assert_int_equal(modellix_task_status(again[i]), MODELLIX_TASK_UNKNOWN);
        modellix_task_free(again[i]); /* aborts its poll, in flight or waiting at the gate */
    }

    /* the same client again, with the aborted exchanges gone: a fresh round goes through the gate */
    mock_server_clear_faults(f->m);
    for (int i = 0; i < N; i++)
        assert_int_equal(modellix_task_attach(&again[i], c, modellix_task_id(ts[i])), MODELLIX_OK);
    assert_int_equal(modellix_client_wait_all(c, again, N, 60000), MODELLIX_OK);
    for (int i = 0; i < N; i++) {
        assert_int_equal(modellix_task_status(again[i]), MODELLIX_TASK_SUCCESS);
        modellix_task_free(again[i]);
        modellix_task_free(ts[i]);
    }
    modellix_client_free(c);
}

/* A submission retried after a 429 keeps its first deadline, so it can be the one exchange at the gate
 * whose deadline comes first: it must end at that deadline (unsent), not when a connection frees. */
static int64_t retry_after_800ms(const modellix_attempt *a, void *ud)
{
    (void)ud;
    return modellix_attempt_fault(a) == MODELLIX_FAULT_THROTTLED && modellix_attempt_number(a) == 1 ? 800 : -1;
}

static void step_for(modellix_client *c, int64_t until_ms, modellix_task *t)
{
    while (fx_ms() < until_ms && !(t && modellix_task_done(t))) {
        int64_t tmo = modellix_client_backend_timeout(c);
        struct pollfd pfd = {.fd = modellix_client_backend_fd(c), .events = POLLIN};
        (void)poll(&pfd, 1, tmo < 0 || tmo > 20 ? 20 : (int)tmo);
        assert_int_equal(modellix_client_step(c, NULL), MODELLIX_OK);
    }
}

static void test_gate_deadline_while_waiting(void **state)
{
    fixture *f = *state;
    enum { HOLD = 16 };
    modellix_client *c = gate_client(f, 1000, retry_after_800ms);
    fx_fault(f, MOCK_ROUTE_SUBMIT, "POST", MOCK_FAULT_STATUS, 429, 1);
    mock_fault stall = {.route = MOCK_ROUTE_TASK, .kind = MOCK_FAULT_STALL, .stall_ms = 5000};
    fx_fault_full(f, &stall);

    /* t0: the submission goes out and is throttled; its retry is due at t0 + 800, its deadline t0 + 1000 */
    int64_t t0 = fx_ms();
    modellix_task *t;
    assert_int_equal(modellix_task_submit_async(&t, c, FX_SLUG, FX_BODY), MODELLIX_OK);
    step_for(c, t0 + 700, t);
    assert_int_equal(mock_server_count_status(f->m, MOCK_ROUTE_SUBMIT, 429), 1);
    assert_false(modellix_task_done(t));

    /* t0 + 700: 16 stalled polls take every connection until t0 + 1700 */
    modellix_task *hold[HOLD];
    for (int i = 0; i < HOLD; i++) {
        char id[32];
        snprintf(id, sizeof id, "task-gate-%04d", i);
        assert_int_equal(modellix_task_attach(&hold[i], c, id), MODELLIX_OK);
        assert_int_equal(modellix_task_watch(hold[i]), MODELLIX_OK);
    }
    gated_lines = 0;
    step_for(c, t0 + 2500, t);
    int64_t took = fx_ms() - t0;
    printf("# the retried submission waited at the gate and ended %lld ms after it was queued\n", (long long)took);
    assert_true(modellix_task_done(t));
    assert_int_equal(modellix_task_errcode(t), MODELLIX_ETIMEOUT);
    assert_true(gated_lines >= 1);
    assert_true(took < 1400); /* its deadline is t0 + 1000; the connections free at t0 + 1700 */
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 1); /* the retry was never sent */
    assert_int_equal(fx_tasks_created(f), 0);
    modellix_task_free(t);
    for (int i = 0; i < HOLD; i++)
        modellix_task_free(hold[i]);
    modellix_client_free(c);
}

/* Downloads do not queue at the gate: with every API connection held by stalled polls and more
 * polls waiting, a result file still downloads at once. */
static void test_download_not_behind_the_gate(void **state)
{
    fixture *f = *state;
    enum { POLLS = 60 };
    /* the API as "localhost", the files as "127.0.0.1": two hosts, as with the real service */
    char api[128];
    snprintf(api, sizeof api, "http://localhost:%u", (unsigned)mock_server_port(f->m));
    modellix_client *c = gate_client_at(f, api, 30000, NULL);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, "{\"prompt\":\"d\",\"mock_duration_ms\":50}"), MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);

    mock_fault stall = {.route = MOCK_ROUTE_TASK, .kind = MOCK_FAULT_STALL, .stall_ms = 5000};
    fx_fault_full(f, &stall);
    modellix_task *busy[POLLS];
    for (int i = 0; i < POLLS; i++) {
        assert_int_equal(modellix_task_attach(&busy[i], c, modellix_task_id(t)), MODELLIX_OK);
        assert_int_equal(modellix_task_watch(busy[i]), MODELLIX_OK);
    }
    gated_lines = 0;
    step_for(c, fx_ms() + 200, NULL);
    assert_true(gated_lines >= POLLS - 16);

    int64_t t0 = fx_ms();
    unsigned char *data = NULL;
    size_t len = 0;
    assert_int_equal(modellix_task_download_mem(t, 0, 0, &data, &len), MODELLIX_OK);
    int64_t took = fx_ms() - t0;
    printf("# download with %d polls at the gate: %lld ms\n", POLLS, (long long)took);
    assert_true(len > 8);
    assert_true(took < 2500); /* the stalled polls hold the API connections for 5 s */
    modellix_free(data);
    for (int i = 0; i < POLLS; i++)
        modellix_task_free(busy[i]);
    modellix_task_free(t);
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
    fx_fault_charged(f, MOCK_ROUTE_SUBMIT, MOCK_FAULT_STATUS, 503, 1);
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
        cmocka_unit_test_setup_teardown(test_gate_many_exchanges, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_gate_deadline_while_waiting, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_download_not_behind_the_gate, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_outcome_stops_the_queue, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_is_reported_before_the_skips, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_rejection_does_not_stop_the_queue, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_external_event_loop, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_watch_and_free_queued, fx_test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("batch", tests, fx_setup, fx_teardown);
}
