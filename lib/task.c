/* task.c - submit, attach, one poll, and the task's accessors. */
#include "internal.h"
#include "journal.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

char *mx_join_url(const char *base, const char *path)
{
    size_t b = strlen(base), p = strlen(path);
    char *u = malloc(b + p + 1);
    if (u) {
        memcpy(u, base, b);
        memcpy(u + b, path, p + 1);
    }
    return u;
}

static int req_finished(void *ctx)
{
    return ((mx_req *)ctx)->finished;
}

void mx_run_exchange(modellix_client *c, mx_req *r)
{
    int rc = mx_engine_run(c, r->deadline_ms, req_finished, r);
    if (rc != MODELLIX_OK)
        mx_req_abort(r, rc);
}

modellix_task *mx_task_new(modellix_client *c)
{
    modellix_task *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->c = c;
    t->born_ms = mx_now_ms();
    t->sub_state = MODELLIX_SUBMIT_NONE;
    mx_timer_init(&t->poll_timer, NULL);
    return t;
}

int mx_task_set_id(modellix_task *t, char *id)
{
    t->id = id;
    t->path = mx_path_task(id);
    return t->path ? MODELLIX_OK : MODELLIX_ENOMEM;
}

void mx_task_apply(modellix_task *t, mx_task_info *info, mx_buf *body)
{
    t->status = info->status;
    mx_task_info_free(&t->info);
    t->info = *info;
    memset(info, 0, sizeof *info);
    free(t->json);
    t->json = mx_buf_take(body);
    t->errcode = MODELLIX_OK;
    t->http_status = 200;
    free(t->errmsg);
    t->errmsg = NULL;
    if (t->status == MODELLIX_TASK_FAILED) {
        t->errcode = MODELLIX_ETASK_FAILED;
        t->errmsg = mx_strdup(t->info.error_message ? t->info.error_message : "the task failed");
    }
}

static void keep_request_id(modellix_task *t, const mx_req *r)
{
    free(t->request_id);
    const char *rid = r->request_id[0] ? r->request_id : t->info.request_id;
    t->request_id = rid ? mx_strdup(rid) : NULL;
}

static int submit_accept(mx_req *r, int *retryable, void *ctx)
{
    modellix_task *t = ctx;
    mx_task_info info;
    char err[200];
    if (mx_parse_task_response(r->resp.data, r->resp.len, NULL, &info, NULL, err, sizeof err) != MODELLIX_OK) {
        *retryable = 1;
        mx_fmt(r->msg, sizeof r->msg, "POST %s: HTTP %ld but %s", r->log_path, r->status, err);
        return MODELLIX_EOUTCOME_UNKNOWN;
    }
    char *id = mx_strdup(info.task_id);
    if (!id || mx_task_set_id(t, id) != MODELLIX_OK) {
        free(id);
        t->id = NULL;
        mx_task_info_free(&info);
        /* the task exists on the service but cannot be held here: its outcome is unknown to the caller */
        mx_fmt(r->msg, sizeof r->msg, "POST %s: out of memory after the task was created", r->log_path);
        return MODELLIX_EOUTCOME_UNKNOWN;
    }
    mx_task_apply(t, &info, &r->resp);
    keep_request_id(t, r);
    return MODELLIX_OK;
}

void mx_submission_request(mx_req *r, modellix_task *t, char *url, const char *body, size_t body_len)
{
    mx_req_init(r, t->c, MODELLIX_OP_SUBMIT, url, t->sub_path);
    r->is_post = 1;
    r->body = body;
    r->body_len = body_len;
    r->send_auth = 1;
    r->hdrs = t->c->post_headers;
    r->accept = submit_accept;
    r->ctx = t;
}

