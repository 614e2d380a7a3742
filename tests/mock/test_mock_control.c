/* test_mock_control.c - counters (C API) and the /_mock/ HTTP control interface. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_mock_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup(void **state)
{
    mock_server *m = tm_start(600000);
    if (m == NULL)
        return -1;
    *state = m;
    return 0;
}

static int teardown(void **state)
{
    mock_server_stop(*state);
    return 0;
}

static void counters(void **state)
{
    mock_server *m = *state;
    /* three handles, each keeping its connection open: three connections at once */
    char url[256];
    tm_url(m, "/api/v1/models", url, sizeof url);
    CURL *h[3];
    size_t models_bytes = 0;
    for (int i = 0; i < 3; i++) {
        h[i] = curl_easy_init();
        tm_resp r;
        tm_request_on(h[i], "GET", url, tm_auth, NULL, 0, &r);
        assert_int_equal(r.status, 200);
        models_bytes += r.body_len;
        tm_resp_free(&r);
    }
    /* keep-alive: a second request on the first handle reuses its connection */
    tm_resp r;
    tm_request_on(h[0], "GET", url, tm_auth, NULL, 0, &r);
    models_bytes += r.body_len;
    tm_resp_free(&r);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_CONNECTIONS, MOCK_ROUTE_ANY), 3);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_MAX_CONCURRENT, MOCK_ROUTE_ANY), 3);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_REQUESTS, MOCK_ROUTE_MODELS), 4);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_BYTES_SERVED, MOCK_ROUTE_MODELS), (int64_t)models_bytes);
    assert_int_equal(mock_server_count_status(m, MOCK_ROUTE_MODELS, 200), 4);
    assert_int_equal(mock_server_count_status(m, MOCK_ROUTE_ANY, 200), 4);
    for (int i = 0; i < 3; i++)
        curl_easy_cleanup(h[i]);

    char *id = tm_submit(m, "bytedance/seedream-4.5-t2i", NULL);
    assert_non_null(id);
    free(id);
    tm_get(m, "/api/v1/tasks/nope", &r);
    tm_resp_free(&r);
    tm_get(m, "/elsewhere", &r);
    tm_resp_free(&r);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_TASKS_CREATED, MOCK_ROUTE_ANY), 1);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_REQUESTS, MOCK_ROUTE_SUBMIT), 1);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_REQUESTS, MOCK_ROUTE_TASK), 1);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_REQUESTS, MOCK_ROUTE_OTHER), 1);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_REQUESTS, MOCK_ROUTE_ANY), 7);
    assert_int_equal(mock_server_count_status(m, MOCK_ROUTE_TASK, 404), 1);
    char path[128];
    assert_int_equal(mock_server_last_path(m, MOCK_ROUTE_ANY, path, sizeof path), 0);
    assert_string_equal(path, "/elsewhere");
    assert_int_equal(mock_server_counter(m, 99, MOCK_ROUTE_ANY), -1);

    mock_server_reset_counters(m);
    for (int c = 0; c < MOCK_CTR_COUNT_; c++) {
        if (c != MOCK_CTR_MAX_CONCURRENT)
            assert_int_equal(mock_server_counter(m, c, MOCK_ROUTE_ANY), 0);
    }
    assert_int_equal(mock_server_count_status(m, MOCK_ROUTE_MODELS, 200), 0);
    assert_int_equal(mock_server_last_path(m, MOCK_ROUTE_ANY, path, sizeof path), 0);
    assert_string_equal(path, "");
}

static json_t *control(mock_server *m, const char *method, const char *what, const char *body, long expect)
{
    char url[256];
    tm_url(m, what, url, sizeof url);
    tm_resp r;
    tm_request(method, url, NULL, body, &r);
    assert_int_equal(r.status, expect);
    json_t *j = json_incref(r.json);
    tm_resp_free(&r);
    return j;
}

