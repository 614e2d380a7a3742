/* HTTP tests: key validation, team balance and the model catalogue against the mock. */
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Answer the next `count` requests on `route` with HTTP `status` and `body`. */
static void fault_body(fixture *f, int32_t route, int32_t status, const char *body, int32_t count)
{
    mock_fault flt = {0};
    flt.route = route;
    flt.method = "GET";
    flt.kind = MOCK_FAULT_STATUS;
    flt.status = status;
    flt.body = body;
    flt.count = count;
    fx_fault_full(f, &flt);
}

static void assert_errmsg_has(fixture *f, const char *needle)
{
    const char *m = modellix_client_errmsg(f->c);
    if (!strstr(m, needle))
        fprintf(stderr, "error message \"%s\" lacks \"%s\"\n", m, needle);
    assert_non_null(strstr(m, needle));
}

/* ---------------------------------------------------------------------------------------------- */
/* Key validation                                                                                   */

static void test_validate_key(void **state)
{
    fixture *f = *state;
    int32_t valid = -1;
    assert_int_equal(modellix_client_validate_key(f->c, &valid), MODELLIX_OK);
    assert_int_equal(valid, 1);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_VALIDATE), 1);
    char auth[256], path[256];
    assert_int_equal(mock_server_last_authorization(f->m, MOCK_ROUTE_VALIDATE, auth, sizeof auth), 0);
    assert_string_equal(auth, "Bearer " FX_KEY);
    assert_int_equal(mock_server_last_path(f->m, MOCK_ROUTE_VALIDATE, path, sizeof path), 0);
    assert_string_equal(path, "/api/v1/apikey/validate");
    assert_int_equal(modellix_client_errcode(f->c), MODELLIX_OK);
}

static void test_validate_key_false(void **state)
{
    fixture *f = *state;
    /* a rejected key may come back as a 200 answer */
    fault_body(f, MOCK_ROUTE_VALIDATE, 200, "{\"code\":0,\"message\":\"success\",\"data\":{\"is_valid\":false}}", 1);
    int32_t valid = -1;
    assert_int_equal(modellix_client_validate_key(f->c, &valid), MODELLIX_OK);
    assert_int_equal(valid, 0);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_VALIDATE), 1);
    /* an envelope code is ignored, as the CLI does: only the HTTP status and data count */
    fault_body(f, MOCK_ROUTE_VALIDATE, 200, "{\"data\":{\"is_valid\":true}}", 1);
    assert_int_equal(modellix_client_validate_key(f->c, &valid), MODELLIX_OK);
    assert_int_equal(valid, 1);
}

static void test_validate_key_bad_shape(void **state)
{
    fixture *f = *state;
    static const char *const bodies[] = {
        "{\"code\":0,\"data\":{\"is_valid\":\"yes\"}}", "{\"code\":0,\"data\":{\"is_valid\":1}}",
        "{\"code\":0,\"data\":{\"is_valid\":null}}",   "{\"code\":0,\"data\":{}}",
        "{\"code\":0,\"data\":[true]}",                 "{\"is_valid\":true}",
        "[1,2,3]",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        mock_server_clear_faults(f->m);
        mock_server_reset_counters(f->m);
        fault_body(f, MOCK_ROUTE_VALIDATE, 200, bodies[i], 0);
        int32_t valid = -1;
        assert_int_equal(modellix_client_validate_key(f->c, &valid), MODELLIX_EPROTOCOL);
        assert_int_equal(valid, 0);
        /* a well-formed answer of the wrong shape is not asked again */
        assert_int_equal(fx_requests(f, MOCK_ROUTE_VALIDATE), 1);
        assert_int_equal(modellix_client_errcode(f->c), MODELLIX_EPROTOCOL);
        assert_int_equal(modellix_client_http_status(f->c), 200);
        assert_errmsg_has(f, "/api/v1/apikey/validate");
    }
    mock_server_clear_faults(f->m);
    fault_body(f, MOCK_ROUTE_VALIDATE, 200, "{\"code\":0,\"data\":{\"is_valid\":\"true\"}}", 0);
    int32_t valid;
    assert_int_equal(modellix_client_validate_key(f->c, &valid), MODELLIX_EPROTOCOL);
    assert_errmsg_has(f, "expected data.is_valid to be a boolean");
}