int mx_submission_prepare(modellix_client *c, const char *model_slug, const char *body_json, modellix_task **t_out,
                          size_t *body_len_out)
{
    *t_out = NULL;
    char err[200], *type, *provider, *model;
    int rc = mx_validate_slug(model_slug, &type, &provider, &model, err, sizeof err);
    if (rc != MODELLIX_OK)
        return mx_fail(c, NULL, rc, 0, NULL, "%s", rc == MODELLIX_EINVAL ? err : modellix_strerror(rc));
    char *path = mx_path_submit(type, provider, model, c->submit_path == MODELLIX_SUBMIT_PATH_ASYNC);
    free(type);
    free(provider);
    free(model);
    if (!path)
        return mx_fail(c, NULL, MODELLIX_ENOMEM, 0, NULL, "out of memory");
    size_t blen = body_json ? strlen(body_json) : 0;
    rc = mx_validate_body(body_json, blen, err, sizeof err);
    if (rc != MODELLIX_OK) {
        free(path);
        return mx_fail(c, NULL, rc, 0, NULL, "%s",
                       rc == MODELLIX_ETOOLARGE ? "the request body is larger than 64 MiB" : err);
    }
    modellix_task *t = mx_task_new(c);
    if (!t || !(t->slug = mx_strdup_trimmed(model_slug))) {
        free(path);
        modellix_task_free(t);
        return mx_fail(c, NULL, MODELLIX_ENOMEM, 0, NULL, "out of memory");
    }
    t->sub_path = path;
    t->status = MODELLIX_TASK_SUBMITTING;
    *t_out = t;
    *body_len_out = blen;
    return MODELLIX_OK;
}

int modellix_task_submit(modellix_task **out, modellix_client *c, const char *model_slug, const char *body_json)
{
    if (!out)
        return MODELLIX_EINVAL;
    *out = NULL;
    if (!c)
        return MODELLIX_EINVAL;
    mx_clear_error(c);
    modellix_task *t;
    size_t blen;
    int rc = mx_submission_prepare(c, model_slug, body_json, &t, &blen);
    if (rc != MODELLIX_OK)
        return rc;
    char *url = mx_join_url(c->base_url, t->sub_path);
    if (!url) {
        modellix_task_free(t);
        return mx_fail(c, NULL, MODELLIX_ENOMEM, 0, NULL, "out of memory");
    }

    /* journal: the intent before the paid POST leaves; without it nothing is sent */
    if ((rc = mx_journal_task_intent(t)) != MODELLIX_OK) {
        free(url);
        modellix_task_free(t);
        return rc;
    }
    mx_req r;
    mx_submission_request(&r, t, url, body_json, blen);
    if (mx_req_start(&r, mx_add_ms(mx_now_ms(), c->call_timeout_ms)) == MODELLIX_OK)
        mx_run_exchange(c, &r);
    rc = r.rc;
    if (rc == MODELLIX_OK) {
        t->sub_state = MODELLIX_SUBMIT_ACCEPTED;
        t->born_ms = mx_now_ms();
        t->next_poll_ms = t->born_ms + mx_sched_next_delay(c, t, t->born_ms);
        mx_log(c, MODELLIX_LOG_INFO, "submitted %s: task %s", t->sub_path, t->id);
        mx_journal_task_accepted(t); /* journal: the task id */
    } else {
        mx_fail_req(c, NULL, &r);
        /* journal: the submission's final state (rejected, or outcome unknown) */
        t->sub_state = rc == MODELLIX_EOUTCOME_UNKNOWN ? MODELLIX_SUBMIT_UNKNOWN : MODELLIX_SUBMIT_REJECTED;
        mx_journal_task_settled(t);
    }
    mx_req_cleanup(&r); /* before the path it borrows for the log goes */
    if (rc != MODELLIX_OK) {
        modellix_task_free(t);
        return rc;
    }
    free(t->sub_path); /* only needed while the submission is pending */
    t->sub_path = NULL;
    *out = t;
    return rc;
}

