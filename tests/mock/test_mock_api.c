/* test_mock_api.c - endpoints, path variants, ids with %2F, auth, body validation, standard headers. */
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
    mock_server *m = tm_start(60000);
    if (m == NULL)
        return -1;
    mock_server_set_max_running(m, 0);
    *state = m;
    return 0;
}

static int teardown(void **state)
{
    mock_server_stop(*state);
    return 0;
}

static void submit_path_variants(void **state)
{
    mock_server *m = *state;
    static const char *const paths[] = {"/api/v1/bytedance/seedream-4.5-t2i",
                                        "/api/v1/bytedance/seedream-4.5-t2i/async",
                                        "/api/v1/text-to-image/bytedance/seedream-4.5-t2i/async",
                                        "/api/v1/video-to-video/bytedance/seedream-4.5-t2i/async"};
    for (size_t i = 0; i < 4; i++) {
        tm_resp r;
        tm_post(m, paths[i], "{\"prompt\":\"a fox\"}", &r);
        assert_int_equal(r.status, 200);
        assert_int_equal(json_integer_value(json_object_get(r.json, "code")), 0);
        assert_string_equal(json_string_value(json_object_get(r.json, "message")), "success");
        assert_string_equal(tm_data_str(&r, "status"), "pending");
        assert_string_equal(tm_data_str(&r, "model_id"), "seedream-4.5-t2i");
        const char *id = tm_data_str(&r, "task_id");
        assert_non_null(id);
        assert_memory_equal(id, "task-", 5);
        json_t *data = json_object_get(r.json, "data");
        assert_int_equal(json_integer_value(json_object_get(data, "duration")), 60000);
        json_t *gr = json_object_get(data, "get_result");
        assert_string_equal(json_string_value(json_object_get(gr, "method")), "GET");
        char want[512];
        snprintf(want, sizeof want, "%s/api/v1/tasks/%s", mock_server_url(m), id);
        assert_string_equal(json_string_value(json_object_get(gr, "url")), want);
        /* the poll URL works */
        tm_resp q;
        tm_request("GET", want, tm_auth, NULL, &q);
        assert_int_equal(q.status, 200);
        assert_string_equal(tm_data_str(&q, "task_id"), id);
        tm_resp_free(&q);
        tm_resp_free(&r);
    }
    assert_int_equal(mock_server_counter(m, MOCK_CTR_REQUESTS, MOCK_ROUTE_SUBMIT), 4);
}

static void submit_bad_paths(void **state)
{
    mock_server *m = *state;
    tm_resp r;
    tm_post(m, "/api/v1/text-to-sound/bytedance/seedream-4.5-t2i/async", "{\"prompt\":\"x\"}", &r);
    assert_int_equal(r.status, 404);
    assert_int_equal(json_integer_value(json_object_get(r.json, "code")), 404);
    tm_resp_free(&r);
    tm_post(m, "/api/v1/nobody/no-such-model", "{\"prompt\":\"x\"}", &r);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(json_string_value(json_object_get(r.json, "message")), "Resource not found: "));
    tm_resp_free(&r);
    tm_post(m, "/api/v1/bytedance/seedream-4.5-t2i/extra", "{\"prompt\":\"x\"}", &r);
    assert_int_equal(r.status, 404);
    tm_resp_free(&r);
    tm_get(m, "/nowhere", &r);
    assert_int_equal(r.status, 404);
    tm_resp_free(&r);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_TASKS_CREATED, MOCK_ROUTE_ANY), 0);
}