static void test_validate_key_401(void **state)
{
    fixture *f = *state;
    fx_fault(f, MOCK_ROUTE_VALIDATE, "GET", MOCK_FAULT_STATUS, 401, 0);
    int32_t valid = -1;
    assert_int_equal(modellix_client_validate_key(f->c, &valid), MODELLIX_EAUTH);
    assert_int_equal(valid, 0);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_VALIDATE), 1); /* rejected: never retried */
    assert_int_equal(modellix_client_errcode(f->c), MODELLIX_EAUTH);
    assert_int_equal(modellix_client_http_status(f->c), 401);
    assert_errmsg_has(f, "401");
    fx_assert_no_key(f, NULL);
    /* the error is cleared by the next successful call */
    mock_server_clear_faults(f->m);
    assert_int_equal(modellix_client_validate_key(f->c, &valid), MODELLIX_OK);
    assert_int_equal(modellix_client_errcode(f->c), MODELLIX_OK);
    assert_string_equal(modellix_client_errmsg(f->c), "");
}

static void test_validate_key_retry(void **state)
{
    fixture *f = *state;
    fx_fault(f, MOCK_ROUTE_VALIDATE, "GET", MOCK_FAULT_STATUS, 503, 1);
    int32_t valid = -1;
    assert_int_equal(modellix_client_validate_key(f->c, &valid), MODELLIX_OK);
    assert_int_equal(valid, 1);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_VALIDATE), 2);
    assert_int_equal(mock_server_count_status(f->m, MOCK_ROUTE_VALIDATE, 503), 1);
    /* a dropped connection and a 429 are retried too */
    mock_server_reset_counters(f->m);
    fx_fault(f, MOCK_ROUTE_VALIDATE, "GET", MOCK_FAULT_RESET_BEFORE, 0, 1);
    fx_fault(f, MOCK_ROUTE_VALIDATE, "GET", MOCK_FAULT_STATUS, 429, 1);
    assert_int_equal(modellix_client_validate_key(f->c, &valid), MODELLIX_OK);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_VALIDATE), 3);
    /* a 503 that does not go away: the policy's 4 attempts, then ESERVER */
    mock_server_reset_counters(f->m);
    fx_fault(f, MOCK_ROUTE_VALIDATE, "GET", MOCK_FAULT_STATUS, 503, 0);
    assert_int_equal(modellix_client_validate_key(f->c, &valid), MODELLIX_ESERVER);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_VALIDATE), 4);
    assert_int_equal(modellix_client_http_status(f->c), 503);
}

static void test_bad_arguments(void **state)
{
    fixture *f = *state;
    int32_t valid = -1;
    double bal = -1;
    assert_int_equal(modellix_client_validate_key(NULL, &valid), MODELLIX_EINVAL);
    assert_int_equal(valid, 0);
    assert_int_equal(modellix_client_validate_key(f->c, NULL), MODELLIX_EINVAL);
    assert_int_equal(modellix_client_errcode(f->c), MODELLIX_EINVAL);
    assert_int_equal(modellix_client_balance(NULL, &bal), MODELLIX_EINVAL);
    assert_true(bal == 0);
    assert_int_equal(modellix_client_balance(f->c, NULL), MODELLIX_EINVAL);
    modellix_models *m = (modellix_models *)1;
    assert_int_equal(modellix_models_list(&m, NULL), MODELLIX_EINVAL);
    assert_null(m);
    assert_int_equal(modellix_models_list(NULL, f->c), MODELLIX_EINVAL);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_ANY), 0);
    /* accessors and helpers on NULL */
    assert_int_equal(modellix_models_count(NULL), 0);
    assert_null(modellix_models_slug(NULL, 0));
    assert_null(modellix_models_json(NULL, 0));
    size_t idx = 7;
    assert_int_equal(modellix_models_find(NULL, "a/b", &idx), MODELLIX_EINVAL);
    assert_int_equal(modellix_models_filter(&m, NULL, NULL, NULL, NULL, 0), MODELLIX_EINVAL);
    assert_null(m);
    assert_int_equal(modellix_models_filter(NULL, NULL, NULL, NULL, NULL, 0), MODELLIX_EINVAL);
    modellix_models_free(NULL);
}

