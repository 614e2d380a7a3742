/* mock_control.c - the /_mock/ control interface (no auth; the server only listens on loopback).
 *
 *   POST   /_mock/faults    add a fault (JSON object, or an array of them)
 *   DELETE /_mock/faults    clear all faults
 *   GET    /_mock/counters  all counters as JSON
 *   POST   /_mock/reset     reset the counters
 *   GET    /_mock/config    current settings
 *   POST   /_mock/config    change duration_ms, max_running, rate_limit, result_ttl_ms
 *   POST   /_mock/tasks     create a task directly: {"task_id","model","status","resources"}
 */
#include "mock_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *ok(json_t *data)
{
    return json_pack("{s:i, s:s, s:o}", "code", 0, "message", "success", "data", data ? data : json_object());
}

static bool int_field(json_t *o, const char *name, json_int_t lo, json_int_t hi, json_int_t *out, mk_reply *r)
{
    json_t *v = json_object_get(o, name);
    if (v == NULL || json_is_null(v))
        return true;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return true;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        mk_reply_error(r, 400, "Invalid parameters: %s must be an integer from %lld to %lld", name, (long long)lo,
                       (long long)hi);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

/* A string field; objects/arrays are accepted for "body" (dumped) and objects for "headers". */
static bool str_field(json_t *o, const char *name, char **out, mk_reply *r)
{
    json_t *v = json_object_get(o, name);
    if (v == NULL || json_is_null(v))
        return true;
    if (json_is_string(v)) {
        *out = mk_strdup(json_string_value(v));
        return true;
    }
    if (strcmp(name, "headers") == 0 && json_is_object(v)) {
        size_t cap = 1, len = 0;
        const char *k;
        json_t *val;
        json_object_foreach(v, k, val) {
            if (!json_is_string(val))
                break;
            cap += strlen(k) + json_string_length(val) + 4;
        }
        char *block = malloc(cap);
        if (block == NULL)
            return false;
        block[0] = '\0';
        json_object_foreach(v, k, val) {
            if (!json_is_string(val)) {
                free(block);
                mk_reply_error(r, 400, "Invalid parameters: header values must be strings");
                return false;
            }
            len += (size_t)snprintf(block + len, cap - len, "%s: %s\n", k, json_string_value(val));
        }
        *out = block;
        return true;
    }
    if (strcmp(name, "body") == 0) {
        *out = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        return true;
    }
    mk_reply_error(r, 400, "Invalid parameters: %s must be a string", name);
    return false;
}

static bool name_field(json_t *o, const char *name, int32_t (*lookup)(const char *), int32_t max, int32_t *out,
                       mk_reply *r)
{
    json_t *v = json_object_get(o, name);
    if (v == NULL)
        return true;
    if (json_is_string(v) && lookup(json_string_value(v)) >= 0) {
        *out = lookup(json_string_value(v));
        return true;
    }
    if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) < max) {
        *out = (int32_t)json_integer_value(v);
        return true;
    }
    mk_reply_error(r, 400, "Invalid parameters: unknown %s", name);
    return false;
}

static bool add_fault(mock_server *m, json_t *o, mk_reply *r)
{
    if (!json_is_object(o)) {
        mk_reply_error(r, 400, "Invalid parameters: a fault must be a JSON object");
        return false;
    }
    mock_fault f = {0};
    f.kind = -1;
    char *method = NULL, *headers = NULL, *body = NULL, *location = NULL;
    json_int_t status = 0, stall = 0, huge = 0, count = 0, skip = 0, after = 0;
    bool good = name_field(o, "route", mk_fault_route_from_name, MOCK_ROUTE_COUNT_, &f.route, r) &&
                name_field(o, "kind", mk_fault_kind_from_name, MOCK_FAULT_KIND_COUNT_, &f.kind, r) &&
                str_field(o, "method", &method, r) && str_field(o, "headers", &headers, r) &&
                str_field(o, "body", &body, r) && str_field(o, "location", &location, r) &&
                int_field(o, "status", 0, 599, &status, r) &&
                int_field(o, "stall_ms", 0, MK_MAX_DURATION_MS, &stall, r) &&
                int_field(o, "huge_bytes", 0, (json_int_t)1 << 40, &huge, r) &&
                int_field(o, "count", -1000000000, 1000000000, &count, r) &&
                int_field(o, "skip", 0, 1000000000, &skip, r) && int_field(o, "after_create", 0, 1, &after, r);
    if (good) {
        f.method = method;
        f.headers = headers;
        f.body = body;
        f.location = location;
        f.status = (int32_t)status;
        f.stall_ms = stall;
        f.huge_bytes = huge;
        f.count = (int32_t)count;
        f.skip = (int32_t)skip;
        f.after_create = (int32_t)after;
        if (mock_server_add_fault(m, &f) != 0) {
            mk_reply_error(r, 400, "Invalid parameters: the fault needs a known kind (and a status for \"status\")");
            good = false;
        }
    }
    free(method);
    free(headers);
    free(body);
    free(location);
    return good;
}

