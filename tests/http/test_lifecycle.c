/* HTTP tests: the 1.1 task lifecycle and error model, one regression test per finding of issue 12
 * (items 2, 3, 5, 6, 8, 9, 10), each asserting what the server saw and every string the library
 * returned, not only the return code. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* No string the library hands out about t may hold the key or its start (>= 4 bytes at a cut). */
static void assert_task_clean(fixture *f, const modellix_task *t)
{
    const char *strs[] = {modellix_task_errmsg(t), modellix_task_json(t), modellix_task_request_id(t),
                          modellix_task_status_text(t), modellix_task_warning(t), modellix_client_errmsg(f->c),
                          modellix_client_request_id(f->c)};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (!strs[i])
            continue;
        assert_null(strstr(strs[i], FX_KEY));
        assert_null(strstr(strs[i], "SENTINEL-7f3a")); /* a middle piece: no part of the key survives */
        size_t n = strlen(strs[i]);
        for (size_t k = 4; k < strlen(FX_KEY) && k <= n; k++)
            assert_false(memcmp(strs[i] + n - k, FX_KEY, k) == 0);
    }
    fx_assert_no_key(f, NULL);
}

/* Item 2: a failed task whose message quotes the key; a message long enough to be cut inside the
   key; an X-Request-Id echoing the key. */
static void test_key_never_leaks(void **state)
{
    fixture *f = *state;
    modellix_task *t;
    /* the service's own failure detail quotes the key */
    char body[600];
    snprintf(body, sizeof body, "{\"prompt\":\"x\",\"mock_duration_ms\":10,\"mock_outcome\":\"failed\","
             "\"mock_error_message\":\"invalid credential %s for this model\"}", FX_KEY);
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, body), MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 5000), MODELLIX_ETASK_FAILED);
    assert_non_null(strstr(modellix_task_errmsg(t), "[REDACTED]"));
    assert_non_null(strstr(modellix_client_errmsg(f->c), "[REDACTED]"));
    assert_task_clean(f, t);
    modellix_task_free(t);

    /* a rejection whose message is cut at 300 bytes right inside the key */
    for (int lead = 270; lead < 300; lead += 3) {
        char msg[700], env[900];
        memset(msg, 'm', (size_t)lead);
        snprintf(msg + lead, sizeof msg - (size_t)lead, "%s", FX_KEY);
        snprintf(env, sizeof env, "{\"code\":400,\"message\":\"%s\"}", msg);
        mock_fault flt = {0};
        flt.route = MOCK_ROUTE_ANY;
        flt.method = "POST";
        flt.kind = MOCK_FAULT_STATUS;
        flt.status = 400;
        flt.body = env;
        flt.headers = "X-Request-Id: req-" FX_KEY "\n";
        flt.count = 1;
        fx_fault_full(f, &flt);
        assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_EHTTP);
        assert_null(t);
        const char *m = modellix_client_errmsg(f->c);
        assert_true(strlen(m) > 200);
        const char *rid = modellix_client_request_id(f->c);
        assert_true(!rid || !strstr(rid, "SENTINEL"));
        size_t n = strlen(m);
        for (size_t k = 4; k < strlen(FX_KEY) && k <= n; k++)
            assert_false(memcmp(m + n - k, FX_KEY, k) == 0);
        assert_null(strstr(m, "SENTINEL"));
    }
    fx_assert_no_key(f, NULL);
}

/* Item 3, the acceptance rule: a 2xx answer with a valid id is an accepted task, with a warning. */
static void test_odd_answer_with_id_is_accepted(void **state)
{
    fixture *f = *state;
    static const char *const bodies[] = {
        "{\"code\":0,\"data\":{\"task_id\":\"task-odd-1\",\"status\":\"pending\",\"seed\":18446744073709551615}}",
        "{\"code\":0,\"data\":{\"task_id\":\"task-odd-2\",\"status\":\"pending\",\"cost\":1e400}}",
        "{\"code\":0,\"data\":{\"task_id\":\"task-odd-3\",\"status\":\"\"}}",
        "{\"code\":0,\"data\":{\"task_id\":\"task-odd-4\",\"status\":7}}",
        "{\"code\":0,\"data\":{\"task_id\":\"task-odd-5\",\"status\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        mock_fault flt = {0};
        flt.route = MOCK_ROUTE_ANY;
        flt.method = "POST";
        flt.kind = MOCK_FAULT_STATUS;
        flt.status = 200;
        flt.body = bodies[i];
        flt.count = 1;
        fx_fault_full(f, &flt);
        int64_t before = fx_requests(f, MOCK_ROUTE_ANY);
        modellix_task *t = NULL;
        assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_OK);
        assert_non_null(t);
        char want[32];
        snprintf(want, sizeof want, "task-odd-%zu", i + 1);
        assert_string_equal(modellix_task_id(t), want);
        assert_int_equal(modellix_task_submit_state(t), MODELLIX_SUBMIT_ACCEPTED);
        assert_int_equal(modellix_task_status(t), MODELLIX_TASK_PENDING);
        assert_int_equal(modellix_client_errcode(f->c), MODELLIX_OK);
        assert_int_equal(fx_requests(f, MOCK_ROUTE_ANY) - before, 1); /* sent once */
        if (i >= 2)
            assert_non_null(modellix_task_warning(t));
        else
            assert_null(modellix_task_warning(t)); /* numbers out of range are read, not odd */
        modellix_task_free(t);
    }
}

