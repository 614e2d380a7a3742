/* test_mock_faults.c - every fault kind, matching (route, method, skip, count) and after_create. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_mock_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int setup(void **state)
{
    mock_server *m = tm_start(600000);
    if (m == NULL)
        return -1;
    mock_server_set_max_running(m, 0);
    assert_int_equal(mock_server_put_task(m, "t1", "bytedance/seedream-4.5-t2i", "success", 1), 0);
    *state = m;
    return 0;
}

static int teardown(void **state)
{
    mock_server_stop(*state);
    return 0;
}

static mock_fault fault(int32_t route, int32_t kind)
{
    mock_fault f;
    memset(&f, 0, sizeof f);
    f.route = route;
    f.kind = kind;
    f.count = 1;
    return f;
}

static const char submit_path[] = "/api/v1/bytedance/seedream-4.5-t2i";
static const char submit_body[] = "{\"prompt\":\"a fox\"}";

static void status_fault(void **state)
{
    mock_server *m = *state;
    mock_fault f = fault(MOCK_ROUTE_TASK, MOCK_FAULT_STATUS);
    f.status = 503;
    f.headers = "Retry-After: 2\nX-Custom: yes\r\n";
    f.body = "{\"code\":503,\"message\":\"Service unavailable: busy\"}";
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_resp r;
    tm_get(m, "/api/v1/tasks/t1", &r);
    assert_int_equal(r.status, 503);
    assert_string_equal(json_string_value(json_object_get(r.json, "message")), "Service unavailable: busy");
    char buf[64];
    assert_string_equal(tm_header(&r, "Retry-After", buf, sizeof buf), "2");
    assert_string_equal(tm_header(&r, "X-Custom", buf, sizeof buf), "yes");
    assert_non_null(tm_header(&r, "X-Request-Id", buf, sizeof buf));
    tm_resp_free(&r);
    /* count = 1: the next request is normal */
    tm_get(m, "/api/v1/tasks/t1", &r);
    assert_int_equal(r.status, 200);
    tm_resp_free(&r);
    /* body NULL: the standard envelope */
    f = fault(MOCK_ROUTE_ANY, MOCK_FAULT_STATUS);
    f.status = 500;
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_get(m, "/api/v1/models", &r);
    assert_int_equal(r.status, 500);
    assert_int_equal(json_integer_value(json_object_get(r.json, "code")), 500);
    assert_non_null(strchr(json_string_value(json_object_get(r.json, "message")), ':'));
    tm_resp_free(&r);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_FAULTS_APPLIED, MOCK_ROUTE_TASK), 1);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_FAULTS_APPLIED, MOCK_ROUTE_MODELS), 1);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_FAULTS_APPLIED, MOCK_ROUTE_ANY), 2);
    assert_int_equal(mock_server_count_status(m, MOCK_ROUTE_TASK, 503), 1);
    /* invalid faults are refused */
    f = fault(MOCK_ROUTE_ANY, MOCK_FAULT_STATUS);
    f.status = 0;
    assert_int_equal(mock_server_add_fault(m, &f), -1);
    f = fault(MOCK_ROUTE_COUNT_, MOCK_FAULT_EMPTY);
    assert_int_equal(mock_server_add_fault(m, &f), -1);
}

static void reset_before(void **state)
{
    mock_server *m = *state;
    mock_fault f = fault(MOCK_ROUTE_TASK, MOCK_FAULT_RESET_BEFORE);
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_resp r;
    assert_int_equal(tm_get(m, "/api/v1/tasks/t1", &r), -1);
    assert_int_equal(r.rc, CURLE_GOT_NOTHING);
    assert_int_equal(r.status, 0);
    tm_resp_free(&r);
    assert_int_equal(mock_server_count_status(m, MOCK_ROUTE_TASK, 0), 1);
    tm_get(m, "/api/v1/tasks/t1", &r);
    assert_int_equal(r.status, 200);
    tm_resp_free(&r);
}

