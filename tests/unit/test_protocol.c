/* Unit tests: paths, status words, response parsing, header hints, status classification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "protocol.h"

#include <modellix/errors.h>
#include <modellix/task.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static void test_paths(void **state)
{
    (void)state;
    char *p = mx_path_submit(NULL, "bytedance", "seedream-5.0-lite", 0);
    assert_string_equal(p, "/api/v1/bytedance/seedream-5.0-lite");
    free(p);
    p = mx_path_submit(NULL, "alibaba", "qwen-image", 1);
    assert_string_equal(p, "/api/v1/alibaba/qwen-image/async");
    free(p);
    p = mx_path_submit("text-to-image", "alibaba", "qwen-image", 0);
    assert_string_equal(p, "/api/v1/text-to-image/alibaba/qwen-image/async");
    free(p);
    p = mx_path_submit(NULL, "a b", "m?x#y", 0);
    assert_string_equal(p, "/api/v1/a%20b/m%3Fx%23y");
    free(p);
    p = mx_path_task("folder/task:1+2@x=y~z.w_v-");
    assert_string_equal(p, "/api/v1/tasks/folder%2Ftask%3A1%2B2%40x%3Dy~z.w_v-");
    free(p);
}

static void test_status_words(void **state)
{
    (void)state;
    assert_int_equal(mx_status_from_word("success"), MODELLIX_TASK_SUCCESS);
    assert_int_equal(mx_status_from_word("SUCCEEDED"), MODELLIX_TASK_SUCCESS);
    assert_int_equal(mx_status_from_word("Completed"), MODELLIX_TASK_SUCCESS);
    assert_int_equal(mx_status_from_word("failed"), MODELLIX_TASK_FAILED);
    assert_int_equal(mx_status_from_word("error"), MODELLIX_TASK_FAILED);
    assert_int_equal(mx_status_from_word("canceled"), MODELLIX_TASK_FAILED);
    assert_int_equal(mx_status_from_word("CANCELLED"), MODELLIX_TASK_FAILED);
    assert_int_equal(mx_status_from_word("pending"), MODELLIX_TASK_PENDING);
    assert_int_equal(mx_status_from_word("processing"), MODELLIX_TASK_PROCESSING);
    assert_int_equal(mx_status_from_word("running"), MODELLIX_TASK_PROCESSING);
    assert_int_equal(mx_status_from_word("queued"), MODELLIX_TASK_PROCESSING);
}

static mx_parse_report last_report;

static int parse(const char *body, const char *expected, mx_task_info *ti, int *mismatch)
{
    int rc = mx_parse_task_response(body, strlen(body), expected, ti, &last_report);
    if (mismatch)
        *mismatch = last_report.mismatch;
    return rc;
}

static void test_parse_success(void **state)
{
    (void)state;
    const char *body =
        "{\"code\":0,\"message\":\"success\",\"data\":{\"status\":\"success\",\"task_id\":\"task-abc123\","
        "\"result\":{\"resources\":[{\"url\":\"https://cdn.example.com/images/abc123.png?sig=1\",\"type\":\"image\","
        "\"width\":1024,\"height\":768,\"format\":\"png\",\"role\":\"primary\"},\"https://cdn.example.com/b.png\"],"
        "\"metadata\":{\"image_count\":2,\"request_id\":\"req-123456\"}}}}";
    mx_task_info ti;
    int mm = 7;
    assert_int_equal(parse(body, "task-abc123", &ti, &mm), MODELLIX_OK);
    assert_int_equal(mm, 0);
    assert_int_equal(ti.status, MODELLIX_TASK_SUCCESS);
    assert_string_equal(ti.status_word, "success");
    assert_int_equal(ti.n_resources, 2);
    assert_string_equal(ti.resources[0].url, "https://cdn.example.com/images/abc123.png?sig=1");
    assert_string_equal(ti.resources[0].type, "image");
    assert_string_equal(ti.resources[0].format, "png");
    assert_string_equal(ti.resources[0].role, "primary");
    assert_int_equal(ti.resources[0].width, 1024);
    assert_int_equal(ti.resources[0].height, 768);
    assert_null(ti.resources[1].type);
    assert_int_equal(ti.resources[1].width, 0);
    assert_string_equal(ti.request_id, "req-123456");
    mx_task_info_free(&ti);
}

static void test_parse_shapes(void **state)
{
    (void)state;
    mx_task_info ti;
    int mm = 0;
    /* no code/message: accepted like the official CLI */
    assert_int_equal(parse("{\"data\":{\"status\":\"pending\",\"task_id\":\"t\"}}", "t", &ti, &mm), MODELLIX_OK);
    assert_int_equal(ti.status, MODELLIX_TASK_PENDING);
    assert_int_equal(ti.n_resources, 0);
    mx_task_info_free(&ti);
    /* resources at data.resources as a fallback */
    assert_int_equal(parse("{\"data\":{\"status\":\"completed\",\"task_id\":\"t\",\"resources\":[\"https://x.test/a.mp4\"]}}",
                           "t", &ti, &mm),
                     MODELLIX_OK);
    assert_int_equal(ti.n_resources, 1);
    mx_task_info_free(&ti);
    /* mismatched id */
    assert_int_equal(parse("{\"data\":{\"status\":\"pending\",\"task_id\":\"other\"}}", "t", &ti, &mm),
                     MODELLIX_EPROTOCOL);
    assert_int_equal(mm, 1);
    /* missing, blank, invalid ids */
    assert_int_equal(parse("{\"data\":{\"status\":\"pending\"}}", "t", &ti, &mm), MODELLIX_EPROTOCOL);
    assert_int_equal(mm, 0);
    assert_int_equal(parse("{\"data\":{\"status\":\"pending\",\"task_id\":\" \"}}", "t", &ti, &mm), MODELLIX_EPROTOCOL);
    assert_int_equal(parse("{\"data\":{\"status\":\"pending\",\"task_id\":42}}", "t", &ti, &mm), MODELLIX_EPROTOCOL);
    /* status missing, empty, not a string, control characters */
    assert_int_equal(parse("{\"data\":{\"task_id\":\"t\"}}", "t", &ti, &mm), MODELLIX_EPROTOCOL);
    assert_int_equal(parse("{\"data\":{\"task_id\":\"t\",\"status\":\"\"}}", "t", &ti, &mm), MODELLIX_EPROTOCOL);
    assert_int_equal(parse("{\"data\":{\"task_id\":\"t\",\"status\":3}}", "t", &ti, &mm), MODELLIX_EPROTOCOL);
    assert_int_equal(parse("{\"data\":{\"task_id\":\"t\",\"status\":\"ok\\u0007\"}}", "t", &ti, &mm),
                     MODELLIX_EPROTOCOL);
    /* a submit answer may omit status */
    assert_int_equal(parse("{\"code\":0,\"data\":{\"task_id\":\"t\"}}", NULL, &ti, &mm), MODELLIX_OK);
    assert_int_equal(ti.status, MODELLIX_TASK_PENDING);
    mx_task_info_free(&ti);
    /* not JSON, truncated, empty, array, data not an object */
    assert_int_equal(parse("<html>", "t", &ti, &mm), MODELLIX_EPROTOCOL);
    assert_int_equal(parse("{\"data\":{\"status\":\"pend", "t", &ti, &mm), MODELLIX_EPROTOCOL);
    assert_int_equal(parse("", "t", &ti, &mm), MODELLIX_EPROTOCOL);
    assert_int_equal(parse("[]", "t", &ti, &mm), MODELLIX_EPROTOCOL);
    assert_int_equal(parse("{\"data\":[1]}", "t", &ti, &mm), MODELLIX_EPROTOCOL);
    /* bad resource URLs */
    assert_int_equal(parse("{\"data\":{\"status\":\"success\",\"task_id\":\"t\",\"result\":{\"resources\":[{\"url\":\"file:///etc/passwd\"}]}}}",
                           "t", &ti, &mm),
                     MODELLIX_EPROTOCOL);
    assert_int_equal(parse("{\"data\":{\"status\":\"success\",\"task_id\":\"t\",\"result\":{\"resources\":[{\"url\":\"https://u:p@x.test/a\"}]}}}",
                           "t", &ti, &mm),
                     MODELLIX_EPROTOCOL);
    assert_int_equal(parse("{\"data\":{\"status\":\"success\",\"task_id\":\"t\",\"result\":{\"resources\":[{\"type\":\"image\"}]}}}",
                           "t", &ti, &mm),
                     MODELLIX_EPROTOCOL);
}