/* Item 5: an answer that can never become valid ends the watch after 3 identical ones, with the
   cause on the task, long before the deadline. */
static void test_invalid_answer_ends_watch(void **state)
{
    fixture *f = *state;
    assert_int_equal(mock_server_put_task(f->m, "task-bad-answer", FX_SLUG, "processing", 1), 0);
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_TASK;
    flt.kind = MOCK_FAULT_STATUS;
    flt.status = 200;
    flt.body = "{\"code\":0,\"data\":{\"task_id\":\"task-bad-answer\",\"status\":42}}";
    fx_fault_full(f, &flt);
    modellix_task *t;
    assert_int_equal(modellix_task_attach(&t, f->c, "task-bad-answer"), MODELLIX_OK);
    int64_t t0 = fx_ms();
    int rc = modellix_task_wait(t, 30000);
    int64_t took = fx_ms() - t0;
    assert_int_equal(rc, MODELLIX_EPROTOCOL);
    assert_int_equal(modellix_task_errcode(t), MODELLIX_EPROTOCOL);
    assert_non_null(strstr(modellix_task_errmsg(t), "3 times in a row"));
    assert_int_equal(modellix_task_done(t), 1);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), 3); /* each answer asked for once: no retries */
    assert_true(took < 15000);                             /* not spun to the 30 s deadline */
    assert_int_equal(modellix_client_errcode(f->c), MODELLIX_EPROTOCOL);
    /* a later good answer resumes it */
    mock_server_clear_faults(f->m);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_SUCCESS);
    assert_int_equal(modellix_task_errcode(t), MODELLIX_OK);
    modellix_task_free(t);
}

/* Item 6: the same task twice (or a task in another wait) is EINVAL at once, and nothing is left
   marked: the next wait works. */
static void test_wait_all_duplicate(void **state)
{
    fixture *f = *state;
    assert_int_equal(mock_server_put_task(f->m, "task-dup", FX_SLUG, "processing", 1), 0);
    modellix_task *t;
    assert_int_equal(modellix_task_attach(&t, f->c, "task-dup"), MODELLIX_OK);
    modellix_task *set[3] = {t, NULL, t};
    int64_t t0 = fx_ms();
    assert_int_equal(modellix_client_wait_all(f->c, set, 3, 20000), MODELLIX_EINVAL);
    assert_true(fx_ms() - t0 < 100);
    assert_non_null(strstr(modellix_client_errmsg(f->c), "listed twice"));
    size_t failed = 99;
    assert_int_equal(modellix_client_wait_all_report(&failed, f->c, set, 3, 20000), MODELLIX_EINVAL);
    assert_int_equal(failed, 0);
    size_t idx;
    assert_int_equal(modellix_client_wait_any(f->c, set, 3, 20000, &idx), MODELLIX_EINVAL);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_ANY), 0);
    assert_int_equal(modellix_client_wait_all(f->c, set, 1, 10000), MODELLIX_OK);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_SUCCESS);
    modellix_task_free(t);
}

/* Item 8: "." and ".." segments are refused before anything is sent. */
static void test_dot_segments_refused(void **state)
{
    fixture *f = *state;
    static const char *const slugs[] = {"../seedream", "bytedance/..", "./x", "bytedance/.", "text-to-image/../x"};
    for (size_t i = 0; i < sizeof slugs / sizeof slugs[0]; i++) {
        modellix_task *t = (modellix_task *)1;
        assert_int_equal(modellix_task_submit(&t, f->c, slugs[i], FX_BODY), MODELLIX_EINVAL);
        assert_null(t);
        assert_non_null(strstr(modellix_client_errmsg(f->c), "\"..\""));
        assert_int_equal(modellix_task_submit_async(&t, f->c, slugs[i], FX_BODY), MODELLIX_EINVAL);
    }
    static const char *const ids[] = {"..", ".", "a/../b", "a/.", "../x", "a/.."};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        modellix_task *t;
        assert_int_equal(modellix_task_attach(&t, f->c, ids[i]), MODELLIX_EINVAL);
    }
    modellix_task *t;
    assert_int_equal(modellix_task_attach(&t, f->c, "a..b/.c/d."), MODELLIX_OK); /* dots inside a part are fine */
    modellix_task_free(t);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_ANY), 0);
    assert_int_equal(fx_tasks_created(f), 0);
}