static void task_ids_are_percent_decoded(void **state)
{
    mock_server *m = *state;
    assert_int_equal(mock_server_put_task(m, "folder/task", "bytedance/seedream-4.5-t2i", "success", 1), 0);
    assert_int_equal(mock_server_put_task(m, "a:b+c@d=e", "bytedance/seedream-4.5-t2i", "pending", 1), 0);
    assert_int_not_equal(mock_server_put_task(m, "folder/task", "x/y", "success", 1), 0); /* duplicate */
    tm_resp r;
    tm_get(m, "/api/v1/tasks/folder%2Ftask", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(tm_data_str(&r, "task_id"), "folder/task");
    assert_string_equal(tm_data_str(&r, "status"), "success");
    tm_resp_free(&r);
    tm_get(m, "/api/v1/tasks/folder%2ftask", &r); /* lower-case hex too */
    assert_int_equal(r.status, 200);
    tm_resp_free(&r);
    tm_get(m, "/api/v1/tasks/a%3Ab%2Bc%40d%3De", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(tm_data_str(&r, "task_id"), "a:b+c@d=e");
    assert_string_equal(tm_data_str(&r, "status"), "pending");
    tm_resp_free(&r);
    char path[256];
    assert_int_equal(mock_server_last_path(m, MOCK_ROUTE_TASK, path, sizeof path), 0);
    assert_string_equal(path, "/api/v1/tasks/a%3Ab%2Bc%40d%3De");
}

static void unknown_task_is_404(void **state)
{
    mock_server *m = *state;
    tm_resp r;
    tm_get(m, "/api/v1/tasks/task-nope", &r);
    assert_int_equal(r.status, 404);
    assert_int_equal(json_integer_value(json_object_get(r.json, "code")), 404);
    const char *msg = json_string_value(json_object_get(r.json, "message"));
    assert_non_null(msg);
    assert_memory_equal(msg, "Resource not found: task", strlen("Resource not found: task"));
    tm_resp_free(&r);
}

static void check_401(mock_server *m, const char *auth_header, const char *detail)
{
    char url[256];
    tm_url(m, "/api/v1/models", url, sizeof url);
    const char *headers[] = {auth_header, NULL};
    tm_resp r;
    tm_request("GET", url, auth_header ? headers : NULL, NULL, &r);
    assert_int_equal(r.status, 401);
    assert_int_equal(json_integer_value(json_object_get(r.json, "code")), 401);
    const char *msg = json_string_value(json_object_get(r.json, "message"));
    assert_non_null(msg);
    assert_memory_equal(msg, "Authentication failed: ", strlen("Authentication failed: "));
    if (detail != NULL)
        assert_non_null(strstr(msg, detail));
    tm_resp_free(&r);
}

static void auth_failures(void **state)
{
    (void)state;
    const char *keys[] = {"good-key", "other-key"};
    mock_config cfg;
    mock_config_init(&cfg);
    cfg.api_keys = keys;
    cfg.n_api_keys = 2;
    mock_server *m = NULL;
    assert_int_equal(mock_server_start(&m, &cfg), 0);
    check_401(m, NULL, "missing");
    check_401(m, "Authorization: Basic Zm9vOmJhcg==", "Bearer");
    check_401(m, "Authorization: Bearer bad\x01key", "malformed");
    check_401(m, "Authorization: Bearer caf\xc3\xa9", "malformed");
    check_401(m, "Authorization: Bearer wrong-key", "invalid");
    char url[256];
    tm_url(m, "/api/v1/models", url, sizeof url);
    const char *ok[] = {"Authorization: Bearer other-key", NULL};
    tm_resp r;
    tm_request("GET", url, ok, NULL, &r);
    assert_int_equal(r.status, 200);
    tm_resp_free(&r);
    const char *lower[] = {"Authorization: bearer good-key", NULL};
    tm_request("GET", url, lower, NULL, &r);
    assert_int_equal(r.status, 200);
    tm_resp_free(&r);
    char buf[64];
    assert_int_equal(mock_server_last_authorization(m, MOCK_ROUTE_MODELS, buf, sizeof buf), 0);
    assert_string_equal(buf, "bearer good-key");
    assert_int_equal(mock_server_last_authorization(m, MOCK_ROUTE_MODELS, buf, 4), -1);
    assert_int_equal(mock_server_count_status(m, MOCK_ROUTE_MODELS, 401), 5);
    mock_server_stop(m);
}

static void body_validation(void **state)
{
    mock_server *m = *state;
    static const struct {
        const char *body;
        long status;
        const char *message;
    } cases[] = {
        {"[1,2]", 400, "Invalid parameters: body must be a JSON object"},
        {"\"prompt\"", 400, "Invalid parameters: body must be a JSON object"},
        {"{not json", 400, "Invalid parameters: body must be a JSON object"},
        {"", 400, "Invalid parameters: body must be a JSON object"},
        {"{\"size\":\"1024*1024\"}", 400, "Missing required parameter: prompt"},
        {"{\"prompt\":5}", 400, "Invalid format: prompt must be a string"},
        {"{\"prompt\":\"x\",\"mock_duration_ms\":-1}", 400, NULL},
        {"{\"prompt\":\"x\",\"mock_resources\":\"two\"}", 400, NULL},
        {"{\"prompt\":\"x\",\"mock_outcome\":\"maybe\"}", 400, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tm_resp r;
        tm_post(m, "/api/v1/bytedance/seedream-4.5-t2i", cases[i].body, &r);
        assert_int_equal(r.status, cases[i].status);
        assert_int_equal(json_integer_value(json_object_get(r.json, "code")), cases[i].status);
        if (cases[i].message != NULL)
            assert_string_equal(json_string_value(json_object_get(r.json, "message")), cases[i].message);
        tm_resp_free(&r);
    }
    assert_int_equal(mock_server_counter(m, MOCK_CTR_TASKS_CREATED, MOCK_ROUTE_ANY), 0);
}

/* A request announcing a body over 64 MiB is refused with 413 before the body is read. */
static size_t endless(char *buf, size_t size, size_t n, void *ud)
{
    (void)ud;
    memset(buf, ' ', size * n);
    return size * n;
}

static void oversized_body_413(void **state)
{
    mock_server *m = *state;
    char url[256];
    tm_url(m, "/api/v1/bytedance/seedream-4.5-t2i", url, sizeof url);
    CURL *h = curl_easy_init();
    struct curl_slist *hl = curl_slist_append(NULL, "Authorization: Bearer k");
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, endless);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)65 * 1024 * 1024);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, endless); /* discard */
    curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 413);
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    assert_int_equal(mock_server_count_status(m, MOCK_ROUTE_SUBMIT, 413), 1);
}

