/* wait.c - blocking waits for one task, all of a set, or any of a set. A wait drives the client's
 * engine (so all background work advances too) until its tasks are done or its deadline passes.
 * Tasks it had to start watching are stopped again when it returns; tasks already in the background
 * (queued, being submitted, watched) stay there. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct waitset {
    size_t done; /* first: watch.c counts finished tasks through it */
    size_t active;
    int any;
} waitset;

static int wait_done(void *ctx)
{
    waitset *w = ctx;
    return w->any ? w->done > 0 : w->done == w->active;
}

static int is_terminal(const modellix_task *t)
{
    return t->status == MODELLIX_TASK_SUCCESS || t->status == MODELLIX_TASK_FAILED;
}

/* A task that is done only because a poll failed may be waited for again: it is polled anew. */
static int finished_for_good(const modellix_task *t)
{
    return is_terminal(t) || (t->done && (t->sub_state == MODELLIX_SUBMIT_REJECTED ||
                                          t->sub_state == MODELLIX_SUBMIT_UNKNOWN ||
                                          t->sub_state == MODELLIX_SUBMIT_SKIPPED));
}

static int check_set(modellix_client *c, modellix_task *const *tasks, size_t n, size_t *live)
{
    *live = 0;
    for (size_t i = 0; i < n; i++) {
        if (!tasks[i])
            continue;
        if (tasks[i]->c != c)
            return mx_fail(c, NULL, MODELLIX_EINVAL, 0, NULL, "task %zu belongs to another client", i);
        if (tasks[i]->w_set)
            return mx_fail(c, NULL, MODELLIX_EINVAL, 0, NULL, "task %zu is listed twice", i);
        (*live)++;
    }
    return MODELLIX_OK;
}

/* Run a wait over `tasks`; on return the tasks it started watching are stopped again. */
static int run_wait(modellix_client *c, modellix_task *const *tasks, size_t n, int64_t timeout_ms, int any,
                    size_t *index_out)
{
    if (!c || (!tasks && n) || timeout_ms <= 0)
        return MODELLIX_EINVAL;
    mx_clear_error(c);
    size_t live;
    int rc = check_set(c, tasks, n, &live);
    if (rc != MODELLIX_OK)
        return rc;
    if (any && !live)
        return mx_fail(c, NULL, MODELLIX_EINVAL, 0, NULL, "no task to wait for");
    if (any) {
        for (size_t i = 0; i < n; i++) {
            if (tasks[i] && finished_for_good(tasks[i])) {
                *index_out = i;
                return MODELLIX_OK;
            }
        }
    }
    waitset w = {0, 0, any};
    int64_t deadline = mx_add_ms(mx_now_ms(), timeout_ms);
    for (size_t i = 0; i < n; i++) {
        modellix_task *t = tasks[i];
        if (!t || finished_for_good(t))
            continue;
        t->w_set = &w;
        w.active++;
        if (t->sub_state == MODELLIX_SUBMIT_QUEUED || t->sub_state == MODELLIX_SUBMIT_SENDING || t->watched)
            continue; /* already in the background */
        if (!t->id) {
            mx_task_finish(t, mx_fail(c, t, MODELLIX_ESTATE, 0, NULL, "the task has no id"));
            continue;
        }
        t->w_started = 1;
        mx_watch_start(t);
    }
    rc = w.active ? mx_engine_run(c, deadline, wait_done, &w) : MODELLIX_OK;
    size_t unfinished = 0, first = SIZE_MAX;
    int first_err = MODELLIX_OK;
    for (size_t i = 0; i < n; i++) {
        modellix_task *t = tasks[i];
        if (!t)
            continue;
        if (t->w_set && t->w_started && !t->done)
            mx_watch_stop(t); /* the task keeps its id and last state */
        t->w_started = 0;
        if (!t->w_set && !finished_for_good(t))
            continue;
        t->w_set = NULL;
        if (t->done || is_terminal(t)) {
            if (first == SIZE_MAX)
                first = i;
            if (first_err == MODELLIX_OK && t->done && t->done_rc != MODELLIX_OK && t->done_rc != MODELLIX_ETASK_FAILED)
                first_err = t->done_rc;
        } else {
            unfinished++;
        }
    }
    if (rc == MODELLIX_ETIMEOUT)
        return mx_fail(c, NULL, rc, 0, NULL, "timed out after %lld ms with %zu of %zu task(s) unfinished",
                       (long long)timeout_ms, unfinished, w.active);
    if (rc == MODELLIX_ECANCELED)
        return mx_fail(c, NULL, rc, 0, NULL, "the wait was canceled with %zu task(s) unfinished", unfinished);
    if (any) {
        *index_out = first;
        return MODELLIX_OK;
    }
    if (first_err != MODELLIX_OK) {
        c->errcode = first_err;
        return first_err;
    }
    return MODELLIX_OK;
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
