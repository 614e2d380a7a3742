/* protocol.c - Modellix wire protocol: paths, status words, JSON responses, header hints. */
#include "protocol.h"

#include "json_limits.h"
#include "json_tame.h"
#include "util.h"
#include "validate.h"

#include <curl/curl.h>
#include <jansson.h>
#include <modellix/errors.h>
#include <modellix/retry.h>
#include <modellix/task.h>
#include <stdlib.h>
#include <string.h>

/* Append a percent-encoded segment (curl_easy_escape keeps exactly the unreserved set). */
static int append_segment(mx_buf *b, const char *seg)
{
    char *esc = curl_easy_escape(NULL, seg, 0);
    if (!esc)
        return -1;
    int r = mx_buf_append(b, "/", 1) || mx_buf_append(b, esc, strlen(esc));
    curl_free(esc);
    return r ? -1 : 0;
}

char *mx_path_submit(const char *type, const char *provider, const char *model, int async_suffix)
{
    mx_buf b = {0};
    if (mx_buf_append(&b, "/api/v1", 7) || (type && append_segment(&b, type)) || append_segment(&b, provider) ||
        append_segment(&b, model) || ((type || async_suffix) && mx_buf_append(&b, "/async", 6))) {
        mx_buf_free(&b);
        return NULL;
    }
    return mx_buf_take(&b);
}

char *mx_path_task(const char *task_id)
{
    mx_buf b = {0};
    if (mx_buf_append(&b, "/api/v1/tasks", 13) || append_segment(&b, task_id)) {
        mx_buf_free(&b);
        return NULL;
    }
    return mx_buf_take(&b);
}

int32_t mx_status_from_word(const char *word)
{
    static const char *const ok[] = {"success", "succeeded", "completed"};
    static const char *const bad[] = {"failed", "error", "canceled", "cancelled"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (mx_ascii_casecmp(word, ok[i]) == 0)
            return MODELLIX_TASK_SUCCESS;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (mx_ascii_casecmp(word, bad[i]) == 0)
            return MODELLIX_TASK_FAILED;
    if (mx_ascii_casecmp(word, "pending") == 0)
        return MODELLIX_TASK_PENDING;
    return MODELLIX_TASK_PROCESSING;
}

int mx_classify_status(long status, int is_submit)
{
    if (status >= 200 && status < 300)
        return MX_CLASS_OK;
    if (status == 429)
        return MX_CLASS_THROTTLED;
    switch (status) {
    case 400: case 401: case 402: case 403: case 404: case 405: case 413: case 415: case 422:
        return MX_CLASS_REJECTED;
    default:
        break;
    }
    if (status == 408 || status == 409 || (status >= 300 && status < 400) || status >= 500)
        return MX_CLASS_UNKNOWN;
    /* Any other status: a GET is simply refused; a submit's fate is unknown. */
    return is_submit ? MX_CLASS_UNKNOWN : MX_CLASS_REJECTED;
}

int mx_code_for_status(long status, int is_submit)
{
    int cls = mx_classify_status(status, is_submit);
    if (cls == MX_CLASS_OK)
        return MODELLIX_OK;
    if (status == 429)
        return MODELLIX_ERATELIMIT;
    if (is_submit && cls == MX_CLASS_UNKNOWN)
        return MODELLIX_EOUTCOME_UNKNOWN;
    switch (status) {
    case 401: case 403:
        return MODELLIX_EAUTH;
    case 402:
        return MODELLIX_EPAYMENT;
    case 404:
        return MODELLIX_ENOTFOUND;
    case 413:
        return MODELLIX_ETOOLARGE;
    default:
        return status >= 500 ? MODELLIX_ESERVER : MODELLIX_EHTTP;
    }
}

static char *dup_safe_string(const json_t *v, size_t max)
{
    if (!json_is_string(v))
        return NULL;
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n == 0 || n > max || !mx_safe_text(s, n) || memchr(s, '\0', n))
        return NULL;
    return mx_strndup(s, n);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A JSON string, trimmed, safe and non-empty, copied once; NULL if it is none of these. */
static char *dup_safe_trimmed(const json_t *v, size_t max)
{
    if (!json_is_string(v))
        return NULL;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > max || memchr(s, '\0', n))
        return NULL;
    while (n && is_space(*s)) {
        s++;
        n--;
    }
    while (n && is_space(s[n - 1]))
        n--;
    return n && mx_safe_text(s, n) ? mx_strndup(s, n) : NULL;
}

