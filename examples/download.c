/* download.c - fetch every result file of a task, by its id, into a directory.
 *
 *   download [--force] TASK_ID [DIR]      (DIR defaults to "modellix-output")
 *
 * The task may have been submitted by another program or an earlier run: modellix_task_attach() makes
 * a task object from its id alone, modellix_task_wait() queries it until it is terminal (at once if it
 * already is), and modellix_task_download() saves each result. Downloads are atomic (a partial file
 * never appears under the final name) and never replace an existing file unless --force is given.
 * Result URLs expire about 24 hours after the task ended: an expired one gives "not found".
 *
 * With MODELLIX_API_KEY set, it talks to the real service (or MODELLIX_BASE_URL). Without it, it
 * starts the embedded mock server, and since that server knows no task yet, it first creates one
 * itself (submit + wait) when TASK_ID is "-" or missing, and uses that task's id. */
#include <modellix/modellix.h>

#include "mock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Against the mock only: create a task with two result files and copy its id into buf. */
static int create_demo_task(modellix_client *c, char *buf, size_t size)
{
    modellix_task *t = NULL;
    int rc = modellix_task_submit(&t, c, "bytedance/seedream-4.5-t2i",
                                  "{\"prompt\":\"two views of a glass teapot\",\"mock_resources\":2}");
    if (rc == MODELLIX_OK)
        rc = modellix_task_wait(t, 60 * 1000);
    if (rc == MODELLIX_OK) {
        /* Borrowed strings die with the task (or its next poll): copy what is kept. */
        snprintf(buf, size, "%s", modellix_task_id(t));
        printf("Created task %s on the mock to download from.\n", buf);
    } else {
        fprintf(stderr, "creating a demo task failed: %s: %s\n", modellix_strerror(rc), modellix_client_errmsg(c));
    }
    modellix_task_free(t);
    return rc;
}

int main(int argc, char **argv)
{
    const char *task_id = NULL, *dir = "modellix-output";
    uint32_t flags = 0;
    int positional = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0)
            flags |= MODELLIX_DOWNLOAD_OVERWRITE;
        else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            positional = 99;
            break;
        } else if (positional == 0) {
            task_id = argv[i];
            positional++;
        } else if (positional == 1) {
            dir = argv[i];
            positional++;
        } else {
            positional = 99;
            break;
        }
    }
    const char *key = getenv("MODELLIX_API_KEY");
    int against_mock = !key || !*key;
    if (positional > 2 || (!against_mock && (task_id == NULL || strcmp(task_id, "-") == 0))) {
        fprintf(stderr, "usage: %s [--force] TASK_ID [DIR]\n", argv[0]);
        return 2;
    }
    if (modellix_global_init() < 0)
        return 1;

    int status = 1;
    modellix_options *o = NULL;
    modellix_client *c = NULL;
    modellix_task *t = NULL;
    mock_server *mock = NULL;
    char created_id[600];
    if (modellix_options_new(&o) != MODELLIX_OK)
        goto done;
    if (against_mock) {
        mock_config cfg;
        mock_config_init(&cfg);
        cfg.duration_ms = 300;
        if (mock_server_start(&mock, &cfg) != 0) {
            fprintf(stderr, "could not start the embedded mock server\n");
            goto done;
        }
        printf("No MODELLIX_API_KEY set: using the embedded mock server at %s\n", mock_server_url(mock));
        if (modellix_options_set_api_key(o, "demo-key") != MODELLIX_OK ||
            modellix_options_set_base_url(o, mock_server_url(mock)) != MODELLIX_OK)
            goto done;
    }
    int rc = modellix_client_new(&c, o);
    if (rc != MODELLIX_OK) {
        fprintf(stderr, "creating the client failed: %s\n", modellix_strerror(rc));
        goto done;
    }
    if (against_mock && (task_id == NULL || strcmp(task_id, "-") == 0)) {
        if (create_demo_task(c, created_id, sizeof created_id) != MODELLIX_OK)
            goto done;
        task_id = created_id;
    }

    /* A task object for the id: no network traffic yet. */
    rc = modellix_task_attach(&t, c, task_id);
    if (rc != MODELLIX_OK) {
        fprintf(stderr, "bad task id: %s\n", modellix_client_errmsg(c));
        goto done;
    }
    /* Query until terminal: returns at once for a finished task, waits for a running one. */
    rc = modellix_task_wait(t, 10 * 60 * 1000);
    if (rc == MODELLIX_ETASK_FAILED) {
        fprintf(stderr, "task %s failed: %s\n", task_id, modellix_task_errmsg(t));
        goto done;
    }
    if (rc == MODELLIX_ETIMEOUT) {
        fprintf(stderr, "task %s is still %s; try again later\n", task_id,
                modellix_task_status_text(t) ? modellix_task_status_text(t) : "running");
        goto done;
    }
    if (rc != MODELLIX_OK) {
        fprintf(stderr, "task %s: %s: %s\n", task_id, modellix_strerror(rc), modellix_task_errmsg(t));
        if (rc == MODELLIX_ENOTFOUND)
            fprintf(stderr, "  (unknown id, or the task has expired)\n");
        goto done;
    }

    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot create %s: %s\n", dir, strerror(errno));
        goto done;
    }
    size_t n = modellix_task_resource_count(t), saved = 0;
    printf("Task %s has %zu result file(s).\n", task_id, n);
    for (size_t i = 0; i < n; i++) {
        char *path = NULL;
        rc = modellix_task_download(t, i, dir, flags, &path);
        if (rc == MODELLIX_OK) {
            const char *type = modellix_task_resource_type(t, i), *format = modellix_task_resource_format(t, i);
            printf("%s\t%s/%s %lldx%lld\n", path, type ? type : "file", format ? format : "?",
                   (long long)modellix_task_resource_width(t, i), (long long)modellix_task_resource_height(t, i));
            saved++;
        } else if (rc == MODELLIX_EEXIST) {
            fprintf(stderr, "resource %zu: already in %s (use --force to replace it)\n", i, dir);
        } else {
            fprintf(stderr, "resource %zu: %s: %s\n", i, modellix_strerror(rc), modellix_client_errmsg(c));
            if (rc == MODELLIX_ENOTFOUND || rc == MODELLIX_EAUTH)
                fprintf(stderr, "  (the result URL may have expired)\n");
        }
        modellix_free(path); /* library memory goes back through modellix_free(), never free() */
    }
    status = saved == n ? 0 : 1;

done:
    modellix_task_free(t);
    modellix_client_free(c);
    modellix_options_free(o);
    mock_server_stop(mock);
    modellix_global_cleanup();
    return status;
}
