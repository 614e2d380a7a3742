/* HTTP tests: the poll schedule through the real engine and the mock - the first poll at once, the
 * schedule learned from the mock's data.duration or from the polls alone, and statistics imported
 * before the first task. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Submit one task, wait for it; returns the milliseconds taken by the wait, and the status queries
   it cost in *gets. */
static int64_t submit_wait(fixture *f, int64_t *gets)
{
    int64_t before = fx_requests(f, MOCK_ROUTE_TASK);
    modellix_task *t = NULL;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_OK);
    int64_t t0 = fx_ms();
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    int64_t took = fx_ms() - t0;
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_SUCCESS);
    modellix_task_free(t);
    *gets = fx_requests(f, MOCK_ROUTE_TASK) - before;
    return took;
}

/* A task already done when its submission is answered is seen by one status query at once (1.0:
   one query after 2 s). */
static void test_done_at_submit(void **state)
{
    fixture *f = *state;
    mock_server_set_duration_ms(f->m, 0);
    int64_t gets, took = submit_wait(f, &gets);
    assert_int_equal(gets, 1);
    assert_true(took < 1000);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 1);
}

/* Tasks of 400 ms: the default polls at once (still running) and at 2 s; the five durations the mock
   reports are learned (export shows them); the sixth task is then polled once, at about 0.5 s. */
static void test_learns_from_duration(void **state)
{
    fixture *f = *state;
    mock_server_set_duration_ms(f->m, 400);
    modellix_task *t[5];
    for (int i = 0; i < 5; i++)
        assert_int_equal(modellix_task_submit_async(&t[i], f->c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(modellix_client_wait_all(f->c, t, 5, 20000), MODELLIX_OK);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(modellix_task_status(t[i]), MODELLIX_TASK_SUCCESS);
        modellix_task_free(t[i]);
    }
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), 10); /* at once + at 2 s, each */
    char *json = NULL;
    assert_int_equal(modellix_client_poll_stats_export(&json, f->c), MODELLIX_OK);
    assert_string_equal(json, "{\"version\":1,\"models\":[{\"slug\":\"" FX_SLUG "\",\"durations_ms\":[400,400,400,400,400]}]}");
    modellix_free(json);
    int64_t gets, took = submit_wait(f, &gets);
    assert_int_equal(gets, 1);
    assert_true(took >= 450 && took < 1500);
}

/* Statistics imported into a new client: its first task of that model is already polled once. A
   task of another model is not (the default: at once, then at 2 s). */
static void test_imported(void **state)
{
    fixture *f = *state;
    mock_server_set_duration_ms(f->m, 400);
    assert_int_equal(modellix_client_poll_stats_import(f->c, "{\"version\":1,\"models\":[{\"slug\":\"" FX_SLUG
                                                              "\",\"durations_ms\":[380,400,410,390,420]}]}"),
                     MODELLIX_OK);
    int64_t gets, took = submit_wait(f, &gets);
    assert_int_equal(gets, 1);
    assert_true(took < 1500);
    assert_int_equal(modellix_client_poll_stats_import(f->c, "{\"version\":1,\"models\":[{\"slug\":\"other/model\","
                                                              "\"durations_ms\":[400,400,400,400,400]}]}"),
                     MODELLIX_OK);
    took = submit_wait(f, &gets);
    assert_int_equal(gets, 2);
    assert_true(took >= 1800);
}

/* An answer without data.duration: the duration is learned from the polls, as the window between the
   last answer that said "running" (age ~2 s) and the one that said "success" (~4 s) - both its ends,
   as for a short task seen through the default's 2 s gaps. */
static void test_learns_from_polls(void **state)
{
    fixture *f = *state;
    mock_server_set_duration_ms(f->m, 3000);
    modellix_task *t = NULL;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_OK);
    char body[256];
    snprintf(body, sizeof body, "{\"code\":0,\"message\":\"success\",\"data\":{\"status\":\"success\",\"task_id\":\"%s\"}}",
             modellix_task_id(t));
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_TASK;
    flt.method = "GET";
    flt.kind = MOCK_FAULT_STATUS;
    flt.status = 200;
    flt.body = body;
    flt.skip = 2; /* at once and at 2 s: the mock's own "processing" */
    flt.count = 1;
    fx_fault_full(f, &flt);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_SUCCESS);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), 3);
    modellix_task_free(t);
    char *json = NULL;
    assert_int_equal(modellix_client_poll_stats_export(&json, f->c), MODELLIX_OK);
    long long a = -1, b = -1;
    const char *list = strstr(json, "\"durations_ms\":[");
    assert_non_null(list);
    assert_int_equal(sscanf(list, "\"durations_ms\":[%lld,%lld]", &a, &b), 2);
    modellix_free(json);
    assert_true(a >= 1900 && a < 3000);
    assert_true(b >= 3900 && b < 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_done_at_submit, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_learns_from_duration, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_imported, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_learns_from_polls, fx_test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("schedule", tests, fx_setup, fx_teardown);
}