static void reset_midway(void **state)
{
    mock_server *m = *state;
    mock_fault f = fault(MOCK_ROUTE_TASK, MOCK_FAULT_RESET_MIDWAY);
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_resp r;
    assert_int_equal(tm_get(m, "/api/v1/tasks/t1", &r), -1);
    assert_int_equal(r.rc, CURLE_PARTIAL_FILE);
    assert_int_equal(r.status, 200);
    char buf[64];
    unsigned long long cl = strtoull(tm_header(&r, "Content-Length", buf, sizeof buf), NULL, 10);
    assert_true(r.body_len > 0);
    assert_true(r.body_len < cl);
    assert_memory_equal(r.body, "{\"code\":0", 9);
    tm_resp_free(&r);
    /* with a status */
    f.status = 502;
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    assert_int_equal(tm_get(m, "/api/v1/tasks/t1", &r), -1);
    assert_int_equal(r.status, 502);
    assert_int_equal(r.rc, CURLE_PARTIAL_FILE);
    tm_resp_free(&r);
}

struct stalled {
    mock_server *m;
    tm_resp r;
    atomic_int done;
};

static void *stalled_request(void *arg)
{
    struct stalled *s = arg;
    tm_get(s->m, "/api/v1/tasks/t1", &s->r);
    atomic_store(&s->done, 1);
    return NULL;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void stall_does_not_block(void **state)
{
    mock_server *m = *state;
    mock_fault f = fault(MOCK_ROUTE_TASK, MOCK_FAULT_STALL);
    f.stall_ms = 1500;
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    struct stalled s;
    memset(&s, 0, sizeof s);
    s.m = m;
    atomic_init(&s.done, 0);
    long long t0 = now_ms();
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, stalled_request, &s), 0);
    /* wait until the server has the stalled request in hand */
    while (mock_server_counter(m, MOCK_CTR_FAULTS_APPLIED, MOCK_ROUTE_ANY) < 1)
        tm_sleep_ms(2);
    /* several requests in parallel with it are answered while it still waits */
    for (int i = 0; i < 5; i++) {
        tm_resp r;
        tm_get(m, "/api/v1/models", &r);
        assert_int_equal(r.status, 200);
        tm_resp_free(&r);
    }
    assert_int_equal(atomic_load(&s.done), 0);
    pthread_join(th, NULL);
    assert_int_equal(s.r.status, 200);
    assert_string_equal(tm_data_str(&s.r, "task_id"), "t1");
    assert_true(now_ms() - t0 >= 1500);
    tm_resp_free(&s.r);
}

static void stall_then_stop(void **state)
{
    /* stopping the server while a request is stalled must not hang or crash */
    mock_server *m = *state;
    mock_fault f = fault(MOCK_ROUTE_TASK, MOCK_FAULT_STALL);
    f.stall_ms = 60000;
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    struct stalled s;
    memset(&s, 0, sizeof s);
    s.m = m;
    atomic_init(&s.done, 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, stalled_request, &s), 0);
    while (mock_server_counter(m, MOCK_CTR_FAULTS_APPLIED, MOCK_ROUTE_ANY) < 1)
        tm_sleep_ms(2);
    long long t0 = now_ms();
    mock_server_stop(m);
    *state = NULL;
    pthread_join(th, NULL);
    assert_true(now_ms() - t0 < 30000);
    tm_resp_free(&s.r);
}

static void garbage_and_empty(void **state)
{
    mock_server *m = *state;
    mock_fault f = fault(MOCK_ROUTE_TASK, MOCK_FAULT_GARBAGE);
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_resp r;
    tm_get(m, "/api/v1/tasks/t1", &r);
    assert_int_equal(r.status, 200);
    assert_true(r.body_len > 0);
    assert_null(r.json);
    tm_resp_free(&r);
    f = fault(MOCK_ROUTE_TASK, MOCK_FAULT_EMPTY);
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_get(m, "/api/v1/tasks/t1", &r);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    char buf[32];
    assert_string_equal(tm_header(&r, "Content-Length", buf, sizeof buf), "0");
    tm_resp_free(&r);
}

static void truncated(void **state)
{
    mock_server *m = *state;
    tm_resp full;
    tm_get(m, "/api/v1/tasks/t1", &full);
    mock_fault f = fault(MOCK_ROUTE_TASK, MOCK_FAULT_TRUNCATED);
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_resp r;
    tm_get(m, "/api/v1/tasks/t1", &r);
    assert_int_equal(r.rc, CURLE_OK); /* Content-Length matches the cut body */
    assert_int_equal(r.status, 200);
    assert_null(r.json);
    assert_int_equal(r.body_len, full.body_len / 2);
    char buf[32];
    assert_int_equal(strtoull(tm_header(&r, "Content-Length", buf, sizeof buf), NULL, 10), r.body_len);
    assert_memory_equal(r.body, full.body, r.body_len);
    tm_resp_free(&r);
    tm_resp_free(&full);
}

