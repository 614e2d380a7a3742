/* mock_api.c - the /api/v1/ routes: classification, Bearer auth, submit (all three path forms), task
 * query, models, key validation and balance. */
#include "mock_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define API_PREFIX "/api/v1/"

/* Raw (still encoded) path segments after /api/v1/. */
typedef struct segs {
    const char *s[5];
    size_t len[5];
    size_t n; /* > 4 means "too many" */
} segs;

static void split(const char *rest, segs *out)
{
    memset(out, 0, sizeof *out);
    const char *p = rest;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (out->n < 5) {
            out->s[out->n] = p;
            out->len[out->n] = len;
        }
        out->n++;
        if (slash == NULL)
            break;
        p = slash + 1;
    }
}

static bool seg_is(const segs *g, size_t i, const char *word)
{
    return i < g->n && g->len[i] == strlen(word) && strncmp(g->s[i], word, g->len[i]) == 0;
}

static bool is_get(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

int32_t mk_classify(const char *method, const char *path)
{
    if (strncmp(path, "/files/", 7) == 0)
        return is_get(method) ? MOCK_ROUTE_FILE : MOCK_ROUTE_OTHER;
    if (strncmp(path, API_PREFIX, strlen(API_PREFIX)) != 0)
        return MOCK_ROUTE_OTHER;
    const char *rest = path + strlen(API_PREFIX);
    if (is_get(method)) {
        if (strcmp(rest, "models") == 0)
            return MOCK_ROUTE_MODELS;
        if (strcmp(rest, "apikey/validate") == 0)
            return MOCK_ROUTE_VALIDATE;
        if (strcmp(rest, "team/balance") == 0)
            return MOCK_ROUTE_BALANCE;
        if (strncmp(rest, "tasks/", 6) == 0 && rest[6] != '\0')
            return MOCK_ROUTE_TASK;
        return MOCK_ROUTE_OTHER;
    }
    if (strcmp(method, "POST") != 0)
        return MOCK_ROUTE_OTHER;
    segs g;
    split(rest, &g);
    for (size_t i = 0; i < g.n && i < 5; i++) {
        if (g.len[i] == 0)
            return MOCK_ROUTE_OTHER;
    }
    if (g.n == 2 || ((g.n == 3 || g.n == 4) && seg_is(&g, g.n - 1, "async")))
        return MOCK_ROUTE_SUBMIT;
    return MOCK_ROUTE_OTHER;
}

/* ---- auth ---- */

static bool authorised(mk_req *q, struct MHD_Connection *conn, mk_reply *out)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (h == NULL || *h == '\0') {
        mk_reply_error(out, 401, "Authentication failed: missing Authorization header");
        return false;
    }
    if (!mk_has_prefix_ci(h, "Bearer ")) {
        mk_reply_error(out, 401, "Authentication failed: expected 'Authorization: Bearer <api key>'");
        return false;
    }
    const char *key = h + 7;
    while (*key == ' ')
        key++;
    size_t n = strlen(key);
    bool ok = n > 0 && n <= MK_MAX_API_KEY;
    for (size_t i = 0; ok && i < n; i++)
        ok = (unsigned char)key[i] >= 0x21 && (unsigned char)key[i] <= 0x7e;
    if (!ok) {
        mk_reply_error(out, 401, "Authentication failed: malformed API key");
        return false;
    }
    mock_server *m = q->srv;
    if (m->n_api_keys == 0)
        return true;
    for (size_t i = 0; i < m->n_api_keys; i++) {
        if (strcmp(m->api_keys[i], key) == 0)
            return true;
    }
    mk_reply_error(out, 401, "Authentication failed: invalid API key");
    return false;
}

static json_t *envelope(json_t *data)
{
    return json_pack("{s:i, s:s, s:o}", "code", 0, "message", "success", "data", data);
}

static char *task_url(mock_server *m, const char *id)
{
    char *enc = mk_pct_encode(id);
    if (enc == NULL)
        return NULL;
    size_t n = strlen(m->url) + strlen("/api/v1/tasks/") + strlen(enc) + 1;
    char *u = malloc(n);
    if (u != NULL)
        snprintf(u, n, "%s/api/v1/tasks/%s", m->url, enc);
    free(enc);
    return u;
}

/* ---- submit ---- */

static bool printable_word(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return false;
    }
    return true;
}

static bool word_is_failure(const char *w)
{
    return strcasecmp(w, "failed") == 0 || strcasecmp(w, "error") == 0 || strcasecmp(w, "canceled") == 0 ||
           strcasecmp(w, "cancelled") == 0;
}

