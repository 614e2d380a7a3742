/* queue.c - asynchronous submissions, sent in order while fewer than max_in_flight are running.
 *
 * A slot is taken when a submission is sent and released when the task is done (terminal, or its
 * submission failed): the team's concurrency limit is respected by the client itself, so queued
 * submissions wait here instead of drawing 429s. After an unknown outcome the rest of the queue is
 * skipped, unless the client was told to continue, until modellix_client_resume(). Every change of
 * a task's state is a transition (lifecycle.c). */
#include "internal.h"
#include "journal.h"

#include <stdlib.h>
#include <string.h>

static void skip_rest(modellix_client *c)
{
    while (c->queue.head) {
        modellix_task *t = MX_CONTAINER(c->queue.head, modellix_task, q_link);
        free(t->body);
        t->body = NULL;
        mx_error e = {MODELLIX_ECANCELED, 0, NULL, NULL};
        char msg[300];
        mx_fmt(msg, sizeof msg, "%s: not sent, because an earlier submission's outcome is unknown (see "
               "modellix_client_resume())", t->sub_path);
        e.msg = msg;
        mx_task_transition(t, MX_TS_SKIPPED, &e); /* unlinks it from the queue */
    }
}

/* Called when the submission ends; the exchange is released here, its last use. */
static void submitted(mx_req *r, void *ctx)
{
    modellix_task *t = ctx;
    free(t->body);
    t->body = NULL;
    t->sub = NULL;
    mx_submission_ended(t, r, MX_TS_WATCHING); /* may end with t done (and freed by the callback) */
    mx_req_delete(&r->c->eng, r);
}

static void send_one(modellix_task *t)
{
    modellix_client *c = t->c;
    /* journal: the intent before the paid POST leaves; without it nothing is sent */
    char jerr[300];
    int jrc = mx_journal_task_intent(t, jerr, sizeof jerr);
    if (jrc != MODELLIX_OK) {
        free(t->body);
        t->body = NULL;
        mx_error e = {jrc, 0, NULL, jerr};
        mx_task_transition(t, MX_TS_REJECTED, &e);
        return;
    }
    char *url = mx_join_url(c->base_url, t->sub_path);
    mx_req *r = url ? mx_req_new(&c->eng) : NULL;
    if (!r) {
        free(url);
        mx_error e = {MODELLIX_ENOMEM, 0, NULL, "out of memory; the submission was not sent"};
        mx_task_transition(t, MX_TS_REJECTED, &e);
        return;
    }
    t->sub = r;
    mx_submission_request(r, t, url, t->body, t->body_len);
    r->finish = submitted;
    t->counted = 1;
    c->running++;
    mx_task_transition(t, MX_TS_SENDING, NULL); /* before the paid request leaves */
    mx_req_start(r, mx_add_ms(mx_now_ms(), c->call_timeout_ms));
}

void mx_queue_pump(modellix_client *c)
{
    if (c->halted) {
        skip_rest(c);
        return;
    }
    while (c->queue.head && c->running < c->max_in_flight && !c->halted) {
        modellix_task *t = MX_CONTAINER(c->queue.head, modellix_task, q_link);
        send_one(t);
    }
    if (c->halted)
        skip_rest(c);
}

void mx_queue_timer_fire(mx_timer *tm)
{
    mx_queue_pump(MX_CONTAINER(tm, modellix_client, pump_timer));
}

int modellix_task_submit_async(modellix_task **out, modellix_client *c, const char *model_slug, const char *body_json)
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
    if (!(t->body = mx_strndup(body_json, blen))) {
        modellix_task_free(t);
        return mx_fail(c, NULL, MODELLIX_ENOMEM, 0, NULL, "out of memory");
    }
    t->body_len = blen;
    t->handed_out = 1;
    mx_list_push(&c->queue, &t->q_link);
    mx_task_transition(t, MX_TS_QUEUED, NULL);
    mx_queue_pump(c);
    *out = t;
    return MODELLIX_OK;
}

int modellix_client_resume(modellix_client *c)
{
    if (!c)
        return MODELLIX_EINVAL;
    mx_clear_error(c);
    if (c->halted)
        mx_log(c, MODELLIX_LOG_INFO, "the submission queue resumes after an unknown outcome");
    c->halted = 0;
    mx_queue_pump(c);
    return MODELLIX_OK;
}

int32_t modellix_client_halted(const modellix_client *c)
{
    return c ? c->halted : 0;
}

size_t modellix_client_pending_count(const modellix_client *c)
{
    size_t n = 0;
    if (c)
        for (const mx_link *l = c->active.head; l; l = l->next) {
            const modellix_task *t = MX_CONTAINER(l, modellix_task, a_link);
            n += t->state == MX_TS_QUEUED || t->state == MX_TS_SENDING;
        }
    return n;
}
