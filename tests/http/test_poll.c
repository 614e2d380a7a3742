/* HTTP tests: attach, one poll, and every failure class of a status query. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static modellix_task *attach_done(fixture *f, const char *id, const char *status)
{
    assert_int_equal(mock_server_put_task(f->m, id, FX_SLUG, status, 2), 0);
    modellix_task *t = NULL;
    assert_int_equal(modellix_task_attach(&t, f->c, id), MODELLIX_OK);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_UNKNOWN);
    assert_null(modellix_task_json(t));
    assert_null(modellix_task_model_slug(t));
    return t;
}

static void test_attach_then_poll(void **state)
{
    fixture *f = *state;
    modellix_task *t = attach_done(f, "task-attach-1", "success");
    assert_int_equal(fx_requests(f, MOCK_ROUTE_ANY), 0); /* attach sends nothing */
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_SUCCESS);
    assert_int_equal(modellix_task_resource_count(t), 2);
    assert_non_null(modellix_task_request_id(t));
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), 1);
    /* waiting on a finished task costs nothing */
    assert_int_equal(modellix_task_wait(t, 1000), MODELLIX_OK);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), 1);
    modellix_task_free(t);
}

static void test_slash_in_task_id(void **state)
{
    fixture *f = *state;
    modellix_task *t = attach_done(f, "folder/task", "processing");
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    char path[256];
    mock_server_last_path(f->m, MOCK_ROUTE_TASK, path, sizeof path);
    assert_string_equal(path, "/api/v1/tasks/folder%2Ftask");
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_PROCESSING);
    assert_string_equal(modellix_task_id(t), "folder/task");
    modellix_task_free(t);
}

static void test_bad_task_ids(void **state)
{
    fixture *f = *state;
    modellix_task *t = (modellix_task *)1;
    static const char *const ids[] = {"", "   ", "a\r\nb", "a b", "a?b", "a#b", "a%2Fb"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        assert_int_equal(modellix_task_attach(&t, f->c, ids[i]), MODELLIX_EINVAL);
        assert_null(t);
    }
    char big[600];
    memset(big, 'x', 513);
    big[513] = '\0';
    assert_int_equal(modellix_task_attach(&t, f->c, big), MODELLIX_EINVAL);
    assert_int_equal(modellix_task_attach(&t, NULL, "t"), MODELLIX_EINVAL);
    assert_int_equal(modellix_task_attach(NULL, f->c, "t"), MODELLIX_EINVAL);
    assert_int_equal(modellix_task_poll(NULL), MODELLIX_EINVAL);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_ANY), 0);
}

/* One poll meets a fault: the code it returns and how many requests it took. */
static void expect_poll(fixture *f, int32_t kind, int32_t status, int32_t count, int code, int64_t requests)
{
    static int serial;
    char id[64];
    snprintf(id, sizeof id, "task-poll-fault-%d", ++serial);
    mock_server_clear_faults(f->m);
    mock_server_reset_counters(f->m);
    modellix_task *t = attach_done(f, id, "processing");
    fx_fault(f, MOCK_ROUTE_TASK, "GET", kind, status, count);
    int rc = modellix_task_poll(t);
    if (rc != code || fx_requests(f, MOCK_ROUTE_TASK) != requests)
        fprintf(stderr, "kind %d status %d: rc %d requests %lld: %s\n", (int)kind, (int)status, rc,
                (long long)fx_requests(f, MOCK_ROUTE_TASK), modellix_client_errmsg(f->c));
    assert_int_equal(rc, code);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), requests);
    if (code != MODELLIX_OK) {
        /* the task keeps its previous state and carries the error */
        assert_int_equal(modellix_task_status(t), MODELLIX_TASK_UNKNOWN);
        assert_int_equal(modellix_task_errcode(t), code);
        assert_true(strlen(modellix_task_errmsg(t)) > 0);
    } else {
        assert_int_equal(modellix_task_status(t), MODELLIX_TASK_PROCESSING);
    }
    modellix_task_free(t);
}