/* 1 if the JSON string, once trimmed, is exactly `want`. */
static int same_trimmed(const json_t *v, const char *want)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v), w = strlen(want);
    while (n && is_space(*s)) {
        s++;
        n--;
    }
    while (n && is_space(s[n - 1]))
        n--;
    return n == w && memcmp(s, want, w) == 0;
}

/* A message as sent: a string without NUL, at most MX_MESSAGE_RAW_MAX bytes (sanitize.h cleans it). */
static char *raw_message(const json_t *v)
{
    if (!json_is_string(v))
        return NULL;
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (!n || n > MX_MESSAGE_RAW_MAX || memchr(s, '\0', n))
        return NULL;
    return mx_strndup(s, n);
}

/* Validate and normalise a resource URL: http(s), no credentials; re-serialised by curl. */
static char *normalise_resource_url(const char *s)
{
    CURLU *u = curl_url();
    if (!u)
        return NULL;
    char *scheme = NULL, *user = NULL, *pass = NULL, *out = NULL, *res = NULL;
    if (curl_url_set(u, CURLUPART_URL, s, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        (strcmp(scheme, "https") == 0 || strcmp(scheme, "http") == 0) &&
        curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER &&
        curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_NO_PASSWORD &&
        curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
        res = mx_strdup(out);
    curl_free(scheme);
    curl_free(user);
    curl_free(pass);
    curl_free(out);
    curl_url_cleanup(u);
    return res;
}

static int64_t positive_int(const json_t *v)
{
    if (json_is_integer(v) && json_integer_value(v) > 0)
        return (int64_t)json_integer_value(v);
    return 0;
}

static int parse_resource(const json_t *v, mx_resource *r)
{
    memset(r, 0, sizeof *r);
    const json_t *url = json_is_string(v) ? v : json_is_object(v) ? json_object_get(v, "url") : NULL;
    if (!json_is_string(url) || json_string_length(url) > 65536 || memchr(json_string_value(url), '\0', json_string_length(url)))
        return -1;
    r->url = normalise_resource_url(json_string_value(url));
    if (!r->url)
        return -1;
    if (json_is_object(v)) {
        r->type = dup_safe_string(json_object_get(v, "type"), 128);
        r->format = dup_safe_string(json_object_get(v, "format"), 128);
        r->role = dup_safe_string(json_object_get(v, "role"), 128);
        r->width = positive_int(json_object_get(v, "width"));
        r->height = positive_int(json_object_get(v, "height"));
    }
    return 0;
}

void mx_task_info_free(mx_task_info *ti)
{
    if (!ti)
        return;
    free(ti->task_id);
    free(ti->status_word);
    free(ti->error_message);
    free(ti->request_id);
    for (size_t i = 0; i < ti->n_resources; i++) {
        free(ti->resources[i].url);
        free(ti->resources[i].type);
        free(ti->resources[i].format);
        free(ti->resources[i].role);
    }
    free(ti->resources);
    memset(ti, 0, sizeof *ti);
}

/* Parse a body with out-of-range numbers tamed (json_tame.h). *within is 1 when the document keeps
   the depth and node limits. NULL if it is no JSON document. */
static json_t *load_tamed(const char *body, size_t len, int *within)
{
    *within = 0;
    if (len > MX_RESPONSE_MAX)
        return NULL;
    char *copy = mx_strndup(body, len);
    if (!copy)
        return NULL;
    mx_json_tame_numbers(copy, len);
    json_error_t jerr;
    json_t *root = json_loadb(copy, len, 0, &jerr);
    free(copy);
    if (root)
        *within = mx_json_within_limits(root, MX_JSON_MAX_DEPTH, MX_JSON_MAX_NODES);
    return root;
}

static char *failure_detail(const json_t *data)
{
    const json_t *e = json_object_get(data, "error");
    const json_t *msg = NULL;
    if (json_is_object(e))
        msg = json_object_get(e, "message");
    else if (json_is_string(e))
        msg = e;
    if (!json_is_string(msg))
        msg = json_object_get(data, "message");
    if (!json_is_string(msg))
        return NULL;
    return raw_message(msg);
}

static int parse_resources(const json_t *data, mx_task_info *out, char *err, size_t errcap)
{
    const json_t *result = json_object_get(data, "result");
    const json_t *list = json_is_object(result) ? json_object_get(result, "resources") : NULL;
    if (!json_is_array(list))
        list = json_object_get(data, "resources");
    if (json_is_object(result)) {
        const json_t *meta = json_object_get(result, "metadata");
        if (json_is_object(meta))
            out->request_id = dup_safe_string(json_object_get(meta, "request_id"), 256);
    }
    if (!json_is_array(list))
        return MODELLIX_OK;
    size_t n = json_array_size(list);
    if (n > MX_RESOURCES_MAX) {
        mx_fmt(err, errcap, "the task response lists more than %d resources", MX_RESOURCES_MAX);
        return MODELLIX_EPROTOCOL;
    }
    if (!n)
        return MODELLIX_OK;
    out->resources = calloc(n, sizeof *out->resources);
    if (!out->resources)
        return MODELLIX_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (parse_resource(json_array_get(list, i), &out->resources[out->n_resources]) != 0) {
            mx_resource *r = &out->resources[out->n_resources];
            free(r->url);
            free(r->type);
            free(r->format);
            free(r->role);
            mx_fmt(err, errcap, "resource %zu of the task response has no valid http(s) URL", i + 1);
            return MODELLIX_EPROTOCOL;
        }
        out->n_resources++;
    }
    return MODELLIX_OK;
}

/* data.duration: milliseconds (150 at submit, 3500 at completion in the documented examples); an
   integer or a finite real in 0 .. 2^40 ms (about 35 years), else -1. */
static int64_t duration_ms(const json_t *v)
{
    const double max = 1099511627776.0;
    if (json_is_integer(v))
        return json_integer_value(v) >= 0 && json_integer_value(v) <= (json_int_t)max ? (int64_t)json_integer_value(v)
                                                                                    : -1;
    if (json_is_real(v)) {
        double d = json_real_value(v);
        return d >= 0 && d <= max ? (int64_t)d : -1; /* NaN fails both comparisons */
    }
    return -1;
}

/* data.task_id as a validated copy (the expected one on a query), or NULL with rep->err set. */
static char *read_task_id(const json_t *data, const char *expected_id, mx_parse_report *rep)
{
    const json_t *id = json_object_get(data, "task_id");
    if (expected_id && json_is_string(id) && same_trimmed(id, expected_id))
        return mx_strdup(expected_id); /* the usual case on a poll: validated when it was given */
    char *raw = dup_safe_string(id, MX_TASK_ID_MAX), *valid = NULL;
    if (!raw || mx_validate_task_id(raw, &valid, rep->err, sizeof rep->err) != MODELLIX_OK) {
        free(raw);
        mx_fmt(rep->err, sizeof rep->err, "the response has no valid data.task_id");
        return NULL;
    }
    free(raw);
    if (expected_id && strcmp(valid, expected_id) != 0) {
        mx_fmt(rep->err, sizeof rep->err, "the response is about a different task ID");
        rep->mismatch = 1;
        free(valid);
        return NULL;
    }
    return valid;
}

/* Status and resources of `data` into out. MODELLIX_OK, or the error with rep->err. */
static int read_state(const json_t *data, int need_status, mx_task_info *out, mx_parse_report *rep)
{
    const json_t *status = json_object_get(data, "status");
    if (status || need_status) {
        out->status_word = dup_safe_trimmed(status, MX_SAFE_TEXT_STATUS_MAX);
        if (!out->status_word) {
            mx_fmt(rep->err, sizeof rep->err, "the response has no valid data.status");
            return MODELLIX_EPROTOCOL;
        }
        out->status = mx_status_from_word(out->status_word);
    } else {
        out->status = MODELLIX_TASK_PENDING; /* a submit answer without a status: queued */
    }
    out->duration_ms = duration_ms(json_object_get(data, "duration"));
    if (out->status == MODELLIX_TASK_FAILED)
        out->error_message = failure_detail(data);
    return parse_resources(data, out, rep->err, sizeof rep->err);
}

static void clear_state(mx_task_info *out)
{
    char *id = out->task_id;
    out->task_id = NULL;
    mx_task_info_free(out);
    out->task_id = id;
    out->duration_ms = -1;
}

int mx_parse_task_response(const char *body, size_t len, const char *expected_id, mx_task_info *out,
                           mx_parse_report *rep)
{
    memset(out, 0, sizeof *out);
    out->duration_ms = -1;
    memset(rep, 0, sizeof *rep);
    if (!len) {
        rep->not_json = 1;
        mx_fmt(rep->err, sizeof rep->err, "expected a JSON response, got an empty body");
        return MODELLIX_EPROTOCOL;
    }
    int within;
    json_t *root = load_tamed(body, len, &within);
    if (!root) {
        rep->not_json = 1;
        mx_fmt(rep->err, sizeof rep->err, "the response is not valid JSON (or is larger than %zu bytes)",
               (size_t)MX_RESPONSE_MAX);
        return MODELLIX_EPROTOCOL;
    }
    int rc = MODELLIX_EPROTOCOL;
    const json_t *data = json_object_get(root, "data");
    if (!json_is_object(data)) {
        mx_fmt(rep->err, sizeof rep->err, "the response has no \"data\" object");
        goto done;
    }
    if (!within && expected_id) {
        mx_fmt(rep->err, sizeof rep->err, "the response breaks the depth (%d) or node (%d) limits",
               MX_JSON_MAX_DEPTH, MX_JSON_MAX_NODES);
        goto done;
    }
    if (!(out->task_id = read_task_id(data, expected_id, rep)))
        goto done;
    if (!within) {
        /* a submission whose answer names its task: accepted, the rest ignored */
        out->status = MODELLIX_TASK_PENDING;
        mx_fmt(rep->warn, sizeof rep->warn, "the answer breaks the depth (%d) or node (%d) limits: only its task "
               "id was read", MX_JSON_MAX_DEPTH, MX_JSON_MAX_NODES);
        rc = MODELLIX_OK;
        goto done;
    }
    rc = read_state(data, expected_id != NULL, out, rep);
    if (rc != MODELLIX_OK && !expected_id) {
        mx_fmt(rep->warn, sizeof rep->warn, "%s: read as pending",
               rc == MODELLIX_ENOMEM ? "out of memory reading the answer" : rep->err);
        rep->err[0] = '\0';
        clear_state(out);
        out->status = MODELLIX_TASK_PENDING;
        rc = MODELLIX_OK;
    }
done:
    json_decref(root);
    if (rc != MODELLIX_OK)
        mx_task_info_free(out);
    return rc;
}

char *mx_parse_error_message(const char *body, size_t len)
{
    if (!body || !len)
        return NULL;
    int within;
    json_t *root = load_tamed(body, len, &within);
    if (!root)
        return NULL;
    char *m = within ? raw_message(json_object_get(root, "message")) : NULL;
    json_decref(root);
    return m;
}

size_t mx_response_cap(int32_t op)
{
    return op == MODELLIX_OP_SUBMIT || op == MODELLIX_OP_POLL ? MX_TASK_RESPONSE_MAX : MX_RESPONSE_MAX;
}

int64_t mx_parse_header_int(const char *value)
{
    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (*value < '0' || *value > '9')
        return -1;
    int64_t v = 0;
    for (; *value >= '0' && *value <= '9'; value++) {
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*value - '0');
    }
    while (*value == ' ' || *value == '\t' || *value == '\r' || *value == '\n')
        value++;
    return *value ? -1 : v;
}

