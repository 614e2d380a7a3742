/* batch.c - generate many images at once, a few at a time.
 *
 *   batch [--model SLUG] [PROMPT...]
 *
 * Every prompt (from the command line, else a built-in list of eight) is queued with
 * modellix_task_submit_async(). The client sends at most max_in_flight (3, the team's usual
 * concurrency limit) submissions at a time, polls each accepted task in the background, and sends the
 * next one when a task finishes, so the batch never draws the 429s of an over-full team.
 * A completion callback prints one progress line per finished task; a summary follows.
 *
 * The API key comes from MODELLIX_API_KEY and the server from MODELLIX_BASE_URL (default: the real
 * service), like any program's (try it with modellix-mock: see README.md).
 *
 * Exit status: 0 if every task succeeded, 1 if some failed or were refused, 3 if a submission's outcome
 * is unknown (a task may exist and be charged: check your account before re-running the batch). */
#include <modellix/modellix.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const builtin_prompts[] = {
    "A red fox in fresh snow, morning light",
    "A lighthouse on a cliff during a storm, oil painting",
    "A bowl of ramen, top-down food photography",
    "An astronaut reading a newspaper on the moon",
    "A watercolour map of an imaginary island",
    "A cat sleeping in a sunny window, film grain",
    "A futuristic tram in a rainy neon city",
    "A macro photo of dew on a spider web",
};

/* State shared with the completion callback (its user_data). */
typedef struct progress {
    size_t total;
    size_t done;
} progress;

/* Called once per task when it is done (terminal, or its submission or polling failed for good), on the
 * thread driving the client: here inside modellix_client_wait_all(). It may read the task; it must
 * not free it or drive the client. */
static void on_task_done(modellix_task *t, void *user_data)
{
    progress *p = user_data;
    p->done++;
    const char *id = modellix_task_id(t) ? modellix_task_id(t) : "(no task id)";
    printf("[%zu/%zu] %s ", p->done, p->total, id);

    switch (modellix_task_submit_state(t)) {
    case MODELLIX_SUBMIT_REJECTED: /* refused by the service: no task was created, nothing charged */
        printf("rejected: %s: %s\n", modellix_strerror(modellix_task_errcode(t)), modellix_task_errmsg(t));
        return;
    case MODELLIX_SUBMIT_UNKNOWN: /* sent, answer lost: a task may exist and be charged */
        printf("OUTCOME UNKNOWN: %s\n", modellix_task_errmsg(t));
        return;
    case MODELLIX_SUBMIT_SKIPPED: /* never sent, because an earlier submission's outcome is unknown */
        printf("skipped (not sent)\n");
        return;
    default:
        break;
    }
    if (modellix_task_status(t) == MODELLIX_TASK_SUCCESS) {
        const char *type = modellix_task_resource_type(t, 0);
        printf("%s (%s %lldx%lld", modellix_task_status_text(t), type ? type : "file",
               (long long)modellix_task_resource_width(t, 0), (long long)modellix_task_resource_height(t, 0));
        if (modellix_task_resource_count(t) > 1)
            printf(", +%zu more", modellix_task_resource_count(t) - 1);
        printf(")\n");
    } else if (modellix_task_status(t) == MODELLIX_TASK_FAILED) {
        const char *why = modellix_task_errmsg(t);
        printf("%s%s%s\n", modellix_task_status_text(t) ? modellix_task_status_text(t) : "failed", *why ? ": " : "",
               why);
    } else { /* polling failed for good (e.g. 404: the task expired) */
        printf("polling stopped: %s\n", modellix_strerror(modellix_task_errcode(t)));
    }
}

/* A JSON body {"prompt": ...}. Use a JSON library in real code. Returns 0, or -1 if it does not fit. */
static int make_body(char *buf, size_t size, const char *prompt)
{
    size_t k = 0;
    const char *head = "{\"prompt\":\"";
    const char *tail = "\"}";
    if (strlen(head) + strlen(tail) + 1 > size)
        return -1;
    k = (size_t)snprintf(buf, size, "%s", head);
    for (const char *s = prompt; *s; s++) {
        if (k + 3 + strlen(tail) >= size)
            return -1;
        if (*s == '"' || *s == '\\')
            buf[k++] = '\\';
        buf[k++] = (unsigned char)*s < 0x20 ? ' ' : *s;
    }
    snprintf(buf + k, size - k, "%s", tail);
    return 0;
}