static void test_poll_failures(void **state)
{
    fixture *f = *state;
    /* rejected: no retry */
    expect_poll(f, MOCK_FAULT_STATUS, 404, 0, MODELLIX_ENOTFOUND, 1);
    expect_poll(f, MOCK_FAULT_STATUS, 401, 0, MODELLIX_EAUTH, 1);
    expect_poll(f, MOCK_FAULT_STATUS, 400, 0, MODELLIX_EHTTP, 1);
    expect_poll(f, MOCK_FAULT_WRONG_TASK_ID, 0, 0, MODELLIX_EPROTOCOL, 1);
    expect_poll(f, MOCK_FAULT_HUGE, 0, 0, MODELLIX_ETOOLARGE, 1);
    /* transient: retried under the policy (4 attempts with the test policy) */
    expect_poll(f, MOCK_FAULT_STATUS, 503, 0, MODELLIX_ESERVER, 4);
    expect_poll(f, MOCK_FAULT_STATUS, 500, 2, MODELLIX_OK, 3);
    expect_poll(f, MOCK_FAULT_STATUS, 429, 1, MODELLIX_OK, 2);
    expect_poll(f, MOCK_FAULT_STATUS, 502, 0, MODELLIX_ESERVER, 4);
    expect_poll(f, MOCK_FAULT_RESET_BEFORE, 0, 1, MODELLIX_OK, 2);
    expect_poll(f, MOCK_FAULT_RESET_MIDWAY, 200, 0, MODELLIX_ENETWORK, 4);
    expect_poll(f, MOCK_FAULT_GARBAGE, 0, 0, MODELLIX_EPROTOCOL, 4);
    expect_poll(f, MOCK_FAULT_TRUNCATED, 0, 1, MODELLIX_OK, 2);
    expect_poll(f, MOCK_FAULT_EMPTY, 0, 0, MODELLIX_EPROTOCOL, 4);
    /* JSON of a wrong shape: asking again at once cannot mend it (a watch asks again on its
       schedule and gives up after MX_BAD_ANSWERS_MAX identical answers) */
    expect_poll(f, MOCK_FAULT_NO_TASK_ID, 0, 0, MODELLIX_EPROTOCOL, 1);
}

static void test_poll_deadline(void **state)
{
    fixture *f = *state;
    fx_opts o = {.fast_retries = 1, .call_timeout_ms = 300};
    fx_client(f, &o);
    modellix_task *t = attach_done(f, "task-slow", "processing");
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_TASK;
    flt.kind = MOCK_FAULT_STALL;
    flt.stall_ms = 2000;
    fx_fault_full(f, &flt);
    int64_t t0 = fx_ms();
    assert_int_equal(modellix_task_poll(t), MODELLIX_ETIMEOUT);
    int64_t took = fx_ms() - t0;
    assert_true(took >= 250 && took < 1800);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_UNKNOWN);
    assert_string_equal(modellix_task_id(t), "task-slow");
    modellix_task_free(t);
}

static void test_failed_task(void **state)
{
    fixture *f = *state;
    modellix_task *t = attach_done(f, "task-failed-1", "failed");
    assert_int_equal(modellix_task_wait(t, 5000), MODELLIX_ETASK_FAILED);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_FAILED);
    assert_int_equal(modellix_task_errcode(t), MODELLIX_ETASK_FAILED);
    assert_true(strlen(modellix_task_errmsg(t)) > 0);
    assert_int_equal(modellix_task_resource_count(t), 0);
    modellix_task_free(t);
}

static void test_status_synonyms(void **state)
{
    fixture *f = *state;
    static const char *const words[] = {"succeeded", "completed", "error", "canceled", "cancelled"};
    static const int32_t want[] = {MODELLIX_TASK_SUCCESS, MODELLIX_TASK_SUCCESS, MODELLIX_TASK_FAILED,
                                   MODELLIX_TASK_FAILED, MODELLIX_TASK_FAILED};
    for (size_t i = 0; i < 5; i++) {
        char body[200];
        snprintf(body, sizeof body, "{\"prompt\":\"x\",\"mock_duration_ms\":50,\"mock_status_word\":\"%s\"%s}", words[i],
                 want[i] == MODELLIX_TASK_FAILED ? ",\"mock_outcome\":\"failed\"" : "");
        modellix_task *t;
        assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, body), MODELLIX_OK);
        int rc = modellix_task_wait(t, 5000);
        assert_int_equal(rc, want[i] == MODELLIX_TASK_SUCCESS ? MODELLIX_OK : MODELLIX_ETASK_FAILED);
        assert_int_equal(modellix_task_status(t), want[i]);
        assert_string_equal(modellix_task_status_text(t), words[i]);
        modellix_task_free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_attach_then_poll, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_slash_in_task_id, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_bad_task_ids, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_poll_failures, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_poll_deadline, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_failed_task, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_status_synonyms, fx_test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("poll", tests, fx_setup, fx_teardown);
}