/* ---------------------------------------------------------------------------------------------- */
/* Balance                                                                                          */

static void test_balance(void **state)
{
    fixture *f = *state;
    double bal = -1;
    assert_int_equal(modellix_client_balance(f->c, &bal), MODELLIX_OK);
    assert_true(fabs(bal - 12.3456) < 1e-9);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_BALANCE), 1);
    char path[256];
    assert_int_equal(mock_server_last_path(f->m, MOCK_ROUTE_BALANCE, path, sizeof path), 0);
    assert_string_equal(path, "/api/v1/team/balance");
    /* an integer and a negative number are numbers too */
    fault_body(f, MOCK_ROUTE_BALANCE, 200, "{\"code\":0,\"data\":{\"balance\":7}}", 1);
    assert_int_equal(modellix_client_balance(f->c, &bal), MODELLIX_OK);
    assert_true(bal == 7.0);
    fault_body(f, MOCK_ROUTE_BALANCE, 200, "{\"code\":0,\"data\":{\"balance\":-0.5}}", 1);
    assert_int_equal(modellix_client_balance(f->c, &bal), MODELLIX_OK);
    assert_true(bal == -0.5);
}

static void test_balance_not_a_number(void **state)
{
    fixture *f = *state;
    static const char *const bodies[] = {
        "{\"code\":0,\"data\":{\"balance\":\"12.34\"}}", "{\"code\":0,\"data\":{\"balance\":null}}",
        "{\"code\":0,\"data\":{\"balance\":true}}",      "{\"code\":0,\"data\":{\"balance\":{\"usd\":1}}}",
        "{\"code\":0,\"data\":{}}",                      "{\"code\":0}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        mock_server_clear_faults(f->m);
        mock_server_reset_counters(f->m);
        fault_body(f, MOCK_ROUTE_BALANCE, 200, bodies[i], 0);
        double bal = -1;
        assert_int_equal(modellix_client_balance(f->c, &bal), MODELLIX_EPROTOCOL);
        assert_true(bal == 0);
        assert_int_equal(fx_requests(f, MOCK_ROUTE_BALANCE), 1);
    }
    /* 1e400 is not a finite number: the body is refused as JSON (and, like any unreadable body, asked
       again under the policy) */
    mock_server_clear_faults(f->m);
    mock_server_reset_counters(f->m);
    fault_body(f, MOCK_ROUTE_BALANCE, 200, "{\"code\":0,\"data\":{\"balance\":1e400}}", 0);
    double bal = -1;
    assert_int_equal(modellix_client_balance(f->c, &bal), MODELLIX_EPROTOCOL);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_BALANCE), 4);
    /* a 402 or 503 that persists */
    mock_server_clear_faults(f->m);
    fx_fault(f, MOCK_ROUTE_BALANCE, "GET", MOCK_FAULT_STATUS, 402, 0);
    assert_int_equal(modellix_client_balance(f->c, &bal), MODELLIX_EPAYMENT);
    mock_server_clear_faults(f->m);
    mock_server_reset_counters(f->m);
    fx_fault(f, MOCK_ROUTE_BALANCE, "GET", MOCK_FAULT_STATUS, 503, 1);
    assert_int_equal(modellix_client_balance(f->c, &bal), MODELLIX_OK);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_BALANCE), 2);
}