int main(int argc, char **argv)
{
    const char *model = "bytedance/seedream-4.5-t2i";
    const char *const *prompts = builtin_prompts;
    size_t n = sizeof builtin_prompts / sizeof builtin_prompts[0];
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--model") == 0) {
        model = argv[2];
        first = 3;
    }
    if (first < argc && argv[first][0] == '-') {
        fprintf(stderr, "usage: %s [--model SLUG] [PROMPT...]\n", argv[0]);
        return 2;
    }
    if (first < argc) {
        prompts = (const char *const *)&argv[first];
        n = (size_t)(argc - first);
    }
    if (modellix_global_init() < 0)
        return 1;

    modellix_options *o;
    if (modellix_options_new(&o) != MODELLIX_OK)
        return 1;
    int status = 1;
    modellix_client *c = NULL;
    modellix_task **tasks = calloc(n, sizeof *tasks);
    progress prog = {n, 0};
    if (tasks == NULL)
        goto done;

    /* At most 3 submissions running at once; a progress line from each completion. The callback's
     * user_data is on our stack and outlives the client, so no destroy function is needed. */
    if (modellix_options_set_max_in_flight(o, 3) != MODELLIX_OK ||
        modellix_options_set_task_callback(o, on_task_done, &prog, NULL) != MODELLIX_OK)
        goto done;
    int rc = modellix_client_new(&c, o); /* the options set no key: MODELLIX_API_KEY, MODELLIX_BASE_URL */
    if (rc != MODELLIX_OK) {
        fprintf(stderr, "creating the client failed: %s\n", modellix_strerror(rc));
        if (rc == MODELLIX_ENOKEY)
            fprintf(stderr, "Set MODELLIX_API_KEY (and MODELLIX_BASE_URL to use another server, such as a local "
                            "modellix-mock).\n");
        goto done;
    }

    /* Queue everything. Nothing is sent yet: the work happens while the client is driven (below, by
     * modellix_client_wait_all(); see event_loop.c for driving it from your own loop). */
    printf("Queueing %zu prompts for %s (at most 3 at a time) ...\n", n, model);
    for (size_t i = 0; i < n; i++) {
        char body[4096];
        if (make_body(body, sizeof body, prompts[i]) != 0) {
            fprintf(stderr, "prompt %zu is too long, left out\n", i + 1);
            prog.total--;
            continue;
        }
        rc = modellix_task_submit_async(&tasks[i], c, model, body);
        if (rc != MODELLIX_OK) { /* a bad slug or body: nothing was queued */
            fprintf(stderr, "prompt %zu not queued: %s: %s\n", i + 1, modellix_strerror(rc), modellix_client_errmsg(c));
            prog.total--;
        }
    }

    /* Drive the client until every task is done. wait_all returns OK when all are terminal (each may
     * have succeeded or failed), or the first submission or polling error after the others finished. */
    rc = modellix_client_wait_all(c, tasks, n, 30 * 60 * 1000);
    if (rc == MODELLIX_ETIMEOUT)
        fprintf(stderr, "Some tasks are still running after 30 minutes; attach to them later by id.\n");

    /* Summary: every task's own outcome is on the task. */
    size_t ok = 0, failed = 0, rejected = 0, unknown = 0, skipped = 0, other = 0;
    for (size_t i = 0; i < n; i++) {
        if (!tasks[i])
            continue;
        switch (modellix_task_submit_state(tasks[i])) {
        case MODELLIX_SUBMIT_REJECTED:
            rejected++;
            continue;
        case MODELLIX_SUBMIT_UNKNOWN:
            unknown++;
            continue;
        case MODELLIX_SUBMIT_SKIPPED:
            skipped++;
            continue;
        default:
            break;
        }
        if (modellix_task_status(tasks[i]) == MODELLIX_TASK_SUCCESS)
            ok++;
        else if (modellix_task_status(tasks[i]) == MODELLIX_TASK_FAILED)
            failed++;
        else
            other++;
    }
    printf("Summary: %zu succeeded, %zu failed, %zu rejected, %zu outcome unknown, %zu skipped, %zu unfinished\n",
           ok, failed, rejected, unknown, skipped, other);
    if (unknown > 0) {
        printf("A submission's outcome is unknown: a task may have been created and charged. Check your\n"
               "account activity before submitting those prompts again.\n");
        for (size_t i = 0; i < n; i++) {
            int32_t st = tasks[i] ? modellix_task_submit_state(tasks[i]) : MODELLIX_SUBMIT_NONE;
            if (st == MODELLIX_SUBMIT_UNKNOWN)
                printf("  outcome unknown: %s\n", prompts[i]);
            else if (st == MODELLIX_SUBMIT_SKIPPED)
                printf("  not sent:        %s\n", prompts[i]);
        }
        status = 3;
    } else {
        status = ok == prog.total ? 0 : 1;
    }

done:
    for (size_t i = 0; tasks && i < n; i++)
        modellix_task_free(tasks[i]); /* every task before its client */
    free(tasks);
    modellix_client_free(c);
    modellix_options_free(o);
    modellix_global_cleanup();
    return status;
}
