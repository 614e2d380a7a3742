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
    t->state = MX_TS_NEW;
    mx_timer_init(&t->poll_timer, NULL);
    return t;
}

int mx_task_set_id(modellix_task *t, char *id)
{
    char *path = mx_path_task(id);
    if (!path)
        return MODELLIX_ENOMEM;
    free(t->id);
    free(t->path);
    t->id = id;
    t->path = path;
    return MODELLIX_OK;
}

/* The acceptance rule: a 2xx answer that names a valid task id is an accepted task, whatever else is
   odd in it (a warning on the task). Without one, the outcome is unknown. */
static int submit_accept(mx_req *r, int *retryable, void *ctx)
{
    modellix_task *t = ctx;
    mx_task_info info;
    mx_parse_report rep;
    int rc = mx_parse_task_response(r->resp.data, r->resp.len, NULL, &info, &rep);
    if (rc != MODELLIX_OK) {
        *retryable = 1;
        mx_fmt(r->msg, sizeof r->msg, "POST %s: HTTP %ld but %s", r->log_path, r->status,
               rc == MODELLIX_ENOMEM ? "out of memory reading the answer" : rep.err);
        return MODELLIX_EOUTCOME_UNKNOWN;
    }
    mx_task_take_answer(t, &info, &r->resp, r->request_id, rep.warn);
    mx_task_info_free(&info);
    if (!t->id) {
        /* the task exists on the service but its id could not be kept here */
        mx_fmt(r->msg, sizeof r->msg, "POST %s: out of memory after the task was created", r->log_path);
        return MODELLIX_EOUTCOME_UNKNOWN;
    }
    if (rep.warn[0])
        mx_log(t->c, MODELLIX_LOG_WARN, "POST %s: task %s accepted, but %s", r->log_path, t->id, rep.warn);
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

void mx_submission_ended(modellix_task *t, const mx_req *r, int32_t accepted_state)
{
    modellix_client *c = t->c;
    if (r->rc == MODELLIX_OK) {
        t->born_ms = mx_now_ms();
        t->next_poll_ms = t->born_ms + mx_sched_next_delay(c, t, t->born_ms);
        mx_log(c, MODELLIX_LOG_INFO, "submitted %s: task %s", t->sub_path, t->id);
        free(t->sub_path); /* only needed while the submission is pending */
        t->sub_path = NULL;
        mx_task_transition(t, accepted_state, NULL);
        if (accepted_state == MX_TS_WATCHING)
            mx_watch_arm(t);
        mx_task_settle(t); /* it may have finished already */
        return;
    }
    char buf[MX_ERRMSG_MAX];
    mx_error e = mx_req_error(r, buf, sizeof buf);
    mx_task_transition(t, r->rc == MODELLIX_EOUTCOME_UNKNOWN ? MX_TS_UNKNOWN : MX_TS_REJECTED, &e);
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
    t->submitted = 1;
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
    char jerr[300];
    if ((rc = mx_journal_task_intent(t, jerr, sizeof jerr)) != MODELLIX_OK) {
        free(url);
        modellix_task_free(t);
        return mx_fail(c, NULL, rc, 0, NULL, "%s", jerr);
    }
    mx_req r;
    mx_submission_request(&r, t, url, body_json, blen);
    mx_task_transition(t, MX_TS_SENDING, NULL);
    if (mx_req_start(&r, mx_add_ms(mx_now_ms(), c->call_timeout_ms)) == MODELLIX_OK)
        mx_run_exchange(c, &r);
    rc = r.rc;
    if (rc != MODELLIX_OK)
        mx_fail_req(c, NULL, &r);
    mx_submission_ended(t, &r, MX_TS_IDLE);
    mx_req_cleanup(&r); /* before the path it borrows for the log goes */
    if (rc != MODELLIX_OK) {
        modellix_task_free(t);
        return rc;
    }
    t->handed_out = 1;
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
        free(id);
        modellix_task_free(t);
        return mx_fail(c, NULL, MODELLIX_ENOMEM, 0, NULL, "out of memory");
    }
    t->status = MODELLIX_TASK_UNKNOWN;
    t->state = MX_TS_IDLE; /* a new task: nothing to let go of, nobody to tell */
    t->handed_out = 1;
    *out = t;
    return MODELLIX_OK;
}

/* A poll answer: whole and about this task, or refused. A JSON answer of a wrong shape can never
   become valid by asking again at once, so it is not retried within the query (t->answer_invalid
   tells the watch); no answer at all (not JSON, cut short) may be a passing fault and is retried. */
