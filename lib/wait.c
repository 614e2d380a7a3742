/* wait.c - waiting for one task, all of a set, or any of a set, on one shared schedule. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct waitset {
    modellix_client *c;
    modellix_task *const *tasks;
    size_t n;
    int any;
    size_t active, done;
    int64_t deadline_ms;
} waitset;

/* Which poll failures a wait rides out: the next scheduled poll may well succeed. */
static int transient(int rc)
{
    return rc == MODELLIX_ENETWORK || rc == MODELLIX_ERATELIMIT || rc == MODELLIX_ESERVER || rc == MODELLIX_ETIMEOUT;
}

static void mark_done(modellix_task *t, int rc)
{
    t->w_done = 1;
    t->w_rc = rc;
    ((waitset *)t->w_set)->done++;
}

static void schedule_next(modellix_task *t)
{
    modellix_client *c = t->c;
    int64_t now = mx_now_ms();
    t->next_poll_ms = now + mx_client_poll_delay(c, now - t->born_ms, t->polls);
    if (mx_timer_arm(&c->eng, &t->poll_timer, t->next_poll_ms) != MODELLIX_OK)
        mark_done(t, mx_fail(c, t, MODELLIX_ENOMEM, 0, NULL, "out of memory"));
}

static void poll_finished(mx_req *r, void *ctx)
{
    modellix_task *t = ctx;
    modellix_client *c = t->c;
    if (r->rc == MODELLIX_OK) {
        if (t->status == MODELLIX_TASK_SUCCESS)
            mark_done(t, MODELLIX_OK);
        else if (t->status == MODELLIX_TASK_FAILED)
            mark_done(t, MODELLIX_ETASK_FAILED);
        else
            schedule_next(t);
        return;
    }
    if (transient(r->rc)) {
        mx_log(c, MODELLIX_LOG_WARN, "%s; polling again later", r->msg);
        schedule_next(t);
        return;
    }
    mark_done(t, mx_fail_req(c, t, r));
}

static void poll_fire(mx_timer *tm)
{
    modellix_task *t = (modellix_task *)((char *)tm - offsetof(modellix_task, poll_timer));
    mx_task_poll_begin(t, ((waitset *)t->w_set)->deadline_ms, poll_finished, t);
}

static int wait_done(void *ctx)
{
    waitset *w = ctx;
    return w->any ? w->done > 0 : w->done == w->active;
}

static int is_terminal(const modellix_task *t)
{
    return t->status == MODELLIX_TASK_SUCCESS || t->status == MODELLIX_TASK_FAILED;
}

/* Run a wait over `tasks`; on return every exchange it started has ended. */
static int run_wait(modellix_client *c, modellix_task *const *tasks, size_t n, int64_t timeout_ms, int any,
                    size_t *index_out)
{
    if (!c || (!tasks && n) || timeout_ms <= 0)
        return MODELLIX_EINVAL;
    mx_clear_error(c);
    size_t live = 0;
    for (size_t i = 0; i < n; i++) {
        if (!tasks[i])
            continue;
        if (tasks[i]->c != c)
            return mx_fail(c, NULL, MODELLIX_EINVAL, 0, NULL, "task %zu belongs to another client", i);
        live++;
    }
    if (any && !live)
        return mx_fail(c, NULL, MODELLIX_EINVAL, 0, NULL, "no task to wait for");
    if (any) {
        for (size_t i = 0; i < n; i++) {
            if (tasks[i] && is_terminal(tasks[i])) {
                if (index_out)
                    *index_out = i;
                return MODELLIX_OK;
            }
        }
    }
    waitset w = {c, tasks, n, any, 0, 0, mx_add_ms(mx_now_ms(), timeout_ms)};
    int64_t now = mx_now_ms();
    for (size_t i = 0; i < n; i++) {
        modellix_task *t = tasks[i];
        if (!t || is_terminal(t))
            continue;
        t->w_active = 1;
        t->w_set = &w;
        t->w_done = 0;
        t->w_rc = MODELLIX_OK;
        w.active++;
        t->poll_timer.fire = poll_fire;
        if (mx_timer_arm(&c->eng, &t->poll_timer, t->next_poll_ms > now ? t->next_poll_ms : now) != MODELLIX_OK)
            mark_done(t, mx_fail(c, t, MODELLIX_ENOMEM, 0, NULL, "out of memory"));
    }
    int rc = w.active ? mx_engine_run(c, w.deadline_ms, wait_done, &w) : MODELLIX_OK;
    size_t unfinished = 0, first = SIZE_MAX;
    int first_err = MODELLIX_OK;
    for (size_t i = 0; i < n; i++) {
        modellix_task *t = tasks[i];
        if (!t || !t->w_active)
            continue;
        mx_timer_disarm(&c->eng, &t->poll_timer);
        if (!t->poll.finished && t->poll.c)
            mx_req_abort(&t->poll, rc == MODELLIX_OK ? MODELLIX_ECANCELED : rc);
        if (t->w_done) {
            if (first == SIZE_MAX)
                first = i;
            if (first_err == MODELLIX_OK && t->w_rc != MODELLIX_OK && t->w_rc != MODELLIX_ETASK_FAILED)
                first_err = t->w_rc;
        } else {
            unfinished++;
        }
        t->w_active = 0;
        t->w_set = NULL;
    }
    if (rc == MODELLIX_ETIMEOUT)
        return mx_fail(c, NULL, rc, 0, NULL, "timed out after %lld ms with %zu of %zu task(s) unfinished",
                       (long long)timeout_ms, unfinished, w.active);
    if (rc == MODELLIX_ECANCELED)
        return mx_fail(c, NULL, rc, 0, NULL, "the wait was canceled with %zu task(s) unfinished", unfinished);
    if (any) {
        if (index_out)
            *index_out = first;
        return MODELLIX_OK;
    }
    return first_err;
}

int modellix_client_wait_all(modellix_client *c, modellix_task *const *tasks, size_t n, int64_t timeout_ms)
{
    return run_wait(c, tasks, n, timeout_ms, 0, NULL);
}

int modellix_client_wait_any(modellix_client *c, modellix_task *const *tasks, size_t n, int64_t timeout_ms,
                             size_t *index_out)
{
    if (!index_out)
        return MODELLIX_EINVAL;
    return run_wait(c, tasks, n, timeout_ms, 1, index_out);
}

int modellix_task_wait(modellix_task *t, int64_t timeout_ms)
{
    if (!t)
        return MODELLIX_EINVAL;
    modellix_task *one[1] = {t};
    int rc = run_wait(t->c, one, 1, timeout_ms, 0, NULL);
    if (rc != MODELLIX_OK)
        return rc;
    if (t->status == MODELLIX_TASK_FAILED) {
        t->c->errcode = MODELLIX_ETASK_FAILED;
        mx_fmt(t->c->errmsg, sizeof t->c->errmsg, "task %s failed: %s", t->id, modellix_task_errmsg(t));
        return MODELLIX_ETASK_FAILED;
    }
    return MODELLIX_OK;
}