/* ---------------------------------------------------------------------------------------------- */
/* Catalogue                                                                                        */

static size_t count_filter(const modellix_models *m, const char *type, const char *provider, const char *search,
                           size_t limit)
{
    modellix_models *r = NULL;
    assert_int_equal(modellix_models_filter(&r, m, type, provider, search, limit), MODELLIX_OK);
    assert_non_null(r);
    size_t n = modellix_models_count(r);
    modellix_models_free(r);
    return n;
}

/* The whole answer is kept (a code, a message, other top-level fields), for the CLI's
   {...answer, models: filtered}; every string of the catalogue passes the sanitizer. */
static void test_models_answer_kept_and_sanitized(void **state)
{
    fixture *f = *state;
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_MODELS;
    flt.kind = MOCK_FAULT_STATUS;
    flt.status = 200;
    flt.body = "{\"code\":0,\"message\":\"success\",\"page\":1,\"models\":[{\"slug\":\"a/b\",\"type\":\"text-to-image\","
               "\"description\":\"uses " FX_KEY " inside\"}]}";
    flt.count = 1;
    fx_fault_full(f, &flt);
    modellix_models *m = NULL, *sel = NULL;
    assert_int_equal(modellix_models_list(&m, f->c), MODELLIX_OK);
    const char *whole = modellix_models_response_json(m);
    assert_non_null(whole);
    assert_non_null(strstr(whole, "\"code\":0,\"message\":\"success\",\"page\":1"));
    assert_null(strstr(whole, "SENTINEL"));
    assert_non_null(strstr(whole, "[REDACTED]"));
    assert_string_equal(modellix_models_description(m, 0), "uses [REDACTED] inside");
    assert_null(strstr(modellix_models_json(m, 0), "SENTINEL"));
    assert_int_equal(modellix_models_filter(&sel, m, "text-to-image", NULL, NULL, 0), MODELLIX_OK);
    assert_string_equal(modellix_models_response_json(sel), whole); /* a filtered list carries the answer */
    assert_null(modellix_models_response_json(NULL));
    modellix_models_free(sel);
    modellix_models_free(m);
}

