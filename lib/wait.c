/* wait.c - blocking waits for one task, all of a set, or any of a set. A wait drives the client's
 * engine (so all background work advances too) until its tasks are done or its deadline passes.
 * Tasks it had to start watching are stopped again when it returns; tasks already in the background
 * (queued, being submitted, watched) stay there. Tasks tell the wait through their waiter when they
 * become done (lifecycle.c). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

enum wait_kind { WAIT_ALL, WAIT_ANY };

typedef struct waitset {
    mx_waiter w;
    size_t active; /* tasks the wait waits for */
    int kind;
} waitset;

static int wait_done(void *ctx)
{
    waitset *s = ctx;
    return s->kind == WAIT_ANY ? s->w.done > 0 : s->w.done == s->active;
}

/* Done, and not resumable by a wait: everything done but a failed watch. */
static int settled(const modellix_task *t)
{
    return mx_task_done(t) && t->state != MX_TS_POLL_FAILED;
}

/* Undo the membership marks of tasks[0, upto). */
static void unmark(modellix_task *const *tasks, size_t upto, const waitset *s)
{
    for (size_t i = 0; i < upto; i++)
        if (tasks[i] && tasks[i]->waiter == &s->w)
            tasks[i]->waiter = NULL;
}

/* Check the set and mark each task as this wait's (a second mark is a duplicate). */
static int mark_set(modellix_client *c, modellix_task *const *tasks, size_t n, waitset *s, size_t *live)
{
    *live = 0;
    for (size_t i = 0; i < n; i++) {
        modellix_task *t = tasks[i];
        if (!t)
            continue;
        const char *why = t->c != c               ? "belongs to another client"
                          : t->waiter == &s->w    ? "is listed twice"
                          : t->waiter             ? "is already being waited for (a wait inside a callback?)"
                                                  : NULL;
        if (why) {
            unmark(tasks, i, s);
            return mx_fail(c, NULL, MODELLIX_EINVAL, 0, NULL, "task %zu %s", i, why);
        }
        t->waiter = &s->w;
        (*live)++;
    }
    return MODELLIX_OK;
}

/* Run a wait over `tasks`; on return the tasks it started watching are stopped again and no task
   is marked as this wait's. */
static int run_wait(modellix_client *c, modellix_task *const *tasks, size_t n, int64_t timeout_ms, int kind,
                    size_t *index_out)
{
    if (!c)
        return MODELLIX_EINVAL;
    mx_clear_error(c);
    if ((!tasks && n) || timeout_ms <= 0)
        return mx_fail(c, NULL, MODELLIX_EINVAL, 0, NULL, "%s",
                       timeout_ms <= 0 ? "timeout_ms must be > 0" : "tasks is NULL");
    waitset s = {{0}, 0, kind};
    size_t live;
    int rc = mark_set(c, tasks, n, &s, &live);
    if (rc != MODELLIX_OK)
        return rc;
    if (kind == WAIT_ANY && !live) {
        unmark(tasks, n, &s);
        return mx_fail(c, NULL, MODELLIX_EINVAL, 0, NULL, "no task to wait for");
    }
    for (size_t i = 0; kind == WAIT_ANY && i < n; i++) {
        if (tasks[i] && settled(tasks[i])) {
            unmark(tasks, n, &s);
            *index_out = i;
            return MODELLIX_OK;
        }
    }
    int64_t deadline = mx_add_ms(mx_now_ms(), timeout_ms);
    for (size_t i = 0; i < n; i++) {
        modellix_task *t = tasks[i];
        if (!t)
            continue;
        if (settled(t)) {
            t->waiter = NULL;
            continue;
        }
        s.active++;
        if (t->state == MX_TS_IDLE || t->state == MX_TS_POLL_FAILED) {
            t->wait_started = 1;
            mx_watch_start(t);
        }
        /* queued, being sent or watched: already in the background */
    }
    rc = s.active && !wait_done(&s) ? mx_engine_run(c, deadline, wait_done, &s) : MODELLIX_OK;
    size_t unfinished = 0;
    for (size_t i = 0; i < n; i++) {
        modellix_task *t = tasks[i];
        if (!t)
            continue;
        if (t->wait_started)
            mx_watch_stop(t); /* only if still watched: the task keeps its id and last state */
        t->wait_started = 0;
        if (t->waiter == &s.w)
            t->waiter = NULL;
        unfinished += !mx_task_done(t);
    }
    if (rc == MODELLIX_ETIMEOUT)
        return mx_fail(c, NULL, rc, 0, NULL, "timed out after %lld ms with %zu of %zu task(s) unfinished",
                       (long long)timeout_ms, unfinished, s.active);
    if (rc == MODELLIX_ECANCELED)
        return mx_fail(c, NULL, rc, 0, NULL, "the wait was canceled with %zu task(s) unfinished", unfinished);
    if (rc != MODELLIX_OK)
        return mx_fail(c, NULL, rc, 0, NULL, "%s", modellix_strerror(rc));
    if (kind == WAIT_ANY) {
        for (size_t i = 0; i < n; i++) {
            if (tasks[i] && mx_task_done(tasks[i])) {
                *index_out = i;
                return MODELLIX_OK;
            }
        }
    }
    return MODELLIX_OK;
}