static int64_t secs_to_ms(int64_t s)
{
    return s > INT64_MAX / 1000 ? INT64_MAX : s * 1000;
}

int64_t mx_parse_retry_after(const char *value, int64_t now_unix)
{
    if (!value)
        return -1;
    int64_t secs = mx_parse_header_int(value);
    if (secs >= 0)
        return secs_to_ms(secs);
    if (strlen(value) > 64)
        return -1;
    time_t when = curl_getdate(value, NULL);
    if (when == (time_t)-1)
        return -1;
    int64_t d = (int64_t)when - now_unix;
    return d <= 0 ? 0 : secs_to_ms(d);
}

int64_t mx_parse_ratelimit_reset_ms(const char *value, int64_t now_unix_ms)
{
    int64_t v = mx_parse_header_int(value);
    if (v < 0)
        return -1;
    /* Servers send seconds from now, a Unix timestamp in seconds (the documents) or, as some do, in
       milliseconds or finer. The magnitude tells them apart: below 1e9 (2001 in seconds) a delay,
       then seconds, milliseconds, microseconds and nanoseconds since the epoch, each from 2001 on
       (1e11 ms is 1973, so no unit's range of present-day values overlaps another's). */
    if (v < INT64_C(1000000000))
        return secs_to_ms(v);
    int64_t at_ms = v < INT64_C(100000000000)          ? v * 1000
                    : v < INT64_C(100000000000000)     ? v
                    : v < INT64_C(100000000000000000)  ? v / 1000
                                                       : v / 1000000;
    return at_ms <= now_unix_ms ? 0 : at_ms - now_unix_ms;
}

int64_t mx_parse_ratelimit_reset(const char *value, int64_t now_unix)
{
    return mx_parse_ratelimit_reset_ms(value, secs_to_ms(now_unix));
}