static void catalogue_validate_balance(void **state)
{
    mock_server *m = *state;
    tm_resp r;
    tm_get(m, "/api/v1/models", &r);
    assert_int_equal(r.status, 200);
    json_t *models = json_object_get(r.json, "models");
    assert_true(json_is_array(models));
    assert_true(json_array_size(models) >= 4);
    assert_null(json_object_get(r.json, "data"));
    size_t i;
    json_t *e;
    int found = 0;
    json_array_foreach(models, i, e) {
        assert_non_null(json_string_value(json_object_get(e, "slug")));
        assert_non_null(json_string_value(json_object_get(e, "type")));
        found |= strcmp(json_string_value(json_object_get(e, "slug")), "bytedance/seedream-4.5-t2i") == 0;
    }
    assert_true(found);
    tm_resp_free(&r);
    tm_get(m, "/api/v1/apikey/validate", &r);
    assert_int_equal(r.status, 200);
    assert_true(json_is_true(json_object_get(json_object_get(r.json, "data"), "is_valid")));
    tm_resp_free(&r);
    tm_get(m, "/api/v1/team/balance", &r);
    assert_int_equal(r.status, 200);
    assert_true(json_real_value(json_object_get(json_object_get(r.json, "data"), "balance")) > 12.0);
    assert_int_equal(json_integer_value(json_object_get(r.json, "code")), 0);
    tm_resp_free(&r);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_REQUESTS, MOCK_ROUTE_MODELS), 1);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_REQUESTS, MOCK_ROUTE_VALIDATE), 1);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_REQUESTS, MOCK_ROUTE_BALANCE), 1);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_REQUESTS, MOCK_ROUTE_ANY), 3);
}

static void standard_headers(void **state)
{
    mock_server *m = *state;
    static const char *const paths[] = {"/api/v1/models", "/api/v1/tasks/none", "/api/v1/team/balance"};
    char id1[64] = "", buf[64];
    for (size_t i = 0; i < 3; i++) {
        tm_resp r;
        tm_get(m, paths[i], &r);
        assert_non_null(tm_header(&r, "X-Request-Id", buf, sizeof buf));
        assert_string_not_equal(buf, id1); /* unique per response */
        snprintf(id1, sizeof id1, "%s", buf);
        assert_non_null(tm_header(&r, "X-RateLimit-Limit", buf, sizeof buf));
        assert_non_null(tm_header(&r, "X-RateLimit-Remaining", buf, sizeof buf));
        assert_non_null(tm_header(&r, "X-RateLimit-Reset", buf, sizeof buf));
        assert_true(strtoll(buf, NULL, 10) > 1700000000LL);
        assert_non_null(tm_header(&r, "Content-Type", buf, sizeof buf));
        assert_string_equal(buf, "application/json");
        tm_resp_free(&r);
    }
    /* unauthenticated and unknown-route answers carry them too */
    char url[256];
    tm_url(m, "/api/v1/models", url, sizeof url);
    tm_resp r;
    tm_request("GET", url, NULL, NULL, &r);
    assert_int_equal(r.status, 401);
    assert_non_null(tm_header(&r, "X-Request-Id", buf, sizeof buf));
    assert_non_null(tm_header(&r, "X-RateLimit-Reset", buf, sizeof buf));
    tm_resp_free(&r);
}