/* The failure of a done task that is not the service's verdict (a submission refused, unknown or
   skipped; a watch that failed), or MODELLIX_OK. */
static int task_error(const modellix_task *t)
{
    if (!mx_task_done(t) || t->state == MX_TS_SUCCESS || t->state == MX_TS_FAILED)
        return MODELLIX_OK;
    return t->errcode != MODELLIX_OK ? t->errcode : MODELLIX_EPROTOCOL;
}

/* The client's error slot takes a task's error (the wait reports it as its own result). */
static int report_task_error(modellix_client *c, const modellix_task *t, size_t i)
{
    int code = task_error(t);
    return mx_fail(c, NULL, code, t->http_status, t->request_id, "task %zu (%s): %s", i,
                   t->id ? t->id : "no id", t->errmsg && *t->errmsg ? t->errmsg : modellix_strerror(code));
}

int modellix_client_wait_all(modellix_client *c, modellix_task *const *tasks, size_t n, int64_t timeout_ms)
{
    int rc = run_wait(c, tasks, n, timeout_ms, WAIT_ALL, NULL);
    if (rc != MODELLIX_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (tasks[i] && task_error(tasks[i]) != MODELLIX_OK)
            return report_task_error(c, tasks[i], i); /* 1.0: the first task error in array order */
    return MODELLIX_OK;
}

int modellix_client_wait_all_report(size_t *failed_out, modellix_client *c, modellix_task *const *tasks, size_t n,
                                    int64_t timeout_ms)
{
    if (failed_out)
        *failed_out = 0;
    int rc = run_wait(c, tasks, n, timeout_ms, WAIT_ALL, NULL);
    if (rc == MODELLIX_EINVAL || !failed_out)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (tasks[i] && mx_task_done(tasks[i]) && tasks[i]->state != MX_TS_SUCCESS)
            (*failed_out)++;
    return rc;
}

int modellix_client_wait_any(modellix_client *c, modellix_task *const *tasks, size_t n, int64_t timeout_ms,
                             size_t *index_out)
{
    if (!index_out) {
        if (c) {
            mx_clear_error(c);
            return mx_fail(c, NULL, MODELLIX_EINVAL, 0, NULL, "index_out is NULL");
        }
        return MODELLIX_EINVAL;
    }
    return run_wait(c, tasks, n, timeout_ms, WAIT_ANY, index_out);
}

int modellix_task_wait(modellix_task *t, int64_t timeout_ms)
{
    if (!t)
        return MODELLIX_EINVAL;
    modellix_task *one[1] = {t};
    int rc = modellix_client_wait_all(t->c, one, 1, timeout_ms);
    if (rc != MODELLIX_OK)
        return rc;
    if (t->state == MX_TS_FAILED)
        return mx_fail(t->c, NULL, MODELLIX_ETASK_FAILED, t->http_status, t->request_id, "task %s failed: %s", t->id,
                       t->errmsg && *t->errmsg ? t->errmsg : "no detail given");
    return MODELLIX_OK;
}