static void test_models_list(void **state)
{
    fixture *f = *state;
    modellix_models *m = NULL;
    assert_int_equal(modellix_models_list(&m, f->c), MODELLIX_OK);
    assert_non_null(m);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_MODELS), 1);
    assert_int_equal(modellix_models_count(m), 10);
    assert_string_equal(modellix_models_slug(m, 0), "bytedance/seedream-4.5-t2i");
    assert_string_equal(modellix_models_type(m, 0), "text-to-image");
    assert_string_equal(modellix_models_provider(m, 0), "bytedance");
    assert_string_equal(modellix_models_description(m, 0), "Seedream 4.5 text to image");
    assert_string_equal(modellix_models_docs_url(m, 0), "https://docs.modellix.ai/bytedance/seedream-4.5-t2i");
    const char *js = modellix_models_json(m, 0);
    assert_non_null(js);
    assert_non_null(strstr(js, "\"slug\":\"bytedance/seedream-4.5-t2i\""));
    assert_null(strchr(js, '\n')); /* compact */
    assert_null(strstr(js, ", "));
    /* out of range */
    assert_null(modellix_models_slug(m, 10));
    assert_null(modellix_models_type(m, 10));
    assert_null(modellix_models_provider(m, SIZE_MAX));
    assert_null(modellix_models_description(m, 10));
    assert_null(modellix_models_docs_url(m, 10));
    assert_null(modellix_models_json(m, 10));

    /* describe: case-insensitive, trimmed */
    size_t idx = 99;
    assert_int_equal(modellix_models_find(m, "  Google/NANO-Banana-2 ", &idx), MODELLIX_OK);
    assert_string_equal(modellix_models_slug(m, idx), "google/nano-banana-2");
    assert_int_equal(modellix_models_find(m, "google/nano-banana-2-edit", NULL), MODELLIX_OK);
    assert_int_equal(modellix_models_find(m, "google/nano-banana", &idx), MODELLIX_ENOTFOUND);
    assert_int_equal(idx, SIZE_MAX);
    assert_int_equal(modellix_models_find(m, "", &idx), MODELLIX_ENOTFOUND);
    assert_int_equal(modellix_models_find(m, NULL, &idx), MODELLIX_EINVAL);

    /* filters: exact type and provider ignoring case; search in slug + description; limit */
    assert_int_equal(count_filter(m, NULL, NULL, NULL, 0), 10);
    assert_int_equal(count_filter(m, "", "  ", "", 0), 10);
    assert_int_equal(count_filter(m, "TEXT-TO-VIDEO", NULL, NULL, 0), 2);
    assert_int_equal(count_filter(m, "text-to", NULL, NULL, 0), 0); /* exact, not a prefix */
    assert_int_equal(count_filter(m, NULL, "ByteDance", NULL, 0), 4);
    assert_int_equal(count_filter(m, NULL, "byte", NULL, 0), 0);
    assert_int_equal(count_filter(m, "text-to-image", "BYTEDANCE", NULL, 0), 2);
    assert_int_equal(count_filter(m, NULL, NULL, "NANO", 0), 2);
    assert_int_equal(count_filter(m, NULL, NULL, "Qwen Image", 0), 2);  /* in the descriptions */
    assert_int_equal(count_filter(m, NULL, NULL, "t2v\nseedance", 0), 1); /* across slug and description */
    assert_int_equal(count_filter(m, NULL, NULL, "no such model", 0), 0);
    assert_int_equal(count_filter(m, NULL, NULL, NULL, 3), 3);
    assert_int_equal(count_filter(m, NULL, "alibaba", NULL, 1), 1);

    /* a filtered list is a list of its own: it outlives its source and can be filtered again */
    modellix_models *video = NULL, *kling = NULL;
    assert_int_equal(modellix_models_filter(&video, m, NULL, NULL, "video", 0), MODELLIX_OK);
    modellix_models_free(m);
    assert_int_equal(modellix_models_count(video), 4);
    assert_string_equal(modellix_models_slug(video, 0), "bytedance/seedance-2.0-mini-t2v");
    assert_int_equal(modellix_models_filter(&kling, video, NULL, "KLING", NULL, 0), MODELLIX_OK);
    assert_int_equal(modellix_models_count(kling), 1);
    assert_string_equal(modellix_models_provider(kling, 0), "kling");
    assert_non_null(strstr(modellix_models_json(kling, 0), "kling-v2-t2v"));
    assert_int_equal(modellix_models_find(kling, "KLING/KLING-V2-T2V", &idx), MODELLIX_OK);
    assert_int_equal(idx, 0);
    modellix_models_free(video);
    /* and it outlives the client */
    modellix_client_free(f->c);
    f->c = NULL;
    assert_string_equal(modellix_models_type(kling, 0), "text-to-video");
    modellix_models_free(kling);
}