static int poll_accept(mx_req *r, int *retryable, void *ctx)
{
    modellix_task *t = ctx;
    mx_task_info info;
    mx_parse_report rep;
    t->answer_invalid = 0;
    int rc = mx_parse_task_response(r->resp.data, r->resp.len, t->id, &info, &rep);
    if (rc != MODELLIX_OK) {
        *retryable = rc == MODELLIX_EPROTOCOL && rep.not_json;
        t->answer_invalid = rc == MODELLIX_EPROTOCOL && !rep.not_json && !rep.mismatch;
        mx_fmt(r->msg, sizeof r->msg, "GET %s: %s", r->log_path, rc == MODELLIX_ENOMEM ? "out of memory" : rep.err);
        return rc;
    }
    int32_t before = t->status;
    mx_task_take_answer(t, &info, &r->resp, r->request_id, NULL);
    t->polls++;
    mx_sched_running(t, mx_now_ms());
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
    if (t->state == MX_TS_QUEUED || t->state == MX_TS_SENDING || t->state == MX_TS_WATCHING)
        return mx_fail(c, NULL, MODELLIX_ESTATE, 0, NULL, "task %s is handled in the background (queued, being sent "
                       "or watched): use modellix_client_step() or a wait", t->id ? t->id : "(not yet submitted)");
    if (!t->id)
        return mx_fail(c, NULL, MODELLIX_ESTATE, 0, NULL, "the task has no id: its submission was not accepted");
    mx_req r;
    if (mx_task_poll_start(t, &r, mx_add_ms(mx_now_ms(), c->call_timeout_ms), NULL) == MODELLIX_OK)
        mx_run_exchange(c, &r);
    int rc = r.rc;
    if (rc != MODELLIX_OK) {
        mx_fail_req(c, t, &r);
    } else {
        if (t->state == MX_TS_POLL_FAILED)
            mx_task_transition(t, MX_TS_IDLE, NULL); /* a good answer ends an earlier polling failure */
        mx_task_settle(t);
    }
    mx_req_cleanup(&r);
    return rc;
}

void modellix_task_free(modellix_task *t)
{
    if (!t)
        return;
    modellix_client *c = t->c;
    t->freeing = 1;
    if (t->state == MX_TS_SENDING && t->sub) {
        mx_req_abort(t->sub, MODELLIX_ECANCELED); /* decides from the attempt whether a byte left */
        int sent = t->sub->unknown_seen || t->sub->rc == MODELLIX_EOUTCOME_UNKNOWN;
        mx_req_delete(&c->eng, t->sub);
        t->sub = NULL;
        mx_error e = {sent ? MODELLIX_EOUTCOME_UNKNOWN : MODELLIX_ECANCELED, 0, NULL,
                      sent ? "the task was freed while its submission was in flight: its outcome is unknown"
                           : "the task was freed before its submission was sent: no task was created"};
        mx_task_transition(t, sent ? MX_TS_UNKNOWN : MX_TS_SKIPPED, &e);
    } else if (t->state == MX_TS_QUEUED) {
        mx_error e = {MODELLIX_ECANCELED, 0, NULL, "the task was freed before its submission was sent"};
        mx_task_transition(t, MX_TS_SKIPPED, &e);
    } else if (t->state == MX_TS_WATCHING) {
        mx_watch_stop(t);
    }
    if (t->waiter)
        t->waiter->done++; /* a wait that would count it (a free from a callback) is not left waiting */
    free(t->id);
    free(t->slug);
    free(t->path);
    free(t->body);
    free(t->sub_path);
    mx_task_info_free(&t->info);
    free(t->json);
    free(t->warning);
    free(t->bad_answer);
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
int32_t modellix_task_submit_state(const modellix_task *t)
{
    if (!t || !t->submitted)
        return MODELLIX_SUBMIT_NONE;
    switch (t->state) {
    case MX_TS_NEW:
    case MX_TS_QUEUED:
        return MODELLIX_SUBMIT_QUEUED;
    case MX_TS_SENDING:
        return MODELLIX_SUBMIT_SENDING;
    case MX_TS_REJECTED:
        return MODELLIX_SUBMIT_REJECTED;
    case MX_TS_UNKNOWN:
        return MODELLIX_SUBMIT_UNKNOWN;
    case MX_TS_SKIPPED:
        return MODELLIX_SUBMIT_SKIPPED;
    default:
        return MODELLIX_SUBMIT_ACCEPTED;
    }
}
int32_t modellix_task_done(const modellix_task *t) { return t && mx_task_done(t); }
const char *modellix_task_warning(const modellix_task *t) { return t ? t->warning : NULL; }
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