static void config_rejects_non_loopback(void **state)
{
    (void)state;
    mock_config cfg;
    mock_config_init(&cfg);
    mock_server *m = (mock_server *)1;
    cfg.bind_address = "0.0.0.0";
    assert_int_equal(mock_server_start(&m, &cfg), -1);
    assert_null(m);
    cfg.bind_address = "10.0.0.1";
    assert_int_equal(mock_server_start(&m, &cfg), -1);
    cfg.bind_address = "localhost";
    assert_int_equal(mock_server_start(&m, &cfg), 0);
    assert_memory_equal(mock_server_url(m), "http://127.0.0.1:", 17);
    assert_true(mock_server_port(m) > 0);
    /* the port is now busy */
    mock_config busy;
    mock_config_init(&busy);
    busy.port = mock_server_port(m);
    mock_server *m2 = NULL;
    assert_int_equal(mock_server_start(&m2, &busy), -1);
    mock_server_stop(m);
    mock_server_stop(NULL);
}

/* HTTPS needs both PEM files, readable; a bad pair is refused at start, not at the first request. */
static void config_tls_files(void **state)
{
    (void)state;
    mock_config cfg;
    mock_config_init(&cfg);
    mock_server *m = (mock_server *)1;
    cfg.tls_cert_file = "/nonexistent/server.pem";
    assert_int_equal(mock_server_start(&m, &cfg), -1); /* no key */
    assert_null(m);
    cfg.tls_key_file = "/nonexistent/server.key";
    assert_int_equal(mock_server_start(&m, &cfg), -1); /* unreadable */
    cfg.tls_cert_file = NULL;
    assert_int_equal(mock_server_start(&m, &cfg), -1); /* no certificate */
    /* a file that is not a certificate: libmicrohttpd refuses to start */
    cfg.tls_cert_file = cfg.tls_key_file = "/proc/self/status";
    assert_int_equal(mock_server_start(&m, &cfg), -1);
}

/* The read-only views tests use to check a client: the ids of paid tasks (not of put tasks), the last
 * User-Agent per route, a failed task's chosen error message, and a stall fault's extra headers. */
static void collect_id(const char *id, void *ud)
{
    char *ids = ud;
    strncat(ids, id, 1023 - strlen(ids));
    strncat(ids, " ", 1023 - strlen(ids));
}

static void inspection_views(void **state)
{
    mock_server *m = *state;
    mock_server_set_duration_ms(m, 0);
    size_t before = mock_server_task_ids(m, NULL, NULL);
    assert_int_equal(mock_server_put_task(m, "task-put-view", "bytedance/seedream-4.5-t2i", "success", 1), 0);
    char *a = tm_submit(m, "bytedance/seedream-4.5-t2i", "\"mock_outcome\":\"failed\",\"mock_error_message\":\"told you\"");
    assert_non_null(a);
    char ids[1024] = "";
    assert_int_equal(mock_server_task_ids(m, collect_id, ids), before + 1);
    assert_non_null(strstr(ids, a));
    assert_null(strstr(ids, "task-put-view"));
    tm_resp r;
    char path[256], buf[256];
    snprintf(path, sizeof path, "/api/v1/tasks/%s", a);
    assert_int_equal(tm_get(m, path, &r), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(r.json, "data"), "error"),
                                                           "message")),
                        "told you");
    tm_resp_free(&r);
    char url[256];
    tm_url(m, path, url, sizeof url);
    const char *hdrs[] = {"Authorization: Bearer k", "User-Agent: view-test/1", NULL};
    mock_fault f = {0};
    f.route = MOCK_ROUTE_TASK;
    f.kind = MOCK_FAULT_STALL;
    f.stall_ms = 1;
    f.headers = "X-Request-Id: req-chosen\n";
    f.count = 1;
    assert_int_equal(mock_server_add_fault(m, &f), 0);
    tm_request("GET", url, hdrs, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(tm_data_str(&r, "task_id"), a);
    assert_string_equal(tm_header(&r, "X-Request-Id", buf, sizeof buf), "req-chosen");
    tm_resp_free(&r);
    assert_int_equal(mock_server_last_user_agent(m, MOCK_ROUTE_TASK, buf, sizeof buf), 0);
    assert_string_equal(buf, "view-test/1");
    assert_int_equal(mock_server_last_user_agent(m, MOCK_ROUTE_TASK, buf, 4), -1);
    free(a);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(submit_path_variants, setup, teardown),
        cmocka_unit_test_setup_teardown(submit_bad_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(task_ids_are_percent_decoded, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_task_is_404, setup, teardown),
        cmocka_unit_test(auth_failures),
        cmocka_unit_test_setup_teardown(body_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(oversized_body_413, setup, teardown),
        cmocka_unit_test_setup_teardown(catalogue_validate_balance, setup, teardown),
        cmocka_unit_test_setup_teardown(standard_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(inspection_views, setup, teardown),
        cmocka_unit_test(config_rejects_non_loopback),
        cmocka_unit_test(config_tls_files),
    };
    int rc = cmocka_run_group_tests_name("mock_api", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