static void test_models_free_form(void **state)
{
    fixture *f = *state;
    static const char body[] =
        "{\"models\":["
        "{\"slug\":\"  acme/alpha \",\"type\":\"Text-To-Image\",\"providerSlug\":\"Acme-Labs\",\"price\":0.5},"
        "{\"slug\":\"beta-co/beta\",\"provider\":{\"name\":\"Beta Co\"},\"description\":\"line one\\nline two\"},"
        "{\"slug\":\"gamma/g\",\"provider_slug\":\"gammaworks\",\"provider\":\"\",\"docs_url\":\"javascript:alert(1)\"},"
        "{\"slug\":\"delta/d\",\"provider\":{\"id\":\"d-1\"},\"type\":42,\"description\":7},"
        "{\"slug\":\"standalone\",\"docs_url\":\"http://docs.example/x\"},"
        "{\"slug\":\"/rootless\",\"provider\":\"bad\\u202eprovider\"}"
        "],\"next\":null}";
    fault_body(f, MOCK_ROUTE_MODELS, 200, body, 1);
    modellix_models *m = NULL;
    assert_int_equal(modellix_models_list(&m, f->c), MODELLIX_OK);
    assert_int_equal(modellix_models_count(m), 6);
    assert_string_equal(modellix_models_slug(m, 0), "acme/alpha");
    assert_string_equal(modellix_models_provider(m, 0), "Acme-Labs");
    assert_string_equal(modellix_models_type(m, 0), "Text-To-Image");
    assert_null(modellix_models_description(m, 0));
    assert_null(modellix_models_docs_url(m, 0));
    assert_non_null(strstr(modellix_models_json(m, 0), "\"price\":0.5"));
    assert_string_equal(modellix_models_provider(m, 1), "Beta Co");
    assert_string_equal(modellix_models_description(m, 1), "line one\nline two");
    assert_string_equal(modellix_models_provider(m, 2), "gammaworks"); /* an empty provider falls through */
    assert_null(modellix_models_docs_url(m, 2));                        /* not an http(s) URL */
    assert_string_equal(modellix_models_provider(m, 3), "d-1");
    assert_null(modellix_models_type(m, 3));
    assert_null(modellix_models_description(m, 3));
    assert_null(modellix_models_provider(m, 4)); /* no provider field and no '/' */
    assert_string_equal(modellix_models_docs_url(m, 4), "http://docs.example/x");
    assert_null(modellix_models_provider(m, 5)); /* unsafe provider text, and nothing before the '/' */

    assert_int_equal(count_filter(m, "text-to-image", NULL, NULL, 0), 1);
    assert_int_equal(count_filter(m, NULL, "acme-labs", NULL, 0), 1);
    assert_int_equal(count_filter(m, NULL, "acme", NULL, 0), 0); /* the field wins over the slug prefix */
    assert_int_equal(count_filter(m, NULL, "beta co", NULL, 0), 1);
    assert_int_equal(count_filter(m, NULL, NULL, "LINE TWO", 0), 1);
    assert_int_equal(count_filter(m, NULL, NULL, "beta\nline", 0), 1);
    assert_int_equal(count_filter(m, NULL, NULL, "\nline", 0), 1);
    assert_int_equal(count_filter(m, "anything", NULL, NULL, 0), 0); /* models without a type never match */
    size_t idx;
    assert_int_equal(modellix_models_find(m, "ACME/ALPHA", &idx), MODELLIX_OK);
    assert_int_equal(idx, 0);
    assert_int_equal(modellix_models_find(m, "Standalone", &idx), MODELLIX_OK);
    assert_int_equal(idx, 4);
    modellix_models_free(m);

    /* an empty catalogue is a valid one */
    fault_body(f, MOCK_ROUTE_MODELS, 200, "{\"models\":[]}", 1);
    assert_int_equal(modellix_models_list(&m, f->c), MODELLIX_OK);
    assert_int_equal(modellix_models_count(m), 0);
    assert_int_equal(count_filter(m, "x", NULL, NULL, 0), 0);
    assert_int_equal(modellix_models_find(m, "a/b", NULL), MODELLIX_ENOTFOUND);
    modellix_models_free(m);
}

static void expect_models_refused_n(fixture *f, const char *body, const char *msg, int64_t requests)
{
    mock_server_clear_faults(f->m);
    mock_server_reset_counters(f->m);
    fault_body(f, MOCK_ROUTE_MODELS, 200, body, 0);
    modellix_models *m = (modellix_models *)1;
    assert_int_equal(modellix_models_list(&m, f->c), MODELLIX_EPROTOCOL);
    assert_null(m);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_MODELS), requests);
    assert_int_equal(modellix_client_errcode(f->c), MODELLIX_EPROTOCOL);
    assert_errmsg_has(f, msg);
}

