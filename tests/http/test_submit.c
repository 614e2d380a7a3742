/* HTTP tests: submitting tasks, and the money rule (design.md section 5) on every failure class. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_happy_path(void **state)
{
    fixture *f = *state;
    modellix_task *t = NULL;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_non_null(t);
    assert_non_null(modellix_task_id(t));
    assert_true(strlen(modellix_task_id(t)) > 0);
    assert_string_equal(modellix_task_model_slug(t), FX_SLUG);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_PENDING);
    assert_non_null(strstr(modellix_task_json(t), modellix_task_id(t)));
    assert_int_equal(modellix_task_http_status(t), 200);
    assert_int_equal(fx_tasks_created(f), 1);

    char auth[256];
    assert_int_equal(mock_server_last_authorization(f->m, MOCK_ROUTE_SUBMIT, auth, sizeof auth), 0);
    assert_string_equal(auth, "Bearer " FX_KEY);
    char path[256];
    assert_int_equal(mock_server_last_path(f->m, MOCK_ROUTE_SUBMIT, path, sizeof path), 0);
    assert_string_equal(path, "/api/v1/bytedance/seedream-4.5-t2i");

    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_SUCCESS);
    assert_string_equal(modellix_task_status_text(t), "success");
    assert_int_equal(modellix_task_resource_count(t), 1);
    assert_non_null(modellix_task_resource_url(t, 0));
    assert_string_equal(modellix_task_resource_type(t, 0), "image");
    assert_string_equal(modellix_task_resource_format(t, 0), "png");
    assert_string_equal(modellix_task_resource_role(t, 0), "primary");
    assert_true(modellix_task_resource_width(t, 0) > 0);
    assert_true(modellix_task_resource_height(t, 0) > 0);
    assert_null(modellix_task_resource_url(t, 1));
    assert_int_equal(modellix_task_resource_width(t, 1), 0);
    assert_int_equal(modellix_task_errcode(t), MODELLIX_OK);
    assert_string_equal(modellix_task_errmsg(t), "");
    assert_int_equal(fx_tasks_created(f), 1);
    /* the log shows method, path and status of each exchange */
    assert_non_null(strstr(f->log, "POST /api/v1/bytedance/seedream-4.5-t2i -> 200"));
    modellix_task_free(t);
}

/* A submit answered with a "definitely rejected" status: its code, no retry, no task. */
static void expect_rejected(fixture *f, int32_t status, int code)
{
    mock_server_reset_counters(f->m);
    mock_server_clear_faults(f->m);
    fx_fault(f, MOCK_ROUTE_SUBMIT, "POST", MOCK_FAULT_STATUS, status, 0);
    modellix_task *t = (modellix_task *)1;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), code);
    assert_null(t);
    assert_int_equal(modellix_client_errcode(f->c), code);
    assert_int_equal(modellix_client_http_status(f->c), status);
    assert_true(strlen(modellix_client_errmsg(f->c)) > 0);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 1);
    assert_int_equal(fx_tasks_created(f), 0);
}

static void test_rejected_statuses(void **state)
{
    fixture *f = *state;
    expect_rejected(f, 400, MODELLIX_EHTTP);
    expect_rejected(f, 401, MODELLIX_EAUTH);
    expect_rejected(f, 402, MODELLIX_EPAYMENT);
    expect_rejected(f, 403, MODELLIX_EAUTH);
    expect_rejected(f, 404, MODELLIX_ENOTFOUND);
    expect_rejected(f, 405, MODELLIX_EHTTP);
    expect_rejected(f, 413, MODELLIX_ETOOLARGE);
    expect_rejected(f, 415, MODELLIX_EHTTP);
    expect_rejected(f, 422, MODELLIX_EHTTP);
}

/* A submit that may have created a task: outcome unknown, sent exactly once, never re-sent. */
static void expect_unknown(fixture *f, int32_t kind, int32_t status)
{
    mock_server_reset_counters(f->m);
    mock_server_clear_faults(f->m);
    /* the service created (and charged) the task, then the answer went wrong */
    fx_fault_charged(f, MOCK_ROUTE_SUBMIT, kind, status, 0);
    modellix_task *t = (modellix_task *)1;
    int rc = modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY);
    if (rc != MODELLIX_EOUTCOME_UNKNOWN)
        fprintf(stderr, "kind %d status %d: %d %s\n", (int)kind, (int)status, rc, modellix_client_errmsg(f->c));
    assert_int_equal(rc, MODELLIX_EOUTCOME_UNKNOWN);
    assert_null(t);
    assert_non_null(strstr(modellix_client_errmsg(f->c), "outcome is unknown"));
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 1);
    assert_int_equal(fx_tasks_created(f), 1);
}