static void huge(void **state)
{
    mock_server *m = *state;
    mock_fault f = fault(MOCK_ROUTE_TASK, MOCK_FAULT_HUGE); /* default 17 MiB */
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_resp r;
    tm_get(m, "/api/v1/tasks/t1", &r);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 17 * 1024 * 1024);
    char buf[32];
    assert_int_equal(strtoull(tm_header(&r, "Content-Length", buf, sizeof buf), NULL, 10), 17 * 1024 * 1024);
    assert_non_null(r.json); /* it is one (very long) JSON document */
    tm_resp_free(&r);
    f.huge_bytes = 1000;
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_get(m, "/api/v1/tasks/t1", &r);
    assert_int_equal(r.body_len, 1000);
    assert_non_null(r.json);
    tm_resp_free(&r);
    assert_true(mock_server_counter(m, MOCK_CTR_BYTES_SERVED, MOCK_ROUTE_TASK) >= 17 * 1024 * 1024);
}

static void wrong_and_no_task_id(void **state)
{
    mock_server *m = *state;
    mock_fault f = fault(MOCK_ROUTE_TASK, MOCK_FAULT_WRONG_TASK_ID);
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_resp r;
    tm_get(m, "/api/v1/tasks/t1", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(tm_data_str(&r, "task_id"));
    assert_string_not_equal(tm_data_str(&r, "task_id"), "t1");
    assert_string_equal(tm_data_str(&r, "status"), "success");
    tm_resp_free(&r);
    f = fault(MOCK_ROUTE_TASK, MOCK_FAULT_NO_TASK_ID);
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_get(m, "/api/v1/tasks/t1", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(json_object_get(r.json, "data"));
    assert_null(json_object_get(json_object_get(r.json, "data"), "task_id"));
    tm_resp_free(&r);
    /* on submit: the answer is corrupted and, without after_create, no task is charged */
    f = fault(MOCK_ROUTE_SUBMIT, MOCK_FAULT_NO_TASK_ID);
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_post(m, submit_path, submit_body, &r);
    assert_int_equal(r.status, 200);
    assert_null(tm_data_str(&r, "task_id"));
    assert_string_equal(tm_data_str(&r, "status"), "pending");
    tm_resp_free(&r);
    f = fault(MOCK_ROUTE_SUBMIT, MOCK_FAULT_WRONG_TASK_ID);
    f.after_create = 1;
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_post(m, submit_path, submit_body, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(tm_data_str(&r, "task_id"));
    tm_resp q;
    char path[256];
    snprintf(path, sizeof path, "/api/v1/tasks/%s", tm_data_str(&r, "task_id"));
    tm_get(m, path, &q);
    assert_int_equal(q.status, 404); /* the id we were given is not a real task */
    tm_resp_free(&q);
    tm_resp_free(&r);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_TASKS_CREATED, MOCK_ROUTE_ANY), 1);
}

static void redirect_to_other(void **state)
{
    mock_server *m = *state;
    mock_fault f = fault(MOCK_ROUTE_TASK, MOCK_FAULT_REDIRECT);
    f.location = "{other}{path}";
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_resp r;
    tm_get(m, "/api/v1/tasks/t1?x=1", &r);
    assert_int_equal(r.status, 302);
    char loc[256], self_port[16];
    assert_non_null(tm_header(&r, "Location", loc, sizeof loc));
    snprintf(self_port, sizeof self_port, ":%u/", (unsigned)mock_server_port(m));
    assert_memory_equal(loc, "http://127.0.0.1:", 17);
    assert_null(strstr(loc, self_port)); /* another port */
    assert_non_null(strstr(loc, "/api/v1/tasks/t1?x=1"));
    tm_resp_free(&r);
    /* the other listener serves the same routes and the same tasks */
    tm_request("GET", loc, tm_auth, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(tm_data_str(&r, "task_id"), "t1");
    tm_resp_free(&r);
    /* followed by a client */
    f.location = "{self}/api/v1/tasks/t1";
    f.status = 307;
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    char url[256];
    tm_url(m, "/api/v1/tasks/elsewhere", url, sizeof url);
    CURL *h = curl_easy_init();
    tm_request_on(h, "GET", url, tm_auth, NULL, 1, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(tm_data_str(&r, "task_id"), "t1");
    tm_resp_free(&r);
    curl_easy_cleanup(h);
    assert_int_equal(mock_server_count_status(m, MOCK_ROUTE_TASK, 302), 1);
    assert_int_equal(mock_server_count_status(m, MOCK_ROUTE_TASK, 307), 1);
}

static void after_create(void **state)
{
    mock_server *m = *state;
    mock_fault f = fault(MOCK_ROUTE_SUBMIT, MOCK_FAULT_STATUS);
    f.status = 500;
    f.after_create = 1;
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_resp r;
    tm_post(m, submit_path, submit_body, &r);
    assert_int_equal(r.status, 500);
    tm_resp_free(&r);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_TASKS_CREATED, MOCK_ROUTE_ANY), 1);
    f.after_create = 0;
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_post(m, submit_path, submit_body, &r);
    assert_int_equal(r.status, 500);
    tm_resp_free(&r);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_TASKS_CREATED, MOCK_ROUTE_ANY), 1);
    /* a reset after creation: the client sees nothing, the task exists and is charged */
    f = fault(MOCK_ROUTE_SUBMIT, MOCK_FAULT_RESET_BEFORE);
    f.after_create = 1;
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    assert_int_equal(tm_post(m, submit_path, submit_body, &r), -1);
    tm_resp_free(&r);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_TASKS_CREATED, MOCK_ROUTE_ANY), 2);
    /* and it counts against the concurrency limit */
    mock_server_set_max_running(m, 2);
    tm_post(m, submit_path, submit_body, &r);
    assert_int_equal(r.status, 429);
    tm_resp_free(&r);
}