int modellix_task_attach(modellix_task **out, modellix_client *c, const char *task_id)
{
    if (!out)
        return MODELLIX_EINVAL;
    *out = NULL;
    if (!c)
        return MODELLIX_EINVAL;
    mx_clear_error(c);
    char err[200], *id;
    int rc = mx_validate_task_id(task_id, &id, err, sizeof err);
    if (rc != MODELLIX_OK)
        return mx_fail(c, NULL, rc, 0, NULL, "%s", rc == MODELLIX_EINVAL ? err : modellix_strerror(rc));
    modellix_task *t = mx_task_new(c);
    if (!t) {
        free(id);
        return mx_fail(c, NULL, MODELLIX_ENOMEM, 0, NULL, "out of memory");
    }
    if (mx_task_set_id(t, id) != MODELLIX_OK) {
        modellix_task_free(t);
        return mx_fail(c, NULL, MODELLIX_ENOMEM, 0, NULL, "out of memory");
    }
    t->status = MODELLIX_TASK_UNKNOWN;
    *out = t;
    return MODELLIX_OK;
}

static int poll_accept(mx_req *r, int *retryable, void *ctx)
{
    modellix_task *t = ctx;
    mx_task_info info;
    char err[200];
    int mismatch = 0;
    int rc = mx_parse_task_response(r->resp.data, r->resp.len, t->id, &info, &mismatch, err, sizeof err);
    if (rc != MODELLIX_OK) {
        *retryable = rc == MODELLIX_EPROTOCOL && !mismatch;
        mx_fmt(r->msg, sizeof r->msg, "GET %s: %s", r->log_path, err);
        return rc;
    }
    int32_t before = t->status;
    mx_task_apply(t, &info, &r->resp);
    keep_request_id(t, r);
    t->polls++;
    mx_sched_observe(t->c, t, before, mx_now_ms());
    if (before != t->status)
        mx_log(t->c, MODELLIX_LOG_DEBUG, "task %s is now %s", t->id, t->info.status_word);
    return MODELLIX_OK;
}

int mx_task_poll_start(modellix_task *t, mx_req *r, int64_t deadline_ms, mx_finish_fn finish)
{
    modellix_client *c = t->c;
    char *url = mx_join_url(c->base_url, t->path);
    mx_req_init(r, c, MODELLIX_OP_POLL, url, t->path);
    r->send_auth = 1;
    r->accept = poll_accept;
    r->finish = finish;
    r->ctx = t;
    if (!url) {
        r->finished = 1;
        r->rc = MODELLIX_ENOMEM;
        mx_fmt(r->msg, sizeof r->msg, "out of memory");
        if (finish)
            finish(r, t);
        return MODELLIX_ENOMEM;
    }
    return mx_req_start(r, deadline_ms);
}

int modellix_task_poll(modellix_task *t)
{
    if (!t)
        return MODELLIX_EINVAL;
    modellix_client *c = t->c;
    mx_clear_error(c);
    if (t->watched || t->sub_state == MODELLIX_SUBMIT_QUEUED || t->sub_state == MODELLIX_SUBMIT_SENDING)
        return mx_fail(c, t, MODELLIX_ESTATE, 0, NULL, "task %s is handled in the background (queued, being sent "
                       "or watched): use modellix_client_step() or a wait", t->id ? t->id : "(not yet submitted)");
    if (!t->id)
        return mx_fail(c, t, MODELLIX_ESTATE, 0, NULL, "the task has no id: its submission was not accepted");
    mx_req r;
    if (mx_task_poll_start(t, &r, mx_add_ms(mx_now_ms(), c->call_timeout_ms), NULL) == MODELLIX_OK)
        mx_run_exchange(c, &r);
    int rc = r.rc;
    if (rc != MODELLIX_OK)
        mx_fail_req(c, t, &r);
    else if (t->done && t->done_rc != MODELLIX_OK && t->done_rc != MODELLIX_ETASK_FAILED)
        t->done = 0; /* a successful poll clears an earlier polling failure */
    if (rc == MODELLIX_OK)
        mx_journal_task_settled(t); /* journal: the final state, if the poll found the task terminal */
    mx_req_cleanup(&r);
    return rc;
}