static void test_unknown_outcomes_default_policy(void **state)
{
    fixture *f = *state;
    /* the default policy, not the fast test policy: it is the one users get */
    fx_opts o = {0};
    fx_client(f, &o);
    static const int32_t statuses[] = {500, 502, 503, 504, 408, 409, 302, 418};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        expect_unknown(f, MOCK_FAULT_STATUS, statuses[i]);
    expect_unknown(f, MOCK_FAULT_RESET_BEFORE, 0);
    expect_unknown(f, MOCK_FAULT_RESET_MIDWAY, 200);
    expect_unknown(f, MOCK_FAULT_GARBAGE, 0);
    expect_unknown(f, MOCK_FAULT_TRUNCATED, 0);
    expect_unknown(f, MOCK_FAULT_EMPTY, 0);
    expect_unknown(f, MOCK_FAULT_NO_TASK_ID, 0);
    expect_unknown(f, MOCK_FAULT_HUGE, 0);
}

static void test_unknown_after_request_timeout(void **state)
{
    fixture *f = *state;
    fx_opts o = {.timeout_ms = 200};
    fx_client(f, &o);
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_SUBMIT;
    flt.kind = MOCK_FAULT_STALL;
    flt.stall_ms = 1500;
    flt.count = 1;
    flt.after_create = 1;
    fx_fault_full(f, &flt);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_EOUTCOME_UNKNOWN);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 1);
}

static void test_throttled_submit_is_retried(void **state)
{
    fixture *f = *state;
    fx_opts o = {0}; /* default policy: 429 is safe to retry, after the server's hint */
    fx_client(f, &o);
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_SUBMIT;
    flt.kind = MOCK_FAULT_STATUS;
    flt.status = 429;
    flt.headers = "Retry-After: 0\nX-RateLimit-Remaining: 0\n";
    flt.count = 2;
    fx_fault_full(f, &flt);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 3);
    assert_int_equal(fx_tasks_created(f), 1);
    assert_non_null(strstr(f->log, "retrying POST"));
    modellix_task_free(t);

    /* still throttled when the deadline leaves no room for the hint: rejected, nothing created */
    mock_server_reset_counters(f->m);
    flt.headers = "Retry-After: 30\n";
    flt.count = 0;
    fx_fault_full(f, &flt);
    fx_opts o2 = {.call_timeout_ms = 2000};
    fx_client(f, &o2);
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_ERATELIMIT);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 1);
    assert_int_equal(fx_tasks_created(f), 0);
}

static int64_t opt_in_policy(const modellix_attempt *a, void *ud)
{
    int *unknown_seen = ud;
    if (modellix_attempt_fault(a) == MODELLIX_FAULT_UNKNOWN && modellix_attempt_operation(a) == MODELLIX_OP_SUBMIT)
        (*unknown_seen)++;
    return modellix_attempt_number(a) >= 4 ? -1 : 5;
}

static void test_resubmit_needs_opt_in(void **state)
{
    fixture *f = *state;
    int seen = 0;
    modellix_retry_policy *p;
    assert_int_equal(modellix_retry_policy_new_custom(&p, opt_in_policy, &seen, NULL), MODELLIX_OK);
    fx_opts o = {.policy = p};
    fx_client(f, &o);
    fx_fault_charged(f, MOCK_ROUTE_SUBMIT, MOCK_FAULT_STATUS, 503, 2);
    modellix_task *t;
    /* a custom policy alone is never asked about an unknown-outcome submit */
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_EOUTCOME_UNKNOWN);
    assert_int_equal(seen, 0);
    assert_int_equal(fx_tasks_created(f), 1);

    /* with the opt-in it is, and the duplicate charge it risks is real */
    mock_server_reset_counters(f->m);
    assert_int_equal(modellix_retry_policy_set_resubmit_unknown(p, 1), MODELLIX_OK);
    fx_client(f, &o);
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(seen, 1);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 2);
    assert_int_equal(fx_tasks_created(f), 2);
    assert_non_null(strstr(f->log, "charged twice"));
    modellix_task_free(t);
    modellix_retry_policy_free(p);
}

static void test_seed_policy_resubmits(void **state)
{
    fixture *f = *state;
    modellix_retry_policy *p;
    assert_int_equal(modellix_retry_policy_new_seed(&p), MODELLIX_OK);
    fx_opts o = {.policy = p};
    fx_client(f, &o);
    modellix_retry_policy_free(p);
    fx_fault_charged(f, MOCK_ROUTE_SUBMIT, MOCK_FAULT_STATUS, 500, 1);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 2);
    assert_int_equal(fx_tasks_created(f), 2); /* the documents' advice charges twice here */
    modellix_task_free(t);
}