/* A well-formed answer of the wrong shape: refused at once, never asked again. */
static void expect_models_refused(fixture *f, const char *body, const char *msg)
{
    expect_models_refused_n(f, body, msg, 1);
}

static void test_models_bad_entries(void **state)
{
    fixture *f = *state;
    const char *slug_msg = "every model must include a string slug";
    expect_models_refused(f, "{\"models\":[{\"slug\":\"a/b\"},{\"type\":\"text-to-image\"}]}", slug_msg);
    expect_models_refused(f, "{\"models\":[{\"slug\":42}]}", slug_msg);
    expect_models_refused(f, "{\"models\":[{\"slug\":null}]}", slug_msg);
    expect_models_refused(f, "{\"models\":[{\"slug\":\"   \"}]}", slug_msg);
    expect_models_refused(f, "{\"models\":[{\"slug\":\"a/b\\nc\"}]}", slug_msg);
    expect_models_refused(f, "{\"models\":[{\"slug\":\"a/\\u202eb\"}]}", slug_msg);
    /* jansson refuses a NUL inside a string: not JSON at all, which is retried like a cut-off body */
    expect_models_refused_n(f, "{\"models\":[{\"slug\":\"a/b\\u0000c\"}]}", "not valid JSON", 4);
    expect_models_refused(f, "{\"models\":[\"a/b\"]}", slug_msg);
    expect_models_refused(f, "{\"models\":[null]}", slug_msg);
    expect_models_refused(f, "{\"models\":{\"slug\":\"a/b\"}}", "expected models to be an array");
    expect_models_refused(f, "{\"data\":{\"models\":[]}}", "expected models to be an array");
    expect_models_refused(f, "[]", "expected models to be an array");

    /* 256 characters are allowed, 257 are not (counted in characters, not bytes) */
    char body[2048], slug[600];
    memset(slug, 'x', 257);
    slug[3] = '/';
    slug[257] = '\0';
    snprintf(body, sizeof body, "{\"models\":[{\"slug\":\"%s\"}]}", slug);
    expect_models_refused(f, body, slug_msg);
    slug[256] = '\0';
    snprintf(body, sizeof body, "{\"models\":[{\"slug\":\"%s\"}]}", slug);
    mock_server_clear_faults(f->m);
    fault_body(f, MOCK_ROUTE_MODELS, 200, body, 1);
    modellix_models *m = NULL;
    assert_int_equal(modellix_models_list(&m, f->c), MODELLIX_OK);
    assert_int_equal(strlen(modellix_models_slug(m, 0)), 256);
    modellix_models_free(m);
    /* 256 two-byte characters: 512 bytes, still 256 characters */
    size_t k = 0;
    k += (size_t)snprintf(body, sizeof body, "{\"models\":[{\"slug\":\"a/");
    for (int i = 0; i < 254; i++)
        k += (size_t)snprintf(body + k, sizeof body - k, "\xc3\xa9");
    snprintf(body + k, sizeof body - k, "\"}]}");
    fault_body(f, MOCK_ROUTE_MODELS, 200, body, 1);
    assert_int_equal(modellix_models_list(&m, f->c), MODELLIX_OK);
    assert_int_equal(strlen(modellix_models_slug(m, 0)), 2 + 254 * 2);
    modellix_models_free(m);
}