/* Reads the mock_* body fields into the task. Returns false with an error reply. */
static bool read_mock_fields(json_t *body, mk_task *t, mk_reply *out)
{
    json_t *v = json_object_get(body, "mock_duration_ms");
    if (v != NULL) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > MK_MAX_DURATION_MS) {
            mk_reply_error(out, 400, "Invalid parameters: mock_duration_ms must be an integer from 0 to %lld",
                           (long long)MK_MAX_DURATION_MS);
            return false;
        }
        t->duration_ms = (int64_t)json_integer_value(v);
    }
    v = json_object_get(body, "mock_resources");
    if (v != NULL) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > MK_MAX_RESOURCES) {
            mk_reply_error(out, 400, "Invalid parameters: mock_resources must be an integer from 0 to %d",
                           MK_MAX_RESOURCES);
            return false;
        }
        t->n_resources = (int32_t)json_integer_value(v);
    }
    v = json_object_get(body, "mock_status_word");
    if (v != NULL) {
        if (!json_is_string(v) || !printable_word(json_string_value(v))) {
            mk_reply_error(out, 400, "Invalid parameters: mock_status_word must be a printable word of 1-64 chars");
            return false;
        }
        t->word = mk_strdup(json_string_value(v));
        t->failed = word_is_failure(t->word);
    }
    v = json_object_get(body, "mock_error_message");
    if (v != NULL) {
        if (!json_is_string(v) || json_string_length(v) > 65536) {
            mk_reply_error(out, 400, "Invalid parameters: mock_error_message must be a string of at most 65536 bytes");
            return false;
        }
        t->error_message = mk_strdup(json_string_value(v));
    }
    v = json_object_get(body, "mock_outcome");
    if (v != NULL) {
        const char *o = json_is_string(v) ? json_string_value(v) : "";
        if (strcasecmp(o, "failed") == 0) {
            t->failed = true;
        } else if (strcasecmp(o, "success") == 0) {
            t->failed = false;
        } else {
            mk_reply_error(out, 400, "Invalid parameters: mock_outcome must be \"success\" or \"failed\"");
            return false;
        }
    }
    return true;
}

static void submit(mk_req *q, bool commit, mk_reply *out)
{
    mock_server *m = q->srv;
    segs g;
    split(q->path + strlen(API_PREFIX), &g);
    size_t first = 0;
    if (g.n == 4) {
        char *type = mk_pct_decode(g.s[0], g.len[0]);
        bool ok = type != NULL && mk_catalogue_type_valid(type);
        if (!ok) {
            mk_reply_error(out, 404, "Resource not found: model type '%s'", type ? type : "?");
            free(type);
            return;
        }
        free(type);
        first = 1;
    }
    char *provider = mk_pct_decode(g.s[first], g.len[first]);
    char *model = mk_pct_decode(g.s[first + 1], g.len[first + 1]);
    char slug[600];
    const mk_model *cat = NULL;
    size_t pl = provider ? strlen(provider) : 0, ml = model ? strlen(model) : 0;
    if (provider != NULL && model != NULL && pl + ml + 2 <= sizeof slug) {
        memcpy(slug, provider, pl);
        slug[pl] = '/';
        memcpy(slug + pl + 1, model, ml + 1);
        cat = mk_catalogue_find(slug);
    } else {
        snprintf(slug, sizeof slug, "?");
    }
    free(provider);
    free(model);
    if (cat == NULL) {
        mk_reply_error(out, 404, "Resource not found: model '%s'", slug);
        return;
    }

    json_error_t jerr;
    json_t *body = q->body_len > 0 ? json_loadb(q->body, q->body_len, 0, &jerr) : NULL;
    if (!json_is_object(body)) {
        json_decref(body);
        mk_reply_error(out, 400, "Invalid parameters: body must be a JSON object");
        return;
    }
    json_t *prompt = json_object_get(body, "prompt");
    if (prompt == NULL) {
        json_decref(body);
        mk_reply_error(out, 400, "Missing required parameter: prompt");
        return;
    }
    if (!json_is_string(prompt)) {
        json_decref(body);
        mk_reply_error(out, 400, "Invalid format: prompt must be a string");
        return;
    }

    char id[64];
    mk_new_id(m, "task-", id, sizeof id);
    mk_task *t = mk_task_create(id, cat->slug, cat->video, mk_task_duration_for(m, cat));
    if (t == NULL) {
        json_decref(body);
        mk_reply_error(out, 500, "Internal error: out of memory");
        return;
    }
    t->seed = mk_hash64(json_string_value(prompt), json_string_length(prompt), 0x6d6f646c);
    mk_new_id(m, "req-", t->request_id, sizeof t->request_id);
    bool fields_ok = read_mock_fields(body, t, out);
    json_decref(body);
    if (!fields_ok) {
        mk_task_free(t);
        return;
    }

    t->paid = true;
    int64_t retry = 0;
    int rc = mk_store_admit(&m->store, t, atomic_load(&m->max_running), commit, true, t->created_ms, &retry);
    if (rc == 1) {
        mk_reply_error(out, 429, "Concurrent limit exceeded: %d tasks are already running for this team",
                       (int)atomic_load(&m->max_running));
        out->retry_after_s = retry;
        mk_task_free(t);
        return;
    }
    if (rc != 0) {
        mk_reply_error(out, 500, "Internal error: could not store the task");
        mk_task_free(t);
        return;
    }
    if (commit)
        atomic_fetch_add(&m->stats.tasks_created, 1);

    char *url = task_url(m, t->id);
    json_t *data = json_pack("{s:s, s:s, s:s, s:I, s:{s:s, s:s?}}", "status", "pending", "task_id", t->id,
                             "model_id", t->model_id, "duration", (json_int_t)t->duration_ms, "get_result",
                             "method", "GET", "url", url);
    free(url);
    if (!commit)
        mk_task_free(t);
    mk_reply_json(out, 200, envelope(data));
}

