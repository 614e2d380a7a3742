/* event_loop.c - drive libmodellix from your own poll() loop, next to your own timers.
 *
 *   event_loop [--model SLUG] [COUNT]
 *
 * A program with an event loop must never block inside a library call. libmodellix gives it one
 * descriptor to watch (modellix_client_backend_fd()) and a timeout (modellix_client_backend_timeout()),
 * and does its work without blocking in modellix_client_step(): network I/O, retries that are due,
 * queued submissions that may start, status queries that are due, completion callbacks.
 *
 * This program queues COUNT tasks (default 4) with modellix_task_submit_async() and then runs a plain
 * poll() loop that waits on the client's descriptor AND on a timer of its own: a heartbeat line every
 * 500 ms, which keeps coming on time while tasks are submitted, polled and finished.
 *
 * The API key comes from MODELLIX_API_KEY and the server from MODELLIX_BASE_URL (default: the real
 * service), like any program's (try it with modellix-mock: see README.md). */
#include <modellix/modellix.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_TASKS = 64, HEARTBEAT_MS = 500 };

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Completion callback: runs inside modellix_client_step(), on this thread. */
static void on_task_done(modellix_task *t, void *user_data)
{
    int64_t start = *(const int64_t *)user_data;
    double at = (double)(now_ms() - start) / 1000.0;
    if (modellix_task_status(t) == MODELLIX_TASK_SUCCESS)
        printf("%6.2f s  task %s finished: %s\n", at, modellix_task_id(t), modellix_task_status_text(t));
    else
        printf("%6.2f s  task %s did not succeed: %s %s\n", at, modellix_task_id(t) ? modellix_task_id(t) : "(no id)",
               modellix_strerror(modellix_task_errcode(t)), modellix_task_errmsg(t));
}

int main(int argc, char **argv)
{
    const char *model = "bytedance/seedream-4.5-t2i";
    long count = 4;
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
            model = argv[++i];
        else if ((count = strtol(argv[i], &end, 10)) < 1 || count > MAX_TASKS || *end != '\0') {
            fprintf(stderr, "usage: %s [--model SLUG] [COUNT (1-%d)]\n", argv[0], MAX_TASKS);
            return 2;
        }
    }
    if (modellix_global_init() < 0)
        return 1;

    int status = 1;
    int64_t start = now_ms();
    modellix_options *o = NULL;
    modellix_client *c = NULL;
    modellix_task *tasks[MAX_TASKS] = {0};
    if (modellix_options_new(&o) != MODELLIX_OK)
        goto done;
    if (modellix_options_set_task_callback(o, on_task_done, &start, NULL) != MODELLIX_OK)
        goto done;
    int rc = modellix_client_new(&c, o); /* the options set no key: MODELLIX_API_KEY, MODELLIX_BASE_URL */
    if (rc != MODELLIX_OK) {
        fprintf(stderr, "creating the client failed: %s\n", modellix_strerror(rc));
        if (rc == MODELLIX_ENOKEY)
            fprintf(stderr, "Set MODELLIX_API_KEY (and MODELLIX_BASE_URL to use another server, such as a local "
                            "modellix-mock).\n");
        goto done;
    }

    for (long i = 0; i < count; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"prompt\":\"a lantern, variation %ld\"}", i + 1);
        rc = modellix_task_submit_async(&tasks[i], c, model, body);
        if (rc != MODELLIX_OK) {
            fprintf(stderr, "queueing failed: %s: %s\n", modellix_strerror(rc), modellix_client_errmsg(c));
            goto done;
        }
    }
    printf("%6.2f s  queued %ld tasks; entering the event loop\n", (double)(now_ms() - start) / 1000.0, count);

    /* The event loop. In a real program the pollfd array holds your sockets, pipes, timerfds, ... too. */
    int64_t next_beat = now_ms() + HEARTBEAT_MS;
    int beats = 0;
    int64_t worst_late = 0; /* how late our own timer fired at worst */
    size_t active = 0;
    int64_t deadline = now_ms() + 10 * 60 * 1000;
    do {
        /* Sleep until the client has I/O, the client's next timer, or our own next timer. */
        int64_t wait = next_beat - now_ms();
        int64_t lib = modellix_client_backend_timeout(c); /* -1: nothing scheduled, the fd alone */
        if (lib >= 0 && lib < wait)
            wait = lib;
        if (wait < 0)
            wait = 0;
        struct pollfd fds[1] = {{modellix_client_backend_fd(c), POLLIN, 0}};
        if (poll(fds, 1, (int)wait) < 0 && errno != EINTR) {
            perror("poll");
            goto done;
        }
        /* Let the client do whatever is ready. Cheap when nothing is: step after every wake-up. */
        if (modellix_client_step(c, &active) != MODELLIX_OK)
            goto done;
        /* Our own timer, in the same loop. */
        if (now_ms() >= next_beat) {
            if (now_ms() - next_beat > worst_late)
                worst_late = now_ms() - next_beat;
            beats++;
            printf("%6.2f s  heartbeat %d: %zu task(s) still busy\n", (double)(now_ms() - start) / 1000.0, beats,
                   active);
            next_beat += HEARTBEAT_MS;
        }
    } while (active > 0 && now_ms() < deadline);

    size_t ok = 0;
    for (long i = 0; i < count; i++)
        ok += modellix_task_status(tasks[i]) == MODELLIX_TASK_SUCCESS;
    printf("%6.2f s  done: %zu of %ld succeeded; %d heartbeats, the latest %lld ms late\n",
           (double)(now_ms() - start) / 1000.0, ok, count, beats, (long long)worst_late);
    status = ok == (size_t)count ? 0 : 1;

done:
    for (int i = 0; i < MAX_TASKS; i++)
        modellix_task_free(tasks[i]);
    modellix_client_free(c);
    modellix_options_free(o);
    modellix_global_cleanup();
    return status;
}