static void matching_rules(void **state)
{
    mock_server *m = *state;
    mock_fault f = fault(MOCK_ROUTE_ANY, MOCK_FAULT_STATUS);
    f.status = 418;
    f.method = "POST";
    f.skip = 1;
    f.count = 2;
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_resp r;
    tm_get(m, "/api/v1/tasks/t1", &r); /* GET: not matched */
    assert_int_equal(r.status, 200);
    tm_resp_free(&r);
    long expect[] = {400, 418, 418, 400}; /* skipped one, then two strikes, then exhausted */
    for (int i = 0; i < 4; i++) {
        tm_post(m, submit_path, "[]", &r);
        assert_int_equal(r.status, expect[i]);
        tm_resp_free(&r);
    }
    /* count <= 0: forever, until cleared */
    f = fault(MOCK_ROUTE_MODELS, MOCK_FAULT_STATUS);
    f.status = 503;
    f.count = 0;
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    for (int i = 0; i < 3; i++) {
        tm_get(m, "/api/v1/models", &r);
        assert_int_equal(r.status, 503);
        tm_resp_free(&r);
    }
    mock_server_clear_faults(m);
    tm_get(m, "/api/v1/models", &r);
    assert_int_equal(r.status, 200);
    tm_resp_free(&r);
    /* file route faults, with a file URL that would otherwise work */
    f = fault(MOCK_ROUTE_FILE, MOCK_FAULT_STATUS);
    f.status = 404;
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_get(m, "/files/t1/0.png", &r);
    assert_int_equal(r.status, 404);
    tm_resp_free(&r);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_FAULTS_APPLIED, MOCK_ROUTE_FILE), 1);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(status_fault, setup, teardown),
        cmocka_unit_test_setup_teardown(reset_before, setup, teardown),
        cmocka_unit_test_setup_teardown(reset_midway, setup, teardown),
        cmocka_unit_test_setup_teardown(stall_does_not_block, setup, teardown),
        cmocka_unit_test_setup_teardown(stall_then_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(garbage_and_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(huge, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_and_no_task_id, setup, teardown),
        cmocka_unit_test_setup_teardown(redirect_to_other, setup, teardown),
        cmocka_unit_test_setup_teardown(after_create, setup, teardown),
        cmocka_unit_test_setup_teardown(matching_rules, setup, teardown),
    };
    int rc = cmocka_run_group_tests_name("mock_faults", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