void modellix_task_free(modellix_task *t)
{
    if (!t)
        return;
    modellix_client *c = t->c;
    if (t->sub && !t->sub->finished && (t->sub->active || t->sub->unknown_seen))
        mx_log(c, MODELLIX_LOG_WARN, "a task freed while its submission %s was in flight: its outcome is unknown",
               t->sub_path ? t->sub_path : "");
    else if (t->sub && !t->sub->finished)
        mx_log(c, MODELLIX_LOG_INFO, "a task freed before its submission %s was sent: no task was created",
               t->sub_path ? t->sub_path : "");
    mx_queue_remove(t);
    mx_watch_stop(t);
    if (t->sub) {
        mx_req_delete(&c->eng, t->sub);
        t->sub = NULL;
    }
    mx_active_remove(t);
    if (t->counted) {
        t->counted = 0;
        c->running--;
        mx_queue_pump(c);
    }
    free(t->id);
    free(t->slug);
    free(t->path);
    free(t->body);
    free(t->sub_path);
    mx_task_info_free(&t->info);
    free(t->json);
    free(t->errmsg);
    free(t->request_id);
    free(t->j_intent);
    for (size_t i = 0; i < t->dl_n; i++)
        free(t->dl_paths[i]);
    free(t->dl_paths);
    free(t->dl_codes);
    free(t);
}

/* ---------------------------------------------------------------------------------------------- */
/* Accessors                                                                                        */

const char *modellix_task_id(const modellix_task *t) { return t ? t->id : NULL; }
const char *modellix_task_model_slug(const modellix_task *t) { return t ? t->slug : NULL; }
int32_t modellix_task_status(const modellix_task *t) { return t ? t->status : MODELLIX_TASK_UNKNOWN; }
int32_t modellix_task_submit_state(const modellix_task *t) { return t ? t->sub_state : MODELLIX_SUBMIT_NONE; }
int32_t modellix_task_done(const modellix_task *t)
{
    return t && (t->done || t->status == MODELLIX_TASK_SUCCESS || t->status == MODELLIX_TASK_FAILED);
}
const char *modellix_task_status_text(const modellix_task *t) { return t ? t->info.status_word : NULL; }
int32_t modellix_task_errcode(const modellix_task *t) { return t ? t->errcode : MODELLIX_EINVAL; }
const char *modellix_task_errmsg(const modellix_task *t) { return t && t->errmsg ? t->errmsg : ""; }
int32_t modellix_task_http_status(const modellix_task *t) { return t ? t->http_status : 0; }
const char *modellix_task_request_id(const modellix_task *t) { return t ? t->request_id : NULL; }
const char *modellix_task_json(const modellix_task *t) { return t ? t->json : NULL; }
size_t modellix_task_resource_count(const modellix_task *t) { return t ? t->info.n_resources : 0; }

static const mx_resource *resource(const modellix_task *t, size_t i)
{
    return t && i < t->info.n_resources ? &t->info.resources[i] : NULL;
}

const char *modellix_task_resource_url(const modellix_task *t, size_t i)
{
    const mx_resource *r = resource(t, i);
    return r ? r->url : NULL;
}

const char *modellix_task_resource_type(const modellix_task *t, size_t i)
{
    const mx_resource *r = resource(t, i);
    return r ? r->type : NULL;
}

const char *modellix_task_resource_format(const modellix_task *t, size_t i)
{
    const mx_resource *r = resource(t, i);
    return r ? r->format : NULL;
}

const char *modellix_task_resource_role(const modellix_task *t, size_t i)
{
    const mx_resource *r = resource(t, i);
    return r ? r->role : NULL;
}

int64_t modellix_task_resource_width(const modellix_task *t, size_t i)
{
    const mx_resource *r = resource(t, i);
    return r ? r->width : 0;
}

int64_t modellix_task_resource_height(const modellix_task *t, size_t i)
{
    const mx_resource *r = resource(t, i);
    return r ? r->height : 0;
}

int modellix_task_set_user_data(modellix_task *t, void *user_data)
{
    if (!t)
        return MODELLIX_EINVAL;
    t->user_data = user_data;
    return MODELLIX_OK;
}

void *modellix_task_user_data(const modellix_task *t)
{
    return t ? t->user_data : NULL;
}