/* Item 9: after an unknown outcome the queue is halted; resume lets the next ones go. Also the error
   model (item 10): none of this background work touches the client's error slot. */
static void test_halt_and_resume(void **state)
{
    fixture *f = *state;
    fx_opts o = {.fast_retries = 1, .max_in_flight = 1};
    fx_client(f, &o);
    fx_fault_charged(f, MOCK_ROUTE_ANY, MOCK_FAULT_RESET_BEFORE, 0, 1);
    modellix_task *t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(modellix_task_submit_async(&t[i], f->c, FX_SLUG, "{\"prompt\":\"x\",\"mock_duration_ms\":10}"),
                         MODELLIX_OK);
    size_t failed = 0;
    assert_int_equal(modellix_client_wait_all_report(&failed, f->c, t, 3, 10000), MODELLIX_OK);
    assert_int_equal(modellix_client_errcode(f->c), MODELLIX_OK); /* the call succeeded */
    assert_string_equal(modellix_client_errmsg(f->c), "");
    assert_int_equal(modellix_task_submit_state(t[0]), MODELLIX_SUBMIT_UNKNOWN);
    assert_int_equal(modellix_task_submit_state(t[1]), MODELLIX_SUBMIT_SKIPPED);
    assert_int_equal(modellix_task_submit_state(t[2]), MODELLIX_SUBMIT_SKIPPED);
    assert_int_equal(failed, 3);
    assert_int_equal(fx_tasks_created(f), 1); /* the unknown one exists; nothing else was sent */
    assert_int_equal(modellix_client_halted(f->c), 1);
    modellix_task *later;
    assert_int_equal(modellix_task_submit_async(&later, f->c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(modellix_task_submit_state(later), MODELLIX_SUBMIT_SKIPPED);
    assert_int_equal(fx_tasks_created(f), 1);
    modellix_task_free(later);
    /* the application decided: resume */
    assert_int_equal(modellix_client_resume(f->c), MODELLIX_OK);
    assert_int_equal(modellix_client_halted(f->c), 0);
    assert_int_equal(modellix_task_submit_async(&later, f->c, FX_SLUG, "{\"prompt\":\"x\",\"mock_duration_ms\":10}"),
                     MODELLIX_OK);
    assert_int_equal(modellix_client_pending_count(f->c), 1);
    assert_int_equal(modellix_task_wait(later, 10000), MODELLIX_OK);
    assert_int_equal(modellix_client_pending_count(f->c), 0);
    assert_int_equal(fx_tasks_created(f), 2);
    /* wait_all (1.0) reports the unknown one as its own result, with the task's message */
    assert_int_equal(modellix_client_wait_all(f->c, t, 3, 1000), MODELLIX_EOUTCOME_UNKNOWN);
    assert_non_null(strstr(modellix_client_errmsg(f->c), "outcome is unknown"));
    assert_int_equal(modellix_client_wait_all(f->c, t, 3, 1000), MODELLIX_EOUTCOME_UNKNOWN); /* again, same */
    assert_non_null(strstr(modellix_client_errmsg(f->c), "outcome is unknown"));
    modellix_task_free(later);
    for (int i = 0; i < 3; i++)
        modellix_task_free(t[i]);
}

/* Item 10: a background failure of one task never lands in the client's slot; a successful wait on
   another task leaves it clear. */
static void test_background_failure_stays_on_task(void **state)
{
    fixture *f = *state;
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_ANY;
    flt.method = "POST";
    flt.kind = MOCK_FAULT_STATUS;
    flt.status = 401;
    flt.count = 1;
    fx_fault_full(f, &flt);
    assert_int_equal(mock_server_put_task(f->m, "task-good", FX_SLUG, "processing", 1), 0);
    modellix_task *bad, *good;
    assert_int_equal(modellix_task_submit_async(&bad, f->c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(modellix_task_attach(&good, f->c, "task-good"), MODELLIX_OK);
    /* the queued submission is refused while this wait drives the client */
    assert_int_equal(modellix_task_wait(good, 10000), MODELLIX_OK);
    assert_int_equal(mock_server_count_status(f->m, MOCK_ROUTE_ANY, 401), 1);
    assert_int_equal(modellix_task_submit_state(bad), MODELLIX_SUBMIT_REJECTED);
    assert_int_equal(modellix_task_errcode(bad), MODELLIX_EAUTH);
    assert_int_equal(modellix_client_errcode(f->c), MODELLIX_OK);
    assert_string_equal(modellix_client_errmsg(f->c), "");
    assert_int_equal(modellix_client_http_status(f->c), 0);
    /* asked about, the rejected task's error becomes the call's, whole */
    assert_int_equal(modellix_client_wait_all(f->c, &bad, 1, 1000), MODELLIX_EAUTH);
    assert_int_equal(modellix_client_http_status(f->c), 401);
    assert_true(strlen(modellix_client_errmsg(f->c)) > 0);
    size_t failed;
    assert_int_equal(modellix_client_wait_all_report(&failed, f->c, &bad, 1, 1000), MODELLIX_OK);
    assert_int_equal(failed, 1);
    assert_int_equal(modellix_client_errcode(f->c), MODELLIX_OK);
    modellix_task_free(bad);
    modellix_task_free(good);
}

static void nap_5ms(void)
{
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);
}

/* A queued task's slot is let go when nobody follows it any more: freeing or unwatching an accepted
   task lets the next queued submission go out (1.0 kept the slot of an unwatched task for good). */
static void test_slot_released_by_free_and_unwatch(void **state)
{
    fixture *f = *state;
    fx_opts o = {.fast_retries = 1, .max_in_flight = 1};
    fx_client(f, &o);
    const char *slow = "{\"prompt\":\"x\",\"mock_duration_ms\":60000}";
    modellix_task *a, *b, *c;
    assert_int_equal(modellix_task_submit_async(&a, f->c, FX_SLUG, slow), MODELLIX_OK);
    assert_int_equal(modellix_task_submit_async(&b, f->c, FX_SLUG, slow), MODELLIX_OK);
    assert_int_equal(modellix_task_submit_async(&c, f->c, FX_SLUG, slow), MODELLIX_OK);
    for (int i = 0; i < 2000 && modellix_task_submit_state(a) != MODELLIX_SUBMIT_ACCEPTED; i++) {
        size_t active;
        assert_int_equal(modellix_client_step(f->c, &active), MODELLIX_OK);
        nap_5ms();
    }
    assert_int_equal(modellix_task_submit_state(a), MODELLIX_SUBMIT_ACCEPTED);
    assert_int_equal(modellix_task_submit_state(b), MODELLIX_SUBMIT_QUEUED);
    assert_int_equal(fx_tasks_created(f), 1);
    /* unwatching a: b goes out (at the next step, not from inside the call) */
    assert_int_equal(modellix_task_unwatch(a), MODELLIX_OK);
    assert_int_equal(modellix_task_submit_state(b), MODELLIX_SUBMIT_QUEUED);
    for (int i = 0; i < 2000 && modellix_task_submit_state(b) != MODELLIX_SUBMIT_ACCEPTED; i++) {
        assert_int_equal(modellix_client_step(f->c, NULL), MODELLIX_OK);
        nap_5ms();
    }
    assert_int_equal(modellix_task_submit_state(b), MODELLIX_SUBMIT_ACCEPTED);
    assert_int_equal(modellix_task_submit_state(c), MODELLIX_SUBMIT_QUEUED);
    /* freeing b: c goes out */
    modellix_task_free(b);
    for (int i = 0; i < 2000 && modellix_task_submit_state(c) != MODELLIX_SUBMIT_ACCEPTED; i++) {
        assert_int_equal(modellix_client_step(f->c, NULL), MODELLIX_OK);
        nap_5ms();
    }
    assert_int_equal(modellix_task_submit_state(c), MODELLIX_SUBMIT_ACCEPTED);
    assert_int_equal(fx_tasks_created(f), 3);
    assert_int_equal(modellix_client_pending_count(f->c), 0);
    modellix_task_free(a);
    modellix_task_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_key_never_leaks, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_odd_answer_with_id_is_accepted, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_answer_ends_watch, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_wait_all_duplicate, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_dot_segments_refused, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_halt_and_resume, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_background_failure_stays_on_task, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_slot_released_by_free_and_unwatch, fx_test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("lifecycle", tests, fx_setup, fx_teardown);
}
