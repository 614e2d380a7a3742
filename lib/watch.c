/* watch.c - polling tasks in the background until they are done, on the client's schedule, and
 * what happens when a task is done: its slot is released, its wait and the completion callback are
 * told. Driven by mx_engine_step (through modellix_client_step or any blocking call). */
#include "internal.h"
#include "journal.h"

#include <stdlib.h>

/* The wait a task is part of counts finished tasks here (wait.c's waitset begins with this). */
typedef struct waitcount {
    size_t done;
} waitcount;

void mx_active_add(modellix_task *t)
{
    if (!mx_list_has(&t->c->active, &t->a_link))
        mx_list_push(&t->c->active, &t->a_link);
}

void mx_active_remove(modellix_task *t)
{
    mx_list_unlink(&t->c->active, &t->a_link);
}

void mx_task_finish(modellix_task *t, int rc)
{
    modellix_client *c = t->c;
    t->done = 1;
    t->done_rc = rc;
    t->watched = 0;
    mx_journal_task_settled(t); /* journal: the final state (a failed poll writes none) */
    mx_timer_disarm(&c->eng, &t->poll_timer);
    mx_active_remove(t);
    if (t->w_set)
        ((waitcount *)t->w_set)->done++;
    /* the callback first: a submission whose outcome is unknown is reported before the queued ones
       it causes to be skipped */
    if (c->on_task_done)
        ((modellix_task_fn)c->on_task_done->fn)(t, c->on_task_done->user_data);
    if (t->counted) {
        t->counted = 0;
        c->running--;
        mx_queue_pump(c);
    }
}

/* Which poll failures a watch rides out: the next scheduled poll may well succeed. Those are the
   failures the retry policy retries (a query is idempotent): no connection, throttling, 5xx, the
   deadline, and an answer that was no answer (not JSON, cut short, 408...). A refusal (404, 401, an
   answer about another task) ends the watch. */
static int transient(const mx_req *r)
{
    int rc = r->rc;
    return rc == MODELLIX_ENETWORK || rc == MODELLIX_ERATELIMIT || rc == MODELLIX_ESERVER || rc == MODELLIX_ETIMEOUT ||
           (r->outcome_unknown && rc != MODELLIX_ECANCELED && rc != MODELLIX_ENOMEM);
}

static void schedule_next(modellix_task *t)
{
    modellix_client *c = t->c;
    int64_t now = mx_now_ms();
    t->next_poll_ms = now + mx_sched_next_delay(c, t, now);
    if (mx_timer_arm(&c->eng, &t->poll_timer, t->next_poll_ms) != MODELLIX_OK)
        mx_task_finish(t, mx_fail(c, t, MODELLIX_ENOMEM, 0, NULL, "out of memory"));
}

/* Called when a background query ends. The exchange is released here, its last use: between polls
   a watched task holds no exchange at all. */
static void poll_finished(mx_req *r, void *ctx)
{
    modellix_task *t = ctx;
    modellix_client *c = t->c;
    int rc = r->rc;
    int finished_rc = MODELLIX_OK, finish_now = 0;
    if (rc == MODELLIX_OK) {
        if (t->status == MODELLIX_TASK_SUCCESS || t->status == MODELLIX_TASK_FAILED) {
            finish_now = 1;
            finished_rc = t->status == MODELLIX_TASK_SUCCESS ? MODELLIX_OK : MODELLIX_ETASK_FAILED;
        }
    } else if (transient(r)) {
        mx_log(c, MODELLIX_LOG_WARN, "%s; polling again later", r->msg);
    } else {
        finish_now = 1;
        finished_rc = mx_fail_req(c, t, r);
    }
    mx_req_delete(&c->eng, r);
    t->poll = NULL;
    if (finish_now)
        mx_task_finish(t, finished_rc);
    else
        schedule_next(t);
}

static void poll_fire(mx_timer *tm)
{
    modellix_task *t = (modellix_task *)((char *)tm - offsetof(modellix_task, poll_timer));
    modellix_client *c = t->c;
    if (!(t->poll = mx_req_new(&c->eng))) {
        mx_task_finish(t, mx_fail(c, t, MODELLIX_ENOMEM, 0, NULL, "out of memory"));
        return;
    }
    mx_task_poll_start(t, t->poll, mx_add_ms(mx_now_ms(), c->call_timeout_ms), poll_finished);
}

void mx_watch_start(modellix_task *t)
{
    modellix_client *c = t->c;
    if (t->watched || (t->done && (t->status == MODELLIX_TASK_SUCCESS || t->status == MODELLIX_TASK_FAILED)))
        return;
    t->done = 0;
    t->watched = 1;
    mx_active_add(t);
    t->poll_timer.fire = poll_fire;
    int64_t now = mx_now_ms();
    if (mx_timer_arm(&c->eng, &t->poll_timer, t->next_poll_ms > now ? t->next_poll_ms : now) != MODELLIX_OK)
        mx_task_finish(t, mx_fail(c, t, MODELLIX_ENOMEM, 0, NULL, "out of memory"));
}

void mx_watch_stop(modellix_task *t)
{
    if (!t->c)
        return;
    mx_timer_disarm(&t->c->eng, &t->poll_timer);
    if (t->poll) {
        mx_req_delete(&t->c->eng, t->poll); /* aborts a query in flight; the task keeps its last state */
        t->poll = NULL;
    }
    if (t->watched) {
        t->watched = 0;
        mx_active_remove(t);
    }
}

int modellix_task_watch(modellix_task *t)
{
    if (!t)
        return MODELLIX_EINVAL;
    if (t->sub_state == MODELLIX_SUBMIT_QUEUED || t->sub_state == MODELLIX_SUBMIT_SENDING)
        return MODELLIX_OK; /* watched as soon as it is accepted */
    if (!t->id)
        return mx_fail(t->c, t, MODELLIX_ESTATE, 0, NULL, "the task has no id: its submission was not accepted");
    mx_watch_start(t);
    return MODELLIX_OK;
}
