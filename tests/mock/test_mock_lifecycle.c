/* test_mock_lifecycle.c - task progression, outcomes and status words, the concurrency and rate limits,
 * result files (PNG/MP4 bytes, signatures, expiry). */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_mock_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int setup(void **state)
{
    mock_server *m = tm_start(200);
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

static int rank(const char *status)
{
    if (status == NULL)
        return -1;
    if (strcmp(status, "pending") == 0)
        return 0;
    if (strcmp(status, "processing") == 0)
        return 1;
    if (strcmp(status, "success") == 0)
        return 2;
    return -1;
}

static void progresses_to_success(void **state)
{
    mock_server *m = *state;
    char *id = tm_submit(m, "bytedance/seedream-4.5-t2i", "\"mock_duration_ms\":300");
    assert_non_null(id);
    char path[256];
    snprintf(path, sizeof path, "/api/v1/tasks/%s", id);
    int last = 0, seen_success = 0;
    for (int i = 0; i < 2000 && !seen_success; i++) {
        tm_resp r;
        tm_get(m, path, &r);
        assert_int_equal(r.status, 200);
        int k = rank(tm_data_str(&r, "status"));
        assert_true(k >= last); /* never goes back */
        last = k;
        if (k == 2) {
            seen_success = 1;
            json_t *data = json_object_get(r.json, "data");
            json_t *result = json_object_get(data, "result");
            json_t *res = json_object_get(result, "resources");
            assert_int_equal(json_array_size(res), 1);
            json_t *r0 = json_array_get(res, 0);
            assert_string_equal(json_string_value(json_object_get(r0, "type")), "image");
            assert_string_equal(json_string_value(json_object_get(r0, "format")), "png");
            assert_string_equal(json_string_value(json_object_get(r0, "role")), "primary");
            assert_int_equal(json_integer_value(json_object_get(r0, "width")), 256);
            assert_int_equal(json_integer_value(json_object_get(r0, "height")), 256);
            const char *url = json_string_value(json_object_get(r0, "url"));
            assert_non_null(url);
            assert_memory_equal(url, mock_server_url(m), strlen(mock_server_url(m)));
            assert_non_null(strstr(url, "/files/"));
            assert_non_null(strstr(url, "?expires="));
            assert_non_null(strstr(url, "&signature="));
            json_t *meta = json_object_get(result, "metadata");
            assert_int_equal(json_integer_value(json_object_get(meta, "image_count")), 1);
            assert_memory_equal(json_string_value(json_object_get(meta, "request_id")), "req-", 4);
            json_t *ext = json_object_get(result, "extensions");
            const char *st = json_string_value(json_object_get(ext, "submit_time"));
            assert_non_null(st);
            assert_int_equal(strlen(st), 20);
            assert_int_equal(st[10], 'T');
            assert_int_equal(st[19], 'Z');
            assert_non_null(json_string_value(json_object_get(ext, "end_time")));
            assert_null(json_object_get(data, "error"));
        } else {
            assert_null(json_object_get(json_object_get(r.json, "data"), "result"));
        }
        tm_resp_free(&r);
        tm_sleep_ms(5);
    }
    assert_true(seen_success);
    free(id);
}

static void early_phases(void **state)
{
    mock_server *m = *state;
    /* a long task is pending right after submit; a put "processing" task is processing */
    char *id = tm_submit(m, "bytedance/seedream-4.5-t2i", "\"mock_duration_ms\":600000");
    char path[256];
    snprintf(path, sizeof path, "/api/v1/tasks/%s", id);
    tm_resp r;
    tm_get(m, path, &r);
    assert_string_equal(tm_data_str(&r, "status"), "pending");
    tm_resp_free(&r);
    free(id);
    mock_server_set_duration_ms(m, 600000);
    assert_int_equal(mock_server_put_task(m, "attach-me", "bytedance/seedream-4.5-t2i", "processing", 1), 0);
    tm_get(m, "/api/v1/tasks/attach-me", &r);
    assert_string_equal(tm_data_str(&r, "status"), "processing");
    tm_resp_free(&r);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_TASKS_CREATED, MOCK_ROUTE_ANY), 1);
    assert_int_equal(mock_server_put_task(m, "bad", "x/y", "running", 1), -1);
}