static json_t *config_json(mock_server *m)
{
    return json_pack("{s:I, s:i, s:i, s:I, s:s, s:s}", "duration_ms", (json_int_t)atomic_load(&m->duration_ms),
                     "max_running", (int)atomic_load(&m->max_running), "rate_limit", (int)atomic_load(&m->rate_limit),
                     "result_ttl_ms", (json_int_t)atomic_load(&m->result_ttl_ms), "url", m->url, "other_url",
                     m->other_url);
}

static void set_config(mock_server *m, json_t *o, mk_reply *r)
{
    json_int_t d = atomic_load(&m->duration_ms), mr = atomic_load(&m->max_running),
               rl = atomic_load(&m->rate_limit), ttl = atomic_load(&m->result_ttl_ms);
    if (!int_field(o, "duration_ms", -1, MK_MAX_DURATION_MS, &d, r) ||
        !int_field(o, "max_running", 0, 1000000, &mr, r) || !int_field(o, "rate_limit", 0, 1000000000, &rl, r) ||
        !int_field(o, "result_ttl_ms", 0, (json_int_t)1 << 50, &ttl, r))
        return;
    mock_server_set_duration_ms(m, d);
    mock_server_set_max_running(m, (int32_t)mr);
    mock_server_set_rate_limit(m, (int32_t)rl);
    mock_server_set_result_ttl_ms(m, ttl);
    mk_reply_json(r, 200, ok(config_json(m)));
}

static void put_task(mock_server *m, json_t *o, mk_reply *r)
{
    const char *id = json_string_value(json_object_get(o, "task_id"));
    const char *model = json_string_value(json_object_get(o, "model"));
    const char *status = json_string_value(json_object_get(o, "status"));
    json_int_t n = 1;
    if (!int_field(o, "resources", 0, MK_MAX_RESOURCES, &n, r))
        return;
    if (id == NULL || mock_server_put_task(m, id, model ? model : "bytedance/seedream-4.5-t2i",
                                           status ? status : "success", (int32_t)n) != 0) {
        mk_reply_error(r, 400, "Invalid parameters: need a new task_id and a status of pending, processing, "
                               "success or failed");
        return;
    }
    mk_reply_json(r, 200, ok(json_pack("{s:s}", "task_id", id)));
}

json_t *mk_counters_json(mock_server *m)
{
    return mk_stats_json(&m->stats);
}

void mk_control_process(mk_req *q, mk_reply *out)
{
    mock_server *m = q->srv;
    const char *what = q->path + strlen("/_mock/");
    bool post = strcmp(q->method, "POST") == 0, get = strcmp(q->method, "GET") == 0;
    json_t *body = NULL;
    if (post) {
        json_error_t err;
        body = q->body_len > 0 ? json_loadb(q->body, q->body_len, 0, &err) : json_object();
        if (body == NULL) {
            mk_reply_error(out, 400, "Invalid parameters: body must be JSON");
            return;
        }
    }
    if (strcmp(what, "faults") == 0 && post) {
        bool good = true;
        if (json_is_array(body)) {
            size_t i;
            json_t *f;
            json_array_foreach(body, i, f) {
                if (!(good = add_fault(m, f, out)))
                    break;
            }
        } else {
            good = add_fault(m, body, out);
        }
        if (good)
            mk_reply_json(out, 200, ok(NULL));
    } else if (strcmp(what, "faults") == 0 && strcmp(q->method, "DELETE") == 0) {
        mock_server_clear_faults(m);
        mk_reply_json(out, 200, ok(NULL));
    } else if (strcmp(what, "counters") == 0 && get) {
        mk_reply_json(out, 200, ok(mk_counters_json(m)));
    } else if (strcmp(what, "reset") == 0 && post) {
        mock_server_reset_counters(m);
        mk_reply_json(out, 200, ok(NULL));
    } else if (strcmp(what, "config") == 0 && get) {
        mk_reply_json(out, 200, ok(config_json(m)));
    } else if (strcmp(what, "config") == 0 && post) {
        if (json_is_object(body))
            set_config(m, body, out);
        else
            mk_reply_error(out, 400, "Invalid parameters: body must be a JSON object");
    } else if (strcmp(what, "tasks") == 0 && post) {
        if (json_is_object(body))
            put_task(m, body, out);
        else
            mk_reply_error(out, 400, "Invalid parameters: body must be a JSON object");
    } else {
        mk_reply_error(out, 404, "Resource not found: no control route for %s %s", q->method, q->path);
    }
    json_decref(body);
}