static void test_parse_failed_detail(void **state)
{
    (void)state;
    mx_task_info ti;
    assert_int_equal(parse("{\"data\":{\"status\":\"failed\",\"task_id\":\"t\",\"error\":{\"code\":\"E1\",\"message\":\"content policy\\nviolation\"}}}",
                           "t", &ti, NULL),
                     MODELLIX_OK);
    assert_int_equal(ti.status, MODELLIX_TASK_FAILED);
    assert_string_equal(ti.error_message, "content policy\nviolation"); /* as sent: sanitize.h cleans it */
    mx_task_info_free(&ti);
    assert_int_equal(parse("{\"data\":{\"status\":\"error\",\"task_id\":\"t\"}}", "t", &ti, NULL), MODELLIX_OK);
    assert_null(ti.error_message);
    mx_task_info_free(&ti);
}

static void test_too_many_resources(void **state)
{
    (void)state;
    size_t cap = 1100 * 32 + 200;
    char *b = malloc(cap);
    size_t n = (size_t)snprintf(b, cap, "{\"data\":{\"status\":\"success\",\"task_id\":\"t\",\"result\":{\"resources\":[");
    for (int i = 0; i < 1001; i++)
        n += (size_t)snprintf(b + n, cap - n, "%s\"https://x.test/%d\"", i ? "," : "", i);
    n += (size_t)snprintf(b + n, cap - n, "]}}}");
    mx_task_info ti;
    assert_int_equal(parse(b, "t", &ti, NULL), MODELLIX_EPROTOCOL);
    free(b);
}