static int64_t recording_policy(const modellix_attempt *a, void *ud)
{
    int *not_sent = ud;
    if (modellix_attempt_fault(a) == MODELLIX_FAULT_NOT_SENT && !modellix_attempt_was_sent(a))
        (*not_sent)++;
    return modellix_attempt_number(a) >= 3 ? -1 : 5;
}

static void test_connection_refused(void **state)
{
    fixture *f = *state;
    int not_sent = 0;
    modellix_retry_policy *p;
    assert_int_equal(modellix_retry_policy_new_custom(&p, recording_policy, &not_sent, NULL), MODELLIX_OK);
    /* port 1 on loopback: nothing listens there, so the request is provably never sent */
    fx_opts o = {.policy = p, .base_url = "http://127.0.0.1:1"};
    fx_client(f, &o);
    modellix_retry_policy_free(p);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_ENETWORK);
    assert_int_equal(not_sent, 3); /* asked after each attempt; it said stop after the third */
    assert_non_null(strstr(modellix_client_errmsg(f->c), "not sent"));
}

static void test_invalid_input_sends_nothing(void **state)
{
    fixture *f = *state;
    modellix_task *t;
    static const char bidi[] = {'p', '/', 'm', 'o', (char)0xe2, (char)0x80, (char)0xae, 'd', 'e', 'l', 0}; /* U+202E */
    static const char *const slugs[] = {"", "noslash", "a/b/c/d", "provider/model/extra", "/m", "p/", "p\r\n/m",
                                        FX_SLUG "\n", bidi};
    for (size_t i = 0; i < sizeof slugs / sizeof slugs[0]; i++) {
        int rc = modellix_task_submit(&t, f->c, slugs[i], FX_BODY);
        if (i == 7) {
            /* trailing white space is trimmed like the official CLI */
            assert_int_equal(rc, MODELLIX_OK);
            modellix_task_free(t);
            continue;
        }
        assert_int_equal(rc, MODELLIX_EINVAL);
        assert_true(strlen(modellix_client_errmsg(f->c)) > 0);
    }
    char longslug[300];
    memset(longslug, 'm', sizeof longslug);
    longslug[1] = '/';
    longslug[299] = '\0';
    assert_int_equal(modellix_task_submit(&t, f->c, longslug, FX_BODY), MODELLIX_EINVAL);
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, "[1]"), MODELLIX_EINVAL);
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, "{\"prompt\":"), MODELLIX_EINVAL);
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, NULL), MODELLIX_EINVAL);
    assert_int_equal(modellix_task_submit(&t, NULL, FX_SLUG, FX_BODY), MODELLIX_EINVAL);
    assert_int_equal(modellix_task_submit(NULL, f->c, FX_SLUG, FX_BODY), MODELLIX_EINVAL);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 1); /* only the trimmed valid one */
}

static void test_legacy_paths(void **state)
{
    fixture *f = *state;
    fx_opts o = {.fast_retries = 1, .submit_path = MODELLIX_SUBMIT_PATH_ASYNC};
    fx_client(f, &o);
    modellix_task *t;
    char path[256];
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_OK);
    mock_server_last_path(f->m, MOCK_ROUTE_SUBMIT, path, sizeof path);
    assert_string_equal(path, "/api/v1/bytedance/seedream-4.5-t2i/async");
    modellix_task_free(t);
    assert_int_equal(modellix_task_submit(&t, f->c, "text-to-image/bytedance/seedream-4.5-t2i", FX_BODY), MODELLIX_OK);
    mock_server_last_path(f->m, MOCK_ROUTE_SUBMIT, path, sizeof path);
    assert_string_equal(path, "/api/v1/text-to-image/bytedance/seedream-4.5-t2i/async");
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    modellix_task_free(t);
}

static void test_server_message_is_kept_and_redacted(void **state)
{
    fixture *f = *state;
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_SUBMIT;
    flt.kind = MOCK_FAULT_STATUS;
    flt.status = 401;
    /* a server that echoes the key back must not get it into our messages or logs */
    flt.body = "{\"code\":401,\"message\":\"Authentication failed: key " FX_KEY " is not valid\"}";
    fx_fault_full(f, &flt);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_EAUTH);
    const char *msg = modellix_client_errmsg(f->c);
    assert_non_null(strstr(msg, "Authentication failed"));
    assert_non_null(strstr(msg, "[REDACTED]"));
    fx_assert_no_key(f, msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_happy_path, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_rejected_statuses, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_outcomes_default_policy, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_after_request_timeout, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_throttled_submit_is_retried, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_resubmit_needs_opt_in, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_seed_policy_resubmits, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_connection_refused, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_input_sends_nothing, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_legacy_paths, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_server_message_is_kept_and_redacted, fx_test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("submit", tests, fx_setup, fx_teardown);
}