static void failed_and_status_words(void **state)
{
    mock_server *m = *state;
    static const struct {
        const char *extra, *word;
        int failed;
    } cases[] = {
        {"\"mock_outcome\":\"failed\",\"mock_duration_ms\":0", "failed", 1},
        {"\"mock_status_word\":\"succeeded\",\"mock_duration_ms\":0", "succeeded", 0},
        {"\"mock_status_word\":\"completed\",\"mock_duration_ms\":0", "completed", 0},
        {"\"mock_status_word\":\"error\",\"mock_duration_ms\":0", "error", 1},
        {"\"mock_status_word\":\"canceled\",\"mock_duration_ms\":0", "canceled", 1},
        {"\"mock_status_word\":\"cancelled\",\"mock_outcome\":\"failed\",\"mock_duration_ms\":0", "cancelled", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *id = tm_submit(m, "bytedance/seedream-4.5-t2i", cases[i].extra);
        assert_non_null(id);
        tm_resp r;
        assert_int_equal(tm_wait_terminal(m, id, &r), 0);
        assert_string_equal(tm_data_str(&r, "status"), cases[i].word);
        json_t *data = json_object_get(r.json, "data");
        if (cases[i].failed) {
            json_t *err = json_object_get(data, "error");
            assert_non_null(json_string_value(json_object_get(err, "code")));
            assert_non_null(json_string_value(json_object_get(err, "message")));
            assert_null(json_object_get(data, "result"));
        } else {
            assert_int_equal(json_array_size(json_object_get(json_object_get(data, "result"), "resources")), 1);
        }
        tm_resp_free(&r);
        free(id);
    }
}

static void video_and_resource_count(void **state)
{
    mock_server *m = *state;
    char *id = tm_submit(m, "bytedance/seedance-2.0-mini-t2v", "\"mock_resources\":3,\"mock_duration_ms\":0");
    tm_resp r;
    assert_int_equal(tm_wait_terminal(m, id, &r), 0);
    json_t *res = json_object_get(json_object_get(json_object_get(r.json, "data"), "result"), "resources");
    assert_int_equal(json_array_size(res), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *e = json_array_get(res, i);
        assert_string_equal(json_string_value(json_object_get(e, "type")), "video");
        assert_string_equal(json_string_value(json_object_get(e, "format")), "mp4");
        tm_resp f;
        tm_request("GET", json_string_value(json_object_get(e, "url")), NULL, NULL, &f);
        assert_int_equal(f.status, 200);
        assert_true(f.body_len > 16);
        assert_memory_equal(f.body + 4, "ftyp", 4);
        assert_non_null(memmem(f.body, f.body_len, "moov", 4));
        assert_non_null(memmem(f.body, f.body_len, "mdat", 4));
        /* tkhd carries the advertised size as 16.16 fixed point, just before the box ends */
        const unsigned char *t = memmem(f.body, f.body_len, "tkhd", 4);
        assert_non_null(t);
        const unsigned char *wh = t - 4 + 92 - 8;
        uint32_t w = (uint32_t)wh[0] << 8 | wh[1], h = (uint32_t)wh[4] << 8 | wh[5];
        assert_int_equal(w, json_integer_value(json_object_get(e, "width")));
        assert_int_equal(h, json_integer_value(json_object_get(e, "height")));
        char ct[64];
        assert_string_equal(tm_header(&f, "Content-Type", ct, sizeof ct), "video/mp4");
        tm_resp_free(&f);
    }
    tm_resp_free(&r);
    free(id);
}

static void concurrency_limit(void **state)
{
    mock_server *m = *state;
    mock_server_set_max_running(m, 2);
    char *a = tm_submit(m, "bytedance/seedream-4.5-t2i", "\"mock_duration_ms\":600000");
    char *b = tm_submit(m, "bytedance/seedream-4.5-t2i", "\"mock_duration_ms\":600000");
    assert_non_null(a);
    assert_non_null(b);
    tm_resp r;
    tm_post(m, "/api/v1/bytedance/seedream-4.5-t2i", "{\"prompt\":\"third\"}", &r);
    assert_int_equal(r.status, 429);
    assert_int_equal(json_integer_value(json_object_get(r.json, "code")), 429);
    const char *msg = json_string_value(json_object_get(r.json, "message"));
    assert_memory_equal(msg, "Concurrent limit exceeded: ", strlen("Concurrent limit exceeded: "));
    char buf[64];
    assert_non_null(tm_header(&r, "Retry-After", buf, sizeof buf));
    char *end = NULL;
    long ra = strtol(buf, &end, 10);
    assert_true(*end == '\0' && ra >= 1);
    assert_non_null(tm_header(&r, "X-RateLimit-Limit", buf, sizeof buf));
    assert_non_null(tm_header(&r, "X-RateLimit-Remaining", buf, sizeof buf));
    assert_non_null(tm_header(&r, "X-RateLimit-Reset", buf, sizeof buf));
    tm_resp_free(&r);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_TASKS_CREATED, MOCK_ROUTE_ANY), 2);
    /* finished tasks free their slots: a short task may run once the limit is raised by one */
    mock_server_set_max_running(m, 3);
    char *c = tm_submit(m, "bytedance/seedream-4.5-t2i", "\"mock_duration_ms\":0");
    assert_non_null(c);
    char *d = tm_submit(m, "bytedance/seedream-4.5-t2i", "\"mock_duration_ms\":0");
    assert_non_null(d); /* c ended at once, so only a and b are running */
    mock_server_set_max_running(m, 0);
    char *e = tm_submit(m, "bytedance/seedream-4.5-t2i", "\"mock_duration_ms\":600000");
    assert_non_null(e);
    free(a);
    free(b);
    free(c);
    free(d);
    free(e);
}