/* ---- task query ---- */

static json_t *task_data(mock_server *m, const mk_task *t, int64_t now)
{
    json_t *data = json_pack("{s:s, s:s, s:s, s:I}", "status", mk_task_status_word(t, now), "task_id", t->id,
                             "model_id", t->model_id, "duration", (json_int_t)t->duration_ms);
    if (mk_task_phase(t, now) != MK_TERMINAL)
        return data;
    if (t->failed) {
        json_object_set_new(data, "error",
                            json_pack("{s:s, s:s}", "code", "generation_failed", "message",
                                      t->error_message ? t->error_message
                                                       : "The mock task failed as requested (mock_outcome)"));
        return data;
    }
    json_t *resources = json_array();
    for (int32_t i = 0; i < t->n_resources; i++) {
        char *url = mk_file_url(m, t, i);
        json_array_append_new(resources,
                              json_pack("{s:s?, s:s, s:i, s:i, s:s, s:s}", "url", url, "type",
                                        t->video ? "video" : "image", "width", t->video ? MK_VIDEO_W : MK_IMAGE_W,
                                        "height", t->video ? MK_VIDEO_H : MK_IMAGE_H, "format",
                                        t->video ? "mp4" : "png", "role", "primary"));
        free(url);
    }
    char submit[32], end[32];
    mk_iso8601(t->created_wall_ms, submit);
    mk_iso8601(t->created_wall_ms + t->duration_ms, end);
    json_object_set_new(data, "result",
                        json_pack("{s:o, s:{s:i, s:s}, s:{s:s, s:s}}", "resources", resources, "metadata",
                                  t->video ? "video_count" : "image_count", (int)t->n_resources, "request_id",
                                  t->request_id, "extensions", "submit_time", submit, "end_time", end));
    return data;
}

static void query_task(mk_req *q, mk_reply *out)
{
    const char *raw = q->path + strlen(API_PREFIX "tasks/");
    char *id = mk_pct_decode(raw, strlen(raw));
    const mk_task *t = id ? mk_store_find(&q->srv->store, id) : NULL;
    if (t == NULL) {
        mk_reply_error(out, 404, "Resource not found: task '%s'", id ? id : "(undecodable id)");
        free(id);
        return;
    }
    free(id);
    mk_reply_json(out, 200, envelope(task_data(q->srv, t, mk_now_ms())));
}

void mk_api_process(mk_req *q, struct MHD_Connection *conn, bool commit, mk_reply *out)
{
    if (q->rl.exceeded) {
        mk_reply_error(out, 429, "Rate limit exceeded: %lld requests per minute", (long long)q->rl.limit);
        out->retry_after_s = q->rl.retry_after_s;
        return;
    }
    if (!authorised(q, conn, out))
        return;
    switch (q->route) {
    case MOCK_ROUTE_SUBMIT:
        submit(q, commit, out);
        break;
    case MOCK_ROUTE_TASK:
        query_task(q, out);
        break;
    case MOCK_ROUTE_MODELS:
        mk_reply_json(out, 200, mk_catalogue_json());
        break;
    case MOCK_ROUTE_VALIDATE:
        mk_reply_json(out, 200, envelope(json_pack("{s:b}", "is_valid", 1)));
        break;
    case MOCK_ROUTE_BALANCE:
        mk_reply_json(out, 200, envelope(json_pack("{s:f}", "balance", 12.3456)));
        break;
    default:
        mk_reply_error(out, 404, "Resource not found: no route for %s %s", q->method, q->path);
        break;
    }
}