static void control_interface(void **state)
{
    mock_server *m = *state;
    /* faults by name */
    json_decref(control(m, "POST", "/_mock/faults",
                        "{\"route\":\"task\",\"method\":\"GET\",\"kind\":\"status\",\"status\":503,"
                        "\"headers\":{\"Retry-After\":\"1\"},\"body\":{\"code\":503,\"message\":\"Service unavailable: x\"},"
                        "\"count\":1}",
                        200));
    json_decref(control(m, "POST", "/_mock/faults",
                        "[{\"route\":\"submit\",\"kind\":\"reset_before\",\"after_create\":true,\"count\":1}]", 200));
    json_decref(control(m, "POST", "/_mock/faults", "{\"route\":\"nowhere\",\"kind\":\"status\"}", 400));
    json_decref(control(m, "POST", "/_mock/faults", "{\"route\":\"any\",\"kind\":\"explode\"}", 400));
    json_decref(control(m, "POST", "/_mock/faults", "{\"kind\":\"status\"}", 400)); /* no status */
    json_decref(control(m, "POST", "/_mock/faults", "not json", 400));
    tm_resp r;
    tm_get(m, "/api/v1/tasks/x", &r);
    assert_int_equal(r.status, 503);
    char buf[16];
    assert_string_equal(tm_header(&r, "Retry-After", buf, sizeof buf), "1");
    assert_string_equal(json_string_value(json_object_get(r.json, "message")), "Service unavailable: x");
    tm_resp_free(&r);
    assert_int_equal(tm_post(m, "/api/v1/bytedance/seedream-4.5-t2i", "{\"prompt\":\"p\"}", &r), -1);
    tm_resp_free(&r);

    /* counters over HTTP; control requests themselves are not counted */
    json_t *c = control(m, "GET", "/_mock/counters", NULL, 200);
    json_t *data = json_object_get(c, "data");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(data, "requests"), "task")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(data, "requests"), "submit")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(data, "requests"), "any")), 2);
    assert_int_equal(json_integer_value(json_object_get(data, "tasks_created")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(data, "faults_applied"), "any")), 2);
    json_t *st = json_object_get(json_object_get(data, "status"), "task");
    assert_int_equal(json_integer_value(json_object_get(st, "503")), 1);
    assert_non_null(json_object_get(data, "connections"));
    assert_non_null(json_object_get(data, "max_concurrent"));
    assert_non_null(json_object_get(data, "bytes_served"));
    json_decref(c);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_REQUESTS, MOCK_ROUTE_ANY), 2);

    /* a fault that stays until DELETE */
    json_decref(control(m, "POST", "/_mock/faults", "{\"route\":\"models\",\"kind\":\"empty\",\"count\":0}", 200));
    tm_get(m, "/api/v1/models", &r);
    assert_int_equal(r.body_len, 0);
    tm_resp_free(&r);
    json_decref(control(m, "DELETE", "/_mock/faults", NULL, 200));
    tm_get(m, "/api/v1/models", &r);
    assert_true(r.body_len > 0);
    tm_resp_free(&r);

    json_decref(control(m, "POST", "/_mock/reset", NULL, 200));
    assert_int_equal(mock_server_counter(m, MOCK_CTR_REQUESTS, MOCK_ROUTE_ANY), 0);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_TASKS_CREATED, MOCK_ROUTE_ANY), 0);

    /* configuration */
    c = control(m, "POST", "/_mock/config",
                "{\"duration_ms\":0,\"max_running\":2,\"rate_limit\":100,\"result_ttl_ms\":5000}", 200);
    data = json_object_get(c, "data");
    assert_int_equal(json_integer_value(json_object_get(data, "duration_ms")), 0);
    assert_int_equal(json_integer_value(json_object_get(data, "max_running")), 2);
    json_decref(c);
    json_decref(control(m, "POST", "/_mock/config", "{\"max_running\":-5}", 400));
    tm_get(m, "/api/v1/models", &r);
    assert_string_equal(tm_header(&r, "X-RateLimit-Limit", buf, sizeof buf), "100");
    tm_resp_free(&r);
    /* the task created by the reset_before fault above still runs and holds one of the two slots */
    char *id = tm_submit(m, "bytedance/seedream-4.5-t2i", NULL);
    assert_non_null(id); /* duration 0: finished at once, so it frees its slot */
    free(id);
    id = tm_submit(m, "bytedance/seedream-4.5-t2i", NULL);
    assert_non_null(id);
    free(id);
    json_decref(control(m, "POST", "/_mock/config", "{\"duration_ms\":600000}", 200));
    id = tm_submit(m, "bytedance/seedream-4.5-t2i", NULL);
    assert_non_null(id);
    free(id);
    tm_post(m, "/api/v1/bytedance/seedream-4.5-t2i", "{\"prompt\":\"p\"}", &r);
    assert_int_equal(r.status, 429);
    tm_resp_free(&r);
    c = control(m, "GET", "/_mock/config", NULL, 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "data"), "url")), mock_server_url(m));
    json_decref(c);

    /* tasks put over HTTP */
    json_decref(control(m, "POST", "/_mock/tasks",
                        "{\"task_id\":\"dir/one\",\"model\":\"bytedance/seedream-4.5-t2i\",\"status\":\"failed\"}", 200));
    json_decref(control(m, "POST", "/_mock/tasks", "{\"task_id\":\"dir/one\",\"status\":\"failed\"}", 400));
    tm_get(m, "/api/v1/tasks/dir%2Fone", &r);
    assert_string_equal(tm_data_str(&r, "status"), "failed");
    tm_resp_free(&r);
    json_decref(control(m, "GET", "/_mock/nothing", NULL, 404));
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(counters, setup, teardown),
        cmocka_unit_test_setup_teardown(control_interface, setup, teardown),
    };
    int rc = cmocka_run_group_tests_name("mock_control", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
