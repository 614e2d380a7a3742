/* wait.c - waiting for tasks from the tool's own event loop (modellix_client_step() and the backend
 * descriptor), so that the progress line can change while the library polls on its schedule, and a
 * signal ends the wait at once (interrupt.c).
 *
 * The progress line (stderr, only on a terminal, never with --json, --quiet or CI) shows the elapsed
 * time and, for one task, its last status word; for several, how many have finished. */
#include "cli.h"

#include <poll.h>
#include <string.h>
#include <time.h>

#define REDRAW_MS 250

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int terminal(const modellix_task *t)
{
    int32_t st = modellix_task_status(t);
    return st == MODELLIX_TASK_SUCCESS || st == MODELLIX_TASK_FAILED;
}

static void draw(cli *c, modellix_task *const *tasks, size_t n, size_t done, int64_t elapsed_ms, const char *limit)
{
    char el[32];
    format_duration(elapsed_ms < 1000 ? 1000 : elapsed_ms / 1000 * 1000, el, sizeof el);
    if (n == 1) {
        const char *id = modellix_task_id(tasks[0]);
        const char *st = modellix_task_status_text(tasks[0]);
        if (!id)
            cli_progress(c, "Submitting the task... %s elapsed (timeout %s)", el, limit);
        else
            cli_progress(c, "Task %s: %s, %s elapsed (timeout %s)", id, st ? st : "submitted", el, limit);
        return;
    }
    size_t answered = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t ss = tasks[i] ? modellix_task_submit_state(tasks[i]) : MODELLIX_SUBMIT_NONE;
        answered += ss != MODELLIX_SUBMIT_QUEUED && ss != MODELLIX_SUBMIT_SENDING;
    }
    if (answered < n)
        cli_progress(c, "Tasks: %zu of %zu submitted, %zu finished, %s elapsed (timeout %s)", answered, n, done, el,
                     limit);
    else
        cli_progress(c, "Tasks: %zu of %zu finished, %s elapsed (timeout %s)", done, n, el, limit);
}

int cli_wait(cli *c, modellix_client *cl, modellix_task *const *tasks, size_t n, int64_t timeout_ms)
{
    for (size_t i = 0; i < n; i++)
        if (tasks[i] && modellix_task_id(tasks[i]) && !modellix_task_done(tasks[i]) &&
            modellix_task_watch(tasks[i]) != MODELLIX_OK) /* queued submissions are watched once accepted */
            return MODELLIX_EINVAL;
    char limit[32];
    format_duration(timeout_ms, limit, sizeof limit);
    int64_t start = mono_ms(), deadline = start + timeout_ms, last_draw = -REDRAW_MS;
    int show = cli_progress_enabled(c);
    int rc = MODELLIX_OK;
    for (;;) {
        size_t active = 0, done = 0;
        if (modellix_client_step(cl, &active) != MODELLIX_OK) {
            rc = MODELLIX_EINVAL;
            break;
        }
        for (size_t i = 0; i < n; i++)
            done += !tasks[i] || modellix_task_done(tasks[i]);
        if (done == n)
            break;
        if (interrupt_signal()) {
            rc = MODELLIX_ECANCELED;
            break;
        }
        int64_t now = mono_ms();
        if (now >= deadline) {
            rc = MODELLIX_ETIMEOUT;
            break;
        }
        if (show && now - last_draw >= REDRAW_MS) {
            draw(c, tasks, n, done, now - start, limit);
            last_draw = now;
        }
        int64_t wait = modellix_client_backend_timeout(cl);
        int64_t cap = show ? REDRAW_MS : 1000;
        if (wait < 0 || wait > cap)
            wait = cap;
        if (wait > deadline - now)
            wait = deadline - now;
        struct pollfd pfd = {modellix_client_backend_fd(cl), POLLIN, 0};
        (void)poll(&pfd, 1, (int)wait); /* EINTR on a signal: the loop checks the flag */
    }
    cli_progress_clear(c);
    if (rc != MODELLIX_OK)
        return rc;
    /* as modellix_client_wait_all(): the first task (in array order) that ended with an error */
    for (size_t i = 0; i < n; i++)
        if (tasks[i] && !terminal(tasks[i]) && modellix_task_errcode(tasks[i]) != MODELLIX_OK)
            return modellix_task_errcode(tasks[i]);
    return MODELLIX_OK;
}