static void test_models_transport_faults(void **state)
{
    fixture *f = *state;
    modellix_models *m = (modellix_models *)1;
    /* over 16 MiB: refused while receiving, not retried */
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_MODELS;
    flt.kind = MOCK_FAULT_HUGE;
    flt.huge_bytes = (int64_t)17 * 1024 * 1024;
    fx_fault_full(f, &flt);
    assert_int_equal(modellix_models_list(&m, f->c), MODELLIX_ETOOLARGE);
    assert_null(m);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_MODELS), 1);
    assert_int_equal(modellix_client_errcode(f->c), MODELLIX_ETOOLARGE);

    /* 503 then success */
    mock_server_clear_faults(f->m);
    mock_server_reset_counters(f->m);
    fx_fault(f, MOCK_ROUTE_MODELS, "GET", MOCK_FAULT_STATUS, 503, 1);
    assert_int_equal(modellix_models_list(&m, f->c), MODELLIX_OK);
    assert_int_equal(modellix_models_count(m), 10);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_MODELS), 2);
    modellix_models_free(m);

    /* a body that is not JSON (or cut short) may be transient: retried, then EPROTOCOL */
    mock_server_clear_faults(f->m);
    mock_server_reset_counters(f->m);
    fx_fault(f, MOCK_ROUTE_MODELS, "GET", MOCK_FAULT_GARBAGE, 0, 0);
    assert_int_equal(modellix_models_list(&m, f->c), MODELLIX_EPROTOCOL);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_MODELS), 4);
    mock_server_clear_faults(f->m);
    mock_server_reset_counters(f->m);
    fx_fault(f, MOCK_ROUTE_MODELS, "GET", MOCK_FAULT_TRUNCATED, 0, 1);
    assert_int_equal(modellix_models_list(&m, f->c), MODELLIX_OK);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_MODELS), 2);
    modellix_models_free(m);
    mock_server_clear_faults(f->m);
    fx_fault(f, MOCK_ROUTE_MODELS, "GET", MOCK_FAULT_EMPTY, 0, 0);
    assert_int_equal(modellix_models_list(&m, f->c), MODELLIX_EPROTOCOL);
    assert_errmsg_has(f, "expected a JSON response");

    /* rejected statuses */
    mock_server_clear_faults(f->m);
    fx_fault(f, MOCK_ROUTE_MODELS, "GET", MOCK_FAULT_STATUS, 401, 0);
    assert_int_equal(modellix_models_list(&m, f->c), MODELLIX_EAUTH);
    mock_server_clear_faults(f->m);
    fx_fault(f, MOCK_ROUTE_MODELS, "GET", MOCK_FAULT_STATUS, 404, 0);
    assert_int_equal(modellix_models_list(&m, f->c), MODELLIX_ENOTFOUND);
    assert_null(m);
}

static void test_models_deadline(void **state)
{
    fixture *f = *state;
    fx_opts o = {.fast_retries = 1, .call_timeout_ms = 300};
    fx_client(f, &o);
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_MODELS;
    flt.kind = MOCK_FAULT_STALL;
    flt.stall_ms = 2000;
    fx_fault_full(f, &flt);
    modellix_models *m = (modellix_models *)1;
    int64_t t0 = fx_ms();
    assert_int_equal(modellix_models_list(&m, f->c), MODELLIX_ETIMEOUT);
    int64_t took = fx_ms() - t0;
    assert_true(took >= 250 && took < 1800);
    assert_null(m);
    int32_t valid = -1;
    mock_server_clear_faults(f->m);
    flt.route = MOCK_ROUTE_VALIDATE;
    fx_fault_full(f, &flt);
    assert_int_equal(modellix_client_validate_key(f->c, &valid), MODELLIX_ETIMEOUT);
    assert_int_equal(valid, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_validate_key, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_validate_key_false, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_validate_key_bad_shape, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_validate_key_401, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_validate_key_retry, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_balance, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_balance_not_a_number, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_models_answer_kept_and_sanitized, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_models_list, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_models_free_form, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_models_bad_entries, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_models_transport_faults, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_models_deadline, fx_test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("account", tests, fx_setup, fx_teardown);
}