static void rate_limit_window(void **state)
{
    mock_server *m = *state;
    mock_server_set_rate_limit(m, 3);
    char buf[64];
    long long reset0 = 0;
    time_t before = time(NULL);
    for (int i = 0; i < 3; i++) {
        tm_resp r;
        tm_get(m, "/api/v1/models", &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(tm_header(&r, "X-RateLimit-Limit", buf, sizeof buf), "3");
        assert_int_equal(strtol(tm_header(&r, "X-RateLimit-Remaining", buf, sizeof buf), NULL, 10), 2 - i);
        long long reset = strtoll(tm_header(&r, "X-RateLimit-Reset", buf, sizeof buf), NULL, 10);
        if (i == 0) {
            reset0 = reset;
            assert_true(reset >= (long long)before + 59 && reset <= (long long)time(NULL) + 60);
        }
        assert_true(reset == reset0);
        tm_resp_free(&r);
    }
    tm_resp r;
    tm_post(m, "/api/v1/bytedance/seedream-4.5-t2i", "{\"prompt\":\"x\"}", &r);
    assert_int_equal(r.status, 429);
    assert_memory_equal(json_string_value(json_object_get(r.json, "message")), "Rate limit exceeded: ",
                        strlen("Rate limit exceeded: "));
    assert_string_equal(tm_header(&r, "X-RateLimit-Remaining", buf, sizeof buf), "0");
    assert_non_null(tm_header(&r, "Retry-After", buf, sizeof buf));
    assert_true(strtol(buf, NULL, 10) >= 1 && strtol(buf, NULL, 10) <= 60);
    tm_resp_free(&r);
    assert_int_equal(mock_server_counter(m, MOCK_CTR_TASKS_CREATED, MOCK_ROUTE_ANY), 0);
    /* result files are not API calls: not limited */
    assert_int_equal(mock_server_put_task(m, "done", "bytedance/seedream-4.5-t2i", "success", 1), 0);
    mock_server_set_rate_limit(m, 0);
    tm_get(m, "/api/v1/models", &r);
    assert_int_equal(r.status, 200);
    tm_resp_free(&r);
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static char *first_resource_url(mock_server *m, const char *id)
{
    tm_resp r;
    if (tm_wait_terminal(m, id, &r) != 0)
        return NULL;
    json_t *res = json_object_get(json_object_get(json_object_get(r.json, "data"), "result"), "resources");
    json_t *e = json_array_get(res, 0);
    const char *u = json_string_value(json_object_get(e, "url"));
    char *copy = u ? strdup(u) : NULL;
    tm_resp_free(&r);
    return copy;
}

static void png_file(void **state)
{
    mock_server *m = *state;
    char *id = tm_submit(m, "bytedance/seedream-4.5-t2i", "\"mock_duration_ms\":0");
    char *url = first_resource_url(m, id);
    assert_non_null(url);
    tm_resp f;
    tm_request("GET", url, NULL, NULL, &f); /* no Authorization needed */
    assert_int_equal(f.status, 200);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    assert_true(f.body_len > 33);
    const unsigned char *p = (const unsigned char *)f.body;
    assert_memory_equal(p, sig, 8);
    assert_int_equal(be32(p + 8), 13);
    assert_memory_equal(p + 12, "IHDR", 4);
    assert_int_equal(be32(p + 16), 256);
    assert_int_equal(be32(p + 20), 256);
    assert_int_equal(p[24], 8); /* bit depth */
    assert_int_equal(p[25], 2); /* RGB */
    assert_memory_equal(p + f.body_len - 8, "IEND", 4);
    char buf[64];
    assert_non_null(tm_header(&f, "Content-Length", buf, sizeof buf));
    assert_int_equal(strtoull(buf, NULL, 10), f.body_len);
    assert_string_equal(tm_header(&f, "Content-Type", buf, sizeof buf), "image/png");
    assert_non_null(tm_header(&f, "X-Request-Id", buf, sizeof buf));
    assert_int_equal(mock_server_last_authorization(m, MOCK_ROUTE_FILE, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    assert_int_equal(mock_server_counter(m, MOCK_CTR_BYTES_SERVED, MOCK_ROUTE_FILE), (int64_t)f.body_len);
    /* the same prompt gives the same picture */
    tm_resp g;
    tm_request("GET", url, NULL, NULL, &g);
    assert_int_equal(g.body_len, f.body_len);
    assert_memory_equal(g.body, f.body, f.body_len);
    tm_resp_free(&g);
    tm_resp_free(&f);
    free(url);
    free(id);
}

static void file_signature_and_expiry(void **state)
{
    mock_server *m = *state;
    char *id = tm_submit(m, "bytedance/seedream-4.5-t2i", "\"mock_duration_ms\":0");
    char *url = first_resource_url(m, id);
    assert_non_null(url);
    tm_resp f;
    /* a tampered signature: 403 */
    char *bad = strdup(url);
    char *s = strstr(bad, "signature=") + strlen("signature=");
    s[0] = s[0] == '0' ? '1' : '0';
    tm_request("GET", bad, NULL, NULL, &f);
    assert_int_equal(f.status, 403);
    tm_resp_free(&f);
    /* a different expiry with the old signature: 403 too (the signature covers it) */
    char *e = strstr(bad, "expires=") + strlen("expires=");
    e[0] = '1';
    tm_request("GET", bad, NULL, NULL, &f);
    assert_int_equal(f.status, 403);
    tm_resp_free(&f);
    /* no query at all: 403 */
    *strchr(bad, '?') = '\0';
    tm_request("GET", bad, NULL, NULL, &f);
    assert_int_equal(f.status, 403);
    tm_resp_free(&f);
    free(bad);
    /* expired: the ttl has passed since the task ended: 404 */
    mock_server_set_result_ttl_ms(m, 0);
    tm_sleep_ms(5);
    tm_request("GET", url, NULL, NULL, &f);
    assert_int_equal(f.status, 404);
    assert_non_null(strstr(json_string_value(json_object_get(f.json, "message")), "expired"));
    tm_resp_free(&f);
    mock_server_set_result_ttl_ms(m, 3600 * 1000);
    tm_request("GET", url, NULL, NULL, &f);
    assert_int_equal(f.status, 200);
    tm_resp_free(&f);
    /* unknown file index / task */
    char path[256];
    snprintf(path, sizeof path, "/files/%s/7.png", id);
    tm_get(m, path, &f);
    assert_int_equal(f.status, 404);
    tm_resp_free(&f);
    tm_get(m, "/files/nope/0.png?expires=1&signature=00", &f);
    assert_int_equal(f.status, 404);
    tm_resp_free(&f);
    free(url);
    free(id);
}

static void many_tasks(void **state)
{
    mock_server *m = *state;
    /* the store is a hash table: thousands of tasks stay quick to find */
    char id[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "bulk-%d", i);
        assert_int_equal(mock_server_put_task(m, id, "bytedance/seedream-4.5-t2i", "success", 1), 0);
    }
    tm_resp r;
    tm_get(m, "/api/v1/tasks/bulk-4321", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(tm_data_str(&r, "task_id"), "bulk-4321");
    tm_resp_free(&r);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(progresses_to_success, setup, teardown),
        cmocka_unit_test_setup_teardown(early_phases, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_and_status_words, setup, teardown),
        cmocka_unit_test_setup_teardown(video_and_resource_count, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrency_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(rate_limit_window, setup, teardown),
        cmocka_unit_test_setup_teardown(png_file, setup, teardown),
        cmocka_unit_test_setup_teardown(file_signature_and_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(many_tasks, setup, teardown),
    };
    int rc = cmocka_run_group_tests_name("mock_lifecycle", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