static void test_error_message(void **state)
{
    (void)state;
    const char *b = "{\"code\":400,\"message\":\"Invalid parameters: parameter 'prompt' is required\"}";
    char *m = mx_parse_error_message(b, strlen(b));
    assert_string_equal(m, "Invalid parameters: parameter 'prompt' is required");
    free(m);
    assert_null(mx_parse_error_message("oops", 4));
    assert_null(mx_parse_error_message("{\"message\":5}", 13));
    /* as sent, up to MX_MESSAGE_RAW_MAX bytes: cleaning, redacting and cutting are sanitize.c's */
    const char *ctl = "{\"message\":\"a\\u0007b\"}";
    m = mx_parse_error_message(ctl, strlen(ctl));
    assert_string_equal(m, "a\ab");
    free(m);
}

static void test_headers(void **state)
{
    (void)state;
    int64_t now = 1710000000;
    assert_int_equal(mx_parse_retry_after("3", now), 3000);
    assert_int_equal(mx_parse_retry_after(" 0 ", now), 0);
    assert_int_equal(mx_parse_retry_after("-1", now), -1);
    assert_int_equal(mx_parse_retry_after("soon", now), -1);
    assert_int_equal(mx_parse_retry_after(NULL, now), -1);
    assert_int_equal(mx_parse_retry_after("99999999999999999999999", now), -1);
    /* 1710000000 = Sat, 09 Mar 2024 16:00:00 GMT */
    assert_int_equal(mx_parse_retry_after("Sat, 09 Mar 2024 16:00:07 GMT", now), 7000);
    assert_int_equal(mx_parse_retry_after("Sat, 09 Mar 2024 15:00:00 GMT", now), 0);
    assert_int_equal(mx_parse_ratelimit_reset("1710000005", now), 5000);
    assert_int_equal(mx_parse_ratelimit_reset("1700000000", now), 0);
    assert_int_equal(mx_parse_ratelimit_reset("12", now), 12000);
    assert_int_equal(mx_parse_ratelimit_reset("x", now), -1);
    assert_int_equal(mx_parse_header_int("42"), 42);
    assert_int_equal(mx_parse_header_int("4 2"), -1);
}

static void test_classify(void **state)
{
    (void)state;
    static const long rejected[] = {400, 401, 402, 403, 404, 405, 413, 415, 422};
    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
        assert_int_equal(mx_classify_status(rejected[i], 1), MX_CLASS_REJECTED);
        assert_int_equal(mx_classify_status(rejected[i], 0), MX_CLASS_REJECTED);
    }
    static const long unknown[] = {408, 409, 301, 302, 500, 502, 503, 504};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        assert_int_equal(mx_classify_status(unknown[i], 1), MX_CLASS_UNKNOWN);
        assert_int_equal(mx_code_for_status(unknown[i], 1), MODELLIX_EOUTCOME_UNKNOWN);
    }
    assert_int_equal(mx_classify_status(429, 1), MX_CLASS_THROTTLED);
    assert_int_equal(mx_code_for_status(429, 1), MODELLIX_ERATELIMIT);
    assert_int_equal(mx_classify_status(418, 1), MX_CLASS_UNKNOWN);
    assert_int_equal(mx_classify_status(418, 0), MX_CLASS_REJECTED);
    assert_int_equal(mx_code_for_status(401, 0), MODELLIX_EAUTH);
    assert_int_equal(mx_code_for_status(403, 1), MODELLIX_EAUTH);
    assert_int_equal(mx_code_for_status(402, 1), MODELLIX_EPAYMENT);
    assert_int_equal(mx_code_for_status(404, 0), MODELLIX_ENOTFOUND);
    assert_int_equal(mx_code_for_status(503, 0), MODELLIX_ESERVER);
    assert_int_equal(mx_code_for_status(400, 0), MODELLIX_EHTTP);
    assert_int_equal(mx_code_for_status(200, 0), MODELLIX_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),          cmocka_unit_test(test_status_words),
        cmocka_unit_test(test_parse_success),  cmocka_unit_test(test_parse_shapes),
        cmocka_unit_test(test_parse_failed_detail), cmocka_unit_test(test_too_many_resources),
        cmocka_unit_test(test_error_message),  cmocka_unit_test(test_headers),
        cmocka_unit_test(test_classify),
    };
    return cmocka_run_group_tests_name("protocol", tests, NULL, NULL);
}
