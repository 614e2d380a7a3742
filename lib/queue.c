/* queue.c - asynchronous submissions, sent in order while fewer than max_in_flight are running.
 *
 * A slot is taken when a submission is sent and released when the task is done (terminal, or its
 * submission failed): the team's concurrency limit is respected by the client itself, so queued
 * submissions wait here instead of drawing 429s. After an unknown outcome the rest of the queue is
 * skipped unless the client was told to continue. */
#include "internal.h"
#include "journal.h"

#include <stdlib.h>
#include <string.h>

void mx_queue_remove(modellix_task *t)
{
    mx_list_unlink(&t->c->queue, &t->q_link);
}

static void skip_rest(modellix_client *c)
{
    while (c->queue.head) {
        modellix_task *t = MX_CONTAINER(c->queue.head, modellix_task, q_link);
        mx_queue_remove(t);
        t->sub_state = MODELLIX_SUBMIT_SKIPPED;
        t->status = MODELLIX_TASK_UNKNOWN;
        free(t->body);
        t->body = NULL;
        mx_task_finish(t, mx_fail(c, t, MODELLIX_ECANCELED, 0, NULL,
                                  "%s: not sent, because an earlier submission's outcome is unknown",
                                  t->sub_path));
    }
}

/* Called when the submission ends; the exchange is released here, its last use. */
static void submitted(mx_req *r, void *ctx)
{
    modellix_task *t = ctx;
    modellix_client *c = t->c;
    free(t->body);
    t->body = NULL;
    int rc = r->rc == MODELLIX_OK ? MODELLIX_OK : mx_fail_req(c, t, r);
    mx_req_delete(&c->eng, r);
    t->sub = NULL;
    if (rc == MODELLIX_OK) {
        t->sub_state = MODELLIX_SUBMIT_ACCEPTED;
        t->born_ms = mx_now_ms();
        t->next_poll_ms = t->born_ms + mx_sched_next_delay(c, t, t->born_ms);
        mx_log(c, MODELLIX_LOG_INFO, "submitted %s: task %s", t->sub_path, t->id);
        mx_journal_task_accepted(t); /* journal: the task id */
        free(t->sub_path); /* only needed while the submission is pending */
        t->sub_path = NULL;
        mx_watch_start(t); /* keeps its slot until it is done */
        return;
    }
    int unknown = rc == MODELLIX_EOUTCOME_UNKNOWN;
    t->sub_state = unknown ? MODELLIX_SUBMIT_UNKNOWN : MODELLIX_SUBMIT_REJECTED;
    t->status = MODELLIX_TASK_UNKNOWN;
    if (unknown && !c->continue_on_unknown)
        c->halted = 1;
    mx_task_finish(t, rc);
    if (c->halted)
        skip_rest(c);
}

static void send_one(modellix_task *t)
{
    modellix_client *c = t->c;
    /* journal: the intent before the paid POST leaves; without it nothing is sent */
    if (mx_journal_task_intent(t) != MODELLIX_OK) {
        free(t->body);
        t->body = NULL;
        t->sub_state = MODELLIX_SUBMIT_REJECTED;
        t->status = MODELLIX_TASK_UNKNOWN;
        mx_task_finish(t, t->errcode);
        return;
    }
    char *url = mx_join_url(c->base_url, t->sub_path);
    mx_req *r = mx_req_new(&c->eng);
    if (!url || !r) {
        free(url);
        free(r);
        t->sub_state = MODELLIX_SUBMIT_REJECTED;
        mx_task_finish(t, mx_fail(c, t, MODELLIX_ENOMEM, 0, NULL, "out of memory; the submission was not sent"));
        return;
    }
    t->sub = r;
    mx_submission_request(r, t, url, t->body, t->body_len);
    r->finish = submitted;
    t->sub_state = MODELLIX_SUBMIT_SENDING;
    t->counted = 1;
    c->running++;
    mx_req_start(r, mx_add_ms(mx_now_ms(), c->call_timeout_ms));
}

void mx_queue_pump(modellix_client *c)
{
    if (c->halted) {
        skip_rest(c);
        return;
    }
    while (c->queue.head && c->running < c->max_in_flight) {
        modellix_task *t = MX_CONTAINER(c->queue.head, modellix_task, q_link);
        mx_queue_remove(t);
        send_one(t);
    }
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
    t->sub_state = MODELLIX_SUBMIT_QUEUED;
    mx_active_add(t);
    mx_list_push(&c->queue, &t->q_link);
    mx_queue_pump(c);
    *out = t;
    return MODELLIX_OK;
}
