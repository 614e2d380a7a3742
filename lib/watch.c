/* watch.c - polling tasks in the background until they are done, on the client's schedule. Driven
 * by mx_engine_step (through modellix_client_step or any blocking call). How a watch ends is a
 * transition (lifecycle.c): SUCCESS or FAILED from the service, POLL_FAILED on a failure that asking
 * again will not mend. */
#include "internal.h"
#include "journal.h"

#include <stdlib.h>
#include <string.h>

/* Which poll failures a watch rides out: the next scheduled poll may well succeed. Those are the
   failures the retry policy retries (a query is idempotent): no connection, throttling, 5xx, the
   deadline, and an answer that was no answer (not JSON, cut short, 408...). A refusal (404, 401, an
   answer about another task) ends the watch at once; a JSON answer of a wrong shape ends it when
   it comes MX_BAD_ANSWERS_MAX times in a row, the same each time. */
static int transient(const mx_req *r)
{
    int rc = r->rc;
    return rc == MODELLIX_ENETWORK || rc == MODELLIX_ERATELIMIT || rc == MODELLIX_ESERVER || rc == MODELLIX_ETIMEOUT ||
           (r->outcome_unknown && rc != MODELLIX_ECANCELED && rc != MODELLIX_ENOMEM);
}

static void fail_watch(modellix_task *t, const mx_error *e)
{
    mx_task_transition(t, MX_TS_POLL_FAILED, e);
}

static void schedule_next(modellix_task *t)
{
    modellix_client *c = t->c;
    int64_t now = mx_now_ms();
    t->next_poll_ms = now + mx_sched_next_delay(c, t, now);
    if (mx_timer_arm(&c->eng, &t->poll_timer, t->next_poll_ms) != MODELLIX_OK) {
        mx_error e = {MODELLIX_ENOMEM, 0, NULL, "out of memory"};
        fail_watch(t, &e);
    }
}

/* An invalid answer: 1 when it is the MX_BAD_ANSWERS_MAX-th identical one in a row. */
static int invalid_for_good(modellix_task *t, const char *msg)
{
    if (t->bad_answer && strcmp(t->bad_answer, msg) == 0) {
        t->bad_answers++;
    } else {
        free(t->bad_answer);
        t->bad_answer = mx_strdup(msg);
        t->bad_answers = 1;
    }
    return t->bad_answers >= MX_BAD_ANSWERS_MAX;
}

/* Called when a background query ends. The exchange is released here, first: between polls a
   watched task holds no exchange at all. */
static void poll_finished(mx_req *r, void *ctx)
{
    modellix_task *t = ctx;
    modellix_client *c = t->c;
    t->poll = NULL;
    char buf[MX_ERRMSG_MAX], rid[sizeof r->request_id];
    mx_error e = mx_req_error(r, buf, sizeof buf);
    mx_fmt(rid, sizeof rid, "%s", r->request_id);
    e.request_id = rid;
    int ride_out = transient(r);
    mx_req_delete(&c->eng, r);

    if (e.code == MODELLIX_OK) {
        t->bad_answers = 0;
        mx_task_settle(t);
        if (t->state == MX_TS_WATCHING)
            schedule_next(t);
        return;
    }
    if (t->answer_invalid) {
        t->answer_invalid = 0;
        if (invalid_for_good(t, buf)) {
            char msg[MX_ERRMSG_MAX + 80];
            mx_fmt(msg, sizeof msg, "%s (the same invalid answer %d times in a row)", buf, (int)t->bad_answers);
            e.msg = msg;
            fail_watch(t, &e);
            return;
        }
        mx_log(c, MODELLIX_LOG_WARN, "%s; polling again later (%d of %d)", buf, (int)t->bad_answers,
               MX_BAD_ANSWERS_MAX);
    } else if (ride_out) {
        mx_log(c, MODELLIX_LOG_WARN, "%s; polling again later", buf);
    } else {
        fail_watch(t, &e);
        return;
    }
    mx_task_record_error(t, &e); /* the task says what is going on meanwhile */
    schedule_next(t);
}

static void poll_fire(mx_timer *tm)
{
    modellix_task *t = MX_CONTAINER(tm, modellix_task, poll_timer);
    modellix_client *c = t->c;
    if (!(t->poll = mx_req_new(&c->eng))) {
        mx_error e = {MODELLIX_ENOMEM, 0, NULL, "out of memory"};
        fail_watch(t, &e);
        return;
    }
    mx_task_poll_start(t, t->poll, mx_add_ms(mx_now_ms(), c->call_timeout_ms), poll_finished);
}

void mx_watch_arm(modellix_task *t)
{
    modellix_client *c = t->c;
    t->poll_timer.fire = poll_fire;
    int64_t now = mx_now_ms();
    if (mx_timer_arm(&c->eng, &t->poll_timer, t->next_poll_ms > now ? t->next_poll_ms : now) != MODELLIX_OK) {
        mx_error e = {MODELLIX_ENOMEM, 0, NULL, "out of memory"};
        fail_watch(t, &e);
    }
}

void mx_watch_start(modellix_task *t)
{
    if (!t->id || (t->state != MX_TS_IDLE && t->state != MX_TS_POLL_FAILED))
        return;
    t->bad_answers = 0;
    mx_task_transition(t, MX_TS_WATCHING, NULL);
    mx_watch_arm(t);
}

void mx_watch_stop(modellix_task *t)
{
    if (t->state != MX_TS_WATCHING)
        return;
    if (t->poll) {
        mx_req_delete(&t->c->eng, t->poll); /* aborts a query in flight; the task keeps its last state */
        t->poll = NULL;
    }
    mx_task_transition(t, MX_TS_IDLE, NULL);
}

int modellix_task_watch(modellix_task *t)
{
    if (!t)
        return MODELLIX_EINVAL;
    mx_clear_error(t->c);
    if (t->state == MX_TS_NEW || t->state == MX_TS_QUEUED || t->state == MX_TS_SENDING || t->state == MX_TS_WATCHING)
        return MODELLIX_OK; /* watched as soon as it is accepted, or already */
    if (!t->id)
        return mx_fail(t->c, NULL, MODELLIX_ESTATE, 0, NULL, "the task has no id: its submission was not accepted");
    mx_watch_start(t); /* nothing for a task that is terminal */
    return MODELLIX_OK;
}

int modellix_task_unwatch(modellix_task *t)
{
    if (!t)
        return MODELLIX_EINVAL;
    mx_clear_error(t->c);
    mx_watch_stop(t);
    return MODELLIX_OK;
}
