/* client.c - client lifetime, error state, cancellation and the redacting log sink. */
#include "internal.h"
#include "journal.h"
#include "sanitize.h"
#include "validate.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void mx_log(modellix_client *c, int32_t level, const char *fmt, ...)
{
    if (!c->log || level > c->log_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    mx_vfmt(line, sizeof line, fmt, ap);
    va_end(ap);
    mx_sanitize_inplace(c->key, line, sizeof line); /* defence in depth: the parts were sanitized */
    ((modellix_log_fn)c->log->fn)(level, line, c->log->user_data);
}

void mx_clear_error(modellix_client *c)
{
    c->errcode = MODELLIX_OK;
    c->http_status = 0;
    c->errmsg[0] = '\0';
    c->request_id[0] = '\0';
}

int mx_fail(modellix_client *c, modellix_task *t, int code, int32_t http_status, const char *request_id,
            const char *fmt, ...)
{
    char msg[MX_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    mx_vfmt(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mx_sanitize_into(c->key, msg, strlen(msg), c->errmsg, sizeof c->errmsg, MX_SAN_TEXT);
    c->errcode = code;
    c->http_status = http_status;
    c->request_id[0] = '\0';
    if (request_id)
        mx_sanitize_into(c->key, request_id, strlen(request_id), c->request_id, sizeof c->request_id, MX_SAN_TEXT);
    if (t) {
        mx_error e = {code, http_status, request_id, msg};
        mx_task_record_error(t, &e);
    }
    mx_log(c, code == MODELLIX_ETIMEOUT || code == MODELLIX_ECANCELED ? MODELLIX_LOG_INFO : MODELLIX_LOG_ERROR,
           "%s", c->errmsg);
    return code;
}

int mx_fail_req(modellix_client *c, modellix_task *t, const mx_req *r)
{
    char buf[MX_ERRMSG_MAX];
    mx_error e = mx_req_error(r, buf, sizeof buf);
    return mx_fail(c, t, e.code, e.http_status, e.request_id, "%s", e.msg);
}

static int env_or(const char *opt, const char *env, const char **out)
{
    if (opt) {
        *out = opt;
        return 1;
    }
    const char *v = getenv(env);
    if (v) {
        const char *p = v;
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (*p) {
            *out = v;
            return 1;
        }
    }
    *out = NULL;
    return 0;
}

static int build_headers(modellix_client *c, const char *key)
{
    size_t n = strlen(key) + 32;
    char *h = malloc(n);
    if (!h)
        return MODELLIX_ENOMEM;
    mx_fmt(h, n, "Authorization: Bearer %s", key);
    c->auth_header = curl_slist_append(NULL, h);
    struct curl_slist *p = c->auth_header ? curl_slist_append(NULL, h) : NULL;
    volatile char *v = h;
    while (*v)
        *v++ = 0;
    free(h);
    if (p)
        p = curl_slist_append(p, "Content-Type: application/json");
    if (p)
        p = curl_slist_append(p, "Expect:");
    if (!c->auth_header || !p) {
        curl_slist_free_all(p);
        return MODELLIX_ENOMEM;
    }
    c->post_headers = p;
    c->key = c->auth_header->data + strlen("Authorization: Bearer ");
    return MODELLIX_OK;
}

static void wipe_headers(struct curl_slist *l)
{
    for (; l; l = l->next) {
        volatile char *v = l->data;
        while (*v)
            *v++ = 0;
    }
}

int modellix_client_new(modellix_client **out, const modellix_options *opts)
{
    if (!out)
        return MODELLIX_EINVAL;
    *out = NULL;
    modellix_options *defaults = NULL;
    if (!opts) {
        int rc = modellix_options_new(&defaults);
        if (rc != MODELLIX_OK)
            return rc;
        opts = defaults;
    }
    int rc = mx_global_acquire();
    if (rc < 0) {
        modellix_options_free(defaults);
        return rc;
    }
    modellix_client *c = calloc(1, sizeof *c);
    if (!c) {
        mx_global_release();
        modellix_options_free(defaults);
        return MODELLIX_ENOMEM;
    }
    c->timeout_ms = opts->timeout_ms;
    c->call_timeout_ms = opts->call_timeout_ms;
    c->max_in_flight = opts->max_in_flight;
    c->submit_path = opts->submit_path;
    c->log = mx_cb_ref(opts->log);
    c->poll_schedule = mx_cb_ref(opts->poll_schedule);
    c->on_attempt = mx_cb_ref(opts->on_attempt);
    c->on_task_done = mx_cb_ref(opts->on_task_done);
    c->on_progress = mx_cb_ref(opts->on_progress);
    c->dl_max_file = opts->dl_max_file;
    c->dl_max_task = opts->dl_max_task;
    c->dl_timeout_ms = opts->dl_timeout_ms;
    c->continue_on_unknown = opts->continue_on_unknown;
    c->api_http1 = opts->api_http1;
    c->log_level = opts->log_level;
    c->rl_remaining = c->rl_limit = -1;
    atomic_init(&c->cancel_requested, 0);
    mx_timer_init(&c->pump_timer, mx_queue_timer_fire);
    mx_rng_seed(&c->rng, opts->random_seed);

    char err[200] = "";
    const char *key, *base;
    const char *what = "the API key"; /* where the failing setting came from, for the log */
    char *k = NULL;
    rc = MODELLIX_OK;
    if (!env_or(opts->api_key, "MODELLIX_API_KEY", &key)) {
        rc = MODELLIX_ENOKEY;
    } else if ((rc = mx_validate_api_key(key, &k, err, sizeof err)) != MODELLIX_OK) {
        what = opts->api_key ? "the API key" : "MODELLIX_API_KEY";
    } else {
        rc = build_headers(c, k);
    }
    if (k) {
        volatile char *v = k;
        while (*v)
            *v++ = 0;
        free(k);
    }
    if (rc == MODELLIX_OK) {
        what = opts->base_url ? "the base URL" : "MODELLIX_BASE_URL";
        if (env_or(opts->base_url, "MODELLIX_BASE_URL", &base))
            rc = mx_validate_base_url(base, &c->base_url, err, sizeof err);
        else if (!(c->base_url = mx_strdup(MX_DEFAULT_ORIGIN)))
            rc = MODELLIX_ENOMEM;
    }
    if (rc == MODELLIX_OK) {
        char ua[400];
        mx_fmt(ua, sizeof ua, "%s%slibmodellix/%s", opts->user_agent ? opts->user_agent : "",
               opts->user_agent ? " " : "", MODELLIX_VERSION_STRING);
        c->user_agent = mx_strdup(ua);
        c->ca_file = opts->ca_file ? mx_strdup(opts->ca_file) : NULL;
        if (!c->user_agent || (opts->ca_file && !c->ca_file))
            rc = MODELLIX_ENOMEM;
    }
    if (rc == MODELLIX_OK && (rc = mx_proxy_cfg_copy(&c->proxy, &opts->proxy)) == MODELLIX_OK)
        rc = mx_proxy_for(&c->proxy, c->base_url, &c->api_proxy);
    if (rc == MODELLIX_OK) {
        c->policy = opts->policy ? mx_policy_ref(opts->policy) : NULL;
        if (!c->policy)
            rc = modellix_retry_policy_new_default(&c->policy);
    }
    if (rc == MODELLIX_OK) {
        rc = mx_engine_init(&c->eng);
        c->engine_up = rc == MODELLIX_OK;
    }
    int journal_failed = 0;
    if (rc == MODELLIX_OK && opts->journal_path) {
        mx_journal_conf jc = {opts->journal_path, opts->journal_profile, opts->journal_sync, opts->journal_max_bytes,
                              opts->journal_keep};
        journal_failed = (rc = mx_journal_open(&c->journal, &jc, err, sizeof err)) != MODELLIX_OK;
        what = "the task journal";
    }
    modellix_options_free(defaults);
    if (rc != MODELLIX_OK) {
        /* There is no object to carry the message, so the options' log sink gets it. */
        if (rc == MODELLIX_EINVAL || journal_failed)
            mx_log(c, MODELLIX_LOG_ERROR, "modellix_client_new: %s: %s: %s", modellix_strerror(rc), what, err);
        else
            mx_log(c, MODELLIX_LOG_ERROR, "modellix_client_new: %s", modellix_strerror(rc));
        modellix_client_free(c);
        return rc;
    }
    c->base_is_loopback = mx_url_is_loopback(c->base_url);
    *out = c;
    return MODELLIX_OK;
}

void modellix_client_free(modellix_client *c)
{
    if (!c)
        return;
    if (c->engine_up) /* never before it was set up: its descriptors would be 0 (the caller's stdin) */
        mx_engine_cleanup(&c->eng);
    mx_journal_close(c->journal);
    wipe_headers(c->auth_header);
    wipe_headers(c->post_headers);
    curl_slist_free_all(c->auth_header);
    curl_slist_free_all(c->post_headers);
    free(c->base_url);
    free(c->user_agent);
    free(c->ca_file);
    mx_proxy_cfg_free(&c->proxy);
    free(c->api_proxy);
    mx_policy_unref(c->policy);
    mx_cb_unref(c->log);
    mx_cb_unref(c->poll_schedule);
    mx_cb_unref(c->on_attempt);
    mx_cb_unref(c->on_task_done);
    mx_cb_unref(c->on_progress);
    mx_sched_free(c);
    free(c);
    mx_global_release();
}

int modellix_client_cancel(modellix_client *c)
{
    if (!c)
        return MODELLIX_EINVAL;
    atomic_store(&c->cancel_requested, 1);
    mx_engine_wake(&c->eng);
    return MODELLIX_OK;
}

int32_t modellix_client_errcode(const modellix_client *c)
{
    return c ? c->errcode : MODELLIX_EINVAL;
}

const char *modellix_client_errmsg(const modellix_client *c)
{
    return c ? c->errmsg : "";
}

int32_t modellix_client_http_status(const modellix_client *c)
{
    return c ? c->http_status : 0;
}

const char *modellix_client_request_id(const modellix_client *c)
{
    return c && c->request_id[0] ? c->request_id : NULL;
}

const char *modellix_client_base_url(const modellix_client *c)
{
    return c ? c->base_url : NULL;
}
